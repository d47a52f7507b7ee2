"""The overview's activity by day, on hand-written visits around the day boundaries of WIB (UTC+7, the story's) and
UTC: a report counts the days of the project's `timezone`."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from conftest import Built, build_story, buy, visit

from jejak.analytics.summary import by_day

STORY: dict[str, list[dict[str, Any]]] = {
    # Ana visits at 09:00 WIB on the 1st, and again at 05:00 WIB on the 2nd, which is still the 1st in UTC
    # (22:00); she buys in that second visit.
    "ana": [visit("2026-03-01 09:00", "Email"), visit("2026-03-02 05:00", "Direct"), buy("2026-03-02 05:10", 100000)],
    # Budi visits and buys on the 2nd (03:00 UTC).
    "budi": [visit("2026-03-02 10:00", "WhatsApp"), buy("2026-03-02 10:05", 50000)],
    # Citra only looks, on the 1st.
    "citra": [visit("2026-03-01 12:00", "Paid Social")],
    # Dewi's visit starts at 23:50 UTC on the 2nd and she buys at 00:05 UTC on the 3rd: a day with a sale and
    # no visit starting in it.
    "dewi": [visit("2026-03-03 06:50", "Organic Search"), buy("2026-03-03 07:05", 70000)],
}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return build_story(tmp_path_factory.mktemp("overview"), STORY)


def test_activity_by_day_counts_people_visits_and_sales_per_day_of_the_zone(built: Built) -> None:
    assert built.project.settings.timezone == "Asia/Jakarta"
    rows = built.report(lambda read: by_day(read("sessions"), read("conversions"), "Asia/Jakarta"))
    # The shop's days: Ana's 05:00 visit and sale are the 2nd's, Dewi's 06:50 visit and 07:05 sale the 3rd's.
    assert rows == [
        {"day": dt.date(2026, 3, 1), "people": 2, "sessions": 2, "conversions": 0, "revenue": 0.0},
        {"day": dt.date(2026, 3, 2), "people": 2, "sessions": 2, "conversions": 2, "revenue": 150000.0},
        {"day": dt.date(2026, 3, 3), "people": 1, "sessions": 1, "conversions": 1, "revenue": 70000.0},
    ]
    utc = built.report(lambda read: by_day(read("sessions"), read("conversions"), "UTC"))
    assert utc == [
        {"day": dt.date(2026, 3, 1), "people": 2, "sessions": 3, "conversions": 1, "revenue": 100000.0},
        {"day": dt.date(2026, 3, 2), "people": 2, "sessions": 2, "conversions": 1, "revenue": 50000.0},
        {"day": dt.date(2026, 3, 3), "people": 0, "sessions": 0, "conversions": 1, "revenue": 70000.0},
    ]
