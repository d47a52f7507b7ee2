"""Identity: every identifier a person shows (devices, user ids, e-mail, phone) resolves to one person."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import ibis
import pyarrow as pa
import pytest
from conftest import Built, build_story
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from jejak.core.errors import EngineError
from jejak.core.pii import hmac_hex
from jejak.engine import connect
from jejak.identity.graph import resolve_identities

# A toko's own phone number, typed at the till for six different customers.
SHOP_PHONE = "021-555-0000"

STORY: dict[str, list[dict[str, Any]]] = {
    # Ana browses on her phone before logging in, then logs in; later on her laptop.
    "ana": [
        {"at": "2026-03-01 09:00", "type": "page", "anonymous_id": "hp-ana"},
        {"at": "2026-03-01 09:02", "type": "page", "anonymous_id": "hp-ana"},
        {"at": "2026-03-01 09:05", "type": "identify", "anonymous_id": "hp-ana", "user_id": "u-ana"},
        {"at": "2026-03-05 20:00", "type": "page", "anonymous_id": "laptop-ana"},
        {"at": "2026-03-05 20:01", "type": "identify", "anonymous_id": "laptop-ana", "user_id": "u-ana"},
    ],
    # Budi's app calls alias when he signs up: his anonymous id becomes his user id.
    "budi": [
        {"at": "2026-03-02 10:00", "type": "screen", "anonymous_id": "anon-budi"},
        {"at": "2026-03-02 10:03", "type": "alias", "previous_id": "anon-budi", "user_id": "u-budi"},
        {"at": "2026-03-02 10:04", "event": "Order Completed", "user_id": "u-budi", "revenue": 50000},
    ],
    # Citra has a web account and an app account with the same e-mail, written differently.
    "citra": [
        {"at": "2026-03-03 08:00", "type": "identify", "user_id": "web-citra", "email": "Citra.Lestari@Example.com"},
        {"at": "2026-03-03 08:30", "type": "identify", "user_id": "app-citra", "email": " citra.lestari@example.COM "},
    ],
    # Dewi gives her phone at the till and in the app, in two formats.
    "dewi": [
        {"at": "2026-03-03 12:00", "type": "offline", "event": "store_visit", "user_id": "pos-dewi", "phone": "0813-1111-2222"},
        {"at": "2026-03-04 12:00", "type": "identify", "user_id": "app-dewi", "phone": "+62 813 1111 2222"},
    ],
    # Six customers whose receipts carry the shop's phone: they must not become one person.
    "kasir": [
        {"at": f"2026-03-0{day} 15:00", "type": "offline", "event": "store_visit", "user_id": f"pelanggan-{day}", "phone": SHOP_PHONE}
        for day in range(1, 7)
    ]
    # And a receipt with only the shop's phone on it.
    + [{"at": "2026-03-07 15:00", "type": "offline", "event": "store_visit", "phone": SHOP_PHONE}],
    # A chain of aliases: rantai-5 was rantai-4, which was rantai-3, ... (each link a separate event).
    "rantai": [
        {"at": f"2026-03-1{step} 09:00", "type": "alias", "previous_id": f"rantai-{step + 1}", "user_id": f"rantai-{step}"}
        for step in range(1, 5)
    ],
    # Eko never logs in.
    "eko": [{"at": "2026-03-08 09:00", "type": "page", "anonymous_id": "eko-hp"}],
}  # fmt: skip


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return build_story(tmp_path_factory.mktemp("identity"), STORY)


def test_identify_joins_a_device_to_a_user(built: Built) -> None:
    assert built.device("hp-ana") == built.user("u-ana") == "u:u-ana"


def test_pre_login_page_views_belong_to_the_person(built: Built) -> None:
    sessions = built.sessions_of("u:u-ana")
    # 09:00, 09:02, 09:05 on the phone are one session; the laptop evening is another.
    assert [s["events"] for s in sessions] == [3, 2]
    assert sessions[0]["started_at"].hour == 2  # 09:00 in Jakarta: the anonymous page view opens it
    assert "a:hp-ana" not in {row["person_id"] for row in built.rows("sessions")}


def test_two_devices_of_one_person_are_one_person(built: Built) -> None:
    assert built.device("laptop-ana") == built.device("hp-ana")
    [ana] = [row for row in built.rows("people") if row["person_id"] == "u:u-ana"]
    assert ana["events"] == 5
    assert ana["identifiers"] == 3  # u-ana, hp-ana, laptop-ana


def test_alias_joins_the_previous_id(built: Built) -> None:
    assert built.device("anon-budi") == built.user("u-budi")
    [person] = {s["person_id"] for s in built.rows("sessions") if s["person_id"] == built.user("u-budi")}
    assert sum(s["events"] for s in built.sessions_of(person)) == 3


def test_a_person_joined_by_alias_is_named_by_their_real_user_id(built: Built) -> None:
    assert built.user("u-budi") == "u:u-budi"
    [budi] = [row for row in built.rows("people") if row["person_id"] == built.user("u-budi")]
    assert budi["user_ids"] == 1


def test_the_same_email_in_different_case_joins_two_user_ids(built: Built) -> None:
    assert built.user("web-citra") == built.user("app-citra")
    [citra] = [row for row in built.rows("people") if row["person_id"] == built.user("web-citra")]
    assert citra["has_email"] and not citra["has_phone"]
    assert citra["user_ids"] == 2


def test_the_same_phone_in_different_formats_joins_two_user_ids(built: Built) -> None:
    assert built.user("pos-dewi") == built.user("app-dewi") == "u:app-dewi"  # "app-…" sorts before "pos-…"


def test_an_over_shared_phone_does_not_merge_people_and_is_reported(built: Built) -> None:
    customers = {built.user(f"pelanggan-{day}") for day in range(1, 7)}
    assert customers == {f"u:pelanggan-{day}" for day in range(1, 7)}
    shop_hash = hmac_hex(built.project.hmac_key(), "+62215550000")
    assert built.rows("shared_identifiers") == [{"node": f"4p:{shop_hash}", "kind": "phone", "user_ids": 6}]
    assert f"4p:{shop_hash}" not in {row["node"] for row in built.rows("identities")}
    # The receipt with only the shop's phone is a person of its own, not one of the six.
    [alone] = [row for row in built.rows("people") if row["person_id"].startswith("x:")]
    assert alone["events"] == 1
    assert alone["person_id"] == "x:kasir-7"


def test_the_summary_warns_of_the_over_shared_phone_in_words(built: Built) -> None:
    from click.testing import CliRunner

    from jejak.cli.main import cli

    said = CliRunner().invoke(cli, ["report", "summary", "--project", str(built.project.root)], env={"COLUMNS": "400"})
    assert said.exit_code == 0, said.output
    assert (
        "Warning: 1 phone number was seen with more user ids than 5 (up to 6), so it joins none of them" in said.output
    )
    as_json = CliRunner().invoke(cli, ["report", "summary", "--format", "json", "--project", str(built.project.root)])
    counted = [{"kind": "phone", "identifiers": 1, "most_user_ids": 6, "allowed_user_ids": 5}]
    assert json.loads(as_json.output)["shared_identifiers"] == counted


def test_a_chain_of_links_converges_to_one_person(built: Built) -> None:
    # rantai-5 is only ever a previous_id, never a user id: it joins the graph as an anonymous id.
    people = {built.user(f"rantai-{step}") for step in range(1, 5)} | {built.device("rantai-5")}
    assert people == {"u:rantai-1"}


def test_a_person_with_no_login_keeps_their_anonymous_id(built: Built) -> None:
    assert built.device("eko-hp") == "a:eko-hp"


def test_people_counts_reconcile_with_the_story(built: Built) -> None:
    people = built.rows("people")
    assert sum(row["events"] for row in people) == sum(len(events) for events in STORY.values())
    assert len({row["person_id"] for row in people}) == len(people)
    # ana, budi, citra, dewi, 6 shop customers, the lone receipt, rantai, eko
    assert len(people) == 13


def test_the_limit_on_people_per_identifier_is_a_setting(tmp_path: Path) -> None:
    story = {"kasir": STORY["kasir"][:6]}
    built = build_story(tmp_path, story, settings={"identity_max_people_per_identifier": 6})
    assert {built.user(f"pelanggan-{day}") for day in range(1, 7)} == {"u:pelanggan-1"}
    assert built.rows("shared_identifiers") == []


# --- the algorithm itself, on in-memory edges ---------------------------------------------------------


def _events(rows: list[dict[str, str | None]]) -> ibis.Table:
    columns = ("event_id", "type", "user_id", "anonymous_id", "previous_id", "email_hash", "phone_hash")
    schema = pa.schema([(name, pa.string()) for name in columns])
    return ibis.memtable(pa.Table.from_pylist([dict.fromkeys(columns) | row for row in rows], schema=schema))


def test_a_long_chain_needs_more_rounds_than_a_short_limit_allows() -> None:
    # u-00 — a-01 — u-02 — a-03 … : each identify links one user id to one device.
    rows: list[dict[str, str | None]] = []
    for step in range(0, 40, 2):
        rows.append(
            {
                "event_id": f"e{step}",
                "type": "identify",
                "user_id": f"u-{step:02d}",
                "anonymous_id": f"a-{step + 1:02d}",
            }
        )
        rows.append(
            {
                "event_id": f"f{step}",
                "type": "identify",
                "user_id": f"u-{step + 2:02d}",
                "anonymous_id": f"a-{step + 1:02d}",
            }
        )
    engine = connect()
    try:
        result = resolve_identities(engine, _events(rows), max_people_per_identifier=5, max_rounds=30)
        people = set(engine.to_pyarrow(result.identities).column("person_id").to_pylist())
        assert people == {"u:u-00"}
        assert result.rounds > 1
        with pytest.raises(EngineError, match="identity_max_iterations"):
            resolve_identities(engine, _events(rows), max_people_per_identifier=5, max_rounds=1)
    finally:
        engine.close()


def _reference_people(rows: list[dict[str, str | None]]) -> dict[str, str]:
    """Union-find over the same links the module docstring describes: node key → person id."""
    parent: dict[str, str] = {}

    def find(node: str) -> str:
        parent.setdefault(node, node)
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    def union(left: str, right: str) -> None:
        a, b = find(left), find(right)
        if a != b:
            parent[max(a, b)] = min(a, b)

    known_users = {row["user_id"] for row in rows if row.get("user_id")}
    for row in rows:
        keys = [
            f"{prefix}{row[column]}"
            for column, prefix in (
                ("user_id", "1u:"),
                ("anonymous_id", "2a:"),
                ("email_hash", "3e:"),
                ("phone_hash", "4p:"),
            )
            if row.get(column)
        ]
        for key in keys:
            union(keys[0], key)
        previous = row.get("previous_id")
        if row.get("type") == "alias" and previous:
            union(keys[0], f"1u:{previous}" if previous in known_users else f"2a:{previous}")
    return {node[1:]: find(node)[1:] for node in list(parent)}


@settings(max_examples=30, deadline=None)
@given(
    st.lists(
        st.fixed_dictionaries(
            {
                "type": st.sampled_from(["page", "identify", "alias"]),
                "user_id": st.none() | st.sampled_from(["u1", "u2", "u3", "u4"]),
                "anonymous_id": st.none() | st.sampled_from(["d1", "d2", "d3", "d4", "d5", "u1"]),
                "previous_id": st.none() | st.sampled_from(["d1", "d5", "u2", "x9"]),
                "email_hash": st.none() | st.sampled_from(["m1", "m2"]),
                "phone_hash": st.none() | st.sampled_from(["p1", "p2", "p3"]),
            }
        ),
        min_size=1,
        max_size=14,
    )
)
def test_components_equal_a_union_find_over_the_same_links(rows: list[dict[str, str | None]]) -> None:
    rows = [row | {"event_id": f"e{index}"} for index, row in enumerate(rows)]
    rows = [row for row in rows if any(row[c] for c in ("user_id", "anonymous_id", "email_hash", "phone_hash"))]
    assume(rows)
    for row in rows:
        if row["type"] == "alias" and not row["user_id"]:
            row["type"] = "page"
    eng = connect()
    result = resolve_identities(eng, _events(rows), max_people_per_identifier=1000, max_rounds=50)
    table = eng.to_pyarrow(result.identities)
    found = {
        f"{kind[0]}:{node[3:]}": person
        for node, kind, person in zip(
            table.column("node").to_pylist(),
            table.column("kind").to_pylist(),
            table.column("person_id").to_pylist(),
            strict=True,
        )
    }
    assert found == _reference_people(rows)
