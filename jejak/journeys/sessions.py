"""Sessions: a person's events cut at every inactivity gap, at the hard cap, and around offline events.

Rules (times compared to the whole second, as GA4 and Matomo do):
- a new session starts when more than `session_gap_seconds` passed since the
  person's previous event;
- a run of activity with no such gap is cut every `session_max_seconds` from
  the run's first event (windows aligned to the run start), so no session is
  longer than the cap;
- an offline event (store visit, call, print) is a session of its own, and the
  event after it starts a new one. An event whose file gave it an offline channel
  (the `offline_channels` setting) is offline by then (`channels.offline_by_channel`).
- an event that says where it arrived from (`arrival`: its campaign tags, in their columns
  or its page's address, or the channel its file gave it) starts a new session when that
  is not where the person's last such event arrived from: a click on another campaign's
  ad ten minutes into a visit, a WhatsApp chat right after a visit from Instagram, an
  order on a marketplace. Universal Analytics and Matomo start a new visit at a new
  campaign so; GA4 does not, and neither does jejak with
  `session_split_at_new_source = false`. Events that say nothing of it (the pages of a
  visit, a server's events) never cut, and a campaign's own tags again (a landing page
  reloaded) do not either.
Every event gets exactly one `session_id`; sessions partition each person's events.

A session's visit starts at its first event that can be a touch (`can_touch`): an identity call from a server, or a
survey answer or shipping update imported from its own file, says nothing of where the person came from, and the
page view from an e-mail's link a minute later does (`is_visit_start`).
"""

from __future__ import annotations

from collections.abc import Sequence

import ibis
import ibis.expr.types as ir

from jejak.core.vocabulary import VIEW_EVENTS
from jejak.engine import whole_epoch_seconds
from jejak.journeys.channels import DEFAULT_CHANNEL_RULES, FALLBACK_CHANNEL, ChannelRule, campaign_tags, classify

# What a person does (the event stream's rows); identity calls (identify, alias, group) are not interactions.
INTERACTION_TYPES = ("track", "page", "screen", "offline")
# Identity calls: a server's identify or alias is no visit from anywhere.
IDENTITY_TYPES = ("identify", "alias", "group")
# What says where a touch came from. An event with none of them that is an identity call or one of the
# `non_touch_events` (a survey answered by e-mail, a refund from the till's file) is no visit: as a session's touch it
# would be a Direct (or Unassigned) step on the person's next path, crediting Direct with purchases it never saw.
# No `page_url`: the import gives every event with a page address its path (`validate`), which says as much here.
WHERE_FROM_COLUMNS = ("source", "medium", "campaign", "referrer", "page_path", "channel")


# What says where an event arrived from: its campaign tags (these columns, else its page address's: `arrival_parts`),
# and the channel its file gave it (a marketplace's orders, a chat). No referrer: a visit's own pages have their site
# as theirs.
ARRIVAL_COLUMNS = ("source", "medium", "campaign", "channel")
_ARRIVAL_SEPARATOR = "\x1f"
# A whole epoch second as fixed-width text, so that the later of two arrivals is the larger text (`sessionize`).
_EPOCH_DIGITS = 12
# Arrivals numbered (`arrivals_by_channel`) are found the same way as one integer, epoch second × this + number:
# room for 10^8 arrivals (channel and campaign pairs), and epoch seconds to the year 4900 within int64.
_ARRIVAL_NUMBERS = 100_000_000


def _named(events: ir.Table, names: Sequence[str]) -> ir.BooleanValue:
    """Whether an event is one of `names` (`non_touch_events`, `business_message_events`); never NULL."""
    named: ir.BooleanValue = events.event.isin(list(names)).fill_null(False)
    return named


def arrival_parts(events: ir.Table) -> dict[str, ir.StringValue]:
    """ARRIVAL_COLUMNS as an event says them: each as the data source set it, else (source, medium, campaign) as the
    campaign tags of its `page_url` give it, when the table has one (`channels.campaign_tags`, the tags the channel
    rules read too). A page from an ad's link whose export kept the tags only in the address arrived from the ad."""
    parts = {column: events[column] for column in ARRIVAL_COLUMNS}
    if "page_url" in events.columns:
        for column, tag in campaign_tags(events.page_url).items():
            parts[column] = parts[column].fill_null(tag)
    return parts


def arrival(events: ir.Table, business_messages: Sequence[str] = ()) -> ir.StringValue:
    """Where an event arrived from (`arrival_parts`, without case, in one text); NULL when it says none of them, and
    for the business's own messages (`business_messages`: a shop's WhatsApp reply arrives from nowhere the person
    went)."""
    parts = [part.lower() for part in arrival_parts(events).values()]
    joined = ibis.literal(_ARRIVAL_SEPARATOR).join([part.fill_null("") for part in parts])
    says = ibis.or_(*(part.notnull() for part in parts))
    if business_messages:
        says &= ~_named(events, business_messages)
    said: ir.StringValue = ibis.ifelse(says, joined, ibis.null("string"))
    return said


def arrivals_by_channel(
    events: ir.Table, rules: Sequence[ChannelRule] = DEFAULT_CHANNEL_RULES, business_messages: Sequence[str] = ()
) -> ir.Table:
    """Each of the distinct arrivals of `events` (`raw_arrival`: `arrival`'s text) with where it is from as the
    channel rules say, for the pipeline to cut sessions at: `arrival_key`, its channel and campaign without case, and
    `arrival`, that key's number in their order (`sessionize` compares numbers faster than texts, and two arrivals
    in one second resolve as their texts would).

    Two files may say one channel two ways: a chat's export gives its messages `source = whatsapp`, and the shop's
    orders sheet `--set "channel=WhatsApp"`. Compared as written, the order arrived from somewhere else than the chat
    it followed, and cut it. Compared as channels, a new campaign still cuts (two Instagram ads), and two sources of
    one channel without campaigns (google / cpc, then bing / cpc) do not. The rules run on the few distinct arrivals
    (with no page, referrer or event, which say nothing of an arrival), not on every event.

    Example:
        >>> import pyarrow as pa
        >>> from jejak.engine import connect
        >>> events = ibis.memtable(pa.table({"event": ["wa_chat", "Order Completed", "Page Viewed"],
        ...     "source": ["whatsapp", None, "Instagram"], "medium": ["chat", None, "paid_social"],
        ...     "campaign": [None, None, "Flash-Sale"], "channel": [None, "WhatsApp", None]}))
        >>> found = connect().to_pyarrow(arrivals_by_channel(events).order_by("raw_arrival")).to_pylist()
        >>> [(row["arrival_key"].replace(_ARRIVAL_SEPARATOR, " | "), row["arrival"]) for row in found]
        [('whatsapp | ', 1), ('paid social | flash-sale', 0), ('whatsapp | ', 1)]
    """
    # The parts once (a page's tags are parsed once), and the text from them: `filled` has no page_url to read again.
    filled = events.select("event", **arrival_parts(events))
    said = filled.select(*ARRIVAL_COLUMNS, raw_arrival=arrival(filled, business_messages))
    said = said.filter(said.raw_arrival.notnull())
    # One row per text: texts that differ only in case are one arrival, and the join back must not repeat events.
    distinct = said.group_by("raw_arrival").aggregate(**{column: said[column].min() for column in ARRIVAL_COLUMNS})
    unsaid = ("type", "event", "referrer", "page_url", "touchpoint")
    classified = classify(distinct.mutate(**{column: ibis.null("string") for column in unsaid}), rules)
    key = classified.channel.lower() + ibis.literal(_ARRIVAL_SEPARATOR) + classified.campaign.lower().fill_null("")
    keyed = classified.select("raw_arrival", arrival_key=key)
    return keyed.mutate(arrival=ibis.dense_rank().over(order_by=keyed.arrival_key).cast("int64"))


def can_touch(
    events: ir.Table, non_touch_events: Sequence[str] = (), business_messages: Sequence[str] = ()
) -> ir.BooleanValue:
    """Whether an event can be a visit from a channel: not an identity call or one of `non_touch_events` that says
    nothing of where it came from (`WHERE_FROM_COLUMNS`), and not the business's own message (`business_messages`),
    whatever it says."""
    no_visit = events.type.isin(IDENTITY_TYPES).fill_null(False)
    if non_touch_events:
        no_visit |= _named(events, non_touch_events)
    says_nothing = ibis.and_(*(events[column].isnull() for column in WHERE_FROM_COLUMNS))
    touches: ir.BooleanValue = ~(no_visit & says_nothing)
    if business_messages:
        touches &= ~_named(events, business_messages)
    return touches


def sessionize(
    events: ir.Table,
    *,
    gap_seconds: int,
    max_seconds: int,
    conversion_events: Sequence[str],
    split_at_new_source: bool = True,
) -> ir.Table:
    """Each event with its session keys (`run_number`, `cap_segment`), `is_session_start`, `is_conversion`,
    `interaction_position` (how many of the person's interactions, INTERACTION_TYPES, happened up to it) and
    `journey_index` (the person's conversions before it, plus one, so a conversion carries its own number:
    a touch belongs to the journey that ends at the next conversion), and `is_visit_start`: the session's first event
    that can be a touch (the `can_touch` column; without it, every event can).

    With `split_at_new_source`, an event whose `arrival` (a column of texts or of numbers, `arrivals_by_channel`'s;
    else computed from ARRIVAL_COLUMNS when the table has them) is not the person's last one starts a new session.

    The session's text id comes from `with_session_ids`.
    """
    if "can_touch" not in events.columns:
        events = events.mutate(can_touch=ibis.literal(True))
    if "arrival" not in events.columns:
        known = split_at_new_source and set(ARRIVAL_COLUMNS) <= set(events.columns)
        events = events.mutate(arrival=arrival(events) if known else ibis.null("string"))
    order = [events.timestamp, events.event_id]
    by_person = ibis.window(group_by=events.person_id, order_by=order)
    # The same partition and order as by_person, so engines count it in the same sort.
    so_far = ibis.window(group_by=events.person_id, order_by=order, rows=(None, 0))
    is_interaction = events.type.isin(INTERACTION_TYPES).fill_null(False)
    epoch_seconds = whole_epoch_seconds(events.timestamp)
    offline = (events.touchpoint == "offline").fill_null(False)
    is_conversion = events.event.isin(list(conversion_events)).fill_null(False)
    touching = events.can_touch.fill_null(True)
    arrivals = {}
    if split_at_new_source:
        # The person's last arrival before the row, in the same sort: the latest of the earlier rows' arrivals, each
        # after its time (as a number, or as fixed-width text), is the largest (two in one second: the larger one's).
        before = ibis.window(group_by=events.person_id, order_by=order, rows=(None, -1))
        if events.arrival.type().is_integer():  # numbered (`arrivals_by_channel`): the time, then the number
            numbered = epoch_seconds * _ARRIVAL_NUMBERS + events.arrival
            arrivals["last_arrival"] = numbered.max().over(before) % _ARRIVAL_NUMBERS
        else:
            stamped = epoch_seconds.cast("string").lpad(_EPOCH_DIGITS, "0") + events.arrival
            arrivals["last_arrival"] = stamped.max().over(before).substr(_EPOCH_DIGITS)
    step1 = events.mutate(
        epoch_seconds=epoch_seconds,
        offline=offline,
        is_conversion=is_conversion,
        touching=touching,
        previous_epoch_seconds=epoch_seconds.lag().over(by_person),
        previous_offline=offline.lag().over(by_person),
        interaction_position=is_interaction.cast("int64").sum().over(so_far),
        touches_so_far=touching.cast("int64").sum().over(so_far),
        **arrivals,
    )
    starts_run = (
        step1.previous_epoch_seconds.isnull()
        | ((step1.epoch_seconds - step1.previous_epoch_seconds) > gap_seconds)
        | step1.offline
        | step1.previous_offline.fill_null(False)
    )
    if split_at_new_source:
        new_source = step1.arrival.notnull() & (step1.last_arrival.isnull() | (step1.last_arrival != step1.arrival))
        starts_run |= new_source
    step2 = step1.mutate(starts_run=starts_run)
    # Running aggregates in one more sort of the same order: a run's number is the runs started so far, and its
    # start time the latest run start so far (times never go down in this order). Running sums were slow on
    # DuckDB once; on 1.5 they cost less than the extra sort, group-by and join they replace (measured at 10M).
    running = ibis.window(group_by=step2.person_id, order_by=[step2.timestamp, step2.event_id], rows=(None, 0))
    step3 = step2.mutate(
        run_number=step2.starts_run.cast("int64").sum().over(running),
        run_start_epoch_seconds=ibis.ifelse(step2.starts_run, step2.epoch_seconds, None).max().over(running),
        # The person's events that could be touches before the run began (a running count never goes down).
        touches_before_run=ibis.ifelse(step2.starts_run, step2.touches_so_far - step2.touching.cast("int64"), None)
        .max()
        .over(running),
        # The person's conversions before the row, plus one; a conversion carries its own number.
        journey_index=step2.is_conversion.cast("int64").sum().over(running) + ibis.ifelse(step2.is_conversion, 0, 1),
    )
    # The cap cuts a run every max_seconds from its first event; runs shorter than the cap are all segment 0.
    cap_segment = (step3.epoch_seconds - step3.run_start_epoch_seconds) // max_seconds
    previous_segment = (step3.previous_epoch_seconds - step3.run_start_epoch_seconds) // max_seconds
    is_session_start = step3.starts_run | (previous_segment != cap_segment).fill_null(False)
    # A session's visit starts at its first event that can be a touch: its start, or the first such event of its run
    # (a session cut by the cap that opens with a server's call has none, as a run is cut every 24 hours at most).
    first_of_run = step3.touches_so_far - step3.touches_before_run == 1
    step4 = step3.mutate(
        cap_segment=cap_segment.cast("int64"),
        is_session_start=is_session_start,
        is_visit_start=step3.touching & (is_session_start | first_of_run),
    )
    return step4.drop(
        *arrivals,
        "arrival",
        "previous_epoch_seconds",
        "previous_offline",
        "starts_run",
        "run_start_epoch_seconds",
        "offline",
        "can_touch",
        "touching",
        "touches_so_far",
        "touches_before_run",
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
    """Session starts, visit starts and conversions (what touchpoints and conversions are made of), each with
    `session_id`."""
    marks = sessionized.filter(sessionized.is_session_start | sessionized.is_visit_start | sessionized.is_conversion)
    return with_session_ids(marks)


def session_table(sessionized: ir.Table, touchpoints: ir.Table) -> ir.Table:
    """One row per session: when, how long, how many events and page views, conversions and revenue, channel, and
    `visit`. A session with no touchpoint (no visit from a channel: `journeys.touchpoints`) is Unassigned and no
    visit: reports that count sessions read only visits (`visits`)."""
    is_view = (
        sessionized.type.isin(["page", "screen"])
        | ((sessionized.type == "track") & sessionized.event.isin(VIEW_EVENTS))
    ).fill_null(False)
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
        # An app's visit lands on a screen, which has a name and no path: the name is its landing page.
        landing_page=ibis.ifelse(
            touchpoints.page_path.isnull() & (touchpoints.type == "screen").fill_null(False),
            touchpoints.event,
            touchpoints.page_path,
        ),
        source=touchpoints.source,
        medium=touchpoints.medium,
        campaign=touchpoints.campaign,
    )
    stats = stats.mutate(session_id=session_id_expr(stats)).drop("run_number", "cap_segment")
    joined = stats.left_join(first, stats.session_id == first.touch_session_id)
    joined = joined.mutate(channel=joined.channel.fill_null(FALLBACK_CHANNEL), visit=joined.touch_session_id.notnull())
    return joined.select("session_id", *[c for c in joined.columns if c not in ("session_id", "touch_session_id")])


def visits(sessions: ir.Table) -> ir.Table:
    """The sessions that are visits from a channel. A customer list's identify calls, or a survey answered by
    e-mail, are one session each in the sessions table (so that sessions partition every person's events), but
    counted as sessions they would add a visit per customer, each an Unassigned bounce. A build made before the
    `visit` column has every session."""
    return sessions.filter(sessions.visit) if "visit" in sessions.columns else sessions


def page_visits(sessions: ir.Table) -> ir.Table:
    """The visits that viewed at least one page or screen: what bounce rates are over. A WhatsApp chat, a marketplace
    order or a store visit lands on no page, so it neither bounces nor stays; counted as entrances they would fill a
    "(not set)" landing page and lower every average they are part of."""
    visited = visits(sessions)
    return visited.filter(visited.page_views > 0)
