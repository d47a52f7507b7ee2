"""Behavioural features per person, the input of persona discovery: how often, how much, where from, on what.

One row per person of the `people` table:

- counts: `sessions`, `online_sessions`, `offline_sessions` (store visits, calls), `conversions` (orders);
- money in the data's currency: `revenue`, `average_order_value` (0 for people with no order);
- time in days: `days_active` (first to last seen), `recency_days` (last seen to the latest
  last-seen of anyone: the data's "now"), and `sessions_per_30_days`, the sessions over the
  days from first seen to the data's "now", counted as at least 30 days so that a newcomer's
  one visit is not read as a habit;
- shares of the person's sessions by channel group (`share_social`, `share_search`, …, see
  `CHANNEL_GROUPS`; channels in no group, such as Referral or Display, are `share_other`)
  and by device (`share_mobile`, `share_desktop`, `share_tablet`, `share_offline`);
- shares of the person's journeys by the channel group that started them (`start_share_social`,
  …, `start_share_other`): where people come from when they start looking for something, which
  says more about who they are than the channels they pass through later. A journey starts at
  the person's first session and at each session after one with an order, as the build's
  `journey_index` has it (journeys/sessions.py `sessionize`);
- text: `first_channel` (the channel of the earliest session, ties broken by session id) and
  `main_device` (the device of most sessions, ties broken alphabetically).

A session's device is its first event's; offline sessions have the device "offline" and an
online session without a device type "(not set)", as in the device reports.

Example:
    >>> import datetime as dt, ibis, pyarrow as pa
    >>> from jejak.engine import connect
    >>> day = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    >>> people = ibis.memtable(pa.table({"person_id": ["u:ana"], "first_seen_at": [day], "last_seen_at": [day]}))
    >>> sessions = ibis.memtable(pa.table({
    ...     "session_id": ["u:ana#1"], "person_id": ["u:ana"], "started_at": [day],
    ...     "channel": ["WhatsApp"], "touchpoint": ["online"], "device_type": ["mobile"], "conversions": [1]}))
    >>> conversions = ibis.memtable(pa.table({"person_id": ["u:ana"], "revenue": [250000.0]}))
    >>> row = connect().to_pyarrow(person_features(people, sessions, conversions)).to_pylist()[0]
    >>> row["share_whatsapp"], row["start_share_whatsapp"], row["average_order_value"], row["main_device"]
    (1.0, 1.0, 250000.0, 'mobile')
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from jejak.core.vocabulary import NOT_SET
from jejak.engine import SECONDS_PER_DAY
from jejak.journeys.dimensions import OFFLINE, device_label
from jejak.journeys.sessions import visits

__all__ = [
    "CHANNEL_GROUPS",
    "COUNT_FEATURES",
    "DEVICE_SHARES",
    "NUMERIC_FEATURES",
    "SHARE_FEATURES",
    "START_SHARES",
    "TEXT_FEATURES",
    "person_features",
]

# Channel names as the default channel rules write them (journeys/channels.py); a test keeps them in step.
CHANNEL_GROUPS: dict[str, tuple[str, ...]] = {
    "share_social": ("Paid Social", "Organic Social"),
    "share_search": ("Paid Search", "Organic Search"),
    "share_direct": ("Direct",),
    "share_email": ("Email",),
    "share_whatsapp": ("WhatsApp", "LINE"),
    "share_marketplace": ("Marketplace",),
    "share_store": ("Offline Store",),
    "share_call": ("Call Centre",),
    "share_print": ("Print / QR",),
}
OTHER_CHANNELS = "share_other"
CHANNEL_SHARES: tuple[str, ...] = (*CHANNEL_GROUPS, OTHER_CHANNELS)
START_SHARES: tuple[str, ...] = tuple(f"start_{feature}" for feature in CHANNEL_SHARES)
DEVICE_SHARES: dict[str, str] = {
    "share_mobile": "mobile",
    "share_desktop": "desktop",
    "share_tablet": "tablet",
    "share_offline": OFFLINE,
}
FREQUENCY_DAYS = 30

COUNT_FEATURES: tuple[str, ...] = (
    "sessions",
    "online_sessions",
    "offline_sessions",
    "conversions",
    "revenue",
    "average_order_value",
    "days_active",
    "recency_days",
    "sessions_per_30_days",
)
SHARE_FEATURES: tuple[str, ...] = (*CHANNEL_SHARES, *START_SHARES, *DEVICE_SHARES)
NUMERIC_FEATURES: tuple[str, ...] = (*COUNT_FEATURES, *SHARE_FEATURES)
TEXT_FEATURES: tuple[str, ...] = ("first_channel", "main_device")


def _channel_group(channel: ir.StringValue) -> ir.StringValue:
    cases = [(channel.isin(list(names)), feature) for feature, names in CHANNEL_GROUPS.items()]
    group: ir.StringValue = ibis.cases(*cases, else_=OTHER_CHANNELS)
    return group


def _count_where(condition: ir.BooleanValue) -> ir.IntegerScalar:
    counted: ir.IntegerScalar = condition.fill_null(False).cast("int64").sum()
    return counted


def _per_person_sessions(sessions: ir.Table) -> ir.Table:
    """Per person: sessions in total and offline, per channel group, per device and per journey start; first channel."""
    # Tie-breakers in the ordering keep the window the same on every engine.
    by_person = ibis.window(group_by=sessions.person_id, order_by=[sessions.started_at, sessions.session_id])
    previous_conversions = sessions.conversions.lag().over(by_person)
    marked = sessions.mutate(
        group=_channel_group(sessions.channel),
        device=device_label(sessions),
        starts_journey=previous_conversions.isnull() | (previous_conversions > 0),
    )
    # Arg-min over (start, session id): one hash aggregate, and the session id makes ties the same on every engine.
    first_key = ibis.struct({"at": marked.started_at, "session": marked.session_id})
    counts = {f"n_{feature}": _count_where(marked.group == feature) for feature in CHANNEL_SHARES}
    counts |= {
        f"n_start_{feature}": _count_where(marked.starts_journey & (marked.group == feature))
        for feature in CHANNEL_SHARES
    }
    counts |= {f"n_{feature}": _count_where(marked.device == value) for feature, value in DEVICE_SHARES.items()}
    return marked.group_by(session_person_id=marked.person_id).aggregate(
        sessions=marked.count(),
        offline_sessions=_count_where(marked.touchpoint == OFFLINE),
        journeys=_count_where(marked.starts_journey),
        **counts,
        first_channel=marked.channel.fill_null(NOT_SET).argmin(first_key),
    )


def _main_device(sessions: ir.Table) -> ir.Table:
    """Per person: the device of most sessions, ties broken alphabetically."""
    device = sessions.mutate(device=device_label(sessions))
    per_device = device.group_by(device_person_id=device.person_id, device=device.device).aggregate(
        device_sessions=device.count()
    )
    # The smallest (-sessions, name) is the most used device, and the first name among equals.
    key = ibis.struct({"minus_sessions": -per_device.device_sessions, "name": per_device.device})
    return per_device.group_by("device_person_id").aggregate(main_device=per_device.device.argmin(key))


def _per_person_orders(conversions: ir.Table) -> ir.Table:
    return conversions.group_by(order_person_id=conversions.person_id).aggregate(
        conversions=conversions.count(), revenue=conversions.revenue.fill_null(0.0).sum()
    )


def _share(count: ir.IntegerValue, total: ir.IntegerValue) -> ir.FloatingValue:
    # A person with no visit (only a customer list's row) has no session: the guard keeps them at 0, not NULL.
    ratio: ir.FloatingValue = ibis.ifelse(total == 0, 0.0, count.fill_null(0).cast("float64") / total)
    return ratio


def person_features(people: ir.Table, sessions: ir.Table, conversions: ir.Table) -> ir.Table:
    """One row per person with behavioural features for persona discovery (see the module docstring)."""
    now = people.last_seen_at.max().over(ibis.window())
    base = people.select(
        "person_id",
        first_seconds=people.first_seen_at.epoch_seconds(),
        last_seconds=people.last_seen_at.epoch_seconds(),
        now_seconds=now.epoch_seconds(),
    )
    sessions = visits(sessions)  # a customer list's identify call is no visit, and would add one to each person
    counted = _per_person_sessions(sessions)
    devices = _main_device(sessions)
    orders = _per_person_orders(conversions)
    joined = (
        base.left_join(counted, base.person_id == counted.session_person_id)
        .left_join(devices, base.person_id == devices.device_person_id)
        .left_join(orders, base.person_id == orders.order_person_id)
    )
    session_count = joined.sessions.fill_null(0)
    journey_count = joined.journeys.fill_null(0)
    order_count = joined.conversions.fill_null(0)
    revenue = joined.revenue.fill_null(0.0)
    days_active = (joined.last_seconds - joined.first_seconds).cast("float64") / SECONDS_PER_DAY
    recency_days = (joined.now_seconds - joined.last_seconds).cast("float64") / SECONDS_PER_DAY
    observed_days = ibis.greatest(days_active + recency_days, ibis.literal(float(FREQUENCY_DAYS)))
    shares = {feature: _share(joined[f"n_{feature}"], session_count) for feature in (*CHANNEL_SHARES, *DEVICE_SHARES)}
    shares |= {feature: _share(joined[f"n_{feature}"], journey_count) for feature in START_SHARES}
    return joined.select(
        "person_id",
        sessions=session_count,
        online_sessions=session_count - joined.offline_sessions.fill_null(0),
        offline_sessions=joined.offline_sessions.fill_null(0),
        conversions=order_count,
        revenue=revenue,
        average_order_value=ibis.ifelse(order_count == 0, 0.0, revenue / order_count),
        days_active=days_active,
        recency_days=recency_days,
        sessions_per_30_days=session_count.cast("float64") * FREQUENCY_DAYS / observed_days,
        **{feature: shares[feature] for feature in SHARE_FEATURES},
        first_channel=joined.first_channel,
        main_device=joined.main_device,
    )
