"""The one ordered list of processing steps: event lake in, derived tables out.

    events ─▶ identities ─▶ people ─▶ sessions ─▶ touchpoints ─▶ conversions ─▶ journey touches ─▶ journeys ─▶ paths
                    │                     │                            └─ less the refunds that name them
                    │                     └─▶ event stream with stages (funnels, flows) ─▶ person stages, feedback
                    └─▶ person traits (identify events' traits, each person's latest value)

Each step builds Ibis expressions; this module is where they execute, on the
engine the settings name. Every table of a build is written under a fresh build
directory and published with one atomic rename.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, TypeVar

import ibis
import ibis.expr.types as ir

from jejak.core.clock import utc_now
from jejak.core.errors import LakeError
from jejak.core.settings import Settings
from jejak.core.vocabulary import ACQUISITION_COLUMNS, REFUNDED_PROPERTY
from jejak.engine import Engine, connect
from jejak.identity.graph import IdentityResult, assign_people, resolve_identities
from jejak.ingest.compaction import compact_lake, needs_compaction
from jejak.journeys.channels import ChannelRule, offline_by_channel, rules_from_config
from jejak.journeys.events import event_stream
from jejak.journeys.journeys import (
    SESSION_COLUMNS,
    conversions,
    journey_parts,
    journey_touches,
    journeys_from_parts,
    touchpoints,
    unique_paths,
)
from jejak.journeys.refunds import conversion_orders, match_refunds, net_of_refunds, refund_rows
from jejak.journeys.sessions import (
    arrival,
    arrivals_by_channel,
    can_touch,
    journey_marks,
    session_table,
    sessionize,
)
from jejak.segments.feedback import feedback_table, parse_feedback
from jejak.segments.stages import assign_stages, model_stages, person_stages, stage_rules_from_config
from jejak.segments.traits import person_traits
from jejak.store.appstate import writing_state
from jejak.store.derived import new_build_dir, publish_build
from jejak.store.files import remove_tree
from jejak.store.lake import event_files, events_glob, reading_lake
from jejak.store.project import Project

TABLES = (
    "identities",
    "shared_identifiers",
    "people",
    "person_traits",
    "sessions",
    "touchpoints",
    "conversions",
    "refunds",
    "journey_touches",
    "journeys",
    "paths",
    "events",
    "person_stages",
    "feedback",
)
StepCallback = Callable[[str, float], None]
T = TypeVar("T")


class Timer(Protocol):
    """Runs one named step and records how long it took."""

    def __call__(self, name: str, action: Callable[[], T]) -> T: ...


# The columns identity resolution reads to find an event's person.
PERSON_KEY_COLUMNS = ("user_id", "anonymous_id", "previous_id", "email_hash", "phone_hash")
BUILD_COLUMNS = (
    "event_id",
    "type",
    "event",
    "timestamp",
    *PERSON_KEY_COLUMNS,
    *ACQUISITION_COLUMNS,
    "revenue",
    "currency",
)


@dataclass
class BuildResult:
    """What a build wrote and how long each step took."""

    build_dir: Path
    engine: str
    step_seconds: dict[str, float] = field(default_factory=dict)
    row_counts: dict[str, int] = field(default_factory=dict)
    identity_rounds: int = 0

    @property
    def total_seconds(self) -> float:
        return sum(self.step_seconds.values())


def load_events(engine: Engine, project: Project) -> ir.Table:
    """The event lake as one table. Its event_ids are unique already: every import deduplicates against the lake
    under the writer lock (`ingest.importer`), so the build pays for no distinct over every event."""
    if not event_files(project):
        raise LakeError(f"The event lake in {project.events_dir} is empty. Import files first: `jejak import FILE…`.")
    events = engine.read_parquet(events_glob(project), table_name="lake_events")
    # The JSON columns (properties, context, traits) and lineage are not needed to build journeys: don't read them.
    return events.select(*BUILD_COLUMNS)


def people_table(people_events: ir.Table, identities: ir.Table) -> ir.Table:
    """One row per person: their number in this build, when first and last seen, how many events, identifiers and user ids.

    `person_number` (1, 2, … in person_id order) is the build's integer stand-in for `person_id`: the event stream
    carries it so that funnels and flows sort and join on one integer, not on a text id.
    """
    per_person = people_events.group_by(people_events.person_id).aggregate(
        first_seen_at=people_events.timestamp.min(),
        last_seen_at=people_events.timestamp.max(),
        events=people_events.count(),
    )
    ids = identities.group_by(id_person_id=identities.person_id).aggregate(
        identifiers=identities.count(),
        user_ids=(identities.kind == "user_id").cast("int64").sum(),
        has_email=(identities.kind == "email").any(),
        has_phone=(identities.kind == "phone").any(),
    )
    joined = per_person.left_join(ids, per_person.person_id == ids.id_person_id)
    return joined.select(
        "person_id",
        person_number=ibis.row_number().over(order_by=joined.person_id) + 1,
        first_seen_at="first_seen_at",
        last_seen_at="last_seen_at",
        events="events",
        identifiers=joined.identifiers.fill_null(0),
        user_ids=joined.user_ids.fill_null(0),
        has_email=joined.has_email.fill_null(False),
        has_phone=joined.has_phone.fill_null(False),
    )


def run_build(
    project: Project,
    *,
    settings: Settings | None = None,
    engine: Engine | None = None,
    on_step: StepCallback | None = None,
    rules: tuple[ChannelRule, ...] | None = None,
) -> BuildResult:
    """Run every step in order and publish the new tables atomically."""
    settings = settings or project.settings
    channel_rules = rules if rules is not None else rules_from_config(project.config)
    own_engine = engine is None
    eng = engine or connect(settings)
    build_dir = new_build_dir(project)
    result = BuildResult(build_dir=build_dir, engine=eng.name)
    started_at = utc_now()

    def timed(name: str, action: Callable[[], T]) -> T:
        began = time.perf_counter()
        value = action()
        seconds = time.perf_counter() - began
        result.step_seconds[name] = seconds
        if on_step is not None:
            on_step(name, seconds)
        return value

    try:
        if needs_compaction(project, settings.lake_max_files_per_day):
            # Before the lake is read, and under the lock a rewrite takes: every later build reads fewer files too.
            timed("compact", lambda: compact_lake(project, settings.lake_max_files_per_day))
        # The lake is read over the whole build: a removal of a file's events waits for it (and it for one).
        with eng.memory_errors(settings.duckdb_memory_limit_mb), reading_lake(project):
            _run_steps(project, settings, eng, own_engine, build_dir, channel_rules, timed, result)
        publish_build(project, build_dir)
    except BaseException:
        # A build that was not published must not stay behind and count as one of the builds kept for readers.
        remove_tree(build_dir)
        raise
    finally:
        if own_engine:
            eng.close()
    _record_build(project, result, started_at.isoformat())
    return result


def _run_steps(
    project: Project,
    settings: Settings,
    eng: Engine,
    own_engine: bool,
    build_dir: Path,
    channel_rules: tuple[ChannelRule, ...],
    timed: Timer,
    result: BuildResult,
) -> None:
    """Every step, in order, writing the tables under `build_dir` (published by the caller)."""
    if eng.name == "duckdb" and own_engine:
        # Past the memory limit DuckDB spills to disk: inside the project, not wherever the command runs.
        project.staging_dir.mkdir(parents=True, exist_ok=True)
        eng.execute_sql(f"SET temp_directory = '{str(project.staging_dir).replace(chr(39), chr(39) * 2)}'")
    events = offline_by_channel(load_events(eng, project), settings.offline_channels)
    # Checked before any work, so that a mistake in jejak.toml costs nothing.
    stage_rules = stage_rules_from_config(project.config, settings.stages)
    stage_names = model_stages(settings.stage_model, settings.stages)

    def resolve() -> tuple[IdentityResult, ir.Table]:
        found = resolve_identities(
            eng,
            events,
            max_people_per_identifier=settings.identity_max_people_per_identifier,
            max_rounds=settings.identity_max_iterations,
        )
        return found, eng.materialize(found.identities, "build_identities")

    identity, identities = timed("identity", resolve)
    result.identity_rounds = identity.rounds
    # The graph's working tables (tuples, links, each round's labels) are done with; the report is written last.
    eng.release(prefix="identity_", keep=("identity_shared",))
    # Not materialised: the person lookup streams straight into the sessions window.
    people_events = assign_people(events, identities)
    # Whether each event can be a visit's touch, as one boolean: the sort never carries where it came from.
    # Where each came from, as one number (the sort never carries the four columns), when sessions are cut at it.
    business = settings.business_message_events
    touching = can_touch(people_events, settings.non_touch_events, business)

    def sessions() -> ir.Table:
        if settings.session_split_at_new_source:
            # Arrivals compared as channels (`arrivals_by_channel`), found on the lake's few distinct arrivals and
            # joined back by their text as a number: a chat's `source = whatsapp` and an order's `channel = WhatsApp`
            # are one.
            by_channel = eng.materialize(arrivals_by_channel(events, channel_rules, business), "build_arrivals")
            said = people_events.mutate(raw_arrival=arrival(people_events, business), can_touch=touching)
            joined = said.left_join(by_channel, said.raw_arrival == by_channel.raw_arrival)
            narrow_events = joined.select(*SESSION_COLUMNS, "can_touch", "arrival")
        else:
            narrow_events = people_events.select(*SESSION_COLUMNS, can_touch=touching)
        return eng.materialize(
            sessionize(
                narrow_events,
                gap_seconds=settings.session_gap_seconds,
                max_seconds=settings.session_max_seconds,
                conversion_events=settings.conversion_events,
                split_at_new_source=settings.session_split_at_new_source,
            ),
            "build_sessionized",
        )

    sessionized = timed("sessions", sessions)
    eng.release("build_arrivals")
    marks = timed("journey_marks", lambda: eng.materialize(journey_marks(sessionized), "build_marks"))
    touches = timed(
        "touchpoints",
        lambda: eng.materialize(touchpoints(marks, events, channel_rules), "build_touchpoints"),
    )
    gross = timed("conversions", lambda: eng.materialize(conversions(marks, touches), "build_conversions_gross"))
    eng.release("build_marks")  # session starts and conversions: now in the touchpoints and conversions tables
    # Before journeys: every table from here on counts revenue net of refunds.
    refunds, converted = timed("refunds", lambda: _refunds(eng, project, settings, gross))
    # Kept as a table: the touch-level reports (assisted, top paths by dimension, devices) start from it.
    in_window = timed(
        "journey_touches",
        lambda: eng.materialize(
            journey_touches(touches, converted, lookback_days=settings.lookback_days), "build_journey_touches"
        ),
    )

    def build_journeys() -> ir.Table:
        listed, whole = journey_parts(
            in_window,
            transform=settings.path_transform,
            transform_channel=settings.path_transform_channel,
            max_touches=settings.path_max_touches,
        )
        # Each part kept on its own before the join: together they do not fit a small memory limit.
        listed = eng.materialize(listed, "build_journey_paths")
        whole = eng.materialize(whole, "build_journey_whole")
        return eng.materialize(journeys_from_parts(listed, whole, converted), "build_journeys")

    journey_table = timed("journeys", build_journeys)
    eng.release("build_journey_paths", "build_journey_whole")  # the two parts, now in the journeys table
    paths = timed("paths", lambda: eng.materialize(unique_paths(journey_table), "build_paths"))
    # From the sessionized events (already one table), not another pass of the person lookup over the lake.
    people = timed("people", lambda: eng.materialize(people_table(sessionized, identities), "build_people"))
    tables: dict[str, ir.Table] = {
        "identities": identities,
        "shared_identifiers": identity.shared_identifiers,
        "people": people,
        "person_traits": _person_traits(eng, project, identities),
        "sessions": session_table(sessionized, touches),
        "touchpoints": touches,
        "conversions": converted,
        "refunds": refunds,
        "journey_touches": in_window,
        "journeys": journey_table,
        "paths": paths,
        # Written straight from the sessionized events; person stages then read the written table.
        "events": assign_stages(event_stream(sessionized, touches, people), stage_rules, settings.stage_model),
    }

    def write_all() -> None:
        for name in TABLES:
            if name in tables:
                eng.write_parquet(tables[name], build_dir / name)
        written = eng.read_parquet(build_dir / "events")
        eng.write_parquet(person_stages(written, stage_names), build_dir / "person_stages")
        eng.write_parquet(_feedback(eng, project, settings, written), build_dir / "feedback")

    timed("write", write_all)


def _refunds(eng: Engine, project: Project, settings: Settings, gross: ir.Table) -> tuple[ir.Table, ir.Table]:
    """The refund events matched to the conversions they name, and the conversions net of them and of the refunds
    their own rows state (`journeys.refunds`).

    Only refund and conversion events' properties are parsed, and the conversions' only when there is a refund
    event or their text names a stated refund: a lake without refunds pays for a pass over the event names and the
    conversions' properties text."""
    lake = eng.read_parquet(events_glob(project), table_name="lake_refunds")
    refund_events = lake.filter(lake.event.isin(list(settings.refund_events)))
    listed = refund_rows(refund_events.mutate(members=eng.json_object_texts(refund_events.properties)))
    listed = eng.materialize(listed, "build_refund_rows")
    ids = gross.select(order_event_id=gross.conversion_event_id)
    kept = lake.filter(lake.event.isin(list(settings.conversion_events))).select("event_id", "properties")
    if not eng.to_pyarrow(listed.count()).as_py():
        # No refund event: only the orders whose own row states a refund are parsed (a text search finds them).
        kept = kept.filter(kept.properties.contains(f'"{REFUNDED_PROPERTY}"'))
    ordered = kept.join(ids, kept.event_id == ids.order_event_id)
    orders = conversion_orders(ordered.mutate(members=eng.json_object_texts(ordered.properties)))
    matched = eng.materialize(match_refunds(listed, orders), "build_refunds")
    net = eng.materialize(net_of_refunds(gross, matched), "build_conversions")
    eng.release("build_refund_rows", "build_conversions_gross")
    return matched, net


def _person_traits(eng: Engine, project: Project, identities: ir.Table) -> ir.Table:
    """Each person's latest value of each identify trait, parsed from the lake's JSON on the engine."""
    lake = eng.read_parquet(events_glob(project), table_name="lake_traits")
    identify = lake.filter((lake.type == "identify") & lake.traits.notnull())
    # The same person lookup as every other event's, so a trait's person is one of the people table's.
    with_people = assign_people(
        identify.select("event_id", "type", "timestamp", *PERSON_KEY_COLUMNS, "traits"), identities
    )
    return person_traits(with_people.mutate(members=eng.json_object_texts(with_people.traits)))


def _feedback(eng: Engine, project: Project, settings: Settings, stream: ir.Table) -> ir.Table:
    """Survey scores and comments: the few events that carry them are parsed in Python, then tied to people."""
    lake = eng.read_parquet(events_glob(project), table_name="lake_feedback")
    rows = lake.filter(lake.event.isin(list(settings.feedback_events))).select("event_id", "properties")
    # Materialised: an in-memory table becomes one the engine can join and write.
    parsed = eng.materialize(ibis.memtable(parse_feedback(eng.to_pyarrow(rows))), "build_feedback_parsed")
    return feedback_table(parsed, stream)


def _record_build(project: Project, result: BuildResult, started_at: str) -> None:
    with writing_state(project.sqlite_path) as db:
        db.execute(
            "INSERT INTO builds VALUES (?, ?, ?, ?, ?)",
            (
                result.build_dir.name,
                result.engine,
                started_at,
                utc_now().isoformat(),
                json.dumps(result.step_seconds),
            ),
        )
