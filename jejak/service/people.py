"""One person at a time: find people by an identifier, and one person's profile and cross-channel timeline.

What a user types is matched the way the build joined identifiers (`identity.graph`): a
person id (`u:C0042`), a user id (`C0042`, node `1u:C0042`), an anonymous id (`2a:…`), or an
e-mail or phone, which are never stored in clear: they are normalised and hashed with the
project key exactly as import hashes them (`core.pii`), and the hash is looked up (`3e:…`,
`4p:…`). An e-mail or phone shared by too many user ids joins nobody (`shared_identifiers`);
a match on one says so.

A profile reads the build's tables filtered to the one person, and the lake for the event
properties and traits the build does not keep. The lake is partitioned by day, so only the
days the person has interactions on (the build's `events`), plus the first and last day they
were seen, are read; when that misses some of the person's events (an `identify` on a day
with nothing else), the rest of their days are read as well. The timeline is every lake event
of the person (interactions and identity calls), in time order: as many as the build's
`people.events` while the lake has not changed since the build.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Any

import ibis
import ibis.expr.types as ir

from jejak.core.pii import hmac_hex, normalise_email, normalise_phone
from jejak.core.vocabulary import KIND_PREFIX
from jejak.journeys.sessions import INTERACTION_TYPES, visits
from jejak.segments.features import person_features
from jejak.segments.personas import NO_PERSONA, assign_personas, load_personas
from jejak.segments.stages import current_stages
from jejak.segments.traits import PersonTraits, is_trait
from jejak.service.builds import OpenBuild, person_traits
from jejak.store.lake import reading_lake
from jejak.store.project import Project

Rows = list[dict[str, Any]]
Sections = dict[str, Rows]

KIND_WORDS = {"user_id": "user id", "anonymous_id": "anonymous id", "email": "e-mail", "phone": "phone"}
PHONE_LIKE = re.compile(r"[+0-9][0-9 ().-]{6,}")
# A timeline row: what the build's `events` knows of an interaction, plus what only the lake keeps.
TIMELINE_COLUMNS = (
    "timestamp",
    "type",
    "event",
    "channel",
    "source_name",
    "device_type",
    "os",
    "page_path",
    "revenue",
    "currency",
    "is_conversion",
    "stage",
    "session_id",
    "properties",
    "traits",
    "event_id",
)
BUILD_EVENT_COLUMNS = (
    "event_id", "position", "session_id", "timestamp", "type", "event", "page_path", "device_type", "channel",
    "is_conversion", "revenue", "stage",
)  # fmt: skip
# Read from the lake for an interaction (the rest comes from the build), and for an identity call (all of it).
INTERACTION_LAKE_COLUMNS = ("event_id", "source_name", "os", "currency", "properties", "traits")
LAKE_COLUMNS = (
    "event_id", "type", "event", "timestamp", "source_name", "device_type", "os", "page_path", "revenue", "currency",
    "properties", "traits",
)  # fmt: skip
# A person id no real person has (they start with a kind letter): the reference row for "now" in persona features.
NOW_ROW_ID = "(latest)"


def candidate_nodes(key: bytes, text: str) -> dict[str, str]:
    """The identity nodes a typed text can be (node → its kind), the e-mail and phone hashed as import does.

    Example:
        >>> sorted(candidate_nodes(b"k" * 32, "C0042"))
        ['1u:C0042', '2a:C0042']
        >>> [kind for kind in candidate_nodes(b"k" * 32, "Ana@Example.com ").values()]
        ['user_id', 'anonymous_id', 'email']
    """
    text = text.strip()
    nodes = {KIND_PREFIX["user_id"] + text: "user_id", KIND_PREFIX["anonymous_id"] + text: "anonymous_id"}
    email = normalise_email(text) if "@" in text else None
    if email:
        nodes[KIND_PREFIX["email"] + hmac_hex(key, email)] = "email"
    phone = normalise_phone(text) if PHONE_LIKE.fullmatch(text) else None
    if phone:
        nodes[KIND_PREFIX["phone"] + hmac_hex(key, phone)] = "phone"
    return nodes


def find_people(built: OpenBuild, text: str) -> Rows:
    """The people a typed identifier names (person id, user id, anonymous id, e-mail, phone), with how it matched."""
    text = text.strip()
    if not text:
        return []
    nodes = candidate_nodes(built.project.hmac_key(), text)
    identities = built.read("identities")
    found = built.rows(identities.filter(identities.node.isin(list(nodes))).select("node", "person_id"))
    how: dict[str, list[str]] = {}
    for row in found:
        how.setdefault(row["person_id"], []).append(KIND_WORDS[nodes[row["node"]]])
    people = built.read("people")
    wanted = [text, *how]
    rows = built.rows(
        people.filter(people.person_id.isin(wanted))
        .select("person_id", "first_seen_at", "last_seen_at", "events")
        .order_by("person_id")
    )
    matches = [
        {
            "person_id": row["person_id"],
            "matched_by": ", ".join(["person id"] if row["person_id"] == text else how.get(row["person_id"], [])),
            **{key: row[key] for key in ("first_seen_at", "last_seen_at", "events")},
        }
        for row in rows
    ]
    shared = built.read_if_built("shared_identifiers")
    if shared is not None:
        for row in built.rows(shared.filter(shared.node.isin(list(nodes))).select("node", "user_ids")):
            matches.append(
                {
                    "person_id": None,
                    "matched_by": f"{KIND_WORDS[nodes[row['node']]]}, shared by {row['user_ids']} user ids "
                    "(too many to join them: see the identity_max_people_per_identifier setting)",
                    "first_seen_at": None,
                    "last_seen_at": None,
                    "events": None,
                }
            )
    return matches


def recently_seen(built: OpenBuild, limit: int = 20) -> Rows:
    """The people seen last (a place to start when nothing is searched yet)."""
    people = built.read("people")
    latest = people.order_by([people.last_seen_at.desc(), people.person_id]).limit(limit)
    return built.rows(latest.select("person_id", "last_seen_at", "first_seen_at", "events"))


def _one(table: ir.Table, person_id: str) -> ir.Table:
    return table.filter(table.person_id == person_id)


def _identifiers(built: OpenBuild, person_id: str) -> Rows:
    """The person's identifiers: user and anonymous ids as they are, e-mails and phones only as (short) hashes."""
    identities = built.read("identities")
    rows = built.rows(_one(identities, person_id).select("node", "kind").order_by("node"))
    shown = []
    for row in rows:
        value = row["node"][3:]
        if row["kind"] in ("email", "phone"):
            value = f"hashed {value[:12]}…"
        shown.append({"kind": KIND_WORDS.get(row["kind"], row["kind"]), "identifier": value, "node": row["node"]})
    return shown


def _persona(built: OpenBuild, person_id: str, sessions: ir.Table) -> str:
    """The persona the rules give this person, computed on their rows only (with the build's own "now"); `sessions`
    are the person's."""
    personas = load_personas(built.project.sqlite_path)
    if not personas:
        return NO_PERSONA
    people = built.read("people")
    # Recency counts from the build's latest moment: a reference row carries it into the person's features.
    latest = people.order_by(people.last_seen_at.desc()).limit(1).mutate(person_id=ibis.literal(NOW_ROW_ID))
    features = person_features(
        _one(people, person_id).union(latest), sessions, _one(built.read("conversions"), person_id)
    )
    # Trait names are read only when a rule asks for a trait (reading them is a scan of the traits table).
    traits = person_traits(built) if any(is_trait(rule.feature) for p in personas for rule in p.rules) else None
    mine = PersonTraits(_one(traits.table, person_id), traits.names) if traits is not None else None
    assigned = assign_personas(features, personas, mine)
    rows = built.rows(assigned.filter(assigned.person_id == person_id))
    return str(rows[0]["persona"]) if rows else NO_PERSONA


def _day_files(project: Project, days: Sequence[dt.date]) -> list[str]:
    files: list[str] = []
    for day in sorted(set(days)):
        files += [str(path) for path in sorted((project.events_dir / f"date={day.isoformat()}").glob("part-*.parquet"))]
    return files


def _lake(built: OpenBuild, days: Sequence[dt.date]) -> ir.Table | None:
    """The lake's files of these days only (it is partitioned by UTC day), or None when there are none."""
    files = _day_files(built.project, days)
    return built.engine.backend.read_parquet(files, hive_partitioning=False) if files else None


def _blank(column: ir.StringValue) -> ir.BooleanValue:
    return column.isnull() | (column == "")


ORDER = (("user_id", "user_id"), ("anonymous_id", "anonymous_id"), ("email", "email_hash"), ("phone", "phone_hash"))


def _identity_calls(lake: ir.Table, nodes: Sequence[str], kinds: Sequence[str]) -> ir.Table | None:
    """The lake's identify, alias and group calls whose primary identifier is one of the person's nodes of `kinds`.

    The primary identifier decides an event's person (`identity.graph.event_nodes`): the user id,
    else the anonymous id, else the e-mail, else the phone. Each identifier is its own equality
    test, so the Parquet reader skips the day files whose bloom filters say it is not there.
    """
    values: dict[str, list[str]] = {}
    for node in nodes:
        values.setdefault(node[:3], []).append(node[3:])
    calls = lake.filter(~lake.type.isin(INTERACTION_TYPES))
    parts = []
    for place, (kind, column) in enumerate(ORDER):
        chosen = values.get(KIND_PREFIX[kind], [])
        if kind not in kinds or not chosen:
            continue
        before = [_blank(calls[earlier]) for _, earlier in ORDER[:place]]
        # One equality per value while there are few (the reader's bloom filters work on equalities).
        tests = [calls[column] == value for value in chosen] if len(chosen) <= 4 else [calls[column].isin(chosen)]
        parts += [calls.filter(test, *before).select(*LAKE_COLUMNS) for test in tests]
    return ibis.union(*parts) if parts else None


def _days(start: dt.datetime, end: dt.datetime) -> list[dt.date]:
    first, last = start.astimezone(dt.UTC).date(), end.astimezone(dt.UTC).date()
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


def _timeline(built: OpenBuild, person_id: str, person: dict[str, Any], nodes: Sequence[str]) -> Rows:
    """Every lake event of the person in time order, with what the build knows of each interaction."""
    events = built.read("events")
    # What the build knows of each interaction (a build from an older jejak may lack a column or two).
    known = [name for name in BUILD_EVENT_COLUMNS if name in events.columns]
    interactions = {row["event_id"]: row for row in built.rows(_one(events, person_id).select(*known))}
    all_days = _days(person["first_seen_at"], person["last_seen_at"])
    days = sorted(
        {row["timestamp"].astimezone(dt.UTC).date() for row in interactions.values()} | {all_days[0], all_days[-1]}
    )
    lake = _lake(built, days)
    found: dict[str, dict[str, Any]] = {}
    if lake is not None:
        ids = list(interactions) or [person_id[2:]]  # a person known only by a shared identifier is one event
        extra = lake.filter(lake.event_id.isin(ids)).select(*INTERACTION_LAKE_COLUMNS)
        for row in built.rows(extra):
            found[row["event_id"]] = {**row, **interactions.get(row["event_id"], {})}
    for event_id, row in interactions.items():
        found.setdefault(event_id, row)  # the build's own row, should its lake file be gone
    # The rest of the person's events are identity calls (identify, alias, group): look for as many as the
    # build counted, first by user id (nearly every call has one) on the days already read, then by the
    # other identifiers, then on the person's other days (each pass finds other events than the ones before).
    rest_days = [day for day in all_days if day not in set(days)]
    passes = ((days, ("user_id",)), (days, ("anonymous_id", "email", "phone")), (rest_days, [k for k, _ in ORDER]))
    for pass_days, kinds in passes:
        if len(found) >= person["events"] or not nodes:
            break
        table = lake if pass_days is days else _lake(built, pass_days)
        calls = _identity_calls(table, nodes, kinds) if table is not None else None
        for row in built.rows(calls) if calls is not None else []:
            found.setdefault(row["event_id"], row)
    timeline = [{column: row.get(column) for column in TIMELINE_COLUMNS} for row in found.values()]
    positions = {event_id: row.get("position") for event_id, row in found.items()}

    def order(row: dict[str, Any]) -> tuple[Any, ...]:
        position = positions.get(row["event_id"])
        return (row["timestamp"], position is None, position or 0, row["event_id"])

    return sorted(timeline, key=order)


def person_profile(built: OpenBuild, person_id: str) -> Sections | None:
    """A person's profile, identifiers, stage history, conversions, traits and timeline; None for no such person."""
    people = built.read("people")
    found = built.rows(_one(people, person_id))
    if not found:
        return None
    person = found[0]
    identifiers = _identifiers(built, person_id)
    milestones = built.read_if_built("person_stages")
    stages: Rows = []
    now: dict[str, Any] = {}
    if milestones is not None:
        # One scan of the table: the person's few rows are kept for the history and the current stage.
        mine = built.engine.materialize(_one(milestones, person_id), "person_page_stages")
        stages = built.rows(
            mine.select("stage", "stage_number", "first_at", "last_at", "interactions", "revenue").order_by(
                ["first_at", "stage_number"]
            )
        )
        current = built.rows(current_stages(mine))
        now = current[0] if current else {}
    conversions = built.read("conversions")
    bought = built.rows(
        _one(conversions, person_id)
        .select("conversion_at", "conversion_type", "revenue", "currency", "session_channel", "conversion_event_id")
        .order_by("conversion_at")
    )
    traits_table = built.read_if_built("person_traits")
    traits = (
        built.rows(_one(traits_table, person_id).select("trait", "value", "set_at").order_by("trait"))
        if traits_table is not None
        else []
    )
    # The person's few sessions are taken first, the table scanned once: the profile counts their visits (a customer
    # list's identify call is a session but no visit) and the persona's features read them twice.
    sessions = built.engine.materialize(_one(built.read("sessions"), person_id), "person_page_sessions")
    [visited] = built.rows(visits(sessions).aggregate(n=lambda t: t.count()))
    with reading_lake(built.project):  # the timeline reads the lake's own files: a removal waits for it
        timeline = _timeline(built, person_id, person, [row["node"] for row in identifiers])
    profile = {
        "person_id": person_id,
        "persona": _persona(built, person_id, sessions),
        "current_stage": now.get("current_stage"),
        "latest_stage": now.get("latest_stage"),
        "first_seen_at": person["first_seen_at"],
        "last_seen_at": person["last_seen_at"],
        "events": person["events"],
        "sessions": visited["n"],
        "conversions": len(bought),
        "revenue": sum(row["revenue"] or 0.0 for row in bought),
        # What the revenue is in: the import gives every revenue one (the `currency` setting when its row said none).
        "currency": ", ".join(sorted({str(row["currency"]) for row in bought if row["currency"]})) or None,
        "channels": ", ".join(sorted({row["channel"] for row in timeline if row["channel"]})),
        "devices": ", ".join(sorted({row["device_type"] for row in timeline if row["device_type"]})),
        "identifiers": person["identifiers"],
        "user_ids": person["user_ids"],
        "has_email": person["has_email"],
        "has_phone": person["has_phone"],
    }
    return {
        "profile": [profile],
        "identifiers": [{key: row[key] for key in ("kind", "identifier")} for row in identifiers],
        "stage_history": stages,
        "person_conversions": bought,
        "person_traits": traits,
        "timeline": timeline,
    }
