"""The demo-data generator writes what docs/demo-data.md promises, and its truth matches the written events."""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import json
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
import pytest

import jejak.synth
from jejak.core.pii import normalise_email, normalise_phone
from jejak.core.settings import DEFAULT_SETTINGS
from jejak.core.vocabulary import EVENT_TYPES, QUARANTINE_REASONS
from jejak.synth import GenerateResult, generate

EVENTS = 20_000
SEED = 7
DOCS = Path(__file__).resolve().parents[2] / "docs" / "demo-data.md"
SESSION_GAP_SECONDS = 30 * 60
TOUCH_GAP_SECONDS = 2 * 3600
MAX_TOUCH_SECONDS = 25 * 60
csv.field_size_limit(1_000_000)  # the planted oversize field is 100 KB


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> GenerateResult:
    return generate(tmp_path_factory.mktemp("mixed"), events=EVENTS, seed=SEED)


@pytest.fixture(scope="module")
def canonical(tmp_path_factory: pytest.TempPathFactory) -> GenerateResult:
    return generate(tmp_path_factory.mktemp("canonical"), events=EVENTS, seed=SEED, file_format="csv")


def params(result: GenerateResult) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((result.truth_dir / "params.json").read_text(encoding="utf-8"))
    return loaded


def truth(result: GenerateResult, name: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = pq.read_table(result.truth_dir / f"{name}.parquet").to_pylist()
    return rows


def csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def epoch(text: str) -> int:
    return int(dt.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())


def all_bytes(directory: Path) -> dict[str, bytes]:
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


# --- determinism and size -------------------------------------------------------------------------------


def test_same_seed_writes_the_same_bytes_and_another_seed_does_not(tmp_path: Path) -> None:
    first = generate(tmp_path / "a", events=3_000, seed=11)
    second = generate(tmp_path / "b", events=3_000, seed=11)
    generate(tmp_path / "c", events=3_000, seed=12)
    assert all_bytes(tmp_path / "a") == all_bytes(tmp_path / "b")
    assert (tmp_path / "a" / "web_app.jsonl").read_bytes() != (tmp_path / "c" / "web_app.jsonl").read_bytes()
    assert first.events == second.events


def test_canonical_csv_is_deterministic_too(tmp_path: Path) -> None:
    for name in ("a", "b"):
        generate(tmp_path / name, events=3_000, seed=5, file_format="csv")
    assert all_bytes(tmp_path / "a") == all_bytes(tmp_path / "b")


def test_event_count_is_close_to_the_request_and_matches_the_rows_written(
    mixed: GenerateResult, canonical: GenerateResult
) -> None:
    assert abs(mixed.events - EVENTS) <= 0.15 * EVENTS
    assert mixed.people == pytest.approx(EVENTS / 11.3, rel=0.01)
    bad = len(params(mixed)["bad_rows"])
    lines = sum(len(p.read_bytes().splitlines()) - (p.suffix == ".csv") for p in mixed.files)
    assert lines == mixed.events + bad
    assert len(csv_rows(canonical.files[0])) == canonical.events == mixed.events


def test_truth_does_not_depend_on_the_file_format(mixed: GenerateResult, canonical: GenerateResult) -> None:
    for name in ("journeys", "touches", "people", "identifiers"):
        assert truth(mixed, name) == truth(canonical, name)
    assert params(mixed)["removal_effects"] == params(canonical)["removal_effects"]


def test_parquet_holds_the_same_events_as_csv(tmp_path: Path) -> None:
    from_csv = generate(tmp_path / "csv", events=3_000, seed=3, file_format="csv")
    from_parquet = generate(tmp_path / "parquet", events=3_000, seed=3, file_format="parquet")
    table = pq.read_table(from_parquet.files[0])
    rows = csv_rows(from_csv.files[0])
    assert table.column("event_id").to_pylist() == [r["event_id"] for r in rows]
    assert table.column("timestamp").to_pylist() == [r["timestamp"] for r in rows]
    assert str(table.schema.field("timestamp").type) == "string"


# --- file formats -----------------------------------------------------------------------------------------


def documented_headers() -> dict[str, str]:
    """`| `file` | ... | `header` |` rows of docs/demo-data.md."""
    headers = {}
    for line in DOCS.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 2 and re.fullmatch(r"`[a-z_]+\.csv`", cells[0]) and cells[-1].startswith("`"):
            headers[cells[0].strip("`")] = cells[-1].strip("`")
    return headers


def test_every_csv_has_its_documented_header(mixed: GenerateResult, canonical: GenerateResult) -> None:
    documented = documented_headers()
    written = [p for p in mixed.files + canonical.files if p.suffix == ".csv"]
    assert sorted(p.name for p in written) == sorted(documented)
    for path in written:
        with path.open(encoding="utf-8") as handle:
            assert handle.readline().rstrip("\n") == documented[path.name]


def test_column_map_turns_the_marketplace_header_into_canonical_columns(mixed: GenerateResult) -> None:
    header = documented_headers()["marketplace_orders.csv"].split(",")
    mapped = {mixed.column_map.get(h, h) for h in header}
    assert {"timestamp", "event_id", "user_id", "phone", "source", "event", "revenue"} <= mapped
    rows = csv_rows(mixed.files[1])
    assert {r["acara"] for r in rows} == {"Order Completed"}
    assert {r["toko"] for r in rows} == {"tokopedia", "shopee"}
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", r["waktu"]) for r in rows)


def classify_line(raw: bytes) -> str | None:
    """The quarantine reason a JSON line deserves, or None when it is a good Segment message."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return "invalid_utf8"
    try:
        message = json.loads(text)
    except json.JSONDecodeError:
        return "bad_json"
    if message.get("type") not in EVENT_TYPES:
        return "unknown_type"
    revenue = message.get("properties", {}).get("revenue")
    ids = [message.get(k) for k in ("userId", "anonymousId", "previousId") if k in message]
    if (revenue is not None and not isinstance(revenue, int | float)) or not all(isinstance(i, str) for i in ids):
        return "wrong_type"
    assert isinstance(message["messageId"], str)
    assert "timestamp" in message or {"originalTimestamp", "sentAt", "receivedAt"} <= set(message)
    return None


def test_json_lines_parse_except_exactly_the_planted_bad_ones(mixed: GenerateResult) -> None:
    lines = (mixed.truth_dir.parent / "web_app.jsonl").read_bytes().split(b"\n")
    assert lines[-1] == b""
    found = {n: reason for n, raw in enumerate(lines[:-1], start=1) if (reason := classify_line(raw))}
    planted = {b["line"]: b["reason"] for b in params(mixed)["bad_rows"] if b["file"] == "web_app.jsonl"}
    assert found == planted
    assert sorted(planted.values()) == ["bad_json", "invalid_utf8", "unknown_type", "wrong_type", "wrong_type"]


def test_planted_store_rows_are_where_the_truth_says(mixed: GenerateResult) -> None:
    path = mixed.truth_dir.parent / "store_visits.csv"
    with path.open(newline="", encoding="utf-8") as handle:
        by_line = {n: row for n, row in enumerate(csv.DictReader(handle), start=2)}
    planted = {b["line"]: b["reason"] for b in params(mixed)["bad_rows"] if b["file"] == "store_visits.csv"}
    assert sorted(planted.values()) == ["bad_timestamp", "no_event_name", "no_identifier", "oversize_field"]
    limit = DEFAULT_SETTINGS.import_max_field_bytes
    for line, row in by_line.items():
        problems = []
        if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+07:00", row["timestamp"]):
            problems.append("bad_timestamp")
        if not row["user_id"] and not row["phone"]:
            problems.append("no_identifier")
        if any(len(v.encode()) > limit for v in row.values()):
            problems.append("oversize_field")
        if not row["event"].strip():
            problems.append("no_event_name")
        assert problems == ([planted[line]] if line in planted else []), line


def test_quarantine_expectation_counts_the_planted_rows(mixed: GenerateResult, canonical: GenerateResult) -> None:
    expected = params(mixed)["quarantine_expected"]
    assert set(expected) == set(QUARANTINE_REASONS)
    assert expected == {r: n for r, n in Counter(b["reason"] for b in params(mixed)["bad_rows"]).items()} | {
        r: 0 for r in QUARANTINE_REASONS if r not in {b["reason"] for b in params(mixed)["bad_rows"]}
    }
    assert sum(expected.values()) == 9
    assert sum(params(canonical)["quarantine_expected"].values()) == 0


def test_app_clock_skew_is_undone_by_segment_correction(mixed: GenerateResult, canonical: GenerateResult) -> None:
    true_time = {r["event_id"]: epoch(r["timestamp"]) for r in csv_rows(canonical.files[0])}
    skewed = 0
    for raw in (mixed.truth_dir.parent / "web_app.jsonl").read_bytes().split(b"\n")[:-1]:
        if classify_line(raw) or b'"receivedAt"' not in raw:
            continue
        m = json.loads(raw)
        original, sent, received = (epoch(m[k]) for k in ("originalTimestamp", "sentAt", "receivedAt"))
        assert received - (sent - original) == true_time[m["messageId"]]
        skewed += abs(original - true_time[m["messageId"]]) > 600
    assert skewed > 0  # some phones really are off by more than ten minutes


# --- the written events against the truth -----------------------------------------------------------------


@dataclass(frozen=True)
class Written:
    """Canonical events of the touches with the true person each belongs to, and the refunds the shop's server sent
    later (they belong to no touch)."""

    rows: list[dict[str, str]]
    person: list[int]
    refunds: list[tuple[dict[str, str], int]]


def identifier_owner(result: GenerateResult) -> dict[tuple[str, str], int]:
    owner = {}
    for row in truth(result, "identifiers"):
        key = "phone" if row["kind"] == "phone" else "email" if row["kind"] == "email" else "id"
        owner[(key, row["normalised"])] = row["true_person"]
    return owner


def row_identifiers(row: dict[str, str]) -> Iterator[tuple[str, str]]:
    for column in ("user_id", "anonymous_id", "previous_id"):
        if row[column]:
            yield ("id", row[column])
    if row["email"]:
        yield ("email", normalise_email(row["email"]) or "")
    if row["phone"]:
        yield ("phone", normalise_phone(row["phone"]) or "")


@pytest.fixture(scope="module")
def written(canonical: GenerateResult) -> Written:
    owner = identifier_owner(canonical)
    rows, person, refunds = [], [], []
    for row in csv_rows(canonical.files[0]):
        owners = {owner[i] for i in row_identifiers(row)} - {-1}  # -1: the over-shared shop phone
        assert len(owners) == 1, row
        if row["event"] == "Order Refunded":
            refunds.append((row, owners.pop()))
        else:
            rows.append(row)
            person.append(owners.pop())
    return Written(rows, person, refunds)


def sessions(written: Written) -> list[list[dict[str, str]]]:
    """Events per person in time order, cut at 30-minute gaps."""
    order = sorted(range(len(written.rows)), key=lambda i: (written.person[i], epoch(written.rows[i]["timestamp"])))
    cut: list[list[dict[str, str]]] = []
    previous: tuple[int, int] | None = None
    for i in order:
        at = epoch(written.rows[i]["timestamp"])
        if previous is None or previous[0] != written.person[i] or at - previous[1] >= SESSION_GAP_SECONDS:
            cut.append([])
        cut[-1].append(written.rows[i])
        previous = (written.person[i], at)
    return cut


def test_sessions_of_the_written_events_are_exactly_the_true_touches(
    canonical: GenerateResult, written: Written
) -> None:
    found = sessions(written)
    touches = truth(canonical, "touches")
    assert len(found) == len(touches)
    for session, touch in zip(found, touches, strict=True):
        times = [epoch(e["timestamp"]) for e in session]
        assert times[0] == int(touch["started_at"].timestamp())
        assert times[-1] - times[0] <= MAX_TOUCH_SECONDS
        assert all(b > a for a, b in itertools.pairwise(times))
        assert len(session) == touch["events"]
    starts = defaultdict(list)
    for touch in touches:
        starts[touch["true_person"]].append(touch["started_at"].timestamp())
    gaps = [b - a for s in starts.values() for a, b in itertools.pairwise(s)]
    assert min(gaps) >= TOUCH_GAP_SECONDS


def classify_channel(event: dict[str, str]) -> str:
    """GA4-style default channel group with jejak's Indonesian channels before Referral."""
    source, medium, referrer, url = event["source"], event["medium"], event["referrer"], event["page_url"]
    if event["type"] == "offline":
        return {"store": "Offline Store", "call_centre": "Call Centre"}[source]
    if source == "whatsapp" or "wa.me" in referrer:
        return "WhatsApp"
    if source in ("tokopedia", "shopee") or "tokopedia.com" in referrer or "shopee.co.id" in referrer:
        return "Marketplace"
    if medium == "qr":
        return "Print / QR"
    if "gclid=" in url or (source == "google" and medium == "cpc"):
        return "Paid Search"
    if medium == "paid_social":
        return "Paid Social"
    if "instagram.com" in referrer:
        return "Organic Social"
    if medium == "email":
        return "Email"
    if "google." in referrer:
        return "Organic Search"
    return "Referral" if referrer else "Direct"


def test_each_touch_carries_the_fields_of_its_channel(canonical: GenerateResult, written: Written) -> None:
    found = [classify_channel(session[0]) for session in sessions(written)]
    assert found == [t["channel"] for t in truth(canonical, "touches")]
    assert len(set(found)) == 12


def test_correct_identity_resolution_finds_one_component_per_true_person(
    canonical: GenerateResult, written: Written
) -> None:
    user_ids = defaultdict(set)
    for row in written.rows:
        for identifier in row_identifiers(row):
            if row["user_id"]:
                user_ids[identifier].add(row["user_id"])
    limit = DEFAULT_SETTINGS.identity_max_people_per_identifier
    parent: dict[tuple[str, str], tuple[str, str]] = {}

    def find(x: tuple[str, str]) -> tuple[str, str]:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for row in written.rows:
        usable = [i for i in row_identifiers(row) if len(user_ids[i]) <= limit]
        assert usable, row
        for other in usable:
            parent[find(other)] = find(usable[0])
    owner = identifier_owner(canonical)
    people_of_component = defaultdict(set)
    for identifier in list(parent):
        people_of_component[find(identifier)].add(owner[identifier])
    assert all(len(people) == 1 for people in people_of_component.values())
    assert len(people_of_component) == len(set(written.person)) == canonical.people


def test_browsers_are_anonymous_until_they_identify_and_some_history_comes_before(written: Written) -> None:
    seen: dict[str, list[tuple[int, str, bool]]] = defaultdict(list)
    for row in written.rows:
        if row["anonymous_id"]:
            seen[row["anonymous_id"]].append((epoch(row["timestamp"]), row["type"], bool(row["user_id"])))
    anonymous_first = 0
    for events in seen.values():
        events.sort()
        linking = [i for i, (_, kind, _) in enumerate(events) if kind in ("identify", "alias")]
        assert len(linking) == 1  # every device used links itself to its account once
        if events[0][1] != "screen":  # browsers: no user id before the identify, always after
            assert [known for _, _, known in events] == [i >= linking[0] for i in range(len(events))]
            anonymous_first += linking[0] > 0 and events[linking[0]][0] - events[0][0] > TOUCH_GAP_SECONDS
    assert anonymous_first > 0.1 * len(seen)  # pre-login sessions exist to be stitched


def test_refunds_name_an_earlier_web_or_app_order_of_their_person_and_give_back_all_or_one_item(
    canonical: GenerateResult, written: Written
) -> None:
    orders = {}
    for row, person in zip(written.rows, written.person, strict=True):
        properties = json.loads(row["properties"] or "{}")
        if row["event"] == "Order Completed" and "order_id" in properties:
            orders[properties["order_id"]] = (row, person, properties)
    planted = params(canonical)["refunds"]
    assert len(written.refunds) == planted["refunds"] > 0
    low, high = (days * 86_400 for days in planted["delay_days"])
    full = 0
    for refund, person in written.refunds:
        order, buyer, bought = orders[json.loads(refund["properties"])["order_id"]]
        assert person == buyer and not refund["source"] and not refund["page_url"]
        assert low <= epoch(refund["timestamp"]) - epoch(order["timestamp"]) <= high
        amount, value, items = int(refund["revenue"]), int(order["revenue"]), bought["quantity"]
        assert amount == value or (items > 1 and amount * items == value), (refund, order)
        full += amount == value
    assert (full, len(written.refunds) - full) == (planted["full"], planted["partial"])
    refunded = sum(int(refund["revenue"]) for refund, _ in written.refunds)
    assert refunded == planted["refunded_revenue"] == sum(j["refunded_revenue"] for j in truth(canonical, "journeys"))
    assert len({refund["event_id"] for refund, _ in written.refunds}) == len(written.refunds)


def test_the_shop_phone_is_shared_by_at_least_twenty_members(mixed: GenerateResult) -> None:
    rows = csv_rows(mixed.truth_dir.parent / "store_visits.csv")
    shared = params(mixed)["over_shared_identifier"]
    members = {r["user_id"] for r in rows if r["phone"] and normalise_phone(r["phone"]) == shared["normalised"]}
    assert len(members) >= 20
    assert all(m.startswith("member:") for m in members)
    assert len(members) == shared["members"]
    real_phone = {r["user_id"] for r in rows if r["phone"] and normalise_phone(r["phone"]) != shared["normalised"]}
    assert members <= real_phone  # every such member is also linked to their own phone


# --- the planted process ------------------------------------------------------------------------------------


def test_journey_paths_never_repeat_a_channel_back_to_back(canonical: GenerateResult) -> None:
    channels = set(params(canonical)["channels"])
    for journey in truth(canonical, "journeys"):
        path = journey["path"].split(" > ")
        assert len(path) == journey["touches"]
        assert set(path) <= channels
        assert all(a != b for a, b in itertools.pairwise(path))


def test_journeys_fit_the_lookback_and_follow_each_other(canonical: GenerateResult) -> None:
    p = params(canonical)
    lookback = dt.timedelta(days=p["lookback_days"] - 1)
    start = dt.datetime.fromisoformat(p["start"]).replace(tzinfo=dt.timezone(dt.timedelta(hours=7)))
    end = start + dt.timedelta(days=p["days"])
    by_person = defaultdict(list)
    for journey in truth(canonical, "journeys"):
        by_person[journey["true_person"]].append(journey)
        assert start <= journey["first_touch_at"]
        if journey["converted"]:
            assert journey["conversion_at"] - journey["first_touch_at"] < lookback
            assert journey["conversion_at"] < end
            assert journey["gross_revenue"] > 0
            assert journey["revenue"] == journey["gross_revenue"] - journey["refunded_revenue"] >= 0
        else:
            assert journey["conversion_at"] is None and journey["revenue"] == journey["gross_revenue"] == 0
    for touch in truth(canonical, "touches"):
        assert start <= touch["started_at"] <= touch["ended_at"] < end
    for journeys in by_person.values():
        assert [j["journey_index"] for j in journeys] == list(range(len(journeys)))
        assert all(j["converted"] for j in journeys[:-1])  # after a journey without purchase, nothing more
        for before, after in itertools.pairwise(journeys):
            assert after["first_touch_at"] - before["conversion_at"] >= dt.timedelta(days=1)


def test_purchases_spread_over_the_window_as_a_steady_shop_s_do(canonical: GenerateResult) -> None:
    # Each person's window split into equal parts put every purchase before the part of their last journey (which has
    # none): the second half of the demo had a quarter of its conversions, and its conversion rate fell from 20 % to
    # 3 %. Journeys still start and end inside the window, so its first and last weeks have fewer.
    p = params(canonical)
    start = dt.datetime.fromisoformat(p["start"]).replace(tzinfo=dt.timezone(dt.timedelta(hours=7)))
    quarter = dt.timedelta(days=p["days"]) / 4
    bought = [j["conversion_at"] for j in truth(canonical, "journeys") if j["converted"]]
    shares = [sum(1 for at in bought if (at - start) // quarter == k) / len(bought) for k in range(4)]
    assert min(shares[1:3]) >= 0.25 and max(shares) <= 0.4 and shares[3] >= 0.1, shares


def solve(matrix: dict[str, dict[str, float]], channels: list[str], start: np.ndarray) -> tuple[float, np.ndarray]:
    """P(conversion) and removal effects from params.json alone, by value iteration (no shared code)."""
    size = len(channels)
    q = np.array([[matrix[a].get(b, 0.0) for b in channels] for a in channels])
    conv = np.array([matrix[a].get("conversion", 0.0) for a in channels])

    def p_conv(q: np.ndarray, conv: np.ndarray) -> float:
        value = np.zeros(size)
        for _ in range(2_000):
            value = conv + q @ value
        return float(start @ value)

    base = p_conv(q, conv)
    effects = []
    for i in range(size):
        q2, c2 = q.copy(), conv.copy()
        q2[i], c2[i] = 0.0, 0.0
        effects.append(1 - p_conv(q2, c2) / base)
    return base, np.array(effects)


def test_removal_effects_are_exact_and_conversion_matches_the_journeys(canonical: GenerateResult) -> None:
    p = params(canonical)
    channels = p["channels"]
    matrix = p["transition_matrix"]
    for row in matrix.values():
        assert math.isclose(sum(row.values()), 1.0, abs_tol=1e-9)
    start = np.array([p["start_distribution_pooled"][c] for c in channels])
    base, effects = solve(matrix, channels, start)
    assert base == pytest.approx(p["conversion_probability"], abs=1e-9)
    assert effects == pytest.approx([p["removal_effects"][c] for c in channels], abs=1e-9)
    assert all(0.0 <= e <= 1.0 for e in effects) and max(effects) > 0.1
    assert 0.25 <= base <= 0.40
    # Conversions / journeys is a ratio estimator over people (journeys of a person are dependent: a person
    # only returns after a purchase); by Wald's identity it is consistent for P(conversion). Its standard
    # error by the delta method is sd(C_i - R J_i) / (sqrt(n) mean(J_i)); four of them bound a false alarm
    # at about 6e-5.
    people = truth(canonical, "people")
    conversions = np.array([r["conversions"] for r in people], dtype=float)
    journeys = np.array([r["journeys"] for r in people], dtype=float)
    rate = conversions.sum() / journeys.sum()
    standard_error = np.std(conversions - rate * journeys, ddof=1) / (math.sqrt(len(people)) * journeys.mean())
    assert abs(rate - base) <= 4 * standard_error
    assert standard_error < 0.02  # the check has teeth
    assert p["journeys"]["converting"] == conversions.sum()
    assert p["journeys"]["non_converting"] == journeys.sum() - conversions.sum()


def test_observed_transitions_match_the_planted_matrix(canonical: GenerateResult) -> None:
    p = params(canonical)
    columns = [*p["channels"], "conversion", "null"]
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    starts: Counter[str] = Counter()
    for journey in truth(canonical, "journeys"):
        path = journey["path"].split(" > ")
        starts[path[0]] += 1
        for a, b in zip(path, [*path[1:], "conversion" if journey["converted"] else "null"], strict=True):
            counts[a][b] += 1
    # Each step is a multinomial draw from its row. Bonferroni over 12 x 14 cells at 4.5 standard errors
    # (two-sided 6.8e-6 each) keeps the family-wise false-alarm rate near 1e-3.
    checked = 0
    for source, row in counts.items():
        n = sum(row.values())
        for target in columns:
            planted = p["transition_matrix"][source].get(target, 0.0)
            observed = row[target] / n
            if planted == 0.0:
                assert row[target] == 0, (source, target)
            else:
                assert abs(observed - planted) <= 4.5 * math.sqrt(planted * (1 - planted) / n), (source, target)
                checked += 1
    assert checked >= 60
    total = sum(starts.values())
    for channel, planted in p["start_distribution_pooled"].items():
        assert abs(starts[channel] / total - planted) <= 4.5 * math.sqrt(planted * (1 - planted) / total)


def test_bounce_and_payment_drop_off_are_planted(canonical: GenerateResult) -> None:
    p = params(canonical)
    touches = [t for t in truth(canonical, "touches") if t["landing_path"] and not t["converting"]]
    for landing, planted in (("/promo/flash-sale", 0.8), (None, 0.3)):
        chosen = [
            t
            for t in touches
            if (
                t["landing_path"] == landing
                if landing
                else t["landing_path"] not in ("/promo/flash-sale", "/survei/nps")
            )
        ]
        rate = sum(t["bounced"] for t in chosen) / len(chosen)
        assert abs(rate - planted) <= 4 * math.sqrt(planted * (1 - planted) / len(chosen))
        assert all(t["page_views"] == 1 for t in chosen if t["bounced"])
    assert p["bounce"]["planted_probability"]["/promo/flash-sale"] == 0.8
    reached = p["funnel"]["realised_sessions_per_step"]
    steps = p["funnel"]["steps"]
    drops = {(a, b): 1 - reached[b] / reached[a] for a, b in itertools.pairwise(steps)}
    assert max(drops, key=lambda k: drops[k]) == ("Checkout Started", "Payment Info Entered")


def test_funnel_counts_in_the_written_events_match_the_truth(canonical: GenerateResult, written: Written) -> None:
    reached: Counter[str] = Counter()
    for session in sessions(written):
        if session[0]["type"] in ("page", "screen"):  # the funnel is the web shop's and the app's
            reached.update({e["event"] for e in session})
    funnel = params(canonical)["funnel"]
    assert {k: reached[k] for k in funnel["steps"]} == funnel["realised_sessions_per_step"]


def test_personas_differ_in_channels_devices_frequency_and_order_value(canonical: GenerateResult) -> None:
    people = {r["true_person"]: r for r in truth(canonical, "people")}
    orders: dict[str, list[int]] = defaultdict(list)
    starts: dict[str, Counter[str]] = defaultdict(Counter)
    for journey in truth(canonical, "journeys"):
        persona = people[journey["true_person"]]["persona"]
        starts[persona][journey["path"].split(" > ")[0]] += 1
        if journey["converted"]:
            orders[persona].append(journey["revenue"])
    assert len(starts) >= 5
    median = {persona: float(np.median(values)) for persona, values in orders.items()}
    assert median["cafe_owner"] > 3 * median["office_marketplace"] > 3 * median["instagram_youth"] / 2
    assert starts["gift_buyer"].most_common(1)[0][0] == "Print / QR"
    assert starts["office_marketplace"].most_common(1)[0][0] == "Marketplace"

    def share(persona: str, predicate: Any) -> float:
        group = [r for r in people.values() if r["persona"] == persona]
        return sum(bool(predicate(r)) for r in group) / len(group)

    assert share("office_marketplace", lambda r: "desktop" in r["device_types"]) > 0.8
    assert share("instagram_youth", lambda r: "desktop" in r["device_types"]) < 0.2
    assert share("loyal_subscriber", lambda r: r["journeys"] >= 3) > share(
        "instagram_youth", lambda r: r["journeys"] >= 3
    )


# --- the public surface ---------------------------------------------------------------------------------------


def test_public_names_are_exactly_generate_and_its_result() -> None:
    assert jejak.synth.__all__ == ["GenerateResult", "generate"]


def test_bad_arguments_are_named_in_the_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="file_format must be one of mixed, csv, parquet"):
        generate(tmp_path, events=1_000, file_format="xml")
    with pytest.raises(ValueError, match="lookback_days"):
        generate(tmp_path, events=1_000, lookback_days=1)
