"""Erasing people (DESIGN §2 and §7, `jejak erase`): every copy jejak keeps of their events is gone, not hidden.

A person is named as the dashboard's people page names them (`service.people.candidate_nodes`): by a person id
(`u:C0042`), a user id, an anonymous id, an e-mail or a phone (e-mails and phones hashed with the project key, as
import hashes them). Who that person is, is decided on the lake as it is at the time of erasure, by the build's
own identity resolution (`identity.graph`), not by the last build: an import since may have joined more
identifiers to them. Every event the build would give that person goes. An identifier shared by more people than
`identity_max_people_per_identifier` (a shop's own phone typed at the till) names nobody: erasing by it would
erase other people's events, so it is refused, with the reason.

What goes, under the writer lock and the exclusive lake lock (`store.lake.rewriting_lake`), so no import, build,
compaction or removal runs meanwhile:

- **the lake**: each part file that holds one of their events is replaced by one without them (staged, fsynced,
  renamed into place) and deleted, as a removal of an import does (`ingest.removal`);
- **the quarantine**, and the rows dismissed from it: each row whose raw text names one of their user ids or
  anonymous ids as a whole word (e-mails and phones were masked before a row was quarantined, `ingest.identifiers`);
  in a line of a file imported with `--id-prefix shopee`, the id as the file wrote it (`budi88` for `shopee:budi88`).

Then the derived tables: a new build from the lake without them is published, and every other build (the previous
one kept for readers, with the answers cached beside it) is deleted. When nothing is left to build from, or the
build fails, every build is deleted, so that no derived table keeps what the lake no longer has.

Their identifiers go on the list of erased identifiers in SQLite, each only as a keyed SHA-256 of its identity node
(`core.pii.erased_key`): a later import skips every row that carries one (and a bad row whose raw text names one of
their user ids or anonymous ids is not quarantined), and counts them as `rows_erased`. So an export imported again,
or a Google Sheet read again at its next sync, does not bring them back.

Someone erased who comes back and consents again is taken off the list by the identifiers they give
(`lift_erasure`, `jejak unerase`): later imports store their rows again. What was erased stays erased.

The imports log gets an `erased` line per file with negative counts, so that its sums stay the lake's and the
quarantine's. Nothing else in the SQLite state names a customer (imports, spend, persona documents, map notes and
dashboard users do not), so nothing there goes besides.

Assumptions: an erased event's bytes are gone from jejak's files; copies outside them (the files it was imported
from, backups, a Spark cluster's storage) are the business's to erase. A quarantined row that names them only by an
e-mail or phone stays: those were masked when it was quarantined, so nothing in it says whose it was.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import ibis
import pyarrow.parquet as pq
from ibis.expr import types as ir

from jejak.core.clock import utc_now
from jejak.core.errors import JejakError, LakeError, SettingError
from jejak.core.pii import erased_key, erasure_secret
from jejak.core.vocabulary import CLEAR_KIND_PREFIXES, KIND_PREFIX
from jejak.engine import Engine, connect
from jejak.identity.graph import event_nodes, resolve_identities
from jejak.ingest.importer import ERASED_FORMAT, ImportSummary, record_import, rewrite_part
from jejak.ingest.quarantine import remove_rows, rows_naming, source_names
from jejak.ingest.validate import sql_files
from jejak.pipeline import BuildResult, StepCallback, run_build
from jejak.service.people import KIND_WORDS, candidate_nodes
from jejak.store.appstate import writing_state
from jejak.store.derived import drop_builds
from jejak.store.lake import event_files, events_glob, reading_lake, rewriting_lake, staging_area, writer_lock
from jejak.store.project import Project

# A person id as a build names them is its component's smallest node without the sorting digit: `u:C0042` is
# the node `1u:C0042` (`identity.graph`).
PERSON_ID = re.compile(r"^([uaep]):(.+)$", re.DOTALL)
NODE_OF_PERSON_KIND = {prefix[1]: prefix for prefix in KIND_PREFIX.values()}
# The lake's columns identity reads.
IDENTITY_COLUMNS = ("event_id", "type", "user_id", "anonymous_id", "email_hash", "phone_hash", "previous_id")
SOURCE_COLUMNS = ("source_file", "source_name")  # what the imports log's `erased` lines are counted by


@dataclass(frozen=True)
class ErasurePlan:
    """Whom an erasure names and what of them jejak holds, counted, nothing changed yet."""

    people: tuple[str, ...]  # person ids, as a build of the lake now names them
    matched: tuple[tuple[str, str, str], ...]  # (what was typed, person id, how it matched: "user id", "e-mail", …)
    unmatched: tuple[str, ...]  # typed texts that name nobody in the lake
    shared: tuple[tuple[str, int], ...]  # typed texts that name an over-shared identifier, with its user ids
    nodes: tuple[str, ...] = ()  # their identity nodes (`1u:C0042`, `3e:<e-mail hmac>`)
    parts: tuple[Path, ...] = ()  # the lake's part files that hold their events
    events_by_source: dict[tuple[str, str], int] = field(default_factory=dict)  # (source_file, source_name) → events
    # The quarantine's rows that name them (`ingest.quarantine.rows_naming`), and the dismissed ones.
    quarantine_rows: dict[str, dict[int, str]] = field(default_factory=dict)
    dismissed_rows: dict[str, dict[int, str]] = field(default_factory=dict)
    # The lake's and the quarantine's files as the plan found them (path, bytes, mtime_ns): while they are the same,
    # the plan still holds (`erase_people`'s `agreed`).
    files_seen: tuple[tuple[str, int, int], ...] = ()

    @property
    def identifiers(self) -> int:
        """Identifier nodes the people have (user ids, devices, e-mails, phones)."""
        return len(self.nodes)

    @property
    def events(self) -> int:
        return sum(self.events_by_source.values())

    @property
    def files(self) -> int:
        return len(self.parts)

    @property
    def quarantined_by_file(self) -> dict[str, int]:
        """Quarantined rows that name them, per file they came from."""
        return dict(Counter(file for rows in self.quarantine_rows.values() for file in rows.values()))

    @property
    def quarantined(self) -> int:
        return sum(len(rows) for rows in self.quarantine_rows.values())

    @property
    def dismissed(self) -> int:
        return sum(len(rows) for rows in self.dismissed_rows.values())


@dataclass(frozen=True)
class Erasure:
    """What an erasure did: its plan, carried out, and what became of the derived tables."""

    plan: ErasurePlan
    build: BuildResult | None  # the build published without them; None when none could be made
    builds_deleted: int  # build directories deleted (the earlier ones, which held them)
    build_error: str = ""  # why no build was made, when one was expected


def plan_erasure(project: Project, texts: Sequence[str]) -> ErasurePlan:
    """What `erase_people` would erase for these typed identifiers, counted, nothing changed (for the question
    before it)."""
    with reading_lake(project):
        engine = _engine(project)
        try:
            return _plan(project, engine, texts)
        finally:
            engine.close()


def erase_people(
    project: Project,
    texts: Sequence[str],
    *,
    agreed: ErasurePlan | None = None,
    on_step: StepCallback | None = None,
) -> Erasure:
    """Erase the people these typed identifiers name (see the module docstring); `on_step` hears the rebuild's
    steps. Raises SettingError when nothing is typed or the identifiers name nobody; nothing is changed then.

    `agreed`: the plan `plan_erasure` made for these same texts, which the user was asked about. While no file of
    the lake or the quarantine has changed since, it is carried out as it is: identity is not resolved over the
    whole lake a second time (20 s at 10M events). Otherwise (an import came between) the erasure plans again."""
    started_at = utc_now()
    with rewriting_lake(project), staging_area(project) as stage:
        engine = _engine(project)
        try:
            if agreed is not None and agreed.files_seen and agreed.files_seen == _files_seen(project):
                plan = agreed
                if plan.parts:
                    _mark_erased(engine, _lake_of(plan.parts), plan.nodes)
            else:
                plan = _plan(project, engine, texts)
            if not plan.people:
                raise SettingError(nobody_named(plan))
            for part in plan.parts:
                rewrite_part(engine, part, stage, "event_id NOT IN (SELECT event_id FROM erase_ids)")
        finally:
            engine.close()
        # Found by the plan under this same lock: the quarantine has not changed since.
        remove_rows(project, stage, plan.quarantine_rows)
        remove_rows(project, stage, plan.dismissed_rows, dismissed=True)
        # Before the lock is let go: an import waiting for it reads the list as it stores.
        _remember_erased(project, plan.nodes, started_at.isoformat())
    for (source_file, source_name), events in sorted(plan.events_by_source.items()):
        record_import(
            project, ImportSummary(source_file, ERASED_FORMAT, -events, -events, 0, 0), source_name, started_at
        )
    # Each under the name its imports gave: a re-try of the file's other quarantined rows takes the latest line's.
    names = source_names(project, plan.quarantined_by_file)
    for source_file, rows in sorted(plan.quarantined_by_file.items()):
        logged = ImportSummary(source_file, ERASED_FORMAT, -rows, 0, -rows, 0)
        record_import(project, logged, names[source_file], started_at)
    return _rebuild(project, plan, on_step)


@dataclass(frozen=True)
class LiftedErasure:
    """What `lift_erasure` took off the list of erased identifiers."""

    lifted: tuple[tuple[str, str], ...]  # (what was typed, how it matched: "user id", "e-mail", …)
    not_listed: tuple[str, ...]  # typed texts that are on no list of erased identifiers
    still_listed: int  # identifiers erased at the same time as the lifted ones that stay on the list


def lift_erasure(project: Project, texts: Sequence[str]) -> LiftedErasure:
    """Take the identifiers these texts name off the list of erased identifiers, so that later imports store the
    rows that carry them again (someone erased came back and consented). Only what is named is lifted: the other
    identifiers of the same erasure (a device, another e-mail) stay, and are counted in `still_listed`, since the
    list keeps no id in clear to say which they are. Raises SettingError when nothing is typed or nothing named is on
    the list; nothing is changed then."""
    typed = _nodes_typed(project, texts)
    secret = erasure_secret(project.hmac_key())
    keys = {erased_key(secret, node): named for node, named in typed.items()}
    # Under the writer lock: an erasure or an import reads the list under it.
    with writer_lock(project), writing_state(project.sqlite_path) as db:
        marks = ",".join("?" * len(keys))
        listed = db.execute(
            f"SELECT key_sha256, erased_at FROM erased_identifiers WHERE key_sha256 IN ({marks})", list(keys)
        ).fetchall()
        if not listed:
            named = ", ".join(sorted({text for text, _ in typed.values()}))
            raise SettingError(
                f"Not on the list of erased identifiers: {named}. Imports store their rows already; nothing changed."
            )
        db.execute(f"DELETE FROM erased_identifiers WHERE key_sha256 IN ({marks})", list(keys))
        times = sorted({erased_at for _, erased_at in listed})
        (still,) = db.execute(
            f"SELECT count(*) FROM erased_identifiers WHERE erased_at IN ({','.join('?' * len(times))})", times
        ).fetchone()
    lifted = sorted({keys[key] for key, _ in listed})
    return LiftedErasure(
        lifted=tuple(lifted),
        not_listed=tuple(sorted({text for text, _ in typed.values()} - {text for text, _ in lifted})),
        still_listed=int(still),
    )


def nobody_named(plan: ErasurePlan) -> str:
    """Why a plan erases nobody: what each typed text matched instead."""
    parts = [f"{text} names nobody in the event lake" for text in plan.unmatched]
    parts += [
        f"{text} is shared by {users} user ids (the identity_max_people_per_identifier setting), so it names none of "
        "them: name the person by their user id, another e-mail or phone, or their person id"
        for text, users in plan.shared
    ]
    return "; ".join(parts) + ". Nothing was erased. Look a person up on the People page of `jejak serve`."


def _rebuild(project: Project, plan: ErasurePlan, on_step: StepCallback | None) -> Erasure:
    """A build without them when there was one (or, when none can be made, no build at all), and the rest gone."""
    earlier = _builds(project)
    if not project.tables_dir.exists():
        drop_builds(project, keep_current=False)
        return Erasure(plan, None, len(earlier))
    try:
        built = run_build(project, on_step=on_step)  # which deletes the oldest build already
    except JejakError as exc:
        # The earlier builds hold what was erased: they go, even though no build replaces them.
        drop_builds(project, keep_current=False)
        return Erasure(plan, None, len(earlier), str(exc))
    drop_builds(project, keep_current=True)
    return Erasure(plan, built, len(earlier - _builds(project)))


def _builds(project: Project) -> set[Path]:
    return set(project.builds_dir.iterdir()) if project.builds_dir.is_dir() else set()


def _remember_erased(project: Project, nodes: Sequence[str], erased_at: str) -> None:
    """Add the nodes to the list of erased identifiers, which imports skip the rows of (`ingest.importer`), each
    kept only as its keyed SHA-256 (`core.pii.erased_key`)."""
    secret = erasure_secret(project.hmac_key())
    with writing_state(project.sqlite_path) as db:
        db.executemany(
            "INSERT OR IGNORE INTO erased_identifiers (key_sha256, erased_at) VALUES (?, ?)",
            [(erased_key(secret, node), erased_at) for node in nodes],
        )


def _ids_in_clear(nodes: Sequence[str]) -> tuple[str, ...]:
    """The user ids and anonymous ids among identity nodes, without their prefixes, as files have them."""
    return tuple(
        sorted({node[len(prefix) :] for node in nodes for prefix in CLEAR_KIND_PREFIXES if node.startswith(prefix)})
    )


def _engine(project: Project) -> Engine:
    """The embedded DuckDB, whatever engine builds use: an erasure rewrites local files, as an import does."""
    return connect(project.settings.replace(engine="duckdb"))


def _nodes_typed(project: Project, texts: Sequence[str]) -> dict[str, tuple[str, str]]:
    """Each identity node the typed texts can be → (the text, how it would match)."""
    typed = [text.strip() for text in texts if text.strip()]
    if not typed:
        raise SettingError(
            "Name whom to erase: a person id, user id, anonymous id, e-mail or phone (jejak erase budi@example.com)."
        )
    key = project.hmac_key()
    nodes: dict[str, tuple[str, str]] = {}
    for text in typed:
        for node, kind in candidate_nodes(key, text).items():
            nodes[node] = (text, KIND_WORDS[kind])
        person = PERSON_ID.match(text)
        if person:
            nodes[NODE_OF_PERSON_KIND[person.group(1)] + person.group(2)] = (text, "person id")
    return nodes


def _plan(project: Project, engine: Engine, texts: Sequence[str]) -> ErasurePlan:
    """The plan, with the erased events kept in the temporary table `erase_ids` (event_id, source_file,
    source_name) for the rewrite that follows under the same lock."""
    typed = _nodes_typed(project, texts)
    if not event_files(project):
        raise LakeError(f"The event lake in {project.events_dir} is empty: there is nobody to erase.")
    files_seen = _files_seen(project)
    settings = project.settings
    lake = engine.read_parquet(events_glob(project), table_name="erase_lake")
    found = resolve_identities(
        engine,
        lake.select(*IDENTITY_COLUMNS),
        max_people_per_identifier=settings.identity_max_people_per_identifier,
        max_rounds=settings.identity_max_iterations,
    )
    identities = engine.materialize(found.identities, "erase_identities")
    hits = engine.to_pyarrow(identities.filter(identities.node.isin(list(typed))).select("node", "person_id"))
    matched = sorted({(typed[row["node"]][0], row["person_id"], typed[row["node"]][1]) for row in hits.to_pylist()})
    people = sorted({person for _, person, _ in matched})
    shared_table = found.shared_identifiers
    shared_rows = engine.to_pyarrow(shared_table.filter(shared_table.node.isin(list(typed))).select("node", "user_ids"))
    shared = sorted({(typed[row["node"]][0], int(row["user_ids"])) for row in shared_rows.to_pylist()})
    answered = {text for text, _, _ in matched} | {text for text, _ in shared}
    theirs = identities.filter(identities.person_id.isin(people or [""]))
    nodes = engine.to_pyarrow(theirs.select("node")).column("node").to_pylist()
    _mark_erased(engine, lake, nodes)
    by_source = engine.fetch_arrow(
        "SELECT coalesce(source_file, '') AS source_file, coalesce(source_name, '') AS source_name, "
        "count(*) AS events FROM erase_ids GROUP BY ALL"
    ).to_pylist()
    in_clear = _ids_in_clear(nodes)
    return ErasurePlan(
        people=tuple(people),
        matched=tuple(matched),
        unmatched=tuple(sorted({text for text, _ in typed.values()} - answered)),
        shared=tuple(shared),
        nodes=tuple(sorted(nodes)),
        parts=tuple(_parts_holding(engine, project)) if by_source else (),
        events_by_source={(row["source_file"], row["source_name"]): int(row["events"]) for row in by_source},
        quarantine_rows=rows_naming(project, in_clear),
        dismissed_rows=rows_naming(project, in_clear, dismissed=True),
        files_seen=files_seen,
    )


def _mark_erased(engine: Engine, lake: ir.Table, nodes: Sequence[str]) -> None:
    """Keep the events of `lake` that are the people's as the temporary table `erase_ids` (event_id, source_file,
    source_name): an event is theirs when its primary identifier is one of their `nodes`, as
    `identity.graph.assign_people` says."""
    located = event_nodes(lake)
    erased = located.filter(located.primary_node.isin(list(nodes) or [""]))
    engine.materialize(erased.select("event_id", *SOURCE_COLUMNS), "erase_ids")


def _lake_of(parts: Sequence[Path]) -> ir.Table:
    """The identity columns of the lake's `parts` only, the files an agreed plan found their events in."""
    return ibis.memtable(pq.read_table([str(part) for part in parts], columns=[*IDENTITY_COLUMNS, *SOURCE_COLUMNS]))


def _files_seen(project: Project) -> tuple[tuple[str, int, int], ...]:
    """The lake's part files and the quarantine's (with its dismissed rows'), each with its size and mtime: a part is
    written once and replaced, never changed, so an import, re-try, dismissal, compaction or removal changes this.
    Nothing, when a file went while it was read (a re-try replacing a quarantine part): no plan matches that."""
    files = [*event_files(project), *sorted(project.quarantine_dir.rglob("part-*.parquet"))]
    try:
        return tuple((str(path), (seen := path.stat()).st_size, seen.st_mtime_ns) for path in files)
    except FileNotFoundError:
        return ()


def _parts_holding(engine: Engine, project: Project) -> list[Path]:
    """The lake's part files that hold an event of `erase_ids`."""
    found = engine.fetch_arrow(
        f"SELECT DISTINCT filename FROM read_parquet({sql_files(event_files(project))}, filename = true, "
        "hive_partitioning = false) WHERE event_id IN (SELECT event_id FROM erase_ids)"
    )
    return sorted(Path(name) for name in found.column("filename").to_pylist())
