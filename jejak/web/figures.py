"""Plotly figures for the reports: one builder per report, and an offline HTML page to hold them.

Each builder takes a report's rows, the dicts its table gives (`to_pyarrow(expr).to_pylist()`),
and the page's language, and returns a `plotly.graph_objects.Figure`. Shares are 0–1 in the rows and
show as percents. Titles, axes, series and hover text come from `i18n` in that language, and numbers are
written with its separators (plotly's `separators`); the rows' own values (channels, pages) are drawn as
they are, but for the words the reports write into them (`i18n.value_label`).

Example:
    >>> figure = devices_figure([{"device_type": "mobile", "sessions": 8, "conversion_rate": 0.25}])
    >>> figure.data[0].x, figure.data[0].y
    (('mobile',), (0.25,))
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from jejak.analytics.lags import LAG_BUCKETS, LENGTH_BUCKETS
from jejak.analytics.topn import OTHER_PREFIX
from jejak.core.numbers import whole_text
from jejak.journeys.dimensions import DIMENSIONS
from jejak.web.i18n import FIGURE_SEPARATORS, column_label, in_language, number_text, percent_text, value_label, word

Rows = Sequence[Mapping[str, Any]]
PERCENT_TICKS = ".0%"
# (word key of the series' name, column)
ASSISTED_SERIES = (
    ("fig_first_interaction", "first_interaction_conversions"),
    ("fig_assisted_series", "assisted_conversions"),
    ("fig_last_interaction", "last_interaction_conversions"),
)
BOUNCE_SERIES = (("fig_classic_bounce", "classic_bounce_rate"), ("fig_engagement_bounce", "engagement_bounce_rate"))


def _label(name: str, lang: str) -> str:
    """A column or model name as a label: `source_medium` becomes "Source medium" ("Sumber / media")."""
    text = column_label(name, lang)
    return text[:1].upper() + text[1:]


def _key(rows: Rows) -> str:
    """The name of the rows' first column, the one the report groups by ("" without rows)."""
    return next(iter(rows[0]), "") if rows else ""


def _values(rows: Rows, column: str) -> list[Any]:
    """One column of the rows, in row order."""
    return [row[column] for row in rows]


def _groups(rows: Rows, column: str) -> dict[Any, list[Mapping[str, Any]]]:
    """The rows split by `column`'s value, in order of first appearance (one group under None without it)."""
    groups: dict[Any, list[Mapping[str, Any]]] = {}
    for row in rows:
        groups.setdefault(row.get(column), []).append(row)
    return groups


BAR_ROW_PIXELS = 30  # a horizontal bar's height, so that eleven rows' names do not run into each other or drop out


def _styled(
    figure: go.Figure,
    title: str,
    lang: str,
    *,
    x_title: str = "",
    y_title: str = "",
    percent: Literal["x", "y"] | None = None,
    **layout: Any,
) -> go.Figure:
    """The figure with its title, axis titles and the house layout; `percent` names the axis holding shares."""
    figure.update_layout(
        title=title,
        xaxis_title=x_title,
        yaxis_title=y_title,
        template="plotly_white",
        separators=in_language(FIGURE_SEPARATORS, lang),
        **layout,
    )
    if percent:
        figure.update_layout({f"{percent}axis": {"tickformat": PERCENT_TICKS}})
    return figure


def _right_axis(title: str, **more: Any) -> dict[str, Any]:
    """A second y axis on the right, over the first. plotly.js 4 gives an overlaying axis the first one's tick places
    (`tickmode` "sync"), which labelled conversions -1.6, 9.8 and 21.2 beside sessions' 0, 50 and 100: its own ticks
    from zero, and no second grid."""
    return {
        "title": title,
        "overlaying": "y",
        "side": "right",
        "tickmode": "auto",
        "rangemode": "tozero",
        "showgrid": False,
        **more,
    }


def _count_ticks(values: Sequence[Any]) -> dict[str, Any]:
    """Whole-number ticks for an axis of counts: a step of one when the counts are few (plotly would write 0.5)."""
    most = max((value for value in values if isinstance(value, int | float)), default=0)
    return {"dtick": 1, "tickmode": "linear", "tick0": 0} if most <= 5 else {"tickformat": ",d"}


def assisted_figure(rows: Rows, lang: str = "en") -> go.Figure:
    """Grouped bars per channel (or source / medium, campaign): first-interaction, assisted and last-interaction."""
    key = _key(rows)
    keys = _values(rows, key)
    bars = [go.Bar(name=word(name, lang), x=keys, y=_values(rows, column)) for name, column in ASSISTED_SERIES]
    return _styled(
        go.Figure(bars),
        word("fig_assisted", lang),
        lang,
        x_title=_label(key, lang),
        y_title=word("fig_conversions", lang),
        barmode="group",
    )


def paths_figure(rows: Rows, lang: str = "en") -> go.Figure:
    """Horizontal bars of the top conversion paths, most conversions on top; the Other row is named in the title, not
    drawn: as a bar it is most of the conversions (70 % on the demo), and the paths it is drawn beside shrank to
    slivers."""
    other = [row for row in rows if str(row["path"]).startswith(f"{OTHER_PREFIX} (")]
    ordered = sorted((row for row in rows if row not in other), key=lambda row: -row["conversions"])
    bar = go.Bar(
        x=_values(ordered, "conversions"),
        y=_values(ordered, "path"),
        orientation="h",
        customdata=_values(ordered, "conversion_share"),
        texttemplate="%{x} (%{customdata:.1%})",
        textposition="auto",
    )
    title = word("fig_paths", lang)
    if other:
        share = other[0].get("conversion_share")
        count = whole_text(other[0]["conversions"], lang)
        title += " · " + word("fig_paths_other", lang).format(count=count)
        title += f" ({percent_text(share, lang)})" if share else ""
    # Horizontal bars stack bottom-up; reversed, the first row is on top.
    return _styled(
        go.Figure(bar),
        title,
        lang,
        x_title=word("fig_conversions", lang),
        yaxis_autorange="reversed",
        height=160 + BAR_ROW_PIXELS * max(len(ordered), 1),
    )


def _histogram(
    rows: Rows, buckets: tuple[tuple[str, int, int | None], ...], title: str, x_title: str, lang: str
) -> go.Figure:
    """Conversions per bucket in bucket order; one trace per first channel when the rows are split by it."""
    order = [label for label, _, _ in buckets]
    ranked = sorted(rows, key=lambda row: order.index(row["bucket"]))
    bars = [
        go.Bar(
            name=word("fig_conversions", lang) if channel is None else str(channel),
            x=_values(group, "bucket"),
            y=_values(group, "conversions"),
            customdata=_values(group, "conversion_share"),
            texttemplate="%{y} (%{customdata:.0%})",
        )
        for channel, group in _groups(ranked, "first_channel").items()
    ]
    present = {row["bucket"] for row in rows}
    # Labels such as "0" and "12-30" would otherwise be read as numbers, and split traces would reorder them.
    categories = {"type": "category", "categoryorder": "array", "categoryarray": [b for b in order if b in present]}
    conversions = word("fig_conversions", lang)
    return _styled(
        go.Figure(bars), title, lang, x_title=x_title, y_title=conversions, barmode="group", xaxis=categories
    )


def time_lag_figure(rows: Rows, lang: str = "en") -> go.Figure:
    """Conversions by days from first touch to conversion, in the time-lag buckets."""
    return _histogram(rows, LAG_BUCKETS, word("fig_time_lag", lang), word("fig_days_to_conversion", lang), lang)


def path_length_figure(rows: Rows, lang: str = "en") -> go.Figure:
    """Conversions by touches per conversion, in the path-length buckets."""
    return _histogram(rows, LENGTH_BUCKETS, word("fig_path_length", lang), word("fig_touches", lang), lang)


def devices_figure(rows: Rows, lang: str = "en") -> go.Figure:
    """Session conversion rate per device type (or operating system)."""
    key = _key(rows)
    bar = go.Bar(
        x=_values(rows, key),
        y=_values(rows, "conversion_rate"),
        customdata=_values(rows, "sessions"),
        texttemplate="%{y:.1%}",
        hovertemplate="%{x}: %{y:.1%} "
        + word("fig_devices_hover", lang).format(sessions="%{customdata:,}")
        + "<extra></extra>",
    )
    return _styled(
        go.Figure(bar),
        word("fig_devices", lang),
        lang,
        x_title=_label(key, lang),
        y_title=word("fig_session_rate", lang),
        percent="y",
    )


def bounce_figure(rows: Rows, lang: str = "en") -> go.Figure:
    """Horizontal bars of classic and engagement bounce rate per landing page or channel, first row on top."""
    key = _key(rows)
    keys = [value_label(key, value, lang) if isinstance(value, str) else value for value in _values(rows, key)]
    bars = [
        go.Bar(name=word(name, lang), x=_values(rows, column), y=keys, orientation="h")
        for name, column in BOUNCE_SERIES
    ]
    return _styled(
        go.Figure(bars),
        word("fig_bounce", lang),
        lang,
        x_title=word("fig_bounce", lang),
        y_title=_label(key, lang),
        percent="x",
        barmode="group",
        yaxis_autorange="reversed",
        # Two bars a row: at plotly's default height every other page's name was left out.
        height=160 + 2 * BAR_ROW_PIXELS * max(len(keys), 1),
    )


def _distance(row: Mapping[str, Any], bound: str) -> float | None:
    """How far the interval's `bound` lies from the credited conversions (None without an interval)."""
    value = row.get(bound)
    return None if value is None else abs(value - row["conversions"])


def attribution_figure(rows: Rows, lang: str = "en") -> go.Figure:
    """Credited conversions per channel, one bar per model, with the bootstrap interval as error bars."""
    bars = []
    # The label column is named for what was credited: channel, campaign, source_medium, term or content.
    label = next((name for name in DIMENSIONS if rows and name in rows[0]), "channel")
    for model, group in _groups(rows, "model").items():
        plus = [_distance(row, "conversions_high") for row in group]
        minus = [_distance(row, "conversions_low") for row in group]
        bounded = any(gap is not None for gap in plus + minus)
        errors = {"type": "data", "symmetric": False, "array": plus, "arrayminus": minus} if bounded else None
        bars.append(
            go.Bar(
                name=_label(str(model), lang), x=_values(group, label), y=_values(group, "conversions"), error_y=errors
            )
        )
    return _styled(
        go.Figure(bars),
        word("fig_attribution", lang),
        lang,
        x_title=_label(label, lang),
        y_title=word("fig_credited", lang),
        barmode="group",
        # Above the plot, in rows: on the right, eight models' names were a legend taller than the plot, cut off
        # after the sixth behind a scroll bar.
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "xanchor": "left", "x": 0},
    )


def _share_text(share: float | None, lang: str = "en") -> str:
    """A share as a step's text writes it; none (a funnel whose first step no one did has no share) as a dash."""
    return "–" if share is None else number_text(f"{share:.1%}", lang)


def _step_text(row: Mapping[str, Any], lang: str) -> str:
    """A step's people and share from start: `1,234 (56.7%)`."""
    people = whole_text(row["people"], lang)
    return f"{people} ({_share_text(row['conversion_from_start'], lang)})"


def _steps(rows: Rows, lang: str) -> tuple[list[str], dict[str, Any]]:
    """Step labels, and the count and share-from-start text and hover details shared by every funnel trace."""
    # Numbered, so a step that repeats an earlier one's label stays its own category.
    labels = [f"{row['step_number']}. {row['step']}" for row in rows]
    hover = word("fig_funnel_hover", lang).format(share="%{customdata[0]:.1%}", dropped="%{customdata[1]:,}")
    return labels, {
        "text": [_step_text(row, lang) for row in rows],
        "customdata": [[row["conversion_from_previous"], row["dropped"]] for row in rows],
        "hovertemplate": "%{text}<br>" + hover,
    }


def funnel_figure(rows: Rows, lang: str = "en") -> go.Figure:
    """People at each funnel step with their share from start; one bar trace per breakdown value if broken down."""
    ordered = sorted(rows, key=lambda row: row["step_number"])
    if not rows or "breakdown" not in rows[0]:
        labels, steps = _steps(ordered, lang)
        trace = go.Funnel(y=labels, x=_values(ordered, "people"), textinfo="text", **steps)
        return _styled(go.Figure(trace), word("fig_funnel", lang), lang)
    bars = []
    for value, group in _groups(ordered, "breakdown").items():
        labels, steps = _steps(group, lang)
        bars.append(
            go.Bar(name=value_label("breakdown", str(value), lang), x=labels, y=_values(group, "people"), **steps)
        )
    return _styled(
        go.Figure(bars),
        word("fig_funnel", lang),
        lang,
        x_title=word("fig_step", lang),
        y_title=word("fig_people", lang),
        barmode="group",
    )


def funnel_trend_figure(rows: Rows, lang: str = "en") -> go.Figure:
    """People entering and completing the funnel per period as bars, and the conversion rate as a line."""
    ordered = sorted(rows, key=lambda row: row["period"])
    periods = _values(ordered, "period")
    bars = [
        go.Bar(name=_label(column, lang), x=periods, y=_values(ordered, column)) for column in ("entered", "completed")
    ]
    # On its own right-hand axis, which plotly draws over the bars.
    rate = word("fig_conversion_rate", lang)
    line = go.Scatter(name=rate, x=periods, y=_values(ordered, "conversion_rate"), mode="lines+markers", yaxis="y2")
    return _styled(
        go.Figure([*bars, line]),
        word("fig_funnel_trend", lang),
        lang,
        x_title=word("fig_period", lang),
        y_title=word("fig_people", lang),
        barmode="group",
        yaxis2=_right_axis(rate, tickformat=PERCENT_TICKS),
    )


def flows_figure(rows: Rows, lang: str = "en") -> go.Figure:
    """A Sankey of path flows; a node is a name at a step, so a name seen at two steps is two nodes.

    Each node stands in its step's column: plotly's default ("justify") put every "(end)" node, which has no link
    out, in the last column, as if those paths had gone all the steps. Links run from a step to the next, so a
    forward flow's nodes align from the left (a node's column is its links from the start) and a backward flow's,
    which ends at its anchor, from the right."""
    nodes: dict[tuple[int, str], int] = {}
    for row in rows:
        for node in ((row["source_step"], row["source"]), (row["target_step"], row["target"])):
            nodes.setdefault(node, len(nodes))
    sankey = go.Sankey(
        node={
            "label": [value_label("node", name, lang) for _, name in nodes],
            "customdata": [step for step, _ in nodes],
            "hovertemplate": "%{label} ("
            + word("fig_flow_step", lang).format(step="%{customdata}")
            + ")<extra></extra>",
            "align": "right" if any(row["source_step"] < 0 for row in rows) else "left",
        },
        link={
            "source": [nodes[row["source_step"], row["source"]] for row in rows],
            "target": [nodes[row["target_step"], row["target"]] for row in rows],
            "value": _values(rows, "paths"),
        },
    )
    return _styled(go.Figure(sankey), word("fig_flows", lang), lang)


def write_html(figures: Sequence[tuple[str, go.Figure]], path: str | Path, title: str) -> Path:
    """Write one self-contained page with each figure under its heading, plotly.js inlined once; return its path."""
    # The mode bar's logo links to plotly.com; an offline page should not point anywhere.
    # A fresh dict per figure: plotly adds its own keys to the config it is given.
    sections = "\n".join(
        f"<section>\n<h2>{html.escape(heading)}</h2>\n"
        f"{figure.to_html(full_html=False, include_plotlyjs=False, config={'displaylogo': False})}\n</section>"
        for heading, figure in figures
    )
    page = (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(title)}</title>\n<script>{get_plotlyjs()}</script>\n</head>\n"
        f"<body>\n<h1>{html.escape(title)}</h1>\n{sections}\n</body>\n</html>\n"
    )
    target = Path(path)
    target.write_text(page, encoding="utf-8")
    return target


def daily_figure(rows: Rows, lang: str = "en") -> go.Figure:
    """Visits and conversions per day (the overview's line)."""
    days, sessions, conversions = (_values(rows, column) for column in ("day", "sessions", "conversions"))
    sessions_name, conversions_name = word("fig_sessions", lang), word("fig_conversions", lang)
    figure = go.Figure(
        [
            go.Scatter(x=days, y=sessions, name=sessions_name, mode="lines"),
            go.Scatter(x=days, y=conversions, name=conversions_name, mode="lines", yaxis="y2"),
        ]
    )
    return _styled(
        figure,
        word("fig_by_day", lang),
        lang,
        y_title=sessions_name,
        yaxis={"rangemode": "tozero", **_count_ticks(sessions)},
        yaxis2=_right_axis(conversions_name, **_count_ticks(conversions)),
        # Above the plot: on the right, the legend covered the second axis's title.
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "xanchor": "right", "x": 1},
    )


def channels_figure(rows: Rows, lang: str = "en") -> go.Figure:
    """Revenue by channel of the converting session."""
    bar = go.Bar(x=_values(rows, "channel"), y=_values(rows, "revenue"), name=word("fig_revenue", lang))
    return _styled(go.Figure(bar), word("fig_revenue_by_channel", lang), lang)
