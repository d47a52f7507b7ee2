"""Benchmark: server time of every dashboard page (and its JSON twin) on a built project; prints a table, writes JSON.

Issue 7's target: no page over 1 s of server time on the 10M-event demo after `jejak build`.
The server runs in this process (uvicorn on 127.0.0.1, as `jejak serve` runs it); a user
logs in through the form; each page is requested once cold (the first request after start,
attribution's cache warmed as `jejak serve` does) and then `--repeats` times; "warm" is the
median. Server time is the `Server-Timing` header the app sets (from the request arriving
to the response being ready), so the network and the client are not counted.

Usage:
    .venv/bin/python bench/dashboard.py --project bench/out/project-10000000
    make bench-dashboard       # builds nothing: run bench/pipeline.py first

Writes bench/out/dashboard.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import socket
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from jejak.service.attribution import warm_attribution
from jejak.store.project import Project, open_project
from jejak.web.app import create_app
from jejak.web.auth import add_user
from jejak.web.site import PAGES

OUT_DIR = Path(__file__).resolve().parent / "out"
TARGET_SECONDS = 1.0
USER, PASSWORD = "bench", "bench-password-1234"
# Views beyond each page's default: what a marketer clicks next.
VARIANTS = (
    ("funnels", {"breakdown": "channel"}),
    ("funnels", {"trend": "week"}),
    ("reports", {"dimension": "campaign"}),
    ("devices", {"by": "os"}),
    ("bounce", {"by": "channel"}),
    ("overview", {"from": "2026-02-01", "to": "2026-02-28"}),
)


def _peak_mb() -> float:
    with Path("/proc/self/status").open(encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _serve(project: Project) -> tuple[uvicorn.Server, str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    server = uvicorn.Server(uvicorn.Config(create_app(project), host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return server, f"http://127.0.0.1:{port}"


def _login(url: str) -> httpx.Client:
    client = httpx.Client(base_url=url, timeout=600)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert token, "no login form"
    done = client.post("/login", data={"name": USER, "password": PASSWORD, "csrf_token": token.group(1)})
    if done.status_code != 303:
        raise SystemExit(f"login failed: {done.status_code} {done.text[:200]}")
    return client


def _server_seconds(response: httpx.Response) -> float:
    found = re.search(r"dur=([0-9.]+)", response.headers.get("server-timing", ""))
    if response.status_code != 200 or not found:
        raise SystemExit(f"{response.request.url}: {response.status_code} {response.text[:300]}")
    return float(found.group(1)) / 1000


def measure(client: httpx.Client, path: str, params: dict[str, str], repeats: int) -> dict[str, Any]:
    cold = _server_seconds(client.get(path, params=params))
    warm = [_server_seconds(client.get(path, params=params)) for _ in range(repeats)]
    return {"cold_seconds": cold, "warm_seconds": statistics.median(warm), "max_seconds": max(warm)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--project", default=str(OUT_DIR / "project-10000000"))
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    project = open_project(Path(args.project))
    add_user(project.sqlite_path, USER, PASSWORD)
    began = time.perf_counter()
    warm_attribution(project)
    warmed_seconds = time.perf_counter() - began
    server, url = _serve(project)
    client = _login(url)
    views: list[tuple[str, dict[str, str]]] = [(page.slug, {}) for page in PAGES] + list(VARIANTS)
    rows = []
    for slug, params in views:
        for suffix in ("", ".json"):
            name = f"/{slug}{suffix}" + (f"?{'&'.join(f'{k}={v}' for k, v in params.items())}" if params else "")
            row = {"view": name, **measure(client, f"/{slug}{suffix}", params, args.repeats)}
            rows.append(row)
            flag = "" if row["warm_seconds"] <= TARGET_SECONDS else "  over target"
            print(f"{name:<48} warm {row['warm_seconds']:6.2f} s  cold {row['cold_seconds']:6.2f} s{flag}", flush=True)
    server.should_exit = True
    result = {
        "project": str(project.root),
        "machine": {"python": sys.version.split()[0], "platform": platform.platform()},
        "attribution_warm_seconds": warmed_seconds,
        "target_seconds": TARGET_SECONDS,
        "peak_mb": _peak_mb(),
        "views": rows,
    }
    OUT_DIR.mkdir(exist_ok=True)
    (OUT_DIR / "dashboard.json").write_text(json.dumps(result, indent=1), encoding="utf-8")
    over = [row["view"] for row in rows if row["warm_seconds"] > TARGET_SECONDS]
    print(f"\nattribution precomputed in {warmed_seconds:.1f} s; process peak {result['peak_mb']:.0f} MB")
    print(
        f"{len(rows) - len(over)} of {len(rows)} views within {TARGET_SECONDS:.0f} s"
        + (f"; over: {', '.join(over)}" if over else "")
    )
    print(f"wrote {OUT_DIR / 'dashboard.json'}")


if __name__ == "__main__":
    main()
