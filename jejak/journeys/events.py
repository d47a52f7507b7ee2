"""The event stream: every interaction of every person, in order, with its session (what funnels and flows read).

Only what people did counts: tracks, page and screen views and offline events.
Identity calls (`identify`, `alias`, `group`) keep sessions alive when sessions are
cut, but they are not steps a person takes, so they are left out here and
`position` numbers a person's interactions 1, 2, 3, … with no gaps (ties in time
broken by `event_id`, as everywhere). "The next thing this person did" is then the
row at `position + 1`: funnels and flows find it with a join, never a sort.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from jejak.journeys.sessions import session_id_expr

INTERACTION_TYPES = ("track", "page", "screen", "offline")
STREAM_COLUMNS = (
    "event_id",
    "person_id",
    "position",
    "session_id",
    "timestamp",
    "epoch_seconds",
    "type",
    "event",
    "page_path",
    "device_type",
    "is_conversion",
    "revenue",
)


def event_stream(sessionized: ir.Table, events: ir.Table) -> ir.Table:
    """One row per interaction: person, `position` among their interactions, session, time, name, page and device."""
    kept = sessionized.filter(sessionized.type.isin(list(INTERACTION_TYPES)))
    # Page and device are joined back here, not carried through the sessions sort, which stays narrow.
    fields = events.select(field_event_id=events.event_id, page_path=events.page_path, device_type=events.device_type)
    joined = kept.join(fields, kept.event_id == fields.field_event_id)
    by_person = ibis.window(group_by=joined.person_id, order_by=[joined.timestamp, joined.event_id])
    stream = joined.mutate(position=ibis.row_number().over(by_person) + 1, session_id=session_id_expr(joined))
    return stream.select(*STREAM_COLUMNS)
