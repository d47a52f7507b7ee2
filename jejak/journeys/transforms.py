"""Path transforms (Snowplow, fractribution), applied to a journey's touch rows before the path is collected.

- `unique`: every touch counts, as it happened (no change).
- `exposure`: consecutive repeats of a channel collapse into one (A > A > B > A → A > B > A).
- `first`: only the first occurrence of each channel (A > B > A → A > B).
- `frequency`: like `first`, with the count (A > B > A → A(2) > B(1)).
- `remove_if_not_all`: drop a channel (`transform_channel`, default Direct) unless the path is only that channel.
- `remove_if_last_and_not_all`: drop that channel from the end of the path unless the path is only that channel.
Trimming (`path_max_touches` > 0) then keeps the last N touches.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from jejak.core.errors import SettingError
from jejak.core.settings import PATH_TRANSFORMS


def apply_transform(touches: ir.Table, transform: str, *, channel: str = "Direct", max_touches: int = 0) -> ir.Table:
    """Filter (and for `frequency` relabel) touch rows; adds `path_channel`, the label that goes into the path."""
    if transform not in PATH_TRANSFORMS:
        raise SettingError(f"Unknown path transform {transform!r}. Expected one of {', '.join(PATH_TRANSFORMS)}.")
    journey = [touches.person_id, touches.journey_index]
    order = [touches.epoch_seconds, touches.session_id]
    in_order = ibis.window(group_by=journey, order_by=order)
    result = touches
    if transform == "exposure":
        # Window first, filter after: Ibis's Spark SQL for a window inside a filter cannot be resolved.
        marked = touches.mutate(previous_channel=touches.channel.lag().over(in_order))
        keep = marked.previous_channel.isnull() | (marked.previous_channel != marked.channel)
        result = marked.filter(keep).drop("previous_channel")
    elif transform in ("first", "frequency"):
        per_channel = ibis.window(group_by=[*journey, touches.channel], order_by=order)
        counted = touches.mutate(
            occurrence=ibis.row_number().over(per_channel),
            occurrences=touches.count().over(ibis.window(group_by=[*journey, touches.channel])),
        )
        result = counted.filter(counted.occurrence == 0)
        if transform == "frequency":
            label = result.channel + ibis.literal("(") + result.occurrences.cast("string") + ibis.literal(")")
            result = result.mutate(channel_label=label)
        result = result.drop("occurrence", "occurrences")
    elif transform in ("remove_if_not_all", "remove_if_last_and_not_all"):
        is_target = touches.channel == channel
        whole = ibis.window(group_by=journey)
        others = (~is_target).cast("int64").sum().over(whole)
        last_other = ibis.ifelse(is_target, ibis.null("int64"), touches.epoch_seconds).max().over(whole)
        marked = touches.mutate(others=others, last_other=last_other, is_target=is_target)
        if transform == "remove_if_not_all":
            keep = ~marked.is_target | (marked.others == 0)
        else:
            keep = ~marked.is_target | (marked.others == 0) | (marked.epoch_seconds < marked.last_other)
        result = marked.filter(keep).drop("others", "last_other", "is_target")
    if max_touches > 0:
        newest_first = ibis.window(
            group_by=[result.person_id, result.journey_index],
            order_by=[ibis.desc(result.epoch_seconds), ibis.desc(result.session_id)],
        )
        ranked = result.mutate(rank_from_end=ibis.row_number().over(newest_first))
        result = ranked.filter(ranked.rank_from_end < max_touches).drop("rank_from_end")
    label = result.channel_label if "channel_label" in result.columns else result.channel
    result = result.mutate(path_channel=label)
    return result.drop("channel_label") if "channel_label" in result.columns else result
