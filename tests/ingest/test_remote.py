"""Files imported from a web address (a Google Sheet staff keep a log in), served over real HTTP on 127.0.0.1."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import lake_events

from jejak.cli.main import cli
from jejak.core.errors import InputFileError
from jejak.ingest.remote import download_url, fetch, is_url
from jejak.store.project import open_project

VISITS = "Tanggal,No HP,Cabang\n2026-03-01 10:00,0812-3456-7890,Kemang\n2026-03-01 11:00,0813-1111-2222,Kemang\n"


class _Site:
    """What the test server answers, by path: (status, content type, body)."""

    def __init__(self) -> None:
        self.pages: dict[str, tuple[int, str, bytes]] = {}


@pytest.fixture
def site() -> Iterator[tuple[_Site, str]]:
    served = _Site()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status, content_type, body = served.pages.get(self.path, (404, "text/plain", b"not here"))
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield served, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_sheet_at_an_address_is_imported_again_for_its_new_rows_only(site: tuple[_Site, str], tmp_path: Path) -> None:
    served, base = site
    served.pages["/kunjungan.csv"] = (200, "text/csv; charset=utf-8", VISITS.encode())
    runner = CliRunner()
    home = tmp_path / "kopi"
    assert runner.invoke(cli, ["init", str(home)]).exit_code == 0
    at = ["--project", str(home), "--map", "Tanggal=timestamp,No HP=phone", "--set", "event=store_visit"]
    url = f"{base}/kunjungan.csv#Sheet1"  # a fragment no server sees
    first = runner.invoke(cli, ["import", url, *at])
    assert first.exit_code == 0, first.output
    project = open_project(home, env={})
    events = lake_events(project)
    assert len(events) == 2 and {event["source_file"] for event in events} == {f"{base}/kunjungan.csv"}
    # Staff added a visit: the next import stores it, and only it.
    served.pages["/kunjungan.csv"] = (200, "text/csv", (VISITS + "2026-03-02 09:30,0812-3456-7890,Bali\n").encode())
    again = runner.invoke(cli, ["import", url, *at])
    assert again.exit_code == 0, again.output
    assert len(lake_events(project)) == 3
    listed = runner.invoke(cli, ["imports", "list", "--format", "json", "--project", str(home)])
    assert [(row["file"], row["rows_stored"]) for row in json.loads(listed.output)] == [
        (f"{base.removeprefix('http://')}/kunjungan.csv", 1),
        (f"{base.removeprefix('http://')}/kunjungan.csv", 2),
    ]
    # Read otherwise (the branch kept as a property, by another name): --replace removes the earlier reading first.
    other = [*at[:3], "Tanggal=timestamp,No HP=phone,Cabang=properties.branch", *at[4:]]
    replaced = runner.invoke(cli, ["import", url, *other, "--replace"])
    assert replaced.exit_code == 0 and "removed the earlier import's 3 events" in replaced.output, replaced.output
    assert sorted(json.loads(e["properties"])["branch"] for e in lake_events(project)) == ["Bali", "Kemang", "Kemang"]
    removed = runner.invoke(cli, ["imports", "remove", url, "--yes", "--project", str(home)])
    assert removed.exit_code == 0 and lake_events(project) == [], removed.output
    assert not any((project.staging_dir).iterdir())  # no downloaded copy is kept


def test_an_address_that_answers_no_file_is_refused_with_what_to_do(site: tuple[_Site, str], tmp_path: Path) -> None:
    served, base = site
    served.pages["/login"] = (200, "text/html; charset=utf-8", b"<html>Sign in</html>")
    with pytest.raises(InputFileError, match=r"answered with a web page, not a file\. A Google Sheet must be shared"):
        fetch(f"{base}/login", tmp_path)
    with pytest.raises(InputFileError, match=r"the server answered 404 Not Found\. Check the address"):
        fetch(f"{base}/gone.csv", tmp_path)
    with pytest.raises(InputFileError, match=r"could not be downloaded \(.*\)\. Is the address right"):
        fetch("http://127.0.0.1:9/nothing.csv", tmp_path, timeout_seconds=5)
    # In a list of files, the others are imported and the command says which failed.
    served.pages["/ok.csv"] = (200, "text/csv", b"timestamp,user_id,event\n2026-03-01 09:00,ana,Order Completed\n")
    runner = CliRunner()
    home = tmp_path / "kopi"
    assert runner.invoke(cli, ["init", str(home)]).exit_code == 0
    both = runner.invoke(cli, ["import", f"{base}/gone.csv", f"{base}/ok.csv", "--project", str(home)])
    assert both.exit_code == 1 and "1 file not imported" in both.output, both.output
    assert len(lake_events(open_project(home, env={}))) == 1


def test_an_address_typed_with_spaces_or_letters_not_ascii_is_sent_as_a_browser_sends_it(
    site: tuple[_Site, str], tmp_path: Path
) -> None:
    # A report's address typed from its file name: urllib stopped on the space and on the é as a bug.
    served, base = site
    served.pages["/unduh/Laporan%20Kafe%20%C3%A9.csv?cabang=Kemang%202"] = (200, "text/csv", VISITS.encode())
    typed = f"{base}/unduh/Laporan Kafe é.csv?cabang=Kemang 2"
    fetched = fetch(typed, tmp_path)
    assert fetched.read_text(encoding="utf-8") == VISITS
    # An address urllib cannot even split, or one with a space in its host, is refused with what was wrong (telling
    # it from a file's path stopped the command as a bug).
    assert is_url("http://[::1") and not is_url("[::1].csv")
    with pytest.raises(InputFileError, match=r"http://\[::1 is no web address jejak can read \(Invalid IPv6 URL\)"):
        fetch("http://[::1", tmp_path)
    with pytest.raises(InputFileError, match=r"could not be downloaded \(URL can't contain control characters"):
        fetch("http://a b/x.csv", tmp_path)


def test_a_download_is_named_by_its_address(site: tuple[_Site, str], tmp_path: Path) -> None:
    served, base = site
    served.pages["/report?id=7"] = (200, "text/csv", b"timestamp,user_id\n2026-03-01 09:00,ana\n")
    # No file name in the address: a name from the address alone, with the suffix the content type gives; the same
    # every time, as the rows' ids (from the source name) must be.
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = fetch(f"{base}/report?id=7", tmp_path / "a")
    second = fetch(f"{base}/report?id=7", tmp_path / "b")
    assert first.name == second.name and first.name.startswith("download-") and first.suffix == ".csv"
    # A name whose suffix is not what the server says it sends is not kept; one that agrees, or a type not known, is.
    served.pages["/export.php"] = (200, "text/csv", b"timestamp,user_id\n")
    served.pages["/events.jsonl.gz"] = (200, "application/gzip", b"")
    assert fetch(f"{base}/export.php", tmp_path / "a").suffix == ".csv"
    assert fetch(f"{base}/events.jsonl.gz", tmp_path / "a").name == "events.jsonl.gz"


@pytest.mark.parametrize(
    ("link", "read_from"),
    [
        ("https://docs.google.com/spreadsheets/d/1AbCdEfGhIj/edit#gid=42", "/d/1AbCdEfGhIj/export?format=csv&gid=42"),
        ("https://docs.google.com/spreadsheets/d/1AbCdEfGhIj/edit?usp=sharing", "/d/1AbCdEfGhIj/export?format=csv"),
        ("https://docs.google.com/spreadsheets/d/1AbCdEfGhIj/view?gid=7", "/d/1AbCdEfGhIj/export?format=csv&gid=7"),
        ("https://docs.google.com/spreadsheets/d/1AbCdEfGhIj", "/d/1AbCdEfGhIj/export?format=csv"),
        # Already a file: an export, or a sheet published to the web as CSV.
        ("https://docs.google.com/spreadsheets/d/1AbCdEfGhIj/export?format=xlsx", "/d/1AbCdEfGhIj/export?format=xlsx"),
        ("https://docs.google.com/spreadsheets/d/e/2PACX-1vQ/pub?output=csv", "/d/e/2PACX-1vQ/pub?output=csv"),
    ],
)
def test_a_google_sheets_link_is_read_from_its_csv_export(link: str, read_from: str) -> None:
    assert download_url(link) == f"https://docs.google.com/spreadsheets{read_from}"
