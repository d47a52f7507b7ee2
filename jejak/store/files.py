"""Atomic file moves and directory swaps: readers never see half a file."""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path


def fsync_path(path: Path) -> None:
    """Flush a file's bytes (before it is renamed into place) or a directory's entries (so a rename survives a crash)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def move_into_place(staged: Path, target: Path) -> None:
    """fsync a staged file, then rename it to `target` (same file system: the rename is atomic)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fsync_path(staged)
    os.replace(staged, target)
    fsync_path(target.parent)


def swap_symlink(link: Path, target: Path) -> None:
    """Point `link` at `target` atomically: a new symlink renamed over the old one."""
    temp_link = link.with_name(f".{link.name}.{uuid.uuid4().hex}")
    os.symlink(os.path.relpath(target, link.parent), temp_link)
    os.replace(temp_link, link)
    fsync_path(link.parent)


def remove_tree(path: Path) -> None:
    """Delete a directory tree if it exists."""
    shutil.rmtree(path, ignore_errors=True)
