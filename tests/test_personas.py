"""Persona documents in SQLite and YAML, and the rules that put people in them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import ibis
import pyarrow as pa
import pytest
from conftest import Built, build_story, buy, make_project, visit

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
    persona_from_document,
    personas_from_file,
    personas_from_yaml,
    personas_to_yaml,
    save_persona,
    with_fields,
)
from jejak.service.builds import open_build, persona_assignments

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
        # A NUL ends a text in DuckDB's SQL: a persona of this name stopped every build as a bug.
        ('- {name: "Ri\\0na"}', r"item 1 name holds a NUL character \(\\x00, at character 3"),
        # Past 64 bits SQLite refuses it: saving stopped as a bug.
        ("- {name: Rina, priority: 99999999999999999999}", "priority must be a whole number from -2147483647"),
        ("- {name: Rina}\n- {name: Rina}", "more than once"),
        ("- {name: [unclosed", "not valid YAML"),
    ],
)
def test_bad_yaml_says_which_persona_and_field(text: str, message: str) -> None:
    with pytest.raises(SettingError, match=message):
        personas_from_yaml(text)


def _laughs(levels: int) -> str:
    """A persona whose needs are nine aliases of nine aliases of … nine texts: 9 ** levels texts from a few lines."""
    lines = ["- name: Rina", "  demographics:", "    a: &a [x, x, x, x, x, x, x, x, x]"]
    for level in range(1, levels):
        name, before = chr(ord("a") + level), chr(ord("a") + level - 1)
        lines.append(f"    {name}: &{name} [{', '.join([f'*{before}'] * 9)}]")
    return "\n".join([*lines, f"  needs: *{chr(ord('a') + levels - 1)}"])


def test_yaml_aliases_are_refused_so_a_few_lines_cannot_make_millions_of_values() -> None:
    # Nine levels made 387M texts for the checks to walk: `jejak persona import` ran for minutes at full memory.
    # Three are enough to show any alias is refused (and to fail quickly were it not).
    with pytest.raises(SettingError, match=r"not valid YAML: .*alias \(\*name\)"):
        personas_from_yaml(_laughs(3))
    # In a rule's value too, which the dashboard's persona form reads as YAML.
    with pytest.raises(SettingError, match="is not a value"):
        personas_from_yaml("- {name: Rina, rules: ['first_channel in [&a Email, *a]']}")


def test_yaml_nested_too_deeply_or_not_utf8_is_an_error_not_a_crash(tmp_path: Path) -> None:
    with pytest.raises(SettingError, match="nested too deeply"):
        personas_from_yaml("- name: Rina\n  goals: " + "[" * 5000 + "]" * 5000)
    path = tmp_path / "personas.yaml"
    path.write_bytes("- name: Rina, pecinta kopi\n".encode("utf-16"))
    with pytest.raises(SettingError, match=r"personas\.yaml is not UTF-8 text"):
        personas_from_file(path)
    path.write_text("- name: Rina\n  goals: [Kopi baru tiap bulan]\n", encoding="utf-8")
    assert [persona.goals for persona in personas_from_file(path)] == [("Kopi baru tiap bulan",)]


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
    # Refused when the persona is written, with its name and rule number.
    with pytest.raises(
        SettingError,
        match=r"rule 1 uses 'shares_social', which is no feature\. Features: average_order_value.*main_device \(text\)",
    ):
        with_fields(RINA, rules=["shares_social >= 0.5"])
    # One stored by an older jejak is still read, and sorting people into it says the same.
    stored = persona_from_document({"name": "Old", "rules": ["shares_social >= 0.5"]}, check_rules=False)
    with pytest.raises(SettingError, match=r"'shares_social', which does not exist\. Features: average_order_value"):
        assigned([stored])


# --- rules on traits: what identify events say about people ----------------------------------------


def identify(at: str, device_type: str | None = None, **traits: Any) -> dict[str, Any]:
    return {"at": at, "type": "identify", "traits": json.dumps(traits), "device_type": device_type}


TRAITS_STORY: dict[str, list[dict[str, Any]]] = {
    # Ana logs in on her phone with Bandung and her age, and later moves to Jakarta: her later identify wins
    # for the city only.
    "ana": [
        visit("2026-03-01 09:00:00", "Paid Social", device_type="mobile"),
        identify("2026-03-01 09:01:00", city="Bandung", age=22, device_type="mobile"),
        visit("2026-03-10 08:00:00", "Paid Social", device_type="mobile"),
        identify("2026-03-10 08:01:00", city="Jakarta", device_type="mobile"),
    ],
    # Budi's form sends his age as text; he orders big by WhatsApp.
    "budi": [
        visit("2026-03-02 10:00:00", "WhatsApp", device_type="mobile"),
        identify("2026-03-02 10:01:00", city="Bandung", age="41", plan="wholesale", newsletter=True),
        buy("2026-03-02 10:10:00", 900000, device_type="mobile"),
    ],
    # Citra's age is not a number; her later identify sends no city (null), so Bandung stands.
    "citra": [
        visit("2026-03-03 12:00:00", "Organic Search"),
        identify("2026-03-03 12:01:00", city="Bandung", age="unknown"),
        identify("2026-03-03 12:05:00", city=None),
    ],
    # Dewi never identifies.
    "dewi": [visit("2026-03-05 12:00:00", "Email")],
}


@pytest.fixture(scope="module")
def with_traits(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return build_story(tmp_path_factory.mktemp("traits"), TRAITS_STORY)


def assigned_in(built: Built, personas: list[Persona]) -> dict[str, str]:
    """Every person's persona as `jejak report … --persona` assigns it, by user id."""
    for persona in load_personas(built.project.sqlite_path):
        delete_persona(built.project.sqlite_path, persona.name)
    for persona in personas:
        save_persona(built.project.sqlite_path, persona)
    with open_build(built.project) as opened:
        rows = opened.rows(persona_assignments(opened))
    names = {built.user(name): name for name in TRAITS_STORY}
    return {names[row["person_id"]]: row["persona"] for row in rows}


def persona(name: str, *rules: Any, priority: int = 100) -> Persona:
    return persona_from_document({"name": name, "priority": priority, "rules": list(rules)})


def test_the_build_keeps_each_persons_latest_traits(with_traits: Built) -> None:
    rows = {
        (row["person_id"], row["trait"]): (row["value"], row["number"]) for row in with_traits.rows("person_traits")
    }
    ana, budi, citra = (with_traits.user(name) for name in ("ana", "budi", "citra"))
    assert rows == {
        (ana, "city"): ("Jakarta", None),
        (ana, "age"): ("22", 22.0),
        (budi, "city"): ("Bandung", None),
        (budi, "age"): ("41", 41.0),
        (budi, "plan"): ("wholesale", None),
        (budi, "newsletter"): ("true", None),
        (citra, "city"): ("Bandung", None),
        (citra, "age"): ("unknown", None),
    }


def test_a_rule_on_a_trait_takes_the_people_whose_latest_value_holds(with_traits: Built) -> None:
    # Ana said Bandung first, then Jakarta: only her latest city counts.
    bandung = persona("Bandung", "trait.city == Bandung")
    assert assigned_in(with_traits, [bandung]) == {
        "ana": NO_PERSONA,
        "budi": "Bandung",
        "citra": "Bandung",
        "dewi": NO_PERSONA,
    }
    jakarta = persona("Jakarta", "trait.city == Jakarta")
    assert assigned_in(with_traits, [jakarta])["ana"] == "Jakarta"


def test_a_rule_mixing_a_trait_and_behaviour(with_traits: Built) -> None:
    # Age as a number: Budi's "41" (text) counts, Citra's "unknown" does not match and does not fail.
    cafe = persona("Café owner", "trait.age >= 25", "conversions >= 1", "share_whatsapp >= 0.5")
    older = persona("Older", "trait.age >= 25")
    young = persona("Young", "trait.age < 25", "main_device == mobile")
    assigned = assigned_in(with_traits, [cafe, older, young])
    assert assigned == {"ana": "Young", "budi": "Café owner", "citra": NO_PERSONA, "dewi": NO_PERSONA}
    # As text, a list, and JSON's true.
    text_rules = [
        persona("Plan", {"feature": "trait.plan", "op": "in", "value": ["wholesale", "retail"]}, priority=1),
        persona("Not a number", 'trait.age == "unknown"', priority=2),
    ]
    assert assigned_in(with_traits, text_rules) == {
        "ana": NO_PERSONA,
        "budi": "Plan",
        "citra": "Not a number",
        "dewi": NO_PERSONA,
    }
    assert assigned_in(with_traits, [persona("Subscribed", "trait.newsletter == true")])["budi"] == "Subscribed"


def test_a_rule_on_a_trait_nobody_has_names_the_traits_there_are(with_traits: Built) -> None:
    with pytest.raises(
        SettingError,
        match=r"the trait 'trait\.town', which does not exist\. Features: .*share_social.*"
        r"Traits: trait\.age, trait\.city, trait\.newsletter, trait\.plan\.",
    ):
        assigned_in(with_traits, [persona("Town", "trait.town == Bandung")])
    # An unknown feature stored by an older jejak lists the traits too.
    stored = persona_from_document({"name": "City", "rules": ["city == Bandung"]}, check_rules=False)
    with pytest.raises(SettingError, match=r"the feature 'city'.*Traits: trait\.age, trait\.city"):
        assigned_in(with_traits, [stored])


def test_a_rule_on_traits_without_any_known_says_so() -> None:
    with pytest.raises(SettingError, match=r"'trait\.city', which does not exist.*Traits: none known"):
        assigned([with_fields(RINA, rules=["trait.city == Bandung"])])


def test_a_rule_comparing_text_with_a_number_is_refused_clearly() -> None:
    with pytest.raises(SettingError, match=r"rule 1: 'main_device' is text, compared with 3\. Write text"):
        with_fields(RINA, rules=["main_device >= 3"])
    with pytest.raises(
        SettingError, match=r"rule 1: 'share_social' is a number, compared with \['a'\]\. Write a number"
    ):
        with_fields(RINA, rules=[{"feature": "share_social", "op": "in", "value": ["a"]}])
    # A persona stored by an older jejak that did not check is still refused clearly where people are sorted.
    stored = persona_from_document({"name": "Old", "rules": ["main_device >= 3"]}, check_rules=False)
    with pytest.raises(SettingError, match=r"compares the text feature 'main_device' with 3"):
        assigned([stored])


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        # Each of these was saved, then failed (or silently matched nobody) in every report sorting people.
        ("share_social >= abc", r"'share_social' is a number, compared with 'abc'"),
        ("conversions == true", r"'conversions' is a number, compared with True"),
        ("conversions >= 1 2", r"'conversions' is a number, compared with '1 2'"),
        ("conversions >= 2026-01-01", r"'conversions' is a number, compared with '2026-01-01'"),
        ("conversions >= .nan", r"nan is no number a feature holds"),
        ("trait.age >= -.inf", r"-inf is no number a feature holds"),
        ("conversions >= 99999999999999999999999", r"99999999999999999999999 is no number a feature holds"),
        ("conversions == null", r"None is no value a rule compares"),
        ("trait.city in [Bandung, ~]", r"None is no value a rule compares"),
        ("conversions === 1", r"is not `feature op value` with one op"),
        ("first_channel in []", r"`in` needs at least one value"),
        ({"feature": "conversions", "op": ">=", "value": [1, 2]}, r"\[1, 2\] is no value a rule compares"),
        ({"feature": "conversions", "op": "in", "value": [[1]]}, r"\[1\] is no value a rule compares"),
        ({"feature": "trait.city", "op": "==", "value": {"a": 1}}, r"\{'a': 1\} is no value a rule compares"),
        ({"feature": "trait.city", "op": "==", "value": b"hello"}, r"b'hello' is no value a rule compares"),
        ({"feature": 3, "op": "==", "value": 3}, r"uses 3, which is no feature"),
    ],
)
def test_a_rule_that_can_hold_for_nobody_is_refused_when_written(rule: Any, message: str) -> None:
    with pytest.raises(SettingError, match=r"persona 'P' rule 1.*" + message):
        persona("P", rule)


def test_yaml_binary_in_a_rule_is_refused_not_a_bug() -> None:
    # YAML's !!binary reads as bytes, which saving as JSON stopped on as a bug.
    with pytest.raises(SettingError, match=r"rule 1: b'hello' is no value a rule compares"):
        personas_from_yaml("- {name: P, rules: [{feature: trait.city, op: '==', value: !!binary aGVsbG8=}]}")
