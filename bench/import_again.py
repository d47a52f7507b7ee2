"""Benchmark: importing a generated CSV, then importing it again (every row a duplicate, each compared with the
stored event: `importer._compared_with_stored`); prints a table and writes JSON.

Usage:
    .venv/bin/python bench/import_again.py --events 1000000 [--repeat 2]

Reuses bench/out/data-N/events.csv when `bench/pipeline.py --keep-data` left it, else generates it there. Each
repeat runs in a fresh project; peak RSS is the process's over both imports.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import shutil
import tempfile
import time
from pathlib import Path

OUT_DIR = Path(__file__).resolve().parent / "out"


def _data(events: int) -> Path:
    from jejak.synth import generate

    data_dir = OUT_DIR / f"data-{events}"
    if not (data_dir / "events.csv").exists():
        generate(data_dir, events=events, seed=11, file_format="csv", bad_rows=False)
    return data_dir / "events.csv"


def _import_twice(source: Path) -> dict[str, float | int]:
    from jejak.ingest.importer import import_file
    from jejak.store.project import init_project

    root = Path(tempfile.mkdtemp(prefix="jejak-bench-", dir=OUT_DIR))
    try:
        project = init_project(root / "p")
        began = time.perf_counter()
        first = import_file(project, source)
        between = time.perf_counter()
        again = import_file(project, source)
        ended = time.perf_counter()
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return {
        "first_seconds": between - began,
        "again_seconds": ended - between,
        "rows_stored": first.rows_stored,
        "duplicates_again": again.duplicates_skipped,
        # getattr: the bench also runs on code from before the comparison (PYTHONPATH=a worktree), to compare.
        "reported_again": int(
            getattr(again, "id_clash", None) is not None or getattr(again, "changed", None) is not None
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    source = _data(args.events)
    runs = [_import_twice(source) for _ in range(args.repeat)]
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{args.events:,} events ({source}), {platform.python_version()}")
    print(f"  {'run':<6}{'import s':>10}{'again s':>10}{'stored':>12}{'dup again':>12}{'reported':>10}")
    for number, run in enumerate(runs, 1):
        print(
            f"  {number:<6}{run['first_seconds']:>10.2f}{run['again_seconds']:>10.2f}{run['rows_stored']:>12,}"
            f"{run['duplicates_again']:>12,}{run['reported_again']:>10}"
        )
    print(f"  peak RSS {peak_mb:,.0f} MiB")
    out = OUT_DIR / "import_again.json"
    report = {"events": args.events, "runs": runs, "peak_rss_mb": peak_mb}
    out.write_text(json.dumps(report, indent=1), encoding="utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
