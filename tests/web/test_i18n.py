"""The Indonesian pages are Indonesian: every word, every column heading a page shows, the words the reports write
into their rows, and the numbers (`1.234,5`), while the JSON and CSV twins keep the names and values as they are."""

from __future__ import annotations

import dataclasses
import html
import json
import re
from pathlib import Path
from typing import Any

import pytest

from jejak.analytics.assisted import READINGS
from jejak.analytics.flows import END_NODE, NOT_SET_NODE, START_NODE
from jejak.core.settings import SETTINGS_BY_NAME, SETTINGS_TABLE
from jejak.core.vocabulary import QUARANTINE_REASONS
from jejak.journeys.dimensions import DIMENSIONS
from jejak.service.attribution import ATTRIBUTE_BY, HONEST_LABEL, dimension_note, honest_label
from jejak.store.project import Project
from jejak.web.i18n import (
    COLUMNS_ID,
    LANGUAGES,
    QUARANTINE_MEANINGS_ID,
    SETTINGS_HELP_ID,
    UNITS_ID,
    VALUES_ID,
    WORDS,
    column_label,
    number_text,
    value_label,
)
from jejak.web.site import PAGES
from web.conftest import Dashboard, serving

TEMPLATES = Path(__file__).resolve().parents[2] / "jejak" / "web" / "templates"
# Other views of the pages than their defaults, so that every column any of them shows is seen.
OTHER_VIEWS: dict[str, list[dict[str, str]]] = {
    "reports": [{"dimension": dimension} for dimension in DIMENSIONS if dimension != "channel"],
    "attribution": [*({"by": by} for by in ATTRIBUTE_BY if by != "channel"), {"model": "markov", "order": "auto"}],
    "devices": [{"by": "os"}],
    "bounce": [{"by": "channel"}],
    "funnels": [{"breakdown": "device_type"}, {"breakdown": "channel", "trend": "week"}],
    "flows": [{"start_event": "", "end_event": "Order Completed"}],
}
HEADING = re.compile(r"<th(?:\s[^>]*)?>(.*?)</th>", re.S)
CELL = re.compile(r'<td class="num">([^<]*)</td>')


def test_both_languages_have_every_word() -> None:
    for key, entry in WORDS.items():
        for lang in LANGUAGES:
            assert entry.get(lang, "").strip(), (key, lang)
        # A word the builder fills in has the same places in both languages.
        assert set(re.findall(r"{\w+}", entry["en"])) == set(re.findall(r"{\w+}", entry["id"])), key
    assert all(text.strip() for text in COLUMNS_ID.values())


def _shown_names(body: dict[str, Any]) -> set[str]:
    """Every column of a page's tables, and every name its forms offer, from the page's JSON twin."""
    names = {column for rows in body["sections"].values() for row in rows for column in row}
    for values in body.get("choices", {}).values():
        names |= set(values)
    return names


def _template_names() -> set[str]:
    """The names the templates give `label` themselves: `'line'|label`, and the options of `{% for value in [...] %}`."""
    names: set[str] = set()
    for template in TEMPLATES.glob("*.html"):
        text = template.read_text(encoding="utf-8")
        names |= set(re.findall(r"'(\w+)'\|label", text))
        for listed, body in re.findall(r"{% for value in \[([^\]]*)\] %}(.*?){% endfor %}", text):
            if "value|label" in body:
                names |= set(re.findall(r"'([a-z_]+)'", listed))  # numbers (Markov orders) need no heading
    return names


def test_every_column_and_choice_a_page_shows_has_an_indonesian_heading(dashboard: Dashboard) -> None:
    shown: dict[str, set[str]] = {}
    with dashboard.logged_in() as client:
        for page in PAGES:
            for params in [{}, *OTHER_VIEWS.get(page.slug, [])]:
                answer = client.get(f"/{page.slug}.json", params=params)
                assert answer.status_code == 200, (page.slug, params, answer.text[:300])
                for name in _shown_names(answer.json()):
                    shown.setdefault(name, set()).add(page.slug)
    from_templates = _template_names()
    assert {"line", "quarantined_at", "sequential", "week"} <= from_templates  # the scan reads the templates
    missing = {name: sorted(pages) for name, pages in shown.items() if name not in COLUMNS_ID}
    missing |= {name: ["a template"] for name in from_templates if name not in COLUMNS_ID}
    assert not missing, f"no Indonesian heading in i18n.COLUMNS_ID for {missing}"


def _swapped(text: str) -> str:
    return text.translate(str.maketrans({",": ".", ".": ","}))


def test_an_indonesian_page_has_indonesian_headings_readings_and_numbers(dashboard: Dashboard) -> None:
    with dashboard.logged_in() as client:
        english = client.get("/reports", params={"lang": "en"}).text
        indonesian = client.get("/reports", params={"lang": "id"}).text
        twin = client.get("/reports.json").json()["sections"]
    headings = {html.unescape(text) for text in HEADING.findall(indonesian)}
    assert {"konversi berbantuan", "tafsiran", "porsi konversi", "kelompok"} <= headings
    assert not headings & {"assisted conversions", "reading", "conversion share"}
    # The twin keeps the English words; the page shows them in Indonesian.
    readings = {row["reading"] for row in twin["assisted"]}
    assert readings and readings <= set(READINGS)
    for reading in readings:
        assert f">{VALUES_ID['reading'][reading]}<" in indonesian
    other = twin["paths"][-1]["path"]
    assert other.startswith("Other (")
    assert html.escape(value_label("path", other, "id")) in indonesian and "Lainnya (" in indonesian
    # The same cells, with the separators swapped: 1,234.5 reads 1.234,5.
    english_cells, indonesian_cells = CELL.findall(english), CELL.findall(indonesian)
    assert len(english_cells) == len(indonesian_cells) > 20
    assert [_swapped(cell) for cell in english_cells] == indonesian_cells
    assert any("," in cell for cell in english_cells) and any("." in cell for cell in english_cells)
    # The figures are drawn in the page's language, with its separators.
    assert '"separators":",."' in indonesian and "Konversi berbantuan" in indonesian
    assert '"separators":".,"' in english and "Konversi berbantuan" not in english


@pytest.mark.parametrize(
    ("value", "indonesian"),
    [
        ("Other (12 rows, 34.5 % of total)", "Lainnya (12 baris, 34,5 % dari total)"),
        ("Other (1 row, 0.4 % of entrances)", "Lainnya (1 baris, 0,4 % dari kunjungan masuk)"),
        ("Other (3 rows, 10.0 % of people)", "Lainnya (3 baris, 10,0 % dari semua orang)"),
        ("Other Coffee", "Other Coffee"),  # a channel or page of that name is the user's
    ],
)
def test_an_other_row_reads_in_indonesian(value: str, indonesian: str) -> None:
    assert value_label("path", value, "id") == indonesian
    assert value_label("path", value, "en") == value


def test_an_other_rows_count_has_its_thousands_separated_in_either_language() -> None:
    from jejak.cli.common import cell_text

    written = "Other (2935 rows, 71.4 % of total)"  # as the engine writes it
    assert value_label("path", written, "en") == "Other (2,935 rows, 71.4 % of total)"
    assert value_label("path", written, "id") == "Lainnya (2.935 baris, 71,4 % dari total)"
    assert cell_text(written) == "Other (2,935 rows, 71.4 % of total)"  # the terminal's tables


def test_the_words_the_reports_write_are_all_translated() -> None:
    assert set(VALUES_ID["reading"]) == set(READINGS)
    assert set(VALUES_ID["node"]) == {END_NODE, START_NODE, NOT_SET_NODE}
    # A flow's node shows under source and target as well; a channel called "(end)" elsewhere is the user's.
    assert value_label("target", END_NODE, "id") == "(akhir)" and value_label("channel", END_NODE, "id") == END_NODE
    # The overview's freshness rows name what they measure.
    assert value_label("measure", "last_build_at", "id") == column_label("last_build_at", "id") != "last build at"
    # In English as a heading reads, not as the column name it is.
    assert value_label("measure", "last_build_at", "en") == "last build at"


def test_numbers_swap_their_separators_in_indonesian_only() -> None:
    assert number_text("1,234,567.89", "id") == "1.234.567,89"
    assert number_text("1,234,567.89", "en") == "1,234,567.89"


FIGURE_DATA = re.compile(r'<script type="application/json" class="figure-data" data-for="[^"]*">(.*?)</script>', re.S)


def _figure_texts(figure: dict[str, Any]) -> set[str]:
    """What a figure writes of its own: its title, axis titles, series names and hover text."""
    layout = figure["layout"]
    texts = {layout.get("title", {}).get("text", "")}
    texts |= {axis.get("title", {}).get("text", "") for name, axis in layout.items() if name[1:5] == "axis"}
    for trace in figure["data"]:
        texts |= {str(trace.get("name", "")), str(trace.get("hovertemplate", ""))}
        texts |= {str(trace.get("node", {}).get("hovertemplate", ""))}
    # plotly's own places (`%{customdata[0]:.1%}`) and tags are not words.
    return {re.sub(r"%{[^}]*}|<[^>]*>", " ", text) for text in texts if text}


def test_every_figure_on_an_indonesian_page_is_drawn_in_indonesian(dashboard: Dashboard) -> None:
    # A word's text up to its first place, without the punctuation `\b` cannot stand next to.
    pairs = [(entry["en"].split("{")[0].strip(" :·()"), entry["id"]) for entry in WORDS.values()]
    pairs += [(column_label(name), indonesian) for name, indonesian in COLUMNS_ID.items()]
    english_only = {english for english, indonesian in pairs if english and english.lower() != indonesian.lower()}
    drawn = 0
    with dashboard.logged_in() as client:
        for page in PAGES:
            for params in [{}, *OTHER_VIEWS.get(page.slug, [])]:
                body = client.get(f"/{page.slug}", params={**params, "lang": "id"}).text
                for found in FIGURE_DATA.findall(body):
                    figure = json.loads(found)
                    drawn += 1
                    assert figure["layout"]["separators"] == ",.", page.slug
                    for text in _figure_texts(figure):
                        left = [word for word in english_only if re.search(rf"\b{re.escape(word)}\b", text, re.I)]
                        assert not left, (page.slug, params, text, left)
    assert drawn >= 12


def test_every_setting_and_quarantine_reason_is_explained_in_indonesian() -> None:
    assert list(SETTINGS_HELP_ID) == [setting.name for setting in SETTINGS_TABLE]
    assert set(QUARANTINE_MEANINGS_ID) == set(QUARANTINE_REASONS)
    units = {setting.unit for setting in SETTINGS_TABLE}
    # A unit every language writes alike (MiB, URL, ISO 4217, seed) needs none.
    assert units - set(UNITS_ID) <= {"MiB", "URL", "ISO 4217", "seed"}, units - set(UNITS_ID)
    for name, text in SETTINGS_HELP_ID.items():
        english = SETTINGS_BY_NAME[name].help
        assert text.strip() and text != english, name
        # What the help names to type (a setting, an option, an event, a command) stays as it is written.
        assert set(re.findall(r"`[^`]+`", english)) <= set(re.findall(r"`[^`]+`", text)), name


def _texts(body: str) -> str:
    """A page's text as a reader sees it: tags dropped, entities read, white space as single spaces."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def test_the_data_page_explains_settings_and_quarantine_in_the_pages_language(dashboard: Dashboard) -> None:
    with dashboard.logged_in() as client:
        pages = {lang: client.get("/data", params={"lang": lang}).text for lang in LANGUAGES}
        twin = client.get("/data.json", params={"lang": "id"}).json()
    indonesian, english = _texts(pages["id"]), _texts(pages["en"])
    reasons = [row["reason"] for row in twin["sections"]["quarantine"]]
    assert reasons, "the demo project has quarantined rows"
    # Each reason's row of the quarantine table: its meaning is the third cell (the rows' own messages stay English).
    for lang, meanings in (("id", QUARANTINE_MEANINGS_ID), ("en", QUARANTINE_REASONS)):
        rows = re.findall(r'<tr data-reason="([^"]+)">(.*?)</tr>', pages[lang], re.S)
        shown = {reason: _texts(re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)[2]) for reason, row in rows}
        assert shown == {reason: meanings[reason] for reason in reasons}, lang
    for setting in SETTINGS_TABLE:
        assert SETTINGS_HELP_ID[setting.name] in indonesian, setting.name
        assert setting.help not in indonesian and setting.help in english, setting.name
    assert "bawaan" in indonesian and "hari" in indonesian
    # The twin keeps the English, as every twin does.
    assert {row["help"] for row in twin["sections"]["settings_in_effect"]} == {s.help for s in SETTINGS_TABLE}


def test_the_attribution_pages_notes_are_in_the_pages_language(dashboard: Dashboard) -> None:
    with dashboard.logged_in() as client:
        pages = {
            (lang, by): _texts(client.get("/attribution", params={"lang": lang, "by": by, "order": "auto"}).text)
            for lang in LANGUAGES
            for by in ("channel", "campaign", "content")
        }
    assert honest_label("id") in pages["id", "channel"] and HONEST_LABEL not in pages["id", "channel"]
    assert HONEST_LABEL in pages["en", "channel"]
    assert dimension_note("campaign", "id") in pages["id", "campaign"]
    assert dimension_note("content", "id") in pages["id", "content"] and "konten iklan" in pages["id", "content"]
    assert dimension_note("content") in pages["en", "content"] and "ad content" in pages["en", "content"]
    assert (
        dimension_note("campaign") in pages["en", "campaign"]
        and dimension_note("campaign") not in pages["id", "campaign"]
    )
    # Markov's chosen order, its scores written with Indonesian decimals.
    chosen = re.search(r"Orde Markov \d, dipilih .*?\((orde \d: -?[\d.]+,\d{4}(, )?)+\)", pages["id", "channel"])
    assert chosen, pages["id", "channel"][:2000]
    assert "Markov order" not in pages["id", "channel"] and "Markov order" in pages["en", "channel"]


def test_the_overview_says_what_an_identifier_shared_by_too_many_means_in_the_pages_language(
    dashboard: Dashboard,
) -> None:
    # The demo's shop phone, typed in at the till for walk-in customers: before, the overview showed only
    # "over shared identifiers 1".
    import pyarrow.parquet as pq

    from jejak.store.derived import current_build

    shared = pq.read_table(current_build(dashboard.project) / "shared_identifiers").to_pylist()
    phones = [row for row in shared if row["kind"] == "phone"]
    assert phones, "the demo plants a shop's phone shared by its customers"
    most = max(row["user_ids"] for row in phones)
    allowed = dashboard.project.settings.identity_max_people_per_identifier
    number = "1 phone number was" if len(phones) == 1 else f"{len(phones)} phone numbers were"
    with dashboard.logged_in() as client:
        english = html.unescape(client.get("/overview?lang=en").text)
        indonesian = html.unescape(client.get("/overview?lang=id").text)
    assert f"{number} seen with more user ids than {allowed} (up to {most})" in english
    assert "Look one up on the People page" in english and "Cari satu di halaman" not in english
    assert f"nomor telepon terlihat dengan lebih dari {allowed} user id (hingga {most})" in indonesian
    assert "user id terbanyak" in indonesian and "Look one up" not in indonesian


def test_the_bounce_page_says_what_it_counts_with_the_projects_settings(demo_project: Project) -> None:
    # Settings other than the defaults, so that the numbers said can only come from the project's settings.
    settings = dataclasses.replace(
        demo_project.settings, bounce_engaged_seconds=25, bounce_engaged_min_views=3, bounce_min_entrances=7
    )
    project = dataclasses.replace(demo_project, settings=settings)
    for url in serving(project):
        with Dashboard(project, url).logged_in() as client:
            pages = {lang: client.get("/bounce", params={"lang": lang}).text for lang in LANGUAGES}
    said = {}
    for lang, page in pages.items():
        found = re.search(r'<p class="muted" id="bounce-help">(.*?)</p>', page, re.S)
        said[lang] = html.unescape(found.group(1)) if found else ""
    english, indonesian = said["en"], said["id"]
    assert "under 25 s" in english and "fewer than 3 pages" in english and "at least 7 entrances" in english
    assert "chats, marketplace orders" in english
    assert "kurang dari 25 detik" in indonesian and "kurang dari 3 halaman" in indonesian
    assert "sedikitnya 7 kunjungan masuk" in indonesian and "obrolan, pesanan marketplace" in indonesian
