"""Bounce by landing page and channel, classic and engagement-based, and the highest-bounce pages."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import Built, build_story

from jejak.analytics.bounce import bounce, highest_bounce_pages

SHOP = "https://kopi.example.id"


def view(at: str, path: str, channel: str = "Organic Search") -> dict[str, Any]:
    return {"at": at, "type": "page", "channel": channel, "page_url": f"{SHOP}{path}", "page_path": path}


STORY: dict[str, list[dict[str, Any]]] = {
    # Ana lands on /promo, looks for 5 s and leaves: a classic and an engagement bounce.
    "ana": [view("2026-03-01 09:00:00", "/promo", "Paid Social")],
    # Budi lands on /promo and reads it for a minute without clicking on: classic bounce, but engaged (60 s).
    "budi": [
        view("2026-03-02 09:00:00", "/promo", "Paid Social"),
        {"at": "2026-03-02 09:01:00", "type": "track", "event": "Scrolled"},
    ],
    # Citra lands on /promo and goes on to the shop: no bounce.
    "citra": [view("2026-03-03 09:00:00", "/promo", "Email"), view("2026-03-03 09:00:40", "/produk", "Email")],
    # Dewi lands on /tentang and leaves at once.
    "dewi": [view("2026-03-04 09:00:00", "/tentang")],
    # Fajar opens the shop's app on its home screen and closes it: the screen's name is the landing page.
    "fajar": [{"at": "2026-03-06 20:00:00", "type": "screen", "event": "Beranda", "channel": "Direct"}],
    # Gita sends one WhatsApp message and Hadi orders on Shopee: visits from a channel, but they land on no page,
    # so they are no entrance, neither bounced nor engaged.
    "gita": [{"at": "2026-03-07 08:00:00", "type": "track", "event": "wa_chat", "channel": "WhatsApp"}],
    "hadi": [
        {
            "at": "2026-03-07 09:00:00",
            "type": "track",
            "event": "Order Completed",
            "revenue": 1,
            "channel": "Marketplace",
        }
    ],
    # Indah's tracker logs page views as track events named "Page Viewed" (a file with no type column): one, a bounce.
    "indah": [
        {
            "at": "2026-03-08 10:00:00",
            "type": "track",
            "event": "Page Viewed",
            "page_path": "/grosir",
            "channel": "Email",
        }
    ],
    # Eko buys at the store: offline, no page, not an entrance.
    "eko": [
        {
            "at": "2026-03-05 10:00",
            "type": "offline",
            "event": "Order Completed",
            "revenue": 1,
            "channel": "Offline Store",
        }
    ],
}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return build_story(tmp_path_factory.mktemp("bounce"), STORY)


def _run(built: Built, report: Any, **options: Any) -> list[dict[str, Any]]:
    return built.report(lambda read: report(read("sessions"), **options))


def test_bounce_by_landing_page(built: Built) -> None:
    rows = {row["landing_page"]: row for row in _run(built, bounce)}
    assert set(rows) == {"/promo", "/tentang", "Beranda", "/grosir"}
    assert (rows["Beranda"]["entrances"], rows["Beranda"]["classic_bounces"]) == (1, 1)
    assert (rows["/grosir"]["entrances"], rows["/grosir"]["classic_bounces"]) == (1, 1)
    promo = rows["/promo"]
    assert (promo["entrances"], promo["classic_bounces"], promo["engagement_bounces"]) == (3, 2, 1)
    assert promo["classic_bounce_rate"] == pytest.approx(2 / 3)
    assert promo["engagement_bounce_rate"] == pytest.approx(1 / 3)
    assert (rows["/tentang"]["classic_bounce_rate"], rows["/tentang"]["engagement_bounce_rate"]) == (1.0, 1.0)


def test_bounce_by_channel_leaves_out_visits_without_a_page(built: Built) -> None:
    rows = {row["channel"]: row["classic_bounces"] for row in _run(built, bounce, by="channel")}
    assert rows == {"Paid Social": 2, "Email": 1, "Organic Search": 1, "Direct": 1}


def test_highest_bounce_needs_enough_entrances_and_keeps_the_totals(built: Built) -> None:
    rows = _run(built, highest_bounce_pages, n=5, min_entrances=2)
    # /tentang, Beranda and /grosir bounce more (100 %) but have one entrance each: only /promo qualifies; they go to
    # Other.
    assert [row["landing_page"] for row in rows] == ["/promo", "Other (3 rows, 50.0 % of entrances)"]
    assert sum(row["entrances"] for row in rows) == 6
    assert sum(row["classic_bounces"] for row in rows) == 5
