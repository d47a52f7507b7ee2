"""The clock: one place that says what time it is, so tests can pin it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

_now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)  # noqa: E731


def utc_now() -> dt.datetime:
    """The current time in UTC (aware)."""
    return _now()


def set_clock(now: Callable[[], dt.datetime] | None) -> None:
    """Pin the clock (tests), or pass None to go back to the wall clock."""
    global _now
    _now = now or (lambda: dt.datetime.now(dt.UTC))
