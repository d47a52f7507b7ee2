"""Persona documents against the last build: people per persona, rules checked, discovery and adopting a cluster.

The CLI (`jejak persona …`) and the dashboard's Personas page call the same functions.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from jejak.segments.discovery import Cluster, Discovery, discover_personas
from jejak.segments.features import person_features
from jejak.segments.personas import (
    Condition,
    Persona,
    assign_personas,
    load_personas,
    persona_from_document,
    save_persona,
)
from jejak.segments.suggested_rules import SuggestedRules
from jejak.service.builds import open_build, person_traits, persona_assignments
from jejak.store.project import Project

DISCOVERED_PRIORITY = 100  # a discovered draft goes after the personas people wrote: 101, 102, …


def people_per_persona(project: Project) -> dict[str, int]:
    """How many people each persona's rules take on the last build (every persona, 0 when none; and "(no persona)")."""
    with open_build(project) as built:
        assigned = persona_assignments(built)
        counts = built.rows(assigned.group_by("persona").aggregate(people=assigned.count()))
    found = {str(row["persona"]): int(row["people"]) for row in counts}
    names = [persona.name for persona in load_personas(project.sqlite_path)]
    return {**dict.fromkeys(names, 0), **found}


def check_rules(project: Project, personas: Sequence[Persona]) -> None:
    """A SettingError naming the problem when a rule uses a feature or trait the last build lacks, or a wrong kind.

    Nothing runs: building the assignment is what checks every rule (`segments.personas.assign_personas`).
    """
    with open_build(project) as built:
        features = person_features(built.read("people"), built.read("sessions"), built.read("conversions"))
        assign_personas(features, personas, person_traits(built))


def rule_line(condition: Condition) -> str:
    """A rule as the one line `persona_from_document` reads back as the same rule (values written as JSON)."""
    return f"{condition.feature} {condition.op} {json.dumps(condition.value, ensure_ascii=False)}"


def suggested_text(suggested: SuggestedRules) -> str:
    """Rules suggested for a group, and how well they take it, in one line.

    Example:
        >>> found = SuggestedRules((Condition("share_whatsapp", ">=", 0.5),), people=1165, precision=0.853, recall=0.7)
        >>> suggested_text(found)
        'share_whatsapp >= 0.5 — take 1,165 people: 70 % of the group, and 85 % of them are in it'
    """
    rules = " and ".join(rule_line(rule) for rule in suggested.rules)
    people = f"{suggested.people:,} {'person' if suggested.people == 1 else 'people'}"
    return (
        f"{rules} — take {people}: {suggested.recall * 100:.0f} % of the group, and "
        f"{suggested.precision * 100:.0f} % of them are in it"
    )


def discover_clusters(project: Project, *, clusters: int | None = None, seed: int = 0) -> Discovery:
    """Groups of people by behaviour on the last build (k-means; see `segments.discovery`)."""
    with open_build(project) as built:
        features = built.engine.to_pyarrow(
            person_features(built.read("people"), built.read("sessions"), built.read("conversions"))
        )
    return discover_personas(features, clusters=clusters, seed=seed)


def draft_document(cluster: Cluster) -> dict[str, Any]:
    """A discovered cluster's draft as a persona document (origin `discovered`), with the rules suggested for its
    people (`segments.suggested_rules`), ready to save and edit."""
    draft = cluster.draft
    return {
        "name": draft.name,
        "priority": DISCOVERED_PRIORITY + cluster.number,
        "description": draft.description,
        "goals": list(draft.goals),
        "motivations": list(draft.motivations),
        "needs": list(draft.needs),
        "frustrations": list(draft.frustrations),
        "rules": [rule_line(rule) for rule in draft.suggested.rules],
        "origin": "discovered",
    }


def adopt_draft(project: Project, document: dict[str, Any]) -> Persona:
    """Save a draft document as a persona (origin `discovered`), replacing one of the same name."""
    persona = persona_from_document({**document, "origin": "discovered"}, "the draft persona")
    save_persona(project.sqlite_path, persona)
    return persona
