"""`jejak persona discover` on a built project: groups in words, drafts adopted, and numbers the data cannot have."""

from __future__ import annotations

import json
import re
import shlex
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import build_demo, build_story, visit

from jejak.cli.main import cli
from jejak.engine import connect
from jejak.segments.discovery import Discovery, discover_personas
from jejak.segments.features import person_features
from jejak.segments.personas import Persona, save_persona
from jejak.service.personas import people_per_persona
from jejak.store.derived import table_path
from jejak.store.project import Project, init_project

CLUSTERS = 4


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Project:
    project, _ = build_demo(tmp_path_factory.mktemp("discover"), events=20_000, seed=3, file_format="parquet")
    return project


@pytest.fixture(scope="module")
def expected(demo: Project) -> Discovery:
    """What the library finds on the same build with the command's default seed."""
    engine = connect()
    try:
        people, sessions, conversions = (
            engine.read_parquet(table_path(demo, name)) for name in ("people", "sessions", "conversions")
        )
        features = engine.to_pyarrow(person_features(people, sessions, conversions))
    finally:
        engine.close()
    return discover_personas(features, clusters=CLUSTERS)


def discover(project: Project, *options: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["persona", "discover", *options, "--project", str(project.root)])
    return result.exit_code, result.output


def words(text: str) -> str:
    """The text with every run of spaces and line breaks as one space: the console wraps long lines."""
    return " ".join(text.split())


def listed(project: Project) -> list[dict[str, object]]:
    result = CliRunner().invoke(cli, ["persona", "list", "--format", "json", "--project", str(project.root)])
    assert result.exit_code == 0, result.output
    rows: list[dict[str, object]] = json.loads(result.stdout)
    return rows


def test_discover_names_each_group_with_its_size_and_traits(demo: Project, expected: Discovery) -> None:
    code, output = discover(demo, "--clusters", str(CLUSTERS))
    assert code == 0, output
    headings = re.findall(r"^(\d+)\. (.+) — ([\d,]+) people \((\d+) %\)$", output, flags=re.MULTILINE)
    assert headings == [
        (str(c.number), c.draft.name, f"{c.size:,}", f"{c.share:.0%}".removesuffix("%")) for c in expected.clusters
    ]
    assert sum(int(size.replace(",", "")) for _, _, size, _ in headings) == len(expected.labels)
    for cluster in expected.clusters:
        for trait in cluster.traits[:5]:
            assert f"• {words(trait)}" in words(output)
    # Nothing is saved without --adopt.
    assert listed(demo) == []


def test_discover_says_how_to_keep_the_groups_it_found(tmp_path: Path, demo: Project) -> None:
    # Left to choose the number of groups, it ends with the command that saves these same groups.
    code, output = discover(demo, "--seed", "7")
    assert code == 0, output
    printed = re.findall(r"^\d+\. (.+) — [\d,]+ people", output, flags=re.MULTILINE)
    hint = re.search(r"^Nothing is saved\. To keep these groups as draft personas: (.+)$", output, flags=re.MULTILINE)
    assert hint, output
    words_of_hint = shlex.split(hint.group(1))
    chosen = re.match(r"(\d+) groups: the highest silhouette score", output)
    assert chosen, output
    assert words_of_hint[:8] == [
        "jejak",
        "persona",
        "discover",
        "--clusters",
        chosen.group(1),
        "--seed",
        "7",
        "--adopt",
    ]
    assert words_of_hint[-2:] == ["--project", str(demo.root)]
    # Pasted into a copy of the project (the other tests see none saved in the demo's), it keeps those groups.
    project = tmp_path / "copy"
    shutil.copytree(demo.root, project, symlinks=True)
    result = CliRunner().invoke(cli, [*words_of_hint[1:-1], str(project)])
    assert result.exit_code == 0, result.output
    kept = Project(root=project, config=demo.config, settings=demo.settings)
    assert [row["name"] for row in listed(kept)] == printed
    assert listed(demo) == []


def test_persona_list_with_none_says_how_to_make_one(tmp_path: Path) -> None:
    project = init_project(tmp_path / "empty")
    result = CliRunner().invoke(cli, ["persona", "list", "--project", str(project.root)])
    assert result.exit_code == 0, result.output
    assert "No personas yet" in result.output and "jejak persona discover" in result.output
    assert listed(project) == []


def test_adopt_saves_every_group_as_a_draft_that_persona_list_shows(
    tmp_path: Path, demo: Project, expected: Discovery
) -> None:
    # On a copy of the project, so that the other tests see no personas; one name is already a persona someone wrote.
    project = Project(root=tmp_path / "copy", config=demo.config, settings=demo.settings)
    shutil.copytree(demo.root, project.root, symlinks=True)
    written = expected.clusters[0].draft.name
    save_persona(project.sqlite_path, Persona(name=written, description="Written by hand."))
    code, output = discover(project, "--clusters", str(CLUSTERS), "--adopt")
    assert code == 0, output
    assert f"Saved {CLUSTERS} draft personas" in output
    rows = {row["name"]: row for row in listed(project)}
    drafts = {name: row for name, row in rows.items() if row["origin"] == "discovered"}
    # The first group's draft does not replace the persona with its name: it is saved under its number.
    assert sorted(drafts) == sorted([f"{written} (1)", *(c.draft.name for c in expected.clusters[1:])])
    assert rows[written]["origin"] == "manual" and rows[written]["description"] == "Written by hand."
    for cluster in expected.clusters[1:]:
        row = drafts[cluster.draft.name]
        assert row["priority"] == 100 + cluster.number
        assert row["description"] == cluster.draft.description
        # Each draft carries the rules suggested for its group, so it takes people at once.
        suggested = cluster.draft.suggested
        assert suggested and suggested.rules and suggested.recall >= 0.5 and suggested.precision >= 0.8, suggested
        assert row["rules"] == " and ".join(str(rule) for rule in suggested.rules)
    # The first draft goes first (the persona written by hand has no rules): on the engine, its rules take the people
    # the suggestion counted in numpy, and the command printed how many.
    first = expected.clusters[0].draft.suggested
    assert first is not None
    assert people_per_persona(project)[f"{written} (1)"] == first.people
    assert f"take {first.people:,} people: {first.recall:.0%}".replace("%", " %") in words(output)
    # Adopting again replaces the drafts rather than adding more.
    assert discover(project, "--clusters", str(CLUSTERS), "--adopt")[0] == 0
    assert len(listed(project)) == len(rows)


def test_more_groups_than_people_is_a_clear_error(tmp_path: Path) -> None:
    built = build_story(
        tmp_path,
        {
            "ana": [visit("2026-03-01 09:00:00", "Paid Social", device_type="mobile")],
            "budi": [visit("2026-03-02 09:00:00", "WhatsApp", device_type="mobile")],
            "citra": [visit("2026-03-03 09:00:00", "Email", device_type="desktop")],
        },
    )
    code, output = discover(built.project, "--clusters", "5")
    assert code == 1, output
    assert "clusters must be between 1 and the 3 people with different behaviour (not 5)" in words(output)
    assert "Traceback" not in output
    # Left to choose, it compares the counts the data can have and says which it took.
    code, output = discover(built.project)
    assert code == 0, output
    assert words(output).startswith("2 groups: the highest silhouette score of 2 to 2 groups")
