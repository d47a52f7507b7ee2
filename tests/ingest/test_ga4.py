"""A GA4 BigQuery export (Parquet, nested) imports as events: flattened, validated, deduplicated, built into paths."""

from __future__ import annotations

import datetime as dt
import gzip
import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import lake_events, make_project, quarantined

from jejak.core.errors import InputFileError
from jejak.ingest.importer import import_file
from jejak.ingest.quarantine import list_quarantined, retry_quarantined
from jejak.pipeline import run_build

VALUE = pa.struct(
    [
        ("string_value", pa.string()),
        ("int_value", pa.int64()),
        ("float_value", pa.float64()),
        ("double_value", pa.float64()),
    ]
)
SCHEMA = pa.schema(
    [
        ("event_date", pa.string()),
        ("event_timestamp", pa.int64()),
        ("event_name", pa.string()),
        ("event_params", pa.list_(pa.struct([("key", pa.string()), ("value", VALUE)]))),
        ("user_id", pa.string()),
        ("user_pseudo_id", pa.string()),
        (
            "device",
            pa.struct(
                [
                    ("category", pa.string()),
                    ("operating_system", pa.string()),
                    ("web_info", pa.struct([("browser", pa.string())])),
                ]
            ),
        ),
        ("geo", pa.struct([("city", pa.string())])),
        (
            "collected_traffic_source",
            pa.struct(
                [("manual_source", pa.string()), ("manual_medium", pa.string()), ("manual_campaign_name", pa.string())]
            ),
        ),
        ("ecommerce", pa.struct([("purchase_revenue", pa.float64()), ("transaction_id", pa.string())])),
    ]
)
START_US = 1_772_326_800_000_000  # 2026-03-01 01:00 UTC, 08:00 in Jakarta


def _param(key: str, text: str | None = None, number: int | None = None, real: float | None = None) -> dict[str, Any]:
    return {
        "key": key,
        "value": {"string_value": text, "int_value": number, "float_value": None, "double_value": real},
    }


def _event(minute: int | None, name: str, pseudo: str, params: list[dict[str, Any]], **more: Any) -> dict[str, Any]:
    phone = {"category": "mobile", "operating_system": "Android", "web_info": {"browser": "Chrome"}}
    return {
        "event_date": "20260301",
        "event_timestamp": None if minute is None else START_US + minute * 60_000_000,
        "event_name": name,
        "event_params": params,
        "user_pseudo_id": pseudo,
        "device": phone,
        "geo": {"city": "Bandung"},
        **more,
    }


def _export(path: Path) -> Path:
    ad = {"manual_source": "google", "manual_medium": "cpc", "manual_campaign_name": "kopi-gayo"}
    rows = [
        _event(
            0,
            "page_view",
            "p1",
            [
                _param("page_location", "https://kopi.id/produk/gayo?gclid=x"),
                _param("page_referrer", "https://www.google.com/"),
                _param("page_title", "Kopi Gayo"),
                _param("ga_session_id", number=1772326800),
            ],
            collected_traffic_source=ad,
        ),
        _event(1, "view_item", "p1", [_param("ga_session_id", number=1772326800)]),
        _event(2, "add_to_cart", "p1", [_param("value", real=150000.0)]),
        _event(
            5,
            "purchase",
            "p1",
            [_param("currency", "IDR"), _param("transaction_id", "T1")],
            user_id="ana",
            ecommerce={"purchase_revenue": 150000.0, "transaction_id": "T1"},
        ),
        # A Google Ads click with no source: GA4 reads it as google / cpc. A smart TV is an "other" device.
        _event(
            9,
            "page_view",
            "p2",
            [_param("page_location", "https://kopi.id/"), _param("gclid", "abc")],
            device={"category": "smart tv", "operating_system": "Tizen", "web_info": None},
        ),
        _event(None, "page_view", "p3", []),  # no time: quarantined, at its row's line
        _event(12, "wa_click", "p2", [_param("button", "header")]),
    ]
    pq.write_table(pa.Table.from_pylist(rows, schema=SCHEMA), path)
    return path


def test_a_ga4_export_imports_as_flat_events_and_builds_into_paths(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    export = _export(tmp_path / "events_20260301.parquet")
    summary = import_file(project, export)
    assert (summary.rows_read, summary.rows_stored, summary.rows_quarantined) == (7, 6, 1)
    [bad] = quarantined(project)
    assert (bad["source_line"], bad["reason"]) == (6, "bad_timestamp")
    events = {
        json.loads(row["properties"])["ga4_event"] + f"@{row['source_line']}": row for row in lake_events(project)
    }
    assert sorted(events) == ["add_to_cart@3", "page_view@1", "page_view@5", "purchase@4", "view_item@2", "wa_click@7"]
    landing = events["page_view@1"]
    assert (landing["type"], landing["event"], landing["anonymous_id"]) == ("page", "Page Viewed", "p1")
    assert landing["timestamp"] == dt.datetime(2026, 3, 1, 1, 0, tzinfo=dt.UTC)
    assert (landing["page_path"], landing["referrer"]) == ("/produk/gayo", "https://www.google.com/")
    assert (landing["source"], landing["medium"], landing["campaign"]) == ("google", "cpc", "kopi-gayo")
    assert (landing["device_type"], landing["os"], landing["browser"]) == ("mobile", "Android", "Chrome")
    # Every parameter is kept in properties; the rest of the row (device, geo, …) in context, nothing dropped.
    assert json.loads(landing["properties"])["page_title"] == "Kopi Gayo"
    assert json.loads(landing["properties"])["ga_session_id"] == "1772326800"
    context = json.loads(landing["context"])
    assert context["geo"] == {"city": "Bandung"} and "event_params" not in context
    assert [events[key]["event"] for key in ("view_item@2", "add_to_cart@3", "purchase@4", "wa_click@7")] == [
        "Product Viewed",
        "Product Added",
        "Order Completed",
        "wa_click",
    ]
    assert events["add_to_cart@3"]["revenue"] is None  # a cart's value is not revenue
    purchase = events["purchase@4"]
    assert (purchase["user_id"], purchase["revenue"], purchase["currency"]) == ("ana", 150000.0, "IDR")
    clicked = events["page_view@5"]
    assert (clicked["source"], clicked["medium"], clicked["device_type"]) == ("google", "cpc", "other")
    assert all(row["event_id"].startswith("ga4:") for row in events.values())
    # The row without a time is kept flat in the quarantine, and a fixed time re-tries it as any Parquet row.
    [kept] = list_quarantined(project).rows
    fixed = {**json.loads(kept.raw), "timestamp": "2026-03-01T01:15:00Z"}
    retried = retry_quarantined(project, fixed={kept.row_id: json.dumps(fixed)})
    assert retried.rows_stored == 1 and retried.reconciles
    assert [row["anonymous_id"] for row in lake_events(project) if row["source_line"] == 6] == ["p3"]
    # The same export again (or one that overlaps it) adds nothing.
    again = import_file(project, export)
    assert (again.rows_stored, again.duplicates_skipped, again.rows_quarantined) == (0, 6, 1)  # the timeless row again

    build = run_build(project).build_dir
    paths = pq.read_table(build / "paths").to_pylist()
    # The visitor who bought came from the Google ad: one converting path, Paid Search, with the order's revenue.
    [converted] = [row for row in paths if row["conversions"]]
    assert (converted["path"], converted["conversions"], converted["revenue"]) == ("Paid Search", 1, 150000.0)


def test_a_ga4_refund_names_the_purchase_by_its_transaction_id(tmp_path: Path) -> None:
    """GA4's export keeps a purchase's transaction id in `ecommerce`; its `refund` event names the same one."""
    project = make_project(tmp_path / "p")
    ecommerce = {"purchase_revenue": 150000.0, "transaction_id": "T-77"}
    rows = [
        _event(0, "page_view", "p1", [_param("page_location", "https://kopi.id/?utm_source=ig&utm_medium=social")]),
        _event(3, "purchase", "p1", [_param("currency", "IDR")], user_id="ana", ecommerce=ecommerce),
        _event(90, "refund", "p1", [_param("value", real=40000.0)], ecommerce={"transaction_id": "T-77"}),
    ]
    export = tmp_path / "events_20260301.parquet"
    pq.write_table(pa.Table.from_pylist(rows, schema=SCHEMA), export)
    assert import_file(project, export).rows_stored == 3
    build = run_build(project).build_dir
    [conversion] = pq.read_table(build / "conversions").to_pylist()
    assert (conversion["gross_revenue"], conversion["revenue"]) == (150000.0, 110000.0)
    assert pq.read_table(build / "refunds").column("outcome").to_pylist() == ["subtracted"]


def test_a_parquet_file_that_is_not_a_ga4_export_is_read_as_it_is(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    plain = tmp_path / "orders.parquet"
    table = {"timestamp": ["2026-03-01T09:00:00+07:00"], "user_id": ["ana"], "event_name": ["purchase"]}
    pq.write_table(pa.table(table), plain)  # one GA4 column name alone does not make a GA4 export
    summary = import_file(project, plain)
    assert summary.rows_stored == 1
    [row] = lake_events(project)
    # Read as any file's `event_name` column is: the event's name (not renamed, not flattened).
    assert row["event"] == "purchase" and not row["event_id"].startswith("ga4:")


def test_a_ga4_export_in_json_is_refused_with_what_to_export_instead(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    row = {"event_timestamp": "1772326800000000", "event_name": "page_view", "user_pseudo_id": "p1", "event_params": []}
    export = tmp_path / "events_20260301.json.gz"
    export.write_bytes(gzip.compress((json.dumps(row) + "\n").encode()))
    with pytest.raises(InputFileError, match=r"events_20260301\.json\.gz is a GA4 BigQuery export in JSON.*Parquet"):
        import_file(project, export)
    assert lake_events(project) == [] and quarantined(project) == []
    # A Segment message is still a Segment message.
    segment = tmp_path / "web.jsonl"
    segment.write_text(json.dumps({"type": "page", "userId": "ana", "timestamp": "2026-03-01T09:00:00+07:00"}) + "\n")
    assert import_file(project, segment).rows_stored == 1


def test_an_older_leaner_ga4_export_reads_the_fields_it_has(tmp_path: Path) -> None:
    # No collected_traffic_source, ecommerce or device; parameter values as text and whole numbers only.
    value = pa.struct([("string_value", pa.string()), ("int_value", pa.int64())])
    schema = pa.schema(
        [
            ("event_timestamp", pa.string()),
            ("event_name", pa.string()),
            ("event_params", pa.list_(pa.struct([("key", pa.string()), ("value", value)]))),
            ("user_pseudo_id", pa.string()),
        ]
    )
    location = {"key": "page_location", "value": {"string_value": "https://kopi.id/blog", "int_value": None}}
    session = {"key": "ga_session_id", "value": {"string_value": None, "int_value": 7}}
    rows = [
        {
            "event_timestamp": str(START_US),
            "event_name": "page_view",
            "event_params": [location, session],
            "user_pseudo_id": "p",
        },
        {"event_timestamp": "kemarin", "event_name": "page_view", "event_params": [], "user_pseudo_id": "p"},
    ]
    export = tmp_path / "events_20260301.parquet"
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), export)
    project = make_project(tmp_path / "p")
    summary = import_file(project, export)
    assert (summary.rows_stored, summary.rows_quarantined) == (1, 1)
    [row] = lake_events(project)
    assert (row["page_path"], row["source"], row["device_type"], row["revenue"]) == ("/blog", None, None, None)
    assert json.loads(row["properties"]) == {
        "page_location": "https://kopi.id/blog",
        "ga_session_id": "7",
        "ga4_event": "page_view",
    }
    assert [bad["reason"] for bad in quarantined(project)] == ["bad_timestamp"]


def test_a_check_of_a_ga4_export_says_how_it_is_read(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from jejak.cli.main import cli

    project = make_project(tmp_path / "p")
    export = _export(tmp_path / "events_20260301.parquet")
    checked = CliRunner(env={"COLUMNS": "200"}).invoke(
        cli, ["import", str(export), "--check", "--project", str(project.root)]
    )
    assert checked.exit_code == 0, checked.output
    assert "a GA4 BigQuery export, flattened into event columns" in checked.output
    assert "columns read as" not in checked.output  # the flattening's own names, mapped to themselves: noise
    assert "2026-03-01 08:00:00+07:00" in checked.output  # the first event's time, whole, in the timezone setting
    assert lake_events(project) == []
