"""Every journey report on an open build, as named sections of rows: what `jejak report …` prints and the dashboard shows.

Each function takes an open build, the `Scope` (dates, conversion types, channel, persona)
and the report's own options, runs its queries on the build's connection and returns
`{section: rows}`. The CLI and the web pages call the same functions, so a number on a
page is the number the terminal prints.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from jejak.analytics.assisted import assisted_of_touches, conversion_touches
from jejak.analytics.bounce import bounce, highest_bounce_pages
from jejak.analytics.devices import (
    cross_device,
    device_conversion,
    device_handoff,
    has_device_columns,
    unnamed_device_channels,
)
from jejak.analytics.flows import Flow, flow_links, in_link_order, nodes_of_links
from jejak.analytics.funnels import Funnel, attempts, best_of_days, funnel_next, funnel_steps, funnel_trend
from jejak.analytics.lags import lag_summary, path_length, time_lag
from jejak.analytics.paths import (
    built_journey_paths,
    converting_journey_paths,
    top_conversion_paths,
    top_of_paths,
    top_paths_by,
)
from jejak.analytics.summary import (
    activity,
    by_day,
    event_name_counts,
    headline,
    refund_outcomes,
    revenue_by_channel,
    revenue_by_currency,
    row_count,
    top_paths,
)
from jejak.core.errors import SettingError
from jejak.core.numbers import whole_text
from jejak.ingest.importer import SPEND_FORMATS, quarantine_counts
from jejak.journeys.dimensions import DIMENSIONS as DIMENSIONS  # the choices the CLI and the pages offer
from jejak.journeys.events import visit_starts
from jejak.journeys.filters import Filters, only_people
from jejak.journeys.refunds import (
    NO_ORDER_ID,
    ORDER_NOT_FOUND,
    REFUND_OUTCOMES,
    SEVERAL_ORDERS,
    STATED_ON_ORDER,
    SUBTRACTED,
)
from jejak.segments.stages import current_stages, model_stages, stage_funnel
from jejak.service.builds import OpenBuild, persona_assignments, persona_people, scoped
from jejak.service.language import in_language, moment_text
from jejak.store.appstate import open_state

Rows = list[dict[str, Any]]
Sections = dict[str, Rows]


def is_share_column(column: str) -> bool:
    """Whether a report column holds a 0–1 share or rate (shown as a percent in tables)."""
    return (
        column.endswith(("_share", "_rate"))
        or column.startswith(("conversion_from_", "conversion_to_"))
        or column == "share"
    )


def is_duration_column(column: str) -> bool:
    """Whether a report column holds a duration in seconds (shown in words in tables: 44 s, 2.0 min)."""
    return "_seconds" in column


@dataclass(frozen=True)
class Scope:
    """What a report looks at: days (the `timezone` setting's, both included), conversion types, a channel, a
    persona."""

    start: dt.date | None = None
    end: dt.date | None = None
    conversion_types: tuple[str, ...] = ()
    channel: str | None = None
    persona: str | None = None

    def narrowed(self, built: OpenBuild) -> Filters:
        """The filters, on the project's days, narrowed to the persona's people when there is one."""
        filters = Filters(
            conversion_types=self.conversion_types,
            start=self.start,
            end=self.end,
            channel=self.channel,
            zone=built.project.settings.timezone,
        )
        chosen: Filters = scoped(filters, built, self.persona)
        return chosen

    def people(self, built: OpenBuild) -> Any:
        return persona_people(built, self.persona) if self.persona else None


def summary(built: OpenBuild) -> Sections:
    """People, sessions, events, conversions and revenue; revenue by channel; top paths; quarantine."""
    settings = built.project.settings
    return {
        "headline": built.rows(headline(built.read("people"), built.read("sessions"), built.read("journeys"))),
        "channels": built.rows(revenue_by_channel(built.read("conversions"))),
        "currencies": built.rows(revenue_by_currency(built.read("conversions"))),
        "refunds": refund_rows(built),
        "top_paths": built.rows(top_paths(built.read("paths"), settings.top_n)),
        "quarantine": [{"reason": k, "rows": v} for k, v in quarantine_counts(built.project).items()],
        "shared_identifiers": shared_identifier_counts(built),
    }


def shared_identifier_counts(built: OpenBuild) -> list[dict[str, Any]]:
    """The identifiers identity did not join people by, per kind (`identity.graph`: an e-mail, phone or anonymous id
    seen with more user ids than the `identity_max_people_per_identifier` setting allows): how many, and the most
    user ids one of them was seen with, and the limit; an empty list for a build without the table."""
    shared = built.read_if_built("shared_identifiers")
    if shared is None:
        return []
    counted = shared.group_by("kind").aggregate(identifiers=shared.count(), most_user_ids=shared.user_ids.max())
    allowed = built.project.settings.identity_max_people_per_identifier
    rows = built.rows(counted.order_by([counted.identifiers.desc(), counted.kind]))
    return [{**row, "allowed_user_ids": allowed} for row in rows]


# An identifier's kind as a warning names it (singular, plural), and whose such an identifier often is.
_SHARED_KINDS: dict[str, dict[str, tuple[str, str, str]]] = {
    "phone": {
        "en": (
            "phone number",
            "phone numbers",
            "a shop's, a courier's or a reseller's number, given for many customers",
        ),
        "id": ("nomor telepon", "nomor telepon", "nomor toko, kurir, atau reseller yang diketik untuk banyak orang"),
    },
    "email": {
        "en": ("e-mail address", "e-mail addresses", "a shop's or a reseller's address, given for many customers"),
        "id": ("alamat e-mail", "alamat e-mail", "alamat toko atau reseller yang diketik untuk banyak orang"),
    },
    "anonymous_id": {
        "en": ("device or browser id", "device or browser ids", "a shop's tablet or a shared computer"),
        "id": ("id perangkat", "id perangkat", "tablet toko atau komputer bersama"),
    },
}


def shared_identifier_warnings(counts: Sequence[dict[str, Any]], lang: str = "en") -> list[str]:
    """What each kind of `shared_identifier_counts` means, as a sentence in `lang`: these identifiers join nobody,
    whose they often are, and where to see them.

    Example:
        >>> shared = {"kind": "phone", "identifiers": 1, "most_user_ids": 25, "allowed_user_ids": 5}
        >>> shared_identifier_warnings([shared])[0][:72]
        '1 phone number was seen with more user ids than 5 (up to 25), so it join'
    """
    said = []
    for row in counts:
        kind = str(row["kind"])
        words: dict[str, tuple[str, str, str]] = _SHARED_KINDS.get(kind) or {"en": (kind, kind, "")}
        one, many, whose = words[lang] if lang in words else words["en"]
        count = row["identifiers"]
        named = f"{whole_text(count, lang)} {one if count == 1 else many}"
        most, allowed = whole_text(row["most_user_ids"], lang), whole_text(row["allowed_user_ids"], lang)
        if lang == "id":
            said.append(
                f"{named} terlihat dengan lebih dari {allowed} user id (hingga {most}), jadi tidak menggabungkan "
                f"siapa pun{f', misalnya {whose}' if whose else ''} (setelan identity_max_people_per_identifier). "
                "Cari satu di halaman Orang; semuanya: jejak export shared_identifiers."
            )
            continue
        said.append(
            f"{named} {'was' if count == 1 else 'were'} seen with more user ids than {allowed} (up to {most}), so "
            f"{'it joins' if count == 1 else 'they join'} none of them{f': {whose}' if whose else ''} (the "
            "identity_max_people_per_identifier setting). Look one up on the People page; all of them: "
            "jejak export shared_identifiers."
        )
    return said


def refund_rows(built: OpenBuild) -> list[dict[str, Any]]:
    """The build's refunds per outcome (`analytics.summary.refund_outcomes`); none for a build without the
    refunds table (made before jejak subtracted refunds)."""
    refunds = built.read_if_built("refunds")
    if refunds is None:
        return []
    rows = built.rows(refund_outcomes(refunds, built.read("conversions")))
    return sorted(rows, key=lambda row: REFUND_OUTCOMES.index(row["outcome"]))


# What each refund outcome (`journeys.refunds`) means, as the summary says it.
REFUND_OUTCOME_TEXTS = {
    SUBTRACTED: "events subtracted from their order's revenue",
    STATED_ON_ORDER: "on their order's own row: subtracted from it",
    NO_ORDER_ID: "events naming no order (properties.order_id or transaction_id): not subtracted",
    ORDER_NOT_FOUND: "events naming an order id no conversion has: not subtracted",
    SEVERAL_ORDERS: "events naming an order id several conversions have: not subtracted",
}


def no_conversions_note(built: OpenBuild, shown_names: int = 5) -> str:
    """When the build has no conversion: which event names count as one, and the names the data has most, so a
    project whose orders are called something else can say so (empty when there is a conversion)."""
    if built.rows(row_count(built.read("conversions")))[0]["rows"]:
        return ""
    common = ", ".join(
        f"{row['event']} ({row['events']:,})"
        for row in built.rows(event_name_counts(built.read("events"), shown_names))
    )
    counted = ", ".join(built.project.settings.conversion_events)
    return (
        f"No conversions: an event counts as one when its name is in the conversion_events setting ({counted}). "
        + (f"The most common event names here: {common}. " if common else "")
        + 'Name your conversion events in jejak.toml (conversion_events = ["…"]) and build again.'
    )


def mixed_currencies_note(currencies: Sequence[str], shown_per_currency: bool = True, lang: str = "en") -> str:
    """What a reader is told when revenue comes in more than one currency (`revenue_by_currency`)."""
    listed = ", ".join(currencies)
    if shown_per_currency:
        where = {
            "en": "read revenue per currency (the table above)",
            "id": "baca pendapatan per mata uang (tabel di atas)",
        }
    else:
        where = {"en": "see `jejak report summary`", "id": "lihat `jejak report summary`"}
    return in_language(
        {
            "en": f"Revenue comes in {len(currencies)} currencies ({listed}), and jejak converts none: every revenue "
            f"total, share and ROAS adds their amounts as they are. Convert revenue to one currency before import, or "
            f"{where['en']}.",
            "id": f"Pendapatan tercatat dalam {len(currencies)} mata uang ({listed}), dan jejak tidak mengonversi satu "
            "pun: setiap total pendapatan, porsi, dan ROAS menjumlahkan nilainya apa adanya. Konversikan pendapatan ke "
            f"satu mata uang sebelum impor, atau {where['id']}.",
        },
        lang,
    )


def overview(built: OpenBuild, scope: Scope) -> Sections:
    """The period in numbers, by day, by channel; the top paths; quarantine, warnings and freshness."""
    chosen = scope.narrowed(built)
    sessions = chosen.sessions(built.read("sessions"))
    conversions = chosen.conversions(built.read("conversions"))
    journeys = chosen.journeys(built.read("journeys"))
    return {
        "headline": built.rows(activity(sessions, conversions, journeys)),
        "by_day": built.rows(by_day(sessions, conversions, built.project.settings.timezone)),
        "channels": built.rows(revenue_by_channel(conversions)),
        "currencies": built.rows(revenue_by_currency(conversions)),
        "top_paths": built.rows(top_paths(built.read("paths"), built.project.settings.top_n)),
        "quarantine": [{"reason": k, "rows": v} for k, v in quarantine_counts(built.project).items()],
        "warnings": shared_identifier_counts(built),
        "freshness": freshness(built.project),
    }


def freshness(project: Any) -> Rows:
    """When data last came in and when the tables were last built (from the SQLite logs), on the business's clock."""
    with open_state(project.sqlite_path) as db:
        # Ad spend files are in the log too; their rows are not events.
        imported = db.execute(
            "SELECT MAX(finished_at), COUNT(*), SUM(CASE WHEN file_format NOT IN (?, ?) THEN rows_stored END) "
            "FROM imports",
            SPEND_FORMATS,
        ).fetchone()
        built = db.execute("SELECT finished_at, engine FROM builds ORDER BY finished_at DESC LIMIT 1").fetchone()
    zone = project.settings.timezone
    return [
        {"measure": "last_import_at", "value": moment_text(imported[0], zone)},
        {"measure": "files_imported", "value": imported[1]},
        {"measure": "events_stored", "value": imported[2] or 0},
        {"measure": "last_build_at", "value": moment_text(built[0], zone) if built else None},
        {"measure": "build_engine", "value": built[1] if built else None},
    ]


def devices(built: OpenBuild, scope: Scope, *, by: str = "device_type") -> Sections:
    """Conversion by device type or OS, journeys across devices, and which device closes after which."""
    lookback = built.project.settings.lookback_days
    chosen = scope.narrowed(built)
    sessions = chosen.sessions(built.read("sessions"))
    touches = only_people(built.read("touchpoints"), chosen.people)
    journeys = built.read("journeys")
    if has_device_columns(journeys):
        # One row per journey, filtered like every report's journeys (dates, types, channel, persona).
        chosen_journeys = chosen.journeys(journeys)
        crossing = cross_device(journeys=chosen_journeys)
        handoff = device_handoff(journeys=chosen_journeys)
    else:  # a build made before journeys kept their devices
        conversions = chosen.conversions(built.read("conversions"))
        in_window = built.read_if_built("journey_touches")
        crossing = cross_device(touches, conversions, lookback_days=lookback, in_window=in_window)
        handoff = device_handoff(touches, conversions, lookback_days=lookback, in_window=in_window)
    return {
        "devices": built.rows(device_conversion(sessions, touches, by=by)),
        "unnamed_devices": built.rows(unnamed_device_channels(sessions, touches, by=by)),
        "cross_device": built.rows(crossing),
        "handoff": built.rows(handoff),
    }


def bounce_rates(built: OpenBuild, scope: Scope, *, by: str = "page", top_n: int | None = None) -> Sections:
    """The landing pages with the highest bounce (among those with enough entrances), or bounce by channel."""
    settings = built.project.settings
    engaged = {
        "engaged_seconds": settings.bounce_engaged_seconds,
        "engaged_min_views": settings.bounce_engaged_min_views,
    }
    sessions = scope.narrowed(built).sessions(built.read("sessions"))
    if by == "page":
        table = highest_bounce_pages(
            sessions, n=top_n or settings.top_n, min_entrances=settings.bounce_min_entrances, **engaged
        )
    else:
        table = bounce(sessions, by="channel", **engaged)
    return {"bounce": built.rows(table)}


def conversion_paths(
    built: OpenBuild, scope: Scope, *, dimension: str = "channel", exposure: bool = True, top_n: int | None = None
) -> Sections:
    """Top conversion paths by channel, source / medium or campaign, with an Other row that keeps the totals."""
    settings = built.project.settings
    n = top_n or settings.top_n
    same_as_build = (
        dimension == "channel"
        and settings.path_transform in ("exposure", "unique")
        and exposure == (settings.path_transform == "exposure")
        and settings.path_max_touches == 0
        and dataclasses.replace(scope, channel=None) == Scope()
    )
    if same_as_build:
        # The build's own unique paths are exactly these: read them instead of rebuilding journeys.
        return {"paths": built.rows(top_of_paths(built.read("paths"), n=n))}
    chosen = scope.narrowed(built)
    if exposure:
        # Every converting journey's paths are kept next to the build; a dimension, dates or a persona filter them.
        table = top_paths_by(chosen.conversions(journey_paths(built, dimension)), n=n)
    else:
        table = top_conversion_paths(
            built.read("touchpoints"),
            chosen.conversions(built.read("conversions")),
            lookback_days=settings.lookback_days,
            dimension=dimension,
            exposure=exposure,
            n=n,
            in_window=built.read_if_built("journey_touches"),
        )
    return {"paths": built.rows(table)}


def assisted(built: OpenBuild, scope: Scope, *, dimension: str = "channel") -> Sections:
    """First-interaction, assisted and last-interaction conversions and revenue per channel (or dimension)."""
    # Every conversion's touches are kept next to the build; a dimension, dates or a persona only aggregate them.
    touches = scope.narrowed(built).conversions(touches_of_conversions(built))
    return {"assisted": built.rows(assisted_of_touches(touches, dimension))}


def touches_of_conversions(built: OpenBuild) -> Any:
    """Every conversion's touches in order, labelled by every dimension (`analytics.assisted.conversion_touches`).

    Computed once per build and settings (the window that numbers each journey's touches is the costly part,
    over a second at 10M events), kept next to the build (`service.cache`); `jejak build` computes it with the
    dashboard's first views.
    """

    def compute() -> Any:
        return conversion_touches(
            built.read("touchpoints"),
            built.read("conversions"),
            lookback_days=built.project.settings.lookback_days,
            in_window=built.read_if_built("journey_touches"),
        )

    # The dimensions are part of the question: touches kept before a dimension was added lack its column.
    return built.kept("conversion-touches", list(DIMENSIONS), compute)


def journey_paths(built: OpenBuild, dimension: str) -> Any:
    """Every converting journey's exposure path by `dimension` (`analytics.paths.converting_journey_paths`).

    By channel, when the build's journeys have those paths (the exposure transform, no cap), they are the
    build's; otherwise they are computed once per build, settings and dimension (two seconds at 10M events)
    and kept next to the build (`service.cache`), like `touches_of_conversions`.
    """
    settings = built.project.settings
    if dimension == "channel" and settings.path_transform == "exposure" and settings.path_max_touches == 0:
        return built_journey_paths(built.read("journeys"))

    def compute() -> Any:
        return converting_journey_paths(
            built.read("touchpoints"),
            built.read("conversions"),
            lookback_days=settings.lookback_days,
            dimension=dimension,
            in_window=built.read_if_built("journey_touches"),
        )

    return built.kept("journey-paths", [dimension], compute)


def histogram(built: OpenBuild, scope: Scope, *, kind: str, by_first_channel: bool = False) -> Sections:
    """The time-lag (`timelag`) or path-length (`pathlength`) histogram, with the lag's median and mean."""
    makers = {"timelag": time_lag, "pathlength": path_length}
    if kind not in makers:
        raise SettingError(f"Unknown histogram {kind!r}. Expected timelag or pathlength.")
    journeys = scope.narrowed(built).journeys(built.read("journeys"))
    found = {"histogram": built.rows(makers[kind](journeys, by_first_channel=by_first_channel))}
    if kind == "timelag":
        found["summary"] = built.rows(lag_summary(journeys))
    return found


@dataclass(frozen=True)
class FunnelQuery:
    """A funnel as a user asks for it; None means the project's setting."""

    steps: tuple[str, ...]
    order: str | None = None
    window_days: int | None = None
    exclusions: tuple[str, ...] = ()
    breakdown: str | None = None
    top_n: int = 5
    period: str | None = None
    next_after: int | None = None

    def funnel(self, built: OpenBuild, scope: Scope) -> Funnel:
        settings = built.project.settings
        return Funnel.of(
            self.steps,
            exclusions=self.exclusions,
            order=self.order or settings.funnel_order,
            window_seconds=(self.window_days or settings.funnel_window_days) * 86_400,
            start=scope.start,
            end=scope.end,
            zone=settings.timezone,
        )


def best_attempts(built: OpenBuild, scope: Scope, chosen: Funnel, stream: Any) -> Any:
    """Every person's best attempt at the funnel in its date range, from attempts kept next to the build.

    The attempts are the costly part of a funnel (a window over every step event); its breakdowns, trend and
    "what came next" are small queries on them. So each person's best attempt of each day is computed once per
    build, funnel (without its dates) and persona, kept (`service.cache`), and every view of the funnel, over
    any dates, picks each person's best of the days it covers (`analytics.funnels.best_of_days`).
    """
    undated = dataclasses.replace(chosen, start=None, end=None)

    def compute() -> Any:
        # Without step 1's details: they are text columns, costly to join, carry and keep (0.6 s at 10M events),
        # and only a breakdown by channel or device needs them (`funnel_steps` joins them on then).
        return attempts(stream, undated, per_day=True)

    state = ("personas",) if scope.persona else ()
    return best_of_days(built.kept("funnel-day-attempts", [repr(undated), scope.persona], compute, state), chosen)


def funnel(built: OpenBuild, scope: Scope, query: FunnelQuery) -> Sections:
    """People at each step, drop-off, median time between steps; optionally a trend and what came next."""
    chosen = query.funnel(built, scope)
    stream = only_people(built.read("events"), scope.people(built))
    tried = best_attempts(built, scope, chosen, stream)
    found = {
        "steps": built.rows(
            funnel_steps(
                stream,
                chosen,
                breakdown=query.breakdown,
                top_n=query.top_n,
                personas=persona_assignments(built) if query.breakdown == "persona" else None,
                tried=tried,
            )
        )
    }
    if query.period:
        found["trend"] = built.rows(funnel_trend(stream, chosen, period=query.period, tried=tried))
    if query.next_after is not None:
        found["next"] = built.rows(funnel_next(stream, chosen, step=query.next_after, top_n=query.top_n, tried=tried))
    return found


def flows(
    built: OpenBuild,
    scope: Scope,
    *,
    start_event: str | None = None,
    end_event: str | None = None,
    steps: int = 5,
    top_n: int = 5,
    node: str = "event",
    within: str = "session",
) -> Sections:
    """Paths forward from an event or backward from one, step by step: nodes and Sankey links."""
    if (start_event is None) == (end_event is None):
        raise SettingError("Give exactly one of a start event (forward) and an end event (backward).")
    options: dict[str, Any] = {
        "steps": steps,
        "top_n": top_n,
        "node": node,
        "within": within,
        "start": scope.start,
        "end": scope.end,
        "zone": built.project.settings.timezone,
    }
    chosen = (
        Flow.forward(start_event, **options)
        if start_event is not None
        else Flow.backward_from(str(end_event), **options)
    )
    stream = only_people(built.read("events"), scope.people(built))
    # The flow runs once, for its links; the nodes are summed from those few rows.
    links = built.engine.materialize(flow_links(stream, chosen), "flow_links")
    return {"nodes": built.rows(nodes_of_links(links)), "links": built.rows(in_link_order(links))}


def stages(built: OpenBuild, stage_names: Sequence[str] | None = None) -> Sections:
    """People reaching each stage, going on to a later one, median days in the stage; where people are now."""
    settings = built.project.settings
    names = stage_names or model_stages(settings.stage_model, settings.stages)
    milestones = built.read("person_stages")
    now = current_stages(milestones)
    where = now.group_by("current_stage").aggregate(people=now.count())
    return {
        "stages": built.rows(stage_funnel(milestones, names)),
        "current": built.rows(where.order_by(where.people.desc())),
    }


def event_names(built: OpenBuild, *, limit: int = 100) -> list[str]:
    """The most frequent interaction names (for pickers), most frequent first."""
    rows = built.rows(event_name_counts(built.read("events"), limit))
    return [str(row["event"]) for row in rows if row["event"] is not None]


def usual_first_event(built: OpenBuild) -> str | None:
    """The event that most often opens a visit: where a forward path flow starts when none is chosen."""
    events = built.read("events")
    starts = events.filter(visit_starts(events))
    counted = starts.group_by("event").aggregate(times=starts.count())
    rows = built.rows(counted.order_by([counted.times.desc(), counted.event]).limit(1))
    return str(rows[0]["event"]) if rows else None
