"""`jejak serve` (the dashboard) and `jejak user add|list` (who may log in to it)."""

from __future__ import annotations

import sys
from typing import Any

import click

from jejak.cli.common import PROJECT_OPTION, console, handle_errors, project_at, styled


def serve_project(project: object, host: str, port: int, wait_seconds: float | None = None) -> None:
    """Serve the dashboard of a project until interrupted (Ctrl+C); `wait_seconds`: see `web.jobs`."""
    import uvicorn

    from jejak.core.errors import SettingError
    from jejak.web.app import create_app
    from jejak.web.auth import user_names
    from jejak.web.jobs import PAGE_WAIT_SECONDS

    if not user_names(project.sqlite_path):  # type: ignore[attr-defined]
        raise SettingError("Nobody can log in yet. Create the first user with `jejak user add NAME`, then serve.")
    import threading

    from jejak.web.site import warm_site

    # Bootstrap intervals and the larger reports take seconds on a large build: the pages' first views are
    # computed into the build's cache while the server starts (at once when `jejak build` already did).
    threading.Thread(target=_warm, args=(warm_site, project), daemon=True).start()
    console.print(styled("jejak dashboard: ", (f"http://{host}:{port}/", "bold"), "  (Ctrl+C stops it)"))
    wait = PAGE_WAIT_SECONDS if wait_seconds is None else wait_seconds
    app = create_app(project, page_wait_seconds=wait)  # type: ignore[arg-type]
    uvicorn.run(app, host=host, port=port, log_level="warning")


def _warm(warm: Any, project: object) -> None:
    try:
        warm(project)
    except Exception as exc:  # a cold cache only makes the first page slower; say why and go on
        console.print(
            styled(("note", "yellow"), f": the first views were not precomputed ({exc}); each page computes its own.")
        )


def precompute_views(project: Any) -> None:
    """Compute the dashboard's first views into the last build's cache, printing each page's time.

    A failure leaves the build as it is (published and whole): the page computes its view when visited.
    """
    import time

    from jejak.web.site import warm_site

    began = time.perf_counter()
    try:
        with console.status("Computing the dashboard's first views…"):
            warm_site(project, lambda view, seconds: console.print(f"  {view:<12} {seconds:6.2f} s"))
    except Exception as exc:  # the build is published whatever happens here: say why and go on
        console.print(styled(("note", "yellow"), f": the dashboard's first views were not precomputed ({exc})."))
        return
    console.print(f"Dashboard's first views computed in {time.perf_counter() - began:.2f} s")


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--wait",
    "wait_seconds",
    default=None,
    type=click.FloatRange(min=0),
    help="Seconds a request waits for a view before answering 'computing' (default 0.75; the page then "
    "shows it when ready, a .json/.csv twin answers 202 until then). A large value makes every request wait.",
)
@PROJECT_OPTION
@handle_errors
def serve(host: str, port: int, wait_seconds: float | None, project_dir: str | None) -> None:
    """Serve the dashboard (login needed; plotly and every asset served locally, works offline).

    Example: jejak serve --port 8000
    """
    serve_project(project_at(project_dir), host, port, wait_seconds)


@click.group()
def user() -> None:
    """Dashboard users."""


@user.command(name="add")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input (for scripts).")
@PROJECT_OPTION
@handle_errors
def user_add(name: str, password_stdin: bool, project_dir: str | None) -> None:
    """Add a user (or set a new password); the first user is the admin.

    Example: jejak user add admin
    """
    from jejak.web.auth import add_user, user_names

    project = project_at(project_dir)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    first = not user_names(project.sqlite_path)
    add_user(project.sqlite_path, name, password, admin=first)
    console.print(f"User {name!r} can log in{' (admin)' if first else ''}.")


@user.command(name="list")
@PROJECT_OPTION
@handle_errors
def user_list(project_dir: str | None) -> None:
    """The users who may log in."""
    from jejak.web.auth import user_names

    for name in user_names(project_at(project_dir).sqlite_path):
        console.print(name)
