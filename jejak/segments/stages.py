"""Customer-journey stages: which stage each interaction belongs to, by ordered rules, and where each person is.

The default model is the seeds' five stages, Awareness → Consideration → Decision →
Experience → Loyalty (seeds 000, 004). Rules are tried in order and the first that
matches gives the stage; an interaction no rule matches has no stage. A rule
matches a conversion that is the person's first or a repeat purchase (`purchase`),
an arrival — the first interaction of a session — from one of its `channels`, or
an interaction whose event name is one of its `events` or whose page path starts
with one of its `pages`. Rules live in `jejak.toml` under `[[stages.rules]]`
(replacing the defaults) or `[[stages.prepend]]` (tried first).

Two other models relabel the five (`stage_model`): `four`, seed 000's Awareness →
Comparison → Purchase → Use (Experience and Loyalty are both Use), and `aida`:
Attention → Interest → Desire → Action, where Action is every purchase and what
follows it. Each person's stages are summarised as milestones: when they first and
last were in each stage, and how many interactions they had there.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.types as ir

from jejak.core.errors import SettingError
from jejak.core.vocabulary import CALL_EVENT, CHAT_EVENT, LEAD_EVENT, TICKET_EVENT
from jejak.engine import safe_div, whole_epoch_seconds
from jejak.journeys.events import visit_starts

FIVE_STAGES = ("Awareness", "Consideration", "Decision", "Experience", "Loyalty")
PURCHASES = ("first", "repeat")
STAGE_MODELS: dict[str, dict[str, str]] = {
    "five": {stage: stage for stage in FIVE_STAGES},
    "four": {
        "Awareness": "Awareness",
        "Consideration": "Comparison",
        "Decision": "Purchase",
        "Experience": "Use",
        "Loyalty": "Use",
    },
    "aida": {
        "Awareness": "Attention",
        "Consideration": "Interest",
        "Decision": "Desire",
        "Experience": "Action",
        "Loyalty": "Action",
    },
}
MODEL_STAGES = {
    "five": FIVE_STAGES,
    "four": ("Awareness", "Comparison", "Purchase", "Use"),
    "aida": ("Attention", "Interest", "Desire", "Action"),
}
_RULE_KEYS = ("stage", "events", "pages", "channels", "purchase")


@dataclass(frozen=True)
class StageRule:
    """One stage and what puts an interaction in it (see the module docstring)."""

    stage: str
    events: tuple[str, ...] = ()
    pages: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    purchase: str | None = None

    def matches(self, stream: ir.Table) -> ir.BooleanValue:
        if self.purchase is not None:
            index = stream.conversion_index
            number = index == 1 if self.purchase == "first" else index > 1
            return (stream.is_conversion & number).fill_null(False)
        hit: ir.BooleanValue = ibis.literal(False)
        if self.events:
            hit = hit | stream.event.isin(list(self.events)).fill_null(False)
        for prefix in self.pages:
            hit = hit | stream.page_path.startswith(prefix).fill_null(False)
        if self.channels:
            # The visit's start, not the session's: a survey answer or shipping update that opened the session
            # before the visit from an ad is no arrival from it.
            arrival = visit_starts(stream) & stream.channel.isin(list(self.channels))
            hit = hit | arrival.fill_null(False)
        return hit


DEFAULT_STAGE_RULES: tuple[StageRule, ...] = (
    # Purchases first: whatever page they happen on, a purchase decides, and a second one is loyalty.
    StageRule("Loyalty", purchase="repeat"),
    StageRule("Decision", purchase="first"),
    # An order that was not completed, named by its status as `jejak import --event-names` advises: an unpaid or
    # cancelled one decided and fell through, a refunded one is what came after buying. Before the arrival rule: a
    # marketplace's order is the one event of its session, and an order from an ad was no first contact.
    StageRule("Experience", events=("Order Refunded", "Order Returned")),
    StageRule("Decision", events=("Order Unpaid", "Order Cancelled", "Order Failed")),
    StageRule(
        "Loyalty",
        events=("Product Reviewed", "Review Submitted", "Referral Sent", "Product Shared", "Subscription Renewed"),
        pages=("/referral", "/ajak-teman"),
    ),
    StageRule(
        "Experience",
        events=(
            "Order Shipped",
            "Order Delivered",
            "Order Received",
            "Product Used",
            "Support Contacted",
            TICKET_EVENT,
            "call_centre_call",
            CALL_EVENT,
        ),
        pages=("/help", "/bantuan", "/faq", "/support", "/lacak", "/tracking"),
    ),
    # A conversation with the shop is weighing a purchase, on whatever channel it started: before the arrival rule, or
    # a chat on Instagram or Telegram (Organic Social) would be a first contact while one on WhatsApp is not. So is a
    # lead form sent from an ad: its sender asked to hear more.
    StageRule("Consideration", events=("wa_chat", CHAT_EVENT, LEAD_EVENT)),
    # An arrival from an ad, social media or a search engine is the first contact, whatever page it lands on.
    StageRule(
        "Awareness",
        channels=(
            "Paid Search",
            "Organic Search",
            "Paid Social",
            "Organic Social",
            "Paid Video",
            "Organic Video",
            "Paid Shopping",
            "Organic Shopping",
            "Display",
            "Print / QR",
        ),
        pages=("/blog", "/brosur"),
    ),
    StageRule(
        "Decision",
        events=(
            "Product Added",
            "Cart Viewed",
            "Checkout Started",
            "Checkout Step Viewed",
            "Checkout Step Completed",
            "Payment Info Entered",
            "Coupon Applied",
            "Signed Up",
            "Account Created",
        ),
        pages=("/keranjang", "/cart", "/checkout", "/payment", "/pembayaran", "/daftar", "/register", "/signup"),
    ),
    StageRule(
        "Consideration",
        events=(
            "Product Viewed",
            "Product List Viewed",
            "Product Clicked",
            "Products Searched",
            "Promotion Viewed",
            "Coupon Viewed",
            "Webinar Registered",
            "Trial Started",
            "store_visit",
        ),
        pages=(
            "/produk",
            "/product",
            "/review",
            "/ulasan",
            "/compare",
            "/bandingkan",
            "/webinar",
            "/trial",
            "/promo",
            "/diskon",
            "/langganan",
            "/grosir",
            "/hampers",
        ),
    ),
)


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, Sequence) and all(isinstance(item, str) for item in value):
        return tuple(value)
    raise SettingError(f"jejak.toml {where} must be a text or a list of texts, not {value!r}.")


def _parse_rules(raw: Any, key: str, stages: Sequence[str]) -> tuple[StageRule, ...]:
    if not isinstance(raw, list):
        raise SettingError(f"jejak.toml [stages] {key} must be a list of tables ([[stages.{key}]]), not {raw!r}.")
    rules = []
    for number, item in enumerate(raw, start=1):
        where = f"[[stages.{key}]] number {number}"
        if not isinstance(item, Mapping):
            raise SettingError(f"jejak.toml {where} must be a table, not {item!r}.")
        unknown = sorted(set(item) - set(_RULE_KEYS))
        if unknown:
            raise SettingError(
                f"jejak.toml {where} has unknown key(s) {', '.join(unknown)}. Keys: {', '.join(_RULE_KEYS)}."
            )
        stage = item.get("stage")
        if not isinstance(stage, str) or stage not in stages:
            raise SettingError(f"jejak.toml {where} names stage {stage!r}; the stages are {', '.join(stages)}.")
        purchase = item.get("purchase")
        if purchase is not None and purchase not in PURCHASES:
            raise SettingError(f"jejak.toml {where}: purchase must be 'first' or 'repeat', not {purchase!r}.")
        lists = {name: _strings(item.get(name, ()), f"{where} {name}") for name in ("events", "pages", "channels")}
        if purchase is None and not any(lists.values()):
            raise SettingError(f"jejak.toml {where} matches nothing: give events, pages, channels or purchase.")
        rules.append(StageRule(stage, purchase=purchase, **lists))
    return tuple(rules)


def stage_rules_from_config(config: Mapping[str, Any], stages: Sequence[str] = FIVE_STAGES) -> tuple[StageRule, ...]:
    """The stage rules `jejak.toml` asks for: `[[stages.prepend]]`, then `[[stages.rules]]` or the defaults.

    Example:
        >>> rules = stage_rules_from_config({"stages": {"prepend": [{"stage": "Loyalty", "events": "Ulasan Ditulis"}]}})
        >>> [(rule.stage, rule.events) for rule in rules[:2]]
        [('Loyalty', ('Ulasan Ditulis',)), ('Loyalty', ())]
    """
    section = config.get("stages", {})
    if not isinstance(section, Mapping):
        raise SettingError(f"jejak.toml [stages] is {section!r}. Expected a table with rules and/or prepend.")
    unknown = sorted(set(section) - {"rules", "prepend"})
    if unknown:
        raise SettingError(f"jejak.toml [stages] has unknown key(s) {', '.join(unknown)}. Allowed: rules, prepend.")
    rules = _parse_rules(section["rules"], "rules", stages) if "rules" in section else DEFAULT_STAGE_RULES
    if "rules" not in section and tuple(stages) != FIVE_STAGES:
        raise SettingError(
            f"The stages are {', '.join(stages)}, not the default five: write rules for them in [[stages.rules]]."
        )
    prepend = _parse_rules(section["prepend"], "prepend", stages) if "prepend" in section else ()
    return prepend + rules


def model_stages(model: str, stages: Sequence[str]) -> tuple[str, ...]:
    """The stage names, in order, that a model shows."""
    if model not in STAGE_MODELS:
        raise SettingError(f"stage_model must be one of {', '.join(STAGE_MODELS)}, not {model!r}.")
    if model == "five":
        return tuple(stages)
    if tuple(stages) != FIVE_STAGES:
        raise SettingError(f"stage_model {model!r} relabels the default five stages; the stages here are custom.")
    return MODEL_STAGES[model]


def assign_stages(stream: ir.Table, rules: Sequence[StageRule], model: str = "five") -> ir.Table:
    """The event stream with `stage`: the first matching rule's stage (in the model's labels), or NULL."""
    relabel = STAGE_MODELS[model] if model != "five" else {}
    cases = []
    for rule in rules:
        label = relabel.get(rule.stage, rule.stage)
        if model == "aida" and rule.purchase is not None:
            label = "Action"  # AIDA's Action is the purchase itself
        cases.append((rule.matches(stream), ibis.literal(label)))
    if not cases:
        return stream.mutate(stage=ibis.null("string"))
    return stream.mutate(stage=ibis.cases(*cases, else_=ibis.null("string")))


def person_stages(staged: ir.Table, stages: Sequence[str]) -> ir.Table:
    """One row per person and stage they reached: `stage_number` (1-based), first and last time there, interactions."""
    order = ibis.cases(*[(staged.stage == name, number) for number, name in enumerate(stages, start=1)], else_=None)
    kept = staged.filter(staged.stage.notnull())
    kept = kept.mutate(stage_number=order)
    return kept.group_by(["person_id", "stage", "stage_number"]).aggregate(
        first_at=kept.timestamp.min(),
        last_at=kept.timestamp.max(),
        interactions=kept.count(),
        revenue=ibis.ifelse(kept.is_conversion, kept.revenue, 0.0).sum().fill_null(0.0),
    )


def current_stages(milestones: ir.Table) -> ir.Table:
    """Per person: the furthest stage reached (`current_stage`) and the stage of their latest staged interaction."""
    # The latest by time, and the later stage of two reached in the same instant, so both engines agree.
    latest = ibis.struct({"at": milestones.last_at, "number": milestones.stage_number})
    return milestones.group_by("person_id").aggregate(
        current_stage=milestones.stage.argmax(milestones.stage_number),
        current_stage_number=milestones.stage_number.max(),
        latest_stage=milestones.stage.argmax(latest),
        stages_reached=milestones.count(),
    )


def stage_funnel(milestones: ir.Table, stages: Sequence[str]) -> ir.Table:
    """Per stage: people who reached it, how many went on to a later stage, and the median days in the stage.

    "Went on" counts people whose first time in a later stage (any: the next, or one past it) came at or after
    their first time in this one; days in the stage run from the first entry to the first such entry. Stages are
    not a strict sequence: someone who clicks an ad and buys at once skips Consideration, and a shop whose data has
    no delivery or support events has no Experience before a repeat purchase. Counting only the next stage made
    them all stop where they were, and the journey map called that the largest drop-off.
    """
    this = milestones.select("person_id", "stage", "stage_number", _entered=whole_epoch_seconds(milestones.first_at))
    later = milestones.select(
        _person_id=milestones.person_id,
        _number=milestones.stage_number,
        _later_entered=whole_epoch_seconds(milestones.first_at),
    )
    # Each of a person's stages against each of theirs (five at most): an equality join, the rest a condition of
    # the aggregate (ibis cannot join on a comparison when both sides come from one derived table).
    paired = this.join(later, this.person_id == later._person_id)
    after = (paired._number > paired.stage_number) & (paired._later_entered >= paired._entered)
    joined = paired.group_by(["person_id", "stage", "stage_number", "_entered"]).aggregate(
        _next_entered=ibis.ifelse(after, paired._later_entered, ibis.null("int64")).min()
    )
    moved = joined._next_entered.notnull()
    # A float numerator: Spark would read the literal as a decimal and round the quotient.
    days = ibis.ifelse(moved, (joined._next_entered - joined._entered).cast("float64") / 86_400, None)
    counts = joined.group_by(["stage", "stage_number"]).aggregate(
        people=joined.count(),
        went_on=moved.cast("int64").sum(),
        median_days_in_stage=days.quantile(0.5),
    )
    grid = ibis.memtable(
        {"_stage": list(stages), "_order": list(range(1, len(stages) + 1))},
        schema={"_stage": "string", "_order": "int64"},
    )
    full = grid.left_join(counts, grid._stage == counts.stage)
    last = full._order == len(stages)
    people = full.people.fill_null(0)
    went_on = ibis.ifelse(last, None, full.went_on.fill_null(0))
    return full.select(
        stage_number=full._order,
        stage=full._stage,
        people=people,
        went_on=went_on,
        conversion_to_next=ibis.ifelse(last, None, safe_div(went_on, people)),
        median_days_in_stage=ibis.ifelse(last, None, full.median_days_in_stage),
    ).order_by("stage_number")
