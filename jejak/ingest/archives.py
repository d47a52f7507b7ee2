"""Zip archives read as the folders `unzip` would make of them.

Exports often come zipped: Amplitude's (`/api/2/export`: a folder of gzipped JSON lines per hour), a WhatsApp chat
exported on an iPhone (`WhatsApp Chat - Budi.zip`, its `_chat.txt` beside the photos), a marketplace's or a till's
report download. A file inside an archive is named by the archive's path and its place inside
(`export.zip/123/123_2026-11-01_0#0.json.gz`), as if the archive were that folder: the name is the file's
`source_file`, so importing the archive again adds nothing, and `--replace` and `jejak imports remove` find its
files. A file is unpacked only into the project's staging area, while it is read, under its place in the archive
(`<staging>/WhatsApp Chat - Budi/_chat.txt`): readers that look at a file's name or folder see what `unzip` gives.

Example:
    >>> import tempfile, pathlib, zipfile
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> with zipfile.ZipFile(root / "export.zip", "w") as archive:
    ...     archive.writestr("2026/events.csv", "timestamp,user_id,event\\n")
    >>> inside_archive(root / "export.zip" / "2026" / "events.csv") == (root / "export.zip", "2026/events.csv")
    True
"""

from __future__ import annotations

import shutil
import zipfile
import zlib
from pathlib import Path, PurePosixPath

from jejak.core.errors import InputFileError

ARCHIVE_SUFFIX = ".zip"
# What a Mac's archiver adds beside the files (resource forks): never events.
_MAC_FOLDER = "__MACOSX"


def shown_name(file: str | Path) -> str:
    """A file's name as tables show it: its name, or for a file in an archive the archive's name and its place in
    it (`WhatsApp Chat - Budi.zip/_chat.txt`: every iPhone chat is a `_chat.txt`). Read from the text alone, so it
    serves for files that are gone too. A web address (`remote`) is shown without its scheme, shortened."""
    if "://" in str(file):
        text = str(file).split("://", 1)[1]
        return text if len(text) <= 60 else f"{text[:40]}…{text[-19:]}"
    parts = PurePosixPath(str(file)).parts
    inside = [i for i, part in enumerate(parts[:-1]) if part.lower().endswith(ARCHIVE_SUFFIX)]
    return "/".join(parts[inside[-1] :]) if inside else parts[-1] if parts else ""


def is_archive(path: Path) -> bool:
    """Whether `path` is a zip archive on disk (by its suffix, as a folder's files are told apart)."""
    return path.suffix.lower() == ARCHIVE_SUFFIX and path.is_file()


def inside_archive(path: Path) -> tuple[Path, str] | None:
    """The archive and the name inside it that `path` names (`export.zip/2026/events.csv`), or None for a path on
    disk or one with no archive above it."""
    if path.exists():
        return None
    for parent in path.parents:
        if is_archive(parent):
            return parent, path.relative_to(parent).as_posix()
    return None


def _opened_archive(archive: Path) -> zipfile.ZipFile:
    """The archive open for reading (a `with` closes it), or an error that says it is no whole zip. Only the opening
    is read as the archive's fault: an error while its file is written out is said as it is."""
    try:
        return zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputFileError(f"{archive} cannot be read as a zip archive ({exc}). Is it whole, and a zip?") from None


def _stays_inside(name: str) -> bool:
    """Whether a member's name stays inside the folder it is unpacked into: no `..`, no absolute or drive path."""
    parts = PurePosixPath(name).parts
    return bool(parts) and not name.startswith(("/", "\\")) and ".." not in parts and ":" not in parts[0]


def _safe_name(name: str) -> bool:
    """Whether a member is one to read: its name stays inside the folder, and it is no hidden or Mac-resource file."""
    parts = PurePosixPath(name).parts
    return _stays_inside(name) and parts[0] != _MAC_FOLDER and not any(part.startswith(".") for part in parts)


def member_names(archive: Path) -> tuple[list[str], list[str]]:
    """The archive's files in name order, and the entries it holds that are never read (hidden files, a Mac's
    `__MACOSX/` copies, names that would leave the folder)."""
    with _opened_archive(archive) as opened:
        names = sorted(info.filename for info in opened.infolist() if not info.is_dir())
    return [name for name in names if _safe_name(name)], [name for name in names if not _safe_name(name)]


def _member(opened: zipfile.ZipFile, archive: Path, name: str) -> zipfile.ZipInfo:
    try:
        info = opened.getinfo(name)
    except KeyError:
        raise InputFileError(f'{archive} holds no file {name}. List it with `unzip -l "{archive}"`.') from None
    if info.flag_bits & 0x1:  # encrypted: zipfile would ask for the password
        raise InputFileError(f"{archive / name} is encrypted. Unzip it with its password and import the folder.")
    return info


def check_member(path: Path) -> bool:
    """Whether `path` names a file in a zip archive (`inside_archive`); if so, that the archive can be read and holds
    it (else an error says which)."""
    found = inside_archive(path)
    if found is None:
        return False
    archive, name = found
    with _opened_archive(archive) as opened:
        _member(opened, archive, name)
    return True


def read_head(path: Path, size: int) -> bytes:
    """The first `size` bytes of a file on disk or in an archive (b"" when it cannot be read)."""
    found = inside_archive(path)
    try:
        if found is None:
            with path.open("rb") as handle:
                return handle.read(size)
        archive, name = found
        with zipfile.ZipFile(archive) as opened, opened.open(name) as handle:
            return handle.read(size)
    except (OSError, KeyError, RuntimeError, zipfile.BadZipFile, zlib.error):
        return b""


def unpack(path: Path, directory: Path) -> Path:
    """The archive's file that `path` names, unpacked into `directory` at its place in the archive under the archive's
    name (`<directory>/WhatsApp Chat - Budi/_chat.txt`), as `unzip` would lay it out."""
    found = inside_archive(path)
    if found is None:
        raise InputFileError(f"{path} is not a file in a zip archive.")
    archive, name = found
    if not _stays_inside(name):
        raise InputFileError(f"{path}: a file inside an archive is named by its place in it, below the archive.")
    target = directory / archive.stem / PurePosixPath(name)
    target.parent.mkdir(parents=True, exist_ok=True)
    with _opened_archive(archive) as opened:
        info = _member(opened, archive, name)
        try:
            with opened.open(info) as source, target.open("wb") as unpacked:
                shutil.copyfileobj(source, unpacked, length=8 * 1024 * 1024)
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as exc:
            # A CRC mismatch, a cut archive, or a compression zipfile lacks (Deflate64, …).
            raise InputFileError(
                f"{archive / name} cannot be unpacked ({exc}). Unzip it and import the folder."
            ) from None
    return target
