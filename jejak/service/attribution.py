"""An attribution run on the last build: the CLI's `jejak attribute` and the dashboard's attribution page.

The run's journeys are read from the build (or rebuilt on the engine under the run's
transform, lookback or labelling), filtered by the scope, aggregated into unique paths;
every model runs on those (`attribution.compare`), and spend per channel or campaign is
joined for cost per conversion and ROAS.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from jejak.analytics.summary import revenue_by_currency
from jejak.attribution.compare import MODELS, Attribution, ModelOptions, comparison
from jejak.attribution.compare import attribute as run_attribution
from jejak.attribution.inputs import run_journeys, run_paths
from jejak.attribution.pathset import PathSet
from jejak.attribution.spend import unmatched_spend, with_spend
from jejak.attribution.transitions import transition_counts
from jejak.core.numbers import whole_text
from jejak.ingest.spend import spend_by_campaign, spend_by_campaign_channel, spend_by_channel
from jejak.journeys.dimensions import DIMENSIONS, direct_label
from jejak.journeys.journeys import PATH_SEPARATOR
from jejak.service.builds import OpenBuild
from jejak.service.cache import cached
from jejak.service.language import in_language, number_text
from jejak.service.reports import Scope, mixed_currencies_note

# What a run reads of its journeys: the unique paths' aggregation (`journeys.unique_paths`) and each journey's
# path and touch times, in order (time decay and the journey-level bootstrap).
RUN_JOURNEY_COLUMNS = (
    "person_id",
    "journey_index",
    "path",
    "path_text",
    "touches",
    "touch_epoch_seconds",
    "converted",
    "revenue",
    "conversion_at",
    "first_touch_at",
    "last_touch_at",
)

# What a run may label touches with.
ATTRIBUTE_BY = DIMENSIONS

_HONEST_LABEL = {
    "en": "Markov and Shapley credit measure how often a channel sits on converting paths, not what the channel "
    "causes: only a holdout test measures incremental effect (it comes with messaging).",
    "id": "Kredit Markov dan Shapley mengukur seberapa sering sebuah saluran ada di jalur yang berkonversi, bukan apa "
    "yang disebabkan saluran itu: hanya uji holdout yang mengukur efek inkremental (hadir bersama fitur pesan).",
}
HONEST_LABEL = _HONEST_LABEL["en"]


def honest_label(lang: str = "en") -> str:
    """What Markov's and Shapley's credit measure, and what they do not (`HONEST_LABEL` in English)."""
    return in_language(_HONEST_LABEL, lang)


def markov_order_note(order: int, log_likelihood: Mapping[str, float], lang: str = "en") -> str:
    """The Markov order a run chose (`markov_order = "auto"`), with each candidate's held-out score."""
    word = in_language({"en": "order", "id": "orde"}, lang)
    scores = ", ".join(f"{word} {k}: {number_text(f'{v:.4f}', lang)}" for k, v in log_likelihood.items())
    return in_language(
        {
            "en": f"Markov order {order}, chosen by held-out log-likelihood per step ({scores}).",
            "id": f"Orde Markov {order}, dipilih menurut log-likelihood per langkah pada perjalanan yang disisihkan "
            f"untuk uji ({scores}).",
        },
        lang,
    )


@dataclass(frozen=True)
class RunFilters:
    """What one `jejak attribute` run asks of the build's journeys (None: the build's own setting)."""

    transform: str | None = None
    lookback_days: int | None = None
    filters: Any = None  # journeys.filters.Filters; None keeps every journey
    by: str = "channel"  # what the touches are labelled by; the build's journeys are by channel


def read_built_journeys(built: OpenBuild, run: RunFilters) -> tuple[Any, Any, Any]:
    """The run's unique paths and journeys (with touch times), and the engine table of those paths.

    Everything is computed on the engine; only the aggregated paths and the journeys'
    paths and times (for time decay) come out.
    """
    settings = built.project.settings
    rebuilt = (
        (run.transform not in (None, settings.path_transform))
        or (run.lookback_days not in (None, settings.lookback_days))
        or run.by != "channel"
    )
    if rebuilt:
        journey_table = run_journeys(
            built.read("touchpoints"),
            built.read("conversions"),
            transform=run.transform or settings.path_transform,
            transform_channel=settings.path_transform_channel,
            max_touches=settings.path_max_touches,
            lookback_days=run.lookback_days or settings.lookback_days,
            dimension=run.by,
        )
    else:
        journey_table = built.read("journeys")
    if run.filters is not None:
        journey_table = run.filters.journeys(journey_table)
    if rebuilt:
        # Rebuilt journeys are read twice (aggregated, then their paths and times): kept once on the engine, or
        # each read would rebuild them from the touchpoints (at 10M events, 4 s a time).
        kept = [column for column in RUN_JOURNEY_COLUMNS if column in journey_table.columns]
        journey_table = built.engine.materialize(journey_table.select(*kept), "attribution_journeys")
    # Only the (small) unique paths are kept on the engine, for the transition counts and the read: the journeys
    # are scanned twice (once aggregated, once read), cheaper than copying 1.3M rows of lists into a table.
    paths_table = built.engine.materialize(run_paths(journey_table), "attribution_paths")
    # Read in a fixed order: the seeded bootstrap draws over rows in order, so the same build must give the
    # same rows in the same order for its intervals to repeat (an engine's scan order is not fixed).
    paths = PathSet.from_arrow(
        built.engine.to_pyarrow(paths_table.order_by("path")),
        separator=PATH_SEPARATOR.strip(),
        where="the journeys of the last build",
    )
    wanted = ("path", "touch_epoch_seconds", "converted", "revenue", "conversion_at")
    ordered = journey_table.order_by(["person_id", "journey_index"])
    journeys = PathSet.from_journeys(
        built.engine.to_pyarrow(ordered.select(*[c for c in wanted if c in journey_table.columns])),
        where="the journeys table of the last build",
    )
    return paths, journeys, paths_table


def spend_by(project: Any, by: str, start: dt.date | None, end: dt.date | None) -> dict[str, float]:
    """Spend per channel or per campaign over the run's days; none by source / medium, which spend does not carry."""
    if by == "channel":
        return spend_by_channel(project, start, end)
    if by == "campaign":
        return spend_by_campaign(project, start, end)
    return {}


def unmatched_spend_advice(by: str, name: str, amount: float, lang: str = "en") -> str:
    """Why spend on `name` met no credit, and where to find the names that would match."""
    spent = whole_text(amount, lang)
    if by == "campaign":
        return in_language(
            {
                "en": f"Spend of {spent} on '{name}', a campaign no path carries. Use the campaign names your "
                "touches carry (utm_campaign; see `jejak report paths --dimension campaign`).",
                "id": f"Biaya iklan {spent} untuk '{name}', kampanye yang tidak ada di jalur mana pun. Pakai nama "
                "kampanye yang dibawa sentuhan Anda (utm_campaign; lihat `jejak report paths --dimension campaign`).",
            },
            lang,
        )
    return in_language(
        {
            "en": f"Spend of {spent} on '{name}', a channel no path carries. "
            "Use the channel names jejak gives (see `jejak report summary`).",
            "id": f"Biaya iklan {spent} untuk '{name}', saluran yang tidak ada di jalur mana pun. "
            "Pakai nama saluran yang diberikan jejak (lihat `jejak report summary`).",
        },
        lang,
    )


# How many other channels a campaign's note names, largest first.
SHOWN_CHANNELS = 3


def spend_notes(
    built: OpenBuild, by: str, table: pa.Table, spend: dict[str, float], scope: Scope
) -> list[dict[str, Any]]:
    """Warnings of spend that met no credit or the wrong credit (empty when all of it met its own), as what each
    says (JSON-able, kept with a run's answer): `spend_note_text` writes one in a language.

    Spend on a name no credited path carries (`unmatched_spend`); and, by channel, a campaign whose spend is
    imported under a channel none of its touches is on. A Meta campaign tagged `utm_medium=social` is Organic
    Social, as GA4 reads it (a paid medium says cpc, ppc, paid…), while its spend is imported as Paid Social: ROAS
    by channel then sets its spend against other campaigns' credit, and its revenue adds to a channel without its
    spend. Its touches are counted over the whole build: tagging does not change with the run's dates.
    """
    notes: list[dict[str, Any]] = [
        {"kind": "unmatched", "by": by, "name": name, "amount": amount}
        for name, amount in unmatched_spend(table, spend, key=by).items()
    ]
    spent = spend_by_campaign_channel(built.project, scope.start, scope.end) if by == "channel" else {}
    if not spent:
        return notes
    touches = built.read("touchpoints")
    touches = touches.filter(touches.campaign.isin(sorted({campaign for campaign, _ in spent})))
    counted = built.rows(
        touches.group_by(["campaign", "channel"]).aggregate(touches=touches.count(), medium=touches.medium.mode())
    )
    on: dict[str, list[dict[str, Any]]] = {}
    for row in sorted(counted, key=lambda row: (-row["touches"], str(row["channel"]))):
        on.setdefault(str(row["campaign"]), []).append(row)
    for (campaign, channel), amount in spent.items():
        found = on.get(campaign, [])
        if found and all(row["channel"] != channel for row in found):
            touched = [{key: row[key] for key in ("channel", "touches", "medium")} for row in found]
            notes.append(
                {"kind": "channel", "campaign": campaign, "channel": channel, "amount": amount, "found": touched}
            )
    return notes


def spend_note_text(note: dict[str, Any] | str, lang: str = "en") -> str:
    """One of `spend_notes` written in `lang` (an answer kept before notes were kept so holds its English text)."""
    if isinstance(note, str):
        return note
    if note["kind"] == "unmatched":
        return unmatched_spend_advice(note["by"], note["name"], note["amount"], lang)
    return _spend_channel_note(note["campaign"], note["channel"], note["amount"], note["found"], lang)


def _spend_channel_note(
    campaign: str, channel: str, amount: float, found: Sequence[dict[str, Any]], lang: str = "en"
) -> str:
    """What to say of a campaign whose spend is imported as `channel` while its touches (`found`, the most first)
    are all on other channels."""
    total = whole_text(sum(int(row["touches"]) for row in found), lang)
    shown = ", ".join(f"{row['channel']} ({whole_text(int(row['touches']), lang)})" for row in found[:SHOWN_CHANNELS])
    mediums = sorted({str(row["medium"]) for row in found[:SHOWN_CHANNELS] if row["medium"]})
    medium = f" (utm_medium {', '.join(repr(m) for m in mediums)})" if mediums else ""
    spent = whole_text(amount, lang)
    # A rule before the defaults gives the campaign's touches, past ones too, the spend's channel at the next build.
    # Values are lower-cased before the rules match, and a literal TOML string keeps the regex's backslashes.
    pattern = "^" + re.escape(campaign.lower()) + "$"
    then = in_language({"en": "then", "id": "lalu"}, lang)
    rule = (
        f' — {in_language({"en": "in", "id": "di"}, lang)} jejak.toml: [[channels.prepend]] name = "{channel}", '
        f"match = [{{ campaign = '{pattern}' }}], {then} jejak build"
        if "'" not in pattern and '"' not in channel
        else ""
    )
    return in_language(
        {
            "en": f"Spend of {spent} on campaign '{campaign}' is imported as {channel}, but none of its {total} "
            f"touches is: they are {shown}{medium}. By channel, its spend is set against other campaigns' {channel} "
            f"credit, and its revenue goes to a channel without its spend. If the campaign is {channel}, say so{rule} "
            "(see docs/channels.md; its links' utm_medium should be a paid one: cpc, paid_social); else import its "
            "spend under its touches' channel. `jejak attribute --by campaign` matches its spend as it is.",
            "id": f"Biaya iklan {spent} untuk kampanye '{campaign}' diimpor sebagai {channel}, tetapi tidak satu pun "
            f"dari {total} sentuhannya ada di saluran itu: sentuhannya ada di {shown}{medium}. Per saluran, biayanya "
            f"dihadapkan pada kredit {channel} milik kampanye lain, dan pendapatannya masuk ke saluran tanpa biaya "
            f"itu. Jika kampanye itu memang {channel}, nyatakan demikian{rule} (lihat docs/channels.md; utm_medium "
            "pada tautannya sebaiknya yang berbayar: cpc, paid_social); jika bukan, impor biayanya di bawah saluran "
            "sentuhannya. `jejak attribute --by campaign` mencocokkan biayanya apa adanya.",
        },
        lang,
    )


def unsteady_credit_note(rows: Sequence[dict[str, Any]], by: str, lang: str = "en") -> str:
    """A warning naming every credit that lies outside its own interval (empty when none does, or without intervals).

    A percentile interval leaves out the credit itself when resampling the journeys shifts the model's answer one
    way: the answer then rests on few journeys. Shapley is the usual case: each channel combination's conversion
    rate counts as much as a common one's, so combinations seen in two or three journeys move it.
    """
    outside: dict[str, list[str]] = {}
    for row in rows:
        low, high, credited = row.get("conversions_low"), row.get("conversions_high"), row["conversions"]
        if low is None or high is None:
            continue
        slack = 1e-9 * max(1.0, abs(credited))  # the quantile of equal resamples may differ in the last digit
        if not low - slack <= credited <= high + slack:
            outside.setdefault(str(row["model"]), []).append(str(row[by]))
    if not outside:
        return ""
    named = "; ".join(f"{model}: {', '.join(labels)}" for model, labels in outside.items())
    return in_language(
        {
            "en": f"A credit outside its own interval ({named}): drawing the journeys again moves it one way "
            "each time, so it rests on few journeys. For Shapley, channel combinations seen in only a few journeys "
            "weigh as much as common ones. Read these credits as rough.",
            "id": f"Kredit di luar intervalnya sendiri ({named}): setiap kali perjalanan diambil ulang, kredit "
            "itu bergeser ke satu arah, jadi kredit itu bertumpu pada sedikit perjalanan. Pada Shapley, kombinasi "
            "saluran yang hanya terlihat di beberapa perjalanan berbobot sama dengan kombinasi yang umum. Baca kredit "
            "ini sebagai perkiraan kasar.",
        },
        lang,
    )


def currency_note(built: OpenBuild, lang: str = "en") -> str:
    """A warning when the build's conversions come in more than one currency (empty when not): the credited revenue
    and ROAS add them as they are."""
    currencies = [str(row["currency"]) for row in built.rows(revenue_by_currency(built.read("conversions")))]
    return mixed_currencies_note(currencies, shown_per_currency=False, lang=lang) if len(currencies) > 1 else ""


def dimension_note(by: str, lang: str = "en") -> str:
    """What stands in for Direct, and what spend is matched to, in a run not by channel (empty by channel)."""
    label = direct_label(by)
    if by == "campaign":
        return in_language(
            {
                "en": f"By campaign: a touch without a campaign is '{label}' (Direct visits, and organic or referral "
                f"visits that carry none). '{label}' plays Direct's part in last_non_direct and the remove_if_* "
                "transforms, and spend imported without a campaign is matched to it.",
                "id": f"Per kampanye: sentuhan tanpa kampanye menjadi '{label}' (kunjungan Direct, serta kunjungan "
                f"organik atau rujukan yang tidak membawa kampanye). '{label}' berperan sebagai Direct dalam "
                "last_non_direct dan transformasi remove_if_*, dan biaya iklan yang diimpor tanpa kampanye dicocokkan "
                "dengannya.",
            },
            lang,
        )
    if by == "source_medium":
        return in_language(
            {
                "en": f"By source / medium: '{label}' plays Direct's part in last_non_direct and the remove_if_* "
                "transforms. Spend is imported per channel and campaign, so no ROAS is shown by source / medium.",
                "id": f"Per sumber / media: '{label}' berperan sebagai Direct dalam last_non_direct dan transformasi "
                "remove_if_*. Biaya iklan diimpor per saluran dan kampanye, jadi ROAS tidak ditampilkan per sumber / "
                "media.",
            },
            lang,
        )
    if by in _TAGGED:
        what = _TAGGED[by]
        return in_language(
            {
                "en": f"By {what['en']} ({by}): a touch whose address or data carries none is '{label}' (Direct "
                f"visits, untagged organic and referral visits, and tagged ones without {what['en']}). '{label}' "
                "plays Direct's part in last_non_direct and the remove_if_* transforms. Spend is imported per "
                f"channel and campaign, so no ROAS is shown by {what['en']}.",
                "id": f"Per {what['id']} ({by}): sentuhan yang alamat atau datanya tidak membawanya menjadi "
                f"'{label}' (kunjungan Direct, kunjungan organik dan rujukan tanpa tag, dan yang bertag tanpa "
                f"{what['id']}). '{label}' berperan sebagai Direct dalam last_non_direct dan transformasi "
                "remove_if_*. Biaya iklan diimpor per saluran dan kampanye, jadi ROAS tidak ditampilkan per "
                f"{what['id']}.",
            },
            lang,
        )
    return ""


# The campaign's keyword and ad, as a note names them.
_TAGGED = {"term": {"en": "keyword", "id": "kata kunci"}, "content": {"en": "ad content", "id": "konten iklan"}}


@dataclass(frozen=True)
class AttributionQuery:
    """What one run asks for; None means the project's setting."""

    models: tuple[str, ...] = ()  # empty: every model
    by: str = "channel"
    order: str | None = None
    resamples: int | None = None
    transform: str | None = None
    lookback_days: int | None = None

    @classmethod
    def defaults(cls, settings: Any) -> AttributionQuery:
        """Every model by channel under the project's settings, spelled out (the dashboard's first view)."""
        return cls(
            order=settings.markov_order,
            resamples=settings.attribution_resamples,
            transform=settings.path_transform,
            lookback_days=settings.lookback_days,
        )

    def options(self, settings: Any) -> ModelOptions:
        options = dataclasses.replace(ModelOptions.from_settings(settings), direct=direct_label(self.by))
        if self.order is not None:
            options = dataclasses.replace(options, markov_order=self.order)
        if self.resamples is not None:
            options = dataclasses.replace(options, resamples=self.resamples)
        return options


@dataclass(frozen=True)
class AttributionRun:
    """A run's result: the models' credit, the comparison table (with spend when there is any), and its inputs."""

    found: Attribution
    table: pa.Table  # label column named for `by`: channel, campaign or source_medium
    paths: PathSet
    options: ModelOptions
    spend: dict[str, float]
    # Spend that met no credit or the wrong credit (`spend_notes`; `spend_note_text` writes one).
    spend_notes: list[dict[str, Any]] = dataclasses.field(default_factory=list)


def attribute_built(built: OpenBuild, scope: Scope, query: AttributionQuery) -> AttributionRun:
    """Every chosen model on the build's journeys in the scope, side by side, with spend and ROAS."""
    settings = built.project.settings
    options = query.options(settings)
    run = RunFilters(query.transform, query.lookback_days, scope.narrowed(built), query.by)
    paths, journeys, paths_table = read_built_journeys(built, run)

    def counts(markov_order: int) -> Any:
        # Only the order the run uses is counted, on the engine, while the connection is open.
        return built.engine.to_pyarrow(transition_counts(paths_table, order=markov_order, separator=PATH_SEPARATOR))

    found = run_attribution(paths, query.models or MODELS, options, journeys=journeys, counts=counts)
    spend = spend_by(built.project, query.by, scope.start, scope.end)
    table = labelled(comparison(found), query.by, spend)
    notes = spend_notes(built, query.by, table, spend, scope) if spend else []
    return AttributionRun(found, table, paths, options, spend, notes)


def labelled(table: pa.Table, by: str, spend: dict[str, float]) -> pa.Table:
    """The comparison with its label column named for what it holds, and spend joined when there is any."""
    table = table.rename_columns([by if name == "channel" else name for name in table.column_names])
    return with_spend(table, spend, key=by) if spend else table


@dataclass(frozen=True)
class AttributionSummary:
    """What a page shows of a run: the comparison rows, the Markov order choice, totals and spend (JSON-able)."""

    rows: list[dict[str, Any]]
    order_choice: dict[str, Any] | None  # {"order": k, "log_likelihood": {order: score}}
    conversions: float
    unique_paths: int
    spend: dict[str, float]
    # An answer kept before runs had them has none, and one kept before they were kept as what they say holds their
    # English text (`cached_attribution` reads it back as it was; `spend_note_text` writes either).
    spend_notes: list[dict[str, Any] | str] = dataclasses.field(default_factory=list)


def summarise(run: AttributionRun) -> AttributionSummary:
    choice = run.found.order_choice
    return AttributionSummary(
        rows=run.table.to_pylist(),
        order_choice=None
        if choice is None
        else {"order": choice.order, "log_likelihood": {str(k): v for k, v in choice.log_likelihood.items()}},
        conversions=float(run.paths.total_conversions),
        unique_paths=int(run.paths.paths),
        spend=run.spend,
        spend_notes=list(run.spend_notes),
    )


def cached_attribution(built: OpenBuild, scope: Scope, query: AttributionQuery) -> AttributionSummary:
    """A run's summary, computed once per build, question, settings, spend and personas (`service.cache`).

    Bootstrap intervals re-run every model hundreds of times: seconds on a large build.
    """
    question = [dataclasses.asdict(query), dataclasses.asdict(scope)]
    answer = cached(
        built.project,
        "attribution",
        question,
        lambda: dataclasses.asdict(summarise(attribute_built(built, scope, query))),
    )
    return AttributionSummary(**answer)
