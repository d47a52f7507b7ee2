"""Filters every report and attribution run can apply: conversion type, date range, channel.

- conversion types: converting journeys (and conversions) of other types are left out;
  non-converting journeys stay, since they are the denominator of rates and Markov's nulls;
- date range: what ends inside it — a journey's conversion (or, without one, its last
  touch), a conversion, a session's start — both days included, days of the `zone` (the
  `timezone` setting: the shop's days, `engine.zones`);
- channel: journeys whose path has the channel, sessions of that channel;
- people: only these people (a table with `person_id`, e.g. a persona's people).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

import ibis
import ibis.expr.types as ir

from jejak.engine.zones import day_number, midnight


@dataclass(frozen=True)
class Filters:
    """What a run keeps; the empty default keeps everything."""

    conversion_types: tuple[str, ...] = ()
    start: dt.date | None = None
    end: dt.date | None = None
    channel: str | None = None
    zone: str = "UTC"  # whose calendar the days are: the service gives the `timezone` setting
    # Not compared: two filters are "the same" by their plain values; a people table is never equal to another.
    people: ir.Table | None = field(default=None, compare=False)

    def journeys(self, table: ir.Table) -> ir.Table:
        kept = filter_journeys(
            table,
            conversion_types=self.conversion_types,
            start=self.start,
            end=self.end,
            channel=self.channel,
            zone=self.zone,
        )
        return only_people(kept, self.people)

    def conversions(self, table: ir.Table) -> ir.Table:
        """Conversions of the chosen types inside the dates (a channel does not apply to conversions)."""
        kept = filter_conversions(
            table, conversion_types=self.conversion_types, start=self.start, end=self.end, zone=self.zone
        )
        return only_people(kept, self.people)

    def sessions(self, table: ir.Table) -> ir.Table:
        """Sessions inside the dates, of the channel (a conversion type does not apply to sessions)."""
        chosen = filter_sessions(table, start=self.start, end=self.end, channel=self.channel, zone=self.zone)
        return only_people(chosen, self.people)


def only_people(table: ir.Table, people: ir.Table | None) -> ir.Table:
    """The rows of `table` whose `person_id` is among `people` (all rows when None)."""
    if people is None:
        return table
    if "person_number" in table.columns and "person_number" in people.columns:
        # The build's integer stand-in for person_id (the event stream carries it): half the cost on 10M events.
        numbers = people.select(_person_number=people.person_number).distinct()
        return table.semi_join(numbers, table.person_number == numbers._person_number)
    chosen = people.select(_person_id=people.person_id).distinct()
    return table.semi_join(chosen, table.person_id == chosen._person_id)


def in_date_range(moment: ir.TimestampValue, start: dt.date | None, end: dt.date | None, zone: str) -> ir.BooleanValue:
    """Whether the instant falls on the zone's days from `start` to `end`, both included."""
    keep: ir.BooleanValue = ibis.literal(True)
    if start is not None:
        keep = keep & (moment >= ibis.timestamp(midnight(start, zone)))
    after = midnight_after(end, zone)
    if after is not None:
        keep = keep & (moment < ibis.timestamp(after))
    return keep


def midnight_after(day: dt.date | None, zone: str) -> dt.datetime | None:
    """The zone's midnight that ends `day` (in UTC), the bound a range's last day is kept below; None for no day,
    and for the last day a date can be (9999-12-31), which no moment is after.

    Example:
        >>> midnight_after(dt.date(2026, 3, 31), "UTC"), midnight_after(dt.date.max, "UTC")
        (datetime.datetime(2026, 4, 1, 0, 0, tzinfo=datetime.timezone.utc), None)
        >>> midnight_after(dt.date(2026, 11, 11), "Asia/Jakarta")  # 00:00 on the 12th, WIB
        datetime.datetime(2026, 11, 11, 17, 0, tzinfo=datetime.timezone.utc)
    """
    if day is None or day == dt.date.max:
        return None
    return midnight(day + dt.timedelta(days=1), zone)


def in_day_range(day: ir.IntegerValue, start: dt.date | None, end: dt.date | None) -> ir.BooleanValue:
    """Whether a day number (`engine.zones.local_day`) is inside the range, both days included.

    Example:
        >>> import datetime as dt, ibis
        >>> from jejak.engine import connect
        >>> inside = in_day_range(ibis.literal(20513), dt.date(2026, 3, 1), dt.date(2026, 3, 1))  # 2026-03-01
        >>> connect().to_pyarrow(inside).as_py()
        True
    """
    keep: ir.BooleanValue = ibis.literal(True)
    if start is not None:
        keep = keep & (day >= day_number(start))
    if end is not None:
        keep = keep & (day <= day_number(end))
    return keep


def filter_journeys(
    journey_table: ir.Table,
    *,
    conversion_types: Sequence[str] = (),
    start: dt.date | None = None,
    end: dt.date | None = None,
    channel: str | None = None,
    zone: str = "UTC",
) -> ir.Table:
    """Journeys kept by the filters (see the module docstring); dates are days of `zone`."""
    kept = journey_table
    if conversion_types:
        kept = kept.filter(~kept.converted | kept.conversion_type.isin(list(conversion_types)))
    if start is not None or end is not None:
        ended = ibis.ifelse(kept.converted, kept.conversion_at, kept.last_touch_at)
        kept = kept.filter(in_date_range(ended, start, end, zone))
    if channel is not None:
        kept = kept.filter(kept.path.contains(channel))
    return kept


def filter_conversions(
    conversions: ir.Table,
    *,
    conversion_types: Sequence[str] = (),
    start: dt.date | None = None,
    end: dt.date | None = None,
    zone: str = "UTC",
) -> ir.Table:
    """Conversions of the chosen types inside the date range (days of `zone`)."""
    kept = conversions
    if conversion_types:
        kept = kept.filter(kept.conversion_type.isin(list(conversion_types)))
    if start is not None or end is not None:
        kept = kept.filter(in_date_range(kept.conversion_at, start, end, zone))
    return kept


def filter_sessions(
    sessions: ir.Table,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    channel: str | None = None,
    zone: str = "UTC",
) -> ir.Table:
    """Sessions that started inside the date range (days of `zone`), of the channel."""
    kept = sessions
    if start is not None or end is not None:
        kept = kept.filter(in_date_range(kept.started_at, start, end, zone))
    if channel is not None:
        kept = kept.filter(kept.channel == channel)
    return kept
