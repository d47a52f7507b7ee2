"""The channel rules classify real touchpoints on a real DuckDB, first match wins."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import ibis
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jejak.core.errors import MissingColumnError, SettingError
from jejak.core.vocabulary import CHAT_EVENT, LEAD_EVENT, TICKET_EVENT
from jejak.engine import Engine, connect
from jejak.journeys import channels
from jejak.journeys.channels import (
    AD_CLICK_IDS,
    DEFAULT_CHANNEL_RULES,
    FALLBACK_CHANNEL,
    TAG_HINTS,
    ChannelRule,
    campaign_tags,
    channel_expr,
    classify,
    classify_distinct,
    rules_from_config,
    with_acquisition,
)

COLUMNS = ("type", "event", "source", "medium", "campaign", "referrer", "page_url", "channel", "touchpoint")
SCHEMA = pa.schema([(column, pa.string()) for column in COLUMNS])
SHOP = "https://toko.example.id"
DOCS = Path(__file__).resolve().parents[2] / "docs" / "channels.md"


@pytest.fixture(scope="module")
def engine() -> Iterator[Engine]:
    engine = connect()
    yield engine
    engine.close()


def page_view(**fields: str | None) -> dict[str, str | None]:
    """A web touchpoint: the first page view of a session, landing on the shop's home page."""
    row: dict[str, str | None] = dict.fromkeys(COLUMNS, None)
    row.update(type="page", event="Page Viewed", page_url=f"{SHOP}/", touchpoint="online")
    row.update(fields)
    return row


def offline(event: str, **fields: str | None) -> dict[str, str | None]:
    """An offline touchpoint (store, call centre, chat) imported from a file."""
    row: dict[str, str | None] = dict.fromkeys(COLUMNS, None)
    row.update(type="offline", event=event, touchpoint="offline")
    row.update(fields)
    return row


def as_table(rows: Sequence[dict[str, str | None]]) -> ibis.Table:
    return ibis.memtable(pa.Table.from_pylist(list(rows), schema=SCHEMA))


def classified(
    engine: Engine, rows: Sequence[dict[str, str | None]], rules: Sequence[ChannelRule] = DEFAULT_CHANNEL_RULES
) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = engine.backend.to_pyarrow(classify(as_table(rows), rules)).to_pylist()
    return result


def channel_of(engine: Engine, row: dict[str, str | None], rules: Sequence[ChannelRule] = DEFAULT_CHANNEL_RULES) -> str:
    channel: str = classified(engine, [row], rules)[0]["channel"]
    return channel


# One or more real-looking touchpoints per default rule, in rule order.
DEFAULT_RULE_CASES = [
    pytest.param(page_view(referrer="https://wa.me/6281234567890?text=halo"), "WhatsApp", id="WhatsApp-wa.me-referrer"),
    pytest.param(page_view(page_url=f"{SHOP}/promo?utm_source=whatsapp"), "WhatsApp", id="WhatsApp-utm_source"),
    pytest.param(offline("wa_chat"), "WhatsApp", id="WhatsApp-offline-chat"),
    pytest.param(page_view(referrer="https://liff.line.me/1657000000-abc"), "LINE", id="LINE-liff-referrer"),
    pytest.param(page_view(page_url=f"{SHOP}/?utm_source=line&utm_medium=broadcast"), "LINE", id="LINE-utm_source"),
    pytest.param(
        page_view(type="track", event="Order Completed", source="tokopedia", page_url=None),
        "Marketplace",
        id="Marketplace-tokopedia-order",
    ),
    pytest.param(page_view(referrer="https://shopee.co.id/sepatu-i.123.456"), "Marketplace", id="Marketplace-shopee"),
    pytest.param(
        page_view(page_url=f"{SHOP}/?utm_source=tiktok_shop&utm_medium=cpc"),
        "Marketplace",
        id="Marketplace-tiktok-shop",
    ),
    pytest.param(offline("store_visit"), "Offline Store", id="Offline Store-store_visit"),
    pytest.param(offline("Order Completed", source="pos"), "Offline Store", id="Offline Store-pos-sale"),
    pytest.param(offline("call_centre"), "Call Centre", id="Call Centre-call"),
    pytest.param(
        page_view(page_url=f"{SHOP}/promo?utm_source=brochure&utm_medium=qr&utm_campaign=lebaran"),
        "Print / QR",
        id="Print / QR-brochure-scan",
    ),
    pytest.param(
        page_view(page_url=f"{SHOP}/promo?mtm_campaign=lebaran&mtm_source=brosur&mtm_medium=qr"),
        "Print / QR",
        id="Print / QR-matomo-tags",
    ),
    pytest.param(
        page_view(page_url=f"{SHOP}/?utm_source=google&utm_medium=cpc&utm_campaign=Shopping+-+Sepatu"),
        "Paid Shopping",
        id="Paid Shopping-google-shopping-campaign",
    ),
    pytest.param(
        page_view(page_url=f"{SHOP}/sepatu?gclid=Cj0KCQ", referrer="https://www.google.com/"),
        "Paid Search",
        id="Paid Search-gclid",
    ),
    pytest.param(
        # Microsoft Advertising's click id: the referrer alone would make it bing / organic.
        page_view(page_url=f"{SHOP}/sepatu?msclkid=4f1e2d", referrer="https://www.bing.com/"),
        "Paid Search",
        id="Paid Search-msclkid",
    ),
    pytest.param(
        # TikTok Ads' click id: the referrer alone would make it Organic Social.
        page_view(page_url=f"{SHOP}/?ttclid=E.C.P.Cs0B", referrer="https://www.tiktok.com/"),
        "Paid Social",
        id="Paid Social-ttclid",
    ),
    pytest.param(
        # X Ads' click id: the referrer (t.co) alone would make it Organic Social.
        page_view(page_url=f"{SHOP}/?twclid=2-7a1b9c", referrer="https://t.co/"),
        "Paid Social",
        id="Paid Social-twclid",
    ),
    pytest.param(
        # LinkedIn's click id, added to an ad's landing address by its Insight Tag.
        page_view(page_url=f"{SHOP}/grosir?li_fat_id=0f4d2c", referrer="https://www.linkedin.com/"),
        "Paid Social",
        id="Paid Social-li_fat_id",
    ),
    pytest.param(
        page_view(page_url=f"{SHOP}/?utm_source=instagram&utm_medium=paid_social"), "Paid Social", id="Paid Social-ig"
    ),
    pytest.param(
        page_view(page_url=f"{SHOP}/?utm_source=youtube&utm_medium=cpv"), "Paid Video", id="Paid Video-youtube"
    ),
    pytest.param(page_view(page_url=f"{SHOP}/?utm_source=detik&utm_medium=banner"), "Display", id="Display-banner"),
    pytest.param(page_view(page_url=f"{SHOP}/?utm_source=kompas&utm_medium=cpc"), "Paid Other", id="Paid Other-cpc"),
    pytest.param(
        page_view(referrer="https://www.amazon.com/dp/B000"), "Organic Shopping", id="Organic Shopping-amazon-referrer"
    ),
    pytest.param(page_view(referrer="https://l.instagram.com/?u=x"), "Organic Social", id="Organic Social-instagram"),
    pytest.param(page_view(referrer="https://m.facebook.com/"), "Organic Social", id="Organic Social-facebook"),
    pytest.param(page_view(referrer="https://t.me/kopijejak"), "Organic Social", id="Organic Social-telegram"),
    pytest.param(
        page_view(page_url=f"{SHOP}/?utm_source=Instagram_Stories&utm_medium=paid"),
        "Paid Social",
        id="Paid Social-meta-placement",
    ),
    pytest.param(page_view(referrer="https://www.youtube.com/watch?v=1"), "Organic Video", id="Organic Video-youtube"),
    pytest.param(page_view(referrer="https://www.google.co.id/"), "Organic Search", id="Organic Search-google"),
    pytest.param(page_view(referrer="https://www.bing.com/search?q=x"), "Organic Search", id="Organic Search-bing"),
    pytest.param(page_view(page_url=f"{SHOP}/?utm_source=newsletter&utm_medium=email"), "Email", id="Email-newsletter"),
    pytest.param(page_view(referrer="https://mail.google.com/"), "Email", id="Email-gmail-referrer"),
    pytest.param(page_view(page_url=f"{SHOP}/?utm_source=telkomsel&utm_medium=sms"), "SMS", id="SMS-utm"),
    pytest.param(
        page_view(page_url=f"{SHOP}/?utm_source=firebase&utm_medium=push"),
        "Mobile Push Notifications",
        id="Mobile Push Notifications-firebase",
    ),
    pytest.param(
        page_view(page_url=f"{SHOP}/?utm_source=accesstrade&utm_medium=affiliate"), "Affiliates", id="Affiliates-utm"
    ),
    pytest.param(page_view(page_url=f"{SHOP}/?utm_source=spotify&utm_medium=audio"), "Audio", id="Audio-spotify"),
    pytest.param(
        page_view(referrer="https://www.kompas.com/read/2024/sepatu"), "Referral", id="Referral-news-site-referrer"
    ),
    pytest.param(
        page_view(type="track", event="Chat Started", page_url=None), FALLBACK_CHANNEL, id="Unassigned-tools-chat"
    ),
    pytest.param(page_view(type="track", event="Email Opened", page_url=None), "Email", id="Email-tools-open"),
    pytest.param(page_view(), "Direct", id="Direct-typed-address"),
]


@pytest.mark.parametrize(("row", "expected"), DEFAULT_RULE_CASES)
def test_default_rule_classifies_a_real_touchpoint(engine: Engine, row: dict[str, str | None], expected: str) -> None:
    assert channel_of(engine, row) == expected


def test_every_default_rule_has_a_case() -> None:
    covered = {case.values[1] for case in DEFAULT_RULE_CASES}
    assert [rule.name for rule in DEFAULT_CHANNEL_RULES if rule.name not in covered] == []


def test_default_rule_names_are_unique_and_in_design_order() -> None:
    names = [rule.name for rule in DEFAULT_CHANNEL_RULES]
    assert len(set(names)) == len(names)
    assert names[:6] == ["WhatsApp", "LINE", "Marketplace", "Offline Store", "Call Centre", "Print / QR"]
    assert names.index("Referral") > names.index("Print / QR")
    assert names[-3:] == ["Referral", FALLBACK_CHANNEL, "Direct"]


@pytest.mark.parametrize(
    "referrer",
    [
        "https://wa.me/6281234567890",
        "https://api.whatsapp.com/send?phone=62812",
        "https://web.whatsapp.com/",
        "https://chat.whatsapp.com/AbCdEf",
        "android-app://com.whatsapp/",
    ],
)
def test_whatsapp_referrer_is_whatsapp_not_referral(engine: Engine, referrer: str) -> None:
    without_indonesian_channels = [rule for rule in DEFAULT_CHANNEL_RULES if rule.name not in ("WhatsApp", "LINE")]
    assert channel_of(engine, page_view(referrer=referrer)) == "WhatsApp"
    # GA4's rules alone would call it Referral: the WhatsApp rule is what decides.
    assert channel_of(engine, page_view(referrer=referrer), without_indonesian_channels) == "Referral"


@pytest.mark.parametrize(
    "referrer", ["https://line.me/R/ti/p/@toko", "https://liff.line.me/1657-abc", "https://lin.ee/x1"]
)
def test_line_referrer_is_line_not_referral(engine: Engine, referrer: str) -> None:
    without_line = [rule for rule in DEFAULT_CHANNEL_RULES if rule.name != "LINE"]
    assert channel_of(engine, page_view(referrer=referrer)) == "LINE"
    assert channel_of(engine, page_view(referrer=referrer), without_line) == "Referral"


def test_tiktok_is_social_but_tiktok_shop_is_marketplace(engine: Engine) -> None:
    rows = [
        page_view(referrer="https://www.tiktok.com/@toko/video/1"),
        page_view(referrer="https://vt.tiktok.com/ZS8abc/"),
        page_view(referrer="https://shop.tiktok.com/view/product/1"),
        page_view(page_url=f"{SHOP}/?utm_source=tiktok&utm_medium=paid"),
        page_view(page_url=f"{SHOP}/?utm_source=TikTok+Shop"),
    ]
    assert [row["channel"] for row in classified(engine, rows)] == [
        "Organic Social",
        "Organic Social",
        "Marketplace",
        "Paid Social",
        "Marketplace",
    ]


def test_source_set_channel_wins_over_every_rule(engine: Engine) -> None:
    rows = [
        page_view(channel="Reseller", page_url=f"{SHOP}/?gclid=abc"),
        offline("store_visit", channel="Pameran"),
        page_view(channel="", referrer="https://wa.me/62812"),
        page_view(channel="   ", referrer="https://wa.me/62812"),
    ]
    assert [row["channel"] for row in classified(engine, rows)] == ["Reseller", "Pameran", "WhatsApp", "WhatsApp"]


def test_first_matching_rule_wins(engine: Engine) -> None:
    first = ChannelRule("First", ({"source": "^partner$"},))
    second = ChannelRule("Second", ({"source": "^partner$"}, {"medium": "^cpc$"}))
    row = page_view(source="partner", medium="cpc")
    assert channel_of(engine, row, [first, second]) == "First"
    assert channel_of(engine, row, [second, first]) == "Second"


def test_earlier_default_rule_wins_when_two_match(engine: Engine) -> None:
    # Matches Marketplace (source) and Email (medium): Marketplace comes first.
    assert channel_of(engine, page_view(page_url=f"{SHOP}/?utm_source=tokopedia&utm_medium=email")) == "Marketplace"
    # Matches WhatsApp and Paid Other: WhatsApp comes first.
    assert channel_of(engine, page_view(page_url=f"{SHOP}/?utm_source=whatsapp&utm_medium=cpc")) == "WhatsApp"


@pytest.mark.parametrize(
    "row",
    [
        pytest.param(dict.fromkeys(COLUMNS, None), id="all-null"),
        pytest.param(dict.fromkeys(COLUMNS, ""), id="all-empty"),
        pytest.param(dict.fromkeys(COLUMNS, "  "), id="all-spaces"),
        pytest.param(page_view(source="", medium="", referrer="", channel=""), id="empty-acquisition"),
        pytest.param(page_view(source="(direct)", medium="(none)"), id="ga-export-direct"),
    ],
)
def test_nothing_known_is_direct(engine: Engine, row: dict[str, str | None]) -> None:
    assert channel_of(engine, row) == "Direct"


def test_offline_touchpoint_nobody_labelled_is_unassigned_not_direct(engine: Engine) -> None:
    assert channel_of(engine, offline("event_attended")) == FALLBACK_CHANNEL


@pytest.mark.parametrize("event", [CHAT_EVENT, TICKET_EVENT, LEAD_EVENT])
def test_a_contact_from_its_tools_export_saying_nothing_of_where_is_unassigned_not_direct(
    engine: Engine, event: str
) -> None:
    # As the import names a chat tool's, a help desk's or a lead form's rows: a track with no page, the tool's time.
    contact = page_view(type="track", event=event, page_url=None)
    assert channel_of(engine, contact) == FALLBACK_CHANNEL
    assert channel_of(engine, {**contact, "event": event.upper()}) == FALLBACK_CHANNEL
    # What says where still decides: the chat tool's channel read as the source, a lead's platform, an ad's medium.
    assert channel_of(engine, {**contact, "source": "whatsapp"}) == "WhatsApp"
    assert channel_of(engine, {**contact, "source": "ig", "medium": "paid"}) == "Paid Social"
    assert channel_of(engine, {**contact, "channel": "Email"}) == "Email"
    # An event of another name, a web tracker's `Chat Opened` or an order from a file, stays Direct.
    assert channel_of(engine, {**contact, "event": "Chat Opened"}) == "Direct"
    assert channel_of(engine, {**contact, "event": "Order Completed"}) == "Direct"


@pytest.mark.parametrize("event", ["Email Opened", "Email Link Clicked", "Opened Email", "Clicked Email"])
def test_an_email_opened_or_clicked_in_its_tools_events_is_email_not_direct(engine: Engine, event: str) -> None:
    # An e-mail tool's own event (Segment's e-mail spec, as Customer.io sends it): no page, no utm_medium=email.
    opened = page_view(type="track", event=event, page_url=None)
    assert channel_of(engine, opened) == "Email"
    assert channel_of(engine, {**opened, "event": event.lower()}) == "Email"
    # Where it says more, that decides as before: an earlier rule's source and medium.
    assert channel_of(engine, {**opened, "source": "google", "medium": "cpc"}) == "Paid Search"
    # Without the event names the same row was Direct: the rule's event match is what decides.
    email = next(rule for rule in DEFAULT_CHANNEL_RULES if rule.name == "Email")
    others = [rule for rule in DEFAULT_CHANNEL_RULES if rule is not email]
    assert channel_of(engine, opened, others) == "Direct"


def test_an_email_event_of_another_name_is_not_email(engine: Engine) -> None:
    # A web tracker's click on the shop's contact address, or a delivery (no touch at all, `non_touch_events`): the
    # rules do not make them Email.
    for event in ("Email Address Clicked", "Email Delivered", "Newsletter Signup"):
        assert channel_of(engine, page_view(type="track", event=event, page_url=None)) == "Direct", event


def test_unknown_medium_is_unassigned(engine: Engine) -> None:
    assert channel_of(engine, page_view(page_url=f"{SHOP}/?utm_source=partner&utm_medium=barter")) == FALLBACK_CHANNEL


def test_matching_is_case_insensitive(engine: Engine) -> None:
    rows = [
        page_view(page_url=f"{SHOP}/?utm_source=WhatsApp"),
        page_view(referrer="HTTPS://WWW.GOOGLE.COM/"),
        page_view(source="Instagram", medium="Paid_Social"),
        offline("Store Visit", touchpoint="OFFLINE"),
    ]
    assert [row["channel"] for row in classified(engine, rows)] == [
        "WhatsApp",
        "Organic Search",
        "Paid Social",
        "Offline Store",
    ]


def test_source_names_are_whole_names_not_prefixes(engine: Engine) -> None:
    rows = [
        page_view(source="googleads", medium="cpc"),
        page_view(referrer="https://docs.google.com/document/d/1"),
        page_view(source="google.co.id", medium="cpc"),
        page_view(source="app_store", medium="referral"),
    ]
    assert [row["channel"] for row in classified(engine, rows)] == ["Paid Other", "Referral", "Paid Search", "Referral"]


ACQUISITION_CASES = [
    pytest.param(
        {"referrer": "https://www.Google.co.id/search?q=sepatu"},
        ("google.co.id", "google", "organic", None),
        id="search-engine",
    ),
    pytest.param({"referrer": "https://wa.me/62812"}, ("wa.me", "whatsapp", "referral", None), id="wa.me"),
    pytest.param(
        {"referrer": "https://l.instagram.com/?u=x"},
        ("l.instagram.com", "instagram", "referral", None),
        id="instagram",
    ),
    pytest.param({"referrer": "https://m.facebook.com/"}, ("m.facebook.com", "facebook", "referral", None), id="fb"),
    pytest.param({"referrer": "https://t.me/kopijejak"}, ("t.me", "telegram", "referral", None), id="telegram"),
    pytest.param(
        {"referrer": "https://linktr.ee/kopijejak"}, ("linktr.ee", "linktree", "referral", None), id="linktree"
    ),
    pytest.param(
        {"referrer": "https://tokopedia.com/toko"}, ("tokopedia.com", "tokopedia", "referral", None), id="tokopedia"
    ),
    pytest.param(
        {"referrer": "https://news.detik.com/berita/1"},
        ("news.detik.com", "news.detik.com", "referral", None),
        id="other-subdomain-keeps-host",
    ),
    pytest.param(
        {"referrer": "https://user:pw@Shop.Example.co.id:8443/x"},
        ("shop.example.co.id",) * 2 + ("referral", None),
        id="port",
    ),
    pytest.param({"referrer": "wa.me/62812"}, ("wa.me", "whatsapp", "referral", None), id="no-scheme"),
    pytest.param(
        {"page_url": f"{SHOP}/?utm_source=ig&utm_medium=paid_social&utm_campaign=ramadan+sale"},
        (None, "ig", "paid_social", "ramadan sale"),
        id="utm",
    ),
    pytest.param(
        {"page_url": f"{SHOP}/?utm_source=brochure", "referrer": "https://www.google.com/"},
        ("google.com", "brochure", None, None),
        id="utm-before-referrer",
    ),
    pytest.param(
        {"page_url": f"{SHOP}/?gclid=abc&utm_source=newsletter&utm_medium=email&utm_campaign=promo"},
        (None, "google", "cpc", "promo"),
        id="gclid-before-utm",
    ),
    pytest.param({"page_url": f"{SHOP}/?wbraid=abc"}, (None, "google", "cpc", None), id="wbraid"),
    pytest.param({"page_url": f"{SHOP}/?MSCLKID=abc"}, (None, "bing", "cpc", None), id="msclkid"),
    pytest.param(
        {"page_url": f"{SHOP}/?ttclid=E.C.P&utm_source=tiktok&utm_medium=paid&utm_campaign=gayo"},
        (None, "tiktok", "cpc", "gayo"),
        id="ttclid-before-utm",
    ),
    pytest.param({"page_url": f"{SHOP}/?twclid=2-7a1b9c"}, (None, "twitter", "cpc", None), id="twclid"),
    pytest.param(
        {"page_url": f"{SHOP}/?li_fat_id=0f4d2c&utm_campaign=grosir"},
        (None, "linkedin", "cpc", "grosir"),
        id="li_fat_id",
    ),
    pytest.param(
        {"page_url": f"{SHOP}/?mtm_campaign=Lebaran+2026&mtm_source=brosur&mtm_medium=qr"},
        (None, "brosur", "qr", "Lebaran 2026"),
        id="matomo-mtm",
    ),
    pytest.param(
        {"page_url": f"{SHOP}/?pk_source=newsletter&pk_medium=email&pk_campaign=promo"},
        (None, "newsletter", "email", "promo"),
        id="matomo-pk",
    ),
    pytest.param({"page_url": f"{SHOP}/?pk_cpn=promo"}, (None, None, None, "promo"), id="matomo-short-campaign"),
    pytest.param(
        # A link whose query someone wrote after a `&` instead of a `?`: the tags are read all the same.
        {"page_url": f"{SHOP}/promo&utm_source=line&utm_medium=chat"},
        (None, "line", "chat", None),
        id="tags-after-an-ampersand",
    ),
    pytest.param(
        {"page_url": f"{SHOP}/?matomo_campaign=promo", "referrer": "https://news.detik.com/"},
        ("news.detik.com", "news.detik.com", "referral", "promo"),
        id="campaign-name-alone-keeps-referrer",
    ),
    pytest.param(
        {"page_url": f"{SHOP}/?fbclid=IwAR", "referrer": "https://l.facebook.com/"},
        ("l.facebook.com", "facebook", "referral", None),
        id="fbclid-with-referrer",
    ),
    pytest.param({"page_url": f"{SHOP}/?fbclid=IwAR"}, (None, "facebook", "referral", None), id="fbclid-alone"),
    pytest.param(
        {"source": "Tokopedia", "referrer": "https://www.google.com/", "campaign": "flash"},
        ("google.com", "Tokopedia", "organic", "flash"),
        id="source-set-is-kept",
    ),
    pytest.param({"source": "", "medium": " ", "referrer": ""}, (None, None, None, None), id="empty-stays-null"),
]


@pytest.mark.parametrize(("fields", "expected"), ACQUISITION_CASES)
def test_with_acquisition_fills_source_and_medium_like_ga4(
    engine: Engine, fields: dict[str, str], expected: tuple[str | None, ...]
) -> None:
    table = with_acquisition(as_table([page_view(**fields)]))
    row = engine.backend.to_pyarrow(table.select("referrer_host", "source", "medium", "campaign")).to_pylist()[0]
    assert (row["referrer_host"], row["source"], row["medium"], row["campaign"]) == expected


# The cases whose tags are all in the page's address: the sessions step reads these tags to cut visits.
TAGGED_ADDRESSES = [
    case for case in ACQUISITION_CASES if set(case.values[0]) == {"page_url"} and "fbclid" not in case.id
]


@pytest.mark.parametrize(("fields", "expected"), TAGGED_ADDRESSES)
def test_campaign_tags_are_what_with_acquisition_reads_from_the_address(
    engine: Engine, fields: dict[str, str], expected: tuple[str | None, ...]
) -> None:
    table = as_table([page_view(**fields)])
    row = engine.backend.to_pyarrow(table.select(**campaign_tags(table.page_url))).to_pylist()[0]
    assert (row["source"], row["medium"], row["campaign"]) == expected[1:]


def test_every_ad_click_id_is_found_by_the_cheap_search_before_parsing() -> None:
    # campaign_tags parses only the addresses that contain one of TAG_HINTS: a click id none of them finds is lost.
    assert all(any(hint in f"{name}=" for hint in TAG_HINTS) for name in AD_CLICK_IDS)


@pytest.mark.parametrize(
    "url",
    [
        f"{SHOP}/?fbclid=IwAR",
        f"{SHOP}/blog/utm_source-explained",
        f"{SHOP}/?ref=utm_campaign",
        f"{SHOP}/?utm_source=",
        f"{SHOP}/?xpk_source=a&ttclid=",
        f"{SHOP}/?my_campaign=a",
    ],
)
def test_an_address_without_campaign_tags_gives_none(engine: Engine, url: str) -> None:
    # Meta adds fbclid to every link from Facebook, an ad's or not; the others only look like tags.
    table = as_table([page_view(page_url=url)])
    row = engine.backend.to_pyarrow(table.select(**campaign_tags(table.page_url))).to_pylist()[0]
    assert row == {"source": None, "medium": None, "campaign": None}


# --- the keyword and the ad (term, content) ------------------------------------------------------------

DETAIL_SCHEMA = pa.schema([*SCHEMA, pa.field("term", pa.string()), pa.field("content", pa.string())])
# (page address, what the data source set, the (term, content) the touch gets)
DETAIL_CASES = [
    pytest.param(
        f"{SHOP}/?utm_source=google&utm_medium=cpc&utm_term=kopi+gayo&utm_content=iklan%20teks",
        {},
        ("kopi gayo", "iklan teks"),
        id="utm",
    ),
    pytest.param(f"{SHOP}/?mtm_campaign=promo&mtm_kwd=kopi&mtm_content=banner", {}, ("kopi", "banner"), id="mtm"),
    pytest.param(f"{SHOP}/?pk_campaign=promo&pk_keyword=kopi", {}, ("kopi", None), id="pk-keyword"),
    pytest.param(f"{SHOP}/?piwik_campaign=a&piwik_kwd=kopi&pk_content=b", {}, ("kopi", "b"), id="older-matomo-names"),
    pytest.param(f"{SHOP}/?gclid=Cj0K&utm_term=sangrai", {}, ("sangrai", None), id="with-a-click-id"),
    pytest.param(f"{SHOP}/?utm_term=dari-url", {"term": "dari-data"}, ("dari-data", None), id="set-by-the-data"),
    pytest.param(f"{SHOP}/?utm_term=&utm_content=%20", {}, (None, None), id="blank"),
    pytest.param(f"{SHOP}/?my_term=a&xutm_content=b&pk_kwds=c", {}, (None, None), id="look-alikes"),
]


def with_details(rows: Sequence[dict[str, str | None]]) -> ibis.Table:
    return ibis.memtable(pa.Table.from_pylist(list(rows), schema=DETAIL_SCHEMA))


def detail_row(url: str, fields: dict[str, str]) -> dict[str, str | None]:
    return page_view(page_url=url) | {"term": None, "content": None} | fields


@pytest.mark.parametrize(("url", "fields", "expected"), DETAIL_CASES)
def test_with_acquisition_fills_the_keyword_and_the_ad_from_the_tags(
    engine: Engine, url: str, fields: dict[str, str], expected: tuple[str | None, str | None]
) -> None:
    table = with_acquisition(with_details([detail_row(url, fields)]))
    row = engine.backend.to_pyarrow(table.select("term", "content")).to_pylist()[0]
    assert (row["term"], row["content"]) == expected


def test_a_table_without_keyword_or_ad_columns_gets_none() -> None:
    # The sessions step classifies arrivals without them: the keyword and the ad never cut a session.
    table = with_acquisition(as_table([page_view(page_url=f"{SHOP}/?utm_term=kopi&utm_content=a")]))
    assert "term" not in table.columns and "content" not in table.columns


def test_the_distinct_path_fills_the_keyword_and_the_ad_as_classify_does(engine: Engine) -> None:
    rows = [detail_row(*case.values[:2]) for case in DETAIL_CASES] * 2
    table = with_details(rows).mutate(row_id=ibis.row_number())
    distinct = engine.backend.to_pyarrow(classify_distinct(table).order_by("row_id")).to_pylist()
    assert distinct == engine.backend.to_pyarrow(classify(table).order_by("row_id")).to_pylist()
    found = [(row["term"], row["content"]) for row in distinct[: len(DETAIL_CASES)]]
    assert found == [case.values[2] for case in DETAIL_CASES]


def test_classify_keeps_rows_and_replaces_channel(engine: Engine) -> None:
    rows = [page_view(), offline("store_visit"), page_view(referrer="https://wa.me/1")]
    table = classify(as_table(rows))
    assert table.columns.count("channel") == 1
    assert "referrer_host" in table.columns
    assert [row["channel"] for row in engine.backend.to_pyarrow(table).to_pylist()] == [
        "Direct",
        "Offline Store",
        "WhatsApp",
    ]


def test_channel_expr_needs_referrer_host_from_with_acquisition() -> None:
    with pytest.raises(MissingColumnError, match=r"referrer_host.*with_acquisition"):
        channel_expr(as_table([page_view()]))


def test_channel_expr_with_no_rules_is_fallback_or_source_channel(engine: Engine) -> None:
    table = as_table([page_view(), page_view(channel="Pameran")])
    result = engine.backend.to_pyarrow(table.select(channel=channel_expr(table, []))).column("channel").to_pylist()
    assert result == [FALLBACK_CHANNEL, "Pameran"]


# --- rules from jejak.toml ---------------------------------------------------------------------------


def test_no_channels_section_gives_the_defaults() -> None:
    assert rules_from_config({}) == DEFAULT_CHANNEL_RULES
    assert rules_from_config({"channels": {}}) == DEFAULT_CHANNEL_RULES


def test_rules_replace_the_defaults(engine: Engine) -> None:
    config = tomllib.loads(
        """
        [[channels.rules]]
        name = "Reseller"
        match = [{ source = "^reseller$" }, { referrer_host = "(^|\\\\.)mitra\\\\.example\\\\.id$" }]
        """
    )
    rules = rules_from_config(config)
    assert [rule.name for rule in rules] == ["Reseller"]
    rows = [
        page_view(source="Reseller"),
        page_view(referrer="https://mitra.example.id/"),
        page_view(referrer="https://wa.me/1"),
    ]
    assert [row["channel"] for row in classified(engine, rows, rules)] == ["Reseller", "Reseller", FALLBACK_CHANNEL]


def test_prepend_goes_before_the_defaults(engine: Engine) -> None:
    config = tomllib.loads(
        """
        [[channels.prepend]]
        name = "Reseller WhatsApp"
        match = [{ source = "whatsapp", campaign = "^reseller" }]
        """
    )
    rules = rules_from_config(config)
    assert rules[0].name == "Reseller WhatsApp"
    assert rules[1:] == DEFAULT_CHANNEL_RULES
    rows = [
        page_view(page_url=f"{SHOP}/?utm_source=whatsapp&utm_campaign=reseller_jakarta"),
        page_view(page_url=f"{SHOP}/?utm_source=whatsapp&utm_campaign=lebaran"),
    ]
    assert [row["channel"] for row in classified(engine, rows, rules)] == ["Reseller WhatsApp", "WhatsApp"]


def test_prepend_and_rules_together() -> None:
    config = {
        "channels": {
            "prepend": [{"name": "A", "match": [{"source": "^a$"}]}],
            "rules": [{"name": "B", "match": {"source": "^b$"}}],
        }
    }
    assert rules_from_config(config) == (
        ChannelRule("A", ({"source": "^a$"},)),
        ChannelRule("B", ({"source": "^b$"},)),
    )


def test_default_rules_pass_their_own_validation() -> None:
    config = {
        "channels": {
            "rules": [
                {"name": rule.name, "match": [dict(group) for group in rule.match]} for rule in DEFAULT_CHANNEL_RULES
            ]
        }
    }
    assert rules_from_config(config) == DEFAULT_CHANNEL_RULES


def rule_config(section: str = "rules", **rule: Any) -> dict[str, Any]:
    return {"channels": {section: [{"name": "Good", "match": [{"source": "^good$"}]}, rule]}}


@pytest.mark.parametrize(
    ("config", "message"),
    [
        pytest.param(
            rule_config(name="Reseller", match=[{"sorce": "^reseller$"}]),
            r"rule 2 \('Reseller'\): field 'sorce' is not a field.*Allowed fields: type, event, source",
            id="unknown-field",
        ),
        pytest.param(
            rule_config(name="Reseller", match=[{"source": "^(reseller$"}]),
            r"rule 2 \('Reseller'\): field 'source' has the invalid regex '\^\(reseller\$'.*Fix the regex",
            id="invalid-regex",
        ),
        pytest.param(
            rule_config(name="", match=[{"source": "^x$"}]),
            r"\[\[channels\.rules\]\] rule 2 has name ''\. Expected a non-empty channel name",
            id="empty-name",
        ),
        pytest.param(
            rule_config(section="prepend", match=[{"source": "^x$"}]),
            r"\[\[channels\.prepend\]\] rule 2 has name None",
            id="missing-name",
        ),
        pytest.param(
            rule_config(name="Reseller", match=[{"source": "^Reseller$"}]),
            r"rule 2 \('Reseller'\): field 'source'.*upper-case letter 'R'.*lower case",
            id="upper-case-regex",
        ),
        pytest.param(
            rule_config(name="Reseller", match=[{"source": "(?i)reseller"}]),
            r"rule 2 \('Reseller'\): field 'source'.*inline flag.*RE2 \(DuckDB\) and Java \(Spark\)",
            id="inline-flag",
        ),
        pytest.param(
            rule_config(name="Reseller", match=[{"source": "^(?!google)"}]),
            r"field 'source'.*lookaround",
            id="lookaround",
        ),
        pytest.param(
            rule_config(name="Reseller", match=[{"campaign": r"(a)\1"}]),
            r"field 'campaign'.*backreference",
            id="backreference",
        ),
        # Python's re reads each of these; RE2 (DuckDB) does not, so every build stopped on it as a bug.
        pytest.param(
            rule_config(name="Reseller", match=[{"source": "^res++$"}]),
            r"field 'source' has the regex '\^res\+\+\$' with what RE2 \(DuckDB\) cannot read \(bad repetition",
            id="possessive",
        ),
        pytest.param(
            rule_config(name="Reseller", match=[{"source": r"reseller\Z"}]),
            r"field 'source'.*RE2 \(DuckDB\) cannot read \(invalid escape sequence: \\Z\)",
            id="python-end-anchor",
        ),
        pytest.param(
            rule_config(name="Reseller", match=[{"campaign": "(x{100}){100}"}]),
            r"field 'campaign'.*RE2 \(DuckDB\) cannot read \(invalid repetition size",
            id="nested-repetition",
        ),
        pytest.param(
            rule_config(name="Reseller", match=[{"source": "^[[:alpha:]]+$"}]),
            r"field 'source'.*a POSIX class \(\[:name:\]\), which Java \(Spark\)",
            id="posix-class",
        ),
        pytest.param(
            rule_config(name="Reseller", match=[{"source": ""}]),
            r"field 'source' has ''.*'\^\$' for a missing or empty value",
            id="empty-regex",
        ),
        pytest.param(
            rule_config(name="Reseller", match=[{"source": 1}]),
            r"field 'source' has 1\. Expected a regex",
            id="regex-not-text",
        ),
        pytest.param(rule_config(name="Reseller", match=[]), r"rule 2 \('Reseller'\) has match \[\]", id="empty-match"),
        pytest.param(
            rule_config(name="Reseller", match=[{}]), r"rule 2 \('Reseller'\): a match group is \{\}", id="empty-group"
        ),
        pytest.param(
            rule_config(name="Reseller", matches=[{"source": "^x$"}]),
            r"rule 2 \('Reseller'\) has unknown key\(s\) matches\. Allowed keys: name, match",
            id="unknown-rule-key",
        ),
        pytest.param(
            {"channels": {"rule": []}},
            r"\[channels\] has unknown key\(s\) rule\. Allowed keys: rules",
            id="unknown-section-key",
        ),
        pytest.param(
            {"channels": {"rules": {"name": "x"}}},
            r"channels\.rules is .*Expected a list of rules",
            id="rules-not-list",
        ),
        pytest.param({"channels": {"prepend": ["x"]}}, r"\[\[channels\.prepend\]\] rule 1 is 'x'", id="rule-not-table"),
    ],
)
def test_rules_from_config_names_what_is_wrong(config: dict[str, Any], message: str) -> None:
    with pytest.raises(SettingError, match=message):
        rules_from_config(config)


@pytest.mark.parametrize(
    "pattern",
    [r"^\(?direct\)?$", "[(?]", r"^[]a]$", r"\d+\s\w", "(?:wa|whatsapp)", r"^\\1$", "[:;]x{1000}", r"\[:"],
    ids=[
        "escaped-parentheses",
        "class",
        "bracket-in-class",
        "escapes",
        "non-capturing-group",
        "escaped-backslash",
        "colon-class-and-repetition",
        "escaped-bracket-colon",
    ],
)
def test_portable_lower_case_regexes_are_accepted(pattern: str) -> None:
    rules = rules_from_config({"channels": {"rules": [{"name": "Ok", "match": [{"source": pattern}]}]}})
    assert rules == (ChannelRule("Ok", ({"source": pattern},)),)


def test_upper_case_inside_a_class_is_refused() -> None:
    with pytest.raises(SettingError, match=r"upper-case letter 'A'"):
        rules_from_config({"channels": {"rules": [{"name": "No", "match": [{"source": "^[A-Z]+$"}]}]}})


# --- invariants and portability ----------------------------------------------------------------------

REAL_VALUES = {
    "type": ["page", "track", "offline", "screen"],
    "event": ["Page Viewed", "Order Completed", "store_visit", "wa_chat", "call_centre", "Product Viewed"],
    "source": ["google", "instagram", "whatsapp", "tokopedia", "pos", "newsletter", "(direct)", "firebase"],
    "medium": ["cpc", "organic", "referral", "email", "paid_social", "qr", "sms", "(none)", "banner"],
    "campaign": ["lebaran", "shopping_sepatu", "Ramadan Sale"],
    "referrer": ["https://wa.me/62812", "https://www.google.co.id/", "https://l.instagram.com/", "android-app://x/"],
    "page_url": [f"{SHOP}/", f"{SHOP}/?gclid=x", f"{SHOP}/?utm_source=line&utm_medium=chat", f"{SHOP}/?fbclid=y"],
    "channel": ["Pameran"],
    "touchpoint": ["online", "offline"],
}


def field_values(column: str) -> st.SearchStrategy[str | None]:
    return st.one_of(st.none(), st.just(""), st.sampled_from(REAL_VALUES[column]), st.text(max_size=30))


rows_strategy = st.lists(
    st.fixed_dictionaries({column: field_values(column) for column in COLUMNS}), min_size=1, max_size=12
)


@settings(max_examples=60, deadline=None)
@given(rows=rows_strategy)
def test_every_row_gets_exactly_one_channel(engine: Engine, rows: list[dict[str, str | None]]) -> None:
    names = {rule.name for rule in DEFAULT_CHANNEL_RULES} | {FALLBACK_CHANNEL}
    result = classified(engine, rows)
    assert len(result) == len(rows)
    for given_row, row in zip(rows, result, strict=True):
        # Blank is ASCII white space only (channels._BLANK, the same on DuckDB and Spark); Python's strip()
        # would also take the information separators \x1c-\x1f, which the rules keep as a label.
        source_channel = (given_row["channel"] or "").strip(" \t\n\r\f\x0b")
        if source_channel:
            assert row["channel"] == given_row["channel"]
        else:
            assert row["channel"] in names


def all_patterns() -> list[str]:
    return [pattern for rule in DEFAULT_CHANNEL_RULES for group in rule.match for pattern in group.values()]


def test_default_regexes_are_lower_case_and_portable() -> None:
    for pattern in all_patterns():
        re.compile(pattern)
        assert "(?" not in pattern, pattern
        assert not re.search(r"\\[1-9]", pattern), pattern
        assert pattern == pattern.lower(), pattern


def test_expression_compiles_for_pyspark() -> None:
    pytest.importorskip("pyspark")
    sql = ibis.to_sql(classify(as_table([page_view()])), dialect="pyspark")
    assert "RLIKE" in sql
    assert "REGEXP_EXTRACT" in sql
    # Ibis writes strip() as TRIM(' \\t\\n\\r\\v\\f' FROM x) for Spark, which also trims the letters v and f.
    assert "TRIM(" not in sql


def test_public_names_are_exact() -> None:
    assert sorted(channels.__all__) == sorted(
        [
            "ChannelRule",
            "DEFAULT_CHANNEL_RULES",
            "FALLBACK_CHANNEL",
            "rules_from_config",
            "with_acquisition",
            "campaign_tags",
            "channel_expr",
            "classify",
        ]
    )


# --- the documentation stays true --------------------------------------------------------------------


def test_docs_list_the_default_rules_in_order() -> None:
    text = DOCS.read_text(encoding="utf-8")
    table_names = re.findall(r"^\| (\d+) \| \*\*(.+?)\*\* \|", text, flags=re.MULTILINE)
    assert [(int(order), name) for order, name in table_names] == [
        (order, rule.name) for order, rule in enumerate(DEFAULT_CHANNEL_RULES, start=1)
    ]


def test_docs_toml_examples_are_valid_rules() -> None:
    examples = re.findall(r"```toml\n(.*?)```", DOCS.read_text(encoding="utf-8"), flags=re.DOTALL)
    assert examples
    for example in examples:
        rules = rules_from_config(tomllib.loads(example))
        assert rules


def _by_distinct(engine: Engine, rows: Sequence[dict[str, str | None]]) -> list[dict[str, Any]]:
    # An extra column classify never reads rides along; the row id restores the order the join loses.
    table = as_table(rows).mutate(row_id=ibis.row_number(), device_type=ibis.literal("mobile"))
    result = classify_distinct(table).order_by("row_id").drop("row_id", "device_type")
    found: list[dict[str, Any]] = engine.backend.to_pyarrow(result).to_pylist()
    return found


def test_the_default_rules_take_the_distinct_path() -> None:
    # The default rules match on referrer_host, which classify derives: that must not send builds down the
    # row-by-row path (it once did, unnoticed, since both paths give the same answer).
    table = as_table([{"referrer": "https://www.google.com/"}]).mutate(row_id=ibis.row_number())
    assert "_jejak_in_" in ibis.to_sql(classify_distinct(table), dialect="duckdb")


@settings(max_examples=40, deadline=None)
@given(rows=rows_strategy)
def test_classifying_distinct_fields_equals_classifying_every_row(
    engine: Engine, rows: list[dict[str, str | None]]
) -> None:
    doubled = rows + rows  # repeated combinations, NULLs included, must find their one classification
    assert _by_distinct(engine, doubled) == classified(engine, doubled)


def test_classifying_distinct_fields_agrees_on_every_default_rule_case(engine: Engine) -> None:
    rows = [case.values[0] for case in DEFAULT_RULE_CASES]
    assert [row["channel"] for row in _by_distinct(engine, rows)] == [case.values[1] for case in DEFAULT_RULE_CASES]
