"""Probe: how fast could raw events become unique paths outside SQL, with Arrow and numpy? Prints a table, writes JSON.

Issue 3 asks for 10M events from raw to unique paths in ≤ 10 s and ≤ 1.5 GB on this
2-core machine. The portable Ibis build does not get there (ARCHITECTURE.md, issue 3
performance notes), and DESIGN §6 would allow an engine-specific path. This script
measures a *lower bound* for a vectorised one, so that the choice rests on a number:
it reads the lake with pyarrow, turns every text column into integer codes, and does
each step with whole-array numpy operations.

It is NOT the product's pipeline, and it does less than the build, so its time is a floor:
- identity: links from each event's primary identifier to its others, the over-shared guard,
  connected components (scipy); no alias resolution, no person ids as text;
- sessions: the gap, the 24 h cap and offline events, as the build cuts them (it finds
  the build's number of sessions);
- channels: one code per distinct combination of acquisition fields, not the rules;
- journeys and paths: conversions split journeys, touches inside a 30-day lookback of the
  conversion (or the last touch), the exposure transform, and paths told apart by a 64-bit
  hash of their channel codes; no fallback for conversions without a touch;
- no output table is written (the build writes 13).

Usage:
    .venv/bin/python bench/floor_vectorised.py --project bench/out/project-10000000

Writes bench/out/floor_vectorised.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

OUT_DIR = Path(__file__).resolve().parent / "out"
IDENTIFIERS = ("user_id", "anonymous_id", "email_hash", "phone_hash")
ACQUISITION = ("source", "medium", "campaign", "referrer", "touchpoint", "device_type")
TEXT_COLUMNS = ("type", "event", *IDENTIFIERS, *ACQUISITION)
GAP_SECONDS, CAP_SECONDS, LOOKBACK_SECONDS = 1800, 86_400, 30 * 86_400
MAX_USERS_PER_IDENTIFIER = 5
CONVERSION_EVENT = "Order Completed"


class Phases:
    """Seconds and peak memory after each phase."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []
        self.began = time.perf_counter()

    def done(self, name: str) -> None:
        now = time.perf_counter()
        peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6
        self.rows.append({"phase": name, "seconds": round(now - self.began, 3), "peak_gb": round(peak_gb, 2)})
        print(f"  {name:<14}{now - self.began:>8.2f} s{peak_gb:>8.2f} GB", flush=True)
        self.began = time.perf_counter()


def _codes(tables: list[pa.Table], name: str) -> tuple[np.ndarray, pa.Array]:
    """One column of every file as int32 codes into one dictionary (-1 for NULL)."""
    chunks = [chunk for table in tables for chunk in table.column(name).chunks]
    unified = pa.chunked_array(chunks).unify_dictionaries()
    codes = np.concatenate([pc.fill_null(c.indices, -1).to_numpy(zero_copy_only=False) for c in unified.chunks])
    return codes.astype(np.int32), unified.chunk(0).dictionary


def _starts(keys: np.ndarray) -> np.ndarray:
    """True where a run of equal keys begins."""
    starts = np.empty(len(keys), dtype=bool)
    starts[0] = True
    starts[1:] = keys[1:] != keys[:-1]
    return starts


def probe(project: Path) -> dict[str, Any]:
    phases = Phases()
    files = sorted(project.glob("data/events/*/*.parquet"))
    with ThreadPoolExecutor(2) as pool:
        tables = list(
            pool.map(
                lambda f: pq.read_table(f, columns=["timestamp", *TEXT_COLUMNS], read_dictionary=list(TEXT_COLUMNS)),
                files,
            )
        )
    phases.done("read")
    codes: dict[str, np.ndarray] = {}
    names: dict[str, pa.Array] = {}
    for column in TEXT_COLUMNS:
        codes[column], names[column] = _codes(tables, column)
    times_us = np.concatenate([table.column("timestamp").cast(pa.int64()).to_numpy() for table in tables])
    del tables
    events = len(times_us)
    phases.done("codes")

    # Identity: node ids per kind, links from the primary identifier, the over-shared guard, components.
    offsets = np.cumsum([0] + [len(names[k]) for k in IDENTIFIERS])
    nodes = {k: np.where(codes[k] >= 0, codes[k].astype(np.int64) + offsets[i], -1) for i, k in enumerate(IDENTIFIERS)}
    primary = nodes["user_id"].copy()
    for kind in IDENTIFIERS[1:]:
        primary = np.where(primary >= 0, primary, nodes[kind])
    size = int(offsets[-1])
    links = []
    for kind in IDENTIFIERS[1:]:
        linked = (nodes[kind] >= 0) & (nodes[kind] != primary) & (primary >= 0)
        links.append(primary[linked] * size + nodes[kind][linked])
    pairs = np.unique(np.concatenate(links))
    source, target = pairs // size, pairs % size
    users_per_node = np.bincount(target[source < offsets[1]], minlength=size)
    shared = users_per_node > MAX_USERS_PER_IDENTIFIER
    kept = ~shared[target] & ~shared[source]
    graph = sp.coo_matrix(
        (np.ones(int(kept.sum()), dtype=np.int8), (source[kept], target[kept])), shape=(size, size)
    ).tocsr()
    people, component = connected_components(graph, directed=False)
    person = component[primary]
    phases.done("identity")

    order = np.lexsort((times_us, person))
    person, times_us = person[order], times_us[order]
    for column in ("event", *ACQUISITION):
        codes[column] = codes[column][order]
    phases.done("sort")

    seconds = times_us // 1_000_000
    new_person = _starts(person)
    offline = codes["touchpoint"] == pc.index(names["touchpoint"], "offline").as_py()
    after_offline = np.concatenate([[False], offline[:-1]])
    gap = np.concatenate([[0], np.diff(seconds)])
    starts_run = new_person | (gap > GAP_SECONDS) | offline | after_offline
    run = np.cumsum(starts_run) - 1
    run_start = seconds[np.flatnonzero(starts_run)][run]
    segment = (seconds - run_start) // CAP_SECONDS
    session_start = starts_run | _starts(run * 1_000_000 + segment)
    phases.done("sessions")

    is_conversion = codes["event"] == pc.index(names["event"], CONVERSION_EVENT).as_py()
    so_far = np.cumsum(is_conversion)
    person_index = np.cumsum(new_person) - 1
    before_person = (so_far - is_conversion)[np.flatnonzero(new_person)][person_index]
    journey_index = so_far - before_person - is_conversion + (~is_conversion)
    touch_rows = np.flatnonzero(session_start)
    combination = np.zeros(len(touch_rows), dtype=np.int64)
    for column in ACQUISITION:
        combination = combination * (len(names[column]) + 1) + (codes[column][touch_rows] + 1)
    _, channel = np.unique(combination, return_inverse=True)
    phases.done("touchpoints")

    conversion_rows = np.flatnonzero(is_conversion)
    touch_keys = person_index[touch_rows].astype(np.int64) * 1_000_000 + journey_index[touch_rows]
    conversion_keys = person_index[conversion_rows].astype(np.int64) * 1_000_000 + journey_index[conversion_rows]
    journey_keys, journey_of = np.unique(np.concatenate([touch_keys, conversion_keys]), return_inverse=True)
    touch_journey, conversion_journey = journey_of[: len(touch_rows)], journey_of[len(touch_rows) :]
    reference = np.full(len(journey_keys), -1, dtype=np.int64)
    np.maximum.at(reference, touch_journey, seconds[touch_rows])
    reference[conversion_journey] = seconds[conversion_rows]
    converted = np.zeros(len(journey_keys), dtype=bool)
    converted[conversion_journey] = True
    inside = seconds[touch_rows] >= reference[touch_journey] - LOOKBACK_SECONDS
    phases.done("lookback")

    # Touches are already in time order within a journey (sorted by person and time, journeys are contiguous).
    journey, channels = touch_journey[inside], channel[inside].astype(np.uint64)
    first = _starts(journey)
    exposure = first | np.concatenate([[True], channels[1:] != channels[:-1]])
    journey, channels = journey[exposure], channels[exposure]
    begins = np.flatnonzero(_starts(journey))
    position = np.arange(len(journey)) - np.repeat(begins, np.diff(np.append(begins, len(journey))))
    powers = np.array([pow(1_000_003, k, 2**64) for k in range(int(position.max()) + 1)], dtype=np.uint64)
    with np.errstate(over="ignore"):  # a hash: wrapping is the point
        hashed = np.add.reduceat((channels + np.uint64(1)) * powers[position], begins)
    path_hash = np.zeros(len(journey_keys), dtype=np.uint64)
    path_hash[journey[begins]] = hashed
    unique_paths, path_of = np.unique(path_hash, return_inverse=True)
    conversions = np.bincount(path_of, weights=converted.astype(np.float64))
    phases.done("paths")

    total = sum(row["seconds"] for row in phases.rows)
    counts = {
        "events": events,
        "people": int(people),
        "sessions": len(touch_rows),
        "journeys": len(journey_keys),
        "unique_paths": len(unique_paths),
        "conversions": int(conversions.sum()),
    }
    print(f"  {'total':<14}{total:>8.2f} s    " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
    return {"phases": phases.rows, "total_seconds": round(total, 3), "counts": counts}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", type=Path, default=OUT_DIR / "project-10000000", help="A project with a lake.")
    args = parser.parse_args()
    found = probe(args.project)
    report = {"machine": {"python": platform.python_version(), "cpus": __import__("os").cpu_count()}, **found}
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    out = OUT_DIR / "floor_vectorised.json"
    out.write_text(json.dumps(report, indent=1), encoding="utf-8")
    print(f"JSON: {out}")


if __name__ == "__main__":
    main()
