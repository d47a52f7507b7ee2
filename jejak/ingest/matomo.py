"""Matomo's visits log (`Live.getLastVisitsDetails`, JSON), rewritten as Segment messages: one for each action.

Matomo is the analytics a self-hosted shop most often runs already; its raw history is read from its API:
`index.php?module=API&method=Live.getLastVisitsDetails&idSite=1&period=range&date=2026-01-01,2026-03-31&format=JSON
&filter_limit=-1&token_auth=…` answers a JSON array of visits (or one visit a line, as JSON Lines). Read as Segment
messages, the whole array was one bad line. Each visit's `actionDetails` become the events, in its order:

- `action` (a page view) is a page; `event` a track named by its action (`eventAction`, as Segment names a UA
  event), its category, name and value in its properties; `goal` a track named by the goal (`goalName`), with its
  revenue; `ecommerceOrder` an `Order Completed` with its `order_id`, revenue, the site's currency and products;
  `ecommerceAbandonedCart` a `Cart Updated`, its value a property, not revenue (no order was placed); `search` a
  `Products Searched`; `outlink`, `download` and a content interaction (type 13) tracks of their own
  (MATOMO_EVENT_NAMES); any other type a track named by it, so that nothing is dropped. A visit listed without its
  actions (`doNotFetchActions=1`) is one `Visit`, at its first action's time, so its arrival still counts.
- the person: `visitorId` as the anonymous id, `userId` as the user id (an e-mail as the id becomes the person's
  e-mail, stored hashed only). A visit without a `visitorId` (the API hides it from a request without a token that
  may see it) is a person of its own.
- where the visit came from, on its first action only (the landing): a campaign's source, medium, name, keyword
  and content (`campaignSource` …, as the MarketingCampaignsReporting plugin adds them; else the campaign's name
  and keyword, `referrerName` and `referrerKeyword`); a search engine as its name / organic; a website's, a social
  network's or an AI assistant's address as the referrer, which the channel rules read. A direct visit says nothing.
- times: an action's `timestamp` is the site's local clock written as if it were seconds since 1970 (Matomo's issue
  22720), while the visit's `firstActionTimestamp` is the true one: the difference, rounded to a quarter hour, is
  the site's offset, taken off each action. A visit without either is read in the import's time zone.
- `messageId`: `matomo:` and the site, the visit and the action's place in it, so re-importing an export (or one
  that overlaps it) adds nothing.
- the device (`deviceType`: Desktop, Smartphone, Tablet, …) and operating system; the rest of the visit (its
  country, visit count, custom dimensions, …) is kept under `matomo` in its first action's properties, without its
  IP address, its device's configuration hash (`fingerprint`), its position and Matomo's display fields (icons,
  pretty times).

The quarantine counts lines of the rewritten copy: a bad action is found by its `matomo` visit id in the raw text.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import urllib.parse
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jejak.core.jsontext import loads
from jejak.ingest.exports import drop_empty, field_text, unless_email
from jejak.ingest.jsondocs import Unread, file_start, json_values

MATOMO = "matomo"
# The fields that make a JSON object one of Matomo's visits.
VISIT_KEYS = ('"idVisit"', '"actionDetails"')
# Where a visit begins: Matomo writes `idSite` first, then `idVisit` (first when a request hides `idSite`).
_VISIT_START = re.compile(r'\{\s*"id(?:Site|Visit)"\s*:')
# Matomo's action types → the events jejak names them (Segment's e-commerce spec where it has one).
MATOMO_EVENT_NAMES = {
    "ecommerceOrder": "Order Completed",
    "ecommerceAbandonedCart": "Cart Updated",
    "search": "Products Searched",
    "outlink": "Outlink Clicked",
    "download": "File Downloaded",
    "13": "Content Interaction",
    "visit": "Visit",  # a visit listed without its actions
}
VISIT = "visit"
# `deviceType` (English labels) → jejak's device types; others (console, TV, car browser, …) are `other`.
_DEVICE_TYPES = {
    "desktop": "desktop",
    "smartphone": "mobile",
    "phablet": "mobile",
    "feature phone": "mobile",
    "tablet": "tablet",
}
# The landing page's tags that give a campaign its source and medium when the visit does not (core Matomo keeps only
# the campaign's name and keyword), in the order Matomo reads them.
CAMPAIGN_TAG_PREFIXES = ("mtm_", "pk_", "utm_")
_QUARTER_HOUR_SECONDS = 900
_LARGEST_OFFSET_SECONDS = 14 * 3600  # UTC+14 is the farthest any zone is from UTC
# Fields the message itself carries, and Matomo's display-only ones, not repeated among the properties.
_ACTION_FIELDS = frozenset(
    {"type", "url", "pageTitle", "timestamp", "revenue", "orderId", "itemDetails", "goalName", "goalId",
     "eventCategory", "eventAction", "eventName", "eventValue", "siteSearchKeyword", "siteSearchCategory",
     "siteSearchCount", "icon", "iconSVG", "title", "subtitle"}
)  # fmt: skip
# Not kept with the visit: its actions (the events), its ids (the person), and what singles out a device or a place
# (the IP address, the device's configuration hash, a position).
_VISIT_FIELDS_LEFT_OUT = frozenset(
    {"actionDetails", "userId", "visitorId", "visitIp", "fingerprint", "latitude", "longitude", "location"}
)


def is_matomo_visits(path: Path) -> bool:
    """Whether a JSON (Lines) file starts with one of Matomo's visits: an array of them, or one a line."""
    start = file_start(path)
    return start[:1] in ("[", "{") and all(key in start for key in VISIT_KEYS)


def matomo_api_error(path: Path) -> str | None:
    """What Matomo's API answered instead of visits (`{"result": "error", "message": …}`: a token without access, a
    wrong idSite), or None for any other file."""
    start = file_start(path)
    try:
        answer = loads(start) if start.startswith("{") and start.endswith("}") else None
    except ValueError:
        return None
    message = answer.get("message") if isinstance(answer, dict) and answer.get("result") == "error" else None
    return message if isinstance(message, str) else None


def rewrite_matomo_visits(path: Path, directory: Path) -> Path:
    """`path`'s visits as Segment messages, one a line, into `directory` under its own name (see the module). A visit
    that is no JSON object, or a tail that is no JSON, is written as it is, for the reader to quarantine."""
    target = directory / path.name
    with target.open("w", encoding="utf-8") as written:
        for visit in json_values(path, _VISIT_START):
            if isinstance(visit, Unread):
                written.write(visit.text.replace("\n", " ") + "\n")
                continue
            messages = visit_messages(visit) if isinstance(visit, dict) else [visit]
            for message in messages:
                written.write(json.dumps(message, ensure_ascii=False) + "\n")
    return target


def visit_messages(visit: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One Matomo visit as the Segment messages of its actions (see the module)."""
    actions = [action for action in visit.get("actionDetails") or [] if isinstance(action, dict)]
    site, number = field_text(visit.get("idSite")) or "", field_text(visit.get("idVisit")) or ""
    traits: dict[str, str | None] = {}
    user_id = unless_email(field_text(visit.get("userId")), traits)
    visitor = field_text(visit.get("visitorId")) if visit.get("visitorId") is not False else None
    offset = _offset_seconds(visit, actions)
    if not actions:  # asked with doNotFetchActions=1: the visit itself, at its true first time, where it came from
        actions, offset = [{"type": VISIT, "timestamp": visit.get("firstActionTimestamp")}], 0
    device = _DEVICE_TYPES.get((field_text(visit.get("deviceType")) or "").lower())
    shared: dict[str, Any] = {
        "userId": user_id,
        "anonymousId": visitor or f"matomo-visit:{site}:{number}",
        "context": {
            "device": {"type": device or ("other" if field_text(visit.get("deviceType")) else None)},
            "os": {"name": field_text(visit.get("operatingSystemName"))},
            "traits": traits,
        },
    }
    own = {"idSite": visit.get("idSite"), "idVisit": visit.get("idVisit")}
    messages = []
    for place, action in enumerate(actions, start=1):
        told = _action_message(action, visit)
        message = {
            **shared,
            **told,
            "context": {**shared["context"], **told["context"]},
            "messageId": f"{MATOMO}:{site}:{number}:{place}",
            "timestamp": _time(action.get("timestamp"), offset),
        }
        properties = message.setdefault("properties", {})
        properties[MATOMO] = own
        if place == 1:  # the landing: where the visit came from, and the visit's own fields
            properties[MATOMO] = {**own, **_visit_fields(visit)}
            message["context"] = {**message["context"], **_arrival(visit, field_text(action.get("url")))}
            message["context"]["page"] = {**message["context"].get("page", {}), **_referrer(visit)}
        messages.append(drop_empty(message))
    return messages


def _action_message(action: Mapping[str, Any], visit: Mapping[str, Any]) -> dict[str, Any]:
    """The type, name, page and properties of one action."""
    kind = field_text(action.get("type")) or "action"
    page = {"url": field_text(action.get("url")), "title": field_text(action.get("pageTitle"))}
    kept = {key: value for key, value in action.items() if key not in _ACTION_FIELDS and not _is_display(key)}
    context: dict[str, Any] = {"page": page}
    if kind == "action":
        return {"type": "page", "context": context, "properties": kept}
    properties: dict[str, Any] = {}
    event = MATOMO_EVENT_NAMES.get(kind, kind)
    if kind == "event":
        event = field_text(action.get("eventAction")) or "Event"
        properties = {
            "category": action.get("eventCategory"),
            "label": action.get("eventName"),
            "value": action.get("eventValue"),
        }
    elif kind == "goal":
        event = field_text(action.get("goalName")) or f"Goal {field_text(action.get('goalId')) or ''}".strip()
        properties = {"goal_id": action.get("goalId"), "revenue": _positive(action.get("revenue"))}
    elif kind == "ecommerceOrder":
        properties = {
            "order_id": field_text(action.get("orderId")),
            "revenue": action.get("revenue"),
            "currency": field_text(visit.get("siteCurrency")),
            "products": _products(action.get("itemDetails")),
        }
    elif kind == "ecommerceAbandonedCart":
        properties = {
            "value": action.get("revenue"),
            "currency": field_text(visit.get("siteCurrency")),
            "products": _products(action.get("itemDetails")),
        }
    elif kind == "search":
        properties = {
            "query": action.get("siteSearchKeyword"),
            "category": action.get("siteSearchCategory"),
            "results": action.get("siteSearchCount"),
        }
    return {"type": "track", "event": event, "context": context, "properties": {**kept, **properties}}


def _is_display(key: str) -> bool:
    """Matomo's fields for its own screens: `serverTimePretty`, `deviceTypeIcon`, `browserIconSVG`, …"""
    return key.endswith(("Pretty", "Icon", "IconSVG"))


def _positive(value: Any) -> Any:
    """A goal's revenue, or None when it has none (Matomo writes 0)."""
    try:
        return value if float(value) > 0 else None
    except (TypeError, ValueError):
        return None


def _products(items: Any) -> list[dict[str, Any]] | None:
    """`itemDetails` as the Segment spec's products."""
    if not isinstance(items, list):
        return None
    return [
        drop_empty(
            {
                "product_id": item.get("itemSKU"),
                "sku": item.get("itemSKU"),
                "name": item.get("itemName"),
                "category": item.get("itemCategory"),
                "price": item.get("price"),
                "quantity": item.get("quantity"),
            }
        )
        for item in items
        if isinstance(item, dict)
    ]


def _offset_seconds(visit: Mapping[str, Any], actions: list[dict[str, Any]]) -> int | None:
    """How far the site's clock is from UTC, as the visit's true first and last times against its actions' (see the
    module); None when the visit does not say."""
    times = [number for action in actions if (number := _number(action.get("timestamp"))) is not None]
    pairs = (
        (_number(visit.get("firstActionTimestamp")), min(times, default=None)),
        (_number(visit.get("lastActionTimestamp")), max(times, default=None)),
    )
    for true, local in pairs:
        if true is not None and local is not None:
            offset = round((local - true) / _QUARTER_HOUR_SECONDS) * _QUARTER_HOUR_SECONDS
            return int(offset) if abs(offset) <= _LARGEST_OFFSET_SECONDS else 0
    return None


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _time(value: Any, offset: int | None) -> str | None:
    """An action's time: in UTC when the site's offset is known, else its clock time with no zone (the import's
    time zone reads it)."""
    seconds = _number(value)
    if seconds is None:
        return field_text(value)
    try:
        clock = dt.datetime.fromtimestamp(seconds, dt.UTC)
    except (OverflowError, OSError, ValueError):
        return field_text(value)
    if offset is None:
        return clock.replace(tzinfo=None).isoformat()
    return (clock - dt.timedelta(seconds=offset)).isoformat()


def _arrival(visit: Mapping[str, Any], landing_url: str | None) -> dict[str, Any]:
    """`context.campaign` of a visit from a campaign (its source and medium, else the landing page's tags) or a
    search engine."""
    kind = field_text(visit.get("referrerType"))
    name = field_text(visit.get("referrerName"))
    if kind == "campaign":
        tags = urllib.parse.parse_qs(urllib.parse.urlsplit(landing_url or "").query)
        campaign = {
            "source": field_text(visit.get("campaignSource")) or _first_tag(tags, "source"),
            "medium": field_text(visit.get("campaignMedium")) or _first_tag(tags, "medium"),
            "name": field_text(visit.get("campaignName")) or name,
            "term": field_text(visit.get("campaignKeyword")) or field_text(visit.get("referrerKeyword")),
            "content": field_text(visit.get("campaignContent")),
        }
        return {"campaign": campaign}
    if kind == "search" and name:
        return {"campaign": {"source": name.lower(), "medium": "organic"}}
    return {}


def _first_tag(tags: Mapping[str, list[str]], part: str) -> str | None:
    """A campaign tag of the landing page, as Matomo reads them (`mtm_source`, `pk_source`, `utm_source`, …)."""
    names = [prefix + part for prefix in CAMPAIGN_TAG_PREFIXES]
    return next((tags[name][0] for name in names if name in tags), None)


def _referrer(visit: Mapping[str, Any]) -> dict[str, Any]:
    """The page's referrer for a visit from a website, a social network, an AI assistant or a search engine."""
    if field_text(visit.get("referrerType")) in (None, "direct", "campaign"):
        return {}
    address = field_text(visit.get("referrerUrl")) or field_text(visit.get("referrerSocialNetworkUrl"))
    name = field_text(visit.get("referrerName"))
    if address is None and name and field_text(visit.get("referrerType")) == "website":
        address = f"https://{name}/"  # a website's name is its host
    return {"referrer": address}


def _visit_fields(visit: Mapping[str, Any]) -> dict[str, Any]:
    """The visit's own fields kept with its first action: not its actions, IP address, ids or display fields."""
    return {key: value for key, value in visit.items() if key not in _VISIT_FIELDS_LEFT_OUT and not _is_display(key)}
