"""One validation step for every input format: raw text rows in, typed events or quarantine reasons out.

It runs as DuckDB SQL on the embedded engine (import is always local, whatever
engine `jejak build` uses), vectorised over a chunk of rows. The connection's
TimeZone is the `timezone` setting while it runs, so naive times are read in
that zone; offsets win when present, and everything is stored in UTC.
"""

from __future__ import annotations

from collections.abc import Sequence

from jejak.core.vocabulary import EVENT_TYPES, INPUT_COLUMNS


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _blank(column: str) -> str:
    return f"nullif(trim({column}), '')"


# Segment message fields, as JSON paths, for each canonical column.
JSONL_FIELDS: dict[str, str] = {
    "event_id": "coalesce(j->>'$.messageId', j->>'$.messageID')",
    "type": "j->>'$.type'",
    "event": "coalesce(j->>'$.event', j->>'$.name')",
    "timestamp": "j->>'$.timestamp'",
    "original_timestamp": "j->>'$.originalTimestamp'",
    "sent_at": "j->>'$.sentAt'",
    "received_at": "j->>'$.receivedAt'",
    "user_id": "j->>'$.userId'",
    "anonymous_id": "j->>'$.anonymousId'",
    "previous_id": "j->>'$.previousId'",
    "email": "coalesce(j->>'$.traits.email', j->>'$.context.traits.email')",
    "phone": "coalesce(j->>'$.traits.phone', j->>'$.context.traits.phone')",
    "source": "j->>'$.context.campaign.source'",
    "medium": "j->>'$.context.campaign.medium'",
    "campaign": "j->>'$.context.campaign.name'",
    "term": "j->>'$.context.campaign.term'",
    "content": "j->>'$.context.campaign.content'",
    "referrer": "coalesce(j->>'$.context.page.referrer', j->>'$.properties.referrer')",
    "page_url": "coalesce(j->>'$.context.page.url', j->>'$.properties.url')",
    "page_path": "coalesce(j->>'$.context.page.path', j->>'$.properties.path')",
    "page_title": "coalesce(j->>'$.context.page.title', j->>'$.properties.title')",
    # Segment's own top-level `channel` names the library (browser, server), so only jejak's offline type sets it.
    "channel": "CASE WHEN lower(j->>'$.type') = 'offline' THEN j->>'$.channel' END",
    "touchpoint": "CASE WHEN lower(j->>'$.type') = 'offline' THEN j->>'$.touchpoint' END",
    "device_type": "j->>'$.context.device.type'",
    "os": "j->>'$.context.os.name'",
    "browser": "NULL::VARCHAR",
    "user_agent": "j->>'$.context.userAgent'",
    "revenue": "coalesce(j->>'$.properties.revenue', j->>'$.properties.total')",
    "currency": "j->>'$.properties.currency'",
    "properties": "CAST(j->'$.properties' AS VARCHAR)",
    "context": "CAST(j->'$.context' AS VARCHAR)",
    "traits": "CAST(j->'$.traits' AS VARCHAR)",
    "source_name": "NULL::VARCHAR",
}

SCALAR_JSON_TYPES = "('VARCHAR', 'BIGINT', 'UBIGINT', 'DOUBLE', 'BOOLEAN', 'NULL')"


def jsonl_extract_sql(chunk: str) -> str:
    """SQL turning `chunk(_line, _raw)` into canonical text columns, with bad_json / wrong_type found early."""
    fields = ",\n  ".join(f"{expr} AS {name}" for name, expr in JSONL_FIELDS.items())
    wrong_scalar = " OR ".join(
        f"coalesce(json_type(j, '$.{key}'), 'NULL') NOT IN {SCALAR_JSON_TYPES}"
        for key in ("messageId", "type", "event", "userId", "anonymousId", "previousId", "timestamp")
    )
    wrong_object = " OR ".join(
        f"coalesce(json_type(j, '$.{key}'), 'OBJECT') NOT IN ('OBJECT', 'NULL')"
        for key in ("properties", "context", "traits")
    )
    return f"""
WITH parsed AS (
  SELECT _line, _raw,
         CASE WHEN json_valid(_raw) AND json_type(_raw) = 'OBJECT' THEN CAST(_raw AS JSON) END AS j
  FROM {chunk}
)
SELECT _line, _raw, NULL::VARCHAR AS _extra,
  CASE
    WHEN j IS NULL THEN 'bad_json'
    WHEN {wrong_scalar} OR {wrong_object} THEN 'wrong_type'
    WHEN coalesce(json_type(j, '$.properties.revenue'), 'NULL') NOT IN ('BIGINT', 'UBIGINT', 'DOUBLE', 'VARCHAR', 'NULL')
      THEN 'wrong_type'
  END AS _pre_reason,
  CASE
    WHEN j IS NULL THEN 'the line is not a JSON object'
    ELSE 'a field has the wrong JSON type: ids, type, event and timestamp must be text or numbers; '
         || 'properties, context and traits must be objects'
  END AS _pre_message,
  {fields}
FROM parsed
"""


def table_extract_sql(chunk: str, present: Sequence[str], extra: Sequence[str]) -> str:
    """SQL turning a CSV/Parquet chunk (already named canonically) into the same shape as JSON Lines.

    The row's text (`table_raw_text_sql`) is not computed here: only quarantined rows and rows without an
    event_id need it, and building a JSON text of every row cost a fifth of the import. The extra columns
    are kept (as `x:<name>`) so it can be built later, from this relation, for those rows only.
    """
    columns = []
    for name in JSONL_FIELDS:
        columns.append(f'"{name}"' if name in present else f"NULL::VARCHAR AS {name}")
    columns += [f'"{name}" AS {_extra_column(name)}' for name in extra]
    if extra:
        pairs = ", ".join(f'{_quote(name)}, "{name}"' for name in extra)
        extra_sql = f"CAST(json_object({pairs}) AS VARCHAR)"
    else:
        extra_sql = "NULL::VARCHAR"
    return f"""
SELECT _line, {extra_sql} AS _extra,
  NULL::VARCHAR AS _pre_reason, NULL::VARCHAR AS _pre_message,
  {", ".join(columns)}
FROM {chunk}
"""


def _extra_column(name: str) -> str:
    return '"x:' + name.replace('"', '""') + '"'


def table_raw_text_sql(present: Sequence[str], extra: Sequence[str], alias: str = "c") -> str:
    """A CSV/Parquet row's text, over `table_extract_sql`'s relation: the row as a JSON object.

    Readable in the quarantine, and the natural key of a deterministic event_id.
    """
    pairs = [f'{_quote(name)}, {alias}."{name}"' for name in present]
    pairs += [f"{_quote(name)}, {alias}.{_extra_column(name)}" for name in extra]
    return f"CAST(json_object({', '.join(pairs)}) AS VARCHAR)" if pairs else "'{}'"


JSONL_RAW_TEXT_SQL = "c._raw"  # a JSON Lines row's text is its line, kept by `jsonl_extract_sql`


def _device_type_sql() -> str:
    given = "lower(nullif(trim(c.device_type), ''))"
    ua = "lower(c.user_agent)"
    return f"""CASE
      WHEN {given} IN ('mobile', 'phone', 'smartphone', 'ios', 'iphone', 'android') THEN 'mobile'
      WHEN {given} IN ('tablet', 'ipad') THEN 'tablet'
      WHEN {given} IN ('desktop', 'pc', 'computer', 'laptop', 'mac', 'macos', 'windows', 'linux') THEN 'desktop'
      WHEN {given} IS NOT NULL THEN 'other'
      WHEN {ua} IS NULL OR trim({ua}) = '' THEN NULL
      WHEN regexp_matches({ua}, 'ipad|tablet|kindle|silk|playbook') OR ({ua} LIKE '%android%' AND {ua} NOT LIKE '%mobile%')
        THEN 'tablet'
      WHEN regexp_matches({ua}, 'mobi|iphone|ipod|android|blackberry|opera mini|windows phone') THEN 'mobile'
      WHEN regexp_matches({ua}, 'windows|macintosh|mac os x|x11|linux|cros') THEN 'desktop'
      ELSE 'other' END"""


def _os_sql() -> str:
    ua = "lower(c.user_agent)"
    return f"""coalesce(nullif(trim(c.os), ''), CASE
      WHEN regexp_matches({ua}, 'iphone|ipad|ipod') THEN 'iOS'
      WHEN {ua} LIKE '%android%' THEN 'Android'
      WHEN {ua} LIKE '%windows%' THEN 'Windows'
      WHEN {ua} LIKE '%cros%' THEN 'ChromeOS'
      WHEN regexp_matches({ua}, 'macintosh|mac os x') THEN 'macOS'
      WHEN {ua} LIKE '%linux%' THEN 'Linux' END)"""


def _browser_sql() -> str:
    ua = "lower(c.user_agent)"
    return f"""coalesce(nullif(trim(c.browser), ''), CASE
      WHEN {ua} LIKE '%edg/%' THEN 'Edge'
      WHEN {ua} LIKE '%samsungbrowser%' THEN 'Samsung Internet'
      WHEN regexp_matches({ua}, 'opr/|opera') THEN 'Opera'
      WHEN regexp_matches({ua}, 'firefox|fxios') THEN 'Firefox'
      WHEN regexp_matches({ua}, 'crios|chrome') THEN 'Chrome'
      WHEN {ua} LIKE '%safari%' THEN 'Safari' END)"""


def validate_sql(
    canonical: str,
    pii_map: str,
    *,
    source_name: str,
    source_file: str,
    received_at_iso: str,
    max_field_bytes: int,
    currency: str,
    raw_text: str = JSONL_RAW_TEXT_SQL,
) -> str:
    """SQL over the canonical relation: every event column typed, plus `_reason` / `_message` for bad rows.

    `raw_text` is the row's text over alias `c` (`table_raw_text_sql`, or the JSON line itself).
    """
    text_columns = [name for name in JSONL_FIELDS if name not in ("source_name",)]
    longest = (
        "greatest("
        + ", ".join(f"coalesce(strlen(c.{n}), 0)" for n in text_columns)
        + ", coalesce(strlen(c._extra), 0))"
    )
    types = ", ".join(_quote(t) for t in EVENT_TYPES)
    ts = "try_cast(trim(c.timestamp) AS TIMESTAMPTZ)"
    original = "try_cast(trim(c.original_timestamp) AS TIMESTAMPTZ)"
    sent = "try_cast(trim(c.sent_at) AS TIMESTAMPTZ)"
    received = "try_cast(trim(c.received_at) AS TIMESTAMPTZ)"
    # Segment's clock-skew correction: the device clock is off by (sent_at - received_at).
    corrected = f"CASE WHEN {received} IS NOT NULL AND {sent} IS NOT NULL AND {original} IS NOT NULL THEN {received} - ({sent} - {original}) END"
    timestamp = f"coalesce({corrected}, {ts}, {original})"
    # An empty CSV/Parquet cell is no value, as for every other column (not malformed JSON).
    json_text = {n: _blank(f"c.{n}") for n in ("properties", "context", "traits")}
    object_check = " OR ".join(
        f"({text} IS NOT NULL AND (NOT json_valid({text}) OR json_type({text}) <> 'OBJECT'))"
        for text in json_text.values()
    )
    kind = f"lower(coalesce({_blank('c.type')}, 'track'))"
    has_id = (
        f"({_blank('c.user_id')} IS NOT NULL OR {_blank('c.anonymous_id')} IS NOT NULL "
        "OR e.hash IS NOT NULL OR p.hash IS NOT NULL)"
    )
    reason = f"""CASE
      WHEN c._pre_reason IS NOT NULL THEN c._pre_reason
      WHEN {longest} > {int(max_field_bytes)} THEN 'oversize_field'
      WHEN {kind} NOT IN ({types}) THEN 'unknown_type'
      WHEN {_blank("c.revenue")} IS NOT NULL AND try_cast(trim(c.revenue) AS DOUBLE) IS NULL THEN 'wrong_type'
      WHEN {object_check} THEN 'wrong_type'
      WHEN {timestamp} IS NULL THEN 'bad_timestamp'
      WHEN NOT {has_id} THEN 'no_identifier'
    END"""
    message = f"""CASE
      WHEN c._pre_reason IS NOT NULL THEN c._pre_message
      WHEN {longest} > {int(max_field_bytes)} THEN 'a field is ' || {longest} || ' bytes long; the limit is {int(max_field_bytes)} (setting import_max_field_bytes)'
      WHEN {kind} NOT IN ({types}) THEN 'type ' || {kind} || ' is not one of {", ".join(EVENT_TYPES)}'
      WHEN {_blank("c.revenue")} IS NOT NULL AND try_cast(trim(c.revenue) AS DOUBLE) IS NULL THEN 'revenue ' || c.revenue || ' is not a number'
      WHEN {object_check} THEN 'properties, context and traits must be JSON objects'
      WHEN {timestamp} IS NULL THEN 'timestamp ' || coalesce('"' || c.timestamp || '"', 'is missing and') || ' is not an ISO-8601 date-time (e.g. 2026-03-01T09:00:00+07:00)'
      WHEN NOT {has_id} THEN 'none of user_id, anonymous_id, email or phone is given'
    END"""
    default_event = (
        f"CASE {kind} WHEN 'page' THEN 'Page Viewed' WHEN 'screen' THEN 'Screen Viewed' WHEN 'identify' THEN 'Identify' "
        "WHEN 'alias' THEN 'Alias' WHEN 'group' THEN 'Group' END"
    )
    page_url = _blank("c.page_url")
    # Evaluated only for rows without an event_id (a CASE branch runs on the rows that take it).
    deterministic_id = f"'h:' || md5({_quote(source_name)} || chr(31) || {raw_text})"
    given_id = _blank("c.event_id")
    props = json_text["properties"]
    # Properties that are not JSON send the row to the quarantine; merging them must not fail the whole chunk.
    properties = (
        f"CASE WHEN c._extra IS NULL THEN {props} WHEN {props} IS NOT NULL AND NOT json_valid({props}) THEN {props} "
        f"ELSE CAST(json_merge_patch(coalesce({props}, '{{}}'), c._extra) AS VARCHAR) END"
    )
    strip_pii = '{"email": null, "phone": null}'
    return f"""
SELECT
  {reason} AS _reason,
  {message} AS _message,
  c._line AS _line,
  CASE WHEN {given_id} IS NOT NULL THEN {given_id} ELSE {deterministic_id} END AS event_id,
  {kind} AS type,
  coalesce({_blank("c.event")}, {default_event}) AS event,
  {timestamp} AS timestamp,
  coalesce({received}, TIMESTAMPTZ {_quote(received_at_iso)}) AS received_at,
  {_blank("c.user_id")} AS user_id,
  {_blank("c.anonymous_id")} AS anonymous_id,
  {_blank("c.previous_id")} AS previous_id,
  e.hash AS email_hash,
  p.hash AS phone_hash,
  {_blank("c.source")} AS source,
  {_blank("c.medium")} AS medium,
  {_blank("c.campaign")} AS campaign,
  {_blank("c.term")} AS term,
  {_blank("c.content")} AS content,
  {_blank("c.referrer")} AS referrer,
  {page_url} AS page_url,
  coalesce({_blank("c.page_path")}, nullif(regexp_extract({page_url}, '^[a-zA-Z][a-zA-Z0-9+.-]*://[^/?#]+([^?#]*)', 1), ''),
           CASE WHEN {page_url} IS NOT NULL THEN '/' END) AS page_path,
  {_blank("c.page_title")} AS page_title,
  {_blank("c.channel")} AS channel,
  coalesce(lower({_blank("c.touchpoint")}), CASE WHEN {kind} = 'offline' THEN 'offline' ELSE 'online' END) AS touchpoint,
  {_device_type_sql()} AS device_type,
  {_os_sql()} AS os,
  {_browser_sql()} AS browser,
  try_cast(trim(c.revenue) AS DOUBLE) AS revenue,
  CASE WHEN try_cast(trim(c.revenue) AS DOUBLE) IS NOT NULL THEN upper(coalesce({_blank("c.currency")}, {_quote(currency)}))
       ELSE upper({_blank("c.currency")}) END AS currency,
  CASE WHEN json_valid({properties}) THEN CAST(json_merge_patch({properties}, '{strip_pii}') AS VARCHAR)
       ELSE {properties} END AS properties,
  CASE WHEN json_valid({json_text["context"]}) AND json_exists({json_text["context"]}, '$.traits')
       THEN CAST(json_merge_patch({json_text["context"]}, '{{"traits": {strip_pii}}}') AS VARCHAR)
       ELSE {json_text["context"]} END AS context,
  CASE WHEN json_valid({json_text["traits"]}) THEN CAST(json_merge_patch({json_text["traits"]}, '{strip_pii}') AS VARCHAR) END AS traits,
  coalesce({_blank("c.source_name")}, {_quote(source_name)}) AS source_name,
  {_quote(source_file)} AS source_file,
  c._line AS source_line
FROM {canonical} AS c
LEFT JOIN (SELECT raw, hash FROM {pii_map} WHERE kind = 'email') AS e ON e.raw = c.email
LEFT JOIN (SELECT raw, hash FROM {pii_map} WHERE kind = 'phone') AS p ON p.raw = c.phone
"""


KNOWN_INPUT_COLUMNS = frozenset(INPUT_COLUMNS)
