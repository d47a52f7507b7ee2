"""The planted first-order Markov chain over channels, its exact solution and its simulation.

All personas share one transition matrix with no self-transitions (so the
`exposure` path transform changes nothing) and differ only in where they start.
A mixture of chains with the same transitions is itself a first-order chain whose
start distribution is the mixture, so the pooled journeys have exact, known
removal effects: removing channel c sends every visit of c to `null`, and
removal effect(c) = 1 - P(conversion | c removed) / P(conversion)
(Anderl et al. 2016, "Mapping the customer journey: lessons learned from graph-based online attribution modeling").

Example:
    >>> chain = planted_chain()
    >>> bool(np.all(np.diag(chain.transitions) == 0))
    True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

CHANNELS: tuple[str, ...] = (
    "Organic Search",
    "Paid Search",
    "Paid Social",
    "Organic Social",
    "Email",
    "WhatsApp",
    "Marketplace",
    "Offline Store",
    "Call Centre",
    "Print / QR",
    "Referral",
    "Direct",
)
CHANNEL_INDEX = {name: i for i, name in enumerate(CHANNELS)}
CONVERSION, NULL = "conversion", "null"

# Per channel: P(convert after this touch), P(give up after it), and relative weights of the next channel.
# Closing channels (Marketplace, Offline Store, WhatsApp, Direct) convert often; social and print mostly introduce.
_ROWS: dict[str, tuple[float, float, dict[str, float]]] = {
    "Organic Search": (0.07, 0.24, {"Direct": 3, "Marketplace": 2, "Paid Search": 1, "Email": 1, "Referral": 1, "Paid Social": 1, "WhatsApp": 1, "Offline Store": 1}),
    "Paid Search": (0.08, 0.24, {"Direct": 3, "Organic Search": 2, "Marketplace": 2, "Email": 1, "WhatsApp": 1}),
    "Paid Social": (0.03, 0.28, {"Organic Social": 3, "Organic Search": 2, "Direct": 2, "Marketplace": 2, "Paid Search": 1, "WhatsApp": 1}),
    "Organic Social": (0.03, 0.28, {"Paid Social": 2, "Organic Search": 2, "Direct": 2, "Marketplace": 1, "Referral": 1, "WhatsApp": 1}),
    "Email": (0.14, 0.20, {"Direct": 3, "Organic Search": 1, "WhatsApp": 1, "Offline Store": 1, "Paid Social": 1}),
    "WhatsApp": (0.16, 0.17, {"Call Centre": 2, "Direct": 2, "Offline Store": 1, "Email": 1, "Marketplace": 1}),
    "Marketplace": (0.19, 0.20, {"Organic Search": 2, "Direct": 2, "WhatsApp": 1, "Paid Search": 1, "Email": 1}),
    "Offline Store": (0.20, 0.20, {"Print / QR": 2, "WhatsApp": 2, "Direct": 2, "Call Centre": 1, "Email": 1}),
    "Call Centre": (0.16, 0.18, {"WhatsApp": 3, "Direct": 1, "Offline Store": 1, "Email": 1}),
    "Print / QR": (0.04, 0.25, {"Offline Store": 4, "Direct": 2, "WhatsApp": 1, "Organic Search": 1}),
    "Referral": (0.05, 0.26, {"Organic Search": 2, "Direct": 2, "Marketplace": 1, "Paid Social": 1}),
    "Direct": (0.14, 0.20, {"Email": 2, "Organic Search": 2, "Marketplace": 1, "WhatsApp": 1, "Offline Store": 1, "Paid Search": 1}),
}  # fmt: skip


@dataclass(frozen=True)
class MarkovChain:
    """Transient states are channels; every touch is followed by another channel, a conversion or null."""

    channels: tuple[str, ...]
    transitions: FloatArray  # (S, S): P(next channel | channel); zero diagonal
    conversion: FloatArray  # (S,): P(conversion right after a touch of this channel)
    null: FloatArray  # (S,): P(the journey ends without conversion after this channel)

    def full_matrix(self) -> FloatArray:
        """(S, S + 2) matrix: next channel, then conversion and null columns; rows sum to 1."""
        return np.column_stack([self.transitions, self.conversion, self.null])

    def conversion_probability(self, start: FloatArray) -> float:
        """Exact P(a journey converts) for a start distribution, via the fundamental matrix."""
        return float(start @ np.linalg.solve(np.eye(len(self.channels)) - self.transitions, self.conversion))

    def expected_touches(self, start: FloatArray) -> float:
        """Exact expected number of touches per journey."""
        visits = np.linalg.solve((np.eye(len(self.channels)) - self.transitions).T, start)
        return float(visits.sum())

    def removal_effects(self, start: FloatArray) -> FloatArray:
        """Exact removal effect of every channel: 1 - P(conv | channel redirects to null) / P(conv)."""
        base = self.conversion_probability(start)
        effects = np.empty(len(self.channels))
        for i in range(len(self.channels)):
            removed = MarkovChain(self.channels, self.transitions.copy(), self.conversion.copy(), self.null.copy())
            removed.transitions[i, :] = 0.0
            removed.conversion[i] = 0.0
            effects[i] = 1.0 - removed.conversion_probability(start) / base
        return effects


def planted_chain() -> MarkovChain:
    """The chain every generated journey follows."""
    size = len(CHANNELS)
    transitions = np.zeros((size, size))
    conversion = np.zeros(size)
    null = np.zeros(size)
    for i, name in enumerate(CHANNELS):
        p_conversion, p_null, weights = _ROWS[name]
        total = sum(weights.values())
        for target, weight in weights.items():
            transitions[i, CHANNEL_INDEX[target]] = (1.0 - p_conversion - p_null) * weight / total
        conversion[i], null[i] = p_conversion, p_null
    return MarkovChain(CHANNELS, transitions, conversion, null)


def sample_rows(cumulative: FloatArray, uniform: FloatArray) -> IntArray:
    """Index drawn from each row's distribution, given the rows' cumulative sums and one uniform per row."""
    drawn = (uniform[:, None] >= cumulative).sum(axis=1)
    # Rounding can leave the last cumulative sum a hair below 1: clamp to the last column.
    return np.asarray(np.minimum(drawn, cumulative.shape[1] - 1), dtype=np.int64)


@dataclass(frozen=True)
class SimulatedJourneys:
    """Journeys ordered by person, then journey index; touches ordered by journey, then step."""

    person: IntArray  # per journey
    index: IntArray  # per journey: 0 for a person's first journey
    touches: IntArray  # per journey: number of touches
    converted: npt.NDArray[np.bool_]  # per journey
    first_touch: IntArray  # per journey: position of its first touch in the touch arrays
    touch_channel: IntArray  # per touch
    touch_journey: IntArray  # per touch


def simulate(
    chain: MarkovChain, rng: np.random.Generator, persona: IntArray, starts: FloatArray, max_journeys: IntArray
) -> SimulatedJourneys:
    """Walk every journey of every person at once, one step at a time.

    A person's journey k + 1 exists only when journey k converted and k + 1 < their
    persona's max_journeys, so segmenting a person's touches at conversions gives
    the journeys back exactly.
    """
    size = len(chain.channels)
    start_cumulative = np.cumsum(starts, axis=1)
    step_cumulative = np.cumsum(chain.full_matrix(), axis=1)
    people = np.arange(persona.size, dtype=np.int64)
    journey_person: list[IntArray] = []
    journey_index: list[IntArray] = []
    journey_converted: list[npt.NDArray[np.bool_]] = []
    touch_journey: list[IntArray] = []
    touch_step: list[IntArray] = []
    touch_channel: list[IntArray] = []
    round_index, next_id = 0, 0
    active = people
    while active.size:
        ids = np.arange(next_id, next_id + active.size, dtype=np.int64)
        state = sample_rows(start_cumulative[persona[active]], rng.random(active.size))
        alive = np.arange(active.size)
        converted = np.zeros(active.size, dtype=bool)
        step = 0
        while alive.size:
            touch_journey.append(ids[alive])
            touch_step.append(np.full(alive.size, step, dtype=np.int64))
            touch_channel.append(state)
            drawn = sample_rows(step_cumulative[state], rng.random(alive.size))
            converted[alive[drawn == size]] = True
            keep = drawn < size
            alive, state = alive[keep], drawn[keep]
            step += 1
        journey_person.append(active)
        journey_index.append(np.full(active.size, round_index, dtype=np.int64))
        journey_converted.append(converted)
        active = active[converted & (round_index + 1 < max_journeys[persona[active]])]
        next_id += ids.size
        round_index += 1
    return _ordered(journey_person, journey_index, journey_converted, touch_journey, touch_step, touch_channel)


def _ordered(
    journey_person: list[IntArray],
    journey_index: list[IntArray],
    journey_converted: list[npt.NDArray[np.bool_]],
    touch_journey: list[IntArray],
    touch_step: list[IntArray],
    touch_channel: list[IntArray],
) -> SimulatedJourneys:
    """Renumber journeys by (person, index) and sort touches by (journey, step)."""
    person = np.concatenate(journey_person)
    index = np.concatenate(journey_index)
    converted = np.concatenate(journey_converted)
    order = np.lexsort((index, person))
    new_id = np.empty_like(order)
    new_id[order] = np.arange(order.size)
    journeys = new_id[np.concatenate(touch_journey)]
    steps = np.concatenate(touch_step)
    channels = np.concatenate(touch_channel)
    touch_order = np.lexsort((steps, journeys))
    journeys = journeys[touch_order]
    counts = np.bincount(journeys, minlength=order.size).astype(np.int64)
    first_touch = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    return SimulatedJourneys(
        person=person[order],
        index=index[order],
        touches=counts,
        converted=converted[order],
        first_touch=first_touch,
        touch_channel=channels[touch_order],
        touch_journey=journeys,
    )


def pooled_start(starts: FloatArray, shares: FloatArray, journey_counts: FloatArray) -> FloatArray:
    """The start distribution of the pooled journeys: personas weighted by share times expected journeys."""
    weights = shares * journey_counts
    pooled = weights @ starts
    return np.asarray(pooled / pooled.sum(), dtype=np.float64)


def expected_journeys(chain: MarkovChain, start: FloatArray, max_journeys: int) -> float:
    """Expected journeys per person: 1 + p + ... + p^(K-1) for conversion probability p."""
    p = chain.conversion_probability(start)
    return float(sum(p**k for k in range(max_journeys)))


def as_json_matrix(chain: MarkovChain) -> dict[str, Any]:
    """The transition matrix with conversion and null columns, as nested dicts for params.json."""
    columns = (*chain.channels, CONVERSION, NULL)
    full = chain.full_matrix()
    return {
        source: {target: round(float(full[i, j]), 12) for j, target in enumerate(columns) if full[i, j] > 0}
        for i, source in enumerate(chain.channels)
    }
