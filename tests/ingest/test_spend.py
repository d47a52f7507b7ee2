"""Ad spend import: rows stored in SQLite, bad rows quarantined with a reason, re-import replaces."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import math
import re
from pathlib import Path

import pyarrow as pa
import pytest
from conftest import make_project, quarantined
from hypothesis import example, given, settings
from hypothesis import strategies as st

from jejak.attribution.spend import unmatched_spend, with_spend
from jejak.core.errors import InputFileError, MissingColumnError, SettingError
from jejak.ingest.importer import quarantine_counts
from jejak.ingest.spend import import_spend, spend_by_campaign, spend_by_channel
from jejak.store.appstate import connect_state
from jejak.store.project import Project, init_project, open_project

# A week of Google and Meta ads, exported by a marketer with Indonesian headers.
SPEND_CSV = """tanggal,saluran,kampanye,biaya
2026-03-01,Paid Search,kopi-susu,150000
2026-03-02,Paid Search,kopi-susu,"1,250,000"
2026-03-02,Paid Social,ramadan,300000
2026-03-03,Paid Social,ramadan,-5
kemarin,Paid Social,ramadan,100
2026-03-04,,ramadan,100
2026-03-05,Paid Social
"""
MAPPING = {"tanggal": "date", "saluran": "channel", "kampanye": "campaign", "biaya": "spend"}


@pytest.fixture
def project(tmp_path: Path) -> Project:
    init_project(tmp_path / "p")
    return open_project(tmp_path / "p", env={})


def test_spend_is_stored_and_bad_rows_are_quarantined(project: Project, tmp_path: Path) -> None:
    source = tmp_path / "iklan.csv"
    source.write_text(SPEND_CSV)
    summary = import_spend(project, source, MAPPING)
    assert (summary.rows_read, summary.rows_stored) == (7, 3)
    assert summary.quarantined_by_reason == {"wrong_type": 2, "bad_timestamp": 1, "malformed_row": 1}
    assert summary.rows_read == summary.rows_stored + summary.rows_quarantined
    assert quarantine_counts(project) == {"wrong_type": 2, "bad_timestamp": 1, "malformed_row": 1}
    assert spend_by_channel(project) == {"Paid Search": 1_400_000.0, "Paid Social": 300_000.0}
    assert spend_by_channel(project, start=dt.date(2026, 3, 2), end=dt.date(2026, 3, 2)) == {
        "Paid Search": 1_250_000.0,
        "Paid Social": 300_000.0,
    }


def test_a_spend_check_counts_what_the_import_would_do_and_stores_nothing(project: Project, tmp_path: Path) -> None:
    source = tmp_path / "iklan.csv"
    source.write_text(SPEND_CSV)
    checked = import_spend(project, source, MAPPING, check=True)
    assert spend_by_channel(project) == {} and quarantine_counts(project) == {}
    db = connect_state(project.sqlite_path)
    try:
        assert db.execute("SELECT count(*) FROM imports").fetchone() == (0,)
    finally:
        db.close()
    # The import that follows does what the check said, row for row.
    done = import_spend(project, source, MAPPING)
    assert (checked.rows_read, checked.rows_stored, checked.quarantined_by_reason) == (
        done.rows_read,
        done.rows_stored,
        done.quarantined_by_reason,
    )
    assert [row[:4] for row in checked.sample] == [
        ("2026-03-01", "Paid Search", "kopi-susu", 150000.0),
        ("2026-03-02", "Paid Search", "kopi-susu", 1_250_000.0),
        ("2026-03-02", "Paid Social", "ramadan", 300000.0),
    ]
    assert [row["source_line"] for row in checked.bad_sample] == [5, 6, 7, 8]
    # A check after it says how many stored rows an import again would replace.
    assert import_spend(project, source, MAPPING, check=True).rows_replaced == 3
    assert spend_by_channel(project) == {"Paid Search": 1_400_000.0, "Paid Social": 300_000.0}


def test_reimporting_a_spend_file_replaces_its_rows(project: Project, tmp_path: Path) -> None:
    source = tmp_path / "iklan.csv"
    source.write_text(SPEND_CSV)
    import_spend(project, source, MAPPING)
    again = import_spend(project, source, MAPPING)
    assert again.rows_replaced == 3
    assert spend_by_channel(project) == {"Paid Search": 1_400_000.0, "Paid Social": 300_000.0}
    # The bad rows are quarantined once, not twice.
    assert sum(quarantine_counts(project).values()) == 4


def test_a_spend_file_without_an_amount_column_says_what_to_do(project: Project, tmp_path: Path) -> None:
    source = tmp_path / "iklan.csv"
    source.write_text("date,channel\n2026-03-01,Paid Search\n")
    with pytest.raises(MissingColumnError, match="no spend, cost or amount column"):
        import_spend(project, source)


def test_roas_and_cost_per_conversion_follow_each_model() -> None:
    comparison = pa.table(
        {
            "channel": ["Paid Search", "Paid Search", "Email"],
            "model": ["last_touch", "linear", "last_touch"],
            "conversions": [4.0, 0.0, 1.0],
            "revenue": [800_000.0, 0.0, 50_000.0],
        }
    )
    spend = {"Paid Search": 400_000.0, "Google Ads": 10.0}
    table = with_spend(comparison, spend).to_pylist()
    assert [(r["spend"], r["cost_per_conversion"], r["roas"]) for r in table] == [
        (400_000.0, 100_000.0, 2.0),
        (400_000.0, None, 0.0),  # spend but nothing credited: no cost per conversion, ROAS 0
        (None, None, None),  # no spend on e-mail
    ]
    assert unmatched_spend(comparison, spend) == {"Google Ads": 10.0}


def test_a_semicolon_spend_export_reads_decimal_commas(project: Project, tmp_path: Path) -> None:
    # The same kind of week, saved by Excel where the comma is the decimal mark: semicolons and 1.250.000,50.
    source = tmp_path / "iklan.csv"
    source.write_text(
        "tanggal;saluran;biaya\n2026-03-01;Paid Search;1.250.000,50\n2026-03-02;Paid Search;150000,5\n"
        "2026-03-03;Paid Social;300000\n2026-03-04;Paid Social;1,2,3\n"
    )
    summary = import_spend(project, source, {"tanggal": "date", "saluran": "channel", "biaya": "spend"})
    assert (summary.rows_read, summary.rows_stored, summary.quarantined_by_reason) == (4, 3, {"wrong_type": 1})
    assert spend_by_channel(project) == {"Paid Search": pytest.approx(1_400_001.0), "Paid Social": 300000.0}


def test_a_google_ads_report_with_a_title_and_no_channel_column(project: Project, tmp_path: Path) -> None:
    # Ad platforms put a title and the date range above the header, a total row below, and no channel column.
    source = tmp_path / "gads.csv"
    source.write_text(
        "Campaign report\n"
        '"November 1, 2026 - November 3, 2026"\n'
        "Day,Campaign,Cost\n"
        '2026-11-01,Kopi Susu,"1,250.50"\n'
        "2026-11-02,Kopi Susu,300\n"
        'Total: Account,,"1,550.50"\n'
    )
    summary = import_spend(
        project,
        source,
        {"Day": "date", "Cost": "spend", "Campaign": "campaign"},
        constants={"channel": "Paid Search"},
        skip_lines=2,
    )
    # The total row is the report's sum of the days above it: left out, not stored and not quarantined.
    assert (summary.rows_read, summary.rows_stored, summary.quarantined_by_reason) == (3, 2, {})
    assert summary.total_rows == 1
    assert spend_by_channel(project) == {"Paid Search": pytest.approx(1550.5)}
    assert quarantined(project) == []
    with pytest.raises(MissingColumnError, match="--set 'channel=Paid Search'"):  # the error says what to do
        import_spend(project, source, {"Day": "date", "Cost": "spend"}, skip_lines=2)
    with pytest.raises(SettingError, match="date cannot be set"):
        import_spend(project, source, constants={"date": "2026-11-01"}, skip_lines=2)
    with pytest.raises(InputFileError, match="has a campaign column already"):
        import_spend(project, source, {"Day": "date", "Cost": "spend", "Campaign": "campaign"},
                     constants={"campaign": "x", "channel": "Paid Search"}, skip_lines=2)  # fmt: skip


def test_a_utf16_tab_separated_report_gzipped_or_not(project: Project, tmp_path: Path) -> None:
    # A "CSV for Excel" download: UTF-16 with a byte-order mark, tab-separated, a title line; a line with a lone
    # surrogate is quarantined as invalid_utf8, not changed.
    report = (
        "Campaign report\r\nDay\tCampaign\tCost\r\n2026-11-01\tKopi Susu\t1,250.50\r\n2026-11-02\tKopi\ud800\t9\r\n"
    )
    encoded = report.encode("utf-16", "surrogatepass")
    plain, packed = tmp_path / "gads.csv", tmp_path / "gads-packed.csv.gz"
    plain.write_bytes(encoded)
    packed.write_bytes(gzip.compress(encoded))
    mapping = {"Day": "date", "Cost": "spend", "Campaign": "campaign"}
    for source in (plain, packed):
        summary = import_spend(project, source, mapping, constants={"channel": "Paid Search"}, skip_lines=1)
        assert (summary.rows_read, summary.rows_stored, summary.quarantined_by_reason) == (2, 1, {"invalid_utf8": 1})
    assert spend_by_channel(project) == {"Paid Search": pytest.approx(2 * 1250.5)}  # two files, one row each
    broken = tmp_path / "rusak.csv.gz"
    broken.write_bytes(gzip.compress(encoded)[:-8])
    with pytest.raises(InputFileError, match=r"rusak\.csv\.gz cannot be unpacked as gzip"):
        import_spend(project, broken, mapping, constants={"channel": "Paid Search"}, skip_lines=1)


def test_an_ad_platforms_workbook_report(project: Project, tmp_path: Path) -> None:
    # Ads Manager downloads .xlsx: a title row, days as dates, amounts as numbers, a total row; a stray cell right
    # of the table makes its row malformed, as in an events import.
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in [
        ["Laporan iklan"],
        ["Day", "Campaign name", "Amount spent (IDR)"],
        [dt.date(2026, 11, 1), "Kopi Susu", 125000.5],
        [dt.datetime(2026, 11, 2), "Kopi Susu", 300000],
        [dt.date(2026, 11, 3), "Kopi Susu", 5, "catatan"],
        ["Total", None, 425005.5],
    ]:
        sheet.append(row)
    workbook.save(tmp_path / "meta.xlsx")
    mapping = {"Day": "date", "Campaign name": "campaign", "Amount spent (IDR)": "spend"}
    summary = import_spend(project, tmp_path / "meta.xlsx", mapping, constants={"channel": "Paid Social"}, skip_lines=1)
    assert (summary.rows_read, summary.rows_stored) == (4, 2)
    assert (summary.quarantined_by_reason, summary.total_rows) == ({"malformed_row": 1}, 1)
    assert {row[4] for row in _stored_spend(project)} == {"IDR"}  # named in the mapped amount column's header
    assert spend_by_channel(project) == {"Paid Social": pytest.approx(425000.5)}
    lines = {row["source_line"]: row for row in quarantined(project)}
    assert sorted(lines) == [5]  # the sheet's own row number
    assert json.loads(str(lines[5]["raw"]))["Campaign name"] == "Kopi Susu"


def test_rupiah_spend_with_the_comma_decimal_mark(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", settings={"decimal_mark": "comma"})
    source = tmp_path / "iklan.csv"
    source.write_text(
        'date,channel,spend\n2026-03-01,Paid Social,"Rp 1.500.000"\n2026-03-02,Paid Social,"250.000,50"\n'
    )
    summary = import_spend(project, source)
    assert (summary.rows_stored, summary.quarantined_by_reason) == (2, {})
    assert spend_by_channel(project) == {"Paid Social": pytest.approx(1_750_000.5)}


@settings(max_examples=500, deadline=None)
@example(text="1,250.50", mark="point", delimiter=",", rupiah=False)
@example(text="Rp 1.500.000,-", mark="comma", delimiter=",", rupiah=False)
@example(text="1e999", mark="point", delimiter=",", rupiah=False)
@example(text="Rp150.000", mark="auto", delimiter=",", rupiah=False)
@example(text="150,000", mark="auto", delimiter=";", rupiah=True)
@example(text="$12.500", mark="auto", delimiter=",", rupiah=False)
@example(text="Rp (20.000)", mark="auto", delimiter=",", rupiah=False)
@example(text="(0)", mark="point", delimiter=",", rupiah=False)
@given(
    text=st.lists(
        st.sampled_from(
            [
                "1",
                "23",
                "456",
                "7890",
                ".",
                ",",
                ",-",
                "-",
                " ",
                "Rp",
                "rp.",
                "IDR",
                "€",
                "EUR",
                "$",
                "USD",
                "x",
                "e5",
                "(",
                ")",
            ]
        ),
        max_size=7,
    ).map("".join),
    mark=st.sampled_from(["auto", "point", "comma"]),
    delimiter=st.sampled_from([",", ";"]),
    rupiah=st.booleans(),
)
def test_spend_reads_an_amount_as_the_events_import_reads_revenue(
    text: str, mark: str, delimiter: str, rupiah: bool
) -> None:
    # Two engines, one rule: the events import reads revenue in SQL (`validate.number_sql`), spend in Python.
    import duckdb

    from jejak.ingest.spend import _parse_amount
    from jejak.ingest.validate import amount_style, number_sql

    style = amount_style(mark, delimiter)
    sql = number_sql("trim(CAST($1 AS VARCHAR))", style, "true" if rupiah else "false")
    [(in_sql,)] = duckdb.execute(f"SELECT {sql}", [text]).fetchall()
    in_python = _parse_amount(text, style, rupiah)
    expected = in_sql if in_sql is not None and in_sql >= 0 and math.isfinite(in_sql) else None  # spend is never < 0
    assert in_python == expected, (text, in_sql, in_python)


def test_a_spend_import_is_logged_and_its_rows_are_not_retried_as_events(project: Project, tmp_path: Path) -> None:
    from jejak.ingest.quarantine import list_quarantined, retry_quarantined
    from jejak.service.data import imports_log
    from jejak.service.reports import freshness

    source = tmp_path / "iklan.csv"
    source.write_text("date,channel,spend\n2026-03-01,Paid Search,100\nkemarin,Paid Search,5\n")
    import_spend(project, source)
    [logged] = imports_log(project)
    assert (logged["file"], logged["format"], logged["rows_stored"], logged["rows_quarantined"]) == (
        "iklan.csv", "spend", 1, 1
    )  # fmt: skip
    # Its row is spend, not an event: it counts in no event total.
    fresh = {row["measure"]: row["value"] for row in freshness(project)}
    assert fresh["events_stored"] == 0
    # When, on the shop's clock (the timezone setting, Asia/Jakarta): no microseconds, no UTC offset to convert.
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d WIB", fresh["last_import_at"]), fresh
    assert logged["imported_at"].endswith(" WIB")
    # Re-tried as an event, a spend row read as no JSON object ("not_json"): it says what to do instead.
    [row] = list_quarantined(project).rows
    retried = retry_quarantined(project, fixed={row.row_id: "2026-03-02,Paid Search,5"})
    assert retried.left_by_why == {"spend": 1} and retried.rows_chosen == 1 and retried.reconciles
    assert list_quarantined(project).rows == [row]


def test_spend_days_in_a_format_of_the_timestamp_formats_setting(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", settings={"timestamp_formats": ["epoch_seconds", "%d/%m/%Y", "%d %b %Y"]})
    source = tmp_path / "iklan.csv"
    source.write_text(
        "date,channel,spend\n01/03/2026,Email,10\n2 Mar 2026,Email,20\n2026-03-03,Email,30\n1772323200,Email,40\n"
        "4/3/2026,Email,50\n"  # shorter than an ISO date: read by the formats all the same
        "5 Mei 2026,Email,60\n"  # an Indonesian month's name, read as the events read it
    )
    summary = import_spend(project, source)
    assert (summary.rows_stored, summary.quarantined_by_reason) == (5, {"bad_timestamp": 1})  # a count of seconds
    assert spend_by_channel(project, dt.date(2026, 5, 5), dt.date(2026, 5, 5)) == {"Email": 60.0}
    assert spend_by_channel(project, dt.date(2026, 3, 1), dt.date(2026, 3, 2)) == {"Email": 30.0}
    assert spend_by_channel(project, dt.date(2026, 3, 4), dt.date(2026, 3, 4)) == {"Email": 50.0}
    [bad] = quarantined(project)
    assert bad["source_line"] == 5 and "timestamp_formats" in str(bad["message"])


def test_a_spend_files_own_date_format_and_the_fix_empties_its_quarantine(project: Project, tmp_path: Path) -> None:
    """A spreadsheet kept by hand writes 24/10/2026: the import says which format reads it, `--timestamp-format`
    reads it, and the rows its first import quarantined leave the quarantine with the fix (they stayed there,
    "bad", beside the spend they had become)."""
    source = tmp_path / "iklan.csv"
    source.write_text("date,channel,spend\n24/10/2026,Paid Social,150000\n25/10/2026,Paid Social,120000\n")
    first = import_spend(project, source)
    assert (first.rows_stored, first.quarantined_by_reason) == (0, {"bad_timestamp": 2})
    assert first.time_hint is not None and first.time_hint.time_format == "%d/%m/%Y"
    assert first.time_hint.example == "24/10/2026"
    checked = import_spend(project, source, check=True, timestamp_formats=["%d/%m/%Y"])
    assert (checked.rows_stored, checked.quarantine_replaced) == (2, 2)
    assert sum(quarantine_counts(project).values()) == 2  # a check changes nothing
    fixed = import_spend(project, source, timestamp_formats=["%d/%m/%Y"])
    assert (fixed.rows_stored, fixed.rows_quarantined, fixed.quarantine_replaced, fixed.time_hint) == (2, 0, 2, None)
    assert spend_by_channel(project, dt.date(2026, 10, 24), dt.date(2026, 10, 24)) == {"Paid Social": 150_000.0}
    assert quarantine_counts(project) == {}
    # The option's format comes before the setting's and is for this import only.
    again = import_spend(project, source)
    assert (again.rows_stored, again.quarantine_replaced, sum(quarantine_counts(project).values())) == (0, 0, 2)
    # The imports log adds up to what the spend table and the quarantine hold: what an import replaced is logged
    # with negative counts.
    db = connect_state(project.sqlite_path)
    try:
        (stored, bad) = db.execute("SELECT SUM(rows_stored), SUM(rows_quarantined) FROM imports").fetchone()
        (spend_rows,) = db.execute("SELECT count(*) FROM spend").fetchone()
    finally:
        db.close()
    assert (stored, bad) == (spend_rows, sum(quarantine_counts(project).values())) == (0, 2)


def test_cost_in_micros_is_read_in_the_currency(project: Project, tmp_path: Path) -> None:
    """Google Ads' BigQuery transfer gives `metrics_cost_micros`: 150,000 rupiah is 150000000000. Read as it is, every
    ROAS would be a millionth of itself."""
    source = tmp_path / "gads_bq.csv"
    source.write_text(
        "segments_date,campaign_name,metrics_cost_micros\n"
        "2026-10-01,kopi-susu,150000000000\n2026-10-02,kopi-susu,2500000\n"
    )
    summary = import_spend(project, source, constants={"channel": "Paid Search"})
    assert (summary.rows_stored, summary.micros_column) == (2, "metrics_cost_micros")
    assert spend_by_channel(project) == {"Paid Search": 150_002.5}
    # An amount column in the currency is read as it is.
    plain = tmp_path / "gads.csv"
    plain.write_text("Day,Campaign,Cost\n2026-10-03,kopi-susu,150000\n")
    assert import_spend(project, plain, constants={"channel": "Paid Search"}).micros_column is None
    assert spend_by_channel(project) == {"Paid Search": 300_002.5}


def test_a_name_two_spend_columns_share_is_refused(project: Project, tmp_path: Path) -> None:
    # Mapped onto one name, the second column's values won silently: 5 was stored where the file said 100.
    source = tmp_path / "iklan.csv"
    source.write_text("date,channel,cost,biaya\n2026-03-01,Email,100,5\n")
    with pytest.raises(InputFileError, match="spend more than once"):
        import_spend(project, source, {"cost": "spend", "biaya": "spend"})
    assert spend_by_channel(project) == {}


def _stored_spend(project: Project) -> list[tuple[str, str, str | None, float, str | None]]:
    db = connect_state(project.sqlite_path)
    try:
        rows = db.execute(
            "SELECT day, channel, campaign, amount, currency FROM spend ORDER BY day, campaign"
        ).fetchall()
    finally:
        db.close()
    return [tuple(row) for row in rows]


def test_an_ad_platforms_own_report_imports_without_a_mapping(project: Project, tmp_path: Path) -> None:
    # Google Ads: a title and date range above the header, Day / Campaign / Currency code / Cost, and total lines at
    # the end that sum the days above (storing them would count the spend twice).
    google = tmp_path / "google-ads.csv"
    google.write_text(
        "Campaign report\n1 March 2026 - 31 March 2026\n"
        "Day,Campaign,Currency code,Cost,Impr.,Clicks\n"
        '2026-03-01,Kopi Search,IDR,"150,000.00",1000,50\n'
        '2026-03-02,Kopi Search,IDR,"175,500.00",1100,52\n'
        'Total: Account,,IDR,"325,500.00",2100,102\n'
        'Total: Search,,IDR,"325,500.00",2100,102\n'
    )
    read = import_spend(project, google, constants={"channel": "Paid Search"}, skip_lines=2)
    assert (read.rows_read, read.rows_stored, read.rows_quarantined, read.total_rows) == (4, 2, 0, 2)
    # Meta Ads Manager, in Indonesian: the currency is named in the amount's header, and `Klik (semua)` is no currency.
    meta = tmp_path / "meta.csv"
    meta.write_text(
        "Awal pelaporan,Akhir pelaporan,Nama kampanye,Hari,Jumlah yang dibelanjakan (IDR),Klik (semua)\n"
        "2026-03-01,2026-03-31,Kopi IG,2026-03-01,150.000,40\n"
        "2026-03-01,2026-03-31,Kopi IG,2026-03-02,99500,31\n"
    )
    read = import_spend(project, meta, constants={"channel": "Paid Social"})
    assert (read.rows_stored, read.rows_quarantined, read.total_rows) == (2, 0, 0)
    assert _stored_spend(project) == [
        ("2026-03-01", "Paid Social", "Kopi IG", 150_000.0, "IDR"),
        ("2026-03-01", "Paid Search", "Kopi Search", 150_000.0, "IDR"),
        ("2026-03-02", "Paid Social", "Kopi IG", 99_500.0, "IDR"),
        ("2026-03-02", "Paid Search", "Kopi Search", 175_500.0, "IDR"),
    ]
    # The imports log reconciles without the total lines: they are not rows of spend.
    db = connect_state(project.sqlite_path)
    try:
        logged = db.execute(
            "SELECT rows_read, rows_stored, rows_quarantined FROM imports ORDER BY started_at"
        ).fetchall()
    finally:
        db.close()
    assert [tuple(row) for row in logged] == [(2, 2, 0), (2, 2, 0)]


def test_a_report_without_a_day_per_row_spreads_each_row_over_its_days(project: Project, tmp_path: Path) -> None:
    # Meta Ads Manager's default export has no breakdown by day: each row is a campaign's spend over the report's
    # range. Read as the first day's, a report of the range's second half counted none of it, the first half all.
    meta = tmp_path / "meta.csv"
    meta.write_text(
        "Reporting starts,Reporting ends,Campaign name,Amount spent (IDR)\n"
        "2026-03-01,2026-03-31,Kopi IG,3100000\n"
        "2026-04-01,2026-04-01,Kopi IG,50000\n"  # a range of one day is that day
        "2026-03-10,2026-03-09,Kopi IG,1000\n"  # ends before it starts
    )
    read = import_spend(project, meta, constants={"channel": "Paid Social"})
    assert (read.rows_read, read.rows_stored, read.quarantined_by_reason) == (3, 2, {"bad_timestamp": 1})
    assert "2026-03-09" in quarantined(project)[0]["message"]
    # Each of March's days has a 31st of its spend: 100,000 a day.
    assert spend_by_channel(project) == {"Paid Social": 3_150_000.0}
    assert spend_by_channel(project, dt.date(2026, 3, 1), dt.date(2026, 3, 31)) == {"Paid Social": 3_100_000.0}
    assert spend_by_channel(project, dt.date(2026, 3, 17), dt.date(2026, 4, 30)) == {
        "Paid Social": pytest.approx(15 * 100_000.0 + 50_000.0)  # 17 to 31 March, and 1 April
    }
    assert spend_by_channel(project, dt.date(2026, 2, 1), dt.date(2026, 3, 1)) == {"Paid Social": pytest.approx(1e5)}
    assert spend_by_channel(project, dt.date(2026, 2, 1), dt.date(2026, 2, 28)) == {}
    assert spend_by_campaign(project, dt.date(2026, 4, 1), dt.date(2026, 4, 1)) == {"Kopi IG": 50_000.0}


def test_a_report_of_a_range_spreads_its_rows_over_the_range_its_title_line_gives(
    project: Project, tmp_path: Path
) -> None:
    # Google Ads' campaign report, as downloaded: a title, the report's range, a row per campaign over the whole range
    # and no Day column. It was refused for having no date; each campaign's spend is now spread over the range.
    google = tmp_path / "Campaign report.csv"
    google.write_text(
        'Campaign report\n"March 1, 2026 - March 31, 2026"\n'
        "Campaign,Campaign status,Currency code,Cost,Clicks\n"
        'Kopi Search,Enabled,IDR,"3,100,000.00",500\n'
        "Kopi Brand,Paused,IDR,620000,90\n"
        "Total Kopi Promo,Enabled,IDR,31000,5\n"  # a campaign's name, not the report's total line
        'Total: Account,,IDR,"3,751,000.00",595\n'
    )
    with pytest.raises(
        MissingColumnError, match="reads as a title: skip the lines above the header with --skip-lines 2"
    ):
        import_spend(project, google, constants={"channel": "Paid Search"})
    read = import_spend(project, google, constants={"channel": "Paid Search"}, skip_lines=2)
    assert (read.rows_read, read.rows_stored, read.rows_quarantined, read.total_rows) == (4, 3, 0, 1)
    assert read.title_period == (dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    assert spend_by_campaign(project, dt.date(2026, 3, 1), dt.date(2026, 3, 10)) == {
        "Kopi Search": pytest.approx(1_000_000.0),
        "Kopi Brand": pytest.approx(200_000.0),
        "Total Kopi Promo": pytest.approx(10_000.0),
    }
    # The same report downloaded as a workbook from Google Ads in Indonesian.
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in [["Laporan kampanye"], ["1 Apr 2026 - 30 Apr 2026"], ["Kampanye", "Biaya"], ["Kopi Search", 300000]]:
        sheet.append(row)
    workbook.save(tmp_path / "laporan.xlsx")
    # Imported without skipping its title rows, the advice counts them in the sheet as in a CSV (it said "N").
    with pytest.raises(MissingColumnError, match="--skip-lines 2;"):
        import_spend(project, tmp_path / "laporan.xlsx", {"Kampanye": "campaign"}, constants={"channel": "Paid Search"})
    read = import_spend(
        project, tmp_path / "laporan.xlsx", {"Kampanye": "campaign"}, constants={"channel": "Paid Search"}, skip_lines=2
    )
    assert (read.rows_stored, read.title_period) == (1, (dt.date(2026, 4, 1), dt.date(2026, 4, 30)))
    assert spend_by_channel(project, dt.date(2026, 4, 1), dt.date(2026, 4, 3)) == {
        "Paid Search": pytest.approx(30_000.0)
    }
    # A report with no range in a title: the user gives it, both ends or none; a day per row needs none.
    plain = tmp_path / "tiktok.csv"
    plain.write_text("Campaign name,Cost\nKopi Video,70000\n")
    with pytest.raises(MissingColumnError, match="period_start=2026-11-01,period_end=2026-11-30"):
        import_spend(project, plain, constants={"channel": "Paid Video"})
    with pytest.raises(SettingError, match="go together"):
        import_spend(project, plain, constants={"channel": "Paid Video", "period_start": "2026-05-01"})
    # A range that is no range of days is refused up front, naming the option: row by row, every row went to the
    # quarantine for a bad `date`, a column the file does not have.
    with pytest.raises(SettingError, match=r"--set period_end='31 Mei' is not a day: give it as YYYY-MM-DD"):
        import_spend(
            project, plain, constants={"channel": "Paid Video", "period_start": "2026-05-01", "period_end": "31 Mei"}
        )
    with pytest.raises(SettingError, match=r"period_end \(2026-04-30\) is before period_start \(2026-05-01\)"):
        backwards = {"channel": "Paid Video", "period_start": "2026-05-01", "period_end": "2026-04-30"}
        import_spend(project, plain, constants=backwards)
    assert quarantined(project) == [] and "Paid Video" not in spend_by_channel(project)
    given_range = {"channel": "Paid Video", "period_start": "2026-05-01", "period_end": "2026-05-07"}
    read = import_spend(project, plain, constants=given_range)
    assert (read.rows_stored, read.title_period) == (1, None)
    assert spend_by_channel(project, dt.date(2026, 5, 7), dt.date(2026, 5, 31)) == {
        "Paid Video": pytest.approx(10_000.0)
    }
    daily = tmp_path / "daily.csv"
    daily.write_text("Day,Cost\n2026-06-01,5\n")
    with pytest.raises(InputFileError, match="has a day per row already"):
        import_spend(project, daily, constants={**given_range, "channel": "Paid Video"})
