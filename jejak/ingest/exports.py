"""Other analytics tools' raw event exports, rewritten as Segment messages: Mixpanel's, Amplitude's and PostHog's.

A business moving to jejak brings its history along. Mixpanel's raw export (`/api/2.0/export`, one JSON object a
line: `event`, `properties` with `time`, `distinct_id`, `$insert_id`, …) and Amplitude's (`/api/2/export`, a zip
of gzipped JSON lines: `event_type`, `event_time`, `user_id`, `device_id`, `event_properties`, …) and PostHog's
(its batch and file-download exports of events, JSON lines or Parquet: `uuid`, `event`, `distinct_id`, `timestamp`,
`properties`, `person_properties`, …) are not Segment's: read as they are, every line was quarantined for want of an identifier. The import finds which
tool wrote a file from its first line and rewrites each line as the Segment message it stands for, on the same line
of a staged copy, so quarantined rows keep their line numbers. A line that is no JSON object is copied as it is (and
quarantined as any bad line is). Nothing is dropped: a tool's properties stay the event's properties, and its own
fields that no Segment field takes go in under the tool's name (`mixpanel`, `amplitude`), but e-mails and phones,
which become traits and are stored hashed only.

How each tool's fields are read (docs/import-formats.md has the table):
- ids: Mixpanel's `$insert_id`, Amplitude's and PostHog's `uuid`, prefixed with the tool, so two tools' ids
  never meet; without one, the line's own text makes the id, as for any JSON line.
- people: Mixpanel's `$user_id` and `$device_id` (a `distinct_id` that is neither, the user id; `$device:…` the
  device); its `$identify`, `$create_alias` and `$merge` events join the ids they name, as Segment's alias does.
  Amplitude's `user_id` and `device_id`; its `$identify` events are identify calls with the user properties as traits.
  PostHog's `distinct_id` (the user once `$is_identified`, else the device, as `$device_id`); its `$identify`
  (with `$anon_distinct_id`), `$create_alias` and `$merge_dangerously` events join ids.
- times: Mixpanel's `time` in seconds or milliseconds since 1970 (UTC); Amplitude's `event_time` (UTC).
- web context: the page, referrer, UTM fields, operating system and the kind of device, where the tool has them.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from jejak.core.jsontext import loads
from jejak.ingest.identifiers import EMAIL_PATTERN

MIXPANEL, AMPLITUDE, POSTHOG = "mixpanel", "amplitude", "posthog"
# The columns of PostHog's events model (batch exports, file downloads) that say a file is one.
_POSTHOG_COLUMNS = ("uuid", "event", "distinct_id", "timestamp", "properties")
# The Segment fields whose presence on the first line says a file is Segment's own, whatever else it has.
_SEGMENT_KEYS = ("type", "messageId", "userId", "anonymousId", "timestamp")
_UTM = {
    "utm_source": "source",
    "utm_medium": "medium",
    "utm_campaign": "name",
    "utm_term": "term",
    "utm_content": "content",
}
# Mixpanel's own properties that become Segment fields (the rest stay properties, as they were).
_MIXPANEL_PAGE_VIEW = "$mp_web_page_view"
_MIXPANEL_PII = {"$email": "email", "$phone": "phone"}
_MILLISECONDS_FROM = 1e11  # a `time` above this counts milliseconds: 1e11 seconds is the year 5138
_MOBILE_PLATFORMS = ("ios", "android")
_AMPLITUDE_PAGE_VIEW = "[Amplitude] Page Viewed"  # the browser SDK's own page views


def export_kind(path: Path, file_format: str = "jsonl") -> str | None:
    """`mixpanel`, `amplitude` or `posthog` when a JSON Lines file's first line is that tool's raw export (or a
    Parquet file has PostHog's events columns), else None."""
    if file_format == "parquet":
        try:
            names = set(pq.read_schema(path).names)
        except Exception:  # not Parquet: its reader says so
            return None
        return POSTHOG if names >= set(_POSTHOG_COLUMNS) else None
    try:
        with path.open("rb") as handle:
            first = next((line for line in handle if line.strip()), b"")
        line = loads(first.decode("utf-8", errors="replace").removeprefix("\ufeff"))
    except (OSError, ValueError):
        return None
    if not isinstance(line, dict):
        return None
    if all(key in line for key in _POSTHOG_COLUMNS) and not any(key in line for key in ("type", "messageId")):
        return POSTHOG  # PostHog's `timestamp` is Segment's name too: its own fields tell it apart
    if any(key in line for key in _SEGMENT_KEYS):
        return None
    properties = line.get("properties")
    if "event" in line and isinstance(properties, dict) and ("distinct_id" in properties or "time" in properties):
        return MIXPANEL
    if "event_type" in line and ("event_time" in line or "client_event_time" in line):
        return AMPLITUDE
    return None


def rewrite_as_segment(path: Path, kind: str, directory: Path) -> Path:
    """`path` rewritten line by line as Segment messages into `directory`, under its own name (see the module); a
    Parquet file (PostHog's) a row a line, its line numbers its rows'."""
    converters: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
        MIXPANEL: _from_mixpanel,
        AMPLITUDE: _from_amplitude,
        POSTHOG: _from_posthog,
    }
    convert = converters[kind]
    target = directory / path.name
    if kind == POSTHOG and _is_parquet(path):
        with target.open("wb") as written:
            for batch in pq.ParquetFile(path).iter_batches(batch_size=65_536):
                for row in batch.to_pylist():
                    written.write(json.dumps(convert(row), ensure_ascii=False, default=str).encode("utf-8") + b"\n")
        return target
    with path.open("rb") as source, target.open("wb") as written:
        for raw in source:
            try:
                line = loads(raw.decode("utf-8").removeprefix("\ufeff"))
            except ValueError:  # no JSON, or no UTF-8: as it is, for the reader to quarantine with its reason
                written.write(raw if raw.endswith(b"\n") else raw + b"\n")
                continue
            message = convert(line) if isinstance(line, dict) else line
            written.write(json.dumps(message, ensure_ascii=False).encode("utf-8") + b"\n")
    return target


def _is_parquet(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(4) == b"PAR1"


def _object(value: Any) -> dict[str, Any]:
    """A JSON object, or the JSON text of one (Parquet exports keep objects as text), as a dict; else empty."""
    if isinstance(value, str):
        try:
            value = loads(value)
        except ValueError:
            return {}
    return dict(value) if isinstance(value, dict) else {}


def unless_email(user_id: str | None, traits: dict[str, str | None]) -> str | None:
    """The user id, unless it is an e-mail (tools are often given one as the id): then it is the person's e-mail,
    stored hashed only, and there is no user id in clear."""
    if user_id is not None and EMAIL_PATTERN.fullmatch(user_id.strip()):
        traits["email"] = traits.get("email") or user_id
        return None
    return user_id


def field_text(value: Any) -> str | None:
    """A field's value as text, or None for a missing or empty one."""
    if value is None or isinstance(value, dict | list) or str(value).strip() == "":
        return None
    return str(value)


def _campaign(*sources: Mapping[str, Any]) -> dict[str, str | None]:
    """Segment's `context.campaign` from the UTM fields, each from the first of `sources` that has it."""
    return {
        name: next(filter(None, (field_text(source.get(key)) for source in sources)), None)
        for key, name in _UTM.items()
    }


def drop_empty(values: Mapping[str, Any]) -> dict[str, Any]:
    """A mapping without its None values and its empty objects."""
    kept = {}
    for key, value in values.items():
        if isinstance(value, dict):
            value = drop_empty(value)
        if value not in (None, {}):
            kept[key] = value
    return kept


def _epoch_iso(value: Any) -> str | None:
    """Seconds or milliseconds since 1970 as ISO-8601 in UTC, or None when it is no such number."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = float(value)
        return dt.datetime.fromtimestamp(number / (1000 if number > _MILLISECONDS_FROM else 1), dt.UTC).isoformat()
    except (ValueError, OverflowError, OSError):
        return None


def _from_mixpanel(line: dict[str, Any]) -> dict[str, Any]:
    """One Mixpanel export line as a Segment message."""
    properties = _object(line.get("properties"))
    event = field_text(line.get("event"))
    traits = {name: field_text(properties.pop(key, None)) for key, name in _MIXPANEL_PII.items()}
    user_id, device_id = field_text(properties.get("$user_id")), field_text(properties.get("$device_id"))
    distinct_id = field_text(properties.get("distinct_id"))
    if distinct_id and distinct_id.startswith("$device:"):
        device_id = device_id or distinct_id.removeprefix("$device:")
    elif distinct_id and distinct_id != device_id and user_id is None:
        user_id = distinct_id
    user_id = unless_email(user_id, traits)
    if user_id is None:  # an e-mail as the id: not kept in clear among the properties either
        for key in ("distinct_id", "$user_id"):
            if EMAIL_PATTERN.fullmatch(str(properties.get(key, "")).strip()):
                properties.pop(key)
    message: dict[str, Any] = {
        "type": "page" if event == _MIXPANEL_PAGE_VIEW else "track",
        "event": None if event == _MIXPANEL_PAGE_VIEW else event,  # a page view is named as Segment's are
        "messageId": f"mp:{insert_id}" if (insert_id := field_text(properties.get("$insert_id"))) else None,
        "timestamp": _epoch_iso(properties.get("time")),
        "userId": user_id,
        "anonymousId": device_id,
        "context": {
            "page": {
                "url": field_text(properties.get("$current_url")),
                "referrer": _referrer(properties.get("$referrer")),
            },
            "campaign": _campaign(properties),
            "os": {"name": field_text(properties.get("$os"))},
            "traits": traits,
        },
        "properties": properties,
    }
    joined = _mixpanel_ids(event, properties)
    if joined is not None:  # an identity event: the two ids it names are one person
        _join(message, *joined, traits)
        for key in ("$identified_id", "alias"):  # no e-mail stays in clear among the properties
            if EMAIL_PATTERN.fullmatch(str(properties.get(key, "")).strip()):
                properties.pop(key)
    return drop_empty(message)


def _join(message: dict[str, Any], earlier: str, later: str, traits: dict[str, str | None]) -> None:
    """Make `message` the call that joins two ids: an alias, or, when the later id is an e-mail, the earlier id's
    identify call with that e-mail (hashed; `traits` is the message's context traits)."""
    if unless_email(later, traits) is None:
        message.update(type="identify", anonymousId=earlier, userId=None)
    else:
        message.update(type="alias", previousId=earlier, userId=later)


def _referrer(value: Any) -> str | None:
    text = field_text(value)
    return None if text == "$direct" else text  # Mixpanel's word for no referrer


def _mixpanel_ids(event: str | None, properties: Mapping[str, Any]) -> tuple[str, str] | None:
    """The (earlier, later) ids a Mixpanel identity event joins, or None for any other event."""
    pair: tuple[Any, Any] = (None, None)
    if event == "$identify":
        pair = (properties.get("$anon_distinct_id"), properties.get("$identified_id"))
    elif event == "$create_alias":
        pair = (properties.get("distinct_id"), properties.get("alias"))
    elif event == "$merge" and isinstance(ids := properties.get("$distinct_ids"), list) and len(ids) == 2:
        pair = (ids[0], ids[1])
    # `$device:ID` is how Mixpanel writes a device's id as a distinct_id: the device id is ID, as $device_id has it.
    earlier, later = (text.removeprefix("$device:") if (text := field_text(value)) else None for value in pair)
    return (earlier, later) if earlier and later else None


def _from_amplitude(line: dict[str, Any]) -> dict[str, Any]:
    """One Amplitude export line as a Segment message."""
    properties = _object(line.get("event_properties"))
    user_properties = _object(line.get("user_properties"))
    if field_text(line.get("revenue")) is not None and "revenue" not in properties:
        properties["revenue"] = line["revenue"]
    event = field_text(line.get("event_type"))
    when = field_text(line.get("event_time")) or field_text(line.get("client_event_time"))
    uuid = field_text(line.get("uuid")) or field_text(line.get("$insert_id"))
    campaign = _campaign(properties, user_properties)
    platform = (field_text(line.get("platform")) or "").lower()
    family = (field_text(line.get("device_family")) or field_text(line.get("device_type")) or "").lower()
    device = "tablet" if "ipad" in family or "tablet" in family else "mobile" if platform in _MOBILE_PLATFORMS else None
    traits = {name: field_text(user_properties.get(name)) for name in ("email", "phone")}
    user_id = unless_email(field_text(line.get("user_id")), traits)
    # Amplitude's own fields that no Segment field takes, kept under its name (ids, place, versions).
    own = {
        key: line[key]
        for key in ("amplitude_id", "session_id", "platform", "device_family", "device_type", "country", "city")
        if field_text(line.get(key)) is not None
    }
    message: dict[str, Any] = {
        "type": {"$identify": "identify", _AMPLITUDE_PAGE_VIEW: "page"}.get(event or "", "track"),
        "event": None if event in ("$identify", _AMPLITUDE_PAGE_VIEW) else event,
        "messageId": f"amp:{uuid}" if uuid else None,
        "timestamp": f"{when.replace(' ', 'T')}+00:00" if when and not _has_zone(when) else when,
        "userId": user_id,
        "anonymousId": field_text(line.get("device_id")),
        "context": {
            "page": {
                "url": field_text(properties.get("[Amplitude] Page URL"))
                or field_text(properties.get("[Amplitude] Page Location")),
                "path": field_text(properties.get("[Amplitude] Page Path")),
                "title": field_text(properties.get("[Amplitude] Page Title")),
                "referrer": field_text(user_properties.get("referrer")),
            },
            "campaign": campaign,
            "os": {"name": field_text(line.get("os_name"))},
            "device": {"type": device},
            "traits": traits,
        },
        "properties": {**properties, AMPLITUDE: own} if own else properties,
    }
    if event == "$identify":  # its user properties are what it sets: the person's traits (e-mail, phone hashed)
        message["traits"] = dict(user_properties)
    return drop_empty(message)


# PostHog's events that are no action of the person, but its identity calls.
_POSTHOG_PAGE_TYPES = {"$pageview": "page", "$screen": "screen"}
_POSTHOG_DEVICES = {"mobile": "mobile", "desktop": "desktop", "tablet": "tablet"}


def _from_posthog(line: dict[str, Any]) -> dict[str, Any]:
    """One row of PostHog's events model as a Segment message."""
    properties = _object(line.get("properties"))
    person = _object(line.get("person_properties"))
    sets = {**_object(line.get("set")), **_object(properties.get("$set"))}
    event = field_text(line.get("event"))
    distinct_id = field_text(line.get("distinct_id"))
    device_id = field_text(properties.get("$device_id"))
    identified = properties.get("$is_identified")
    user_id = None
    if distinct_id and distinct_id != device_id:
        if identified is False:
            device_id = device_id or distinct_id
        else:
            user_id = distinct_id
    traits = {name: field_text(sets.get(name)) or field_text(person.get(name)) for name in ("email", "phone")}
    user_id = unless_email(user_id, traits)
    when = field_text(line.get("timestamp"))
    own = {key: line[key] for key in ("person_id", "team_id") if field_text(line.get(key)) is not None}
    device = _POSTHOG_DEVICES.get((field_text(properties.get("$device_type")) or "").lower())
    message: dict[str, Any] = {
        "type": _POSTHOG_PAGE_TYPES.get(event or "", "track"),
        "event": None if event in _POSTHOG_PAGE_TYPES else event,  # named as Segment's page views are
        "messageId": f"ph:{uuid}" if (uuid := field_text(line.get("uuid"))) else None,
        "timestamp": f"{when.replace(' ', 'T')}+00:00" if when and not _has_zone(when) else when,
        "userId": user_id,
        "anonymousId": device_id,
        "context": {
            "page": {
                "url": field_text(properties.get("$current_url")),
                "path": field_text(properties.get("$pathname")),
                "referrer": _referrer(properties.get("$referrer")),
            },
            "campaign": _campaign(properties),
            "os": {"name": field_text(properties.get("$os"))},
            "device": {"type": device},
            "traits": traits,
        },
        "properties": {**_without_pii(properties), POSTHOG: own} if own else _without_pii(properties),
    }
    joined = _posthog_ids(event, distinct_id, properties)
    if joined is not None:  # an identity call: the two ids it names are one person
        _join(message, *joined, traits)
    elif event in ("$identify", "$set"):
        message.update(type="identify", event=None, traits=sets)
    return drop_empty(message)


def _has_zone(when: str) -> bool:
    """Whether an ISO time names its offset (`Z`, `+07:00`, `-0300`) after its time of day."""
    time_of_day = when.replace("T", " ").partition(" ")[2]
    return time_of_day.endswith(("Z", "z")) or "+" in time_of_day or "-" in time_of_day


def _without_pii(properties: Mapping[str, Any]) -> dict[str, Any]:
    """PostHog's properties without the person's `$set` (their e-mail and phone go to the traits, hashed)."""
    return {key: value for key, value in properties.items() if key not in ("$set", "$set_once")}


def _posthog_ids(event: str | None, distinct_id: str | None, properties: Mapping[str, Any]) -> tuple[str, str] | None:
    """The (earlier, later) ids a PostHog identity event joins, or None."""
    pair: tuple[Any, Any] = (None, None)
    if event == "$identify":
        pair = (properties.get("$anon_distinct_id"), distinct_id)
    elif event in ("$create_alias", "$merge_dangerously"):
        pair = (properties.get("alias"), distinct_id)
    earlier, later = field_text(pair[0]), field_text(pair[1])
    return (earlier, later) if earlier and later and earlier != later else None
