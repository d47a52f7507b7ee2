"""The attribution page: the CLI's numbers, filters that change them, a cache that answers the same, ROAS with spend."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from jejak.cli.main import cli
from web.conftest import Dashboard

QUICK = {"resamples": "20"}


def _credit(rows: list[dict[str, object]]) -> dict[tuple[str, str], float]:
    return {(str(row["model"]), str(row["channel"])): float(row["conversions"]) for row in rows}  # type: ignore[arg-type]


def test_the_page_shows_the_numbers_jejak_attribute_prints(dashboard: Dashboard) -> None:
    with dashboard.logged_in() as client:
        page = client.get("/attribution.json", params=QUICK).json()
    printed = CliRunner().invoke(
        cli, ["attribute", "--resamples", "20", "--format", "json", "--project", str(dashboard.project.root)]
    )
    assert printed.exit_code == 0, printed.output
    expected = json.loads(printed.stdout)
    shown = page["sections"]["comparison"]
    # Equal up to the last bits of the sparse solve (the same code, run twice).
    assert _credit(shown) == pytest.approx(_credit(expected), rel=1e-9)
    # The intervals too: the bootstrap is seeded, so the page and the terminal agree.
    lows = [row["conversions_low"] for row in shown]
    assert lows == pytest.approx([row["conversions_low"] for row in expected], rel=1e-9)
    models = {row["model"] for row in shown}
    assert {"first_touch", "last_touch", "markov_1", "shapley"} <= models
    # A credit outside its own interval is named in a note above the table, as the terminal warns of it.
    outside = [row for row in shown if not row["conversions_low"] <= row["conversions"] <= row["conversions_high"]]
    warned = [note for note in page["notes"] if note.startswith("A credit outside its own interval")]
    assert len(warned) == (1 if outside else 0)
    assert all(f"{row['model']}: " in warned[0] and str(row["channel"]) in warned[0] for row in outside)


def test_a_date_range_changes_the_credit(dashboard: Dashboard) -> None:
    with dashboard.logged_in() as client:
        everything = client.get("/attribution.json", params=QUICK).json()
        january = client.get("/attribution.json", params={**QUICK, "from": "2026-01-01", "to": "2026-01-31"}).json()
    assert everything["filters"]["from"] is None and january["filters"]["from"] == "2026-01-01"
    assert 0 < january["totals"]["conversions"] < everything["totals"]["conversions"]

    def last_touch_total(data: dict[str, object]) -> float:
        rows = data["sections"]["comparison"]  # type: ignore[index]
        return sum(float(row["conversions"]) for row in rows if row["model"] == "last_touch")

    # Every model shares out exactly the conversions in the range.
    assert abs(last_touch_total(january) - january["totals"]["conversions"]) < 1e-6


def test_a_second_view_is_read_from_the_cache_and_equal(dashboard: Dashboard) -> None:
    params = {**QUICK, "model": "markov", "order": "2"}
    with dashboard.logged_in() as client:
        first = client.get("/attribution.json", params=params).json()
        cache = sorted((Path(dashboard.project.tables_dir.resolve()) / ".cache").glob("attribution-*.json"))
        assert cache, "the run was not kept next to the build"
        second = client.get("/attribution.json", params=params).json()
    assert first == second
    assert {row["model"] for row in first["sections"]["comparison"]} == {"markov_2"}


def test_imported_spend_adds_roas_per_channel(dashboard: Dashboard, tmp_path: Path) -> None:
    with dashboard.logged_in() as client:
        before = client.get("/attribution.json", params={**QUICK, "model": "last_touch"}).json()
    assert "roas" not in before["sections"]
    credited = {row["channel"]: row for row in before["sections"]["comparison"]}
    spend_file = tmp_path / "iklan.csv"
    spend_file.write_text(
        "date,channel,spend\n2026-01-15,Paid Search,1000000\n2026-02-15,Paid Search,500000\n"
        "2026-02-15,Google Ads,70000\n"  # a channel no path carries: the page says so, as the terminal does
    )
    done = CliRunner().invoke(cli, ["spend", "import", str(spend_file), "--project", str(dashboard.project.root)])
    assert done.exit_code == 0, done.output
    with dashboard.logged_in() as client:
        after = client.get("/attribution.json", params={**QUICK, "model": "last_touch"}).json()
        html = client.get("/attribution", params={**QUICK, "model": "last_touch"}).text
    roas = {row["channel"]: row for row in after["sections"]["roas"]}
    paid = credited["Paid Search"]
    assert roas["Paid Search"]["spend"] == 1_500_000
    assert abs(roas["Paid Search"]["roas"] - paid["revenue"] / 1_500_000) < 1e-9
    assert abs(roas["Paid Search"]["cost_per_conversion"] - 1_500_000 / paid["conversions"]) < 1e-6
    assert 'data-section="roas"' in html
    assert [note for note in after["notes"] if "no path carries" in note] == [
        "Spend of 70,000 on 'Google Ads', a channel no path carries. "
        "Use the channel names jejak gives (see `jejak report summary`)."
    ]
    assert "&#39;Google Ads&#39;, a channel no path carries" in html or "'Google Ads', a channel no path" in html


@pytest.mark.parametrize("model", ["markov", "time_decay", "linear"])
def test_one_model_is_read_from_the_every_model_run_with_the_intervals_it_gets_alone(
    dashboard: Dashboard, model: str
) -> None:
    cache = dashboard.project.tables_dir.resolve() / ".cache"
    params = {"resamples": "17"}  # a run no other test asks for
    with dashboard.logged_in() as client:
        every = client.get("/attribution.json", params=params).json()["sections"]["comparison"]
        kept = set(cache.glob("attribution-*.json"))
        one = client.get("/attribution.json", params={**params, "model": model}).json()["sections"]["comparison"]
        assert set(cache.glob("attribution-*.json")) == kept, "one model was computed again"
    assert one and {row["model"] for row in one} < {row["model"] for row in every}
    # The model run alone, as `jejak attribute --model` runs it.
    alone = CliRunner().invoke(
        cli,
        [
            "attribute",
            "--model",
            model,
            "--resamples",
            "17",
            "--format",
            "json",
            "--project",
            str(dashboard.project.root),
        ],
    )
    assert alone.exit_code == 0, alone.output
    expected = json.loads(alone.stdout)
    for name in ("conversions", "conversions_low", "conversions_high", "revenue_low", "revenue_high"):
        assert [row[name] for row in one] == pytest.approx([row[name] for row in expected], rel=1e-9), name
