"""No e-mail or phone number is stored in clear: outside the identifier columns, each is replaced by a keyed token."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import lake_events, make_project, write_csv, write_jsonl
from hypothesis import given, settings
from hypothesis import strategies as st

from jejak.core.pii import hmac_hex
from jejak.engine import connect
from jejak.ingest.identifiers import PII_CANDIDATE_RE2, private_json, private_text
from jejak.ingest.importer import import_file
from jejak.store.lake import event_files
from jejak.store.project import Project

EMAIL, PHONE = "Ana@Example.com", "0812-3456-7890"
NORMALISED_EMAIL, NORMALISED_PHONE = "ana@example.com", "+6281234567890"


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return make_project(tmp_path / "p")


def _lake_text(project: Project) -> str:
    """Every value of every stored event, as one text."""
    return "\n".join(str(pq.read_table(part).to_pylist()) for part in event_files(project))


def _token(project: Project, kind: str, normalised: str) -> str:
    return f"{kind}_{hmac_hex(project.hmac_key(), normalised)[:12]}"


def test_a_shops_export_keeps_no_number_or_email_in_clear(project: Project, tmp_path: Path) -> None:
    # A web shop's orders: the buyer's e-mail as its customer id, a billing phone beside the mapped one, a thank-you
    # page whose URL carries the e-mail (URL-encoded) and the number, a campaign tagged with the e-mail.
    orders = write_csv(
        tmp_path / "orders.csv",
        [
            {
                "timestamp": "2026-03-01 10:15",
                "user_id": EMAIL,
                "event": "Order Completed",
                "page_url": "https://kopi.id/terima-kasih?email=Ana%40Example.com&hp=081234567890",
                "content": EMAIL,
                "Billing Phone": "+62 812 3456 7890",
                "Catatan": f"kirim ke {EMAIL} / wa {PHONE}",
                "Total": "200000",
                "Id": "5123456789012",
            }
        ],
    )
    assert import_file(project, orders).rows_stored == 1
    [event] = lake_events(project)
    email_token, phone_token = _token(project, "email", NORMALISED_EMAIL), _token(project, "phone", NORMALISED_PHONE)
    # The id that is an e-mail is its token, and the person is still joined by it: it fills the e-mail hash.
    assert (event["user_id"], event["email_hash"]) == (email_token, hmac_hex(project.hmac_key(), NORMALISED_EMAIL))
    assert event["page_url"] == f"https://kopi.id/terima-kasih?email={email_token}&hp={phone_token}"
    assert event["content"] == email_token
    assert json.loads(event["properties"]) == {
        "billing phone": phone_token,
        "catatan": f"kirim ke {email_token} / wa {phone_token}",
        "total": "200000",
        "id": "5123456789012",  # an order id is no phone
    }
    text = _lake_text(project).lower()
    assert [clear for clear in ("example.com", "0812", "812 3456", "81234567890") if clear in text] == []


def test_segment_messages_lose_numbers_in_properties_and_keep_the_rest_as_written(
    project: Project, tmp_path: Path
) -> None:
    plain = {"revenue": 185000, "currency": "IDR", "tanggal": "2026-03-08 10:00", "ig": "@kopinusantara"}
    messages = [
        {"type": "track", "messageId": "m1", "userId": "u-7", "event": "Order Completed", "properties": plain},
        {
            "type": "track",
            "messageId": "m2",
            "userId": PHONE,  # a shop that keys its customers by their number
            "event": "Chat Started",
            "properties": {"shipping": {"phone": 6281234567890, "kota": "Bandung"}, "tags": [EMAIL, "vip"]},
            # analytics.js sends the visitor's IP address: no report reads it, and it is theirs.
            "context": {"ip": "203.0.113.7", "page": {"path": "/promo"}},
        },
        {
            "type": "identify",
            "messageId": "m3",
            "anonymousId": "a-1",
            "context": {"ip": "203.0.113.7", "traits": {"email": EMAIL, "name": "Ana"}},
        },
    ]
    for message in messages:
        message["timestamp"] = "2026-03-08T10:00:00+07:00"
    import_file(project, write_jsonl(tmp_path / "web.jsonl", messages))
    first, second, third = lake_events(project)
    assert json.loads(first["properties"]) == plain  # dates, amounts and handles are no phone or e-mail
    phone_token = _token(project, "phone", NORMALISED_PHONE)
    assert (second["user_id"], second["phone_hash"]) == (phone_token, hmac_hex(project.hmac_key(), NORMALISED_PHONE))
    assert json.loads(second["properties"]) == {
        "shipping": {"phone": phone_token, "kota": "Bandung"},  # a number that is a phone becomes its token
        "tags": [_token(project, "email", NORMALISED_EMAIL), "vip"],
    }
    assert json.loads(second["context"]) == {"page": {"path": "/promo"}}
    assert json.loads(third["context"]) == {"traits": {"name": "Ana"}} and third["email_hash"] is not None


def test_tokens_join_what_they_stand_for_and_change_nothing_twice() -> None:
    key = b"k"
    same = {private_text(key, text) for text in ("0812-3456-7890", "+62 812 3456 7890", "6281234567890")}
    assert len(same) == 1 and private_text(key, next(iter(same))) == next(iter(same))
    assert private_text(key, "ana%40example.com") == private_text(key, "Ana@Example.com")
    # What looks like an address and is none (no e-mail hash is made of it) is not left in clear either, and two
    # such texts stay two tokens.
    odd = [private_text(key, f"kirim ke {text}") for text in ("ana@example..com", "budi@-kopi.id")]
    assert all("@" not in text and text.startswith("kirim ke email_") for text in odd) and odd[0] != odd[1]
    assert private_json(key, '{"a": 1}') == '{"a": 1}'  # unchanged JSON keeps its text as written
    assert json.loads(private_json(key, '{"hp": "0812 3456 7890"}')) == {"hp": private_text(key, "0812 3456 7890")}
    # A number past a float's range cannot be written back as JSON: the text is replaced as text, and stays JSON.
    huge = private_json(key, '{"x": 1e400, "hp": "0812 3456 7890"}')
    assert huge == '{"x": 1e400, "hp": "' + private_text(key, "0812 3456 7890") + '"}'


# Text made of what phone numbers and e-mails are made of: numbers whose digits are split by any separator a phone
# may hold (no-break and ideographic spaces included) after any prefix, addresses with `@` or `%40`, and words.
_SEPARATORS = st.sampled_from(["", " ", "-", ".", "(", ")", "\u00a0", "\u3000", "\u202f", "\x1c", "\t", "_", "/"])
_NUMBERS = st.tuples(
    st.sampled_from(["", "+", "00", "0", "62", "+62", "x", "1"]),
    st.lists(st.tuples(_SEPARATORS, st.text("0123456789", min_size=1, max_size=4)), min_size=1, max_size=6),
).map(lambda parts: parts[0] + "".join(separator + digits for separator, digits in parts[1]))
_ADDRESSES = st.tuples(
    st.sampled_from(["ana", "a.b", "x_1", ""]),
    st.sampled_from(["@", "%40", "＠"]),
    st.sampled_from(["kopi.id", "x", "a.co"]),
).map("".join)
_TEXTS = st.lists(st.one_of(_NUMBERS, _ADDRESSES, st.sampled_from([" ", "=", "wa ", "?hp=", "8", "０８"])), max_size=6)


@settings(max_examples=300, deadline=None)
@given(st.lists(_TEXTS.map("".join), min_size=1, max_size=30))
def test_duckdb_picks_every_text_that_holds_a_number_or_an_email(texts: list[str]) -> None:
    # Only the rows DuckDB's RE2 picks are read in Python: it must pick every one `private_text` would change.
    engine = connect()
    try:
        engine.register_arrow("texts", pa.table({"text": texts}))
        picked = engine.fetch_arrow(f"SELECT regexp_matches(text, '{PII_CANDIDATE_RE2}') AS picked FROM texts")
    finally:
        engine.close()
    for text, chosen in zip(texts, picked.column("picked").to_pylist(), strict=True):
        if private_text(b"k", text) != text:
            assert chosen, repr(text)
