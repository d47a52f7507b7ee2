"""A call centre's log (Aircall, 3CX, a PBX's report in Indonesian) imported by following what jejak says.

Imported as it was, the refusal offered no time column (Aircall's `started_at`) and no caller's number (`raw_digits`,
`No. Penelepon`), offered Aircall's `user_name` as the user_id (the agent who took the call: every caller an agent
spoke to would have been one person), and told the user to `--set "event=Order Completed"` and to tell the call's
status apart as an order's: followed, each call would have been an order.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest
from conftest import cli_project, quarantined, refusal_advice, write_csv

from jejak.cli.main import cli
from jejak.core.vocabulary import CALL_EVENT
from jejak.ingest.mapping import CONTACT_LOGS, contact_log, suggested_map
from jejak.store.project import open_project

AIRCALL = [
    ("1123401", "inbound", "", "2026-10-03 09:14:22 +0700", "+62 812-3456-7890", "Sari Wulandari", "order"),
    ("1123402", "inbound", "no_available_agent", "2026-10-03 09:40:10 +0700", "+62 813-1111-2222", "", ""),
    ("1123403", "outbound", "", "2026-10-03 10:02:00 +0700", "+62 812-3456-7890", "Sari Wulandari", "follow-up"),
    ("1123404", "inbound", "", "2026-10-04 13:20:05 +0700", "+62 857-2222-3333", "Sari Wulandari", "complaint"),
    ("1123405", "inbound", "", "2026-10-04 15:00:00 +0700", "anonymous", "Sari Wulandari", ""),
]
AIRCALL_HEADER = ("id", "direction", "missed_call_reason", "started_at", "raw_digits", "user_name", "tags")


@pytest.mark.parametrize(
    ("header", "offered"),
    [
        (
            AIRCALL_HEADER,
            {"started_at": "timestamp", "raw_digits": "phone"},  # the agent's user_name: offered nothing
        ),
        (
            ("Tanggal", "Jam", "No. Penelepon", "Nama Agen", "Durasi (detik)", "Status Panggilan"),
            {"Tanggal+Jam": "timestamp", "No. Penelepon": "phone"},
        ),
        (("Call Time", "Caller Number", "Agent", "Talking"), {"Call Time": "timestamp", "Caller Number": "phone"}),
    ],
)
def test_a_call_log_is_offered_its_time_and_caller_not_its_agent(
    header: tuple[str, ...], offered: dict[str, str]
) -> None:
    assert contact_log(header) == CONTACT_LOGS[0]
    assert suggested_map(header, ["properties"] * len(header)) == offered


@pytest.mark.parametrize(
    "header",
    [
        ("waktu", "user_name", "event"),  # a shop's own users: user_name is the customer's
        ("No. Pesanan", "Status Pesanan", "Username (Pembeli)", "No. Telepon", "Total Pembayaran"),  # Shopee
        ("Stempel waktu", "Alamat email", "Seberapa puas Anda? (1-5)"),  # Google Forms
        ("Waktu", "Receipt Number", "Outlet", "Customer", "Customer Phone", "Net Sales"),  # a till
    ],
)
def test_other_exports_are_no_call_logs(header: tuple[str, ...]) -> None:
    assert contact_log(header) is None
    if "user_name" in header:
        assert suggested_map(header, ["properties"] * len(header)).get("user_name") == "user_id"


def test_following_the_refusal_makes_each_call_a_call_centre_touch_of_its_caller(tmp_path: Path) -> None:
    runner, project = cli_project(tmp_path)
    path = write_csv(
        tmp_path / "aircall-calls-2026-10.csv", [dict(zip(AIRCALL_HEADER, row, strict=True)) for row in AIRCALL]
    )
    # The user pastes the two options the refusal gives: the agent's user_name is not offered as the user_id.
    typed = refusal_advice(runner, project, path)
    assert typed == ["--map", "started_at=timestamp,raw_digits=phone", "--set", f"type=offline,event={CALL_EVENT}"]
    done = runner.invoke(cli, ["import", str(path), *typed, "--project", str(project)], env={"COLUMNS": "400"})
    assert done.exit_code == 0, done.output
    assert runner.invoke(cli, ["build", "--project", str(project)]).exit_code == 0

    tables = project / "data" / "tables"
    sessions = pq.read_table(tables / "sessions").to_pylist()
    # Four calls from three numbers: the agent who took three of them joined none of their callers.
    assert len(sessions) == 4
    assert len({row["person_id"] for row in sessions}) == 3
    assert {(row["channel"], row["touchpoint"]) for row in sessions} == {("Call Centre", "offline")}
    events = pq.read_table(tables / "events").to_pylist()
    assert {(row["event"], row["stage"]) for row in events} == {(CALL_EVENT, "Experience")}
    # The withheld number is quarantined, saying there is nothing to fix.
    (withheld,) = quarantined(open_project(project, env={}))
    assert withheld["reason"] == "no_identifier"
    assert 'withheld ("anonymous")' in withheld["message"] and "Nothing to fix" in withheld["message"]
