"""Benchmark: generated events → import → build (per step), with peak memory; prints a table and writes JSON.

Usage:
    .venv/bin/python bench/pipeline.py --events 1000000 10000000 [--memory-limit-mb 900]

Each measurement runs in a fresh process so its peak RSS (ru_maxrss) is its own.
Targets (issue 3, 2 cores): 10M events from raw to unique paths in ≤ 10 s and ≤ 1.5 GB for the build.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

OUT_DIR = Path(__file__).resolve().parent / "out"


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def worker_generate(data_dir: str, events: int) -> dict[str, object]:
    from jejak.synth import generate

    began = time.perf_counter()
    result = generate(Path(data_dir), events=events, seed=11, file_format="csv", bad_rows=False)
    return {
        "seconds": time.perf_counter() - began,
        "events": result.events,
        "people": result.people,
        "peak_rss_mb": _peak_rss_mb(),
    }


def worker_import(project_dir: str, data_dir: str) -> dict[str, object]:
    from jejak.ingest.importer import import_file
    from jejak.store.project import init_project

    project = init_project(Path(project_dir))
    began = time.perf_counter()
    summary = import_file(project, Path(data_dir) / "events.csv")
    return {
        "seconds": time.perf_counter() - began,
        "rows_read": summary.rows_read,
        "rows_stored": summary.rows_stored,
        "peak_rss_mb": _peak_rss_mb(),
    }


def worker_build(project_dir: str) -> dict[str, object]:
    from jejak.pipeline import run_build
    from jejak.store.project import open_project

    project = open_project(Path(project_dir))
    began = time.perf_counter()
    result = run_build(project)
    return {
        "seconds": time.perf_counter() - began,
        "steps": result.step_seconds,
        "identity_rounds": result.identity_rounds,
        "peak_rss_mb": _peak_rss_mb(),
    }


def _run(*args: str, env: dict[str, str] | None = None) -> dict[str, object]:
    completed = subprocess.run(
        [sys.executable, __file__, "--worker", *args],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
    )
    last_line = completed.stdout.strip().splitlines()[-1]
    parsed: dict[str, object] = json.loads(last_line)
    return parsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    parser.add_argument("--keep-data", action="store_true", help="Reuse generated data between runs.")
    parser.add_argument(
        "--reuse-project",
        action="store_true",
        help="Reuse an already imported project (build only; the import row shows the last import's numbers).",
    )
    parser.add_argument(
        "--memory-limit-mb",
        type=int,
        nargs="*",
        default=[],
        help="Build again with each of these duckdb_memory_limit_mb settings (MiB), after the build without one.",
    )
    args = parser.parse_args()
    if args.worker:
        kind, *rest = args.worker
        if kind == "generate":
            print(json.dumps(worker_generate(rest[0], int(rest[1]))))
        elif kind == "import":
            print(json.dumps(worker_import(*rest)))
        else:
            print(json.dumps(worker_build(*rest)))
        return
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    rows = []
    for events in args.events:
        data_dir = OUT_DIR / f"data-{events}"
        project_dir = OUT_DIR / f"project-{events}"
        if not (args.keep_data and (data_dir / "events.csv").exists()):
            shutil.rmtree(data_dir, ignore_errors=True)
            generated = _run("generate", str(data_dir), str(events))
        else:
            generated = {"seconds": None, "events": None}
        previous = _previous_import(events)
        if args.reuse_project and previous and (project_dir / "data" / "events").is_dir():
            imported = previous
        else:
            shutil.rmtree(project_dir, ignore_errors=True)
            imported = _run("import", str(project_dir), str(data_dir))
        built = _run("build", str(project_dir))
        limited = {
            limit: _run("build", str(project_dir), env={"JEJAK_DUCKDB_MEMORY_LIMIT_MB": str(limit)})
            for limit in args.memory_limit_mb
        }
        rows.append(
            {
                "events_requested": events,
                "generate": generated,
                "import": imported,
                "build": built,
                "build_with_memory_limit_mb": limited,
            }
        )
        steps = built["steps"]
        assert isinstance(steps, dict)
        print(f"\n{events:,} events requested ({imported['rows_stored']:,} stored)")
        print(f"  {'stage':<24}{'seconds':>10}{'peak MiB':>10}")
        print(f"  {'generate':<24}{generated['seconds'] or 0:>10.2f}{'':>10}")
        print(f"  {'import (CSV → lake)':<24}{imported['seconds']:>10.2f}{imported['peak_rss_mb']:>10.0f}")
        for name, seconds in steps.items():
            print(f"  {'  build: ' + name:<24}{seconds:>10.2f}")
        print(f"  {'build total':<24}{built['seconds']:>10.2f}{built['peak_rss_mb']:>10.0f}")
        for limit, run in limited.items():
            print(f"  {f'build, limit {limit} MiB':<24}{run['seconds']:>10.2f}{run['peak_rss_mb']:>10.0f}")
    report = {"machine": {"python": platform.python_version(), "cpus": __import__("os").cpu_count()}, "runs": rows}
    out = OUT_DIR / "pipeline.json"
    out.write_text(json.dumps(report, indent=1), encoding="utf-8")
    print(f"\nJSON: {out}")


def _previous_import(events: int) -> dict[str, object] | None:
    """The import numbers of the last run at this size, from the JSON it wrote."""
    out = OUT_DIR / "pipeline.json"
    if not out.exists():
        return None
    for run in json.loads(out.read_text(encoding="utf-8")).get("runs", []):
        if run.get("events_requested") == events:
            found: dict[str, object] = run["import"]
            return found
    return None


if __name__ == "__main__":
    main()
