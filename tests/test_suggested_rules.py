"""Rules suggested for a discovered group: planted rules are found, and the engine takes the people they counted."""

from __future__ import annotations

from typing import Any

import ibis
import numpy as np
import pyarrow as pa
import pytest

from jejak.engine import connect
from jejak.segments import suggested_rules
from jejak.segments.features import NUMERIC_FEATURES
from jejak.segments.personas import Persona, assign_personas
from jejak.segments.suggested_rules import SuggestedRules, suggest_rules

PEOPLE = 3000


def planted(seed: int = 5) -> tuple[pa.Table, np.ndarray]:
    """People whose group is `start_share_whatsapp >= 0.5 and main_device == mobile`: a third chat on their phones,
    a third chat on a computer, and a third barely chat on their phones; every other feature is noise."""
    rng = np.random.default_rng(seed)
    kind = np.arange(PEOPLE) % 3
    columns: dict[str, Any] = {name: rng.random(PEOPLE) for name in NUMERIC_FEATURES}
    columns["sessions"] = rng.integers(1, 20, PEOPLE)
    columns["start_share_whatsapp"] = np.where(kind < 2, rng.uniform(0.6, 1.0, PEOPLE), rng.uniform(0.0, 0.3, PEOPLE))
    devices = np.where(kind == 1, "desktop", "mobile")
    table = pa.table(
        {
            "person_id": [f"p{i:05d}" for i in range(PEOPLE)],
            **columns,
            "first_channel": rng.choice(["WhatsApp", "Email", "Direct"], PEOPLE),
            "main_device": devices,
        }
    )
    return table, kind == 0


def taken_on_the_engine(table: pa.Table, found: SuggestedRules) -> int:
    engine = connect()
    try:
        assigned = assign_personas(ibis.memtable(table), [Persona(name="group", rules=found.rules)])
        counted = engine.to_pyarrow(assigned.filter(assigned.persona == "group").count()).as_py()
    finally:
        engine.close()
    return int(counted)


def test_the_planted_rules_are_found_and_take_exactly_the_group() -> None:
    table, members = planted()
    found = suggest_rules(table, members)
    assert {rule.feature for rule in found.rules} == {"start_share_whatsapp", "main_device"}
    device = next(rule for rule in found.rules if rule.feature == "main_device")
    assert (device.op, device.value) == ("==", "mobile")
    share = next(rule for rule in found.rules if rule.feature == "start_share_whatsapp")
    assert share.op == ">=" and 0.3 < share.value <= 0.6
    assert (found.precision, found.recall, found.people) == (1.0, 1.0, int(members.sum()))
    # Persona rules run on the engine: the same people as the suggestion counted.
    assert taken_on_the_engine(table, found) == found.people


def test_past_the_sample_the_rules_are_searched_on_it_and_counted_on_everyone(monkeypatch: pytest.MonkeyPatch) -> None:
    table, members = planted(seed=9)
    # A group with strays: a tenth of it chats on a computer, which no conjunction of tests can take with the rest.
    members = members | (np.arange(PEOPLE) % 30 == 1)
    monkeypatch.setattr(suggested_rules, "SEARCH_SAMPLE_SIZE", 400)
    found = suggest_rules(table, members, seed=3)
    assert found.rules
    holds = np.ones(PEOPLE, dtype=bool)
    for rule in found.rules:
        values = np.asarray(table.column(rule.feature).to_pylist())
        holds &= {"==": values == rule.value, ">=": values >= rule.value, "<=": values <= rule.value}[rule.op]
    both = int((holds & members).sum())
    assert found.people == int(holds.sum()) == taken_on_the_engine(table, found)
    assert found.precision == both / found.people and found.recall == both / int(members.sum())
    assert found.recall < 1.0 and found.precision > 0.9


def test_a_test_that_adds_too_little_is_left_out() -> None:
    table, members = planted()
    # Only the chat share tells this group apart: one test, not a second one that scores almost nothing more.
    members = table.column("start_share_whatsapp").to_numpy() >= 0.5
    found = suggest_rules(table, members)
    assert [(rule.feature, rule.op) for rule in found.rules] == [("start_share_whatsapp", ">=")]
    assert found.precision == found.recall == 1.0


@pytest.mark.parametrize(
    ("feature", "value", "written"),
    [
        ("share_social", 0.437, 0.45),
        ("start_share_print", 0.02, 0.0),
        ("conversions", 2.5, 2),
        ("recency_days", 40.4, 40),
        ("average_order_value", 183_456.0, 180_000),
        ("revenue", 0.4, 0.4),
        ("sessions_per_30_days", 1.26, 1.3),
    ],
)
def test_thresholds_are_written_as_a_person_would(feature: str, value: float, written: float) -> None:
    assert suggested_rules.nice_value(feature, value) == written
