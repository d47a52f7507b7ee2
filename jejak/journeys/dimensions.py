"""What a report or an attribution run labels touches by: the channel, the source / medium pair, or the campaign.

Missing values take GA's labels: a touch without a channel is `Unassigned`, without a
source `(direct)`, without a medium `(none)`, without a campaign `(not set)`.

Direct is special in two places, the `last_non_direct` model and the `remove_if_*`
path transforms. By another dimension, the label a Direct visit carries there plays
its part (`direct_label`): by campaign that is `(not set)`, a touch with no campaign
(Direct visits, but also organic and referral visits that carry none); by source /
medium it is `(direct) / (none)`.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from jejak.core.errors import SettingError
from jejak.core.vocabulary import NOT_SET

DIMENSIONS = ("channel", "source_medium", "campaign")
# A touch's device: an offline touch (store visit, call, print) has none and shows as "offline"; an online touch
# without one as "(not set)".
OFFLINE = "offline"
NO_SOURCE = "(direct)"
NO_MEDIUM = "(none)"
DIRECT_LABELS = {"channel": "Direct", "source_medium": f"{NO_SOURCE} / {NO_MEDIUM}", "campaign": NOT_SET}


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
    campaign: ir.StringValue = table.campaign.fill_null(NOT_SET)
    return campaign


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


def journey_device_aggregates(touches: ir.Table) -> dict[str, ir.Value]:
    """Per journey (aggregates over its touches): whether its touches came from more than one device type, and the
    device of its first touch (arg-min over time, then session id, so every engine picks the same touch)."""
    device = device_label(touches)
    first_key = ibis.struct({"at": touches.epoch_seconds, "session": touches.session_id})
    # Smallest and largest differ exactly when there are two or more: no distinct count (a hash set per journey).
    return {"crossed_devices": device.min() != device.max(), "first_device": device.argmin(first_key)}
