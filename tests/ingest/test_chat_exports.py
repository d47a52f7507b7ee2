"""A chat tool's conversations (Qontak: WhatsApp, Instagram and Telegram in one export) imported by following jejak.

Imported as it was, the refusal told the user to `--set "event=Order Completed"` and to tell each conversation's
status (resolved, unresolved) apart as an order's: followed, each chat would have been an order. Its `Channel` column
(`Whatsapp`, `Instagram`, `Telegram`) was read as the marketing channel as written: `Whatsapp` a channel of its own
beside the rules' WhatsApp, and the warning's advice was to keep it as a payment channel.
"""

from __future__ import annotations

import shlex
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from conftest import cli_project, refusal_advice, write_csv

from jejak.cli.main import cli
from jejak.core.vocabulary import CHAT_EVENT
from jejak.ingest.mapping import CONTACT_LOGS, contact_log

HEADER = ("Room ID", "Channel", "Contact Name", "Contact Phone Number", "Agent", "Status", "Created At")
ROOMS = [
    ("r-001", "Whatsapp", "Budi Santoso", "6281234567890", "Sari", "resolved", "2026-10-03 09:14:22"),
    ("r-002", "Instagram", "rina.coffee", "6281311112222", "Sari", "resolved", "2026-10-03 11:00:00"),
    ("r-003", "Telegram", "andi_k", "6285722223333", "Dewi", "unresolved", "2026-10-04 13:20:05"),
]


@pytest.mark.parametrize(
    ("header", "chats"),
    [
        (HEADER, True),
        (("Conversation ID", "Channel", "Contact", "Opened At"), True),  # SleekFlow, respond.io
        (("Chat ID", "Visitor Name", "Visitor Email", "Start Time"), True),  # a live chat
        (("No. Pesanan", "Status Pesanan", "Username (Pembeli)", "No. Telepon"), False),  # Shopee
        (("Stempel waktu", "Alamat email", "Seberapa puas Anda? (1-5)"), False),  # Google Forms
        (("Call Time", "Caller Number", "Agent", "Talking"), False),  # a call log
    ],
)
def test_a_chat_export_is_told_by_its_columns(header: tuple[str, ...], chats: bool) -> None:
    assert (contact_log(header) == CONTACT_LOGS[2]) is chats


def test_following_jejak_makes_each_conversation_a_chat_in_its_channel(tmp_path: Path) -> None:
    runner, project = cli_project(tmp_path)
    at = ["--project", str(project)]
    path = write_csv(tmp_path / "qontak-okt.csv", [dict(zip(HEADER, room, strict=True)) for room in ROOMS])
    typed = refusal_advice(runner, project, path)
    assert typed[-2:] == ["--set", f"event={CHAT_EVENT}"]
    first = runner.invoke(cli, ["import", str(path), *typed, *at], env={"COLUMNS": "400"})
    told = " ".join(first.output.split())
    assert first.exit_code == 0, told
    # The Channel column names sites: the warning says to read it as their source.
    channel_advice = told.split("the channel rules give each its channel: ", 1)[1].split(" (with --replace")[0]
    assert channel_advice == '--map "Channel=source"', told
    followed = [typed[0], f"{typed[1]},{shlex.split(channel_advice)[1]}", *typed[2:], "--replace"]
    again = runner.invoke(cli, ["import", str(path), *followed, *at], env={"COLUMNS": "400"})
    assert again.exit_code == 0 and "channel rule" not in again.output, again.output
    assert runner.invoke(cli, ["build", *at]).exit_code == 0
    events = pq.read_table(project / "data" / "tables" / "events").to_pylist()
    assert sorted((row["event"], row["channel"]) for row in events) == [
        (CHAT_EVENT, "Organic Social"),
        (CHAT_EVENT, "Organic Social"),
        (CHAT_EVENT, "WhatsApp"),
    ]
    # A conversation is weighing a purchase, as the chat export's wa_chat is, on Instagram too (an arrival from
    # social media would otherwise be a first contact).
    assert {row["stage"] for row in events} == {"Consideration"}


ZENDESK = ("Id", "Requester", "Requester email", "Subject", "Status", "Via", "Created at", "Assignee")
TICKETS = [
    (
        "1201",
        "Budi Santoso",
        "budi@example.com",
        "Pesanan belum sampai",
        "Solved",
        "Mail",
        "2026-10-03 09:14:22",
        "Sari",
    ),
    ("1202", "Rina", "rina@example.com", "Biji kopi salah", "Open", "Web Form", "2026-10-03 11:00:00", "Dewi"),
]


def test_a_help_desk_s_tickets_are_support_contacts_in_the_experience_stage(tmp_path: Path) -> None:
    assert contact_log(ZENDESK) == CONTACT_LOGS[1]
    runner, project = cli_project(tmp_path)
    at = ["--project", str(project)]
    path = write_csv(tmp_path / "zendesk-tickets.csv", [dict(zip(ZENDESK, row, strict=True)) for row in TICKETS])
    typed = refusal_advice(runner, project, path)
    assert typed == ["--map", "Requester email=email,Created at=timestamp", "--set", "event=Ticket Created"]
    done = runner.invoke(cli, ["import", str(path), *typed, *at])
    assert done.exit_code == 0, done.output
    assert runner.invoke(cli, ["build", *at]).exit_code == 0
    events = pq.read_table(project / "data" / "tables" / "events").to_pylist()
    assert sorted((row["event"], row["stage"]) for row in events) == [("Ticket Created", "Experience")] * 2
