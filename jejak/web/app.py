"""The dashboard: one FastAPI app per project; every page has a `.json` twin (and a `.csv` per table).

- Pages are declared once (`site.PAGES`): a handler returns named sections of rows (from
  `service.reports`, the functions the CLI prints) and the page draws each as a table and,
  where there is one, a plotly figure. `/<page>` is the HTML, `/<page>.json` the same data,
  `/<page>.csv?section=NAME` one table with formula prefixes neutralised.
- Everything but `/health`, `/login` and `/static/*` needs a login (`auth.py`); an
  anonymous page request is sent to the login page, an anonymous JSON or CSV request gets
  401 in the one JSON error shape (`JejakError.as_json`).
- Every POST carries the session's CSRF token (form field `csrf_token` or header
  `X-CSRF-Token`); without it: 403.
- Nothing is fetched from another host: plotly.js is served from the `plotly` wheel, and the
  Content-Security-Policy allows only this origin.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import json
import secrets
import time
import urllib.parse
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable, Sequence
from importlib.resources import files
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, pass_context, select_autoescape
from starlette.datastructures import FormData

from jejak.core.errors import AccessError, ForbiddenError, JejakError, SettingError, ThrottledError
from jejak.core.numbers import whole_text
from jejak.core.typed import check_no_nul_inside
from jejak.service.cache import state_signature
from jejak.service.language import duration_text, moment_text
from jejak.service.reports import is_duration_column, is_share_column, shared_identifier_warnings
from jejak.store.project import Project
from jejak.web import auth
from jejak.web.i18n import LANGUAGES, column_label, number_text, percent_text, value_label, word
from jejak.web.jobs import PAGE_WAIT_SECONDS, Job, Jobs
from jejak.web.pages import Page, PageContext, PageResult, parse_scope, persona_names, run_page
from jejak.web.site import EXTRA_ROUTES, PAGES

SESSION_COOKIE = "jejak_session"
LOGIN_CSRF_COOKIE = "jejak_login_csrf"
LANG_COOKIE = "jejak_lang"
PUBLIC_PATHS = ("/health", "/login", "/static/")
# Inline styles are plotly's (it sets them on the elements it draws); scripts come only from here.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
DATA_SUFFIXES = (".json", ".csv", ".pdf", ".png")
# Routes that answer JSON whatever their name ends with: whether a view being computed is ready.
JSON_PREFIXES = ("/jobs/",)
CSV_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def _templates() -> Environment:
    env = Environment(loader=PackageLoader("jejak.web", "templates"), autoescape=select_autoescape(["html"]))
    # Headings and cells read the page's language from the template's context (`render` sets `lang`).
    env.filters["label"] = pass_context(lambda context, column: column_label(column, context.get("lang", "en")))
    env.filters["cell"] = pass_context(lambda context, value: cell_text(value, context.get("lang", "en")))
    env.filters["script_json"] = script_json
    env.globals["cell"] = pass_context(
        lambda context, column, value: report_cell(column, value, context.get("lang", "en"), context.get("zone", "UTC"))
    )
    env.globals["section_notes"] = pass_context(
        lambda context, section: section_notes(section.key, section.rows, context.get("lang", "en"))
    )
    return env


# What a section's rows mean, said in the page's language above its table: written when the page is drawn, since
# a kept answer (`service.cache`) holds the rows of every language.
SECTION_NOTES: dict[str, Callable[[Sequence[dict[str, Any]], str], list[str]]] = {
    "warnings": shared_identifier_warnings,
}


def section_notes(key: str, rows: Sequence[dict[str, Any]], lang: str = "en") -> list[str]:
    """The sentences a section's rows call for (`SECTION_NOTES`); none for most sections."""
    said = SECTION_NOTES.get(key)
    return said(rows, lang) if said is not None and rows else []


def report_cell(column: str, value: Any, lang: str = "en", zone: str = "UTC") -> str:
    """A table cell as text: shares and rates as percents, counts with thousands separators, the words a report
    wrote (a reading, an Other row) in the page's language, a duration in words, and an instant (a `timestamp` or
    `…_at` column) on the business's clock, `zone` (the JSON and CSV twins keep it in UTC)."""
    if (column == "timestamp" or column.endswith("_at")) and isinstance(value, (str, dt.datetime)):
        return moment_text(value, zone) or ""
    if is_duration_column(column) and isinstance(value, (int, float)) and not isinstance(value, bool):
        return duration_text(value, lang)  # a funnel's median time between steps: 2.0 min, not 121
    if isinstance(value, float) and is_share_column(column):
        return percent_text(value, lang)
    if isinstance(value, str):
        return value_label(column, value, lang)
    return cell_text(value, lang)


def cell_text(value: Any, lang: str = "en") -> str:
    """A value as text: thousands separated, small fractions with three decimals, and zero as 0 (a day's revenue of
    nothing read "0.000" among "765,000"); Indonesian swaps the separators (`765.000`, `0,125`)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return word("yes" if value else "no", lang)
    if isinstance(value, float):
        if value == 0:
            return "0"
        if abs(value) < 1:
            return number_text(f"{value:,.3f}", lang)
        return number_text(f"{value:,.2f}" if abs(value) < 100 else f"{value:,.0f}", lang)
    if isinstance(value, int):
        return whole_text(value, lang)
    return str(value)


def script_json(value: Any) -> str:
    """JSON safe inside a <script type="application/json"> element (no `</script>` can end it early)."""
    text = value if isinstance(value, str) else json.dumps(value, default=str, ensure_ascii=False)
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


def csv_safe(value: Any) -> Any:
    """A cell a spreadsheet will not run: text starting with = + - @ (or tab, CR) gets a leading quote (OWASP)."""
    if isinstance(value, str) and value.startswith(CSV_FORMULA_PREFIXES):
        return "'" + value
    return value


def rows_csv(rows: list[dict[str, Any]]) -> str:
    columns = list(dict.fromkeys(column for row in rows for column in row))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns)
    writer.writeheader()
    for row in rows:
        writer.writerow({column: csv_safe(row.get(column)) for column in columns})
    return out.getvalue()


def _wants_json(request: Request) -> bool:
    path = request.url.path
    # Twins and file exports answer errors as JSON; only pages redirect to the login form.
    return (
        path.endswith(DATA_SUFFIXES)
        or path.startswith(JSON_PREFIXES)
        or "application/json" in request.headers.get("accept", "")
    )


def _error_response(request: Request, exc: JejakError, app: FastAPI) -> Response:
    if isinstance(exc, AccessError) and type(exc) is AccessError and not _wants_json(request):
        target = urllib.parse.quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
        return RedirectResponse(f"/login?next={target}", status_code=303)
    headers = {"Retry-After": str(exc.retry_after_seconds)} if isinstance(exc, ThrottledError) else None
    if _wants_json(request):
        return JSONResponse(exc.as_json(), status_code=exc.http_status, headers=headers)
    response: HTMLResponse = app.state.render(
        request, "error.html", status_code=exc.http_status, message=exc.message, code=exc.code
    )
    response.headers.update(headers or {})
    return response


def _lang(request: Request) -> str:
    chosen = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE) or "en"
    return chosen if chosen in LANGUAGES else "en"


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _safe_next(target: str | None) -> str:
    """Only a path on this site (never //host or a scheme) may be the place to go after login."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def create_app(project: Project, page_wait_seconds: float = PAGE_WAIT_SECONDS) -> FastAPI:
    """The dashboard of one project; a page not ready within `page_wait_seconds` shows "computing" (`jobs.py`)."""
    jobs: Jobs[PageResult] = Jobs(wait_seconds=page_wait_seconds)

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        jobs.shutdown()

    app = FastAPI(title="jejak", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
    app.state.project = project
    app.state.jobs = jobs
    app.state.templates = _templates()
    static_dir = Path(str(files("jejak.web") / "static"))
    plotly_js = Path(str(files("plotly") / "package_data" / "plotly.min.js"))

    @app.exception_handler(JejakError)
    async def jejak_error(request: Request, exc: JejakError) -> Response:
        return _error_response(request, exc, app)

    @app.middleware("http")
    async def guard(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        path = request.url.path
        began = time.perf_counter()
        request.state.session = auth.session_for(project.sqlite_path, request.cookies.get(SESSION_COOKIE))
        if request.state.session is None and not (path == "/" or path.startswith(PUBLIC_PATHS)):
            return _error_response(request, AccessError("Log in first: this page needs a login."), app)
        try:  # a NUL typed into a filter would end the text in the engine's SQL (`core.typed`)
            check_no_nul_inside(dict(request.query_params), "The query parameter")
        except SettingError as exc:
            return _error_response(request, exc, app)
        response = await call_next(request)
        # Server time, for the browser's network panel and bench/dashboard.py (W3C Server Timing).
        response.headers["Server-Timing"] = f"app;dur={(time.perf_counter() - began) * 1000:.1f}"
        response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["X-Frame-Options"] = "DENY"
        if request.query_params.get("lang") in LANGUAGES:
            response.set_cookie(LANG_COOKIE, request.query_params["lang"], samesite="lax", httponly=True)
        return response

    def render(request: Request, template: str, status_code: int = 200, **values: Any) -> HTMLResponse:
        lang = _lang(request)
        session = getattr(request.state, "session", None)
        body = app.state.templates.get_template(template).render(
            lang=lang,
            word=lambda key: word(key, lang),
            pages=PAGES,
            path=request.url.path,
            query=dict(request.query_params),
            csrf_token=session.csrf_token if session else "",
            user=session.user if session else "",
            other_lang="id" if lang == "en" else "en",
            zone=project.settings.timezone,
            **values,
        )
        return HTMLResponse(body, status_code=status_code)

    async def checked_form(request: Request) -> FormData:
        """The POSTed form, after checking its CSRF token against the session's."""
        form = await request.form()
        given = request.headers.get("x-csrf-token") or form.get("csrf_token")
        session = request.state.session
        if session is None or not auth.same_token(session.csrf_token, str(given) if given else None):
            raise ForbiddenError("The form's CSRF token is missing or wrong. Reload the page and send it again.")
        check_no_nul_inside({name: value for name, value in form.items() if isinstance(value, str)}, "The form field")
        return form

    app.state.checked_form = checked_form
    app.state.render = render

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/jobs/{job_id}")
    def job_status(job_id: str) -> dict[str, Any]:
        """Whether a view being computed is ready (a "computing" page asks this, then reloads)."""
        done, seconds = jobs.done(job_id)
        return {"done": done, "seconds_so_far": seconds}

    @app.get("/")
    def home(request: Request) -> Response:
        return RedirectResponse("/overview" if request.state.session else "/login", status_code=303)

    @app.get("/static/plotly.min.js")
    def plotly() -> FileResponse:
        return FileResponse(plotly_js, media_type="text/javascript")

    @app.get("/static/{name}")
    def static(name: str) -> FileResponse:
        path = static_dir / name
        if name.startswith(".") or "/" in name or not path.is_file():
            raise JejakError(f"No static file {name!r}.")
        kinds = {".css": "text/css", ".js": "text/javascript", ".svg": "image/svg+xml"}
        return FileResponse(path, media_type=kinds.get(path.suffix, "application/octet-stream"))

    @app.get("/login")
    def login_page(request: Request) -> Response:
        token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(32)
        response = render(
            request, "login.html", login_csrf=token, next=_safe_next(request.query_params.get("next")), failed=""
        )
        response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="lax")
        return response

    @app.post("/login")
    async def login(request: Request) -> Response:
        form = await request.form()
        if not auth.same_token(request.cookies.get(LOGIN_CSRF_COOKIE), str(form.get("csrf_token") or "")):
            raise ForbiddenError("The login form's CSRF token is missing or wrong. Reload the login page.")
        target = _safe_next(str(form.get("next") or "/"))
        try:
            token, _ = auth.log_in(
                project.sqlite_path, str(form.get("name") or ""), str(form.get("password") or ""), _client(request)
            )
        except ThrottledError:
            raise
        except AccessError:
            lang = _lang(request)
            return render(
                request,
                "login.html",
                status_code=401,
                login_csrf=request.cookies.get(LOGIN_CSRF_COOKIE),
                next=target,
                failed=word("wrong_login", lang),
            )
        response = RedirectResponse(target if target != "/" else "/overview", status_code=303)
        response.set_cookie(
            SESSION_COOKIE, token, httponly=True, samesite="lax", max_age=auth.SESSION_SECONDS, path="/"
        )
        return response

    @app.post("/logout")
    async def logout(request: Request) -> Response:
        await checked_form(request)
        auth.log_out(project.sqlite_path, request.cookies.get(SESSION_COOKIE))
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    for page in PAGES:
        _add_page(app, page)
    for route, view in EXTRA_ROUTES:
        app.add_api_route(route, view, methods=["GET"])
    return app


def _context(request: Request, project: Project) -> PageContext:
    return PageContext(
        project=project,
        scope=parse_scope(request.query_params),
        params=dict(request.query_params),
        lang=_lang(request),
    )


def _job_key(project: Project, page: Page, context: PageContext) -> Hashable:
    """What makes a page's answer: its question, the build it reads and the SQLite state (not the language)."""
    build = str(project.tables_dir.resolve()) if project.tables_dir.exists() else ""
    return (page.slug, context.question(), build, json.dumps(state_signature(project), default=str))


def _run(request: Request, page: Page) -> PageResult | Job[PageResult]:
    """The page's answer, or its job when it is not ready within the app's wait (`jobs.py`)."""
    project = request.app.state.project
    context = _context(request, project)
    jobs: Jobs[PageResult] = request.app.state.jobs
    return jobs.answer(_job_key(project, page, context), lambda: run_page(page, context))


def _computing_json(page: Page, job: Job[PageResult]) -> JSONResponse:
    """A `.json` (or `.csv`) twin's answer while its view is computed: 202, ask again."""
    return JSONResponse(
        {"page": page.slug, "status": "computing", "job": job.job_id, "seconds_so_far": job.seconds_so_far()},
        status_code=202,
        headers={"Retry-After": "1"},
    )


def _add_page(app: FastAPI, page: Page) -> None:
    def html_view(request: Request) -> Response:
        from jejak.web import figures

        result = _run(request, page)
        render: Callable[..., HTMLResponse] = request.app.state.render
        if isinstance(result, Job):
            return render(request, "computing.html", status_code=202, page=page, job=result)
        lang = _lang(request)
        drawn = {
            section.key: getattr(figures, section.figure)(section.rows, lang).to_json()
            for section in result.sections
            if section.figure and section.rows
        }
        shown = {key: value for key, value in request.query_params.items() if key != "lang"}
        return render(
            request,
            page.template,
            page=page,
            result=result,
            figures=drawn,
            personas=persona_names(request.app.state.project),
            query_string=urllib.parse.urlencode(shown),
        )

    def json_view(request: Request) -> Response:
        result = _run(request, page)
        if isinstance(result, Job):
            return _computing_json(page, result)
        context = _context(request, request.app.state.project)
        return JSONResponse(
            json.loads(
                json.dumps(
                    {
                        "page": page.slug,
                        "filters": context.scope_json(),
                        "sections": {section.key: section.rows for section in result.sections},
                        **result.extra,
                    },
                    default=str,
                )
            )
        )

    def csv_view(request: Request) -> Response:
        result = _run(request, page)
        if isinstance(result, Job):
            return _computing_json(page, result)
        wanted = request.query_params.get("section") or (result.sections[0].key if result.sections else "")
        for section in result.sections:
            if section.key == wanted:
                return PlainTextResponse(
                    rows_csv(section.rows),
                    media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{page.slug}-{section.key}.csv"'},
                )
        known = ", ".join(section.key for section in result.sections)
        raise SettingError(f"This page has no table {wanted!r}. Tables: {known}.")

    app.add_api_route(f"/{page.slug}", html_view, methods=["GET"], name=page.slug)
    app.add_api_route(f"/{page.slug}.json", json_view, methods=["GET"], name=f"{page.slug}_json")
    app.add_api_route(f"/{page.slug}.csv", csv_view, methods=["GET"], name=f"{page.slug}_csv")
    for path, action in page.actions.items():
        app.add_api_route(f"/{page.slug}/{path}", action, methods=["POST"], name=f"{page.slug}_{path}")
