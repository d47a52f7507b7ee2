"""The Journey map page over real HTTP: the wall map of the demo, notes and feelings typed in the page, PDF and PNG."""

from __future__ import annotations

import html
import io
import re
import urllib.parse
from typing import Any

import httpx
import pytest

from jejak.maps.journey_map import LANES
from jejak.maps.notes import notes_for
from jejak.maps.sentences import stage_label
from jejak.segments.personas import load_personas
from jejak.service.maps import map_stages
from jejak.web.app import DATA_SUFFIXES
from web.conftest import Dashboard


def _csrf(page_html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page_html)
    assert found, page_html[:500]
    return found.group(1)


def _stage_columns(page_html: str) -> list[str]:
    return [html.unescape(name) for name in re.findall(r'<div class="stage">([^<]*)</div>', page_html)]


def _cell(page_html: str, stage: str, lane: str) -> str:
    found = re.search(rf'data-lane="{lane}" data-stage="{re.escape(html.escape(stage))}"[^>]*>(.*?)</div>', page_html)
    assert found, (stage, lane)
    return found.group(1)


def _column(data: dict[str, Any], stage: str) -> dict[str, Any]:
    return next(column for column in data["journey"]["stages"] if column["stage"] == stage)


def _delete_notes(client: httpx.Client, note_ids: list[int], persona: str = "") -> None:
    token = _csrf(client.get("/map", params={"persona": persona}).text)
    for note_id in note_ids:
        gone = client.post("/map/delete", data={"csrf_token": token, "note_id": str(note_id), "persona": persona})
        assert gone.status_code == 303, gone.text


def test_the_map_page_shows_every_stage_column_and_lane_of_the_demo(dashboard: Dashboard) -> None:
    stages = map_stages(dashboard.project)
    with dashboard.logged_in() as client:
        page = client.get("/map")
        data = client.get("/map.json").json()
        in_indonesian = client.get("/map", params={"lang": "id"})
    assert page.status_code == 200
    assert _stage_columns(page.text) == stages
    assert re.findall(r'<div class="lane" data-lane="([a-z_]+)"', page.text) == list(LANES)
    for stage in stages:
        for lane in LANES:
            if lane != "feelings":  # the emotion curve spans every stage
                _cell(page.text, stage, lane)
    assert '<svg viewBox="0 0 100' in page.text and 'class="curve"' in page.text
    # The JSON twin is the same map as data; every item says where it comes from.
    assert [column["stage"] for column in data["journey"]["stages"]] == stages
    assert data["journey"]["people"] > 0
    sources = {row["source"] for row in data["sections"]["map"]}
    assert {"data", "suggested"} <= sources <= {"data", "manual", "suggested"}
    # Labels follow the page's language.
    assert _stage_columns(in_indonesian.text) == [stage_label(stage, "id") for stage in stages]
    assert ">Titik masalah</div>" in in_indonesian.text


def test_a_note_typed_in_the_page_shows_escaped_and_marked_manual(dashboard: Dashboard) -> None:
    stage = map_stages(dashboard.project)[2]
    text = "<script>alert('kopi')</script> Ongkirnya lebih mahal dari kopinya"
    with dashboard.logged_in() as client:
        token = _csrf(client.get("/map").text)
        sent = client.post(
            "/map/note", data={"csrf_token": token, "stage": stage, "lane": "pain_points", "text": text, "persona": ""}
        )
        typed = [note["note_id"] for note in notes_for(dashboard.project.sqlite_path, "") if note["text"] == text]
        try:
            assert sent.status_code == 303 and sent.headers["location"].startswith("/map")
            assert len(typed) == 1
            again = client.get(sent.headers["location"])
            assert "<script>alert" not in again.text
            cell = _cell(again.text, stage, "pain_points")
            assert f'<li>{html.escape(text)} <span class="src manual">manual</span></li>' in cell
            # It is listed with the typed notes (and a delete button), escaped by the template.
            row = re.search(rf'<tr data-note="{typed[0]}">(.*?)</tr>', again.text, re.S)
            assert row and "&lt;script&gt;alert(" in row.group(1) and 'action="/map/delete"' in row.group(1)
            data = client.get("/map.json").json()
            items = _column(data, stage)["pain_points"]
            assert [item["source"] for item in items if item["text"] == text] == ["manual"]
        finally:
            _delete_notes(client, typed)
        after = client.get("/map").text
    assert html.escape(text) not in after
    assert all(note["text"] != text for note in notes_for(dashboard.project.sqlite_path, ""))


def test_a_note_without_the_csrf_token_gets_403_and_saves_nothing(dashboard: Dashboard) -> None:
    stage = map_stages(dashboard.project)[0]
    before = notes_for(dashboard.project.sqlite_path, "")
    with dashboard.logged_in() as client:
        missing = client.post("/map/note", data={"stage": stage, "lane": "thoughts", "text": "no token"})
        wrong = client.post(
            "/map/note", data={"csrf_token": "nope", "stage": stage, "lane": "thoughts", "text": "wrong token"}
        )
    assert missing.status_code == 403 and wrong.status_code == 403
    assert notes_for(dashboard.project.sqlite_path, "") == before


def test_a_bad_note_says_what_is_wrong(dashboard: Dashboard) -> None:
    with dashboard.logged_in() as client:
        token = _csrf(client.get("/map").text)
        unknown = client.post(
            "/map/note", data={"csrf_token": token, "stage": "Nirvana", "lane": "thoughts", "text": "x"}
        )
        empty = client.post(
            "/map/note", data={"csrf_token": token, "stage": map_stages(dashboard.project)[0], "lane": "thoughts"}
        )
    assert unknown.status_code == 400 and "no stage &#39;Nirvana&#39;" in unknown.text
    assert empty.status_code == 400 and "needs some text" in empty.text


def test_setting_a_feeling_changes_the_json_twins_feeling_for_that_stage(dashboard: Dashboard) -> None:
    persona = load_personas(dashboard.project.sqlite_path)[0].name
    stages = map_stages(dashboard.project)
    stage = stages[1]
    kept = {note["note_id"] for note in notes_for(dashboard.project.sqlite_path, persona)}
    with dashboard.logged_in() as client:
        before = client.get("/map.json", params={"persona": persona}).json()
        data_feeling = _column(before, stage)["feeling"]
        chosen = -1.5 if (data_feeling or {}).get("value") != -1.5 else -1.0
        token = _csrf(client.get("/map", params={"persona": persona}).text)
        fields = {"csrf_token": token, "stage": stage, "persona": persona}
        try:
            first = client.post("/map/feeling", data={**fields, "lane": "feeling", "value": "0.5"})
            second = client.post("/map/feeling", data={**fields, "lane": "feeling", "value": str(chosen)})
            to_be = client.post("/map/feeling", data={**fields, "lane": "feeling_to_be", "value": "2"})
            assert [first.status_code, second.status_code, to_be.status_code] == [303, 303, 303]
            back = urllib.parse.urlsplit(second.headers["location"])
            assert back.path == "/map" and urllib.parse.parse_qs(back.query)["persona"] == [persona]
            after = client.get("/map.json", params={"persona": persona}).json()
            feeling = _column(after, stage)["feeling"]
            assert feeling["value"] == chosen and feeling["source"] == "manual"
            assert _column(after, stage)["feeling_to_be"]["value"] == 2.0
            # The other stages keep theirs, and a new feeling replaced the one typed before it.
            for other in stages:
                if other != stage:
                    assert _column(after, other)["feeling"] == _column(before, other)["feeling"]
            typed = [note for note in notes_for(dashboard.project.sqlite_path, persona) if note["note_id"] not in kept]
            assert sorted((note["lane"], note["value"]) for note in typed) == [
                ("feeling", chosen),
                ("feeling_to_be", 2.0),
            ]
            # A persona's feelings are its own: everyone's map does not show them.
            everyone = client.get("/map.json").json()
            assert (_column(everyone, stage)["feeling"] or {}).get("source") != "manual"
            out_of_range = client.post("/map/feeling", data={**fields, "lane": "feeling", "value": "3"})
            assert out_of_range.status_code == 400 and "-2 to +2" in out_of_range.text
        finally:
            added = [note["note_id"] for note in notes_for(dashboard.project.sqlite_path, persona)]
            _delete_notes(client, [note_id for note_id in added if note_id not in kept], persona)
        restored = client.get("/map.json", params={"persona": persona}).json()
    assert _column(restored, stage)["feeling"] == data_feeling


def test_the_map_prints_as_a_one_page_landscape_pdf_and_a_png(dashboard: Dashboard) -> None:
    from pypdf import PdfReader

    persona = load_personas(dashboard.project.sqlite_path)[-1].name
    with dashboard.logged_in() as client:
        page = client.get("/map", params={"persona": persona})
        links = re.findall(r'href="(/map\.(?:pdf|png)\?[^"]+)"', page.text)
        assert len(links) == 2 and all("persona=" in link for link in links)
        pdf = client.get(html.unescape(links[0]))
        png = client.get("/map.png", params={"persona": persona})
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert "attachment" in pdf.headers["content-disposition"]
    reader = PdfReader(io.BytesIO(pdf.content))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert float(box.width) > float(box.height)
    text = reader.pages[0].extract_text()
    assert persona.split(",")[0] in text and map_stages(dashboard.project)[0] in text
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    assert png.content[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("route", ["/map.pdf", "/map.png", "/map.css"])
def test_the_map_files_need_a_login(dashboard: Dashboard, route: str) -> None:
    with dashboard.client() as client:
        answer = client.get(route)
    if route.endswith(DATA_SUFFIXES):  # file exports answer in the JSON error shape, as the twins do
        assert answer.status_code == 401 and answer.json()["error"]["code"] == "no_access"
    else:
        assert answer.status_code == 303 and answer.headers["location"].startswith("/login")
    assert not answer.content.startswith((b"%PDF", b"\x89PNG", b".jmap"))


def test_without_a_browser_the_export_says_so(dashboard: Dashboard, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JEJAK_CHROMIUM", "/nowhere/chromium")  # the server runs in this process
    with dashboard.logged_in() as client:
        answer = client.get("/map.pdf")
        page = client.get("/map")
    assert answer.status_code == 500
    error = answer.json()["error"]
    assert error["code"] == "no_browser" and "/nowhere/chromium" in error["message"]
    assert page.status_code == 200  # the page itself needs no browser
