"""Every setting in one table, resolved in one place: defaults, then `jejak.toml`, then `JEJAK_*` env.

Example:
    >>> s = resolve_settings({"settings": {"session_gap_seconds": 600}}, env={})
    >>> s.session_gap_seconds, s.session_max_seconds
    (600, 86400)
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import re
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jejak.core.errors import SettingError
from jejak.core.jsontext import loads
from jejak.core.typed import TYPED_WHOLE_MOST, check_no_nul, shown

ENV_PREFIX = "JEJAK_"
PATH_TRANSFORMS = (
    "exposure",
    "unique",
    "first",
    "frequency",
    "remove_if_not_all",
    "remove_if_last_and_not_all",
)


@dataclass(frozen=True)
class Setting:
    """One row of the settings table: a name, its default, its unit and what it does."""

    name: str
    default: Any
    unit: str
    help: str
    source: str = ""
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] | None = None


# Bootstrap resamples at most (the setting, `--resamples`, the attribution page): plenty for a 95 % interval, and
# each resample holds its own copy of the paths' counts (10**11 of them asked for 5 TiB).
RESAMPLES_MOST = 2000

SETTINGS_TABLE: tuple[Setting, ...] = (
    Setting(
        "engine", "duckdb", "name", "Compute engine for `jejak build`: duckdb or spark.", choices=("duckdb", "spark")
    ),
    Setting("spark_master", "local[2]", "URL", "Spark master URL when engine = spark."),
    Setting("spark_shuffle_partitions", 4, "partitions", "spark.sql.shuffle.partitions for local runs.", minimum=1),
    # DuckDB starts every thread it is given: 100000 of them stopped a three-row build on memory. 1024 is more
    # than the cores of any one machine.
    Setting("duckdb_threads", 0, "threads", "DuckDB worker threads; 0 means one per core.", minimum=0, maximum=1024),
    Setting(
        "duckdb_memory_limit_mb",
        0,
        "MiB",
        "DuckDB memory limit; 0 means DuckDB's default (80 % of RAM). Past it DuckDB spills to disk: with 850 a "
        "10M-event build peaks near 1.4 GiB and takes about 1.5 times as long.",
        minimum=0,
    ),
    Setting(
        "lake_max_files_per_day",
        8,
        "files",
        "A build first merges each day of the event lake that has more files than this into one (every import adds a "
        "file to each day it touches, and every build opens them all: 7,000 files of 21,000 events built in 6.7 s, "
        "700 in 1.4 s). 0: never; `jejak compact` merges every day with more than one.",
        minimum=0,
    ),
    Setting(
        "timezone",
        "Asia/Jakarta",
        "IANA zone",
        "The business's time zone: input times that carry no offset are read in it, and reports count its days "
        "(by day, --from/--to, funnel trends, the journey map's dates); stored times are UTC.",
    ),
    Setting(
        "timestamp_formats",
        [],
        "strptime formats",
        'Formats tried in order for input times that are not ISO-8601, e.g. ["%d/%m/%Y %H:%M"] for 24/11/2026 '
        "13:05 (a format without %z is read in the timezone setting), or epoch_seconds / epoch_milliseconds / "
        "epoch_microseconds for numbers since 1970-01-01 UTC.",
        "DuckDB strptime",
    ),
    Setting("currency", "IDR", "ISO 4217", "Currency of revenue that carries none."),
    Setting(
        "csv_delimiter",
        "auto",
        "name",
        "What separates a CSV file's values: auto (the header line's most frequent of comma, semicolon, tab and pipe; "
        "Excel writes semicolons where a comma is the decimal mark), comma, semicolon, tab or pipe.",
        choices=("auto", "comma", "semicolon", "tab", "pipe"),
    ),
    Setting(
        "decimal_mark",
        "auto",
        "name",
        "How revenue and spend amounts mark decimals: auto (each as it is written: 1.250.000,50 and 1,250,000.50 "
        "alike, labels such as Rp and $ taken off, and 150.000 in Rupiah as thousands; an amount that reads either "
        "way otherwise takes a decimal comma in semicolon-separated files, a point elsewhere), point (1,500,000.50; "
        "nothing guessed) or comma (1.500.000,50, as Indonesian spreadsheets write Rupiah, in every file).",
        choices=("auto", "point", "comma"),
    ),
    Setting(
        "session_gap_seconds",
        30 * 60,
        "s",
        "Inactivity gap that ends a session.",
        "UA, GA4, Matomo visit_standard_length = 1800",
        minimum=1,
    ),
    Setting(
        "session_max_seconds",
        24 * 3600,
        "s",
        "Hard cap on a session's length: a run of activity is cut every this many seconds from its start.",
        "PostHog 24 h cap",
        minimum=60,
    ),
    Setting(
        "session_split_at_new_source",
        True,
        "flag",
        "Whether an event that says where it arrived from (its campaign tags: source, medium, campaign; or the "
        "channel its file gave it) starts a new session when that is not where the person's last such event arrived "
        "from: an ad of another campaign clicked ten minutes into a visit is a touch of its own, not lost inside the "
        "visit. Pages without tags never cut.",
        "UA: a new campaign starts a new session; Matomo create_new_visit_when_campaign_changes = 1 (GA4 does not)",
    ),
    Setting(
        "offline_channels",
        ["Offline Store", "Call Centre"],
        "channel names",
        "Channels whose events happen off the web and apps: an event a file gives one of them (its channel column, "
        'or --set "channel=Offline Store") is an offline touch, as type offline is (a session of its own, device '
        "'offline'), though its file has no type column. Read by each build; names match without case.",
        "DESIGN.md §3: store, call centre",
    ),
    Setting(
        "non_touch_events",
        [
            "Survey Answered",
            "Product Reviewed",
            "Review Submitted",
            "Order Shipped",
            "Order Delivered",
            "Order Refunded",
            "Order Returned",
            # The Segment e-mail spec's events where the person did not open or click (those are Email touches).
            "Email Delivered",
            "Email Bounced",
            "Email Marked as Spam",
            "Unsubscribed",
        ],
        "event names",
        "Events that are no visit from a channel: a session that begins with one that says nothing of where it came "
        "from (no source, medium, campaign, referrer, page or channel), as a survey answered by e-mail, an order's "
        "shipping or refund update imported from its own file or an e-mail delivered or bounced, is Unassigned and "
        "no touchpoint, so it is in no journey, path or attribution model. Identify, alias and group calls are always "
        "such events.",
        "GA4: an event that starts no session is Unassigned",
    ),
    Setting(
        "business_message_events",
        ["wa_reply"],
        "event names",
        "The business's own messages to a person, in a conversation the person began: a shop's WhatsApp reply "
        "(wa_reply, from a chat's export). Each is no visit and no arrival, whatever its source or channel: it joins "
        "the person's session without cutting it (a reply while the person browses from an Instagram ad leaves the "
        "ad's visit whole), and a session it opens is touched only by the person's own next event in it.",
        "UA and GA4: an e-mail sent starts no session; a click on its link does",
    ),
    Setting(
        "lookback_days",
        30,
        "days",
        "How far before a conversion touchpoints count towards its path.",
        "UA MCF 30 d",
        minimum=1,
        maximum=365,
    ),
    Setting(
        "conversion_events",
        ["Order Completed", "purchase"],
        "event names",
        "Events that count as conversions.",
        "Segment e-commerce spec",
    ),
    Setting(
        "refund_events",
        ["Order Refunded"],
        "event names",
        "Events that give back an order's money: the refund's amount is subtracted from the revenue of the "
        "conversion whose order id (properties.order_id or transaction_id, else its event id) the refund names in "
        "properties.order_id or transaction_id, never below zero. Conversions, paths and attribution then count "
        "revenue net of refunds; `jejak report summary` says what could not be subtracted.",
        "GA4: purchase revenue net of refunds",
    ),
    Setting(
        "path_transform",
        "exposure",
        "name",
        "How the unique-paths table rewrites each path.",
        "Snowplow, fractribution",
        choices=PATH_TRANSFORMS,
    ),
    Setting(
        "path_transform_channel",
        "Direct",
        "channel",
        "The channel that remove_if_not_all and remove_if_last_and_not_all remove.",
        "Snowplow",
    ),
    Setting(
        "path_max_touches",
        0,
        "touches",
        "Keep only the last N touches of each path (trim); 0 keeps all.",
        minimum=0,
    ),
    Setting(
        "time_decay_half_life_days", 7.0, "days", "Half-life of time-decay attribution.", "Google Ads", minimum=0.001
    ),
    Setting(
        "position_first_share",
        0.4,
        "share",
        "Position-based credit to the first touch.",
        "Google Ads",
        minimum=0,
        maximum=1,
    ),
    Setting(
        "position_last_share",
        0.4,
        "share",
        "Position-based credit to the last touch.",
        "Google Ads",
        minimum=0,
        maximum=1,
    ),
    Setting(
        "markov_order",
        "1",
        "order",
        "Markov attribution order: 1 to 4, or auto (chosen by held-out likelihood).",
        "ChannelAttribution",
        choices=("1", "2", "3", "4", "auto"),
    ),
    Setting(
        "attribution_resamples",
        200,
        "resamples",
        "Bootstrap resamples of journeys behind each credit's confidence interval; 0 turns intervals off.",
        minimum=0,
        maximum=RESAMPLES_MOST,
    ),
    Setting(
        "attribution_confidence", 0.95, "share", "Confidence level of the credit intervals.", minimum=0.5, maximum=0.999
    ),
    Setting("attribution_seed", 0, "seed", "Seed of the bootstrap, so intervals repeat exactly.", minimum=0),
    Setting("funnel_window_days", 14, "days", "Funnel conversion window.", "PostHog", minimum=1),
    Setting(
        "funnel_order",
        "sequential",
        "name",
        "Funnel step order: sequential, strict or any.",
        "PostHog",
        choices=("sequential", "strict", "any"),
    ),
    Setting(
        "stages",
        ["Awareness", "Consideration", "Decision", "Experience", "Loyalty"],
        "stage names",
        "Customer-journey stages, in order.",
        "seeds 000, 004",
    ),
    Setting(
        "feedback_events",
        ["Survey Answered", "Product Reviewed", "Review Submitted"],
        "event names",
        "Events whose properties carry feedback (score, comment, survey) for the journey map's thoughts and feelings.",
        "Segment e-commerce spec",
    ),
    Setting(
        "map_funnel",
        ["Product Viewed", "Product Added", "Checkout Started", "Payment Info Entered", "Order Completed"],
        "event names",
        "The key funnel whose largest step drop-off the journey map reports as a pain point.",
        "Segment e-commerce spec",
    ),
    Setting(
        "stage_model",
        "five",
        "name",
        "Stage labels: five (the stages setting), four (seed 000: Awareness, Comparison, Purchase, Use) or aida.",
        "seeds 000, 004",
        choices=("five", "four", "aida"),
    ),
    Setting("bounce_engaged_seconds", 10, "s", "A session shorter than this is not engaged.", "GA4", minimum=0),
    Setting(
        "bounce_engaged_min_views", 2, "views", "A session with fewer views than this is not engaged.", "GA4", minimum=1
    ),
    Setting(
        "bounce_min_entrances",
        30,
        "sessions",
        "A page enters the highest-bounce list only with at least this many entrances (fewer say little).",
        "Matomo",
        minimum=1,
    ),
    Setting("top_n", 10, "rows", "Rows in a top-N report before the 'Other' row.", minimum=1),
    Setting(
        "precompute_views",
        True,
        "flag",
        "Whether `jejak build` then computes the dashboard's first views (attribution with intervals, the reports, "
        "the journey map, persona assignments) into the build's cache, so each page opens at once.",
    ),
    Setting(
        "precompute_personas",
        True,
        "flag",
        "Whether that precompute also covers each persona document's view of every page with filters "
        "(seconds per persona on a large build).",
    ),
    Setting(
        "identity_max_people_per_identifier",
        5,
        "people",
        "An e-mail, phone or anonymous id seen with more user ids than this is not used to merge people (e.g. a shop's phone).",
        minimum=1,
    ),
    Setting("identity_max_iterations", 30, "iterations", "Upper bound on label-propagation rounds.", minimum=1),
    Setting(
        "import_max_field_bytes",
        64 * 1024,
        "bytes",
        "A field longer than this sends its row to the quarantine.",
        minimum=16,
    ),
    Setting(
        "hmac_key_file",
        "jejak.key",
        "path",
        "Key for hashing e-mails and phones; relative to the project, outside data/.",
    ),
)

SETTINGS_BY_NAME = {s.name: s for s in SETTINGS_TABLE}


@dataclass(frozen=True)
class Settings:
    """The settings in effect; build with `resolve_settings`."""

    engine: str
    spark_master: str
    spark_shuffle_partitions: int
    duckdb_threads: int
    duckdb_memory_limit_mb: int
    lake_max_files_per_day: int
    timezone: str
    timestamp_formats: list[str]
    currency: str
    csv_delimiter: str
    decimal_mark: str
    session_gap_seconds: int
    session_max_seconds: int
    session_split_at_new_source: bool
    offline_channels: list[str]
    non_touch_events: list[str]
    business_message_events: list[str]
    lookback_days: int
    conversion_events: list[str]
    refund_events: list[str]
    path_transform: str
    path_transform_channel: str
    path_max_touches: int
    time_decay_half_life_days: float
    position_first_share: float
    position_last_share: float
    markov_order: str
    attribution_resamples: int
    attribution_confidence: float
    attribution_seed: int
    funnel_window_days: int
    funnel_order: str
    stages: list[str]
    feedback_events: list[str]
    map_funnel: list[str]
    stage_model: str
    bounce_engaged_seconds: int
    bounce_engaged_min_views: int
    bounce_min_entrances: int
    top_n: int
    precompute_views: bool
    precompute_personas: bool
    identity_max_people_per_identifier: int
    identity_max_iterations: int
    import_max_field_bytes: int
    hmac_key_file: str

    def replace(self, **changes: Any) -> Settings:
        """A copy with some settings changed and checked."""
        return resolve_settings({"settings": {**dataclasses.asdict(self), **changes}}, env={})

    def as_rows(self) -> list[dict[str, Any]]:
        """The settings in effect as rows of name, value, default, unit, help."""
        return [
            {"name": s.name, "value": getattr(self, s.name), "default": s.default, "unit": s.unit, "help": s.help}
            for s in SETTINGS_TABLE
        ]


def _coerce(setting: Setting, raw: Any, where: str) -> Any:
    """Turn a raw value (TOML or env text) into the setting's type, or say what is wrong."""
    expected = type(setting.default)
    value: Any = raw
    try:
        if expected is bool:
            if isinstance(raw, str):
                if raw.lower() not in ("true", "false", "1", "0"):
                    raise ValueError
                value = raw.lower() in ("true", "1")
        elif expected is int:
            if isinstance(raw, bool) or (isinstance(raw, float) and not raw.is_integer()):
                raise ValueError
            value = int(raw)
        elif expected is float:
            if isinstance(raw, bool):
                raise ValueError
            value = float(raw)
            if not math.isfinite(value):  # TOML writes nan and inf, which every comparison with a bound lets by
                raise ValueError
        elif expected is list:
            if isinstance(raw, str):
                value = loads(raw) if raw.strip().startswith("[") else [p.strip() for p in raw.split(",") if p.strip()]
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ValueError
        elif expected is str and not isinstance(raw, str):
            raise ValueError
    except (ValueError, TypeError, json.JSONDecodeError):
        raise SettingError(
            f"Setting '{setting.name}' has value {raw!r} ({where}). Expected {expected.__name__} in {setting.unit}: "
            f"{setting.help}"
        ) from None
    for text in value if isinstance(value, list) else [value]:
        if isinstance(text, str):
            check_no_nul(text, f"Setting '{setting.name}' ({where})")
    if setting.choices is not None and value not in setting.choices:
        allowed = ", ".join(repr(c) for c in setting.choices)
        raise SettingError(f"Setting '{setting.name}' has value {raw!r} ({where}). Expected one of {allowed}.")
    if setting.minimum is not None and value < setting.minimum:
        raise SettingError(
            f"Setting '{setting.name}' has value {raw!r} ({where}). It must be at least {setting.minimum}."
        )
    # TOML's integers are Python's, of any size: one without a maximum of its own still has TYPED_WHOLE_MOST.
    most = TYPED_WHOLE_MOST if setting.maximum is None and expected is int else setting.maximum
    if most is not None and value > most:
        raise SettingError(f"Setting '{setting.name}' has value {raw!r} ({where}). It must be at most {most}.")
    return value


def check_time_zone(name: str, what: str) -> None:
    """That `name` is an IANA time zone, or a SettingError that says `what` was given it."""
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name too long to be a file's
        raise SettingError(
            f"{what} has value {name!r}, which is not an IANA time zone. "
            "Use a name such as 'Asia/Jakarta', 'Asia/Makassar', 'Asia/Jayapura' or 'UTC'."
        ) from None


# The masters Spark starts with (it says "Master must either be yarn or start with spark, k8s, or local" of any
# other, on the Java side, where jejak saw only that its gateway had exited): local, local[N], local[*],
# local[N,RETRIES], local-cluster[…], spark://HOST:PORT (a list of hosts too), yarn, k8s://URL.
_SPARK_MASTER = re.compile(
    r"^(?:yarn|local(?:\[(?:[1-9]\d*|\*)(?:,[1-9]\d*)?\])?|local-cluster\[\d+,\d+,\d+\]|(?:spark|k8s)://\S+)$"
)


def check_spark_master(master: str) -> None:
    """That `master` is a Spark master URL Spark starts with (_SPARK_MASTER), or a SettingError saying which are."""
    if not _SPARK_MASTER.match(master):
        raise SettingError(
            f"Setting 'spark_master' has value {shown(master)!r}, which is no Spark master URL. Use local[N] (N "
            "cores of this machine, or local[*] for all), spark://HOST:PORT for a standalone cluster, yarn or "
            "k8s://URL."
        )


def resolve_settings(config: Mapping[str, Any] | None = None, env: Mapping[str, str] | None = None) -> Settings:
    """Resolve every setting: table default, then `[settings]` of jejak.toml, then `JEJAK_<NAME>` env."""
    file_values = dict((config or {}).get("settings", {}))
    environment = os.environ if env is None else env
    unknown = sorted(set(file_values) - set(SETTINGS_BY_NAME))
    if unknown:
        raise SettingError(
            f"Unknown setting(s) {', '.join(unknown)} in jejak.toml [settings]. "
            f"Known settings: {', '.join(SETTINGS_BY_NAME)}."
        )
    values: dict[str, Any] = {}
    for setting in SETTINGS_TABLE:
        value = setting.default
        if setting.name in file_values:
            value = _coerce(setting, file_values[setting.name], "jejak.toml [settings]")
        env_name = ENV_PREFIX + setting.name.upper()
        if env_name in environment:
            value = _coerce(setting, environment[env_name], f"environment {env_name}")
        values[setting.name] = list(value) if isinstance(value, list) else value
    check_time_zone(values["timezone"], "Setting 'timezone'")
    check_spark_master(values["spark_master"])
    both = sorted(set(values["conversion_events"]) & set(values["refund_events"]))
    if both:
        raise SettingError(
            f"Settings conversion_events and refund_events both name {', '.join(map(repr, both))}: an event is an "
            "order or gives one's money back, not both. Take it out of one of them."
        )
    if values["position_first_share"] + values["position_last_share"] > 1:
        raise SettingError(
            "Settings position_first_share + position_last_share exceed 1 "
            f"({values['position_first_share']} + {values['position_last_share']}). Lower one of them."
        )
    return Settings(**values)


DEFAULT_SETTINGS = resolve_settings({}, env={})
