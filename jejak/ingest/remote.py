"""Files read from a web address: a Google Sheet staff keep a call log or a store's visitors in, a report a tool
publishes at a link.

`jejak import URL` downloads the file into the project's staging area and imports it as any file, named by its
address: the address is the rows' `source_file` (a Google Sheet's edit, view and sharing links all name its
CSV export), so importing it again stores only the rows added since, `--replace` and `jejak imports remove URL`
find it, and the file is never kept. The downloaded copy is named after the address, not after what the server
calls it, so that a renamed sheet keeps its rows' ids.

Example:
    >>> download_url("https://docs.google.com/spreadsheets/d/1AbCdEfGhIj/edit?usp=sharing#gid=42")
    'https://docs.google.com/spreadsheets/d/1AbCdEfGhIj/export?format=csv&gid=42'
"""

from __future__ import annotations

import hashlib
import http.client
import re
import shutil
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path, PurePosixPath
from typing import TypeGuard

from jejak.core.errors import InputFileError

# A Google Sheet's link as its editor or a viewer copies it: `/spreadsheets/d/<id>/edit#gid=0`, `/view`, `/htmlview`.
_GOOGLE_SHEET = re.compile(r"^https://docs\.google\.com/spreadsheets/d/(?P<id>[A-Za-z0-9_-]{10,})(?:/|$)")
# Content types that are a web page, not a file: what a server answers for a sheet shared with no one, a login.
_WEB_PAGE = ("text/html", "application/xhtml")
# What a file of no known suffix is saved as, by what the server says it is.
_SUFFIX_BY_TYPE = {
    "text/csv": ".csv",
    "text/tab-separated-values": ".tsv",
    "application/x-ndjson": ".jsonl",
    "application/jsonl": ".jsonl",
    "application/json": ".jsonl",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "application/vnd.apache.parquet": ".parquet",
}
DOWNLOAD_TIMEOUT_SECONDS = 60


def is_url(text: object) -> TypeGuard[str]:
    """Whether an argument is a web address (http or https) rather than a file's path: one that cannot be read as an
    address (`http://[::1`) still is, by its start, so that `fetch` says what is wrong with it."""
    if not isinstance(text, str):
        return False
    try:
        return urllib.parse.urlsplit(text).scheme in ("http", "https")
    except ValueError:
        return text.lower().startswith(("http://", "https://"))


def sendable(address: str) -> str:
    """The address as a browser sends it: a host that is not ASCII in IDNA (`kopi-é.id` → `xn--kopi--9ua.id`) and
    a path or query with spaces or letters that are not ASCII percent-encoded (`/Laporan Maret.csv` →
    `/Laporan%20Maret.csv`); what is already encoded stays. HTTP takes nothing else, and urllib stops on it.

    Example:
        >>> sendable("https://kopi.example/unduh/Laporan Maret.csv?cabang=Kemang 2")
        'https://kopi.example/unduh/Laporan%20Maret.csv?cabang=Kemang%202'
    """
    if address.isascii() and " " not in address:
        return address
    parts = urllib.parse.urlsplit(address)
    user, at, host_port = parts.netloc.rpartition("@")
    host, colon, port = host_port.partition(":") if not host_port.startswith("[") else (host_port, "", "")
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise ValueError(f"its host {host!r} is no name a web address can have ({exc})") from None
    netloc = f"{urllib.parse.quote(user, safe=':%')}{at}{host}{colon}{port}"
    path = urllib.parse.quote(parts.path, safe="/%:@!$&'()*+,;=~")
    query = urllib.parse.quote(parts.query, safe="/%:@!$&'()*+,;=~?")
    return urllib.parse.urlunsplit((parts.scheme, netloc, path, query, parts.fragment))


def download_url(url: str) -> str:
    """The address the file is read from: a Google Sheet's link becomes its sheet's CSV export (the tab its `gid`
    names, else the first); any other address is kept, without its `#fragment`, which no server sees."""
    found = _GOOGLE_SHEET.match(url)
    if found and "/export" not in url and "/pub" not in url:
        parts = urllib.parse.urlsplit(url)
        gid = urllib.parse.parse_qs(parts.fragment).get("gid") or urllib.parse.parse_qs(parts.query).get("gid")
        tab = f"&gid={gid[0]}" if gid else ""
        return f"https://docs.google.com/spreadsheets/d/{found.group('id')}/export?format=csv{tab}"
    return urllib.parse.urldefrag(url).url


def _local_name(url: str, content_type: str) -> str:
    """A name for the downloaded copy that the address alone decides (its rows' ids derive from it): the address's
    own file name when it has a suffix that the content type does not contradict (`visits.csv`; not `export.php`
    answering CSV), else a hash of the address with the suffix its content type gives (a Google Sheet's CSV
    export: `sheet-<hash>.csv`)."""
    path_name = PurePosixPath(urllib.parse.urlsplit(url).path).name
    suffix = PurePosixPath(path_name).suffix.lower()
    said = _SUFFIX_BY_TYPE.get(content_type)
    if suffix and not _GOOGLE_SHEET.match(url) and (said is None or path_name.lower().endswith(said)):
        return path_name
    digest = hashlib.sha256(url.encode("utf-8")).hexdigest()[:12]
    return f"{'sheet' if _GOOGLE_SHEET.match(url) else 'download'}-{digest}{said or '.csv'}"


def fetch(url: str, directory: Path, *, timeout_seconds: float = DOWNLOAD_TIMEOUT_SECONDS) -> Path:
    """The file at `url` (`download_url` of it) downloaded into `directory`, under `_local_name`; an error that says
    what went wrong and what to do when the address cannot be read, or answers with a web page."""
    try:
        address = sendable(download_url(url))
        request = urllib.request.Request(address, headers={"User-Agent": "jejak (file import)"})
    except ValueError as exc:  # urllib's own: an address it cannot split (`http://[::1`)
        raise InputFileError(
            f"{url} is no web address jejak can read ({exc}). Check it, or download the file."
        ) from None
    try:
        with urllib.request.urlopen(request, timeout=timeout_seconds) as answer:
            content_type = answer.headers.get_content_type()
            if content_type in _WEB_PAGE:
                raise InputFileError(
                    f"{url} answered with a web page, not a file. A Google Sheet must be shared as 'Anyone with the "
                    "link' (Share → General access) or published to the web for jejak to read it; a file that needs a "
                    "login can be downloaded and imported as a file."
                )
            target = directory / _local_name(address, content_type)
            with target.open("wb") as written:
                shutil.copyfileobj(answer, written, length=1024 * 1024)
    except urllib.error.HTTPError as exc:
        exc.close()  # it holds the answer's connection open
        raise InputFileError(
            f"{url} could not be downloaded: the server answered {exc.code} {exc.reason}. Check the address"
            + (", and that the sheet is shared as 'Anyone with the link'." if _GOOGLE_SHEET.match(address) else ".")
        ) from None
    except (urllib.error.URLError, TimeoutError, OSError, http.client.InvalidURL) as exc:  # InvalidURL: `http://a b/`
        reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
        raise InputFileError(
            f"{url} could not be downloaded ({reason}). Is the address right, and the network up?"
        ) from None
    return target
