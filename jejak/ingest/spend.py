"""Ad spend import: a CSV of cost per day, channel and (optionally) campaign, for cost per conversion and ROAS.

The file may be gzipped (`.gz`) and UTF-8 or UTF-16 (with its byte-order mark, as Excel's "Unicode Text" is),
or a workbook (`.xlsx`, `.xls`, `.ods`: its first sheet or `sheet`, as an ad platform's own report downloads).

Columns (after the optional mapping, as for events, and the ad platforms' own names, SPEND_ALIASES): `date`
(YYYY-MM-DD, or an ISO date-time whose date is taken, or a format of the timestamp_formats setting), `channel` (a
jejak channel name, e.g. `Paid Search`), `spend` (also read from `cost` or `amount`), optionally `campaign` and
`currency`. A report without a breakdown by day gives each row's spend over a range of days, its first and last
(`period_start`, `period_end`: Meta's `Reporting starts` and `Reporting ends`, read when the file has no `date`):
such a row is stored once, with its last day, and a report of some of those days counts the share of its spend that
falls in them, at an even rate per day (`spend_by_channel`). A report that has neither (Google Ads' campaign report
by default) gives its range in a title line above the header, skipped with `skip_lines`: every row is then spread
over it (`title_period`); `--set period_start=…,period_end=…` gives it where no title does. Values are separated as
the `csv_delimiter` setting says (auto: the header line's separator). Amounts are read as the `decimal_mark` setting
says (`validate.AmountStyle`: by default each as it is written, so `1.500.000,50` and `1,500,000.50` are 1500000.5,
and Rupiah's `150.000` is 150000). A report's total lines (`Total: Account`) are left out and counted. Bad rows go to
the quarantine with a reason (bad_timestamp, wrong_type, malformed_row, invalid_utf8) and the import goes on.
Re-importing a file replaces the rows it brought before, so spend is never counted twice.

Spend is small (days × channels × campaigns), so it lives in the SQLite state.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import json
import math
import re
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from jejak.core.clock import utc_now
from jejak.core.errors import InputFileError, MissingColumnError, SettingError
from jejak.core.vocabulary import NOT_SET
from jejak.ingest.importer import (
    CHECK_SAMPLE_ROWS,
    REMOVED_SPEND_FORMAT,
    SHEET_FORMATS,
    SPEND_FORMAT,
    TIME_HINT_ROWS,
    ImportSummary,
    format_of,
    readable_copy,
    record_import,
    source_file_of,
    write_quarantine,
)
from jejak.ingest.mapping import AD_COST_NAMES, compact_name
from jejak.ingest.quarantine import quarantined_files, remove_quarantined_of
from jejak.ingest.readers import (
    csv_delimiter,
    is_table_row,
    lines_above_table,
    named_by_place,
    not_a_workbook,
    refuse_repeated_names,
    sheet_rows,
    sheet_rows_above_table,
    sheet_titles,
    title_lines,
)
from jejak.ingest.time_hints import TimeFormatHint, suggest_time_format
from jejak.ingest.validate import (
    ACCOUNTING_NEGATIVE,
    COMMA_GROUPED_NUMBER,
    COMMA_MONEY_LABEL,
    COMMA_OR_THOUSANDS,
    DECIMAL_COMMA_NUMBER,
    EPOCH_FORMATS,
    MONEY_LABEL,
    PLAIN_NUMBER,
    POINT_DECIMALS,
    POINT_GROUPED_NUMBER,
    POINT_OR_THOUSANDS,
    RUPIAH_LABEL,
    AmountStyle,
    amount_style,
    english_months,
    names_months,
)
from jejak.store.appstate import open_state, writing_state
from jejak.store.lake import staging_area, writer_lock
from jejak.store.project import Project

AMOUNT_COLUMNS = ("spend", "cost", "amount")
# Column names as the ad platforms' own reports title them (Google Ads, Meta Ads Manager, TikTok Ads; in English
# and in Indonesian), matched without case, spaces, underscores, hyphens and dots (`mapping.compact_name`), so
# their downloads import with `--set channel=…` alone. A currency in brackets after the amount's name (Meta's
# `Amount spent (IDR)`) is the rows' currency when there is no currency column.
SPEND_ALIASES = {
    "day": "date",
    "byday": "date",
    # Google Ads' API, its BigQuery transfer and its scripts (`segments.date`; its cost is in `AD_COST_NAMES`).
    "segmentsdate": "date",
    "hari": "date",
    "tanggal": "date",
    "saluran": "channel",
    "campaignname": "campaign",
    "kampanye": "campaign",
    "namakampanye": "campaign",
    # Meta Ads Manager's range of a row (in English and Indonesian): the row's days, when it has no `Day` column.
    "reportingstarts": "period_start",
    "reportingends": "period_end",
    "awalpelaporan": "period_start",
    "akhirpelaporan": "period_end",
    # The cost as the platforms title it (`Amount spent (IDR)`, `Biaya`, `metrics.cost_micros`): one list, which the
    # events import reads too, to send such a report here.
    **dict.fromkeys(AD_COST_NAMES, "spend"),
    "currencycode": "currency",
    "matauang": "currency",
    "kodematauang": "currency",
}
_NAMED_CURRENCY = re.compile(r"(.*?)\s*\(([A-Za-z]{3})\)")
# A report's total line (Google Ads ends its downloads with `Total: Account`, `Total: Search`, …): not a day's spend.
_TOTAL_ROW = re.compile(r"(?i)\s*(total|jumlah)\b")
# Without a day column (a report of a range), a total line's label is its first value, and a campaign may be named
# `Total Coffee`: the label alone, or before a colon, is a total.
_TOTAL_LABEL = re.compile(r"(?i)\s*(total|jumlah)\s*(:|$)")
# What `--set` may give every row of a spend file; a range of days for a report without a day per row.
RANGE_COLUMNS = ("period_start", "period_end")  # a row's first and last day, in a report without a day per row
SETTABLE = ("channel", "campaign", "currency", *RANGE_COLUMNS)
# Title-line dates as ad platforms write a report's range (`November 1, 2026`, `1 Nov 2026`; Indonesian month names
# through `english_months`); a number-only date other than ISO (`01/11/2026`) is left out, as either order reads it.
_TITLE_DAY_FORMATS = ("%B %d, %Y", "%b %d, %Y", "%d %B %Y", "%d %b %Y", "%Y-%m-%d")
# A range's two dates: a hyphen or dash with space around it (an ISO date's own hyphens have none).
_RANGE_DASH = re.compile(r"\s+[-\u2013\u2014]\s+")
# Amounts are read as the events import reads revenue (`validate.number_sql`; a Hypothesis test holds them alike).
_POINT_GROUPED = re.compile(POINT_GROUPED_NUMBER)
_DECIMAL_COMMA = re.compile(DECIMAL_COMMA_NUMBER)
_MONEY_LABEL = re.compile(COMMA_MONEY_LABEL)
_COMMA_GROUPED = re.compile(COMMA_GROUPED_NUMBER)
_ANY_MONEY_LABEL = re.compile(MONEY_LABEL)
_RUPIAH_LABEL = re.compile(RUPIAH_LABEL)
_POINT_OR_THOUSANDS = re.compile(POINT_OR_THOUSANDS)
_COMMA_OR_THOUSANDS = re.compile(COMMA_OR_THOUSANDS)
_PLAIN_NUMBER = re.compile(PLAIN_NUMBER)
_ACCOUNTING_NEGATIVE = re.compile(ACCOUNTING_NEGATIVE)
SPEND_COLUMNS = ("date", "channel", *AMOUNT_COLUMNS, "campaign", "currency")
MICROS = 1_000_000  # units of an amount column whose name ends in `micros` per unit of its currency


@dataclass
class SpendSummary:
    """What a spend import read, stored and quarantined; read = stored + quarantined + total rows."""

    file: str
    rows_read: int = 0
    rows_stored: int = 0
    rows_replaced: int = 0
    # The file's rows its last import quarantined, taken out with the spend they stand beside (fixed or not, the rows
    # this import quarantines are the file's bad rows now).
    quarantine_replaced: int = 0
    total_rows: int = 0  # a report's total lines (`Total: Account`), left out
    quarantined_by_reason: dict[str, int] = field(default_factory=dict)
    # With `check`: the first rows it would store (day, channel, campaign, spend, currency, line) and quarantine.
    sample: list[SpendRow] = field(default_factory=list)
    bad_sample: list[dict[str, object]] = field(default_factory=list)
    # The format that would read the dates it could not read, when they share one shape (`time_hints`).
    time_hint: TimeFormatHint | None = None
    # The amount column read in millionths of the currency (`metrics_cost_micros`), when it is one.
    micros_column: str | None = None
    # The range of a title line above the header that every row was spread over (the file had no day per row).
    title_period: tuple[dt.date, dt.date] | None = None

    @property
    def rows_quarantined(self) -> int:
        return sum(self.quarantined_by_reason.values())


def _parse_day(text: str, formats: Sequence[str] = ()) -> dt.date | None:
    """The day of an ISO date (or date-time), else of the first of `formats` (the timestamp_formats setting's
    strptime formats, e.g. `%d/%m/%Y`) that reads the whole text; None when none does."""
    text = text.strip()
    if len(text) >= 10:  # an ISO date, maybe with a time after it
        try:
            return dt.date.fromisoformat(text[:10])
        except ValueError:
            pass
    for time_format in formats:
        if time_format in EPOCH_FORMATS:
            continue  # a day is no count of seconds
        try:
            named = english_months(text) if names_months(time_format) else text  # `25 Mei 2026`, as the events read it
            return dt.datetime.strptime(named, time_format).date()
        except ValueError:
            continue
    return None


def _check_given_range(constants: Mapping[str, str], day_formats: Sequence[str]) -> None:
    """Refuse a range given with --set that is no range of days, naming the option: read row by row, every row went
    to the quarantine as a bad `date`, a column the file does not have."""
    days: list[dt.date] = []
    for name in RANGE_COLUMNS:
        day = _parse_day(constants[name], day_formats)
        if day is None:
            raise SettingError(
                f"--set {name}={constants[name]!r} is not a day: give it as YYYY-MM-DD, "
                "e.g. --set 'period_start=2026-11-01,period_end=2026-11-30'."
            )
        days.append(day)
    first, last = days
    if last < first:
        raise SettingError(f"--set period_end ({last}) is before period_start ({first}): swap them.")


def _title_day(text: str) -> dt.date | None:
    named = english_months(text.strip().rstrip("."))
    for day_format in _TITLE_DAY_FORMATS:
        try:
            return dt.datetime.strptime(named, day_format).date()
        except ValueError:
            continue
    return None


def title_period(titles: Sequence[str]) -> tuple[dt.date, dt.date] | None:
    """The date range the first of a report's title cells that is one gives (Google Ads' second line), or None.

    Example:
        >>> title_period(["Campaign report", "November 1, 2026 - November 30, 2026"])
        (datetime.date(2026, 11, 1), datetime.date(2026, 11, 30))
        >>> title_period(["Laporan kampanye", "1 Okt 2026 – 31 Okt 2026"])
        (datetime.date(2026, 10, 1), datetime.date(2026, 10, 31))
        >>> title_period(["2026-11-01 - 2026-11-30"]), title_period(["01/11/2026 - 30/11/2026"])
        ((datetime.date(2026, 11, 1), datetime.date(2026, 11, 30)), None)
    """
    for title in titles:
        parts = _RANGE_DASH.split(title.strip())
        if len(parts) != 2:
            continue
        first, last = (_title_day(part) for part in parts)
        if first is not None and last is not None and first <= last:
            return first, last
    return None


def _parse_amount(text: str, style: AmountStyle = POINT_DECIMALS, rupiah: bool = False) -> float | None:
    """A non-negative amount: thousands grouped by commas and a decimal point; with `style.decimal_comma` (the
    decimal_mark setting, or a semicolon-separated file) a decimal comma, thousands grouped by points
    (`1.500.000,50`), or a plain number, an Rp or IDR label taken off (`Rp 1.500.000`). Under `style.auto`, each
    amount as `validate.AmountStyle` says, `rupiah` for a row whose currency is IDR."""
    text = text.strip()
    if "(" in text:  # an amount in parentheses is negative (`validate.ACCOUNTING_NEGATIVE`): a refund, never spend
        inner = _parse_amount(text.replace("(", "").replace(")", ""), style, rupiah)
        return 0.0 if _ACCOUNTING_NEGATIVE.fullmatch(text) and inner == 0 else None
    in_rupiah = rupiah or _RUPIAH_LABEL.search(text) is not None
    points, commas = style.auto or style.decimal_comma, style.auto or not style.decimal_comma  # which groupings read
    if points:
        text = (_ANY_MONEY_LABEL if style.auto else _MONEY_LABEL).sub("", text)
    if style.auto and _POINT_OR_THOUSANDS.fullmatch(text):
        text = text.replace(".", "") if style.decimal_comma or in_rupiah else text
    elif style.auto and _COMMA_OR_THOUSANDS.fullmatch(text):
        text = text.replace(",", "") if in_rupiah or not style.decimal_comma else text.replace(",", ".")
    elif points and _POINT_GROUPED.fullmatch(text):
        text = text.replace(".", "").replace(",", ".")
    elif commas and _COMMA_GROUPED.fullmatch(text):
        text = text.replace(",", "")
    elif points and _DECIMAL_COMMA.fullmatch(text):
        text = text.replace(",", ".")
    if not _PLAIN_NUMBER.fullmatch(text):
        return None  # no way of writing a number (`1,2,3`): say so rather than guess
    amount = float(text)
    return amount if math.isfinite(amount) and amount >= 0 else None


def check_spend_constants(constants: Mapping[str, str]) -> None:
    """`--set` on a spend file gives only the columns SETTABLE names (a Google Ads report's channel)."""
    unknown = sorted({column.lower() for column in constants} - set(SETTABLE))
    if unknown:
        raise SettingError(f"--set: {', '.join(unknown)} cannot be set on a spend file; {', '.join(SETTABLE)} can.")


def import_spend(
    project: Project,
    path: Path,
    column_map: Mapping[str, str] | None = None,
    *,
    constants: Mapping[str, str] | None = None,
    skip_lines: int = 0,
    sheet: str | None = None,
    check: bool = False,
    timestamp_formats: Sequence[str] = (),
) -> SpendSummary:
    """Read a spend CSV into the SQLite state (see the module docstring).

    `skip_lines` lines come before the header (an ad platform's report title and date range); `constants`
    give columns the file lacks one value on every row (SETTABLE: a Google Ads report has no channel column);
    `sheet` is a workbook's sheet to read, by name or number (None: the first). With `check`, the file is read
    and every row checked as an import would, and nothing is stored, quarantined or logged: the summary says what
    the import would do, with its first rows to store (`sample`) and to quarantine (`bad_sample`).
    `timestamp_formats` read its dates that are not ISO-8601 before the setting's do (`--timestamp-format`), as
    for an events import; the dates it cannot read give `time_hint` when they share one shape.

    Example:
        >>> import tempfile
        >>> from jejak.store.project import init_project, open_project
        >>> root = Path(tempfile.mkdtemp())
        >>> _ = init_project(root / "p")
        >>> _ = (root / "spend.csv").write_text("date,channel,cost\\n2026-03-01,Paid Search,150000\\n2026-03-02,,5\\n")
        >>> summary = import_spend(open_project(root / "p", env={}), root / "spend.csv")
        >>> summary.rows_stored, summary.quarantined_by_reason
        (1, {'wrong_type': 1})
    """
    if not path.is_file():
        raise InputFileError(f"{path}: no such file. Expected a spend CSV with date, channel and spend columns.")
    mapping = {source.strip(): target.strip() for source, target in (column_map or {}).items()}
    constants = {column.lower(): value for column, value in (constants or {}).items()}
    check_spend_constants(constants)
    summary = SpendSummary(file=str(path))
    mark = project.settings.decimal_mark
    default_currency = project.settings.currency
    day_formats = (*timestamp_formats, *project.settings.timestamp_formats)
    # A workbook is read as the events import reads one (`readers.sheet_rows`); anything else as CSV.
    workbook = format_of(path) in SHEET_FORMATS
    if sheet is not None and not workbook:
        raise not_a_workbook(path)
    if workbook:
        amounts = amount_style(mark, ",")
        titles, header, rows = _sheet_lines(path, skip_lines, sheet)

        def count_lines_above() -> int:
            return sheet_rows_above_table(path, sheet)
    else:
        # Unpacked and re-encoded as the events import does it: the same staging copy, the same errors.
        with contextlib.ExitStack() as unpacking:
            readable = readable_copy(project, path, "csv", unpacking)
            raw = readable.read_bytes()
            delimiter = csv_delimiter(readable, project.settings.csv_delimiter, skip_lines=skip_lines)
        amounts = amount_style(mark, delimiter)
        titles, header, rows = _csv_lines(path, raw, delimiter, skip_lines)

        def count_lines_above() -> int:
            return lines_above_table(raw, delimiter)

    # Columns with no name are named by their places, as the events import names them: two are not one name.
    columns = named_by_place(header)
    names, header_currency = _spend_names(columns, mapping)
    refuse_repeated_names(path, names, "Rename one, or map only one of them.")
    clashes = sorted(set(constants) & set(names))
    if clashes:
        raise InputFileError(f"{path} has a {', '.join(clashes)} column already: --set gives a column the file lacks.")
    ranged = sorted(set(RANGE_COLUMNS) & set(constants))
    if ranged and "date" in names:
        raise InputFileError(f"{path} has a day per row already: --set {ranged[0]} is for a report of a range of days.")
    if len(ranged) == 1:
        raise SettingError("--set period_start and period_end go together: give the report's first and last day.")
    if ranged:
        _check_given_range(constants, day_formats)
    if header_currency and "currency" not in names:
        constants.setdefault("currency", header_currency)
    given = {*names, *constants}
    if "date" not in given and not set(RANGE_COLUMNS) & given:
        # No day per row and no range column: a report of a range (Google Ads' campaign report), whose title line
        # says which. Every row's spend is spread over it.
        summary.title_period = title_period(titles)
        if summary.title_period is not None:
            first, last = summary.title_period
            constants.update(period_start=first.isoformat(), period_end=last.isoformat())
    names += list(constants)
    # Without a day per row, a row's range is its days: its first is the row's date, its last is kept with it.
    periods = "date" not in names and "period_start" in names and "period_end" in names
    if periods:
        names[names.index("period_start")] = "date"
    amount_column = next((name for name in AMOUNT_COLUMNS if name in names), None)
    # A header of one value is a report's title (`Campaign report`): the lines to skip come first in the advice.
    titled = not is_table_row(header)
    for required in ("date", "channel"):
        if required not in names:
            hints = ["rename a column with --map, e.g. --map 'tanggal=date'"]
            if titled:
                above = count_lines_above()  # counted here only: no import that reads its table pays for it
                lines = str(above) if above else "N"
                hints.insert(
                    0, f"its first line reads as a title: skip the lines above the header with --skip-lines {lines}"
                )
            if required == "channel":  # an ad platform's own report has none: the platform is the channel
                hints.append("give every row one with --set 'channel=Paid Search'")
            else:  # a report of a range without a day per row, whose range is in no title line
                hints.append(
                    "give a report of a range its days with --set 'period_start=2026-11-01,period_end=2026-11-30'"
                )
            if not titled:
                hints.append("skip title lines above the header with --skip-lines")
            raise MissingColumnError(
                f"{path}: no '{required}' column (the header has {', '.join(header)}). "
                f"Expected date, channel and spend (or cost/amount): {'; '.join(hints)}."
            )
    if amount_column is None:
        raise MissingColumnError(
            f"{path}: no spend, cost or amount column (the header has {', '.join(header)}). "
            "Add one, or map yours with --map 'biaya=spend'."
        )
    # Google Ads' API gives cost in micros, millionths of the currency: read as it is, 150,000 rupiah would be 150
    # billion, and every ROAS a millionth of what it is.
    amount_header = columns[names.index(amount_column)]  # a file's column: --set gives no amount (SETTABLE)
    per_unit = MICROS if compact_name(amount_header).endswith("micros") else 1
    summary.micros_column = amount_header if per_unit == MICROS else None
    good: list[SpendRow] = []
    bad: list[dict[str, object]] = []
    unread_days: list[str] = []  # the first dates it could not read, for a timestamp_formats hint
    date_at = names.index("date")
    for line, row, raw_text, decoded in rows:
        if not any(cell.strip() for cell in row):
            continue
        summary.rows_read += 1
        if _TOTAL_ROW.match(row[date_at]) if date_at < len(row) else _TOTAL_LABEL.match(_first_value(row)):
            summary.total_rows += 1  # the report's own sum of the days above it: storing it would count them twice
            continue
        if not decoded:
            read: SpendRow | tuple[str, str] = ("invalid_utf8", f"line {line} is not valid UTF-8 text")
        else:
            read = _read_row(
                [*row, *constants.values()],
                names,
                amount_column,
                amounts,
                line,
                day_formats,
                default_currency,
                per_unit,
                periods,
            )
        if not isinstance(read, SpendRow):  # a reason and its message
            bad.append({"source_line": line, "reason": read[0], "message": read[1], "raw": raw_text})
            if read[0] == "bad_timestamp" and len(unread_days) < TIME_HINT_ROWS:
                unread_days.append(row[date_at])
        else:
            good.append(read)
    summary.quarantined_by_reason = dict(Counter(str(row["reason"]) for row in bad))
    summary.time_hint = suggest_time_format(unread_days) if unread_days else None
    source_file = source_file_of(project, path)
    if check:
        summary.rows_stored = len(good)
        summary.sample, summary.bad_sample = good[:CHECK_SAMPLE_ROWS], bad[:CHECK_SAMPLE_ROWS]
        # What the import would replace: the rows the file's last import stored.
        with open_state(project.sqlite_path) as db:
            (summary.rows_replaced,) = db.execute(
                "SELECT count(*) FROM spend WHERE source_file = ?", (source_file,)
            ).fetchone()
        summary.quarantine_replaced = quarantined_files(project)[source_file]
        return summary
    started_at = utc_now()
    with writer_lock(project), staging_area(project) as stage:
        with writing_state(project.sqlite_path) as db:
            summary.rows_replaced = db.execute("DELETE FROM spend WHERE source_file = ?", (source_file,)).rowcount
            imported_at = started_at.isoformat()
            db.executemany(
                "INSERT INTO spend (day, channel, campaign, amount, currency, source_file, source_line, imported_at, "
                "last_day) VALUES (:day, :channel, :campaign, :amount, :currency, :source_file, :line, :imported_at, "
                ":last_day)",
                [{**row._asdict(), "source_file": source_file, "imported_at": imported_at} for row in good],
            )
        # A date the last import could not read and this one did (`--timestamp-format`) is no bad row any more.
        summary.quarantine_replaced = remove_quarantined_of(project, stage, source_file)
        write_quarantine(project, stage, bad, source_file, started_at)
    summary.rows_stored = len(good)
    # In the imports log too, as format `spend`: the Data page lists it, and a re-try of its quarantined rows knows
    # them for a spend file's.
    # What the import replaced is logged first, with negative counts, so that the log's sums stay the spend table's
    # and the quarantine's (a removal logs its rows so too).
    replaced = summary.rows_replaced + summary.quarantine_replaced
    if replaced:
        gone = ImportSummary(
            str(path), REMOVED_SPEND_FORMAT, -replaced, -summary.rows_replaced, -summary.quarantine_replaced, 0
        )
        record_import(project, gone, path.stem, started_at)
    # A report's total lines are not rows of spend: the log's counts reconcile without them.
    logged = ImportSummary(str(path), SPEND_FORMAT, summary.rows_read - summary.total_rows, len(good), len(bad), 0)
    record_import(project, logged, path.stem, started_at)
    return summary


def _spend_names(header: Sequence[str], mapping: Mapping[str, str]) -> tuple[list[str], str | None]:
    """Each column's name as the import reads it (the mapping first, then SPEND_ALIASES), and the currency an amount
    column names in brackets (`Amount spent (IDR)`), if one does."""
    names: list[str] = []
    currency = None
    for written in header:
        name = written.strip()
        bracketed = _NAMED_CURRENCY.fullmatch(name)
        base = compact_name(bracketed.group(1) if bracketed else name)
        if name in mapping:
            read = mapping[name].lower()
        else:
            read = SPEND_ALIASES.get(base, base if base in (*AMOUNT_COLUMNS, *SETTABLE, "date") else name.lower())
        if bracketed and read in AMOUNT_COLUMNS:
            currency = bracketed.group(2).upper()
        elif bracketed and name not in mapping:
            read = name.lower()  # `Clicks (all)`: a bracket that is no currency leaves the name as it is
        names.append(read)
    return names, currency


# A spend file's rows: (its line, or its row in a sheet; the values; the raw text the quarantine keeps; whether the
# line was UTF-8).
SpendLines = Iterator[tuple[int, list[str], str, bool]]


def _csv_lines(path: Path, raw: bytes, delimiter: str, skip_lines: int) -> tuple[list[str], list[str], SpendLines]:
    """A CSV spend file's title cells (its first `skip_lines` lines'), its header (after them) and its rows, each with
    its own line in the file."""
    text = io.StringIO(raw.decode("utf-8-sig", errors="replace"), newline="")
    skipped = list(title_lines(text, skip_lines))
    titles = [cell for cells in csv.reader(skipped, delimiter=delimiter) for cell in cells if cell.strip()]
    reader = csv.reader(text, delimiter=delimiter)
    header = next(reader, None)
    if header is None:
        raise InputFileError(
            f"{path}: no header line after {skip_lines} skipped. Expected a header line: "
            "date,channel,spend[,campaign,currency]."
            if skip_lines
            else f"{path}: the file is empty. Expected a header line: date,channel,spend[,campaign,currency]."
        )
    lines = raw.split(b"\n")

    def rows() -> SpendLines:
        for row in reader:
            line = reader.line_num + skip_lines  # the file's own line number
            try:
                raw_text, decoded = lines[line - 1].decode("utf-8"), True
            except UnicodeDecodeError:
                raw_text, decoded = lines[line - 1].decode("utf-8", errors="replace"), False
            except IndexError:
                raw_text, decoded = delimiter.join(row), True
            yield line, row, raw_text, decoded

    return titles, header, rows()


def _sheet_lines(path: Path, skip_rows: int, sheet: str | None) -> tuple[list[str], list[str], SpendLines]:
    """A workbook's sheet (an ad platform's .xlsx report; `sheet`, or the first): the cells of its first `skip_rows`
    rows (a title, a date range), its header (the first row with a value after them) and its rows, each with its row
    number and, for the quarantine, its cells as JSON."""
    titles = sheet_titles(path, skip_rows, sheet)
    _, header, after = sheet_rows(path, skip_rows, sheet)
    width = len(header)

    def rows() -> SpendLines:
        for number, cells in after:
            extra = [cell for cell in cells[width:] if cell.strip()]
            values = cells[:width] + [""] * (width - len(cells)) + extra  # values right of the table make it wrong
            raw_text = json.dumps(dict(zip(header, cells, strict=False)), ensure_ascii=False)
            yield number, values, raw_text, True

    return titles, header, rows()


class SpendRow(NamedTuple):
    """A stored spend row."""

    day: str  # ISO date; the first of the row's range
    channel: str
    campaign: str | None
    amount: float
    currency: str | None
    line: int  # the file's line (a sheet's row)
    last_day: str | None  # ISO date, the last of the row's range; None: the row's one day


def _first_value(row: Sequence[str]) -> str:
    return next((cell for cell in row if cell.strip()), "")


def _read_row(
    row: list[str],
    names: list[str],
    amount_column: str,
    amounts: AmountStyle,
    line: int,
    day_formats: Sequence[str],
    default_currency: str,
    per_unit: int = 1,
    periods: bool = False,
) -> SpendRow | tuple[str, str]:
    """The row as stored, or the reason it is not and the quarantine's message. `per_unit`: how many of the amount
    column's units make one of the currency (MICROS for a column in micros). `periods`: the row's date is the first
    day of a range whose last is its `period_end`."""
    if len(row) != len(names):
        return "malformed_row", f"line {line} has {len(row)} fields, the header has {len(names)}"
    values = dict(zip(names, row, strict=True))
    day = _parse_day(values["date"], day_formats)
    if day is None:
        return "bad_timestamp", (
            f"date {values['date']!r} is not a date (expected YYYY-MM-DD, or a format given with --timestamp-format or "
            "in the timestamp_formats setting)"
        )
    last_day = None
    if periods:
        last = _parse_day(values["period_end"], day_formats)
        if last is None or last < day:
            return "bad_timestamp", (
                f"period_end {values['period_end']!r} is not a date on or after the row's first day {day.isoformat()} "
                "(expected YYYY-MM-DD, or a format given with --timestamp-format or in the timestamp_formats setting)"
            )
        last_day = last.isoformat() if last > day else None
    if not values["channel"].strip():
        return "wrong_type", "channel is empty (expected a channel name such as Paid Search)"
    campaign, currency = ((values.get(name) or "").strip() or None for name in ("campaign", "currency"))
    amount = _parse_amount(values[amount_column], amounts, (currency or default_currency).upper() == "IDR")
    if amount is None:
        return "wrong_type", f"{amount_column} {values[amount_column]!r} is not a number ≥ 0"
    return SpendRow(day.isoformat(), values["channel"].strip(), campaign, amount / per_unit, currency, line, last_day)


# The rows whose days meet the days asked (`:first` to `:last`, both included), and each one's spend in them: a row
# over a range of days (`last_day`) counts the share of its days that are asked for, at an even rate per day.
_IN_DAYS = "day <= :last AND COALESCE(last_day, day) >= :first"
_AMOUNT_IN_DAYS = (
    "SUM(amount * (julianday(MIN(COALESCE(last_day, day), :last)) - julianday(MAX(day, :first)) + 1) "
    "/ (julianday(COALESCE(last_day, day)) - julianday(day) + 1))"
)


def _days(start: dt.date | None, end: dt.date | None) -> dict[str, str]:
    return {"first": (start or dt.date.min).isoformat(), "last": (end or dt.date.max).isoformat()}


def spend_by_channel(project: Project, start: dt.date | None = None, end: dt.date | None = None) -> dict[str, float]:
    """Total spend per channel between two days (both included; all days when not given)."""
    return _spend_by(project, "channel", start, end)


def spend_by_campaign(project: Project, start: dt.date | None = None, end: dt.date | None = None) -> dict[str, float]:
    """Total spend per campaign between two days (both included; all days when not given).

    Rows without a campaign go to `(not set)`, the label a touch without a campaign
    carries, so they meet the credit of those touches. A campaign name used on several
    channels is one campaign: its spend is summed over them, as its touches are.

    Example:
        >>> import tempfile
        >>> from jejak.store.project import init_project, open_project
        >>> root = Path(tempfile.mkdtemp())
        >>> _ = init_project(root / "p")
        >>> rows = "date,channel,campaign,spend\\n2026-03-01,Email,ramadan,10\\n2026-03-01,Paid Social,ramadan,5\\n"
        >>> _ = (root / "spend.csv").write_text(rows + "2026-03-02,Paid Search,,7\\n")
        >>> project = open_project(root / "p", env={})
        >>> _ = import_spend(project, root / "spend.csv")
        >>> spend_by_campaign(project)
        {'(not set)': 7.0, 'ramadan': 15.0}
    """
    return _spend_by(project, "campaign", start, end)


def spend_by_campaign_channel(
    project: Project, start: dt.date | None = None, end: dt.date | None = None
) -> dict[tuple[str, str], float]:
    """Total spend per (campaign, channel) between two days, of the rows that name a campaign: which channel each
    campaign's spend was imported under (`service.attribution.spend_notes` holds it against the campaign's touches)."""
    with open_state(project.sqlite_path) as db:
        rows = db.execute(
            f"SELECT campaign, channel, {_AMOUNT_IN_DAYS} FROM spend WHERE campaign IS NOT NULL AND {_IN_DAYS} "
            "GROUP BY campaign, channel ORDER BY campaign, channel",
            _days(start, end),
        ).fetchall()
    return {(str(campaign), str(channel)): float(total) for campaign, channel, total in rows}


def _spend_by(project: Project, column: str, start: dt.date | None, end: dt.date | None) -> dict[str, float]:
    # `column` is one of two names written here, never user input, so it may go into the SQL text.
    key = {"channel": "channel", "campaign": f"COALESCE(campaign, '{NOT_SET}')"}[column]
    with open_state(project.sqlite_path) as db:
        rows = db.execute(
            f"SELECT {key} AS name, {_AMOUNT_IN_DAYS} FROM spend WHERE {_IN_DAYS} GROUP BY name ORDER BY name",
            _days(start, end),
        ).fetchall()
    return {str(name): float(total) for name, total in rows}
