"""Markov-chain attribution of order k, solved exactly.

The chain: a journey walks START → its touches → CONVERSION or NULL. For order k a
state is the last k channels seen (shorter at the start of a path: a path's first
state is its first channel alone), so order 1 is the usual channel-to-channel chain.
Transition counts come from the unique paths, each weighted by its journeys.

Conversion probability is the chance to be absorbed in CONVERSION from START:
with Q the transient-to-transient probabilities and r the one-step conversion
probabilities, x = (I - Q)⁻¹ r, found by one sparse LU solve (scipy), never by
simulation or matrix powers. Removing a channel turns every state that contains it
into NULL (those states' x is 0), which is the same solve on the remaining states.

Removal effect of channel c: RE(c) = 1 - P(conversion without c) / P(conversion).
Credit: removal effects normalised to sum to 1, times total conversions (and
revenue): ChannelAttribution's "global" convention.

What removal effects measure: how much of the observed conversion probability runs
through paths that contain the channel. They describe the paths; they do not
measure what the channel causes. A holdout test (issue 7, messaging) measures
incremental effect; this does not.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from jejak.attribution.credit import Credit, credit_from_scores
from jejak.attribution.pathset import BoolArray, FloatArray, IntArray, PathSet, dense_ranks
from jejak.core.errors import SettingError

MAX_ORDER = 4
# Up to this many states a direct solve is fastest; above, BiCGSTAB / GMRES (see _absorption).
DIRECT_SOLVE_STATES = 2000
# Among direct solves, up to this many states a dense LU (LAPACK): a dozen-state chain (order 1) is
# solved in microseconds, where each sparse LU call costs a fraction of a millisecond in overhead.
DENSE_SOLVE_STATES = 200
# Transition counts are summed in a dense (states × states) array up to this many cells (32 MB).
DENSE_COUNT_CELLS = 1 << 22
# How engine-side transition counts name states and absorbing steps (see transitions.py).
START_STATE = "(start)"
CONVERSION = "(conversion)"
NULL = "(null)"
STATE_SEPARATOR = " > "


@dataclass(frozen=True)
class MarkovResult:
    """Credit with the removal effects and the chain's size."""

    credit: Credit
    removal_effects: FloatArray  # per channel, in the path set's order
    conversion_probability: float
    states: int
    order: int


def _state_codes(paths: PathSet, order: int) -> tuple[IntArray, int]:
    """For every touch, an integer naming its state: the last `order` channels, most recent first, base B digits."""
    base = len(paths.channels) + 1
    if base**order >= 2**62:
        raise SettingError(
            f"Markov order {order} with {len(paths.channels)} channels has too many possible states to number. "
            "Use a lower order or group channels."
        )
    codes = paths.touches + 1  # the touch itself: digit 0 is never 0
    if order > 1:
        position = paths.position
        for back in range(1, order):
            # The channel `back` touches earlier in the same path (digit 0 when the path is shorter).
            has = np.flatnonzero(position >= back)
            earlier = np.zeros(len(paths.touches), dtype=np.int64)
            earlier[has] = paths.touches[has - back] + 1
            codes += earlier * base**back
    return codes, base


@dataclass(frozen=True)
class Chain:
    """An absorbing chain fitted to paths: transient states 0..S-1 and START = S (the last row)."""

    order: int
    transient: sp.csr_matrix  # (S+1) × (S+1) transition probabilities among transient states
    to_conversion: FloatArray  # (S+1) one-step probabilities of converting
    contains: BoolArray  # (S) × channels: which channels each state holds


def _chain(order: int, counts: sp.csr_matrix, converted: FloatArray, lost: FloatArray, contains: BoolArray) -> Chain:
    """Probabilities from counts: each row divided by all that leaves the state (onwards, converting, lost)."""
    size = counts.shape[0]
    totals = np.asarray(counts.sum(axis=1)).ravel() + converted + lost
    scale = np.divide(1.0, totals, out=np.zeros(size), where=totals > 0)
    transient = sp.csr_matrix(sp.diags(scale) @ counts)
    return Chain(order, transient, converted * scale, contains)


def _check_order(order: int) -> None:
    if not 1 <= order <= MAX_ORDER:
        raise SettingError(f"Markov order {order} is not supported. Expected 1 to {MAX_ORDER} (or 'auto').")


@dataclass(frozen=True)
class ChainShape:
    """What a chain fitted to a path set is made of besides the counts: every touch's state, where paths start
    and end, which channels each state holds. Resamples of a path set (`PathSet.with_counts`) share its touches,
    so they share its shape: the bootstrap numbers states once and only sums new counts each time.
    """

    order: int
    touches: IntArray  # the touches this shape was made for (resamples share the array)
    state: IntArray  # per touch
    path_of_touch: IntArray
    present: BoolArray  # paths with at least one touch
    first: IntArray  # first and last touch of each present path
    last: IntArray
    contains: BoolArray  # states × channels
    # For a shape fitted many times (the bootstrap's), the steps every path takes, once: cell `cells[k]`
    # (state · size + next state, START's first steps included) is stepped `steps[k, p]` times by each journey
    # of path p, so a resample's transition counts are one sparse product with its journeys per path. Numbering
    # them costs more than one count over the touches, so a single fit goes without (None).
    cells: IntArray | None = None
    steps: sp.csr_matrix | None = None

    @property
    def start(self) -> int:
        return len(self.contains)

    def fits(self, paths: PathSet) -> bool:
        return paths.touches is self.touches


def chain_shape(paths: PathSet, order: int, *, with_steps: bool = False) -> ChainShape:
    """Number the states of a path set's touches for a chain of `order` (and, `with_steps`, every path's steps)."""
    _check_order(order)
    codes, base = _state_codes(paths, order)
    unique_codes, state = dense_ranks(codes)
    present = paths.lengths > 0
    first = paths.offsets[:-1][present]
    last = paths.offsets[1:][present] - 1
    contains = _channels_in_states(unique_codes, base, order, len(paths.channels))
    shape = ChainShape(order, paths.touches, state, paths.path_of_touch, present, first, last, contains)
    if not with_steps:
        return shape
    size = len(unique_codes) + 1
    start = size - 1
    onwards = np.ones(len(state), dtype=bool)
    onwards[last] = False  # a path's last touch steps to conversion or null, not to the next path's first touch
    inner = np.flatnonzero(onwards)
    cell_codes = np.concatenate([start * size + state[first], state[inner] * size + state[inner + 1]])
    walked_by = np.concatenate([np.flatnonzero(present), paths.path_of_touch[inner]])
    cells, slot = np.unique(cell_codes, return_inverse=True)
    steps = sp.csr_matrix(
        (np.ones(len(slot)), (slot.ravel(), walked_by)), shape=(len(cells), paths.paths)
    )  # repeated (cell, path) entries are summed: a path that takes a step twice
    return dataclasses.replace(shape, cells=cells.astype(np.int64), steps=steps)


def fit_chain(paths: PathSet, order: int = 1, *, shape: ChainShape | None = None) -> Chain:
    """The chain of `order` fitted to a path set (transition counts from the paths, in numpy).

    `shape`: the path set's `chain_shape`, when the caller keeps it (a resample of the same paths).
    """
    if shape is None or not shape.fits(paths) or shape.order != order:
        shape = chain_shape(paths, order)
    start = shape.start
    size = start + 1
    walkers = paths.conversions + paths.non_conversions
    if shape.cells is not None and shape.steps is not None:
        counts = _counts_from_cells(shape.cells, shape.steps @ walkers, size)
    else:
        journeys = walkers[shape.present]
        counts = _counts_by_touch(shape.state, shape.first, shape.last, walkers[shape.path_of_touch], journeys, start)
    ends = shape.state[shape.last]
    converted = np.bincount(ends, weights=paths.conversions[shape.present], minlength=size).astype(np.float64)
    lost = np.bincount(ends, weights=paths.non_conversions[shape.present], minlength=size).astype(np.float64)
    return _chain(order, counts, converted, lost, shape.contains)


def _counts_by_touch(
    state: IntArray, first: IntArray, last: IntArray, walked: FloatArray, journeys: FloatArray, start: int
) -> sp.csr_matrix:
    """Journeys per (state, next state): START to each path's first state, then every touch to the next.

    `walked` is the journeys of each touch's path, a fresh array of the caller's: its entries at
    `last` are set to 0 here (no step follows a path's last touch). A small chain sums the steps with one
    `np.bincount` over (state, next) cells; a large one (more cells than is worth a dense
    array) goes through scipy's COO to CSR conversion, which sorts.
    """
    size = start + 1
    steps = walked
    steps[last] = 0.0  # a path's last touch steps to conversion or null, not to the next path's first touch
    if size * size <= DENSE_COUNT_CELLS:
        # The step from a path's last touch to the next path's first adds 0.0 to some cell: no change.
        cells = np.zeros(size * size)
        cells += np.bincount(state[:-1] * size + state[1:], weights=steps[:-1], minlength=size * size)
        # START's row holds only the first steps, which no touch-to-touch step reaches: the cells do not overlap.
        cells += np.bincount(start * size + state[first], weights=journeys, minlength=size * size)
        return sp.csr_matrix(cells.reshape(size, size))
    onwards = np.ones(len(state), dtype=bool)
    onwards[last] = False
    inner = np.flatnonzero(onwards)
    rows = np.concatenate([np.full(len(first), start), state[inner]])
    cols = np.concatenate([state[first], state[inner + 1]])
    values = np.concatenate([journeys, steps[inner]])
    return sp.csr_matrix((values, (rows, cols)), shape=(size, size))


def _counts_from_cells(cells: IntArray, journeys: FloatArray, size: int) -> sp.csr_matrix:
    """The (state, next state) matrix of the journeys that took each step (`cells`: state · size + next).

    A small chain is filled densely and converted (zeros dropped); a large one (more cells than is worth a
    dense array) goes through scipy's COO to CSR conversion.
    """
    if size * size <= DENSE_COUNT_CELLS:
        dense = np.zeros(size * size)
        dense[cells] = journeys
        return sp.csr_matrix(dense.reshape(size, size))
    return sp.csr_matrix((journeys, (cells // size, cells % size)), shape=(size, size))


def chain_from_counts(counts: pa.Table, channels: Sequence[str], order: int) -> Chain:
    """The chain from transition counts aggregated on the engine (`transitions.transition_counts`).

    `counts` has one row per (state, next) with the journeys that took the step; states
    are channel names joined by the separator, the start is START_STATE, and next is a
    channel, CONVERSION or NULL.
    """
    _check_order(order)
    index = {name: position for position, name in enumerate(channels)}
    states: dict[tuple[int, ...], int] = {}

    def state_of(names: tuple[int, ...]) -> int:
        return states.setdefault(names[-order:], len(states))

    rows: list[tuple[tuple[int, ...] | None, str, float]] = []
    for state, following, journeys in zip(
        counts.column("state").to_pylist(),
        counts.column("next").to_pylist(),
        counts.column("journeys").to_pylist(),
        strict=True,
    ):
        key = None if state == START_STATE else tuple(index[name] for name in state.split(STATE_SEPARATOR))
        if key is not None:
            state_of(key)
        rows.append((key, following, float(journeys)))
    for key, following, _ in rows:
        if following not in (CONVERSION, NULL):
            state_of((*key, index[following]) if key else (index[following],))
    start = len(states)
    size = start + 1
    converted = np.zeros(size)
    lost = np.zeros(size)
    sources, targets, values = [], [], []
    for key, following, journeys in rows:
        source = start if key is None else states[key[-order:]]
        if following == CONVERSION:
            converted[source] += journeys
        elif following == NULL:
            lost[source] += journeys
        else:
            sources.append(source)
            targets.append(state_of((*key, index[following]) if key else (index[following],)))
            values.append(journeys)
    matrix = sp.csr_matrix((values, (sources, targets)), shape=(size, size))
    contains = np.zeros((start, len(channels)), dtype=bool)
    for key, position in states.items():
        contains[position, list(key)] = True
    return _chain(order, matrix, converted, lost, contains)


def _channels_in_states(codes: IntArray, base: int, order: int, channels: int) -> BoolArray:
    """A (states × channels) boolean matrix: which channels each state contains."""
    contains = np.zeros((len(codes), channels), dtype=bool)
    remaining = codes.copy()
    for _ in range(order):
        digit = remaining % base
        remaining //= base
        present = digit > 0
        contains[np.flatnonzero(present), digit[present] - 1] = True
    return contains


def _absorption(
    transient: sp.csr_matrix, to_conversion: FloatArray, keep: BoolArray, guess: FloatArray | None = None
) -> tuple[float, FloatArray]:
    """P(conversion) from START (the last state) when only `keep` states stay (the others lead to NULL).

    Returns it with the whole solution, which seeds the next solve. Small chains use a
    direct sparse LU. Large ones use BiCGSTAB (GMRES if it breaks down) to a relative
    residual of 1e-13: a sparse LU
    of a chain whose states reach many others (order 3 and 4) fills in towards a dense
    matrix (minutes at 8k states), while a Krylov solve takes milliseconds. Both solve
    the same linear system to machine precision; neither simulates.
    """
    kept = np.flatnonzero(keep)
    system = (sp.identity(len(kept), format="csr") - transient[kept][:, kept]).tocsr()
    rhs = to_conversion[kept]
    if len(kept) <= DIRECT_SOLVE_STATES:
        solution = np.atleast_1d(spla.spsolve(system.tocsc(), rhs))
    else:
        start = None if guess is None else guess[kept]
        # Jacobi preconditioning: the diagonal of I - Q (1 minus any self-loop).
        diagonal = system.diagonal()
        preconditioner = sp.diags(np.divide(1.0, diagonal, out=np.ones_like(diagonal), where=diagonal != 0))
        # Each answer is checked by its own residual: BiCGSTAB can break down, and SciPy's can then report
        # success on a wrong vector. GMRES next, then the direct solve, rather than anything inexact.
        solution, _ = spla.bicgstab(system, rhs, x0=start, rtol=1e-13, atol=0.0, maxiter=5000, M=preconditioner)
        if not _solved(system, solution, rhs):
            solution, _ = spla.gmres(system, rhs, x0=start, rtol=1e-13, atol=0.0, restart=50, maxiter=2000)
        if not _solved(system, solution, rhs):
            solution = np.atleast_1d(spla.spsolve(system.tocsc(), rhs))
    full = np.zeros(len(keep))
    full[kept] = solution
    return float(solution[-1]), full


def _solved(system: sp.csr_matrix, solution: FloatArray, rhs: FloatArray) -> bool:
    """Whether `solution` solves the system to 1e-12 (relative to the right-hand side, or absolute when it is 0)."""
    residual = float(np.linalg.norm(system @ solution - rhs))
    return bool(np.isfinite(residual)) and residual <= 1e-12 * max(float(np.linalg.norm(rhs)), 1.0)


def solve(chain: Chain) -> tuple[float, FloatArray]:
    """P(conversion) from START, and every channel's removal effect (exact solves).

    Removing a channel removes states (a different matrix each time, not another right-hand
    side), so each removal is its own solve: a dense LU for small chains, sparse ones above.
    """
    size = chain.transient.shape[0]
    everything = np.ones(size, dtype=bool)
    if size <= min(DENSE_SOLVE_STATES, DIRECT_SOLVE_STATES):
        system = np.identity(size) - chain.transient.toarray()

        def absorb(keep: BoolArray, guess: FloatArray | None = None) -> tuple[float, FloatArray]:
            return _dense_absorption(system, chain.to_conversion, keep)
    else:

        def absorb(keep: BoolArray, guess: FloatArray | None = None) -> tuple[float, FloatArray]:
            return _absorption(chain.transient, chain.to_conversion, keep, guess=guess)

    total, solution = absorb(everything)
    effects = np.zeros(chain.contains.shape[1])
    if total > 0:
        for channel in range(len(effects)):
            keep = everything.copy()
            keep[:-1] = ~chain.contains[:, channel]
            removed, _ = absorb(keep, solution)
            effects[channel] = 1.0 - removed / total
    # Rounding can leave -1e-17 where a channel changes nothing.
    return total, np.clip(effects, 0.0, 1.0)


def _dense_absorption(system: FloatArray, to_conversion: FloatArray, keep: BoolArray) -> tuple[float, FloatArray]:
    """`_absorption` for a small chain: `system` is I - Q as a dense array, solved by LAPACK's LU."""
    kept = np.flatnonzero(keep)
    solution = np.linalg.solve(system[np.ix_(kept, kept)], to_conversion[kept])
    full = np.zeros(len(keep))
    full[kept] = solution
    return float(solution[-1]), full


def markov(
    paths: PathSet, *, order: int = 1, chain: Chain | None = None, shape: ChainShape | None = None
) -> MarkovResult:
    """Removal effects and credit for every channel (see the module docstring).

    `chain` is the same chain fitted elsewhere (from engine counts); by default it is fitted here (with `shape`,
    the path set's `chain_shape`, when the caller keeps one).

    Example (Instagram opens every converting path; Direct alone never converts). Order 1
    forgets where a Direct visit came from, so it keeps half the conversions without
    Instagram; order 2 remembers, and all of them depend on Instagram:
        >>> paths = PathSet.from_rows([(["Instagram", "Direct"], 3, 1, 0.0), (["Direct"], 0, 4, 0.0)])
        >>> dict(zip(paths.channels, markov(paths, order=1).removal_effects.round(3).tolist()))
        {'Direct': 1.0, 'Instagram': 0.5}
        >>> dict(zip(paths.channels, markov(paths, order=2).removal_effects.round(3).tolist()))
        {'Direct': 1.0, 'Instagram': 1.0}
    """
    fitted = chain if chain is not None else fit_chain(paths, order, shape=shape)
    total, effects = solve(fitted)
    credit = credit_from_scores(f"markov_{fitted.order}", paths, effects)
    return MarkovResult(credit, effects, total, fitted.transient.shape[0] - 1, fitted.order)


@dataclass(frozen=True)
class OrderChoice:
    """The order chosen and each candidate's held-out log-likelihood per transition."""

    order: int
    log_likelihood: dict[int, float]
    train_share: float


def _transitions(paths: PathSet, order: int) -> tuple[IntArray, IntArray, IntArray, IntArray, FloatArray]:
    """Every transition of every path: (state code, last channel, next symbol, journeys, the path index).

    Symbols are channels 0..n-1, then CONVERSION = n and NULL = n + 1; START has state -1.
    Weights are per path: every step but the last is walked by all its journeys; the last
    step splits into its conversions and its non-conversions (two rows).
    """
    codes, _ = _state_codes(paths, order)
    channels = len(paths.channels)
    present = paths.lengths > 0
    first = paths.offsets[:-1][present]
    last = paths.offsets[1:][present] - 1
    is_last = np.zeros(len(paths.touches), dtype=bool)
    is_last[last] = True
    inner = np.flatnonzero(~is_last)
    path = paths.path_of_touch
    index = np.flatnonzero(present)
    state = np.concatenate([np.full(len(first), -1), codes[inner], codes[last], codes[last]])
    recent = np.concatenate([np.full(len(first), -1), paths.touches[inner], paths.touches[last], paths.touches[last]])
    symbol = np.concatenate(
        [paths.touches[first], paths.touches[inner + 1], np.full(len(last), channels), np.full(len(last), channels + 1)]
    )
    owner = np.concatenate([index, path[inner], path[last], path[last]])
    kind = np.concatenate(
        [np.zeros(len(first)), np.zeros(len(inner)), np.ones(len(last)), np.full(len(last), 2.0)]
    )  # 0: all journeys, 1: conversions, 2: non-conversions
    return state, recent, symbol, owner, kind


def choose_order(
    paths: PathSet, *, orders: tuple[int, ...] = (1, 2, 3, 4), train_share: float = 0.8, seed: int = 0
) -> OrderChoice:
    """The Markov order whose chain best predicts held-out journeys.

    Journeys are split at random (seeded) into a training and a held-out part. Each
    order's chain is fitted on the training part and scored by the log-likelihood of the
    held-out journeys' steps. Unseen steps get probability from an order-1 chain, itself
    smoothed towards uniform (add-one interpolation), so a higher order wins only when its
    longer memory predicts better than it overfits. Held-out likelihood is chosen over
    penalised AUC because it scores the chain itself, every step, not one yes/no at the end.
    """
    rng = np.random.default_rng(seed)
    train_conversions = rng.binomial(paths.conversions.astype(np.int64), train_share).astype(np.float64)
    train_non_conversions = rng.binomial(paths.non_conversions.astype(np.int64), train_share).astype(np.float64)
    test_conversions = paths.conversions - train_conversions
    test_non_conversions = paths.non_conversions - train_non_conversions
    symbols = len(paths.channels) + 2
    scores: dict[int, float] = {}
    for order in orders:
        state, recent, symbol, owner, kind = _transitions(paths, order)
        train = _step_weights(kind, owner, train_conversions, train_non_conversions)
        test = _step_weights(kind, owner, test_conversions, test_non_conversions)
        back_pair = _group_sum((recent + 1) * symbols + symbol, train)
        back_state = _group_sum(recent, train)
        backoff = (back_pair + 1.0 / symbols) / (back_state + 1.0)
        pair = _group_sum(np.stack([state, symbol]), train)
        whole = _group_sum(state, train)
        probability = (pair + backoff) / (whole + 1.0)
        steps = test.sum()
        scores[order] = float((test * np.log(probability)).sum() / steps) if steps else 0.0
    best = max(orders, key=lambda order: (round(scores[order], 12), -order))
    return OrderChoice(best, scores, train_share)


def _step_weights(
    kind: FloatArray, owner: IntArray, conversions: FloatArray, non_conversions: FloatArray
) -> FloatArray:
    """Journeys walking each step: all of the path's, its conversions, or its non-conversions (see _transitions)."""
    journeys = conversions + non_conversions
    weights: FloatArray = np.select(
        [kind == 0, kind == 1], [journeys[owner], conversions[owner]], non_conversions[owner]
    )
    return weights


def _group_sum(keys: IntArray, weights: FloatArray) -> FloatArray:
    """For each row, the sum of `weights` over the rows with the same key (keys: 1-D, or 2-D stacked columns)."""
    axis = 1 if keys.ndim == 2 else None
    _, inverse = np.unique(keys, axis=axis, return_inverse=True)
    inverse = inverse.ravel()
    sums: FloatArray = np.bincount(inverse, weights=weights).astype(np.float64)[inverse]
    return sums
