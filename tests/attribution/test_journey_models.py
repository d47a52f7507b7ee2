"""Time decay on real touch times from a build; bootstrap intervals; the automatic Markov order."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from conftest import Built, build_story, buy, visit

from jejak.attribution import heuristics, uncertainty
from jejak.attribution.compare import ModelOptions, attribute, comparison, model_runner
from jejak.attribution.markov import choose_order
from jejak.attribution.pathset import PathSet
from jejak.attribution.time_decay import time_decay
from jejak.attribution.uncertainty import Resampler, bootstrap, bootstrap_models, resample
from jejak.core.errors import InputFileError
from jejak.store.derived import table_path

STORY: dict[str, list[dict[str, Any]]] = {
    # Ana sees an Instagram ad 14 days before she buys, chats on WhatsApp 7 days before, and
    # buys on a Direct visit: weights 1/4, 1/2, 1 (half-life 7 days) → 1/7, 2/7, 4/7.
    "ana": [
        visit("2026-03-01 09:00", "Paid Social"),
        visit("2026-03-08 09:00", "WhatsApp"),
        visit("2026-03-15 09:00", "Direct"),
        buy("2026-03-15 09:00", 70000),
    ],
    # Budi's only touch is the day he buys.
    "budi": [visit("2026-03-20 10:00", "WhatsApp"), buy("2026-03-20 10:05", 30000)],
    # Cici never buys: her journey counts for nothing in time decay.
    "cici": [visit("2026-03-21 10:00", "Paid Social")],
}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return build_story(tmp_path_factory.mktemp("decay"), STORY)


def _journeys(built: Built) -> PathSet:
    return PathSet.from_journeys(built.table("journeys"))


def test_journeys_keep_each_touch_time_next_to_its_channel(built: Built) -> None:
    journeys = _journeys(built)
    assert journeys.paths == 3
    assert journeys.touch_seconds is not None
    assert len(journeys.touch_seconds) == len(journeys.touches)


def test_time_decay_halves_the_weight_every_half_life(built: Built) -> None:
    credit = time_decay(_journeys(built), half_life_days=7)
    # Budi's purchase is all WhatsApp's (his touch was 5 minutes before: weight ≈ 1).
    assert credit.as_dict() == pytest.approx({"Direct": 4 / 7, "Paid Social": 1 / 7, "WhatsApp": 2 / 7 + 1})
    revenue = dict(zip(credit.channels, credit.revenue.tolist(), strict=True))
    assert revenue == pytest.approx({"Direct": 40000, "Paid Social": 10000, "WhatsApp": 20000 + 30000})


def test_a_longer_half_life_flattens_the_weights(built: Built) -> None:
    # With a half-life of 70 days Ana's touches weigh 2^-0.2, 2^-0.1, 1.
    weights = np.array([2**-0.2, 2**-0.1, 1.0])
    share = weights / weights.sum()
    credit = time_decay(_journeys(built), half_life_days=70).as_dict()
    assert credit == pytest.approx({"Paid Social": share[0], "WhatsApp": share[1] + 1, "Direct": share[2]})


def test_time_decay_on_unique_paths_says_what_is_missing() -> None:
    paths = PathSet.from_rows([(["Email"], 1, 0, 0.0)])
    with pytest.raises(InputFileError, match="needs the time of every touch"):
        time_decay(paths)


def test_all_models_run_together_on_a_build(built: Built) -> None:
    paths = PathSet.from_arrow(built.table("paths"), separator=">")
    found = attribute(paths, options=ModelOptions(resamples=20), journeys=_journeys(built))
    table = comparison(found)
    models = set(table.column("model").to_pylist())
    assert models == {
        "first_touch", "last_touch", "last_non_direct", "linear", "position_based", "time_decay", "markov_1", "shapley",
    }  # fmt: skip
    for model in models:
        rows = [r for r in table.to_pylist() if r["model"] == model]
        assert sum(r["conversions"] for r in rows) == pytest.approx(2.0), model
        assert sum(r["revenue"] for r in rows) == pytest.approx(100000.0), model
        assert all(r["conversions_low"] <= r["conversions_high"] for r in rows), model


# A bigger, seeded population for the interval tests: channel A converts far more often than B.
BIG = [(["A"], 300, 700, 3000.0), (["B"], 50, 950, 500.0), (["A", "B"], 100, 100, 1000.0)]


def test_bootstrap_is_repeatable_with_its_seed_and_changes_without_it() -> None:
    paths = PathSet.from_rows(BIG)
    first = bootstrap(paths, heuristics.linear, resamples=50, seed=7)
    again = bootstrap(paths, heuristics.linear, resamples=50, seed=7)
    other = bootstrap(paths, heuristics.linear, resamples=50, seed=8)
    assert np.array_equal(first.conversions_low, again.conversions_low)
    assert not np.array_equal(first.conversions_low, other.conversions_low)


def test_models_sharing_draws_get_the_intervals_each_would_get_alone() -> None:
    paths = PathSet.from_rows(BIG)
    models = [heuristics.linear, heuristics.first_touch, heuristics.last_touch]
    shared = bootstrap_models(paths, models, resamples=40, seed=3)
    for model, interval in zip(models, shared, strict=True):
        # Each model alone, drawn the plain way: resample i from the i-th generator spawned from the seed.
        streams = np.random.SeedSequence(3).spawn(40)
        alone = np.array([model(resample(paths, np.random.default_rng(stream))).conversions for stream in streams])
        assert interval.model == model(paths).model
        # Equal but for the last bits: the shared run credits linear models with a sparse product.
        assert interval.conversions_low == pytest.approx(np.quantile(alone, 0.025, axis=0), rel=1e-12)
        assert interval.conversions_high == pytest.approx(np.quantile(alone, 0.975, axis=0), rel=1e-12)
    assert not np.array_equal(shared[1].conversions_low, shared[2].conversions_low)


def test_resamples_give_the_same_intervals_on_one_thread_or_several(monkeypatch: pytest.MonkeyPatch) -> None:
    paths = PathSet.from_rows(BIG)
    runners = [model_runner(name, ModelOptions(), 1) for name in ("linear", "markov", "shapley")]

    def run(threads: int) -> list[Any]:
        monkeypatch.setattr(uncertainty, "BOOTSTRAP_THREADS", threads)
        found = bootstrap_models(paths, runners, resamples=60, seed=5)
        return [(i.conversions_low.tolist(), i.conversions_high.tolist(), i.revenue_high.tolist()) for i in found]

    alone = run(1)
    assert run(4) == alone
    assert alone[1] != alone[2], "Markov and Shapley drew the same intervals: the models did not run"


def test_drawing_only_the_conversions_draws_them_as_the_whole_resample_does() -> None:
    # Same distribution, fewer picks: over many resamples, each path's drawn conversions have the multinomial's
    # mean (its count) and variance (journeys × p × (1 − p)), as the full draw's do.
    paths = PathSet.from_rows(BIG)
    journeys = float(paths.conversions.sum() + paths.non_conversions.sum())
    share = paths.conversions / journeys
    draws, rng = Resampler(paths), np.random.default_rng(11)
    only = np.array([draws.conversions_only(rng) for _ in range(4000)])
    full = np.array([draws(rng)[0] for _ in range(4000)])
    for drawn in (only, full):
        assert drawn.mean(axis=0) == pytest.approx(paths.conversions, rel=0.01)
        assert drawn.var(axis=0) == pytest.approx(journeys * share * (1 - share), rel=0.08)
    # Counting only the converting paths gives those paths' counts of the same draw.
    whole_draw = draws.conversions_only(np.random.default_rng(2))
    compact = draws.conversions_only(np.random.default_rng(2), converting_paths_only=True)
    assert compact.tolist() == whole_draw[draws.converting_paths].tolist()
    # And a path set in which no journey converted draws no conversion.
    assert Resampler(PathSet.from_rows([(["A"], 0, 5, 0.0)])).conversions_only(rng).tolist() == [0.0]


def test_intervals_hold_the_estimate_and_narrow_with_more_journeys() -> None:
    paths = PathSet.from_rows(BIG)
    estimate = heuristics.linear(paths).conversions
    interval = bootstrap(paths, heuristics.linear, resamples=200)
    assert np.all(interval.conversions_low <= estimate) and np.all(estimate <= interval.conversions_high)
    # A hundred times the journeys: relative width shrinks about tenfold.
    bigger = PathSet.from_rows([(p, c * 100, n * 100, r * 100) for p, c, n, r in BIG])
    wide = (interval.conversions_high - interval.conversions_low) / estimate
    big_interval = bootstrap(bigger, heuristics.linear, resamples=200)
    narrow = (big_interval.conversions_high - big_interval.conversions_low) / heuristics.linear(bigger).conversions
    assert np.all(narrow < wide / 5)


def _walks(rng: np.random.Generator, *, remembers: bool, journeys: int) -> PathSet:
    """Journeys from a planted chain: converting depends on the last channel, or on the one before too."""
    rows = []
    for _ in range(journeys):
        path = [str(rng.choice(["A", "B", "C"]))]
        while True:
            before = path[-2] if len(path) > 1 else None
            convert = 0.5 if remembers and before == "A" else (0.3 if path[-1] == "A" else 0.05)
            draw = rng.random()
            if draw < convert:
                rows.append((path, 1, 0, 0.0))
                break
            if draw < convert + 0.3:
                rows.append((path, 0, 1, 0.0))
                break
            path.append(str(rng.choice(["A", "B", "C"])))
    return PathSet.from_rows(rows)


@pytest.mark.parametrize(("remembers", "expected"), [(False, 1), (True, 2)])
def test_the_automatic_order_finds_the_planted_memory(remembers: bool, expected: int) -> None:
    paths = _walks(np.random.default_rng(1), remembers=remembers, journeys=20000)
    choice = choose_order(paths)
    assert choice.order == expected, choice.log_likelihood


def _run(built: Built, **filters: Any) -> dict[str, float]:
    from jejak.attribution.inputs import run_journeys, run_paths
    from jejak.engine import connect
    from jejak.journeys.filters import filter_journeys

    engine = connect()
    try:
        journeys = run_journeys(
            engine.read_parquet(table_path(built.project, "touchpoints")),
            engine.read_parquet(table_path(built.project, "conversions")),
            transform=filters.pop("transform", "exposure"),
            transform_channel="Direct",
            max_touches=0,
            lookback_days=filters.pop("lookback_days", 30),
        )
        paths = engine.to_pyarrow(run_paths(filter_journeys(journeys, **filters)))
    finally:
        engine.close()
    return heuristics.first_touch(PathSet.from_arrow(paths, separator=">")).as_dict()


def test_a_date_range_keeps_the_journeys_that_end_inside_it(built: Built) -> None:
    import datetime as dt

    # From 16 March: Budi's purchase (20 March) and Cici's journey without one (21 March); not Ana's (15 March).
    assert _run(built, start=dt.date(2026, 3, 16)) == {"Paid Social": 0.0, "WhatsApp": 1.0}
    assert _run(built, end=dt.date(2026, 3, 15)) == {"Paid Social": 1.0, "WhatsApp": 0.0, "Direct": 0.0}


def test_a_shorter_lookback_drops_old_touches(built: Built) -> None:
    # With 10 days, Ana's Instagram ad (14 days before) falls out: her journey opens on WhatsApp.
    assert _run(built, lookback_days=10) == {"Paid Social": 0.0, "WhatsApp": 2.0, "Direct": 0.0}


def test_a_conversion_type_filter_leaves_other_conversions_out(built: Built) -> None:
    assert _run(built, conversion_types=["purchase"]) == {"Paid Social": 0.0}
