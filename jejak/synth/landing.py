"""How each channel brings a visitor to the web shop: landing page, referrer and campaign tags.

The fields follow GA4's default channel group, with jejak's Indonesian channels
(WhatsApp, Marketplace, Print / QR) recognised before Referral:

| channel        | landing event carries                                                         |
|----------------|-------------------------------------------------------------------------------|
| Organic Search | referrer https://www.google.com/, no utm                                      |
| Paid Search    | referrer google and `gclid=` in the url, or utm_source=google&utm_medium=cpc |
| Paid Social    | utm_source=instagram&utm_medium=paid_social, referrer l.instagram.com        |
| Organic Social | referrer https://l.instagram.com/, no utm                                    |
| Email          | utm_source=newsletter&utm_medium=email, no referrer                          |
| WhatsApp       | referrer https://wa.me/, no utm                                              |
| Marketplace    | referrer tokopedia.com or shopee.co.id, no utm                               |
| Print / QR     | utm_source=brochure&utm_medium=qr, no referrer                               |
| Referral       | referrer of a coffee blog, no utm                                            |
| Direct         | no referrer, no utm                                                           |
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from jejak.synth.catalogue import FLASH_SALE_PAGE, PAGE_INDEX, PAGES
from jejak.synth.chain import CHANNEL_INDEX, CHANNELS, sample_rows

IntArray = npt.NDArray[np.int64]

REFERRERS: tuple[str, ...] = (
    "https://www.google.com/",
    "https://l.instagram.com/",
    "https://wa.me/",
    "https://www.tokopedia.com/kopijejak",
    "https://shopee.co.id/kopijejak",
    "https://ngopidirumah.com/review/kopi-jejak",
    "https://catatankopi.id/2026/01/roastery-lokal-favorit",
)
GOOGLE, INSTAGRAM, WHATSAPP, TOKOPEDIA, SHOPEE, BLOG_A, BLOG_B = range(len(REFERRERS))

# (utm_source, utm_medium, utm_campaign)
CAMPAIGNS: tuple[tuple[str, str, str], ...] = (
    ("google", "cpc", "kopi-arabika"),
    ("instagram", "paid_social", "ramadan-2026"),
    ("instagram", "paid_social", "flash-sale"),
    ("newsletter", "email", "newsletter-mingguan"),
    ("newsletter", "email", "survei-nps"),
    ("brochure", "qr", "brosur-kemang"),
    ("brochure", "qr", "brosur-braga"),
)
GOOGLE_CPC, INSTAGRAM_RAMADAN, INSTAGRAM_FLASH, NEWSLETTER, NEWSLETTER_NPS, BROCHURE_KEMANG, BROCHURE_BRAGA = range(
    len(CAMPAIGNS)
)
# What an ad's link adds, by the page it lands on: a search ad's keyword (utm_term) and which of a social campaign's
# ads it was (utm_content) follow the product the ad shows. Every other landing of a campaign carries neither.
AD_DETAILS: dict[int, dict[str, str]] = {
    GOOGLE_CPC: {
        "/produk": "utm_term=kopi+arabika",
        "/produk/kopi-gayo-wine": "utm_term=kopi+gayo",
        "/promo/flash-sale": "utm_term=promo+kopi",
    },
    INSTAGRAM_RAMADAN: {"/produk/kopi-gayo-wine": "utm_content=carousel-gayo", "/": "utm_content=story-ramadan"},
    INSTAGRAM_FLASH: {"/promo/flash-sale": "utm_content=reels-flash-sale"},
}


def _campaign_query(campaign: int, page: int) -> str:
    source, medium, name = CAMPAIGNS[campaign]
    detail = AD_DETAILS.get(campaign, {}).get(PAGES[page].path)
    return f"?utm_source={source}&utm_medium={medium}&utm_campaign={name}" + (f"&{detail}" if detail else "")


# The query of each campaign's landing on each page, at campaign × len(PAGES) + page (`campaign_query_codes`).
CAMPAIGN_QUERIES: tuple[str, ...] = tuple(
    _campaign_query(campaign, page) for campaign in range(len(CAMPAIGNS)) for page in range(len(PAGES))
)


def campaign_query_codes(campaign: IntArray, page: IntArray) -> IntArray:
    """Each tagged landing's place in CAMPAIGN_QUERIES."""
    codes: IntArray = campaign * len(PAGES) + page
    return codes


PAID_SEARCH_GCLID_SHARE = 0.6  # the rest of Paid Search landings carry utm_source=google&utm_medium=cpc

# Landing pages per channel, as relative weights.
_LANDINGS: dict[str, dict[str, float]] = {
    "Organic Search": {"/blog/cara-seduh-v60": 3, "/produk/kopi-gayo-wine": 2, "/": 2, "/grosir": 1, "/promo/flash-sale": 2},
    "Paid Search": {"/produk": 3, "/produk/kopi-gayo-wine": 2, "/promo/flash-sale": 2},
    "Paid Social": {"/promo/flash-sale": 5, "/produk/kopi-gayo-wine": 2, "/": 1},
    "Organic Social": {"/": 2, "/blog/cara-seduh-v60": 1, "/promo/flash-sale": 2, "/produk/drip-bag": 1},
    "Email": {"/langganan": 2, "/produk": 1, "/promo/flash-sale": 2},
    "WhatsApp": {"/produk": 2, "/grosir": 2},
    "Marketplace": {"/": 2, "/tentang-kami": 1, "/produk": 1, "/promo/flash-sale": 1},
    "Offline Store": {"/": 1},
    "Call Centre": {"/": 1},
    "Print / QR": {"/brosur": 4, "/hampers": 1},
    "Referral": {"/produk/toraja-sapan": 1, "/": 1, "/tentang-kami": 1, "/promo/flash-sale": 1},
    "Direct": {"/": 4, "/langganan": 1, "/produk": 1, "/promo/flash-sale": 1},
}  # fmt: skip
_REFERRER_BY_CHANNEL = {
    "Organic Search": GOOGLE,
    "Paid Search": GOOGLE,
    "Paid Social": INSTAGRAM,
    "Organic Social": INSTAGRAM,
    "WhatsApp": WHATSAPP,
}


def _landing_cumulative() -> npt.NDArray[np.float64]:
    weights = np.zeros((len(CHANNELS), len(PAGES)))
    for channel, pages in _LANDINGS.items():
        for path, weight in pages.items():
            weights[CHANNEL_INDEX[channel], PAGE_INDEX[path]] = weight
    return np.cumsum(weights / weights.sum(axis=1, keepdims=True), axis=1)


_LANDING_CUMULATIVE = _landing_cumulative()


def landing_pages(rng: np.random.Generator, channel: IntArray) -> IntArray:
    """A landing page per web touch, drawn from its channel's landing pages."""
    return sample_rows(_LANDING_CUMULATIVE[channel], rng.random(channel.size))


def referrers(rng: np.random.Generator, channel: IntArray, marketplace: IntArray) -> IntArray:
    """The referrer code of each web touch's landing event (-1 for none)."""
    code = np.full(channel.size, -1, dtype=np.int64)
    for name, referrer in _REFERRER_BY_CHANNEL.items():
        code[channel == CHANNEL_INDEX[name]] = referrer
    on_marketplace = channel == CHANNEL_INDEX["Marketplace"]
    code[on_marketplace] = np.where(marketplace[on_marketplace] == 0, TOKOPEDIA, SHOPEE)
    on_blog = channel == CHANNEL_INDEX["Referral"]
    code[on_blog] = np.where(rng.random(int(on_blog.sum())) < 0.5, BLOG_A, BLOG_B)
    return code


def campaigns(
    rng: np.random.Generator,
    channel: IntArray,
    landing_page: IntArray,
    home_store: IntArray,
    nps: npt.NDArray[np.bool_],
) -> tuple[IntArray, npt.NDArray[np.bool_]]:
    """The utm campaign code of each web touch (-1 for none) and whether its url carries a gclid instead."""
    code = np.full(channel.size, -1, dtype=np.int64)
    gclid = np.zeros(channel.size, dtype=bool)
    paid_search = channel == CHANNEL_INDEX["Paid Search"]
    gclid[paid_search] = rng.random(int(paid_search.sum())) < PAID_SEARCH_GCLID_SHARE
    code[paid_search & ~gclid] = GOOGLE_CPC
    paid_social = channel == CHANNEL_INDEX["Paid Social"]
    code[paid_social] = np.where(landing_page[paid_social] == FLASH_SALE_PAGE, INSTAGRAM_FLASH, INSTAGRAM_RAMADAN)
    email = channel == CHANNEL_INDEX["Email"]
    code[email] = np.where(nps[email], NEWSLETTER_NPS, NEWSLETTER)
    brochure = channel == CHANNEL_INDEX["Print / QR"]
    code[brochure] = np.where(home_store[brochure] == 0, BROCHURE_KEMANG, BROCHURE_BRAGA)
    return code, gclid
