"""Attribution by campaign: every model credits campaigns, and spend per campaign gives cost per conversion and ROAS.

The expected numbers are read off the story below by hand: which campaign each
purchase's touches carry, and what the spend file says each campaign cost.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import Built, build_story, buy, make_project, visit

from jejak.cli.main import cli
from jejak.core.vocabulary import NOT_SET
from jejak.ingest.spend import import_spend, spend_by_campaign, spend_by_channel

ANA_REVENUE = 100_000
BUDI_REVENUE = 60_000
BUDI_AGAIN_REVENUE = 20_000
CICI_REVENUE = 40_000
# Acquisition fields as the ads' links carry them (the source sets the channel, so the rules do not decide it).
RAMADAN_AD = {"campaign": "ramadan", "source": "instagram", "medium": "paid_social"}
KOPI_SUSU_MAIL = {"campaign": "kopi-susu", "source": "newsletter", "medium": "email"}
# The search ad's address alone says its keyword and ad (the touch reads them from it: no term or content column).
KOPI_SUSU_AD = {
    "campaign": "kopi-susu",
    "source": "google",
    "medium": "cpc",
    "page_url": "https://toko.example/?utm_term=kopi+susu&utm_content=iklan-teks",
}

STORY: dict[str, list[dict[str, Any]]] = {
    # Ana opens with the Ramadan ad and buys on the Kopi Susu newsletter: last touch kopi-susu, first ramadan.
    "ana": [
        visit("2026-03-01 09:00", "Paid Social", **RAMADAN_AD),
        visit("2026-03-03 09:00", "Email", **KOPI_SUSU_MAIL),
        buy("2026-03-03 09:05", ANA_REVENUE),
    ],
    # Budi buys twice in his one Ramadan-ad visit: the second purchase has no touch of its own journey and
    # takes its session's campaign (ramadan), not its session's channel.
    "budi": [
        visit("2026-03-05 10:00", "Paid Social", **RAMADAN_AD),
        buy("2026-03-05 10:05", BUDI_REVENUE),
        buy("2026-03-05 10:15", BUDI_AGAIN_REVENUE),
    ],
    # Cici clicks the Kopi Susu search ad, comes back Direct (no campaign) and buys there.
    "cici": [
        visit("2026-03-06 10:00", "Paid Search", **KOPI_SUSU_AD),
        visit("2026-03-08 10:00", "Direct"),
        buy("2026-03-08 10:05", CICI_REVENUE),
    ],
    # Dewi sees the Ramadan ad and never buys.
    "dewi": [visit("2026-03-09 10:00", "Paid Social", **RAMADAN_AD)],
}
CONVERSIONS = 4  # Ana's, Budi's two, Cici's

# day, channel, campaign ("" when the row has none), spend
SPEND_ROWS = [
    ("2026-03-01", "Paid Social", "ramadan", 50_000),
    ("2026-03-05", "Paid Social", "ramadan", 30_000),
    ("2026-03-03", "Email", "kopi-susu", 20_000),
    ("2026-03-06", "Paid Search", "kopi-susu", 25_000),
    ("2026-03-02", "Paid Search", "", 10_000),
    ("2026-03-04", "Paid Social", "lebaran", 5_000),  # a campaign no touch carries
]


def spend_of(campaign: str, *, since: str = "0000-00-00") -> float:
    """What the spend file says `campaign` cost from the day `since` on (rows without a campaign: `(not set)`)."""
    return float(sum(amount for day, _, name, amount in SPEND_ROWS if (name or NOT_SET) == campaign and day >= since))


def write_spend(path: Path, rows: list[tuple[str, str, str, int]]) -> Path:
    path.write_text("date,channel,campaign,spend\n" + "".join(f"{d},{ch},{ca},{a}\n" for d, ch, ca, a in rows))
    return path


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    root = tmp_path_factory.mktemp("campaigns")
    found = build_story(root, STORY)
    import_spend(found.project, write_spend(root / "iklan.csv", SPEND_ROWS))
    return found


def attribute_json(built: Built, *args: str) -> list[dict[str, Any]]:
    result = CliRunner().invoke(cli, ["attribute", *args, "--format", "json", "--project", str(built.project.root)])
    assert result.exit_code == 0, result.output
    rows: list[dict[str, Any]] = json.loads(result.stdout)
    return rows


def attribute_text(built: Built, *args: str) -> str:
    """What `jejak attribute` prints to the terminal, its lines joined by single spaces."""
    shown = CliRunner().invoke(cli, ["attribute", *args, "--project", str(built.project.root)])
    assert shown.exit_code == 0, shown.output
    return " ".join(shown.output.split())


def credit(rows: list[dict[str, Any]], model: str, key: str = "campaign") -> dict[str, tuple[float, float]]:
    """(conversions, revenue) per label for one model."""
    return {row[key]: (row["conversions"], row["revenue"]) for row in rows if row["model"] == model}


def test_last_touch_by_campaign_credits_the_campaign_each_purchase_closed_on(built: Built) -> None:
    rows = attribute_json(built, "--by", "campaign", "--model", "last_touch", "--resamples", "0")
    assert all("channel" not in row for row in rows)
    assert credit(rows, "last_touch") == {
        "kopi-susu": (1.0, ANA_REVENUE),
        "ramadan": (2.0, BUDI_REVENUE + BUDI_AGAIN_REVENUE),
        NOT_SET: (1.0, CICI_REVENUE),  # Cici's Direct visit carries no campaign
    }


def test_first_touch_by_campaign_credits_the_campaign_that_opened_each_path(built: Built) -> None:
    rows = attribute_json(built, "--by", "campaign", "--model", "first_touch", "--resamples", "0")
    assert credit(rows, "first_touch") == {
        "kopi-susu": (1.0, CICI_REVENUE),
        "ramadan": (3.0, ANA_REVENUE + BUDI_REVENUE + BUDI_AGAIN_REVENUE),
        NOT_SET: (0.0, 0.0),
    }


def test_roas_and_cost_per_conversion_by_campaign_divide_by_that_campaigns_spend(built: Built) -> None:
    rows = attribute_json(built, "--by", "campaign", "--model", "last_touch", "--resamples", "0")
    found = {row["campaign"]: row for row in rows}
    closed = {
        "kopi-susu": (1, ANA_REVENUE),
        "ramadan": (2, BUDI_REVENUE + BUDI_AGAIN_REVENUE),
        NOT_SET: (1, CICI_REVENUE),
    }
    for campaign, (conversions, revenue) in closed.items():
        spend = spend_of(campaign)
        row = found[campaign]
        assert row["spend"] == spend, campaign
        assert row["cost_per_conversion"] == pytest.approx(spend / conversions), campaign
        assert row["roas"] == pytest.approx(revenue / spend), campaign


def test_last_non_direct_by_campaign_passes_over_touches_without_a_campaign(built: Built) -> None:
    rows = attribute_json(built, "--by", "campaign", "--model", "last_non_direct", "--resamples", "0")
    # Cici's purchase goes to the Kopi Susu ad she clicked before her Direct visit.
    assert credit(rows, "last_non_direct") == {
        "kopi-susu": (2.0, ANA_REVENUE + CICI_REVENUE),
        "ramadan": (2.0, BUDI_REVENUE + BUDI_AGAIN_REVENUE),
        NOT_SET: (0.0, 0.0),
    }
    kopi_susu = next(row for row in rows if row["campaign"] == "kopi-susu")
    assert kopi_susu["roas"] == pytest.approx((ANA_REVENUE + CICI_REVENUE) / spend_of("kopi-susu"))


def test_remove_if_not_all_by_campaign_drops_touches_without_a_campaign(built: Built) -> None:
    rows = attribute_json(
        built, "--by", "campaign", "--transform", "remove_if_not_all", "--model", "last_touch", "--resamples", "0"
    )
    # Cici's path kopi-susu > (not set) becomes kopi-susu; no path is all (not set), so it is gone from the table.
    assert credit(rows, "last_touch") == {
        "kopi-susu": (2.0, ANA_REVENUE + CICI_REVENUE),
        "ramadan": (2.0, BUDI_REVENUE + BUDI_AGAIN_REVENUE),
    }


def test_every_model_by_campaign_credits_campaigns_and_shares_out_every_conversion(built: Built) -> None:
    rows = attribute_json(built, "--by", "campaign", "--resamples", "20")
    labels = {row["campaign"] for row in rows}
    assert labels == {"kopi-susu", "ramadan", NOT_SET}
    per_model: dict[str, float] = defaultdict(float)
    for row in rows:
        per_model[row["model"]] += row["conversions"]
        assert row["conversions_low"] is not None, (row["model"], row["campaign"])
    assert {"time_decay", "shapley", "last_non_direct"} <= set(per_model)
    assert any(model.startswith("markov") for model in per_model)
    for model, total in per_model.items():
        assert total == pytest.approx(CONVERSIONS), model


def test_a_date_range_by_campaign_counts_only_the_spend_of_those_days(built: Built) -> None:
    since = "2026-03-05"
    rows = attribute_json(built, "--by", "campaign", "--model", "last_touch", "--from", since, "--resamples", "0")
    found = {row["campaign"]: row for row in rows}
    # Journeys ending from March 5: Budi's two purchases and Cici's; Ana's (March 3) is out of the run.
    assert credit(rows, "last_touch") == {
        "kopi-susu": (0.0, 0.0),
        "ramadan": (2.0, BUDI_REVENUE + BUDI_AGAIN_REVENUE),
        NOT_SET: (1.0, CICI_REVENUE),
    }
    assert found["ramadan"]["spend"] == spend_of("ramadan", since=since)
    assert found["kopi-susu"]["spend"] == spend_of("kopi-susu", since=since)
    assert found["kopi-susu"]["cost_per_conversion"] is None  # spend, nothing credited
    assert found[NOT_SET]["spend"] is None  # the only spend without a campaign is on March 2


def test_the_terminal_shows_roas_per_campaign_and_warns_about_spend_on_unknown_campaigns(built: Built) -> None:
    text = attribute_text(built, "--by", "campaign", "--model", "last_touch")
    assert "Conversions credited to each campaign" in text
    assert "Return on ad spend (credited revenue / spend) per campaign and model" in text
    assert "'lebaran', a campaign no path carries" in text
    assert f"'{NOT_SET}' plays Direct's part in last_non_direct" in text


def test_by_source_medium_labels_touches_by_their_source_and_medium(built: Built) -> None:
    rows = attribute_json(built, "--by", "source_medium", "--model", "last_non_direct", "--resamples", "0")
    # Cici's Direct visit is "(direct) / (none)", passed over for the Google ad she clicked.
    assert credit(rows, "last_non_direct", key="source_medium") == {
        "newsletter / email": (1.0, ANA_REVENUE),
        "instagram / paid_social": (2.0, BUDI_REVENUE + BUDI_AGAIN_REVENUE),
        "google / cpc": (1.0, CICI_REVENUE),
        "(direct) / (none)": (0.0, 0.0),
    }
    assert all("spend" not in row for row in rows)  # spend is imported per channel and campaign only


@pytest.mark.parametrize(("by", "label"), [("term", "kopi susu"), ("content", "iklan-teks")])
def test_by_keyword_or_ad_credits_what_the_ads_address_carries(built: Built, by: str, label: str) -> None:
    rows = attribute_json(built, "--by", by, "--model", "last_non_direct", "--resamples", "0")
    # Only Cici's search ad carries a keyword and an ad; her Direct return is passed over for them. Every other touch
    # carries none: (not set) plays Direct's part, and keeps the conversions whose paths have nothing else.
    assert credit(rows, "last_non_direct", key=by) == {
        label: (1.0, CICI_REVENUE),
        NOT_SET: (3.0, ANA_REVENUE + BUDI_REVENUE + BUDI_AGAIN_REVENUE),
    }
    assert all("spend" not in row for row in rows)  # spend is imported per channel and campaign only


def test_the_terminal_says_what_stands_for_direct_by_keyword(built: Built) -> None:
    text = attribute_text(built, "--by", "term", "--model", "last_touch")
    assert "Conversions credited to each keyword" in text
    assert f"By keyword (term): a touch whose address or data carries none is '{NOT_SET}'" in text
    assert "no ROAS is shown by keyword" in text


def test_by_channel_is_the_default_and_keeps_spend_per_channel(built: Built) -> None:
    by_channel = attribute_json(built, "--by", "channel", "--model", "last_touch", "--resamples", "0")
    assert by_channel == attribute_json(built, "--model", "last_touch", "--resamples", "0")
    paid_social = next(row for row in by_channel if row["channel"] == "Paid Social")
    assert paid_social["spend"] == sum(amount for _, channel, _, amount in SPEND_ROWS if channel == "Paid Social")


def test_a_paths_file_cannot_be_attributed_by_campaign(tmp_path: Path) -> None:
    source = tmp_path / "paths.csv"
    source.write_text("path,conversions,non_conversions\nEmail > Direct,3,1\n")
    result = CliRunner().invoke(cli, ["attribute", "--paths", str(source), "--by", "campaign"])
    assert result.exit_code == 1
    text = " ".join(result.output.split())
    assert "--by campaign" in text and "a paths file is already aggregated" in text


def test_spend_by_campaign_puts_rows_without_a_campaign_under_not_set(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    import_spend(project, write_spend(tmp_path / "iklan.csv", SPEND_ROWS))
    expected = {campaign or NOT_SET: spend_of(campaign or NOT_SET) for _, _, campaign, _ in SPEND_ROWS}
    assert spend_by_campaign(project) == expected
    # The same rows, per channel, still add up to the same total.
    assert sum(spend_by_channel(project).values()) == sum(expected.values())


def test_spend_by_campaign_sums_one_campaign_over_its_channels_within_the_dates(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    import_spend(project, write_spend(tmp_path / "iklan.csv", SPEND_ROWS))
    # kopi-susu runs on Email (March 3) and Paid Search (March 6); March 3 to 5 holds only the e-mail.
    assert spend_by_campaign(project, dt.date(2026, 3, 3), dt.date(2026, 3, 5)) == {
        "kopi-susu": sum(a for d, _, c, a in SPEND_ROWS if c == "kopi-susu" and "2026-03-03" <= d <= "2026-03-05"),
        "lebaran": spend_of("lebaran"),
        "ramadan": spend_of("ramadan", since="2026-03-05"),
    }
    assert spend_by_campaign(project, dt.date(2026, 4, 1)) == {}


def test_spend_imported_without_a_campaign_column_is_all_not_set(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    source = tmp_path / "iklan.csv"
    source.write_text("date,channel,cost\n2026-03-01,Paid Search,7000\n2026-03-02,Email,3000\n")
    import_spend(project, source)
    assert spend_by_campaign(project) == {NOT_SET: 7000.0 + 3000.0}
