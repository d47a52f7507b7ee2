"""Dashboard access over real HTTP: every route needs a login, forms need their CSRF token, logins back off."""

from __future__ import annotations

import datetime as dt
import itertools
import re

import httpx
import pytest
from conftest import CLOCK_START

from jejak.core.clock import set_clock
from jejak.web import auth
from jejak.web.app import DATA_SUFFIXES, JSON_PREFIXES
from jejak.web.site import EXTRA_ROUTES, PAGES
from web.conftest import PASSWORD, USER, Dashboard

ROUTES = (
    [f"/{page.slug}{suffix}" for page in PAGES for suffix in ("", ".json", ".csv")]
    + [route for route, _ in EXTRA_ROUTES]
    + [f"{prefix}0123abcd" for prefix in JSON_PREFIXES]
)


def _csrf(page_html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page_html)
    assert found, page_html[:500]
    return found.group(1)


def test_the_health_check_needs_no_login(dashboard: Dashboard) -> None:
    with dashboard.client() as client:
        assert client.get("/health").json() == {"status": "ok"}


@pytest.mark.parametrize("route", ROUTES)
def test_every_route_rejects_an_anonymous_request(dashboard: Dashboard, route: str) -> None:
    with dashboard.client() as client:
        answer = client.get(route)
    if route.endswith(DATA_SUFFIXES) or route.startswith(JSON_PREFIXES):  # a twin, a file export, a job: data
        assert answer.status_code == 401
        assert answer.json()["error"]["code"] == "no_access"
    else:
        assert answer.status_code == 303
        assert answer.headers["location"] == f"/login?next={route}"
    assert "revenue" not in answer.text


def test_every_post_rejects_an_anonymous_request(dashboard: Dashboard) -> None:
    posts = ["/logout", *(f"/{page.slug}/{action}" for page in PAGES for action in page.actions)]
    with dashboard.client() as client:
        for route in posts:
            assert client.post(route, headers={"accept": "application/json"}).status_code == 401, route


def test_a_logged_in_user_gets_every_page_and_its_twins(dashboard: Dashboard) -> None:
    with dashboard.logged_in() as client:
        for page in PAGES:
            html = client.get(f"/{page.slug}")
            assert html.status_code == 200, (page.slug, html.text[:300])
            data = client.get(f"/{page.slug}.json").json()
            assert data["page"] == page.slug
            # The page shows the tables its JSON twin returns.
            for key in data["sections"]:
                assert f'data-section="{key}"' in html.text, (page.slug, key)
            first = next(iter(data["sections"]))
            table = client.get(f"/{page.slug}.csv", params={"section": first})
            assert table.status_code == 200 and table.headers["content-type"].startswith("text/csv")


def test_session_cookie_is_http_only_and_same_site_lax(dashboard: Dashboard) -> None:
    with dashboard.client() as client:
        token = _csrf(client.get("/login").text)
        done = client.post("/login", data={"name": USER, "password": PASSWORD, "csrf_token": token})
    cookie = next(
        value for key, value in done.headers.multi_items() if key == "set-cookie" and "jejak_session" in value
    )
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax")
    assert done.headers["location"] == "/overview"


def test_login_without_its_csrf_token_is_refused(dashboard: Dashboard) -> None:
    with dashboard.client() as client:
        client.get("/login")
        refused = client.post("/login", data={"name": USER, "password": PASSWORD})
    assert refused.status_code == 403
    assert "jejak_session" not in refused.headers.get("set-cookie", "")


def test_a_form_without_the_sessions_csrf_token_gets_403(dashboard: Dashboard) -> None:
    with dashboard.logged_in() as client:
        missing = client.post("/logout", data={})
        wrong = client.post("/logout", data={"csrf_token": "not-the-token"})
        assert missing.status_code == 403 and wrong.status_code == 403
        # The session survived both: the user is still logged in.
        assert client.get("/overview.json").status_code == 200
        token = _csrf(client.get("/overview").text)
        assert client.post("/logout", data={"csrf_token": token}).status_code == 303
        assert client.get("/overview.json").status_code == 401


def test_a_wrong_password_says_so_and_repeated_failures_back_off(dashboard: Dashboard) -> None:
    # The server runs in this process: a pinned clock makes the waits exact.
    moment = dt.datetime(2026, 5, 1, 9, 0, tzinfo=dt.UTC)
    set_clock(lambda: moment)
    try:
        with dashboard.client() as client:
            token = _csrf(client.get("/login").text)

            def attempt(name: str, password: str) -> httpx.Response:
                return client.post("/login", data={"name": name, "password": password, "csrf_token": token})

            failures = [attempt(USER, "not-her-password").status_code for _ in range(auth.FREE_FAILURES_PER_NAME)]
            assert failures == [401] * auth.FREE_FAILURES_PER_NAME
            # Past the free failures, even the right password waits: 1 s, then twice as long per failure.
            first_wait = attempt(USER, PASSWORD)
            assert first_wait.status_code == 429 and first_wait.headers["retry-after"] == "1"
            moment += dt.timedelta(seconds=1)
            assert attempt(USER, "not-her-password").status_code == 401
            second_wait = attempt(USER, PASSWORD)
            assert second_wait.status_code == 429 and second_wait.headers["retry-after"] == "2"
            assert "Try again in 2 s" in second_wait.text
            moment += dt.timedelta(seconds=2)
            assert attempt(USER, PASSWORD).status_code == 303
            # The success cleared the count: a wrong password is a plain 401 again, and no wait follows.
            assert attempt(USER, "not-her-password").status_code == 401
            assert attempt(USER, PASSWORD).status_code == 303
    finally:
        ticks = itertools.count()
        set_clock(lambda: CLOCK_START + dt.timedelta(days=30, seconds=next(ticks)))


def test_login_only_redirects_to_this_site(dashboard: Dashboard) -> None:
    with dashboard.client() as client:
        token = _csrf(client.get("/login").text)
        done = client.post(
            "/login", data={"name": USER, "password": PASSWORD, "csrf_token": token, "next": "//evil.example/"}
        )
    assert done.status_code == 303 and done.headers["location"] == "/overview"


def test_bad_filters_get_a_clear_error_in_the_json_shape(dashboard: Dashboard) -> None:
    with dashboard.logged_in() as client:
        answer = client.get("/overview.json", params={"from": "2026-13-01"})
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "bad_setting" and "YYYY-MM-DD" in answer.json()["error"]["message"]


def test_csv_exports_neutralise_formula_prefixes() -> None:
    from jejak.web.app import rows_csv

    text = rows_csv([{"page": '=HYPERLINK("http://x")', "n": -3, "who": "@sum", "ok": "Beranda"}])
    assert "'=HYPERLINK" in text and "'@sum" in text and ",-3," in text and "Beranda" in text


def test_requests_are_answered_only_from_this_origin(dashboard: Dashboard) -> None:
    with dashboard.logged_in() as client:
        answer = client.get("/overview")
    policy = answer.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy
    assert not re.search(r'(src|href)="https?://', answer.text)
    assert isinstance(answer, httpx.Response)


def test_a_nul_in_a_query_or_a_form_is_refused_with_its_name(dashboard: Dashboard) -> None:
    # A NUL ends a text in DuckDB's SQL: this flows page and this persona's note stopped as bugs (500).
    with dashboard.logged_in() as client:
        page = client.get("/flows.json", params={"start_event": "Product\x00Viewed"})
        token = _csrf(client.get("/overview").text)
        note = client.post(
            "/map/note",
            data={"csrf_token": token, "stage": "Awareness", "lane": "thoughts", "text": "mahal\x00"},
            headers={"accept": "application/json"},
        )
    for answer, name in ((page, "start_event"), (note, "text")):
        assert answer.status_code == 400, answer.text
        error = answer.json()["error"]
        assert error["code"] == "bad_setting" and f"{name} holds a NUL character" in error["message"], error


def test_the_widest_days_a_date_can_be_are_every_day(dashboard: Dashboard) -> None:
    # The day after 9999-12-31 is past what a date can be: `to` of it stopped every filtered page (500).
    widest = {"from": "0001-01-01", "to": "9999-12-31"}
    with dashboard.logged_in() as client:
        for slug in ("overview", "funnels", "flows"):
            everything = client.get(f"/{slug}.json").json()["sections"]
            answer = client.get(f"/{slug}.json", params=widest)
            assert answer.status_code == 200, (slug, answer.text[:300])
            assert answer.json()["sections"] == everything, slug


def test_a_number_python_calls_a_digit_but_no_int_is_no_number(dashboard: Dashboard) -> None:
    # '²'.isdigit() is true and int('²') fails; 20 nines are too many for SQLite: both stopped as bugs (500).
    with dashboard.logged_in() as client:
        token = _csrf(client.get("/overview").text)
        for note_id in ("²", "9" * 20, "9" * 5000):
            answer = client.post("/map/delete", data={"csrf_token": token, "note_id": note_id})
            assert answer.status_code == 400 and "note_id must be a note&#39;s number" in answer.text, answer.text[:300]
        # A re-try's count in the Data page's address is shown when it is a number, else as 0.
        assert client.get("/data.json", params={"dismissed": "²"}).json()["dismissed"] == 0
        assert client.get("/data.json", params={"dismissed": "3"}).json()["dismissed"] == 3
