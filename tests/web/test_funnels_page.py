"""The funnels page: a funnel's best attempts are kept next to the build, and its other views read them."""

from __future__ import annotations

from pathlib import Path

from jejak.analytics.funnels import Funnel, funnel_steps, funnel_trend
from jejak.engine import connect
from jejak.service.language import duration_text
from jejak.store.derived import table_path
from jejak.web.pages import DEFAULT_FUNNEL
from web.conftest import Dashboard


def _kept(dashboard: Dashboard) -> list[Path]:
    return sorted((Path(dashboard.project.tables_dir.resolve()) / ".cache").glob("funnel-day-attempts-*.parquet"))


def test_a_breakdown_and_a_trend_read_the_attempts_the_funnel_kept_and_agree_with_a_fresh_count(
    dashboard: Dashboard,
) -> None:
    window_days = 9  # a funnel no other test asks for, so its attempts are computed here first
    with dashboard.logged_in() as client:
        before = set(_kept(dashboard))
        plain = client.get("/funnels.json", params={"window_days": window_days}).json()
        kept = set(_kept(dashboard)) - before
        assert len(kept) == 1, "the funnel's attempts were not kept next to the build"
        by_channel = client.get("/funnels.json", params={"window_days": window_days, "breakdown": "channel"}).json()
        trend = client.get("/funnels.json", params={"window_days": window_days, "trend": "week"}).json()
        assert set(_kept(dashboard)) - before == kept, "another view computed the same attempts again"

    # The same numbers as the analytics functions on the build's event stream, with nothing kept.
    engine = connect(dashboard.project.settings)
    stream = engine.read_parquet(table_path(dashboard.project, "events"))
    settings = dashboard.project.settings
    funnel = Funnel.of(
        DEFAULT_FUNNEL, order=settings.funnel_order, window_seconds=window_days * 86_400, zone=settings.timezone
    )
    fresh_plain = engine.to_pyarrow(funnel_steps(stream, funnel)).to_pylist()
    fresh_channel = engine.to_pyarrow(funnel_steps(stream, funnel, breakdown="channel")).to_pylist()
    fresh_trend = engine.to_pyarrow(funnel_trend(stream, funnel, period="week")).to_pylist()
    engine.close()
    assert fresh_plain[0]["people"] > 0
    assert [row["people"] for row in plain["sections"]["steps"]] == [row["people"] for row in fresh_plain]
    assert [(row["breakdown"], row["step"], row["people"]) for row in by_channel["sections"]["steps"]] == [
        (row["breakdown"], row["step"], row["people"]) for row in fresh_channel
    ]
    assert [(str(row["period"]), row["entered"], row["completed"]) for row in trend["sections"]["trend"]] == [
        (str(row["period"]), row["entered"], row["completed"]) for row in fresh_trend
    ]


def test_a_funnel_whose_first_step_no_one_did_is_drawn(dashboard: Dashboard) -> None:
    # A shop that imported only its sales has no Product Viewed: the page answered 500 (a share of no one).
    steps = "Nobody Does This\nOrder Completed"
    with dashboard.logged_in() as client:
        page = client.get("/funnels", params={"steps": steps, "wait": 30})
        rows = client.get("/funnels.json", params={"steps": steps, "wait": 30}).json()["sections"]["steps"]
    assert page.status_code == 200, page.text[-2000:]
    assert rows[0]["people"] == 0 and rows[0]["conversion_from_start"] is None
    assert "Nobody Does This" in page.text


def test_the_time_between_steps_reads_as_a_duration(dashboard: Dashboard) -> None:
    # The JSON twin keeps seconds; the page says them as people do (44 s, 2.0 min), under a heading that says time.
    with dashboard.logged_in() as client:
        rows = client.get("/funnels.json", params={"wait": 30}).json()["sections"]["steps"]
        page = client.get("/funnels", params={"wait": 30}).text
        halaman = client.get("/funnels", params={"wait": 30, "lang": "id"}).text
    medians = [row["median_seconds_from_previous"] for row in rows[1:]]
    assert medians and all(isinstance(median, float) for median in medians)
    assert "median time from previous" in page and "median seconds" not in page
    for median in medians:
        assert f">{duration_text(median)}</td>" in page
        assert f">{duration_text(median, 'id')}</td>" in halaman
