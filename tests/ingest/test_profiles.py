"""Import profiles: a source's options kept in jejak.toml, so that its next export imports by its name alone.

A shop that sells on Lazada gets a new orders export each month, under a new name. Each was imported with eight
options retyped (`--map`, `--set`, `--timestamp-format`, `--event-names`, `--id-prefix`, `--sum-revenue`, …); one
forgotten, and that month's orders were stored otherwise (no conversions, or the first product's price), or under
ids that join no earlier month's buyers.
"""

from __future__ import annotations

import sqlite3
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import cli_project, lake_events
from hypothesis import given, settings
from hypothesis import strategies as st

from jejak.cli.main import cli
from jejak.core.errors import InputFileError, SettingError
from jejak.ingest.importer import ImportOptions
from jejak.ingest.mapping import INPUT_COLUMNS, NOT_SETTABLE
from jejak.ingest.profiles import (
    ImportProfile,
    import_profiles,
    matching_profile,
    pattern_for,
    profile_toml,
    with_profile,
)
from jejak.store.project import Project, open_project

LAZADA = (
    "Order Item Id,Created at,Order Number,Customer Email,Paid Price,Status\n"
    "9001,01 Oct 2026 09:00,L-1,budi@example.com,85000.00,delivered\n"
    "9002,01 Oct 2026 09:00,L-1,budi@example.com,65000.00,delivered\n"
    "9003,02 Oct 2026 10:00,L-2,sari@example.com,120000.00,canceled\n"
)
NOVEMBER = (
    "Order Item Id,Created at,Order Number,Customer Email,Paid Price,Status\n"
    "9101,03 Nov 2026 11:00,L-3,budi@example.com,45000.00,delivered\n"
    "9102,03 Nov 2026 11:00,L-3,budi@example.com,45000.00,delivered\n"
)
OPTIONS = [
    "--map",
    "Order Number=event_id,Created at=timestamp,Customer Email=email,Paid Price=revenue,Status=event",
    "--timestamp-format",
    "%d %b %Y %H:%M",
    "--event-names",
    "delivered=Order Completed,canceled=Order Cancelled",
    "--set",
    "channel=Marketplace",
    "--sum-revenue",
]

names = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=12).filter(
    lambda text: text.strip() != ""
)
words = st.from_regex(r"[A-Za-z0-9_]{1,8}", fullmatch=True)


@st.composite
def import_options(draw: st.DrawFn) -> ImportOptions:
    columns = draw(st.lists(names, max_size=4, unique_by=lambda name: name.strip().lower()))
    settable = [column for column in INPUT_COLUMNS if column not in NOT_SETTABLE]
    statuses = draw(st.lists(names, max_size=3, unique_by=lambda name: name.strip().lower()))
    return ImportOptions(
        column_map={column: draw(st.sampled_from(INPUT_COLUMNS)) for column in columns},
        constants=draw(st.dictionaries(st.sampled_from(settable), names, max_size=2)),
        delimiter=draw(st.sampled_from([None, "comma", "semicolon", "tab", "pipe", "auto"])),
        skip_lines=draw(st.integers(0, 5)),
        sheet=draw(st.none() | names),
        timezone=draw(st.sampled_from([None, "Asia/Makassar", "UTC"])),
        timestamp_formats=tuple(draw(st.lists(names, max_size=2, unique=True))),
        event_names={status: draw(names) for status in statuses},
        id_prefix=draw(st.none() | words),
        event_id_prefix=draw(st.none() | words),
        keep_anonymous=draw(st.booleans()),
        sum_revenue=draw(st.booleans()),
    )


def _read_back(text: str) -> dict[str, ImportProfile]:
    return import_profiles(Project(root=Path(), config=tomllib.loads(text)))


@settings(max_examples=200, deadline=None)
@given(options=import_options(), files=st.lists(names, max_size=2))
def test_a_saved_profile_reads_back_as_the_options_it_was_saved_from(options: ImportOptions, files: list[str]) -> None:
    # Any column name, status or format (quotes, backslashes, control characters, DEL, non-Latin letters) survives.
    found = _read_back(profile_toml("toko", options, files))
    assert list(found) == ["toko"]
    assert found["toko"].options == options
    assert found["toko"].files == tuple(files)


@pytest.mark.parametrize(
    ("table", "said"),
    [
        ('wrong = "x"', "unknown key(s) wrong"),
        ('delimiter = "|"', "delimiter must be one of"),
        ("skip_lines = -1", "skip_lines must be a whole number"),
        ("skip_lines = 99999999999999999999", "skip_lines must be a whole number from 0 to 2147483647"),
        ('timezone = "Asia/Bali"', "not an IANA time zone"),
        ('id_prefix = "two words"', "must be one word"),
        ('keep_anonymous = "yes"', "keep_anonymous must be true or false"),
        ('files = "shopee-*.xlsx"\nmap = "Waktu=timestamp"', "map must be a table of names to names"),
        ('[import.profiles.toko.map]\nWaktu = "waktu"', "'waktu' is not a jejak column"),
        ('[import.profiles.toko.map]\nWaktu = "timestamp"\nwaktu = "timestamp"', "names the column 'waktu' twice"),
        ('[import.profiles.toko.set]\nuser_id = "x"', "cannot be one value on every row"),
    ],
)
def test_a_profile_written_wrong_is_named_with_its_key(table: str, said: str) -> None:
    with pytest.raises(SettingError) as raised:
        _read_back(f"[import.profiles.toko]\n{table}\n")
    assert raised.value.message.startswith("[import.profiles.toko] in jejak.toml"), raised.value.message
    assert said in raised.value.message, raised.value.message


def test_the_command_line_goes_over_the_profile() -> None:
    profile = ImportOptions(
        column_map={"No. Pesanan": "event_id", "Nama": "user_id"},
        constants={"channel": "Marketplace"},
        timestamp_formats=("%d/%m/%Y",),
        event_names={"Selesai": "Order Completed"},
        skip_lines=2,
        id_prefix="shopee",
    )
    given_options = ImportOptions(
        column_map={"nama ": "properties.nama", "Username": "user_id"},
        constants={"channel": "Shopee"},
        timestamp_formats=("%d-%m-%Y",),
        event_names={"SELESAI": "Order Delivered"},
        sum_revenue=True,
    )
    merged = with_profile(profile, given_options)
    # Header names and statuses match without case: the profile's pair for that column or status is gone.
    assert merged.column_map == {"No. Pesanan": "event_id", "nama ": "properties.nama", "Username": "user_id"}
    assert merged.event_names == {"SELESAI": "Order Delivered"}
    assert merged.constants == {"channel": "Shopee"}
    assert merged.timestamp_formats == ("%d-%m-%Y", "%d/%m/%Y")  # the one given is tried first
    assert (merged.skip_lines, merged.id_prefix, merged.sum_revenue) == (2, "shopee", True)
    assert with_profile(profile, ImportOptions()) == profile


def test_which_profile_a_file_matches() -> None:
    shopee = ImportProfile("shopee", ("Order.all.*.xlsx",), ImportOptions())
    sheet = ImportProfile("kasir", ("https://docs.google.com/spreadsheets/d/abc*",), ImportOptions())
    profiles = {"shopee": shopee, "kasir": sheet}
    assert matching_profile(profiles, Path("/unduhan/order.ALL.20261101_20261130.xlsx")) is shopee  # without case
    assert matching_profile(profiles, "https://docs.google.com/spreadsheets/d/abc/edit#gid=0") is sheet
    assert matching_profile(profiles, Path("pesanan.csv")) is None
    both = {**profiles, "semua": ImportProfile("semua", ("*.xlsx",), ImportOptions())}
    with pytest.raises(InputFileError, match=r"matches the files patterns of the profiles shopee and semua"):
        matching_profile(both, Path("Order.all.1.xlsx"))


@pytest.mark.parametrize(
    ("file", "pattern"),
    [
        ("/d/Order.all.20261001_20261031.xlsx", "Order.all.*_*.xlsx"),
        ("lazada-orders-2026-10.csv.gz", "lazada-orders-*-*.csv.gz"),
        ("kasir.csv", "kasir.csv"),
        ("2026-10.csv", None),  # `*-*.csv` would take every CSV
        ("ab12.csv", None),
        ("https://docs.google.com/spreadsheets/d/abc/edit", None),
    ],
)
def test_the_pattern_saved_for_a_file(file: str, pattern: str | None) -> None:
    assert pattern_for(file) == pattern


def _import(runner: CliRunner, project: Path, *arguments: str) -> str:
    done = runner.invoke(cli, ["import", *arguments, "--project", str(project)], env={"COLUMNS": "400"})
    assert done.exit_code == 0, done.output
    return " ".join(done.output.split())


def test_a_saved_profile_reads_next_months_export(tmp_path: Path) -> None:
    runner = CliRunner()
    saved, typed = tmp_path / "saved", tmp_path / "typed"
    for project in (saved, typed):
        assert runner.invoke(cli, ["init", str(project)]).exit_code == 0
    october, november = tmp_path / "lazada-orders-202610.csv", tmp_path / "lazada-orders-202611.csv"
    october.write_text(LAZADA)
    november.write_text(NOVEMBER)
    before = (saved / "jejak.toml").read_text(encoding="utf-8")

    # Checked, then saved: nothing stored by the check, the profile appended to jejak.toml as it was.
    said = _import(runner, saved, str(october), *OPTIONS, "--check", "--save-profile", "lazada")
    assert "Saved the profile lazada" in said and "lazada-orders-*.csv is now read with it" in said, said
    assert lake_events(open_project(saved, env={})) == []
    after = (saved / "jejak.toml").read_text(encoding="utf-8")
    assert after.startswith(before) and "[import.profiles.lazada]" in after

    # Each month's file by its name alone, against each imported with every option typed.
    for path in (october, november):
        said = _import(runner, saved, str(path))
        assert f"{path.name}: read with the profile lazada of jejak.toml" in said, said
        _import(runner, typed, str(path), *OPTIONS)
    stored = {(e["event_id"], e["event"], e["revenue"]) for e in lake_events(open_project(saved, env={}))}
    assert stored == {(e["event_id"], e["event"], e["revenue"]) for e in lake_events(open_project(typed, env={}))}
    assert ("L-3", "Order Completed", 90_000) in stored  # November's file read with --sum-revenue too

    listed = runner.invoke(cli, ["imports", "profiles", "--format", "json", "--project", str(saved)])
    assert listed.exit_code == 0 and '"lazada-orders-*.csv"' in listed.output, listed.output
    assert "--sum-revenue" in listed.output


def test_a_file_imported_before_is_read_as_it_was_not_by_a_profile_added_since(tmp_path: Path) -> None:
    runner, project = cli_project(tmp_path, "toko")
    october = tmp_path / "lazada-orders-202610.csv"
    october.write_text(LAZADA)
    _import(runner, project, str(october), *OPTIONS)
    other = tmp_path / "other.csv"
    other.write_text(LAZADA.replace("Paid Price", "Total"))
    total_options = [option.replace("Paid Price", "Total") for option in OPTIONS]
    _import(runner, project, str(other), *total_options, "--check", "--save-profile", "lain")
    config = project / "jejak.toml"
    text = config.read_text(encoding="utf-8")
    assert text.count('files = ["other.csv"]') == 1
    config.write_text(text.replace('files = ["other.csv"]', 'files = ["other.csv", "lazada-*.csv"]'), encoding="utf-8")
    stored = lake_events(open_project(project, env={}))
    # The October file matches the new profile's pattern, but was imported with its own options: read as then.
    said = _import(runner, project, str(october))
    assert "read as its last import read it" in said and "profile lain" not in said, said
    assert lake_events(open_project(project, env={})) == stored
    # Named, the profile is used: it reads the file otherwise, which the re-import guard refuses.
    named = runner.invoke(cli, ["import", str(october), "--profile", "lain", "--project", str(project)])
    assert named.exit_code == 1 and "imported before with other options" in named.output, named.output


def test_a_profile_name_taken_is_refused_before_anything_is_imported(tmp_path: Path) -> None:
    runner, project = cli_project(tmp_path, "toko")
    path = tmp_path / "lazada-orders-202610.csv"
    path.write_text(LAZADA)
    _import(runner, project, str(path), *OPTIONS, "--check", "--save-profile", "lazada")
    again = runner.invoke(cli, ["import", str(path), *OPTIONS, "--save-profile", "lazada", "--project", str(project)])
    assert again.exit_code == 1, again.output
    assert "already has the profile lazada" in again.output
    assert lake_events(open_project(project, env={})) == []
    unknown = runner.invoke(cli, ["import", str(path), "--profile", "shopee", "--project", str(project)])
    assert unknown.exit_code == 1 and "Its profiles: lazada" in unknown.output, unknown.output


GOOGLE_ADS = 'Campaign report\n"{period}"\nDay,Campaign,Cost\n{rows}'
SPEND_OPTIONS = ["--skip-lines", "2", "--map", "Day=date,Cost=spend,Campaign=campaign", "--set", "channel=Paid Search"]


def _spend_rows(project: Path) -> list[tuple[str, str, str, float]]:
    with sqlite3.connect(project / "jejak.sqlite") as state:
        rows = state.execute("SELECT day, channel, campaign, amount FROM spend ORDER BY day").fetchall()
    return [(str(day), str(channel), str(campaign), float(amount)) for day, channel, campaign, amount in rows]


def test_a_spend_profile_reads_the_platforms_next_report(tmp_path: Path) -> None:
    runner = CliRunner()
    saved, typed = tmp_path / "saved", tmp_path / "typed"
    for project in (saved, typed):
        assert runner.invoke(cli, ["init", str(project)]).exit_code == 0
    october = tmp_path / "Campaign report 2026-10.csv"
    october.write_text(GOOGLE_ADS.format(period="1-31 October 2026", rows="2026-10-01,Promo,150000\n"))
    november = tmp_path / "Campaign report 2026-11.csv"
    november.write_text(GOOGLE_ADS.format(period="1-30 November 2026", rows="2026-11-01,Promo,99000\n"))

    def spend(project: Path, *arguments: str) -> str:
        done = runner.invoke(cli, ["spend", "import", *arguments, "--project", str(project)], env={"COLUMNS": "400"})
        assert done.exit_code == 0, done.output
        return " ".join(done.output.split())

    said = spend(saved, str(october), *SPEND_OPTIONS, "--save-profile", "gads")
    assert "Saved the profile gads" in said and "[spend.profiles.gads]" in said, said
    said = spend(saved, str(november))
    assert "read with the spend profile gads of jejak.toml" in said, said
    for path in (october, november):
        spend(typed, str(path), *SPEND_OPTIONS)
    assert _spend_rows(saved) == _spend_rows(typed)
    assert [row[3] for row in _spend_rows(saved)] == [150_000, 99_000]
    # A spend profile is none of an events import's: the same name there is none.
    events = runner.invoke(cli, ["import", str(november), "--profile", "gads", "--project", str(saved)])
    assert events.exit_code == 1 and "no [import.profiles.gads]" in events.output, events.output
    listed = runner.invoke(cli, ["imports", "profiles", "--format", "json", "--project", str(saved)])
    assert '"jejak spend import"' in listed.output, listed.output


def test_a_spend_profile_reads_each_report_of_a_range_over_its_own_range(tmp_path: Path) -> None:
    # Google Ads' campaign report without a Day column: each month's report is spread over the range in its own title
    # line, and a range given with --set is not saved in the profile (it would date the next report as this one).
    runner = CliRunner()
    project = tmp_path / "p"
    assert runner.invoke(cli, ["init", str(project)]).exit_code == 0
    report = 'Campaign report\n"{period}"\nCampaign,Cost\nPromo,{cost}\nTotal: Account,{cost}\n'
    october = tmp_path / "Campaign report 2026-10.csv"
    october.write_text(report.format(period="October 1, 2026 - October 31, 2026", cost=310_000))
    november = tmp_path / "Campaign report 2026-11.csv"
    november.write_text(report.format(period="November 1, 2026 - November 30, 2026", cost=300_000))

    def spend(*arguments: str) -> str:
        done = runner.invoke(cli, ["spend", "import", *arguments, "--project", str(project)], env={"COLUMNS": "400"})
        assert done.exit_code == 0, done.output
        return " ".join(done.output.split())

    said = spend(str(october), "--skip-lines", "2", "--set", "channel=Paid Search", "--save-profile", "gads")
    assert "spread evenly over 2026-10-01 – 2026-10-31, the range in the report's title line" in said, said
    said = spend(str(november))
    assert "read with the spend profile gads" in said and "2026-11-01 – 2026-11-30" in said, said
    with sqlite3.connect(project / "jejak.sqlite") as state:
        rows = state.execute("SELECT day, last_day, amount FROM spend ORDER BY day").fetchall()
    assert rows == [("2026-10-01", "2026-10-31", 310_000.0), ("2026-11-01", "2026-11-30", 300_000.0)]
    plain = tmp_path / "tiktok.csv"
    plain.write_text("Campaign name,Cost\nKopi Video,70000\n")
    ranged = "channel=Paid Video,period_start=2026-05-01,period_end=2026-05-07"
    said = spend(str(plain), "--set", ranged, "--save-profile", "tiktok")
    assert "period_start, period_end: not saved in the profile" in said, said
    saved = tomllib.loads((project / "jejak.toml").read_text())["spend"]["profiles"]["tiktok"]
    assert saved["set"] == {"channel": "Paid Video"}, saved


def test_a_spend_profile_takes_only_a_spend_import_s_options() -> None:
    with pytest.raises(SettingError, match=r"\[spend.profiles.gads\] in jejak.toml has unknown key\(s\) event_names"):
        import_profiles(
            Project(root=Path(), config=tomllib.loads('[spend.profiles.gads]\nevent_names = { a = "b" }\n')), "spend"
        )
    with pytest.raises(SettingError, match=r"'user_id' is not a jejak column"):
        import_profiles(
            Project(root=Path(), config=tomllib.loads('[spend.profiles.gads.map]\nPembeli = "user_id"\n')), "spend"
        )
    text = profile_toml("gads", ImportOptions(column_map={"Day": "date"}, skip_lines=2), ["x-*.csv"], "spend")
    found = import_profiles(Project(root=Path(), config=tomllib.loads(text)), "spend")
    assert found["gads"].options == ImportOptions(column_map={"Day": "date"}, skip_lines=2)
