"""Spend imported under a channel its campaign's touches are not on is said, with the rule that fixes it.

A Meta campaign tagged `utm_medium=social` is Organic Social (as GA4 reads it), while Ads Manager's spend export
is imported as Paid Social. ROAS by channel then set the campaign's spend against the other campaigns' Paid Social
credit, and its revenue went to Organic Social, which had no spend: both ratios were wrong, and nothing said so.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import Built, build_story, buy, visit

from jejak.cli.main import cli
from jejak.ingest.spend import import_spend
from jejak.pipeline import run_build
from jejak.service.attribution import AttributionQuery, attribute_built, spend_note_text
from jejak.service.builds import open_build
from jejak.service.reports import Scope
from jejak.store.project import open_project

ANA_REVENUE, BUDI_REVENUE = 100_000, 60_000
PROMO_SPEND, RETARGET_SPEND, NEWSLETTER_SPEND = 50_000, 30_000, 5_000
# The promo's links say `social`, a medium GA4 reads as organic; the retargeting ad's say `paid_social`.
PROMO = {"source": "instagram", "medium": "social", "campaign": "Oktober-Promo"}
RETARGET = {"source": "facebook", "medium": "paid_social", "campaign": "fb-retarget"}

STORY: dict[str, list[dict[str, Any]]] = {
    "ana": [visit("2026-10-01 09:00", **PROMO), buy("2026-10-01 09:05", ANA_REVENUE)],
    "budi": [visit("2026-10-02 10:00", **RETARGET), buy("2026-10-02 10:05", BUDI_REVENUE)],
    "cici": [visit("2026-10-03 10:00", **PROMO)],
}
SPEND = (
    "date,channel,campaign,spend\n"
    f"2026-10-01,Paid Social,Oktober-Promo,{PROMO_SPEND}\n"
    f"2026-10-02,Paid Social,fb-retarget,{RETARGET_SPEND}\n"
    f"2026-10-02,Email,newsletter-okt,{NEWSLETTER_SPEND}\n"  # a channel and a campaign no touch carries
)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    root = tmp_path_factory.mktemp("spend_channel")
    built = build_story(root, STORY)
    spend_file = root / "meta.csv"
    spend_file.write_text(SPEND)
    assert import_spend(built.project, spend_file).rows_stored == 3
    return built


def _run(root: Path, by: str = "channel") -> Any:
    with open_build(open_project(root, env={})) as opened:
        return attribute_built(opened, Scope(), AttributionQuery(("last_touch",), by=by, resamples=0))


def _notes(run: Any, lang: str = "en") -> list[str]:
    return [spend_note_text(note, lang) for note in run.spend_notes]


def test_a_campaigns_spend_on_a_channel_none_of_its_touches_is_on_is_said(built: Built) -> None:
    notes = _notes(_run(built.project.root))
    promo = [note for note in notes if "'Oktober-Promo'" in note]
    assert len(promo) == 1, notes
    assert f"Spend of {PROMO_SPEND:,} on campaign 'Oktober-Promo' is imported as Paid Social" in promo[0]
    assert "none of its 2 touches is: they are Organic Social (2) (utm_medium 'social')" in promo[0]
    # The retargeting ad's touches are Paid Social, as its spend: nothing to say of it.
    assert not any("fb-retarget" in note for note in notes)
    # Spend on a channel no path carries is said as before, once.
    assert [note for note in notes if "'Email', a channel no path carries" in note] == [
        f"Spend of {NEWSLETTER_SPEND:,} on 'Email', a channel no path carries. "
        "Use the channel names jejak gives (see `jejak report summary`)."
    ]
    # By campaign, spend meets its campaign whatever its channel: no channel note.
    by_campaign = _run(built.project.root, by="campaign")
    assert not any("imported as" in note for note in _notes(by_campaign)), by_campaign.spend_notes


def test_the_spend_notes_are_written_in_the_dashboards_indonesian(built: Built) -> None:
    run = _run(built.project.root)
    english, indonesian = _notes(run), _notes(run, "id")
    assert len(indonesian) == len(english) == 2
    [promo] = [note for note in indonesian if "'Oktober-Promo'" in note]
    # Its numbers as Indonesian writes them; the names, the medium and the rule to paste as they are.
    assert promo.startswith(f"Biaya iklan {PROMO_SPEND:,}".replace(",", ".") + " untuk kampanye 'Oktober-Promo'")
    assert "tidak satu pun dari 2 sentuhannya ada di saluran itu: sentuhannya ada di Organic Social (2)" in promo
    [english_promo] = [note for note in english if "'Oktober-Promo'" in note]
    rule = re.compile(r"\[\[channels\.prepend\]\] name = .*?\}\]")
    assert rule.findall(promo) == rule.findall(english_promo) != []
    [email] = [note for note in indonesian if "'Email'" in note]
    assert email.startswith(f"Biaya iklan {NEWSLETTER_SPEND:,}".replace(",", ".") + " untuk 'Email', saluran yang")
    # Spelled out once, kept with the run's answer as what it says: each language writes it from the same note.
    assert all(isinstance(note, dict) for note in run.spend_notes)


def test_the_rule_the_note_gives_puts_the_campaign_on_its_spends_channel(tmp_path: Path) -> None:
    built = build_story(tmp_path, STORY)
    (tmp_path / "meta.csv").write_text(SPEND)
    import_spend(built.project, tmp_path / "meta.csv")
    root = built.project.root
    [note] = [note for note in _notes(_run(root)) if "Oktober-Promo" in note]
    found = re.search(r'\[\[channels\.prepend\]\] name = "(?P<name>[^"]+)", match = (?P<match>\[\{.*?\}\])', note)
    assert found is not None, note
    with (root / "jejak.toml").open("a", encoding="utf-8") as toml:
        toml.write(f'\n[[channels.prepend]]\nname = "{found["name"]}"\nmatch = {found["match"]}\n')
    run_build(open_project(root, env={}))
    after = _run(root)
    assert not any("imported as" in note for note in _notes(after)), after.spend_notes
    # Both purchases are Paid Social's now, and so is the spend on both campaigns: ROAS is theirs over it.
    paid = {row["channel"]: row for row in after.table.to_pylist()}["Paid Social"]
    assert paid["revenue"] == pytest.approx(ANA_REVENUE + BUDI_REVENUE)
    assert paid["roas"] == pytest.approx((ANA_REVENUE + BUDI_REVENUE) / (PROMO_SPEND + RETARGET_SPEND))


def test_the_terminal_prints_the_note(built: Built) -> None:
    result = CliRunner().invoke(
        cli,
        ["attribute", "--model", "last_touch", "--resamples", "0", "--project", str(built.project.root)],
        env={"COLUMNS": "400"},
    )
    assert result.exit_code == 0, result.output
    assert "campaign 'Oktober-Promo' is imported as Paid Social" in result.output, result.output
    assert "jejak build" in result.output


def test_spend_on_a_campaign_whose_name_holds_a_nul_is_said_not_a_bug(tmp_path: Path) -> None:
    # The name comes from the sheet as it is; naming it in the notes' query stopped `jejak attribute` as a bug.
    built = build_story(tmp_path, STORY)
    spend_file = tmp_path / "meta.csv"
    spend_file.write_text("date,channel,campaign,spend\n2026-10-01,Paid Social,Okt\x00ober,50000\n")
    assert import_spend(built.project, spend_file).rows_stored == 1
    by_channel = _run(built.project.root)
    assert by_channel.spend_notes == [], "its channel carries paths, and no touch carries its campaign"
    [note] = _notes(_run(built.project.root, by="campaign"))
    assert note.startswith("Spend of 50,000 on 'Okt\x00ober', a campaign no path carries."), note
