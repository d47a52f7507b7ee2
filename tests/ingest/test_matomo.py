"""Matomo's visits log (`Live.getLastVisitsDetails`, JSON): each visit's actions read as the events they stand for.

The shop is in Bali and its Matomo site runs on Makassar time (UTC+8), while the jejak project reads naive times in
Jakarta's (UTC+7): Matomo writes each action's `timestamp` as the site's clock read as if it were UTC (its issue
22720), and the visit's `firstActionTimestamp` as the true time.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from conftest import lake_events, make_project, quarantined

from jejak.core.errors import InputFileError
from jejak.core.pii import hmac_hex, normalise_email
from jejak.ingest import jsondocs
from jejak.ingest.importer import import_file
from jejak.pipeline import run_build
from jejak.store.project import Project

EMAIL = "Budi@Example.com"
SITE_OFFSET = dt.timedelta(hours=8)
SHOP = "https://kopi.example"


def _at(utc: str) -> dict[str, int]:
    """An action's time as Matomo writes it: the site's clock as seconds since 1970."""
    true = dt.datetime.fromisoformat(utc).replace(tzinfo=dt.UTC)
    return {"timestamp": int((true + SITE_OFFSET).timestamp())}


def _epoch(utc: str) -> int:
    return int(dt.datetime.fromisoformat(utc).replace(tzinfo=dt.UTC).timestamp())


def _visit(number: int, first: str, last: str, actions: list[dict[str, Any]], **fields: Any) -> dict[str, Any]:
    return {
        "idSite": 1,
        "idVisit": number,
        "visitIp": "203.0.113.9",
        "visitorId": "a1b2c3d4e5f60708",
        "fingerprint": "0f0e0d0c0b0a0908",
        "actionDetails": actions,
        "siteCurrency": "IDR",
        "serverTimestamp": _epoch(last),
        "firstActionTimestamp": _epoch(first),
        "lastActionTimestamp": _epoch(last),
        "serverTimePretty": "Mar 1, 2026 17:10:00",
        "userId": None,
        "visitorType": "new",
        "visitCount": number,
        "referrerType": "direct",
        "referrerName": "",
        "referrerKeyword": "",
        "referrerUrl": None,
        "deviceType": "Smartphone",
        "deviceTypeIcon": "plugins/Morpheus/icons/dist/devices/smartphone.png",
        "operatingSystemName": "Android",
        "browserName": "Chrome Mobile",
        "country": "Indonesia",
        **fields,
    }


VISITS = [
    # Budi finds the shop on Google, watches its video, puts a bag in his cart and leaves.
    _visit(
        101,
        "2026-03-01 03:00:00",
        "2026-03-01 03:06:00",
        [
            {"type": "action", "url": f"{SHOP}/produk/gayo", "pageTitle": "Kopi Gayo", "timeSpent": 120,
             "serverTimePretty": "Mar 1, 2026 10:00:00", "icon": None, **_at("2026-03-01 03:00:00")},
            {"type": "event", "url": f"{SHOP}/produk/gayo", "eventCategory": "Video", "eventAction": "Play",
             "eventName": "Cara seduh", "eventValue": 30, **_at("2026-03-01 03:02:00")},
            {"type": "ecommerceAbandonedCart", "revenue": 95000, "items": 1,
             "itemDetails": [{"itemSKU": "GAYO-250", "itemName": "Kopi Gayo 250 g", "itemCategory": "Kopi",
                              "price": 95000, "quantity": 1}], **_at("2026-03-01 03:06:00")},
        ],
        referrerType="search",
        referrerName="Google",
        referrerUrl="https://www.google.com/",
    ),
    # Two days later he comes back from an Instagram ad (Matomo's own campaign tags), logs in, signs up for the
    # newsletter (a goal) and orders.
    _visit(
        102,
        "2026-03-03 12:00:00",
        "2026-03-03 12:09:00",
        [
            {"type": "action", "url": f"{SHOP}/?mtm_campaign=ramadan-2026&mtm_source=instagram&mtm_medium=paid_social",
             "pageTitle": "Kopi Jejak", **_at("2026-03-03 12:00:00")},
            {"type": "goal", "goalName": "Newsletter", "goalId": 2, "revenue": 0, "url": f"{SHOP}/",
             **_at("2026-03-03 12:03:00")},
            {"type": "ecommerceOrder", "orderId": "1001", "revenue": 185000, "revenueSubTotal": 175000,
             "revenueShipping": 10000, "items": 2,
             "itemDetails": [{"itemSKU": "GAYO-250", "itemName": "Kopi Gayo 250 g", "itemCategory": "Kopi",
                              "price": 87500, "quantity": 2}], **_at("2026-03-03 12:09:00")},
        ],
        userId=EMAIL,
        visitorType="returning",
        referrerType="campaign",
        referrerName="ramadan-2026",
    ),
    # Someone else, read by a request that may not see visitor ids, comes from a news site's article.
    _visit(
        103,
        "2026-03-04 01:00:00",
        "2026-03-04 01:04:00",
        [
            {"type": "action", "url": f"{SHOP}/blog/seduh", "pageTitle": "Cara seduh", **_at("2026-03-04 01:00:00")},
            {"type": "search", "siteSearchKeyword": "toraja", "siteSearchCount": 3, **_at("2026-03-04 01:01:00")},
            {"type": 13, "contentName": "Banner", "contentPiece": "promo.jpg", "contentInteraction": "click",
             "url": f"{SHOP}/blog/seduh", **_at("2026-03-04 01:02:00")},
            {"type": "outlink", "url": "https://tokopedia.com/kopijejak", **_at("2026-03-04 01:03:00")},
            {"type": "form", "formName": "kontak", **_at("2026-03-04 01:04:00")},
        ],
        visitorId=False,
        fingerprint=False,
        visitIp=None,
        referrerType="website",
        referrerName="kompas.com",
        deviceType="Desktop",
    ),
]  # fmt: skip


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return make_project(tmp_path / "p")


def _export(path: Path, visits: list[Any], *, indent: int | None = None) -> Path:
    path.write_text(json.dumps(visits, indent=indent), encoding="utf-8")
    return path


def test_a_matomo_visits_log_is_read_as_its_actions(project: Project, tmp_path: Path) -> None:
    summary = import_file(project, _export(tmp_path / "matomo.json", VISITS))
    assert (summary.file_format, summary.rows_read, summary.rows_stored, summary.rows_quarantined) == (
        "matomo",
        11,
        11,
        0,
    )
    events = {event["event_id"]: event for event in lake_events(project)}
    assert sorted(events) == sorted(
        [f"matomo:1:101:{n}" for n in (1, 2, 3)]
        + [f"matomo:1:102:{n}" for n in (1, 2, 3)]
        + [f"matomo:1:103:{n}" for n in (1, 2, 3, 4, 5)]
    )
    named = [(events[key]["type"], events[key]["event"]) for key in sorted(events)]
    assert named == [
        ("page", "Page Viewed"),
        ("track", "Play"),
        ("track", "Cart Updated"),
        ("page", "Page Viewed"),
        ("track", "Newsletter"),
        ("track", "Order Completed"),
        ("page", "Page Viewed"),
        ("track", "Products Searched"),
        ("track", "Content Interaction"),
        ("track", "Outlink Clicked"),
        ("track", "form"),  # a type jejak does not know is kept, named by it
    ]
    # Times are the true ones: the site's offset is taken off the actions' clock times.
    assert str(events["matomo:1:101:1"]["timestamp"]) == "2026-03-01 03:00:00+00:00"
    assert str(events["matomo:1:102:3"]["timestamp"]) == "2026-03-03 12:09:00+00:00"
    landing, play, cart = events["matomo:1:101:1"], events["matomo:1:101:2"], events["matomo:1:101:3"]
    assert (landing["anonymous_id"], landing["page_url"], landing["page_title"], landing["device_type"]) == (
        "a1b2c3d4e5f60708",
        f"{SHOP}/produk/gayo",
        "Kopi Gayo",
        "mobile",
    )
    assert (landing["source"], landing["medium"], landing["referrer"]) == (
        "google",
        "organic",
        "https://www.google.com/",
    )
    assert (play["source"], play["referrer"]) == (None, None)  # where the visit came from is its landing's
    assert json.loads(play["properties"]) == {
        "category": "Video",
        "label": "Cara seduh",
        "value": 30,
        "matomo": {"idSite": 1, "idVisit": 101},
    }
    kept = json.loads(landing["properties"])
    assert kept["timeSpent"] == 120 and kept["matomo"]["country"] == "Indonesia"
    assert not any(key.endswith(("Pretty", "Icon")) or key == "icon" for key in (*kept, *kept["matomo"]))
    assert "fingerprint" not in kept["matomo"]  # a device's configuration hash singles it out
    assert cart["revenue"] is None and json.loads(cart["properties"])["value"] == 95000  # no order was placed
    order = events["matomo:1:102:3"]
    assert (order["revenue"], order["currency"]) == (185000.0, "IDR")
    assert json.loads(order["properties"])["order_id"] == "1001"
    assert json.loads(order["properties"])["products"][0]["product_id"] == "GAYO-250"
    ad = events["matomo:1:102:1"]
    assert (ad["source"], ad["medium"], ad["campaign"]) == ("instagram", "paid_social", "ramadan-2026")
    email_hash = hmac_hex(project.hmac_key(), normalise_email(EMAIL) or "")
    assert (order["user_id"], order["email_hash"]) == (None, email_hash)  # an e-mail as the id: hashed only
    news = events["matomo:1:103:1"]
    assert (news["anonymous_id"], news["referrer"], news["device_type"]) == (
        "matomo-visit:1:103",  # no visitor id: the visit is a person of its own
        "https://kompas.com/",
        "desktop",
    )
    lake_text = json.dumps(list(events.values()), default=str).lower()
    assert "example.com" not in lake_text and "203.0.113.9" not in lake_text
    assert import_file(project, tmp_path / "matomo.json").rows_stored == 0  # imported again: nothing new


def test_a_matomo_visitor_is_one_person_with_a_path_of_visits(project: Project, tmp_path: Path) -> None:
    import_file(project, _export(tmp_path / "matomo.json", VISITS))
    build = run_build(project).build_dir
    assert pq.read_table(build / "people").num_rows == 2
    [order] = pq.read_table(build / "conversions").to_pylist()
    assert (order["revenue"], str(order["conversion_at"])) == (185000.0, "2026-03-03 12:09:00+00:00")
    paths = {row["path"]: row["conversions"] for row in pq.read_table(build / "paths").to_pylist()}
    assert paths["Organic Search > Paid Social"] == 1


def test_a_pretty_printed_export_and_one_visit_a_line_read_alike(project: Project, tmp_path: Path) -> None:
    pretty = import_file(project, _export(tmp_path / "pretty.json", VISITS, indent=2))
    assert (pretty.file_format, pretty.rows_stored) == ("matomo", 11)
    lines = tmp_path / "lines.jsonl"
    lines.write_text("".join(json.dumps(visit) + "\n" for visit in VISITS), encoding="utf-8")
    again = import_file(project, lines)
    assert (again.file_format, again.rows_read, again.rows_stored, again.duplicates_skipped) == ("matomo", 11, 0, 11)


def test_a_cut_export_keeps_its_whole_visits_and_quarantines_the_rest(project: Project, tmp_path: Path) -> None:
    text = json.dumps(VISITS)
    cut = tmp_path / "cut.json"
    cut.write_text(text[: text.index('"idVisit": 103') + 40], encoding="utf-8")  # the download stopped mid-visit
    summary = import_file(project, cut)
    assert (summary.rows_read, summary.rows_stored, summary.rows_quarantined) == (7, 6, 1)
    [bad] = quarantined(project)
    assert bad["reason"] == "bad_json" and '"idVisit": 103' in bad["raw"]


def _event_ids_alone(tmp_path: Path, visits: list[dict[str, Any]]) -> set[str]:
    """The event ids a clean export of just these visits imports as, into a project of its own."""
    clean = make_project(tmp_path / "clean")
    import_file(clean, _export(tmp_path / "clean.json", visits))
    return {event["event_id"] for event in lake_events(clean)}


@pytest.mark.parametrize("one_a_line", [False, True], ids=["array", "one-visit-a-line"])
def test_a_broken_visit_is_quarantined_and_the_visits_after_it_are_read(
    project: Project, tmp_path: Path, one_a_line: bool
) -> None:
    # Someone edited the middle visit by hand: before, it and every visit after it were one quarantined row.
    texts = [json.dumps(visit) for visit in VISITS]
    texts[1] = texts[1].replace('"visitorType": "returning"', '"visitorType": returning')
    broken = tmp_path / "broken.json"
    broken.write_text("\n".join(texts) + "\n" if one_a_line else "[" + ", ".join(texts) + "]", encoding="utf-8")
    summary = import_file(project, broken)
    [bad] = quarantined(project)
    assert bad["reason"] == "bad_json" and '"idVisit": 102' in bad["raw"] and '"idVisit": 103' not in bad["raw"]
    assert {event["event_id"] for event in lake_events(project)} == _event_ids_alone(tmp_path, [VISITS[0], VISITS[2]])
    assert summary.rows_quarantined == 1


def test_text_that_is_no_visit_is_quarantined_in_bounded_pieces(
    project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A visit is never this long: past it the reader stops reading on for the end of a visit that has none.
    monkeypatch.setattr(jsondocs, "READ_CHARS", 64)
    monkeypatch.setattr(jsondocs, "LONGEST_VALUE_CHARS", 4096)
    garbage = "kopi " * 4000
    lines = tmp_path / "lines.json"
    lines.write_text(f"{json.dumps(VISITS[0])}\n{garbage}\n{json.dumps(VISITS[2])}\n", encoding="utf-8")
    summary = import_file(project, lines)
    pieces = [row["raw"] for row in quarantined(project)]
    assert "".join(pieces).replace(" ", "") == garbage.replace(" ", "")
    assert max(len(piece) for piece in pieces) <= 4096 + 2 * 64 and summary.rows_quarantined == len(pieces)
    assert {event["event_id"] for event in lake_events(project)} == _event_ids_alone(tmp_path, [VISITS[0], VISITS[2]])


def test_a_visit_without_its_true_times_is_read_in_the_import_time_zone(project: Project, tmp_path: Path) -> None:
    visit = dict(VISITS[0])
    for field in ("serverTimestamp", "firstActionTimestamp", "lastActionTimestamp"):
        visit.pop(field)
    import_file(project, _export(tmp_path / "matomo.json", [visit]))
    first = next(event for event in lake_events(project) if event["event_id"] == "matomo:1:101:1")
    # 11:00 on the site's clock, read as Jakarta's: an hour late; `--timezone Asia/Makassar` would read it right.
    assert str(first["timestamp"]) == "2026-03-01 04:00:00+00:00"
    import_file(project, _export(tmp_path / "makassar.json", [{**visit, "idVisit": 201}]), timezone="Asia/Makassar")
    named = next(event for event in lake_events(project) if event["event_id"] == "matomo:1:201:1")
    assert str(named["timestamp"]) == "2026-03-01 03:00:00+00:00"


def test_an_error_from_matomo_s_api_is_refused_with_what_to_ask(project: Project, tmp_path: Path) -> None:
    answer = tmp_path / "matomo.json"
    answer.write_text('{"result":"error","message":"You can\'t access this resource as it requires view access."}')
    with pytest.raises(InputFileError, match=r"Matomo's API answering an error.*requires view access.*token_auth"):
        import_file(project, answer)


def test_a_visit_nested_past_python_s_parser_is_quarantined_not_a_crash(project: Project, tmp_path: Path) -> None:
    deep = '{"idSite": 1, "idVisit": 999, "actionDetails": [], "x": ' + '{"a":' * 3000 + "1" + "}" * 3000 + "}"
    path = tmp_path / "matomo.json"
    path.write_text("[" + json.dumps(VISITS[0]) + ", " + deep + "]", encoding="utf-8")
    summary = import_file(project, path)
    assert (summary.rows_stored, summary.rows_quarantined) == (3, 1)  # the first visit's actions, then the rest


def test_a_visit_listed_without_its_actions_is_one_visit_from_where_it_came(project: Project, tmp_path: Path) -> None:
    # Asked with doNotFetchActions=1, Matomo lists each visit with no actions: its arrival still counts.
    bare = {**VISITS[0], "actionDetails": []}
    import_file(project, _export(tmp_path / "matomo.json", [bare]))
    [event] = lake_events(project)
    assert (event["event_id"], event["type"], event["event"], str(event["timestamp"])) == (
        "matomo:1:101:1",
        "track",
        "Visit",
        "2026-03-01 03:00:00+00:00",
    )
    assert (event["source"], event["medium"]) == ("google", "organic")
