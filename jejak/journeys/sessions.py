"""Sessions: a person's events cut at every inactivity gap, at the hard cap, and around offline events.

Rules (times compared to the whole second, as GA4 and Matomo do):
- a new session starts when more than `session_gap_seconds` passed since the
  person's previous event;
- a run of activity with no such gap is cut every `session_max_seconds` from
  the run's first event (windows aligned to the run start), so no session is
  longer than the cap;
- an offline event (store visit, call, print) is a session of its own, and the
  event after it starts a new one.
Every event gets exactly one `session_id`; sessions partition each person's events.
"""

from __future__ import annotations

from collections.abc import Sequence

import ibis
import ibis.expr.types as ir


def sessionize(events: ir.Table, *, gap_seconds: int, max_seconds: int, conversion_events: Sequence[str]) -> ir.Table:
    """Each event with its session keys (`run_number`, `cap_segment`), `is_session_start` and `is_conversion`.

    The session's text id comes from `with_session_ids`; journey numbers from `journey_marks`.
    """
    order = [events.timestamp, events.event_id]
    by_person = ibis.window(group_by=events.person_id, order_by=order)
    # Truncate to the whole second: DuckDB's epoch() keeps the fraction and its cast to int64 rounds (Spark truncates).
    epoch_seconds = events.timestamp.truncate("s").epoch_seconds().cast("int64")
    offline = (events.touchpoint == "offline").fill_null(False)
    is_conversion = events.event.isin(list(conversion_events)).fill_null(False)
    step1 = events.mutate(
        epoch_seconds=epoch_seconds,
        offline=offline,
        is_conversion=is_conversion,
        previous_epoch_seconds=epoch_seconds.lag().over(by_person),
        previous_offline=offline.lag().over(by_person),
        position=ibis.row_number().over(by_person),
    )
    starts_run = (
        step1.previous_epoch_seconds.isnull()
        | ((step1.epoch_seconds - step1.previous_epoch_seconds) > gap_seconds)
        | step1.offline
        | step1.previous_offline.fill_null(False)
    )
    step2 = step1.mutate(starts_run=starts_run)
    # Running counts as differences of row numbers (rows so far minus rows of the other kind so far): engines
    # evaluate row_number in one sort, while running sums over many small partitions are slow on DuckDB.
    same_run_kind = ibis.window(
        group_by=[step2.person_id, step2.starts_run], order_by=[step2.timestamp, step2.event_id]
    )
    run_rank = ibis.row_number().over(same_run_kind)
    step2 = step2.mutate(run_number=ibis.ifelse(step2.starts_run, run_rank + 1, step2.position - run_rank))
    # The cap only matters for runs longer than it, which are rare: find them, then cut only their events.
    runs = step2.group_by([step2.person_id, step2.run_number]).aggregate(
        run_start_epoch_seconds=step2.epoch_seconds.min(), run_end_epoch_seconds=step2.epoch_seconds.max()
    )
    long_runs = runs.filter(runs.run_end_epoch_seconds - runs.run_start_epoch_seconds >= max_seconds).select(
        long_person_id=runs.person_id,
        long_run_number=runs.run_number,
        run_start_epoch_seconds=runs.run_start_epoch_seconds,
    )
    joined = step2.left_join(
        long_runs, (step2.person_id == long_runs.long_person_id) & (step2.run_number == long_runs.long_run_number)
    )
    cap_segment = ((joined.epoch_seconds - joined.run_start_epoch_seconds) // max_seconds).fill_null(0)
    previous_segment = (joined.previous_epoch_seconds - joined.run_start_epoch_seconds) // max_seconds
    step3 = joined.mutate(
        cap_segment=cap_segment.cast("int64"),
        is_session_start=joined.starts_run | (previous_segment != cap_segment).fill_null(False),
    )
    return step3.drop(
        "previous_epoch_seconds",
        "previous_offline",
        "starts_run",
        "run_start_epoch_seconds",
        "offline",
        "position",
        "long_person_id",
        "long_run_number",
    )


def session_id_expr(table: ir.Table) -> ir.StringValue:
    """`person#run.segment`: built only where needed, since 10M strings cost more than two integer keys."""
    return (
        table.person_id
        + ibis.literal("#")
        + table.run_number.cast("string")
        + ibis.literal(".")
        + table.cap_segment.cast("string")
    )


def with_session_ids(sessionized: ir.Table) -> ir.Table:
    """Sessionized events with their `session_id` text."""
    return sessionized.mutate(session_id=session_id_expr(sessionized))


def journey_marks(sessionized: ir.Table) -> ir.Table:
    """Session starts and conversions, each with `session_id` and `journey_index`.

    `journey_index` is the number of the person's conversions before the row, plus one
    (so a conversion carries its own number): a touch belongs to the journey that ends at
    the next conversion. Only these rows need it, so it is counted on them alone.
    """
    marks = sessionized.filter(sessionized.is_session_start | sessionized.is_conversion)
    order = [marks.timestamp, marks.event_id]
    position = ibis.row_number().over(ibis.window(group_by=marks.person_id, order_by=order))
    conversion_rank = ibis.row_number().over(
        ibis.window(group_by=[marks.person_id, marks.is_conversion], order_by=order)
    )
    marked = marks.mutate(
        journey_index=ibis.ifelse(marks.is_conversion, conversion_rank + 1, position - conversion_rank + 1)
    )
    return with_session_ids(marked)


def session_table(sessionized: ir.Table, touchpoints: ir.Table) -> ir.Table:
    """One row per session: when, how long, how many events and page views, conversions and revenue, channel."""
    is_view = sessionized.type.isin(["page", "screen"]).fill_null(False)
    stats = sessionized.group_by([sessionized.person_id, sessionized.run_number, sessionized.cap_segment]).aggregate(
        started_at=sessionized.timestamp.min(),
        ended_at=sessionized.timestamp.max(),
        duration_seconds=sessionized.epoch_seconds.max() - sessionized.epoch_seconds.min(),
        events=sessionized.count(),
        page_views=is_view.cast("int64").sum(),
        conversions=sessionized.is_conversion.cast("int64").sum(),
        revenue=ibis.ifelse(sessionized.is_conversion, sessionized.revenue, ibis.null("float64")).sum().fill_null(0.0),
    )
    first = touchpoints.select(
        touch_session_id=touchpoints.session_id,
        channel=touchpoints.channel,
        touchpoint=touchpoints.touchpoint,
        device_type=touchpoints.device_type,
        landing_page=touchpoints.page_path,
        source=touchpoints.source,
        medium=touchpoints.medium,
        campaign=touchpoints.campaign,
    )
    stats = stats.mutate(session_id=session_id_expr(stats)).drop("run_number", "cap_segment")
    joined = stats.join(first, stats.session_id == first.touch_session_id)
    return joined.select("session_id", *[c for c in joined.columns if c not in ("session_id", "touch_session_id")])
