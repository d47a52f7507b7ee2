"""Derived tables (people, sessions, journeys, paths, …): rebuilt by `jejak build`, swapped in atomically.

A build writes every table under `data/builds/<build_id>/<table>/`, then the
`data/tables` symlink is renamed to point at it. Readers resolve the link once
and keep reading a complete build even while the next one is published.
"""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

from jejak.core.clock import utc_now
from jejak.core.errors import TableNotBuiltError
from jejak.store.files import remove_tree, swap_symlink
from jejak.store.project import Project


def new_build_dir(project: Project) -> Path:
    """A fresh, empty directory for the tables of one build."""
    stamp = utc_now().strftime("%Y%m%dT%H%M%S")
    path = project.builds_dir / f"{stamp}-{uuid.uuid4().hex[:8]}"
    path.mkdir(parents=True)
    return path


def publish_build(project: Project, build_dir: Path) -> None:
    """Make `build_dir` the current tables; keep the previous build for readers still using it, drop older ones."""
    previous = project.tables_dir.resolve() if project.tables_dir.exists() else None
    if project.tables_dir.is_dir() and not project.tables_dir.is_symlink():
        # A project copied with its links followed (`cp -r`, a zip made on Windows, a backup tool) has the tables
        # as a directory, which no link can be renamed over: it becomes a build of its own, the previous one.
        copied = project.builds_dir / f"{project.tables_dir.name}-copied-{uuid.uuid4().hex[:8]}"
        previous = project.tables_dir.rename(copied).resolve()
    swap_symlink(project.tables_dir, build_dir)
    _remove_builds_but(project, {build_dir.resolve(), previous})


def _remove_builds_but(project: Project, keep: set[Path | None]) -> None:
    """Delete every build directory that is not one of `keep` (resolved paths)."""
    if project.builds_dir.is_dir():
        for old in project.builds_dir.iterdir():
            if old.is_dir() and old.resolve() not in keep:
                remove_tree(old)


def drop_builds(project: Project, *, keep_current: bool) -> None:
    """Delete every build but the current one (`keep_current`), or every build and the tables link with them. For an
    erasure: the builds kept for readers hold what it erased, and a reader still on one of them fails rather than
    show it."""
    current = project.tables_dir.resolve() if keep_current and project.tables_dir.exists() else None
    if not keep_current and project.tables_dir.is_symlink():
        project.tables_dir.unlink()
    elif not keep_current and project.tables_dir.is_dir():  # a copied project's tables, not a link (`publish_build`)
        remove_tree(project.tables_dir)
    _remove_builds_but(project, {current})


def current_build(project: Project) -> Path:
    """The directory of the current build, or an error that says to run `jejak build`."""
    if not project.tables_dir.exists():
        raise TableNotBuiltError(f"No tables have been built in {project.root} yet. Run `jejak build` first.")
    return project.tables_dir.resolve()


def table_path(project: Project, name: str) -> Path:
    """Where a derived table of the current build lives."""
    build = current_build(project)
    tables = sorted(p.name for p in build.iterdir() if p.is_dir() and not p.name.startswith("."))
    # By its name among the build's tables, not as a path: `paths/..` and `.cache` are folders of the build too.
    if name not in tables:
        raise TableNotBuiltError(f"There is no table '{name}' in the current build. Tables: {', '.join(tables)}.")
    return build / name


def built_at(project: Project) -> dt.datetime:
    """When the current build was published."""
    return dt.datetime.fromtimestamp(current_build(project).stat().st_mtime, tz=dt.UTC)
