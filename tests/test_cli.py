"""The CLI is a thin skin: the commands run end to end, print what they say, and exit 0 / 1."""

from __future__ import annotations

import csv
import itertools
import json
import re
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from conftest import cli_project, lake_events

from jejak.cli.main import cli

ROWS = [
    {
        "waktu": "2026-03-01 09:00:00",
        "pelanggan": "ana",
        "event": "Page Viewed",
        "utm_source": "google",
        "utm_medium": "cpc",
    },
    {"waktu": "2026-03-03 20:00:00", "pelanggan": "ana", "event": "Page Viewed", "utm_source": "", "utm_medium": ""},
    {
        "waktu": "2026-03-03 20:05:00",
        "pelanggan": "ana",
        "event": "Order Completed",
        "utm_source": "",
        "utm_medium": "",
    },
    {"waktu": "kemarin", "pelanggan": "budi", "event": "Page Viewed", "utm_source": "", "utm_medium": ""},
]


def _write(path: Path) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(ROWS[0]))
        writer.writeheader()
        writer.writerows(ROWS)
    return path


def test_init_import_build_report_export(tmp_path: Path) -> None:
    runner, project = cli_project(tmp_path)
    source = _write(tmp_path / "orders.csv")
    imported = runner.invoke(
        cli, ["import", str(source), "--map", "waktu=timestamp,pelanggan=user_id", "--project", str(project)]
    )
    assert imported.exit_code == 0, imported.output
    assert "bad_timestamp 1" in imported.output
    built = runner.invoke(cli, ["build", "--project", str(project)])
    assert built.exit_code == 0, built.output
    summary = runner.invoke(cli, ["report", "summary", "--format", "json", "--project", str(project)])
    assert summary.exit_code == 0, summary.output
    data = json.loads(summary.output)
    assert data["headline"][0]["conversions"] == 1
    # Ana's path: Paid Search on day 1, then Direct on day 3 where she buys (two sessions, 30-min gap).
    assert data["top_paths"] == [{"path": "Paid Search > Direct", "conversions": 1, "revenue": 0.0}]
    assert data["quarantine"] == [{"reason": "bad_timestamp", "rows": 1}]
    target = tmp_path / "paths.parquet"
    exported = runner.invoke(
        cli, ["export", "paths", "--format", "parquet", "-o", str(target), "--project", str(project)]
    )
    assert exported.exit_code == 0, exported.output
    assert pq.read_table(target).column("path").to_pylist() == ["Paid Search > Direct"]
    # `-o -` writes to standard output; a file in a folder not there yet makes the folder.
    piped = runner.invoke(cli, ["export", "events", "--format", "json", "-o", "-", "--project", str(project)])
    assert piped.exit_code == 0, piped.output
    lines = [json.loads(line) for line in piped.stdout.splitlines()]
    assert [row["event"] for row in lines] == [
        "Page Viewed",
        "Page Viewed",
        "Order Completed",
    ]
    assert "Wrote 3 rows of events to standard output" in piped.stderr
    nested = tmp_path / "out" / "2026" / "people.csv"
    made = runner.invoke(cli, ["export", "people", "-o", str(nested), "--project", str(project)])
    assert made.exit_code == 0 and "Wrote 1 row of people" in made.output, made.output
    assert nested.read_text(encoding="utf-8").count("\n") == 2  # header and Ana
    # Attribution on the build's paths: first touch credits Paid Search, last touch Direct.
    attributed = runner.invoke(
        cli,
        ["attribute", "--model", "first_touch", "--model", "last_touch", "--format", "json", "--project", str(project)],
    )
    assert attributed.exit_code == 0, attributed.output
    credit = {(row["model"], row["channel"]): row["conversions"] for row in json.loads(attributed.output)}
    assert credit == {
        ("first_touch", "Direct"): 0.0,
        ("first_touch", "Paid Search"): 1.0,
        ("last_touch", "Direct"): 1.0,
        ("last_touch", "Paid Search"): 0.0,
    }
    # Time decay reads the journeys' touch times: both touches share the one conversion, the later one more.
    decayed = runner.invoke(
        cli, ["attribute", "--model", "time_decay", "--resamples", "10", "--format", "json", "--project", str(project)]
    )
    assert decayed.exit_code == 0, decayed.output
    decay = {row["channel"]: row for row in json.loads(decayed.output)}
    assert decay["Direct"]["conversions"] + decay["Paid Search"]["conversions"] == pytest.approx(1.0)
    assert decay["Direct"]["conversions"] > decay["Paid Search"]["conversions"] > 0
    assert decay["Direct"]["conversions_low"] is not None
    # A run with its own transform and date range: Ana's purchase is outside April, so nothing is credited.
    april = runner.invoke(
        cli,
        ["attribute", "--transform", "first", "--from", "2026-04-01", "--format", "json", "--project", str(project)],
    )
    assert april.exit_code == 0, april.output
    assert sum(row["conversions"] for row in json.loads(april.output)) == 0
    # With ad spend imported, every model's row carries spend, cost per conversion and ROAS.
    spend_file = tmp_path / "iklan.csv"
    spend_file.write_text("tanggal,saluran,biaya\n2026-03-01,Paid Search,90000\n2026-03-02,Tokopedia Ads,5\n")
    imported_spend = runner.invoke(
        cli,
        [
            "spend",
            "import",
            str(spend_file),
            "--map",
            "tanggal=date,saluran=channel,biaya=spend",
            "--project",
            str(project),
        ],
    )
    assert imported_spend.exit_code == 0, imported_spend.output
    assert "2 rows read, 2 stored, 0 quarantined" in " ".join(imported_spend.output.split())
    with_spend = runner.invoke(
        cli, ["attribute", "--model", "first_touch", "--format", "json", "--project", str(project)]
    )
    assert with_spend.exit_code == 0, with_spend.output
    paid = next(row for row in json.loads(with_spend.output) if row["channel"] == "Paid Search")
    assert (paid["spend"], paid["cost_per_conversion"]) == (90000.0, 90000.0)
    shown = runner.invoke(cli, ["attribute", "--model", "first_touch", "--project", str(project)])
    assert "Return on ad spend" in shown.output and "Tokopedia Ads" in " ".join(shown.output.split())
    assisted = runner.invoke(cli, ["report", "assisted", "--format", "json", "--project", str(project)])
    assert assisted.exit_code == 0, assisted.output
    by_channel = {row["channel"]: row for row in json.loads(assisted.output)}
    assert by_channel["Paid Search"]["reading"] == "only assists"
    assert by_channel["Direct"]["last_interaction_conversions"] == 1
    top = runner.invoke(cli, ["report", "paths", "--format", "json", "--project", str(project)])
    assert top.exit_code == 0, top.output
    assert [(row["path"], row["conversions"]) for row in json.loads(top.output)] == [("Paid Search > Direct", 1)]
    devices = runner.invoke(cli, ["report", "devices", "--format", "json", "--project", str(project)])
    assert devices.exit_code == 0, devices.output
    # The file names no device: its conversion was made on none, and is not one a journey could cross devices to.
    assert json.loads(devices.output)["cross_device"][0]["conversions"] == 0
    bounced = runner.invoke(cli, ["report", "bounce", "--by", "channel", "--format", "json", "--project", str(project)])
    assert bounced.exit_code == 0, bounced.output
    assert sum(row["entrances"] for row in json.loads(bounced.output)) == 2  # Ana's two visits
    for report in ("timelag", "pathlength"):
        histogram = runner.invoke(cli, ["report", report, "--format", "json", "--project", str(project)])
        assert histogram.exit_code == 0, histogram.output
        assert sum(row["conversions"] for row in json.loads(histogram.output)) == 1
        # Filters: Ana's journey has Paid Search; nothing converts in April.
        searched = runner.invoke(
            cli, ["report", report, "--channel", "Paid Search", "--format", "json", "--project", str(project)]
        )
        assert sum(row["conversions"] for row in json.loads(searched.output)) == 1
        april = runner.invoke(
            cli, ["report", report, "--from", "2026-04-01", "--format", "json", "--project", str(project)]
        )
        assert json.loads(april.output) == []
    # Ana viewed on day 1 and bought on day 3, inside the 14-day funnel window.
    drawn = tmp_path / "funnel.html"
    funnel = runner.invoke(
        cli,
        [
            *("report", "funnel", "Page Viewed", "Order Completed", "--next-after", "1", "--format", "json"),
            *("--html", str(drawn), "--project", str(project)),
        ],
    )
    assert funnel.exit_code == 0, funnel.output
    found = json.loads(funnel.stdout)
    assert [row["people"] for row in found["steps"]] == [1, 1]
    assert [(row["outcome"], row["next"], row["people"]) for row in found["next"]] == [("continued", "Page Viewed", 1)]
    page = drawn.read_text(encoding="utf-8")
    assert "Funnel (sequential, 14-day window)" in page and "plotly" in page
    flows = runner.invoke(
        cli,
        [
            "report",
            "flows",
            "--from-event",
            "Page Viewed",
            "--steps",
            "2",
            "--format",
            "json",
            "--project",
            str(project),
        ],
    )
    assert flows.exit_code == 0, flows.output
    nodes = {(row["step"], row["node"]): row["paths"] for row in json.loads(flows.stdout)["nodes"]}
    # Two visits start with a page view; the first ends there, the second goes on to the order.
    assert nodes == {(0, "Page Viewed"): 2, (1, "(end)"): 1, (1, "Order Completed"): 1, (2, "(end)"): 1}
    for name in ("assisted", "paths", "devices", "bounce", "timelag", "pathlength"):
        picture = tmp_path / f"{name}.html"
        drawn_report = runner.invoke(cli, ["report", name, "--html", str(picture), "--project", str(project)])
        assert drawn_report.exit_code == 0, drawn_report.output
        assert "Plotly.newPlot" in picture.read_text(encoding="utf-8"), name
    # Ana came from a Google ad (Awareness) and bought (Decision): she never passed through Consideration.
    staged = runner.invoke(cli, ["report", "stages", "--format", "json", "--project", str(project)])
    assert staged.exit_code == 0, staged.output
    found_stages = json.loads(staged.stdout)
    assert [row["people"] for row in found_stages["stages"]] == [1, 0, 1, 0, 0]
    assert found_stages["current"] == [{"current_stage": "Decision", "people": 1}]
    # In the table the stages' rate to the next stage is a percent, as every rate is.
    table = runner.invoke(cli, ["report", "stages", "--project", str(project)], env={"COLUMNS": "200"})
    rates = [row["conversion_to_next"] for row in found_stages["stages"] if row["conversion_to_next"] is not None]
    assert rates and all(f"{rate * 100:.1f} %" in table.output for rate in rates), table.output
    # Neither direction given: forward from the event most visits open with (the two page views), as the dashboard.
    neither = runner.invoke(cli, ["report", "flows", "--steps", "2", "--format", "json", "--project", str(project)])
    assert neither.exit_code == 0, neither.output
    assert json.loads(neither.stdout) == json.loads(flows.stdout)
    said = runner.invoke(cli, ["report", "flows", "--project", str(project)], env={"COLUMNS": "200"})
    assert said.exit_code == 0 and said.output.startswith("From Page Viewed, the event most visits open with")
    both = ["--from-event", "Page Viewed", "--to-event", "Order Completed"]
    refused = runner.invoke(cli, ["report", "flows", *both, "--project", str(project)])
    assert refused.exit_code == 1 and "not both" in refused.output
    auto = runner.invoke(cli, ["attribute", "--model", "markov", "--order", "auto", "--project", str(project)])
    assert auto.exit_code == 0, auto.output
    assert "chosen by held-out log-likelihood" in " ".join(auto.output.split())
    too_many = runner.invoke(cli, ["attribute", "--resamples", "2001", "--project", str(project)])
    assert too_many.exit_code == 2 and "0<=x<=2000" in too_many.output, too_many.output  # 10**11 asked for 5 TiB
    # '²' is a digit to str.isdigit but no int: the order stopped as a bug.
    squared = runner.invoke(cli, ["attribute", "--model", "markov", "--order", "²", "--project", str(project)])
    assert squared.exit_code == 1 and "Markov order '²' is not valid" in squared.output, squared.output
    # The day after 9999-12-31 is past what a date can be: --to it stopped every report as a bug.
    every_day = ["--from", "0001-01-01", "--to", "9999-12-31"]
    for command in (
        ["report", "paths"],
        ["report", "funnel", "Page Viewed", "Order Completed"],
        ["attribute", "--resamples", "0"],
    ):
        plain = runner.invoke(cli, [*command, "--format", "json", "--project", str(project)])
        widest = runner.invoke(cli, [*command, "--format", "json", *every_day, "--project", str(project)])
        assert widest.exit_code == 0, widest.output
        assert json.loads(widest.stdout) == json.loads(plain.stdout), command


def _paths_file(tmp_path: Path, rows: str) -> Path:
    """A ready-made paths table (path, conversions, non_conversions, revenue) with the given CSV rows."""
    source = tmp_path / "paths.csv"
    source.write_text("path,conversions,non_conversions,revenue\n" + rows)
    return source


def test_attribute_reads_a_ready_made_paths_file(tmp_path: Path) -> None:
    # A table exported from BigQuery: separator without spaces, revenue in rupiah.
    source = _paths_file(
        tmp_path, "Instagram>Google>Direct,4,1,400000\nDirect,1,2,50000\nDirect>Email,2,0,20000\nGoogle,1,5,10000\n"
    )
    runner = CliRunner()
    result = runner.invoke(cli, ["attribute", "--paths", str(source), "--sep", ">", "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    last_non_direct = {row["channel"]: row["conversions"] for row in rows if row["model"] == "last_non_direct"}
    assert last_non_direct == {"Direct": 1.0, "Email": 2.0, "Google": 5.0, "Instagram": 0.0}
    # Every model credits the 8 conversions and the Rp 480k.
    for model in {row["model"] for row in rows}:
        assert sum(row["conversions"] for row in rows if row["model"] == model) == pytest.approx(8.0)
        assert sum(row["revenue"] for row in rows if row["model"] == model) == pytest.approx(480_000.0)
    table = runner.invoke(cli, ["attribute", "--paths", str(source), "--compare", "--ordered"])
    assert table.exit_code == 0, table.output
    assert "position 3" in table.output  # Direct closes the Instagram > Google > Direct path
    assert "not what the channel causes" in " ".join(table.output.split())


def test_attribute_says_what_is_wrong_with_a_paths_file(tmp_path: Path) -> None:
    source = tmp_path / "paths.csv"
    source.write_text("jalur,konversi\nA>B,1\n")
    result = CliRunner().invoke(cli, ["attribute", "--paths", str(source)])
    assert result.exit_code == 1
    assert "has no column path, conversions, non_conversions" in " ".join(result.output.split())
    result = CliRunner().invoke(cli, ["attribute", "--paths", str(source), "--model", "time_decay"])
    assert result.exit_code == 1
    assert "needs the time of every touch" in " ".join(result.output.split())


def test_a_name_or_number_no_system_can_hold_is_refused_with_a_message(tmp_path: Path) -> None:
    # Each stopped as a bug: a name too long for the file system (pathlib's exists() raises for it), and numbers past
    # what SQLite stores.
    runner, project = cli_project(tmp_path)
    long_name = "a" * 5000
    at = ["--project", str(project)]
    events = tmp_path / "a.csv"
    events.write_text("timestamp,user_id\n2026-03-01 09:00,ana\n")
    for arguments, said in (
        (["import", long_name, *at], "a (5,000 characters) is no file or folder name this system can have"),
        (["import", f"x/{long_name}/y.csv", *at], "is no file or folder name this system can have"),
        (["spend", "import", long_name, *at], "is no file or folder name this system can have"),
        (["attribute", "--paths", long_name, *at], "is no file or folder name this system can have"),
        (["build", "--project", long_name], "Cannot open a jejak project in"),
        (["import", str(events), "--timezone", long_name, *at], "which is not an IANA time zone"),
    ):
        result = runner.invoke(cli, arguments)
        assert result.exit_code == 1 and said in " ".join(result.output.split()), (arguments[:2], result.output[-500:])
    for arguments in (
        ["persona", "add", "Rina", "--priority", "99999999999999999999", *at],
        ["imports", "list", "--limit", "99999999999999999999", *at],
        ["quarantine", "list", "--limit", "99999999999999999999", *at],
    ):
        result = runner.invoke(cli, arguments)
        assert result.exit_code == 2 and "is not in the range" in result.output, (arguments[:2], result.output[-500:])


def test_a_handled_failure_exits_1_with_a_message(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["build", "--project", str(tmp_path / "nowhere")])
    assert result.exit_code == 1
    assert "jejak init" in result.output


def test_settings_lists_every_setting_with_env_overrides(tmp_path: Path) -> None:
    runner, project = cli_project(tmp_path)
    result = runner.invoke(
        cli, ["settings", "--format", "json", "--project", str(project)], env={"JEJAK_LOOKBACK_DAYS": "14"}
    )
    assert result.exit_code == 0, result.output
    rows = {row["name"]: row for row in json.loads(result.output)}
    assert rows["lookback_days"]["value"] == "14"
    assert rows["lookback_days"]["default"] == "30"
    assert rows["session_gap_seconds"]["value"] == "1800"


def test_persona_documents_from_the_command_line(tmp_path: Path) -> None:
    runner, project = cli_project(tmp_path)
    source = tmp_path / "personas.yaml"
    source.write_text(
        "- name: Rina\n  priority: 1\n  goals: [Try a new origin every month]\n  rules: ['share_social >= 0.5']\n"
        "- name: Pak Budi\n  priority: 2\n",
        encoding="utf-8",
    )
    imported = runner.invoke(cli, ["persona", "import", str(source), "--project", str(project)])
    assert imported.exit_code == 0, imported.output
    added = runner.invoke(
        cli, ["persona", "add", "Dewi", "--priority", "0", "--rule", "share_store > 0.5", "--project", str(project)]
    )
    assert added.exit_code == 0, added.output
    listed = runner.invoke(cli, ["persona", "list", "--format", "json", "--project", str(project)])
    rows = json.loads(listed.stdout)
    assert [(row["name"], row["origin"], row["rules"]) for row in rows] == [
        ("Dewi", "manual", "share_store > 0.5"),
        ("Rina", "imported", "share_social >= 0.5"),
        ("Pak Budi", "imported", ""),
    ]
    shown = runner.invoke(cli, ["persona", "show", "Rina", "--project", str(project)])
    assert "Try a new origin every month" in shown.stdout
    exported = tmp_path / "out.yaml"
    assert runner.invoke(cli, ["persona", "export", "-o", str(exported), "--project", str(project)]).exit_code == 0
    assert exported.read_text(encoding="utf-8").count("- name:") == 3
    assert runner.invoke(cli, ["persona", "delete", "Dewi", "--project", str(project)]).exit_code == 0
    missing = runner.invoke(cli, ["persona", "show", "Dewi", "--project", str(project)])
    assert missing.exit_code == 1 and "no persona 'Dewi'" in missing.output


def test_import_and_spend_import_read_the_sheet_named_with_sheet(tmp_path: Path) -> None:
    import openpyxl

    from jejak.ingest.spend import spend_by_channel
    from jejak.store.project import open_project

    workbook = openpyxl.Workbook()
    first = workbook.active
    assert first is not None
    first.append(["Catatan", "bukan data"])
    orders, spend = workbook.create_sheet("Pesanan"), workbook.create_sheet("Iklan")
    for row in [["timestamp", "user_id", "event"], ["2026-03-01 09:00", "ana", "Order Completed"]]:
        orders.append(row)
    for row in [["date", "channel", "spend"], ["2026-03-01", "Paid Social", 150000]]:
        spend.append(row)
    path = tmp_path / "toko.xlsx"
    workbook.save(path)
    runner, project = cli_project(tmp_path)
    imported = runner.invoke(cli, ["import", str(path), "--sheet", "2", "--project", str(project)])
    assert imported.exit_code == 0, imported.output
    assert [row["user_id"] for row in lake_events(open_project(project))] == ["ana"], imported.output
    spend_options = ["spend", "import", str(path), "--sheet", "Iklan", "--project", str(project)]
    checked = runner.invoke(cli, [*spend_options, "--check"], env={"COLUMNS": "200"})
    assert checked.exit_code == 0 and "1 would be stored" in checked.output and "150,000" in checked.output
    assert spend_by_channel(open_project(project)) == {}  # a check stores nothing
    spent = runner.invoke(cli, spend_options)
    assert spent.exit_code == 0, spent.output
    assert spend_by_channel(open_project(project)) == {"Paid Social": 150000.0}
    # Without --sheet the first sheet is read, and it has no spend columns.
    missing = runner.invoke(cli, ["spend", "import", str(path), "--project", str(project)])
    assert missing.exit_code == 1 and "date" in missing.output


def test_a_spend_import_says_which_format_reads_its_dates_and_takes_it(tmp_path: Path) -> None:
    from jejak.ingest.spend import spend_by_channel
    from jejak.store.project import open_project

    runner, project = cli_project(tmp_path)
    path = tmp_path / "iklan.csv"
    path.write_text('Tanggal,Saluran,Biaya\n24/10/2026,Paid Social,"150.000"\n25/10/2026,Paid Social,"120.000"\n')
    options = ["spend", "import", str(path), "--map", "Tanggal=date,Saluran=channel,Biaya=spend", "--project"]
    first = runner.invoke(cli, [*options, str(project)], env={"COLUMNS": "300"})
    assert first.exit_code == 0 and "2 quarantined (bad_timestamp 2)" in first.output, first.output
    advice = 'dates such as "24/10/2026" are read with --timestamp-format "%d/%m/%Y"'
    assert advice in first.output and "import the file again with it" in first.output, first.output
    # As the advice says: the dates are read, and the rows the first import quarantined go.
    fixed = runner.invoke(cli, [*options, str(project), "--timestamp-format", "%d/%m/%Y"], env={"COLUMNS": "300"})
    assert fixed.exit_code == 0, fixed.output
    assert "2 stored" in fixed.output and "replacing the 2 its last import quarantined" in fixed.output, fixed.output
    assert "--timestamp-format" not in fixed.output
    assert spend_by_channel(open_project(project)) == {"Paid Social": 270_000.0}
    assert "The quarantine is empty" in runner.invoke(cli, ["quarantine", "list", "--project", str(project)]).output


def test_a_column_of_peoples_names_read_as_user_id_is_warned_of(tmp_path: Path) -> None:
    """Lazada's orders export names its buyers only by name: read as user_id, namesakes are one person."""
    runner, project = cli_project(tmp_path)
    orders = tmp_path / "lazada.csv"
    orders.write_text(
        "Created at,Customer Name,Order Number\n2026-10-01 09:00,Budi Santoso,L-1\n2026-10-02 09:00,Budi Santoso,L-2\n"
    )
    options = ["--set", "event=Order Completed", "--project", str(project)]
    named = runner.invoke(
        cli,
        ["import", str(orders), "--map", "Created at=timestamp,Customer Name=user_id,Order Number=event_id", *options],
        env={"COLUMNS": "400"},
    )
    said = " ".join(named.output.split())
    assert named.exit_code == 0, named.output
    assert "its column 'Customer Name', read as user_id, holds people's names" in said, said
    assert '--map "Customer Name=properties.customer_name" (with --replace)' in said
    handles = tmp_path / "tiktok.csv"
    handles.write_text("Created Time,Buyer Username,Nama Pengguna\n2026-10-01 09:00,budi88,budi\n")
    for column in ("Buyer Username", "Nama Pengguna"):  # an account's name is an id
        plain = runner.invoke(
            cli, ["import", str(handles), "--map", f"Created Time=timestamp,{column}=user_id", "--check", *options]
        )
        assert plain.exit_code == 0 and "people's names" not in plain.output, plain.output


def test_a_wide_attribution_table_is_split_into_whole_columns_in_a_narrow_terminal(tmp_path: Path) -> None:
    # Six models side by side need ~140 columns: at 80, rich folded cells inside numbers ("1,312." / "0 (14").
    channels = ["Instagram", "Google", "Direct", "Email", "WhatsApp", "Tokopedia"]
    rows = "".join(f"{a}>{b},{3 + i},{i},{1000 * i}\n" for i, (a, b) in enumerate(itertools.pairwise(channels)))
    source = _paths_file(tmp_path, rows + "Direct,2,9,500\n")
    runner = CliRunner()
    models = ["first_touch", "last_touch", "linear", "position_based", "markov", "shapley"]
    arguments = ["attribute", "--paths", str(source), *(a for m in models for a in ("--model", m))]
    narrow = runner.invoke(cli, arguments, env={"COLUMNS": "80"})
    assert narrow.exit_code == 0, narrow.output
    assert max(len(line) for line in narrow.output.splitlines()) <= 80
    table_lines = [line for line in narrow.output.splitlines() if line.startswith("│")]
    credited = runner.invoke(cli, [*arguments, "--format", "csv"], env={"COLUMNS": "80"})
    for row in csv.DictReader(credited.output.splitlines()):
        # Every cell whole on its line: the value with its share, and the interval on the line below.
        cell = f"{float(row['conversions']):,.1f} ({float(row['share']) * 100:.0f} %)"
        assert any(row["channel"] in line and cell in line for line in table_lines), (cell, narrow.output)
        interval = f"[{float(row['conversions_low']):,.1f}–{float(row['conversions_high']):,.1f}]"
        assert any(interval in line for line in table_lines), (interval, narrow.output)
    # Each block repeats the channel column, so every channel's row is there once per block.
    blocks = narrow.output.count("┃ channel")
    assert blocks > 1 and all(sum(line.startswith(f"│ {c} ") for line in table_lines) == blocks for c in channels)
    wide = runner.invoke(cli, arguments, env={"COLUMNS": "300"})
    assert wide.output.count("┃ channel") == 1


def test_attribute_warns_of_a_credit_outside_its_own_interval(tmp_path: Path) -> None:
    # Planted: A and B are common (1,000 journeys each), while C shows up in fifteen combinations of one converting
    # journey each. Shapley weighs each combination's rate alike, so resampling (which drops a third of the single
    # journeys) shifts every channel's share one way, and A's credit falls outside its own interval.
    others = ["D", "E", "F", "G", "H", "I"]
    rare = "".join(f"C>{a}>{b},1,0,0\n" for a, b in itertools.combinations(others, 2))
    source = _paths_file(tmp_path, "A,100,900,0\nB,100,900,0\n" + rare)
    runner = CliRunner()
    arguments = ["attribute", "--paths", str(source), "--model", "shapley", "--model", "linear", "--format", "csv"]
    rows = list(csv.DictReader(runner.invoke(cli, arguments).stdout.splitlines()))
    outside = sorted(
        (row["model"], row["channel"])
        for row in rows
        if not float(row["conversions_low"]) <= float(row["conversions"]) <= float(row["conversions_high"])
    )
    assert ("shapley", "A") in outside and all(model == "shapley" for model, _ in outside)
    shown = runner.invoke(cli, arguments[:-2], env={"COLUMNS": "200"})
    assert shown.exit_code == 0, shown.output
    named = ", ".join(channel for _, channel in outside)
    assert f"A credit outside its own interval (shapley: {named})" in " ".join(shown.stderr.split())
    # Steady data (every path seen often, each credit inside its interval): no warning.
    steady = _paths_file(tmp_path, "A,100,900,0\nB,100,900,0\nA>B,300,700,0\n")
    quiet = runner.invoke(cli, ["attribute", "--paths", str(steady), "--model", "shapley"], env={"COLUMNS": "200"})
    assert quiet.exit_code == 0 and "interval (" not in quiet.stderr, quiet.stderr


def test_a_table_narrowed_to_the_terminal_folds_text_not_numbers(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from jejak.cli.common import print_rows

    monkeypatch.setenv("COLUMNS", "80")
    row = {"file": "marketplace_orders_november_2026.csv", "format": "csv", "rows read": 1_234_567}
    print_rows([{**row, "stored": 1_234_560, "quarantined": 7, "duplicates skipped": 12_345, "seconds": 0.5}], "table")
    lines = capsys.readouterr().out.splitlines()
    assert max(len(line) for line in lines) <= 80
    body = [line for line in lines if line.startswith("│")]
    assert all(line.endswith("│") for line in body)  # not cropped at the terminal's edge
    cells = [cell.strip() for line in body for cell in line.split("│")]
    assert {"1,234,567", "1,234,560", "12,345", "0.50"} <= set(cells)  # each number whole, on one line
    words = [cell.strip() for line in lines if line.startswith("┃") for cell in line.split("┃")]
    assert "quarantined" in words and "duplicates" in words  # headings wrap between words, not inside one
    # A table that fits is left as it is: each heading on one line.
    monkeypatch.setenv("COLUMNS", "200")
    print_rows([{**row, "duplicates skipped": 12_345}], "table")
    assert "duplicates skipped" in capsys.readouterr().out


def test_a_narrow_table_keeps_its_title_on_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from jejak.cli.common import print_rows

    title = "Where people are now (the furthest stage reached)"
    rows = [{"current stage": "Decision", "people": 978}, {"current stage": "Loyalty", "people": 341}]
    monkeypatch.setenv("COLUMNS", "100")
    print_rows(rows, "table", title)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].strip() == title
    assert len(lines[1]) >= len(title)  # the table is as wide as its title
    # A report with no rows says so under its title (a table of no column cannot be widened: it stopped as a bug).
    print_rows([], "table", title)
    assert capsys.readouterr().out == f"{title}: no rows.\n"
    # In a terminal narrower than the title, the title wraps and the table stays inside the terminal.
    monkeypatch.setenv("COLUMNS", "30")
    print_rows(rows, "table", title)
    lines = capsys.readouterr().out.splitlines()
    assert max(len(line) for line in lines) <= 30 and " ".join(line.strip() for line in lines[:2]) == title


def test_a_table_is_split_only_where_every_block_then_fits(monkeypatch: pytest.MonkeyPatch) -> None:
    from jejak.cli.common import _Grid

    monkeypatch.setenv("COLUMNS", "80")
    cells = {f"model {n}": "1,312.0 (14 %)\n[1,244.0–1,377.0]" for n in range(6)}
    columns = ["channel", *cells]
    blocks = _Grid.of([{"channel": "Organic Search", **cells}], columns).blocks()
    assert len(blocks) > 1 and all(block[0] == 0 for block in blocks)
    assert [n for block in blocks for n in block[1:]] == list(range(1, len(columns)))  # every column once, in order
    # A column of text too wide to keep whole is folded in any block: the table stays whole.
    notes = {"channel": "Direct", "note": "Kampanye_Ramadan_2026_" * 5, "model 0": "1"}
    assert _Grid.of([notes], list(notes)).blocks() == [[0, 1, 2]]
    # A number column too wide to fit beside the first one even alone: no split, the table folds.
    huge = {"channel": "x", "a": 10**90, "b": 1}
    assert _Grid.of([huge], list(huge)).blocks() == [[0, 1, 2]]
    assert _Grid.of([{"channel": "x", "model 0": "1"}], ["channel", "model 0"]).blocks() == [[0, 1]]


def test_what_jejak_prints_is_never_read_as_markup(tmp_path: Path) -> None:
    # Campaign and channel names, file names and customers' comments are data: `[brand]` must not vanish, `:fire:`
    # must not become an emoji, and `[/x]` must not stop the command (rich reads all three as markup by default).
    source = _paths_file(
        tmp_path,
        "[brand] Promo>Direct,3,1,30\n[/11.11] :fire:,1,0,10\nKampanye_Ramadan_2026_Jabodetabek_Instagram,1,0,5\n",
    )
    runner = CliRunner()
    result = runner.invoke(cli, ["attribute", "--paths", str(source), "--model", "last_touch"], env={"COLUMNS": "300"})
    assert result.exit_code == 0, result.output
    assert "[brand] Promo" in result.output and "[/11.11] :fire:" in result.output
    # In a narrow terminal a long name is folded onto more lines, never cut short with an ellipsis.
    narrow = runner.invoke(cli, ["attribute", "--paths", str(source), "--model", "last_touch"], env={"COLUMNS": "40"})
    assert narrow.exit_code == 0 and "…" not in narrow.output, narrow.output
    # An error whose message names a jejak.toml table keeps it.
    headless = tmp_path / "semicolons.csv"
    headless.write_text("waktu;pelanggan\n2026-03-01 09:00:00;ana\n")
    project = tmp_path / "kopi"
    runner.invoke(cli, ["init", str(project)])
    failed = runner.invoke(cli, ["import", str(headless), "--project", str(project)], env={"COLUMNS": "300"})
    assert failed.exit_code == 1
    assert "[import.map] in jejak.toml" in failed.output


def test_import_skips_a_reports_title_lines(tmp_path: Path) -> None:
    runner, project = cli_project(tmp_path)
    report = tmp_path / "laporan.csv"
    report.write_text("Laporan Penjualan\nPeriode: Maret 2026\nwaktu,pelanggan\n2026-03-01 09:00:00,ana\n")
    mapped = ["--map", "waktu=timestamp,pelanggan=user_id", "--set", "event=Order Completed"]
    titled = ["import", str(report), *mapped, "--project", str(project)]
    failed = runner.invoke(cli, titled, env={"COLUMNS": "300"})
    # The lines to skip are counted: those above the first line of two values or more.
    assert failed.exit_code == 1 and "--skip-lines 2." in failed.output, failed.output
    imported = runner.invoke(cli, [*titled, "--skip-lines", "2"], env={"COLUMNS": "300"})
    assert imported.exit_code == 0, imported.output
    # The table's row of the file (a warning below the table names it too).
    table = [line for line in imported.output.splitlines() if "│" in line]
    [row] = [line.replace("│", " ").split() for line in table if "laporan" in line]
    assert row[:4] == ["laporan.csv", "csv", "1", "1"], imported.output  # file, format, rows read, stored


def test_the_summary_shows_revenue_shares_as_percents(tmp_path: Path) -> None:
    runner, project = cli_project(tmp_path)
    orders = tmp_path / "orders.csv"
    orders.write_text(
        "timestamp,user_id,event,revenue,channel\n"
        "2026-03-01 09:00,ana,Order Completed,300000,Email\n"
        "2026-03-02 09:00,budi,Order Completed,100000,Paid Search\n"
    )
    assert runner.invoke(cli, ["import", str(orders), "--project", str(project)]).exit_code == 0
    assert runner.invoke(cli, ["build", "--project", str(project)]).exit_code == 0
    shown = runner.invoke(cli, ["report", "summary", "--project", str(project)], env={"COLUMNS": "200"})
    assert shown.exit_code == 0, shown.output
    shares = {line.split("│")[1].strip(): line.split("│")[4].strip() for line in shown.output.splitlines()
              if line.count("│") == 5 and ("Email" in line or "Paid Search" in line)}  # fmt: skip
    assert shares == {"Email": "75.0 %", "Paid Search": "25.0 %"}, shown.output
    # Headings wrap between words: a name's underscores are shown as spaces in tables (CSV and JSON keep them).
    assert "revenue share" in shown.output and "revenue_share" not in shown.output


def test_import_check_shows_what_would_be_stored_and_stores_nothing(tmp_path: Path) -> None:
    runner, project = cli_project(tmp_path)
    orders = tmp_path / "pesanan.csv"
    orders.write_text("waktu;pelanggan;total;kota\n2026-03-01 09:00;ana;Rp 150.000;Solo\nkemarin;budi;10;Solo\n")
    sale = ["--set", "event=Order Completed"]
    arguments = ["import", str(orders), "--map", "waktu=timestamp,pelanggan=user_id,total=revenue", *sale, "--check"]
    checked = runner.invoke(cli, [*arguments, "--project", str(project)], env={"COLUMNS": "250"})
    assert checked.exit_code == 0, checked.output
    assert "nothing was stored" in checked.output and "would quarantine bad_timestamp 1" in checked.output
    assert "waktu → timestamp, pelanggan → user_id, total → revenue, kota → properties" in checked.output
    [stored_row] = [line for line in checked.output.splitlines() if "│ ana" in line]
    assert "150,000" in stored_row  # a semicolon file reads Rupiah
    assert "kemarin" in checked.output  # the bad row, with its reason
    assert not list((project / "data" / "events").rglob("*.parquet"))
    assert not list((project / "data" / "quarantine").glob("*.parquet"))
    # A name --map gives that the file has no column of is said, not passed over: here a typo leaves the revenue
    # in the properties. Names the file has are not.
    typo = ["import", str(orders), "--map", "waktu=timestamp,pelanggan=user_id,totl=revenue", *sale, "--check"]
    warned = runner.invoke(cli, [*typo, "--project", str(project)], env={"COLUMNS": "250"})
    assert warned.exit_code == 0, warned.output
    assert "pesanan.csv has no column 'totl' that --map names" in " ".join(warned.output.split())
    assert "that --map names" not in checked.output
    # A JSON Lines file has no columns to map (its fields are Segment's): the map is said to do nothing there.
    messages = tmp_path / "web.jsonl"
    messages.write_text(json.dumps({"type": "track", "userId": "ana", "timestamp": "2026-03-01T09:00:00Z"}) + "\n")
    ignored = runner.invoke(
        cli, ["import", str(messages), "--map", "waktu=timestamp", "--check", "--project", str(project)]
    )
    said = " ".join(ignored.output.split())
    assert "web.jsonl has no column 'waktu' that --map names" in said and "applies to CSV, Parquet and Excel" in said


def test_import_of_a_folder_imports_its_files_and_one_bad_file_stops_only_itself(tmp_path: Path) -> None:
    from jejak.store.project import open_project

    runner, project = cli_project(tmp_path)
    folder = tmp_path / "exports"
    (folder / "truth").mkdir(parents=True)
    (folder / "a_orders.csv").write_text(
        "timestamp,user_id,event\n2026-03-01 09:00:00,ana,Order Completed\n2026-03-02 09:00:00,budi,Order Completed\n"
    )
    (folder / "b_untitled.csv").write_text("waktu,pelanggan\n2026-03-01 09:00:00,citra\n")  # no timestamp column
    (folder / "c_chats.jsonl").write_text(
        json.dumps({"type": "track", "event": "Chat", "userId": "dewi", "timestamp": "2026-03-01T09:00:00Z"}) + "\n"
    )
    (folder / "notes.txt").write_text("not events")
    (folder / ".hidden.csv").write_text("timestamp,user_id\n2026-03-01 09:00:00,eko\n")
    imported = runner.invoke(cli, ["import", str(folder), "--project", str(project)], env={"COLUMNS": "300"})
    # The bad file in the middle fails the command, but the files on either side of it are stored.
    assert imported.exit_code == 1, imported.output
    assert "3 files (left: .hidden.csv, notes.txt, truth/)" in imported.output, imported.output
    assert "b_untitled.csv has no 'timestamp' column" in imported.output
    assert "1 file not imported (b_untitled.csv)" in imported.output
    assert sorted(row["user_id"] for row in lake_events(open_project(project))) == ["ana", "budi", "dewi"]
    cells = [line.replace("│", " ").split() for line in imported.output.splitlines()]
    stored = {row[0]: row[3] for row in cells if len(row) > 3}  # file, format, rows read, stored
    assert stored.get("a_orders.csv") == "2" and stored.get("c_chats.jsonl") == "1", imported.output


def test_import_checks_every_name_before_reading_any_file(tmp_path: Path) -> None:
    from jejak.store.project import open_project

    runner, project = cli_project(tmp_path)
    good = tmp_path / "orders.csv"
    good.write_text("timestamp,user_id\n2026-03-01 09:00:00,ana\n")
    mistyped = runner.invoke(
        cli, ["import", str(good), str(tmp_path / "oders.csv"), "--project", str(project)], env={"COLUMNS": "300"}
    )
    assert mistyped.exit_code == 1 and "oders.csv does not exist" in mistyped.output, mistyped.output
    assert lake_events(open_project(project)) == []  # nothing read: the mistake costs nothing
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "readme.md").write_text("no events here")
    refused = runner.invoke(cli, ["import", str(empty), "--project", str(project)], env={"COLUMNS": "300"})
    assert refused.exit_code == 1 and f"The folder {empty} holds no file jejak imports" in refused.output
    # One file that fails alone is its error, with no pointer to a table of imported files that is not there.
    (empty / "orders.csv").write_text("waktu,pelanggan\n2026-03-01 09:00:00,ana\n")
    alone = runner.invoke(cli, ["import", str(empty / "orders.csv"), "--project", str(project)], env={"COLUMNS": "300"})
    assert alone.exit_code == 1 and "has no 'timestamp' column" in alone.output
    assert "not imported" not in alone.output, alone.output


def test_an_output_file_is_checked_before_any_work(tmp_path: Path) -> None:
    runner, project = cli_project(tmp_path)
    blocker = tmp_path / "report.txt"
    blocker.write_text("a file where a folder is asked for")
    for command in (
        ["export", "paths", "-o", str(tmp_path)],
        ["export", "paths", "-o", str(blocker / "paths.csv")],
        ["report", "timelag", "--html", str(blocker / "timelag.html")],
        ["map", "--pdf", str(tmp_path)],
        ["persona", "export", "-o", str(blocker / "personas.yaml")],
    ):
        refused = runner.invoke(cli, [*command, "--project", str(project)], env={"COLUMNS": "300"})
        # A usage error (exit 2, said by click), before the command looks for a build it would not find.
        assert refused.exit_code == 2, (command, refused.output)
        assert "is a folder; name a file in it" in refused.output or "cannot make the folder" in refused.output
        assert "no build" not in refused.output.lower() and "Traceback" not in refused.output


def test_an_output_file_may_not_be_the_projects_own(tmp_path: Path) -> None:
    runner, project = cli_project(tmp_path)
    own = {name: (project / name).read_bytes() for name in ("jejak.toml", "jejak.sqlite", "jejak.key")}
    for command, what in (
        # `-o jejak.sqlite` wrote a CSV over the imports log, personas and users; `-o jejak.toml` over the settings.
        (["export", "paths", "-o", str(project / "jejak.sqlite")], "is the application state (jejak.sqlite)"),
        (["persona", "export", "-o", str(project / "jejak.toml")], "is the settings (jejak.toml)"),
        (["report", "timelag", "--html", str(project / "jejak.key")], "is the hashing key (jejak.key)"),
        (["export", "events", "--format", "parquet", "-o", str(project / "data" / "events" / "x.parquet")], "inside"),
        (["map", "--html", str(project / "data" / "map" / "peta.html")], "is inside the data folder"),
    ):
        refused = runner.invoke(cli, [*command, "--project", str(project)], env={"COLUMNS": "300"})
        assert refused.exit_code == 2, (command, refused.output)
        assert f"{what}" in refused.output and f"of the jejak project in {project}" in refused.output, refused.output
    assert {name: (project / name).read_bytes() for name in own} == own
    assert not (project / "data" / "map").exists(), "no folder is made for a file refused"


def test_an_output_file_may_not_be_the_projects_hashing_key_wherever_its_settings_keep_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A key kept outside the project (`hmac_key_file = "/secure/jejak.key"`) was no part of it to the check: `-o`
    on it wrote a table over the key, and every identifier hashed with it could never be joined again."""
    runner = CliRunner()
    for name, where in (("out", tmp_path / "secure" / "kopi.key"), ("in", tmp_path / "in" / "keys" / "kopi.key")):
        project = tmp_path / name  # the key outside the project, and inside it under a name of its settings
        project.mkdir()
        (project / "jejak.toml").write_text(f'[settings]\nhmac_key_file = "{where}"\n', encoding="utf-8")
        assert runner.invoke(cli, ["init", str(project)]).exit_code == 0
        key = where.read_bytes()
        for command in (
            ["export", "paths", "-o", str(where)],
            ["report", "timelag", "--html", str(where)],
            ["persona", "export", "-o", str(where)],
        ):
            # --project after the file: it is read first all the same.
            refused = runner.invoke(cli, [*command, "--project", str(project)], env={"COLUMNS": "300"})
            assert refused.exit_code == 2, (command, refused.output)
            assert f"is the hashing key (kopi.key) of the jejak project in {project}" in refused.output, refused.output
        # In the project's folder, with no --project: the project the command works on is the current one.
        monkeypatch.chdir(project)
        refused = runner.invoke(cli, ["export", "paths", "-o", str(where)], env={"COLUMNS": "300"})
        assert refused.exit_code == 2 and "is the hashing key (kopi.key)" in refused.output, refused.output
        assert where.read_bytes() == key


def test_an_export_names_only_a_table_and_says_what_it_could_not_write(tmp_path: Path) -> None:
    runner, project = cli_project(tmp_path)
    at = ["--project", str(project)]
    assert (
        runner.invoke(
            cli, ["import", str(_write(tmp_path / "orders.csv")), "--map", "waktu=timestamp,pelanggan=user_id", *at]
        ).exit_code
        == 0
    )
    assert runner.invoke(cli, ["build", *at]).exit_code == 0
    # A table is named, not a path into the build: `paths/..` read the whole build and `.cache` its answers (bugs).
    for name in ("paths/..", ".cache", "../paths"):
        refused = runner.invoke(cli, ["export", name, "-o", str(tmp_path / "x.csv"), *at], env={"COLUMNS": "300"})
        assert refused.exit_code == 1 and f"There is no table '{name}' in the current build" in refused.output
    # A full disk is an error that says so, not a bug, whatever writes the file: DuckDB, Python or Chromium.
    for command in (
        ["export", "events", "-o", "/dev/full"],
        ["persona", "export", "-o", "/dev/full"],
        ["report", "timelag", "--html", "/dev/full"],
        ["map", "--pdf", "/dev/full"],
    ):
        full = runner.invoke(cli, [*command, *at], env={"COLUMNS": "300"})
        assert full.exit_code == 1, (command, full.output)
        assert "error (bad_output_file)" in full.output and "No space left on device" in full.output, full.output
    # A picture named without .png is a PNG all the same (Chromium took its type from the name, and had none).
    picture = tmp_path / "peta"
    assert runner.invoke(cli, ["map", "--png", str(picture), *at]).exit_code == 0
    assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_summary_says_what_currency_revenue_is_in_and_warns_when_it_mixes_them(tmp_path: Path) -> None:
    runner, project = cli_project(tmp_path)
    orders = tmp_path / "orders.csv"
    orders.write_text(
        "timestamp,user_id,event,revenue,currency\n"
        "2026-03-01 09:00,ana,Order Completed,150000,\n"  # the currency setting's IDR
        "2026-03-02 09:00,budi,Order Completed,250000,IDR\n"
    )
    at = ["--project", str(project)]
    assert runner.invoke(cli, ["import", str(orders), *at]).exit_code == 0
    assert runner.invoke(cli, ["build", *at]).exit_code == 0
    one = runner.invoke(cli, ["report", "summary", *at], env={"COLUMNS": "200"})
    assert "revenue (IDR)" in one.output and "converts none" not in one.output, one.output
    dollars = tmp_path / "export.csv"
    dollars.write_text("timestamp,user_id,event,revenue,currency\n2026-03-03 09:00,citra,Order Completed,$12.50,USD\n")
    assert runner.invoke(cli, ["import", str(dollars), *at]).exit_code == 0
    assert runner.invoke(cli, ["build", *at]).exit_code == 0
    mixed = runner.invoke(cli, ["report", "summary", *at], env={"COLUMNS": "200"})
    assert "revenue (IDR + USD)" in mixed.output and "jejak converts none" in mixed.output, mixed.output
    attributed = runner.invoke(cli, ["attribute", "--model", "last_touch", "--resamples", "0", *at])
    assert attributed.exit_code == 0 and "jejak converts none" in attributed.output, attributed.output
    data = json.loads(runner.invoke(cli, ["report", "summary", "--format", "json", *at]).output)
    assert data["currencies"] == [
        {"currency": "IDR", "conversions": 2, "revenue": 400000.0},
        {"currency": "USD", "conversions": 1, "revenue": 12.5},
    ]


def test_orders_without_their_amounts_are_no_currency(tmp_path: Path) -> None:
    # A file of orders without a revenue column (a marketplace's, a lead form's): its conversions have no revenue and
    # no currency. The summary crashed on the nameless currency, and attribution warned of "IDR, None".
    runner, project = cli_project(tmp_path)
    at = ["--project", str(project)]
    leads = tmp_path / "leads.csv"
    leads.write_text("timestamp,user_id,event\n2026-03-01 09:00,ana,Order Completed\n")
    assert runner.invoke(cli, ["import", str(leads), *at]).exit_code == 0
    assert runner.invoke(cli, ["build", *at]).exit_code == 0
    alone = runner.invoke(cli, ["report", "summary", *at], env={"COLUMNS": "200"})
    assert alone.exit_code == 0 and "Traceback" not in alone.output, alone.output
    orders = tmp_path / "orders.csv"
    orders.write_text("timestamp,user_id,event,revenue\n2026-03-02 09:00,budi,Order Completed,250000\n")
    assert runner.invoke(cli, ["import", str(orders), *at]).exit_code == 0
    assert runner.invoke(cli, ["build", *at]).exit_code == 0
    both = runner.invoke(cli, ["report", "summary", *at], env={"COLUMNS": "200"})
    assert both.exit_code == 0 and "revenue (IDR)" in both.output and "converts none" not in both.output, both.output
    attributed = runner.invoke(cli, ["attribute", "--model", "last_touch", "--resamples", "0", *at])
    assert attributed.exit_code == 0 and "converts none" not in attributed.output, attributed.output
    data = json.loads(runner.invoke(cli, ["report", "summary", "--format", "json", *at]).output)
    assert data["currencies"] == [{"currency": "IDR", "conversions": 1, "revenue": 250000.0}]


def test_import_check_offers_the_mapping_a_files_names_suggest(tmp_path: Path) -> None:
    runner, project = cli_project(tmp_path)
    shop = tmp_path / "toko.csv"
    shop.write_text("timestamp,user_id,No HP,Total,Kota\n2026-03-01 09:00,ana,0812-3456-7890,150.000,Bandung\n")
    sale = ["--set", "event=Order Completed"]
    checked = runner.invoke(
        cli, ["import", str(shop), "--check", *sale, "--project", str(project)], env={"COLUMNS": "300"}
    )
    assert checked.exit_code == 0, checked.output
    assert 'its names suggest --map "No HP=phone,Total=revenue"' in checked.output
    mapped = ["import", str(shop), "--check", "--map", "No HP=phone,Total=revenue", *sale, "--project", str(project)]
    again = runner.invoke(cli, mapped, env={"COLUMNS": "300"})
    assert again.exit_code == 0 and "suggest" not in again.output, again.output  # nothing left to offer


def test_a_build_without_conversions_says_which_events_count_and_what_the_data_has(tmp_path: Path) -> None:
    runner, project = cli_project(tmp_path)
    orders = tmp_path / "pesanan.csv"
    orders.write_text(
        "timestamp,user_id,event,revenue\n"
        "2026-03-01 09:00,ana,Lihat Produk,\n"
        "2026-03-01 09:05,ana,Pembelian,150000\n"
        "2026-03-02 10:00,budi,Pembelian,90000\n"
    )
    at = ["--project", str(project)]
    assert runner.invoke(cli, ["import", str(orders), *at]).exit_code == 0
    assert runner.invoke(cli, ["build", *at]).exit_code == 0
    none = runner.invoke(cli, ["report", "summary", *at], env={"COLUMNS": "300"})
    assert "No conversions: an event counts as one when its name is in the conversion_events setting" in none.output
    assert "The most common event names here: Pembelian (2), Lihat Produk (1)." in none.output, none.output
    attributed = runner.invoke(cli, ["attribute", "--resamples", "0", *at], env={"COLUMNS": "300"})
    assert "No conversions:" in attributed.output, attributed.output
    # Named as the note says, the purchases are conversions, and the note is gone.
    named = {"JEJAK_CONVERSION_EVENTS": '["Pembelian"]', "COLUMNS": "300"}
    assert runner.invoke(cli, ["build", *at], env=named).exit_code == 0
    counted = runner.invoke(cli, ["report", "summary", *at], env=named)
    assert "No conversions" not in counted.output and "revenue (IDR)" in counted.output, counted.output
    data = json.loads(runner.invoke(cli, ["report", "summary", "--format", "json", *at], env=named).output)
    assert data["headline"][0]["conversions"] == 2


def test_unread_times_come_with_the_format_that_reads_them_and_a_retry_brings_them_in(tmp_path: Path) -> None:
    runner, project = cli_project(tmp_path)
    orders = tmp_path / "pesanan.csv"
    orders.write_text("timestamp,user_id\n13/03/2026 09:00,ana\n02/03/2026 10:30,budi\n2026-03-01 08:00,citra\n")
    at = ["--project", str(project)]
    sale = ["--set", "event=Order Completed"]
    imported = runner.invoke(cli, ["import", str(orders), *sale, *at], env={"COLUMNS": "300"})
    assert imported.exit_code == 0 and "bad_timestamp 2" in imported.output, imported.output
    # 13/03 can only be day first, so nothing is assumed: the file's own format, to import it again with; and
    # for every file, the setting (which the quarantine's list gives, with the command that re-tries).
    [option] = re.findall(
        r'read with (--timestamp-format ".+?"): import the file again with it and --replace', imported.output
    )
    assert option == '--timestamp-format "%d/%m/%Y %H:%M"' and "day first, as Indonesia" not in imported.output
    [advice] = re.findall(r'(timestamp_formats = \[".+?"\]) under \[settings\]', imported.output)
    assert advice == 'timestamp_formats = ["%d/%m/%Y %H:%M"]'
    listed = runner.invoke(cli, ["quarantine", "list", *at], env={"COLUMNS": "300"})
    assert f'bad_timestamp: times such as "13/03/2026 09:00" are read with {advice}' in listed.output, listed.output
    assert "jejak quarantine retry --reason bad_timestamp" in listed.output
    from jejak.store.project import open_project

    def days() -> dict[str, tuple[int, int]]:
        stored = {row["user_id"]: row["timestamp"] for row in lake_events(open_project(project))}
        return {user: (moment.month, moment.day) for user, moment in stored.items()}

    # The file again with its format: every row read, nothing left in the quarantine, and the option remembered.
    again = ["import", str(orders), *sale, "--timestamp-format", "%d/%m/%Y %H:%M", "--replace", *at]
    replaced = runner.invoke(cli, again, env={"COLUMNS": "300"})
    assert replaced.exit_code == 0 and "bad_timestamp" not in replaced.output, replaced.output
    assert days() == {"ana": (3, 13), "budi": (3, 2), "citra": (3, 1)}
    assert runner.invoke(cli, ["quarantine", "list", *at]).output.count("bad_timestamp") == 0
    # Remembered: the file again without it would read other times, and is refused, naming the option.
    without = runner.invoke(cli, ["import", str(orders), *sale, *at], env={"COLUMNS": "300"})
    assert without.exit_code == 1 and "was imported before with other options" in without.output, without.output
    assert "--timestamp-format '%d/%m/%Y %H:%M'" in " ".join(without.output.split())

    # The setting's way: the same rows quarantined by an import without the format, then re-tried.
    runner.invoke(cli, ["import", str(orders), *sale, "--replace", *at])
    assert days() == {"citra": (3, 1)}
    config = project / "jejak.toml"
    config.write_text(config.read_text().replace("[settings]\n", f"[settings]\n{advice}\n"))
    retried = runner.invoke(cli, ["quarantine", "retry", "--reason", "bad_timestamp", *at], env={"COLUMNS": "300"})
    assert retried.exit_code == 0, retried.output
    assert days() == {"ana": (3, 13), "budi": (3, 2), "citra": (3, 1)}


def test_a_mistyped_time_does_not_hide_the_format_of_the_others_and_is_named(tmp_path: Path) -> None:
    runner, project = cli_project(tmp_path)
    orders = tmp_path / "pesanan.csv"
    orders.write_text("timestamp,user_id\n13/03/2026 09:00,ana\n02/03/2026 10:30,budi\n31/02/2026 11:00,citra\n")
    at = ["--project", str(project)]
    imported = runner.invoke(
        cli, ["import", str(orders), "--set", "event=Order Completed", *at], env={"COLUMNS": "300"}
    )
    assert imported.exit_code == 0 and "bad_timestamp 3" in imported.output, imported.output
    said = " ".join(imported.output.split())
    assert 'times such as "13/03/2026 09:00" are read with --timestamp-format "%d/%m/%Y %H:%M"' in said, said
    assert 'it does not read "31/02/2026 11:00" (of the 3 times looked at): correct them in the file' in said
    listed = " ".join(runner.invoke(cli, ["quarantine", "list", *at], env={"COLUMNS": "300"}).output.split())
    assert 'bad_timestamp: times such as "13/03/2026 09:00" are read with timestamp_formats' in listed, listed
    assert 'it does not read "31/02/2026 11:00" (of the 3 times looked at): their rows stay quarantined' in listed


def test_a_file_read_wrong_is_removed_and_read_again_with_replace(tmp_path: Path) -> None:
    from jejak.store.project import open_project

    runner, project = cli_project(tmp_path)
    at = ["--project", str(project)]
    orders = tmp_path / "pesanan.csv"
    orders.write_text(
        "id,timestamp,pelanggan,total\no1,2026-03-01 09:00,ana,150.000\no2,2026-03-02 09:00,budi,90.000\n"
    )
    wide = {"COLUMNS": "300"}
    sale = ["--set", "event=Order Completed"]
    first = ["import", str(orders), "--map", "id=event_id,pelanggan=user_id", *sale, *at]
    assert runner.invoke(cli, first).exit_code == 0
    fixed = ["import", str(orders), "--map", "id=event_id,pelanggan=user_id,total=revenue", *sale, *at]
    # Read with other options, the file is refused: its rows would be skipped as duplicates of the first reading.
    refused = runner.invoke(cli, fixed, env=wide)
    assert refused.exit_code == 1 and "was imported before with other options" in refused.output, refused.output
    checked = runner.invoke(cli, ["import", str(orders), "--check", *fixed[2:]], env=wide)
    assert checked.exit_code == 0 and "warning" in checked.output  # a check says so and goes on
    # --replace with a mapping that cannot be read leaves the earlier events where they are.
    broken = runner.invoke(cli, ["import", str(orders), "--map", "id=event_id", *sale, "--replace", *at], env=wide)
    assert broken.exit_code == 1 and "identifier columns" in broken.output
    assert len(lake_events(open_project(project))) == 2
    replaced = runner.invoke(cli, [*fixed, "--replace"], env=wide)
    assert replaced.exit_code == 0 and "removed the earlier import's 2 events" in replaced.output, replaced.output
    assert sorted(row["revenue"] for row in lake_events(open_project(project))) == [90_000.0, 150_000.0]
    listed = runner.invoke(cli, ["imports", "list", "--format", "json", *at])
    assert [row["format"] for row in json.loads(listed.output)] == ["csv", "removed", "csv"]
    # The table shows each import's seconds as kept, in tenths ("2.0", not "2" as a table's other floats from 1 up).
    table = runner.invoke(cli, ["imports", "list", *at], env=wide).output.splitlines()
    heading = next(line for line in table if line.startswith("┃"))
    column = [cell.strip() for cell in heading.split("┃")].index("seconds")
    shown = [[cell.strip() for cell in line.split("│")][column] for line in table if line.startswith("│")]
    assert shown == [f"{row['seconds']:.1f}" for row in json.loads(listed.output)]
    # Removing asks first; no answer, nothing removed.
    asked = runner.invoke(cli, ["imports", "remove", "pesanan.csv", *at], input="n\n")
    assert asked.exit_code == 1 and "Remove 2 events, 0 quarantined rows and 0 spend rows" in asked.output
    assert len(lake_events(open_project(project))) == 2
    removed = runner.invoke(cli, ["imports", "remove", "pesanan.csv", "--yes", *at], env=wide)
    assert removed.exit_code == 0 and "Removed 2 events" in removed.output, removed.output
    assert lake_events(open_project(project)) == []


def test_replace_replaces_this_file_not_another_folders_file_of_the_same_name(tmp_path: Path) -> None:
    from jejak.store.project import open_project

    runner, project = cli_project(tmp_path)
    at = ["--project", str(project)]
    for folder, user in (("januari", "ana"), ("februari", "budi")):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "orders.csv").write_text(f"timestamp,user_id\n2026-03-01 09:00,{user}\n")
    sale = ["--set", "event=Order Completed"]
    assert runner.invoke(cli, ["import", str(tmp_path / "januari" / "orders.csv"), *sale, *at]).exit_code == 0
    replaced = runner.invoke(cli, ["import", str(tmp_path / "februari" / "orders.csv"), *sale, "--replace", *at])
    assert replaced.exit_code == 0 and "removed" not in replaced.output, replaced.output
    assert sorted(row["user_id"] for row in lake_events(open_project(project))) == ["ana", "budi"]


def test_compact_merges_a_days_files(tmp_path: Path) -> None:
    runner, project = cli_project(tmp_path)
    at = ["--project", str(project)]
    for user in ("ana", "budi"):
        source = tmp_path / f"{user}.csv"
        source.write_text(f"timestamp,user_id\n2026-03-01 09:00,{user}\n")
        assert runner.invoke(cli, ["import", str(source), "--set", "event=Order Completed", *at]).exit_code == 0
    compacted = runner.invoke(cli, ["compact", *at], env={"COLUMNS": "200"})
    assert compacted.exit_code == 0 and "Merged 1 day: 2 files → 1, 2 events." in compacted.output, compacted.output


def test_import_warns_of_channels_no_rule_names(tmp_path: Path) -> None:
    runner, project = cli_project(tmp_path)
    at = ["--project", str(project)]
    wide = {"COLUMNS": "300"}
    # A payment gateway's export: its `Channel` is how the buyer paid, which jejak would read as the marketing channel.
    payments = tmp_path / "midtrans.csv"
    payments.write_text(
        "Order ID,Transaction Time,Customer Email,Channel\n"
        "KN-1,2026-03-01 10:15,budi@example.com,GoPay\nKN-2,2026-03-01 11:00,sari@example.com,Offline Store\n"
    )
    mapped = ["--map", "Order ID=event_id,Transaction Time=timestamp,Customer Email=email"]
    sale = ["--set", "event=Order Completed"]
    checked = runner.invoke(cli, ["import", str(payments), "--check", *mapped, *sale, *at], env=wide)
    flat = " ".join(checked.output.split())
    assert checked.exit_code == 0, checked.output
    # 'Offline Store' is a rule's channel; 'GoPay' is none, and the advice names the file's column.
    assert "sets its events' channel to 'GoPay', which no channel rule names" in flat, flat
    assert '--map "Channel=properties.payment_channel"' in flat
    kept = runner.invoke(
        cli,
        ["import", str(payments), "--check", "--map", f"{mapped[1]},Channel=properties.payment_channel", *sale, *at],
        env=wide,
    )
    assert kept.exit_code == 0 and "channel rule" not in kept.output, kept.output
    # A rule's channel written in other letters is the rule's; a chat tool's sites are told to be read as sources.
    cased = tmp_path / "chats.csv"
    cased.write_text(
        "timestamp,user_id,event,Channel\n2026-03-01 09:00,ana,Chat Started,Whatsapp\n"
        "2026-03-01 10:00,budi,Chat Started,Instagram\n2026-03-01 11:00,cici,Chat Started,Livechat\n"
    )
    imported = runner.invoke(cli, ["import", str(cased), *at], env=wide)
    said = " ".join(imported.output.split())
    assert "sets its events' channel to 'Instagram', 'Livechat', which no channel rule names" in said, said
    assert "('Instagram' → Organic Social)" in said and '--map "Channel=source"' in said, said
    assert runner.invoke(cli, ["build", *at]).exit_code == 0
    channels = {row["person_id"]: row["channel"] for row in pq.read_table(project / "data/tables/sessions").to_pylist()}
    assert sorted(channels.values()) == ["Instagram", "Livechat", "WhatsApp"]
    # Following the advice, the rules read each site: Livechat, which no rule knows as a source, is Unassigned.
    followed = runner.invoke(cli, ["import", str(cased), "--map", "Channel=source", "--replace", *at], env=wide)
    assert followed.exit_code == 0 and "channel rule" not in followed.output, followed.output
    assert runner.invoke(cli, ["build", *at]).exit_code == 0
    channels = {row["person_id"]: row["channel"] for row in pq.read_table(project / "data/tables/sessions").to_pylist()}
    assert sorted(channels.values()) == ["Organic Social", "Unassigned", "WhatsApp"]
    # A channel given with --set is meant: no warning.
    visits = tmp_path / "kunjungan.csv"
    visits.write_text("timestamp,user_id\n2026-03-01 09:00,ana\n")
    given = runner.invoke(
        cli, ["import", str(visits), "--set", "channel=Toko Bandung,event=Store Visited", *at], env=wide
    )
    assert given.exit_code == 0 and "channel rule" not in given.output, given.output
    # Named again with no options, it is read with that --set remembered: still meant.
    again = runner.invoke(cli, ["import", str(visits), *at], env=wide)
    assert again.exit_code == 0 and "read as its last import" in again.output and "channel rule" not in again.output
    # Channel rules jejak.toml gets wrong are the build's to report: the import that stored its rows still succeeds.
    with (project / "jejak.toml").open("a", encoding="utf-8") as toml:
        toml.write('\n[[channels.prepend]]\nname = "X"\nmatch = "oops"\n')
    stored = runner.invoke(cli, ["import", str(cased), "--replace", *at], env=wide)
    assert stored.exit_code == 0, stored.output


def test_a_file_imported_again_is_read_as_before_when_no_option_is_given(tmp_path: Path) -> None:
    from jejak.store.project import open_project

    runner, project = cli_project(tmp_path)
    at = ["--project", str(project)]
    wide = {"COLUMNS": "300"}
    # A till's export with no ids: its rows' ids come from its source name and their text.
    till = tmp_path / "kasir.csv"
    till.write_text("waktu,pelanggan\n2026-03-01 09:00,ana\n2026-03-02 09:00,budi\n")
    mapped = ["--map", "waktu=timestamp,pelanggan=user_id", "--set", "event=Order Completed"]
    first = runner.invoke(cli, ["import", str(till), *mapped, "--source", "toko-kemang", *at], env=wide)
    assert first.exit_code == 0, first.output
    # The next day's export, given by name alone: read as before, under the same source, so the old rows are
    # duplicates (a source name of its own would have given them other ids, and stored them twice).
    till.write_text(till.read_text() + "2026-03-03 09:00,cici\n")
    again = runner.invoke(cli, ["import", str(till), *at], env=wide)
    flat = " ".join(again.output.split())
    assert again.exit_code == 0, again.output
    assert (
        'read as its last import read it (--map "waktu=timestamp,pelanggan=user_id" --set "event=Order Completed")'
        in flat
    )
    events = lake_events(open_project(project))
    assert sorted(event["user_id"] for event in events) == ["ana", "budi", "cici"]
    assert {event["source_name"] for event in events} == {"toko-kemang"}
    # Another source name would read the rows as other events: refused, as other options are.
    renamed = runner.invoke(cli, ["import", str(till), *mapped, "--source", "toko-bali", *at], env=wide)
    assert renamed.exit_code == 1 and "--source toko-kemang; now" in " ".join(renamed.output.split())
    assert len(lake_events(open_project(project))) == 3


def test_a_file_imported_again_is_known_from_any_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from jejak.store.project import open_project

    runner, project = cli_project(tmp_path)
    (tmp_path / "exports").mkdir()
    (tmp_path / "exports" / "kasir.csv").write_text("waktu,pelanggan\n2026-03-01 09:00,ana\n")
    at = ["--project", str(project)]
    monkeypatch.chdir(tmp_path)
    mapped = ["--map", "waktu=timestamp,pelanggan=user_id", "--set", "event=Order Completed"]
    first = runner.invoke(cli, ["import", "exports/kasir.csv", *mapped, *at])
    assert first.exit_code == 0, first.output
    # A daily job runs from the exports folder: the same file, named otherwise, is read as its last import read it.
    monkeypatch.chdir(tmp_path / "exports")
    again = runner.invoke(cli, ["import", "kasir.csv", *at], env={"COLUMNS": "300"})
    assert again.exit_code == 0 and "read as its last import read it" in again.output, again.output
    assert len(lake_events(open_project(project))) == 1


def test_import_warns_of_cancelled_orders_counted_as_conversions_and_its_advice_works(tmp_path: Path) -> None:
    import shlex

    runner, project = cli_project(tmp_path)
    at = ["--project", str(project)]
    wide = {"COLUMNS": "400"}
    orders = tmp_path / "shopee.csv"
    orders.write_text(
        "No. Pesanan,Status Pesanan,Waktu Pesanan Dibuat,Total Pembayaran,Username (Pembeli)\n"
        "A1,Selesai,2026-11-01 10:00,215.000,budi88\nB2,Batal,2026-11-02 09:00,90.000,sari\n"
        "C3,Perlu Dikirim,2026-11-03 09:00,45.000,ana\n",
        encoding="utf-8",
    )
    mapping = "No. Pesanan=event_id,Waktu Pesanan Dibuat=timestamp,Total Pembayaran=revenue,Username (Pembeli)=user_id"
    imported = runner.invoke(
        cli, ["import", str(orders), "--map", mapping, "--set", "event=Order Completed", *at], env=wide
    )
    flat = " ".join(imported.output.split())
    assert imported.exit_code == 0, imported.output
    assert "its 3 orders counted as conversions (Order Completed) have these values of 'Status Pesanan'" in flat, flat
    # The advice, as a person would follow it: the status mapped to the event, the names it gives, and --replace.
    advice = re.search(r"add (--event-names '[^']*')", flat)
    assert advice is not None and "add Status Pesanan=event to --map and drop event from --set" in flat, flat
    names = shlex.split(advice.group(1))
    assert sorted(names[1].split(",")) == [
        "Batal=Order Cancelled",
        "Perlu Dikirim=Order Completed",
        "Selesai=Order Completed",
    ]
    again = runner.invoke(
        cli, ["import", str(orders), "--replace", "--map", f"{mapping},Status Pesanan=event", *names, *at], env=wide
    )
    assert again.exit_code == 0 and "counted as conversions" not in again.output, again.output
    built = runner.invoke(cli, ["build", *at])
    assert built.exit_code == 0, built.output
    conversions = runner.invoke(cli, ["export", "conversions", "--format", "json", "-o", "-", *at])
    bought = sorted(json.loads(line)["revenue"] for line in conversions.output.splitlines() if line.startswith("{"))
    assert bought == [45000.0, 215000.0]


def test_import_warns_of_conversions_that_say_nothing_of_where_they_happened(tmp_path: Path) -> None:
    # A marketplace's orders export has no source or channel column: each order would be a Direct visit. --source
    # looks as if it said where, and names only the import.
    runner, project = cli_project(tmp_path)
    at = ["--project", str(project)]
    wide = {"COLUMNS": "400"}
    orders = tmp_path / "tokopedia.csv"
    orders.write_text(
        "Nomor Invoice,Tanggal Pembayaran,Nomor HP Pembeli,Total Penjualan (IDR)\n"
        "INV/1,2026-11-01 10:00,081234567890,150000\nINV/2,2026-11-02 11:00,081311112222,90000\n"
        "INV/3,2026-11-02 12:00,081311113333,0\n",
        encoding="utf-8",
    )
    mapping = ["--map", "Nomor Invoice=event_id,Tanggal Pembayaran=timestamp,Nomor HP Pembeli=phone"]
    imported = runner.invoke(
        cli, ["import", str(orders), *mapping, "--set", "event=Order Completed", "--source", "tokopedia", *at], env=wide
    )
    flat = " ".join(imported.output.split())
    assert imported.exit_code == 0, imported.output
    assert "tokopedia.csv: its 3 conversions (Order Completed) say nothing of where they happened" in flat, flat
    assert "--source names the import in the lake" in flat and "import it again with --replace" in flat, flat
    built = runner.invoke(cli, ["build", *at])
    assert built.exit_code == 0, built.output
    touchpoints = runner.invoke(cli, ["export", "touchpoints", "--format", "json", "-o", "-", *at])
    channels = {json.loads(line)["channel"] for line in touchpoints.output.splitlines() if line.startswith("{")}
    assert channels == {"Direct"}  # what the warning says the build makes of them
    # Its advice followed: the warning is gone, and the orders are the Marketplace's.
    again = runner.invoke(
        cli,
        ["import", str(orders), "--replace", *mapping, "--set", "event=Order Completed,channel=Marketplace", *at],
        env=wide,
    )
    assert again.exit_code == 0 and "nothing of where" not in again.output, again.output
    assert runner.invoke(cli, ["build", *at]).exit_code == 0
    touchpoints = runner.invoke(cli, ["export", "touchpoints", "--format", "json", "-o", "-", *at])
    channels = {json.loads(line)["channel"] for line in touchpoints.output.splitlines() if line.startswith("{")}
    assert channels == {"Marketplace"}
    # A file with a column that says where (a web shop's orders with their utm_source) is not warned of; nor is one
    # whose conversions are offline (Unassigned, not Direct), nor one without conversions.
    web = tmp_path / "web.csv"
    web.write_text("order,time,user,utm_source\nW1,2026-11-03 10:00,u1,instagram\n", encoding="utf-8")
    plain = tmp_path / "plain.csv"
    plain.write_text("order,time,user\nP1,2026-11-03 10:00,u1\n", encoding="utf-8")
    for file, constants in (
        (web, "event=Order Completed"),
        (plain, "event=Order Completed,type=offline"),
        (plain, "event=Product Viewed"),
    ):
        mapped = ["--map", "order=event_id,time=timestamp,user=user_id", "--set", constants]
        checked = runner.invoke(cli, ["import", str(file), "--check", *mapped, *at])
        assert checked.exit_code == 0 and "nothing of where" not in checked.output, (constants, checked.output)
    checked = runner.invoke(cli, ["import", str(plain), "--check", *mapped[:2], "--set", "event=Order Completed", *at])
    assert "its 1 conversion (Order Completed) says nothing" in " ".join(checked.output.split()), checked.output


def test_import_warns_of_conversions_with_no_revenue_and_its_advice_works(tmp_path: Path) -> None:
    # WooCommerce's order export, mapped without its total: every order would add 0 to revenue by channel.
    runner, project = cli_project(tmp_path)
    at = ["--project", str(project)]
    wide = {"COLUMNS": "400"}
    orders = tmp_path / "woocommerce.csv"
    orders.write_text(
        "Order Number,Order Date,Email (Billing),Order Subtotal Amount,Order Total Amount,UTM Source\n"
        "5100,2026-11-01 10:00,budi@example.com,90000,105000,instagram\n"
        "5101,2026-11-02 11:00,siti@example.com,200000,215000,\n",
        encoding="utf-8",
    )
    read = ["--map", "Order Number=event_id,Order Date=timestamp,Email (Billing)=email"]
    named = ["--set", "event=Order Completed"]
    imported = runner.invoke(cli, ["import", str(orders), *read, *named, *at], env=wide)
    flat = " ".join(imported.output.split())
    assert imported.exit_code == 0, imported.output
    assert "woocommerce.csv: its 2 conversions (Order Completed) have no revenue" in flat, flat
    advice = re.search(r'add "([^"]+)" to --map, then import it again with --replace', flat)
    assert advice is not None and advice.group(1) == "Order Total Amount=revenue", flat
    again = runner.invoke(
        cli, ["import", str(orders), "--replace", read[0], f"{read[1]},{advice.group(1)}", *named, *at], env=wide
    )
    assert again.exit_code == 0 and "no revenue" not in again.output, again.output
    from jejak.store.project import open_project

    assert sorted(row["revenue"] for row in lake_events(open_project(project))) == [105000.0, 215000.0]
    # A file without conversions, or with one order of several that is free, is not warned of; a file with no
    # column like a total is told to map its own.
    plain = tmp_path / "plain.csv"
    plain.write_text("order,time,user,amount\nP1,2026-11-03 10:00,u1,\nP2,2026-11-03 11:00,u2,5000\n")
    mapped = ["--map", "order=event_id,time=timestamp,user=user_id"]
    for constants in ("event=Product Viewed",):
        checked = runner.invoke(cli, ["import", str(plain), "--check", *mapped, "--set", constants, *at], env=wide)
        assert checked.exit_code == 0 and "no revenue" not in checked.output, checked.output
    some = runner.invoke(
        cli, ["import", str(plain), "--check", mapped[0], f"{mapped[1]},amount=revenue", *named, *at], env=wide
    )
    assert some.exit_code == 0 and "no revenue" not in some.output, some.output
    unnamed = tmp_path / "unnamed.csv"
    unnamed.write_text("order,time,user,bayar\nP1,2026-11-03 10:00,u1,5000\n")
    checked = runner.invoke(cli, ["import", str(unnamed), "--check", *mapped, *named, *at], env=wide)
    flat = " ".join(checked.output.split())
    assert "its 1 conversion (Order Completed) has no revenue" in flat, flat
    assert 'Map the column that holds each one\'s amount with --map "your_column=revenue", then import it.' in flat


def test_import_warns_of_a_source_column_that_says_where_orders_were_placed(tmp_path: Path) -> None:
    # Shopify's orders export: its `Source` (web, pos, an app's number) is read as each order's source, and no
    # channel rule knows `web`: every web order was Unassigned, and the file seemed to say where, so nothing warned.
    runner, project = cli_project(tmp_path)
    at = ["--project", str(project)]
    wide = {"COLUMNS": "400"}
    orders = tmp_path / "orders_export.csv"
    orders.write_text(
        "Name,Email,Created at,Total,Source\n"
        "#1001,budi@example.com,2026-10-01 10:04:12 +0700,215000,web\n"
        "#1002,siti@example.com,2026-10-03 10:58:00 +0700,395000,web\n"
        "#1003,agus@example.com,2026-10-05 11:59:00 +0700,225000,pos\n"
        "#1004,rina@example.com,2026-10-06 09:00:00 +0700,95000,580111\n",
        encoding="utf-8",
    )
    read = ["--map", "Name=event_id,Created at=timestamp,Total=revenue", "--set", "event=Order Completed"]
    imported = runner.invoke(cli, ["import", str(orders), *read, *at], env=wide)
    flat = " ".join(imported.output.split())
    assert imported.exit_code == 0, imported.output
    assert (
        "its column 'Source', read as each event's source, says where an order was placed (web 2, 580111 1, pos 1)"
        in flat
    ), flat
    advice = re.search(r'--map "(Source=properties\.order_source)"', flat)
    assert advice is not None, flat
    assert runner.invoke(cli, ["build", *at]).exit_code == 0
    touchpoints = runner.invoke(cli, ["export", "touchpoints", "--format", "json", "-o", "-", *at])
    channels = sorted(json.loads(line)["channel"] for line in touchpoints.output.splitlines() if line.startswith("{"))
    assert channels.count("Unassigned") == 3, channels  # what the warning says a build makes of them
    again = runner.invoke(
        cli, ["import", str(orders), "--replace", read[0], f"{read[1]},{advice.group(1)}", *read[2:], *at], env=wide
    )
    flat = " ".join(again.output.split())
    assert again.exit_code == 0 and "says where an order was placed" not in flat, flat
    assert "say nothing of where they happened" in flat  # now honestly without a source
    # A file whose sources are where buyers came from is not warned of.
    web = tmp_path / "web.csv"
    web.write_text("order,time,user,source\nW1,2026-11-03 10:00,u1,instagram\nW2,2026-11-03 11:00,u2,web\n")
    mapped = ["--map", "order=event_id,time=timestamp,user=user_id", "--set", "event=Order Completed"]
    checked = runner.invoke(cli, ["import", str(web), "--check", *mapped, *at], env=wide)
    assert checked.exit_code == 0 and "where an order was placed" not in checked.output, checked.output


def test_import_warns_of_an_id_that_is_another_events_and_its_advice_works(tmp_path: Path) -> None:
    import shlex

    runner, project = cli_project(tmp_path)
    at = ["--project", str(project)]
    wide = {"COLUMNS": "400"}
    tills = []
    for name, phone in (("kemang", "081234567890"), ("bintaro", "081299990000")):
        till = tmp_path / f"{name}.csv"
        till.write_text(f"No,Tanggal,No HP,Total\n1,2026-11-01 10:{len(tills)}0,{phone},45000\n", encoding="utf-8")
        tills.append(till)
    read = ["--map", "No=event_id,Tanggal=timestamp,No HP=phone,Total=revenue", "--set", "event=Order Completed"]
    imported = runner.invoke(cli, ["import", *map(str, tills), *read, *at], env=wide)
    flat = " ".join(imported.output.split())
    assert imported.exit_code == 0, imported.output
    assert "bintaro.csv: 1 of its ids is that of events stored from kemang.csv at another time" in flat, flat
    assert "its rows with them were skipped as duplicates, though they are other events" in flat
    advice = re.search(r"\(e\.g\. (--event-id-prefix \w+)\)", flat)
    assert advice is not None, flat
    again = runner.invoke(cli, ["import", str(tills[1]), "--replace", *shlex.split(advice.group(1)), *read, *at])
    assert again.exit_code == 0 and "other events" not in again.output, again.output
    from jejak.store.project import open_project

    assert sorted(row["event_id"] for row in lake_events(open_project(project))) == ["1", "bintaro:1"]
    # An order exported again after its status changed: the stored event is kept, and the import says so.
    orders = tmp_path / "shopee-lagi.csv"
    orders.write_text("No,Tanggal,No HP,Total\n1,2026-11-01 10:00,081234567890,50000\n", encoding="utf-8")
    changed = runner.invoke(cli, ["import", str(orders), *read, *at], env=wide)
    flat = " ".join(changed.output.split())
    assert "shopee-lagi.csv: 1 of its events is stored already under another event name or revenue" in flat, flat
    assert "(No '1': stored from kemang.csv as Order Completed, 45,000, here Order Completed, 50,000)" in flat, flat
    assert "if it is the newer export, import it again with --update" in flat
    updated = runner.invoke(cli, ["import", str(orders), "--update", *read, *at], env=wide)
    flat = " ".join(updated.output.split())
    assert "shopee-lagi.csv: replaced 1 event stored before with its rows" in flat, flat
    stored = {row["event_id"]: row["revenue"] for row in lake_events(open_project(project))}
    assert stored == {"1": 50000.0, "bintaro:1": 45000.0}


def test_import_offers_keep_anonymous_for_a_till_whose_sales_name_no_one(tmp_path: Path) -> None:
    runner, project = cli_project(tmp_path)
    at = ["--project", str(project)]
    till = tmp_path / "kasir.csv"
    till.write_text(
        "No,Tanggal,No HP,Total\n1,2026-11-01 10:00,081234567890,45000\n2,2026-11-01 10:05,,30000\n"
        "3,2026-11-01 10:07,-,20000\n",
        encoding="utf-8",
    )
    read = ["--map", "No=event_id,Tanggal=timestamp,No HP=phone,Total=revenue", "--set", "event=Order Completed"]
    imported = runner.invoke(cli, ["import", str(till), *read, *at], env={"COLUMNS": "300"})
    flat = " ".join(imported.output.split())
    assert "kasir.csv: 2 rows name no one (no id, e-mail or phone)" in flat, flat
    assert "with --keep-anonymous (with --replace)" in flat
    again = runner.invoke(cli, ["import", str(till), "--replace", "--keep-anonymous", *read, *at])
    assert again.exit_code == 0 and "name no one" not in again.output, again.output
    from jejak.store.project import open_project

    assert sum(row["revenue"] for row in lake_events(open_project(project))) == 95000.0


def test_import_warns_when_rows_of_one_event_give_different_revenues(tmp_path: Path) -> None:
    runner, project = cli_project(tmp_path)
    lines = tmp_path / "lines.csv"
    lines.write_text(
        "No. Pesanan,Waktu,Harga,Pembeli\nA1,2026-11-01 10:00,170.000,budi\nA1,2026-11-01 10:00,45.000,budi\n",
        encoding="utf-8",
    )
    mapped = ["--map", "No. Pesanan=event_id,Waktu=timestamp,Harga=revenue,Pembeli=user_id"]
    sale = ["--set", "event=Order Completed"]
    imported = runner.invoke(
        cli, ["import", str(lines), *mapped, *sale, "--project", str(project)], env={"COLUMNS": "300"}
    )
    flat = " ".join(imported.output.split())
    assert imported.exit_code == 0, imported.output
    assert "1 event has rows with different revenues (No. Pesanan 'A1': 170,000, 45,000)" in flat, flat
    assert "only the first row of each was stored" in flat
    from jejak.store.project import open_project

    assert [row["revenue"] for row in lake_events(open_project(project))] == [170000.0]


@pytest.mark.parametrize("file_format", ["mixed", "csv"])
def test_generate_says_the_import_commands_that_read_every_file_it_wrote(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, file_format: str
) -> None:
    import shlex

    from jejak.store.project import open_project

    runner, project = cli_project(tmp_path)
    monkeypatch.chdir(tmp_path)
    out = Path("data files")  # relative, as typed, and with a space: the commands must quote it
    generated = runner.invoke(
        cli, ["generate", "--out", str(out), "--events", "2000", "--format", file_format], env={"COLUMNS": "60"}
    )
    out = out.resolve()
    assert generated.exit_code == 0, generated.output
    wrote = re.search(r"Wrote ([\d,]+) events", generated.output)
    assert wrote is not None, generated.output
    commands = [line.strip() for line in generated.output.splitlines() if line.strip().startswith("jejak import")]
    assert commands, generated.output
    monkeypatch.chdir(project)  # pasted in the project's directory, not where generate ran
    for command in commands:
        imported = runner.invoke(cli, shlex.split(command)[1:], env={"COLUMNS": "300"})
        assert imported.exit_code == 0, imported.output
    stored = lake_events(open_project(project))
    # Every event the generator counted is stored (its planted bad rows are quarantined, not counted), from every
    # file it wrote and from nothing under its truth directory.
    assert len(stored) == int(wrote.group(1).replace(",", "")), generated.output
    data_files = {path.name for path in out.iterdir() if path.is_file()}
    assert {Path(row["source_file"]).name for row in stored} == data_files


def test_every_commands_examples_are_shown_one_a_line() -> None:
    # click rewraps a docstring's paragraph: three examples in a row were printed as one run-on sentence.
    import click

    def commands(group: click.Command, path: tuple[str, ...]) -> list[tuple[str, ...]]:
        found = [path]
        if isinstance(group, click.Group):
            for name, command in group.commands.items():
                found += commands(command, (*path, name))
        return found

    runner = CliRunner()
    for path in commands(cli, ()):
        shown = runner.invoke(cli, [*path, "--help"], env={"COLUMNS": "100"})
        assert shown.exit_code == 0, shown.output
        run_on = [line for line in shown.output.splitlines() if line.count("Example:") > 1]
        assert not run_on, (path, run_on)
