"""A view not ready within the request's wait: "computing" at once, the answer when it is done (web/jobs.py)."""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx
import pytest

from jejak.web.jobs import Job, Jobs
from web.conftest import Dashboard


def _gated(calls: list[str], gate: threading.Event, answer: str) -> Any:
    def compute() -> str:
        calls.append(answer)
        assert gate.wait(timeout=30), "the test never opened the gate"
        return answer

    return compute


def test_an_answer_ready_within_the_wait_is_returned_and_a_slow_one_gives_its_job() -> None:
    jobs: Jobs[str] = Jobs(wait_seconds=5.0)
    try:
        assert jobs.answer("quick", lambda: "ready") == "ready"
        slow: Jobs[str] = Jobs(wait_seconds=0.05)
        calls: list[str] = []
        gate = threading.Event()
        first = slow.answer("slow", _gated(calls, gate, "slow answer"))
        assert isinstance(first, Job)
        assert slow.done(first.job_id)[0] is False
        # Asked again while it is computed: the same job, not a second computation.
        again = slow.answer("slow", _gated(calls, gate, "second computation"))
        assert isinstance(again, Job) and again.job_id == first.job_id
        gate.set()
        first.future.result(timeout=30)
        done, seconds = slow.done(first.job_id)
        assert done is True and seconds is not None and seconds >= 0
        assert slow.answer("slow", _gated(calls, gate, "second computation")) == "slow answer"
        assert calls == ["slow answer"]
        # Handed out once, then forgotten: the job is unknown (done), and the next request computes again.
        assert slow.done(first.job_id) == (True, None)
        assert slow.answer("slow", _gated(calls, gate, "recomputed")) == "recomputed"
        slow.shutdown()
    finally:
        jobs.shutdown()


def test_an_error_in_the_computation_reaches_the_request_that_collects_it() -> None:
    jobs: Jobs[str] = Jobs(wait_seconds=0.0)
    gate = threading.Event()

    def failing() -> str:
        gate.wait(timeout=30)
        raise ValueError("lookback must be a number")

    try:
        job = jobs.answer("bad", failing)
        assert isinstance(job, Job)
        gate.set()
        with pytest.raises(ValueError):
            job.future.result(timeout=30)
        with pytest.raises(ValueError, match="lookback must be a number"):
            jobs.answer("bad", lambda: "never asked")
        # Forgotten after the error: the same question is computed again.
        jobs_wait = Jobs[str](wait_seconds=5.0)
        assert jobs_wait.answer("bad", lambda: "fixed") == "fixed"
        jobs_wait.shutdown()
    finally:
        jobs.shutdown()


def test_answers_nobody_came_back_for_are_dropped_after_the_keep_time() -> None:
    jobs: Jobs[str] = Jobs(wait_seconds=0.0, keep_seconds=0.0)
    calls: list[str] = []
    gate = threading.Event()
    try:
        job = jobs.answer("left", _gated(calls, gate, "computed once"))
        assert isinstance(job, Job)
        gate.set()
        job.future.result(timeout=30)
        while job.finished_monotonic is None:  # the done-callback runs just after the result is set
            time.sleep(0.01)
        time.sleep(0.01)
        jobs.answer("other", lambda: "other")  # any request sweeps the stale answers
        assert jobs.done(job.job_id) == (True, None)
        slow = threading.Event()
        again = jobs.answer("left", _gated(calls, slow, "computed twice"))
        assert isinstance(again, Job) and again.job_id != job.job_id
        slow.set()
        assert again.future.result(timeout=30) == "computed twice"
        assert calls == ["computed once", "computed twice"]
    finally:
        jobs.shutdown()


def test_a_negative_wait_is_refused() -> None:
    with pytest.raises(ValueError, match="wait_seconds"):
        Jobs(wait_seconds=-1)


def _answer_after_computing(client: httpx.Client, route: str, params: dict[str, str]) -> httpx.Response:
    """Ask an app that never waits: "computing" (202) first, then poll the job, then the answer."""
    first = client.get(route, params=params)
    assert first.status_code == 202, first.text[:300]
    assert first.headers["retry-after"] == "1"
    pending = first.json()
    assert pending["status"] == "computing" and pending["page"] == route.strip("/").split(".")[0]
    deadline = time.monotonic() + 120
    while not client.get(f"/jobs/{pending['job']}").json()["done"]:
        assert time.monotonic() < deadline, "the job never finished"
        time.sleep(0.05)
    answer = client.get(route, params=params)
    assert answer.status_code == 200, answer.text[:300]
    return answer


def test_a_twin_answers_202_while_computing_then_the_same_answer_as_an_app_that_waits(
    dashboard: Dashboard, impatient_dashboard: Dashboard
) -> None:
    params = {"lookback": "9", "resamples": "20"}  # a re-run nobody asked before: journeys rebuilt
    with impatient_dashboard.logged_in() as client:
        later = _answer_after_computing(client, "/attribution.json", params).json()
    with dashboard.logged_in() as client:
        waited = client.get("/attribution.json", params=params).json()
    assert later["sections"] == waited["sections"]
    assert later["form"]["lookback"] == 9
    assert later["sections"]["comparison"], "an empty comparison would make the comparison say nothing"


def test_a_page_shows_computing_with_its_job_then_its_tables(impatient_dashboard: Dashboard) -> None:
    params = {"lookback": "8", "resamples": "10"}
    with impatient_dashboard.logged_in() as client:
        first = client.get("/attribution", params=params)
        assert first.status_code == 202
        assert 'data-job="' in first.text and "Computing this view" in first.text
        assert 'data-section="comparison"' not in first.text
        job_id = first.text.split('data-job="', 1)[1].split('"', 1)[0]
        deadline = time.monotonic() + 120
        while not client.get(f"/jobs/{job_id}").json()["done"]:
            assert time.monotonic() < deadline, "the job never finished"
            time.sleep(0.05)
        shown = client.get("/attribution", params=params)
        assert shown.status_code == 200 and 'data-section="comparison"' in shown.text
        # A CSV export asked while computing answers 202 too, never an empty file.
        table = client.get("/attribution.csv", params={"lookback": "7", "resamples": "10"})
        assert table.status_code == 202 and table.json()["status"] == "computing"


def test_a_bad_question_answers_its_error_not_computing(impatient_dashboard: Dashboard) -> None:
    with impatient_dashboard.logged_in() as client:
        deadline = time.monotonic() + 30
        # The check runs on the worker: its error is collected by the first request after it is done.
        while (answer := client.get("/attribution.json", params={"lookback": "999"})).status_code == 202:
            assert time.monotonic() < deadline, "the bad question never finished"
            time.sleep(0.05)
    assert answer.status_code == 400, answer.text[:300]
    assert "lookback" in answer.json()["error"]["message"]
