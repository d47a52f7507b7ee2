"""Benchmark: server time of every dashboard page (and its JSON twin) on a built project; prints a table, writes JSON.

Issue 7's target: no page over 1 s of server time on the 10M-event demo after `jejak build`.
The server runs in this process (uvicorn on 127.0.0.1, as `jejak serve` runs it, with its default wait);
a user logs in through the form. Each view is asked three times:
- "computed": the build's answer cache (`service.cache`) emptied, the view's first request
  runs its queries (what a question nobody asked before costs);
- "after build": the cache emptied again, then the dashboard's first views computed as
  `jejak build` computes them (`web.site.warm_site`, timed per page), then the view's first
  request: what a user pays on a first visit after `jejak build` (a view the build does not
  precompute, such as a filter, is computed here, reading what the build kept);
- "cached": the median of `--repeats` more requests.
A view not ready within the app's wait answers "computing" (202, `web.jobs`) and is asked again
until it answers, as the page does. So for the first two, two numbers: "request", the longest
server time of any one request (what the 1 s target is about), and "answer", the seconds from
the first request until the view's answer arrived (what the user waits to see it).
Server time is the `Server-Timing` header the app sets (from the request arriving to the
response being ready), so the network and the client are not counted.

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

from jejak.segments.personas import load_personas, personas_from_yaml, save_persona
from jejak.service.cache import CACHE_DIR
from jejak.store.derived import current_build
from jejak.store.files import remove_tree
from jejak.store.project import Project, open_project
from jejak.synth.demo_personas import DEMO_PERSONAS_YAML
from jejak.web.app import create_app
from jejak.web.auth import add_user
from jejak.web.site import PAGES, warm_site

OUT_DIR = Path(__file__).resolve().parent / "out"
TARGET_SECONDS = 1.0
USER, PASSWORD = "bench", "bench-password-1234"
# Views beyond each page's default: what a marketer clicks next.
PERSONA = "Rina, the Instagram regular"  # one of the demo's persona documents (saved when the project has none)
FEBRUARY = {"from": "2026-02-01", "to": "2026-02-28"}
VARIANTS = (
    ("funnels", {"breakdown": "channel"}),
    ("funnels", {"trend": "week"}),
    ("reports", {"dimension": "campaign"}),
    ("devices", {"by": "os"}),
    ("bounce", {"by": "channel"}),
    ("overview", FEBRUARY),
    ("reports", FEBRUARY),
    ("attribution", FEBRUARY),
    ("map", FEBRUARY),
    ("funnels", FEBRUARY),
    ("flows", FEBRUARY),
    ("attribution", {"model": "markov"}),
    ("attribution", {"by": "campaign"}),
    ("attribution", {"lookback": "14"}),
    ("attribution", {"transform": "unique"}),
    *(
        (slug, {"persona": PERSONA})
        for slug in ("overview", "reports", "devices", "funnels", "flows", "attribution", "map")
    ),
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
    if response.status_code not in (200, 202) or not found:
        raise SystemExit(f"{response.request.url}: {response.status_code} {response.text[:300]}")
    return float(found.group(1)) / 1000


def _ask(client: httpx.Client, route: str, params: dict[str, str]) -> tuple[float, float]:
    """(longest server time of one request, seconds until the answer): asked again while "computing"."""
    began = time.perf_counter()
    longest = 0.0
    while True:
        response = client.get(route, params=params)
        longest = max(longest, _server_seconds(response))
        if response.status_code == 200:
            return longest, time.perf_counter() - began
        time.sleep(0.05)


def _name(slug: str, suffix: str, params: dict[str, str]) -> str:
    return f"/{slug}{suffix}" + (f"?{'&'.join(f'{k}={v}' for k, v in params.items())}" if params else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--project", default=str(OUT_DIR / "project-10000000"))
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    project = open_project(Path(args.project))
    add_user(project.sqlite_path, USER, PASSWORD)
    if not load_personas(project.sqlite_path):
        print("saving the demo's persona documents (the project has none), for the persona filter")
        for persona in personas_from_yaml(DEMO_PERSONAS_YAML, "the demo personas"):
            save_persona(project.sqlite_path, persona)
    server, url = _serve(project)
    client = _login(url)
    views: list[tuple[str, str, dict[str, str]]] = [
        (slug, suffix, params)
        for slug, params in [(page.slug, {}) for page in PAGES] + list(VARIANTS)
        # The HTML asks first, then its JSON twin (the same answer, cached by then).
        for suffix in ("", ".json")
    ]

    def first_requests() -> list[tuple[float, float]]:
        return [_ask(client, f"/{slug}{suffix}", params) for slug, suffix, params in views]

    remove_tree(current_build(project) / CACHE_DIR)
    computed = first_requests()
    # As `jejak build` leaves the build: its cache holds the dashboard's first views.
    remove_tree(current_build(project) / CACHE_DIR)
    precompute: dict[str, float] = {}
    began = time.perf_counter()
    warm_site(project, lambda page, seconds: precompute.__setitem__(page, seconds))
    precompute_seconds = time.perf_counter() - began
    after_build = first_requests()
    rows: list[dict[str, Any]] = []
    for (slug, suffix, params), first, then in zip(views, computed, after_build, strict=True):
        again = [_ask(client, f"/{slug}{suffix}", params)[0] for _ in range(args.repeats)]
        row = {
            "view": _name(slug, suffix, params),
            "computed_request_seconds": first[0],
            "computed_answer_seconds": first[1],
            "after_build_request_seconds": then[0],
            "after_build_answer_seconds": then[1],
            "cached_seconds": statistics.median(again),
            "max_cached_seconds": max(again),
        }
        rows.append(row)
        flags = ("" if max(first[0], then[0], *again) <= TARGET_SECONDS else "  REQUEST OVER TARGET") + (
            "" if then[1] <= TARGET_SECONDS else "  (answer after build over 1 s)"
        )
        print(
            f"{row['view']:<48} computed {first[0]:5.2f} / {first[1]:6.2f} s  "
            f"after build {then[0]:5.2f} / {then[1]:6.2f} s  cached {row['cached_seconds']:5.2f} s{flags}",
            flush=True,
        )
    server.should_exit = True
    print("precomputed by the build: " + ", ".join(f"{view} {seconds:.2f} s" for view, seconds in precompute.items()))
    print(f"precompute total {precompute_seconds:.1f} s")
    result = {
        "project": str(project.root),
        "machine": {"python": sys.version.split()[0], "platform": platform.platform()},
        "target_seconds": TARGET_SECONDS,
        "peak_mb": _peak_mb(),
        "precompute_seconds": {"total": precompute_seconds, **precompute},
        "views": rows,
    }
    OUT_DIR.mkdir(exist_ok=True)
    (OUT_DIR / "dashboard.json").write_text(json.dumps(result, indent=1), encoding="utf-8")
    columns = (
        "computed_request",
        "after_build_request",
        "cached",
        "max_cached",
        "computed_answer",
        "after_build_answer",
    )
    for kind in columns:
        over = [row["view"] for row in rows if row[f"{kind}_seconds"] > TARGET_SECONDS]
        within = f"{len(rows) - len(over)} of {len(rows)} views {kind.replace('_', ' ')} within {TARGET_SECONDS:.0f} s"
        print(within + (f"; over: {', '.join(over)}" if over else ""))
    print(f"process peak {result['peak_mb']:.0f} MB")
    print(f"wrote {OUT_DIR / 'dashboard.json'}")


if __name__ == "__main__":
    main()
