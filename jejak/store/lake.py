"""The event lake: append-only, date-partitioned Parquet files, one writer at a time, any number of readers.

Layout: `data/events/date=YYYY-MM-DD/part-<uuid>.parquet`. A writer stages its
files under `data/.staging/`, fsyncs them and renames each into place, so a
reader's glob only ever matches complete files.

Files are only ever added, except by a rewrite (removing one file's events: `ingest.removal`), which replaces
files and deletes the old ones. A reader that reads the lake over several queries (a build) holds the shared
lake lock (`reading_lake`) while it does, and a rewrite takes it exclusively (`rewriting_lake`): a build never sees
a file vanish, or half a removal.
"""

from __future__ import annotations

import fcntl
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from jejak.core.errors import LakeError
from jejak.store.files import fsync_path, move_into_place, remove_tree
from jejak.store.project import Project

PART_GLOB = "date=*/part-*.parquet"


def event_files(project: Project) -> list[Path]:
    """The lake's complete Parquet files, in a stable order."""
    return sorted(project.events_dir.glob(PART_GLOB))


def events_glob(project: Project) -> str:
    """A glob that every engine reads the lake through."""
    return str(project.events_dir / PART_GLOB)


@contextmanager
def _flock(project: Project, name: str, mode: int, purpose: str) -> Iterator[None]:
    """Hold an flock on `data/<name>` (waiting for it), released whatever happens."""
    project.data_dir.mkdir(parents=True, exist_ok=True)
    lock_path = project.data_dir / name
    with lock_path.open("a") as handle:
        try:
            fcntl.flock(handle, mode)
        except OSError as exc:
            raise LakeError(f"Could not lock {lock_path} for {purpose}: {exc}. Is the file system read-only?") from exc
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def writer_lock(project: Project) -> Iterator[None]:
    """Hold the lake's single-writer lock; a second writer waits rather than interleaving files."""
    with _flock(project, ".writer.lock", fcntl.LOCK_EX, "writing"):
        yield


@contextmanager
def reading_lake(project: Project) -> Iterator[None]:
    """Hold the shared lake lock while reading the lake over several queries: a rewrite waits until they are done."""
    with _flock(project, ".lake.lock", fcntl.LOCK_SH, "reading"):
        yield


@contextmanager
def rewriting_lake(project: Project) -> Iterator[None]:
    """Hold the writer lock and the lake lock exclusively: no import, no build and no other rewrite meanwhile (each
    waits for the other to finish)."""
    with writer_lock(project), excluding_readers(project):
        yield


@contextmanager
def excluding_readers(project: Project) -> Iterator[None]:
    """Hold the lake lock exclusively, for a writer that holds `writer_lock` already (an import that replaces stored
    events): a build waits, and sees the lake before or after, never between."""
    with _flock(project, ".lake.lock", fcntl.LOCK_EX, "rewriting"):
        yield


@contextmanager
def staging_area(project: Project) -> Iterator[Path]:
    """A private directory for a writer's temporary files, removed afterwards whatever happens."""
    path = project.staging_dir / uuid.uuid4().hex
    path.mkdir(parents=True)
    try:
        yield path
    finally:
        remove_tree(path)


def publish_partitions(project: Project, partitioned_dir: Path) -> int:
    """Move every staged `date=…/*.parquet` file into the lake under a fresh part name; returns files moved."""
    moved = 0
    for staged in sorted(partitioned_dir.glob("date=*/*.parquet")):
        target = project.events_dir / staged.parent.name / f"part-{uuid.uuid4().hex}.parquet"
        move_into_place(staged, target)
        moved += 1
    return moved


def replace_files(old: Sequence[Path], staged: Path | None) -> None:
    """A rewrite's step: `staged` (when there is one) moved into the folder of `old` under a fresh part name, then
    the `old` files deleted. The caller holds `rewriting_lake`, so no reader sees both, or neither."""
    folder = old[0].parent
    if staged is not None:
        move_into_place(staged, folder / f"part-{uuid.uuid4().hex}.parquet")
    for part in old:
        part.unlink()
    fsync_path(folder)
