"""The report figures: the right traces, in the right order, from small hand-written report rows."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from plotly.offline import get_plotlyjs

from jejak.web.figures import (
    assisted_figure,
    attribution_figure,
    bounce_figure,
    devices_figure,
    flows_figure,
    funnel_figure,
    funnel_trend_figure,
    path_length_figure,
    paths_figure,
    time_lag_figure,
    write_html,
)


def _step(number: int, step: str, people: int, from_start: float | None, **extra: Any) -> dict[str, Any]:
    return {
        **extra,
        "step_number": number,
        "step": step,
        "people": people,
        "conversion_from_start": from_start,
        "conversion_from_previous": from_start,
        "dropped": 0,
        "median_seconds_from_previous": None,
    }


def test_a_funnel_whose_first_step_no_one_did_has_no_share() -> None:
    rows = [_step(1, "Product Viewed", 0, None), _step(2, "Order Completed", 0, None)]
    figure = funnel_figure(rows)
    assert figure.data[0].text == ("0 (–)", "0 (–)")


def test_assisted_has_three_series_per_value_of_the_first_column() -> None:
    rows = [
        {
            "source_medium": "google / cpc",
            "first_interaction_conversions": 3,
            "assisted_conversions": 5,
            "last_interaction_conversions": 1,
        },
        {
            "source_medium": "(direct) / (none)",
            "first_interaction_conversions": 0,
            "assisted_conversions": 2,
            "last_interaction_conversions": 4,
        },
    ]
    figure = assisted_figure(rows)
    assert [trace.name for trace in figure.data] == ["First interaction", "Assisted", "Last interaction"]
    assert figure.data[1].x == ("google / cpc", "(direct) / (none)")
    assert figure.data[1].y == (5, 2)
    assert figure.data[2].y == (1, 4)
    assert figure.layout.barmode == "group"
    assert figure.layout.xaxis.title.text == "Source medium"


def test_paths_put_the_largest_on_top_and_name_other_in_the_title() -> None:
    rows = [
        {"path": "Email", "conversions": 2, "conversion_share": 0.2},
        {"path": "Other (3 rows, 30.0 % of total)", "conversions": 3, "conversion_share": 0.3},
        {"path": "Paid Search > Email", "conversions": 5, "conversion_share": 0.5},
    ]
    figure = paths_figure(rows)
    (bar,) = figure.data
    assert bar.type == "bar" and bar.orientation == "h"
    # The Other row is named, not drawn: as a bar it dwarfed the paths (70 % of the demo's conversions).
    assert bar.y == ("Paid Search > Email", "Email")
    assert bar.x == (5, 2)
    assert figure.layout.title.text == "Top conversion paths · other paths: 3 conversions (30.0 %)"
    assert paths_figure(rows).layout.yaxis.autorange == "reversed"


def test_time_lag_follows_bucket_order_not_text_order() -> None:
    rows = [
        {"bucket": "12-30", "conversions": 1, "conversion_share": 0.1},
        {"bucket": "2", "conversions": 3, "conversion_share": 0.3},
        {"bucket": "0", "conversions": 6, "conversion_share": 0.6},
    ]
    figure = time_lag_figure(rows)
    (bar,) = figure.data
    assert bar.x == ("0", "2", "12-30")
    assert bar.y == (6, 3, 1)
    assert figure.layout.xaxis.type == "category"
    assert figure.layout.xaxis.categoryarray == ("0", "2", "12-30")


def test_path_length_split_by_first_channel_gives_one_trace_per_channel() -> None:
    rows = [
        {"first_channel": "Email", "bucket": "1", "conversions": 2, "conversion_share": 0.5},
        {"first_channel": "Email", "bucket": "12+", "conversions": 2, "conversion_share": 0.5},
        {"first_channel": "Direct", "bucket": "3", "conversions": 1, "conversion_share": 1.0},
    ]
    figure = path_length_figure(rows)
    assert [(trace.name, trace.x) for trace in figure.data] == [("Email", ("1", "12+")), ("Direct", ("3",))]
    assert figure.layout.xaxis.categoryarray == ("1", "3", "12+")


def test_devices_show_conversion_rate_as_percent() -> None:
    rows = [
        {"os": "Android", "sessions": 10, "conversion_rate": 0.1},
        {"os": "iOS", "sessions": 4, "conversion_rate": 0.25},
    ]
    figure = devices_figure(rows)
    assert figure.data[0].x == ("Android", "iOS")
    assert figure.data[0].y == (0.1, 0.25)
    assert figure.layout.yaxis.tickformat == ".0%"


@pytest.mark.parametrize("key", ["landing_page", "channel"])
def test_bounce_has_classic_and_engagement_rates_per_key(key: str) -> None:
    rows = [
        {key: "/home", "entrances": 10, "classic_bounce_rate": 0.5, "engagement_bounce_rate": 0.3},
        {key: "/promo", "entrances": 5, "classic_bounce_rate": 0.8, "engagement_bounce_rate": 0.6},
    ]
    figure = bounce_figure(rows)
    classic, engagement = figure.data
    assert classic.orientation == "h"
    assert classic.y == ("/home", "/promo")
    assert (classic.x, engagement.x) == ((0.5, 0.8), (0.3, 0.6))
    assert figure.layout.xaxis.tickformat == ".0%"


def test_attribution_error_bars_are_the_interval_around_the_value() -> None:
    rows = [
        {
            "channel": "Email",
            "model": "last_touch",
            "conversions": 10.0,
            "conversions_low": 8.5,
            "conversions_high": 12.25,
        },
        {"channel": "Email", "model": "markov", "conversions": 6.0, "conversions_low": None, "conversions_high": None},
        {
            "channel": "Search",
            "model": "last_touch",
            "conversions": 4.0,
            "conversions_low": 3.0,
            "conversions_high": 4.5,
        },
        {"channel": "Search", "model": "markov", "conversions": 8.0, "conversions_low": None, "conversions_high": None},
    ]
    last_touch, markov = attribution_figure(rows).data
    assert (last_touch.name, markov.name) == ("Last touch", "Markov")
    assert last_touch.x == ("Email", "Search")
    assert last_touch.y == (10.0, 4.0)
    assert last_touch.error_y.array == (12.25 - 10.0, 4.5 - 4.0)
    assert last_touch.error_y.arrayminus == (10.0 - 8.5, 4.0 - 3.0)
    assert markov.error_y.array is None


def test_attribution_without_interval_columns() -> None:
    (bar,) = attribution_figure([{"channel": "Email", "model": "linear", "conversions": 2.0}]).data
    assert bar.y == (2.0,)
    assert bar.error_y.array is None


def test_funnel_is_one_funnel_trace_with_count_and_share_from_start() -> None:
    rows = [_step(2, "Checkout", 1_250, 0.25), _step(1, "Visit", 5_000, 1.0)]
    (trace,) = funnel_figure(rows).data
    assert trace.type == "funnel"
    assert trace.y == ("1. Visit", "2. Checkout")
    assert trace.x == (5_000, 1_250)
    assert trace.text == ("5,000 (100.0%)", "1,250 (25.0%)")


def test_funnel_breakdown_gives_one_bar_trace_per_value() -> None:
    rows = [
        _step(1, "Visit", 10, 1.0, breakdown="mobile"),
        _step(2, "Buy", 2, 0.2, breakdown="mobile"),
        _step(1, "Visit", 4, 1.0, breakdown="desktop"),
        _step(2, "Buy", 2, 0.5, breakdown="desktop"),
    ]
    traces = funnel_figure(rows).data
    assert [(trace.type, trace.name) for trace in traces] == [("bar", "mobile"), ("bar", "desktop")]
    assert traces[1].x == ("1. Visit", "2. Buy")
    assert traces[1].y == (4, 2)
    assert traces[1].text == ("4 (100.0%)", "2 (50.0%)")


def test_funnel_trend_draws_the_rate_on_a_percent_axis_over_the_counts() -> None:
    rows = [
        {"period": dt.date(2026, 4, 8), "entered": 20, "completed": 10, "conversion_rate": 0.5},
        {"period": dt.date(2026, 4, 1), "entered": 10, "completed": 2, "conversion_rate": 0.2},
    ]
    figure = funnel_trend_figure(rows)
    entered, completed, rate = figure.data
    assert (entered.type, completed.type, rate.type) == ("bar", "bar", "scatter")
    assert entered.y == (10, 20)
    assert rate.y == (0.2, 0.5)
    assert rate.yaxis == "y2"
    assert figure.layout.yaxis2.tickformat == ".0%"


def test_flows_keep_the_same_name_at_two_steps_as_two_nodes() -> None:
    rows = [
        {"source_step": 0, "source": "/home", "target_step": 1, "target": "/shop", "paths": 5},
        {"source_step": 0, "source": "/home", "target_step": 1, "target": "/home", "paths": 2},
        {"source_step": 1, "source": "/shop", "target_step": 2, "target": "/home", "paths": 3},
    ]
    (sankey,) = flows_figure(rows).data
    assert sankey.type == "sankey"
    # Nodes: (0, /home), (1, /shop), (1, /home), (2, /home).
    assert sankey.node.label == ("/home", "/shop", "/home", "/home")
    assert sankey.link.source == (0, 0, 1)
    assert sankey.link.target == (1, 2, 3)
    assert sankey.link.value == (5, 2, 3)


def test_write_html_is_one_offline_page_with_an_escaped_title(tmp_path: Path) -> None:
    figures = [("Devices & OS", devices_figure([{"device_type": "mobile", "sessions": 4, "conversion_rate": 0.5}]))]
    path = write_html(figures, tmp_path / "report.html", "Jejak <script>alert(1)</script>")
    text = path.read_text(encoding="utf-8")
    assert "<title>Jejak &lt;script&gt;alert(1)&lt;/script&gt;</title>" in text
    assert "<script>alert(1)</script>" not in text
    assert "<h2>Devices &amp; OS</h2>" in text
    bundle = get_plotlyjs()
    assert text.count(bundle) == 1
    # The bundle itself names CDN URLs for map traces; everything else must load nothing from the network.
    page = text.replace(bundle, "")
    assert "https://cdn" not in page
    assert not re.search(r"<script[^>]*\bsrc=", page)
    assert "Plotly.newPlot" in page
