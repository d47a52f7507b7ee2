"""Persona documents in SQLite and YAML, and the rules that put people in them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import ibis
import pyarrow as pa
import pytest
from conftest import make_project

from jejak.core.errors import SettingError
from jejak.engine import connect
from jejak.segments.personas import (
    NO_PERSONA,
    Condition,
    Persona,
    assign_personas,
    delete_persona,
    find_persona,
    load_personas,
    personas_from_yaml,
    personas_to_yaml,
    save_persona,
    with_fields,
)

RINA = Persona(
    name="Rina, the Instagram regular",
    priority=1,
    description="22, student in Bandung; finds coffee on Instagram, buys small bags on her phone.",
    demographics={"age": "18-24", "city": "Bandung"},
    goals=("Try a new single origin every month",),
    frustrations=("Shipping costs more than the coffee",),
    rules=(Condition("share_social", ">=", 0.5), Condition("main_device", "==", "mobile")),
)
PAK_BUDI = Persona(
    name="Pak Budi, the café owner",
    priority=2,
    description="Owns a café; orders wholesale by WhatsApp.",
    rules=(Condition("share_whatsapp", ">=", 0.3), Condition("average_order_value", ">", 500_000)),
)
YAML = """
- name: Rina, the Instagram regular
  priority: 1
  description: 22, student in Bandung; finds coffee on Instagram, buys small bags on her phone.
  demographics: {age: 18-24, city: Bandung}
  goals: [Try a new single origin every month]
  frustrations: [Shipping costs more than the coffee]
  rules:
    - share_social >= 0.5
    - {feature: main_device, op: "==", value: mobile}
- name: Pak Budi, the café owner
  priority: 2
  description: Owns a café; orders wholesale by WhatsApp.
  rules: ["share_whatsapp >= 0.3", "average_order_value > 500000"]
"""


def test_yaml_written_by_hand_reads_as_the_documents() -> None:
    assert personas_from_yaml(YAML) == [RINA, PAK_BUDI]


def test_yaml_round_trips() -> None:
    assert personas_from_yaml(personas_to_yaml([RINA, PAK_BUDI])) == [RINA, PAK_BUDI]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- {name: Rina, hobbies: [coffee]}", "unknown field"),
        ("- {description: no name}", "needs a name"),
        ("- {name: Rina, rules: ['share_social ~ 0.5']}", "is not `feature op value`"),
        ("- {name: Rina, rules: [{feature: first_channel, op: in, value: Email}]}", "needs a list"),
        ("- {name: Rina, priority: first}", "priority must be a whole number"),
        ("- {name: Rina}\n- {name: Rina}", "more than once"),
        ("- {name: [unclosed", "not valid YAML"),
    ],
)
def test_bad_yaml_says_which_persona_and_field(text: str, message: str) -> None:
    with pytest.raises(SettingError, match=message):
        personas_from_yaml(text)


def test_personas_are_kept_in_sqlite_in_priority_order(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    save_persona(project.sqlite_path, PAK_BUDI)
    save_persona(project.sqlite_path, RINA)
    assert [p.name for p in load_personas(project.sqlite_path)] == [RINA.name, PAK_BUDI.name]
    edited = with_fields(RINA, needs=["Tasting notes in Indonesian"], priority=3)
    save_persona(project.sqlite_path, edited)
    assert load_personas(project.sqlite_path) == [PAK_BUDI, edited]
    delete_persona(project.sqlite_path, PAK_BUDI.name)
    assert find_persona(project.sqlite_path, RINA.name).needs == ("Tasting notes in Indonesian",)
    with pytest.raises(SettingError, match=r"no persona 'Ana'.*Personas: Rina"):
        find_persona(project.sqlite_path, "Ana")


FEATURES: list[dict[str, Any]] = [
    # Social and mobile: Rina.
    {"person_id": "p1", "share_social": 0.8, "share_whatsapp": 0.0, "average_order_value": 90_000.0, "main_device": "mobile"},
    # WhatsApp and big orders: Pak Budi; also mostly social on mobile, but Rina goes first.
    {"person_id": "p2", "share_social": 0.6, "share_whatsapp": 0.4, "average_order_value": 900_000.0, "main_device": "mobile"},
    {"person_id": "p3", "share_social": 0.0, "share_whatsapp": 0.5, "average_order_value": 750_000.0, "main_device": "desktop"},
    # Neither.
    {"person_id": "p4", "share_social": 0.2, "share_whatsapp": 0.1, "average_order_value": None, "main_device": "desktop"},
]  # fmt: skip


def assigned(personas: list[Persona]) -> dict[str, str]:
    features = ibis.memtable(pa.Table.from_pylist(FEATURES))
    rows = connect().to_pyarrow(assign_personas(features, personas)).to_pylist()
    return {row["person_id"]: row["persona"] for row in rows}


def test_people_get_the_first_persona_whose_rules_all_hold() -> None:
    assert assigned([PAK_BUDI, RINA]) == {"p1": RINA.name, "p2": RINA.name, "p3": PAK_BUDI.name, "p4": NO_PERSONA}
    later = with_fields(RINA, priority=5)
    assert assigned([PAK_BUDI, later])["p2"] == PAK_BUDI.name


def test_a_rule_on_a_feature_that_does_not_exist_names_the_features() -> None:
    bad = with_fields(RINA, rules=["shares_social >= 0.5"])
    with pytest.raises(SettingError, match=r"'shares_social', which does not exist\. Features: average_order_value"):
        assigned([bad])
