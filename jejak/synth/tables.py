"""Arrow tables of the CSV and Parquet files: which columns each file has, in which order.

The canonical file (`events.csv` / `events.parquet`) uses jejak's input column
names; the mixed-format CSVs use them too, except the marketplace export, whose
Indonesian headers need MARKETPLACE_COLUMN_MAP at import.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from jejak.synth.kinds import CALL_FILE, MARKETPLACE_FILE, STORE_FILE, SURVEY_FILE, WHATSAPP_FILE
from jejak.synth.properties import properties_json
from jejak.synth.render import Renderer, RowView

IntArray = npt.NDArray[np.int64]

CANONICAL_COLUMNS: tuple[str, ...] = (
    "event_id",
    "timestamp",
    "type",
    "event",
    "user_id",
    "anonymous_id",
    "previous_id",
    "email",
    "phone",
    "source",
    "medium",
    "campaign",
    "referrer",
    "page_url",
    "page_path",
    "page_title",
    "touchpoint",
    "device_type",
    "os",
    "user_agent",
    "revenue",
    "currency",
    "properties",
    "traits",
)
CSV_HEADERS: dict[str, tuple[str, ...]] = {
    MARKETPLACE_FILE: ("waktu", "id_pesanan", "id_pembeli", "no_hp", "toko", "acara", "total", "kategori", "produk"),
    WHATSAPP_FILE: ("timestamp", "type", "event", "phone", "source", "revenue", "currency", "properties"),
    STORE_FILE: (
        "timestamp",
        "type",
        "event",
        "user_id",
        "phone",
        "source",
        "touchpoint",
        "revenue",
        "currency",
        "properties",
    ),
    CALL_FILE: ("timestamp", "type", "event", "phone", "source", "touchpoint", "revenue", "currency", "properties"),
    SURVEY_FILE: ("timestamp", "type", "event", "email", "properties"),
}
MARKETPLACE_COLUMN_MAP: dict[str, str] = {
    "waktu": "timestamp",
    "id_pesanan": "event_id",
    "id_pembeli": "user_id",
    "no_hp": "phone",
    "toko": "source",
    "acara": "event",
    "total": "revenue",
}


def _revenue(renderer: Renderer, v: RowView, as_float: bool) -> Any:
    values, present = renderer.revenue(v)
    if as_float:
        return pa.array(values.astype(np.float64), mask=~present)
    return pa.array(values, mask=~present)


def _columns(renderer: Renderer, *, as_float: bool) -> dict[str, Callable[[RowView], Any]]:
    r = renderer
    return {
        "event_id": r.canonical_event_ids,
        "timestamp": r.timestamps,
        "type": r.types,
        "event": r.event_names,
        "user_id": r.user_ids,
        "anonymous_id": r.anonymous_ids,
        "previous_id": r.previous_ids,
        "email": r.emails,
        "phone": r.phones,
        "source": r.sources,
        "medium": r.mediums,
        "campaign": r.campaigns,
        "referrer": r.referrers,
        "page_url": r.page_urls,
        "page_path": r.page_paths,
        "page_title": r.page_titles,
        "touchpoint": r.touchpoints,
        "device_type": r.device_types,
        "os": r.operating_systems,
        "user_agent": r.user_agents,
        "revenue": lambda v: _revenue(r, v, as_float),
        "currency": r.currencies,
        "properties": lambda v: properties_json(r, v, with_revenue=False),
        "traits": r.traits,
    }


def canonical_table(renderer: Renderer, rows: IntArray, *, parquet: bool) -> Any:
    """All events of `rows` with the canonical columns (revenue is float64 in Parquet, integer in CSV)."""
    columns = _columns(renderer, as_float=parquet)
    view = renderer.view(rows)
    return pa.table({name: columns[name](view) for name in CANONICAL_COLUMNS})


def csv_table(renderer: Renderer, rows: IntArray, *, file_name: str) -> Any:
    """The rows of one mixed-format CSV file."""
    columns = _columns(renderer, as_float=False)
    view = renderer.view(rows)
    if file_name != MARKETPLACE_FILE:
        return pa.table({name: columns[name](view) for name in CSV_HEADERS[file_name]})
    return pa.table(
        {
            "waktu": renderer.timestamps(view, style="naive"),
            "id_pesanan": renderer.invoice_ids(view),
            "id_pembeli": renderer.user_ids(view),
            "no_hp": renderer.phones(view),
            "toko": renderer.sources(view),
            "acara": renderer.event_names(view),
            "total": _revenue(renderer, view, False),
            "kategori": renderer.product_categories(view),
            "produk": renderer.product_names(view),
        }
    )


def empty_row(file_name: str, values: dict[str, str | None]) -> Any:
    """A one-row table of a CSV file's columns (all text but revenue), for planting bad rows; cast it to the file's schema."""
    headers = CSV_HEADERS[file_name]
    data: dict[str, Any] = {}
    for name in headers:
        value = values.get(name)
        if name in ("revenue", "total"):
            data[name] = pa.array([None if value is None else int(value)], type=pa.int64())
        else:
            data[name] = pa.array([value], type=pa.string())
    return pa.table(data)
