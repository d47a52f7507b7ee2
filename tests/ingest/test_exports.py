"""Mixpanel's and Amplitude's raw event exports: read as the Segment messages they stand for, one person per user."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from conftest import lake_events, make_project, quarantined

from jejak.core.pii import hmac_hex, normalise_email
from jejak.ingest.importer import import_file
from jejak.pipeline import run_build
from jejak.store.project import Project

EMAIL = "Ana@Example.com"


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return make_project(tmp_path / "p", settings={"conversion_events": ["Purchase", "Order Completed"]})


def _lines(path: Path, rows: list[Any], *, packed: bool = False) -> Path:
    text = "".join((row if isinstance(row, str) else json.dumps(row)) + "\n" for row in rows)
    path.write_bytes(gzip.compress(text.encode()) if packed else text.encode())
    return path


def _mixpanel(event: str, time: int, **properties: Any) -> dict[str, Any]:
    return {"event": event, "properties": {"time": time, **properties}}


# Ana browses anonymously from an ad, signs up (Mixpanel's $identify joins her device to her e-mail, her id), buys.
MIXPANEL_ROWS = [
    _mixpanel(
        "$mp_web_page_view",
        1772355600,  # 2026-03-01 09:00 UTC
        distinct_id="$device:d-ana",
        **{"$device_id": "d-ana", "$insert_id": "i1", "$current_url": "https://kopi.id/produk/gayo"},
        **{"$referrer": "https://www.instagram.com/", "utm_source": "instagram", "utm_medium": "paid_social"},
        **{"$os": "Android"},
    ),
    _mixpanel(
        "$identify",
        1772355700,
        distinct_id=EMAIL,
        **{"$anon_distinct_id": "$device:d-ana", "$identified_id": EMAIL, "$insert_id": "i2"},
    ),
    "{not json",
    _mixpanel(
        "Purchase",
        1772355900000,  # milliseconds, as time_in_ms exports write it
        distinct_id=EMAIL,
        **{"$user_id": EMAIL, "$device_id": "d-ana", "$insert_id": "i3", "revenue": 185000, "$email": EMAIL},
    ),
]


def test_a_mixpanel_export_is_read_as_segment_messages(project: Project, tmp_path: Path) -> None:
    summary = import_file(project, _lines(tmp_path / "mixpanel.json", MIXPANEL_ROWS))
    assert (summary.file_format, summary.rows_read, summary.rows_stored, summary.rows_quarantined) == (
        "mixpanel",
        4,
        3,
        1,
    )
    [bad] = quarantined(project)
    assert (bad["source_line"], bad["reason"]) == (3, "bad_json")  # its own line, in the file as the user has it
    events = {event["event_id"]: event for event in lake_events(project)}
    view, identify, purchase = events["mp:i1"], events["mp:i2"], events["mp:i3"]
    assert (view["type"], view["event"], view["anonymous_id"], view["user_id"]) == (
        "page",
        "Page Viewed",  # named as Segment's page views are, so reports and funnels find them alike
        "d-ana",
        None,
    )
    assert (view["page_url"], view["referrer"], view["source"], view["medium"], view["os"]) == (
        "https://kopi.id/produk/gayo",
        "https://www.instagram.com/",
        "instagram",
        "paid_social",
        "Android",
    )
    assert str(view["timestamp"]) == "2026-03-01 09:00:00+00:00"
    assert str(purchase["timestamp"]) == "2026-03-01 09:05:00+00:00"  # from milliseconds
    assert purchase["revenue"] == 185000.0
    # An e-mail given as the id is the person's e-mail: hashed, and in clear nowhere in the lake.
    email_hash = hmac_hex(project.hmac_key(), normalise_email(EMAIL) or "")
    assert (identify["type"], identify["anonymous_id"], identify["email_hash"]) == ("identify", "d-ana", email_hash)
    assert (purchase["user_id"], purchase["email_hash"]) == (None, email_hash)
    assert not any("example.com" in json.dumps(event, default=str).lower() for event in events.values())
    # One person: the device's visit from the ad and the purchase under her e-mail are one journey.
    build = run_build(project).build_dir
    assert pq.read_table(build / "people").num_rows == 1
    [path] = pq.read_table(build / "paths").to_pylist()
    assert (path["path"], path["conversions"]) == ("Paid Social", 1)
    assert import_file(project, tmp_path / "mixpanel.json").rows_stored == 0  # imported again: nothing new


def test_an_amplitude_export_is_read_as_segment_messages(project: Project, tmp_path: Path) -> None:
    rows = [
        {
            "event_type": "[Amplitude] Page Viewed",
            "event_time": "2026-03-01 09:00:00.123000",
            "uuid": "u1",
            "device_id": "d-budi",
            "user_id": None,
            "platform": "iOS",
            "os_name": "ios",
            "event_properties": {"[Amplitude] Page URL": "https://kopi.id/promo", "utm_source": "newsletter"},
            "user_properties": {"utm_medium": "email"},
            "amplitude_id": 123,
        },
        {
            "event_type": "$identify",
            "event_time": "2026-03-01 09:01:00.000000",
            "uuid": "u2",
            "device_id": "d-budi",
            "user_id": "budi-42",
            "user_properties": {"email": "budi@example.com", "plan": "langganan"},
        },
        {
            "event_type": "Order Completed",
            "event_time": "2026-03-01 09:02:00.000000",
            "uuid": "u3",
            "device_id": "d-budi",
            "user_id": "budi-42",
            "revenue": 99000,
            "event_properties": {"produk": "Kopi Toraja"},
        },
    ]
    # Amplitude's export is a zip of gzipped JSON lines: one of them, unzipped.
    summary = import_file(project, _lines(tmp_path / "123_2026-03-01_9#0.json.gz", rows, packed=True))
    assert (summary.file_format, summary.rows_stored, summary.rows_quarantined) == ("amplitude", 3, 0)
    events = {event["event_id"]: event for event in lake_events(project)}
    view, identify, order = events["amp:u1"], events["amp:u2"], events["amp:u3"]
    assert (view["type"], view["event"], view["anonymous_id"], view["page_url"], view["source"], view["medium"]) == (
        "page",
        "Page Viewed",
        "d-budi",
        "https://kopi.id/promo",
        "newsletter",
        "email",
    )
    assert (view["device_type"], str(view["timestamp"])) == ("mobile", "2026-03-01 09:00:00.123000+00:00")
    assert json.loads(view["properties"])["amplitude"] == {"amplitude_id": 123, "platform": "iOS"}
    assert (identify["type"], identify["user_id"], identify["email_hash"] is not None) == ("identify", "budi-42", True)
    assert json.loads(identify["traits"]) == {"plan": "langganan"}  # the e-mail is hashed, not kept in the traits
    assert (order["event"], order["revenue"], json.loads(order["properties"])["produk"]) == (
        "Order Completed",
        99000.0,
        "Kopi Toraja",
    )
    build = run_build(project).build_dir
    assert pq.read_table(build / "people").num_rows == 1  # the device and the user id are one person
    [path] = pq.read_table(build / "paths").to_pylist()
    assert (path["path"], path["conversions"], path["revenue"]) == ("Email", 1, 99000.0)


def test_a_segment_file_is_read_as_it_is(project: Project, tmp_path: Path) -> None:
    # A Segment message that also has a `properties.time` is Segment's: its own fields decide.
    message = {"type": "track", "event": "Purchase", "userId": "ana", "timestamp": "2026-03-01T09:00:00Z"}
    summary = import_file(project, _lines(tmp_path / "segment.jsonl", [{**message, "properties": {"time": 1}}]))
    assert (summary.file_format, summary.rows_stored) == ("jsonl", 1)


def _posthog(uuid: str, event: str, distinct_id: str, when: str, **properties: Any) -> dict[str, Any]:
    return {
        "uuid": uuid,
        "event": event,
        "distinct_id": distinct_id,
        "timestamp": when,
        "properties": properties,
        "person_id": "p-1",
        "team_id": 7,
    }


# Citra lands from a Google ad on her phone, anonymous; logs in (PostHog's $identify joins the device's id to her
# user id, and sets her e-mail); buys.
POSTHOG_ROWS = [
    _posthog(
        "e1",
        "$pageview",
        "d-citra",
        "2026-03-01 09:00:00.000000",
        **{"$device_id": "d-citra", "$is_identified": False, "$current_url": "https://kopi.id/?gclid=x"},
        **{"$pathname": "/", "$referrer": "https://www.google.com/", "utm_source": "google", "utm_medium": "cpc"},
        **{"$device_type": "Mobile", "$os": "Android"},
    ),
    _posthog(
        "e2",
        "$identify",
        "citra-9",
        "2026-03-01 09:01:00.000000",
        **{"$anon_distinct_id": "d-citra", "$device_id": "d-citra", "$set": {"email": "citra@example.com"}},
    ),
    _posthog(
        "e3", "Order Completed", "citra-9", "2026-03-01T09:03:00+00:00", revenue=120000, **{"$device_id": "d-citra"}
    ),
]


@pytest.mark.parametrize("file_format", ["jsonl", "parquet"])
def test_a_posthog_export_is_read_as_segment_messages(project: Project, tmp_path: Path, file_format: str) -> None:
    # PostHog's batch and file-download exports: JSON lines, or Parquet whose objects are JSON text.
    if file_format == "jsonl":
        path = _lines(tmp_path / "posthog-events.jsonl", POSTHOG_ROWS)
    else:
        import pyarrow as pa

        rows = [{**row, "properties": json.dumps(row["properties"])} for row in POSTHOG_ROWS]
        path = tmp_path / "posthog-events.parquet"
        pq.write_table(pa.Table.from_pylist(rows), path)
    summary = import_file(project, path)
    assert (summary.file_format, summary.rows_read, summary.rows_stored, summary.rows_quarantined) == (
        "posthog",
        3,
        3,
        0,
    )
    events = {event["event_id"]: event for event in lake_events(project)}
    view, joined, order = events["ph:e1"], events["ph:e2"], events["ph:e3"]
    assert (view["type"], view["event"], view["anonymous_id"], view["user_id"], view["device_type"]) == (
        "page",
        "Page Viewed",
        "d-citra",
        None,
        "mobile",
    )
    assert (view["page_path"], view["referrer"], view["source"], view["medium"]) == (
        "/",
        "https://www.google.com/",
        "google",
        "cpc",
    )
    assert str(view["timestamp"]) == "2026-03-01 09:00:00+00:00"
    assert (joined["type"], joined["previous_id"], joined["user_id"], joined["email_hash"] is not None) == (
        "alias",
        "d-citra",
        "citra-9",
        True,
    )
    assert "example.com" not in json.dumps(joined, default=str)  # her e-mail is hashed, and in clear nowhere
    assert (order["user_id"], order["revenue"], json.loads(order["properties"])["posthog"]) == (
        "citra-9",
        120000.0,
        {"person_id": "p-1", "team_id": 7},
    )
    build = run_build(project).build_dir
    assert pq.read_table(build / "people").num_rows == 1
    [path_row] = pq.read_table(build / "paths").to_pylist()
    assert (path_row["path"], path_row["conversions"]) == ("Paid Search", 1)
