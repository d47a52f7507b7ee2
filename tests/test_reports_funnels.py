"""Funnels: people per step in sequential, strict and any order, exclusions, breakdowns, trend and what came next."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import ibis
import pyarrow as pa
import pytest
from conftest import Built, build_story
from hypothesis import given, settings
from hypothesis import strategies as st

from jejak.analytics.funnels import Funnel, attempts, best_of_days, funnel_next, funnel_steps, funnel_trend
from jejak.core.errors import SettingError
from jejak.engine import Engine, connect

STEPS = ["Product Viewed", "Product Added", "Checkout Started", "Order Completed"]


def track(at: str, event: str, **more: Any) -> dict[str, Any]:
    return {"at": at, "type": "track", "event": event, **more}


PAGE_PATHS = {"Beranda": "/", "Tentang Kami": "/tentang"}


def page(at: str, name: str, channel: str | None = None, **more: Any) -> dict[str, Any]:
    return {"at": at, "type": "page", "event": name, "page_path": PAGE_PATHS[name], "channel": channel, **more}


STORY: dict[str, list[dict[str, Any]]] = {
    # Ana, on her phone from an Instagram ad, views, adds, checks out and buys, one step after the other.
    "ana": [
        page("2026-03-02 09:59:00", "Beranda", "Paid Social", device_type="mobile"),
        track("2026-03-02 10:00:00", "Product Viewed", device_type="mobile"),
        track("2026-03-02 10:02:00", "Product Added", device_type="mobile"),
        track("2026-03-02 10:05:00", "Checkout Started", device_type="mobile"),
        track("2026-03-02 10:10:00", "Order Completed", device_type="mobile", revenue=100000),
    ],
    # Budi, on a desktop from an e-mail, views and adds, then reads "Tentang Kami" and leaves.
    "budi": [
        page("2026-03-03 09:59:00", "Beranda", "Email", device_type="desktop"),
        track("2026-03-03 10:00:00", "Product Viewed", device_type="desktop"),
        track("2026-03-03 10:01:00", "Product Added", device_type="desktop"),
        page("2026-03-03 10:03:00", "Tentang Kami", "Email", device_type="desktop"),
    ],
    # Citra views on 1 March but adds only on 20 March, past the 14-day window; she viewed again on the
    # 19th on her phone, and that attempt reaches step 2. Nothing after her add.
    "citra": [
        page("2026-03-01 09:59:00", "Beranda", "Email", device_type="desktop"),
        track("2026-03-01 10:00:00", "Product Viewed", device_type="desktop"),
        page("2026-03-19 09:59:00", "Beranda", "Paid Social", device_type="mobile"),
        track("2026-03-19 10:00:00", "Product Viewed", device_type="mobile"),
        track("2026-03-20 10:00:00", "Product Added", device_type="mobile"),
    ],
    # Dedi adds to the cart first and views after: in order he only viewed; in any order he did two steps.
    "dedi": [
        page("2026-03-04 09:59:00", "Beranda", "Email", device_type="desktop"),
        track("2026-03-04 10:00:00", "Product Added", device_type="desktop"),
        track("2026-03-04 10:01:00", "Product Viewed", device_type="desktop"),
    ],
    # Eka views, looks at the home page, then adds, then goes back home: strict order stops her at step 1.
    "eka": [
        page("2026-03-05 09:59:00", "Beranda", "Paid Social", device_type="mobile"),
        track("2026-03-05 10:00:00", "Product Viewed", device_type="mobile"),
        page("2026-03-05 10:02:00", "Beranda", "Paid Social", device_type="mobile"),
        track("2026-03-05 10:05:00", "Product Added", device_type="mobile"),
        page("2026-03-05 10:06:00", "Beranda", "Paid Social", device_type="mobile"),
    ],
    # Fajar, on a tablet, views, adds, removes the item, checks out and buys anyway.
    "fajar": [
        page("2026-03-06 09:59:00", "Beranda", "Organic Search", device_type="tablet"),
        track("2026-03-06 10:00:00", "Product Viewed", device_type="tablet"),
        track("2026-03-06 10:03:00", "Product Added", device_type="tablet"),
        track("2026-03-06 10:05:00", "Product Removed", device_type="tablet"),
        track("2026-03-06 10:10:00", "Checkout Started", device_type="tablet"),
        track("2026-03-06 10:15:00", "Order Completed", device_type="tablet", revenue=50000),
    ],
    # Gita buys in the store: she never enters this funnel.
    "gita": [
        {"at": "2026-03-07 16:00", "type": "offline", "event": "Order Completed", "revenue": 1, "channel": "Offline Store"}
    ],
}  # fmt: skip


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return build_story(tmp_path_factory.mktemp("funnels"), STORY)


def steps(built: Built, funnel: Funnel, **options: Any) -> list[dict[str, Any]]:
    return built.report(lambda read: funnel_steps(read("events"), funnel, **options))


def people_per_step(rows: list[dict[str, Any]]) -> list[int]:
    return [row["people"] for row in rows]


def test_sequential_funnel_counts_each_person_once_with_their_best_attempt(built: Built) -> None:
    rows = steps(built, Funnel.of(STEPS))
    assert [row["step"] for row in rows] == STEPS
    # Viewed: all six who browsed; added: not Dedi (he added before viewing); checkout and order: Ana and Fajar.
    assert people_per_step(rows) == [6, 5, 2, 2]
    assert [row["dropped"] for row in rows] == [0, 1, 3, 0]
    assert [row["conversion_from_start"] for row in rows] == pytest.approx([1, 5 / 6, 2 / 6, 2 / 6])
    assert [row["conversion_from_previous"] for row in rows] == pytest.approx([1, 5 / 6, 2 / 5, 1])


def test_each_person_has_one_best_attempt(built: Built) -> None:
    chosen = built.report(lambda read: attempts(read("events"), Funnel.of(STEPS), details=True))
    assert len(chosen) == len({row["person_id"] for row in chosen}) == 6
    citra = next(row for row in chosen if row["person_id"] == built.user("citra"))
    assert (citra["steps_reached"], citra["device_type"]) == (2, "mobile")


def test_median_time_between_steps(built: Built) -> None:
    rows = steps(built, Funnel.of(STEPS))
    # Add after view: Ana 120 s, Budi 60 s, Citra 1 day, Eka 300 s, Fajar 180 s; checkout: 180 and 420 s; order: 300, 300.
    assert [row["median_seconds_from_previous"] for row in rows] == [None, 180, 300, 300]


def test_window_shorter_than_citras_day_drops_her_at_step_one(built: Built) -> None:
    rows = steps(built, Funnel.of(STEPS[:2], window_seconds=86_400 - 1))
    assert people_per_step(rows) == [6, 4]
    rows = steps(built, Funnel.of(STEPS[:2], window_seconds=86_400))
    assert people_per_step(rows) == [6, 5]


def test_strict_order_needs_each_step_right_after_the_previous(built: Built) -> None:
    rows = steps(built, Funnel.of(STEPS, order="strict"))
    # Eka had the home page in between; Fajar removed the item before checking out.
    assert people_per_step(rows) == [6, 4, 1, 1]


def test_any_order_counts_how_many_of_the_steps_people_did(built: Built) -> None:
    rows = steps(built, Funnel.of(STEPS, order="any"))
    assert [row["step"] for row in rows] == ["1 of 4 steps", "2 of 4 steps", "3 of 4 steps", "4 of 4 steps"]
    # Gita's store purchase is one of the steps; Dedi's add-then-view counts as two.
    assert people_per_step(rows) == [7, 6, 2, 2]
    assert all(row["median_seconds_from_previous"] is None for row in rows)


def test_an_exclusion_between_the_steps_takes_the_person_out(built: Built) -> None:
    rows = steps(built, Funnel.of(STEPS, exclusions=["Product Removed"]))
    assert people_per_step(rows) == [5, 4, 1, 1]


def test_the_date_range_applies_to_step_one(built: Built) -> None:
    # From 5 March: Citra (her attempt of the 19th), Eka and Fajar.
    rows = steps(built, Funnel.of(STEPS, start=dt.date(2026, 3, 5)))
    assert people_per_step(rows) == [3, 3, 1, 1]
    rows = steps(built, Funnel.of(STEPS, end=dt.date(2026, 3, 4)))
    # Up to 4 March: Ana, Budi, Citra's first attempt (only a view) and Dedi.
    assert people_per_step(rows) == [4, 2, 1, 1]


def test_a_step_is_a_page_path_or_a_page_name(built: Built) -> None:
    # Straight from the home page to an add: Dedi (at 10:00) and Eka (at 10:05).
    assert people_per_step(steps(built, Funnel.of(["page:/", "Product Added"], order="strict"))) == [6, 2]
    assert people_per_step(steps(built, Funnel.of(["Beranda", "Product Added"], order="strict"))) == [6, 2]
    assert people_per_step(steps(built, Funnel.of(["page:/tentang", "Product Added"]))) == [1, 0]


def test_breakdown_by_device_keeps_the_top_values_and_one_other(built: Built) -> None:
    rows = steps(built, Funnel.of(STEPS), breakdown="device_type", top_n=2)
    by_group: dict[str, list[int]] = {}
    for row in rows:
        by_group.setdefault(row["breakdown"], []).append(row["people"])
    # Citra's best attempt started on her phone. The one value past the top 2 is shown as itself: an Other of one
    # would hide its name and save no row.
    assert by_group == {"mobile": [3, 3, 1, 1], "desktop": [2, 1, 0, 0], "tablet": [1, 1, 1, 1]}
    assert list(by_group) == ["mobile", "desktop", "tablet"]
    top_one: dict[str, list[int]] = {}
    for row in steps(built, Funnel.of(STEPS), breakdown="device_type", top_n=1):
        top_one.setdefault(row["breakdown"], []).append(row["people"])
    assert top_one == {"mobile": [3, 3, 1, 1], "Other (2 rows, 50.0 % of people)": [3, 2, 1, 1]}
    for groups in (by_group, top_one):
        assert [sum(column) for column in zip(*groups.values(), strict=True)] == [6, 5, 2, 2]


def test_a_breakdown_in_any_order_keeps_attempts_that_began_with_a_later_step(built: Built) -> None:
    # Dedi added to the cart before he viewed: in any order his attempt begins with the add, and he is
    # still one of the people the breakdown splits.
    funnel = Funnel.of(STEPS, order="any")
    whole = people_per_step(steps(built, funnel))
    rows = steps(built, funnel, breakdown="device_type", top_n=5)
    split = [sum(row["people"] for row in rows if row["step_number"] == k) for k in range(1, len(STEPS) + 1)]
    assert split == whole


def test_breakdown_by_channel_uses_the_session_of_step_one(built: Built) -> None:
    rows = steps(built, Funnel.of(STEPS), breakdown="channel", top_n=5)
    first = {row["breakdown"]: row["people"] for row in rows if row["step_number"] == 1}
    assert first == {"Paid Social": 3, "Email": 2, "Organic Search": 1}


def test_trend_per_day_of_step_one(built: Built) -> None:
    rows = built.report(lambda read: funnel_trend(read("events"), Funnel.of(STEPS), period="day"))
    assert [(row["period"].isoformat(), row["entered"], row["completed"]) for row in rows] == [
        ("2026-03-02", 1, 1),
        ("2026-03-03", 1, 0),
        ("2026-03-04", 1, 0),
        ("2026-03-05", 1, 0),
        ("2026-03-06", 1, 1),
        ("2026-03-19", 1, 0),
    ]


def test_where_people_went_after_a_step(built: Built) -> None:
    rows = built.report(lambda read: funnel_next(read("events"), Funnel.of(STEPS), step=2))
    found = {(row["outcome"], row["next"]): row["people"] for row in rows}
    assert found == {
        ("continued", "Checkout Started"): 1,  # Ana
        ("continued", "Product Removed"): 1,  # Fajar
        ("dropped", "Tentang Kami"): 1,  # Budi
        ("dropped", "Beranda"): 1,  # Eka
        ("dropped", "(no further event)"): 1,  # Citra
    }
    shares = [row["share"] for row in rows if row["outcome"] == "dropped"]
    assert shares == pytest.approx([1 / 3] * 3)


def test_bad_funnels_are_refused_with_a_reason() -> None:
    with pytest.raises(SettingError, match="at least 2 steps"):
        Funnel.of(["Product Viewed"])
    with pytest.raises(SettingError, match="order"):
        Funnel.of(STEPS, order="random")


# --- the property: the engine's funnel equals a plain Python reading of the definition ----------------------

EVENT_NAMES = ["a", "b", "c", "x", "o"]


def reference_steps(events: list[tuple[str, int, str]], steps_: list[str], order: str, window: int) -> list[int]:
    """People per step, counted the slow and obvious way from (person, second, event) in stream order."""
    best: dict[str, int] = {}
    by_person: dict[str, list[tuple[int, str]]] = {}
    for person, second, name in events:
        by_person.setdefault(person, []).append((second, name))
    for person, stream in by_person.items():
        for i, (start_second, name) in enumerate(stream):
            reached = 0
            if order == "any":
                if name not in steps_:
                    continue
                inside = {n for s, n in stream if start_second <= s <= start_second + window}
                if "x" in inside:
                    continue
                reached = len(inside & set(steps_))
            else:
                if name != steps_[0]:
                    continue
                position, reached, last = i, 1, i
                for step in steps_[1:]:
                    candidates = [j for j in range(position + 1, len(stream)) if stream[j][1] == step]
                    if order == "strict":
                        candidates = candidates[:1] if candidates and candidates[0] == position + 1 else []
                    if not candidates or stream[candidates[0]][0] - start_second > window:
                        break
                    position = last = candidates[0]
                    reached += 1
                if any(stream[j][1] == "x" for j in range(i + 1, last)):
                    continue
            best[person] = max(best.get(person, 0), reached)
    return [sum(1 for r in best.values() if r >= k) for k in range(1, len(steps_) + 1)]


@st.composite
def streams(draw: st.DrawFn) -> list[tuple[str, int, str]]:
    rows = []
    for person in ("p", "q", "r"):
        seconds = sorted(draw(st.lists(st.integers(0, 40), min_size=0, max_size=9)))
        rows += [(person, second, draw(st.sampled_from(EVENT_NAMES))) for second in seconds]
    return rows


@pytest.fixture(scope="module")
def engine() -> Any:
    eng = connect()
    yield eng
    eng.close()


def stream_table(events: list[tuple[str, int, str]]) -> ibis.Table:
    base = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    positions: dict[str, int] = {}
    # As the build numbers people: 1, 2, … in person_id order.
    numbers = {person: number for number, person in enumerate(sorted({p for p, _, _ in events}), start=1)}
    rows = []
    for person, second, name in events:
        positions[person] = positions.get(person, 0) + 1
        rows.append(
            {
                "person_id": person,
                "person_number": numbers[person],
                "position": positions[person],
                "session_id": f"{person}#1.0",
                "timestamp": base + dt.timedelta(seconds=second),
                "epoch_seconds": int((base + dt.timedelta(seconds=second)).timestamp()),
                "event": name,
                "page_path": None,
                "device_type": "desktop",
            }
        )
    schema = pa.schema(
        [
            ("person_id", pa.string()),
            ("person_number", pa.int64()),
            ("position", pa.int64()),
            ("session_id", pa.string()),
            ("timestamp", pa.timestamp("us", tz="UTC")),
            ("epoch_seconds", pa.int64()),
            ("event", pa.string()),
            ("page_path", pa.string()),
            ("device_type", pa.string()),
        ]
    )
    return ibis.memtable(pa.Table.from_pylist(rows, schema=schema))


@settings(max_examples=60, deadline=None)
@given(
    events=streams(),
    order=st.sampled_from(["sequential", "strict", "any"]),
    window=st.integers(1, 30),
    excluded=st.booleans(),
    steps_=st.sampled_from([["a", "b", "c"], ["a", "a", "b"], ["a", "b", "a"]]),
)
def test_funnel_counts_match_the_definition_and_never_rise(
    engine: Engine, events: list[tuple[str, int, str]], order: str, window: int, excluded: bool, steps_: list[str]
) -> None:
    if order == "any":
        steps_ = ["a", "b", "c"]  # in any order a step named twice is one step done, not two
    funnel = Funnel.of(steps_, order=order, window_seconds=window, exclusions=["x"] if excluded else [])
    expected_events = events if excluded else [(p, s, "o" if n == "x" else n) for p, s, n in events]
    rows = engine.to_pyarrow(funnel_steps(stream_table(events), funnel)).to_pylist()
    counts = [row["people"] for row in rows]
    assert counts == reference_steps(expected_events, steps_, order, window)
    assert all(later <= earlier for earlier, later in itertools.pairwise(counts))


def test_breakdown_by_persona_uses_the_people_s_personas(built: Built) -> None:
    def run(read: Any) -> Any:
        names = {"ana": "Rina", "budi": "Pak Budi", "citra": "Rina"}
        people = read("people")
        persona = ibis.cases(
            *[(people.person_id == built.user(user), name) for user, name in names.items()], else_="(no persona)"
        )
        personas = people.select("person_id", persona=persona)
        return funnel_steps(read("events"), Funnel.of(STEPS), breakdown="persona", personas=personas, top_n=5)

    rows = built.report(run)
    first = {row["breakdown"]: row["people"] for row in rows if row["step_number"] == 1}
    assert first == {"Rina": 2, "Pak Budi": 1, "(no persona)": 3}


@st.composite
def streams_over_days(draw: st.DrawFn) -> list[tuple[str, int, str]]:
    """Events over four UTC days (a funnel's window can cross midnight)."""
    rows = []
    for person in ("p", "q", "r"):
        seconds = sorted(draw(st.lists(st.integers(0, 4 * 86_400 - 1), min_size=0, max_size=10)))
        rows += [(person, second, draw(st.sampled_from(EVENT_NAMES))) for second in seconds]
    return rows


@settings(max_examples=60, deadline=None)
@given(
    events=streams_over_days(),
    order=st.sampled_from(["sequential", "strict", "any"]),
    window_hours=st.integers(1, 60),
    first_day=st.integers(0, 4),
    days=st.integers(0, 4),
    open_start=st.booleans(),
)
def test_the_best_attempt_over_some_days_is_the_best_of_those_days_best_attempts(
    engine: Engine,
    events: list[tuple[str, int, str]],
    order: str,
    window_hours: int,
    first_day: int,
    days: int,
    open_start: bool,
) -> None:
    day_one = dt.date(2026, 3, 1)  # stream_table's second 0
    options: dict[str, Any] = {"order": order, "window_seconds": window_hours * 3600, "exclusions": ["x"]}
    steps_ = ["a", "b", "c"]
    start = None if open_start else day_one + dt.timedelta(days=first_day)
    end = day_one + dt.timedelta(days=first_day + days)
    dated = Funnel.of(steps_, start=start, end=end, **options)
    stream = stream_table(events)
    per_day = attempts(stream, Funnel.of(steps_, **options), per_day=True)
    from_days = engine.to_pyarrow(best_of_days(per_day, dated)).to_pylist()
    direct = engine.to_pyarrow(attempts(stream, dated)).to_pylist()

    def key(row: dict[str, Any]) -> Any:
        return row["person_number"]

    assert sorted(from_days, key=key) == sorted(direct, key=key)
    days_of_starts = {row["day_1"] for row in engine.to_pyarrow(per_day).to_pylist()}
    assert all(0 <= (dt.date(1970, 1, 1) + dt.timedelta(days=d) - day_one).days < 4 for d in days_of_starts)
