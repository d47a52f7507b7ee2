"""E-mails and phones are normalised, then stored only as keyed HMACs: never in clear under data/."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import lake_events, make_project, story_rows, write_csv

from jejak.core.pii import create_key, hmac_hex, load_key, normalise_email, normalise_phone
from jejak.ingest.importer import import_file
from jejak.pipeline import run_build

ANA_E164 = "+6281234567890"


@pytest.mark.parametrize(
    "raw",
    [
        "0812-3456-7890",
        "0812 3456 7890",
        "(0812) 3456-7890",
        "+62 812 3456 7890",
        "+62-812-3456-7890",
        "6281234567890",
        "62 812 3456 7890",
        "00 62 812 3456 7890",
        "0062-812-3456-7890",
        "812-3456-7890",
        "  +6281234567890  ",
        "+62 (0)812 3456 7890",  # the trunk 0 in brackets after the country code, as business cards write it
        "6281234567890.0",  # a spreadsheet's float, as pandas and some CSV exports write a number column
        "081234567890.00",
    ],
)
def test_every_way_of_writing_anas_phone_is_one_e164_number(raw: str) -> None:
    assert normalise_phone(raw) == ANA_E164


def test_a_foreign_number_keeps_its_country_code() -> None:
    assert normalise_phone("+65 6123 4567") == "+6561234567"
    assert normalise_phone("0065 6123 4567") == "+6561234567"


# An exponent (a spreadsheet's 6.28123E+12) has lost the last digits: read as a number it would be someone else's.
@pytest.mark.parametrize("raw", ["", "12345", "call me", "+62 812 3456 7890 1234 5678", "6.28123E+12", "6,28123E+12"])
def test_what_is_not_a_phone_number_normalises_to_none(raw: str) -> None:
    assert normalise_phone(raw) is None


# A marketplace hides part of a buyer's number or address: what is left is no identifier, and would be the same for
# every buyer whose visible characters agree (merged into one person), or another person's number (`+628127890`).
@pytest.mark.parametrize("raw", ["62812****7890", "******7890", "0812xxxx7890", "+62 812 XXXX 7890", "0812••••7890"])
def test_a_masked_phone_number_normalises_to_none(raw: str) -> None:
    assert normalise_phone(raw) is None


@pytest.mark.parametrize("raw", ["b*****8@gmail.com", "bu***@gmail.com", "ana@ex****.com", "a•••@example.com"])
def test_a_masked_email_normalises_to_none(raw: str) -> None:
    assert normalise_email(raw) is None


@pytest.mark.parametrize(
    "raw",
    [
        "ana@example.com",
        "Ana@Example.COM",
        "  ANA@EXAMPLE.COM\t",
        " ana@example.com ",
        "mailto:Ana@example.com",
        "ana@example.com.",
        # As a mail's From line writes an address with its owner's name (an inbox's or a help desk's export), and a
        # mailto link with its subject.
        "Ana Lestari <Ana@Example.com>",
        '"Lestari, Ana" <ana@example.com>',
        "<ana@example.com>",
        "mailto:ana@example.com?subject=Pesanan%20kopi",
        # The name in parentheses: after the address, as older mail writes it, or around it, as a CRM's contact.
        "ana@example.com (Ana Lestari)",
        "Ana Lestari (Ana@Example.com)",
        "Ana Lestari ( ana@example.com )",
    ],
)
def test_email_case_and_spaces_do_not_matter(raw: str) -> None:
    assert normalise_email(raw) == "ana@example.com"


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "ana",
        "@example.com",
        "ana@",
        "   ",
        # No domain ending, or a domain no address has: each would be an identifier no other source gives.
        "ana@gmail",
        "ana@gmail,com",
        "ana@@example.com",
        "ana lestari@example.com",
        "ana@example..com",
        "ana@-example.com",
        "ana@example-.com",
        "ana@exa_mple.com",
        "ana@example.c0m",
        # Two addresses in one cell: which one is the customer's is not said.
        "ana@example.com; budi@example.com",
        "ana@example.com, budi@example.com",
        "ana@example.com (budi@example.com)",
        # A note in parentheses beside what is no address.
        "ana (kantor)",
        "(ana@example.com) budi",
    ],
)
def test_what_is_not_an_email_normalises_to_none(raw: str) -> None:
    assert normalise_email(raw) is None


@pytest.mark.parametrize(
    "raw", ["budi.santoso+kopi@mail.co.id", "o'brien@example.com", "budi_88@yahoo.co.id", "ana@bücher.de",
            "ana@xn--bcher-kva.de", "ana@mail-server.example.com"]
)  # fmt: skip
def test_an_address_of_any_usual_shape_is_kept_as_written(raw: str) -> None:
    assert normalise_email(raw) == raw


def test_hmac_depends_on_the_key(tmp_path: Path) -> None:
    create_key(tmp_path / "one.key")
    create_key(tmp_path / "two.key")
    one, two = load_key(tmp_path / "one.key"), load_key(tmp_path / "two.key")
    assert one != two
    assert hmac_hex(one, ANA_E164) == hmac_hex(one, ANA_E164)
    assert hmac_hex(one, ANA_E164) != hmac_hex(two, ANA_E164)
    assert hmac_hex(one, ANA_E164) != hmac_hex(one, "+6281234567891")
    assert len(hmac_hex(one, ANA_E164)) == 64


def test_a_key_is_never_overwritten_and_is_private(tmp_path: Path) -> None:
    create_key(tmp_path / "k")
    before = (tmp_path / "k").read_bytes()
    with pytest.raises(FileExistsError):
        create_key(tmp_path / "k")
    assert (tmp_path / "k").read_bytes() == before
    assert (tmp_path / "k").stat().st_mode & 0o077 == 0


def test_a_short_key_is_refused(tmp_path: Path) -> None:
    (tmp_path / "k").write_bytes(b"short")
    with pytest.raises(ValueError, match="too short"):
        load_key(tmp_path / "k")


SECRETS = (
    "Ana@Example.com",
    "ana@example.com",
    "0812-3456-7890",
    "81234567890",
    "Budi.Santoso@Kopi.id",
    "budi.santoso",
)

STORY = {
    "ana": [
        {"at": "2026-03-01 09:00", "type": "identify", "user_id": "u-ana", "email": "Ana@Example.com"},
        {"at": "2026-03-01 09:01", "type": "identify", "user_id": "u-ana", "phone": "0812-3456-7890"},
        {"at": "2026-03-01 09:05", "event": "Order Completed", "user_id": "u-ana", "revenue": "185000"},
    ],
    "budi": [
        # Only an e-mail: the hash is the identifier.
        {"at": "2026-03-02 10:00", "type": "page", "email": "Budi.Santoso@Kopi.id"},
    ],
}


def _string_values(table: pa.Table) -> list[str]:
    return [
        value
        for column in table.columns
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type)
        for value in column.to_pylist()
        if value is not None
    ]


def test_raw_emails_and_phones_never_reach_any_file_under_data(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    summary = import_file(project, write_csv(tmp_path / "crm.csv", story_rows(STORY)))
    assert summary.rows_stored == 4
    run_build(project)  # derived tables live under data/ too
    files = [path for path in project.data_dir.rglob("*") if path.is_file()]
    parquet_files = [path for path in files if path.suffix == ".parquet"]
    assert parquet_files, "the import wrote nothing to look at"
    for path in files:
        data = path.read_bytes()
        for secret in SECRETS:
            assert secret.encode() not in data, f"{secret} in {path}"
            assert secret.lower().encode() not in data, f"{secret} in {path}"
    for path in parquet_files:
        for value in _string_values(pq.read_table(path)):
            for secret in SECRETS:
                assert secret.lower() not in value.lower(), f"{secret} in {path}: {value}"


def test_stored_hashes_are_keyed_hmacs_of_the_normalised_identifiers(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    import_file(project, write_csv(tmp_path / "crm.csv", story_rows(STORY)))
    key = project.hmac_key()
    events = {row["event_id"]: row for row in lake_events(project)}
    assert events["ana-1"]["email_hash"] == hmac_hex(key, "ana@example.com")
    assert events["ana-2"]["phone_hash"] == hmac_hex(key, ANA_E164)
    assert events["budi-1"]["email_hash"] == hmac_hex(key, "budi.santoso@kopi.id")
    assert events["ana-3"]["email_hash"] is None


def test_an_address_written_with_its_owners_name_joins_the_same_address_alone(tmp_path: Path) -> None:
    """An inbox's export gives a sender as `Name <address>` (older mail as `address (Name)`, a CRM as `Name
    (address)`): hashed as written, it was an identifier of its own, and the sender never joined the web shop's
    customer of that address."""
    project = make_project(tmp_path / "p")
    rows = [
        {"event_id": "web-1", "timestamp": "2026-03-01 09:00", "type": "identify", "user_id": "u-ana",
         "email": "ana@example.com"},
        {"event_id": "crm-1", "timestamp": "2026-03-02 09:00", "type": "identify", "user_id": "crm-7",
         "email": "Ana Lestari <Ana@Example.com>"},
        {"event_id": "crm-2", "timestamp": "2026-03-02 09:00", "type": "identify", "user_id": "crm-8",
         "email": "budi@gmail"},
        {"event_id": "crm-3", "timestamp": "2026-03-02 09:00", "type": "identify", "user_id": "crm-9",
         "email": "Ana Lestari (ana@example.com)"},
        {"event_id": "mail-1", "timestamp": "2026-03-02 09:00", "type": "identify", "user_id": "mail-1",
         "email": "ana@example.com (Ana Lestari)"},
    ]  # fmt: skip
    import_file(project, write_csv(tmp_path / "contacts.csv", rows))
    events = {row["event_id"]: row for row in lake_events(project)}
    assert (
        events["crm-1"]["email_hash"]
        == events["crm-3"]["email_hash"]
        == events["mail-1"]["email_hash"]
        == events["web-1"]["email_hash"]
        == hmac_hex(project.hmac_key(), "ana@example.com")
    )
    assert events["crm-2"]["email_hash"] is None  # no address: stored without one, joined by its user_id alone


def test_two_projects_hash_the_same_email_differently(tmp_path: Path) -> None:
    rows = story_rows({"budi": STORY["budi"]})
    hashes = []
    for name in ("toko-a", "toko-b"):
        project = make_project(tmp_path / name)
        import_file(project, write_csv(tmp_path / f"{name}.csv", rows))
        hashes.append(lake_events(project)[0]["email_hash"])
    assert hashes[0] and hashes[1]
    assert hashes[0] != hashes[1]


def test_a_quarantined_row_does_not_keep_the_email_in_clear(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    rows = [
        {
            "timestamp": "besok pagi",
            "user_id": "u-ana",
            "event": "Signed Up",
            "email": "Ana@Example.com",
            "phone": "0812-3456-7890",
        }
    ]
    summary = import_file(project, write_csv(tmp_path / "crm.csv", rows))
    assert summary.quarantined_by_reason == {"bad_timestamp": 1}
    for path in project.quarantine_dir.rglob("*.parquet"):
        for value in _string_values(pq.read_table(path)):
            assert "ana@example.com" not in value.lower()
            assert "3456-7890" not in value
