"""Check: does persona discovery find the demo generator's planted personas? Prints the ARI with k chosen and k = 5.

Generates the demo data (seeded), imports and builds it, computes `person_features`, runs
`discover_personas` with the silhouette's choice of k and with the planted number of personas,
and compares each with the planted personas by adjusted Rand index (people whose user ids
and devices all belong to one planted persona only).

Usage:
    .venv/bin/python bench/discovery_check.py --events 150000 --seeds 5
    .venv/bin/python bench/discovery_check.py --events 100000 --seeds 3 7 11   # several data sets
    .venv/bin/python bench/discovery_check.py --events 100000 --seeds 11 --every-k  # also the ARI of k = 2..8
    .venv/bin/python bench/discovery_check.py --project bench/out/project-10000000  # time it on a built project

Writes bench/out/discovery-<events>-<seed>/ (the project) and prints one block per seed. With `--project`, times
features and discovery on that built project (no planted truth read), prints a table and writes
bench/out/discovery.json.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from sklearn.metrics import adjusted_rand_score

from jejak.engine import connect
from jejak.ingest.importer import import_file
from jejak.pipeline import run_build
from jejak.segments.discovery import Discovery, discover_personas
from jejak.segments.features import person_features
from jejak.store.derived import table_path
from jejak.store.files import remove_tree
from jejak.store.project import Project, init_project, open_project
from jejak.synth import generate
from jejak.synth.checks import planted_personas
from jejak.synth.personas import PERSONA_NAMES

OUT_DIR = Path(__file__).resolve().parent / "out"


def _build(events: int, seed: int) -> tuple[Project, Path]:
    root = OUT_DIR / f"discovery-{events}-{seed}"
    remove_tree(root)
    data = generate(root / "raw", events=events, seed=seed, file_format="parquet")
    project = init_project(root / "project")
    for path in data.files:
        import_file(project, path, column_map=data.column_map)
    run_build(project)
    return project, data.truth_dir


def _features(project: Project) -> Any:
    engine = connect()
    try:
        people, sessions, conversions = (
            engine.read_parquet(table_path(project, name)) for name in ("people", "sessions", "conversions")
        )
        return engine.to_pyarrow(person_features(people, sessions, conversions))
    finally:
        engine.close()


def _ari(found: Discovery, planted: dict[str, str]) -> float:
    people = sorted(planted)
    return float(adjusted_rand_score([planted[p] for p in people], [found.labels[p] for p in people]))


def check(events: int, seed: int, every_k: bool = False) -> None:
    began = time.perf_counter()
    project, truth_dir = _build(events, seed)
    built = time.perf_counter()
    table = _features(project)
    planted = planted_personas(project, truth_dir)
    featured = time.perf_counter()
    chosen = discover_personas(table)
    discovered = time.perf_counter()
    fixed = discover_personas(table, clusters=len(PERSONA_NAMES))
    fixed_seconds = time.perf_counter() - discovered
    print(f"events {events:,}, seed {seed}: {table.num_rows:,} people, {len(planted):,} with one planted persona")
    print(f"  generate + import + build {built - began:.1f} s, features {featured - built:.1f} s")
    scores = ", ".join(f"{k}: {score:.3f}" for k, score in chosen.silhouette_by_k.items())
    print(f"  silhouette by k: {scores}")
    print(f"  chosen k = {chosen.k}: ARI {_ari(chosen, planted):.3f} ({discovered - featured:.1f} s)")
    print(f"  k = {fixed.k}: ARI {_ari(fixed, planted):.3f} ({fixed_seconds:.1f} s)")
    for cluster in fixed.clusters:
        print(f"    {cluster.number}. {cluster.draft.name}: {cluster.draft.description}")
    if every_k:
        # How close each number of clusters comes to the planted personas: what a rule for choosing k could reach.
        aris = {k: _ari(discover_personas(table, clusters=k), planted) for k in sorted(chosen.silhouette_by_k)}
        print("  ARI by k: " + ", ".join(f"{k}: {ari:.3f}" for k, ari in aris.items()))


def time_project(root: Path) -> None:
    """Seconds of features and of discovery (k chosen by silhouette) on an already built project."""
    project = open_project(root)
    began = time.perf_counter()
    table = _features(project)
    featured = time.perf_counter()
    chosen = discover_personas(table)
    discovered = time.perf_counter()
    report = {
        "project": str(root),
        "people": table.num_rows,
        "features_seconds": round(featured - began, 2),
        "discovery_seconds": round(discovered - featured, 2),
        "chosen_k": chosen.k,
        "cluster_sizes": [cluster.size for cluster in chosen.clusters],
    }
    print(f"{'people':<20}{report['people']:>12,}")
    for key in ("features_seconds", "discovery_seconds", "chosen_k"):
        print(f"{key:<20}{report[key]:>12}")
    print(f"{'cluster sizes':<20}{', '.join(f'{size:,}' for size in report['cluster_sizes'])}")
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    out = OUT_DIR / "discovery.json"
    out.write_text(json.dumps(report, indent=1), encoding="utf-8")
    print(f"JSON: {out}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--events", type=int, default=150_000)
    parser.add_argument("--seeds", type=int, nargs="+", default=[5])
    parser.add_argument("--every-k", action="store_true", help="Also fit every candidate k and print its ARI.")
    parser.add_argument("--project", type=Path, help="Time features and discovery on this built project instead.")
    arguments = parser.parse_args()
    if arguments.project is not None:
        time_project(arguments.project)
        return
    for seed in arguments.seeds:
        check(arguments.events, seed, every_k=arguments.every_k)


if __name__ == "__main__":
    main()
