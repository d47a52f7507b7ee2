"""The event vocabulary: column names and types of the event lake (DESIGN.md §3).

Column names are stable API: importers, the lake, the pipeline and exports all
speak these names.
"""

from __future__ import annotations

import pyarrow as pa

EVENT_TYPES = ("track", "page", "screen", "identify", "alias", "group", "offline")
TOUCHPOINT_KINDS = ("online", "offline")
DEVICE_TYPES = ("desktop", "mobile", "tablet", "other")
DEFAULT_CURRENCY = "IDR"
# The event a call centre's logged call is imported as (the import's advice for a call log): the Call Centre channel
# rule, the Experience stage and the journey map's support lane know it, as they know the demo's `call_centre_call`.
CALL_EVENT = "Phone Call"
# The event a chat tool's conversation (Qontak, SleekFlow, a live chat) is imported as: the Consideration stage knows
# it, as it knows the WhatsApp chat export's `wa_chat`.
CHAT_EVENT = "Chat Started"
# A help desk's ticket (Zendesk, Freshdesk): the Experience stage and the journey map's support lane know it.
TICKET_EVENT = "Ticket Created"
# A lead form's submission (Meta's lead ads, a website's contact form): someone who left their number to hear more,
# which the Consideration stage knows, as it knows a chat.
LEAD_EVENT = "Lead Submitted"
# A track event named as the tools name a page or screen view (Segment's spec, GA4's, PostHog's) is a view: a file with
# no `type` column that logs "Page Viewed" logs page views, and a visit that began with one landed on a page.
VIEW_EVENTS = ("Page Viewed", "Screen Viewed", "page_view", "screen_view", "$pageview", "$screen")
# GA's label for a campaign that is missing: a touch without utm_campaign, or spend imported without one.
NOT_SET = "(not set)"

# Timestamps are stored as microseconds in UTC; everything downstream assumes UTC.
UTC_MICROS = pa.timestamp("us", tz="UTC")

EVENT_SCHEMA = pa.schema(
    [
        ("event_id", pa.string()),
        ("type", pa.string()),
        ("event", pa.string()),
        ("timestamp", UTC_MICROS),
        ("received_at", UTC_MICROS),
        ("user_id", pa.string()),
        ("anonymous_id", pa.string()),
        # Alias events carry the identifier being joined to user_id.
        ("previous_id", pa.string()),
        # Normalised e-mail / phone, stored only as keyed HMAC-SHA256 hex digests.
        ("email_hash", pa.string()),
        ("phone_hash", pa.string()),
        ("source", pa.string()),
        ("medium", pa.string()),
        ("campaign", pa.string()),
        ("term", pa.string()),
        ("content", pa.string()),
        ("referrer", pa.string()),
        ("page_url", pa.string()),
        ("page_path", pa.string()),
        ("page_title", pa.string()),
        ("channel", pa.string()),
        ("touchpoint", pa.string()),
        ("device_type", pa.string()),
        ("os", pa.string()),
        ("browser", pa.string()),
        ("revenue", pa.float64()),
        ("currency", pa.string()),
        ("properties", pa.string()),
        ("context", pa.string()),
        ("traits", pa.string()),
        ("source_name", pa.string()),
        ("source_file", pa.string()),
        ("source_line", pa.int64()),
    ]
)

EVENT_COLUMNS = tuple(EVENT_SCHEMA.names)

# An identifier as a node of the identity graph is its kind's prefix and its value (`1u:C0042`, `3e:<e-mail hmac>`).
# The digits sort: a person's smallest node, which names them, is a user id when they have one (`identity.graph`).
KIND_PREFIX = {"user_id": "1u:", "anonymous_id": "2a:", "email": "3e:", "phone": "4p:"}
# The kinds whose values files carry in clear (e-mails and phones are hashed at import): what a quarantined row's
# raw text can name someone by.
CLEAR_KIND_PREFIXES = (KIND_PREFIX["user_id"], KIND_PREFIX["anonymous_id"])

# Where a touch came from: what the channel rules and the touchpoints table read.
ACQUISITION_COLUMNS = (
    "touchpoint", "source", "medium", "campaign", "term", "content", "referrer", "page_url", "page_path", "channel",
    "device_type", "os", "browser",
)  # fmt: skip

# Columns an input row may carry besides the event columns: raw identifiers that are normalised and hashed on
# import, never stored in clear; and what an order's own row says was refunded of it (Shopify's `Refunded Amount`),
# read as an amount and kept in its properties (REFUNDED_PROPERTY) for the build to subtract.
INPUT_ONLY_COLUMNS = ("email", "phone", "user_agent", "sent_at", "original_timestamp", "refunded_revenue")
REFUNDED_PROPERTY = "refunded_revenue"

# Canonical names an input file may use (after the column mapping is applied).
INPUT_COLUMNS = (
    tuple(c for c in EVENT_COLUMNS if c not in ("email_hash", "phone_hash", "source_file", "source_line"))
    + INPUT_ONLY_COLUMNS
)

QUARANTINE_SCHEMA = pa.schema(
    [
        ("quarantined_at", UTC_MICROS),
        ("source_file", pa.string()),
        ("source_line", pa.int64()),
        ("reason", pa.string()),
        ("message", pa.string()),
        ("raw", pa.string()),
    ]
)

# Reason codes for quarantined rows: stable API, shown to users with the message.
QUARANTINE_REASONS = {
    "bad_timestamp": "the timestamp is missing, is neither ISO-8601 nor in a format of the timestamp_formats setting, "
    "or is more than a day after the import",
    "no_identifier": "the row has none of user_id, anonymous_id, email or phone",
    "no_event_name": "a track or offline event whose event name is blank",
    "bad_json": "the line is not a JSON object",
    "wrong_type": "a field has the wrong type (e.g. text where a number is expected), or a revenue is more than 10^15",
    "unknown_type": f"the event type is not one of {', '.join(EVENT_TYPES)}",
    "oversize_field": "a field is longer than the import_max_field_bytes setting allows",
    "invalid_utf8": "the row is not valid UTF-8 text",
    "malformed_row": "the row does not have the file's columns (unbalanced quotes, extra or missing fields)",
}
