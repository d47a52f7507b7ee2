"""Devices: how each device type (or operating system) converts, and how journeys move between devices.

- `device_conversion`: per device type or OS, sessions, sessions with a conversion,
  session conversion rate, conversions, revenue and average order value.
- `cross_device`: of the journeys with a touch on a device (inside the lookback window),
  the share whose touches came from more than one device type; of the conversions made
  on a device after a touch on one, the share made on another device type than the
  journey's first.
- `device_handoff`: conversions by the journey's first device and the device of the
  converting session ("which device closes after which").

A session's device is its first event's. Offline touches (store visits, calls, print)
have no device: they show as "offline"; an online touch without one as "(not set)".
Neither is a device a journey crosses to: a journey's first device is that of its
first touch on a device (or, with none, its first touch's label).

The build keeps each journey's first device, whether it crossed devices and its
converting session's device on the journeys table, so the journey reports read one
row per journey there (filtered like every report's journeys); given touches and
conversions instead, they find the same from the touches in the lookback window.
With a channel filter they look at the journeys whose path holds the channel.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from jejak.core.errors import SettingError
from jejak.core.vocabulary import NOT_SET
from jejak.engine import safe_div
from jejak.journeys.dimensions import device_label, is_a_device, journey_device_aggregates
from jejak.journeys.journeys import journey_touches

GROUPINGS = ("device_type", "os")
# What a journey says about devices (the journeys table's columns, or found from touches).
DEVICE_COLUMNS = ("converted", "crossed_devices", "first_device", "converting_device")


def device_conversion(sessions: ir.Table, touchpoints: ir.Table, *, by: str = "device_type") -> ir.Table:
    """Sessions, converting sessions, conversion rate, conversions, revenue and average order per device or OS."""
    if by not in GROUPINGS:
        raise SettingError(f"Devices can be grouped by {' or '.join(GROUPINGS)}, not {by!r}.")
    facts = touchpoints.select(fact_session_id=touchpoints.session_id, value=device_label(touchpoints, by))
    joined = sessions.join(facts, sessions.session_id == facts.fact_session_id)
    grouped = joined.group_by(joined.value.name(by)).aggregate(
        sessions=joined.count(),
        converting_sessions=(joined.conversions > 0).cast("int64").sum(),
        conversions=joined.conversions.sum(),
        revenue=joined.revenue.sum(),
    )
    shaped = grouped.mutate(
        conversion_rate=safe_div(grouped.converting_sessions, grouped.sessions),
        average_order=safe_div(grouped.revenue, grouped.conversions),
    )
    return shaped.order_by([ibis.desc("sessions"), by])


def unnamed_device_channels(sessions: ir.Table, touchpoints: ir.Table, *, by: str = "device_type") -> ir.Table:
    """The sessions `device_conversion` counts as `(not set)`, by channel: sessions, converting sessions and their
    share of the `(not set)` sessions. A chat's or a marketplace's orders file names no device, so such sessions can
    convert several times as often as the phones and laptops beside them; this says which they are.

    Example:
        >>> import pyarrow as pa
        >>> from jejak.engine import connect
        >>> sessions = ibis.memtable(pa.table({"session_id": ["s1", "s2", "s3"], "conversions": [1, 0, 1]}))
        >>> touches = ibis.memtable(pa.table({"session_id": ["s1", "s2", "s3"], "channel": ["WhatsApp", "WhatsApp",
        ...     "Email"], "touchpoint": ["online"] * 3, "device_type": [None, None, "mobile"]}))
        >>> connect().to_pyarrow(unnamed_device_channels(sessions, touches)).to_pylist()
        [{'channel': 'WhatsApp', 'sessions': 2, 'converting_sessions': 1, 'session_share': 1.0}]
    """
    if by not in GROUPINGS:
        raise SettingError(f"Devices can be grouped by {' or '.join(GROUPINGS)}, not {by!r}.")
    unnamed = touchpoints.filter(device_label(touchpoints, by) == NOT_SET)
    facts = unnamed.select(fact_session_id=unnamed.session_id, channel=unnamed.channel)
    joined = sessions.join(facts, sessions.session_id == facts.fact_session_id)
    grouped = joined.group_by("channel").aggregate(
        sessions=joined.count(), converting_sessions=(joined.conversions > 0).cast("int64").sum()
    )
    shaped = grouped.mutate(session_share=safe_div(grouped.sessions, grouped.sessions.sum().as_scalar()))
    return shaped.order_by([ibis.desc("sessions"), "channel"])


def has_device_columns(journeys: ir.Table) -> bool:
    """Whether a journeys table carries its devices (builds made before they were kept do not)."""
    return all(column in journeys.columns for column in DEVICE_COLUMNS)


def _journey_devices(
    touchpoints: ir.Table, conversions: ir.Table, lookback_days: int, in_window: ir.Table | None
) -> ir.Table:
    """What the journeys table keeps about devices, found from touches: one row per journey or conversion, with
    `converted`, `crossed_devices`, `first_device` (NULL where no touch) and `converting_device` (NULL where none)."""
    touches = (
        in_window if in_window is not None else journey_touches(touchpoints, conversions, lookback_days=lookback_days)
    )
    per_journey = touches.group_by(_person_id=touches.person_id, _journey_index=touches.journey_index).aggregate(
        **journey_device_aggregates(touches)
    )
    own = touchpoints.select(own_session_id=touchpoints.session_id, own_device=device_label(touchpoints))
    closing = conversions.left_join(own, conversions.session_id == own.own_session_id)
    closing = closing.select(
        conv_person_id=closing.person_id,
        conv_index=closing.conversion_index,
        converting_device=closing.own_device.fill_null(NOT_SET),
    )
    joined = per_journey.outer_join(
        closing, (per_journey._person_id == closing.conv_person_id) & (per_journey._journey_index == closing.conv_index)
    )
    return joined.select(
        converted=joined.conv_person_id.notnull(),
        crossed_devices=joined.crossed_devices,
        first_device=joined.first_device,
        converting_device=joined.converting_device,
    )


def _devices_of(
    touchpoints: ir.Table | None,
    conversions: ir.Table | None,
    lookback_days: int | None,
    in_window: ir.Table | None,
    journeys: ir.Table | None,
) -> ir.Table:
    if journeys is not None:
        if not has_device_columns(journeys):
            raise SettingError("These journeys do not carry their devices: rebuild the project (`jejak build`).")
        return journeys.select(*DEVICE_COLUMNS)
    if touchpoints is None or conversions is None or lookback_days is None:
        raise SettingError("Give the journeys table, or the touchpoints, the conversions and the lookback.")
    return _journey_devices(touchpoints, conversions, lookback_days, in_window)


def _closings(devices: ir.Table) -> ir.Table:
    """One row per conversion: its journey's first device and the device it closed on (a conversion with no touch
    of its own journey is first touched where it closed)."""
    closed = devices.filter(devices.converted)
    converting = closed.converting_device.fill_null(NOT_SET)
    return closed.select(first_device=closed.first_device.fill_null(converting), converting_device=converting)


def device_handoff(
    touchpoints: ir.Table | None = None,
    conversions: ir.Table | None = None,
    *,
    lookback_days: int | None = None,
    in_window: ir.Table | None = None,
    journeys: ir.Table | None = None,
) -> ir.Table:
    """Conversions by (device of the first touch, device of the converting session), with shares.

    From the build's `journeys` (with their device columns), or from `touchpoints` and `conversions` with
    `in_window` (the build's `journey_touches`; found again from the touchpoints without it).
    """
    pairs = _closings(_devices_of(touchpoints, conversions, lookback_days, in_window, journeys))
    grouped = pairs.group_by(["first_device", "converting_device"]).aggregate(conversions=pairs.count())
    shaped = grouped.mutate(share=safe_div(grouped.conversions, grouped.conversions.sum().over(ibis.window())))
    return shaped.order_by([ibis.desc("conversions"), "first_device", "converting_device"])


def cross_device(
    touchpoints: ir.Table | None = None,
    conversions: ir.Table | None = None,
    *,
    lookback_days: int | None = None,
    in_window: ir.Table | None = None,
    journeys: ir.Table | None = None,
) -> ir.Table:
    """One row: journeys and the share that crossed devices; conversions and the share closed on another device.

    Journeys are those with a touch on a device (not offline, not "(not set)") in the lookback window; conversions
    those that closed on a device, after a touch on one. Inputs as for `device_handoff`.
    """
    devices = _devices_of(touchpoints, conversions, lookback_days, in_window, journeys)
    # A journey's first device is one when any of its touches was on one (`journey_device_aggregates`).
    touched = devices.filter(devices.first_device.notnull() & is_a_device(devices.first_device))
    per_journey = touched.aggregate(
        journeys=touched.count(), cross_device_journeys=touched.crossed_devices.cast("int64").sum().fill_null(0)
    )
    closed = _closings(devices)
    # A sale at the till or on a marketplace after a visit on a phone closed on no device: it is not counted.
    closed = closed.filter(is_a_device(closed.first_device) & is_a_device(closed.converting_device))
    per_conversion = closed.aggregate(
        conversions=closed.count(),
        converted_on_another_device=(closed.first_device != closed.converting_device).cast("int64").sum().fill_null(0),
    )
    joined = per_journey.cross_join(per_conversion)
    return joined.mutate(
        cross_device_share=safe_div(joined.cross_device_journeys, joined.journeys),
        another_device_share=safe_div(joined.converted_on_another_device, joined.conversions),
    )
