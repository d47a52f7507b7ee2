"""The fast routes of issue 4's speed work give what the previous formulations gave.

Reading a paths table splits the raw bytes and proves paths distinct on their channel codes; the
heuristics credit one touch per path or one weight per path; Markov sums transition
counts densely and solves small chains with a dense LU; Shapley sums over coalitions
held as bit masks. Each is compared here with the formulation it replaced, on random
input: bit for bit where the same floating-point operations run in the same order,
to 1e-12 where a different (equally exact) solver runs.
"""

from __future__ import annotations

from unittest import mock

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import CHANNELS, path_rows, path_set

from jejak.attribution import heuristics, pathset
from jejak.attribution import markov as markov_module
from jejak.attribution import shapley as shapley_module
from jejak.attribution.credit import Credit
from jejak.attribution.pathset import PathSet, dense_ranks
from jejak.core.errors import InputFileError

# Names with the awkward parts: spaces inside and around, non-ASCII, a separator's characters.
NAMES = [*CHANNELS, "x y", " Email", "Direct ", "\u00a0Ωmega", "a-", "-", ""]
SEPARATORS = [">", " > ", "->", "|", "Ω", "ab", "aa"]


@st.composite
def path_tables(draw: st.DrawFn) -> tuple[pa.Table, str]:
    """A paths table as users write them: stray spaces, repeated paths, now and then an empty channel."""
    separator = draw(st.sampled_from(SEPARATORS))
    rows = draw(
        st.lists(
            st.lists(st.sampled_from(NAMES), min_size=1, max_size=5).map(
                lambda names: separator.join(names) if len(names) > 1 else names[0]
            ),
            min_size=1,
            max_size=12,
        )
    )
    if draw(st.booleans()):
        rows = [row.replace(separator, f" {separator}  ") for row in rows]
    counts = st.integers(min_value=0, max_value=9)
    table = pa.table(
        {
            "path": pa.array(rows, pa.string()),
            "conversions": draw(st.lists(counts, min_size=len(rows), max_size=len(rows))),
            "non_conversions": draw(st.lists(counts, min_size=len(rows), max_size=len(rows))),
            "revenue": [float(i) for i in range(len(rows))],
        }
    )
    return (table.slice(1) if len(rows) > 1 and draw(st.booleans()) else table), separator


def _read(table: pa.Table, separator: str) -> PathSet | str:
    try:
        return PathSet.from_arrow(table, separator=separator)
    except InputFileError as error:
        return str(error)


def _same_paths(fast: PathSet | str, previous: PathSet | str) -> None:
    if isinstance(previous, str) or isinstance(fast, str):
        assert fast == previous
        return
    assert fast.channels == previous.channels
    for field in ("offsets", "touches", "conversions", "non_conversions", "revenue"):
        assert np.array_equal(getattr(fast, field), getattr(previous, field)), field


@settings(max_examples=150, deadline=None)
@given(path_tables())
def test_the_byte_split_reads_a_paths_table_as_arrows_split_and_merge_did(table_and_separator: tuple) -> None:
    table, separator = table_and_separator
    fast = _read(table, separator)
    with mock.patch.object(pathset, "_split_paths", return_value=None):
        previous = _read(table, separator)
    _same_paths(fast, previous)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.integers(min_value=0, max_value=299), min_size=1, max_size=4), min_size=1, max_size=8))
def test_paths_are_distinct_exactly_when_no_two_have_the_same_channels(walks: list[list[int]]) -> None:
    # Up to 256 channels a touch is one byte, beyond two: 300 channels take the wide route.
    for channels in (300, 1 + max(max(walk) for walk in walks)):
        offsets = np.concatenate([[0], np.cumsum([len(walk) for walk in walks])]).astype(np.int64)
        zeros = np.zeros(len(walks))
        paths = PathSet(
            tuple(f"c{i:03d}" for i in range(channels)),
            offsets,
            np.array([c for walk in walks for c in walk], dtype=np.int64),
            zeros,
            zeros,
            zeros,
        )
        assert pathset._all_distinct(paths) == (len({tuple(walk) for walk in walks}) == len(walks))


def test_an_empty_channel_is_named_with_its_row_by_either_route() -> None:
    table = pa.table({"path": ["a > b", "a>b", "c >"], "conversions": [1, 2, 3], "non_conversions": [0, 1, 0]})
    with pytest.raises(InputFileError, match=r"row 3: the path 'c >' has an empty channel"):
        PathSet.from_arrow(table)
    with mock.patch.object(pathset, "_split_paths", return_value=None), pytest.raises(InputFileError, match="row 3"):
        PathSet.from_arrow(table)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=50), max_size=40), st.booleans())
def test_dense_ranks_are_numpys_unique(codes: list[int], large: bool) -> None:
    array = np.array(codes, dtype=np.int64) + (1 << 40 if large else 0)
    distinct, rank = dense_ranks(array)
    expected, inverse = np.unique(array, return_inverse=True)
    assert np.array_equal(distinct, expected) and np.array_equal(rank, inverse.ravel())


# --------------------------------------------------------------------------- the previous heuristics


def _per_touch(model: str, paths: PathSet, weights: np.ndarray) -> Credit:
    """The previous credit: every touch's weight times its path's counts, summed by channel."""
    path, size = paths.path_of_touch, len(paths.channels)
    conversions = np.bincount(paths.touches, weights=weights * paths.conversions[path], minlength=size)
    revenue = np.bincount(paths.touches, weights=weights * paths.revenue[path], minlength=size)
    return Credit(model, paths.channels, conversions, revenue)


def _previous_heuristics(paths: PathSet) -> list[Credit]:
    length = paths.lengths[paths.path_of_touch].astype(np.float64)
    position = paths.position
    first = (position == 0).astype(np.float64)
    last = (position == length - 1).astype(np.float64)
    direct = paths.channels.index("Direct") if "Direct" in paths.channels else -1
    candidate = np.where(paths.touches != direct, np.arange(len(paths.touches)), -1)
    chosen = np.full(paths.paths, -1)
    np.maximum.at(chosen, paths.path_of_touch, candidate)
    chosen = np.where(chosen >= 0, chosen, paths.offsets[1:] - 1)
    non_direct = np.zeros(len(paths.touches))
    non_direct[chosen[paths.lengths > 0]] = 1.0
    middle = (1.0 - 0.4 - 0.4) / np.maximum(length - 2, 1)
    positioned = np.where(position == 0, 0.4, np.where(last == 1, 0.4, middle))
    positioned = np.where(length == 1, 1.0, np.where(length == 2, 0.5, positioned))
    return [
        _per_touch("first_touch", paths, first),
        _per_touch("last_touch", paths, last),
        _per_touch("last_non_direct", paths, non_direct),
        _per_touch("linear", paths, 1.0 / length),
        _per_touch("position_based", paths, positioned),
    ]


@settings(max_examples=80, deadline=None)
@given(path_rows, st.sampled_from([0, 1, heuristics.STEPS_BACK]))
def test_heuristics_equal_the_per_touch_formulation_bit_for_bit(
    rows: list[tuple[list[str], int, int, float]], steps_back: int
) -> None:
    # last_non_direct steps back touch by touch, then scans what is left: both parts, whatever the path lengths.
    paths = path_set(rows)
    with mock.patch.object(heuristics, "STEPS_BACK", steps_back):
        found = [
            heuristics.first_touch(paths),
            heuristics.last_touch(paths),
            heuristics.last_non_direct(paths),
            heuristics.linear(paths),
            heuristics.position_based(paths),
        ]
    for credit, previous in zip(found, _previous_heuristics(paths), strict=True):
        assert np.array_equal(credit.conversions, previous.conversions), credit.model
        assert np.array_equal(credit.revenue, previous.revenue), credit.model


# --------------------------------------------------------------------------- Markov and Shapley


@settings(max_examples=40, deadline=None)
@given(path_rows, st.integers(min_value=1, max_value=4))
def test_dense_transition_counts_and_dense_solves_equal_the_sparse_ones(
    rows: list[tuple[list[str], int, int, float]], order: int
) -> None:
    paths = path_set(rows)
    fast = markov_module.markov(paths, order=order)
    with (
        mock.patch.object(markov_module, "DENSE_COUNT_CELLS", 0),
        mock.patch.object(markov_module, "DENSE_SOLVE_STATES", 0),
    ):
        sparse = markov_module.markov(paths, order=order)
        chain = markov_module.fit_chain(paths, order)
    dense_chain = markov_module.fit_chain(paths, order)
    assert (dense_chain.transient != chain.transient).nnz == 0
    assert np.array_equal(dense_chain.to_conversion, chain.to_conversion)
    assert fast.conversion_probability == pytest.approx(sparse.conversion_probability, abs=1e-12)
    assert fast.removal_effects == pytest.approx(sparse.removal_effects, abs=1e-12)


@settings(max_examples=80, deadline=None)
@given(path_rows)
def test_shapley_over_masks_equals_shapley_over_touches_bit_for_bit(
    rows: list[tuple[list[str], int, int, float]],
) -> None:
    paths = path_set(rows)
    masks = shapley_module.shapley(paths)
    touches = shapley_module._shapley_by_touches(paths)
    assert np.array_equal(masks.values, touches.values)
    assert masks.coalitions == touches.coalitions
    assert np.array_equal(masks.credit.conversions, touches.credit.conversions)


# --------------------------------------------------------------------------- the bootstrap


@settings(max_examples=60, deadline=None)
@given(path_rows, st.integers(min_value=0, max_value=2**32 - 1))
def test_counting_picks_per_unit_draws_what_looking_up_each_picks_category_drew(
    rows: list[tuple[list[str], int, int, float]], seed: int
) -> None:
    from jejak.attribution.uncertainty import Resampler

    paths = path_set(rows)
    conversions, non_conversions = Resampler(paths)(np.random.default_rng(seed))
    # The previous formulation: one entry per journey naming its category, each pick looked up, counted per category.
    counts = np.concatenate([paths.conversions, paths.non_conversions]).astype(np.int64)
    units = np.repeat(np.arange(counts.size), counts)
    rng = np.random.default_rng(seed)
    previous = np.bincount(units[rng.integers(0, units.size, size=units.size)], minlength=counts.size)
    if units.size == 0:
        previous = counts
    assert np.array_equal(conversions, previous[: paths.paths])
    assert np.array_equal(non_conversions, previous[paths.paths :])


@settings(max_examples=40, deadline=None)
@given(path_rows, st.integers(min_value=1, max_value=4), st.integers(min_value=0, max_value=2**32 - 1))
def test_a_resample_fitted_on_the_kept_chain_shape_equals_a_fresh_fit(
    rows: list[tuple[list[str], int, int, float]], order: int, seed: int
) -> None:
    from jejak.attribution.uncertainty import resample

    paths = path_set(rows)
    shape = markov_module.chain_shape(paths, order, with_steps=True)  # counts by sparse product: the bootstrap route
    drawn = resample(paths, np.random.default_rng(seed))
    kept = markov_module.fit_chain(drawn, order, shape=shape)
    fresh = markov_module.fit_chain(drawn, order)
    assert (kept.transient != fresh.transient).nnz == 0
    assert np.array_equal(kept.to_conversion, fresh.to_conversion)
    assert np.array_equal(kept.contains, fresh.contains)
    # A shape made for other touches is not used.
    other = path_set([(["Email", *path], conv, lost, value) for path, conv, lost, value in rows])
    assert not shape.fits(other)
    assert np.array_equal(
        markov_module.fit_chain(other, order, shape=shape).to_conversion,
        markov_module.fit_chain(other, order).to_conversion,
    )
