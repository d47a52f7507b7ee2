"""A point-of-sale export (Moka's transactions) imported by following what jejak says.

Two outlets number their receipts from 1 in one file, a refund is a row under its sale's receipt number, and the
`Customer` column holds the name the cashier typed. Imported so, the id-clash advice told the user to join
`Outlet+Outlet+Receipt Number` once the outlet was joined (a column named twice), and never named the column that
tells a refund from its sale; and no warning said that the names read as user_ids make namesakes one person, the
column's name (`Customer`) not saying it holds names.
"""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import cli_project, lake_events, make_project, write_csv

from jejak.cli.main import cli
from jejak.ingest.importer import import_file
from jejak.store.project import open_project

SALES = [
    ("24/10/2026 10:05", "#1001", "Kemang", "Budi Santoso", "0812-3456-7890", "85000", "Payment"),
    ("24/10/2026 11:00", "#1001", "Bintaro", "Sari Dewi", "0813-1111-2222", "108000", "Payment"),
    ("25/10/2026 09:15", "#1003", "Kemang", "Budi Santoso", "0812-3456-7890", "28000", "Payment"),
    ("25/10/2026 12:00", "#1003", "Kemang", "Budi Santoso", "0812-3456-7890", "-28000", "Refund"),
]
HEADER = ("Waktu", "Receipt Number", "Outlet", "Customer", "Customer Phone", "Net Sales", "Event Type")


def _run(runner: CliRunner, project: Path, path: Path, mapping: str) -> str:
    options = [
        *("--map", mapping, "--timestamp-format", "%d/%m/%Y %H:%M"),
        *("--event-names", "Payment=Order Completed,Refund=Order Refunded", "--set", "channel=Offline Store"),
    ]
    done = runner.invoke(
        cli, ["import", str(path), *options, "--check", "--project", str(project)], env={"COLUMNS": "400"}
    )
    assert done.exit_code == 0, done.output
    return " ".join(done.output.split())


def test_the_id_clash_advice_names_a_column_the_id_lacks_and_following_it_keeps_every_row(tmp_path: Path) -> None:
    runner, project = cli_project(tmp_path)
    path = write_csv(tmp_path / "moka.csv", [dict(zip(HEADER, sale, strict=True)) for sale in SALES])
    base = "Waktu=timestamp,Customer=properties.customer_name,Customer Phone=phone,Net Sales=revenue,Event Type=event"
    mapping = f"Receipt Number=event_id,{base}"
    for _round in range(3):
        said = _run(runner, project, path, mapping)
        if "at another time or for another person" not in said:
            break
        advice = said.split("join a column that tells them apart to the id (", 1)[1].split(")", 1)[0]
        option, joined = shlex.split(advice)
        assert option == "--map"
        id_columns = joined.removesuffix("=event_id").split("+")
        assert len(set(id_columns)) == len(id_columns), said  # no column named twice
        mapping = f"{joined},{base}"
    assert mapping.startswith("Event Type+Outlet+Receipt Number=event_id"), mapping
    done = runner.invoke(cli, ["import", str(path), "--map", mapping, "--timestamp-format", "%d/%m/%Y %H:%M",
                               "--project", str(project)])  # fmt: skip
    assert done.exit_code == 0, done.output
    assert len(lake_events(open_project(project, env={}))) == len(SALES)  # both outlets' #1001, the refund too


@pytest.mark.parametrize(
    ("ids", "names"),
    [
        (["Budi Santoso", "Sari Dewi", "Siti Nur'aini", "Andi"], True),  # one single name among full names
        (["BUDI SANTOSO", "SARI DEWI"], True),
        (["budi88", "sari.dewi", "andi_w"], False),  # marketplace usernames
        (["CUST-001", "CUST-002", "CUST-003"], False),
        (["Budi", "Sari", "Andi"], False),  # one word each: a username as much as a name
        (["Budi Santoso"], False),  # one id says too little
    ],
)
def test_user_ids_that_are_people_s_names_are_told_by_their_values(tmp_path: Path, ids: list[str], names: bool) -> None:
    project = make_project(tmp_path / "p")
    rows = [
        {"timestamp": f"2026-10-2{n} 10:00", "Customer": user, "event": "Order Completed"} for n, user in enumerate(ids)
    ]
    done = import_file(project, write_csv(tmp_path / "kasir.csv", rows), column_map={"Customer": "user_id"})
    assert done.rows_stored == len(ids)
    assert done.ids_are_names is names
    prefixed = import_file(
        make_project(tmp_path / "q"),
        write_csv(tmp_path / "kasir2.csv", rows),
        column_map={"Customer": "user_id"},
        id_prefix="moka",
    )
    assert prefixed.ids_are_names is names  # moka:Budi Santoso is a name all the same


def test_the_warning_names_the_column_whose_values_are_names(tmp_path: Path) -> None:
    runner, project = cli_project(tmp_path)
    path = write_csv(tmp_path / "moka.csv", [dict(zip(HEADER, sale, strict=True)) for sale in SALES])
    said = _run(runner, project, path, "Waktu=timestamp,Customer=user_id,Net Sales=revenue,Event Type=event")
    assert "its column 'Customer', read as user_id, holds people's names" in said, said
