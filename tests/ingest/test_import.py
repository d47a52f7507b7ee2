"""File import: every row is stored, quarantined with a reason, or skipped as a duplicate, and the counts say so."""

from __future__ import annotations

import datetime as dt
import decimal
import gzip
import hashlib
import json
import re
import shlex
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import CLOCK_START, jakarta, lake_events, make_project, quarantined, write_csv, write_jsonl

from jejak.core.errors import InputFileError, MissingColumnError, SettingError
from jejak.core.typed import TYPED_WHOLE_MOST
from jejak.core.vocabulary import QUARANTINE_REASONS
from jejak.ingest.importer import ImportOptions, ImportSummary, import_file
from jejak.ingest.mapping import parse_map_option, parse_set_option
from jejak.ingest.spend import import_spend, spend_by_channel
from jejak.store.project import Project

UTC = dt.UTC


def utc(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=UTC)


def by_id(project: Project) -> dict[str, dict[str, Any]]:
    return {row["event_id"]: row for row in lake_events(project)}


def assert_reconciles(summary: ImportSummary, read: int, stored: int, quarantined_rows: int, duplicates: int) -> None:
    assert (summary.rows_read, summary.rows_stored, summary.rows_quarantined, summary.duplicates_skipped) == (
        read,
        stored,
        quarantined_rows,
        duplicates,
    )
    assert summary.reconciles
    assert sum(summary.quarantined_by_reason.values()) == summary.rows_quarantined


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return make_project(tmp_path / "p")


# --- counts reconcile, in every format ----------------------------------------------------------------

# Ana's morning: 4 good events, one sent twice, and one row nobody can be tied to.
MORNING = [
    {"event_id": "m1", "timestamp": "2026-03-01T09:00:00+07:00", "type": "page", "user_id": "ana"},
    {"event_id": "m2", "timestamp": "2026-03-01T09:05:00+07:00", "type": "track", "user_id": "ana", "event": "Product Viewed"},
    {"event_id": "m2", "timestamp": "2026-03-01T09:05:00+07:00", "type": "track", "user_id": "ana", "event": "Product Viewed"},
    {"event_id": "m3", "timestamp": "2026-03-01T09:09:00+07:00", "type": "track", "user_id": "ana", "event": "Order Completed", "revenue": "185000"},
    {"event_id": "m4", "timestamp": "2026-03-01T09:10:00+07:00", "type": "track", "user_id": "", "event": "Lost"},
    {"event_id": "m5", "timestamp": "2026-03-04T17:30:00+07:00", "type": "offline", "user_id": "ana", "event": "store_visit"},
]  # fmt: skip


def _write_morning(path: Path, file_format: str) -> Path:
    if file_format == "csv":
        return write_csv(path.with_suffix(".csv"), MORNING)
    if file_format == "jsonl":
        messages = []
        for row in MORNING:
            message: dict[str, Any] = {
                "messageId": row["event_id"],
                "timestamp": row["timestamp"],
                "type": row["type"],
                "event": row.get("event"),
            }
            if row["user_id"]:
                message["userId"] = row["user_id"]
            if "revenue" in row:
                message["properties"] = {"revenue": int(row["revenue"])}
            messages.append(message)
        return write_jsonl(path.with_suffix(".jsonl"), messages)
    columns = sorted({key for row in MORNING for key in row})
    table = pa.table({name: [row.get(name) or None for row in MORNING] for name in columns})
    pq.write_table(table, path.with_suffix(".parquet"))
    return path.with_suffix(".parquet")


@pytest.mark.parametrize("file_format", ["csv", "jsonl", "parquet"])
def test_counts_reconcile_in_every_format(project: Project, tmp_path: Path, file_format: str) -> None:
    path = _write_morning(tmp_path / "morning", file_format)
    summary = import_file(project, path)
    # 6 rows: m1, m2, m3, m5 stored; the second m2 skipped; m4 has no identifier.
    assert_reconciles(summary, read=6, stored=4, quarantined_rows=1, duplicates=1)
    assert summary.file_format == file_format
    assert summary.quarantined_by_reason == {"no_identifier": 1}
    events = by_id(project)
    assert sorted(events) == ["m1", "m2", "m3", "m5"]
    assert events["m3"]["revenue"] == 185000.0
    assert events["m3"]["currency"] == "IDR"
    assert events["m3"]["timestamp"] == utc(2026, 3, 1, 2, 9)
    assert events["m5"]["touchpoint"] == "offline"
    assert events["m1"]["event"] == "Page Viewed"
    [bad] = quarantined(project)
    assert (bad["reason"], bad["source_line"]) == ("no_identifier", 6 if file_format == "csv" else 5)
    assert bad["source_file"] == str(path.resolve())
    # The imports table in SQLite holds the same counts.
    db = sqlite3.connect(project.sqlite_path)
    try:
        row = db.execute("SELECT rows_read, rows_stored, rows_quarantined, duplicates_skipped FROM imports").fetchall()
    finally:
        db.close()
    assert row == [(6, 4, 1, 1)]


def test_parquet_timestamp_columns_are_read_as_times(project: Project, tmp_path: Path) -> None:
    table = pa.table(
        {
            "timestamp": pa.array(
                [utc(2026, 3, 1, 2, 0), utc(2026, 3, 1, 2, 30, 15, 250000)], pa.timestamp("us", tz="UTC")
            ),
            "local_time": pa.array([dt.datetime(2026, 3, 1, 9, 0)] * 2, pa.timestamp("ms")),
            "userId": ["ana", "budi"],
        }
    )
    pq.write_table(table, tmp_path / "app.parquet")
    summary = import_file(project, tmp_path / "app.parquet", constants={"event": "App Opened"})
    assert summary.quarantined_by_reason == {}
    assert_reconciles(summary, read=2, stored=2, quarantined_rows=0, duplicates=0)
    times = {row["user_id"]: row["timestamp"] for row in lake_events(project)}
    assert times == {"ana": utc(2026, 3, 1, 2, 0), "budi": utc(2026, 3, 1, 2, 30, 15, 250000)}


def test_naive_parquet_timestamps_are_read_in_the_timezone_setting(project: Project, tmp_path: Path) -> None:
    table = pa.table({"timestamp": pa.array([dt.datetime(2026, 3, 1, 9, 0)], pa.timestamp("s")), "user_id": ["ana"]})
    pq.write_table(table, tmp_path / "pos.parquet")
    summary = import_file(project, tmp_path / "pos.parquet", constants={"event": "Order Completed"})
    assert summary.rows_stored == 1, summary
    assert lake_events(project)[0]["timestamp"] == jakarta("2026-03-01 09:00")


def test_parquet_columns_of_any_type_are_kept_as_text(project: Project, tmp_path: Path) -> None:
    # An app's export: lists, structs and maps (no text cast in Arrow), bytes that are not UTF-8, a dictionary-
    # encoded column, decimals and integer ids. Extra columns go to properties as text (JSON for nested values).
    table = pa.table(
        {
            "timestamp": ["2026-03-01T09:00:00+07:00", "2026-03-01T09:05:00+07:00"],
            "user_id": pa.array([101, 102], pa.int64()),
            "tags": pa.array([["kopi", "susu"], None]),
            "cart": pa.array([{"items": 2, "day": dt.date(2026, 3, 1)}, {"items": 0, "day": None}]),
            "counts": pa.array([[("a", 1)], []], pa.map_(pa.string(), pa.int64())),
            "blob": pa.array([b"\xff\x00", b"ok"], pa.binary()),
            "kind": pa.array(["web", "app"]).dictionary_encode(),
            "price": pa.array([decimal.Decimal("1.50"), None], pa.decimal128(5, 2)),
        }
    )
    pq.write_table(table, tmp_path / "app.parquet")
    summary = import_file(project, tmp_path / "app.parquet", constants={"event": "Cart Viewed"})
    assert_reconciles(summary, read=2, stored=2, quarantined_rows=0, duplicates=0)
    stored = {row["user_id"]: json.loads(row["properties"]) for row in lake_events(project)}
    assert stored["101"] == {
        "tags": '["kopi", "susu"]',
        "cart": '{"items": 2, "day": "2026-03-01"}',
        "counts": '[["a", 1]]',
        "blob": "ff00",
        "kind": "web",
        "price": "1.50",
    }
    assert stored["102"] == {"cart": '{"items": 0, "day": null}', "counts": "[]", "blob": "6f6b", "kind": "app"}


# --- every kind of bad row goes to the quarantine, with its reason, file and line ----------------------


def test_each_kind_of_bad_csv_row_is_quarantined_with_its_reason_and_line(project: Project, tmp_path: Path) -> None:
    big = "x" * (64 * 1024 + 1)  # one byte over the default import_max_field_bytes
    lines = [
        b"timestamp,user_id,type,event,revenue,properties",  # line 1: header
        b"2026-03-01 09:00,ana,page,,,",  # 2 good
        b"kemarin sore,ana,page,,,",  # 3 bad_timestamp
        b"2026-03-01 09:02,,page,,,",  # 4 no_identifier
        b"2026-03-01 09:03,ana,track,Order Completed,mahal,",  # 5 wrong_type (revenue)
        b'2026-03-01 09:04,ana,track,,,"[1, 2]"',  # 6 wrong_type (properties not an object)
        b"2026-03-01 09:05,ana,purchase,,,",  # 7 unknown_type
        b"2026-03-01 09:06,ana,track," + big.encode() + b",,",  # 8 oversize_field
        b"2026-03-01 09:07,b\xffudi,page,,,",  # 9 invalid_utf8
        b"2026-03-01 09:08,ana,page,,",  # 10 malformed_row (5 fields, not 6)
        b"2026-03-01 09:09,ana,page,,,,extra",  # 11 malformed_row (7 fields)
        b'2026-03-01 09:10,"ana,page,,,',  # 12 malformed_row: the quote never closes
        b"2026-03-01 09:11,budi,page,,,",  # 13 good: not swallowed by line 12
        b'2026-03-01 09:12,cici,track,Order Completed,"150000",{"sku": "kopi-susu"}',  # 14 good
        b"",
    ]
    path = tmp_path / "kasir.csv"
    path.write_bytes(b"\n".join(lines))
    summary = import_file(project, path)
    expected = {
        3: "bad_timestamp",
        4: "no_identifier",
        5: "wrong_type",
        6: "wrong_type",
        7: "unknown_type",
        8: "oversize_field",
        9: "invalid_utf8",
        10: "malformed_row",
        11: "malformed_row",
        12: "malformed_row",
    }
    bad = quarantined(project)
    assert {row["source_line"]: row["reason"] for row in bad} == expected
    assert {row["source_file"] for row in bad} == {str(path.resolve())}
    assert all(row["message"] for row in bad)
    assert set(summary.quarantined_by_reason) <= set(QUARANTINE_REASONS)
    assert_reconciles(summary, read=13, stored=3, quarantined_rows=10, duplicates=0)
    stored = {row["source_line"]: row for row in lake_events(project)}
    assert sorted(stored) == [2, 13, 14]
    assert stored[13]["user_id"] == "budi"
    assert stored[14]["revenue"] == 150000.0
    assert json.loads(stored[14]["properties"]) == {"sku": "kopi-susu"}
    raw_by_line = {row["source_line"]: row["raw"] for row in bad}
    assert "kemarin sore" in raw_by_line[3], "the quarantine keeps the row's text"
    assert "2026-03-01 09:11" not in raw_by_line[12], "the unbalanced quote swallowed the next row"


def test_an_unbalanced_quote_near_the_top_of_a_long_file_swallows_nothing(project: Project, tmp_path: Path) -> None:
    rows = ["timestamp,user_id,event", '2026-03-01 09:00,"ana,Page A']
    rows += [f"2026-03-01 10:{minute:02d},u{minute},Page B" for minute in range(59)]  # under 64 lines, then more
    rows += [f"2026-03-01 11:{minute:02d},v{minute},Page C" for minute in range(59)]
    path = tmp_path / "panjang.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    summary = import_file(project, path)
    assert_reconciles(summary, read=119, stored=118, quarantined_rows=1, duplicates=0)
    assert [(row["source_line"], row["reason"]) for row in quarantined(project)] == [(2, "malformed_row")]


def test_each_kind_of_bad_jsonl_line_is_quarantined(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", {"import_max_field_bytes": 64})
    good = {"type": "track", "event": "Product Viewed", "userId": "ana", "timestamp": "2026-03-01T09:00:00+07:00"}
    lines = [
        json.dumps({**good, "messageId": "ok-1"}).encode(),  # 1 good
        b'{"type": "track", "userId": "ana", "timestamp": ',  # 2 bad_json (cut off)
        b'["a", "list"]',  # 3 bad_json (not an object)
        json.dumps({**good, "userId": {"id": "ana"}}).encode(),  # 4 wrong_type
        json.dumps({**good, "properties": "revenue=10"}).encode(),  # 5 wrong_type
        json.dumps({**good, "properties": {"revenue": [1]}}).encode(),  # 6 wrong_type
        json.dumps({**good, "type": "purchase"}).encode(),  # 7 unknown_type
        json.dumps({**good, "timestamp": "besok"}).encode(),  # 8 bad_timestamp
        json.dumps({**good, "userId": None}).encode(),  # 9 no_identifier
        json.dumps({**good, "event": "E" * 65}).encode(),  # 10 oversize_field (limit 64 bytes)
        json.dumps({**good, "messageId": "bad-8"}).encode().replace(b"ana", b"an\xe9"),  # 11 invalid_utf8
        b"",  # 12 an empty line: a blank line is not an event
        json.dumps({**good, "messageId": "ok-2", "event": "E" * 64}).encode(),  # 13 good: exactly at the limit
    ]
    path = tmp_path / "segment.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    summary = import_file(project, path)
    got = {row["source_line"]: row["reason"] for row in quarantined(project)}
    assert got == {
        2: "bad_json",
        3: "bad_json",
        4: "wrong_type",
        5: "wrong_type",
        6: "wrong_type",
        7: "unknown_type",
        8: "bad_timestamp",
        9: "no_identifier",
        10: "oversize_field",
        11: "invalid_utf8",
    }
    assert sorted(by_id(project)) == ["ok-1", "ok-2"]
    # 13 lines, the blank one is not a row: 12 read, 2 stored, 10 quarantined.
    assert_reconciles(summary, read=12, stored=2, quarantined_rows=10, duplicates=0)


def _nested(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


@pytest.mark.parametrize("first", [True, False], ids=["first-line", "later-line"])
def test_a_jsonl_line_nested_past_pythons_recursion_is_read_not_a_crash(tmp_path: Path, first: bool) -> None:
    # Python's json reads nesting by recursion: 2,000 objects deep raised RecursionError, no ValueError, and the
    # import stopped as a bug (the first line is read in Python to tell a GA4 export apart; a property's JSON text is
    # read to hide its e-mails and phones).
    project = make_project(tmp_path / "p")
    good = '"type":"track","event":"Product Viewed","userId":"ana","timestamp":"2026-03-01T09:00:00+07:00"'
    deep = "{" + good + ',"messageId":"deep","properties":{"email":"ana@contoh.id","x":' + _nested(2000) + "}}"
    plain = "{" + good + ',"messageId":"plain"}'
    path = tmp_path / "segment.jsonl"
    path.write_text("\n".join([deep, plain] if first else [plain, deep]) + "\n", encoding="utf-8")
    summary = import_file(project, path)
    assert_reconciles(summary, read=2, stored=2, quarantined_rows=0, duplicates=0)
    stored = by_id(project)["deep"]["properties"]
    assert stored.count('{"a":') == 2000
    assert "ana@contoh.id" not in stored  # hidden as text, where it cannot be read as JSON
    again = import_file(project, path)
    assert_reconciles(again, read=2, stored=0, quarantined_rows=0, duplicates=2)


def test_an_exports_line_nested_past_pythons_recursion_is_read_not_a_crash(tmp_path: Path) -> None:
    # A Mixpanel export is rewritten as Segment messages line by line, each parsed in Python: the deep one goes to
    # the reader as it is, as a line that is no JSON does.
    project = make_project(tmp_path / "p")
    line = {"event": "Product Viewed", "properties": {"distinct_id": "ana", "time": 1772330400}}
    deep = json.dumps(line)[:-2] + ', "x": ' + _nested(2000) + "}}"
    path = tmp_path / "mixpanel.jsonl"
    path.write_text(json.dumps(line) + "\n" + deep + "\n", encoding="utf-8")
    summary = import_file(project, path)
    assert summary.rows_read == 2
    assert summary.rows_stored + summary.rows_quarantined == 2


def test_null_objects_in_a_jsonl_line_mean_none(tmp_path: Path) -> None:
    """`"properties": null` (and context, traits) is no object, as a missing one is: stored, not wrong_type."""
    project = make_project(tmp_path / "p")
    message = {"type": "track", "event": "Product Viewed", "userId": "ana", "timestamp": "2026-03-01T09:00:00+07:00"}
    nulls = {"messageId": "nulls", "properties": None, "context": None, "traits": None}
    path = tmp_path / "segment.jsonl"
    path.write_text(json.dumps({**message, **nulls}) + "\n" + json.dumps({**message, "messageId": "none"}) + "\n")
    summary = import_file(project, path)
    assert_reconciles(summary, read=2, stored=2, quarantined_rows=0, duplicates=0)
    stored = by_id(project)
    for column in ("properties", "context", "traits"):
        assert stored["nulls"][column] == stored["none"][column]


def test_an_email_messages_campaign_is_its_properties_campaign_name(tmp_path: Path) -> None:
    """Segment's e-mail spec names the campaign in `properties.campaign_name`, not `context.campaign`: an opened
    newsletter is that campaign's touch. A `context.campaign.name` still comes first."""
    project = make_project(tmp_path / "p")
    opened = {"type": "track", "event": "Email Opened", "userId": "ana", "timestamp": "2026-03-01T09:00:00+07:00"}
    messages = [
        {**opened, "messageId": "spec", "properties": {"campaign_name": "Promo 12.12", "email_id": "e1"}},
        {
            **opened,
            "messageId": "both",
            "properties": {"campaign_name": "Promo"},
            "context": {"campaign": {"name": "utm"}},
        },
        {**opened, "messageId": "none", "properties": {"email_id": "e2"}},
    ]
    import_file(project, write_jsonl(tmp_path / "email.jsonl", messages))
    assert {event_id: row["campaign"] for event_id, row in by_id(project).items()} == {
        "spec": "Promo 12.12",
        "both": "utm",
        "none": None,
    }


def test_reimporting_a_file_stores_nothing_and_quarantines_nothing_again(project: Project, tmp_path: Path) -> None:
    path = _write_morning(tmp_path / "morning", "csv")
    first = import_file(project, path)
    lake_before = sorted(str(p) for p in project.events_dir.rglob("*.parquet"))
    second = import_file(project, path)
    # The second time every valid row (4 new + 1 in-file duplicate) is a duplicate.
    assert_reconciles(second, read=6, stored=0, quarantined_rows=1, duplicates=5)
    assert first.rows_stored == 4
    assert sorted(str(p) for p in project.events_dir.rglob("*.parquet")) == lake_before
    assert len(lake_events(project)) == 4
    assert len(quarantined(project)) == 1


def test_duplicates_inside_one_file_are_skipped_and_counted(project: Project, tmp_path: Path) -> None:
    # No event ids: the id is built from the source and the row's text, so identical rows are one event.
    rows = [
        {"timestamp": "2026-03-01 09:00", "user_id": "ana", "event": "Product Viewed"},
        {"timestamp": "2026-03-01 09:00", "user_id": "ana", "event": "Product Viewed"},
        {"timestamp": "2026-03-01 09:00", "user_id": "ana", "event": "Product Viewed"},
        {"timestamp": "2026-03-01 09:01", "user_id": "ana", "event": "Product Viewed"},
    ]
    summary = import_file(project, write_csv(tmp_path / "klik.csv", rows))
    assert_reconciles(summary, read=4, stored=2, quarantined_rows=0, duplicates=2)
    events = lake_events(project)
    assert [row["source_line"] for row in events] == [2, 5], "the first of each duplicate is kept"
    assert all(row["event_id"].startswith("h:") for row in events)


def test_the_same_rows_from_two_sources_are_two_sets_of_events(project: Project, tmp_path: Path) -> None:
    rows = [{"timestamp": "2026-03-01 09:00", "user_id": "ana", "event": "wa_chat"}]
    path = write_csv(tmp_path / "chat.csv", rows)
    assert import_file(project, path, source_name="whatsapp").rows_stored == 1
    assert import_file(project, path, source_name="whatsapp").rows_stored == 0
    assert import_file(project, path, source_name="line").rows_stored == 1
    assert sorted(row["source_name"] for row in lake_events(project)) == ["line", "whatsapp"]


def test_an_excel_csv_with_a_byte_order_mark_and_crlf_imports(project: Project, tmp_path: Path) -> None:
    # Excel's "CSV UTF-8 (Comma delimited)" writes a byte-order mark and Windows line endings.
    path = tmp_path / "excel.csv"
    path.write_bytes("\ufefftimestamp,user_id,event\r\n2026-03-01 09:00,ana,Order Completed\r\n".encode())
    summary = import_file(project, path)
    assert_reconciles(summary, read=1, stored=1, quarantined_rows=0, duplicates=0)
    [event] = lake_events(project)
    assert (event["user_id"], event["event"], event["timestamp"]) == ("ana", "Order Completed", utc(2026, 3, 1, 2, 0))


def test_a_jsonl_file_with_a_byte_order_mark_imports_its_first_line(project: Project, tmp_path: Path) -> None:
    path = tmp_path / "bom.jsonl"
    line = json.dumps({"messageId": "m1", "type": "page", "userId": "ana", "timestamp": "2026-03-01T02:00:00Z"})
    path.write_bytes(("\ufeff" + line + "\n").encode())
    summary = import_file(project, path)
    assert_reconciles(summary, read=1, stored=1, quarantined_rows=0, duplicates=0)


# --- timestamps ---------------------------------------------------------------------------------------


TIMES = [
    ("2026-03-01T02:00:00Z", utc(2026, 3, 1, 2, 0)),
    ("2026-03-01T09:00:00+07:00", utc(2026, 3, 1, 2, 0)),
    ("2026-03-01T04:00:00+02:00", utc(2026, 3, 1, 2, 0)),
    ("2026-03-01 09:00:00", utc(2026, 3, 1, 2, 0)),  # naive: Asia/Jakarta (UTC+7)
    ("2026-03-01T09:00", utc(2026, 3, 1, 2, 0)),
    ("2026-03-01 23:30:00.123456", utc(2026, 3, 1, 16, 30, 0, 123456)),
    ("2026-03-01T00:30:00+07:00", utc(2026, 2, 28, 17, 30)),  # the day before, in UTC
]


def test_timestamps_are_stored_in_utc_exactly(project: Project, tmp_path: Path) -> None:
    rows = [{"event_id": f"t{i}", "timestamp": text, "user_id": "ana"} for i, (text, _) in enumerate(TIMES)]
    summary = import_file(project, write_csv(tmp_path / "times.csv", rows), constants={"event": "Page Viewed"})
    assert summary.rows_stored == len(TIMES)
    events = by_id(project)
    for i, (text, expected) in enumerate(TIMES):
        assert events[f"t{i}"]["timestamp"] == expected, text
    # The lake partitions by the UTC date.
    t6 = [p for p in project.events_dir.rglob("*.parquet") if "t6" in pq.read_table(p).column("event_id").to_pylist()]
    assert [p.parent.name for p in t6] == ["date=2026-02-28"]


def test_naive_times_follow_the_timezone_setting(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", {"timezone": "Asia/Makassar"})  # UTC+8, no daylight saving
    rows = [
        {"event_id": "naive", "timestamp": "2026-03-01 09:00:00", "user_id": "ana"},
        {"event_id": "offset", "timestamp": "2026-03-01 09:00:00+07:00", "user_id": "ana"},
    ]
    import_file(project, write_csv(tmp_path / "times.csv", rows), constants={"event": "Page Viewed"})
    events = by_id(project)
    assert events["naive"]["timestamp"] == utc(2026, 3, 1, 1, 0)
    assert events["offset"]["timestamp"] == utc(2026, 3, 1, 2, 0), "an offset wins over the setting"


def test_segment_clock_skew_is_corrected(project: Project, tmp_path: Path) -> None:
    # Ana's phone clock runs 10 minutes fast: it says 09:10 when it sends, the server receives at 09:01:30.
    skewed = {
        "messageId": "skew",
        "type": "track",
        "event": "Product Viewed",
        "userId": "ana",
        "originalTimestamp": "2026-03-01T09:08:00+07:00",
        "sentAt": "2026-03-01T09:10:00+07:00",
        "receivedAt": "2026-03-01T02:01:30Z",
        "timestamp": "2026-03-01T09:08:00+07:00",
    }
    no_sent_at = {
        "messageId": "plain",
        "type": "track",
        "event": "Product Viewed",
        "userId": "ana",
        "timestamp": "2026-03-01T09:08:00+07:00",
    }
    only_original = {"messageId": "orig", "type": "page", "userId": "ana", "originalTimestamp": "2026-03-01T02:07:00Z"}
    import_file(project, write_jsonl(tmp_path / "segment.jsonl", [skewed, no_sent_at, only_original]))
    events = by_id(project)
    # receivedAt − (sentAt − originalTimestamp) = 02:01:30 − 2 min = 01:59:30 UTC
    assert events["skew"]["timestamp"] == utc(2026, 3, 1, 1, 59, 30)
    assert events["skew"]["received_at"] == utc(2026, 3, 1, 2, 1, 30)
    assert events["plain"]["timestamp"] == utc(2026, 3, 1, 2, 8)
    assert events["orig"]["timestamp"] == utc(2026, 3, 1, 2, 7)


# --- column mapping, aliases and extra columns ----------------------------------------------------------


def test_column_map_renames_a_files_own_headers(project: Project, tmp_path: Path) -> None:
    path = tmp_path / "kasir.csv"
    path.write_text("Waktu,Pelanggan,Acara,Total\n2026-03-01 09:00,C0042,Order Completed,185000\n", encoding="utf-8")
    summary = import_file(
        project, path, column_map={"waktu": "timestamp", "pelanggan": "user_id", "acara": "event", "total": "revenue"}
    )
    assert summary.rows_stored == 1
    [event] = lake_events(project)
    assert (event["user_id"], event["event"], event["revenue"]) == ("C0042", "Order Completed", 185000.0)
    assert event["timestamp"] == utc(2026, 3, 1, 2, 0)
    assert event["source_name"] == "kasir"


def test_import_map_in_jejak_toml_renames_headers(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", import_map={"waktu": "timestamp", "pelanggan": "user_id"})
    path = tmp_path / "kasir.csv"
    path.write_text("waktu,pelanggan\n2026-03-01 09:00,C0042\n", encoding="utf-8")
    assert import_file(project, path, constants={"event": "Order Completed"}).rows_stored == 1
    assert lake_events(project)[0]["user_id"] == "C0042"
    # column_map= wins over jejak.toml for the same column.
    other = tmp_path / "kasir2.csv"
    other.write_text("waktu,pelanggan,kode\n2026-03-02 09:00,C0042,X9\n", encoding="utf-8")
    import_file(
        project,
        other,
        column_map={"kode": "user_id", "pelanggan": "anonymous_id"},
        constants={"event": "Order Completed"},
    )
    second = [row for row in lake_events(project) if row["source_name"] == "kasir2"]
    assert (second[0]["user_id"], second[0]["anonymous_id"]) == ("X9", "C0042")


def test_a_mapping_to_an_unknown_column_is_refused(project: Project, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "a.csv", [{"timestamp": "2026-03-01 09:00", "user_id": "ana"}])
    with pytest.raises(SettingError, match="pelanggan"):
        import_file(project, path, column_map={"user_id": "pelanggan"})


def test_a_map_option_naming_a_column_twice_is_refused() -> None:
    # The second pair would silently win: say so instead.
    with pytest.raises(SettingError, match="'Waktu' twice"):
        parse_map_option("waktu=timestamp, Waktu=sent_at")
    assert parse_map_option("waktu=timestamp,pelanggan=user_id") == {"waktu": "timestamp", "pelanggan": "user_id"}


def test_quoted_names_and_values_may_hold_commas(project: Project, tmp_path: Path) -> None:
    # A marketplace header with a comma in it, and a campaign name with one: in double quotes, they stay whole.
    path = tmp_path / "pesanan.csv"
    path.write_text('Waktu,Pembeli,"Total (Rp, incl. PPN)"\n2026-03-01 09:00,ana,150000\n')
    mapping = parse_map_option('Waktu=timestamp, Pembeli=user_id, "Total (Rp, incl. PPN)"=revenue')
    constants = parse_set_option('event=Order Completed, campaign="Promo 11.11, gratis ongkir"')
    assert_reconciles(import_file(project, path, column_map=mapping, constants=constants), 1, 1, 0, 0)
    [stored] = lake_events(project)
    assert (stored["revenue"], stored["campaign"]) == (150000.0, "Promo 11.11, gratis ongkir")
    with pytest.raises(SettingError, match="never closed"):
        parse_set_option('campaign="Promo, 11.11')


def test_segment_style_headers_and_utm_columns_are_understood(project: Project, tmp_path: Path) -> None:
    rows = [
        {
            "messageId": "w1",
            "timestamp": "2026-03-01 09:00",
            "anonymousId": "a-1",
            "userId": "u-7",
            "utm_source": "instagram",
            "utm_medium": "paid_social",
            "utm_campaign": "ramadan",
            "url": "https://kopi.id/menu?x=1",
            "title": "Menu",
        }
    ]
    import_file(project, write_csv(tmp_path / "web.csv", rows), constants={"event": "Page Viewed"})
    event = by_id(project)["w1"]
    assert (event["user_id"], event["anonymous_id"]) == ("u-7", "a-1")
    assert (event["source"], event["medium"], event["campaign"]) == ("instagram", "paid_social", "ramadan")
    assert (event["page_url"], event["page_path"], event["page_title"]) == ("https://kopi.id/menu?x=1", "/menu", "Menu")
    assert event["properties"] is None


def test_unknown_columns_are_kept_inside_properties(project: Project, tmp_path: Path) -> None:
    rows = [
        {"event_id": "e1", "timestamp": "2026-03-01 09:00", "user_id": "ana", "rasa": "gula aren", "ukuran": "L"},
        {
            "event_id": "e2",
            "timestamp": "2026-03-01 09:00",
            "user_id": "ana",
            "rasa": "pandan",
            "ukuran": "",
            "properties": '{"sku": "kopi-1", "rasa": "lama"}',
        },
    ]
    import_file(project, write_csv(tmp_path / "pesanan.csv", rows), constants={"event": "Order Completed"})
    events = by_id(project)
    assert json.loads(events["e1"]["properties"]) == {"rasa": "gula aren", "ukuran": "L"}
    # The column wins over the same key in the properties JSON; nothing is dropped.
    assert json.loads(events["e2"]["properties"]) == {"sku": "kopi-1", "rasa": "pandan", "ukuran": ""}


def test_properties_that_are_not_json_quarantine_one_row_not_the_file(project: Project, tmp_path: Path) -> None:
    rows = [
        {"event_id": "e1", "timestamp": "2026-03-01 09:00", "user_id": "ana", "properties": "rasa=manis", "meja": "3"},
        {"event_id": "e2", "timestamp": "2026-03-01 09:01", "user_id": "ana", "properties": "", "meja": "4"},
        {"event_id": "e3", "timestamp": "2026-03-01 09:02", "user_id": "ana", "properties": "{}", "meja": "5"},
    ]
    summary = import_file(project, write_csv(tmp_path / "meja.csv", rows), constants={"event": "Order Completed"})
    assert_reconciles(summary, read=3, stored=2, quarantined_rows=1, duplicates=0)
    assert [(row["source_line"], row["reason"]) for row in quarantined(project)] == [(2, "wrong_type")]
    events = by_id(project)
    assert json.loads(events["e2"]["properties"]) == {"meja": "4"}
    assert json.loads(events["e3"]["properties"]) == {"meja": "5"}


def test_empty_json_cells_are_no_value(project: Project, tmp_path: Path) -> None:
    rows = [{"timestamp": "2026-03-01 09:00", "user_id": "ana", "properties": "", "context": " ", "traits": ""}]
    summary = import_file(project, write_csv(tmp_path / "kosong.csv", rows), constants={"event": "Page Viewed"})
    assert_reconciles(summary, read=1, stored=1, quarantined_rows=0, duplicates=0)
    [event] = lake_events(project)
    assert (event["properties"], event["context"], event["traits"]) == (None, None, None)


# --- whole-file errors -----------------------------------------------------------------------------------


def test_a_missing_file_is_named(project: Project, tmp_path: Path) -> None:
    with pytest.raises(InputFileError) as caught:
        import_file(project, tmp_path / "tidak-ada.csv")
    assert "tidak-ada.csv" in str(caught.value)
    assert "does not exist" in str(caught.value)


def test_an_unknown_suffix_is_named_with_the_ones_jejak_reads(project: Project, tmp_path: Path) -> None:
    path = tmp_path / "penjualan.xlsb"  # Excel's binary workbook: .xlsx and .xls are read, .xlsb is not
    path.write_bytes(b"PK\x03\x04 not really a spreadsheet")
    with pytest.raises(InputFileError) as caught:
        import_file(project, path)
    message = str(caught.value)
    assert "penjualan.xlsb" in message
    assert "'.xlsb'" in message
    assert all(suffix in message for suffix in (".csv", ".tsv", ".jsonl", ".parquet", ".xlsx", ".xls", ".ods"))
    assert not isinstance(caught.value, MissingColumnError)


def test_a_csv_without_a_timestamp_column_is_named(project: Project, tmp_path: Path) -> None:
    path = tmp_path / "tanpa-waktu.csv"
    path.write_text("tanggal,user_id\n2026-03-01,ana\n", encoding="utf-8")
    with pytest.raises(MissingColumnError) as caught:
        import_file(project, path)
    message = str(caught.value)
    assert "tanpa-waktu.csv" in message and "'timestamp'" in message and "tanggal" in message
    assert caught.value.code == "missing_column"
    assert lake_events(project) == []


def test_a_csv_without_any_identifier_column_is_named(project: Project, tmp_path: Path) -> None:
    path = tmp_path / "anonim.csv"
    path.write_text("timestamp,event\n2026-03-01 09:00,Page Viewed\n", encoding="utf-8")
    with pytest.raises(MissingColumnError) as caught:
        import_file(project, path)
    message = str(caught.value)
    assert "anonim.csv" in message
    assert all(name in message for name in ("user_id", "anonymous_id", "email", "phone"))


# GA4's report download as it saves it (Reports, Share this report, Download CSV): comment lines above a row per channel.
GA4_REPORT = (
    "# ----------------------------------------\n"
    "# Traffic acquisition: Session primary channel group (Default Channel Group)\n"
    "# Account: Kopi Jejak\n"
    "# Property: kopijejak.id - GA4\n"
    "# ----------------------------------------\n"
    "#\n"
    "# Start date: 20261001\n"
    "# End date: 20261031\n"
    "Session primary channel group (Default Channel Group),Sessions,Engaged sessions,Event count,Key events,"
    "Total revenue\n"
    "Organic Search,4210,2900,29891,120,35400000\n"
    "Direct,2100,1200,10920,80,24100000\n"
)


def test_a_report_of_totals_is_refused_as_no_events_whatever_lines_are_skipped(
    project: Project, tmp_path: Path
) -> None:
    # A marketer's first try: GA4's report download. It was told to skip "N" title lines, and after them to map a
    # time and an identifier it does not have: no mapping makes a count of sessions per channel into events.
    path = tmp_path / "Traffic_acquisition.csv"
    path.write_text(GA4_REPORT)
    for skipped in (0, 8):
        with pytest.raises(MissingColumnError) as caught:
            import_file(project, path, skip_lines=skipped)
        message = str(caught.value)
        assert "is a report of totals, not of events" in message, message
        assert "(Sessions, Engaged sessions, Event count, Key events, …)" in message
        assert "GA4's BigQuery export" in message
        assert "--skip-lines" not in message and "spend import" not in message and "--map" not in message
    assert lake_events(project) == []
    # One column that could be a total (an orders export's product views) makes no report of totals.
    orders = tmp_path / "pesanan.csv"
    orders.write_text("Invoice,Views,Total\nINV-1,3,150000\n")
    with pytest.raises(MissingColumnError) as caught:
        import_file(project, orders)
    assert "report of totals" not in str(caught.value) and "has no 'timestamp' column" in str(caught.value)


def test_an_ad_platforms_report_is_sent_to_the_spend_import_as_it_can_be_followed(
    project: Project, tmp_path: Path
) -> None:
    # Google Ads' campaign report (a title and its range above the header) given to the events import.
    path = tmp_path / "Campaign report.csv"
    path.write_text(
        'Campaign report\n"October 1, 2026 - October 31, 2026"\n'
        "Campaign,Impr.,Clicks,Currency code,Cost\n"
        'Kopi Search,120000,2400,IDR,"3,100,000"\n'
    )
    with pytest.raises(MissingColumnError) as caught:
        import_file(project, path)
    message = str(caught.value)
    assert "an ad platform's report of totals (Impr., Clicks, Cost), not of events" in message, message
    [advice] = re.findall(r"jejak spend import (.+?) \(the channel", message)
    words = shlex.split(advice)
    assert words[0] == str(path)  # quoted: the name has a space
    skip_lines = int(words[words.index("--skip-lines") + 1])
    constants = parse_set_option(words[words.index("--set") + 1])
    read = import_spend(project, path, constants=constants, skip_lines=skip_lines)
    assert (read.rows_read, read.rows_stored, read.rows_quarantined) == (1, 1, 0)
    assert spend_by_channel(project) == {"Paid Search": pytest.approx(3_100_000.0)}
    assert lake_events(project) == []


def test_a_files_title_lines_are_counted_for_the_skip_lines_advice(project: Project, tmp_path: Path) -> None:
    # A till's report: a title, its period and a blank line above the table. The advice said "--skip-lines N".
    path = tmp_path / "kasir.csv"
    path.write_text(
        "Laporan Penjualan Toko Kemang\nPeriode: Oktober 2026\n\n"
        "No. Struk,Tanggal,No. HP,Total\nS-1,2026-10-01 10:00,081299990000,45000\n"
    )
    with pytest.raises(MissingColumnError, match=r"skip the lines above its header with --skip-lines 3\.$"):
        import_file(project, path)
    # Past them the header is the table's own: no title advice, and the mapping it suggests imports the sale.
    with pytest.raises(MissingColumnError) as caught:
        import_file(project, path, skip_lines=3)
    assert "--skip-lines" not in str(caught.value)
    [offered] = re.findall(r'Its names suggest: --map "([^"]+)"', str(caught.value))
    sale = {"event": "Order Completed"}
    mapping = parse_map_option(offered)
    assert_reconciles(import_file(project, path, skip_lines=3, column_map=mapping, constants=sale), 1, 1, 0, 0)
    # A workbook's rows are counted as its sheet reads them.
    book = _workbook(
        tmp_path / "kasir.xlsx",
        [
            ["Laporan Penjualan"],
            ["Periode: Oktober 2026"],
            ["No. Struk", "Tanggal", "No. HP", "Total"],
            ["S-2", "2026-10-02 10:00", "081299990001", 30000],
        ],
    )
    with pytest.raises(MissingColumnError, match=r"--skip-lines 2\.$"):
        import_file(project, book)
    assert_reconciles(import_file(project, book, skip_lines=2, column_map=mapping, constants=sale), 1, 1, 0, 0)


def test_a_lead_form_export_is_named_as_leads_and_an_ads_lead_is_paid(project: Project, tmp_path: Path) -> None:
    # Meta's lead ads export as it downloads (UTF-16, tab-separated): two leads from an ad and one from a form shared
    # without one. It was told to name each row an order (`Order Completed`) and to tell its lead_status apart as
    # an order's; imported, every lead was Organic Social, the ads' too (their `platform` is the only source).
    header = ["id", "created_time", "ad_name", "campaign_name", "form_name", "is_organic", "platform"]
    rows = [
        ["l:1", "2026-10-05T09:12:33+07:00", "Gayo Promo", "Leads Oktober", "Sampel", "false", "ig"],
        ["l:2", "2026-10-05T10:01:02+07:00", "Gayo Promo", "Leads Oktober", "Sampel", "false", "fb"],
        ["l:3", "2026-10-06T20:45:00+07:00", "", "", "Sampel", "true", "ig"],
    ]
    people = [["budi@gmail.com", "p:+6281299990001", "CREATED"], ["sari@yahoo.co.id", "p:+6285711112222", "CREATED"]]
    people.append(["andi@gmail.com", "p:081311112222", "CREATED"])
    lines = ["\t".join([*header, "email", "phone_number", "lead_status"])]
    lines += ["\t".join([*row, *who]) for row, who in zip(rows, people, strict=True)]
    path = tmp_path / "leads.csv"
    path.write_bytes("\n".join(lines).encode("utf-16"))
    with pytest.raises(MissingColumnError) as caught:
        import_file(project, path)
    message = str(caught.value)
    assert '--set "event=Lead Submitted" (a lead form\'s export' in message, message
    assert "Order Completed" not in message and "lead_status" not in message.split("Its columns")[0]
    [offered] = re.findall(r'Its names suggest: --map "([^"]+)"', message)
    mapping = parse_map_option(offered) | {"id": "event_id"}
    assert mapping["platform"] == "source" and mapping["created_time"] == "timestamp"
    imported = import_file(project, path, column_map=mapping, constants={"event": "Lead Submitted"})
    assert_reconciles(imported, 3, 3, 0, 0)
    stored = {row["event_id"]: (row["source"], row["medium"]) for row in lake_events(project)}
    assert stored == {"l:1": ("ig", "paid"), "l:2": ("fb", "paid"), "l:3": ("ig", None)}
    # A file's own medium is its own: is_organic says nothing over it.
    own = tmp_path / "leads-with-medium.csv"
    own.write_text("id,created_time,email,is_organic,medium\nl:9,2026-10-07 09:00,cici@gmail.com,false,cpc\n")
    own_map = {"id": "event_id", "created_time": "timestamp"}
    assert_reconciles(import_file(project, own, column_map=own_map, constants={"event": "Lead Submitted"}), 1, 1, 0, 0)
    assert [row["medium"] for row in lake_events(project) if row["event_id"] == "l:9"] == ["cpc"]
    # Downloaded without a lead_status column: still a lead form's, by its is_organic.
    bare = tmp_path / "leads-bare.csv"
    bare.write_text("id,created_time,is_organic,platform,email\nl:7,2026-10-07 09:00,false,ig,dewi@gmail.com\n")
    with pytest.raises(MissingColumnError, match=r'--set "event=Lead Submitted" \(a lead form'):
        import_file(project, bare)


def test_a_missing_column_error_suggests_the_mapping_the_files_names_point_to(project: Project, tmp_path: Path) -> None:
    # A shop's own export in Indonesian: nothing is guessed, but the error offers the mapping, and that mapping
    # imports the file as meant.
    path = tmp_path / "pesanan.csv"
    path.write_text(
        "Waktu Pesanan,No. Pesanan,Pelanggan,No HP,Total Pembayaran,Kota\n"
        "2026-03-01 09:00,INV-1,ana,0812-3456-7890,150.000,Bandung\n"
    )
    with pytest.raises(MissingColumnError) as caught:
        import_file(project, path)
    [offered] = re.findall(r'Its names suggest: --map "([^"]+)"', str(caught.value))
    mapping = parse_map_option(offered)
    assert mapping == {
        "Waktu Pesanan": "timestamp",
        "No. Pesanan": "event_id",
        "Pelanggan": "user_id",
        "No HP": "phone",
        "Total Pembayaran": "revenue",
    }  # Kota (city) is left in properties
    assert_reconciles(
        import_file(project, path, column_map=mapping, constants={"event": "Order Completed"}),
        read=1,
        stored=1,
        quarantined_rows=0,
        duplicates=0,
    )
    [event] = by_id(project).values()
    assert (event["user_id"], event["revenue"], json.loads(event["properties"])) == (
        "ana",
        150_000.0,
        {"kota": "Bandung"},
    )
    # A column already read as a jejak column is not offered again, nor a second column for one already offered.
    from jejak.ingest.mapping import suggested_map

    assert suggested_map(
        ["waktu pesanan", "created at", "user_id", "pelanggan"], ["waktu pesanan", "created at", "user_id", "pelanggan"]
    ) == {"waktu pesanan": "timestamp"}
    # A unit in brackets (Tokopedia's `Total Penjualan (IDR)`); Shopee's buyer, whose phone it masks.
    tokopedia = ["Nomor Invoice", "Tanggal Pembayaran", "Total Penjualan (IDR)", "Username (Pembeli)", "Harga (Rp)"]
    assert suggested_map(tokopedia, [name.lower() for name in tokopedia]) == {
        "Nomor Invoice": "event_id",
        "Tanggal Pembayaran": "timestamp",
        "Total Penjualan (IDR)": "revenue",
        "Username (Pembeli)": "user_id",
    }
    # Meta's lead-form export times its leads `created_time`.
    assert suggested_map(["id", "created_time", "campaign_name"], ["id", "created_time", "campaign_name"]) == {
        "created_time": "timestamp",
        "campaign_name": "campaign",
    }
    # A payment gateway's (Midtrans') export: the payment's time and gross amount, the buyer's e-mail and phone.
    midtrans = ["Order ID", "Transaction Time", "Settlement Time", "Gross Amount", "Customer Email", "Customer Phone"]
    assert suggested_map(midtrans, [name.lower() for name in midtrans]) == {
        "Order ID": "event_id",
        "Transaction Time": "timestamp",
        "Gross Amount": "revenue",
        "Customer Email": "email",
        "Customer Phone": "phone",
    }
    # A call centre's log and a store's visitor book.
    calls = ["Call Date", "Caller ID", "Direction", "Duration"]
    assert suggested_map(calls, [n.lower() for n in calls]) == {"Call Date": "timestamp", "Caller ID": "phone"}
    visits = ["Tanggal Kunjungan", "Jam Kunjungan", "Nama", "Cabang"]
    assert suggested_map(visits, [n.lower() for n in visits]) == {"Tanggal Kunjungan+Jam Kunjungan": "timestamp"}
    # A phone's or an e-mail's column named in words of its own: the customer's, not the shop's side's, nor a yes/no.
    till = ["No. Struk", "No. HP Kasir", "No. HP Pelanggan", "Accepts Email Marketing", "E-mail Pembeli"]
    assert suggested_map(till, [n.lower() for n in till]) == {
        "No. Struk": "event_id",
        "No. HP Pelanggan": "phone",
        "E-mail Pembeli": "email",
    }
    shopify = ["Name", "Phone (Billing)", "Shipping Phone", "Email Penjual"]
    assert suggested_map(shopify, [n.lower() for n in shopify]) == {"Phone (Billing)": "phone"}


def test_a_date_column_and_a_time_column_are_read_as_one_timestamp(project: Project, tmp_path: Path) -> None:
    # A shop's till export keeps the day and the time apart; its names suggest joining them, and the join imports it.
    path = tmp_path / "kasir.csv"
    path.write_text(
        "Tanggal,Jam,No. Struk,No HP,Total\n"
        "2026-03-01,09:15,S-1,0812-3456-7890,Rp 45.000\n"
        "2026-03-01, 13:02 ,S-2,0812-3456-7890,Rp 120.000\n"
        "2026-03-02,,S-3,0812-3456-7890,Rp 10.000\n"  # no time: the day's start, as a date alone reads
        ",,S-4,0812-3456-7890,Rp 10.000\n"  # neither: no timestamp
        ",10:00,S-5,0812-3456-7890,Rp 10.000\n"  # a time of no day is no timestamp either
    )
    with pytest.raises(MissingColumnError) as caught:
        import_file(project, path)
    [offered] = re.findall(r'Its names suggest: --map "([^"]+)"', str(caught.value))
    mapping = parse_map_option(offered)
    assert mapping == {"Tanggal+Jam": "timestamp", "No. Struk": "event_id", "No HP": "phone", "Total": "revenue"}
    summary = import_file(project, path, column_map=mapping, constants={"event": "Order Completed"})
    assert_reconciles(summary, read=5, stored=3, quarantined_rows=2, duplicates=0)
    stored = by_id(project)
    assert {key: event["timestamp"] for key, event in stored.items()} == {
        "S-1": jakarta("2026-03-01 09:15"),
        "S-2": jakarta("2026-03-01 13:02"),
        "S-3": jakarta("2026-03-02 00:00"),
    }
    # The two columns stay in the properties as the file wrote them.
    assert json.loads(stored["S-2"]["properties"]) == {"tanggal": "2026-03-01", "jam": " 13:02 "}
    assert {row["source_line"]: row["reason"] for row in quarantined(project)} == {
        5: "bad_timestamp",
        6: "bad_timestamp",
    }
    from jejak.ingest.mapping import suggested_map

    assert suggested_map(["Jam", "Tanggal"], ["jam", "tanggal"]) == {"Tanggal+Jam": "timestamp"}


def test_a_survey_forms_answers_are_mapped_to_the_properties_feedback_reads(tmp_path: Path) -> None:
    # A Google Form's responses: its questions are its column names. Mapped to the properties the feedback step reads
    # (score, comment) and given their survey with --set, they become the journey map's feelings.
    from jejak.ingest.mapping import suggested_map
    from jejak.pipeline import run_build

    project = make_project(tmp_path / "p", settings={"timestamp_formats": ["%d/%m/%Y %H:%M:%S"]})
    path = tmp_path / "survei.csv"
    path.write_text(
        "Timestamp,Email Address,Seberapa puas Anda? (1-5),Kritik dan saran\n"
        "01/03/2026 9:15:30,ana@example.com,2,Pengiriman lambat\n"
        "01/03/2026 10:01:02,budi@example.com,5,\n"
    )
    mapping = parse_map_option("Seberapa puas Anda? (1-5)=properties.score, Kritik dan saran=properties.comment")
    constants = parse_set_option("event=Survey Answered, properties.survey=csat")
    summary = import_file(project, path, column_map=mapping, constants=constants)
    assert_reconciles(summary, read=2, stored=2, quarantined_rows=0, duplicates=0)
    assert ("Seberapa puas Anda? (1-5)", "properties.score") in summary.columns
    stored = {json.loads(e["properties"])["score"]: json.loads(e["properties"]) for e in lake_events(project)}
    assert stored["2"] == {"score": "2", "comment": "Pengiriman lambat", "survey": "csat"}
    feedback = pq.read_table(run_build(project).build_dir / "feedback").to_pylist()
    assert sorted((row["survey"], row["score"], row["feeling"], row["comment"]) for row in feedback) == [
        ("csat", 2.0, -1.0, "Pengiriman lambat"),
        ("csat", 5.0, 2.0, None),
    ]
    # The comment column's name is offered as the property; a column mapped to one is not offered again.
    header = ["Timestamp", "Kritik dan saran"]
    assert suggested_map(header, ["timestamp", "kritik dan saran"]) == {"Kritik dan saran": "properties.comment"}
    assert suggested_map(header, ["timestamp", "properties.comment"]) == {}
    # A property may not take a jejak column's name: it would be read as that column.
    with pytest.raises(SettingError, match="'revenue' is a jejak column, not a property name"):
        parse_map_option("Total=properties.revenue")
    with pytest.raises(SettingError, match="the property has no name"):
        parse_set_option("properties.=csat")


def test_a_joined_mapping_names_the_column_it_cannot_find(project: Project, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "kasir.csv", [{"Tanggal": "2026-03-01", "Jam": "09:00", "user_id": "ana"}])
    with pytest.raises(SettingError, match=r"'pukul' \(columns: Tanggal, Jam, user_id\)"):
        import_file(project, path, column_map={"Tanggal+Pukul": "timestamp"})
    # A joined name the file has none of is left out, as any mapped name the file lacks; a column whose own name
    # holds a '+' is that column.
    plus = write_csv(tmp_path / "plus.csv", [{"Date+Time": "2026-03-01 09:00", "user_id": "ana"}])
    summary = import_file(
        project,
        plus,
        column_map={"date+time": "timestamp", "Hari+Pukul": "timestamp"},
        constants={"event": "Order Completed"},
    )
    assert summary.rows_stored == 1
    assert [event["timestamp"] for event in lake_events(project)] == [jakarta("2026-03-01 09:00")]


def test_a_parquet_file_without_a_timestamp_column_is_named(project: Project, tmp_path: Path) -> None:
    pq.write_table(pa.table({"user_id": ["ana"]}), tmp_path / "app.parquet")
    with pytest.raises(MissingColumnError, match=r"app\.parquet.*'timestamp'"):
        import_file(project, tmp_path / "app.parquet")


def test_an_empty_csv_is_an_input_file_error(project: Project, tmp_path: Path) -> None:
    (tmp_path / "kosong.csv").write_text("", encoding="utf-8")
    with pytest.raises(InputFileError, match=r"kosong\.csv.*empty"):
        import_file(project, tmp_path / "kosong.csv")


def test_a_file_that_is_not_parquet_is_named(project: Project, tmp_path: Path) -> None:
    (tmp_path / "rusak.parquet").write_text("timestamp,user_id\n", encoding="utf-8")
    with pytest.raises(InputFileError, match=r"rusak\.parquet"):
        import_file(project, tmp_path / "rusak.parquet")


# --- identifiers, traits and devices --------------------------------------------------------------------


def test_email_and_phone_are_stripped_from_stored_traits(project: Project, tmp_path: Path) -> None:
    identify = {
        "messageId": "id-1",
        "type": "identify",
        "userId": "u-7",
        "traits": {"email": "Ana@example.com", "phone": "0812-3456-7890", "name": "Ana", "kota": "Bandung"},
        "context": {"traits": {"email": "ana@example.com", "plan": "gold"}, "locale": "id-ID"},
        "timestamp": "2026-03-01T09:05:00+07:00",
    }
    import_file(project, write_jsonl(tmp_path / "segment.jsonl", [identify]))
    event = by_id(project)["id-1"]
    assert json.loads(event["traits"]) == {"name": "Ana", "kota": "Bandung"}
    assert json.loads(event["context"]) == {"traits": {"plan": "gold"}, "locale": "id-ID"}
    assert event["email_hash"] and event["phone_hash"]
    assert event["event"] == "Identify"


USER_AGENTS = {
    "iphone": ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 Safari/604.1", "mobile", "iOS", "Safari"),
    "windows": ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/124.0 Safari/537.36", "desktop", "Windows", "Chrome"),
    "ipad": ("Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 Safari/604.1", "tablet", "iOS", "Safari"),
    "android-phone": ("Mozilla/5.0 (Linux; Android 14; SM-A546E) AppleWebKit/537.36 Chrome/124.0 Mobile Safari/537.36", "mobile", "Android", "Chrome"),
    "android-tablet": ("Mozilla/5.0 (Linux; Android 13; SM-X200) AppleWebKit/537.36 Chrome/124.0 Safari/537.36", "tablet", "Android", "Chrome"),
    "mac": ("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 Version/17.4 Safari/605.1.15", "desktop", "macOS", "Safari"),
}  # fmt: skip


@pytest.fixture(scope="module")
def devices(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """One web visit from each device, imported once for all the device tests."""
    root = tmp_path_factory.mktemp("devices")
    project = make_project(root / "p")
    messages = [
        {
            "messageId": name,
            "type": "page",
            "anonymousId": f"a-{name}",
            "timestamp": "2026-03-01T09:00:00+07:00",
            "context": {"userAgent": user_agent},
        }
        for name, (user_agent, *_) in USER_AGENTS.items()
    ]
    import_file(project, write_jsonl(root / "web.jsonl", messages))
    return by_id(project)


@pytest.mark.parametrize("name", USER_AGENTS)
def test_device_type_os_and_browser_come_from_the_user_agent(devices: dict[str, dict[str, Any]], name: str) -> None:
    _, device_type, os, browser = USER_AGENTS[name]
    event = devices[name]
    assert (event["device_type"], event["os"], event["browser"]) == (device_type, os, browser)


def test_a_device_type_the_source_gives_wins_over_the_user_agent(project: Project, tmp_path: Path) -> None:
    rows = [
        {"event_id": "k", "timestamp": "2026-03-01 09:00", "user_id": "ana", "device_type": "Kiosk", "user_agent": "iPhone"},
        {"event_id": "t", "timestamp": "2026-03-01 09:00", "user_id": "ana", "device_type": "iPad", "user_agent": ""},
        {"event_id": "n", "timestamp": "2026-03-01 09:00", "user_id": "ana", "device_type": "", "user_agent": ""},
    ]  # fmt: skip
    import_file(project, write_csv(tmp_path / "app.csv", rows), constants={"event": "App Opened"})
    events = by_id(project)
    assert (events["k"]["device_type"], events["t"]["device_type"], events["n"]["device_type"]) == (
        "other",
        "tablet",
        None,
    )


def test_only_offline_messages_set_channel_and_touchpoint(project: Project, tmp_path: Path) -> None:
    messages = [
        # Segment's own top-level channel names the library, not a marketing channel.
        {"messageId": "web", "type": "page", "userId": "ana", "channel": "browser", "timestamp": "2026-03-01T09:00:00Z"},
        {"messageId": "toko", "type": "offline", "userId": "ana", "event": "store_visit", "channel": "Offline Store", "timestamp": "2026-03-04 17:30:00"},
    ]  # fmt: skip
    import_file(project, write_jsonl(tmp_path / "mix.jsonl", messages))
    events = by_id(project)
    assert (events["web"]["channel"], events["web"]["touchpoint"]) == (None, "online")
    assert (events["toko"]["channel"], events["toko"]["touchpoint"]) == ("Offline Store", "offline")
    assert events["toko"]["timestamp"] == jakarta("2026-03-04 17:30:00")


def test_revenue_without_currency_gets_the_currency_setting(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", {"currency": "SGD"})
    rows = [
        {"event_id": "a", "timestamp": "2026-03-01 09:00", "user_id": "ana", "revenue": "12.5", "currency": ""},
        {"event_id": "b", "timestamp": "2026-03-01 09:00", "user_id": "ana", "revenue": "100000", "currency": "idr"},
        {"event_id": "c", "timestamp": "2026-03-01 09:00", "user_id": "ana", "revenue": "", "currency": ""},
    ]
    import_file(project, write_csv(tmp_path / "o.csv", rows), constants={"event": "Order Completed"})
    events = by_id(project)
    assert (events["a"]["revenue"], events["a"]["currency"]) == (12.5, "SGD")
    assert (events["b"]["revenue"], events["b"]["currency"]) == (100000.0, "IDR")
    assert (events["c"]["revenue"], events["c"]["currency"]) == (None, None)


def test_a_row_without_an_event_id_is_keyed_by_its_source_and_text_as_before(project: Project, tmp_path: Path) -> None:
    # The id of a row without event_id must not change between releases: re-importing a file imported by an
    # older jejak would otherwise store its rows again. Its text is the row as a JSON object, file columns
    # first and extra columns after, and a quarantined row keeps that same text.
    rows = [
        {"timestamp": "2026-03-01 09:00", "user_id": "ana", "event": "Product Viewed", "shop": "Kemang"},
        {"timestamp": "not a time", "user_id": "ana", "event": "Product Viewed", "shop": "Blok M"},
    ]
    import_file(project, write_csv(tmp_path / "klik.csv", rows), source_name="web")
    text = json.dumps(rows[0], separators=(",", ":"))
    expected = "h:" + hashlib.md5(("web" + chr(31) + text).encode()).hexdigest()
    assert [row["event_id"] for row in lake_events(project)] == [expected]
    bad = quarantined(project)
    assert [(row["reason"], row["raw"]) for row in bad] == [
        ("bad_timestamp", json.dumps(rows[1], separators=(",", ":")))
    ]


# --- what separates the values -------------------------------------------------------------------------


def test_a_semicolon_export_with_decimal_commas_is_read_as_excel_wrote_it(project: Project, tmp_path: Path) -> None:
    # Excel where the comma is the decimal mark (Indonesian among them) separates values with semicolons and writes
    # 150.000,50 for 150000.5. A point not followed by groups of three digits stays a decimal point.
    path = tmp_path / "pesanan.csv"
    path.write_bytes(
        "\ufeffevent_id;waktu;pelanggan;event;pendapatan\r\n"
        "s1;2026-03-01 09:00;ana;Order Completed;150.000,50\r\n"
        "s2;2026-03-01 09:10;ana;Order Completed;2500,5\r\n"
        "s3;2026-03-01 09:20;ana;Order Completed;99.5\r\n"
        "s4;2026-03-01 09:30;ana;Order Completed;1.234.567\r\n"
        "s5;2026-03-01 09:40;ana;Order Completed;1,5,0\r\n"
        "s6;2026-03-01 09:50;ana;Order Completed;-12.000,25\r\n".encode()
    )
    summary = import_file(
        project, path, column_map={"waktu": "timestamp", "pelanggan": "user_id", "pendapatan": "revenue"}
    )
    assert summary.delimiter == ";"
    assert_reconciles(summary, read=6, stored=5, quarantined_rows=1, duplicates=0)
    revenue = {event_id: row["revenue"] for event_id, row in by_id(project).items()}
    assert revenue == {"s1": 150000.5, "s2": 2500.5, "s3": 99.5, "s4": 1234567.0, "s6": -12000.25}
    [bad] = quarantined(project)
    assert bad["reason"] == "wrong_type" and bad["source_line"] == 6


def test_auto_reads_rupiah_as_indonesian_shops_write_it(project: Project, tmp_path: Path) -> None:
    # A comma-separated export from an Indonesian shop: Rupiah with thousands points and labels. Under the default
    # decimal_mark (auto), `150.000` in Rupiah is a hundred and fifty thousand, not 150 (Rupiah has no decimals in
    # use); the same text in dollars is 150.0; a form only one convention reads is read that way.
    path = tmp_path / "pesanan.csv"
    path.write_text(
        "event_id,timestamp,user_id,event,revenue,currency\n"
        "r1,2026-03-01 09:00,ana,Order Completed,Rp150.000,\n"
        'r2,2026-03-01 09:00,ana,Order Completed,"Rp 1.250.000,-",IDR\n'
        "r3,2026-03-01 09:00,ana,Order Completed,150.000,\n"
        'r4,2026-03-01 09:00,ana,Order Completed,"150,000",IDR\n'
        'r5,2026-03-01 09:00,ana,Order Completed,"IDR 75,500.50",\n'
        "r6,2026-03-01 09:00,ana,Order Completed,1.250.000,\n"
        'r7,2026-03-01 09:00,ana,Order Completed,"1.250.000,50",\n'
        "r8,2026-03-01 09:00,ana,Order Completed,$12.500,USD\n"
        "r9,2026-03-01 09:00,ana,Order Completed,12.500,USD\n"
        'r10,2026-03-01 09:00,ana,Order Completed,"12,5",USD\n'
        'r11,2026-03-01 09:00,ana,Order Completed,"1,250,000.50",USD\n'
        "r12,2026-03-01 09:00,ana,Order Completed,99.5,\n"
        "r13,2026-03-01 09:00,ana,Order Completed,1.2.3,\n"
    )
    summary = import_file(project, path)
    assert_reconciles(summary, read=13, stored=12, quarantined_rows=1, duplicates=0)
    revenue = {event_id: row["revenue"] for event_id, row in by_id(project).items()}
    assert revenue == {
        "r1": 150_000.0,
        "r2": 1_250_000.0,
        "r3": 150_000.0,  # IDR, the currency setting's default
        "r4": 150_000.0,
        "r5": 75_500.5,
        "r6": 1_250_000.0,
        "r7": 1_250_000.5,
        "r8": 12.5,
        "r9": 12.5,
        "r10": 12.5,
        "r11": 1_250_000.5,
        "r12": 99.5,
    }
    [bad] = quarantined(project)
    assert (bad["reason"], bad["source_line"]) == ("wrong_type", 14)


def test_a_typed_number_is_never_read_as_rupiah_thousands(project: Project, tmp_path: Path) -> None:
    # In JSON and Parquet a number is a number: 150.125 stays 150.125 though its row is in Rupiah; a text amount
    # beside it is read as text is.
    lines = tmp_path / "web.jsonl"
    lines.write_text(
        "\n".join(
            json.dumps(
                {
                    "messageId": message_id,
                    "type": "track",
                    "event": "Order Completed",
                    "userId": "ana",
                    "timestamp": "2026-03-01T09:00:00+07:00",
                    "properties": {"revenue": revenue, "currency": "IDR"},
                }
            )
            for message_id, revenue in (("j1", 150.125), ("j2", "150.125"), ("j3", 150000))
        )
        + "\n"
        + json.dumps(  # an order's total, where there is no revenue: read alike
            {
                "messageId": "j4",
                "type": "track",
                "event": "Order Completed",
                "userId": "ana",
                "timestamp": "2026-03-01T09:00:00+07:00",
                "properties": {"total": "45.000"},
            }
        )
        + "\n"
    )
    table = pa.table(
        {
            "event_id": ["p1", "p2"],
            "timestamp": ["2026-03-01 09:00:00", "2026-03-01 09:00:00"],
            "user_id": ["budi", "budi"],
            "event": ["Order Completed", "Order Completed"],
            "revenue": pa.array([150.125, 2.5], pa.float64()),
            "refunded_revenue": pa.array([50.125, None], pa.float64()),  # what its row says was refunded: alike
        }
    )
    pq.write_table(table, tmp_path / "orders.parquet")
    import_file(project, lines)
    import_file(project, tmp_path / "orders.parquet")
    revenue = {event_id: row["revenue"] for event_id, row in by_id(project).items()}
    assert revenue == {"j1": 150.125, "j2": 150_125.0, "j3": 150_000.0, "j4": 45_000.0, "p1": 150.125, "p2": 2.5}
    assert json.loads(by_id(project)["p1"]["properties"]) == {"refunded_revenue": 50.125}


def test_the_setting_or_the_option_names_the_separator(tmp_path: Path) -> None:
    # A tab-separated file whose values hold commas and semicolons: auto reads its header's tabs; a setting
    # other than auto is taken as it is, and the option overrides the setting for one import.
    source = tmp_path / "chats.tsv.csv"
    source.write_text("timestamp\tuser_id\tevent\n2026-03-01 09:00\tana, b;c\tChat Started\n")
    auto = make_project(tmp_path / "auto")
    assert import_file(auto, source).delimiter == "\t"
    assert [row["user_id"] for row in lake_events(auto)] == ["ana, b;c"]
    fixed = make_project(tmp_path / "fixed", settings={"csv_delimiter": "comma"})
    with pytest.raises(MissingColumnError):  # read with commas, the header is one column
        import_file(fixed, source)
    assert import_file(fixed, source, delimiter="tab").rows_stored == 1
    with pytest.raises(SettingError, match="csv_delimiter"):
        make_project(tmp_path / "bad", settings={"csv_delimiter": ";"}).settings  # noqa: B018  # names, not characters


# --- times in other formats -----------------------------------------------------------------------------


def test_times_in_the_formats_the_setting_names_are_read_in_the_time_zone(tmp_path: Path) -> None:
    # A marketplace export with day-first times, and a call-centre log with 12-hour times and an offset.
    project = make_project(tmp_path / "p", settings={"timestamp_formats": ["%d/%m/%Y %H:%M", "%m/%d/%Y %I:%M %p %z"]})
    path = tmp_path / "pesanan.csv"
    write_csv(
        path,
        [
            {"event_id": "d1", "timestamp": "24/11/2026 13:05", "user_id": "ana"},  # day first, Jakarta
            {"event_id": "d2", "timestamp": "11/24/2026 01:05 PM +0000", "user_id": "ana"},  # 12-hour, UTC
            {"event_id": "d3", "timestamp": "2026-11-24T13:05:00+08:00", "user_id": "ana"},  # ISO first, as always
            {"event_id": "d4", "timestamp": "24.11.2026", "user_id": "ana"},  # no format fits
        ],
    )
    summary = import_file(project, path, constants={"event": "Order Completed"})
    assert_reconciles(summary, read=4, stored=3, quarantined_rows=1, duplicates=0)
    times = {event_id: row["timestamp"] for event_id, row in by_id(project).items()}
    assert times == {"d1": utc(2026, 11, 24, 6, 5), "d2": utc(2026, 11, 24, 13, 5), "d3": utc(2026, 11, 24, 5, 5)}
    [bad] = quarantined(project)
    assert bad["reason"] == "bad_timestamp" and "timestamp_formats" in bad["message"]


def test_indonesian_month_names_are_read_and_their_format_offered(tmp_path: Path) -> None:
    # A point-of-sale report writes its dates with Indonesian month names, which English strptime does not know.
    rows = [
        {"event_id": "m1", "timestamp": "25 Agustus 2026 09:15", "user_id": "ana"},
        {"event_id": "m2", "timestamp": "1 Maret 2026 17:30", "user_id": "ana"},
        {"event_id": "m3", "timestamp": "31 Desember 2026 23:59", "user_id": "ana"},
    ]
    first = make_project(tmp_path / "first")
    summary = import_file(first, write_csv(tmp_path / "laporan.csv", rows), constants={"event": "Order Completed"})
    assert summary.rows_quarantined == 3 and summary.time_format_hint is not None
    offered = summary.time_format_hint.time_format
    assert offered == "%d %B %Y %H:%M"
    # With the format offered, the import reads every name as the month it is.
    project = make_project(tmp_path / "p", settings={"timestamp_formats": [offered]})
    assert_reconciles(
        import_file(project, tmp_path / "laporan.csv", constants={"event": "Order Completed"}),
        read=3,
        stored=3,
        quarantined_rows=0,
        duplicates=0,
    )
    times = {event_id: row["timestamp"] for event_id, row in by_id(project).items()}
    assert times == {
        "m1": jakarta("2026-08-25 09:15"),
        "m2": jakarta("2026-03-01 17:30"),
        "m3": jakarta("2026-12-31 23:59"),
    }


def test_a_format_strptime_cannot_read_is_named_before_anything_is_stored(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", settings={"timestamp_formats": ["%d/%m/%Y", "%Q"]})
    path = tmp_path / "pesanan.csv"
    write_csv(path, [{"event_id": "d1", "timestamp": "24/11/2026", "user_id": "ana"}])
    with pytest.raises(SettingError, match=r"timestamp_formats.*'%Q'"):
        import_file(project, path, constants={"event": "Order Completed"})
    assert lake_events(project) == [] and quarantined(project) == []


# --- columns the file lacks -----------------------------------------------------------------------------


def test_set_gives_an_orders_export_the_columns_it_lacks(project: Project, tmp_path: Path) -> None:
    # A marketplace's orders export: no event name, no channel; every row is an order from that marketplace.
    path = tmp_path / "tokopedia.csv"
    path.write_text("invoice,waktu,pembeli,total\nINV1,2026-03-01 09:00,ana,185000\nINV2,2026-03-02 10:00,,1\n")
    constants = {"event": "Order Completed", "touchpoint": "tokopedia", "channel": "Marketplace"}
    summary = import_file(
        project,
        path,
        column_map={"invoice": "event_id", "waktu": "timestamp", "pembeli": "user_id", "total": "revenue"},
        constants=constants,
    )
    assert_reconciles(summary, read=2, stored=1, quarantined_rows=1, duplicates=0)
    [stored] = lake_events(project)
    assert {key: stored[key] for key in constants} == constants and stored["revenue"] == 185000.0
    # A quarantined row's text shows the values it was given, so a re-try has them too.
    [bad] = quarantined(project)
    assert bad["reason"] == "no_identifier" and json.loads(bad["raw"])["touchpoint"] == "tokopedia"


def test_set_refuses_a_column_the_file_has_and_a_json_lines_file(project: Project, tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text("timestamp,user_id,event\n2026-03-01 09:00,ana,Page Viewed\n")
    with pytest.raises(InputFileError, match="has a event column already"):
        import_file(project, path, constants={"event": "Order Completed"})
    lines = tmp_path / "web.jsonl"
    write_jsonl(lines, [{"type": "page", "userId": "ana", "timestamp": "2026-03-01T09:00:00+07:00"}])
    with pytest.raises(InputFileError, match="JSON Lines"):
        import_file(project, lines, constants={"channel": "Direct"})
    # One id on every row would make them one person (or, for event_id, duplicates of one event: all but one lost).
    for column in ("event_id", "user_id", "email"):
        with pytest.raises(SettingError, match=f"'{column}' cannot be one value on every row"):
            import_file(project, path, column_map={"event": "page_title"}, constants={column: "x"})
    assert lake_events(project) == []


@pytest.mark.parametrize("named_first", [True, False], ids=["a named zone first", "a named zone last"])
def test_each_time_is_read_in_its_own_zone_whatever_the_rows_around_it(tmp_path: Path, named_first: bool) -> None:
    # A log that names its zone on some lines: a time without one is still Jakarta's. DuckDB's cast read it in the
    # zone the line before it named (09:00 taken as 09:00 UTC, 7 hours off), silently.
    named = [("utc", "2026-03-01T09:00:00 UTC"), ("tokyo", "2026-03-01 09:00:00 Asia/Tokyo")]
    plain = [("naive", "2026-03-01 09:00"), ("day", "2026-03-02"), ("offset", "2026-03-01T09:00:00+07:00")]
    # As Shopify and `date` write an offset: after a space.
    spaced = [("shopify", "2026-03-01 09:00:00 +0700"), ("spaced", "2026-03-01 09:00:00 -05:00")]
    rows = [*named, *plain, *spaced] if named_first else [*plain, *spaced, *named]
    project = make_project(tmp_path / "p")
    path = write_csv(
        tmp_path / "log.csv", [{"event_id": key, "timestamp": text, "user_id": "ana"} for key, text in rows]
    )
    summary = import_file(project, path, constants={"event": "Page Viewed"})
    assert_reconciles(summary, read=7, stored=7, quarantined_rows=0, duplicates=0)
    times = {event_id: row["timestamp"] for event_id, row in by_id(project).items()}
    assert times == {
        "utc": utc(2026, 3, 1, 9, 0),
        "tokyo": utc(2026, 3, 1, 0, 0),
        "naive": jakarta("2026-03-01 09:00"),
        "day": jakarta("2026-03-02 00:00"),
        "offset": utc(2026, 3, 1, 2, 0),
        "shopify": utc(2026, 3, 1, 2, 0),
        "spaced": utc(2026, 3, 1, 14, 0),
    }


def test_indonesian_zone_names_gmt_offsets_and_times_without_seconds_are_read(tmp_path: Path) -> None:
    # As Indonesian shops and apps write times (WIB, WITA, WIT), as people write offsets (GMT+7, UTC+08:00; GMT+7
    # is seven hours ahead, as written, not the tz database's inverted Etc/GMT+7), and ISO-8601 times with a zone
    # and no seconds. All were quarantined as bad_timestamp.
    rows = [
        ("wib", "2026-03-01 09:00 WIB", utc(2026, 3, 1, 2, 0)),
        ("wita", "2026-03-01 09:00:00 WITA", utc(2026, 3, 1, 1, 0)),
        ("wit", "2026-03-01 9:00 wit", utc(2026, 3, 1, 0, 0)),
        ("gmt", "2026-03-01 09:00:00 GMT+7", utc(2026, 3, 1, 2, 0)),
        ("utc_offset", "2026-03-01 09:00 UTC+08:00", utc(2026, 3, 1, 1, 0)),
        ("west", "2026-03-01 09:00 GMT-3", utc(2026, 3, 1, 12, 0)),
        ("half", "2026-03-01 09:00 GMT+0530", utc(2026, 3, 1, 3, 30)),
        ("no_seconds", "2026-03-01T09:00+07:00", utc(2026, 3, 1, 2, 0)),
        ("no_seconds_z", "2026-03-01 09:00Z", utc(2026, 3, 1, 9, 0)),
        ("no_seconds_named", "2026-03-01 09:00 UTC", utc(2026, 3, 1, 9, 0)),
        ("naive", "2026-03-01 09:00", jakarta("2026-03-01 09:00")),
    ]
    project = make_project(tmp_path / "p")
    path = write_csv(
        tmp_path / "log.csv", [{"event_id": key, "timestamp": text, "user_id": "ana"} for key, text, _ in rows]
    )
    assert_reconciles(
        import_file(project, path, constants={"event": "Page Viewed"}),
        read=len(rows),
        stored=len(rows),
        quarantined_rows=0,
        duplicates=0,
    )
    times = {event_id: row["timestamp"] for event_id, row in by_id(project).items()}
    assert times == {key: expected for key, _, expected in rows}


def test_a_phone_a_spreadsheet_wrote_as_a_number_is_read_or_said_to_be_lost(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    rows = [
        {"event_id": "float", "timestamp": "2026-03-01 09:00", "phone": "6281234567890.0"},
        {"event_id": "typed", "timestamp": "2026-03-01 09:05", "phone": "0812-3456-7890"},
        {"event_id": "lost", "timestamp": "2026-03-01 09:10", "phone": "6.28123E+12"},
        {"event_id": "link", "timestamp": "2026-03-01 09:15", "email": "mailto:Ana@Example.com"},
        {"event_id": "plain", "timestamp": "2026-03-01 09:20", "email": "ana@example.com"},
    ]
    summary = import_file(project, write_csv(tmp_path / "kontak.csv", rows), constants={"event": "Form Submitted"})
    assert_reconciles(summary, read=5, stored=4, quarantined_rows=1, duplicates=0)
    stored = by_id(project)
    assert stored["float"]["phone_hash"] == stored["typed"]["phone_hash"] is not None  # one phone, one person
    assert stored["link"]["email_hash"] == stored["plain"]["email_hash"] is not None
    # In exponent notation the last digits are gone: read as a number it would be somebody else's phone.
    [lost] = quarantined(project)
    assert lost["reason"] == "no_identifier" and "exponent notation" in lost["message"]
    assert "6.28123E+12" not in lost["message"]  # a phone is never written into a message


def test_a_masked_phone_or_email_joins_no_one_and_is_said_to_be_masked(tmp_path: Path) -> None:
    # Shopee's orders export hides a buyer's digits. Read as digits, `62812****7890` was +628127890, one person for
    # every buyer whose number starts 0812 and ends 7890.
    project = make_project(tmp_path / "p")
    rows = [
        {"event_id": "budi", "timestamp": "2026-03-01 09:00", "phone": "62812****7890", "user_id": "budi88"},
        {"event_id": "sari", "timestamp": "2026-03-01 09:05", "phone": "62812****7890", "user_id": "sari_k"},
        {"event_id": "anon", "timestamp": "2026-03-01 09:10", "phone": "62812****7890", "user_id": ""},
        {"event_id": "mail", "timestamp": "2026-03-01 09:15", "email": "b*****8@gmail.com", "user_id": ""},
    ]
    summary = import_file(project, write_csv(tmp_path / "shopee.csv", rows), constants={"event": "Order Completed"})
    assert_reconciles(summary, read=4, stored=2, quarantined_rows=2, duplicates=0)
    stored = by_id(project)
    assert stored["budi"]["phone_hash"] is None and stored["sari"]["phone_hash"] is None
    messages = {row["raw"].split('"event_id":"')[1].split('"')[0]: row["message"] for row in quarantined(project)}
    assert set(messages) == {"anon", "mail"}
    assert messages["anon"].startswith("the phone given is masked") and "username" in messages["anon"]
    assert messages["mail"].startswith("the e-mail given is masked")
    assert "7890" not in messages["anon"] and "gmail" not in messages["mail"]  # never written into a message


def test_a_cell_that_says_none_is_no_phone_and_a_name_is_a_wrong_one(tmp_path: Path) -> None:
    # A till's walk-in sale has `-` or `N/A` where the customer's number would be: no phone was given, which is not
    # the advice for a malformed number (exponent notation). A name in the phone column is a mapping gone wrong.
    project = make_project(tmp_path / "p")
    rows = [
        {"event_id": "dash", "timestamp": "2026-03-01 09:00", "phone": " - "},
        {"event_id": "na", "timestamp": "2026-03-01 09:05", "phone": "N/A"},
        {"event_id": "none", "timestamp": "2026-03-01 09:10", "phone": "tidak ada"},
        {"event_id": "name", "timestamp": "2026-03-01 09:15", "phone": "Budi"},
    ]
    import_file(project, write_csv(tmp_path / "kasir.csv", rows), constants={"event": "Order Completed"})
    messages = {row["raw"].split('"event_id":"')[1].split('"')[0]: row["message"] for row in quarantined(project)}
    assert {key: message.startswith("none of user_id") for key, message in messages.items()} == {
        "dash": True,
        "na": True,
        "none": True,
        "name": False,
    }
    assert messages["name"].startswith("the phone given is not a phone number")


def test_a_time_days_after_the_import_and_an_absurd_revenue_are_quarantined(tmp_path: Path) -> None:
    # The tests' clock reads CLOCK_START: a time hours ahead of it is a clock a little fast, days ahead a typo.
    soon, later = CLOCK_START + dt.timedelta(hours=12), CLOCK_START + dt.timedelta(days=3)
    rows = [
        {"event_id": "soon", "timestamp": soon.isoformat(), "user_id": "ana"},
        {"event_id": "later", "timestamp": later.isoformat(), "user_id": "ana"},
        {"event_id": "typo", "timestamp": "2926-03-01 09:00", "user_id": "ana"},
        {"event_id": "big", "timestamp": "2026-03-01 09:00", "user_id": "ana", "revenue": "150000150000150000"},
        {"event_id": "refund", "timestamp": "2026-03-01 09:00", "user_id": "ana", "revenue": "-150000"},
        {"event_id": "sci", "timestamp": "2026-03-01 09:00", "user_id": "ana", "revenue": "1.5e+05"},
        # Stand-ins for a missing time: .NET's and Go's zero (before year 1 in UTC, from +07:00), a spreadsheet's.
        {"event_id": "zero", "timestamp": "0001-01-01 00:00", "user_id": "ana"},
        {"event_id": "excel", "timestamp": "1900-01-01 00:00", "user_id": "ana"},
        {"event_id": "old", "timestamp": "1990-01-01T06:00:00+07:00", "user_id": "ana"},  # 1989 in UTC
        {"event_id": "first", "timestamp": "1990-01-01T07:00:00+07:00", "user_id": "ana"},  # 1990 began in UTC
    ]
    project = make_project(tmp_path / "p")
    summary = import_file(project, write_csv(tmp_path / "orders.csv", rows), constants={"event": "Order Completed"})
    assert_reconciles(summary, read=10, stored=4, quarantined_rows=6, duplicates=0)
    assert {row["event_id"]: row["revenue"] for row in lake_events(project)} == {
        "soon": None,
        "refund": -150000.0,
        "sci": 150000.0,
        "first": None,
    }
    reasons = {row["source_line"]: (row["reason"], row["message"]) for row in quarantined(project)}
    assert [reasons[line][0] for line in (3, 4, 5)] == ["bad_timestamp", "bad_timestamp", "wrong_type"]
    assert "more than a day after this import" in reasons[4][1]
    assert "more than 10^15" in reasons[5][1]
    assert [reasons[line][0] for line in (8, 9, 10)] == ["bad_timestamp"] * 3
    assert 'timestamp "0001-01-01 00:00" is before 1990: a stand-in for a missing time' in reasons[8][1]
    # A message whose time comes from its device's clock (no `timestamp`) says which time it read.
    app = write_jsonl(
        tmp_path / "app.jsonl",
        [{"type": "track", "event": "App Opened", "userId": "ana", "originalTimestamp": "2926-03-01T09:00:00Z"}],
    )
    assert import_file(project, app).rows_quarantined == 1
    [from_app] = [row for row in quarantined(project) if row["source_file"].endswith("app.jsonl")]
    assert from_app["reason"] == "bad_timestamp" and "2926-03-01" in from_app["message"]


def test_an_id_written_as_a_float_or_marked_as_text_is_the_whole_number(tmp_path: Path) -> None:
    # pandas writes an id column with gaps as floats: 12345.0 in one export is 12345 in another, one customer.
    project = make_project(tmp_path / "p")
    rows = [
        {"event_id": "float", "timestamp": "2026-03-01 09:00", "user_id": "12345.0"},
        {"event_id": "whole", "timestamp": "2026-03-01 09:05", "user_id": "12345"},
        {"event_id": "real", "timestamp": "2026-03-01 09:10", "user_id": "1.5"},  # not a whole number: as it is
        {"event_id": "padded", "timestamp": "2026-03-01 09:15", "user_id": "007.00"},  # its zeros are its own
        # A spreadsheet's text mark, as Shopify writes its customer ids: the same customer; a mark before letters stays.
        {"event_id": "marked", "timestamp": "2026-03-01 09:20", "user_id": "'12345"},
        {"event_id": "quoted", "timestamp": "2026-03-01 09:25", "user_id": "'ab"},
    ]
    import_file(project, write_csv(tmp_path / "orders.csv", rows), constants={"event": "Order Completed"})
    table = pa.table(
        {"timestamp": ["2026-03-01T10:00:00+07:00", "2026-03-01T10:05:00+07:00"], "user_id": [12345.0, None]}
    )
    pq.write_table(table.append_column("anonymous_id", pa.array([None, 99.0])), tmp_path / "export.parquet")
    import_file(project, tmp_path / "export.parquet", constants={"event": "Order Completed"})
    ids = sorted((row["user_id"] or "", row["anonymous_id"] or "") for row in lake_events(project))
    assert ids == [("", "99"), ("'ab", ""), ("007", ""), ("1.5", ""), *[("12345", "")] * 4]


def test_headers_as_people_title_them_name_the_columns(tmp_path: Path) -> None:
    # An export's headers, titled: case, spaces, hyphens and underscores do not hide a column jejak knows.
    project = make_project(tmp_path / "p")
    path = tmp_path / "contacts.csv"
    path.write_text(
        "Time Stamp,User ID,E-mail,Phone Number,Event Name,UTM Source,Page Path,Catatan\n"
        "2026-03-01 09:00,ana,Ana@Example.com,0812-3456-7890,Product Viewed,google,/produk,suka kopi\n"
    )
    checked = import_file(project, path, check=True)  # the check says how each column is read
    assert [f"{column} → {target}" for column, target in checked.columns if column != target] == [
        "Time Stamp → timestamp",
        "User ID → user_id",
        "E-mail → email",
        "Phone Number → phone",
        "Event Name → event",
        "UTM Source → source",
        "Page Path → page_path",
        "Catatan → properties",
    ]
    assert import_file(project, path).rows_stored == 1
    [row] = lake_events(project)
    assert (row["user_id"], row["event"], row["source"], row["page_path"]) == (
        "ana",
        "Product Viewed",
        "google",
        "/produk",
    )
    assert row["email_hash"] is not None and row["phone_hash"] is not None
    assert json.loads(row["properties"]) == {"catatan": "suka kopi"}
    # Two columns that name one, written two ways, are still refused by name.
    both = tmp_path / "both.csv"
    both.write_text("timestamp,user_id,User ID\n2026-03-01 09:00,ana,budi\n")
    with pytest.raises(InputFileError, match="user_id"):
        import_file(project, both)


def test_times_as_numbers_since_1970_are_read_in_utc(tmp_path: Path) -> None:
    # A product-analytics export (seconds) and an app's (milliseconds); the time zone setting plays no part.
    for time_format, texts in [
        ("epoch_seconds", ["1772326800", "1772326800.25", "946684800", "-86400"]),
        ("epoch_milliseconds", ["1772326800000", "1772326800250", "946684800000", "-86400000"]),
        # GA4's BigQuery export: whole microseconds.
        ("epoch_microseconds", ["1772326800000000", "1772326800250000", "946684800000000", "-86400000000"]),
    ]:
        project = make_project(tmp_path / time_format, settings={"timestamp_formats": [time_format]})
        path = tmp_path / f"{time_format}.csv"
        rows = [{"event_id": f"t{i}", "timestamp": text, "user_id": "ana"} for i, text in enumerate(texts)]
        rows.append({"event_id": "big", "timestamp": "9" * 18, "user_id": "ana"})  # past any time: quarantined
        write_csv(path, rows)
        summary = import_file(project, path, constants={"event": "Page Viewed"})
        # 1969-12-31 is read, and quarantined as before 1990, as the time far ahead is.
        assert_reconciles(summary, read=5, stored=3, quarantined_rows=2, duplicates=0)
        times = {event_id: row["timestamp"] for event_id, row in by_id(project).items()}
        assert times == {
            "t0": utc(2026, 3, 1, 1, 0),
            "t1": utc(2026, 3, 1, 1, 0, 0, 250000),
            "t2": utc(2000, 1, 1),
        }, time_format
        assert any('"-86400' in row["message"] and "before 1990" in row["message"] for row in quarantined(project))
    # Read to the microsecond: the last of sixteen digits counts.
    project = make_project(tmp_path / "micro", settings={"timestamp_formats": ["epoch_microseconds"]})
    write_csv(tmp_path / "micro.csv", [{"timestamp": "1772326800000001", "user_id": "ana"}])
    import_file(project, tmp_path / "micro.csv", constants={"event": "Page Viewed"})
    assert [row["timestamp"] for row in lake_events(project)] == [utc(2026, 3, 1, 1, 0, 0, 1)]


# --- gzipped files ----------------------------------------------------------------------------------------


def test_gzipped_csv_and_json_lines_import_as_their_plain_selves(project: Project, tmp_path: Path) -> None:
    plain = tmp_path / "orders.csv"
    plain.write_text("timestamp;user_id;revenue\n2026-03-01 09:00;ana;1.500,5\nkemarin;budi;\n", encoding="utf-8")
    packed = tmp_path / "packed" / "orders.csv.gz"
    packed.parent.mkdir()
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    summary = import_file(project, packed, constants={"event": "Order Completed"})
    assert_reconciles(summary, read=2, stored=1, quarantined_rows=1, duplicates=0)
    assert summary.delimiter == ";" and lake_events(project)[0]["revenue"] == 1500.5
    [bad] = quarantined(project)
    assert bad["source_file"] == str(packed.resolve()) and bad["source_line"] == 3
    # Same source name (`orders`), same rows: the plain file adds nothing.
    assert import_file(project, plain, constants={"event": "Order Completed"}).duplicates_skipped == 1
    lines = tmp_path / "web.jsonl"
    write_jsonl(lines, [{"type": "page", "userId": "ana", "timestamp": "2026-03-01T09:30:00+07:00"}])
    lines_packed = tmp_path / "web.jsonl.gz"
    lines_packed.write_bytes(gzip.compress(lines.read_bytes()))
    assert import_file(project, lines_packed).rows_stored == 1
    assert list(project.staging_dir.iterdir()) == []  # the unpacked copies are gone


def test_a_gzip_file_that_is_not_whole_is_named(project: Project, tmp_path: Path) -> None:
    cut = tmp_path / "orders.csv.gz"
    cut.write_bytes(gzip.compress(b"timestamp,user_id\n" + b"2026-03-01 09:00,ana\n" * 1000)[:60])
    with pytest.raises(InputFileError, match=r"orders\.csv\.gz cannot be unpacked as gzip"):
        import_file(project, cut)
    missing = tmp_path / "columns.csv.gz"
    missing.write_bytes(gzip.compress(b"waktu,user_id\n2026-03-01 09:00,ana\n"))
    with pytest.raises(MissingColumnError, match=r"columns\.csv\.gz has no 'timestamp' column"):
        import_file(project, missing)  # said of the file named, not of its unpacked copy
    (tmp_path / "x.parquet.gz").write_bytes(gzip.compress(b"PAR1"))
    with pytest.raises(InputFileError, match=r"unknown file format '\.gz'.*\.csv\.gz"):
        import_file(project, tmp_path / "x.parquet.gz")  # Parquet compresses inside the file
    assert lake_events(project) == []


# --- Excel workbooks ------------------------------------------------------------------------------------


def _workbook(path: Path, rows: list[list[Any]]) -> Path:
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    workbook.create_sheet("Catatan").append(["not read"])  # only the first sheet is
    workbook.save(path)
    return path


def test_an_excel_export_imports_from_its_first_sheet(project: Project, tmp_path: Path) -> None:
    # A marketplace's order export saved as .xlsx: Excel's own types, an empty row, a stray note right of the table.
    path = _workbook(
        tmp_path / "tokopedia.xlsx",
        [
            ["Invoice", "Waktu", "Pembeli", "Total", "Lunas", "Tanggal Kirim"],
            ["INV1", dt.datetime(2026, 3, 1, 9, 0), 5123456789, 150000, True, dt.date(2026, 3, 2)],
            ["INV2", dt.datetime(2026, 3, 1, 9, 30), "budi", 99.5, False, None, "catatan"],
            [None, None, None],
            ["INV3", "kemarin", "cici", 10],
            ["INV4", "2026-03-01T10:00:00+07:00", "dewi", None],
        ],
    )
    summary = import_file(
        project,
        path,
        column_map={"Invoice": "event_id", "Waktu": "timestamp", "Pembeli": "user_id", "Total": "revenue"},
        constants={"event": "Order Completed"},
    )
    assert_reconciles(summary, read=4, stored=2, quarantined_rows=2, duplicates=0)  # the empty row is not a row
    stored = by_id(project)
    assert stored["INV1"]["timestamp"] == jakarta("2026-03-01 09:00")  # Excel's times have no offset
    assert stored["INV1"]["revenue"] == 150000.0 and stored["INV1"]["event"] == "Order Completed"
    # Excel keeps every number as a float: a whole one is written without ".0", as a CSV export would.
    assert stored["INV1"]["user_id"] == "5123456789"  # a customer number (a phone would be hashed)
    assert json.loads(stored["INV1"]["properties"]) == {"lunas": "true", "tanggal kirim": "2026-03-02"}
    assert stored["INV4"]["source_line"] == 6  # lines are the sheet's row numbers
    reasons = {row["source_line"]: row["reason"] for row in quarantined(project)}
    assert reasons == {3: "malformed_row", 5: "bad_timestamp"}
    [stray] = [row for row in quarantined(project) if row["reason"] == "malformed_row"]
    assert json.loads(stray["raw"])["column 7"] == "catatan"


def test_a_workbooks_date_cells_and_time_cells_join_into_times(project: Project, tmp_path: Path) -> None:
    # Excel keeps a date as a time at midnight and a time of day as a time: joined, they are the moment meant.
    path = _workbook(
        tmp_path / "panggilan.xlsx",
        [
            ["Tanggal", "Jam Mulai", "Penelepon"],
            [dt.datetime(2026, 3, 1), dt.time(9, 30), "ana"],
            [dt.date(2026, 3, 2), "14:05", "budi"],
        ],
    )
    summary = import_file(
        project,
        path,
        column_map={"Tanggal+Jam Mulai": "timestamp", "Penelepon": "user_id"},
        constants={"event": "Call Received"},
    )
    assert_reconciles(summary, read=2, stored=2, quarantined_rows=0, duplicates=0)
    assert {event["user_id"]: event["timestamp"] for event in lake_events(project)} == {
        "ana": jakarta("2026-03-01 09:30"),
        "budi": jakarta("2026-03-02 14:05"),
    }


def test_a_table_that_starts_below_and_right_of_a1_is_found(project: Project, tmp_path: Path) -> None:
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet["B3"], sheet["C3"] = "timestamp", "user_id"
    sheet["B4"], sheet["C4"] = "2026-03-01 09:00", "ana"
    sheet["B6"], sheet["C6"] = "2026-03-01 09:30", "budi"
    workbook.save(tmp_path / "geser.xlsx")
    summary = import_file(project, tmp_path / "geser.xlsx", constants={"event": "Order Completed"})
    assert_reconciles(summary, read=2, stored=2, quarantined_rows=0, duplicates=0)
    assert {row["user_id"]: row["source_line"] for row in lake_events(project)} == {"ana": 4, "budi": 6}


def test_a_file_that_is_not_a_workbook_is_named(project: Project, tmp_path: Path) -> None:
    path = tmp_path / "pesanan.xlsx"
    path.write_text("timestamp,user_id\n2026-03-01 09:00,ana\n")
    with pytest.raises(InputFileError, match=r"pesanan\.xlsx cannot be read as an Excel workbook"):
        import_file(project, path)
    empty = _workbook(tmp_path / "kosong.xlsx", [])
    with pytest.raises(InputFileError, match=r"first sheet \(.Sheet.\) is empty"):
        import_file(project, empty)


def test_a_named_sheet_is_read_and_remembered_with_the_import(project: Project, tmp_path: Path) -> None:
    # A seller centre's workbook: a summary sheet first, the orders on the second, under a title row.
    import openpyxl

    workbook = openpyxl.Workbook()
    summary_sheet = workbook.active
    assert summary_sheet is not None
    summary_sheet.title = "Ringkasan"
    summary_sheet.append(["Total pesanan", 2])
    orders = workbook.create_sheet("Pesanan ")
    for row in [["Laporan Maret"], ["Waktu", "Pembeli"], ["2026-03-01 09:00", "ana"], ["2026-03-01 09:30", "budi"]]:
        orders.append(row)
    workbook.create_sheet("1").append(["timestamp", "user_id"])  # a sheet named by a number is found by its name
    path = tmp_path / "toko.xlsx"
    workbook.save(path)
    column_map = {"Waktu": "timestamp", "Pembeli": "user_id"}
    # By name (case and spaces around it aside), or by number, the same rows with the same lines.
    named_one = import_file(project, path, sheet="1", check=True, constants={"event": "Order Completed"})
    assert named_one.rows_read == 0  # the sheet called "1" (a header, no rows), not the first sheet
    by_number = import_file(
        project,
        path,
        column_map=column_map,
        constants={"event": "Order Completed"},
        skip_lines=1,
        sheet="2",
        check=True,
    )
    assert_reconciles(by_number, read=2, stored=2, quarantined_rows=0, duplicates=0)
    summary = import_file(
        project, path, column_map=column_map, constants={"event": "Order Completed"}, skip_lines=1, sheet="PESANAN"
    )
    assert_reconciles(summary, read=2, stored=2, quarantined_rows=0, duplicates=0)
    assert {row["user_id"]: row["source_line"] for row in lake_events(project)} == {"ana": 3, "budi": 4}
    with sqlite3.connect(project.sqlite_path) as db:
        [(kept,)] = db.execute("SELECT options_json FROM imports WHERE file_format = 'xlsx'").fetchall()
    assert json.loads(kept)["sheet"] == "PESANAN"
    # A sheet that is not there: the error lists the sheets, by number and name.
    with pytest.raises(InputFileError, match=r"no sheet 'Orders'\. Its sheets: 1 'Ringkasan', 2 'Pesanan ', 3 '1'"):
        import_file(project, path, sheet="Orders")
    with pytest.raises(InputFileError, match="no sheet '9'"):
        import_file(project, path, sheet="9")
    # Digits to str.isdigit, not to int ('²'), or more than int reads: no sheet, where both stopped as a bug.
    for sheet in ("²", "9" * 5000):
        with pytest.raises(InputFileError, match="has no sheet"):
            import_file(project, path, sheet=sheet)
    # The first sheet, by default; when it is empty, the error names the others.
    workbook.remove(summary_sheet)
    workbook.create_sheet("Kosong", 0)
    workbook.save(path)
    with pytest.raises(InputFileError, match=r"first sheet \('Kosong'\) is empty.*2 'Pesanan '.*--sheet"):
        import_file(project, path)
    # --sheet is for workbooks only.
    csv_file = write_csv(tmp_path / "a.csv", [{"timestamp": "2026-03-01 09:00", "user_id": "ana"}])
    with pytest.raises(InputFileError, match="--sheet picks a sheet of an Excel or OpenDocument workbook"):
        import_file(project, csv_file, sheet="1")


# --- Title lines above the header (--skip-lines) ---------------------------------------------------------


@pytest.mark.parametrize("note", ["satu", '"dua\nbaris"'], ids=["plain", "a value over two lines"])
def test_title_lines_above_a_csv_header_are_skipped_and_rows_keep_their_lines(
    project: Project, tmp_path: Path, note: str
) -> None:
    # A report as a seller centre writes it: a byte-order mark, a title and a date range, then the table. A value
    # over two lines makes its block one that Python's csv splits instead of pyarrow.
    path = tmp_path / "laporan.csv"
    table = f"timestamp;user_id;catatan\n2026-03-01 09:00;ana;{note}\nkemarin;budi;x\n2026-03-01 09:10;cici;y\n"
    path.write_bytes(b"\xef\xbb\xbf" + f"Laporan Penjualan\nPeriode: 1-31 Maret 2026\n{table}".encode())
    with pytest.raises(MissingColumnError, match="--skip-lines"):
        import_file(project, path)
    summary = import_file(project, path, skip_lines=2, constants={"event": "Order Completed"})
    assert_reconciles(summary, read=3, stored=2, quarantined_rows=1, duplicates=0)
    assert summary.delimiter == ";"  # found on the header line, not the title's
    after = 1 if "\n" in note else 0  # the line the two-line value takes
    lines = {row["user_id"]: row["source_line"] for row in lake_events(project)}
    assert lines == {"ana": 4, "cici": 6 + after}
    assert [row["source_line"] for row in quarantined(project)] == [5 + after]


def test_title_rows_above_an_excel_header_are_skipped(project: Project, tmp_path: Path) -> None:
    path = _workbook(
        tmp_path / "laporan.xlsx",
        [["Laporan Penjualan"], ["Periode", "Maret 2026"], [], ["timestamp", "user_id"], ["2026-03-01 09:00", "ana"]],
    )
    with pytest.raises(MissingColumnError, match="--skip-lines"):
        import_file(project, path)
    # Then the first row with a value is the header.
    summary = import_file(project, path, skip_lines=2, constants={"event": "Order Completed"})
    assert_reconciles(summary, read=1, stored=1, quarantined_rows=0, duplicates=0)
    assert [row["source_line"] for row in lake_events(project)] == [5]
    with pytest.raises(InputFileError, match=r"no header row in the first sheet .* after the 5 row"):
        import_file(project, path, skip_lines=5)


def test_skip_lines_is_refused_where_there_is_no_header_and_past_the_end(project: Project, tmp_path: Path) -> None:
    lines = write_jsonl(tmp_path / "segment.jsonl", [{"type": "track", "userId": "ana"}])
    with pytest.raises(InputFileError, match="JSON Lines file has none"):
        import_file(project, lines, skip_lines=1)
    table = tmp_path / "events.parquet"
    pq.write_table(pa.table({"timestamp": ["2026-03-01 09:00"], "user_id": ["ana"]}), table)
    with pytest.raises(InputFileError, match="Parquet file has none"):
        import_file(project, table, skip_lines=1)
    short = tmp_path / "pendek.csv"
    short.write_text("Laporan\ntimestamp,user_id\n")
    with pytest.raises(InputFileError, match="no header line after the 2 line"):
        import_file(project, short, skip_lines=2)
    assert lake_events(project) == [] and quarantined(project) == []


def test_lines_to_skip_past_the_end_stop_at_the_end(project: Project, tmp_path: Path) -> None:
    # The lines were skipped one by one up to the number given, far past the end: 2**31 - 1 of them ran for minutes,
    # and a spend file made a list of them that filled memory. The commands run in their own process, which the
    # timeout stops if that comes back (a thread could not be stopped).
    events = write_csv(tmp_path / "pendek.csv", [{"timestamp": "2026-03-01 09:00", "user_id": "ana"}])
    spend = tmp_path / "biaya.csv"
    spend.write_text("date,channel,spend\n2026-03-01,Paid Search,1000\n")
    for command, said in (
        (["import", str(events), "--check"], f"no header line after the {TYPED_WHOLE_MOST} line(s) skipped"),
        (["spend", "import", str(spend)], f"no header line after {TYPED_WHOLE_MOST} skipped"),
    ):
        arguments = [*command, "--skip-lines", str(TYPED_WHOLE_MOST), "--project", str(project.root)]
        done = subprocess.run(
            [sys.executable, "-m", "jejak.cli.main", *arguments],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 1 and said in " ".join(done.stderr.split()), done.stdout + done.stderr
    assert lake_events(project) == [] and quarantined(project) == []


# --- UTF-16 text (Excel's "Unicode Text", ad platforms' "CSV for Excel") -----------------------------------


def test_a_utf16_tab_separated_export_imports_as_its_utf8_twin(tmp_path: Path) -> None:
    # Excel's "Unicode Text" is UTF-16 with a byte-order mark, tab-separated, CRLF; saved as UTF-8 CSV, the same
    # rows must become the same events (same ids), and a line with a lone surrogate is quarantined, not changed.
    lines = ["timestamp\tuser_id\tkota", "2026-03-01 09:00\tana\tBandung", "2026-03-01 09:05\tbudi\tSurabaya"]
    utf8 = tmp_path / "utf8" / "penjualan.tsv"
    utf8.parent.mkdir()
    utf8.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    utf16 = tmp_path / "utf16" / "penjualan.tsv"
    utf16.parent.mkdir()
    utf16.write_bytes(
        ("\r\n".join([*lines, "2026-03-01 09:10\tcici\t\ud800"]) + "\r\n").encode("utf-16", "surrogatepass")
    )
    ids = {}
    for path in (utf8, utf16):
        project = make_project(tmp_path / f"p-{path.parent.name}")
        summary = import_file(project, path, constants={"event": "Order Completed"})
        assert summary.delimiter == "\t"
        ids[path.parent.name] = {row["user_id"]: row["event_id"] for row in lake_events(project)}
        if path == utf16:
            assert_reconciles(summary, read=3, stored=2, quarantined_rows=1, duplicates=0)
            assert [(row["source_line"], row["reason"]) for row in quarantined(project)] == [(4, "invalid_utf8")]
            assert by_id(project)[ids["utf16"]["ana"]]["properties"] == '{"kota":"Bandung"}'
    assert ids["utf16"] == ids["utf8"]


def test_a_gzipped_utf16_file_with_a_title_imports_and_a_cut_one_is_named(project: Project, tmp_path: Path) -> None:
    text = "Laporan\r\ntimestamp\tuser_id\r\n2026-03-01 09:00\tana\r\n"
    packed = tmp_path / "laporan.csv.gz"
    packed.write_bytes(gzip.compress(text.encode("utf-16")))
    summary = import_file(project, packed, skip_lines=1, constants={"event": "Order Completed"})
    assert_reconciles(summary, read=1, stored=1, quarantined_rows=0, duplicates=0)
    assert [row["source_line"] for row in lake_events(project)] == [3]
    cut = tmp_path / "terpotong.csv"
    cut.write_bytes(text.encode("utf-16")[:-1])  # an odd number of bytes
    with pytest.raises(InputFileError, match=r"terpotong\.csv starts as UTF-16 text"):
        import_file(project, cut, skip_lines=1)


def test_a_csv_whose_lines_end_in_a_cr_alone_imports_as_its_lf_twin(tmp_path: Path) -> None:
    # Excel for Mac's "Macintosh Comma Separated" ends lines in a CR alone: read as one line, the header took every
    # row and the import stopped ("new-line character seen in unquoted field"). The same rows saved with line feeds
    # must become the same events (same ids), a quoted line break stays in its value, and lines count as the user's.
    lines = [
        "timestamp,user_id,catatan",
        "2026-03-01 09:00,ana,Bandung",
        '2026-03-01 09:05,budi,"dua{eol}baris"',
        "2026-03-01 09:07,cici",
    ]
    ids = {}
    for name, eol in (("lf", "\n"), ("cr", "\r")):
        path = tmp_path / name / "penjualan.csv"
        path.parent.mkdir()
        path.write_text(eol.join(lines).format(eol=eol) + eol, encoding="utf-8", newline="")
        project = make_project(tmp_path / f"p-{name}")
        summary = import_file(project, path, constants={"event": "Order Completed"})
        assert_reconciles(summary, read=3, stored=2, quarantined_rows=1, duplicates=0)
        assert [(row["source_line"], row["reason"]) for row in quarantined(project)] == [(5, "malformed_row")]
        ids[name] = {row["user_id"]: row["event_id"] for row in lake_events(project)}
        assert by_id(project)[ids[name]["budi"]]["properties"] == '{"catatan":"dua\\nbaris"}'
    assert ids["cr"] == ids["lf"]


def _xls(path: Path, rows: list[list[Any]]) -> Path:
    import xlwt  # type: ignore[import-untyped]

    workbook = xlwt.Workbook()
    sheet = workbook.add_sheet("Pesanan")
    when = xlwt.easyxf(num_format_str="YYYY-MM-DD HH:MM")  # a date is a number with a date format in .xls
    for number, row in enumerate(rows):
        for column, value in enumerate(row):
            if value is not None:
                sheet.write(number, column, value, when if isinstance(value, dt.datetime) else xlwt.Style.default_style)
    workbook.add_sheet("Catatan").write(0, 0, "not read")
    workbook.save(str(path))
    return path


def _ods(path: Path, rows: list[list[Any]]) -> Path:
    from odf.opendocument import OpenDocumentSpreadsheet  # type: ignore[import-untyped]
    from odf.table import Table, TableCell, TableRow  # type: ignore[import-untyped]
    from odf.text import P  # type: ignore[import-untyped]

    def cell(value: Any) -> Any:
        if isinstance(value, dt.datetime):
            made = TableCell(valuetype="date", datevalue=value.isoformat())
        elif isinstance(value, bool):
            made = TableCell(valuetype="boolean", booleanvalue=str(value).lower())
        elif isinstance(value, int | float):
            made = TableCell(valuetype="float", value=value)
        elif value is None:
            return TableCell()
        else:
            made = TableCell(valuetype="string")
        made.addElement(P(text=str(value)))
        return made

    document = OpenDocumentSpreadsheet()
    table = Table(name="Pesanan")
    for row in rows:
        line = TableRow()
        for value in row:
            line.addElement(cell(value))
        table.addElement(line)
    document.spreadsheet.addElement(table)
    document.save(str(path))
    return path


@pytest.mark.parametrize("write", [_xls, _ods], ids=["xls", "ods"])
def test_older_excel_and_opendocument_workbooks_import_as_xlsx_does(
    project: Project, tmp_path: Path, write: Any
) -> None:
    rows: list[list[Any]] = [
        ["Laporan Pesanan"],
        [None],
        ["Invoice", "Waktu", "Pembeli", "Total", "Lunas"],
        ["INV1", dt.datetime(2026, 3, 1, 9, 0), 5123456789, 150000, True],
        ["INV2", "kemarin", "budi", 99.5, False],
    ]
    path = write(tmp_path / f"pesanan.{write.__name__[1:]}", rows)
    summary = import_file(
        project,
        path,
        column_map={"Invoice": "event_id", "Waktu": "timestamp", "Pembeli": "user_id", "Total": "revenue"},
        constants={"event": "Order Completed"},
        skip_lines=1,
    )
    assert summary.file_format == path.suffix[1:]
    assert_reconciles(summary, read=2, stored=1, quarantined_rows=1, duplicates=0)
    stored = by_id(project)["INV1"]
    assert stored["timestamp"] == jakarta("2026-03-01 09:00") and stored["user_id"] == "5123456789"
    assert (stored["revenue"], stored["source_line"]) == (150000.0, 4)
    assert json.loads(stored["properties"]) == {"lunas": "true"}
    assert [(row["source_line"], row["reason"]) for row in quarantined(project)] == [(5, "bad_timestamp")]


# --- Headers with blank or repeated names --------------------------------------------------------------------


def test_a_column_without_a_name_is_kept_by_its_place(project: Project, tmp_path: Path) -> None:
    # A header ending in a separator, or with an empty cell, is common in exports; such a column used to stop the
    # import with a DuckDB parser error. Its values are kept in properties under its place, as a sheet's stray cells.
    path = tmp_path / "kasir.csv"
    path.write_text("timestamp,,user_id,\n2026-03-01 09:00,meja 4,ana,\n")
    sheet = _workbook(tmp_path / "kasir.xlsx", [["timestamp", None, "user_id"], ["2026-03-01 09:05", "meja 5", "budi"]])
    for source in (path, sheet):
        assert_reconciles(
            import_file(project, source, constants={"event": "Order Completed"}),
            read=1,
            stored=1,
            quarantined_rows=0,
            duplicates=0,
        )
    properties = {row["user_id"]: json.loads(row["properties"]) for row in lake_events(project)}
    assert properties["ana"]["column 2"] == "meja 4" and properties["budi"] == {"column 2": "meja 5"}


def test_a_name_given_to_two_columns_is_refused_in_every_format(project: Project, tmp_path: Path) -> None:
    # In a sheet one of the two columns was silently lost; CSV refused it. Now every format refuses, naming it.
    sheet = _workbook(tmp_path / "dobel.xlsx", [["timestamp", "user_id", "User_ID"], ["2026-03-01 09:05", "a", "b"]])
    with pytest.raises(InputFileError, match="user_id more than once"):
        import_file(project, sheet)
    path = tmp_path / "dobel.csv"
    path.write_text("timestamp,pelanggan,user_id\n2026-03-01 09:00,a,b\n")
    with pytest.raises(InputFileError, match="user_id more than once"):
        import_file(project, path, column_map={"pelanggan": "user_id"})
    assert lake_events(project) == []


def test_column_names_with_quotes_are_kept_and_a_reserved_name_is_refused(project: Project, tmp_path: Path) -> None:
    # Names went into the validation SQL unescaped: a double quote in one stopped the import with a parser error.
    names = ['ukuran "gelas"', "kopi'nya", "$1", "meja\0"]
    path = tmp_path / "kasir.csv"
    write_csv(path, [{"timestamp": "2026-03-01 09:00", "user_id": "ana", **{name: "x" for name in names}}])
    table = tmp_path / "kasir.parquet"
    pq.write_table(
        pa.table({"timestamp": ["2026-03-01 09:05"], "user_id": ["budi"], **{n: ["y"] for n in names}}), table
    )
    for source in (path, table):
        assert_reconciles(
            import_file(project, source, constants={"event": "Order Completed"}),
            read=1,
            stored=1,
            quarantined_rows=0,
            duplicates=0,
        )
    kept = {row["user_id"]: json.loads(row["properties"]) for row in lake_events(project)}
    # Names are lower-cased, as every column's; a NUL is no part of a name.
    assert kept == {
        "ana": {'ukuran "gelas"': "x", "kopi'nya": "x", "$1": "x", "meja": "x"},
        "budi": {'ukuran "gelas"': "y", "kopi'nya": "y", "$1": "y", "meja": "y"},
    }
    reserved = tmp_path / "baris.csv"
    reserved.write_text("timestamp,user_id,_line\n2026-03-01 09:00,ana,7\n")  # it overwrote each row's line number
    with pytest.raises(InputFileError, match="a column named _line"):
        import_file(project, reserved)


def test_rupiah_amounts_with_the_comma_decimal_mark(tmp_path: Path) -> None:
    # An Indonesian shop's own sheet, saved as a comma-separated CSV: Rupiah with points grouping thousands and an
    # Rp label. By default (auto) each value is read the way it is written, 45.000 in Rupiah as forty-five
    # thousand; with decimal_mark = "comma" every value is read the comma's way, so 1,500,000 is no number.
    rows = {
        "r1": "Rp 150.000",
        "r2": "Rp.1.250.000,-",
        "r3": "150.000 IDR",
        "r4": "99,5",
        "r5": "45.000",
        "r6": "1,500,000",
    }
    lines = ["event_id,timestamp,user_id,event,revenue"]
    lines += [f'{key},2026-03-01 09:0{n},ana,Order Completed,"{value}"' for n, (key, value) in enumerate(rows.items())]
    path = tmp_path / "penjualan.csv"
    path.write_text("\n".join(lines) + "\n")
    by_default = make_project(tmp_path / "default")
    import_file(by_default, path)
    assert quarantined(by_default) == []
    assert {key: row["revenue"] for key, row in by_id(by_default).items()} == {
        "r1": 150000.0,
        "r2": 1250000.0,
        "r3": 150000.0,
        "r4": 99.5,
        "r5": 45000.0,
        "r6": 1500000.0,
    }
    # With decimal_mark = "point", nothing is guessed: commas group thousands, and 45.000 is 45.
    pointed = make_project(tmp_path / "point", settings={"decimal_mark": "point"})
    import_file(pointed, path)
    assert {row["source_line"] for row in quarantined(pointed)} == {2, 3, 4, 5}
    assert {key: row["revenue"] for key, row in by_id(pointed).items()} == {"r5": 45.0, "r6": 1500000.0}
    project = make_project(tmp_path / "rupiah", settings={"decimal_mark": "comma"})
    assert_reconciles(import_file(project, path), read=6, stored=5, quarantined_rows=1, duplicates=0)
    revenue = {event_id: row["revenue"] for event_id, row in by_id(project).items()}
    assert revenue == {"r1": 150000.0, "r2": 1250000.0, "r3": 150000.0, "r4": 99.5, "r5": 45000.0}
    [bad] = quarantined(project)
    assert bad["source_line"] == 7 and "decimal_mark" in bad["message"]  # 1,500,000 is neither way here
    # A sheet's text cell is read the same way.
    sheet = _workbook(
        tmp_path / "toko.xlsx", [["timestamp", "user_id", "revenue"], ["2026-03-02 10:00", "budi", "Rp 45.000"]]
    )
    import_file(project, sheet, constants={"event": "Order Completed"})
    assert [row["revenue"] for row in lake_events(project) if row["user_id"] == "budi"] == [45000.0]
    with pytest.raises(SettingError, match="decimal_mark"):
        make_project(tmp_path / "salah", settings={"decimal_mark": "dot"})


def test_an_amount_in_parentheses_is_negative(tmp_path: Path) -> None:
    # A bookkeeping export writes a refund in parentheses; a minus inside them as well is no number.
    rows = {"k1": "(20.000)", "k2": "Rp (20.000)", "k3": "(Rp 1.250.000,-)", "k4": "(-5)", "k5": "((5))"}
    lines = ["event_id,timestamp,user_id,event,revenue"]
    lines += [f'{key},2026-03-01 09:0{n},ana,Order Refunded,"{value}"' for n, (key, value) in enumerate(rows.items())]
    path = tmp_path / "jurnal.csv"
    path.write_text("\n".join(lines) + "\n")
    project = make_project(tmp_path / "p")
    assert_reconciles(import_file(project, path), read=5, stored=3, quarantined_rows=2, duplicates=0)
    assert {key: row["revenue"] for key, row in by_id(project).items()} == {
        "k1": -20000.0,
        "k2": -20000.0,
        "k3": -1250000.0,
    }
    assert [(row["source_line"], row["reason"]) for row in quarantined(project)] == [
        (5, "wrong_type"),
        (6, "wrong_type"),
    ]


# --- Checking an import before it stores anything ----------------------------------------------------------


def test_a_check_stores_nothing_and_counts_what_the_import_then_does(project: Project, tmp_path: Path) -> None:
    path = tmp_path / "pesanan.csv"
    path.write_text(
        "waktu,pelanggan,total\n2026-03-01 09:00,ana,150000\nkemarin,budi,10\n2026-03-01 09:05,cici,5\n"
        "2026-03-01 09:06,,1\n"
    )
    mapping = {"waktu": "timestamp", "pelanggan": "user_id", "total": "revenue"}
    checked = import_file(project, path, column_map=mapping, constants={"event": "Order Completed"}, check=True)
    assert lake_events(project) == [] and quarantined(project) == []
    with sqlite3.connect(project.sqlite_path) as db:
        assert db.execute("SELECT COUNT(*) FROM imports").fetchone() == (0,)  # nor logged
    assert checked.columns == [("waktu", "timestamp"), ("pelanggan", "user_id"), ("total", "revenue")]
    assert [(row["source_line"], row["user_id"], row["revenue"]) for row in checked.sample] == [
        (2, "ana", 150000.0),
        (4, "cici", 5.0),
    ]
    assert [(row["source_line"], row["reason"]) for row in checked.bad_sample] == [
        (3, "bad_timestamp"),
        (5, "no_identifier"),
    ]
    done = import_file(project, path, column_map=mapping, constants={"event": "Order Completed"})
    counts = ("rows_read", "rows_stored", "rows_quarantined", "duplicates_skipped", "quarantined_by_reason")
    assert [getattr(checked, name) for name in counts] == [getattr(done, name) for name in counts]
    assert done.sample == [] and len(lake_events(project)) == 2
    # Checked again after the import: every valid row is already in the lake.
    again = import_file(project, path, column_map=mapping, constants={"event": "Order Completed"}, check=True)
    assert (again.rows_stored, again.duplicates_skipped, again.sample) == (0, 2, [])


def test_a_json_line_without_a_segment_identifier_is_told_the_segment_names(project: Project, tmp_path: Path) -> None:
    # A PostHog export's line: its distinct_id is no Segment field, so the message names the fields jejak reads.
    path = tmp_path / "posthog.jsonl"
    path.write_text(json.dumps({"event": "$pageview", "distinct_id": "anon-1", "timestamp": "2026-03-01T09:00:00Z"}))
    import_file(project, path)
    [bad] = quarantined(project)
    assert bad["reason"] == "no_identifier"
    assert "none of userId, anonymousId, traits.email or traits.phone" in bad["message"]
    assert "Segment-spec messages" in bad["message"]


def test_a_files_own_time_zone_reads_its_times_and_its_re_tried_rows(project: Project, tmp_path: Path) -> None:
    from jejak.ingest.quarantine import list_quarantined, retry_quarantined
    from jejak.ingest.removal import reimport_conflict

    # The Bali store's till writes its own wall clock (WITA, an hour ahead of Jakarta), with no offset; one time
    # carries its own offset, which the file's zone does not change; one is unreadable.
    path = tmp_path / "kasir-bali.csv"
    write_csv(
        path,
        [
            {"event_id": "b1", "timestamp": "2026-03-01 09:00", "user_id": "ana"},
            {"event_id": "b2", "timestamp": "2026-03-01T09:00:00+07:00", "user_id": "ana"},
            {"event_id": "b3", "timestamp": "kemarin", "user_id": "ana"},
        ],
    )
    constants = {"event": "Order Completed"}
    summary = import_file(project, path, timezone="Asia/Makassar", constants=constants)
    assert (summary.rows_stored, summary.rows_quarantined) == (2, 1)
    stored = by_id(project)
    assert stored["b1"]["timestamp"] == jakarta("2026-03-01 08:00")  # 09:00 WITA is 08:00 WIB
    assert stored["b2"]["timestamp"] == jakarta("2026-03-01 09:00")
    # A re-try reads the fixed time in the file's zone too, as the import did.
    [bad] = list_quarantined(project).rows
    retry_quarantined(project, fixed={bad.row_id: bad.raw.replace("kemarin", "2026-02-28 21:30")})
    assert by_id(project)["b3"]["timestamp"] == jakarta("2026-02-28 20:30")
    # Read in another zone, the file's times would be other events: the guard says so.
    conflict = reimport_conflict(project, path, ImportOptions(constants=constants))
    assert conflict is not None and "--timezone Asia/Makassar" in conflict
    assert reimport_conflict(project, path, ImportOptions(timezone="Asia/Makassar", constants=constants)) is None
    with pytest.raises(SettingError, match=r"--timezone has value 'WITA', which is not an IANA time zone"):
        import_file(project, path, timezone="WITA")


def test_a_files_own_time_format_reads_its_times_and_its_re_tried_rows(project: Project, tmp_path: Path) -> None:
    from jejak.ingest.quarantine import list_quarantined, retry_quarantined
    from jejak.ingest.removal import reimport_conflict

    # A till writes day first; the setting says nothing of it, the import's --timestamp-format does.
    path = write_csv(
        tmp_path / "kasir.csv",
        [
            {"event_id": "k1", "timestamp": "24/10/2026 10:00", "user_id": "ana"},
            {"event_id": "k2", "timestamp": "2026-10-24T11:00:00+07:00", "user_id": "ana"},  # ISO is read as ever
            {"event_id": "k3", "timestamp": "kemarin", "user_id": "ana"},
        ],
    )
    constants = {"event": "Order Completed"}
    summary = import_file(project, path, timestamp_formats=["%d/%m/%Y %H:%M"], constants=constants)
    assert (summary.rows_stored, summary.rows_quarantined) == (2, 1)
    assert by_id(project)["k1"]["timestamp"] == jakarta("2026-10-24 10:00")
    # A re-try reads the fixed time with the import's format too.
    [bad] = list_quarantined(project).rows
    retry_quarantined(project, fixed={bad.row_id: bad.raw.replace("kemarin", "23/10/2026 21:30")})
    assert by_id(project)["k3"]["timestamp"] == jakarta("2026-10-23 21:30")
    # Without it, the file's times would be read otherwise: the guard names it.
    conflict = reimport_conflict(project, path, ImportOptions(constants=constants))
    assert conflict is not None and "--timestamp-format '%d/%m/%Y %H:%M'" in conflict
    same = ImportOptions(constants=constants, timestamp_formats=("%d/%m/%Y %H:%M",))
    assert reimport_conflict(project, path, same) is None
    with pytest.raises(SettingError, match=r"--timestamp-format gives the format '%Q'"):
        import_file(project, path, timestamp_formats=["%Q"], constants=constants, check=True)
