"""Random unique-path sets for property tests, and an independent Markov reference."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import strategies as st

from jejak.attribution.pathset import PathSet

CHANNELS = ["Direct", "Email", "Instagram", "Organic Search", "Tokopedia", "WhatsApp"]

path_rows = st.lists(
    st.tuples(
        st.lists(st.sampled_from(CHANNELS), min_size=1, max_size=6),
        st.integers(min_value=0, max_value=20),
        st.integers(min_value=0, max_value=20),
        st.floats(min_value=0, max_value=1e6, allow_nan=False),
    ),
    min_size=1,
    max_size=25,
)


def path_set(rows: list[tuple[list[str], int, int, float]]) -> PathSet:
    # Revenue only where something converted, as in real data.
    return PathSet.from_rows([(path, conv, lost, value if conv else 0.0) for path, conv, lost, value in rows])


def reference_markov(rows: list[tuple[list[str], int, int, float]], order: int) -> tuple[float, dict[str, float]]:
    """Conversion probability and removal effects from a dense fundamental matrix, built with plain dicts.

    Written independently of jejak.attribution.markov: states are tuples of the last
    `order` channels, removal redirects every transition into a state holding the
    channel to NULL, and absorption is B = (I - Q)⁻¹ R with a dense inverse.
    """
    counts: dict[tuple[object, object], float] = {}
    for path, converted, lost, _ in rows:
        journeys = converted + lost
        if not journeys:
            continue
        states = [tuple(path[max(0, i - order + 1) : i + 1]) for i in range(len(path))]
        walk: list[object] = ["START", *states]
        for a, b in itertools.pairwise(walk):
            counts[(a, b)] = counts.get((a, b), 0.0) + journeys
        counts[(walk[-1], "CONV")] = counts.get((walk[-1], "CONV"), 0.0) + converted
        counts[(walk[-1], "NULL")] = counts.get((walk[-1], "NULL"), 0.0) + lost
    channels = sorted({c for path, *_ in rows for c in path})
    if not counts:
        return 0.0, dict.fromkeys(channels, 0.0)
    transient = sorted({a for a, _ in counts}, key=repr)
    index = {state: i for i, state in enumerate(transient)}

    def absorb(removed: str | None) -> float:
        size = len(transient)
        q = np.zeros((size, size))
        r = np.zeros(size)
        totals = np.zeros(size)
        for (a, _), weight in counts.items():
            totals[index[a]] += weight
        for (a, b), weight in counts.items():
            if b == "CONV":
                r[index[a]] += weight / totals[index[a]]
            elif b != "NULL" and not (removed is not None and isinstance(b, tuple) and removed in b):
                q[index[a], index[b]] += weight / totals[index[a]]
        fundamental = np.linalg.inv(np.eye(size) - q)
        return float((fundamental @ r)[index["START"]])

    total = absorb(None)
    effects = {c: (1.0 - absorb(c) / total) if total else 0.0 for c in channels}
    return total, effects
