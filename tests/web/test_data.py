"""The Data page over real HTTP: imports, the quarantine and its re-try, and the settings in effect (never the key)."""

from __future__ import annotations

import base64
import html
import json
import re
import sqlite3
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import lake_events, make_project, quarantined, write_csv
from markupsafe import escape

from jejak.core.settings import SETTINGS_TABLE
from jejak.ingest.importer import import_file, quarantine_counts
from jejak.web.auth import add_user
from web.conftest import PASSWORD, USER, Dashboard, serving

SCRIPT = "<script>alert('karantina')</script>"


def _csrf(page_html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page_html)
    assert found, page_html[:500]
    return found.group(1)


def _redirect_query(response: Any) -> dict[str, str]:
    """The query string of the page a form's POST redirects to: what it did, as counts."""
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(response.headers["location"]).query))


def _log_adds_up(data: dict[str, Any], dashboard: Dashboard) -> bool:
    """Whether the imports log's quarantined rows, as the page lists them, add up to the quarantine's."""
    logged = sum(row["rows_quarantined"] for row in data["sections"]["imports"])
    return bool(logged == sum(quarantine_counts(dashboard.project).values()))


def test_imports_and_the_quarantine_are_shown(dashboard: Dashboard) -> None:
    db = sqlite3.connect(dashboard.project.sqlite_path)
    try:
        logged = db.execute("SELECT file, rows_read, rows_stored, rows_quarantined, duplicates_skipped FROM imports")
        imports = logged.fetchall()
    finally:
        db.close()
    with dashboard.logged_in() as client:
        data = client.get("/data.json").json()
        page = client.get("/data")
    shown = data["sections"]["imports"]
    assert len(shown) == len(imports)
    assert sorted(row["file"] for row in shown) == sorted(Path(file).name for file, *_ in imports)
    assert all(row["reconciles"] for row in shown)
    assert sum(row["rows_quarantined"] for row in shown) == sum(row[3] for row in imports)
    counts = quarantine_counts(dashboard.project)
    assert {row["reason"]: row["rows"] for row in data["sections"]["quarantine"]} == counts
    listed = data["sections"]["quarantined_rows"]
    assert len(listed) == min(100, sum(counts.values())) == data["quarantined_total"]
    for row in listed:
        assert f'data-row="{row["row_id"]}"' in page.text
    for file, *_ in imports:
        assert Path(file).name in page.text
    # One reason at a time.
    reason = next(iter(counts))
    with dashboard.logged_in() as client:
        only = client.get("/data.json", params={"reason": reason}).json()
    assert {row["reason"] for row in only["sections"]["quarantined_rows"]} == {reason}
    assert only["quarantined_total"] == counts[reason]


@pytest.fixture
def shop(tmp_path: Path) -> Iterator[Dashboard]:
    """A project with two quarantined rows (no e-mail or phone in them), served by its own dashboard."""
    project = make_project(tmp_path / "p", settings={"lookback_days": 14})
    rows = [
        {"event_id": "t1", "timestamp": "2026-03-01 09:00", "user_id": "ana", "event": "Page", "properties": ""},
        {"event_id": "t2", "timestamp": "kemarin", "user_id": "budi", "event": "Page", "properties": ""},
        {
            "event_id": "t3",
            "timestamp": "2026-03-01 09:10",
            "user_id": "",
            "event": "Page",
            "properties": json.dumps({"note": SCRIPT}),
        },
    ]
    import_file(project, write_csv(tmp_path / "kasir.csv", rows))
    add_user(project.sqlite_path, USER, PASSWORD, admin=True)
    for url in serving(project):
        yield Dashboard(project, url)


def test_quarantined_text_is_shown_escaped(shop: Dashboard) -> None:
    with shop.logged_in() as client:
        page = client.get("/data")
    assert "<script>alert" not in page.text
    assert str(escape(SCRIPT)) in page.text


def test_a_fixed_row_moves_from_the_quarantine_to_the_lake(shop: Dashboard) -> None:
    lake_before, quarantine_before = len(lake_events(shop.project)), len(quarantined(shop.project))
    with shop.logged_in() as client:
        listed = client.get("/data.json").json()["sections"]["quarantined_rows"]
        [bad] = [row for row in listed if row["reason"] == "bad_timestamp"]
        form = client.get("/data", params={"edit": bad["row_id"]})
        # The edit box holds the row's whole text.
        textarea = re.search(r'<textarea name="raw"[^>]*>(.*?)</textarea>', form.text, re.S)
        assert textarea and "kemarin" in textarea.group(1)
        fixed = json.loads(html.unescape(textarea.group(1)))
        fixed["timestamp"] = "2026-03-01 18:00"
        done = client.post(
            "/data/retry", data={"csrf_token": _csrf(form.text), "row": bad["row_id"], "raw": json.dumps(fixed)}
        )
        assert done.status_code == 303, done.text
        outcome = _redirect_query(done)
        assert (outcome["stored"], outcome["again"], outcome["left"]) == ("1", "0", "0")
        after = client.get(done.headers["location"])
        data = client.get("/data.json").json()
    assert len(quarantined(shop.project)) == quarantine_before - 1
    assert len(lake_events(shop.project)) == lake_before + 1
    assert data["quarantined_total"] == quarantine_before - 1
    assert bad["row_id"] not in {row["row_id"] for row in data["sections"]["quarantined_rows"]}
    stored = {row["event_id"]: row for row in lake_events(shop.project)}["t2"]
    assert stored["user_id"] == "budi" and stored["source_line"] == bad["line"]
    assert 'id="retry-outcome"' in after.text and 'data-stored="1"' in after.text
    assert "jejak build" in after.text
    assert data["sections"]["imports"][0]["format"] == "quarantine"


def test_retrying_a_reason_that_still_fails_loses_nothing(shop: Dashboard) -> None:
    before = quarantine_counts(shop.project)
    with shop.logged_in() as client:
        token = _csrf(client.get("/data").text)
        done = client.post("/data/retry", data={"csrf_token": token, "reason": "no_identifier"})
    assert done.status_code == 303
    outcome = _redirect_query(done)
    assert outcome["again"] == str(before["no_identifier"]) and outcome["stored"] == "0"
    assert quarantine_counts(shop.project) == before


def test_a_row_that_is_no_event_is_dismissed_and_kept_aside(shop: Dashboard) -> None:
    before = quarantine_counts(shop.project)
    with shop.logged_in() as client:
        page = client.get("/data")
        [row] = [
            r for r in client.get("/data.json").json()["sections"]["quarantined_rows"] if r["reason"] == "bad_timestamp"
        ]
        assert 'action="/data/dismiss"' in page.text
        refused = client.post("/data/dismiss", data={"row": row["row_id"]})  # no csrf token
        assert refused.status_code == 403 and quarantine_counts(shop.project) == before
        done = client.post("/data/dismiss", data={"csrf_token": _csrf(page.text), "row": row["row_id"]})
        assert done.status_code == 303, done.text
        assert _redirect_query(done) == {"dismissed": "1"}
        after = client.get(done.headers["location"])
        data = client.get("/data.json").json()
    assert 'id="dismiss-outcome"' in after.text and 'data-dismissed="1"' in after.text
    after_counts = quarantine_counts(shop.project)
    assert before["bad_timestamp"] == 1 and "bad_timestamp" not in after_counts
    assert sum(after_counts.values()) == sum(before.values()) - 1
    assert row["row_id"] not in {r["row_id"] for r in data["sections"]["quarantined_rows"]}
    # The imports log says so, and its quarantined rows still add up to the quarantine's.
    assert data["sections"]["imports"][0]["format"] == "dismissed"
    assert _log_adds_up(data, shop)


def test_a_row_dismissed_by_mistake_is_restored_as_it_was(shop: Dashboard) -> None:
    before = quarantined(shop.project)
    with shop.logged_in() as client:
        page = client.get("/data")
        row = client.get("/data.json").json()["sections"]["quarantined_rows"][0]
        client.post("/data/dismiss", data={"csrf_token": _csrf(page.text), "row": row["row_id"]})
        page = client.get("/data")
        # Set aside in a part of its own, so under a new id: found by where it came from.
        [aside] = [
            r
            for r in client.get("/data.json").json()["sections"]["dismissed_rows"]
            if (r["file"], r["line"]) == (row["file"], row["line"])
        ]
        assert f'data-row="{aside["row_id"]}"' in page.text and 'action="/data/restore"' in page.text
        refused = client.post("/data/restore", data={"row": aside["row_id"]})  # no csrf token
        assert refused.status_code == 403
        done = client.post("/data/restore", data={"csrf_token": _csrf(page.text), "row": aside["row_id"]})
        assert done.status_code == 303, done.text
        assert _redirect_query(done) == {"restored": "1"}
        after = client.get(done.headers["location"])
        data = client.get("/data.json").json()
    assert 'id="restore-outcome"' in after.text and 'data-restored="1"' in after.text
    assert quarantined(shop.project) == before  # back as it was
    assert aside["row_id"] not in {r["row_id"] for r in data["sections"]["dismissed_rows"]}
    assert data["sections"]["imports"][0]["format"] == "restored"
    assert _log_adds_up(data, shop)


def test_a_retry_without_the_csrf_token_is_refused(shop: Dashboard) -> None:
    before = quarantined(shop.project)
    with shop.logged_in() as client:
        [row] = [
            r for r in client.get("/data.json").json()["sections"]["quarantined_rows"] if r["reason"] == "bad_timestamp"
        ]
        missing = client.post("/data/retry", data={"row": row["row_id"]})
        wrong = client.post("/data/retry", data={"row": row["row_id"], "csrf_token": "not-the-token"})
    assert missing.status_code == 403 and wrong.status_code == 403
    assert quarantined(shop.project) == before


def test_a_retry_of_a_row_that_is_gone_says_so(shop: Dashboard) -> None:
    with shop.logged_in() as client:
        token = _csrf(client.get("/data").text)
        gone = client.post(
            "/data/retry", data={"csrf_token": token, "row": "0" * 32 + ":0"}, headers={"accept": "application/json"}
        )
        nothing = client.post("/data/retry", data={"csrf_token": token}, headers={"accept": "application/json"})
    assert gone.status_code == 404 and gone.json()["error"]["code"] == "not_found"
    assert nothing.status_code == 400


def test_every_setting_is_shown_with_where_it_came_from_but_never_the_key(shop: Dashboard) -> None:
    key = shop.project.hmac_key()
    with shop.logged_in() as client:
        data = client.get("/data.json")
        page = client.get("/data")
        table = client.get("/data.csv", params={"section": "settings_in_effect"})
    settings = {row["name"]: row for row in data.json()["sections"]["settings_in_effect"]}
    assert list(settings) == [setting.name for setting in SETTINGS_TABLE]
    assert settings["lookback_days"]["value"] == 14 and settings["lookback_days"]["origin"] == "jejak.toml"
    assert settings["session_gap_seconds"]["origin"] == "default"
    assert settings["session_gap_seconds"]["value"] == settings["session_gap_seconds"]["default"]
    for text in (data.text, page.text, table.text):
        for form in (
            key.hex(),
            key.hex().upper(),
            base64.b64encode(key).decode(),
            base64.urlsafe_b64encode(key).decode(),
        ):
            assert form not in text
    assert 'data-section="settings_in_effect"' in page.text


def test_the_page_names_the_format_of_the_quarantined_times_and_a_retry_then_reads_them(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    rows = [
        {"event_id": "d1", "timestamp": "13/03/2026 09:00", "user_id": "ana", "event": "Page"},
        {"event_id": "d2", "timestamp": "02/03/2026 10:30", "user_id": "budi", "event": "Page"},
        {"event_id": "d3", "timestamp": "02/03/2026 11:30", "user_id": "budi", "event": "Page"},
        {"event_id": "d4", "timestamp": "31/02/2026 10:30", "user_id": "citra", "event": "Page"},  # no such day
    ]
    import_file(project, write_csv(tmp_path / "kasir.csv", rows))
    add_user(project.sqlite_path, USER, PASSWORD, admin=True)
    for url in serving(project):
        shop = Dashboard(project, url)
        with shop.logged_in() as client:
            page = client.get("/data")
            hint = re.search(r'id="time-format-hint">(.*?)</p>', page.text, re.S)
            assert hint, page.text[:2000]
            assert html.unescape('<code>timestamp_formats = ["%d/%m/%Y %H:%M"]</code>') in html.unescape(hint.group(1))
            assert "<code>31/02/2026 10:30</code>" in hint.group(1)  # the one it does not read, named
            config = project.config_path
            config.write_text(
                config.read_text().replace("[settings]\n", '[settings]\ntimestamp_formats = ["%d/%m/%Y %H:%M"]\n')
            )
            done = client.post("/data/retry", data={"csrf_token": _csrf(page.text), "reason": "bad_timestamp"})
            assert done.status_code == 303
            after = client.get(done.headers["location"])
        assert 'id="time-format-hint"' not in after.text  # nothing left that a format reads
    assert {row["event_id"]: row["timestamp"].day for row in lake_events(project)} == {"d1": 13, "d2": 2, "d3": 2}
    assert [row["reason"] for row in quarantined(project)] == ["bad_timestamp"]  # citra's, for a fix by hand


def test_a_retry_from_the_page_that_stores_orders_gives_the_waiting_refunds_their_customers(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    returns = [{"order": "1001", "timestamp": "2026-03-05 09:00", "revenue": "100000"}]
    import_file(
        project,
        write_csv(tmp_path / "returns.csv", returns),
        column_map={"order": "properties.order_id"},
        constants={"event": "Order Refunded"},
    )
    orders = [{"event_id": "1001", "timestamp": "02/03/2026 09:00", "user_id": "budi88", "revenue": "300000"}]
    import_file(project, write_csv(tmp_path / "orders.csv", orders), constants={"event": "Order Completed"})
    assert sorted(row["reason"] for row in quarantined(project)) == ["bad_timestamp", "no_identifier"]
    config = project.config_path
    config.write_text(
        config.read_text().replace("[settings]\n", '[settings]\ntimestamp_formats = ["%d/%m/%Y %H:%M"]\n')
    )
    add_user(project.sqlite_path, USER, PASSWORD, admin=True)
    for url in serving(project):
        with Dashboard(project, url).logged_in() as client:
            page = client.get("/data")
            done = client.post("/data/retry", data={"csrf_token": _csrf(page.text), "reason": "bad_timestamp"})
            assert done.status_code == 303
            after = client.get(done.headers["location"])
    said = re.search(r'<p id="waiting-refunds">(.*?)</p>', after.text, re.S)
    assert said, after.text[:3000]
    assert re.sub(r"<[^>]+>", "", said.group(1)).split(":")[1].strip() == "1 given the customer of their order."
    assert quarantined(project) == []
    [refund] = [event for event in lake_events(project) if event["event"] == "Order Refunded"]
    [order] = [event for event in lake_events(project) if event["event"] == "Order Completed"]
    assert refund["user_id"] == order["user_id"] == "budi88"


def test_the_edit_form_shows_a_records_columns_one_per_line_for_every_file_but_json_lines() -> None:
    import datetime as dt

    from jejak.ingest.quarantine import QuarantinedRow
    from jejak.web.data import _editable

    record = '{"timestamp":"31/02/26 14.02","event":"wa_chat"}'
    at = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    for name in ("orders.csv", "toko.xlsx", "Chat WhatsApp dengan Budi.txt", "orders.csv.gz"):
        row = QuarantinedRow("r1", at, f"/data/{name}", 2, "bad_timestamp", "…", record)
        assert _editable(row)["raw"] == json.dumps(json.loads(record), indent=1), name
    # A JSON Lines row is its line, and a row the reader could not split is its text: both as they are.
    assert _editable(QuarantinedRow("r2", at, "/data/web.jsonl", 2, "bad_timestamp", "…", record))["raw"] == record
    assert _editable(QuarantinedRow("r3", at, "/data/toko.xlsx", 2, "malformed_row", "…", record))["raw"] == record
