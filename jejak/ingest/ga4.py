"""GA4's BigQuery export (Parquet), flattened into jejak's event columns before it is read like any Parquet file.

A GA4 export has one row per event with nested fields: `event_params` (a list of key and value), `device`,
`geo`, `collected_traffic_source`, `ecommerce`, `items`, … The importer sees such a file (it has
`event_timestamp`, `event_name` and `user_pseudo_id`) and writes a flat copy into the staging directory, one
row per row in the same order (so each row keeps its line), which then goes through the usual validation:

- `timestamp`: `event_timestamp` (microseconds since 1970-01-01 UTC) as ISO-8601 in UTC;
- `type`: `page` for `page_view`, `screen` for `screen_view`, else `track`; `event`: GA4's page views and
  recommended e-commerce names become the names jejak's conversions, funnels and stages speak (Segment's:
  `page_view` → `Page Viewed`, `purchase` → `Order Completed`, `add_to_cart` → `Product Added`, …;
  `GA4_EVENT_NAMES`); others keep theirs;
- `user_id`; `anonymous_id` from `user_pseudo_id`;
- `page_url`, `referrer`, `page_title` from the `page_location`, `page_referrer` and `page_title` parameters;
- `source`, `medium`, `campaign`, `term`, `content` from `collected_traffic_source` (the event's own traffic
  source), else the event's `source`, `medium`, `campaign`, `term` and `content` parameters; an event with a
  Google Ads click id (`gclid`) and no source is `google` / `cpc`, as GA4 reads it;
- `device_type` (`desktop`, `mobile`, `tablet`, else `other`), `os` and `browser` from `device`;
- `revenue` of a purchase or refund: `ecommerce.purchase_revenue` (`refund_value`), else its `value` parameter;
  `currency` from the `currency` parameter;
- `event_id`: `ga4:` and the MD5 of the whole row as JSON, so re-importing an export, or one that overlaps it,
  adds nothing;
- `properties`: every event parameter, by key, GA4's own event name (`ga4_event`) and the order's
  `transaction_id` (the parameter, else `ecommerce.transaction_id`: what a refund names); `context`: the rest
  of the row (device, geo, app, items, user properties, …) as JSON, so nothing is dropped.

`user_properties` and the user-level `traffic_source` (the user's first acquisition) stay in `context`: a
touchpoint is the event's own source.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from jejak.core.errors import InputFileError
from jejak.core.jsontext import loads
from jejak.core.settings import Settings
from jejak.engine import PARQUET_COPY_OPTIONS, connect
from jejak.ingest.validate import sql_text

# The columns that make a Parquet file (or a JSON line) a GA4 export.
GA4_MARKERS = ("event_timestamp", "event_name", "user_pseudo_id")
# The typed fields of an event parameter's value, as GA4 writes them (one of them holds the value).
VALUE_FIELDS = ("string_value", "int_value", "double_value", "float_value")
FIRST_LINE_BYTES = 16 * 1024 * 1024  # what is read of a JSON Lines file to tell a GA4 export (a row is far smaller)
# GA4's recommended event names → the Segment e-commerce spec's, which jejak's defaults speak.
GA4_EVENT_NAMES = {
    "page_view": "Page Viewed",  # as jejak names a page view that has no name
    "screen_view": "Screen Viewed",
    "view_item_list": "Product List Viewed",
    "select_item": "Product Clicked",
    "view_item": "Product Viewed",
    "search": "Products Searched",
    "add_to_cart": "Product Added",
    "remove_from_cart": "Product Removed",
    "add_to_wishlist": "Product Added to Wishlist",
    "view_cart": "Cart Viewed",
    "begin_checkout": "Checkout Started",
    "add_shipping_info": "Checkout Step Completed",
    "add_payment_info": "Payment Info Entered",
    "purchase": "Order Completed",
    "refund": "Order Refunded",
    "view_promotion": "Promotion Viewed",
    "select_promotion": "Promotion Clicked",
    "sign_up": "Signed Up",
    "login": "Signed In",
    "share": "Product Shared",
}


def is_ga4_export(path: Path) -> bool:
    """Whether a Parquet file is a GA4 BigQuery export (it has GA4_MARKERS); False for a file that is not Parquet."""
    try:
        names = set(pq.read_schema(path).names)
    except Exception:  # not Parquet: the Parquet reader says so, with its own message
        return False
    return all(marker in names for marker in GA4_MARKERS)


def is_ga4_json(path: Path) -> bool:
    """Whether a JSON Lines file's first line is a GA4 BigQuery row (it has GA4_MARKERS), not a Segment message."""
    try:
        with path.open("rb") as handle:
            first = loads(handle.readline(FIRST_LINE_BYTES))
    except (OSError, ValueError):  # not JSON, or cut: the JSON Lines reader says what is wrong, line by line
        return False
    return isinstance(first, dict) and all(marker in first for marker in GA4_MARKERS)


def ga4_json_error(path: Path) -> InputFileError:
    """What to do with a GA4 export in JSON: BigQuery writes it with types jejak cannot read back whole."""
    return InputFileError(
        f"{path} is a GA4 BigQuery export in JSON. jejak reads GA4 exports as Parquet, whose nested types are "
        "exact: export the events table again with the Parquet format (BigQuery: Export → Parquet; or "
        "bq extract --destination_format PARQUET dataset.events_YYYYMMDD gs://…/events-*.parquet) and import that."
    )


def flatten_ga4(path: Path, target: Path, settings: Settings) -> Path:
    """Write the GA4 export at `path` as flat event columns to `target` (see the module docstring)."""
    schema = pq.read_schema(path)
    row = "g"
    fields = _fields(schema)

    def field(*names: str) -> str:
        """The nested field's SQL, or NULL when this export has no such field."""
        return ".".join([row, *names]) if ".".join(names) in fields else "NULL"

    # A parameter's value is in whichever of its typed fields this export has (`string_value`, `int_value`, …).
    kinds = [kind for kind in VALUE_FIELDS if f"event_params.value.{kind}" in fields]

    def value_text(value: str) -> str:
        return f"coalesce({', '.join(f'CAST({value}.{kind} AS VARCHAR)' for kind in kinds)})" if kinds else "NULL"

    def param(key: str) -> str:
        if "event_params.key" not in fields:
            return "NULL"
        return value_text(f"list_filter({row}.event_params, p -> p.key = '{key}')[1].value")

    def text(sql: str) -> str:
        return f"nullif(trim(CAST({sql} AS VARCHAR)), '')"

    renamed = " ".join(f"WHEN '{ga4}' THEN '{segment}'" for ga4, segment in GA4_EVENT_NAMES.items())
    name = f"{row}.event_name"
    clicked = f"coalesce({field('collected_traffic_source', 'gclid')}, {param('gclid')}) IS NOT NULL"
    source = f"coalesce({text(field('collected_traffic_source', 'manual_source'))}, {text(param('source'))})"
    medium = f"coalesce({text(field('collected_traffic_source', 'manual_medium'))}, {text(param('medium'))})"
    device = f"lower({text(field('device', 'category'))})"
    refund = field("ecommerce", "refund_value")
    parameters = (
        f"map_from_entries(list_transform({row}.event_params, p -> {{'k': p.key, 'v': {value_text('p.value')}}}))"
        if "event_params.key" in fields
        else "MAP {}"
    )
    columns = {
        "event_id": f"'ga4:' || md5(CAST(to_json({row}) AS VARCHAR))",
        # Not a whole number: no time, and the row is quarantined as bad_timestamp.
        "timestamp": f"strftime(make_timestamp(try_cast({row}.event_timestamp AS BIGINT)), '%Y-%m-%dT%H:%M:%S.%fZ')",
        "type": f"CASE {name} WHEN 'page_view' THEN 'page' WHEN 'screen_view' THEN 'screen' ELSE 'track' END",
        "event": f"CASE {name} {renamed} ELSE {name} END",
        "user_id": text(field("user_id")),
        "anonymous_id": text(f"{row}.user_pseudo_id"),
        "page_url": text(param("page_location")),
        "referrer": text(param("page_referrer")),
        "source": f"coalesce({source}, CASE WHEN {clicked} THEN 'google' END)",
        "medium": f"coalesce({medium}, CASE WHEN {clicked} THEN 'cpc' END)",
        "campaign": f"coalesce({text(field('collected_traffic_source', 'manual_campaign_name'))}, "
        f"{text(param('campaign'))})",
        "term": f"coalesce({text(field('collected_traffic_source', 'manual_term'))}, {text(param('term'))})",
        "content": f"coalesce({text(field('collected_traffic_source', 'manual_content'))}, {text(param('content'))})",
        "device_type": f"CASE WHEN {device} IN ('desktop', 'mobile', 'tablet') THEN {device} "
        f"WHEN {device} IS NOT NULL THEN 'other' END",
        "os": text(field("device", "operating_system")),
        "browser": text(field("device", "web_info", "browser")),
        "revenue": f"CASE {name} WHEN 'purchase' THEN coalesce({field('ecommerce', 'purchase_revenue')}, "
        f"try_cast({param('value')} AS DOUBLE)) WHEN 'refund' THEN coalesce({refund}, "
        f"try_cast({param('value')} AS DOUBLE)) END",
        "currency": text(param("currency")),
        # The order's id as a refund names it (`journeys.refunds`): GA4 keeps it in `ecommerce` as well as, or
        # instead of, a parameter. A NULL member is left out by the merge.
        "properties": f"CAST(json_merge_patch(to_json({parameters}), json_object('ga4_event', {name}, "
        f"'transaction_id', coalesce({text(param('transaction_id'))}, {text(field('ecommerce', 'transaction_id'))})))"
        " AS VARCHAR)",
        "context": f"CAST(json_merge_patch(to_json({row}), '{{\"event_params\": null}}') AS VARCHAR)",
    }
    select = ", ".join(f'{sql} AS "{column}"' for column, sql in columns.items())
    engine = connect(settings.replace(engine="duckdb"))
    try:
        # Rows in the file's order, so each keeps its line; the import's engine may reorder, this one must not.
        engine.execute_sql("SET preserve_insertion_order = true")
        # What does not fit in memory spills next to the flat copy, in the project's staging area.
        engine.execute_sql(f"SET temp_directory = {sql_text(str(target.parent / 'spill'))}")
        engine.execute_sql(
            f"COPY (SELECT {select} FROM read_parquet({sql_text(str(path))}) AS {row}) "
            f"TO {sql_text(str(target))} ({PARQUET_COPY_OPTIONS})"
        )
    except Exception as exc:  # DuckDB's own error types: the export is not shaped as GA4's
        raise InputFileError(
            f"{path} looks like a GA4 BigQuery export (it has {', '.join(GA4_MARKERS)}) but could not be read as "
            f"one: {exc}. Export the events table as Parquet from BigQuery, or map its columns with --map."
        ) from None
    finally:
        engine.close()
    return target


def _fields(schema: pa.Schema) -> set[str]:
    """Every field path of the schema (`device`, `device.web_info`, `device.web_info.browser`, …); a list's items'
    fields under the list's name (`event_params.key`, `event_params.value.string_value`)."""
    found: set[str] = set()

    def walk(prefix: str, kind: pa.DataType) -> None:
        found.add(prefix)
        if pa.types.is_list(kind) or pa.types.is_large_list(kind):
            walk(prefix, kind.value_type)
        elif pa.types.is_struct(kind):
            for child in kind:
                walk(f"{prefix}.{child.name}", child.type)

    for top in schema:
        walk(top.name, top.type)
    return found
