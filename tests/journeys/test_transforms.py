"""Path transforms, each on hand-written paths with the exact path it must give."""

from __future__ import annotations

from collections.abc import Iterator

import ibis
import pyarrow as pa
import pytest

from jejak.core.errors import SettingError
from jejak.engine import Engine, connect
from jejak.journeys.transforms import apply_transform

# Four journeys, touches in time order (A and B are any channels).
JOURNEYS = {
    ("ana", 1): ["A", "A", "B", "Direct", "A", "Direct"],
    ("ana", 2): ["Direct", "Direct"],
    ("budi", 1): ["A", "Direct", "Direct"],
    ("cici", 1): ["Direct", "B", "B"],
}


def touch_rows() -> pa.Table:
    rows = []
    for (person, index), channels in JOURNEYS.items():
        for position, channel in enumerate(channels):
            rows.append(
                {
                    "person_id": person,
                    "journey_index": index,
                    "epoch_seconds": 1_000_000 * index + 600 * position,
                    "session_id": f"{person}#{index}.{position}",
                    "channel": channel,
                }
            )
    # Stored out of order: the transform must order by time, not by row position.
    return pa.Table.from_pylist(rows[::-1])


@pytest.fixture(scope="module")
def engine() -> Iterator[Engine]:
    engine = connect()
    yield engine
    engine.close()


def paths(engine: Engine, transform: str, *, channel: str = "Direct", max_touches: int = 0) -> dict[str, str]:
    result = apply_transform(ibis.memtable(touch_rows()), transform, channel=channel, max_touches=max_touches)
    rows = sorted(
        engine.to_pyarrow(result).to_pylist(), key=lambda r: (r["person_id"], r["journey_index"], r["epoch_seconds"])
    )
    out: dict[str, list[str]] = {f"{person} {index}": [] for person, index in JOURNEYS}
    for row in rows:
        out[f"{row['person_id']} {row['journey_index']}"].append(row["path_channel"])
    return {key: " > ".join(value) for key, value in out.items()}


EXPECTED = {
    "unique": {
        "ana 1": "A > A > B > Direct > A > Direct",
        "ana 2": "Direct > Direct",
        "budi 1": "A > Direct > Direct",
        "cici 1": "Direct > B > B",
    },
    "exposure": {
        "ana 1": "A > B > Direct > A > Direct",
        "ana 2": "Direct",
        "budi 1": "A > Direct",
        "cici 1": "Direct > B",
    },
    "first": {
        "ana 1": "A > B > Direct",
        "ana 2": "Direct",
        "budi 1": "A > Direct",
        "cici 1": "Direct > B",
    },
    "frequency": {
        "ana 1": "A(3) > B(1) > Direct(2)",
        "ana 2": "Direct(2)",
        "budi 1": "A(1) > Direct(2)",
        "cici 1": "Direct(1) > B(2)",
    },
    "remove_if_not_all": {
        "ana 1": "A > A > B > A",
        "ana 2": "Direct > Direct",  # only Direct: kept
        "budi 1": "A",
        "cici 1": "B > B",
    },
    "remove_if_last_and_not_all": {
        "ana 1": "A > A > B > Direct > A",  # only the trailing Direct goes
        "ana 2": "Direct > Direct",
        "budi 1": "A",  # the whole trailing run of Direct goes
        "cici 1": "Direct > B > B",  # Direct first is kept
    },
}


@pytest.mark.parametrize("transform", EXPECTED)
def test_each_transform_gives_the_documented_path(engine: Engine, transform: str) -> None:
    assert paths(engine, transform) == EXPECTED[transform]


def test_remove_transforms_remove_the_configured_channel(engine: Engine) -> None:
    assert paths(engine, "remove_if_not_all", channel="A") == {
        "ana 1": "B > Direct > Direct",
        "ana 2": "Direct > Direct",
        "budi 1": "Direct > Direct",
        "cici 1": "Direct > B > B",
    }


@pytest.mark.parametrize(
    ("transform", "max_touches", "expected"),
    [
        (
            "unique",
            2,
            {"ana 1": "A > Direct", "ana 2": "Direct > Direct", "budi 1": "Direct > Direct", "cici 1": "B > B"},
        ),
        (
            "exposure",
            3,
            {"ana 1": "Direct > A > Direct", "ana 2": "Direct", "budi 1": "A > Direct", "cici 1": "Direct > B"},
        ),
        (
            "frequency",
            2,
            {
                "ana 1": "B(1) > Direct(2)",
                "ana 2": "Direct(2)",
                "budi 1": "A(1) > Direct(2)",
                "cici 1": "Direct(1) > B(2)",
            },
        ),
        ("unique", 1, {"ana 1": "Direct", "ana 2": "Direct", "budi 1": "Direct", "cici 1": "B"}),
    ],
)
def test_trimming_keeps_the_last_touches_after_the_transform(
    engine: Engine, transform: str, max_touches: int, expected: dict[str, str]
) -> None:
    assert paths(engine, transform, max_touches=max_touches) == expected


def test_an_unknown_transform_is_a_setting_error() -> None:
    with pytest.raises(SettingError) as caught:
        apply_transform(ibis.memtable(touch_rows()), "shortest")
    assert "'shortest'" in str(caught.value)
    assert "exposure" in str(caught.value)
