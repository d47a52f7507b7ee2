"""Import files into the event lake: read, validate, hash identifiers, deduplicate, write atomically.

Counts always reconcile: rows read = rows stored + rows quarantined + duplicates skipped.

Example:
    >>> import tempfile, pathlib
    >>> from jejak.store.project import init_project
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> project = init_project(root / "p")
    >>> _ = (root / "a.csv").write_text("timestamp,user_id,event\\n2026-01-05 10:00:00,u1,Order Completed\\n")
    >>> summary = import_file(project, root / "a.csv")
    >>> summary.rows_read, summary.rows_stored, import_file(project, root / "a.csv").duplicates_skipped
    (1, 1, 1)
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import functools
import gzip
import json
import os
import re
import shlex
import shutil
import time
import uuid
import zlib
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import ibis
import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from jejak.core.clock import utc_now
from jejak.core.errors import InputFileError, MissingColumnError, SettingError
from jejak.core.jsontext import loads
from jejak.core.pii import erased_key, erasure_secret
from jejak.core.settings import Settings, check_time_zone
from jejak.core.vocabulary import CLEAR_KIND_PREFIXES, EVENT_COLUMNS, KIND_PREFIX, QUARANTINE_SCHEMA
from jejak.engine import PARQUET_COPY_OPTIONS, Engine, connect
from jejak.ingest.archives import ARCHIVE_SUFFIX, check_member, inside_archive, member_names, unpack
from jejak.ingest.event_names import (
    EVENT_AS_WRITTEN,
    ConversionStatuses,
    EventRenames,
    is_status_column,
    quoted,
    status_event,
)
from jejak.ingest.exports import export_kind, rewrite_as_segment
from jejak.ingest.ga4 import flatten_ga4, ga4_json_error, is_ga4_export, is_ga4_json
from jejak.ingest.identifiers import (
    PII_CANDIDATE_RE2,
    REDACTED_IDS,
    REDACTED_JSON,
    REDACTED_TEXT,
    mask_pii,
    pii_map,
    private_text,
    redact_events,
)
from jejak.ingest.jsondocs import NOT_EVENTS, document_kind, not_events_error, rewrite_as_lines
from jejak.ingest.mapping import (
    JOIN_MARK,
    PROPERTY_PREFIX,
    canonical_header,
    check_constants,
    check_mapping,
    compact_name,
    contact_log,
    is_cost_report,
    is_customer_list,
    map_option_text,
    names_not_in,
    pairs_option_text,
    property_name,
    split_joins,
    suggested_map,
    survey_kind,
    totals_columns,
)
from jejak.ingest.matomo import MATOMO, is_matomo_visits, matomo_api_error, rewrite_matomo_visits
from jejak.ingest.orders import ORDER_ID_PROPERTIES, OWNER_COLUMNS, order_owners
from jejak.ingest.readers import (
    CHUNK_COLUMNS,
    TYPED_AMOUNT_FLAGS,
    RawChunk,
    cr_to_lf,
    csv_delimiter,
    csv_lines_above_table,
    ends_lines_with_cr,
    is_gzipped,
    is_table_row,
    is_utf16,
    named_by_place,
    not_a_workbook,
    open_sheet,
    parquet_header,
    read_csv_chunks,
    read_csv_header,
    read_jsonl_chunks,
    read_parquet_chunks,
    refuse_repeated_names,
    sheet_rows,
    sheet_rows_above_table,
    utf16_to_utf8,
)
from jejak.ingest.remote import download_url, is_url
from jejak.ingest.time_hints import TimeFormatHint, suggest_time_format, times_of_messages
from jejak.ingest.validate import (
    ANONYMOUS_ROW,
    EPOCH_FORMATS,
    JSONL_RAW_TEXT_SQL,
    KNOWN_INPUT_COLUMNS,
    NOBODY_NAMED,
    POINT_DECIMALS,
    AmountStyle,
    amount_style,
    jsonl_extract_sql,
    sql_files,
    sql_text,
    table_extract_sql,
    table_raw_text_sql,
    trimmed,
    validate_sql,
)
from jejak.ingest.whatsapp import CHAT_COLUMNS, WHATSAPP_FORMAT, is_whatsapp_chat, read_whatsapp_chunks
from jejak.store.appstate import open_state, writing_state
from jejak.store.files import move_into_place
from jejak.store.lake import (
    event_files,
    events_glob,
    excluding_readers,
    publish_partitions,
    replace_files,
    staging_area,
    writer_lock,
)
from jejak.store.project import Project

FORMATS_BY_SUFFIX = {
    ".csv": "csv",
    ".tsv": "csv",  # tab-separated: the separator is found from the header line, as for any CSV
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".txt": WHATSAPP_FORMAT,  # only a WhatsApp chat export (`whatsapp.is_whatsapp_chat`); other text is no format
    ".xlsx": "xlsx",
    ".xls": "xls",  # Excel 97–2003, as older shop and bank systems still export
    ".ods": "ods",  # OpenDocument (LibreOffice)
}
GZIP_FORMATS = ("csv", "jsonl")  # the formats that may come gzipped (`readers.is_gzipped`)
SHEET_FORMATS = ("xlsx", "xls", "ods")  # workbooks: one sheet is read, the first or `--sheet` (`readers.open_sheet`)
SPEND_FORMAT = "spend"  # what the imports log says of an ad spend file's import (`spend.import_spend`)
# What it says of a removal of a file's import (`removal.remove_import`; negative counts), events' or spend's.
REMOVED_FORMAT, REMOVED_SPEND_FORMAT = "removed", "spend removed"
# The imports-log line of a file whose events a later import replaced (`--update`), with negative counts.
REPLACED_FORMAT = "replaced"
# The imports-log line of a file whose rows an erasure of people took (`service.erasure`), with negative counts.
ERASED_FORMAT = "erased"
SPEND_FORMATS = (SPEND_FORMAT, REMOVED_SPEND_FORMAT)  # log lines whose rows are spend, not events
TITLED = ("csv", *SHEET_FORMATS)  # the formats whose header may have a report's title above it (`--skip-lines`)
IMPORT_MEMORY_LIMIT_MB = 2048
CHECK_SAMPLE_ROWS = 5  # what `jejak import --check` shows of the events it would store, and of the bad rows
IDENTIFIER_COLUMNS = ("user_id", "anonymous_id", "email", "phone")
ProgressCallback = Callable[[int, int], None]


@dataclass(frozen=True)
class ImportSummary:
    """What one file's import did; the counts reconcile."""

    file: str
    file_format: str
    rows_read: int
    rows_stored: int
    rows_quarantined: int
    duplicates_skipped: int
    quarantined_by_reason: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    # Rows of erased people (`jejak erase`), not stored again: a count of its own in the reconciliation.
    rows_erased: int = 0
    delimiter: str = ""  # what separated a CSV file's values ("" for other formats)
    # With `check` (nothing stored): the first new events as they would be stored, and the first bad rows.
    sample: list[dict[str, object]] = field(default_factory=list)
    bad_sample: list[dict[str, object]] = field(default_factory=list)
    columns: list[tuple[str, str]] = field(default_factory=list)  # each file column → jejak column, or properties
    # The timestamp_formats entry that would read the times quarantined as bad_timestamp, when they share one shape.
    time_format_hint: TimeFormatHint | None = None
    # The names the command line's --map gave that the file has no column of (a typo, or a map for another file).
    unused_map: tuple[str, ...] = ()
    # The channels the file's rows set themselves (its `channel` column), up to SET_CHANNELS_SHOWN, in name order.
    channels: tuple[str, ...] = ()
    # The file's `source` values, with their events, when each names where an order was placed, not where its buyer
    # came from (Shopify's `Source`: web, pos; `_staged_sales_places`).
    sales_places: tuple[tuple[str, int], ...] = ()
    # Whether the file's user_ids are people's names (`Budi Santoso`: a till's `Customer` column), by their values
    # (`_staged_named_ids`): namesakes would be one person.
    ids_are_names: bool = False
    # The statuses --event-names named that no row's event was (a typo, or a status the file does not have).
    unmet_event_names: tuple[str, ...] = ()
    # Conversions whose order status (a column kept in properties) says some were cancelled, refunded or not paid.
    conversion_statuses: tuple[ConversionStatuses, ...] = ()
    # New events that rows of the file gave different revenues (only each one's first row was stored).
    revenue_conflict: RevenueConflict | None = None
    # Conversions of a file none of whose columns says where its events came from (`_staged_conversion_gaps`).
    unsourced: ConversionsLacking | None = None
    # Conversions of a file none of which has a revenue (`_staged_conversion_gaps`): its revenue column is not mapped.
    revenueless: ConversionsLacking | None = None
    # Events with a revenue, none of the file's events a conversion (`_staged_unconverted`): orders named by a status.
    unconverted: UnconvertedOrders | None = None
    # Rows skipped as duplicates of an event under their event_id that is another event (`IdClash`), and events
    # stored before that the file gives again under another name or revenue (`ChangedEvents`).
    id_clash: IdClash | None = None
    changed: ChangedEvents | None = None
    # With `update`: events stored before that the file's rows replaced (counted in rows_stored).
    replaced: int = 0
    # Rows quarantined as no_identifier that name no one at all (a till's walk-in sale; `--keep-anonymous` keeps them).
    unnamed_rows: int = 0
    # Refunds that named no customer, given the customer of the order they name (`_give_refunds_their_customers`).
    refunds_given_customers: int = 0
    # The options the file was read with (the command line's, a profile's, or its last import's), and the profile's
    # name when one gave them (`profiles`; set by the CLI, which chooses it).
    options: ImportOptions | None = None
    profile: str | None = None

    @property
    def reconciles(self) -> bool:
        return self.rows_read == self.rows_stored + self.rows_quarantined + self.duplicates_skipped + self.rows_erased


@dataclass(frozen=True)
class RevenueConflict:
    """New events that rows of the file gave different revenues: only the first row of each was stored. `events`
    counts them; `example` is the first one's id, with its rows' `revenues` in the file's order."""

    events: int
    example: str
    revenues: tuple[float, ...]


@dataclass(frozen=True)
class IdClash:
    """Rows skipped as duplicates, because an event stored before (or an earlier row of the file) has their event_id,
    though they are another event: another time, or another person (`SAME_EVENT_COLUMNS`). Two tills that each number
    their receipts from 1 give two sales one id. `events` counts the ids; `example` is the first one, `stored_from`
    the file its stored event came from ("" for rows of this file alone)."""

    events: int
    example: str
    stored_from: str


@dataclass(frozen=True)
class ChangedEvents:
    """Events stored before that the file gives again at the same time for the same person, under another event name
    or revenue: an order whose status changed since an earlier export (`--event-names`). The stored ones are kept.
    `events` counts them; `example` is the first one's id, with the stored and the given event and revenue."""

    events: int
    example: str
    stored: tuple[str, float | None]
    given: tuple[str, float | None]
    stored_from: str


# What makes two rows with one event_id the same event: its time and its person's identifiers.
SAME_EVENT_COLUMNS = ("timestamp", "user_id", "anonymous_id", "email_hash", "phone_hash")


@dataclass(frozen=True)
class ConversionsLacking:
    """The conversions of a file that lack what every report reads: where they came from (a till's receipts, a
    marketplace's orders with no column saying so: a build counts each as a Direct visit, unless it falls inside a
    web session of its person), or their revenue (none of them has any). `conversions` counts them (distinct event
    ids); `event` is their most common name."""

    conversions: int
    event: str


@dataclass(frozen=True)
class UnconvertedOrders:
    """A file's events that have a revenue when none of its events is a conversion (`conversion_events`): an orders
    export whose status column was mapped to the event (TikTok Shop's `Order Status`: Completed, Delivered, Shipped),
    each order stored as no conversion. `events` gives each name with its events (distinct ids), most first;
    `conversion` is the first conversion event's name, for the `--event-names` that names them."""

    events: tuple[tuple[str, int], ...]
    conversion: str


# The columns that say where an event came from: a file with none of them (nor --set giving one) says nothing of it.
WHERE_FROM_COLUMNS = ("touchpoint", "source", "medium", "campaign", "referrer", "page_url", "page_path", "channel")


@dataclass(frozen=True)
class ImportOptions:
    """What an import was told beyond jejak.toml (`--map`, `--set`, `--delimiter`, `--skip-lines`, `--sheet`,
    `--timezone`, `--timestamp-format`, `--event-names`, `--id-prefix`, `--event-id-prefix`, `--keep-anonymous`,
    `--sum-revenue`). Kept in the imports log, so that a re-try of the file's quarantined rows reads them as the import
    did."""

    column_map: Mapping[str, str] = field(default_factory=dict)
    constants: Mapping[str, str] = field(default_factory=dict)
    delimiter: str | None = None  # a `csv_delimiter` setting value; None: the setting's
    skip_lines: int = 0
    sheet: str | None = None  # a workbook's sheet, by name or number; None: the first
    timezone: str | None = None  # the zone of the file's times without an offset; None: the `timezone` setting's
    # strptime formats of the file's times, tried before the `timestamp_formats` setting's (`24/10/2026 10:00`).
    timestamp_formats: tuple[str, ...] = ()
    event_names: Mapping[str, str] = field(default_factory=dict)  # status as written → event name (`event_names`)
    id_prefix: str | None = None  # what the file's ids are prefixed with (`shopee` → `shopee:budi88`); None: nothing
    event_id_prefix: str | None = None  # what its event ids are prefixed with (`bintaro` → `bintaro:S-1`)
    # A row that names no one (a till's walk-in sale) is kept as a person of its own, not quarantined.
    keep_anonymous: bool = False
    # Rows that share an event_id are one order's products: its revenue is the sum of theirs (Lazada's `Paid Price`).
    sum_revenue: bool = False

    def __post_init__(self) -> None:
        # `shopee:` and `shopee` are one prefix, to the re-import guard too.
        if self.id_prefix is not None:
            object.__setattr__(self, "id_prefix", check_id_prefix(self.id_prefix))
        if self.event_id_prefix is not None:
            object.__setattr__(self, "event_id_prefix", check_id_prefix(self.event_id_prefix, "--event-id-prefix"))

    def to_json(self, columns: Sequence[tuple[str, str]] = (), source_file: str | None = None) -> str:
        """The options as the imports log keeps them, with how the import read each column of the file (`columns`,
        `ImportSummary.columns`): a later import's reading is compared to it (`removal.reimport_conflict`); and the
        file as the lake names it (`source_file_of`), which the log's file as typed names only from where it was."""
        return json.dumps(
            {
                "source_file": source_file,
                "map": dict(self.column_map),
                "set": dict(self.constants),
                "delimiter": self.delimiter,
                "skip_lines": self.skip_lines,
                "sheet": self.sheet,
                "timezone": self.timezone,
                "timestamp_formats": list(self.timestamp_formats),
                "event_names": dict(self.event_names),
                "id_prefix": self.id_prefix,
                "event_id_prefix": self.event_id_prefix,
                "keep_anonymous": self.keep_anonymous,
                "sum_revenue": self.sum_revenue,
                "columns": [list(pair) for pair in columns],
            },
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, text: str | None) -> ImportOptions:
        """The options an imports-log row holds; none for a row without (a re-try, or an import before they were
        kept)."""
        if not text:
            return cls()
        kept = json.loads(text)
        return cls(
            column_map=dict(kept.get("map") or {}),
            constants=dict(kept.get("set") or {}),
            delimiter=kept.get("delimiter"),
            skip_lines=int(kept.get("skip_lines") or 0),
            sheet=kept.get("sheet"),
            timezone=kept.get("timezone"),
            timestamp_formats=tuple(kept.get("timestamp_formats") or ()),
            event_names=dict(kept.get("event_names") or {}),
            id_prefix=kept.get("id_prefix"),
            event_id_prefix=kept.get("event_id_prefix"),
            keep_anonymous=bool(kept.get("keep_anonymous")),
            sum_revenue=bool(kept.get("sum_revenue")),
        )

    def renames(self) -> EventRenames | None:
        """What `--event-names` does to the file's rows, or None when it was not given."""
        return EventRenames(self.event_names) if self.event_names else None


def format_of(path: Path) -> str | None:
    """The format a file's suffix names (`orders.csv.gz` is gzipped CSV), or None."""
    if is_gzipped(path):
        inner = FORMATS_BY_SUFFIX.get(Path(path.stem).suffix.lower())
        return inner if inner in GZIP_FORMATS else None
    file_format = FORMATS_BY_SUFFIX.get(path.suffix.lower())
    if file_format == WHATSAPP_FORMAT and not is_whatsapp_chat(path):
        return None  # notes, a readme: a folder's import leaves them
    return file_format


def detect_format(path: Path) -> str:
    """The file's format from its suffix, or an error listing the suffixes jejak reads."""
    file_format = format_of(path)
    if file_format is None and path.suffix.lower() == ARCHIVE_SUFFIX:
        # `jejak import` reads an archive's files (`cli.main.expand_folders`); a list of files names them one by one.
        raise InputFileError(
            f"{path} is a zip archive: jejak reads the files in it, not the archive. Name the archive itself to "
            f'`jejak import` (`jejak import "{path}"`), or its files (`archive_files`).'
        )
    if file_format is None and path.suffix.lower() == ".txt":
        raise InputFileError(
            f"{path}: jejak reads a .txt file only as WhatsApp's chat export (Export chat, without media), and this "
            "one does not start with a message (`25/11/26 09.15 - Budi: Halo kak`). Import other text as CSV."
        )
    if file_format is None:
        gzipped = [f"{suffix}.gz" for suffix, kind in FORMATS_BY_SUFFIX.items() if kind in GZIP_FORMATS]
        allowed = ", ".join([*sorted(FORMATS_BY_SUFFIX), *sorted(gzipped)])
        raise InputFileError(f"{path}: unknown file format '{path.suffix or '(no suffix)'}'. jejak imports {allowed}.")
    return file_format


def check_importable(paths: Sequence[Path]) -> None:
    """Each file is there, readable, and of a format jejak reads: checked for all before any is read, so that a
    mistyped name in a list of files costs nothing."""
    for path in paths:
        _check_readable(Path(path))
        detect_format(Path(path))


def files_in(directory: Path) -> tuple[list[Path], list[Path]]:
    """A folder's files jejak imports (by their suffix, in name order), and the entries it leaves: sub-folders,
    hidden files and other suffixes. Only the folder's own files: a sub-folder may hold anything (the demo
    generator's `truth/` holds the planted parameters, not events)."""
    entries = sorted(directory.iterdir(), key=lambda entry: entry.name)
    files = [e for e in entries if e.is_file() and not e.name.startswith(".") and format_of(e) is not None]
    return files, [e for e in entries if e not in files]


def archive_files(archive: Path) -> tuple[list[Path], list[str]]:
    """A zip archive's files jejak imports, in name order, as paths inside it (`export.zip/2026/events.csv`: see
    `archives`), and the names of the entries it leaves (other formats, hidden files, a Mac's copies). Every file
    at any depth: an archive is one export, and Amplitude's keeps its files in a folder."""
    names, never = member_names(archive)
    files = [archive / name for name in names if format_of(archive / name) is not None]
    read = {file.relative_to(archive).as_posix() for file in files}
    return files, [name for name in names if name not in read] + never


def _gunzip(path: Path, packed_file: Path, directory: Path) -> Path:
    """A gzipped file (`packed_file`, the copy of `path` at hand) unpacked into `directory` under its name without
    `.gz`: the readers seek back and forth, which a gzip stream can only do by unpacking again from the start."""
    target = directory / packed_file.stem
    try:
        with gzip.open(packed_file, "rb") as packed, target.open("wb") as unpacked:
            shutil.copyfileobj(packed, unpacked, length=8 * 1024 * 1024)
    except (OSError, EOFError, zlib.error) as exc:  # gzip.BadGzipFile is an OSError; a cut file ends in EOFError
        raise InputFileError(f"{path} cannot be unpacked as gzip ({exc}). Is it whole, and gzip?") from None
    return target


def _to_utf8(path: Path, readable: Path, directory: Path) -> Path:
    """A UTF-16 text file re-encoded into `directory` under its own name: the readers split UTF-8 bytes, and the
    rows' text (so their ids) is what the same export saved as UTF-8 would give."""
    target = directory / readable.name
    try:
        utf16_to_utf8(readable, target)
    except UnicodeDecodeError as exc:  # an odd number of bytes: the file was cut
        raise InputFileError(
            f"{path} starts as UTF-16 text but cannot be read as it ({exc.reason}). Is it whole?"
        ) from None
    return target


def readable_copy(project: Project, path: Path, file_format: str, stack: contextlib.ExitStack[Any]) -> Path:
    """The file as the readers take it: one in a zip archive unpacked (`archives`), a gzipped one unpacked, a UTF-16
    CSV re-encoded as UTF-8, a CSV whose lines end in a CR alone given line feeds, a GA4 BigQuery export flattened
    into event columns (`ga4`), each into a staging directory that `stack` removes; else the file itself."""
    readable = path
    if inside_archive(path):
        readable = unpack(path, stack.enter_context(staging_area(project)))
    if is_gzipped(path):
        readable = _gunzip(path, readable, stack.enter_context(staging_area(project)))
    if file_format == "csv" and is_utf16(readable):
        readable = _to_utf8(path, readable, stack.enter_context(staging_area(project)))
    if file_format == "csv" and ends_lines_with_cr(readable):
        # Excel for Mac's "Macintosh Comma Separated": the readers split at line feeds, so one line held every row.
        lf_lines = stack.enter_context(staging_area(project)) / readable.name
        cr_to_lf(readable, lf_lines)
        readable = lf_lines
    if file_format == "jsonl" and is_ga4_json(readable):
        # Read as Segment messages, every line would be quarantined: say what to export instead.
        raise ga4_json_error(path)
    if file_format == "parquet" and is_ga4_export(readable):
        # Under the file's own name: its rows are named by it (source name, deterministic ids).
        flat = stack.enter_context(staging_area(project)) / readable.name
        readable = flatten_ga4(readable, flat, project.settings)
    return readable


# How many of a file's unreadable times are looked at for a timestamp_formats hint (they must share one shape).
TIME_HINT_ROWS = 50


def _check_readable(path: Path) -> None:
    if check_member(path):  # a file in a zip archive: the archive is read, and holds it
        return
    if not path.exists():
        raise InputFileError(f"{path} does not exist. Check the path and try again.")
    if not path.is_file():
        raise InputFileError(f"{path} is not a file. Pass the files themselves (a shell glob like data/*.csv works).")
    if not os.access(path, os.R_OK):
        raise InputFileError(f"{path} cannot be read (permission denied). Fix its permissions and try again.")


class AdviceNames(NamedTuple):
    """The event names a refusal's advice gives a file's rows: the project's first conversion event for an export of
    orders, its first feedback event for a survey's answers (so that, followed, they count as such whatever the
    `conversion_events` and `feedback_events` settings say). And the refund events: a file with an order's id and no
    customer is read only when its rows may be refunds (`_check_columns`)."""

    order: str = "Order Completed"
    survey: str = "Survey Answered"
    refunds: tuple[str, ...] = ("Order Refunded",)

    @classmethod
    def of(cls, settings: Settings) -> AdviceNames:
        default = cls()
        return cls(
            next(iter(settings.conversion_events), default.order),
            next(iter(settings.feedback_events), default.survey),
            tuple(settings.refund_events),
        )


# The names the defaults of the settings give.
DEFAULT_ADVICE = AdviceNames()


# The lines above a file's table (a report's title), and the table's header there; (0, []) when none is found.
TableBelowTitle = Callable[[], tuple[int, list[str]]]


def _no_title() -> tuple[int, list[str]]:
    return 0, []


def _check_columns(
    path: Path,
    header: Sequence[str],
    names: Sequence[str],
    file_format: str,
    renaming: bool = False,
    advice: AdviceNames = DEFAULT_ADVICE,
    below_title: TableBelowTitle = _no_title,
    set_event: str | None = None,
) -> None:
    """The columns every event needs are there (`names`: each `header` column's name after mapping, and the --set
    columns after them); if not, say so, with the mapping the file's names suggest (`mapping.suggested_map`).
    Every missing one is named in one refusal: a file that lacked its time and its event's name took two rounds.
    `renaming`: --event-names was given, whose own check (`_check_renamable`) says how to map the event. `advice`: the
    event names to give. `below_title`: where the table starts, read only for a refusal whose header is one value
    (a report's title), so that the advice gives the lines to skip. `set_event`: the event --set gives every row."""
    lacks: list[str] = []
    if "timestamp" not in names:
        lacks.append(
            f"{path} has no 'timestamp' column. "
            'Add one, or map yours with --map "your_column=timestamp" (or [import.map] in jejak.toml).'
        )
    # A returns sheet names the order each refund is of, and no customer: a refund takes its order's customer
    # (`_give_refunds_their_customers`), and each row that cannot is quarantined, saying why. An orders export
    # without its customer column is still refused at once, with the mapping its names suggest.
    may_be_refunds = set_event is None or set_event.strip().lower() in {name.lower() for name in advice.refunds}
    names_orders = may_be_refunds and any(
        (property_name(name) or name.lower()) in ORDER_ID_PROPERTIES for name in names
    )
    if not any(name in names for name in IDENTIFIER_COLUMNS) and not names_orders:
        lacks.append(
            f"{path} has none of the identifier columns {', '.join(IDENTIFIER_COLUMNS)}. "
            'Add one, or map yours with --map "pelanggan=user_id".'
        )
    unnamed = "event" not in names and "type" not in names and not renaming
    if not (lacks or unnamed):
        return
    # Read once for the refusal: the advice on the event's name reads it too.
    suggested = suggested_map(header, names[: len(header)])
    above, table = below_title() if file_format in TITLED and not is_table_row(header) else _no_title()
    identified = {*names, *suggested.values()} & set(IDENTIFIER_COLUMNS)
    totals = [] if identified else totals_columns(table or header)
    if totals:
        raise MissingColumnError(_totals_report_text(path, totals, above))
    if unnamed:
        lacks.append(_no_event_column_text(path, header, names, suggested, advice))
    # A report's title above its header reads as the header: say how to skip it, with the lines to skip when its
    # first line is one value. A header with a column jejak reads, or one it would offer, is the file's own.
    read = suggested or any(name in KNOWN_INPUT_COLUMNS for name in names[: len(header)])
    titled = ""
    if above:
        titled = f" Its first line reads as a title: skip the lines above its header with --skip-lines {above}."
    elif file_format in TITLED and not read:
        titled = " If lines above the header hold a title, skip them with --skip-lines N."
    perhaps = f" Its names suggest: {map_option_text(suggested)} (check with --check)." if suggested else ""
    also = "".join(f" It also {lack.removeprefix(f'{path} ')}" for lack in lacks[1:])
    raise MissingColumnError(f"{lacks[0]}{also} Its columns: {', '.join(header)}.{perhaps}{titled}")


def _totals_report_text(path: Path, totals: Sequence[str], above: int) -> str:
    """What to say of a report of totals (`mapping.totals_columns`): no mapping makes its rows events. An ad
    platform's report with its cost is ad spend, which `jejak spend import` reads."""
    shown = ", ".join(totals[:4]) + (", …" if len(totals) > 4 else "")
    events = (
        "jejak builds people, sessions, journeys and every report from one row per event (a page view, an order, a "
        "chat, a call), each with its time and its person"
    )
    if is_cost_report(totals):
        skip = f" --skip-lines {above}" if above else ""
        return (
            f"{path} is an ad platform's report of totals ({shown}), not of events: {events}. Its cost is ad spend, "
            f"which cost per conversion and ROAS read: jejak spend import {shlex.quote(str(path))}{skip} --set 'channel=Paid Search' "
            "(the channel of its ads; see jejak spend import --help)."
        )
    return (
        f"{path} is a report of totals, not of events: its columns ({shown}) count what happened under each row's "
        f"channel, page or day, and none says who did it; {events}. Import the events themselves: a web analytics "
        "tool's raw export (GA4's BigQuery export; Mixpanel's, Amplitude's or PostHog's; Matomo's visits log: "
        "docs/import-formats.md), a shop's or a marketplace's orders, a till's receipts, a chat tool's conversations."
    )


def _no_event_column_text(
    path: Path, header: Sequence[str], names: Sequence[str], suggested: Mapping[str, str], advice: AdviceNames
) -> str:
    """What to say of a file with neither an event nor a type column: each row would be a track without a name,
    which no conversion, funnel or stage rule can name (`validate` quarantines such a row as no_event_name).
    `suggested`: the mapping its names suggest (`mapping.suggested_map`); `advice`: the event names to give."""
    status = next(
        (
            written
            for written, name in zip(header, names, strict=False)  # `names` goes on with the --set columns
            if is_status_column(written) and name not in KNOWN_INPUT_COLUMNS
        ),
        None,
    )
    survey = survey_kind(header, names[: len(header)], suggested)
    ways = [
        f"one name for every row with {pairs_option_text('--set', {'event': advice.order})} (an export of orders or "
        "sales: each row one order)"
    ]
    if survey or "properties.score" in names or "properties.comment" in names:
        # A survey's answers: the event the feedback step reads (the feedback_events setting's first name).
        named = {"event": advice.survey} | ({} if survey is None else {"properties.survey": survey})
        ways = [
            f"one name for every row with {pairs_option_text('--set', named)} (a survey's answers: the journey map "
            "reads their scores and comments as feelings)"
        ]
    elif is_customer_list(header):
        # A list without a signup day (Shopify's) is given the day of the import: it says who, not when.
        dated = "timestamp" in names or "timestamp" in suggested.values()
        when = "" if dated else f",timestamp={utc_now().date().isoformat()}"
        ways = [
            f'one type for every row with --set "type=identify{when}" (a customer list: each row joins one '
            "customer's id, e-mail and phone into one person; its totals are kept as they are, never an order's "
            "revenue)"
        ]
    elif contacts := contact_log(header):
        ways = [f'one name for every row with --set "{contacts.constants}" (a {contacts.kind}: {contacts.each_row})']
    elif status:  # the import with --set then advises the --event-names that tell its statuses apart
        ways[0] += f", then tell its {status!r} apart as that import advises"
    ways.append('a column of event names with --map "your_column=event"')
    if "page_url" in names or "page_path" in names:
        ways.append('--set "type=page" if each row is a page view')
    return (
        f"{path} has no 'event' column: each row would be stored as an event without "
        f"a name, never a conversion. Give its events a name: {'; or '.join(ways)}."
    )


class OpenedReader(NamedTuple):
    """A file's chunk reader, the canonical columns present, the extra columns kept in properties, and each file
    column with the name it is read under (its jejak column, or its own name in properties)."""

    chunks: Iterator[RawChunk]
    present: list[str]
    extra: list[str]
    columns: list[tuple[str, str]]


def open_reader(
    path: Path,
    file_format: str,
    mapping: Mapping[str, str],
    delimiter: str = ",",
    constants: Mapping[str, str] | None = None,
    skip_lines: int = 0,
    sheet: str | None = None,
    renames: EventRenames | None = None,
    id_prefix: str | None = None,
    event_id_prefix: str | None = None,
    advice: AdviceNames = DEFAULT_ADVICE,
) -> OpenedReader:
    """The chunk reader plus the canonical columns present and the extra columns kept in properties.

    `delimiter` is a CSV file's value separator (the character; see `readers.csv_delimiter`). `constants`
    (`--set`) give columns the file lacks one value on every row, as if the file had them. `skip_lines` lines
    (rows of an Excel sheet) above the header are a report's title, not data (`--skip-lines`). `sheet` names a
    workbook's sheet to read (`--sheet`; None: the first). `renames` give the event column's values other names
    (`--event-names`: an order's status, mapped to the event, becomes `Order Completed` or `Order Cancelled`).
    `id_prefix` puts its name before each id the file gives (`--id-prefix shopee`: `shopee:budi88`, as
    `ImportOptions` keeps it), so that a marketplace's username joins no other source's id of the same text.
    `event_id_prefix` does so for its event ids (`--event-id-prefix bintaro`: `bintaro:S-1`), so that two tills that
    each number their receipts from 1 give two events, not one and a duplicate. `advice`: the event names a refusal
    of a file without event names gives (`AdviceNames`).
    """
    check_constants(constants or {})
    # A property's value (`properties.survey=csat`) rides as a column of its name, into the properties as any other.
    constants = {property_name(name) or name: value for name, value in (constants or {}).items()}
    if skip_lines and file_format not in TITLED:
        kind = {"jsonl": "JSON Lines file", WHATSAPP_FORMAT: "WhatsApp chat"}.get(file_format, "Parquet file")
        raise InputFileError(
            f"{path}: --skip-lines skips title lines above the header of a CSV or Excel file; a {kind} has none. "
            "Import it without --skip-lines."
        )
    if sheet is not None and file_format not in SHEET_FORMATS:
        raise not_a_workbook(path)
    if id_prefix is not None:
        _refuse_for_messages(path, file_format, "--id-prefix", "ids")
    if event_id_prefix is not None:
        _refuse_for_messages(path, file_format, "--event-id-prefix", "event ids")
    if renames is not None:
        _refuse_for_messages(path, file_format, "--event-names", "event name")
    if file_format == "jsonl":
        if constants:
            raise InputFileError(
                f"{path}: --set gives CSV, Parquet and Excel files a column they lack; a JSON Lines message carries "
                "its own fields (Segment spec). Import it without --set."
            )
        return OpenedReader(read_jsonl_chunks(path), [], [], [])
    if file_format == WHATSAPP_FORMAT:  # no header to map: a chat's messages fill CHAT_COLUMNS
        clashes = [name for name in constants if name in CHAT_COLUMNS]
        if clashes:
            raise InputFileError(
                f"{path}: a WhatsApp chat's events have {', '.join(clashes)} already; --set gives a column they "
                "lack. Drop it from --set."
            )
        chats = read_whatsapp_chunks(path)
        known = [name for name in constants if name in KNOWN_INPUT_COLUMNS]
        extra = [name for name in constants if name not in KNOWN_INPUT_COLUMNS]
        return OpenedReader(_with_constants(chats, constants), [*CHAT_COLUMNS, *known], extra, [])
    # The file's header, and a reader of its rows given the names to use (canonical, after the mapping).
    read_rows: Callable[[Sequence[str]], Iterator[RawChunk]]
    if file_format == "csv":
        header = read_csv_header(path, delimiter, skip_lines=skip_lines)
        read_rows = functools.partial(read_csv_chunks, path, delimiter=delimiter, skip_lines=skip_lines)
    elif file_format in SHEET_FORMATS:
        header, read_rows = open_sheet(path, skip_rows=skip_lines, sheet=sheet)
    else:
        header = parquet_header(path)
        read_rows = functools.partial(read_parquet_chunks, path)
    # A column with no name keeps its values in properties under its place. A NUL cannot be in a column name the
    # engine reads, and is no part of one a person wrote.
    header = named_by_place([name.replace("\0", "") for name in header])
    plain, joins = split_joins(header, mapping)
    names = canonical_header(header, plain)
    taken = sorted(set(names) & set(CHUNK_COLUMNS))
    if taken:
        raise InputFileError(
            f"{path} has a column named {', '.join(taken)}: jejak keeps each row's line and text under those names "
            "while importing. Rename the column in the file."
        )
    joined = [join.target for join in joins]
    refuse_repeated_names(
        path,
        [*names, *joined],
        "Names match without case, and aliases such as userId count as user_id: rename one, or map it to "
        "another name with --map.",
    )
    clashes = [name for name in constants if name in [*names, *joined]]
    if clashes:
        raise InputFileError(
            f"{path} has a {', '.join(clashes)} column already: --set gives a column the file lacks. "
            "Drop it from --set, or map the file's column to another name."
        )
    # A column mapped to a property is checked as `properties.score`, as a check's summary names it: a survey whose
    # score the user mapped is a survey, and its column is not offered again.
    to_property = {written.strip().lower() for written, target in plain.items() if property_name(target)}
    read_as = [
        f"{PROPERTY_PREFIX}{name}" if written.strip().lower() in to_property else name
        for written, name in zip(header, names, strict=True)
    ]

    def below_title() -> tuple[int, list[str]]:
        if file_format == "csv":
            above = csv_lines_above_table(path, delimiter)
            return (above, read_csv_header(path, delimiter, skip_lines=above)) if above else _no_title()
        above = sheet_rows_above_table(path, sheet)
        return (above, sheet_rows(path, above, sheet)[1]) if above else _no_title()

    _check_columns(
        path,
        header,
        [*read_as, *joined, *constants],
        file_format,
        renaming=renames is not None,
        advice=advice,
        below_title=below_title,
        set_event=constants.get("event"),
    )
    present = [n for n in [*names, *joined, *constants] if n in KNOWN_INPUT_COLUMNS]
    extra = [n for n in [*names, *constants] if n not in KNOWN_INPUT_COLUMNS]
    if renames is not None:
        _check_renamable(path, header, present, extra)
        extra.append(EVENT_AS_WRITTEN)
    prefixed = [name for name in PREFIXED_IDS if name in present]
    if id_prefix is not None and not prefixed:
        raise InputFileError(
            f"{path}: --id-prefix puts a name before the file's {', '.join(PREFIXED_IDS)}, and it has none of them "
            f"(columns: {', '.join(header)}). Map the column that tells its people apart to user_id with --map."
        )
    if event_id_prefix is not None and "event_id" not in present:
        raise InputFileError(
            f"{path}: --event-id-prefix puts a name before the file's event_id, and it has none (columns: "
            f"{', '.join(header)}). Without one, its rows' ids are made from their text and the source name, which "
            "no other file's are: import it without --event-id-prefix, or map the column that numbers its rows (a "
            "receipt's or an order's number) to event_id with --map."
        )
    chunks = read_rows(names)
    if joins:
        chunks = _with_joined(chunks, [(join.target, [names[place] for place in join.places]) for join in joins])
    if constants:
        chunks = _with_constants(chunks, constants)
    if renames is not None:
        chunks = _with_renames(chunks, renames)
    if id_prefix is not None:
        chunks = _with_id_prefix(chunks, id_prefix, prefixed)
    if event_id_prefix is not None:
        chunks = _with_id_prefix(chunks, event_id_prefix, ["event_id"])
    organic = next(
        (name for written, name in zip(header, names, strict=True) if compact_name(written) == "isorganic"), None
    )
    if organic is not None and "medium" not in present:
        # Meta's lead export says whether a lead came from an ad (`is_organic` false), not through which medium: from
        # its `platform` (fb, ig) alone the channel rules would call an ad's lead Organic Social.
        chunks = _with_paid_medium(chunks, organic)
        present.append("medium")
    columns = [
        *zip(header, names, strict=True),
        *((JOIN_MARK.join(header[place] for place in join.places), join.target) for join in joins),
    ]
    return OpenedReader(chunks, present, extra, columns)


# How `is_organic` says a lead came from an ad (Meta writes `false`; a spreadsheet's copy `FALSE`, `0`, `no`).
_FROM_AN_AD = ("false", "0", "no", "tidak")


def _with_paid_medium(chunks: Iterator[RawChunk], organic: str) -> Iterator[RawChunk]:
    """Each chunk with a `medium` column: `paid` where its `organic` column says the row is no organic one (a lead
    from an ad), none elsewhere (an organic lead, or a blank)."""
    for chunk in chunks:
        table = chunk.table
        flag = pc.utf8_lower(pc.utf8_trim_whitespace(table.column(organic)))
        from_an_ad = pc.is_in(flag, value_set=pa.array(_FROM_AN_AD))
        medium = pc.if_else(from_an_ad, pa.scalar("paid"), pa.scalar(None, pa.string()))
        yield RawChunk(table.append_column("medium", medium), chunk.bad_rows, chunk.bytes_done)


def _refuse_for_messages(path: Path, file_format: str, option: str, what: str) -> None:
    """An option that rewrites a column of a table's rows is refused for a file of messages (JSON Lines as Segment
    writes them, a WhatsApp chat), each of which carries its own `what`."""
    if file_format in ("jsonl", WHATSAPP_FORMAT):
        kind = "JSON Lines message" if file_format == "jsonl" else "WhatsApp chat's message"
        spec = " (Segment spec)" if file_format == "jsonl" else ""
        raise InputFileError(
            f"{path}: {option} rewrites the {what} of a CSV, Parquet or Excel file's rows; a {kind} carries its own "
            f"{what}{spec}. Import it without {option}."
        )


def _check_renamable(path: Path, header: Sequence[str], present: Sequence[str], extra: Sequence[str]) -> None:
    """`--event-names` renames the event column's values: the file must have one (mapped, or given by --set), and no
    column of the property that keeps the values as written."""
    if "event" not in present:
        statuses = [name for name in header if is_status_column(name)]
        example = statuses[0] if statuses else "Status"
        raise InputFileError(
            f"{path}: --event-names renames the values of the event column, and the file has none (columns: "
            f"{', '.join(header)}). Map the column that holds them to it: --map {shlex.quote(quoted(example) + '=event')}."
        )
    if any(name.strip().lower() == EVENT_AS_WRITTEN for name in extra):
        raise InputFileError(
            f"{path} has a column named {EVENT_AS_WRITTEN}, where --event-names keeps each event as the file wrote it. "
            "Map that column to another name with --map."
        )


# The ids `--id-prefix` prefixes: what names a person in one source. E-mail and phone are everyone's.
PREFIXED_IDS = ("user_id", "anonymous_id", "previous_id")


def check_id_prefix(prefix: str, option: str = "--id-prefix") -> str:
    """`--id-prefix`'s (or `option`'s) name without a closing `:`; a SettingError when it is empty or holds a space."""
    name = prefix.strip().removesuffix(":")
    if not name or any(character.isspace() for character in name):
        example = "bintaro): it is put before each event id with a colon (bintaro:S-1)."
        if option == "--id-prefix":
            example = "shopee): it is put before each id with a colon (shopee:budi88)."
        raise SettingError(f"{option} {prefix!r} must be one word, the source's name (e.g. {example}")
    return name


def _with_id_prefix(chunks: Iterator[RawChunk], prefix: str, columns: Sequence[str]) -> Iterator[RawChunk]:
    """Each chunk with `prefix:` before every id in `columns` that is not blank (trimmed first, as ids are read)."""
    for chunk in chunks:
        table = chunk.table
        for name in columns:
            ids = pc.utf8_trim_whitespace(pc.cast(table.column(name), pa.string()))
            given = pc.fill_null(pc.not_equal(ids, ""), False)
            named = pc.if_else(given, pc.binary_join_element_wise(f"{prefix}:", ids, ""), table.column(name))
            table = table.set_column(table.schema.get_field_index(name), name, named)
        yield RawChunk(table, chunk.bad_rows, chunk.bytes_done)


def _with_renames(chunks: Iterator[RawChunk], renames: EventRenames) -> Iterator[RawChunk]:
    """Each chunk with its events renamed (`EventRenames.rename`)."""
    for chunk in chunks:
        yield RawChunk(renames.rename(chunk.table), chunk.bad_rows, chunk.bytes_done)


def _with_constants(chunks: Iterator[RawChunk], constants: Mapping[str, str]) -> Iterator[RawChunk]:
    """Each chunk with a column per constant, its value on every row."""
    for chunk in chunks:
        table = chunk.table
        for name, value in constants.items():
            table = table.append_column(name, pa.repeat(pa.scalar(value, pa.string()), table.num_rows))
        yield RawChunk(table, chunk.bad_rows, chunk.bytes_done)


# A workbook's date cell is a time at midnight (`2026-11-25T00:00:00`): joined to a time cell, only its day counts.
_MIDNIGHT = r"^(\d{4}-\d{2}-\d{2})T00:00:00$"


def _with_joined(chunks: Iterator[RawChunk], joins: Sequence[tuple[str, Sequence[str]]]) -> Iterator[RawChunk]:
    """Each chunk with a column per joined mapping (`Tanggal+Jam=timestamp`): its columns' texts, stripped, joined
    by a space; a blank one is left out, and none at all is no value. The columns themselves stay (in properties)."""
    for chunk in chunks:
        table = chunk.table
        for target, sources in joins:
            parts = [pc.utf8_trim_whitespace(table.column(name)) for name in sources]
            parts = [pc.replace_substring_regex(part, _MIDNIGHT, r"\1") for part in parts[:-1]] + parts[-1:]
            # Blanks are joined as "" and trimmed off: pyarrow 26's null_handling="skip" drops the rows whose
            # values are all null, so the column came out shorter than the table.
            joined = pc.binary_join_element_wise(*parts, " ", null_handling="replace", null_replacement="")
            joined = pc.utf8_trim_whitespace(pc.replace_substring_regex(joined, r"\s+", " "))
            table = table.append_column(target, pc.if_else(pc.equal(joined, ""), None, joined))
        yield RawChunk(table, chunk.bad_rows, chunk.bytes_done)


def _distinct_text(engine: Engine, relation: str, column: str) -> list[str]:
    table = engine.fetch_arrow(f"SELECT DISTINCT {column} AS v FROM {relation} WHERE {column} IS NOT NULL")
    return [v for v in table.column("v").to_pylist() if v is not None]


def import_file(
    project: Project,
    path: Path,
    *,
    column_map: Mapping[str, str] | None = None,
    delimiter: str | None = None,
    constants: Mapping[str, str] | None = None,
    skip_lines: int = 0,
    sheet: str | None = None,
    source_name: str | None = None,
    progress: ProgressCallback | None = None,
    check: bool = False,
    timezone: str | None = None,
    timestamp_formats: Sequence[str] = (),
    named: str | None = None,
    event_names: Mapping[str, str] | None = None,
    id_prefix: str | None = None,
    event_id_prefix: str | None = None,
    update: bool = False,
    keep_anonymous: bool = False,
    sum_revenue: bool = False,
) -> ImportSummary:
    """Import one file; see the module docstring. `delimiter` (a `csv_delimiter` setting value) overrides the
    setting for this file; `constants` give columns the file lacks one value on every row (`--set`); `skip_lines`
    lines above a CSV's or an Excel sheet's header are a report's title (`--skip-lines`); `sheet` is the workbook's
    sheet to read, by name or number (`--sheet`; None: the first); `timezone` is the zone its times without an
    offset are in (`--timezone`, an IANA name: a store's till in Bali writes WITA; None: the `timezone` setting);
    `timestamp_formats` read its times that are not ISO-8601 before the setting's do (`--timestamp-format`); `named`
    is what the file is imported as when `path` is a copy of it (the web address it was downloaded from);
    `event_names` rename the event column's values (`--event-names`, `event_names.EventRenames`); `id_prefix` is put
    before the file's ids (`--id-prefix shopee`: `shopee:budi88`), `event_id_prefix` before its event ids
    (`--event-id-prefix bintaro`: `bintaro:S-1`). With `update`, an event stored before that the file gives at the
    same time for the same person with another event name or revenue is replaced by the file's (`--update`: an
    order's status changed since an earlier export); otherwise it is kept, and counted in `changed`. With
    `keep_anonymous`, a row with no identifier at all is stored as a person of its own (`validate.ANONYMOUS_ROW`).
    With `sum_revenue`, the rows that share an event_id are one event whose revenue is the sum of theirs (an orders
    export with a row per product and only each product's price, as Lazada's `Paid Price`).

    With `check`, the file is read and every row validated and deduplicated as an import would, but nothing is
    stored, quarantined or logged: the summary's counts are what the import would do, with its first new events
    (`sample`) and first bad rows (`bad_sample`), so a mapping can be tried until it is right."""
    options = ImportOptions(
        column_map=dict(column_map or {}),
        constants=dict(constants or {}),
        delimiter=delimiter,
        skip_lines=skip_lines,
        sheet=sheet,
        timezone=timezone,
        timestamp_formats=tuple(timestamp_formats),
        event_names=dict(event_names or {}),
        id_prefix=id_prefix,
        event_id_prefix=event_id_prefix,
        keep_anonymous=keep_anonymous,
        sum_revenue=sum_revenue,
    )
    return import_with_options(
        project, path, options, source_name=source_name, progress=progress, check=check, named=named, update=update
    )


def import_with_options(
    project: Project,
    path: Path,
    options: ImportOptions,
    *,
    source_name: str | None = None,
    progress: ProgressCallback | None = None,
    check: bool = False,
    named: str | None = None,
    update: bool = False,
) -> ImportSummary:
    """`import_file` with its options as one `ImportOptions` (the CLI's, or a file's remembered ones)."""
    started = time.perf_counter()
    started_at = utc_now()
    with _opened(project, Path(path), options, rewrite=True) as (readable, file_format, mapping, origin):
        summary = _import_readable(
            project,
            Path(path),
            readable,
            file_format,
            mapping,
            options,
            origin=origin,
            source_name=source_name,
            progress=progress,
            started=started,
            started_at=started_at,
            check=check,
            named=named,
            update=update,
        )
    return dataclasses.replace(summary, options=options)


@contextlib.contextmanager
def _opened(
    project: Project, path: Path, options: ImportOptions, *, rewrite: bool = False
) -> Iterator[tuple[Path, str, dict[str, str], str | None]]:
    """The file checked (there, readable, a known format, a valid mapping) and made readable (unpacked, UTF-8): its
    readable copy, its format, the column mapping in effect, and the tool whose export it is (`exports`: Mixpanel's,
    Amplitude's, PostHog's; `matomo`: Matomo's visits log; None for any other file). With `rewrite`, such an export
    is rewritten as Segment messages, the copy read; without, it is only named (its rows are not read). A file error
    said of the copy is said of `path`."""
    _check_readable(path)
    file_format = detect_format(path)
    mapping = {**project.column_map(), **options.column_map}
    check_mapping(mapping)
    if options.timezone is not None:
        check_time_zone(options.timezone, "--timezone")
    with contextlib.ExitStack() as unpacking:
        readable = readable_copy(project, path, file_format, unpacking)
        if file_format == "jsonl" and (answer := matomo_api_error(readable)) is not None:
            raise InputFileError(
                f"{path} is Matomo's API answering an error, not visits: {answer!r}. Ask again with a token_auth "
                "of a user who may view the site (and its visitor ids), the site's idSite, and "
                "method=Live.getLastVisitsDetails&format=JSON&filter_limit=-1 (docs/import-formats.md)."
            )
        # Matomo's first: its visits may be one line of the whole file, which `export_kind` would read.
        if file_format == "jsonl" and is_matomo_visits(readable):
            origin: str | None = MATOMO
        else:
            # A JSON array, a batch or pretty-printed values: a value a line (`jsondocs`), then read as any JSON Lines.
            laid_out = document_kind(readable) if file_format == "jsonl" else None
            if laid_out == NOT_EVENTS:
                raise not_events_error(readable, path)
            if laid_out is not None and rewrite:
                readable = rewrite_as_lines(readable, unpacking.enter_context(staging_area(project)))
            origin = export_kind(readable, file_format) if file_format in ("jsonl", "parquet") else None
        if origin and rewrite:
            rewritten = unpacking.enter_context(staging_area(project))
            if origin == MATOMO:
                readable = rewrite_matomo_visits(readable, rewritten)
            else:
                readable = rewrite_as_segment(readable, origin, rewritten)
        # Read as the Segment messages it becomes (unread without `rewrite`: the JSON Lines reader is lazy).
        file_format = "jsonl" if origin else file_format
        try:
            yield readable, file_format, mapping, origin
        except InputFileError as exc:
            if readable == path:
                raise
            raise type(exc)(exc.message.replace(str(readable), str(path))) from None


def preflight(project: Project, path: Path, options: ImportOptions) -> list[tuple[str, str]]:
    """Raise what `import_file` would raise of the file itself with these options (not there, unknown format, not
    unpackable, a column missing, no such sheet), reading its header only: what a step that must not run for
    nothing checks first. Returns how each of its columns would be read (`ImportSummary.columns`)."""
    with _opened(project, Path(path), options) as (readable, file_format, mapping, _):
        opened, _separator, _renames = _open_with_options(project, readable, file_format, mapping, options)
        return _read_as(opened.columns)


def _open_with_options(
    project: Project, readable: Path, file_format: str, mapping: Mapping[str, str], options: ImportOptions
) -> tuple[OpenedReader, str, EventRenames | None]:
    """`open_reader` as the options say: the reader, the separator of a CSV file's values (found from its header
    line unless `--delimiter` or the setting names one; "," for other formats), and the event renames it counts with."""
    setting = options.delimiter or project.settings.csv_delimiter
    separator = csv_delimiter(readable, setting, skip_lines=options.skip_lines) if file_format == "csv" else ","
    renames = options.renames()
    opened = open_reader(
        readable,
        file_format,
        mapping,
        separator,
        options.constants,
        options.skip_lines,
        options.sheet,
        renames,
        options.id_prefix,
        options.event_id_prefix,
        AdviceNames.of(project.settings),
    )
    return opened, separator, renames


def logged_columns(options_json: str | None) -> list[tuple[str, str]] | None:
    """How an import read each column of its file, from its imports-log options; None for a log row that did not
    keep it (a re-try, or an import before it was kept)."""
    kept = json.loads(options_json) if options_json else {}
    columns = kept.get("columns")
    return None if columns is None else [(str(column), str(target)) for column, target in columns]


def logged_source_file(options_json: str | None) -> str | None:
    """The file as the lake names it, from an import's imports-log options; None for a log row that did not keep it
    (a re-try, a removal, or an import before it was kept)."""
    return (json.loads(options_json) if options_json else {}).get("source_file")


def _read_as(columns: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """Each file column with the jejak column it is read into, `properties`, or the property a mapping named
    (`properties.score`)."""
    return [
        (
            column,
            name
            if name in KNOWN_INPUT_COLUMNS
            else "properties"
            if name == column.strip().lower()
            else f"{PROPERTY_PREFIX}{name}",
        )
        for column, name in columns
    ]


def _import_readable(
    project: Project,
    path: Path,
    readable: Path,
    file_format: str,
    mapping: Mapping[str, str],
    options: ImportOptions,
    *,
    origin: str | None,
    source_name: str | None,
    progress: ProgressCallback | None,
    started: float,
    started_at: dt.datetime,
    check: bool,
    named: str | None = None,
    update: bool = False,
) -> ImportSummary:
    """`import_file` of `path`, read from `readable` (the file itself, or its unpacked copy), as `named`."""
    opened, separator, renames = _open_with_options(project, readable, file_format, mapping, options)
    reader, present, extra, columns = opened
    name = source_name or private_text(project.hmac_key(), readable.stem)
    source_file = source_file_of(project, named or path)
    with writer_lock(project), staging_area(project) as stage:
        loaded = load_rows(
            project,
            stage,
            reader,
            file_format,
            present,
            extra,
            source_name=name,
            source_file=source_file,
            received_at=started_at,
            total_bytes=max(readable.stat().st_size, 1),
            progress=progress,
            amounts=amount_style(project.settings.decimal_mark, separator),
            check=check,
            timezone=options.timezone,
            timestamp_formats=options.timestamp_formats,
            update=update,
            keep_anonymous=options.keep_anonymous,
            sum_revenue=options.sum_revenue,
            id_prefix=options.id_prefix,
        )
        if not check:
            write_quarantine(project, stage, loaded.bad_rows, source_file, started_at)
    # Another tool's export says so where the format is named (the imports log, the summary): `mixpanel`.
    summary = loaded.summary(named or str(path), origin or file_format, time.perf_counter() - started)
    unread_times = times_of_messages(
        [str(row["message"]) for row in loaded.bad_rows if row["reason"] == "bad_timestamp"][:TIME_HINT_ROWS]
    )
    if unread_times:
        summary = dataclasses.replace(summary, time_format_hint=suggest_time_format(unread_times))
    if file_format == "csv":
        summary = dataclasses.replace(summary, delimiter=separator)
    unnamed = sum(
        1
        for row in loaded.bad_rows
        if row["reason"] == "no_identifier" and str(row["message"]).startswith(NOBODY_NAMED)
    )
    summary = dataclasses.replace(summary, unnamed_rows=unnamed)
    # A JSON Lines file or a WhatsApp chat has no columns to map: every name --map gives is one it lacks.
    unused = names_not_in([column for column, _ in columns], options.column_map)
    summary = dataclasses.replace(summary, unused_map=tuple(unused), columns=_read_as(columns))
    if renames is not None:
        summary = dataclasses.replace(summary, unmet_event_names=renames.unmet)
    if check:
        first_bad = sorted(loaded.bad_rows, key=lambda row: int(str(row["source_line"])))[:CHECK_SAMPLE_ROWS]
        bad_sample = [{**row, "raw": mask_pii(str(row["raw"]))} for row in first_bad]  # as the quarantine shows them
        return dataclasses.replace(summary, sample=loaded.sample, bad_sample=bad_sample)
    record_import(project, summary, name, started_at, options, source_file)
    return summary


@dataclass(frozen=True)
class LoadedRows:
    """What reading, validating and storing one file's rows did (before its bad rows reach the quarantine)."""

    rows_read: int
    valid_rows: int  # stored, duplicates, and rows of erased people
    rows_stored: int
    bad_rows: list[dict[str, object]]  # source_line, reason, message, raw (not yet masked)
    rows_erased: int = 0  # rows of erased people (`jejak erase`), not stored
    valid_lines: frozenset[int] = frozenset()  # the lines of the valid rows (stored or duplicate), when asked for
    sample: list[dict[str, object]] = field(default_factory=list)  # with `check`: the first new events
    channels: tuple[str, ...] = ()  # what the rows set as their channel (`_staged_channels`)
    sales_places: tuple[tuple[str, int], ...] = ()  # `_staged_sales_places`
    ids_are_names: bool = False  # `_staged_named_ids`
    conversion_statuses: tuple[ConversionStatuses, ...] = ()  # `_staged_statuses`
    revenue_conflict: RevenueConflict | None = None  # `_store_new_events`
    unsourced: ConversionsLacking | None = None  # `_staged_conversion_gaps`
    revenueless: ConversionsLacking | None = None  # `_staged_conversion_gaps`
    unconverted: UnconvertedOrders | None = None  # `_staged_unconverted`
    id_clash: IdClash | None = None  # `_store_new_events`
    changed: ChangedEvents | None = None  # `_store_new_events`
    replaced: int = 0  # `_store_new_events`, with `update`
    refunds_given_customers: int = 0  # `_give_refunds_their_customers`

    def summary(self, file: str, file_format: str, seconds: float) -> ImportSummary:
        return ImportSummary(
            refunds_given_customers=self.refunds_given_customers,
            unsourced=self.unsourced,
            revenueless=self.revenueless,
            unconverted=self.unconverted,
            id_clash=self.id_clash,
            changed=self.changed,
            replaced=self.replaced,
            channels=self.channels,
            sales_places=self.sales_places,
            ids_are_names=self.ids_are_names,
            conversion_statuses=self.conversion_statuses,
            revenue_conflict=self.revenue_conflict,
            file=file,
            file_format=file_format,
            rows_read=self.rows_read,
            rows_stored=self.rows_stored,
            rows_quarantined=len(self.bad_rows),
            duplicates_skipped=self.valid_rows - self.rows_stored - self.rows_erased,
            rows_erased=self.rows_erased,
            quarantined_by_reason=dict(sorted(Counter(str(row["reason"]) for row in self.bad_rows).items())),
            seconds=seconds,
        )


def _renumbered(chunk: RawChunk, origin_lines: Mapping[int, int]) -> RawChunk:
    """The chunk with each row's line replaced by the line it stands for (a re-tried row keeps its own line)."""
    lines = chunk.table.column("_line").to_pylist()
    table = chunk.table.set_column(
        chunk.table.schema.get_field_index("_line"), "_line", pa.array([origin_lines[n] for n in lines], pa.int64())
    )
    bad = [dataclasses.replace(row, line=origin_lines[row.line]) for row in chunk.bad_rows]
    return RawChunk(table, bad, chunk.bytes_done)


def load_rows(
    project: Project,
    stage: Path,
    reader: Iterator[RawChunk],
    file_format: str,
    present: Sequence[str],
    extra: Sequence[str],
    *,
    source_name: str,
    source_file: str,
    received_at: dt.datetime,
    total_bytes: int = 1,
    progress: ProgressCallback | None = None,
    origin_lines: Mapping[int, int] | None = None,
    amounts: AmountStyle = POINT_DECIMALS,
    check: bool = False,
    timezone: str | None = None,
    timestamp_formats: Sequence[str] = (),
    update: bool = False,
    keep_anonymous: bool = False,
    sum_revenue: bool = False,
    id_prefix: str | None = None,
) -> LoadedRows:
    """Validate a reader's rows, store the new valid ones in the lake and return the bad ones; with `check`, store
    nothing and return the first new events (CHECK_SAMPLE_ROWS) as they would be stored.

    The caller holds the writer lock and gives a fresh staging directory. With `origin_lines`
    (a line of the file read → the line it stands for), rows keep those lines, and the lines
    of the valid rows come back too: the quarantine's re-try reads a file it wrote itself.
    `amounts`: how revenue is written (`validate.amount_style`); `timezone`: the zone of times without an offset
    (None: the `timezone` setting's); `timestamp_formats`: the file's own formats of times, tried before the
    setting's (`--timestamp-format`); `update`: replace stored events the rows change (`import_file`);
    `keep_anonymous`: store a row with no identifier as a person of its own; `sum_revenue`: an event's revenue is the
    sum of its rows' (`_store_new_events`); `id_prefix`: the one the reader put before the file's ids (`--id-prefix`),
    for finding a bad row of an erased person (`_without_erased`).
    """
    settings = project.settings
    key = project.hmac_key()
    engine = connect(settings.replace(engine="duckdb"))
    engine.execute_sql(f"SET TimeZone = {sql_text(timezone or settings.timezone)}")
    # Import holds one chunk in Python at a time; cap DuckDB too, and let it spill to disk beside the lake.
    engine.execute_sql(f"SET memory_limit = '{IMPORT_MEMORY_LIMIT_MB}MB'")
    engine.execute_sql(f"SET temp_directory = '{str(project.staging_dir).replace(chr(39), chr(39) * 2)}'")
    rows_read = 0
    quarantine_rows: list[dict[str, object]] = []
    valid_lines: frozenset[int] = frozenset()
    refunds_given = 0
    try:
        _check_timestamp_formats(engine, timestamp_formats, "--timestamp-format")
        _check_timestamp_formats(engine, settings.timestamp_formats)
        formats = [*timestamp_formats, *settings.timestamp_formats]
        for index, chunk in enumerate(reader):
            if origin_lines is not None:
                chunk = _renumbered(chunk, origin_lines)
            rows_read += chunk.table.num_rows + len(chunk.bad_rows)
            for bad in chunk.bad_rows:
                quarantine_rows.append(
                    {"source_line": bad.line, "reason": bad.reason, "message": bad.message, "raw": bad.raw}
                )
            if chunk.table.num_rows:
                validated = _validate_chunk(
                    engine,
                    chunk.table,
                    stage / f"chunk-{index:06d}.parquet",
                    file_format,
                    present,
                    extra,
                    key=key,
                    source_name=source_name,
                    source_file=source_file,
                    received_at=received_at,
                    max_field_bytes=settings.import_max_field_bytes,
                    currency=settings.currency,
                    amounts=amounts,
                    timestamp_formats=formats,
                    keep_anonymous=keep_anonymous,
                    project=project,
                )
                quarantine_rows += validated.bad_rows
                refunds_given += validated.refunds_given_customers
            if progress is not None:
                progress(chunk.bytes_done, total_bytes)
        if origin_lines is not None:
            valid_lines = _staged_lines(engine, stage)
        channels = _staged_channels(engine, stage)
        # Only a file with a column read as `source` can have Shopify's (a JSON Lines message's is utm_source).
        sales_places = _staged_sales_places(engine, stage) if "source" in present else ()
        # A file's own column read as user_id (a JSON Lines message's userId is an app's, never a name typed at a till).
        ids_are_names = file_format != "jsonl" and "user_id" in present and _staged_named_ids(engine, stage)
        statuses = _staged_statuses(engine, stage, [name for name in extra if is_status_column(name)], settings)
        # A JSON Lines message without a page is a server's call, read in its person's web session as it should be.
        says_where = file_format == "jsonl" or any(name in WHERE_FROM_COLUMNS for name in present)
        unsourced, revenueless, unconverted = _staged_conversion_gaps(engine, stage, settings, says_where=says_where)
        continued = _continuation_lines(engine, stage, quarantine_rows)
        # Read once, under the writer lock the caller holds: an erasure adds to it under that lock too.
        erased_keys = _erased_keys(project)
        kept = _store_new_events(
            engine, project, stage, check=check, update=update, sum_revenue=sum_revenue, erased_keys=erased_keys
        )
    finally:
        engine.close()
    bad_rows = []
    for row in quarantine_rows:
        continues = row.pop(_CONTINUES, False) and int(str(row["source_line"])) in continued
        row.pop(_EVENT_OF_ROW, None)
        if not continues:
            bad_rows.append(row)
    # A bad row of an erased person is not quarantined either: its raw text is theirs.
    bad_rows, erased_bad = _without_erased(project, bad_rows, erased_keys, id_prefix)
    erased_lines = {int(str(row["source_line"])) for row in erased_bad}
    return LoadedRows(
        rows_read=rows_read,
        # Another row of an event the file gives whole is skipped as a duplicate, as an order's product rows are.
        valid_rows=kept.valid_rows + len(continued) + len(erased_bad),
        rows_stored=kept.rows_stored,
        rows_erased=kept.rows_erased + len(erased_bad),
        bad_rows=bad_rows,
        valid_lines=valid_lines | continued | erased_lines if origin_lines is not None else valid_lines,
        sample=kept.sample,
        channels=channels,
        sales_places=sales_places,
        ids_are_names=ids_are_names,
        conversion_statuses=statuses,
        revenue_conflict=kept.revenue_conflict,
        unsourced=unsourced,
        revenueless=revenueless,
        unconverted=unconverted,
        id_clash=kept.id_clash,
        changed=kept.changed,
        replaced=kept.replaced,
        refunds_given_customers=refunds_given,
    )


def _check_timestamp_formats(engine: Engine, formats: Sequence[str], option: str | None = None) -> None:
    """Each of the timestamp_formats setting's formats (or `option`'s: `--timestamp-format`) is one DuckDB's strptime
    reads, or a SettingError names it."""
    given = f"{option} gives" if option else "Setting 'timestamp_formats' has"
    for text in formats:
        if text in EPOCH_FORMATS:
            continue
        try:
            engine.fetch_arrow(f"SELECT try_strptime('', {sql_text(text)}) AS t")
        except Exception as exc:  # DuckDB's InvalidInputException, whose text says what is wrong with the format
            raise SettingError(
                f"{given} the format {text!r}, which strptime cannot read ({exc}). "
                "Formats use % codes such as %d/%m/%Y %H:%M (https://duckdb.org/docs/sql/functions/dateformat)."
            ) from None


# How many of the channels a file sets are named in its summary (a file with more sets something else: a city?).
SET_CHANNELS_SHOWN = 20


def _staged_files(stage: Path) -> str | None:
    """The files the validated rows were staged in, as SQL for `read_parquet(…)`, or None when no row was valid."""
    staged = sorted(stage.glob("chunk-*.parquet"))
    return sql_files(staged) if staged else None


def _staged_channels(engine: Engine, stage: Path) -> tuple[str, ...]:
    """The channels the staged rows set themselves, in name order (SET_CHANNELS_SHOWN at most): a build keeps them
    and checks no channel rule, so a column named `channel` that holds something else (a payment gateway's) would
    make channels of its own."""
    files = _staged_files(stage)
    if files is None:
        return ()
    found = engine.fetch_arrow(
        f"SELECT DISTINCT channel FROM read_parquet({files}) WHERE channel IS NOT NULL "
        f"ORDER BY channel LIMIT {SET_CHANNELS_SHOWN}"
    )
    return tuple(str(name) for name in found.column("channel").to_pylist())


# Where an order was placed, as a shop's own export writes it in a column named Source (Shopify's `source_name`: its
# online store, its point of sale, a draft order, its apps; other apps by a number): no marketing source.
SALES_PLACES = frozenset({"web", "pos", "shopify_draft_order", "draft_order", "iphone", "android", "online_store"})


def _staged_sales_places(engine: Engine, stage: Path) -> tuple[tuple[str, int], ...]:
    """The staged rows' `source` values with their events, when every one names where an order was placed
    (SALES_PLACES, or an app's number) and one at least is named: Shopify's orders export has a column `Source`,
    read as each order's source, whose `web` no channel rule knows (every web order was Unassigned, and no warning
    said so, since the file seemed to say where). Else ()."""
    files = _staged_files(stage)
    if files is None:
        return ()
    found = engine.fetch_arrow(
        # A staged source is trimmed, and NULL when blank (`validate._blank`).
        f"SELECT lower(source) AS place, count(*) AS events FROM read_parquet({files}) "
        f"WHERE source IS NOT NULL GROUP BY 1 ORDER BY events DESC, place LIMIT {STATUSES_COUNTED + 1}"
    ).to_pylist()
    places = [(str(row["place"]), int(row["events"])) for row in found]
    named = [place for place, _ in places if place in SALES_PLACES]
    if not named or len(places) > STATUSES_COUNTED:
        return ()
    if not all(place in SALES_PLACES or place.isdigit() for place, _ in places):
        return ()
    return tuple(places)


# How many of a status column's values are counted (a column of free text would have one per row).
STATUSES_COUNTED = 20

# A person's name as a till or an orders export writes it: two words or more, each a capital and letters (`Budi
# Santoso`, `SARI DEWI`, `Siti Nur'aini`), after an `--id-prefix` if any. An account's name (`budi88`) or a customer
# number (`CUST-001`) is not one, nor a single name (`Andi`: many Indonesians have one, and it may as well be an
# account's), which is why NAMED_IDS_SHARE is not higher. Seen in most of a file's distinct user_ids, the column
# holds names.
PERSON_NAME_RE2 = r"(?:[^:\s]+:)?\p{Lu}[\p{L}'’.-]*(?:\s+\p{Lu}[\p{L}'’.-]*)+"
NAMED_IDS_SAMPLED = 1000
NAMED_IDS_SHARE = 0.6


def _staged_named_ids(engine: Engine, stage: Path) -> bool:
    """Whether at least 2 and NAMED_IDS_SHARE of the staged rows' distinct user_ids (up to NAMED_IDS_SAMPLED of them)
    are people's names (PERSON_NAME_RE2)."""
    files = _staged_files(stage)
    if files is None:
        return False
    found = engine.fetch_arrow(
        f"SELECT count(*) FILTER (WHERE regexp_full_match(user_id, {sql_text(PERSON_NAME_RE2)})) AS named, "
        f"count(*) AS ids FROM (SELECT DISTINCT user_id FROM read_parquet({files}) WHERE user_id IS NOT NULL "
        f"LIMIT {NAMED_IDS_SAMPLED})"
    ).to_pylist()[0]
    return int(found["named"]) >= 2 and int(found["named"]) >= NAMED_IDS_SHARE * int(found["ids"])


def _staged_conversions(stage: Path, settings: Settings) -> tuple[str, str] | None:
    """The staged files and the names of conversions, as SQL (`read_parquet(files)`, `event IN (names)`), or None
    when nothing is staged or no event is a conversion."""
    files = _staged_files(stage)
    conversions = ", ".join(sql_text(name) for name in settings.conversion_events)
    if files is None or not conversions:
        return None
    return files, conversions


def _staged_statuses(
    engine: Engine, stage: Path, columns: Sequence[str], settings: Settings
) -> tuple[ConversionStatuses, ...]:
    """The staged conversions' orders by each status column kept in their properties (`event_names.is_status_column`),
    where a status says an order was cancelled, refunded or not paid: such an order is a conversion all the same."""
    staged_conversions = _staged_conversions(stage, settings)
    if staged_conversions is None:
        return ()
    files, conversions = staged_conversions
    found = []
    for column in columns:
        if '"' in column or "\\" in column:
            continue  # a JSON path cannot quote it; a status column is never so named
        path = sql_text('$."' + column + '"')  # a key with spaces, as `status pesanan`, is quoted in the path
        status = f"nullif({trimmed(f'json_extract_string(properties, {path})')}, '')"
        counted = engine.fetch_arrow(
            f"SELECT {status} AS status, count(DISTINCT event_id) AS orders, mode(event) AS event "
            f"FROM read_parquet({files}) WHERE event IN ({conversions}) AND {status} IS NOT NULL "
            f"GROUP BY 1 ORDER BY orders DESC, status LIMIT {STATUSES_COUNTED}"
        ).to_pylist()
        if any(status_event(str(row["status"])) for row in counted):
            orders = tuple((str(row["status"]), int(row["orders"])) for row in counted)
            found.append(ConversionStatuses(column, str(counted[0]["event"]), orders))
    return tuple(found)


def _staged_conversion_gaps(
    engine: Engine, stage: Path, settings: Settings, *, says_where: bool
) -> tuple[ConversionsLacking | None, ConversionsLacking | None, UnconvertedOrders | None]:
    """What the staged conversions lack, each None when they lack nothing: where they came from (a file that says
    nothing of it, `says_where` False: an `offline` one is not counted, being Unassigned rather than Direct), and
    their revenue (none of them has any: an orders export whose total is not mapped, WooCommerce's `Order Total
    Amount`, adds nothing to revenue by channel or by any model; some orders without one, a free sample, are not
    warned of). One read of the staged rows for both; and when the file has no conversion at all, the events that
    have a revenue all the same (`_staged_unconverted`)."""
    staged_conversions = _staged_conversions(stage, settings)
    if staged_conversions is None:
        return None, None, None
    files, conversions = staged_conversions
    online = "type <> 'offline'"
    found = engine.fetch_arrow(
        f"SELECT count(DISTINCT event_id) FILTER (WHERE {online}) AS online, "
        f"mode(event) FILTER (WHERE {online}) AS online_event, count(DISTINCT event_id) AS conversions, "
        f"count(revenue) AS with_revenue, mode(event) AS event FROM read_parquet({files}) "
        f"WHERE event IN ({conversions})"
    ).to_pylist()[0]
    unsourced = None
    if not says_where and found["online"]:
        unsourced = ConversionsLacking(int(found["online"]), str(found["online_event"]))
    revenueless = None
    if found["conversions"] and not found["with_revenue"]:
        revenueless = ConversionsLacking(int(found["conversions"]), str(found["event"]))
    unconverted = None if found["conversions"] else _staged_unconverted(engine, files, settings)
    return unsourced, revenueless, unconverted


# Steps before a purchase that carry the cart's value by their spec (Segment's e-commerce events, GA4's): a day's
# export of a shop's site with checkouts and no order has revenue on no order, and is no orders export misnamed.
STEPS_WITH_REVENUE = (
    "checkout started", "checkout step viewed", "checkout step completed", "payment info entered", "order updated",
    "cart viewed", "product added", "product viewed", "product removed", "begin_checkout", "add_to_cart",
    "view_item", "view_cart", "add_payment_info", "add_shipping_info", "remove_from_cart",
)  # fmt: skip


def _staged_unconverted(engine: Engine, files: str, settings: Settings) -> UnconvertedOrders | None:
    """The staged events that have a revenue, by name, in a file none of whose events is a conversion (None when
    none has one but a step before a purchase, STEPS_WITH_REVENUE): orders stored under their status (`Completed`),
    or under a name the conversion_events setting lacks (`Purchase`). Read only for such a file, so an import with
    conversions pays nothing for it."""
    steps = ", ".join(sql_text(step) for step in STEPS_WITH_REVENUE)
    # A refund's amount counts: it is subtracted from its order's revenue (`journeys.refunds`).
    refunds = ", ".join(sql_text(name) for name in settings.refund_events)
    not_refunds = f"AND event NOT IN ({refunds}) " if refunds else ""
    counted = engine.fetch_arrow(
        f"SELECT event, count(DISTINCT event_id) AS events FROM read_parquet({files}) "
        f"WHERE revenue IS NOT NULL AND event IS NOT NULL AND lower(event) NOT IN ({steps}) {not_refunds}"
        f"GROUP BY event ORDER BY events DESC, event LIMIT {STATUSES_COUNTED}"
    ).to_pylist()
    if not counted:
        return None
    return UnconvertedOrders(
        tuple((str(row["event"]), int(row["events"])) for row in counted), settings.conversion_events[0]
    )


def _staged_lines(engine: Engine, stage: Path) -> frozenset[int]:
    files = _staged_files(stage)
    if files is None:
        return frozenset()
    lines = engine.fetch_arrow(f"SELECT DISTINCT source_line AS n FROM read_parquet({files})").column("n")
    return frozenset(int(n) for n in lines.to_pylist())


def _validate_chunk(
    engine: Engine,
    table: pa.Table,
    staged_file: Path,
    file_format: str,
    present: Sequence[str],
    extra: Sequence[str],
    *,
    key: bytes,
    source_name: str,
    source_file: str,
    received_at: dt.datetime,
    max_field_bytes: int,
    currency: str,
    amounts: AmountStyle,
    timestamp_formats: Sequence[str],
    keep_anonymous: bool = False,
    project: Project | None = None,
) -> ValidatedChunk:
    """Validate one chunk: good rows to a staged Parquet file, bad rows returned for the quarantine. With `project`,
    a refund that names no customer gets its order's (`_give_refunds_their_customers`)."""
    engine.register_arrow("raw_chunk", table)
    extract = (
        jsonl_extract_sql("raw_chunk")
        if file_format == "jsonl"
        else table_extract_sql(
            "raw_chunk",
            present,
            extra,
            typed=[name for name, flag in TYPED_AMOUNT_FLAGS.items() if flag in table.column_names],
        )
    )
    engine.execute_sql(f"CREATE OR REPLACE TEMP TABLE canonical_chunk AS {extract}")
    engine.unregister("raw_chunk")
    emails = _distinct_text(engine, "canonical_chunk", "email")
    phones = _distinct_text(engine, "canonical_chunk", "phone")
    engine.register_arrow("pii_map", pii_map(key, emails, phones))
    raw_text = JSONL_RAW_TEXT_SQL if file_format == "jsonl" else table_raw_text_sql(present, extra)
    sql = validate_sql(
        "canonical_chunk",
        "pii_map",
        source_name=source_name,
        source_file=source_file,
        received_at_iso=received_at.isoformat(),
        max_field_bytes=max_field_bytes,
        currency=currency,
        raw_text=raw_text,
        amounts=amounts,
        timestamp_formats=timestamp_formats,
        keep_anonymous=keep_anonymous,
    )
    engine.execute_sql(f"CREATE OR REPLACE TEMP TABLE validated_chunk AS {sql}")
    engine.unregister("pii_map")
    # Before the redaction: a refund given its customer is a good row, whose text is redacted as every other's.
    given = _give_refunds_their_customers(engine, project, staged_file.parent) if project is not None else 0
    _redact_validated(engine, key)
    columns = ", ".join(EVENT_COLUMNS)
    target = str(staged_file).replace("'", "''")
    engine.execute_sql(
        f"COPY (SELECT {columns} FROM validated_chunk WHERE _reason IS NULL) TO '{target}' ({PARQUET_COPY_OPTIONS})"
    )
    # The row's text only for the bad rows: the select list is computed after the join keeps them.
    bad = engine.fetch_arrow(
        f"SELECT v._line AS source_line, v._reason AS reason, v._message AS message, {raw_text} AS raw, "
        f"CAST(c.event_id AS VARCHAR) AS {_EVENT_OF_ROW}, {_CONTINUES_SQL} AS {_CONTINUES} "
        "FROM validated_chunk AS v JOIN canonical_chunk AS c ON c._line = v._line "
        "WHERE v._reason IS NOT NULL ORDER BY v._line"
    )
    engine.execute_sql("DROP TABLE canonical_chunk; DROP TABLE validated_chunk")
    rows: list[dict[str, object]] = bad.to_pylist()
    return ValidatedChunk(rows, given)


class ValidatedChunk(NamedTuple):
    """What `_validate_chunk` gives back: its bad rows, for the quarantine, and how many refunds that named no
    customer it gave their order's (`_give_refunds_their_customers`)."""

    bad_rows: list[dict[str, object]]
    refunds_given_customers: int


# What a refund's quarantine message starts with, and says when its order is not imported yet: how
# `late_orders.awaiting_refunds` finds the rows to re-try once it is.
REFUND_OF_ORDER = "a refund of order "
AWAITING_ORDER = "no order in the lake or in this file has that id"
# What `owners_of_orders` reads of each conversion: its id, its name, its properties, and whose it is.
_ORDER_COLUMNS = ("event_id", "event", "properties", *OWNER_COLUMNS)


def owners_of_orders(engine: Engine, named: pa.Table, sources: Sequence[ir.Table], settings: Settings) -> pa.Table:
    """`orders.order_owners` of the refunds `named` (`refund_row`, `properties` as JSON text) among the conversions
    of `sources` (tables of events): each refund's order id, how many conversions have it, and when one has, whose it
    is. An event that two sources give (an order in the lake that a file gives again) is one conversion, not two."""
    conversions = [
        source.filter(source.event.isin(list(settings.conversion_events))).select(
            *(source[column].cast("string").name(column) for column in _ORDER_COLUMNS)
        )
        for source in sources
    ]
    events = ibis.union(*conversions) if len(conversions) > 1 else conversions[0]
    orders = events.group_by("event_id").aggregate(
        **{column: events[column].min() for column in _ORDER_COLUMNS if column != "event_id"}
    )
    refunds = ibis.memtable(named)
    owners = order_owners(
        refunds.mutate(members=engine.json_object_texts(refunds.properties)),
        orders.mutate(members=engine.json_object_texts(orders.properties)),
    )
    return engine.to_pyarrow(owners)


def _give_refunds_their_customers(engine: Engine, project: Project, stage: Path) -> int:
    """Give each refund of `validated_chunk` that names no customer (quarantined as `no_identifier`, or kept as a
    person of its own by `--keep-anonymous`) the identifiers of the one conversion whose order it names
    (`orders.order_owners`): in the lake, the rows of the file staged already, or the chunk's own good rows. A refund
    whose order is not found, or is more than one conversion's, stays quarantined, and its message says why and what
    to do (an import that brings the order later re-tries it: `late_orders`). Returns how many refunds were given a
    customer; nothing is read when the chunk has no such refund."""
    settings = project.settings
    refund_names = ", ".join(sql_text(name) for name in settings.refund_events)
    conversion_names = ", ".join(sql_text(name) for name in settings.conversion_events)
    if not refund_names or not conversion_names:
        return 0
    kept_alone = (
        f"(_reason IS NULL AND anonymous_id = {sql_text(ANONYMOUS_ROW)} || event_id AND user_id IS NULL "
        "AND email_hash IS NULL AND phone_hash IS NULL)"
    )
    refunds = engine.fetch_arrow(
        "SELECT rowid AS refund_row, properties FROM validated_chunk "
        f"WHERE event IN ({refund_names}) AND properties IS NOT NULL AND (_reason = 'no_identifier' OR {kept_alone})"
    )
    if not refunds.num_rows:
        return 0
    chunk_orders = engine.fetch_arrow(
        f"SELECT {', '.join(_ORDER_COLUMNS)} FROM validated_chunk WHERE _reason IS NULL AND event IN ({conversion_names})"
    )
    sources = [ibis.memtable(chunk_orders)]
    if event_files(project):
        sources.append(engine.read_parquet(events_glob(project), table_name="lake_orders"))
    if any(stage.glob("chunk-*.parquet")):
        sources.append(engine.read_parquet(str(stage / "chunk-*.parquet"), table_name="staged_orders"))
    owned = owners_of_orders(engine, refunds, sources, settings)
    engine.register_arrow("refund_owners", owned)
    try:
        updates = ", ".join(f"{column} = o.{column}" for column in OWNER_COLUMNS)
        engine.execute_sql(
            f"UPDATE validated_chunk AS v SET {updates}, _reason = NULL, _message = NULL "
            "FROM refund_owners AS o WHERE v.rowid = o.refund_row AND o.orders = 1"
        )
        # The refund's own message first (what it lacks), then what the order could not give it.
        retry = "jejak quarantine retry --reason no_identifier"
        engine.execute_sql(
            "UPDATE validated_chunk AS v "
            f"SET _message = {sql_text(REFUND_OF_ORDER)} || '''' || o.order_id || ''': ' || v._message || "
            f"CASE WHEN o.orders = 0 THEN '; {AWAITING_ORDER}, to take its customer from: the row is re-tried when "
            f"an import brings that order, and gets its customer (or re-try it then: {retry})' "
            "ELSE '; ' || o.orders || ' orders have that id (two tills numbering their receipts from 1?), so whose "
            "it is is not known: give the row its customer' END "
            "FROM refund_owners AS o WHERE v.rowid = o.refund_row AND o.orders <> 1 AND o.order_id IS NOT NULL "
            "AND v._reason = 'no_identifier'"
        )
    finally:
        engine.unregister("refund_owners")
    given: int = pc.sum(pc.equal(owned.column("orders"), 1)).as_py() or 0
    return given


# A bad row that may be another row of an order the file gives whole (`_continuation_lines`): the time or every
# identifier blank, as an export that writes an order's fields on its first product's row only leaves them (Shopify's
# orders export: `Created at` on the first line item alone).
_EVENT_OF_ROW = "_event_of_row"
_CONTINUES = "_continues"


def _blank_sql(column: str) -> str:
    return f"nullif({trimmed(f'CAST(c.{column} AS VARCHAR)')}, '') IS NULL"


_CONTINUES_SQL = (
    f"CASE v._reason WHEN 'bad_timestamp' THEN {_blank_sql('timestamp')} "
    f"WHEN 'no_identifier' THEN {' AND '.join(_blank_sql(name) for name in ('user_id', 'anonymous_id', 'email', 'phone'))} "
    "ELSE false END"
)


def _continuation_lines(engine: Engine, stage: Path, bad_rows: Sequence[Mapping[str, object]]) -> frozenset[int]:
    """The lines of bad rows that are more rows of an event the file gives whole: a row whose time or every
    identifier is blank, under the event id of a valid row of the file. Such a row is a duplicate, as an order's
    other product rows are, not a bad row: Shopify's orders export writes `Created at` on an order's first line item
    only, and each of its other line items was quarantined as a missing time (one per extra product)."""
    # A reader's bad rows (bad_json, a malformed CSV line) carry neither key: never another row of an event.
    wanted = {str(row[_EVENT_OF_ROW]) for row in bad_rows if row.get(_CONTINUES) and row[_EVENT_OF_ROW] is not None}
    files = _staged_files(stage)
    if not wanted or files is None:
        return frozenset()
    engine.register_arrow("continued_ids", pa.table({"event_id": sorted(wanted)}))
    try:
        found = engine.fetch_arrow(
            f"SELECT DISTINCT event_id FROM read_parquet({files}) WHERE event_id IN (SELECT event_id FROM continued_ids)"
        )
    finally:
        engine.unregister("continued_ids")
    whole = set(found.column("event_id").to_pylist())
    return frozenset(
        int(str(row["source_line"])) for row in bad_rows if row.get(_CONTINUES) and row[_EVENT_OF_ROW] in whole
    )


def _redact_validated(engine: Engine, key: bytes) -> None:
    """Replace every e-mail and phone number left in clear in the good rows of `validated_chunk` (a page URL's
    `?email=`, a property, a comment, an id that is one) by its keyed token (`identifiers.redact_events`). DuckDB picks
    the rows that may hold one (`PII_CANDIDATE_RE2`), so only those are read in Python."""
    columns = [*REDACTED_IDS, *REDACTED_TEXT, *REDACTED_JSON]
    maybe = " OR ".join(f"regexp_matches({column}, '{PII_CANDIDATE_RE2}')" for column in columns)
    flagged = engine.fetch_arrow(
        f"SELECT rowid AS _row, {', '.join(columns)}, email_hash, phone_hash FROM validated_chunk "
        f"WHERE _reason IS NULL AND ({maybe})"
    )
    if not flagged.num_rows:
        return
    engine.register_arrow("redacted_rows", redact_events(key, flagged))
    updates = ", ".join(f"{column} = r.{column}" for column in [*columns, "email_hash", "phone_hash"])
    engine.execute_sql(f"UPDATE validated_chunk AS v SET {updates} FROM redacted_rows AS r WHERE v.rowid = r._row")
    engine.unregister("redacted_rows")


class StoredRows(NamedTuple):
    """What `_store_new_events` did: rows valid, rows stored, with `check` the first new events (none published),
    the new events whose rows in the file gave different revenues (`RevenueConflict`), the rows skipped as
    duplicates that differ from the event they were taken for (`IdClash`, `ChangedEvents`), and the rows of erased
    people skipped (`_erased_rows`)."""

    valid_rows: int
    rows_stored: int
    sample: list[dict[str, object]]
    revenue_conflict: RevenueConflict | None
    id_clash: IdClash | None = None
    changed: ChangedEvents | None = None
    replaced: int = 0
    rows_erased: int = 0


def _erased_rows(engine: Engine, project: Project, keys: set[str] | frozenset[str]) -> int:
    """Keep the staged rows that carry an identifier of an erased person (`jejak erase`) in the temporary table
    `erased_ids`, and return how many there are; 0, at no cost, while nobody has been erased.

    An identifier is compared as the list keeps it (`core.pii.erased_key`): a SHA-256 of the erasure secret and its
    identity node, computed here for every identifier of every row (an alias's previous id as a user id and as an
    anonymous id, as identity may read it)."""
    if not keys:
        return 0
    engine.register_arrow("erased_keys", pa.table({"key_sha256": pa.array(sorted(keys), pa.string())}))
    nodes = [
        (KIND_PREFIX["user_id"], "user_id"), (KIND_PREFIX["anonymous_id"], "anonymous_id"),
        (KIND_PREFIX["email"], "email_hash"), (KIND_PREFIX["phone"], "phone_hash"),
        *((prefix, "previous_id") for prefix in CLEAR_KIND_PREFIXES),
    ]  # fmt: skip
    tests = " OR ".join(
        f"sha256($secret || '{prefix}' || {column}) IN (SELECT key_sha256 FROM erased_keys)" for prefix, column in nodes
    )
    engine.execute_sql(
        f"CREATE OR REPLACE TEMP TABLE erased_ids AS SELECT DISTINCT event_id FROM staged WHERE {tests}",
        # A named parameter: the secret is bound, never written into the query's text.
        {"secret": erasure_secret(project.hmac_key())},
    )
    engine.unregister("erased_keys")
    return int(
        engine.fetch_arrow("SELECT count(*) AS n FROM staged WHERE event_id IN (SELECT event_id FROM erased_ids)")
        .column("n")[0]
        .as_py()
    )


def _erased_keys(project: Project) -> set[str]:
    """The list of erased identifiers (`jejak erase`), as `core.pii.erased_key` keeps them."""
    with open_state(project.sqlite_path) as db:
        return {key for (key,) in db.execute("SELECT key_sha256 FROM erased_identifiers")}


def _without_erased(
    project: Project, bad_rows: list[dict[str, object]], keys: set[str] | frozenset[str], id_prefix: str | None
) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    """The bad rows split into those to quarantine and those of erased people: a row whose raw text has, as a JSON
    value or a word of a line that is no JSON (with the file's `--id-prefix`, `raw_words`), a user id or anonymous
    id on the list of erased identifiers."""
    if not (keys and bad_rows):
        return bad_rows, []
    secret = erasure_secret(project.hmac_key())
    kept: list[dict[str, object]] = []
    erased: list[dict[str, object]] = []
    for row in bad_rows:
        words = raw_words(str(row["raw"] or ""), id_prefix)
        theirs = any(erased_key(secret, prefix + word) in keys for word in words for prefix in CLEAR_KIND_PREFIXES)
        (erased if theirs else kept).append(row)
    return kept, erased


def raw_words(raw: str, id_prefix: str | None = None) -> set[str]:
    """What a quarantined row's raw text may name someone by: every scalar value of it, at any depth, when it is
    JSON (a JSON Lines message, or a CSV or Parquet row kept as an object of its columns); else its words, apart by
    white space, commas, semicolons, bars and quotes. With the `id_prefix` its file was imported with, each word
    also as that import would have prefixed it: a line the CSV reader could not split is kept as the file wrote it
    (`budi88`), while the lake has `shopee:budi88` (a row kept as an object has its ids prefixed already).

    Example:
        >>> sorted(raw_words('{"userId": "ana", "n": 2, "context": {"ip": null}}'))
        ['2', 'ana']
        >>> sorted(raw_words('ana,2026-13-01,"Toko Kopi"'))
        ['2026-13-01', 'Kopi', 'Toko', 'ana']
        >>> sorted(raw_words('budi88,extra', id_prefix="shopee"))
        ['budi88', 'extra', 'shopee:budi88', 'shopee:extra']
    """
    words = _raw_words(raw)
    return words | {f"{id_prefix}:{word}" for word in words} if id_prefix else words


def _raw_words(raw: str) -> set[str]:
    try:
        value = loads(raw)
    except ValueError:
        return {word for word in _RAW_SPLIT.split(raw) if word}
    words: set[str] = set()
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif item is not None:
            words.add(str(item).strip())
    return words


_RAW_SPLIT = re.compile(r"[\s,;|\"']+")


def _store_new_events(
    engine: Engine,
    project: Project,
    stage: Path,
    *,
    check: bool = False,
    update: bool = False,
    sum_revenue: bool = False,
    erased_keys: set[str] | frozenset[str] = frozenset(),
) -> StoredRows:
    """Deduplicate the staged rows (within the file and against the lake) and publish them (`StoredRows`). With
    `update`, the stored events the rows change (`ChangedEvents`) are replaced: the rows are published as new, then
    the lake's files that held those events rewritten without them (`_drop_replaced`). With `sum_revenue`, each
    event's revenue is the sum of its rows' in the file, before anything is compared or stored. Rows that carry one
    of `erased_keys` (`_erased_keys`) are not stored (`_erased_rows`)."""
    files = _staged_files(stage)
    if files is None:
        return StoredRows(0, 0, [], None)
    revenue = "* REPLACE (sum(revenue) OVER (PARTITION BY event_id) AS revenue)" if sum_revenue else "*"
    engine.execute_sql(f"CREATE OR REPLACE TEMP VIEW staged AS SELECT {revenue} FROM read_parquet({files})")
    valid_rows = int(engine.fetch_arrow("SELECT count(*) AS n FROM staged").column("n")[0].as_py())
    existing = event_files(project)
    erased = _erased_rows(engine, project, erased_keys)
    skipped = ["event_id NOT IN (SELECT event_id FROM erased_ids)"] if erased else []
    if existing:
        skipped.append(f"event_id NOT IN (SELECT event_id FROM read_parquet({sql_files(existing)}))")
    anti_join = f"WHERE {' AND '.join(skipped)}" if skipped else ""
    # Decide on the ids alone (narrow), then stream the full rows once: the first row of each new event_id.
    # An event on several rows of the file is stored once, from its first row: rows that give it different revenues
    # are counted (an orders export with a row per product, its event_id the order's number and revenue a line's).
    # Rows of one id that are not one event (another time or person) are counted too, as the lake's are below.
    other_event = f"min({SAME_EVENT_HASH}) <> max({SAME_EVENT_HASH})"
    engine.execute_sql(
        f"""CREATE OR REPLACE TEMP TABLE keep_ids AS
        SELECT event_id, min(source_line) AS source_line, min(revenue) <> max(revenue) AS revenue_differs,
          {other_event} AS clashes
        FROM staged {anti_join} GROUP BY event_id"""
    )
    counted = engine.fetch_arrow(
        # An id of rows that are other events is reported as that (`IdClash`), not as an order's product rows.
        "SELECT count(*) AS n, count(*) FILTER (WHERE revenue_differs AND NOT clashes) AS differing, "
        "arg_min(event_id, source_line) FILTER (WHERE revenue_differs AND NOT clashes) AS example, "
        "count(*) FILTER (WHERE clashes) AS clashing, arg_min(event_id, source_line) FILTER (WHERE clashes) AS clash, "
        "(SELECT count(DISTINCT event_id) FROM staged) AS ids FROM keep_ids"
    ).to_pylist()[0]
    stored = int(counted["n"])
    conflict = _revenue_conflict(engine, int(counted["differing"]), counted["example"])
    clash = IdClash(int(counted["clashing"]), str(counted["clash"]), "") if counted["clashing"] else None
    changed, replaced = None, 0
    if existing and int(counted["ids"]) > stored:  # some ids are the lake's events already: are they these?
        clash, changed = _compared_with_stored(engine, existing, clash)
        if update and changed is not None:
            replaced, changed = changed.events, None
            engine.execute_sql(
                "CREATE OR REPLACE TEMP TABLE replaced_ids AS "
                "SELECT event_id, source_line FROM compared WHERE changed AND NOT clash"
            )
            engine.execute_sql("INSERT INTO keep_ids SELECT event_id, source_line, false, false FROM replaced_ids")
            stored += replaced
        engine.execute_sql("DROP TABLE compared")
    new_rows = "staged AS s SEMI JOIN keep_ids AS k ON s.event_id = k.event_id AND s.source_line = k.source_line"
    if check:
        first = engine.fetch_arrow(f"SELECT s.* FROM {new_rows} ORDER BY s.source_line LIMIT {CHECK_SAMPLE_ROWS}")
        engine.execute_sql("DROP TABLE keep_ids")
        engine.execute_sql("DROP TABLE IF EXISTS replaced_ids")
        return StoredRows(valid_rows, stored, first.to_pylist(), conflict, clash, changed, replaced, erased)
    if stored:
        out = stage / "partitioned"
        target = str(out).replace("'", "''")
        engine.execute_sql(
            f"""COPY (SELECT s.*, strftime(timezone('UTC', s.timestamp), '%Y-%m-%d') AS date FROM {new_rows})
                TO '{target}' ({PARQUET_COPY_OPTIONS}, PARTITION_BY (date))"""
        )
        # Replacing, a build waits until both the new rows are in and the old ones out.
        with excluding_readers(project) if replaced else contextlib.nullcontext():
            publish_partitions(project, out)
            if replaced:
                _drop_replaced(engine, project, existing, stage)
    engine.execute_sql("DROP TABLE keep_ids")
    return StoredRows(valid_rows, stored, [], conflict, clash, changed, replaced, erased)


# One number for what makes rows one event (`SAME_EVENT_COLUMNS`), and one for what an export may change of it:
# comparing two 64-bit hashes costs less than comparing five columns of text (a collision only hides a report).
SAME_EVENT_HASH = f"hash({', '.join(SAME_EVENT_COLUMNS)})"
EVENT_DETAIL_HASH = "hash(event, revenue)"


def _compared_with_stored(
    engine: Engine, existing: Sequence[Path], in_file: IdClash | None
) -> tuple[IdClash | None, ChangedEvents | None]:
    """The staged rows whose event_id the lake has (those not in `keep_ids`), each id's first row compared with the
    stored event: another time or person is an `IdClash` (added to `in_file`'s), the same with another event name or
    revenue a `ChangedEvents`. Each id's comparison is left in the temp table `compared` (event_id, source_line,
    clash, changed) for the caller, who drops it."""
    engine.execute_sql(
        f"""CREATE OR REPLACE TEMP TABLE given AS
        SELECT event_id, min(source_line) AS source_line, min_by({SAME_EVENT_HASH}, source_line) AS same,
          min_by({EVENT_DETAIL_HASH}, source_line) AS detail
        FROM staged WHERE event_id NOT IN (SELECT event_id FROM keep_ids) GROUP BY event_id"""
    )
    engine.execute_sql(
        f"""CREATE OR REPLACE TEMP TABLE compared AS
        WITH stored AS (
          SELECT event_id, min_by({SAME_EVENT_HASH}, received_at) AS same,
            min_by({EVENT_DETAIL_HASH}, received_at) AS detail
          FROM read_parquet({sql_files(existing)}) WHERE event_id IN (SELECT event_id FROM given) GROUP BY event_id
        )
        SELECT n.event_id, n.source_line, n.same <> t.same AS clash, n.detail <> t.detail AS changed
        FROM given AS n JOIN stored AS t USING (event_id)"""
    )
    engine.execute_sql("DROP TABLE given")
    found = engine.fetch_arrow(
        "SELECT count(*) FILTER (WHERE clash) AS clashing, arg_min(event_id, source_line) FILTER (WHERE clash) AS clash, "
        "count(*) FILTER (WHERE changed AND NOT clash) AS changing, "
        "arg_min(event_id, source_line) FILTER (WHERE changed AND NOT clash) AS change FROM compared"
    ).to_pylist()[0]
    clash = in_file
    if found["clashing"]:
        events = int(found["clashing"]) + (in_file.events if in_file else 0)
        _, stored, source_file = _given_and_stored(engine, existing, str(found["clash"]))
        clash = IdClash(events, str(found["clash"]), source_file)
    changed = None
    if found["changing"]:
        given, stored, source_file = _given_and_stored(engine, existing, str(found["change"]))
        changed = ChangedEvents(int(found["changing"]), str(found["change"]), stored, given, source_file)
    return clash, changed


def _drop_replaced(engine: Engine, project: Project, existing: Sequence[Path], stage: Path) -> None:
    """Rewrite each of the lake's files that were there before this import (`existing`) and hold an event the import
    replaced (the temp table `replaced_ids`, published anew) without it, and log how many each file's import lost
    (REPLACED_FORMAT), so the log's sums stay the lake's. The caller holds the writer lock and keeps readers out. The
    new rows are published first: a failure between leaves an event twice (the import run again with `update` puts
    it right), never none."""
    holding = engine.fetch_arrow(
        f"SELECT filename, source_file, source_name, count(*) AS events "
        f"FROM read_parquet({sql_files(existing)}, filename = true, hive_partitioning = false) "
        "WHERE event_id IN (SELECT event_id FROM replaced_ids) GROUP BY ALL"
    ).to_pylist()
    for part in sorted({str(row["filename"]) for row in holding}):
        rewrite_part(engine, Path(part), stage, "event_id NOT IN (SELECT event_id FROM replaced_ids)")
    engine.execute_sql("DROP TABLE replaced_ids")
    lost: Counter[tuple[str, str]] = Counter()
    for row in holding:
        lost[(str(row["source_file"] or ""), str(row["source_name"] or ""))] += int(row["events"])
    for (source_file, source_name), events in sorted(lost.items()):
        record_import(
            project, ImportSummary(source_file, REPLACED_FORMAT, -events, -events, 0, 0), source_name, utc_now()
        )


def rewrite_part(engine: Engine, part: Path, stage: Path, kept_where: str) -> None:
    """`part` with only its rows `kept_where` (SQL over the event columns) says: a new part in its place, when any
    rows remain, then the old one deleted. The caller holds the writer lock and keeps readers out."""
    columns = ", ".join(EVENT_COLUMNS)
    staged = stage / f"kept-{uuid.uuid4().hex}.parquet"
    kept = engine.fetch_arrow(
        f"COPY (SELECT {columns} FROM read_parquet({sql_text(str(part))}, hive_partitioning = false) "
        f"WHERE {kept_where}) TO {sql_text(str(staged))} ({PARQUET_COPY_OPTIONS})"
    )
    replace_files([part], staged if int(kept.column(0)[0].as_py()) else None)


def _given_and_stored(
    engine: Engine, existing: Sequence[Path], event_id: str
) -> tuple[tuple[str, float | None], tuple[str, float | None], str]:
    """One event's name and revenue as the file's first row of it gives them and as the lake has them, and the file
    the lake's came from."""
    given = engine.fetch_arrow(
        f"SELECT event, revenue FROM staged WHERE event_id = {sql_text(event_id)} ORDER BY source_line LIMIT 1"
    ).to_pylist()[0]
    stored = engine.fetch_arrow(
        f"SELECT event, revenue, source_file FROM read_parquet({sql_files(existing)}) "
        f"WHERE event_id = {sql_text(event_id)} ORDER BY received_at LIMIT 1"
    ).to_pylist()[0]
    return (
        (str(given["event"]), given["revenue"]),
        (str(stored["event"]), stored["revenue"]),
        str(stored["source_file"] or ""),
    )


def _revenue_conflict(engine: Engine, events: int, example: object) -> RevenueConflict | None:
    """`events` new events whose rows gave different revenues, with the first one's id and its rows' revenues in the
    file's order (read from the `staged` view), or None when there are none."""
    if not events:
        return None
    revenues = engine.fetch_arrow(
        f"SELECT revenue FROM staged WHERE event_id = {sql_text(str(example))} AND revenue IS NOT NULL "
        "ORDER BY source_line"
    ).column("revenue")
    return RevenueConflict(events, str(example), tuple(float(value) for value in revenues.to_pylist()))


def write_quarantine(
    project: Project, stage: Path, rows: list[dict[str, object]], source_file: str, when: dt.datetime
) -> None:
    """Add bad rows (source_line, reason, message, raw) to the quarantine, masked, each row once."""
    if not rows:
        return
    # Re-importing a file must not quarantine the same bad row twice.
    seen: set[tuple[object, object]] = set()
    for part in sorted(project.quarantine_dir.glob("part-*.parquet")):
        old = pq.read_table(
            part, columns=["source_file", "source_line", "raw"], filters=[("source_file", "=", source_file)]
        )
        seen.update(zip(old.column("source_line").to_pylist(), old.column("raw").to_pylist(), strict=True))
    rows = [{**row, "source_file": source_file, "raw": mask_pii(str(row["raw"]))} for row in rows]
    rows = [row for row in rows if (row["source_line"], row["raw"]) not in seen]
    if rows:
        publish_quarantine_part(project, stage, quarantine_table(rows, when))


def quarantine_table(rows: Sequence[Mapping[str, object]], when: dt.datetime) -> pa.Table:
    """Quarantine rows (source_file, source_line, reason, message, raw) as a table of QUARANTINE_SCHEMA."""
    return pa.table(
        {
            "quarantined_at": pa.array([when] * len(rows), QUARANTINE_SCHEMA.field("quarantined_at").type),
            "source_file": [row["source_file"] for row in rows],
            "source_line": pa.array([row["source_line"] for row in rows], pa.int64()),
            "reason": [row["reason"] for row in rows],
            "message": [row["message"] for row in rows],
            "raw": [row["raw"] for row in rows],
        },
        schema=QUARANTINE_SCHEMA,
    )


def publish_quarantine_part(project: Project, stage: Path, table: pa.Table, folder: Path | None = None) -> Path:
    """Write a quarantine part under a fresh name, atomically (staged, fsynced, renamed into place), in the
    quarantine's folder or the `folder` given (its dismissed rows')."""
    staged = stage / f"quarantine-{uuid.uuid4().hex}.parquet"
    pq.write_table(table, staged, compression="zstd")
    folder = project.quarantine_dir if folder is None else folder
    folder.mkdir(exist_ok=True)
    target = folder / f"part-{uuid.uuid4().hex}.parquet"
    move_into_place(staged, target)
    return target


def source_file_of(project: Project, path: Path | str) -> str:
    """What the lake and the imports log call a file: its absolute path, with any phone number or e-mail in it
    hashed (`identifiers.private_text`). Every lookup of a file's rows goes through here."""
    return source_files_of(project, [path])[0]


def source_files_of(project: Project, paths: Sequence[Path | str]) -> list[str]:
    """`source_file_of` for many paths, with the project's key read once. A web address is named by the address
    the file is read from (`remote.download_url`: a Google Sheet's links all name its export)."""
    key = project.hmac_key()
    return [
        private_text(key, download_url(path) if is_url(path) else str(Path(path).expanduser().resolve()))
        for path in paths
    ]


def record_import(
    project: Project,
    summary: ImportSummary,
    source_name: str,
    started_at: dt.datetime,
    options: ImportOptions | None = None,
    source_file: str | None = None,
) -> None:
    """Add one run to the SQLite imports log, with the options an import was given (None for a re-try) and the file
    as the lake names it (`source_file_of`), kept with them."""
    with writing_state(project.sqlite_path) as db:
        db.execute(
            """INSERT INTO imports (import_id, file, file_format, source_name, started_at, finished_at, rows_read,
                       rows_stored, rows_quarantined, duplicates_skipped, options_json, rows_erased)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            (
                uuid.uuid4().hex,
                private_text(project.hmac_key(), summary.file),  # as typed, but no number or e-mail in it
                summary.file_format,
                source_name,
                started_at.isoformat(),
                utc_now().isoformat(),
                summary.rows_read,
                summary.rows_stored,
                summary.rows_quarantined,
                summary.duplicates_skipped,
                None if options is None else options.to_json(summary.columns, source_file),
                summary.rows_erased,
            ),
        )


def import_files(project: Project, paths: Sequence[Path], **options: Any) -> list[ImportSummary]:
    """Import several files one after another (each checked before any is read), each with `import_file`'s
    keyword `options`."""
    check_importable(paths)
    return [import_file(project, Path(p), **options) for p in paths]


def quarantine_counts(project: Project) -> dict[str, int]:
    """Quarantined rows per reason, over every import."""
    counts: Counter[str] = Counter()
    for part in sorted(project.quarantine_dir.glob("part-*.parquet")):
        counts.update(pq.read_table(part, columns=["reason"]).column("reason").to_pylist())
    return dict(sorted(counts.items()))


def summary_json(summary: ImportSummary) -> str:
    """An import summary as JSON text."""
    return json.dumps({**summary.__dict__, "reconciles": summary.reconciles})
