"""Zip archives read as the folders `unzip` makes of them: an iPhone's chat export, Amplitude's export, a till's."""

from __future__ import annotations

import gzip
import json
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import jakarta, lake_events, make_project

from jejak.cli.main import cli
from jejak.core.errors import InputFileError
from jejak.ingest.archives import inside_archive, shown_name
from jejak.ingest.importer import archive_files, import_file, import_files, source_file_of
from jejak.ingest.quarantine import list_quarantined, retry_quarantined
from jejak.ingest.removal import imported_files, imported_files_named, remove_import
from jejak.store.project import Project, open_project

# As an iPhone exports a chat (Export Chat → Attach Media): `_chat.txt` and the photos, zipped under the chat's name.
IPHONE_CHAT = (
    "[01/03/26 09.15.22] Budi Santoso: Halo kak, kopi gayo ready?\n"
    "[01/03/26 09.16.01] Kopi Nusantara: Ready kak\n"
    "[01/03/26 09.20.11] Budi Santoso: \u200e<attached: 00000012-PHOTO-2026-03-01-09-20-11.jpg>\n"
)
PHOTOS = [f"0000001{n}-PHOTO-2026-03-01-09-20-1{n}.jpg" for n in range(10)]


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return make_project(tmp_path / "p")


def _zip(path: Path, members: dict[str, str | bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return path


def _iphone_chat(tmp_path: Path) -> Path:
    photos: dict[str, str | bytes] = {name: b"\xff\xd8 a photo" for name in PHOTOS}
    return _zip(
        tmp_path / "WhatsApp Chat - Budi Santoso.zip",
        {"_chat.txt": IPHONE_CHAT, **photos, "__MACOSX/._chat.txt": b"resource fork"},
    )


def test_an_iphone_chat_archive_is_read_as_its_folder(project: Project, tmp_path: Path) -> None:
    archive = _iphone_chat(tmp_path)
    files, left = archive_files(archive)
    assert files == [archive / "_chat.txt"]
    assert left == [*PHOTOS, "__MACOSX/._chat.txt"]  # the photos are no events; the Mac's copy is never read
    summary = import_file(project, files[0])
    assert (summary.file_format, summary.rows_stored, summary.rows_quarantined) == ("whatsapp", 3, 0)
    events = lake_events(project)
    # The customer is the archive's name, as for the folder `unzip` makes of it.
    assert {e["anonymous_id"] for e in events} == {"whatsapp:Budi Santoso"}
    assert [(e["event"], e["timestamp"]) for e in events] == [
        ("wa_chat", jakarta("2026-03-01 09:15:22")),
        ("wa_reply", jakarta("2026-03-01 09:16:01")),
        ("wa_chat", jakarta("2026-03-01 09:20:11")),
    ]
    # Named by the archive and its place in it: importing the archive again adds nothing.
    assert {e["source_file"] for e in events} == {str(archive / "_chat.txt")}
    assert import_file(project, files[0]).duplicates_skipped == 3
    # Nothing was unpacked beside the archive, and nothing stays in the project's staging area.
    assert sorted(p.name for p in tmp_path.iterdir()) == [archive.name, "p"]
    assert not any(project.staging_dir.iterdir())


def test_amplitudes_export_is_read_from_its_folder_of_gzipped_lines(project: Project, tmp_path: Path) -> None:
    lines = [
        {
            "event_type": "Order Completed",
            "event_time": f"2026-03-01 0{hour}:00:00.000000",
            "user_id": "u1",
            "device_id": "d1",
            "insert_id": f"i{hour}",
            "event_properties": {"revenue": 10},
        }
        for hour in (2, 3)
    ]
    hour = gzip.compress("".join(json.dumps(line) + "\n" for line in lines).encode())
    archive = _zip(tmp_path / "export.zip", {"123/123_2026-03-01_2#0.json.gz": hour, "123/notes.md": "x"})
    files, left = archive_files(archive)
    assert (files, left) == ([archive / "123" / "123_2026-03-01_2#0.json.gz"], ["123/notes.md"])
    [summary] = import_files(project, files)
    assert (summary.file_format, summary.rows_stored) == ("amplitude", 2)
    assert [e["user_id"] for e in lake_events(project)] == ["u1", "u1"]


def test_an_archive_is_removed_and_replaced_as_its_files(project: Project, tmp_path: Path) -> None:
    till = "timestamp,user_id,event\n2026-03-01 09:00,ana,Order Completed\n"
    archive = _zip(tmp_path / "kasir.zip", {"maret/a.csv": till, "maret/b.csv": till.replace("ana", "budi")})
    files, _ = archive_files(archive)
    import_files(project, files)
    assert imported_files_named(project, str(archive)) == [source_file_of(project, file) for file in files]
    # One file of it, by its place in the archive.
    assert imported_files_named(project, str(archive / "maret" / "b.csv")) == [str(archive / "maret" / "b.csv")]
    for file in imported_files_named(project, str(archive)):
        remove_import(project, file)
    assert lake_events(project) == [] and imported_files(project) == []


def test_the_cli_imports_an_archive_says_what_it_left_and_replaces_it(tmp_path: Path) -> None:
    runner = CliRunner()
    home = tmp_path / "kopi"
    assert runner.invoke(cli, ["init", str(home)]).exit_code == 0
    archive = _iphone_chat(tmp_path)
    done = runner.invoke(cli, ["import", str(archive), "--project", str(home)])
    assert done.exit_code == 0, done.output
    flat = " ".join(done.output.split())
    # Ten photos and the Mac's copy left: eight named, the rest counted.
    assert f"{archive}: 1 file (left: {', '.join(PHOTOS[:8])} and 3 more)" in flat
    listed = runner.invoke(cli, ["imports", "list", "--format", "json", "--project", str(home)])
    # Not a bare `_chat.txt`: every iPhone chat is one.
    assert [row["file"] for row in json.loads(listed.output)] == ["WhatsApp Chat - Budi Santoso.zip/_chat.txt"]
    again = runner.invoke(cli, ["import", str(archive), "--replace", "--project", str(home)])
    assert again.exit_code == 0, again.output
    assert "removed the earlier import's 3 events" in " ".join(again.output.split())
    removed = runner.invoke(cli, ["imports", "remove", str(archive), "--yes", "--project", str(home)])
    assert removed.exit_code == 0, removed.output
    assert lake_events(open_project(home, env={})) == []


def test_a_csv_line_from_an_archive_is_fixed_under_its_files_header(project: Project, tmp_path: Path) -> None:
    # Semicolons, as an Indonesian spreadsheet saves: the fixed line is read with the file's header and separator.
    till = "timestamp;user_id;event\n2026-03-01 09:00;ana;Page\n2026-03-01 09:05;budi;Page;extra\n"
    archive = _zip(tmp_path / "kasir.zip", {"kasir.csv": till})
    import_files(project, archive_files(archive)[0])
    [bad] = list_quarantined(project).rows
    assert (bad.reason, shown_name(bad.source_file)) == ("malformed_row", "kasir.zip/kasir.csv")
    summary = retry_quarantined(project, fixed={bad.row_id: "2026-03-01 09:05;budi;Page"})
    assert summary.rows_stored == 1, summary
    assert [(e["user_id"], e["source_line"]) for e in lake_events(project)] == [("ana", 2), ("budi", 3)]


def test_archives_that_cannot_be_read_are_refused_with_what_to_do(project: Project, tmp_path: Path) -> None:
    cut = tmp_path / "cut.zip"
    cut.write_bytes(_zip(tmp_path / "whole.zip", {"a.csv": "timestamp,user_id\n"}).read_bytes()[:30])
    with pytest.raises(InputFileError, match=r"cut\.zip cannot be read as a zip archive .*Is it whole"):
        archive_files(cut)
    with pytest.raises(InputFileError, match=r"holds no file b\.csv"):
        import_file(project, tmp_path / "whole.zip" / "b.csv")
    # A file zipped with a password: zipfile cannot read it, and the user is told to unzip it themselves.
    # (zipfile writes no encryption: the flag that says so is set in the local and the central header.)
    packed = bytearray(_zip(tmp_path / "locked.zip", {"a.csv": "timestamp,user_id\n"}).read_bytes())
    for signature, flag_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        packed[packed.index(signature) + flag_at] |= 0x1
    locked = tmp_path / "locked.zip"
    locked.write_bytes(bytes(packed))
    with pytest.raises(InputFileError, match=r"a\.csv is encrypted\. Unzip it with its password"):
        import_file(project, locked / "a.csv")
    # Named among files to import (not to `jejak import`, which opens it), an archive says how it is read.
    with pytest.raises(InputFileError, match=r"whole\.zip is a zip archive: .*archive_files"):
        import_files(project, [tmp_path / "whole.zip"])


def test_names_that_would_leave_the_folder_are_never_unpacked(project: Project, tmp_path: Path) -> None:
    till = "timestamp,user_id,event\n2026-03-01 09:00,ana,Page\n"
    archive = _zip(
        tmp_path / "evil.zip", {"../escape.csv": till, "/abs.csv": till, ".hidden.csv": till, "ok.csv": till}
    )
    files, left = archive_files(archive)
    assert files == [archive / "ok.csv"] and sorted(left) == ["../escape.csv", ".hidden.csv", "/abs.csv"]
    with pytest.raises(InputFileError, match="below the archive"):
        import_file(project, archive / ".." / "escape.csv")
    assert not (tmp_path / "escape.csv").exists() and not (project.staging_dir.parent / "escape.csv").exists()


def test_where_a_path_points_inside_an_archive(tmp_path: Path) -> None:
    archive = _zip(tmp_path / "Export.ZIP", {"a/b.csv": "x"})
    assert inside_archive(archive / "a" / "b.csv") == (archive, "a/b.csv")
    assert inside_archive(archive) is None  # the archive itself is a file on disk
    assert inside_archive(tmp_path / "folder" / "b.csv") is None
    assert shown_name(str(archive / "a" / "b.csv")) == "Export.ZIP/a/b.csv"
    assert shown_name("/data/orders.csv") == "orders.csv"
    assert shown_name("/data/export.zip") == "export.zip"
