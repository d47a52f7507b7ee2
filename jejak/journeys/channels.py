"""Classify each touchpoint into a marketing channel with ordered rules, first match wins.

The rules are data (`ChannelRule`), editable in `jejak.toml`. The defaults follow
GA4's default channel group, with the channels that matter in Indonesia
(WhatsApp, LINE, Marketplace, Offline Store, Call Centre, Print / QR) placed
first; GA4 files WhatsApp and LINE under Referral, jejak does not.

Matching is case-insensitive: field values are lower-cased before a rule's
regex is searched in them, so regexes are written in lower case. A NULL field
never matches, except the regex ``^$``, which matches NULL, empty and blank.
Every regex must work on RE2 (DuckDB) and Java (Spark): no lookarounds, no
backreferences, no inline flags.

Example:
    >>> import ibis
    >>> import pyarrow as pa
    >>> from jejak.engine import connect
    >>> columns = ["type", "event", "source", "medium", "campaign", "referrer", "page_url", "channel", "touchpoint"]
    >>> row = dict.fromkeys(columns, None) | {"referrer": "https://wa.me/6281234567890", "touchpoint": "online"}
    >>> table = ibis.memtable(pa.Table.from_pylist([row], schema=pa.schema([(c, pa.string()) for c in columns])))
    >>> connect().backend.to_pyarrow(classify(table).select("source", "medium", "channel")).to_pylist()
    [{'source': 'whatsapp', 'medium': 'referral', 'channel': 'WhatsApp'}]
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.types as ir

from jejak.core.errors import MissingColumnError, SettingError
from jejak.core.vocabulary import CHAT_EVENT, LEAD_EVENT, TICKET_EVENT
from jejak.engine import re2_problem

__all__ = [
    "DEFAULT_CHANNEL_RULES",
    "FALLBACK_CHANNEL",
    "ChannelRule",
    "campaign_tags",
    "channel_expr",
    "classify",
    "rules_from_config",
    "with_acquisition",
]

FALLBACK_CHANNEL = "Unassigned"

# The only regex that also matches NULL: "this field is missing, empty or blank".
_EMPTY_PATTERN = "^$"

_RULE_FIELDS = (
    "type",
    "event",
    "source",
    "medium",
    "campaign",
    "referrer",
    "referrer_host",
    "page_url",
    "touchpoint",
)


@dataclass(frozen=True)
class ChannelRule:
    """One channel and when a touchpoint belongs to it: ANY group matches, and within a group ALL fields match."""

    name: str
    match: tuple[Mapping[str, str], ...]


def _word(words: str) -> str:
    """Regex for one of `words` standing alone: not glued to other letters or digits ("call_centre", not "callback")."""
    return rf"(^|[^a-z0-9])({words})([^a-z0-9]|$)"


def _site(names: str) -> str:
    """Regex for a source that is one of `names`, bare or as a host: google, google.com, www.google.co.id.

    Whole names only, as GA4's source lists are: "googleads" or "docs.google.com" is not "google".
    """
    return rf"^(www\.|m\.|search\.)?({names})(\.[a-z]{{2,3}}){{0,2}}$"


_SEARCH_SITES = "google|bing|yahoo|duckduckgo|yandex|baidu|ecosia|naver|ask|brave|startpage|qwant|seznam|sogou|petalsearch|aol|daum|coccoc"
# TikTok the social network; TikTok Shop is a marketplace and is caught earlier.
_SOCIAL_SITES = (
    r"facebook|fb|instagram|ig|tiktok|twitter|x|t\.co|linkedin|lnkd\.in|pinterest|reddit|threads|snapchat|quora|tumblr"
    r"|discord|vk|weibo|kaskus|meta|messenger|telegram|t\.me"
    # Meta's ad placements, as an ad's `utm_source={{placement}}` writes them: Instagram_Stories, Facebook_Mobile_Feed.
    r"|(facebook|instagram|messenger)_[a-z0-9_]+"
)
_VIDEO_SITES = r"youtube|youtu\.be|vimeo|twitch|vidio|dailymotion|wistia|netflix|iqiyi|viu"
_SHOPPING_SITES = r"google ?shopping|shopping\.google|igshopping|amazon|ebay|etsy|shopify|walmart|alibaba|aliexpress"
_MARKETPLACES = "tokopedia|shopee|lazada|blibli|bukalapak"

_PAID_MEDIUM = r"^(.*cp.*|ppc|retargeting|paid.*)$"
# GA4's campaign pattern for shopping campaigns.
_SHOPPING_CAMPAIGN = r"^(.*(([^a-df-z]|^)shop|shopping).*)$"
_EMAIL = r"^(email|e-mail|e_mail|e mail|newsletter)$"
# An e-mail opened or a link in it clicked, as the Segment e-mail spec names them (an e-mail tool's own events, sent
# through Segment or in its JSON Lines), or as some tools word them ("Opened Email"): the e-mail reached the person.
# Delivered, bounced, marked as spam and unsubscribed are no touch at all (the `non_touch_events` setting).
_EMAIL_EVENTS = r"^(email (opened|link clicked)|(opened|clicked) email)$"

DEFAULT_CHANNEL_RULES: tuple[ChannelRule, ...] = (
    ChannelRule(
        "WhatsApp",
        (
            {"source": _word("whatsapp|wa")},
            {"medium": _word("whatsapp|wa")},
            {"referrer_host": r"^(wa\.me|((api|web|chat)\.)?whatsapp\.com)$"},
            {"event": _word("whatsapp|wa")},
        ),
    ),
    ChannelRule(
        "LINE",
        (
            # Anchored at the start only, so "on-line" is not LINE.
            {"source": r"^line([^a-z0-9]|$)"},
            {"referrer_host": r"(^|\.)line\.me$|^lin\.ee$"},
        ),
    ),
    ChannelRule(
        "Marketplace",
        (
            {"source": _word(_MARKETPLACES + r"|tiktok[ _-]?shop")},
            {"referrer_host": rf"(^|\.)({_MARKETPLACES})\."},
            {"referrer_host": r"^(shop|seller[a-z0-9-]*)\.tiktok\.com$"},
        ),
    ),
    ChannelRule(
        "Offline Store",
        (
            {"touchpoint": "^offline$", "event": _word("store|pos|in_store|toko|visit|visited")},
            {"source": r"^(store|pos|toko|in[ _-]?store|offline[ _-]?store|toko[ _-]?offline)$"},
        ),
    ),
    ChannelRule(
        "Call Centre",
        (
            {"event": _word(r"calls?|phone|phone_call|call_?cent(re|er)|telepon|hotline")},
            {"source": _word(r"calls?|phone|phone_call|call_?cent(re|er)|telepon|hotline")},
            {"medium": _word(r"calls?|phone|phone_call|call_?cent(re|er)|telepon|hotline")},
        ),
    ),
    ChannelRule(
        "Print / QR",
        (
            {"medium": _word("print|qr|qrcode|brochure|brosur|flyer|leaflet|poster|catalog|catalogue|katalog")},
            {"source": _word("print|qr|qrcode|brochure|brosur|flyer|leaflet|poster|catalog|catalogue|katalog")},
        ),
    ),
    ChannelRule(
        "Paid Shopping",
        (
            {"source": _site(_SHOPPING_SITES), "medium": _PAID_MEDIUM},
            {"campaign": _SHOPPING_CAMPAIGN, "medium": _PAID_MEDIUM},
        ),
    ),
    ChannelRule("Paid Search", ({"source": _site(_SEARCH_SITES), "medium": _PAID_MEDIUM},)),
    ChannelRule("Paid Social", ({"source": _site(_SOCIAL_SITES), "medium": _PAID_MEDIUM},)),
    ChannelRule("Paid Video", ({"source": _site(_VIDEO_SITES), "medium": _PAID_MEDIUM},)),
    ChannelRule("Display", ({"medium": "^(display|banner|expandable|interstitial|cpm)$"},)),
    ChannelRule("Paid Other", ({"medium": _PAID_MEDIUM},)),
    ChannelRule("Organic Shopping", ({"source": _site(_SHOPPING_SITES)}, {"campaign": _SHOPPING_CAMPAIGN})),
    ChannelRule(
        "Organic Social",
        (
            {"source": _site(_SOCIAL_SITES)},
            {"medium": "^(social|social-network|social-media|sm|social network|social media)$"},
        ),
    ),
    ChannelRule("Organic Video", ({"source": _site(_VIDEO_SITES)}, {"medium": "video"})),
    ChannelRule("Organic Search", ({"source": _site(_SEARCH_SITES)}, {"medium": "^organic$"})),
    ChannelRule("Email", ({"source": _EMAIL}, {"medium": _EMAIL}, {"event": _EMAIL_EVENTS})),
    ChannelRule("SMS", ({"source": "^sms$"}, {"medium": "^sms$"})),
    ChannelRule(
        "Mobile Push Notifications",
        ({"medium": "push$"}, {"medium": "mobile|notification"}, {"source": "^firebase$"}),
    ),
    ChannelRule("Affiliates", ({"medium": "^affiliate$"},)),
    ChannelRule("Audio", ({"medium": "^audio$"},)),
    ChannelRule("Referral", ({"medium": "^(referral|app|link)$"}, {"referrer_host": "."})),
    # A contact exported from the tool that took it (a chat tool's conversation, a help desk's ticket, a lead form's
    # submission, as the import names them) that says nothing of where it came from is no one typing the shop's
    # address: Unassigned, as an offline touch nobody labelled, not Direct. The one rule that names the fallback.
    ChannelRule(
        FALLBACK_CHANNEL,
        (
            {
                "event": f"^({CHAT_EVENT}|{TICKET_EVENT}|{LEAD_EVENT})$".lower(),  # names of letters and spaces
                "source": _EMPTY_PATTERN,
                "medium": _EMPTY_PATTERN,
                "referrer_host": _EMPTY_PATTERN,
            },
        ),
    ),
    ChannelRule(
        "Direct",
        (
            # An offline touchpoint nobody labelled is not someone typing the address: it stays Unassigned.
            {
                "source": _EMPTY_PATTERN,
                "medium": _EMPTY_PATTERN,
                "referrer_host": _EMPTY_PATTERN,
                "touchpoint": "^online$",
            },
            {
                "source": _EMPTY_PATTERN,
                "medium": _EMPTY_PATTERN,
                "referrer_host": _EMPTY_PATTERN,
                "touchpoint": _EMPTY_PATTERN,
            },
            # What GA exports write for Direct.
            {"source": r"^\(direct\)$", "medium": r"^\((none|not set)\)$"},
            {"source": r"^\(direct\)$", "medium": _EMPTY_PATTERN},
        ),
    ),
)


# --- acquisition: source / medium / campaign the way GA4 derives them --------------------------------

# Hosts whose source name is not the host's own name, checked in order before the generic rule.
_REFERRER_HOST_SOURCES: tuple[tuple[str, str], ...] = (
    (r"^(wa\.me|((api|web|chat)\.)?whatsapp\.com|com\.whatsapp(\.w4b)?)$", "whatsapp"),
    (r"(^|\.)line\.me$|^lin\.ee$|^jp\.naver\.line\.android$", "line"),
    (r"^(shop|seller[a-z0-9-]*)\.tiktok\.com$", "tiktokshop"),
    (r"^t\.co$|^com\.twitter\.android$", "twitter"),
    (r"^lnkd\.in$|^com\.linkedin\.android$", "linkedin"),
    (r"^t\.me$|^org\.telegram\.messenger$", "telegram"),
    (r"^linktr\.ee$", "linktree"),  # a link-in-bio page: the generic rule would name it `linktr`
    (r"^youtu\.be$|^com\.google\.android\.youtube$", "youtube"),
    (r"^(fb\.me|fb\.com|fb\.watch)$|^com\.facebook\.(katana|lite|orca)$", "facebook"),
    (r"^instagr\.am$|^com\.instagram\.android$", "instagram"),
    (r"^com\.zhiliaoapp\.musically$|^com\.ss\.android\.ugc\.trill$", "tiktok"),
    (r"^com\.tokopedia\.tkpd$", "tokopedia"),
    (r"^com\.shopee\.id$", "shopee"),
    (r"^com\.lazada\.android$", "lazada"),
    (r"^mail\.google\.com$|^com\.google\.android\.gm$", "gmail"),
    (r"^outlook\.(live|office|office365)\.com$", "outlook"),
    (r"(^|\.)mail\.yahoo\.com$", "yahoo mail"),
    (r"^com\.google\.android\.googlequicksearchbox$", "google"),
)
_WEBMAIL_SOURCES = ("gmail", "outlook", "yahoo mail")
# Brands whose every subdomain is the brand (l.instagram.com, vt.tiktok.com, id.shopee.co.id); group 2 is the name.
_BRAND_HOST = (
    rf"(^|\.)({_MARKETPLACES}|facebook|instagram|tiktok|twitter|x|linkedin|pinterest|reddit|threads|snapchat|quora"
    r"|tumblr|youtube|vimeo|twitch|vidio|dailymotion)\.[a-z]{2,3}(\.[a-z]{2})?$"
)
# Search engines only on their search hosts, so docs.google.com stays a referral; group 3 is the name.
_SEARCH_HOST = rf"^(([a-z]{{2}}\.)?search\.|images\.|m\.|[a-z]{{2}}\.)?({_SEARCH_SITES})\.[a-z]{{2,3}}(\.[a-z]{{2}})?$"
_SEARCH_APP_HOST = r"^com\.google\.android\.googlequicksearchbox$"
# Any other host: its name when it is name.tld or name.co.id behind a trivial prefix, else the whole host.
_GENERIC_HOST = (
    r"^((m|l|lm|mobile|mbasic|touch|amp|web|app|id)\.)?([a-z0-9-]+)\."
    r"((co|com|ac|or|go|net|org|web|my|sch|biz|gov|edu|ne|gen|mil)\.)?[a-z]{2,}$"
)
_HOST_OF_URL = r"^\s*([a-z][a-z0-9+.-]*://)?([^/?#@\s]*@)?(www\.)?([^/?#:@\s]+)"
# Ibis compiles strip() for PySpark as TRIM(' \t\n\r\v\f' FROM x), and Spark reads '\v' and '\f' as the
# letters v and f (so "facebook" became "acebook"): blanks are found with a regex instead.
_BLANK = r"^[ \t\n\r\f\x0b]*$"  # not \s, which has the vertical tab on Java (Spark) but not on RE2 (DuckDB)
# Working columns of with_acquisition, dropped before it returns.
_HELPER_PREFIX = "_jejak_acquisition_"
# An ad network's click id in a page's address, and the source it names: each network adds its id to its ads' clicks
# only (GA4's auto-tagging reads Google's as google / cpc; Microsoft Advertising adds msclkid, TikTok Ads ttclid, X Ads
# twclid and LinkedIn's Insight Tag li_fat_id the same way). Meta's fbclid is on every link from Facebook, an ad's or
# not: it is read apart, after the referrer. The sources are the ones the referrer rules give each network (t.co is
# twitter), so that a paid and an organic visit from one network share their source.
AD_CLICK_IDS = {
    "gclid": "google",
    "wbraid": "google",
    "gbraid": "google",
    "msclkid": "bing",
    "ttclid": "tiktok",
    "twclid": "twitter",
    "li_fat_id": "linkedin",
}
_AD_CLICK_ID = rf"[?&]({'|'.join(AD_CLICK_IDS)})=[^&#]"
# A campaign tag's parameter names for each part, as one regex alternation: Google's utm_*, and Matomo's own (mtm_*,
# pk_*; for the name also its older and short forms, as its tracker's `campaign_var_name` lists them).
_TAG_NAMES = {
    "source": "(?:utm|mtm|pk)_source",
    "medium": "(?:utm|mtm|pk)_medium",
    "campaign": "(?:(?:utm|mtm|matomo|pk|piwik)_campaign|(?:mtm|pk)_cpn)",
}
# The tags that say which keyword and which ad (`term`, `content`): read for the touch, never to cut a session (a
# visit's own pages may carry another ad's content, and GA4 does not cut at them either). Matomo's keyword names are
# its tracker's `campaign_keyword_var_name` and its Tag Manager's (`mtm_kwd`, `mtm_keyword`).
_DETAIL_TAG_NAMES = {
    "term": "(?:utm_term|(?:mtm|pk|piwik|matomo)_kwd|(?:mtm|pk)_keyword)",
    "content": "(?:utm|mtm|pk)_content",
}
# What a lower-cased address that may carry a tag or an ad's click id contains (each of AD_CLICK_IDS ends in one of
# the last four), after a `?` or `&` (every tag's regex starts so): any other is not parsed.
TAG_HINTS = ("utm_", "mtm_", "pk_", "_campaign=", "clid=", "clkid=", "braid=", "fat_id=")


def _is_blank(value: ir.StringValue) -> ir.BooleanValue:
    """Whether a value is NULL, empty or only white space."""
    result: ir.BooleanValue = value.isnull() | value.re_search(_BLANK).fill_null(False)
    return result


def _blank_to_null(value: ir.StringValue) -> ir.StringValue:
    """The value itself, or NULL when it is NULL, empty or only white space."""
    result: ir.StringValue = ibis.ifelse(_is_blank(value), ibis.null("string"), value)
    return result


def _query_parameter(url: ir.StringValue, name: str) -> ir.StringValue:
    """A query parameter's raw value from a URL with "+" and "%20" decoded as spaces; empty when absent. `name` is a
    regex: with an alternation, the first of its names in the URL."""
    result: ir.StringValue = url.re_extract(rf"[?&]{name}=([^&#]*)", 1).replace("+", " ").replace("%20", " ")
    return result


def _campaign_tag(url: ir.StringValue, part: str) -> ir.StringValue:
    """A part of the address's campaign tags (`source`, `medium`, `campaign`: `utm_source`, Matomo's `mtm_source` or
    `pk_source`, whichever comes first), NULL when absent or blank."""
    return _blank_to_null(_query_parameter(url, _TAG_NAMES[part]))


def _ad_click_source(lower_url: ir.StringValue) -> ir.StringValue:
    """The source an ad's click id in a lower-cased address names (`AD_CLICK_IDS`); NULL without one."""
    result: ir.StringValue = lower_url.re_extract(_AD_CLICK_ID, 1).substitute(AD_CLICK_IDS, else_=ibis.null("string"))
    return result


def campaign_tags(page_url: ir.StringValue) -> dict[str, ir.StringValue]:
    """`source`, `medium` and `campaign` as the campaign tags of a page's address give them, as `with_acquisition`
    reads them: an ad network's click id (`AD_CLICK_IDS`: gclid, wbraid and gbraid are google / cpc, as GA4's
    auto-tagging; msclkid is bing / cpc, ttclid tiktok / cpc, twclid twitter / cpc, li_fat_id linkedin / cpc); else
    the `utm_*` parameters, or Matomo's `mtm_*` and `pk_*`. NULL without them: a referrer, or Meta's fbclid (on any
    link from Facebook, an ad's or not), is no campaign tag. Only an address that may have one is parsed (a few cheap
    searches of the rest): the sessions step reads every event's. The keyword and the ad (`term`, `content`) are no
    arrival: they are not read here.

    Example:
        >>> import pyarrow as pa
        >>> from jejak.engine import connect
        >>> urls = ["https://toko.example/?utm_source=ig&utm_medium=paid_social&utm_campaign=flash+sale",
        ...         "https://toko.example/?gclid=Cj0K&utm_campaign=gayo", "https://toko.example/?ttclid=E.C.P",
        ...         "https://toko.example/?mtm_source=brosur&mtm_medium=qr", "https://toko.example/?fbclid=IwAR", None]
        >>> table = ibis.memtable(pa.table({"page_url": pa.array(urls, pa.string())}))
        >>> tags = connect().to_pyarrow(table.select(**campaign_tags(table.page_url))).to_pylist()
        >>> for row in tags:
        ...     print(tuple(row.values()))
        ('ig', 'paid_social', 'flash sale')
        ('google', 'cpc', 'gayo')
        ('tiktok', 'cpc', None)
        ('brosur', 'qr', None)
        (None, None, None)
        (None, None, None)
    """
    lower_url = page_url.lower()
    # Most addresses have no query: two searches of the text as it is spare them the lower-casing and the hints.
    has_query = page_url.contains("?") | page_url.contains("&")
    tagged = has_query & ibis.or_(*(lower_url.contains(hint) for hint in TAG_HINTS))
    clicked = _ad_click_source(lower_url)
    tags = {part: _campaign_tag(page_url, part) for part in _TAG_NAMES}
    null_text = ibis.null("string")
    has_tags = tags["source"].notnull() | tags["medium"].notnull()
    source = ibis.cases((clicked.notnull(), clicked), (has_tags, tags["source"]))
    medium = ibis.cases((clicked.notnull(), "cpc"), (has_tags, tags["medium"]))
    found = {"source": source, "medium": medium, "campaign": tags["campaign"]}
    return {part: ibis.ifelse(tagged.fill_null(False), value, null_text) for part, value in found.items()}


def _referrer_host(referrer: ir.StringValue) -> ir.StringValue:
    """Lower-cased host of a referrer URL without "www." (also for referrers written without a scheme)."""
    host = referrer.lower().re_extract(_HOST_OF_URL, 4).re_replace(r"\.$", "")
    result: ir.StringValue = host.nullif("")
    return result


def _referrer_source(host: ir.StringValue) -> ir.StringValue:
    """The source name a referrer host stands for: "wa.me" is whatsapp, "l.instagram.com" is instagram."""
    generic = host.re_extract(_GENERIC_HOST, 3).nullif("")
    result: ir.StringValue = ibis.cases(
        *[(host.re_search(pattern), name) for pattern, name in _REFERRER_HOST_SOURCES],
        (host.re_search(_BRAND_HOST), host.re_extract(_BRAND_HOST, 2)),
        (host.re_search(_SEARCH_HOST), host.re_extract(_SEARCH_HOST, 3)),
        else_=generic.fill_null(host),
    )
    return result


def _referrer_medium(host: ir.StringValue, source: ir.StringValue) -> ir.StringValue:
    """organic for a search engine, email for webmail, referral for any other host."""
    result: ir.StringValue = ibis.cases(
        (host.isnull(), ibis.null("string")),
        (source.isin(_WEBMAIL_SOURCES), "email"),
        (host.re_search(_SEARCH_HOST) | host.re_search(_SEARCH_APP_HOST), "organic"),
        else_="referral",
    )
    return result


def with_acquisition(table: ir.Table) -> ir.Table:
    """Add `referrer_host` and fill `source`, `medium` and `campaign` (and `term` and `content`, when the table has them)
    where the data source left them empty, as GA4 does.

    Per column, a value the data source set is kept. Otherwise the first of these that
    applies gives source and medium together: an ad network's click id in `page_url`
    (`AD_CLICK_IDS`: gclid, wbraid and gbraid mean google / cpc, msclkid bing / cpc, ttclid
    tiktok / cpc, twclid twitter / cpc, li_fat_id linkedin / cpc); campaign tags in `page_url`
    (`utm_*`, or Matomo's `mtm_*` and `pk_*`); the referrer's host (organic for a search
    engine, email for webmail, referral otherwise); a Meta click id (fbclid) without a referrer
    means facebook / referral. With none of them, source and medium stay NULL (Direct).
    `campaign`, `term` and `content` come from the tags (`utm_campaign`, `utm_term`,
    `utm_content`, or Matomo's, such as `mtm_kwd`), each on its own.
    Referrers from the site's own host are not told apart yet: they count as referrals.

    Example:
        >>> import ibis
        >>> import pyarrow as pa
        >>> from jejak.engine import connect
        >>> columns = ["source", "medium", "campaign", "referrer", "page_url"]
        >>> row = dict.fromkeys(columns, None) | {"referrer": "https://l.instagram.com/?u=x"}
        >>> table = ibis.memtable(pa.Table.from_pylist([row], schema=pa.schema([(c, pa.string()) for c in columns])))
        >>> result = with_acquisition(table).select("referrer_host", "source", "medium")
        >>> connect().backend.to_pyarrow(result).to_pylist()
        [{'referrer_host': 'l.instagram.com', 'source': 'instagram', 'medium': 'referral'}]
    """
    _require_columns(table, ("source", "medium", "campaign", "referrer", "page_url"), "with_acquisition")
    # The keyword and the ad are filled only where the table carries them (the sessions step's arrivals do not).
    details = {part: pattern for part, pattern in _DETAIL_TAG_NAMES.items() if part in table.columns}
    tag_names = _TAG_NAMES | details
    names = {part: _HELPER_PREFIX + part for part in ("clicked", "meta", *(f"tag_{part}" for part in tag_names))}
    names |= {"referrer_source": _HELPER_PREFIX + "referrer_source"}
    # Each step names its results so later steps refer to columns: the SQL stays small (Spark's generated code
    # for one projection must fit in 64 KB) and each regex runs once per row.
    lower_url = table.page_url.lower()
    parsed = table.mutate(
        referrer_host=_referrer_host(table.referrer),
        **{
            names["clicked"]: _ad_click_source(lower_url),
            names["meta"]: lower_url.re_search(r"[?&]fbclid=[^&#]").fill_null(False),
            **{names[f"tag_{part}"]: _query_parameter(table.page_url, tag_names[part]) for part in tag_names},
        },
    )
    named = parsed.mutate(
        **{
            names["referrer_source"]: _referrer_source(parsed.referrer_host),
            **{names[f"tag_{part}"]: _blank_to_null(parsed[names[f"tag_{part}"]]) for part in tag_names},
        }
    )
    host = named.referrer_host
    host_source = named[names["referrer_source"]]
    tag_source, tag_medium = named[names["tag_source"]], named[names["tag_medium"]]
    clicked, has_meta_click_id = named[names["clicked"]], named[names["meta"]]
    has_ad_click_id = clicked.notnull()
    has_tags = tag_source.notnull() | tag_medium.notnull()
    null_text = ibis.null("string")
    derived_source = ibis.cases(
        (has_ad_click_id, clicked),
        (has_tags, tag_source),
        (host.notnull(), host_source),
        (has_meta_click_id, "facebook"),
        else_=null_text,
    )
    derived_medium = ibis.cases(
        (has_ad_click_id, "cpc"),
        (has_tags, tag_medium),
        (host.notnull(), _referrer_medium(host, host_source)),
        (has_meta_click_id, "referral"),
        else_=null_text,
    )
    filled = named.mutate(
        source=_blank_to_null(named.source).fill_null(derived_source),
        medium=_blank_to_null(named.medium).fill_null(derived_medium),
        **{part: _blank_to_null(named[part]).fill_null(named[names[f"tag_{part}"]]) for part in ("campaign", *details)},
    )
    return filled.drop(*names.values())


# --- rules -------------------------------------------------------------------------------------------


def _require_columns(table: ir.Table, columns: Sequence[str], caller: str) -> None:
    missing = [column for column in columns if column not in table.columns]
    if missing:
        hint = " Call with_acquisition(table) first, or use classify()." if "referrer_host" in missing else ""
        raise MissingColumnError(
            f"{caller} needs the column(s) {', '.join(missing)}, which the table does not have "
            f"(it has {', '.join(table.columns)}).{hint}"
        )


def _field_matches(value: ir.StringValue, pattern: str) -> ir.BooleanValue:
    """Whether a lower-cased field matches a regex; NULL never matches except with ``^$`` (NULL, empty or blank)."""
    if pattern == _EMPTY_PATTERN:
        return _is_blank(value)
    matched: ir.BooleanValue = value.notnull() & value.lower().re_search(pattern).fill_null(False)
    return matched


def _rule_matches(table: ir.Table, rule: ChannelRule) -> ir.BooleanValue:
    """ANY group of the rule matches, ALL fields within a group."""
    groups = []
    for group in rule.match:
        conditions = [_field_matches(table[field], pattern) for field, pattern in group.items()]
        groups.append(ibis.and_(*conditions))
    result: ir.BooleanValue = ibis.or_(*groups)
    return result


def channel_expr(table: ir.Table, rules: Sequence[ChannelRule] = DEFAULT_CHANNEL_RULES) -> ir.StringValue:
    """The channel of each row: a non-empty `channel` the data source set, else the first rule that matches, else Unassigned.

    The default rules match on `referrer_host` and on the source / medium that
    `with_acquisition` fills, so call that first (or use `classify`).

    Example:
        >>> import ibis
        >>> import pyarrow as pa
        >>> from jejak.engine import connect
        >>> rules = [ChannelRule("Reseller", ({"source": "^reseller$"},))]
        >>> table = ibis.memtable(pa.table({"source": ["Reseller", "google"]}))
        >>> connect().backend.to_pyarrow(table.select(channel=channel_expr(table, rules))).column("channel").to_pylist()
        ['Reseller', 'Unassigned']
    """
    used = sorted({field for rule in rules for group in rule.match for field in group})
    _require_columns(table, used, "channel_expr")
    branches = [(_rule_matches(table, rule), rule.name) for rule in rules]
    if "channel" in table.columns:
        # A channel the data source set (a store system, a marketplace export) wins over every rule.
        branches.insert(0, (~_is_blank(table.channel), _as_rules_write(table.channel, rules)))
    if not branches:
        return ibis.literal(FALLBACK_CHANNEL, type="string")
    result: ir.StringValue = ibis.cases(*branches, else_=FALLBACK_CHANNEL)
    return result


def _as_rules_write(channel: ir.StringValue, rules: Sequence[ChannelRule]) -> ir.StringValue:
    """A channel the data source set, written as the rule of that name writes it: a chat tool's `Whatsapp` is the
    rules' WhatsApp, not a channel of its own in every report. Any other name is kept as the source wrote it."""
    names = {rule.name.lower(): rule.name for rule in rules} | {FALLBACK_CHANNEL.lower(): FALLBACK_CHANNEL}
    lowered = channel.lower()
    result: ir.StringValue = ibis.cases(*((lowered == low, name) for low, name in names.items()), else_=channel)
    return result


def channel_of_source(source: str, rules: Sequence[ChannelRule] = DEFAULT_CHANNEL_RULES) -> str | None:
    """The channel the rules give a touch that has only this `source` (`Instagram` → Organic Social), or None when
    no rule does. Python's regular expressions stand in for the engine's: for advice (`jejak import`'s warning of a
    file's channels that are sites), never for a build; a pattern Python cannot read matches nothing."""
    fields = {"source": source.strip().lower()}
    for rule in rules:
        for group in rule.match:
            if all(_text_matches(fields.get(field), pattern) for field, pattern in group.items()):
                return rule.name
    return None


def _text_matches(value: str | None, pattern: str) -> bool:
    """`_field_matches` for one Python value."""
    if pattern == _EMPTY_PATTERN:
        return value is None or re.fullmatch(_BLANK, value) is not None
    try:
        return value is not None and re.search(pattern, value) is not None
    except re.error:
        return False


def offline_by_channel(events: ir.Table, offline_channels: Sequence[str]) -> ir.Table:
    """`events` with an event whose file gave it one of `offline_channels` (without case) as an offline touchpoint.

    A till's receipts or a call log imported with `--set "channel=Offline Store"` has no type column, so its rows
    are tracks, whose touchpoint is online: each would join a web visit of its person within the session gap (its
    channel lost to the visit's, or the visit's to it) and count as a device "(not set)", which made a call before
    a phone order a journey across devices.
    """
    names = sorted({name.strip().lower() for name in offline_channels if name.strip()})
    if not names:
        return events
    given = events.channel.strip().lower().isin(names).fill_null(False)
    return events.mutate(touchpoint=ibis.ifelse(given, ibis.literal("offline"), events.touchpoint))


def classify(table: ir.Table, rules: Sequence[ChannelRule] = DEFAULT_CHANNEL_RULES) -> ir.Table:
    """`with_acquisition(table)` with its `channel` column set by `channel_expr` (a source-set channel is kept).

    Example:
        >>> import ibis
        >>> import pyarrow as pa
        >>> from jejak.engine import connect
        >>> columns = ["type", "event", "source", "medium", "campaign", "referrer", "page_url", "channel", "touchpoint"]
        >>> row = dict.fromkeys(columns, None) | {"page_url": "https://toko.example/?utm_source=brochure&utm_medium=qr"}
        >>> table = ibis.memtable(pa.Table.from_pylist([row], schema=pa.schema([(c, pa.string()) for c in columns])))
        >>> connect().backend.to_pyarrow(classify(table)).column("channel").to_pylist()
        ['Print / QR']
    """
    acquired = with_acquisition(table)
    return acquired.mutate(channel=channel_expr(acquired, rules))


_IN = "_jejak_in_"  # a distinct combination's own values, kept apart from what classify rewrites (utm tags)
_OUT = "_jejak_out_"


def classify_distinct(table: ir.Table, rules: Sequence[ChannelRule] = DEFAULT_CHANNEL_RULES) -> ir.Table:
    """`classify(table)`, computed once per distinct combination of the fields it reads and joined back.

    Touches repeat the same few acquisition fields (at 10M events, 3.9M session starts have
    153k distinct combinations), and the rules' regexes are the costly part: 11.7 s on 3M
    rows against 0.7 s on the distinct ones. Rows find their combination by a NULL-safe
    equality on each field (`IS NOT DISTINCT FROM`, Spark's `<=>`), so rows with missing
    fields find theirs too; both engines hash such keys (3.1 s at 10M, where one text key of
    all the fields cost 3.8 s, 2.3 s of it building the text).
    """
    # What with_acquisition and the rules read (a source-set `channel` included, and the keyword and ad it fills from
    # the tags); nothing else changes the result.
    read = ("type", "event", *_RULE_FIELDS, "channel", *_DETAIL_TAG_NAMES)
    inputs = list(dict.fromkeys(column for column in read if column in table.columns))
    used = {field for rule in rules for group in rule.match for field in group}
    # `referrer_host` is not read but derived (by with_acquisition, from `referrer`): it is decided by the inputs.
    # (Leaving it out of this check once sent every build down the slow path: the default rules match on it.)
    if not used <= set(inputs) | {"referrer_host"}:
        return classify(table, rules)
    distinct = table.select(*inputs).distinct()
    classified = classify(distinct.mutate(**{f"{_IN}{column}": distinct[column] for column in inputs}), rules)
    order = classify(table, rules).columns  # the columns classify would give, in its order
    outputs = [column for column in order if column in classified.columns]
    lookup = classified.select(
        *[classified[f"{_IN}{column}"] for column in inputs],
        **{f"{_OUT}{column}": classified[column] for column in outputs},
    )
    joined = table.join(lookup, [table[column].identical_to(lookup[f"{_IN}{column}"]) for column in inputs])
    return joined.select(
        *[joined[f"{_OUT}{column}"].name(column) if column in outputs else joined[column] for column in order]
    )


# --- rules from jejak.toml ---------------------------------------------------------------------------

_CHANNELS_KEYS = ("rules", "prepend")
_RULE_KEYS = ("name", "match")


def _pattern_problem(pattern: str) -> str | None:
    """What in a regex jejak cannot use, or None: constructs RE2 (DuckDB) or Java (Spark) lack, or an upper-case letter.

    Escapes are skipped (\\D, \\S and \\( mean something else), and so is the inside of a character class
    for the group checks.
    """
    index, in_class = 0, False
    while index < len(pattern):
        character, following = pattern[index], pattern[index + 1 : index + 3]
        if character == "\\":
            if following[:1] in tuple("123456789") and not in_class:
                return f"the backreference \\{following[:1]}, which RE2 (DuckDB) does not support"
            index += 2
            continue
        if character.isupper():
            return (
                f"the upper-case letter {character!r}, which can never match because field values are lower-cased "
                "before matching; write the regex in lower case"
            )
        if in_class:
            if character == "[" and following[:1] == ":":
                return (
                    "a POSIX class ([:name:]), which Java (Spark) and Python read as the letters in it; write the "
                    "letters as a range ([a-z]) or use \\d, \\w, \\s"
                )
            in_class = character != "]"
        elif character == "[":
            in_class = True
            # A "]" right after "[" or "[^" is a literal, not the end of the class.
            index += 1
            if pattern[index : index + 1] == "^":
                index += 1
            if pattern[index : index + 1] == "]":
                index += 1
            continue
        elif character == "(" and following[:1] == "?" and following != "?:":
            return (
                "a lookaround, an inline flag or a named group, which RE2 (DuckDB) and Java (Spark) do not read "
                "the same way; rewrite it with plain groups or (?:...)"
            )
        index += 1
    return None


def _check_pattern(pattern: object, field: str, where: str) -> str:
    allowed = f"a regex in lower case (field values are lower-cased before matching); use {_EMPTY_PATTERN!r} for a missing or empty value"
    if not isinstance(pattern, str) or pattern == "":
        raise SettingError(
            f"{where}: field '{field}' has {pattern!r}. Expected {allowed}, or '.' for any value. Fix it in jejak.toml."
        )
    # The constructs first: Python's re warns of a POSIX class before it compiles one (a FutureWarning).
    problem = _pattern_problem(pattern)
    if problem is None:
        try:
            re.compile(pattern)
        except re.error as error:
            raise SettingError(
                f"{where}: field '{field}' has the invalid regex {pattern!r} ({error}). Expected {allowed}. "
                "Fix the regex in jejak.toml."
            ) from None
        found = re2_problem(pattern)
        if found is not None:
            # Python's re took it, RE2 does not (a++, \\Z, a{5000}): every build would stop on it.
            problem = f"what RE2 (DuckDB) cannot read ({found})"
    if problem is not None:
        raise SettingError(f"{where}: field '{field}' has the regex {pattern!r} with {problem}. Fix it in jejak.toml.")
    return pattern


def _parse_group(group: object, where: str) -> dict[str, str]:
    fields = ", ".join(_RULE_FIELDS)
    if not isinstance(group, Mapping) or not group:
        raise SettingError(
            f"{where}: a match group is {group!r}. Expected a table of field = regex, "
            f'e.g. {{ source = "^reseller$" }}, with fields from: {fields}.'
        )
    checked: dict[str, str] = {}
    for field, pattern in group.items():
        if field not in _RULE_FIELDS:
            raise SettingError(
                f"{where}: field '{field}' is not a field channel rules can match. Allowed fields: {fields}. "
                "Fix the field name in jejak.toml."
            )
        checked[field] = _check_pattern(pattern, field, where)
    return checked


def _parse_rule(raw: object, index: int, section: str) -> ChannelRule:
    where = f"jejak.toml [[channels.{section}]] rule {index}"
    if not isinstance(raw, Mapping):
        raise SettingError(f"{where} is {raw!r}. Expected a table with name and match.")
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        raise SettingError(
            f'{where} has name {name!r}. Expected a non-empty channel name, e.g. name = "Reseller". Add one in jejak.toml.'
        )
    where = f"{where} ({name!r})"
    unknown = sorted(set(raw) - set(_RULE_KEYS))
    if unknown:
        raise SettingError(f"{where} has unknown key(s) {', '.join(unknown)}. Allowed keys: name, match.")
    match = raw.get("match")
    if isinstance(match, Mapping):
        match = [match]
    if not isinstance(match, list) or not match:
        raise SettingError(
            f"{where} has match {match!r}. Expected a list of tables of field = regex, "
            f'e.g. match = [{{ source = "^reseller$" }}]; a touchpoint matches when ANY table matches.'
        )
    return ChannelRule(name.strip(), tuple(_parse_group(group, where) for group in match))


def _parse_rules(raw: object, section: str) -> tuple[ChannelRule, ...]:
    if not isinstance(raw, list):
        raise SettingError(
            f"jejak.toml channels.{section} is {raw!r}. Expected a list of rules written as [[channels.{section}]] tables."
        )
    return tuple(_parse_rule(rule, index, section) for index, rule in enumerate(raw, start=1))


def rules_from_config(config: Mapping[str, Any]) -> tuple[ChannelRule, ...]:
    """The channel rules a parsed `jejak.toml` asks for: `[[channels.prepend]]`, then `[[channels.rules]]` or the defaults.

    Example:
        >>> config = {"channels": {"prepend": [{"name": "Reseller", "match": [{"source": "^reseller$"}]}]}}
        >>> [rule.name for rule in rules_from_config(config)][:3]
        ['Reseller', 'WhatsApp', 'LINE']
    """
    channels = config.get("channels", {})
    if not isinstance(channels, Mapping):
        raise SettingError(f"jejak.toml [channels] is {channels!r}. Expected a table with rules and/or prepend.")
    unknown = sorted(set(channels) - set(_CHANNELS_KEYS))
    if unknown:
        raise SettingError(
            f"jejak.toml [channels] has unknown key(s) {', '.join(unknown)}. Allowed keys: rules (replace the default "
            "rules), prepend (go before the default rules)."
        )
    rules = _parse_rules(channels["rules"], "rules") if "rules" in channels else DEFAULT_CHANNEL_RULES
    prepend = _parse_rules(channels["prepend"], "prepend") if "prepend" in channels else ()
    return prepend + rules
