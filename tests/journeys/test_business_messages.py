"""The business's own messages (a shop's WhatsApp reply) are no visit and no arrival.

A chat export gives the shop's replies as `wa_reply` events with the chat's source (whatsapp / chat). Read as any
other event that says where it came from, a reply sent while the customer browsed from an Instagram ad cut the ad's
visit (a new arrival) and became the WhatsApp touch that took the purchase's last-touch credit; a follow-up sent days
later was a WhatsApp visit of its own on the next path. The customer did neither. Now such a message joins the
person's session without cutting it, and a session it opens is touched only by the person's own next event.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import Built, build_story, buy, visit

from jejak.core.settings import DEFAULT_SETTINGS
from jejak.ingest.whatsapp import CUSTOMER_EVENT, SHOP_EVENT


def _chat(at: str, event: str) -> dict[str, Any]:
    # As `ingest.whatsapp` writes a chat's messages.
    return {"at": at, "type": "track", "event": event, "source": "whatsapp", "medium": "chat"}


STORY: dict[str, list[dict[str, Any]]] = {
    # Rina asks on WhatsApp, then comes from an Instagram ad; the shop answers while she browses, and she buys.
    "rina": [
        _chat("2026-03-01 09:50", CUSTOMER_EVENT),
        visit("2026-03-01 10:00", "Paid Social"),
        _chat("2026-03-01 10:10", SHOP_EVENT),
        visit("2026-03-01 10:15"),
        buy("2026-03-01 10:20", 150000),
    ],
    # Sari buys from a search; two days later the shop sends her a follow-up she does not answer, and three days after
    # that she comes from a Google search and buys again.
    "sari": [
        visit("2026-03-01 08:00", "Paid Search"),
        buy("2026-03-01 08:05", 90000),
        _chat("2026-03-03 10:00", SHOP_EVENT),
        visit("2026-03-06 10:00", "Organic Search"),
        buy("2026-03-06 10:05", 60000),
    ],
    # Tono gets the shop's message, and answers it five minutes later; he orders in the chat (the shop's till file
    # gives the order, saying nothing of where): his answer is the touch.
    "tono": [
        _chat("2026-03-10 10:00", SHOP_EVENT),
        _chat("2026-03-10 10:05", CUSTOMER_EVENT),
        buy("2026-03-10 10:30", 75000),
    ],
}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return build_story(tmp_path_factory.mktemp("business-messages"), STORY)


def _paths(built: Built, person: str) -> list[list[str]]:
    return [journey["path"] for journey in built.journeys_of(built.user(person))]


def test_a_chat_export_writes_the_shops_replies_under_the_setting_s_name() -> None:
    assert SHOP_EVENT in DEFAULT_SETTINGS.business_message_events
    assert CUSTOMER_EVENT not in DEFAULT_SETTINGS.business_message_events


def test_a_reply_while_the_customer_browses_leaves_the_visit_whole(built: Built) -> None:
    rina = built.user("rina")
    assert _paths(built, "rina") == [["WhatsApp", "Paid Social"]]
    sessions = built.sessions_of(rina)
    assert [(row["channel"], row["events"]) for row in sessions] == [("WhatsApp", 1), ("Paid Social", 4)]
    [purchase] = [row for row in built.rows("conversions") if row["person_id"] == rina]
    assert purchase["session_channel"] == "Paid Social"


def test_a_follow_up_no_one_answered_is_no_touch(built: Built) -> None:
    sari = built.user("sari")
    assert _paths(built, "sari") == [["Paid Search"], ["Organic Search"]]
    sessions = built.sessions_of(sari)
    assert [(row["channel"], row["visit"]) for row in sessions] == [
        ("Paid Search", True),
        ("Unassigned", False),
        ("Organic Search", True),
    ]


def test_the_customer_s_answer_is_the_touch_of_the_session_the_message_opened(built: Built) -> None:
    tono = built.user("tono")
    assert _paths(built, "tono") == [["WhatsApp"]]
    # His answer is his first arrival (the message arrived from nowhere he went), so it opens a session of its own.
    sessions = built.sessions_of(tono)
    assert [(row["channel"], row["visit"], row["events"]) for row in sessions] == [
        ("Unassigned", False, 1),
        ("WhatsApp", True, 2),
    ]
    [touch] = [row for row in built.rows("touchpoints") if row["person_id"] == tono]
    assert touch["event"] == CUSTOMER_EVENT


def test_with_no_such_events_named_a_reply_is_a_whatsapp_visit_again(tmp_path: Path) -> None:
    again = build_story(
        tmp_path, {"rina": STORY["rina"], "sari": STORY["sari"]}, settings={"business_message_events": []}
    )
    assert _paths(again, "rina") == [["WhatsApp", "Paid Social", "WhatsApp"]]
    assert _paths(again, "sari") == [["Paid Search"], ["WhatsApp", "Organic Search"]]
