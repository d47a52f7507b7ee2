"""The build summary: headline counts, conversions and revenue by channel, top conversion paths."""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from jejak.analytics.topn import top_n_with_other
from jejak.engine import safe_div, whole_epoch_seconds
from jejak.engine.zones import local_date
from jejak.journeys.refunds import STATED_ON_ORDER, SUBTRACTED
from jejak.journeys.sessions import visits


def headline(people: ir.Table, sessions: ir.Table, journeys: ir.Table) -> ir.Table:
    """One row: people, sessions (visits: `sessions.visits`), events, conversions, revenue, journeys with and without a
    conversion."""
    sessions = visits(sessions)
    converted = journeys.converted.cast("int64")
    per_journeys = journeys.aggregate(
        conversions=converted.sum(),
        revenue=journeys.revenue.sum(),
        converting_journeys=converted.sum(),
        non_converting_journeys=(1 - converted).sum(),
    )
    per_people = people.aggregate(people=people.count(), events=people.events.sum())
    per_sessions = sessions.aggregate(sessions=sessions.count())
    joined = per_people.cross_join(per_sessions).cross_join(per_journeys)
    return joined.mutate(
        journey_conversion_rate=safe_div(
            joined.converting_journeys, joined.converting_journeys + joined.non_converting_journeys
        )
    )


def revenue_by_channel(conversions: ir.Table) -> ir.Table:
    """Conversions and revenue by the channel of the session where each conversion happened."""
    grouped = conversions.group_by(channel=conversions.session_channel).aggregate(
        conversions=conversions.count(),
        revenue=conversions.revenue.sum(),
    )
    total = grouped.revenue.sum().as_scalar()
    return grouped.mutate(revenue_share=safe_div(grouped.revenue, total)).order_by([ibis.desc("revenue"), "channel"])


def revenue_by_currency(conversions: ir.Table) -> ir.Table:
    """Conversions with a revenue, and their revenue, per currency. jejak adds amounts as they are and converts no
    currency, so a second row means that every revenue total adds unlike amounts (readers warn of it).

    An event stored without a revenue has no currency (`ingest.validate`), and the conversions table counts its
    revenue as 0: it is in no currency's row, so orders imported without their amounts are no second currency."""
    priced = conversions.filter(conversions.currency.notnull())
    grouped = priced.group_by(currency=priced.currency).aggregate(
        conversions=priced.count(), revenue=priced.revenue.sum()
    )
    return grouped.order_by([ibis.desc("revenue"), "currency"])


def refund_outcomes(refunds: ir.Table, conversions: ir.Table) -> ir.Table:
    """Refunds per outcome (`journeys.refunds`): how many, the amount they give, and the revenue subtracted (their
    amount, less what went past an order's whole revenue). An order whose row states a refund and that refund events
    name too gave back the larger (`net_of_refunds`): its subtraction is counted under the outcome that gave it."""
    subtracting = refunds.filter(refunds.outcome.isin((SUBTRACTED, STATED_ON_ORDER)))
    per_order = subtracting.group_by(order_event_id=subtracting.conversion_event_id).aggregate(
        events=subtracting.amount.sum(where=subtracting.outcome == SUBTRACTED).fill_null(0.0),
        stated=subtracting.amount.sum(where=subtracting.outcome == STATED_ON_ORDER).fill_null(0.0),
    )
    orders = per_order.join(conversions, per_order.order_event_id == conversions.conversion_event_id)
    by_outcome = orders.group_by(
        credited_outcome=ibis.ifelse(orders.stated >= orders.events, STATED_ON_ORDER, SUBTRACTED)
    ).aggregate(subtracted_revenue=orders.refunded_revenue.sum())
    grouped = refunds.group_by("outcome").aggregate(refunds=refunds.count(), amount=refunds.amount.sum())
    joined = grouped.left_join(by_outcome, grouped.outcome == by_outcome.credited_outcome)
    subtracted = joined.subtracted_revenue.fill_null(0.0)
    return joined.select("outcome", "refunds", "amount", subtracted_revenue=subtracted).order_by("outcome")


def row_count(table: ir.Table) -> ir.Table:
    """One row, `rows`: how many rows the table has."""
    return table.count().name("rows").as_table()


def event_name_counts(events: ir.Table, n: int) -> ir.Table:
    """The `n` event names with the most events (ties by name), with their events."""
    return events.group_by("event").aggregate(events=events.count()).order_by([ibis.desc("events"), "event"]).limit(n)


def top_paths(paths: ir.Table, n: int) -> ir.Table:
    """The n paths with most conversions, then an Other row; sums equal the untruncated totals."""
    converting = paths.filter(paths.conversions > 0)
    return top_n_with_other(converting, label="path", value="conversions", n=n, extra_sums=("revenue",))


def activity(sessions: ir.Table, conversions: ir.Table, journeys: ir.Table) -> ir.Table:
    """One row for a (filtered) period: people with a visit, visits, conversions, revenue (net of refunds) and the
    refunds subtracted from it, journey conversion rate.

    People here are those with at least one session in the tables given, so a date range
    counts the people active in it (the build's `people` counts everyone ever seen).
    """
    sessions = visits(sessions)
    per_visits = sessions.aggregate(people=sessions.person_id.nunique(), sessions=sessions.count())
    # Revenue is net of refunds (`journeys.refunds`); a build made before jejak subtracted them has no such column.
    refunded = conversions.refunded_revenue if "refunded_revenue" in conversions.columns else ibis.literal(0.0)
    sales = conversions.aggregate(
        conversions=conversions.count(),
        revenue=conversions.revenue.sum().fill_null(0),
        refunded_revenue=refunded.sum().fill_null(0),
    )
    converted = journeys.converted.cast("int64")
    ends = journeys.aggregate(converting_journeys=converted.sum(), journeys=journeys.count())
    joined = per_visits.cross_join(sales).cross_join(ends)
    return joined.select(
        "people",
        "sessions",
        "conversions",
        "revenue",
        "refunded_revenue",
        session_conversion_rate=safe_div(joined.conversions, joined.sessions),
        journey_conversion_rate=safe_div(joined.converting_journeys, joined.journeys),
    )


def by_day(sessions: ir.Table, conversions: ir.Table, zone: str) -> ir.Table:
    """Per day of `zone`: people with a visit, visits, conversions and revenue (days with visits or conversions)."""
    sessions = visits(sessions)
    # People per day as (day, person) pairs counted per day: cheaper than a distinct count inside the group-by.
    started_on = local_date(whole_epoch_seconds(sessions.started_at), zone)
    pairs = sessions.group_by(day=started_on, _person_id=sessions.person_id).aggregate(_sessions=sessions.count())
    per_day = pairs.group_by("day").aggregate(people=pairs.count(), sessions=pairs._sessions.sum())
    sales = conversions.group_by(day=local_date(whole_epoch_seconds(conversions.conversion_at), zone)).aggregate(
        conversions=conversions.count(), revenue=conversions.revenue.sum()
    )
    joined = per_day.outer_join(sales, per_day.day == sales.day)
    return joined.select(
        day=ibis.coalesce(joined.day, joined.day_right),
        people=joined.people.fill_null(0),
        sessions=joined.sessions.fill_null(0),
        conversions=joined.conversions.fill_null(0),
        revenue=joined.revenue.fill_null(0),
    ).order_by("day")
