"""What a report or an attribution run labels touches by: the channel, the source / medium pair, the campaign, or
the campaign's keyword (`term`, utm_term) or ad (`content`, utm_content), as GA's multi-channel paths could be.

Missing values take GA's labels: a touch without a channel is `Unassigned`, without a
source `(direct)`, without a medium `(none)`, without a campaign, keyword or ad `(not set)`.

Direct is special in two places, the `last_non_direct` model and the `remove_if_*`
path transforms. By another dimension, the label a Direct visit carries there plays
its part (`direct_label`): by campaign, keyword or ad that is `(not set)`, a touch with no
such tag (Direct visits, but also organic and referral visits that carry none); by source /
medium it is `(direct) / (none)`.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from jejak.core.errors import SettingError
from jejak.core.vocabulary import NOT_SET

DIMENSIONS = ("channel", "source_medium", "campaign", "term", "content")
# The dimensions that are one of a touch's columns as it is, `(not set)` when missing.
_TAG_DIMENSIONS = ("campaign", "term", "content")
# A touch's device: an offline touch (store visit, call, print) has none and shows as "offline"; an online touch
# without one as "(not set)".
OFFLINE = "offline"
NO_SOURCE = "(direct)"
NO_MEDIUM = "(none)"
DIRECT_LABELS = {"channel": "Direct", "source_medium": f"{NO_SOURCE} / {NO_MEDIUM}"} | dict.fromkeys(
    _TAG_DIMENSIONS, NOT_SET
)


def _check(dimension: str) -> None:
    if dimension not in DIMENSIONS:
        raise SettingError(f"Unknown dimension {dimension!r}. Expected one of: {', '.join(DIMENSIONS)}.")


def dimension_key(table: ir.Table, dimension: str) -> ir.StringValue:
    """A touch's value for `dimension`, with GA's labels for what is missing."""
    _check(dimension)
    if dimension == "channel":
        channel: ir.StringValue = table.channel.fill_null("Unassigned")
        return channel
    if dimension == "source_medium":
        return table.source.fill_null(NO_SOURCE) + ibis.literal(" / ") + table.medium.fill_null(NO_MEDIUM)
    tagged: ir.StringValue = table[dimension].fill_null(NOT_SET)
    return tagged


def direct_label(dimension: str) -> str:
    """The label a Direct visit carries by `dimension`: what last non-direct and the remove_* transforms set aside."""
    _check(dimension)
    return DIRECT_LABELS[dimension]


def label_by_dimension(touchpoints: ir.Table, conversions: ir.Table, dimension: str) -> tuple[ir.Table, ir.Table]:
    """Touchpoints whose `channel` column holds their `dimension` value, and conversions relabelled to match.

    A conversion with no touch of its own journey is credited to its own session's
    label (`session_channel`), so that label is the session's `dimension` value too.
    """
    labelled = touchpoints.mutate(channel=dimension_key(touchpoints, dimension))
    if dimension == "channel":
        # The build's `session_channel` is already the session's touch channel (`journeys.conversions`), so
        # there is nothing to relabel and no need to read every touch's session again.
        return labelled, conversions
    own = labelled.select(own_session_id=labelled.session_id, own_value=labelled.channel)
    relabelled = conversions.left_join(own, conversions.session_id == own.own_session_id)
    relabelled = relabelled.mutate(session_channel=relabelled.own_value.fill_null(relabelled.session_channel)).drop(
        "own_session_id", "own_value"
    )
    return labelled, relabelled


def device_label(table: ir.Table, column: str = "device_type") -> ir.StringValue:
    """A touch's (or session's) device type or OS, with `offline` for offline touches and `(not set)` if missing."""
    offline = (table.touchpoint == OFFLINE).fill_null(False)
    value: ir.StringValue = ibis.ifelse(offline, OFFLINE, table[column].fill_null(NOT_SET))
    return value


def is_a_device(label: ir.StringValue) -> ir.BooleanValue:
    """Whether a `device_label` names a device (mobile, desktop, tablet, an OS): not `offline`, not `(not set)`."""
    named: ir.BooleanValue = ~label.isin([OFFLINE, NOT_SET])
    return named


def journey_device_aggregates(touches: ir.Table) -> dict[str, ir.Value]:
    """Per journey (aggregates over its touches): whether its touches came from more than one device type, and its
    first device (arg-min over time, then session id, so every engine picks the same touch).

    Only touches on a device count. A store visit or a call has none (`offline`), nor has a marketplace order or a
    chat whose file names none (`(not set)`): a call before an order on a phone is not a journey across devices, and
    such journeys made the share look several times larger than the phone-to-laptop switches it is about. A journey
    with no touch on a device has the first touch's label and crossed none.
    """
    device = device_label(touches)
    on_device = is_a_device(device)
    named = ibis.ifelse(on_device, device, ibis.null("string"))
    # Touches on a device sort first; among them (or among the rest, when none is) the earliest.
    first_key = ibis.struct(
        {"no_device": ibis.ifelse(on_device, 0, 1), "at": touches.epoch_seconds, "session": touches.session_id}
    )
    # Smallest and largest differ exactly when there are two or more: no distinct count (a hash set per journey).
    # Both are NULL for a journey with no touch on a device.
    crossed = (named.min() != named.max()).fill_null(False)
    return {"crossed_devices": crossed, "first_device": device.argmin(first_key)}
