"""Segment messages (page, screen, track, identify, alias) of the web shop and the app, one JSON line each.

Web messages (analytics.js) carry `timestamp` with a +07:00 offset, `context.page`
and `context.userAgent`; the landing page view also carries `context.campaign`
when the url has utm tags. App messages (Segment's mobile libraries) carry
`context.app/device/os` and three UTC times, `originalTimestamp` and `sentAt` on
the device's clock and `receivedAt` on the server's, so an importer that applies
Segment's clock-skew correction (`receivedAt - (sentAt - originalTimestamp)`)
gets the true time even when the phone's clock is hours off.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from jejak.synth import text
from jejak.synth.kinds import PAGE_KINDS, EventKind, is_kind
from jejak.synth.properties import properties_json
from jejak.synth.render import Renderer, RowView

IntArray = npt.NDArray[np.int64]

WEB_LIBRARY = ',"library":{"name":"analytics.js","version":"5.2.0"}}'
UPLOAD_DELAY_MAX_SECONDS = 120  # apps send in batches, up to two minutes after the event
_TRACK_KINDS = (
    EventKind.PRODUCT_VIEWED,
    EventKind.PRODUCT_ADDED,
    EventKind.CHECKOUT_STARTED,
    EventKind.PAYMENT_INFO_ENTERED,
    EventKind.ORDER_COMPLETED,
)


def json_lines(renderer: Renderer, rows: IntArray) -> Any:
    """One Segment message per row, each ending with a newline, as an Arrow string array."""
    v = renderer.view(rows)
    pages = is_kind(v.kind, PAGE_KINDS)
    names = text.dense(renderer.event_names(v))
    parts = [
        text.concat('{"type":"', text.dense(renderer.types(v)), '","messageId":"', renderer.event_ids(v), '"'),
        text.json_field("anonymousId", renderer.anonymous_ids(v)),
        text.json_field("userId", renderer.user_ids(v)),
        text.json_field("previousId", renderer.previous_ids(v)),
        text.json_field("event", text.masked(names, is_kind(v.kind, _TRACK_KINDS))),
        text.json_field("name", text.masked(names, pages)),
        text.json_field("properties", properties_json(renderer, v, with_revenue=True), quoted=False),
        text.json_field("traits", _traits(renderer, v), quoted=False),
        text.json_field("context", _context(renderer, v), quoted=False),
        *_times(renderer, v),
        "}\n",
    ]
    return text.concat_present(*parts)


def _traits(renderer: Renderer, v: RowView) -> Any:
    identify = np.flatnonzero(v.kind == EventKind.IDENTIFY)
    sub = v.subset(identify)
    traits = text.concat(
        '{"email":"', renderer.emails(sub), '","phone":"', renderer.phones(sub), '","name":"', renderer.names(sub), '"}'
    )
    return text.assemble([traits], [identify], len(v))


def _context(renderer: Renderer, v: RowView) -> Any:
    page = text.json_object(
        [
            text.json_field("path", text.dense(renderer.page_paths(v))),
            text.json_field("referrer", text.dense(renderer.referrers(v))),
            text.json_field("title", text.dense(renderer.page_titles(v))),
            text.json_field("url", renderer.page_urls(v)),
        ],
        len(v),
    )
    campaign = text.concat(
        '{"source":"',
        text.dense(renderer.sources(v)),
        '","medium":"',
        text.dense(renderer.mediums(v)),
        '","name":"',
        text.dense(renderer.campaigns(v)),
        '"}',
    )
    web = text.concat_present(
        text.concat('{"page":', page),
        text.json_field("campaign", campaign, quoted=False),
        text.json_field("userAgent", text.dense(renderer.user_agents(v))),
        WEB_LIBRARY,
    )
    app = text.concat("{", renderer.app_contexts(v), "}")
    return pc.if_else(pa.array(v.is_app), app, web)


def _times(renderer: Renderer, v: RowView) -> list[Any]:
    """`timestamp` (+07:00) for web rows; originalTimestamp, sentAt and receivedAt (UTC) for app rows."""
    skew = renderer.devices.clock_skew_seconds.ravel()[np.maximum(v.device, 0)]
    hashed = text.mix64(v.rows.astype(np.uint64), renderer.key + 4)
    delay = 1 + (hashed % np.uint64(UPLOAD_DELAY_MAX_SECONDS)).astype(np.int64)
    return [
        text.json_field("timestamp", text.masked(renderer.timestamps(v), ~v.is_app)),
        text.json_field("originalTimestamp", text.masked(renderer.utc_timestamps(v.time + skew), v.is_app)),
        text.json_field("sentAt", text.masked(renderer.utc_timestamps(v.time + skew + delay), v.is_app)),
        text.json_field("receivedAt", text.masked(renderer.utc_timestamps(v.time + delay), v.is_app)),
    ]
