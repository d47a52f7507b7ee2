"""One validation step for every input format: raw text rows in, typed events or quarantine reasons out.

It runs as DuckDB SQL on the embedded engine (import is always local, whatever
engine `jejak build` uses), vectorised over a chunk of rows. The connection's
TimeZone is the `timezone` setting while it runs, so naive times are read in
that zone; offsets win when present, and everything is stored in UTC.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from jejak.core.pii import MASKED_EMAIL_RE, MASKED_PHONE_RE
from jejak.core.vocabulary import EVENT_TYPES, INPUT_COLUMNS, REFUNDED_PROPERTY


def sql_text(text: str) -> str:
    """`text` as an SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def sql_files(paths: Sequence[Path]) -> str:
    """Files as an SQL list of path literals, for `read_parquet`."""
    return "[" + ", ".join(sql_text(str(path)) for path in paths) + "]"


def _identifier(name: str) -> str:
    """A column name as a quoted SQL identifier: a file's own column names may hold quotes."""
    return '"' + name.replace('"', '""') + '"'


# What a value's ends are trimmed of: the spaces (Unicode class Zs, all that DuckDB's one-argument trim removes) and
# the white-space control characters. TikTok Shop's orders export ends each id and time with a tab, so that Excel
# keeps an order's 19 digits as text: kept, `576…358<tab>` was another order than the API's `576…358`, and
# `2026-10-01 10:00:00<tab>` was no time (while `…+07:00<tab>` was one).
CONTROL_WHITE_SPACE = "\t\n\x0b\x0c\r"
WHITE_SPACE = CONTROL_WHITE_SPACE + "".join(
    chr(c) for c in (32, 160, 5760, *range(8192, 8203), 8239, 8287, 12288)
)  # the class Zs (`tests/ingest/test_blank.py` checks it against this DuckDB's trim)
_AT_AN_END = r"[\p{Zs}\t\n\v\f\r]"


def _at_an_end(column: str) -> str:
    return f"(regexp_matches({column}, '^{_AT_AN_END}') OR regexp_matches({column}, '{_AT_AN_END}$'))"


def trimmed(column: str) -> str:
    """SQL: the value without white space at either end (`WHITE_SPACE`).

    trim() decodes and copies every string, a microsecond for a 300-byte JSON text, and ten times as long given the
    characters to trim (1.5 s over 3M short texts); two anchored regular expressions find the few values that have
    white space to trim (0.1 s), and the rest pass through untouched.
    """
    return f"CASE WHEN {_at_an_end(column)} THEN trim({column}, {sql_text(WHITE_SPACE)}) ELSE {column} END"


def _blank(column: str) -> str:
    """The value trimmed of white space (`trimmed`), or NULL when nothing is left."""
    return (
        f"CASE WHEN {_at_an_end(column)} THEN nullif(trim({column}, {sql_text(WHITE_SPACE)}), '') "
        f"WHEN {column} = '' THEN NULL ELSE {column} END"
    )


# Segment message fields, as JSON paths, for each canonical column: the first path with a value wins; no path means
# the format has no such field.
JSONL_FIELDS: dict[str, tuple[str, ...]] = {
    "event_id": ("$.messageId", "$.messageID"),
    "type": ("$.type",),
    "event": ("$.event", "$.name"),
    "timestamp": ("$.timestamp",),
    "original_timestamp": ("$.originalTimestamp",),
    "sent_at": ("$.sentAt",),
    "received_at": ("$.receivedAt",),
    "user_id": ("$.userId",),
    "anonymous_id": ("$.anonymousId",),
    "previous_id": ("$.previousId",),
    "email": ("$.traits.email", "$.context.traits.email"),
    "phone": ("$.traits.phone", "$.context.traits.phone"),
    "source": ("$.context.campaign.source",),
    "medium": ("$.context.campaign.medium",),
    # The Segment e-mail and push specs name an opened or tapped message's campaign in its properties.
    "campaign": ("$.context.campaign.name", "$.properties.campaign_name"),
    "term": ("$.context.campaign.term",),
    "content": ("$.context.campaign.content",),
    "referrer": ("$.context.page.referrer", "$.properties.referrer"),
    "page_url": ("$.context.page.url", "$.properties.url"),
    "page_path": ("$.context.page.path", "$.properties.path"),
    "page_title": ("$.context.page.title", "$.properties.title"),
    "channel": ("$.channel",),
    "touchpoint": ("$.touchpoint",),
    "device_type": ("$.context.device.type",),
    "os": ("$.context.os.name",),
    "browser": (),
    "user_agent": ("$.context.userAgent",),
    "revenue": ("$.properties.revenue", "$.properties.total"),
    # A message's properties are kept whole: a refunded amount in them is read by the build as it is.
    "refunded_revenue": (),
    "currency": ("$.properties.currency",),
    # Objects, as their JSON text (the text of a value that is not an object is never stored: wrong_type).
    "properties": ("$.properties",),
    "context": ("$.context",),
    "traits": ("$.traits",),
    "source_name": (),
}
AMOUNTS = ("revenue", "refunded_revenue")  # the canonical columns read as amounts of money (`number_sql`)
# Segment's own top-level `channel` names the library (browser, server), so only jejak's offline type sets these.
JSONL_OFFLINE_ONLY = ("channel", "touchpoint")
# Fields that must be JSON scalars, fields that must be objects, and the one number inside one.
JSONL_SCALAR_PATHS = tuple(
    f"$.{key}" for key in ("messageId", "type", "event", "userId", "anonymousId", "previousId", "timestamp")
)
JSONL_OBJECT_PATHS = ("$.properties", "$.context", "$.traits")
JSONL_REVENUE_PATH = "$.properties.revenue"
SCALAR_JSON_TYPES = "('VARCHAR', 'BIGINT', 'UBIGINT', 'DOUBLE', 'BOOLEAN', 'NULL')"


def _path_list(paths: Sequence[str]) -> str:
    return "[" + ", ".join(sql_text(p) for p in paths) + "]"


def jsonl_extract_sql(chunk: str) -> str:
    """SQL turning `chunk(_line, _raw)` into canonical text columns, with bad_json / wrong_type found early.

    Each line is parsed three times in all, not once per field: DuckDB's JSON functions take a list of paths and
    answer a list, parsing the document once (one call per field parsed it some fifty times: 18 µs a line).
    """
    paths = list(dict.fromkeys(p for wanted in JSONL_FIELDS.values() for p in wanted))
    value = {p: f"_v[{i + 1}]" for i, p in enumerate(paths)}
    revenue_paths = JSONL_FIELDS["revenue"]  # the first of them that holds a value is the revenue
    checked = list(dict.fromkeys([*JSONL_SCALAR_PATHS, *JSONL_OBJECT_PATHS, JSONL_REVENUE_PATH, *revenue_paths]))
    kind = {p: f"coalesce(_t[{i + 1}], 'NULL')" for i, p in enumerate(checked)}
    fields = []
    for name, wanted in JSONL_FIELDS.items():
        if not wanted:
            expr = "NULL::VARCHAR"
        elif len(wanted) == 1:
            expr = value[wanted[0]]
        else:
            expr = "coalesce(" + ", ".join(value[p] for p in wanted) + ")"
        if name in JSONL_OFFLINE_ONLY:
            expr = f"CASE WHEN lower({value['$.type']}) = 'offline' THEN {expr} END"
        fields.append(f"{expr} AS {name}")
    wrong_scalar = " OR ".join(f"{kind[p]} NOT IN {SCALAR_JSON_TYPES}" for p in JSONL_SCALAR_PATHS)
    wrong_object = " OR ".join(f"{kind[p]} NOT IN ('OBJECT', 'NULL')" for p in JSONL_OBJECT_PATHS)
    columns = ",\n  ".join(fields)
    # No Segment field holds another amount (a refunded amount stays in the properties, read by the build).
    untyped_amounts = "".join(f"false AS _{amount}_is_text, " for amount in AMOUNTS if amount != "revenue")
    # Whether the revenue was a JSON string: a JSON number is never read as Rupiah thousands (`AmountStyle`).
    revenue_is_text = (
        "CASE "
        + " ".join(f"WHEN {value[p]} IS NOT NULL THEN {kind[p]} = 'VARCHAR'" for p in revenue_paths)
        + " ELSE false END"
    )
    return f"""
WITH parsed AS (
  SELECT _line, _raw,
         CASE WHEN json_valid(_raw) AND json_type(_raw) = 'OBJECT' THEN CAST(_raw AS JSON) END AS j
  FROM {chunk}
), picked AS (
  SELECT _line, _raw, j IS NULL AS _not_object,
         json_extract_string(j, {_path_list(paths)}) AS _v,
         json_type(j, {_path_list(checked)}) AS _t
  FROM parsed
)
SELECT _line, _raw, NULL::VARCHAR AS _extra,
  CASE
    WHEN _not_object THEN 'bad_json'
    WHEN {wrong_scalar} OR {wrong_object} THEN 'wrong_type'
    WHEN {kind[JSONL_REVENUE_PATH]} NOT IN ('BIGINT', 'UBIGINT', 'DOUBLE', 'VARCHAR', 'NULL') THEN 'wrong_type'
  END AS _pre_reason,
  CASE
    WHEN _not_object THEN 'the line is not a JSON object'
    ELSE 'a field has the wrong JSON type: ids, type, event and timestamp must be text or numbers; '
         || 'properties, context and traits must be objects'
  END AS _pre_message,
  {revenue_is_text} AS _revenue_is_text, {untyped_amounts}
  {columns}
FROM picked
"""


def table_extract_sql(chunk: str, present: Sequence[str], extra: Sequence[str], typed: Sequence[str] = ()) -> str:
    """SQL turning a CSV/Parquet chunk (already named canonically) into the same shape as JSON Lines.

    `typed`: the amounts (AMOUNTS) whose file column holds numbers (`readers.TYPED_AMOUNT_FLAGS`). The row's text
    (`table_raw_text_sql`) is not computed here: only quarantined rows and rows without an event_id need it, and
    building a JSON text of every row cost a fifth of the import. The extra columns are kept (as `x:<name>`) so it
    can be built later, from this relation, for those rows only.
    """
    columns = []
    for name in JSONL_FIELDS:
        columns.append(_identifier(name) if name in present else f"NULL::VARCHAR AS {name}")
    columns += [f"{_identifier(name)} AS {_extra_column(name)}" for name in extra]
    if extra:
        pairs = ", ".join(f"{sql_text(name)}, {_identifier(name)}" for name in extra)
        extra_sql = f"CAST(json_object({pairs}) AS VARCHAR)"
    else:
        extra_sql = "NULL::VARCHAR"
    # Whether each amount was text in the file (CSV, a workbook, a Parquet string column; `typed`: a Parquet number
    # column, cast to text by the reader): only text can be Rupiah thousands.
    is_text = "".join(
        f"{'true' if amount in present and amount not in typed else 'false'} AS _{amount}_is_text, "
        for amount in AMOUNTS
    )
    return f"""
SELECT _line, {extra_sql} AS _extra,
  NULL::VARCHAR AS _pre_reason, NULL::VARCHAR AS _pre_message, {is_text}
  {", ".join(columns)}
FROM {chunk}
"""


def _extra_column(name: str) -> str:
    return _identifier(f"x:{name}")


def table_raw_text_sql(present: Sequence[str], extra: Sequence[str], alias: str = "c") -> str:
    """A CSV/Parquet row's text, over `table_extract_sql`'s relation: the row as a JSON object.

    Readable in the quarantine, and the natural key of a deterministic event_id.
    """
    pairs = [f"{sql_text(name)}, {alias}.{_identifier(name)}" for name in present]
    pairs += [f"{sql_text(name)}, {alias}.{_extra_column(name)}" for name in extra]
    return f"CAST(json_object({', '.join(pairs)}) AS VARCHAR)" if pairs else "'{}'"


JSONL_RAW_TEXT_SQL = "c._raw"  # a JSON Lines row's text is its line, kept by `jsonl_extract_sql`


def _agent_sql(ua: str) -> dict[str, str]:
    """Device type, OS and browser read from a user agent `ua`: once per distinct agent (`validate_sql`'s `agents`)."""
    ua = f"lower({ua})"
    device = f"""CASE
      WHEN {ua} IS NULL OR {trimmed(ua)} = '' THEN NULL
      WHEN regexp_matches({ua}, 'ipad|tablet|kindle|silk|playbook') OR ({ua} LIKE '%android%' AND {ua} NOT LIKE '%mobile%')
        THEN 'tablet'
      WHEN regexp_matches({ua}, 'mobi|iphone|ipod|android|blackberry|opera mini|windows phone') THEN 'mobile'
      WHEN regexp_matches({ua}, 'windows|macintosh|mac os x|x11|linux|cros') THEN 'desktop'
      ELSE 'other' END"""
    os = f"""CASE
      WHEN regexp_matches({ua}, 'iphone|ipad|ipod') THEN 'iOS'
      WHEN {ua} LIKE '%android%' THEN 'Android'
      WHEN {ua} LIKE '%windows%' THEN 'Windows'
      WHEN {ua} LIKE '%cros%' THEN 'ChromeOS'
      WHEN regexp_matches({ua}, 'macintosh|mac os x') THEN 'macOS'
      WHEN {ua} LIKE '%linux%' THEN 'Linux' END"""
    browser = f"""CASE
      WHEN {ua} LIKE '%edg/%' THEN 'Edge'
      WHEN {ua} LIKE '%samsungbrowser%' THEN 'Samsung Internet'
      WHEN regexp_matches({ua}, 'opr/|opera') THEN 'Opera'
      WHEN regexp_matches({ua}, 'firefox|fxios') THEN 'Firefox'
      WHEN regexp_matches({ua}, 'crios|chrome') THEN 'Chrome'
      WHEN {ua} LIKE '%safari%' THEN 'Safari' END"""
    return {"device": device, "os": os, "browser": browser}


def _device_type_sql() -> str:
    """The given device type, named in our words, or else the one the user agent says (`_ua_device`)."""
    given = f"lower(nullif({trimmed('c.device_type')}, ''))"
    return f"""CASE
      WHEN {given} IN ('mobile', 'phone', 'smartphone', 'ios', 'iphone', 'android') THEN 'mobile'
      WHEN {given} IN ('tablet', 'ipad') THEN 'tablet'
      WHEN {given} IN ('desktop', 'pc', 'computer', 'laptop', 'mac', 'macos', 'windows', 'linux') THEN 'desktop'
      WHEN {given} IS NOT NULL THEN 'other'
      ELSE c._ua_device END"""


# How a comma-decimal locale writes numbers (Excel's semicolon-separated files, Indonesian among them): points group
# thousands (`1.500.000,50`), or there is no grouping (`150000,5`). A point followed by anything but groups of three
# digits stays a decimal point (`150000.50`). Python's `re` and DuckDB's RE2 read both patterns alike.
POINT_GROUPED_NUMBER = r"-?\d{1,3}(\.\d{3})+(,\d+)?"
DECIMAL_COMMA_NUMBER = r"-?\d+,\d+"
# Where the point is the decimal mark, commas may group thousands (`1,250.50`, as ad platforms write cost).
COMMA_GROUPED_NUMBER = r"-?\d{1,3}(,\d{3})+(\.\d+)?"
# What is read as a number once grouping is gone: digits with an optional point and exponent (not `inf`, `nan`,
# `1_000` or hex, which a cast to DOUBLE or Python's float() would take).
PLAIN_NUMBER = r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?"


# A Rupiah (or euro) label before or after an amount, where amounts are written with a decimal comma: `Rp 150.000`,
# `Rp.150.000,-` (Indonesian price tags end a whole amount in ",-"), `150.000 IDR`.
COMMA_MONEY_LABEL = r"^(?i:rp\.?|idr|€|eur)\s*|\s*(?i:idr|eur|€)$|,-$"
# With decimal_mark auto, dollar labels too (`$12.50`, `USD 12.50`, `12.50 USD`): how the number is written decides.
MONEY_LABEL = r"^(?i:rp\.?|idr|us\$|usd|\$|€|eur)\s*|\s*(?i:idr|usd|eur|€)$|,-$"
# A Rupiah label, before or after (what makes `Rp150.000` a hundred and fifty thousand under auto).
RUPIAH_LABEL = r"^(?i:rp\.?|idr)\s*|\s*(?i:idr)$|,-$"
# The two ways of writing an amount that read either way: one mark followed by three digits. `150.000` is 150 with
# a decimal point and 150000 with thousands points; `150,000` the other way round.
POINT_OR_THOUSANDS = r"-?\d{1,3}\.\d{3}"
COMMA_OR_THOUSANDS = r"-?\d{1,3},\d{3}"


@dataclass(frozen=True)
class AmountStyle:
    """How revenue and spend amounts are read (the decimal_mark setting, and the file's separator).

    `decimal_comma`: the comma is the decimal mark and points group thousands (`1.500.000,50`), for every amount
    with `comma`, and under `auto` for the amounts that read either way in a semicolon-separated file (Excel writes
    one where the comma is the decimal mark). `auto`: an amount written in a way only one convention reads is read
    that way (`1.250.000` and `1.250.000,00` have thousands points, `1,250,000.50` thousands commas, `12,5` a decimal
    comma), money labels come off, and an amount that reads either way (`150.000`) is thousands when it is in
    Rupiah (an Rp or IDR label, or a text amount whose currency is IDR): Rupiah is written without decimals, so
    a mark followed by three digits groups thousands. Otherwise it is read as `decimal_comma` says."""

    decimal_comma: bool = False
    auto: bool = False


POINT_DECIMALS = AmountStyle()  # the decimal_mark setting `point`: commas group thousands, nothing else is guessed


def amount_style(decimal_mark: str, delimiter: str) -> AmountStyle:
    """The decimal_mark setting, read for a file with this separator."""
    return AmountStyle(
        decimal_comma=decimal_mark == "comma" or (decimal_mark == "auto" and delimiter == ";"),
        auto=decimal_mark == "auto",
    )


# An amount in parentheses, as bookkeeping exports write a refund or a discount (`(20.000)`, `Rp (20.000)`,
# `(Rp 20.000)`): negative. One pair, and no minus sign inside it as well.
ACCOUNTING_NEGATIVE = r"[^()]*\([^()]+\)[^()]*"


def number_sql(text: str, style: AmountStyle, rupiah: str = "false") -> str:
    """A finite DOUBLE from the SQL text expression `text`, NULL when it is no number (PLAIN_NUMBER); `rupiah` is an
    SQL truth that the amount is in Rupiah whatever its label (a text amount of an IDR row). Under `style.auto`, see
    `AmountStyle`. Otherwise with `style.decimal_comma`, a money label (COMMA_MONEY_LABEL) is taken off and
    POINT_GROUPED_NUMBER and DECIMAL_COMMA_NUMBER are read that way; without, COMMA_GROUPED_NUMBER. An amount in
    parentheses (ACCOUNTING_NEGATIVE) is the amount inside them, read so, made negative.
    `spend._parse_amount` is the same rule in Python."""
    unsigned = _unsigned_number_sql(text, style, rupiah)
    inner = _unsigned_number_sql(trimmed(f"replace(replace({text}, '(', ''), ')', '')"), style, rupiah)
    # The branch for parentheses runs only on the few rows that have one (a CASE branch runs on the rows taking it).
    return (
        f"CASE WHEN NOT contains({text}, '(') THEN {unsigned} "
        f"WHEN regexp_full_match({text}, '{ACCOUNTING_NEGATIVE}') AND {inner} >= 0 THEN 0 - {inner} END"
    )


def _unsigned_number_sql(text: str, style: AmountStyle, rupiah: str) -> str:
    """`number_sql` without the parentheses: a minus sign is the only sign read."""
    points, commas = style.auto or style.decimal_comma, style.auto or not style.decimal_comma  # which groupings read
    cases = []
    if style.auto:
        in_rupiah = f"({rupiah} OR regexp_matches({text}, '{RUPIAH_LABEL}'))"
        points_group = "true" if style.decimal_comma else in_rupiah
        commas_group = in_rupiah if style.decimal_comma else "true"
        text = f"regexp_replace({text}, '{MONEY_LABEL}', '', 'g')"
        cases += [
            f"WHEN regexp_full_match({text}, '{POINT_OR_THOUSANDS}') "
            f"THEN CASE WHEN {points_group} THEN replace({text}, '.', '') ELSE {text} END",
            f"WHEN regexp_full_match({text}, '{COMMA_OR_THOUSANDS}') "
            f"THEN CASE WHEN {commas_group} THEN replace({text}, ',', '') ELSE replace({text}, ',', '.') END",
        ]
    elif points:
        text = f"regexp_replace({text}, '{COMMA_MONEY_LABEL}', '', 'g')"
    if points:
        cases.append(
            f"WHEN regexp_full_match({text}, '{POINT_GROUPED_NUMBER}') THEN replace(replace({text}, '.', ''), ',', '.')"
        )
    if commas:
        cases.append(f"WHEN regexp_full_match({text}, '{COMMA_GROUPED_NUMBER}') THEN replace({text}, ',', '')")
    if points:
        cases.append(f"WHEN regexp_full_match({text}, '{DECIMAL_COMMA_NUMBER}') THEN replace({text}, ',', '.')")
    grouped = " ".join(cases)
    plain = f"CASE {grouped} WHEN regexp_full_match({text}, '{PLAIN_NUMBER}') THEN {text} END"
    # A cast past DOUBLE's range (1e999) is NULL, not infinity.
    return f"CASE WHEN isfinite(try_cast({plain} AS DOUBLE)) THEN try_cast({plain} AS DOUBLE) END"


# Times as numbers since 1970-01-01 UTC (app and product-analytics exports; GA4's BigQuery export writes
# `event_timestamp` in microseconds), named in the timestamp_formats setting: the text each takes, and how many of
# it make a second. Digits are bounded so no value is out of TIMESTAMP's range. to_timestamp rounds to the nearest
# microsecond, so a DOUBLE of seconds keeps all sixteen digits of a time in microseconds (checked on 1M of them).
EPOCH_FORMATS = {
    "epoch_seconds": (r"-?\d{1,11}(\.\d{1,6})?", "1"),
    "epoch_milliseconds": (r"-?\d{1,14}(\.\d{1,3})?", "1000"),
    "epoch_microseconds": (r"-?\d{1,17}", "1000000"),
}


# A time that names its own zone: after the time of day, `Z`, an offset (`+07`, `+0700`, `+07:00`, also after a
# space, as Shopify and `date` write them) or a zone's name (`UTC`, `Asia/Jakarta`).
ZONED_TIME = r"(?i)\d:\d{2}(:\d{2}(\.\d+)?)?\s*(z|[+-]\d{2}(:?\d{2})?|[a-z][a-z0-9_/+-]*)$"


# How the message of a `no_identifier` row that names no one at all begins (not a masked or malformed e-mail or phone,
# which name someone, wrongly): the import counts those rows to offer `--keep-anonymous` (a till's walk-in sales).
NOBODY_NAMED = "none of "
# The anonymous_id of a row kept though it names no one (`--keep-anonymous`): this prefix and the row's event id.
ANONYMOUS_ROW = "row:"
# What a spreadsheet's cell holds for "none" (`-`, `N/A`, `tidak ada`): said of as no value, not as a malformed one.
NO_VALUE_RE = r"[^0-9a-z]*|n/?a|null|none|nil|tidak ada|kosong|belum ada"


# What a call log writes for a caller whose number was withheld (Aircall's `anonymous`, a PBX's `Private`, `Nomor
# pribadi`): a call that reached the call centre, but no person to tie it to. Its row is quarantined as any row
# without an identifier, with words that say it is no error to fix.
WITHHELD_PHONE_RE = (
    r"anonymous|anonim|private( number)?|unknown|withheld|restricted|hidden|unavailable|no caller id"
    r"|nomor pribadi|tidak dikenal|tidak diketahui|disembunyikan"
)


def _says_none(column: str) -> str:
    """SQL truth that the text column is missing, blank or a cell's word for none (NO_VALUE_RE)."""
    return f"coalesce(regexp_full_match(lower({trimmed(column)}), '{NO_VALUE_RE}'), true)"


# Indonesia's zone abbreviations, as Indonesian shops and apps write times (`09:00 WIB`), and GMT/UTC offsets as
# people write them (`09:00 GMT+7`, `UTC+08:00`): DuckDB knows neither form. WIT is matched after WITA is replaced.
LOCAL_ZONES = {"WIB": "+07:00", "WITA": "+08:00", "WIT": "+09:00"}
GMT_OFFSET = r"(?i)\s*(gmt|utc)\s*([+-])(\d{1,2})(:?(\d{2}))?$"
# What a time ends with when it names one of them: tested once per row, so the rewriting is paid only by those.
NAMED_OFFSET = r"(?i)(\dwi(b|ta|t)|\swi(b|ta|t)|(gmt|utc)\s*[+-]\d{1,2}(:?\d{2})?)$"


def _named_offset_sql(text: str) -> str:
    """`text` with a WIB/WITA/WIT or GMT±h at its end written as the ISO offset it stands for."""
    local = text
    for name, offset in LOCAL_ZONES.items():
        local = f"regexp_replace({local}, '(?i)\\s*{name}$', '{offset}')"
    sign, hours, minutes = (f"regexp_extract({local}, '{GMT_OFFSET}', {group})" for group in (2, 3, 5))
    gmt = (
        f"regexp_replace({local}, '{GMT_OFFSET}', '') || {sign} || lpad({hours}, 2, '0') || ':' "
        f"|| coalesce(nullif({minutes}, ''), '00')"
    )
    rewritten = f"CASE WHEN regexp_matches({local}, '{GMT_OFFSET}') THEN {gmt} ELSE {local} END"
    return f"CASE WHEN regexp_matches({text}, '{NAMED_OFFSET}') THEN {rewritten} ELSE {text} END"


def _instant_sql(text: str) -> str:
    """An ISO-8601 text as TIMESTAMPTZ: in its own zone or offset when it names one, else in the session's zone
    (the timezone setting while importing); NULL when it is no such time. A WIB/WITA/WIT or GMT±h at its end is
    read as its offset (`_named_offset_sql`).

    A time without a zone is read as a plain TIMESTAMP and placed in the session's zone explicitly: DuckDB 1.5's
    text-to-TIMESTAMPTZ cast reads it in the zone an earlier row of the same vector named (`… 09:00 UTC`, then
    `… 09:00` read as 09:00 UTC, not Jakarta's), which shifted such rows silently.
    """
    text = _named_offset_sql(text)
    # `09:00+07:00` → `09:00:00+07:00`: ISO-8601 lets a time with a zone leave out its seconds; the cast does not.
    seconds = (
        rf"regexp_replace({text}, '^(\d{{4}}-\d{{2}}-\d{{2}}[Tt ]\d{{1,2}}:\d{{2}})(\s*[zZ+-]|\s+[A-Za-z])', '\1:00\2')"
    )
    # `09:00:00 +0700` → `09:00:00+0700`: the cast takes an offset only right after the time.
    joined = rf"regexp_replace({seconds}, '(\d)\s+([+-]\d{{2}}(:?\d{{2}})?)$', '\1\2')"
    return (
        f"CASE WHEN regexp_matches({text}, '{ZONED_TIME}') THEN try_cast({joined} AS TIMESTAMPTZ) "
        f"ELSE timezone(current_setting('TimeZone'), try_cast({text} AS TIMESTAMP)) END"
    )


# No order is worth more than this in any currency (10^15 rupiah is about 60 billion dollars): a larger revenue is
# two numbers run together, or ids in a column mapped to revenue, and would swamp every total it is summed into.
LARGEST_REVENUE = 1e15
# How far after the import an event's time may be (a clock a little fast, a time zone ahead): later, it is a typo.
FUTURE_TOLERANCE_HOURS = 24
# No event of a customer's journey is older than this: an earlier time is a stand-in for a missing one (0001-01-01 of
# .NET and Go, 1900-01-01 and 1899-12-30 of spreadsheets and SQL, 1970-01-01 of an epoch of 0), and 0001-01-01 at
# +07:00 is a UTC time before year 1, which no Python date holds.
EARLIEST_TIMESTAMP = "1990-01-01T00:00:00+00:00"


def _id_text(column: str) -> str:
    """An id as text, a whole number written as a float (`12345.0`: pandas writes an id column with gaps so) or after
    a spreadsheet's text mark (`'7001`: Shopify's customer export writes its ids so, lest Excel shorten them) as the
    whole number, as a workbook's cell is read: one customer is not two because one export had floats or marks."""
    unmarked = rf"regexp_replace({_blank(column)}, '^''([0-9]+)$', '\1')"
    return rf"regexp_replace({unmarked}, '^([0-9]+)\.0+$', '\1')"


# WooCommerce's order attribution (its orders list's `Origin`, since 8.5) labels where a buyer came from in words,
# not as a utm_source: `Source: Google` (a utm_source), `Organic: Google` (a search engine), `Referral:
# L.instagram.com` (the referring host) and `Direct`. Read as what they say, a channel rule can place them: as
# written, every label but a marketplace's host was Unassigned. Its other labels (`Web admin`, `Mobile app`,
# `Unknown`) say nothing of where and are kept as written.
WOOCOMMERCE_ORIGIN_RE = r"^(Source|Organic|Referral): *(\S.*)$"


def _origin_label_sql(source: str) -> str:
    """SQL: a WooCommerce origin label in `source` parsed once (WOOCOMMERCE_ORIGIN_RE), as a struct of its `kind`
    and what it `named` (both '' for a source that is no such label)."""
    return f"regexp_extract({_blank(source)}, {sql_text(WOOCOMMERCE_ORIGIN_RE)}, ['kind', 'named'])"


def _origin_sql(source: str, medium: str, referrer: str, parsed: str) -> dict[str, str]:
    """SQL for `source`, `medium` and `referrer` with a WooCommerce origin label in `source` read (`parsed` is its
    `_origin_label_sql`): a utm source, an organic search engine, a referrer (its host, read by the build as a web
    visit's referrer), or `(direct)` / `(none)`. A column the file gave keeps its value."""
    label = _blank(source)
    kind = f"{parsed}.kind"
    named = f"lower(trim({parsed}.named))"
    return {
        "source": f"CASE WHEN {kind} IN ('Source', 'Organic') THEN {named} WHEN {kind} = 'Referral' THEN NULL "
        f"WHEN {label} = 'Direct' THEN '(direct)' ELSE {label} END",
        "medium": f"coalesce({_blank(medium)}, CASE WHEN {kind} = 'Organic' THEN 'organic' "
        f"WHEN {label} = 'Direct' THEN '(none)' END)",
        "referrer": f"coalesce({_blank(referrer)}, "
        f"CASE WHEN {kind} = 'Referral' THEN 'https://' || {named} || '/' END)",
    }


# Indonesian month names and their usual short forms, as English strptime (%B, %b: Python's and DuckDB's) reads
# them: `25 Agustus 2026`, `1 Mei 2026`, `3 Okt 2026`. Names both languages share (April, Mar, Nov, …) need none.
INDONESIAN_MONTHS = {
    "januari": "January",
    "februari": "February",
    "pebruari": "February",
    "maret": "March",
    "mei": "May",
    "juni": "June",
    "juli": "July",
    "agustus": "August",
    "oktober": "October",
    "nopember": "November",
    "desember": "December",
    "agu": "Aug",
    "agt": "Aug",
    "ags": "Aug",
    "okt": "Oct",
    "nop": "Nov",
    "des": "Dec",
}
_MONTH_WORD = re.compile(r"\b(" + "|".join(INDONESIAN_MONTHS) + r")\b", re.IGNORECASE)


def names_months(time_format: str) -> bool:
    """Whether a strptime format reads a month's name (%b, %B, %h)."""
    return any(code in time_format for code in ("%b", "%B", "%h"))


def english_months(text: str) -> str:
    """`text` with Indonesian month names in English, for strptime.

    Example:
        >>> english_months("25 Agustus 2026, 1 mei 2026, 3 Okt 2026, 9 Nov 2026")
        '25 August 2026, 1 May 2026, 3 Oct 2026, 9 Nov 2026'
    """
    return _MONTH_WORD.sub(lambda found: INDONESIAN_MONTHS[found.group().lower()], text)


def english_months_sql(text: str) -> str:
    """`english_months` on the engine: one case-insensitive whole-word replacement per Indonesian name."""
    for indonesian, english in INDONESIAN_MONTHS.items():
        text = f"regexp_replace({text}, '(?i)\\b{indonesian}\\b', '{english}')"
    return text


def _time_format_sql(time_format: str, text: str) -> str:
    """A time's `text` (trimmed) read in one of the timestamp_formats setting's formats (NULL when it does not fit); a
    format that reads a month's name reads Indonesian ones too (`english_months_sql`)."""
    if names_months(time_format):
        text = english_months_sql(text)
    if time_format in EPOCH_FORMATS:
        pattern, per_second = EPOCH_FORMATS[time_format]
        # to_timestamp counts from UTC, so the time zone setting plays no part.
        return f"CASE WHEN regexp_full_match({text}, '{pattern}') THEN to_timestamp(try_cast({text} AS DOUBLE) / {per_second}) END"
    return f"CAST(try_strptime({text}, {sql_text(time_format)}) AS TIMESTAMPTZ)"


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
    amounts: AmountStyle = POINT_DECIMALS,
    timestamp_formats: Sequence[str] = (),
    keep_anonymous: bool = False,
) -> str:
    """SQL over the canonical relation: every event column typed, plus `_reason` / `_message` for bad rows.

    `raw_text` is the row's text over alias `c` (`table_raw_text_sql`, or the JSON line itself). `amounts` says how
    revenue is written (`number_sql`); an amount that was a number in the file (JSON, Parquet) is never read as
    Rupiah thousands, only text is (`_<amount>_is_text`, of each of AMOUNTS).
    A `timestamp` that is not ISO-8601 is tried with each of `timestamp_formats` (strptime) in turn.
    With `keep_anonymous`, a row that names no one (no id, and no e-mail or phone but a cell saying there is none)
    is a person of its own, `anonymous_id` ANONYMOUS_ROW and its event id, instead of `no_identifier`; a masked or
    malformed e-mail or phone is still quarantined (it names someone, wrongly).
    """
    # A JSON line names its identifiers as the Segment spec does; say so in those words (Mixpanel's, Amplitude's and
    # PostHog's exports are rewritten as Segment's first, `exports`; any other tool's ids are none of them).
    no_identifier = (
        f"'{NOBODY_NAMED}userId, anonymousId, traits.email or traits.phone (or context.traits) is given: jejak reads "
        "Segment-spec messages (docs/import-formats.md)'"
        if raw_text == JSONL_RAW_TEXT_SQL
        else f"'{NOBODY_NAMED}user_id, anonymous_id, email or phone is given'"
    )
    text_columns = [name for name in JSONL_FIELDS if name not in ("source_name",)]
    longest = (
        "greatest("
        + ", ".join(f"coalesce(strlen(c.{n}), 0)" for n in text_columns)
        + ", coalesce(strlen(c._extra), 0))"
    )
    types = ", ".join(sql_text(t) for t in EVENT_TYPES)
    # One try_strptime per format: given a list mixing formats with and without %z, DuckDB reads them all as one
    # type. A time without an offset becomes TIMESTAMPTZ in the session's zone, the timezone setting, as ISO ones do.
    # Each time's text trimmed once, in `texts`: each reading below names it several times (so is a source's
    # WooCommerce label parsed there once, for its source, medium and referrer).
    readings = [_instant_sql("c._time_text"), *(_time_format_sql(f, "c._time_text") for f in timestamp_formats)]
    ts = f"coalesce({', '.join(readings)})"
    hint = (
        " nor in a format of the timestamp_formats setting"
        if timestamp_formats
        else "; another format can be named in the timestamp_formats setting"
    )
    original = _instant_sql("c._original_text")
    sent = _instant_sql("c._sent_text")
    received = _instant_sql("c._received_text")
    # Segment's clock-skew correction: the device clock is off by (sent_at - received_at).
    corrected = f"CASE WHEN {received} IS NOT NULL AND {sent} IS NOT NULL AND {original} IS NOT NULL THEN {received} - ({sent} - {original}) END"
    timestamp = f"coalesce({corrected}, {ts}, {original})"
    # An empty CSV/Parquet cell is no value, as for every other column (not malformed JSON).
    json_text = {n: _blank(f"c.{n}") for n in ("properties", "context", "traits")}
    # A CASE, not AND/OR: outside a CASE DuckDB may run json_type on a text that is not JSON, and fail the chunk.
    object_check = " OR ".join(
        f"CASE WHEN {text} IS NULL THEN false WHEN NOT json_valid({text}) THEN true ELSE json_type({text}) <> 'OBJECT' END"
        for text in json_text.values()
    )
    has_id = (
        f"({_blank('c.user_id')} IS NOT NULL OR {_blank('c.anonymous_id')} IS NOT NULL "
        "OR e.hash IS NOT NULL OR p.hash IS NOT NULL)"
    )
    names_no_one = " AND ".join(
        [f"{_blank('c.user_id')} IS NULL", f"{_blank('c.anonymous_id')} IS NULL"]
        + [_says_none(f"c.{pii}") for pii in ("email", "phone")]
    )
    anonymous = f"(NOT {has_id} AND {names_no_one})" if keep_anonymous else "false"
    # A time this far past the import is no event yet: a typo, or a clock that is wrong (GA4 refuses events 72 hours
    # ahead). A day covers any time zone and a clock a little fast.
    latest = f"(TIMESTAMPTZ {sql_text(received_at_iso)} + INTERVAL {FUTURE_TOLERANCE_HOURS} HOUR)"
    earliest = f"TIMESTAMPTZ {sql_text(EARLIEST_TIMESTAMP)}"
    # What a track or offline event is, is its name: without one it would be stored as an activity no conversion,
    # funnel or stage rule can ever name (Segment's API refuses a track without `event` too). Page, screen, identify,
    # alias and group events are named by their type (`default_event`).
    nameless = f"(c._kind IN ('track', 'offline') AND {_blank('c.event')} IS NULL)"
    # An amount (AMOUNTS) given that is no number, or one past any order's: `wrong_type`, naming its column.
    amount_reasons = "\n      ".join(
        f"WHEN {_blank(f'c.{a}')} IS NOT NULL AND c._{a} IS NULL THEN 'wrong_type' "
        f"WHEN abs(c._{a}) > {LARGEST_REVENUE:.0f} THEN 'wrong_type'"
        for a in AMOUNTS
    )
    amount_messages = "\n      ".join(
        f"WHEN {_blank(f'c.{a}')} IS NOT NULL AND c._{a} IS NULL THEN '{a} ' || c.{a} || ' is not a number "
        "(setting decimal_mark: how amounts are written)' "
        f"WHEN abs(c._{a}) > {LARGEST_REVENUE:.0f} THEN '{a} ' || c.{a} || ' is more than 10^15, beyond any order: "
        f"two numbers run together, or a column of ids mapped to {a}?'"
        for a in AMOUNTS
    )
    # Each check once per row, in `checked`; the reason and its message then read the results.
    reason = f"""CASE
      WHEN c._pre_reason IS NOT NULL THEN c._pre_reason
      WHEN c._longest > {int(max_field_bytes)} THEN 'oversize_field'
      WHEN c._kind NOT IN ({types}) THEN 'unknown_type'
      {amount_reasons}
      WHEN c._bad_object THEN 'wrong_type'
      WHEN c._timestamp IS NULL THEN 'bad_timestamp'
      WHEN c._timestamp > {latest} THEN 'bad_timestamp'
      WHEN c._timestamp < {earliest} THEN 'bad_timestamp'
      WHEN NOT c._has_id THEN 'no_identifier'
      WHEN {nameless} THEN 'no_event_name'
    END"""
    message = f"""CASE
      WHEN c._pre_reason IS NOT NULL THEN c._pre_message
      WHEN c._longest > {int(max_field_bytes)} THEN 'a field is ' || c._longest || ' bytes long; the limit is {int(max_field_bytes)} (setting import_max_field_bytes)'
      WHEN c._kind NOT IN ({types}) THEN 'type ' || c._kind || ' is not one of {", ".join(EVENT_TYPES)}'
      {amount_messages}
      WHEN c._bad_object THEN 'properties, context and traits must be JSON objects'
      WHEN c._timestamp IS NULL THEN 'timestamp ' || coalesce('"' || c.timestamp || '"', 'is missing and') || ' is not an ISO-8601 date-time (e.g. 2026-03-01T09:00:00+07:00){hint}'
      WHEN c._timestamp > {latest} THEN 'timestamp "' || coalesce(c.timestamp, CAST(c._timestamp AS VARCHAR)) || '" is more than a day after this import: a typo in the year, or a device whose clock is wrong'
      WHEN c._timestamp < {earliest} THEN 'timestamp "' || coalesce(c.timestamp, CAST(c._timestamp AS VARCHAR)) || '" is before 1990: a stand-in for a missing time (0001-01-01, 1900-01-01, 1970-01-01), or a typo in the year. Give the row its real time, or leave it out'
      WHEN NOT c._has_id AND regexp_matches(c.phone, {sql_text(MASKED_PHONE_RE)}) THEN 'the phone given is masked (some of its digits are hidden, as a marketplace exports a buyer''s number: what is left would be another person''s number), and none of user_id, anonymous_id or email is given: map a column that tells buyers apart, such as the buyer''s username, to user_id (with --id-prefix shopee, so that it joins no other source''s id of the same text)'
      WHEN NOT c._has_id AND regexp_matches(c.email, {sql_text(MASKED_EMAIL_RE)}) THEN 'the e-mail given is masked (some of its letters are hidden, as a marketplace exports a buyer''s address), and none of user_id, anonymous_id or phone is given: map a column that tells buyers apart, such as the buyer''s username, to user_id (with --id-prefix shopee, so that it joins no other source''s id of the same text)'
      WHEN NOT c._has_id AND regexp_full_match(lower({trimmed("c.phone")}), '{WITHHELD_PHONE_RE}') THEN 'the caller''s number was withheld ("' || {trimmed("c.phone")} || '"), and none of user_id, anonymous_id or email is given: the call reached you, but no person can be tied to it. Nothing to fix: leave the row here, or dismiss it with jejak quarantine dismiss and its id from jejak quarantine list'
      WHEN NOT c._has_id AND NOT {_says_none("c.phone")} THEN 'the phone given is not a phone number (e.g. 0812-3456-7890 or +62 812 3456 7890; one in exponent notation, 6.28E+12, has lost its last digits: format the column as text in the spreadsheet and export again), and none of user_id, anonymous_id or email is given'
      WHEN NOT c._has_id AND {_blank("c.email")} IS NOT NULL THEN 'the e-mail given is not an e-mail address, and none of user_id, anonymous_id or phone is given'
      WHEN NOT c._has_id THEN {no_identifier}
      WHEN {nameless} THEN CASE c._kind WHEN 'offline' THEN 'an offline' ELSE 'a track' END || ' event needs a name (Order Completed, Store Visit), and this row''s event is blank: it could never count as a conversion or a step. Give it its name, or leave the row out'
    END"""
    default_event = (
        "CASE c._kind WHEN 'page' THEN 'Page Viewed' WHEN 'screen' THEN 'Screen Viewed' WHEN 'identify' THEN 'Identify' "
        "WHEN 'alias' THEN 'Alias' WHEN 'group' THEN 'Group' END"
    )
    page_url = _blank("c.page_url")
    # Evaluated only for rows without an event_id (a CASE branch runs on the rows that take it).
    deterministic_id = f"'h:' || md5({sql_text(source_name)} || chr(31) || {raw_text})"
    given_id = _blank("c.event_id")
    props = json_text["properties"]
    # Properties that are not JSON send the row to the quarantine; merging them must not fail the whole chunk.
    properties = (
        f"CASE WHEN c._extra IS NULL THEN {props} WHEN {props} IS NOT NULL AND NOT json_valid({props}) THEN {props} "
        f"ELSE CAST(json_merge_patch(coalesce({props}, '{{}}'), c._extra) AS VARCHAR) END"
    )
    strip_pii = '{"email": null, "phone": null}'
    # What the order's row says was refunded of it, as a positive number (a till writes it with a minus sign); none
    # when nothing was (Shopify writes 0.00 on every other order), so only refunded orders' properties say so.
    stated = "c._refunded_revenue"
    refunded = f"CASE WHEN {stated} <> 0 THEN json_object({sql_text(REFUNDED_PROPERTY)}, abs({stated})) END"
    row_currency = f"upper(coalesce({_blank('c.currency')}, {sql_text(currency)}))"  # its own, else the setting's
    # Each amount (AMOUNTS) read as `_<amount>`; Rupiah thousands only where it was text in an IDR row.
    idr = sql_text("IDR")
    parsed_amounts = ",\n    ".join(
        f"{number_sql(trimmed(f'c.{a}'), amounts, f'(c._{a}_is_text AND {row_currency} = {idr})')} AS _{a}"
        for a in AMOUNTS
    )
    agent = _agent_sql("user_agent")
    origin = _origin_sql("c.source", "c.medium", "c.referrer", "c._origin")
    return f"""
WITH agents AS (
  SELECT user_agent AS _agent, {agent["device"]} AS _ua_device, {agent["os"]} AS _ua_os, {agent["browser"]} AS _ua_browser
  FROM (SELECT DISTINCT user_agent FROM {canonical} WHERE user_agent IS NOT NULL)
), texts AS (
  SELECT *, {trimmed("timestamp")} AS _time_text, {trimmed("original_timestamp")} AS _original_text,
    {trimmed("sent_at")} AS _sent_text, {trimmed("received_at")} AS _received_text,
    {_origin_label_sql("source")} AS _origin
  FROM {canonical}
), checked AS (
  SELECT c.*, a._ua_device, a._ua_os, a._ua_browser,
    e.hash AS _email_hash,
    p.hash AS _phone_hash,
    {longest} AS _longest,
    lower(coalesce({_blank("c.type")}, 'track')) AS _kind,
    {parsed_amounts},
    {object_check} AS _bad_object,
    {timestamp} AS _timestamp,
    {received} AS _received,
    {has_id} OR {anonymous} AS _has_id,
    {anonymous} AS _anonymous
  FROM texts AS c
  LEFT JOIN (SELECT raw, hash FROM {pii_map} WHERE kind = 'email') AS e ON e.raw = c.email
  LEFT JOIN (SELECT raw, hash FROM {pii_map} WHERE kind = 'phone') AS p ON p.raw = c.phone
  LEFT JOIN agents AS a ON a._agent = c.user_agent
)
SELECT
  {reason} AS _reason,
  {message} AS _message,
  c._line AS _line,
  CASE WHEN {given_id} IS NOT NULL THEN {given_id} ELSE {deterministic_id} END AS event_id,
  c._kind AS type,
  coalesce({_blank("c.event")}, {default_event}) AS event,
  c._timestamp AS timestamp,
  coalesce(c._received, TIMESTAMPTZ {sql_text(received_at_iso)}) AS received_at,
  {_id_text("c.user_id")} AS user_id,
  CASE WHEN c._anonymous THEN {sql_text(ANONYMOUS_ROW)} || CASE WHEN {given_id} IS NOT NULL THEN {given_id} ELSE {deterministic_id} END
       ELSE {_id_text("c.anonymous_id")} END AS anonymous_id,
  {_id_text("c.previous_id")} AS previous_id,
  c._email_hash AS email_hash,
  c._phone_hash AS phone_hash,
  {origin["source"]} AS source,
  {origin["medium"]} AS medium,
  {_blank("c.campaign")} AS campaign,
  {_blank("c.term")} AS term,
  {_blank("c.content")} AS content,
  {origin["referrer"]} AS referrer,
  {page_url} AS page_url,
  coalesce({_blank("c.page_path")}, nullif(regexp_extract({page_url}, '^[a-zA-Z][a-zA-Z0-9+.-]*://[^/?#]+([^?#]*)', 1), ''),
           CASE WHEN {page_url} IS NOT NULL THEN '/' END) AS page_path,
  {_blank("c.page_title")} AS page_title,
  {_blank("c.channel")} AS channel,
  coalesce(lower({_blank("c.touchpoint")}), CASE WHEN c._kind = 'offline' THEN 'offline' ELSE 'online' END) AS touchpoint,
  {_device_type_sql()} AS device_type,
  coalesce(nullif({trimmed("c.os")}, ''), c._ua_os) AS os,
  coalesce(nullif({trimmed("c.browser")}, ''), c._ua_browser) AS browser,
  c._revenue AS revenue,
  CASE WHEN c._revenue IS NOT NULL THEN {row_currency}
       ELSE upper({_blank("c.currency")}) END AS currency,
  CASE WHEN {refunded} IS NOT NULL AND ({properties} IS NULL OR json_valid({properties}))
       THEN CAST(json_merge_patch(coalesce({properties}, '{{}}'), '{strip_pii}', {refunded}) AS VARCHAR)
       WHEN json_valid({properties}) THEN CAST(json_merge_patch({properties}, '{strip_pii}') AS VARCHAR)
       ELSE {properties} END AS properties,
  CASE WHEN json_valid({json_text["context"]}) AND json_exists({json_text["context"]}, '$.traits')
       THEN CAST(json_merge_patch({json_text["context"]}, '{{"ip": null, "traits": {strip_pii}}}') AS VARCHAR)
       WHEN json_valid({json_text["context"]}) AND json_exists({json_text["context"]}, '$.ip')
       THEN CAST(json_merge_patch({json_text["context"]}, '{{"ip": null}}') AS VARCHAR)
       ELSE {json_text["context"]} END AS context,
  CASE WHEN json_valid({json_text["traits"]}) THEN CAST(json_merge_patch({json_text["traits"]}, '{strip_pii}') AS VARCHAR) END AS traits,
  coalesce({_blank("c.source_name")}, {sql_text(source_name)}) AS source_name,
  {sql_text(source_file)} AS source_file,
  c._line AS source_line
FROM checked AS c
"""


KNOWN_INPUT_COLUMNS = frozenset(INPUT_COLUMNS)
