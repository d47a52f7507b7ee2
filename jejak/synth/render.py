"""Field values of events as Arrow columns, shared by the canonical CSV/Parquet and the mixed files.

`Renderer.view(rows)` gathers everything known about some events (`rows` are
positions in `Events`) once; the column methods then answer "what is column X
for these rows", so every file format shows the same facts. Columns with few
distinct values come back dictionary-encoded, which CSV and Parquet writers take
without copying strings.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from jejak.synth import text
from jejak.synth.catalogue import (
    CURRENCY,
    MARKETPLACES,
    PAGES,
    PRODUCTS,
    SHOP_PHONE,
    SITE,
)
from jejak.synth.devices import MODELS, Devices
from jejak.synth.events import SHOP_PHONE_FORMAT, Events
from jejak.synth.identities import Identities
from jejak.synth.kinds import KINDS, ORDER_KINDS, PAGE_KINDS, EventKind, is_kind
from jejak.synth.landing import CAMPAIGN_QUERIES, CAMPAIGNS, REFERRERS, campaign_query_codes
from jejak.synth.population import Population
from jejak.synth.timeline import JAKARTA_OFFSET_SECONDS
from jejak.synth.touches import Touches

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

_KIND_TYPE = text.vocabulary([*(KINDS[k].type for k in EventKind), "screen"])
_SCREEN_TYPE = len(EventKind)
# Event names: page names first, then the name of every kind.
_EVENT_NAME = text.vocabulary([*(p.name for p in PAGES), *(KINDS[k].event for k in EventKind)])
_PAGE_PATH = text.vocabulary([p.path for p in PAGES])
_PAGE_TITLE = text.vocabulary([p.title for p in PAGES])
_PAGE_URL = text.vocabulary([SITE + p.path for p in PAGES])
_REFERRER = text.vocabulary(REFERRERS)
_SOURCE_BY_KIND = {
    EventKind.WA_CHAT: "whatsapp",
    EventKind.WA_ORDER: "whatsapp",
    EventKind.STORE_VISIT: "store",
    EventKind.STORE_ORDER: "store",
    EventKind.CALL: "call_centre",
    EventKind.CALL_ORDER: "call_centre",
}
_KIND_SOURCES = tuple(dict.fromkeys(_SOURCE_BY_KIND.values()))
# Sources: campaign sources, then the systems rows come from, then the marketplaces.
_SOURCE = text.vocabulary([*(c[0] for c in CAMPAIGNS), *_KIND_SOURCES, *MARKETPLACES])
_KIND_SOURCE_CODE = np.array(
    [len(CAMPAIGNS) + _KIND_SOURCES.index(_SOURCE_BY_KIND[k]) if k in _SOURCE_BY_KIND else -1 for k in EventKind]
)
_MEDIUM = text.vocabulary([c[1] for c in CAMPAIGNS])
_CAMPAIGN = text.vocabulary([c[2] for c in CAMPAIGNS])
_CAMPAIGN_QUERY = text.vocabulary(CAMPAIGN_QUERIES)
_PRODUCT_NAME = text.vocabulary([p.name for p in PRODUCTS])
_PRODUCT_CATEGORY = text.vocabulary([p.category for p in PRODUCTS])
_DEVICE_TYPE = text.vocabulary([m.device_type for m in MODELS])
_DEVICE_OS = text.vocabulary([m.os for m in MODELS])
_USER_AGENT = text.vocabulary([m.user_agent for m in MODELS])
_APP_CONTEXT = pa.array([m.app_context for m in MODELS], type=pa.string())  # authored JSON, not plain text
_OFFLINE = text.vocabulary(["offline"])
_CURRENCY = text.vocabulary([CURRENCY])
_IS_OFFLINE = np.array([KINDS[k].type == "offline" for k in EventKind])
_IS_ORDER = np.isin(np.arange(len(EventKind)), list(ORDER_KINDS))
_IS_PAGE = np.isin(np.arange(len(EventKind)), list(PAGE_KINDS))


def scatter(values: Any, present: BoolArray) -> Any:
    """Spread `values` (one per True in `present`) over all rows, null elsewhere."""
    index = np.cumsum(present) - 1
    return values.take(pa.array(np.where(present, index, 0), mask=~present))


class RowView:
    """Per-event facts of some rows, gathered once."""

    def __init__(self, renderer: Renderer, rows: IntArray) -> None:
        events, touches = renderer.events, renderer.touches
        self.rows = rows
        self.kind = events.kind[rows]
        self.touch = events.touch[rows]
        self.person = touches.person[self.touch]
        self.time = events.time[rows]
        self.page = events.page[rows]
        self.product = events.product[rows]
        self.device = events.device[rows]
        self.is_app = events.is_app[rows]
        self.has_user_id = events.has_user_id[rows]
        self.email_case = events.email_case[rows]
        self.phone_format = events.phone_format[rows]
        self._renderer = renderer

    def __len__(self) -> int:
        return int(self.rows.size)

    def subset(self, positions: IntArray) -> RowView:
        """The view of some of these rows."""
        return RowView(self._renderer, self.rows[positions])

    @cached_property
    def model(self) -> IntArray:
        """Device model of web and app rows, -1 elsewhere."""
        return np.where(self.device >= 0, self._renderer.devices.model.ravel()[np.maximum(self.device, 0)], -1)

    @cached_property
    def landing(self) -> BoolArray:
        """Landing page views of web touches (they carry referrer and campaign)."""
        return np.asarray((self.kind == EventKind.LANDING) & ~self.is_app, dtype=bool)

    @cached_property
    def campaign(self) -> IntArray:
        """utm campaign code of landing rows, -1 elsewhere."""
        return np.where(self.landing, self._renderer.touches.campaign[self.touch], -1)

    @cached_property
    def on_site(self) -> BoolArray:
        """Web (not app) rows that have a page."""
        return (self.page >= 0) & ~self.is_app

    @cached_property
    def is_order(self) -> BoolArray:
        """Order rows (they carry revenue)."""
        return np.asarray(_IS_ORDER[self.kind])


@dataclass(frozen=True)
class Renderer:
    """Everything needed to write any column of any event."""

    events: Events
    touches: Touches
    population: Population
    devices: Devices
    identities: Identities
    key: int

    def view(self, rows: IntArray) -> RowView:
        """Gather the facts of some rows."""
        return RowView(self, rows)

    def event_ids(self, v: RowView) -> Any:
        """`ev-` + 16 hex digits, unique per event (the Segment messageId in the JSONL)."""
        return text.hex_ids("ev-", text.mix64(v.rows.astype(np.uint64), self.key))

    def canonical_event_ids(self, v: RowView) -> Any:
        """`ev-...` ids, except marketplace orders, which keep their invoice number as in the marketplace export."""
        market = v.kind == EventKind.MARKETPLACE_ORDER
        return pc.coalesce(scatter(self.invoice_ids(v.subset(np.flatnonzero(market))), market), self.event_ids(v))

    def timestamps(self, v: RowView, *, style: str = "offset") -> Any:
        """`offset`: 2026-03-01T09:00:00+07:00; `naive`: 2026-03-01 09:00:00 (Jakarta); `utc`: ...Z with millis."""
        if style == "offset":
            return self.local_timestamps(v.time)
        if style == "naive":
            return text.iso_timestamps(v.time, offset_seconds=JAKARTA_OFFSET_SECONDS, suffix="", separator=" ")
        return self.utc_timestamps(v.time)

    def local_timestamps(self, seconds: IntArray) -> Any:
        """Jakarta timestamps with their offset (2026-03-01T09:00:00+07:00) of arbitrary epoch seconds."""
        return text.iso_timestamps(seconds, offset_seconds=JAKARTA_OFFSET_SECONDS, suffix="+07:00")

    def utc_timestamps(self, seconds: IntArray) -> Any:
        """Segment-style UTC timestamps of arbitrary epoch seconds."""
        return text.iso_timestamps(seconds, offset_seconds=0, suffix="Z", millis=True)

    def types(self, v: RowView) -> Any:
        """Event type; page kinds are `screen` in the app."""
        screen = v.is_app & _IS_PAGE[v.kind]
        return text.pick_dictionary(_KIND_TYPE, np.where(screen, _SCREEN_TYPE, v.kind))

    def event_names(self, v: RowView) -> Any:
        """Event name; page and screen views are named after the page, as Segment's `name`."""
        return text.pick_dictionary(_EVENT_NAME, np.where(_IS_PAGE[v.kind], v.page, len(PAGES) + v.kind))

    def user_ids(self, v: RowView) -> Any:
        """Account id (web, app), loyalty id (store) or marketplace buyer id, where the row knows it."""
        buyer = v.has_user_id & (v.kind == EventKind.MARKETPLACE_ORDER)
        member = v.has_user_id & is_kind(v.kind, (EventKind.STORE_VISIT, EventKind.STORE_ORDER))
        account = v.has_user_id & ~buyer & ~member
        ids = self.identities
        marketplace = self.population.marketplace
        return pc.coalesce(
            scatter(ids.user_ids(v.person[account]), account),
            scatter(ids.buyer_ids(v.person[buyer], marketplace[v.person[buyer]]), buyer),
            scatter(ids.member_ids(v.person[member]), member),
        )

    def anonymous_ids(self, v: RowView) -> Any:
        """The device's anonymousId (a UUID) for web and app rows."""
        present = v.device >= 0
        ids = v.device[present].astype(np.uint64)
        return scatter(text.uuids(text.mix64(ids, self.key + 1), text.mix64(ids, self.key)), present)

    def previous_ids(self, v: RowView) -> Any:
        """previousId of alias rows: the device's anonymousId."""
        alias = v.kind == EventKind.ALIAS
        return scatter(self.anonymous_ids(v.subset(np.flatnonzero(alias))), alias)

    def emails(self, v: RowView) -> Any:
        """E-mail as written on identify and survey rows."""
        present = v.email_case >= 0
        return scatter(self.identities.emails(v.person[present], v.email_case[present]), present)

    def phones(self, v: RowView) -> Any:
        """Phone as written; the shop's own number where a cashier typed it."""
        present = v.phone_format >= 0
        style = v.phone_format[present]
        shop = style == SHOP_PHONE_FORMAT
        real = self.identities.phones(v.person[present], np.where(shop, 0, style))
        return scatter(pc.if_else(pa.array(shop), SHOP_PHONE, real), present)

    def names(self, v: RowView) -> Any:
        """Full name on identify rows (identify traits), null elsewhere."""
        identify = v.kind == EventKind.IDENTIFY
        return scatter(self.identities.names(v.person[identify]), identify)

    def sources(self, v: RowView) -> Any:
        """utm_source of landings, else the system the row came from (whatsapp, store, call_centre, a marketplace)."""
        code = np.where(v.campaign >= 0, v.campaign, _KIND_SOURCE_CODE[v.kind])
        market = v.kind == EventKind.MARKETPLACE_ORDER
        offset = len(CAMPAIGNS) + len(_KIND_SOURCES)
        code = np.where(market, offset + self.population.marketplace[v.person], code)
        return text.pick_dictionary(_SOURCE, code)

    def mediums(self, v: RowView) -> Any:
        """utm_medium of landings."""
        return text.pick_dictionary(_MEDIUM, v.campaign)

    def campaigns(self, v: RowView) -> Any:
        """utm_campaign of landings."""
        return text.pick_dictionary(_CAMPAIGN, v.campaign)

    def referrers(self, v: RowView) -> Any:
        """Referrer of landings."""
        return text.pick_dictionary(_REFERRER, self.touches.referrer[v.touch], v.landing)

    def page_urls(self, v: RowView) -> Any:
        """Full url; a landing carries its utm query or gclid."""
        base = text.pick(_PAGE_URL, v.page, v.on_site)
        gclid = v.landing & self.touches.gclid[v.touch]
        tagged = (v.campaign >= 0) | gclid
        where = np.flatnonzero(tagged)
        gclid_values = text.hex_ids("?gclid=Cj0KCQjw", text.mix64(v.touch[gclid].astype(np.uint64), self.key + 2))
        tags = text.pick(
            _CAMPAIGN_QUERY, campaign_query_codes(v.campaign[where], v.page[where]), v.campaign[where] >= 0
        )
        query = pc.coalesce(tags, scatter(gclid_values, gclid[where]))
        return pc.coalesce(scatter(text.concat(base.take(pa.array(where)), query), tagged), base)

    def page_paths(self, v: RowView) -> Any:
        """Path of web rows."""
        return text.pick_dictionary(_PAGE_PATH, v.page, v.on_site)

    def page_titles(self, v: RowView) -> Any:
        """Title of web rows."""
        return text.pick_dictionary(_PAGE_TITLE, v.page, v.on_site)

    def touchpoints(self, v: RowView) -> Any:
        """`offline` for store and call-centre rows; null (derived as online) elsewhere."""
        return text.pick_dictionary(_OFFLINE, np.zeros(len(v), dtype=np.int64), _IS_OFFLINE[v.kind])

    def device_types(self, v: RowView) -> Any:
        """desktop, mobile or tablet for web and app rows."""
        return text.pick_dictionary(_DEVICE_TYPE, v.model)

    def operating_systems(self, v: RowView) -> Any:
        """Operating system for web and app rows."""
        return text.pick_dictionary(_DEVICE_OS, v.model)

    def user_agents(self, v: RowView) -> Any:
        """User agent for web and app rows."""
        return text.pick_dictionary(_USER_AGENT, v.model)

    def app_contexts(self, v: RowView) -> Any:
        """Segment mobile context members (app, device, os, library) for app rows."""
        return text.pick(_APP_CONTEXT, v.model, v.is_app)

    def revenue(self, v: RowView) -> tuple[IntArray, BoolArray]:
        """Order value in IDR and where it applies (order rows)."""
        return self.touches.value_idr[v.touch], v.is_order

    def currencies(self, v: RowView) -> Any:
        """IDR on order rows."""
        return text.pick_dictionary(_CURRENCY, np.zeros(len(v), dtype=np.int64), v.is_order)

    def order_ids(self, v: RowView) -> Any:
        """`KJ-` + 9 digits, one per touch."""
        return text.concat("KJ-", text.zero_padded(bijection9(v.touch, self.key), 9))

    def invoice_ids(self, v: RowView) -> Any:
        """Marketplace invoice numbers, e.g. `INV/20260301/MPL/482019374`."""
        day = pc.replace_substring(pc.utf8_slice_codeunits(self.timestamps(v, style="naive"), 0, 10), "-", "")
        return text.concat("INV/", day, "/MPL/", text.zero_padded(bijection9(v.touch, self.key + 3), 9))

    def product_categories(self, v: RowView) -> Any:
        """Category of the row's product (null when it has none)."""
        return text.pick_dictionary(_PRODUCT_CATEGORY, v.product)

    def product_names(self, v: RowView) -> Any:
        """Name of the row's product (null when it has none)."""
        return text.pick_dictionary(_PRODUCT_NAME, v.product)

    def traits(self, v: RowView) -> Any:
        """`{"name": ...}` for identify rows (e-mail and phone have their own columns)."""
        return text.concat('{"name":"', self.names(v), '"}')


def bijection9(values: IntArray, key: int) -> IntArray:
    """Distinct 9-digit numbers for distinct values below 10**9."""
    multiplier = 387_420_489  # 3**18, coprime to 10**9
    return (values.astype(np.int64) % 10**9 * multiplier + key % 10**9) % 10**9
