"""Feedback: survey events become scores on one feeling scale, with their person and stage."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pytest
from conftest import Built, build_story, buy

from jejak.segments.feedback import parse_feedback


def survey(at: str, **answers: Any) -> dict[str, Any]:
    return {"at": at, "type": "track", "event": "Survey Answered", **answers}


STORY: dict[str, list[dict[str, Any]]] = {
    # Ana buys, then rates the delivery 2 of 5 with a complaint: she answers in Decision, where her purchase put her.
    "ana": [buy("2026-03-01 10:00", 100000), survey("2026-03-04 10:00", survey="csat", score=2, comment="Pengiriman lambat")],
    # Budi would recommend the shop: 9 of 10.
    "budi": [survey("2026-03-05 10:00", survey="nps", score=9, comment="Kopinya enak")],
    # Citra opens the survey and sends nothing; then writes a comment with a score that is not a number.
    "citra": [survey("2026-03-06 10:00"), survey("2026-03-06 10:05", score="lumayan", comment="Harga agak mahal")],
}  # fmt: skip


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return build_story(tmp_path_factory.mktemp("feedback"), STORY)


def test_feedback_has_its_person_stage_and_feeling(built: Built) -> None:
    rows = {row["person_id"]: row for row in built.rows("feedback")}
    assert set(rows) == {built.user("ana"), built.user("budi"), built.user("citra")}
    ana = rows[built.user("ana")]
    assert (ana["survey"], ana["score"], ana["feeling"], ana["comment"], ana["stage"]) == (
        "csat",
        2.0,
        -1.0,
        "Pengiriman lambat",
        "Decision",
    )
    # Budi did nothing else: his answer has no stage.
    assert (rows[built.user("budi")]["feeling"], rows[built.user("budi")]["stage"]) == (pytest.approx(1.6), None)
    citra = rows[built.user("citra")]
    assert (citra["score"], citra["feeling"], citra["comment"]) == (None, None, "Harga agak mahal")


def test_rows_that_are_not_feedback_are_left_out() -> None:
    rows = pa.table(
        {
            "event_id": ["a", "b", "c", "d"],
            "properties": ['{"score": 11, "survey": "nps"}', "not json", "[1, 2]", '{"rating": 5}'],
        }
    )
    parsed = parse_feedback(rows).to_pylist()
    assert [(row["feedback_event_id"], row["feeling"]) for row in parsed] == [("d", 2.0)]
