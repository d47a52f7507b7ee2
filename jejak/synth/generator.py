"""Generate the Kopi Jejak demo data set, with planted truth, from one seed.

Example:
    >>> import tempfile, pathlib
    >>> result = generate(pathlib.Path(tempfile.mkdtemp()), events=2_000, seed=1)
    >>> sorted(p.name for p in result.files)[:2]
    ['call_centre.csv', 'marketplace_orders.csv']
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from jejak.core.vocabulary import QUARANTINE_REASONS
from jejak.synth import badrows, chain, truth
from jejak.synth.badrows import BadRow, expected_quarantine
from jejak.synth.devices import make_devices
from jejak.synth.events import expand
from jejak.synth.files import chunks, rendered, write_csv, write_lines, write_parquet
from jejak.synth.identities import make_identities
from jejak.synth.kinds import KINDS, MARKETPLACE_FILE, MIXED_FILES, WEB_APP_FILE, EventKind
from jejak.synth.personas import PERSONA_NAMES, PERSONAS, column, describe, start_matrix
from jejak.synth.population import make_population
from jejak.synth.refunds import Refunds, followed_by_refunds, plan_refunds, refund_lines
from jejak.synth.render import Renderer
from jejak.synth.segment import json_lines
from jejak.synth.tables import CANONICAL_COLUMNS, CSV_HEADERS, MARKETPLACE_COLUMN_MAP, canonical_table, csv_table
from jejak.synth.timeline import JAKARTA_OFFSET_SECONDS, place_touches
from jejak.synth.touches import plan_touches

IntArray = npt.NDArray[np.int64]

FILE_FORMATS = ("mixed", "csv", "parquet")
# The planted behaviour averages about 11.3 events per person (1.5 journeys of 3 touches, 2.2 events per touch,
# plus one identify per device), so this many events per person keeps the event count on target.
EVENTS_PER_PERSON = 11.3
CANONICAL_FILES = {"csv": "events.csv", "parquet": "events.parquet"}
# A stream added later goes last: SeedSequence.spawn gives the earlier streams the same seeds whatever follows.
_STREAMS = ("population", "devices", "identities", "chain", "timeline", "touches", "events", "refunds")


@dataclass(frozen=True)
class GenerateResult:
    """What `generate` wrote: the data files to import, counts, the truth directory and the import column map."""

    files: list[Path]  # data files to import (truth files are under truth_dir)
    events: int  # good events written (planted bad rows not counted)
    people: int
    truth_dir: Path
    column_map: dict[str, str] = field(default_factory=dict)  # CSV header -> canonical column, for the marketplace file

    @property
    def mapped_files(self) -> list[Path]:
        """The files whose headers `column_map` maps (the marketplace's orders, in its own language's columns)."""
        return [path for path in self.files if self.column_map and path.name == MARKETPLACE_FILE]


def _check(events: int, file_format: str, days: int, lookback_days: int) -> None:
    if events < 100:
        raise ValueError(f"events must be at least 100 (got {events}); the demo needs a few people per persona.")
    if file_format not in FILE_FORMATS:
        raise ValueError(f"file_format must be one of {', '.join(FILE_FORMATS)} (not {file_format!r}).")
    if days < 14:
        raise ValueError(f"days must be at least 14 (got {days}) so that repeat purchases fit.")
    if not 3 <= lookback_days <= 365:
        raise ValueError(f"lookback_days must be between 3 and 365 (got {lookback_days}).")


def generate(
    out_dir: Path,
    *,
    events: int = 200_000,
    seed: int = 7,
    file_format: str = "mixed",
    start: dt.date = dt.date(2026, 1, 1),
    days: int = 90,
    lookback_days: int = 30,
    bad_rows: bool = True,
) -> GenerateResult:
    """Write about `events` events of Kopi Jejak's customers to `out_dir`, and the planted truth to `out_dir/truth`.

    `file_format` "mixed" writes one file per source system (web_app.jsonl and five CSVs);
    "csv" and "parquet" write every event to one canonical file. The same seed gives the
    same bytes, and the same truth whatever the format.
    """
    _check(events, file_format, days, lookback_days)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    root = np.random.SeedSequence(seed)
    rngs = dict(zip(_STREAMS, (np.random.default_rng(s) for s in root.spawn(len(_STREAMS))), strict=True))
    key = int(root.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))
    people = max(len(PERSONAS), round(events / EVENTS_PER_PERSON))

    population = make_population(rngs["population"], people)
    devices = make_devices(rngs["devices"], population.persona)
    identities = make_identities(rngs["identities"], people, key)
    planted = chain.planted_chain()
    max_journeys = column("max_journeys").astype(np.int64)
    journeys = chain.simulate(planted, rngs["chain"], population.persona, start_matrix(), max_journeys)
    shapes = np.array([p.journey_position for p in PERSONAS])[population.persona[journeys.person]]
    touch_time = place_touches(rngs["timeline"], journeys, shapes, start=start, days=days, lookback_days=lookback_days)
    touches = plan_touches(rngs["touches"], journeys, touch_time, population, devices)
    expanded = expand(rngs["events"], touches, population)
    renderer = Renderer(expanded, touches, population, devices, identities, key)
    refunds = plan_refunds(rngs["refunds"], renderer)

    _remove_previous(out_dir)
    order = expanded.time_order()
    planted_rows: list[dict[str, Any]] = []
    planted_bad = badrows.bad_rows(start) if bad_rows and file_format == "mixed" else ()
    if file_format == "mixed":
        files, planted_rows = _write_mixed(out_dir, renderer, refunds, order, planted_bad)
        column_map = dict(MARKETPLACE_COLUMN_MAP)
    else:
        path = out_dir / CANONICAL_FILES[file_format]
        tables = rendered(lambda rows: canonical_table(renderer, rows, parquet=file_format == "parquet"), chunks(order))
        tables = followed_by_refunds(tables, renderer, refunds)
        if file_format == "csv":
            write_csv(path, CANONICAL_COLUMNS, tables, order.size + refunds.size, [])
        else:
            write_parquet(path, tables)
        files, column_map = [path], {}

    truth_dir = out_dir / "truth"
    refunded_idr = refunds.by_touch(renderer)
    truth_tables = truth.TruthTables(
        identifiers=truth.identifier_table(renderer),
        journeys=truth.journey_table(renderer, journeys, refunded_idr),
        touches=truth.touch_table(renderer),
        people=truth.people_table(renderer, journeys, refunded_idr),
    )
    truth.write_tables(truth_dir, truth_tables)
    params = _params(
        renderer, refunds, journeys, planted, max_journeys, truth_tables, planted_bad, planted_rows, files, column_map,
        seed=seed, events=events, file_format=file_format, start=start, days=days, lookback_days=lookback_days,
    )  # fmt: skip
    truth.write_params(truth_dir, params)
    written = expanded.size + refunds.size
    return GenerateResult(files=files, events=written, people=people, truth_dir=truth_dir, column_map=column_map)


def _remove_previous(out_dir: Path) -> None:
    """Remove data files of an earlier run in another format, so a directory never mixes two runs."""
    for name in (*MIXED_FILES, *CANONICAL_FILES.values()):
        (out_dir / name).unlink(missing_ok=True)


def _write_mixed(
    out_dir: Path, renderer: Renderer, refunds: Refunds, order: IntArray, planted: tuple[BadRow, ...]
) -> tuple[list[Path], list[dict[str, Any]]]:
    files_of_kind = np.array([KINDS[k].file for k in EventKind])
    file_of_row = files_of_kind[renderer.events.kind[order]]
    written: list[Path] = []
    planted_rows: list[dict[str, Any]] = []
    refunded = [refund_lines(renderer, refunds)] if refunds.size else []  # the shop's server sends them to Segment
    for name in MIXED_FILES:
        rows = order[file_of_row == name]
        bad = [row for row in planted if row.file == name]
        path = out_dir / name
        if name == WEB_APP_FILE:
            lines = itertools.chain(rendered(lambda part: json_lines(renderer, part), chunks(rows)), refunded)
            planted_rows += write_lines(path, lines, rows.size + refunds.size, bad)
        else:
            tables = rendered(partial(csv_table, renderer, file_name=name), chunks(rows))
            planted_rows += write_csv(path, CSV_HEADERS[name], tables, rows.size, bad)
        written.append(path)
    return written, planted_rows


def _params(
    renderer: Renderer,
    refunds: Refunds,
    journeys: chain.SimulatedJourneys,
    planted: chain.MarkovChain,
    max_journeys: IntArray,
    tables: truth.TruthTables,
    planted_bad: tuple[BadRow, ...],
    planted_rows: list[dict[str, Any]],
    files: list[Path],
    column_map: dict[str, str],
    *,
    seed: int,
    events: int,
    file_format: str,
    start: dt.date,
    days: int,
    lookback_days: int,
) -> dict[str, Any]:
    """Everything a test or a model evaluation needs to know about the planted process."""
    starts = start_matrix()
    shares = column("share").astype(np.float64)
    per_persona = np.array(
        [chain.expected_journeys(planted, starts[i], int(max_journeys[i])) for i in range(len(PERSONAS))]
    )
    pooled = chain.pooled_start(starts, shares, per_persona)
    effects = planted.removal_effects(pooled)
    converted = journeys.converted
    return {
        "generator": "jejak.synth",
        "seed": seed,
        "file_format": file_format,
        "events_requested": events,
        "events_written": renderer.events.size + refunds.size,
        "rows_written": renderer.events.size + refunds.size + len(planted_rows),
        "people": renderer.population.size,
        "start": start.isoformat(),
        "days": days,
        "lookback_days": lookback_days,
        "timezone": "Asia/Jakarta",
        "utc_offset_seconds": JAKARTA_OFFSET_SECONDS,
        "files": [p.name for p in files],
        "column_map": column_map,
        "channels": list(chain.CHANNELS),
        "personas": describe(),
        "start_distributions": {
            name: {c: float(starts[i, j]) for j, c in enumerate(chain.CHANNELS) if starts[i, j] > 0}
            for i, name in enumerate(PERSONA_NAMES)
        },
        "start_distribution_pooled": {c: float(p) for c, p in zip(chain.CHANNELS, pooled, strict=True)},
        "start_distribution_note": (
            "pooled = persona starts weighted by share x expected journeys per person; it is the start "
            "distribution of all journeys together, which a first-order model fitted on paths estimates"
        ),
        "expected_journeys_per_person": dict(zip(PERSONA_NAMES, per_persona.tolist(), strict=True)),
        "transition_matrix": chain.as_json_matrix(planted),
        "conversion_probability": planted.conversion_probability(pooled),
        "conversion_probability_by_persona": {
            name: planted.conversion_probability(starts[i]) for i, name in enumerate(PERSONA_NAMES)
        },
        "expected_touches_per_journey": planted.expected_touches(pooled),
        "removal_effects": dict(zip(chain.CHANNELS, effects.tolist(), strict=True)),
        "removal_effect_definition": "1 - P(conversion | channel redirects to null) / P(conversion), exact",
        "journeys": {
            "total": int(converted.size),
            "converting": int(converted.sum()),
            "non_converting": int((~converted).sum()),
            "conversion_rate": float(converted.mean()),
            "touches": int(journeys.touches.sum()),
        },
        "event_kinds": truth.event_kind_counts(renderer),
        "refunds": refunds.summary(renderer),
        "bounce": truth.bounce_summary(renderer),
        "funnel": truth.funnel_summary(renderer),
        "over_shared_identifier": truth.over_shared_summary(renderer),
        "identity": truth.identity_summary(tables.identifiers),
        "quarantine_expected": {
            reason: expected_quarantine(planted_bad).get(reason, 0) for reason in QUARANTINE_REASONS
        },
        "bad_rows": planted_rows,
    }
