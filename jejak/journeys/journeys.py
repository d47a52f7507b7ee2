"""Touchpoints, conversions, journeys and unique paths from sessionized events.

A touchpoint is a session's first event that can be a visit from a channel, with its channel; a session with none
(a server's identify call, a survey answered by e-mail) has none (`touchpoints`). A journey ends at a conversion and
holds the person's touchpoints since the previous conversion that fall inside the lookback window before it.
Touchpoints after a person's last conversion form one non-converting journey (the same lookback measured back from its
last touch). A conversion with no touch of its own journey (a second purchase in the same session) gets its own
session's touchpoint.
"""

from __future__ import annotations

from collections.abc import Sequence

import ibis
import ibis.expr.types as ir

from jejak.core.vocabulary import ACQUISITION_COLUMNS, NOT_SET
from jejak.engine import SECONDS_PER_DAY
from jejak.journeys.channels import FALLBACK_CHANNEL, ChannelRule, classify_distinct
from jejak.journeys.dimensions import device_label, journey_device_aggregates
from jejak.journeys.transforms import apply_transform

PATH_SEPARATOR = " > "
TOUCH_COLUMNS = (
    "session_id",
    "person_id",
    "timestamp",
    "epoch_seconds",
    "journey_index",
    "type",
    "event",
    *ACQUISITION_COLUMNS,
)


# What the sessions sort carries: its keys, what cuts sessions and marks conversions, and the page and device the
# event stream shows for every interaction.
SESSION_COLUMNS = (
    "event_id",
    "person_id",
    "timestamp",
    "type",
    "event",
    "touchpoint",
    "revenue",
    "currency",
    "page_path",
    "device_type",
)


def touchpoints(sessionized: ir.Table, events: ir.Table, rules: Sequence[ChannelRule]) -> ir.Table:
    """One row per session that is a visit: its visit's first event's acquisition fields and the channel the rules
    give it (`sessions.sessionize`: a session's events before it, a server's identify call or a survey answered by
    e-mail, say nothing of where the person came from). A session with no event that can be a touch has no row.

    Sessions are cut on a narrow table (SESSION_COLUMNS); the acquisition fields of the
    visit starts are joined back from `events`, so the sort never carries them. The
    channel rules run once per distinct combination of fields (`classify_distinct`).
    """
    starts = sessionized.filter(sessionized.is_visit_start)
    wanted = [c for c in TOUCH_COLUMNS if c not in starts.columns]
    fields = events.select(*wanted, field_event_id=events.event_id)
    joined = starts.join(fields, starts.event_id == fields.field_event_id)
    return classify_distinct(joined.select(*TOUCH_COLUMNS), rules)


def conversions(sessionized: ir.Table, touches: ir.Table) -> ir.Table:
    """One row per conversion event, with its session's channel."""
    converted = sessionized.filter(sessionized.is_conversion)
    own = touches.select(
        own_session_id=touches.session_id, session_channel=touches.channel, session_device=device_label(touches)
    )
    joined = converted.left_join(own, converted.session_id == own.own_session_id)
    return joined.select(
        conversion_event_id=joined.event_id,
        person_id=joined.person_id,
        conversion_index=joined.journey_index,
        conversion_type=joined.event,
        conversion_at=joined.timestamp,
        conversion_epoch_seconds=joined.epoch_seconds,
        revenue=joined.revenue.fill_null(0.0),
        currency=joined.currency,
        session_id=joined.session_id,
        session_channel=joined.session_channel.fill_null(FALLBACK_CHANNEL),
        session_device=joined.session_device.fill_null(NOT_SET),
    )


def journey_touches(touches: ir.Table, converted: ir.Table, *, lookback_days: int) -> ir.Table:
    """Touchpoints tagged with their journey, keeping only those inside the lookback window."""
    lookback_seconds = lookback_days * SECONDS_PER_DAY
    # Each journey's reference time (its conversion, or else its last touch) on one narrow row per journey,
    # joined back once: a window over the touches would sort every touch with all its columns.
    per_journey = touches.group_by(ref_person_id=touches.person_id, ref_index=touches.journey_index).aggregate(
        last_touch_epoch_seconds=touches.epoch_seconds.max()
    )
    ends = converted.select(
        end_person_id=converted.person_id,
        end_index=converted.conversion_index,
        end_epoch_seconds=converted.conversion_epoch_seconds,
    )
    ended = per_journey.left_join(
        ends, (per_journey.ref_person_id == ends.end_person_id) & (per_journey.ref_index == ends.end_index)
    )
    references = ended.select(
        "ref_person_id",
        "ref_index",
        ref_converted=ended.end_index.notnull(),
        reference_epoch_seconds=ended.end_epoch_seconds.fill_null(ended.last_touch_epoch_seconds),
    )
    joined = touches.join(
        references,
        (touches.person_id == references.ref_person_id) & (touches.journey_index == references.ref_index),
    )
    inside = joined.filter(joined.epoch_seconds >= joined.reference_epoch_seconds - lookback_seconds)
    return inside.mutate(converted=inside.ref_converted).drop(
        "ref_person_id", "ref_index", "ref_converted", "reference_epoch_seconds"
    )


def _path_lists(touches: ir.Table) -> ir.Table:
    """Ordered channel lists per journey (collect structs, sort, map: portable, no ordered aggregates)."""
    item = ibis.struct({"at": touches.epoch_seconds, "session": touches.session_id, "channel": touches.path_channel})
    grouped = touches.group_by([touches.person_id, touches.journey_index]).aggregate(items=item.collect())
    ordered = grouped.items.sort()
    return grouped.mutate(
        path=ordered.map(lambda entry: entry.channel), touch_epoch_seconds=ordered.map(lambda entry: entry.at)
    ).drop("items")


def journey_parts(
    touches_in_window: ir.Table, *, transform: str, transform_channel: str, max_touches: int
) -> tuple[ir.Table, ir.Table]:
    """Per journey that has touches: its transformed channel path (`_path_lists`), and what happened on it
    whatever the transform drops (first and last touch, touches, devices; keyed `_person_id`, `_journey_index`).

    Two tables, so that a caller can keep each before `journeys_from_parts` joins them: computed in one query,
    the path lists (which cannot spill) and the join's table did not fit a 1 GB DuckDB limit at 10M events.
    """
    # Only what paths are made of goes through the transform's sorts, not every column of the touches.
    narrow = touches_in_window.select(
        "person_id", "journey_index", "timestamp", "epoch_seconds", "session_id", "channel", "touchpoint", "device_type"
    )
    # Touch times, counts and devices describe the journey as it happened, whatever the path transform drops.
    whole = narrow.group_by(_person_id=narrow.person_id, _journey_index=narrow.journey_index).aggregate(
        first_touch_at=narrow.timestamp.min(),
        last_touch_at=narrow.timestamp.max(),
        touches_before_transform=narrow.count(),
        **journey_device_aggregates(narrow),
    )
    transformed_input = narrow.drop("touchpoint", "device_type")
    transformed = apply_transform(transformed_input, transform, channel=transform_channel, max_touches=max_touches)
    return _path_lists(transformed), whole


def journeys(
    touches_in_window: ir.Table, converted: ir.Table, *, transform: str, transform_channel: str, max_touches: int
) -> ir.Table:
    """One row per journey (converting or not) with its transformed channel path."""
    listed, whole = journey_parts(
        touches_in_window, transform=transform, transform_channel=transform_channel, max_touches=max_touches
    )
    return journeys_from_parts(listed, whole, converted)


def journeys_from_parts(listed: ir.Table, whole: ir.Table, converted: ir.Table) -> ir.Table:
    """`journeys` from `journey_parts`' two tables and the conversions (a conversion without touches of its own
    journey is a journey too)."""
    lists = listed.join(
        whole, (listed.person_id == whole._person_id) & (listed.journey_index == whole._journey_index)
    ).drop("_person_id", "_journey_index")
    if "session_device" not in converted.columns:  # conversions of a build made before devices were kept
        converted = converted.mutate(session_device=ibis.null("string"))
    conv = converted.select(
        "person_id",
        "conversion_index",
        "conversion_event_id",
        "conversion_type",
        "conversion_at",
        "revenue",
        "session_channel",
        "session_device",
        "conversion_epoch_seconds",
    )
    conv = conv.rename(conv_person_id="person_id")
    with_conversion = lists.outer_join(
        conv, (lists.person_id == conv.conv_person_id) & (lists.journey_index == conv.conversion_index)
    )
    fallback = ibis.array([with_conversion.session_channel])
    path = ibis.ifelse(with_conversion.path.isnull(), fallback, with_conversion.path)
    # A conversion with no touch of its own journey is credited to its session, touched when it converted.
    fallback_times = ibis.array([with_conversion.conversion_epoch_seconds])
    touch_times = ibis.ifelse(with_conversion.path.isnull(), fallback_times, with_conversion.touch_epoch_seconds)
    result = with_conversion.select(
        person_id=ibis.coalesce(with_conversion.person_id, with_conversion.conv_person_id),
        journey_index=ibis.coalesce(with_conversion.journey_index, with_conversion.conversion_index),
        converted=with_conversion.conversion_event_id.notnull(),
        conversion_event_id=with_conversion.conversion_event_id,
        conversion_type=with_conversion.conversion_type,
        conversion_at=with_conversion.conversion_at,
        revenue=with_conversion.revenue.fill_null(0.0),
        first_touch_at=ibis.coalesce(with_conversion.first_touch_at, with_conversion.conversion_at),
        last_touch_at=ibis.coalesce(with_conversion.last_touch_at, with_conversion.conversion_at),
        touches_before_transform=with_conversion.touches_before_transform.fill_null(1).cast("int64"),
        path=path,
        touch_epoch_seconds=touch_times,
        # Devices (`analytics.devices`): NULL for a conversion with no touch of its own journey.
        first_device=with_conversion.first_device,
        crossed_devices=with_conversion.crossed_devices,
        converting_device=with_conversion.session_device,
    )
    return result.mutate(touches=result.path.length().cast("int64"), path_text=result.path.join(PATH_SEPARATOR))


def unique_paths(journey_table: ir.Table) -> ir.Table:
    """One row per distinct path: conversions, non-conversions, revenue, first and last touch times."""
    converted = journey_table.converted.cast("int64")
    grouped = journey_table.group_by(path=journey_table.path_text).aggregate(
        touches=journey_table.touches.max(),
        conversions=converted.sum(),
        non_conversions=(1 - converted).sum(),
        revenue=journey_table.revenue.sum(),
        first_touch_at=journey_table.first_touch_at.min(),
        last_touch_at=journey_table.last_touch_at.max(),
    )
    return grouped
