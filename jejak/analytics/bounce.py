"""Bounce: landing pages and channels whose visits end at once.

Over the visits that viewed a page or screen (`journeys.sessions.page_visits`: a chat, a marketplace order or a
store visit lands on no page), per landing page (an app's first screen by its name) or channel:
- entrances: sessions that began there;
- classic bounces: sessions with a single page or screen view (UA, Matomo);
- engagement bounces: sessions that were not engaged, i.e. shorter than
  `bounce_engaged_seconds`, without a conversion and with fewer than
  `bounce_engaged_min_views` views (GA4's definition, inverted);
- both rates.
`highest_bounce_pages` lists the pages with the highest classic bounce rate among
those with at least `min_entrances`, then one "Other (n rows, x % of entrances)" row
for every other page, so entrances and bounces add up to the untruncated totals.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from jejak.analytics.topn import other_label
from jejak.core.errors import SettingError
from jejak.engine import safe_div
from jejak.journeys.sessions import page_visits

GROUPINGS = {"page": "landing_page", "channel": "channel"}


def _counts(sessions: ir.Table, key: ir.Value, *, engaged_seconds: int, engaged_min_views: int) -> ir.Table:
    viewed = page_visits(sessions)
    classic = (viewed.page_views == 1).cast("int64")
    not_engaged = (
        (viewed.duration_seconds < engaged_seconds)
        & (viewed.conversions == 0)
        & (viewed.page_views < engaged_min_views)
    ).cast("int64")
    keyed = viewed.mutate(_key=key, _classic=classic, _not_engaged=not_engaged)
    return keyed.group_by(keyed._key).aggregate(
        entrances=keyed.count(), classic_bounces=keyed._classic.sum(), engagement_bounces=keyed._not_engaged.sum()
    )


def _with_rates(table: ir.Table) -> ir.Table:
    return table.mutate(
        classic_bounce_rate=safe_div(table.classic_bounces, table.entrances),
        engagement_bounce_rate=safe_div(table.engagement_bounces, table.entrances),
    )


def bounce(sessions: ir.Table, *, by: str = "page", engaged_seconds: int = 10, engaged_min_views: int = 2) -> ir.Table:
    """Entrances, classic and engagement bounces and rates per landing page or channel, most entrances first."""
    if by not in GROUPINGS:
        raise SettingError(f"Bounce can be grouped by {' or '.join(GROUPINGS)}, not {by!r}.")
    key = page_visits(sessions)[GROUPINGS[by]].fill_null("(not set)")
    counts = _counts(sessions, key, engaged_seconds=engaged_seconds, engaged_min_views=engaged_min_views)
    shaped = _with_rates(counts.rename({GROUPINGS[by]: "_key"}))
    return shaped.order_by([ibis.desc("entrances"), GROUPINGS[by]])


def highest_bounce_pages(
    sessions: ir.Table, *, n: int = 10, min_entrances: int = 30, engaged_seconds: int = 10, engaged_min_views: int = 2
) -> ir.Table:
    """The `n` landing pages with the highest classic bounce rate among those with enough entrances, then Other."""
    viewed = page_visits(sessions)
    counts = _counts(
        sessions,
        viewed.landing_page.fill_null("(not set)"),
        engaged_seconds=engaged_seconds,
        engaged_min_views=engaged_min_views,
    )
    rate = safe_div(counts.classic_bounces, counts.entrances)
    eligible = counts.entrances >= min_entrances
    # Eligible pages by bounce rate (ties: more entrances, then the page); the rest after them.
    ranked = counts.mutate(
        _rank=ibis.row_number().over(
            order_by=[ibis.desc(eligible.cast("int64")), ibis.desc(rate), ibis.desc(counts.entrances), counts._key]
        ),
        _eligible=eligible,
    )
    top = ranked.filter((ranked._rank < n) & ranked._eligible)
    top = top.select(
        landing_page=top._key,
        entrances=top.entrances,
        classic_bounces=top.classic_bounces,
        engagement_bounces=top.engagement_bounces,
        _order=top._rank,
    )
    rest = ranked.filter((ranked._rank >= n) | ~ranked._eligible)
    total = counts.entrances.sum().as_scalar()
    rows = rest.count()
    other = rest.aggregate(
        landing_page=other_label(rows, rest.entrances.sum(), total, of="entrances"),
        entrances=rest.entrances.sum(),
        classic_bounces=rest.classic_bounces.sum(),
        engagement_bounces=rest.engagement_bounces.sum(),
        _order=ibis.literal(n, "int64"),
        _rows=rows,
    )
    other = other.filter(other._rows > 0).drop("_rows")
    return _with_rates(ibis.union(top, other)).order_by("_order").drop("_order")
