"""WhatsApp's own chat export: each message an event of the customer, joined to their orders by phone."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from conftest import jakarta, lake_events, make_project, write_csv

from jejak.core.errors import InputFileError
from jejak.core.pii import hmac_hex, normalise_phone
from jejak.ingest.importer import files_in, import_file
from jejak.ingest.removal import imported_files, remove_import
from jejak.pipeline import run_build
from jejak.store.project import Project

NUMBER = "+62 812-3456-7890"
ASKED, ANSWERED, PHOTO = (
    "Halo kak, kopi gayo ready?",
    "Ready kak\nMau yang 250 gr atau 1 kg?",
    "<Media tidak disertakan>",
)
# As an Indonesian Android phone exports a chat with a number not saved as a contact: WhatsApp's notice first, a
# message over two lines, a photo, the same short answer twice in one minute, and marks around the number.
ANDROID_ID = (
    "\ufeff01/03/26 08.00 - Pesan dan panggilan terenkripsi secara end-to-end. Tidak seorang pun di luar chat ini, "
    "termasuk WhatsApp, yang dapat membaca atau mendengarkannya.\n"
    f"01/03/26 09.15 - \u202a{NUMBER}\u202c: {ASKED}\n"
    f"01/03/26 09.16 - Kopi Nusantara: {ANSWERED}\n"
    f"01/03/26 09.20 - \u202a{NUMBER}\u202c: {PHOTO}\n"
    f"13/03/26 14.02 - \u202a{NUMBER}\u202c: ok\n"
    f"13/03/26 14.02 - \u202a{NUMBER}\u202c: ok\n"
)


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return make_project(tmp_path / "p")


def _chat(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_an_android_export_becomes_the_customers_events(project: Project, tmp_path: Path) -> None:
    chat = _chat(tmp_path / f"Chat WhatsApp dengan {NUMBER}.txt", ANDROID_ID)
    summary = import_file(project, chat)
    assert (summary.file_format, summary.rows_read, summary.rows_stored, summary.rows_quarantined) == (
        "whatsapp",
        5,  # the notice is no message
        5,  # the two "ok"s are two messages, not one stored twice
        0,
    )
    events = lake_events(project)
    shown = [(e["source_line"], e["event"], e["timestamp"], json.loads(e["properties"])) for e in events]
    assert shown == [
        (2, "wa_chat", jakarta("2026-03-01 09:15"), {"from": "customer", "chars": len(ASKED), "media": False}),
        (3, "wa_reply", jakarta("2026-03-01 09:16"), {"from": "shop", "chars": len(ANSWERED), "media": False}),
        (5, "wa_chat", jakarta("2026-03-01 09:20"), {"from": "customer", "chars": len(PHOTO), "media": True}),
        (6, "wa_chat", jakarta("2026-03-13 14:02"), {"from": "customer", "chars": 2, "media": False}),
        (7, "wa_chat", jakarta("2026-03-13 14:02"), {"from": "customer", "chars": 2, "media": False}),
    ]
    # Every message is the customer's, known by their number (hashed, as every phone is), on the WhatsApp channel.
    phone_hash = hmac_hex(project.hmac_key(), normalise_phone(NUMBER) or "")
    assert {(e["phone_hash"], e["anonymous_id"], e["source"], e["medium"]) for e in events} == {
        (phone_hash, None, "whatsapp", "chat")
    }
    # The number is in the file's name, and the lake keeps every event's file: there it is hashed too.
    stored_names = {e["source_file"] for e in events} | {e["source_name"] for e in events}
    assert not any("812" in name for name in stored_names), stored_names
    assert import_file(project, chat).rows_stored == 0  # imported again: nothing new
    # The file is found again by the path it was imported from, and its import can be taken back.
    [imported] = imported_files(project)
    assert remove_import(project, str(chat)).events == 5 and imported not in imported_files(project)


def test_a_later_export_of_the_chat_adds_only_its_new_messages(project: Project, tmp_path: Path) -> None:
    import_file(project, _chat(tmp_path / "march" / f"Chat WhatsApp dengan {NUMBER}.txt", ANDROID_ID))
    later = ANDROID_ID + f"14/03/26 10.00 - \u202a{NUMBER}\u202c: Sudah sampai, makasih kak\n"
    summary = import_file(project, _chat(tmp_path / "april" / f"Chat WhatsApp dengan {NUMBER}.txt", later))
    assert (summary.rows_read, summary.rows_stored, summary.duplicates_skipped) == (6, 1, 5)


def test_an_iphone_export_in_its_folder_with_us_dates_and_a_saved_contact(project: Project, tmp_path: Path) -> None:
    # An iPhone exports `_chat.txt` inside "WhatsApp Chat - NAME"; these dates are month first (a second number
    # above 12), the times on a 12-hour clock with a narrow space before PM.
    text = (
        "[3/1/26, 9:15:30\u202fPM] Budi Santoso: Hello, is the gayo in stock?\n"
        "[3/1/26, 9:16:02\u202fPM] Kopi Nusantara: \u200eimage omitted\n"
        "[3/14/26, 12:05:00\u202fAM] Budi Santoso: Thanks!\n"
    )
    chat = _chat(tmp_path / "WhatsApp Chat - Budi Santoso" / "_chat.txt", text)
    assert import_file(project, chat).rows_stored == 3
    events = lake_events(project)
    assert [(e["event"], e["timestamp"]) for e in events] == [
        ("wa_chat", jakarta("2026-03-01 21:15:30")),
        ("wa_reply", jakarta("2026-03-01 21:16:02")),
        ("wa_chat", jakarta("2026-03-14 00:05:00")),
    ]
    assert {e["anonymous_id"] for e in events} == {"whatsapp:Budi Santoso"}  # a saved contact: known by name
    assert json.loads(events[1]["properties"])["media"] is True


def test_a_chat_whose_customer_cannot_be_told_is_refused_with_what_to_do(project: Project, tmp_path: Path) -> None:
    two = "01/03/26 09.15 - Budi: Halo\n01/03/26 09.16 - Kopi Nusantara: Halo kak\n"
    renamed = _chat(tmp_path / "budi.txt", two)
    with pytest.raises(
        InputFileError, match=r"does not say whose.*Chat WhatsApp dengan Budi\.txt.*Budi, Kopi Nusantara"
    ):
        import_file(project, renamed)
    group = two + "01/03/26 09.17 - Citra: Aku juga mau\n"
    with pytest.raises(InputFileError, match="a group chat"):
        import_file(project, _chat(tmp_path / "WhatsApp Chat with Budi.txt", group))
    # A customer who never answered is still the chat's: the shop's messages are theirs.
    import_file(
        project, _chat(tmp_path / "WhatsApp Chat with Dewi (1).txt", "01/03/26 09.15 - Kopi Nusantara: Promo!\n")
    )
    assert [(e["event"], e["anonymous_id"]) for e in lake_events(project)] == [("wa_reply", "whatsapp:Dewi")]


def test_other_text_files_are_no_chat(project: Project, tmp_path: Path) -> None:
    notes = _chat(tmp_path / "exports" / "catatan.txt", "Kopi gayo: 20 kg\n")
    with pytest.raises(InputFileError, match=r"catatan\.txt: jejak reads a \.txt file only as WhatsApp's chat export"):
        import_file(project, notes)
    chat = _chat(tmp_path / "exports" / f"Chat WhatsApp dengan {NUMBER}.txt", ANDROID_ID)
    files, left = files_in(tmp_path / "exports")  # a folder's import takes the chat and leaves the notes
    assert (files, left) == ([chat], [notes])
    # (An export with media comes zipped: `test_archives` reads it.)


def test_a_chat_then_an_order_by_the_same_number_is_a_whatsapp_path(project: Project, tmp_path: Path) -> None:
    import_file(project, _chat(tmp_path / f"Chat WhatsApp dengan {NUMBER}.txt", ANDROID_ID))
    orders = write_csv(
        tmp_path / "orders.csv",
        [{"order": "INV-1", "timestamp": "2026-03-14 10:00", "phone": "0812 3456 7890", "total": "Rp 185.000"}],
    )
    import_file(
        project,
        orders,
        column_map={"order": "event_id", "total": "revenue"},
        constants={"event": "Order Completed", "touchpoint": "offline", "channel": "Offline Store"},
    )
    paths = pq.read_table(run_build(project).build_dir / "paths").to_pylist()
    assert [(p["path"], p["conversions"], p["revenue"]) for p in paths] == [("WhatsApp > Offline Store", 1, 185_000.0)]


def test_a_message_quarantined_for_its_date_is_stored_once_fixed(project: Project, tmp_path: Path) -> None:
    from jejak.ingest.quarantine import list_quarantined, retry_quarantined

    # A date no calendar has (the 31st of February) is quarantined, with the date as the chat wrote it.
    text = ANDROID_ID + f"31/02/26 14.02 - \u202a{NUMBER}\u202c: salah tanggal\n"
    import_file(project, _chat(tmp_path / f"Chat WhatsApp dengan {NUMBER}.txt", text))
    [row] = list_quarantined(project).rows
    assert (row.reason, row.source_line) == ("bad_timestamp", 8)
    # The number is shown masked, as every phone in the quarantine is: the fix types it back.
    assert json.loads(row.raw)["phone"] == "<phone removed>"
    fixed = json.loads(row.raw) | {"timestamp": "2026-02-28T14:02:00", "phone": NUMBER}
    summary = retry_quarantined(project, fixed={row.row_id: json.dumps(fixed)})
    assert summary.rows_stored == 1 and list_quarantined(project).rows == []
    [stored] = [e for e in lake_events(project) if e["source_line"] == 8]
    assert (stored["event"], stored["timestamp"], stored["phone_hash"] is not None) == (
        "wa_chat",
        jakarta("2026-02-28 14:02"),
        True,
    )


def test_a_few_mistyped_dates_are_quarantined_and_the_chat_is_read(project: Project, tmp_path: Path) -> None:
    from jejak.ingest.quarantine import list_quarantined

    # Ten days of messages written day first, then a date no calendar has either way (both numbers above 12) and
    # one typed month first: each is its own bad row, and the chat's other messages are stored.
    days = "".join(f"{day}/03/26 09.15 - \u202a{NUMBER}\u202c: hari {day}\n" for day in range(13, 23))
    text = ANDROID_ID + days + f"31/13/26 10.00 - \u202a{NUMBER}\u202c: salah\n03/25/26 10.00 - Kopi Nusantara: ok\n"
    summary = import_file(project, _chat(tmp_path / f"Chat WhatsApp dengan {NUMBER}.txt", text))
    assert (summary.rows_read, summary.rows_stored, summary.rows_quarantined) == (17, 15, 2)
    assert sorted((row.reason, row.source_line) for row in list_quarantined(project).rows) == [
        ("bad_timestamp", 18),
        ("bad_timestamp", 19),
    ]
    assert jakarta("2026-03-22 09:15") in {e["timestamp"] for e in lake_events(project)}


def test_a_chat_whose_dates_disagree_as_two_phones_would_is_refused(project: Project, tmp_path: Path) -> None:
    # Two of the four lines that tell write the month first: two exports pasted together, not a typo.
    text = ANDROID_ID + "03/14/26 10.00 - Kopi Nusantara: promo\n03/15/26 10.00 - Kopi Nusantara: promo\n"
    with pytest.raises(
        InputFileError, match=r"2 of its lines write the day first \(line 6\) and 2 the month first \(line 8\)"
    ):
        import_file(project, _chat(tmp_path / f"Chat WhatsApp dengan {NUMBER}.txt", text))
