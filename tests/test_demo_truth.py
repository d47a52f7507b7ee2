"""End to end on the generated demo data: import + build recover the generator's planted truth exactly."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from conftest import build_demo

from jejak.ingest.importer import quarantine_counts
from jejak.store.derived import table_path
from jejak.store.project import Project


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Project, Path]:
    return build_demo(tmp_path_factory.mktemp("demo"), events=30_000, seed=5, file_format="mixed")


def _table(project: Project, name: str) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = pq.read_table(table_path(project, name)).to_pylist()
    return rows


def test_one_person_per_true_person(demo: tuple[Project, Path]) -> None:
    project, truth = demo
    true_people = pq.read_table(truth / "people.parquet").num_rows
    assert len(_table(project, "people")) == true_people


def test_paths_equal_the_planted_journeys(demo: tuple[Project, Path]) -> None:
    project, truth = demo
    planted = Counter((row["path"], row["converted"]) for row in pq.read_table(truth / "journeys.parquet").to_pylist())
    built = Counter((row["path_text"], row["converted"]) for row in _table(project, "journeys"))
    assert built == planted


def test_revenue_reconciles_with_the_planted_orders(demo: tuple[Project, Path]) -> None:
    project, truth = demo
    planted = sum(float(r["revenue"]) for r in pq.read_table(truth / "journeys.parquet").to_pylist())
    built_paths = sum(float(r["revenue"]) for r in _table(project, "paths"))
    assert built_paths == pytest.approx(planted)


def test_every_planted_refund_is_subtracted_with_the_amounts_planted(demo: tuple[Project, Path]) -> None:
    project, truth = demo
    planted = json.loads((truth / "params.json").read_text())["refunds"]
    refunds = _table(project, "refunds")
    assert [row["outcome"] for row in refunds] == ["subtracted"] * planted["refunds"] and refunds
    conversions = _table(project, "conversions")
    assert sum(float(str(row["refunded_revenue"])) for row in conversions) == planted["refunded_revenue"]
    journeys = pq.read_table(truth / "journeys.parquet").to_pylist()
    assert Counter(row["refunded_revenue"] for row in journeys if row["refunded_revenue"]) == Counter(
        float(str(row["refunded_revenue"])) for row in conversions if row["refunded_revenue"]
    )


def test_the_over_shared_phone_is_refused_and_reported(demo: tuple[Project, Path]) -> None:
    project, _ = demo
    shared = _table(project, "shared_identifiers")
    assert any(row["kind"] == "phone" and int(str(row["user_ids"])) >= 20 for row in shared)


def test_quarantine_matches_the_planted_bad_rows(demo: tuple[Project, Path]) -> None:
    project, truth = demo
    expected = json.loads((truth / "params.json").read_text())["quarantine_expected"]
    assert quarantine_counts(project) == {k: v for k, v in sorted(expected.items()) if v}


def test_the_journey_map_finds_the_planted_pain_points_and_fills_every_lane(demo: tuple[Project, Path]) -> None:
    from jejak.cli.maps import journey_map_of

    project, truth = demo
    params = json.loads((truth / "params.json").read_text(encoding="utf-8"))
    journey = journey_map_of(project, None, None, None)
    pains = [item for column in journey.stages for item in column.pain_points]
    planted_drop = params["funnel"]["largest_drop_off"]
    assert any(
        item.evidence.get("from") == planted_drop["from"] and item.evidence.get("to") == planted_drop["to"]
        for item in pains
    ), [item.text for item in pains]
    # The page the generator makes bounce (the flash sale) is the highest-bounce pain point.
    planted_page = next(page for page in params["bounce"]["planted_probability"] if page.startswith("/"))
    bounced = [item.evidence["page"] for item in pains if "page" in item.evidence]
    assert bounced and bounced[0] == planted_page
    for lane in ("actions", "touchpoints", "thoughts", "pain_points", "opportunities"):
        assert any(getattr(column, lane) for column in journey.stages), lane
    assert all(column.kpis["people"] for column in journey.stages)
    assert sum(column.feeling is not None for column in journey.stages) >= 3


def test_the_demo_writes_a_map_for_everyone_and_each_persona(demo: tuple[Project, Path], tmp_path: Path) -> None:
    from jejak.cli.main import write_demo_maps

    project, _ = demo
    written = write_demo_maps(project, tmp_path / "maps")
    assert len(written) == 6 and written["everyone"].name == "everyone.html"
    people = {}
    for name, path in written.items():
        page = path.read_text(encoding="utf-8")
        assert "Customer journey map" in page and 'data-lane="pain_points"' in page
        people[name] = int(page.split('<div class="sub">')[1].split(" ")[0].replace(",", ""))
    # Every demo persona finds people, and no persona finds more than everyone.
    assert all(count > 0 for count in people.values()), people
    assert max(count for name, count in people.items() if name != "everyone") < people["everyone"]
