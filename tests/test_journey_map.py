"""The journey map as data: lanes from a small story, pain points by rule, notes marked manual, the page."""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import Built, build_story, buy
from rich.console import Console

from jejak.cli.main import cli
from jejak.engine import connect
from jejak.maps.journey_map import DATA, MANUAL, SUGGESTED, assemble
from jejak.maps.lanes import Scope, all_lanes
from jejak.maps.notes import add_note, notes_for
from jejak.maps.render import to_html, to_rich
from jejak.segments.stages import FIVE_STAGES
from jejak.store.derived import table_path

TABLES = ("events", "person_stages", "sessions", "feedback")


def visit(at: str, path: str, channel: str | None = None) -> dict[str, Any]:
    return {"at": at, "type": "page", "event": path, "page_path": path, "channel": channel}


def track(at: str, event: str, **more: Any) -> dict[str, Any]:
    return {"at": at, "type": "track", "event": event, **more}


STORY: dict[str, list[dict[str, Any]]] = {
    # Ana: Instagram ad, a product, the cart, a purchase, a poor delivery survey, then a second purchase.
    "ana": [
        visit("2026-03-01 09:00", "/promo/flash-sale", "Paid Social"),
        visit("2026-03-01 09:01", "/produk/gayo"),
        track("2026-03-01 09:02", "Product Added"),
        buy("2026-03-01 09:05", 100000),
        track("2026-03-03 10:00", "Survey Answered", survey="csat", score=1, comment="Pengiriman lambat"),
        buy("2026-03-20 10:00", 90000),
    ],
    # Budi lands on the flash sale from Instagram and leaves at once.
    "budi": [visit("2026-03-02 09:00", "/promo/flash-sale", "Paid Social")],
    # Citra: from Google to a product page, then calls the call centre and never buys.
    "citra": [
        visit("2026-03-03 09:00", "/produk/gayo", "Organic Search"),
        visit("2026-03-03 09:02", "/produk/toraja"),
        {"at": "2026-03-04 10:00", "type": "offline", "event": "call_centre_call", "channel": "Call Centre"},
    ],
}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return build_story(tmp_path_factory.mktemp("map"), STORY)


LANES: dict[int, dict[str, list[dict[str, Any]]]] = {}


def lanes_of(built: Built) -> dict[str, list[dict[str, Any]]]:
    """Every lane, run once per build on one DuckDB connection."""
    if id(built) not in LANES:
        engine = connect()
        try:
            queries = all_lanes(
                *(engine.read_parquet(table_path(built.project, name)) for name in TABLES),
                Scope(),
                FIVE_STAGES,
                min_entrances=1,
                funnel_steps=["Product Added", "Order Completed"],
            )
            LANES[id(built)] = {name: engine.to_pyarrow(query).to_pylist() for name, query in queries.items()}
        finally:
            engine.close()
    return LANES[id(built)]


def test_every_lane_is_filled_from_the_data(built: Built) -> None:
    journey = assemble("", FIVE_STAGES, lanes_of(built))
    awareness = journey.column("Awareness")
    assert [item.text for item in awareness.actions] == ["/promo/flash-sale", "/produk/gayo"]
    assert [item.value for item in awareness.actions] == [2, 1]
    assert "Paid Social (67 %)" in [item.text for item in awareness.touchpoints]
    assert journey.column("Decision").kpis["people"] == 1
    assert journey.column("Loyalty").kpis["revenue"] == 90000
    # Ana answered the survey after her purchase: her feeling belongs to Decision, where she was.
    decision = journey.column("Decision")
    assert decision.feeling is not None and decision.feeling.value == -2.0
    assert [item.text for item in decision.thoughts] == ["“Pengiriman lambat”"]
    assert all(item.source == DATA for column in journey.stages for item in column.actions + column.thoughts)


def test_the_map_is_of_everyone_who_reached_a_stage(tmp_path: Path) -> None:
    # Dewi only called the call centre (Experience) and Eko only read a page (Awareness): no stage holds both, so
    # the busiest stage's people (1) would say the map is of one person.
    apart = build_story(
        tmp_path,
        {
            "dewi": [
                {"at": "2026-03-04 10:00", "type": "offline", "event": "call_centre_call", "channel": "Call Centre"}
            ],
            "eko": [visit("2026-03-05 09:00", "/produk/gayo", "Organic Search")],
        },
    )
    journey = assemble("", FIVE_STAGES, lanes_of(apart))
    assert [c.kpis["people"] or 0 for c in journey.stages if c.kpis["people"]] == [1, 1]
    assert journey.people == 2


def test_pain_points_carry_their_evidence_and_suggestions(built: Built) -> None:
    journey = assemble("", FIVE_STAGES, lanes_of(built))
    awareness = [item.text for item in journey.column("Awareness").pain_points]
    # Budi's visit bounced (one of the two flash-sale landings): 50 % against a map average of 33 %.
    assert any(text.startswith("High bounce: 50 % of visits landing on /promo/flash-sale") for text in awareness)
    experience = journey.column("Experience").pain_points
    assert [item.evidence["share"] for item in experience if item.text.startswith("Support")] == [1.0]
    # Citra alone called, once: a count of one takes its noun in the singular.
    assert next(item.text for item in experience if item.rule == "support").endswith("(1 person, 1 contact)")
    assert any(item.text.startswith("Low scores: 100 %") for item in journey.column("Decision").pain_points)
    suggestions = [item for column in journey.stages for item in column.opportunities]
    assert suggestions and all(item.source == SUGGESTED and item.text.startswith("Suggestion:") for item in suggestions)


def test_the_indonesian_map_says_its_findings_in_indonesian(built: Built) -> None:
    journey = assemble("", FIVE_STAGES, lanes_of(built))
    found = [item for column in journey.stages for item in column.pain_points + column.opportunities]
    assert {item.rule for item in found} >= {"high_bounce", "support", "low_scores"}
    # Each finding is written in Indonesian too, and the page in Indonesian shows that text, not the English one.
    assert all(item.texts.get("id") and item.texts["id"] != item.text for item in found)
    page, english = to_html(journey, "id"), to_html(journey, "en")
    for item in found:
        assert html.escape(item.said("id")) in page and html.escape(item.text) not in page
        assert html.escape(item.text) in english
    bounce = next(item for item in journey.column("Awareness").pain_points if item.rule == "high_bounce")
    assert bounce.said("id").startswith("Pentalan tinggi: 50 % kunjungan yang mendarat di /promo/flash-sale")
    assert "tahap Pengalaman" in next(i for i in journey.column("Experience").pain_points if i.rule == "support").said(
        "id"
    )
    # Numbers as Indonesian writes them: Loyalty's revenue (Ana's second purchase) is Rp 90.000, not Rp 90,000.
    assert "Rp 90.000</b> pendapatan" in page and "Rp 90,000</b> revenue" in english
    # The terminal's map in Indonesian too.
    console = Console(width=400, record=True)
    console.print(to_rich(journey, "id"))
    terminal = console.export_text()
    assert "Pentalan tinggi" in terminal and "High bounce" not in terminal and "Saran:" in terminal


def test_a_stage_no_one_reached_is_no_drop_off(tmp_path: Path) -> None:
    # A shop that imported only its sales: purchases (Decision) and repeat purchases (Loyalty), and no event of
    # Experience at all. "100 % of people in Decision never reach Experience" would be a gap in the data, not a
    # drop-off: Ana bought again. Budi, who did not, is the drop-off.
    store = {"channel": "Offline Store"}
    sales = build_story(
        tmp_path,
        {
            "ana": [buy("2026-03-01 10:00", 50000, **store), buy("2026-03-20 10:00", 50000, **store)],
            "budi": [buy("2026-03-02 10:00", 45000, **store)],
        },
    )
    journey = assemble("", FIVE_STAGES, lanes_of(sales))
    assert journey.column("Decision").kpis["people"] == 2 and journey.column("Loyalty").kpis["people"] == 1
    assert journey.column("Experience").kpis["people"] in (0, None)
    pains = [item.text for column in journey.stages for item in column.pain_points]
    dropped = [text for text in pains if text.startswith("Largest drop-off")]
    assert dropped == ["Largest drop-off: 50 % of people in Decision never reach a later stage (1 of 2)"], pains
    # Only sales: no stage after Loyalty, and none reached after a lone purchase of a shop with one buyer.
    lone = build_story(tmp_path / "lone", {"citra": [buy("2026-03-03 10:00", 40000, **store)]})
    alone = assemble("", FIVE_STAGES, lanes_of(lone))
    assert not [i for c in alone.stages for i in c.pain_points if i.text.startswith("Largest drop-off")]


def test_a_step_everyone_passes_is_no_drop_off(tmp_path: Path) -> None:
    # A shop's first customers: each added coffee to the cart, bought it and came back for more. No stage and no
    # funnel step lost anyone, so "Largest drop-off: 0 % …" or "Funnel drop-off: 0 % …" would be no pain at all.
    loyal = build_story(
        tmp_path,
        {
            name: [
                track(f"2026-03-0{day} 09:00", "Product Added"),
                buy(f"2026-03-0{day} 09:05", 50000),
                buy(f"2026-03-2{day} 10:00", 50000),
            ]
            for name, day in (("ana", 1), ("budi", 2))
        },
    )
    journey = assemble("", FIVE_STAGES, lanes_of(loyal))
    assert journey.column("Decision").kpis["went_on"] == journey.column("Decision").kpis["people"] == 2
    pains = [item.text for column in journey.stages for item in column.pain_points]
    assert not [text for text in pains if "drop-off" in text], pains
    assert not [i for c in journey.stages for i in c.opportunities if i.text.startswith("Suggestion: Follow up")]
    # One person is "1 person" on the page and in the terminal, not "1 people".
    lone = build_story(tmp_path / "lone", {"citra": [buy("2026-03-03 10:00", 40000)]})
    page = to_html(assemble("", FIVE_STAGES, lanes_of(lone)))
    assert "<b>1</b> person reached" in page and "1 people" not in page


def test_notes_join_their_lane_as_manual_and_feelings_override(built: Built) -> None:
    path = built.project.sqlite_path
    add_note(path, persona="", stage="Decision", lane="pain_points", text="Worried the payment is not safe")
    add_note(path, persona="", stage="Decision", lane="feeling", value=-1.5)
    add_note(path, persona="", stage="Decision", lane="feeling_to_be", value=1.0)
    journey = assemble("", FIVE_STAGES, lanes_of(built), notes_for(path, ""))
    decision = journey.column("Decision")
    assert decision.pain_points[-1].text == "Worried the payment is not safe"
    assert decision.pain_points[-1].source == MANUAL
    assert decision.feeling is not None and (decision.feeling.value, decision.feeling.source) == (-1.5, MANUAL)
    assert decision.feeling_to_be is not None and decision.feeling_to_be.value == 1.0


def test_the_page_has_every_stage_and_lane_and_escapes_what_people_type(built: Built) -> None:
    notes = [
        {"stage": "Loyalty", "lane": "thoughts", "text": "<script>x</script>"},
        {"stage": "Awareness", "lane": "feeling", "value": 1.0},
    ]
    journey = assemble("", FIVE_STAGES, lanes_of(built), notes)
    page = to_html(journey, "id")
    for stage in ("Kesadaran", "Pertimbangan", "Keputusan", "Pengalaman", "Loyalitas"):
        assert f'<div class="stage">{stage}</div>' in page
    for lane in ("actions", "touchpoints", "kpis", "thoughts", "feelings", "pain_points", "opportunities"):
        assert f'data-lane="{lane}"' in page
    assert "<script>x</script>" not in page and "&lt;script&gt;x&lt;/script&gt;" in page
    assert '<polyline points="' in page and "http" not in page.split("<body>")[1]


def test_map_command_draws_the_page_and_takes_notes(built: Built, tmp_path: Path) -> None:
    runner = CliRunner()
    project = str(built.project.root)
    noted = runner.invoke(
        cli,
        [
            "map",
            "note",
            "--stage",
            "Awareness",
            "--lane",
            "opportunities",
            "--text",
            "Ajak teman",
            "--project",
            project,
        ],
    )
    assert noted.exit_code == 0, noted.output
    page = tmp_path / "map.html"
    drawn = runner.invoke(cli, ["map", "--html", str(page), "--project", project], env={"COLUMNS": "400"})
    assert drawn.exit_code == 0, drawn.output
    assert "Ajak teman" in page.read_text(encoding="utf-8")
    # A map asked for as a file is not drawn in the terminal as well, unless --format says so.
    assert "Ajak teman" not in drawn.stdout and f"Drawn: {page}" in drawn.stderr
    both = runner.invoke(cli, ["map", "--html", str(page), "--format", "json", "--project", project])
    assert both.exit_code == 0 and json.loads(both.stdout)["stages"], both.output
    # In the terminal, a note says it was added by hand, and its text is shown as written (not read as markup).
    odd = "Promo [/11.11] :fire:"
    runner.invoke(
        cli, ["map", "note", "--stage", "Decision", "--lane", "thoughts", "--text", odd, "--project", project]
    )
    shown = runner.invoke(cli, ["map", "--project", project], env={"COLUMNS": "400"})
    assert shown.exit_code == 0, shown.output
    assert "• Ajak teman [manual]" in shown.output and f"• {odd} [manual]" in shown.output
    bad = runner.invoke(
        cli, ["map", "note", "--stage", "Decision", "--lane", "feeling", "--value", "3", "--project", project]
    )
    assert bad.exit_code == 1 and "-2 to +2" in bad.output
    nobody = runner.invoke(cli, ["map", "--persona", "Rina", "--project", project])
    assert nobody.exit_code == 1 and "no persona 'Rina'" in nobody.output


def test_chromium_shows_every_stage_and_lane_and_prints_one_landscape_page(built: Built, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright
    from pypdf import PdfReader

    from jejak.maps.browser import chromium_path, render

    page_file = tmp_path / "map.html"
    page_file.write_text(to_html(assemble("", FIVE_STAGES, lanes_of(built)), "en"), encoding="utf-8")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=["--no-sandbox"])
        try:
            page = browser.new_page()
            errors: list[str] = []
            page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
            page.goto(page_file.as_uri())
            assert page.locator(".stage").all_inner_texts() == list(FIVE_STAGES)
            lanes = page.locator(".lane[data-lane]").evaluate_all("nodes => nodes.map(n => n.dataset.lane)")
            assert lanes == ["actions", "touchpoints", "kpis", "thoughts", "feelings", "pain_points", "opportunities"]
            assert page.locator(".curve").is_visible() and errors == []
        finally:
            browser.close()
    pdf, png = tmp_path / "map.pdf", tmp_path / "map.png"
    render(page_file, pdf=pdf, png=png)
    reader = PdfReader(pdf)
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert float(box.width) > float(box.height)  # landscape
    assert "Awareness" in reader.pages[0].extract_text()
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
