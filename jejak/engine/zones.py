"""Calendar days in the business's time zone, as portable Ibis: a report's "day" is the shop's day, not UTC's.

Stored times are UTC (DESIGN §3). A report that counts by day, or keeps the days a user names, counts the days
of the `timezone` setting, as GA4 does with a property's reporting time zone: an Indonesian shop's 11.11 sale,
which opens at midnight WIB (17:00 UTC the day before), belongs to 11 November.

A zone's offset from UTC changes at known instants (summer time, a country moving its clocks). They are read
once per zone from the tz database (`zoneinfo`) for 1970–2100 and become a comparison tree over the epoch
seconds, so the same expression runs on DuckDB and Spark without either engine's time-zone functions. A zone
with one offset since 1970 (Asia/Jakarta, Asia/Makassar, Asia/Jayapura, UTC) is a constant.
"""

from __future__ import annotations

import datetime as dt
import functools
from zoneinfo import ZoneInfo

import ibis
import ibis.expr.types as ir

from jejak.engine.expressions import SECONDS_PER_DAY

# The instants whose offsets are read: every stored time is inside them (an import keeps 1990 to a day after it).
FIRST_YEAR, LAST_YEAR = 1970, 2100
EPOCH_DATE = dt.date(1970, 1, 1)


@functools.lru_cache(maxsize=32)
def offset_changes(zone: str) -> tuple[tuple[int, int], ...]:
    """The zone's offsets from UTC in seconds, each with the epoch second it starts at; the first from 1970.

    Example:
        >>> offset_changes("Asia/Jakarta")
        ((0, 25200),)
        >>> in_2026 = range(1767225600, 1798761600)  # summer time: 29 March and 25 October, 01:00 UTC
        >>> [change for change in offset_changes("Europe/London") if change[0] in in_2026]
        [(1774746000, 3600), (1792890000, 0)]
    """
    info = ZoneInfo(zone)

    def offset(second: int) -> int:
        moment = dt.datetime.fromtimestamp(second, dt.UTC).astimezone(info)
        return int(moment.utcoffset().total_seconds())  # type: ignore[union-attr]

    start = int(dt.datetime(FIRST_YEAR, 1, 1, tzinfo=dt.UTC).timestamp())
    stop = int(dt.datetime(LAST_YEAR, 1, 1, tzinfo=dt.UTC).timestamp())
    changes = [(start, offset(start))]
    # Day by day, then the exact second inside the day by halving: no zone changes its offset twice in a day.
    for day_start in range(start, stop, SECONDS_PER_DAY):
        day_end = day_start + SECONDS_PER_DAY
        if offset(day_end) == changes[-1][1]:
            continue
        low, high = day_start, day_end  # offset(low) is the old one, offset(high) the new
        while high - low > 1:
            middle = (low + high) // 2
            low, high = (middle, high) if offset(middle) == changes[-1][1] else (low, middle)
        changes.append((high, offset(high)))
    return tuple(changes)


def utc_offset_seconds(seconds: ir.IntegerValue, zone: str) -> ir.IntegerValue:
    """The zone's offset from UTC, in seconds, at each instant given in seconds since 1970."""
    changes = offset_changes(zone)

    def tree(part: tuple[tuple[int, int], ...]) -> ir.IntegerValue:
        if len(part) == 1:
            return ibis.literal(part[0][1], "int64")
        middle = len(part) // 2
        value: ir.IntegerValue = ibis.ifelse(seconds < part[middle][0], tree(part[:middle]), tree(part[middle:]))
        return value

    return tree(changes)


def local_seconds(seconds: ir.IntegerValue, zone: str) -> ir.IntegerValue:
    """Seconds since 1970 on the zone's clock: the instant's wall time read as if it were UTC."""
    shifted: ir.IntegerValue = seconds + utc_offset_seconds(seconds, zone)
    return shifted


def local_day(seconds: ir.IntegerValue, zone: str) -> ir.IntegerValue:
    """The zone's calendar day (days since 1970-01-01) of an instant given in whole seconds since 1970.

    Example:
        >>> import ibis
        >>> from jejak.engine import connect
        >>> eleven_eleven = 1794331800  # 2026-11-10 17:30 UTC: 00:30 on 11 November in Jakarta
        >>> day = connect().to_pyarrow(local_day(ibis.literal(eleven_eleven), "Asia/Jakarta")).as_py()
        >>> EPOCH_DATE + dt.timedelta(days=day)
        datetime.date(2026, 11, 11)
    """
    day: ir.IntegerValue = (local_seconds(seconds, zone) // SECONDS_PER_DAY).cast("int64")
    return day


def local_date(seconds: ir.IntegerValue, zone: str) -> ir.DateValue:
    """The zone's calendar date of an instant given in whole seconds since 1970."""
    date: ir.DateValue = local_seconds(seconds, zone).as_timestamp("s").date()
    return date


def day_number(day: dt.date) -> int:
    """A calendar date as days since 1970-01-01, the numbering `local_day` gives."""
    return (day - EPOCH_DATE).days


def midnight(day: dt.date, zone: str) -> dt.datetime:
    """The instant the zone's `day` begins, in UTC (a day that begins inside a clock's jump begins after it).

    Example:
        >>> midnight(dt.date(2026, 11, 11), "Asia/Jakarta")
        datetime.datetime(2026, 11, 10, 17, 0, tzinfo=datetime.timezone.utc)
    """
    local = dt.datetime.combine(day, dt.time(), tzinfo=ZoneInfo(zone))
    # A wall time inside a forward jump does not exist; zoneinfo reads it with the offset before the jump, which
    # puts it after the jump's instant (fold 0): the day's first instant.
    try:
        return local.astimezone(dt.UTC)
    except OverflowError:  # 0001-01-01 east of Greenwich began before the first instant a datetime holds
        return dt.datetime.min.replace(tzinfo=dt.UTC)
