"""Benchmark: server time of every dashboard page (and its JSON twin) on a built project; prints a table, writes JSON.

Issue 7's target: no page over 1 s of server time on the 10M-event demo after `jejak build`.
The server runs in this process (uvicorn on 127.0.0.1, as `jejak serve` runs it); a user
logs in through the form. The build's answer cache (`service.cache`) is emptied first; then
each view is requested once ("computed": the question has not been asked on this build, so
the page runs its queries) and then `--repeats` times ("cached": the median, what every later
visit and, for the default views `jejak serve` precomputes, the first visit pays). Server time
is the `Server-Timing` header the app sets (from the request arriving to the response being
ready), so the network and the client are not counted.

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

from jejak.service.cache import CACHE_DIR
from jejak.store.derived import current_build
from jejak.store.files import remove_tree
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
    computed = _server_seconds(client.get(path, params=params))
    again = [_server_seconds(client.get(path, params=params)) for _ in range(repeats)]
    return {"computed_seconds": computed, "cached_seconds": statistics.median(again), "max_cached_seconds": max(again)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--project", default=str(OUT_DIR / "project-10000000"))
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    project = open_project(Path(args.project))
    add_user(project.sqlite_path, USER, PASSWORD)
    remove_tree(current_build(project) / CACHE_DIR)
    server, url = _serve(project)
    client = _login(url)
    views: list[tuple[str, dict[str, str]]] = [(page.slug, {}) for page in PAGES] + list(VARIANTS)
    rows = []
    for slug, params in views:
        # The HTML asks first (computing), then its JSON twin reads the same cached answer.
        for suffix in ("", ".json"):
            name = f"/{slug}{suffix}" + (f"?{'&'.join(f'{k}={v}' for k, v in params.items())}" if params else "")
            row = {"view": name, **measure(client, f"/{slug}{suffix}", params, args.repeats)}
            rows.append(row)
            computed, again = row["computed_seconds"], row["cached_seconds"]
            flags = ("" if computed <= TARGET_SECONDS else "  computed over target") + (
                "" if again <= TARGET_SECONDS else "  cached over target"
            )
            print(f"{name:<48} computed {computed:6.2f} s  cached {again:6.2f} s{flags}", flush=True)
    server.should_exit = True
    result = {
        "project": str(project.root),
        "machine": {"python": sys.version.split()[0], "platform": platform.platform()},
        "target_seconds": TARGET_SECONDS,
        "peak_mb": _peak_mb(),
        "views": rows,
    }
    OUT_DIR.mkdir(exist_ok=True)
    (OUT_DIR / "dashboard.json").write_text(json.dumps(result, indent=1), encoding="utf-8")
    for kind in ("computed", "cached"):
        over = [row["view"] for row in rows if row[f"{kind}_seconds"] > TARGET_SECONDS]
        within = f"{len(rows) - len(over)} of {len(rows)} views {kind} within {TARGET_SECONDS:.0f} s"
        print(within + (f"; over: {', '.join(over)}" if over else ""))
    print(f"process peak {result['peak_mb']:.0f} MB")
    print(f"wrote {OUT_DIR / 'dashboard.json'}")


if __name__ == "__main__":
    main()
