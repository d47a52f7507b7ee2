"""Where a person arrived from is compared as the channel rules read it, not as each file wrote it.

Sessions are cut where a person arrives from somewhere else (`session_split_at_new_source`). A chat's export gives
its messages `source = whatsapp`, and the shop's orders sheet is imported with `--set "channel=WhatsApp"`: compared
as written, the order taken in the chat arrived from elsewhere, cut the chat's session, and was a second WhatsApp
touch of its own (two sessions, a path of two touches, WhatsApp assisting itself).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import Built, build_story, buy, visit

SHOP = "https://toko.example"
STORY: dict[str, list[dict[str, Any]]] = {
    # Umi asks in a WhatsApp chat and orders there; the order comes from the shop's sheet, its channel given.
    "umi": [
        {"at": "2026-03-01 10:00", "type": "track", "event": "wa_chat", "source": "whatsapp", "medium": "chat"},
        buy("2026-03-01 10:20", 120000, channel="WhatsApp"),
    ],
    # Vino clicks an Instagram ad of one campaign, then another campaign's ten minutes later: two arrivals.
    "vino": [
        visit("2026-03-02 10:00", source="instagram", medium="paid_social", campaign="flash-sale"),
        visit("2026-03-02 10:10", source="Instagram", medium="paid_social", campaign="ramadan-2026"),
        buy("2026-03-02 10:15", 80000),
    ],
    # Wati clicks a Google ad, then a Bing ad five minutes later, neither with a campaign: one channel, one arrival.
    "wati": [
        visit("2026-03-03 10:00", source="google", medium="cpc"),
        visit("2026-03-03 10:05", source="bing", medium="cpc"),
        buy("2026-03-03 10:10", 50000),
    ],
    # Yanti's export kept the campaign tags only in the page addresses: an Instagram ad, a page of the site, then a
    # Google ad (auto-tagged) ten minutes later, then that ad's landing page again and the order. Two arrivals.
    "yanti": [
        visit("2026-03-04 10:00", page_url=SHOP + "/?utm_source=instagram&utm_medium=paid_social&utm_campaign=gayo"),
        visit("2026-03-04 10:03", page_url=SHOP + "/produk/gayo"),
        visit("2026-03-04 10:10", page_url=SHOP + "/produk/gayo?gclid=Cj0KCQ"),
        visit("2026-03-04 10:12", page_url=SHOP + "/produk/gayo?gclid=Cj0KCQ"),
        buy("2026-03-04 10:15", 95000),
    ],
    # Zaki's ad click is tagged in its columns and its address alike; a later page carries the same tags in its
    # address only (the landing page reloaded), and a link shared on Facebook (fbclid, no campaign tag): one visit.
    "zaki": [
        visit(
            "2026-03-04 11:00",
            source="instagram",
            medium="paid_social",
            campaign="gayo",
            page_url=SHOP + "/?utm_source=instagram&utm_medium=paid_social&utm_campaign=gayo",
        ),
        visit("2026-03-04 11:04", page_url=SHOP + "/?utm_source=Instagram&utm_medium=paid_social&utm_campaign=gayo"),
        visit("2026-03-04 11:06", page_url=SHOP + "/produk/gayo?fbclid=IwAR0x"),
        buy("2026-03-04 11:09", 60000),
    ],
}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return build_story(tmp_path_factory.mktemp("arrivals"), STORY)


def _sessions(built: Built, person: str) -> list[tuple[str, int]]:
    return [(row["channel"], row["events"]) for row in built.sessions_of(built.user(person))]


def _paths(built: Built, person: str) -> list[list[str]]:
    return [journey["path"] for journey in built.journeys_of(built.user(person))]


def test_a_channel_written_two_ways_is_one_arrival(built: Built) -> None:
    assert _sessions(built, "umi") == [("WhatsApp", 2)]
    assert _paths(built, "umi") == [["WhatsApp"]]


def test_another_campaign_of_the_channel_is_another_arrival(built: Built) -> None:
    assert _sessions(built, "vino") == [("Paid Social", 1), ("Paid Social", 2)]


def test_another_source_of_the_channel_without_a_campaign_is_not(built: Built) -> None:
    assert _sessions(built, "wati") == [("Paid Search", 3)]


def test_edited_rules_decide_the_channel_of_an_arrival(tmp_path: Path) -> None:
    # A rule that makes Bing's ads a channel of their own makes Wati's second click another arrival.
    from jejak.journeys.channels import DEFAULT_CHANNEL_RULES, ChannelRule

    rules = (ChannelRule("Bing Ads", ({"source": "^bing$"},)), *DEFAULT_CHANNEL_RULES)
    again = build_story(tmp_path, {"wati": STORY["wati"]}, rules=rules)
    assert _sessions(again, "wati") == [("Paid Search", 1), ("Bing Ads", 2)]


def test_tags_only_in_the_page_address_say_where_a_page_arrived_from(built: Built) -> None:
    assert _sessions(built, "yanti") == [("Paid Social", 2), ("Paid Search", 3)]
    assert _paths(built, "yanti") == [["Paid Social", "Paid Search"]]


def test_the_same_tags_in_the_address_and_a_shared_link_do_not_cut_a_visit(built: Built) -> None:
    assert _sessions(built, "zaki") == [("Paid Social", 4)]
