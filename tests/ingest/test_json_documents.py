"""JSON files that are not JSON Lines: an array of messages, a Segment batch, pretty-printed values, and a JSON
object that holds no events (`ingest.jsondocs`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import lake_events, make_project, quarantined

from jejak.core.errors import InputFileError
from jejak.ingest.importer import import_file
from jejak.store.project import Project

MESSAGES: list[dict[str, Any]] = [
    {
        "type": "page",
        "messageId": "m-1",
        "anonymousId": "anon-1",
        "timestamp": "2026-03-01T09:00:00+07:00",
        "context": {"page": {"url": "https://kopi.example/?utm_source=instagram&utm_medium=paid_social"}},
    },
    {
        "type": "identify",
        "messageId": "m-2",
        "anonymousId": "anon-1",
        "userId": "ana",
        "timestamp": "2026-03-01T09:01:00+07:00",
    },
    {
        "type": "track",
        "messageId": "m-3",
        "userId": "ana",
        "event": "Order Completed",
        "timestamp": "2026-03-01T09:05:00+07:00",
        "properties": {"revenue": 185000, "currency": "IDR"},
    },
]
# What a stored event is, whichever way its file was laid out (the source file and line differ).
KEPT = ("event_id", "type", "event", "user_id", "anonymous_id", "timestamp", "source", "medium", "revenue")


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return make_project(tmp_path / "p")


def _stored(project: Project) -> list[tuple[Any, ...]]:
    return sorted(tuple(event[column] for column in KEPT) for event in lake_events(project))


def _as_json_lines(tmp_path: Path) -> list[tuple[Any, ...]]:
    """The messages stored from a JSON Lines file, in a project of their own."""
    alone = make_project(tmp_path / "lines")
    lines = tmp_path / "lines.jsonl"
    lines.write_text("".join(json.dumps(message) + "\n" for message in MESSAGES), encoding="utf-8")
    summary = import_file(alone, lines)
    assert summary.rows_stored == len(MESSAGES)
    return _stored(alone)


@pytest.mark.parametrize(
    "text",
    [
        json.dumps(MESSAGES),
        json.dumps(MESSAGES, indent=2),
        "\n".join(json.dumps(message, indent=2) for message in MESSAGES) + "\n",  # `jq '.[]'` without -c
    ],
    ids=["array-on-one-line", "pretty-printed-array", "pretty-printed-values"],
)
def test_messages_laid_out_over_lines_are_stored_as_from_json_lines(
    project: Project, tmp_path: Path, text: str
) -> None:
    # Before, each line was read as a message: every line of the pretty-printed files was quarantined as bad_json,
    # and the array on one line was one bad row.
    path = tmp_path / "events.json"
    path.write_text(text, encoding="utf-8")
    summary = import_file(project, path)
    assert (summary.rows_read, summary.rows_stored, summary.rows_quarantined) == (3, 3, 0)
    assert _stored(project) == _as_json_lines(tmp_path)
    again = import_file(project, path)
    assert (again.rows_stored, again.duplicates_skipped) == (0, 3)


def test_a_segment_batch_is_its_messages_with_the_batchs_context(project: Project, tmp_path: Path) -> None:
    shared = {"campaign": {"source": "newsletter", "medium": "email"}, "device": {"type": "mobile"}}
    own = {**MESSAGES[0], "context": {"device": {"type": "desktop"}}}  # its own context wins over the batch's
    batch = {"batch": [own, *MESSAGES[1:]], "context": shared, "sentAt": "2026-03-01T09:06:00+07:00"}
    path = tmp_path / "batch.json"
    path.write_text(json.dumps(batch, indent=2), encoding="utf-8")
    summary = import_file(project, path)
    assert (summary.rows_stored, summary.rows_quarantined) == (3, 0)
    by_id = {event["event_id"]: event for event in lake_events(project)}
    assert [by_id[f"m-{n}"]["source"] for n in (1, 2, 3)] == ["newsletter"] * 3
    assert [by_id[f"m-{n}"]["device_type"] for n in (1, 2, 3)] == ["desktop", "mobile", "mobile"]


def test_segment_batches_as_sent_one_a_line_are_their_messages(project: Project, tmp_path: Path) -> None:
    # A server's log of the batches it sent, compact, one a line: each line was one message without a type.
    first = {"batch": MESSAGES[:2], "context": {"campaign": {"source": "newsletter", "medium": "email"}}}
    second = {"batch": MESSAGES[2:]}
    path = tmp_path / "batches.jsonl"
    path.write_text(json.dumps(first) + "\n" + json.dumps(second) + "\n", encoding="utf-8")
    summary = import_file(project, path)
    assert (summary.rows_stored, summary.rows_quarantined) == (3, 0)
    by_id = {event["event_id"]: event for event in lake_events(project)}
    assert [by_id[f"m-{n}"]["source"] for n in (1, 2, 3)] == ["newsletter", "newsletter", None]


@pytest.mark.parametrize("indent", [2, None], ids=["pretty-printed", "on-one-line"])
def test_a_json_object_that_holds_no_events_is_refused_and_nothing_is_kept(
    project: Project, tmp_path: Path, indent: int | None
) -> None:
    # A results or settings file picked up with a folder's files: its ~20 lines were 20 quarantined rows.
    path = tmp_path / "params.json"
    path.write_text(json.dumps({"generator": "jejak.synth", "seed": 7, "personas": {"a": 0.3}}, indent=indent))
    with pytest.raises(InputFileError) as refused:
        import_file(project, path)
    message = str(refused.value)
    assert "params.json is one JSON object (keys: generator, seed, personas), not events" in message
    assert "JSON array of messages" in message
    assert lake_events(project) == [] and quarantined(project) == []


def test_json_lines_whose_first_line_is_broken_are_still_read_line_by_line(project: Project, tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    lines = ['{"type": "page", "messageId": "m-0", "anonymousId": "anon-0", "timestamp": "2026-03-01T08:00:00+07:00"']
    path.write_text("\n".join(lines + [json.dumps(message) for message in MESSAGES]) + "\n", encoding="utf-8")
    summary = import_file(project, path)
    assert (summary.rows_read, summary.rows_stored, summary.rows_quarantined) == (4, 3, 1)
    [bad] = quarantined(project)
    assert (bad["reason"], bad["source_line"]) == ("bad_json", 1)


def test_a_broken_element_is_quarantined_and_the_elements_after_it_are_stored(project: Project, tmp_path: Path) -> None:
    texts = [json.dumps(message, indent=2) for message in MESSAGES]
    texts[1] = texts[1].replace('"userId": "ana"', '"userId": ana')  # edited by hand
    path = tmp_path / "events.json"
    path.write_text("[\n" + ",\n".join(texts) + "\n]\n", encoding="utf-8")
    summary = import_file(project, path)
    assert (summary.rows_read, summary.rows_stored, summary.rows_quarantined) == (3, 2, 1)
    [bad] = quarantined(project)
    assert bad["reason"] == "bad_json" and '"m-2"' in bad["raw"] and '"m-3"' not in bad["raw"]
    assert sorted(event["event_id"] for event in lake_events(project)) == ["m-1", "m-3"]
