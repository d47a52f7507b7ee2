"""Feedback: survey scores and comments from events, on one feeling scale, tied to the person and the stage.

Feedback arrives as events like any other (`jejak import` of a CSV or JSON Lines file,
or the collector): an event named in the `feedback_events` setting, with `score`
and/or `comment` in its properties, and optionally `survey` (`nps`, `csat`, …) and
`language`. Scores become a feeling from −2 to +2, the journey map's scale:
NPS (0–10) as (score − 5) / 2.5, and 1–5 ratings (CSAT, reviews) as score − 3. A
score above 5 without a survey name is read as 0–10. Rows with neither a usable
score nor a comment are not feedback and are left out.
"""

from __future__ import annotations

from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from jejak.core.jsontext import loads

FEEDBACK_SCHEMA = pa.schema(
    [
        ("feedback_event_id", pa.string()),
        ("survey", pa.string()),
        ("score", pa.float64()),
        ("feeling", pa.float64()),
        ("comment", pa.string()),
        ("language", pa.string()),
    ]
)
TEN_POINT_SURVEYS = ("nps",)


def feeling(score: float, survey: str | None) -> float | None:
    """A score on the −2…+2 feeling scale, or None when it fits no known scale.

    Example:
        >>> feeling(10, "nps"), feeling(5, "nps"), feeling(1, "csat"), feeling(4, None), feeling(8, None)
        (2.0, 0.0, -2.0, 1.0, 1.2)
    """
    ten_point = (survey or "").lower() in TEN_POINT_SURVEYS or (survey is None and score > 5)
    if ten_point:
        return (score - 5) / 2.5 if 0 <= score <= 10 else None
    return float(score - 3) if 1 <= score <= 5 else None


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.replace(",", "."))
        except ValueError:
            return None
    return None


def parse_feedback(rows: pa.Table) -> pa.Table:
    """Feedback from (event_id, properties JSON) rows: survey, score, feeling, comment, language."""
    parsed = []
    for event_id, text in zip(rows.column("event_id").to_pylist(), rows.column("properties").to_pylist(), strict=True):
        try:
            properties = loads(text) if text else {}
        except ValueError:  # no JSON, or nested too deeply to read
            continue
        if not isinstance(properties, dict):
            continue
        survey = properties.get("survey")
        survey = str(survey) if survey is not None else None
        score = _number(properties.get("score", properties.get("rating")))
        felt = feeling(score, survey) if score is not None else None
        comment = properties.get("comment", properties.get("review"))
        comment = str(comment).strip() if comment not in (None, "") else None
        if felt is None and comment is None:
            continue
        language = properties.get("language")
        parsed.append(
            {
                "feedback_event_id": event_id,
                "survey": survey,
                "score": score if felt is not None else None,
                "feeling": felt,
                "comment": comment,
                "language": str(language) if language is not None else None,
            }
        )
    return pa.Table.from_pylist(parsed, schema=FEEDBACK_SCHEMA)


def feedback_table(parsed: ir.Table, stream: ir.Table) -> ir.Table:
    """Feedback with its person, time, event name, session channel and stage.

    The stage is where the person was when they answered: the stage of the feedback
    event itself if a rule gives it one, else of their latest staged interaction before it.
    """
    joined = parsed.join(stream, parsed.feedback_event_id == stream.event_id)
    earlier = stream.filter(stream.stage.notnull()).select(
        _person_id=stream.person_id, _position=stream.position, _stage=stream.stage
    )
    before = joined.join(earlier, (joined.person_id == earlier._person_id) & (earlier._position < joined.position))
    latest = before.group_by(_event_id=before.event_id).aggregate(_before=before._stage.argmax(before._position))
    joined = joined.left_join(latest, joined.event_id == latest._event_id)
    joined = joined.mutate(stage=ibis.coalesce(joined.stage, joined._before))
    return joined.select(
        event_id=joined.feedback_event_id,
        person_id=joined.person_id,
        timestamp=joined.timestamp,
        event=joined.event,
        channel=joined.channel,
        stage=joined.stage,
        survey=joined.survey,
        score=joined.score,
        feeling=joined.feeling,
        comment=joined.comment,
        language=joined.language,
    )
