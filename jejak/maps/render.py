"""Drawing a journey map: a self-contained HTML page (wall-poster layout) and a terminal table.

The page needs nothing from the network: CSS is inline and the emotion curve is an
inline SVG line across the stage columns (as-is solid, to-be dashed). Every cell
says where it comes from: data, typed by people (manual), or a suggestion.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from rich.table import Table

from jejak.core.numbers import number_text, whole_text
from jejak.maps.journey_map import DATA, LANES, MANUAL, SUGGESTED, Item, JourneyMap, StageColumn
from jejak.maps.sentences import stage_label, whole_percent

LABELS = {
    "en": {
        "title": "Customer journey map",
        "everyone": "Everyone",
        "people": "people",
        "person": "person",
        "actions": "Actions",
        "touchpoints": "Touchpoints",
        "kpis": "KPIs",
        "thoughts": "Thoughts",
        "feelings": "Feelings",
        "pain_points": "Pain points",
        "opportunities": "Opportunities",
        "reached": "reached",
        "to_next": "go on to a later stage",
        "days": "median days in stage",
        "revenue": "revenue",
        DATA: "data",
        MANUAL: "manual",
        SUGGESTED: "suggestion",
        "as_is": "as is",
        "to_be": "to be",
        "dates": "Dates",
        "all_dates": "all dates",
        "empty": "—",
    },
    "id": {
        "title": "Peta perjalanan pelanggan",
        "everyone": "Semua orang",
        "people": "orang",
        "person": "orang",
        "actions": "Tindakan",
        "touchpoints": "Titik sentuh",
        "kpis": "KPI",
        "thoughts": "Pikiran",
        "feelings": "Perasaan",
        "pain_points": "Titik masalah",
        "opportunities": "Peluang",
        "reached": "mencapai",
        "to_next": "lanjut ke tahap sesudahnya",
        "days": "median hari di tahap ini",
        "revenue": "pendapatan",
        DATA: "data",
        MANUAL: "manual",
        SUGGESTED: "saran",
        "as_is": "saat ini",
        "to_be": "harapan",
        "dates": "Tanggal",
        "all_dates": "semua tanggal",
        "empty": "—",
    },
}
LANE_COLOURS = {
    "actions": "#e8f1fb",
    "touchpoints": "#eaf7ee",
    "kpis": "#f3f0fa",
    "thoughts": "#fdf6e3",
    "feelings": "#ffffff",
    "pain_points": "#fdecec",
    "opportunities": "#e9f8f6",
}
CURVE_HEIGHT = 120


def labels(lang: str) -> dict[str, str]:
    if lang not in LABELS:
        raise ValueError(f"Map labels are in {' or '.join(LABELS)}, not {lang!r}.")
    return LABELS[lang]


def _people_word(count: int, words: dict[str, str]) -> str:
    """The word after a count of people: 1 person, 2 people (Indonesian says "orang" for both)."""
    return words["person"] if count == 1 else words["people"]


def _items(items: Sequence[Item], words: dict[str, str], lang: str, counts: bool = False) -> str:
    if not items:
        return f'<p class="empty">{words["empty"]}</p>'
    lines = []
    for item in items:
        count = f' <span class="n">{whole_text(item.value, lang)}</span>' if counts and item.value is not None else ""
        badge = f'<span class="src {item.source}">{html.escape(words[item.source])}</span>'
        lines.append(f"<li>{html.escape(item.said(lang))}{count} {badge}</li>")
    return "<ul>" + "".join(lines) + "</ul>"


def _kpis(column: StageColumn, words: dict[str, str], lang: str) -> str:
    k = column.kpis
    people = int(k.get("people") or 0)
    parts = [f"<b>{whole_text(people, lang)}</b> {_people_word(people, words)} {words['reached']}"]
    if k.get("conversion_to_next") is not None:
        parts.append(f"<b>{whole_percent(float(k['conversion_to_next'] or 0))}</b> {words['to_next']}")
    if k.get("median_days_in_stage") is not None:
        days = number_text(f"{float(k['median_days_in_stage'] or 0):.1f}", lang)
        parts.append(f"<b>{days}</b> {words['days']}")
    if k.get("revenue"):
        parts.append(f"<b>Rp {whole_text(float(k['revenue'] or 0), lang)}</b> {words['revenue']}")
    badge = f'<span class="src data">{words[DATA]}</span>'
    return "<ul>" + "".join(f"<li>{part}</li>" for part in parts) + f"</ul>{badge}"


def _curve(journey: JourneyMap, words: dict[str, str], lang: str) -> str:
    """The emotion curve: one point per stage at the centre of its column, −2 at the bottom, +2 at the top."""
    count = len(journey.stages)

    def points(which: str) -> list[tuple[float, float, Item]]:
        found = []
        for index, column in enumerate(journey.stages):
            item = column.feeling if which == "as_is" else column.feeling_to_be
            if item is not None and item.value is not None:
                x = (index + 0.5) * 100 / count
                y = (2 - max(-2.0, min(2.0, item.value))) / 4 * (CURVE_HEIGHT - 20) + 10
                found.append((x, y, item))
        return found

    shapes = [f'<line x1="0" y1="{CURVE_HEIGHT / 2}" x2="100" y2="{CURVE_HEIGHT / 2}" class="zero"/>']
    for which, style in (("to_be", "tobe"), ("as_is", "asis")):
        found = points(which)
        if len(found) > 1:
            path = " ".join(f"{x:.2f},{y:.2f}" for x, y, _ in found)
            shapes.append(f'<polyline points="{path}" class="{style}" vector-effect="non-scaling-stroke"/>')
        for x, y, item in found:
            shapes.append(
                f'<circle cx="{x:.2f}" cy="{y:.2f}" r="1.2" class="{style} {item.source}">'
                f"<title>{html.escape(words[which])}: {html.escape(number_text(item.text, lang))} "
                f"({html.escape(words[item.source])})</title>"
                "</circle>"
            )
    svg = (
        f'<svg viewBox="0 0 100 {CURVE_HEIGHT}" preserveAspectRatio="none" class="curve" role="img" '
        f'aria-label="{html.escape(words["feelings"])}">{"".join(shapes)}</svg>'
    )
    values = "".join(
        f'<div class="feel">{html.escape(number_text(c.feeling.text, lang)) if c.feeling else words["empty"]}'
        + (f' <span class="src {c.feeling.source}">{html.escape(words[c.feeling.source])}</span>' if c.feeling else "")
        + (
            f" · {html.escape(words['to_be'])} {html.escape(number_text(c.feeling_to_be.text, lang))}"
            if c.feeling_to_be
            else ""
        )
        + "</div>"
        for c in journey.stages
    )
    legend = (
        f'<div class="legend"><span class="asis-key"></span>{html.escape(words["as_is"])} '
        f'<span class="tobe-key"></span>{html.escape(words["to_be"])}</div>'
    )
    return f'<div class="curvebox">{svg}<div class="feels" style="--stages:{count}">{values}</div>{legend}</div>'


# The map's own rules, scoped to its wrapper so that the dashboard can show the map inside its page.
MAP_STYLE = """
.jmap, .jmap * { box-sizing: border-box; }
.jmap .map { display: grid; grid-template-columns: 140px repeat(var(--stages), minmax(150px, 1fr)); gap: 4px; }
.jmap .stage { background: #1d3b6e; color: #fff; padding: 10px; font-weight: 600; text-align: center; border-radius: 6px; }
.jmap .lane { font-weight: 600; padding: 10px 8px; border-radius: 6px; background: #eef0f4; }
.jmap .cell { padding: 8px 10px; border-radius: 6px; font-size: 13px; line-height: 1.35; }
.jmap .cell ul { margin: 0; padding-left: 16px; } .jmap .cell li { margin-bottom: 3px; }
.jmap .n { color: #5b6475; font-variant-numeric: tabular-nums; }
.jmap .src { font-size: 10px; padding: 0 4px; border-radius: 3px; margin-left: 3px; white-space: nowrap; }
.jmap .src.data { background: #d7e6f8; color: #1d3b6e; } .jmap .src.manual { background: #fde2b8; color: #7a4b00; }
.jmap .src.suggested { background: #d9f2e6; color: #0b5d3b; }
.jmap .empty { color: #9aa1ad; margin: 0; }
.jmap .curvebox { grid-column: 2 / -1; background: #fff; border: 1px solid #e3e6ec; border-radius: 6px; padding: 6px; }
.jmap .curve { width: 100%; height: 120px; display: block; }
.jmap .curve .zero { stroke: #c9ced8; stroke-dasharray: 1 1; stroke-width: 0.3; }
.jmap .curve polyline { fill: none; stroke-width: 2.5; } .jmap .curve polyline.asis { stroke: #d9534f; }
.jmap .curve polyline.tobe { stroke: #2e8b57; stroke-dasharray: 6 4; }
.jmap .curve circle.asis { fill: #d9534f; } .jmap .curve circle.tobe { fill: #2e8b57; }
.jmap .feels { display: grid; grid-template-columns: repeat(var(--stages), 1fr); text-align: center; font-size: 12px; }
.jmap .legend { font-size: 11px; color: #5b6475; text-align: right; }
.jmap .asis-key, .jmap .tobe-key { display: inline-block; width: 18px; height: 3px; margin: 0 4px 2px 10px; }
.jmap .asis-key { background: #d9534f; } .jmap .tobe-key { background: #2e8b57; }
"""
PAGE_STYLE = """
* { box-sizing: border-box; }
body { font-family: "Segoe UI", "Helvetica Neue", Arial, sans-serif; margin: 24px; color: #1d2433; }
h1 { margin: 0 0 4px; font-size: 26px; } .sub { color: #5b6475; margin-bottom: 16px; }
@page { size: A3 landscape; margin: 10mm; }
@media print { body { margin: 0; } }
"""
STYLE = PAGE_STYLE + MAP_STYLE


def map_title(journey: JourneyMap, lang: str = "en") -> str:
    """The map's heading: "Customer journey map: <persona or Everyone>" (plain text, not escaped)."""
    words = labels(lang)
    return f"{words['title']}: {journey.persona or words['everyone']}"


def map_dates(journey: JourneyMap, lang: str = "en") -> str:
    """The map's dates as plain text: "2026-03-01 – 2026-03-31", or "all dates"."""
    if not journey.start and not journey.end:
        return labels(lang)["all_dates"]
    return f"{journey.start or '…'} – {journey.end or '…'}"


def map_grid(journey: JourneyMap, lang: str = "en") -> str:
    """The map itself as an HTML fragment (stage columns × lanes, the emotion curve), every text escaped.

    Its rules are `MAP_STYLE`; `to_html` puts both in a page, the dashboard in its own.
    """
    words = labels(lang)
    cells = ['<div class="lane"></div>']
    cells += [f'<div class="stage">{html.escape(stage_label(c.stage, lang))}</div>' for c in journey.stages]
    for lane in LANES:
        cells.append(f'<div class="lane" data-lane="{lane}">{html.escape(words[lane])}</div>')
        if lane == "feelings":
            cells.append(_curve(journey, words, lang))
            continue
        for column in journey.stages:
            if lane == "kpis":
                body = _kpis(column, words, lang)
            else:
                body = _items(getattr(column, lane), words, lang, counts=lane == "actions")
            cells.append(
                f'<div class="cell" data-lane="{lane}" data-stage="{html.escape(column.stage)}" '
                f'style="background:{LANE_COLOURS[lane]}">{body}</div>'
            )
    return f'<div class="jmap"><div class="map" style="--stages:{len(journey.stages)}">{"".join(cells)}</div></div>'


def to_html(journey: JourneyMap, lang: str = "en") -> str:
    """The map as one self-contained HTML page."""
    words = labels(lang)
    title = map_title(journey, lang)
    return (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{html.escape(title)}</title>'
        f"<style>{STYLE}</style></head><body>"
        f"<h1>{html.escape(title)}</h1>"
        f'<div class="sub">{whole_text(journey.people, lang)} '
        f"{html.escape(_people_word(journey.people, words))} · "
        f"{html.escape(words['dates'])}: "
        f"{html.escape(map_dates(journey, lang))}</div>"
        f"{map_grid(journey, lang)}"
        "</body></html>"
    )


def to_rich(journey: JourneyMap, lang: str = "en") -> Table:
    """The map as a terminal table: a column per stage, a row per lane."""
    words = labels(lang)
    table = Table(title=f"{words['title']}: {journey.persona or words['everyone']}", show_lines=True)
    table.add_column("")
    for column in journey.stages:
        table.add_column(stage_label(column.stage, lang))

    def text(items: Sequence[Item]) -> str:
        marks = {DATA: "", MANUAL: " [manual]", SUGGESTED: ""}
        return "\n".join(f"• {item.said(lang)}{marks[item.source]}" for item in items) or words["empty"]

    for lane in LANES:
        if lane == "kpis":
            cells = [
                f"{whole_text(int(c.kpis.get('people') or 0), lang)} "
                f"{_people_word(int(c.kpis.get('people') or 0), words)}\n"
                + (
                    f"{whole_percent(float(c.kpis['conversion_to_next'] or 0))} →"
                    if c.kpis.get("conversion_to_next") is not None
                    else ""
                )
                for c in journey.stages
            ]
        elif lane == "feelings":
            cells = [(number_text(c.feeling.text, lang) if c.feeling else words["empty"]) for c in journey.stages]
        else:
            cells = [text(getattr(c, lane)) for c in journey.stages]
        table.add_row(words[lane], *cells)
    return table
