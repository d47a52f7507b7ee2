"""Column mapping: input headers to the canonical event columns.

A mapping's target may be a property, `properties.NAME`: the column is kept in the properties under that name, as
what reads them wants it (a survey's `Seberapa puas Anda?` as `properties.score`, for the journey map's feelings).
A mapping's file side may join columns with `+`: `--map "Tanggal+Jam=timestamp"` reads a date column and a
time column (as point-of-sale and call-centre exports keep them) as one timestamp, their texts joined by a space.

Example:
    >>> parse_map_option("waktu=timestamp, pelanggan=user_id")
    {'waktu': 'timestamp', 'pelanggan': 'user_id'}
    >>> canonical_header(["Waktu", "utm_source", "rasa", "User ID"], {"waktu": "timestamp"})
    ['timestamp', 'source', 'rasa', 'user_id']
    >>> canonical_header(["Seberapa puas?", "Komentar"], {"seberapa puas?": "properties.score"})
    ['score', 'komentar']
    >>> split_joins(["Tanggal", "Jam", "No HP"], {"tanggal+jam": "timestamp", "No HP": "phone"})
    ({'No HP': 'phone'}, [JoinedColumn(name='tanggal+jam', target='timestamp', places=(0, 1))])
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from jejak.core.errors import SettingError
from jejak.core.vocabulary import CALL_EVENT, CHAT_EVENT, INPUT_COLUMNS, LEAD_EVENT, TICKET_EVENT
from jejak.ingest.event_names import check_event_names

# What a column name may hold between its words and still name a canonical column (`compact_name`).
_SEPARATORS = re.compile(r"[\s_\-.]+")
BUILTIN_ALIASES = {
    "messageid": "event_id",
    "message_id": "event_id",
    "userid": "user_id",
    "anonymousid": "anonymous_id",
    "previousid": "previous_id",
    "utm_source": "source",
    "utm_medium": "medium",
    "utm_campaign": "campaign",
    "utm_term": "term",
    "utm_content": "content",
    "url": "page_url",
    "path": "page_path",
    "title": "page_title",
    "useragent": "user_agent",
    "originaltimestamp": "original_timestamp",
    "sentat": "sent_at",
    "receivedat": "received_at",
    # As exports and people title them ("Email Address", "Phone Number", "Event Name").
    "emailaddress": "email",
    "phonenumber": "phone",
    "eventname": "event",
    # What was refunded of an order to date, as a shop's orders export gives it on the order's row: Shopify's
    # `Refunded Amount`, TikTok Shop's `Order Refund Amount` (`journeys.refunds` subtracts it).
    "refundedamount": "refunded_revenue",
    "orderrefundamount": "refunded_revenue",
}


PROPERTY_PREFIX = "properties."  # a mapping's or --set's target that is a property: `properties.score`


# Column names that likely hold a jejak column, as shops, marketplaces and CRMs title them in Indonesian and
# English. Never applied on their own: a file's `id` or `total` may mean something else. They are offered in the
# missing-column errors and by `jejak import --check`, for the user to confirm with --map (`suggested_map`).
LIKELY_NAMES = {
    "timestamp": (
        "waktu",
        "tanggal",
        "tgl",
        "jam",
        "waktupesanan",
        "waktupesanandibuat",
        "tanggalpesanan",
        "tanggalpembayaran",
        "tanggaltransaksi",
        "waktutransaksi",
        "date",
        "datetime",
        "time",
        "createdat",
        "created",
        # Meta's lead forms (`created_time`), form and survey tools (`Submitted at`, `Submission time`).
        "createdtime",
        "createddate",
        "submittedat",
        "submissiontime",
        "submitted",
        "stempelwaktu",  # Google Forms' `Timestamp` in Indonesian
        "waktudibuat",
        "orderdate",
        "ordertime",
        "eventtime",
        "occurredat",
        # A payment gateway's export (Midtrans, Xendit): when the payment was made.
        "transactiontime",
        "transactiondate",
        "paidat",
        "paymenttime",
        "waktupembayaran",
        # A call centre's log, a store's visitor book.
        "calldate",
        "calltime",
        "starttime",
        "startedat",  # Aircall's `started_at`
        "tanggalpanggilan",
        "waktupanggilan",
        "tanggalkunjungan",
        "waktukunjungan",
        "visitdate",
        "visittime",
        # A member list's signup day (a customer list is imported as identify calls, `is_customer_list`).
        "tanggaldaftar",
        "tgldaftar",
        "waktudaftar",
        "signupdate",
        "registeredat",
        "joindate",
    ),
    "user_id": (
        "pelanggan",
        "idpelanggan",
        "kodepelanggan",
        "pembeli",
        "idpembeli",
        "usernamepembeli",
        "username(pembeli)",  # Shopee's orders export, whose buyer's phone and e-mail are masked
        "buyerusername",  # TikTok Shop's orders export, whose buyer's phone is masked too
        "username",
        "namapengguna",
        "customer",
        "customerid",
        "clientid",
        "memberid",
        "idmember",
        "accountid",
    ),
    "phone": (
        "nohp",
        "nomorhp",
        "hp",
        "telepon",
        "notelepon",
        "nomortelepon",
        "notelp",
        "telp",
        "wa",
        "nowa",
        "whatsapp",
        "mobile",
        "telephone",
        "nomorhppembeli",
        "notelppembeli",
        "phonenumber",
        "customerphone",
        "nohppembeli",
        "callerid",
        "callernumber",
        "rawdigits",  # Aircall's caller (or callee) number
        "penelepon",
        "nomorpenelepon",
    ),
    "email": ("surel", "alamatemail", "emailpelanggan", "emailpembeli", "customeremail", "emailaddress"),
    "event": ("acara", "aktivitas", "kegiatan", "jenis", "jenisacara", "action", "activity", "eventtype"),
    "event_id": (
        "idpesanan",
        "nopesanan",
        "nomorpesanan",
        "nomorinvoice",
        "noinvoice",
        "invoice",
        "idtransaksi",
        "notransaksi",
        # A till's receipt (struk, nota): one sale each.
        "nostruk",
        "nomorstruk",
        "nonota",
        "nomornota",
        "receiptno",
        "receiptnumber",
        "orderid",
        "ordernumber",
        "transactionid",
    ),
    "revenue": (
        "total",
        "totalpembayaran",
        "totalharga",
        "totalbelanja",
        "pendapatan",
        "nilai",
        "nilaipesanan",
        "omzet",
        "amount",
        "totalamount",
        "totalprice",
        "grandtotal",
        "ordertotal",
        "value",
        "grossamount",
        "totalbayar",
        "totalpenjualan",
        # WooCommerce's order export, a till's and an accounting tool's sales (`Gross Sales` before `Net Sales` as a
        # file orders them: the suggestion is checked with --check).
        "ordertotalamount",
        "totalorder",
        "totalpesanan",
        "totaltagihan",
        "totaltransaksi",
        "nilaitransaksi",
        "hargatotal",
        "grosssales",
        "netsales",
        "totalsales",
        "totalcollected",
        "orderamount",  # TikTok Shop's orders export
        "paidprice",  # Lazada's, a product's (its import then offers --sum-revenue)
    ),
    "currency": ("matauang", "kodematauang", "currencycode"),
    # A survey's answers, as the feedback that the journey map reads wants them (`segments.feedback`).
    "properties.score": ("skor", "rating", "penilaian", "score", "skorkepuasan", "nps", "csat"),
    "properties.comment": (
        "komentar",
        "saran",
        "kritikdansaran",
        "masukan",
        "ulasan",
        "comment",
        "comments",
        "feedback",
        "review",
    ),
    # WooCommerce's orders list names its attribution `Origin` (`Source: Google`, `Direct`: read at import).
    "source": ("sumber", "toko", "platform", "marketplace", "origin"),
    "campaign": ("kampanye", "campaignname", "namakampanye"),
}
_LIKELY_BY_COMPACT = {name: column for column, names in LIKELY_NAMES.items() for name in names}
# A day without its time, and a time without its day: exports that keep them apart (a shop's till, a call log) are
# read by joining the two (`Tanggal+Jam=timestamp`).
DATE_NAMES = (
    "tanggal", "tgl", "date", "tanggalpesanan", "tanggaltransaksi", "tanggalpembayaran", "orderdate", "calldate",
    "tanggalpanggilan", "tanggalkunjungan", "visitdate",
)  # fmt: skip
TIME_OF_DAY_NAMES = ("jam", "pukul", "waktu", "time", "ordertime", "calltime", "jamkunjungan", "visittime")
JOIN_MARK = "+"


_BRACKETED = re.compile(r"\([^()]*\)")
# A phone's or an e-mail's column is named in many ways (`No. HP Pelanggan`, `Nomor WhatsApp Customer`, `E-mail
# Pembeli`): a name none of LIKELY_NAMES is, with one of these words, is offered for it. A word naming the shop's
# side (its cashier's, its courier's, the seller's own number) is no customer's, and one saying something about the
# address (Shopify's `Accepts Email Marketing`, a yes or no) is not the address: such names are offered nothing.
_CONTACT_WORDS = {
    "phone": frozenset(
        {"hp", "handphone", "ponsel", "telepon", "telp", "tlp", "phone", "whatsapp", "caller", "penelepon"}
    ),
    "email": frozenset({"email", "surel"}),
}
_NOT_THE_CUSTOMERS = frozenset(
    {"penjual", "seller", "toko", "shop", "store", "kasir", "cashier", "agent", "agen", "staff", "karyawan", "kurir",
     "courier", "driver", "pengirim", "sender", "merchant", "admin", "cs", "sales",
     "accepts", "consent", "marketing", "subscribed", "verified", "status", "opt", "optin", "jumlah", "count"}
)  # fmt: skip
_WORD = re.compile(r"e-mail|[0-9a-z]+")
# A survey's questions are columns named by the question itself (Google Forms, Typeform): `Seberapa besar kemungkinan
# Anda merekomendasikan kami? (0-10)`, `Apa alasan utama skor Anda?`. A header that asks (ends with `?`) or gives a
# scale is read for words: a scale, or a word for a rating without one for a reason, is the score; a word for a
# reason, the comment. Another question (`Di mana Anda biasanya membeli?`) is offered nothing.
_SCALE = re.compile(r"(?<![0-9])([01])\s*(?:-|–|—|sampai|hingga|s/d|to)\s*(5|10)(?![0-9])")
_SCORE_WORDS = frozenset(
    {"rekomendasikan", "merekomendasikan", "merekomendasi", "rekomendasi", "recommend", "puas", "kepuasan",
     "satisfied", "satisfaction", "rating", "rate", "skor", "score", "nilai", "bintang", "stars"}
)  # fmt: skip
_RECOMMEND_WORDS = frozenset({"rekomendasikan", "merekomendasikan", "merekomendasi", "rekomendasi", "recommend"})
_COMMENT_WORDS = frozenset(
    {"alasan", "reason", "why", "mengapa", "kenapa", "saran", "masukan", "komentar", "comment", "comments",
     "feedback", "kritik", "suggestion", "suggestions", "pendapat", "ceritakan", "improve", "perbaiki", "tingkatkan"}
)  # fmt: skip


@dataclass(frozen=True)
class ContactLog:
    """A kind of export whose every row is one contact of a customer with the shop (a call, a conversation, a
    ticket), told by a column named for it: the `--set` that names its rows, and what the advice calls it."""

    kind: str
    constants: str
    each_row: str
    words: frozenset[str]
    prefixes: tuple[str, ...] = ()

    def names(self, header: Sequence[str]) -> bool:
        return any(
            set(_WORD.findall(written.lower())) & self.words or compact_name(written).startswith(self.prefixes)
            for written in header
        )


# Such an export's status says answered or missed, resolved or open: not an order's fate, and no --event-names to
# follow. Checked in order, the first that a column names wins.
CONTACT_LOGS = (
    # A call centre's log (Aircall, 3CX, a PBX's report): an offline touch of the Call Centre channel.
    ContactLog(
        "call log",
        f"type=offline,event={CALL_EVENT}",
        "each row one call, a Call Centre touch of its caller",
        frozenset({"call", "calls", "caller", "callers", "panggilan", "penelepon", "menelepon"}),
        ("call", "panggilan"),
    ),
    # A help desk's tickets (Zendesk, Freshdesk): the Experience stage and the journey map's support lane read them.
    ContactLog(
        "help desk's export",
        f"event={TICKET_EVENT}",
        "each row one ticket",
        frozenset({"ticket", "tickets", "tiket", "requester", "assignee", "pemohon"}),
    ),
    # A chat tool's conversations (Qontak, SleekFlow, a live chat's export).
    ContactLog(
        "chat tool's export",
        f"event={CHAT_EVENT}",
        "each row one conversation",
        frozenset({"chat", "chats", "livechat", "conversation", "conversations", "percakapan", "obrolan", "room"}),
    ),
    # A lead form's export (Meta's lead ads: `form_name`, `lead_status`, `is_organic`; a CRM's leads): each row someone
    # who asked to hear more. Its status (CREATED, contacted) is the follow-up's, no order's. Last: a call log or a
    # chat tool's export that names a lead (`Lead ID`) is that. A Meta download without a `lead_status` column is
    # still told by its `is_organic`, which no other export has.
    ContactLog(
        "lead form's export",
        f"event={LEAD_EVENT}",
        "each row one lead, in the Consideration stage; a lead from an ad, is_organic false, is Paid Social",
        frozenset({"lead", "leads", "prospek"}),
        ("isorganic",),
    ),
)
# In such an export the tool's `user` is the staff member who took the contact (Aircall's `user_name`), so a name for
# the tool's user is not offered as the customer's user_id: every customer an agent spoke to would be one person.
_TOOL_USER_NAMES = frozenset({"user", "username", "userid", "namapengguna", "pengguna"})


# A customer or member list (Shopify's customers export, a loyalty program's members): one row per customer, with
# what they did over their whole life as a count of orders. Its total spent is no order's revenue: imported as
# orders, every customer would be one order of all they ever spent, on the day they signed up. Such a file is read as
# identify calls, which join each customer's id, e-mail and phone into one person.
_ORDER_COUNT_NAMES = frozenset(
    {"totalorders", "orderscount", "ordercount", "numberoforders", "jumlahtransaksi", "jumlahpesanan", "jumlahorder",
     "totalpesananselesai", "frekuensibelanja", "frekuensitransaksi", "lifetimeorders", "jumlahpembelian"}
)  # fmt: skip


# What an ad platform's report titles its cost, besides `cost` itself (Meta's `Amount spent`, Google Ads' API's
# `metrics.cost_micros`, in English and Indonesian): the spend import reads each as the `spend` column, and a report of
# totals with one is ad spend (`jejak spend import`).
AD_COST_NAMES = frozenset({"amountspent", "biaya", "jumlahyangdibelanjakan", "costmicros", "metricscostmicros"})
_COST_NAMES = AD_COST_NAMES | {"cost"}

# A report of totals (GA4's or Matomo's report download, an ad platform's campaign report): each row counts what
# happened under a channel, a page or a day. No mapping makes its rows events: jejak needs one row per event, with its
# time and its person. The names as GA4 (in English and Indonesian), Matomo and the ad platforms title the columns.
_TOTAL_NAMES = _COST_NAMES | frozenset(
    {"sessions", "engagedsessions", "engagementrate", "averageengagementtimepersession", "averageengagementtime",
     "eventspersession", "eventcount", "keyevents", "sessionkeyeventrate", "userkeyeventrate", "totalrevenue",
     "purchaserevenue", "totalusers", "newusers", "activeusers", "returningusers", "users", "views", "viewsperuser",
     "viewspersession", "bouncerate", "conversions", "transactions", "ecommercepurchases", "pageviews",
     "uniquepageviews", "avgsessionduration", "sesi", "sesiengaged", "sesidenganinteraksi", "rasioengagement",
     "rasiointeraksi", "jumlahperistiwa", "peristiwautama", "totalpendapatan", "totalpengguna", "penggunabaru",
     "penggunaaktif", "tampilan", "rasiopentalan", "nbvisits", "nbuniqvisitors", "nbactions", "visits",
     "uniquevisitors", "impressions", "impr", "clicks", "ctr", "avgcpc", "reach", "tayangan", "klik", "jangkauan"}
)  # fmt: skip
_CURRENCY_IN_BRACKETS = re.compile(r"\s*\([A-Za-z]{3}\)$")


def _total_name(written: str) -> str:
    """A column's name as `_TOTAL_NAMES` holds it: compact, without a currency in brackets (`Cost (IDR)`)."""
    return compact_name(_CURRENCY_IN_BRACKETS.sub("", written))


def totals_columns(header: Sequence[str]) -> list[str]:
    """The columns of a report of totals (`Sessions`, `Event count`, `Cost`), as written, when two or more of the
    header's are such totals; else none. One alone (an orders export's `Views`) says nothing."""
    found = [written for written in header if _total_name(written) in _TOTAL_NAMES]
    return found if len(found) >= 2 else []


def is_cost_report(totals: Sequence[str]) -> bool:
    """True when a report's columns of totals (`totals_columns`) have one of cost: an ad platform's, whose rows are ad
    spend."""
    return any(_total_name(written) in _COST_NAMES for written in totals)


def is_customer_list(header: Sequence[str]) -> bool:
    """True when a column counts each row's orders (`Total Orders`, `Jumlah Transaksi`): a list of customers."""
    return any(compact_name(written) in _ORDER_COUNT_NAMES for written in header)


def contact_log(header: Sequence[str]) -> ContactLog | None:
    """The kind of contact a file's columns name (`Call Time`, `Ticket ID`, `Room ID`), or None."""
    return next((log for log in CONTACT_LOGS if log.names(header)), None)


def _survey_column(written: str) -> str | None:
    """`properties.score` or `properties.comment` for a column named by a survey's question, else None."""
    text = written.strip().lower()
    scale = _SCALE.search(text)
    if not scale and not text.endswith("?"):
        return None
    words = set(_WORD.findall(text))
    if scale or (words & _SCORE_WORDS and not words & _COMMENT_WORDS):
        return "properties.score"
    return "properties.comment" if words & _COMMENT_WORDS else None


def survey_kind(
    header: Sequence[str], read_as: Sequence[str], suggested: Mapping[str, str] | None = None
) -> str | None:
    """`nps` or `csat` when a column is read as a survey's score (`properties.score`, mapped or offered by
    `suggested_map`, whose result a caller that has it gives) and its name says which: a 0–10 scale or a question
    of recommending is NPS, a 1–5 scale or another rating CSAT; None when no column is a score, or its name does not
    say (a bare `Skor`)."""
    if suggested is None:
        suggested = suggested_map(header, read_as)
    for written, name in zip(header, read_as, strict=True):
        if name != "properties.score" and suggested.get(written.strip()) != "properties.score":
            continue
        text = written.lower()
        scale = _SCALE.search(text)
        if (scale and scale.group(2) == "10") or set(_WORD.findall(text)) & _RECOMMEND_WORDS:
            return "nps"
        if scale or _survey_column(written) == "properties.score":
            return "csat"
    return None


def _contact_column(written: str) -> str | None:
    """`phone` or `email` when a column's name has a word for one and none for the shop's side, else None."""
    words = {word.replace("-", "") for word in _WORD.findall(written.lower())}
    if words & _NOT_THE_CUSTOMERS:
        return None
    return next((column for column, named in _CONTACT_WORDS.items() if words & named), None)


def suggested_map(header: Sequence[str], read_as: Sequence[str]) -> dict[str, str]:
    """For each file column read into properties (`read_as` is its name after mapping, or `properties`) that likely
    holds a jejak column the file does not have yet, that column: `{"waktu": "timestamp", "no_hp": "phone"}` (the
    first such column wins). A date column and a time column give the timestamp together: `{"Tanggal+Jam": …}`."""
    taken = set(read_as)
    suggested: dict[str, str] = {}
    unmapped = [
        written.strip()
        for written, name in zip(header, read_as, strict=True)
        # As a check's summary names them; a column mapped to a property on purpose is not offered again.
        if name == "properties" or (name not in INPUT_COLUMNS and not name.startswith(PROPERTY_PREFIX))
    ]
    if contact_log(header):
        unmapped = [written for written in unmapped if compact_name(written) not in _TOOL_USER_NAMES]
    day = next((written for written in unmapped if compact_name(written) in DATE_NAMES), None)
    hour = next((written for written in unmapped if compact_name(written) in TIME_OF_DAY_NAMES), None)
    if day and hour and "timestamp" not in taken:
        suggested[f"{day}{JOIN_MARK}{hour}"] = "timestamp"
    for written in unmapped:
        # A unit or a party in brackets names no other column: `Total Penjualan (IDR)` is a `Total Penjualan`.
        column = (
            _LIKELY_BY_COMPACT.get(compact_name(written))
            or _LIKELY_BY_COMPACT.get(compact_name(_BRACKETED.sub(" ", written)))
            or _contact_column(written)
            or _survey_column(written)
        )
        if column and column not in taken and column not in suggested.values():
            suggested[written] = column
    if is_customer_list(header):
        # Its totals are a customer's whole life, no one order's: none is offered as the revenue.
        return {written: column for written, column in suggested.items() if column != "revenue"}
    return suggested


@dataclass(frozen=True)
class JoinedColumn:
    """A mapping's `A+B=target`: the file columns at `places` (in order), their texts joined into `target`."""

    name: str
    target: str
    places: tuple[int, ...]


def split_joins(header: Sequence[str], mapping: Mapping[str, str]) -> tuple[dict[str, str], list[JoinedColumn]]:
    """The mapping without its joined keys (`Tanggal+Jam`), and each of those as the places of its columns in
    `header` (matched without case, as every mapped name is). A key that is a column's own name (one with a `+` in
    it) is that column. A joined key none of whose columns the file has is left out, as a mapped name the file
    lacks is; one the file has only some of is an error that names what is missing."""
    lowered = [name.strip().lower() for name in header]
    plain: dict[str, str] = {}
    joins: list[JoinedColumn] = []
    for key, target in mapping.items():
        parts = [part.strip().lower() for part in key.split(JOIN_MARK)]
        if key.strip().lower() in lowered or len(parts) < 2:
            plain[key] = target
            continue
        missing = [part for part in parts if part not in lowered]
        if len(missing) == len(parts):
            continue
        if missing or not all(parts):
            raise SettingError(
                f"Column mapping {key}={target} joins columns the file does not have: "
                f"{', '.join(repr(part) for part in missing) or 'an empty name'} (columns: {', '.join(header)}). "
                "Name each column as the header writes it, joined by '+', e.g. Tanggal+Jam=timestamp."
            )
        joins.append(JoinedColumn(key, target.strip().lower(), tuple(lowered.index(part) for part in parts)))
    return plain, joins


def names_not_in(columns: Sequence[str], mapping: Mapping[str, str]) -> list[str]:
    """The mapping's file-side names that none of `columns` is (without case): a typo in `--map`, or a mapping meant
    for another file. A joined name (`Tanggal+Jam`) is there when the file read it as one column."""
    written = {column.strip().lower() for column in columns}
    return [source for source in mapping if source.strip().lower() not in written]


def map_option_text(mapping: Mapping[str, str]) -> str:
    """A mapping as the --map option takes it, to paste into a shell: `--map "waktu=timestamp,no_hp=phone"`
    (`pairs_option_text`).

    Example:
        >>> print(map_option_text({"Waktu": "timestamp", "Puas, atau tidak?": "properties.score"}))
        --map 'Waktu=timestamp,"Puas, atau tidak?"=properties.score'
    """
    return pairs_option_text("--map", mapping)


def pairs_option_text(option: str, pairs: Mapping[str, str]) -> str:
    """An option of `name=value` pairs (`--map`, `--set`, `--event-names`) as a shell takes it, which `_pairs` reads
    back as `pairs`: a name or value with a comma or `=` in it (a survey's question: `Secara keseluruhan, seberapa
    puas Anda?`) in double quotes, and the whole in the shell's double quotes, or its single quotes when it holds
    a quote or a character a shell reads in double quotes."""
    text = ",".join(f"{_quoted_name(name)}={_quoted_name(value)}" for name, value in pairs.items())
    if any(character in text for character in "\"$`\\!'"):
        return f"{option} {shlex.quote(text)}"
    return f'{option} "{text}"'


def _quoted_name(name: str) -> str:
    return f'"{name}"' if "," in name or "=" in name else name


def parse_map_option(text: str, allowed: Sequence[str] = INPUT_COLUMNS) -> dict[str, str]:
    """Parse `--map "from=to,from2=to2"` into a mapping to `allowed` columns; say which pair is wrong."""
    pairs: list[tuple[str, str]] = []
    for pair, source, target in _pairs(text):
        if "=" not in pair:
            raise SettingError(
                f"--map pair {pair!r} has no '='. Write pairs as file_column=jejak_column, e.g. waktu=timestamp."
            )
        if not source or not target:
            raise SettingError(f"--map pair {pair!r} is missing a name on one side of '='.")
        pairs.append((source, target))
    check_named_once([source for source, _ in pairs], "--map")
    mapping = dict(pairs)
    check_mapping(mapping, allowed)
    return mapping


def check_named_once(columns: Sequence[str], option: str) -> None:
    """No file column named twice by a mapping (`--map`, a profile's `map`), trimmed and without case, as a header's
    names are matched."""
    seen: set[str] = set()
    for column in columns:
        if column.strip().lower() in seen:
            raise SettingError(
                f"{option} names the column {column!r} twice (case does not count); give each file column one jejak "
                "column."
            )
        seen.add(column.strip().lower())


# What no two rows share: one value on every row would make one person (ids, e-mail, phone) or one event of them all.
NOT_SETTABLE = ("event_id", "user_id", "anonymous_id", "previous_id", "email", "phone")


def check_constants(constants: Mapping[str, str]) -> None:
    """`--set` values must go to jejak columns, and not to one that tells rows or people apart (NOT_SETTABLE), or to
    a property (`properties.survey=csat`)."""
    for column in constants:
        named = property_name(column)
        if named is not None:
            check_property_name(named, f"--set {column}")
            continue
        if column not in INPUT_COLUMNS:
            raise SettingError(
                f"--set: '{column}' is not a jejak column. Allowed: {', '.join(INPUT_COLUMNS)}, or a property, "
                "properties.NAME."
            )
        if column in NOT_SETTABLE:
            raise SettingError(
                f"--set: '{column}' cannot be one value on every row: it would make every row the same "
                f"{'event' if column == 'event_id' else 'person'}. Map a column of the file to it with --map instead."
            )


def parse_set_option(text: str) -> dict[str, str]:
    """Parse `--set "event=Order Completed,channel=Marketplace"`: a value for a jejak column the file lacks, on
    every row. Say which pair is wrong.

    Example:
        >>> parse_set_option("Event=Order Completed, touchpoint=tokopedia")
        {'event': 'Order Completed', 'touchpoint': 'tokopedia'}
    """
    values = parse_pairs(text, "--set")
    check_constants(values)
    return values


def parse_event_names_option(text: str) -> dict[str, str]:
    """Parse `--event-names "Selesai=Order Completed,Batal=Order Cancelled"`: each status (as the file writes it,
    matched without case) with the event name it is given (`event_names.EventRenames`).

    Example:
        >>> parse_event_names_option('Selesai=Order Completed, "Batal, oleh pembeli"=Order Cancelled')
        {'Selesai': 'Order Completed', 'Batal, oleh pembeli': 'Order Cancelled'}
    """
    names: dict[str, str] = {}
    for pair, written, name in _pairs(text):
        if not written or not name:
            raise SettingError(
                f"--event-names pair {pair!r} needs a status and an event name, e.g. Selesai=Order Completed."
            )
        names[written] = name
    check_event_names(names)
    return names


def parse_pairs(text: str, option: str) -> dict[str, str]:
    """`column=value` pairs separated by commas, columns lower-cased; says which pair is wrong."""
    values: dict[str, str] = {}
    for pair, column, value in _pairs(text):
        if not column or not value:
            raise SettingError(f"{option} pair {pair!r} needs a column and a value, e.g. channel=Paid Search.")
        values[column.lower()] = value
    return values


def _pairs(text: str) -> Iterator[tuple[str, str, str]]:
    """Each comma-separated `left=right` pair of an option that is not empty: (pair, left, right), stripped (right
    is empty when the pair has no '='). A name or value in double quotes may hold commas and '=' (`campaign="Promo,
    11.11"`, `"Harga (Rp, incl. PPN)"=revenue`); the quotes go.

    Example:
        >>> [(left, right) for _, left, right in _pairs('campaign="Promo, 11.11", "a=b"=c, plain = x')]
        [('campaign', 'Promo, 11.11'), ('a=b', 'c'), ('plain', 'x')]
    """
    for piece in _split_outside_quotes(text, ","):
        pair = piece.strip()
        if pair:
            left, *right = _split_outside_quotes(pair, "=", most=1)
            yield pair, _unquoted(left), _unquoted(right[0]) if right else ""


def _split_outside_quotes(text: str, separator: str, most: int = -1) -> list[str]:
    """`text` cut at each `separator` outside double quotes (at most `most` cuts; -1: every one), quotes kept."""
    pieces, start, quoted = [], 0, False
    for index, character in enumerate(text):
        if character == '"':
            quoted = not quoted
        elif character == separator and not quoted and most != 0:
            pieces.append(text[start:index])
            start, most = index + 1, most - 1
    if quoted:
        raise SettingError(f"A double quote in {text!r} is never closed: put quotes around a whole name or value.")
    pieces.append(text[start:])
    return pieces


def _unquoted(piece: str) -> str:
    return piece.replace('"', "").strip()


# Names a property may not take: each would be read as the jejak column, or is the importer's own.
_NOT_PROPERTY_NAMES = frozenset([*INPUT_COLUMNS, "_line", "_raw", "properties"])


def property_name(target: str) -> str | None:
    """The property a `properties.NAME` target names (lower-cased, as every column kept in properties is), or None
    for a target that is no property."""
    lowered = target.strip().lower()
    return lowered.removeprefix(PROPERTY_PREFIX).strip() if lowered.startswith(PROPERTY_PREFIX) else None


def check_mapping(mapping: Mapping[str, str], allowed: Sequence[str] = INPUT_COLUMNS) -> None:
    """Every mapping target must be one of the `allowed` columns (by default the canonical input columns), or, for
    events, a property (`properties.NAME`) that is no jejak column's name."""
    events = tuple(allowed) == INPUT_COLUMNS  # an ad spend file has no properties
    for source, target in mapping.items():
        named = property_name(target) if events else None
        if named is not None:
            check_property_name(named, f"Column mapping {source}={target}")
        elif target.lower() not in allowed:
            raise SettingError(
                f"Column mapping {source}={target}: '{target}' is not a jejak column. "
                f"Allowed targets: {', '.join(allowed)}{', or a property, properties.NAME' if events else ''}."
            )


def check_property_name(name: str, where: str) -> None:
    """A property name that is not empty and not one read as a jejak column."""
    if not name or name in _NOT_PROPERTY_NAMES:
        raise SettingError(
            f"{where}: {f'{name!r} is a jejak column, not a property name' if name else 'the property has no name'}. "
            f"Map to the column itself ({name or 'e.g. revenue'}), or name the property otherwise."
        )


def compact_name(name: str) -> str:
    """A column name without case, spaces, underscores, hyphens or dots: `User ID`, `user_id` and `userId` alike."""
    return _SEPARATORS.sub("", name.strip().lower())


# A name's compact form → the canonical column it names: every canonical column, then the aliases.
_BY_COMPACT = {compact_name(name): name for name in INPUT_COLUMNS} | {
    compact_name(alias): name for alias, name in BUILTIN_ALIASES.items()
}


def canonical_header(header: Sequence[str], mapping: Mapping[str, str]) -> list[str]:
    """The canonical name of each input column (unknown columns keep their own name and go to `properties`).

    The mapping is matched on the name as written (without case); then the built-in names and aliases are matched
    also without spaces, underscores, hyphens and dots, so `User ID`, `E-mail` and `Page Path` are read as
    `user_id`, `email` and `page_path`.
    """
    lowered = {k.strip().lower(): property_name(v) or v.strip().lower() for k, v in mapping.items()}
    names = []
    for raw in header:
        name = raw.strip().lower()
        names.append(lowered.get(name) or BUILTIN_ALIASES.get(name) or _BY_COMPACT.get(compact_name(name)) or name)
    return names
