"""The whole build gives the same tables on Spark as on DuckDB (DESIGN.md §6, §9).

One small, rich shop: Ana browses anonymously on a laptop and a phone and is
identified on both, converts twice in one session and comes back without
buying; Budi arrives from WhatsApp, is aliased, then visits the store and calls
the call centre; Citra and Dewi share a family phone; six customers gave the
shop's own phone at the till; Eko browses for longer than the session cap;
Fajar never buys; Gita buys without ever logging in.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from jejak.analytics.assisted import assisted_conversions
from jejak.analytics.bounce import bounce, highest_bounce_pages
from jejak.analytics.devices import cross_device, device_conversion, device_handoff, unnamed_device_channels
from jejak.analytics.flows import Flow, flow_links, flow_nodes
from jejak.analytics.funnels import Funnel, attempts, best_of_days, funnel_next, funnel_steps, funnel_trend
from jejak.analytics.lags import lag_summary, path_length, time_lag
from jejak.analytics.paths import top_conversion_paths
from jejak.analytics.summary import activity, by_day
from jejak.attribution.markov import chain_from_counts, markov
from jejak.attribution.pathset import PathSet
from jejak.attribution.transitions import transition_counts
from jejak.core.settings import PATH_TRANSFORMS
from jejak.engine import Engine, connect
from jejak.ingest.importer import import_file
from jejak.journeys.journeys import journey_touches, journeys, unique_paths
from jejak.pipeline import TABLES, run_build
from jejak.segments.stages import FIVE_STAGES, current_stages, stage_funnel
from jejak.store.derived import current_build
from jejak.store.project import Project, init_project, open_project

SHOP = "https://toko.example.id"
DESKTOP_AGENT = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"
)
PHONE_AGENT = (
    "Mozilla/5.0 (Linux; Android 14; SM-A546E) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36"
)
SHOP_PHONE = "021-555-0000"
FLOAT_TOLERANCE = 1e-9


# --- the shop's data -----------------------------------------------------------------------------------


def _at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


class Web:
    """Segment-style messages, numbered so every message id is deterministic."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []

    def _add(self, kind: str, when: str, ids: dict[str, str], **fields: Any) -> None:
        message: dict[str, Any] = {"messageId": f"m{len(self.messages) + 1:04d}", "type": kind, "timestamp": when}
        message.update(ids)
        message.update(fields)
        self.messages.append(message)

    def page(
        self,
        when: str,
        url: str,
        *,
        referrer: str | None = None,
        agent: str = DESKTOP_AGENT,
        campaign: dict[str, str] | None = None,
        **ids: str,
    ) -> None:
        page = {"url": url, "path": url.removeprefix(SHOP).split("?")[0] or "/"}
        if referrer is not None:
            page["referrer"] = referrer
        # analytics.js sends a landing's utm tags as context.campaign too; without it they are in the url alone.
        more = {"campaign": campaign} if campaign is not None else {}
        self._add("page", when, ids, context={"page": page, "userAgent": agent, **more})

    def identify(
        self, when: str, *, email: str | None = None, traits: dict[str, Any] | None = None, **ids: str
    ) -> None:
        sent = ({"email": email} if email else {}) | (traits or {})
        self._add("identify", when, ids, traits=sent, context={"userAgent": DESKTOP_AGENT})

    def alias(self, when: str, *, previous_id: str, user_id: str) -> None:
        self._add("alias", when, {"previousId": previous_id, "userId": user_id})

    def track(
        self,
        when: str,
        event: str,
        *,
        revenue: float | None = None,
        email: str | None = None,
        order: dict[str, Any] | None = None,
        **ids: str,
    ) -> None:
        properties: dict[str, Any] = {} if revenue is None else {"revenue": revenue, "currency": "IDR"}
        properties |= order or {}
        context: dict[str, Any] = {"userAgent": PHONE_AGENT} | ({"traits": {"email": email}} if email else {})
        self._add("track", when, ids, event=event, properties=properties, context=context)


def web_messages() -> list[dict[str, Any]]:
    web = Web()
    # Ana: a Facebook visit 33 days before her first purchase (outside the 30-day lookback), then Google on
    # her laptop, Instagram on her phone, two orders in one session, and a newsletter visit that never converts.
    web.page(
        "2026-01-01T10:00:00.000001Z", f"{SHOP}/", referrer="https://www.facebook.com/", anonymousId="d-ana-laptop"
    )
    web.page("2026-02-01T09:00:00.250000Z", f"{SHOP}/", referrer="https://www.google.com/", anonymousId="d-ana-laptop")
    web.page("2026-02-01T09:05:10.999999Z", f"{SHOP}/kopi", anonymousId="d-ana-laptop")
    # Her traits: a number, a number sent as text, a boolean, an object and a null; her phone's identify moves her.
    ana_traits = {"city": "Bandung", "age": 29, "height": "1.58e2", "vip": True, "address": {"city": "Bandung"}}
    web.identify(
        "2026-02-01T09:06:00.500000Z",
        email="Ana@Example.com",
        traits=ana_traits | {"plan": None},
        anonymousId="d-ana-laptop",
        userId="ana",
    )
    web.page(
        "2026-02-03T20:00:00.700000Z",
        f"{SHOP}/promo",
        referrer="https://l.instagram.com/?u=x",
        agent=PHONE_AGENT,
        anonymousId="d-ana-phone",
    )
    web.identify(
        "2026-02-03T20:01:00Z", traits={"city": "Jakarta", "plan": "gold"}, anonymousId="d-ana-phone", userId="ana"
    )
    # Her order's own row states a refund smaller than the refund event that names it: the larger is given back.
    web.track(
        "2026-02-03T20:10:00.400000Z",
        "Order Completed",
        revenue=250000,
        order={"order_id": "9001", "refunded_revenue": "30000"},
        anonymousId="d-ana-phone",
        userId="ana",
    )
    web.track(
        "2026-02-03T20:15:30.600000Z", "Order Completed", revenue=50000.5, anonymousId="d-ana-phone", userId="ana"
    )
    web.page(
        "2026-02-10T07:30:00Z",
        f"{SHOP}/?utm_source=newsletter&utm_medium=email&utm_campaign=februari",
        anonymousId="d-ana-phone",
        userId="ana",
    )
    # Budi: from a WhatsApp link, then aliased from his anonymous id to his account, and buys.
    web.page(
        "2026-02-02T03:00:00Z", f"{SHOP}/?utm_source=whatsapp&utm_medium=chat", agent=PHONE_AGENT, anonymousId="d-budi"
    )
    web.alias("2026-02-02T03:10:00Z", previous_id="d-budi", user_id="budi")
    # Part of his order came back, as the order's own row says (Shopify's Refunded Amount), with no refund event.
    web.track("2026-02-02T03:12:00Z", "purchase", revenue=99000.25, order={"refunded_revenue": 20000.25}, userId="budi")
    # Citra: a Tokopedia click, later a LINE message link, then a purchase.
    web.page("2026-02-04T12:00:00Z", f"{SHOP}/", referrer="https://www.tokopedia.com/tokokopi", userId="citra")
    web.page("2026-02-06T12:00:00Z", f"{SHOP}/", referrer="https://liff.line.me/1657000000-abc", userId="citra")
    web.track("2026-02-06T12:20:00Z", "Order Completed", revenue=120000, order={"order_id": "dup"}, userId="citra")
    # Eko: one page every 20 minutes for 26 hours; the 24-hour cap cuts the run, then a purchase.
    start = _at("2026-02-07T00:00:00.123456Z")
    for step in range(79):
        url = f"{SHOP}/?gclid=abc123" if step == 0 else f"{SHOP}/katalog/{step}"
        web.page(_iso(start + dt.timedelta(minutes=20 * step)), url, userId="eko")
    eko_bought = _iso(start + dt.timedelta(minutes=20 * 78, seconds=30))
    web.track(eko_bought, "purchase", revenue=75000, order={"transaction_id": "7001"}, userId="eko")
    # Fajar: a paid Facebook ad, then a newsletter's link ten minutes in (a session of its own, as analytics.js sends
    # its tags), its landing seen again after a page without tags (the same session); a QR code on a brochure (tagged
    # as Matomo tags, with its keyword), a TikTok ad known by its click id (its address names the ad), two direct visits
    # at the very same instant; no purchase.
    web.page("2026-02-08T08:00:00Z", f"{SHOP}/?utm_source=facebook&utm_medium=cpc", anonymousId="d-fajar")
    web.page("2026-02-08T08:05:00Z", f"{SHOP}/kopi", anonymousId="d-fajar")
    newsletter = {"source": "newsletter", "medium": "email", "name": "maret"}
    for minute in ("10", "12", "14"):
        url = f"{SHOP}/kopi" if minute == "12" else f"{SHOP}/?utm_source=newsletter&utm_medium=email&utm_campaign=maret"
        web.page(
            f"2026-02-08T08:{minute}:00Z", url, campaign=None if minute == "12" else newsletter, anonymousId="d-fajar"
        )
    web.page("2026-02-09T08:00:00Z", f"{SHOP}/?mtm_source=brochure&mtm_medium=qr&mtm_kwd=kemang", anonymousId="d-fajar")
    web.page(
        "2026-02-10T08:00:00Z",
        f"{SHOP}/?ttclid=E.C.P.x&utm_content=video-a",
        referrer="https://www.tiktok.com/",
        anonymousId="d-fajar",
    )
    web.page("2026-02-11T08:00:00Z", f"{SHOP}/", anonymousId="d-fajar")
    web.page("2026-02-11T08:00:00Z", f"{SHOP}/kopi", anonymousId="d-fajar")
    # Gita: a Google ad and a purchase, never logged in; her e-mail later arrives on its own.
    web.page("2026-02-12T01:00:00Z", f"{SHOP}/?gclid=xyz", agent=PHONE_AGENT, anonymousId="d-gita")
    web.track("2026-02-12T01:04:00Z", "Order Completed", revenue=45000, order={"order_id": "dup"}, anonymousId="d-gita")
    web.identify("2026-02-12T01:05:00Z", email="gita@example.com", traits={"age": "thirty"}, anonymousId="d-gita")
    web.track("2026-02-13T01:00:00Z", "Newsletter Signup", email="gita@example.com")
    # The shop's refunds, sent by its server: part of Ana's order; more than Eko's whole order (to zero, no
    # lower); one naming an order id two orders share, one naming no order, one naming an order never imported.
    # Ana's and Eko's name their order as a spreadsheet saves a number: after a text mark, and as a float.
    refunds = [
        ("2026-02-20T02:00:00Z", 50000.0, {"order_id": "'9001"}),
        ("2026-02-20T02:01:00Z", -90000.0, {"transaction_id": "7001.0"}),
        ("2026-02-20T02:02:00Z", 1000.0, {"order_id": "dup"}),
        ("2026-02-20T02:03:00Z", 5000.0, {}),
        ("2026-02-20T02:04:00Z", 7000.0, {"order_id": "never"}),
    ]
    for when, amount, order in refunds:
        web.track(when, "Order Refunded", revenue=amount, order=order, anonymousId="shop-server")
    return web.messages


CSV_COLUMNS = ("timestamp", "type", "event", "user_id", "anonymous_id", "email", "phone", "revenue", "channel")


def offline_rows() -> list[dict[str, str]]:
    """Store visits and call-centre calls exported from the till and the call-centre system (Jakarta time)."""
    rows = [
        # Budi visits the store, calls the call centre, and buys at the till.
        {"timestamp": "2026-02-05 11:00:00", "type": "offline", "event": "store_visit", "user_id": "budi"},
        {"timestamp": "2026-02-06 09:30:00", "type": "offline", "event": "phone_call", "user_id": "budi"},
        {
            "timestamp": "2026-02-06 12:00:00",
            "type": "offline",
            "event": "Order Completed",
            "user_id": "budi",
            "revenue": "150000",
            "channel": "Offline Store",
        },
        # Citra and Dewi share the family phone: one person (two user ids is within the limit), named by the
        # smallest key in byte order, so the call centre's upper-case id wins on every engine.
        {
            "timestamp": "2026-02-05 15:00:00",
            "type": "offline",
            "event": "store_visit",
            "user_id": "citra",
            "phone": "0812-1111-2222",
        },
        {
            "timestamp": "2026-02-07 10:00:00",
            "type": "offline",
            "event": "phone_call",
            "user_id": "DEWI-77",
            "phone": "+62 812 1111 2222",
        },
    ]
    # Six customers gave the shop's own number at the till: it must not merge them.
    for number in range(1, 7):
        rows.append(
            {
                "timestamp": f"2026-02-1{number} 10:00:00",
                "type": "offline",
                "event": "store_visit",
                "user_id": f"walkin{number}",
                "phone": SHOP_PHONE,
            }
        )
    # Fajar's Shopee order, from the marketplace's orders export: online, on no device (`unnamed_device_channels`).
    rows.append(
        {
            "timestamp": "2026-02-15 20:00:00",
            "type": "track",
            "event": "Order Completed",
            "user_id": "fajar",
            "revenue": "80000",
            "channel": "Marketplace",
        }
    )
    # A call logged with only the shop's number: a person of its own.
    rows.append({"timestamp": "2026-02-14 16:00:00", "type": "offline", "event": "phone_call", "phone": SHOP_PHONE})
    return [dict.fromkeys(CSV_COLUMNS, "") | row for row in rows]


def write_inputs(directory: Path) -> tuple[Path, Path]:
    web_file = directory / "web.jsonl"
    web_file.write_text("".join(json.dumps(message) + "\n" for message in web_messages()), encoding="utf-8")
    offline_file = directory / "offline.csv"
    with offline_file.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        writer.writerows(offline_rows())
    return web_file, offline_file


# --- comparing tables ------------------------------------------------------------------------------------


def read_table(directory: Path) -> pa.Table:
    """A derived table as pyarrow, whatever engine wrote its Parquet files."""
    files = sorted(directory.rglob("*.parquet"))
    assert files, f"{directory} holds no Parquet files"
    return pa.concat_tables([pq.read_table(path) for path in files], promote_options="default")


def _sort_key(row: dict[str, Any]) -> tuple[Any, ...]:
    """Rows in one order on both engines; floats rounded so that sums added up in another order sort alike."""
    return tuple(
        (value is None, repr(round(value, 6) if isinstance(value, float) else value)) for value in row.values()
    )


def _normalised_type(data_type: pa.DataType) -> str:
    """The type without the list element's field name, which each Parquet writer names its own way."""
    if pa.types.is_list(data_type) or pa.types.is_large_list(data_type):
        return f"list<{_normalised_type(data_type.value_type)}>"
    return str(data_type)


def _equal(left: Any, right: Any) -> bool:
    if isinstance(left, float) and isinstance(right, float):
        return math.isclose(left, right, rel_tol=FLOAT_TOLERANCE, abs_tol=FLOAT_TOLERANCE)
    return bool(left == right) and type(left) is type(right)


def assert_same_table(name: str, duckdb_table: pa.Table, spark_table: pa.Table) -> None:
    duckdb_types = {field.name: _normalised_type(field.type) for field in duckdb_table.schema}
    spark_types = {field.name: _normalised_type(field.type) for field in spark_table.schema}
    assert list(spark_types) == list(duckdb_types), f"{name}: columns differ"
    assert spark_types == duckdb_types, f"{name}: column types differ"
    duckdb_rows = sorted(duckdb_table.to_pylist(), key=_sort_key)
    spark_rows = sorted(spark_table.select(duckdb_table.column_names).to_pylist(), key=_sort_key)
    assert len(spark_rows) == len(duckdb_rows), f"{name}: {len(spark_rows)} rows on Spark, {len(duckdb_rows)} on DuckDB"
    for duckdb_row, spark_row in zip(duckdb_rows, spark_rows, strict=True):
        differing = [column for column in duckdb_row if not _equal(duckdb_row[column], spark_row[column])]
        assert not differing, f"{name}: {differing} differ\n DuckDB: {duckdb_row}\n Spark:  {spark_row}"


# --- fixtures ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def duckdb_engine() -> Iterator[Engine]:
    engine = connect()
    yield engine
    engine.close()


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """A project with the shop's files imported and no build yet."""
    root = tmp_path_factory.mktemp("conformance")
    init_project(root / "imported")
    project = open_project(root / "imported", env={})  # the defaults, whatever JEJAK_* the machine sets
    web_file, offline_file = write_inputs(root)
    for path in (web_file, offline_file):
        summary = import_file(project, path)
        assert summary.rows_quarantined == 0, summary.quarantined_by_reason
    return project


def copy_project(project: Project, name: str) -> Project:
    target = project.root.parent / name
    shutil.copytree(project.root, target)
    return Project(root=target, config=project.config, settings=project.settings)


@pytest.fixture(scope="module")
def duckdb_build(imported: Project, duckdb_engine: Engine) -> Path:
    project = copy_project(imported, "duckdb")
    run_build(project, engine=duckdb_engine)
    return current_build(project)


@pytest.fixture(scope="module")
def duckdb_tables(duckdb_build: Path) -> dict[str, pa.Table]:
    return {name: read_table(duckdb_build / name) for name in TABLES}


def journeys_and_paths(engine: Engine, build: Path, transform: str, max_touches: int) -> tuple[pa.Table, pa.Table]:
    """Journeys and unique paths under one path transform, from a build's touchpoints and conversions."""
    touches = engine.read_parquet(build / "touchpoints")
    converted = engine.read_parquet(build / "conversions")
    in_window = journey_touches(touches, converted, lookback_days=30)
    table = journeys(in_window, converted, transform=transform, transform_channel="Direct", max_touches=max_touches)
    return engine.to_pyarrow(table), engine.to_pyarrow(unique_paths(table))


# --- tests -------------------------------------------------------------------------------------------------


def test_the_dataset_exercises_every_rule(duckdb_tables: dict[str, pa.Table]) -> None:
    """Guard the data itself, so the engine comparison below compares something."""
    channels = set(duckdb_tables["touchpoints"].column("channel").to_pylist())
    assert {"WhatsApp", "LINE", "Marketplace", "Offline Store", "Call Centre", "Print / QR"} <= channels
    assert {"Organic Search", "Organic Social", "Paid Search", "Paid Social", "Email", "Direct"} <= channels
    people = set(duckdb_tables["people"].column("person_id").to_pylist())
    assert {"u:ana", "u:budi", "u:DEWI-77", "u:eko", "a:d-fajar", "a:d-gita"} <= people
    assert "u:citra" not in people
    assert any(person.startswith("x:") for person in people)
    shared = duckdb_tables["shared_identifiers"].to_pylist()
    assert [(row["kind"], row["user_ids"]) for row in shared] == [("phone", 6)]
    journeys = duckdb_tables["journeys"].to_pylist()
    assert any(not row["converted"] for row in journeys)
    ana_paths = {row["journey_index"]: row["path_text"] for row in journeys if row["person_id"] == "u:ana"}
    assert ana_paths == {1: "Organic Search > Organic Social", 2: "Organic Social", 3: "Email"}
    sessions = duckdb_tables["sessions"].to_pylist()
    staged = set(duckdb_tables["person_stages"].column("stage").to_pylist())
    assert {"Awareness", "Consideration", "Decision", "Loyalty"} <= staged
    eko = [row for row in sessions if row["person_id"] == "u:eko"]
    assert len(eko) == 2 and max(row["duration_seconds"] for row in eko) < 24 * 3600
    fajar = sorted((row for row in sessions if row["person_id"] == "a:d-fajar"), key=lambda row: row["started_at"])
    assert [(row["channel"], row["events"]) for row in fajar[:2]] == [("Paid Social", 2), ("Email", 3)]
    assert [(row["source"], row["channel"]) for row in fajar[2:4]] == [
        ("brochure", "Print / QR"),
        ("tiktok", "Paid Social"),
    ]
    touches = duckdb_tables["touchpoints"].to_pylist()
    fajar_touches = sorted(
        (row for row in touches if row["person_id"] == "a:d-fajar"), key=lambda row: row["timestamp"]
    )
    assert [(row["term"], row["content"]) for row in fajar_touches[2:4]] == [("kemang", None), (None, "video-a")]
    refunds = duckdb_tables["refunds"].to_pylist()
    outcomes = {row["order_id"]: row["outcome"] for row in refunds if row["outcome"] != "stated_on_order"}
    assert outcomes == {
        "9001": "subtracted",
        "7001": "subtracted",
        "dup": "several_orders",
        None: "no_order_id",
        "never": "order_not_found",
    }
    stated = {(row["conversion_event_id"], row["amount"]) for row in refunds if row["outcome"] == "stated_on_order"}
    conversions = duckdb_tables["conversions"].to_pylist()
    order_event = {row["person_id"]: row["conversion_event_id"] for row in conversions if row["refunded_revenue"]}
    assert stated == {(order_event["u:ana"], 30000.0), (order_event["u:budi"], 20000.25)}
    refunded = {
        row["person_id"]: (row["gross_revenue"], row["refunded_revenue"], row["revenue"])
        for row in conversions
        if row["refunded_revenue"]
    }
    assert refunded == {
        "u:ana": (250000.0, 50000.0, 200000.0),  # the refund event's 50,000, larger than the 30,000 her row states
        "u:budi": (99000.25, 20000.25, 79000.0),  # what his order's row states
        "u:eko": (75000.0, 75000.0, 0.0),  # refunded past its whole
    }
    traits = {
        (row["person_id"], row["trait"]): (row["value"], row["number"])
        for row in duckdb_tables["person_traits"].to_pylist()
    }
    assert traits == {
        ("u:ana", "city"): ("Jakarta", None),  # the later identify wins
        ("u:ana", "age"): ("29", 29.0),
        ("u:ana", "height"): ("1.58e2", 158.0),
        ("u:ana", "vip"): ("true", None),
        ("u:ana", "address"): ('{"city":"Bandung"}', None),
        ("u:ana", "plan"): ("gold", None),  # null on the laptop is no value
        ("a:d-gita", "age"): ("thirty", None),
    }


@pytest.mark.spark
def test_spark_builds_the_same_tables_as_duckdb(
    imported: Project, duckdb_tables: dict[str, pa.Table], spark_engine: Engine
) -> None:
    project = copy_project(imported, "spark")
    result = run_build(project, engine=spark_engine)
    assert result.engine == "spark"
    build = current_build(project)
    for name in TABLES:
        assert_same_table(name, duckdb_tables[name], read_table(build / name))


# Every transform once, and trimming with the two that rank touches (frequency relabels, exposure collapses).
TRANSFORM_CASES = [(transform, 0) for transform in PATH_TRANSFORMS] + [("exposure", 2), ("frequency", 1)]


@pytest.mark.spark
@pytest.mark.parametrize(("transform", "max_touches"), TRANSFORM_CASES, ids=[f"{t}-{n}" for t, n in TRANSFORM_CASES])
def test_every_path_transform_gives_the_same_journeys_on_spark(
    duckdb_build: Path, duckdb_engine: Engine, spark_engine: Engine, transform: str, max_touches: int
) -> None:
    expected = journeys_and_paths(duckdb_engine, duckdb_build, transform, max_touches)
    got = journeys_and_paths(spark_engine, duckdb_build, transform, max_touches)
    assert_same_table(f"journeys ({transform}, {max_touches})", expected[0], got[0])
    assert_same_table(f"paths ({transform}, {max_touches})", expected[1], got[1])


@pytest.mark.spark
@pytest.mark.parametrize("order", [1, 2, 4])
def test_markov_transition_counts_are_the_same_on_spark(
    duckdb_build: Path, duckdb_engine: Engine, spark_engine: Engine, order: int
) -> None:
    def counts(engine: Engine) -> pa.Table:
        table = engine.to_pyarrow(transition_counts(engine.read_parquet(duckdb_build / "paths"), order=order))
        return table.sort_by([("state", "ascending"), ("next", "ascending")])

    expected, got = counts(duckdb_engine), counts(spark_engine)
    assert expected.num_rows > 0
    assert_same_table(f"transition counts (order {order})", expected, got)
    # And so the same credit: the chain is built from these counts alone.
    paths = PathSet.from_arrow(read_table(duckdb_build / "paths"), separator=">")
    on_duckdb = markov(paths, chain=chain_from_counts(expected, paths.channels, order))
    on_spark = markov(paths, chain=chain_from_counts(got, paths.channels, order))
    assert on_spark.removal_effects.tolist() == pytest.approx(on_duckdb.removal_effects.tolist(), abs=1e-12)


# Every report, on the DuckDB build's tables, read by each engine. A report takes the tables by name.
# A home-page visit, then an order: most people here do both, some on another day, some in between other pages.
CONFORMANCE_FUNNEL = ["page:/", "Order Completed"]
REPORTS: dict[str, Callable[[Callable[[str], Any]], Any]] = {
    "time_lag": lambda read: time_lag(read("journeys")),
    "path_length": lambda read: path_length(read("journeys")),
    "time_lag_by_channel": lambda read: time_lag(read("journeys"), by_first_channel=True),
    "lag_summary": lambda read: lag_summary(read("journeys")),
    **{
        f"assisted_{dimension}": (
            lambda read, dimension=dimension: assisted_conversions(
                read("touchpoints"), read("conversions"), lookback_days=30, dimension=dimension
            )
        )
        for dimension in ("channel", "source_medium", "campaign")
    },
    **{
        f"top_paths_{dimension}_{exposure}": (
            lambda read, dimension=dimension, exposure=exposure: top_conversion_paths(
                read("touchpoints"), read("conversions"), lookback_days=30, dimension=dimension, exposure=exposure, n=3
            )
        )
        for dimension, exposure in (("channel", True), ("source_medium", False), ("campaign", True))
    },
    "devices": lambda read: device_conversion(read("sessions"), read("touchpoints")),
    "devices_os": lambda read: device_conversion(read("sessions"), read("touchpoints"), by="os"),
    "unnamed_devices": lambda read: unnamed_device_channels(read("sessions"), read("touchpoints")),
    "cross_device": lambda read: cross_device(read("touchpoints"), read("conversions"), lookback_days=30),
    "device_handoff": lambda read: device_handoff(read("touchpoints"), read("conversions"), lookback_days=30),
    "cross_device_from_journeys": lambda read: cross_device(journeys=read("journeys")),
    "device_handoff_from_journeys": lambda read: device_handoff(journeys=read("journeys")),
    "bounce_pages": lambda read: bounce(read("sessions")),
    "bounce_channels": lambda read: bounce(read("sessions"), by="channel"),
    "highest_bounce": lambda read: highest_bounce_pages(read("sessions"), n=2, min_entrances=1),
    **{
        f"funnel_{order}": (
            lambda read, order=order: funnel_steps(read("events"), Funnel.of(CONFORMANCE_FUNNEL, order=order))
        )
        for order in ("sequential", "strict", "any")
    },
    "funnel_by_channel": lambda read: funnel_steps(
        read("events"), Funnel.of(CONFORMANCE_FUNNEL), breakdown="channel", top_n=2
    ),
    "funnel_by_device": lambda read: funnel_steps(
        read("events"), Funnel.of(CONFORMANCE_FUNNEL, exclusions=["page:/kopi"]), breakdown="device_type"
    ),
    **{
        f"funnel_trend_{period}": (
            # A zone with summer time: its days come from a comparison tree over the offsets (`engine.zones`).
            lambda read, period=period: funnel_trend(
                read("events"), Funnel.of(CONFORMANCE_FUNNEL, zone="Europe/London"), period=period
            )
        )
        for period in ("day", "week", "month")
    },
    "overview_by_day": lambda read: by_day(read("sessions"), read("conversions"), "Europe/London"),
    "overview_by_day_wib": lambda read: by_day(read("sessions"), read("conversions"), "Asia/Jakarta"),
    "overview_activity": lambda read: activity(read("sessions"), read("conversions"), read("journeys")),
    "funnel_next": lambda read: funnel_next(read("events"), Funnel.of(CONFORMANCE_FUNNEL), step=1),
    "funnel_day_attempts": lambda read: attempts(
        read("events"), Funnel.of(CONFORMANCE_FUNNEL, zone="Asia/Jakarta"), per_day=True
    ),
    "funnel_of_days": lambda read: funnel_steps(
        read("events"),
        Funnel.of(CONFORMANCE_FUNNEL),
        tried=best_of_days(
            attempts(read("events"), Funnel.of(CONFORMANCE_FUNNEL), per_day=True),
            Funnel.of(CONFORMANCE_FUNNEL, start=dt.date(2020, 1, 1), end=dt.date(2030, 12, 31)),
        ),
    ),
    "flow_nodes": lambda read: flow_nodes(read("events"), Flow.forward("page:/", node="page", top_n=2)),
    "flow_links": lambda read: flow_links(read("events"), Flow.forward("page:/", node="page", top_n=2)),
    "stage_funnel": lambda read: stage_funnel(read("person_stages"), FIVE_STAGES),
    "current_stages": lambda read: current_stages(read("person_stages")),
    "flow_backward": lambda read: flow_links(read("events"), Flow.backward_from("Order Completed", within="person")),
}


@pytest.mark.spark
@pytest.mark.parametrize("report", list(REPORTS))
def test_every_report_is_the_same_on_spark(
    duckdb_build: Path, duckdb_engine: Engine, spark_engine: Engine, report: str
) -> None:
    def run(engine: Engine) -> pa.Table:
        return engine.to_pyarrow(REPORTS[report](lambda name: engine.read_parquet(duckdb_build / name)))

    expected = run(duckdb_engine)
    assert expected.num_rows > 0
    assert_same_table(report, expected, run(spark_engine))
