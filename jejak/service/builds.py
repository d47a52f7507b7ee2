"""The last build's tables on one embedded DuckDB connection, and the persona scope every report can take.

Reports read on DuckDB whatever engine built the tables: they are Parquet files, and a
report is one short query. The CLI and the dashboard open a build the same way.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from jejak.engine import connect
from jejak.segments.features import person_features
from jejak.segments.personas import assign_personas, find_persona, load_personas
from jejak.segments.traits import PersonTraits
from jejak.service.cache import cached_table
from jejak.store.derived import current_build, table_path
from jejak.store.project import Project


class OpenBuild:
    """The last build's tables on one DuckDB connection (what every report and attribution run reads)."""

    def __init__(self, project: Project, engine: Any) -> None:
        self.project = project
        self.engine = engine
        self.people_of: dict[str, Any] = {}  # a persona's people, kept while the build is open (`persona_people`)

    def read(self, name: str) -> Any:
        return self.engine.read_parquet(table_path(self.project, name))

    def read_if_built(self, name: str) -> Any:
        """A table newer builds write, or None for a build made before jejak kept it."""
        path = current_build(self.project) / name
        return self.engine.read_parquet(path) if path.exists() else None

    def kept(self, kind: str, question: Any, compute: Callable[[], Any], state: Sequence[str] = ()) -> Any:
        """The table `compute()` builds, run once per build, question, settings and SQLite `state`, kept next to
        the build (`service.cache.cached_table`) and read back: what several views of a question share."""
        path = cached_table(self.project, kind, question, lambda: self.engine.to_pyarrow(compute()), state)
        return self.engine.read_parquet(path)

    def rows(self, expr: Any) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = self.engine.to_pyarrow(expr).to_pylist()
        return rows


@contextlib.contextmanager
def open_build(project: Project) -> Iterator[OpenBuild]:
    """Reports read on the embedded DuckDB, whatever engine built the tables (they are Parquet)."""
    engine = connect(project.settings.replace(engine="duckdb"))
    try:
        yield OpenBuild(project, engine)
    finally:
        engine.close()


def person_traits(built: OpenBuild) -> PersonTraits | None:
    """The build's identify traits with every trait key in it (None for a build made before jejak kept them)."""
    table = built.read_if_built("person_traits")
    if table is None:
        return None
    # The keys are whatever the data sends: persona rules are checked against them before anything runs.
    names = built.engine.to_pyarrow(table.select("trait").distinct().order_by("trait")).column("trait").to_pylist()
    return PersonTraits(table, tuple(names))


def persona_assignments(built: OpenBuild) -> Any:
    """Every person with the persona the rules give them (person_id, persona, person_number), from behaviour and traits.

    Computed once per build and set of persona documents (a second at a million people), kept next
    to the build (`service.cache`), then read by every report, map and page that narrows to a persona.
    """

    def compute() -> Any:
        people = built.read("people")
        features = person_features(people, built.read("sessions"), built.read("conversions"))
        assigned = assign_personas(features, load_personas(built.project.sqlite_path), person_traits(built))
        if "person_number" in people.columns:
            # The event stream's integer person key too: a persona narrows 10M events on it twice as fast.
            numbers = people.select(_person_id=people.person_id, person_number=people.person_number)
            assigned = assigned.join(numbers, assigned.person_id == numbers._person_id).drop("_person_id")
        return assigned

    return built.kept("personas", ["with person_number"], compute, state=("personas",))


def persona_people(built: OpenBuild, persona: str) -> Any:
    """The people a persona's rules take, as a table with person_id (a clear error for an unknown persona).

    Kept on the build's connection for as long as it is open: a page narrows several queries to the same
    people, and each would otherwise read and filter everyone's assignment again.
    """
    if persona not in built.people_of:
        find_persona(built.project.sqlite_path, persona)
        assigned = persona_assignments(built)
        chosen = assigned.filter(assigned.persona == persona).drop("persona")
        built.people_of[persona] = built.engine.materialize(chosen, f"persona_people_{len(built.people_of)}")
    return built.people_of[persona]


def scoped(chosen: Any, built: OpenBuild, persona: str | None) -> Any:
    """The filters narrowed to a persona's people, when one is asked for."""
    return dataclasses.replace(chosen, people=persona_people(built, persona)) if persona else chosen
