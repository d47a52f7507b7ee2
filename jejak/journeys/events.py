"""The event stream: every interaction of every person, in order, with its session (what funnels, flows and stages read).

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

from jejak.journeys.channels import FALLBACK_CHANNEL
from jejak.journeys.sessions import INTERACTION_TYPES, session_id_expr

# One integer names a row of the stream: its person number and position (a person's positions stay far below
# 2**32, and person numbers below 2**31). Joins on it hash one column instead of the pair.
POSITION_KEY_BASE = 2**32


def position_key(person_number: ir.IntegerValue, position: ir.IntegerValue) -> ir.IntegerValue:
    """The stream row `(person_number, position)` as one int64 key: `position_key(n, p) + 1` is the next row."""
    return person_number * POSITION_KEY_BASE + position


STREAM_COLUMNS = (
    "event_id",
    "person_id",
    "person_number",
    "position",
    "session_id",
    "timestamp",
    "epoch_seconds",
    "type",
    "event",
    "page_path",
    "device_type",
    "channel",
    "is_session_start",
    "is_visit_start",
    "is_conversion",
    "conversion_index",
    "revenue",
)


def visit_starts(events: ir.Table) -> ir.BooleanValue:
    """Whether a stream row is its session's visit start (`sessions.sessionize`): the session's first interaction that
    can be a touch, what its channel came from. A build made before the column had only `is_session_start`."""
    if "is_visit_start" in events.columns:
        return events.is_visit_start
    return events.is_session_start


def event_stream(sessionized: ir.Table, touches: ir.Table, people: ir.Table) -> ir.Table:
    """One row per interaction: person (and their `person_number` from `people`), `position` among their
    interactions, session and its channel, time, name, page, device, whether it opened its session or its visit (the
    first that can be a touch: a session opened by an identify call or a survey answer by e-mail has a later one), and
    which of the person's conversions it is (1, 2, …) if it is one."""
    kept = sessionized.filter(sessionized.type.isin(list(INTERACTION_TYPES)))
    # Positions were counted in the sessions sort, and page and device rode along in it: no second sort, no
    # join back to the lake (at 10M events these were 14 s of the build).
    stream = kept.mutate(position=kept.interaction_position, session_id=session_id_expr(kept))
    channels = touches.select(_session_id=touches.session_id, channel=touches.channel)
    stream = stream.left_join(channels, stream.session_id == channels._session_id)
    # A session that is no visit from a channel has no touchpoint (`journeys.touchpoints`).
    stream = stream.mutate(channel=stream.channel.fill_null(FALLBACK_CHANNEL))
    # A conversion's number is its journey's (`journeys.conversions` numbers them so): no join on the text event id.
    stream = stream.mutate(conversion_index=ibis.ifelse(stream.is_conversion, stream.journey_index, ibis.null("int64")))
    numbered = people.select(_person_id=people.person_id, person_number=people.person_number)
    stream = stream.join(numbered, stream.person_id == numbered._person_id)
    return stream.select(*STREAM_COLUMNS)
