"""A real dashboard on 127.0.0.1: a built demo project, a user, uvicorn in a thread, and a logged-in client."""

from __future__ import annotations

import contextlib
import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn
from conftest import build_demo_with_personas

from jejak.store.project import Project
from jejak.web.app import create_app
from jejak.web.auth import add_user

USER, PASSWORD = "rina", "kopi-susu-gula-aren"


@dataclass(frozen=True)
class Dashboard:
    project: Project
    url: str

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, follow_redirects=False, timeout=60)

    @contextlib.contextmanager
    def logged_in(self) -> Iterator[httpx.Client]:
        """A client with a session cookie, logged in through the real form."""
        with self.client() as client:
            form = client.get("/login")
            token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
            assert token, form.text
            fields = {"name": USER, "password": PASSWORD, "csrf_token": token.group(1), "next": "/"}
            done = client.post("/login", data=fields)
            assert done.status_code == 303, done.text
            yield client


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# The tests of what pages answer wait for every answer, however slow the machine: a test of what a page shows
# must not see "computing" instead (test_jobs.py tests the wait itself, with a server that never waits).
ANSWER_WAIT_SECONDS = 120.0


def serving(project: Project, page_wait_seconds: float = ANSWER_WAIT_SECONDS) -> Iterator[str]:
    """Serve the project's dashboard on a free port until the generator is closed."""
    port = free_port()
    app = create_app(project, page_wait_seconds=page_wait_seconds)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the dashboard did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def demo_project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    project = build_demo_with_personas(
        tmp_path_factory.mktemp("dashboard"), events=20_000, seed=13, file_format="mixed"
    )
    add_user(project.sqlite_path, USER, PASSWORD, admin=True)
    return project


@pytest.fixture(scope="session")
def dashboard(demo_project: Project) -> Iterator[Dashboard]:
    for url in serving(demo_project):
        yield Dashboard(demo_project, url)


@pytest.fixture(scope="session")
def impatient_dashboard(demo_project: Project) -> Iterator[Dashboard]:
    """The same project served by an app that never waits: every answer not ready at once is "computing"."""
    for url in serving(demo_project, page_wait_seconds=0.0):
        yield Dashboard(demo_project, url)


@pytest.fixture
def screenshots_dir() -> Path:
    """Where browser tests keep their screenshots (kept after the run as test artefacts)."""
    target = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
    target.mkdir(parents=True, exist_ok=True)
    return target
