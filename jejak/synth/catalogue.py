"""The catalogue of Kopi Jejak: products, web pages, stores, support topics and survey comments.

Everything here is fixed text that the renderers pick by index, so it is checked
once (no quotes or backslashes) and never escaped per row.
"""

from __future__ import annotations

from dataclasses import dataclass

SITE = "https://kopijejak.id"
SHOP_PHONE = "021-555-0100"  # the shop's own number, typed by cashiers for members who do not give theirs
SHOP_PHONE_NORMALISED = "+62215550100"
CURRENCY = "IDR"


@dataclass(frozen=True)
class Product:
    """One article of the catalogue; prices in IDR."""

    product_id: str
    name: str
    category: str
    price_idr: int


PRODUCTS: tuple[Product, ...] = (
    Product("KJ-SO-GAYO", "Kopi Gayo Wine 200 g", "single_origin", 120_000),
    Product("KJ-SO-TORAJA", "Toraja Sapan 200 g", "single_origin", 115_000),
    Product("KJ-SO-KINTAMANI", "Kintamani Bali 200 g", "single_origin", 98_000),
    Product("KJ-SO-BAJAWA", "Flores Bajawa 200 g", "single_origin", 105_000),
    Product("KJ-BL-PAGI", "Blend Pagi 250 g", "blend", 85_000),
    Product("KJ-BL-SENJA", "Blend Senja 250 g", "blend", 90_000),
    Product("KJ-DB-10", "Drip Bag isi 10", "drip_bag", 65_000),
    Product("KJ-DB-20", "Drip Bag isi 20", "drip_bag", 120_000),
    Product("KJ-WS-HOUSE-1KG", "House Blend 1 kg (grosir)", "wholesale", 260_000),
    Product("KJ-WS-ESPRESSO-1KG", "Espresso Blend 1 kg (grosir)", "wholesale", 290_000),
    Product("KJ-GS-LEBARAN", "Hampers Lebaran", "gift_set", 385_000),
    Product("KJ-GS-DUO", "Gift Set Duo", "gift_set", 245_000),
    Product("KJ-SUB-BULANAN", "Langganan Bulanan 2 x 250 g", "subscription", 210_000),
    Product("KJ-EQ-V60", "Dripper V60", "equipment", 150_000),
)
CATEGORIES: tuple[str, ...] = tuple(dict.fromkeys(p.category for p in PRODUCTS))


@dataclass(frozen=True)
class Page:
    """A page of the web shop (the app shows the same content as screens)."""

    path: str
    title: str
    name: str


PAGES: tuple[Page, ...] = (
    Page("/", "Kopi Jejak - Kopi Nusantara Sangrai Segar", "Beranda"),
    Page("/promo/flash-sale", "Flash Sale Kopi Jejak", "Flash Sale"),
    Page("/produk", "Semua Produk", "Produk"),
    Page("/produk/kopi-gayo-wine", "Kopi Gayo Wine", "Detail Produk"),
    Page("/produk/toraja-sapan", "Toraja Sapan", "Detail Produk"),
    Page("/produk/drip-bag", "Drip Bag", "Detail Produk"),
    Page("/blog/cara-seduh-v60", "Cara Seduh V60 di Rumah", "Blog"),
    Page("/langganan", "Langganan Kopi Bulanan", "Langganan"),
    Page("/grosir", "Harga Grosir untuk Kafe", "Grosir"),
    Page("/hampers", "Hampers dan Gift Set", "Hampers"),
    Page("/brosur", "Selamat Datang dari Brosur Kami", "Brosur"),
    Page("/tentang-kami", "Tentang Kopi Jejak", "Tentang Kami"),
    Page("/keranjang", "Keranjang Belanja", "Keranjang"),
    Page("/checkout", "Checkout", "Checkout"),
    Page("/checkout/selesai", "Terima Kasih atas Pesanan Anda", "Pesanan Selesai"),
    Page("/survei/nps", "Survei Kepuasan", "Survei"),
    Page("/survei/terima-kasih", "Terima Kasih", "Survei Selesai"),
)
PAGE_INDEX = {page.path: i for i, page in enumerate(PAGES)}
FLASH_SALE_PAGE = PAGE_INDEX["/promo/flash-sale"]
NPS_PAGE = PAGE_INDEX["/survei/nps"]
NPS_THANKS_PAGE = PAGE_INDEX["/survei/terima-kasih"]
CART_PAGE = PAGE_INDEX["/keranjang"]
CHECKOUT_PAGE = PAGE_INDEX["/checkout"]
ORDER_DONE_PAGE = PAGE_INDEX["/checkout/selesai"]
# Pages a visitor wanders through after landing (never the funnel or survey pages).
BROWSE_PAGES: tuple[int, ...] = tuple(
    PAGE_INDEX[p]
    for p in ("/", "/produk", "/produk/kopi-gayo-wine", "/produk/toraja-sapan", "/produk/drip-bag", "/tentang-kami")
)
# The product page a category's products are shown on.
CATEGORY_PAGE = {
    "single_origin": PAGE_INDEX["/produk/kopi-gayo-wine"],
    "blend": PAGE_INDEX["/produk/toraja-sapan"],
    "drip_bag": PAGE_INDEX["/produk/drip-bag"],
    "wholesale": PAGE_INDEX["/grosir"],
    "gift_set": PAGE_INDEX["/hampers"],
    "subscription": PAGE_INDEX["/langganan"],
    "equipment": PAGE_INDEX["/produk"],
}

STORES: tuple[str, ...] = ("Kemang", "Braga")
MARKETPLACES: tuple[str, ...] = ("tokopedia", "shopee")
PAYMENT_METHODS: tuple[str, ...] = ("gopay", "ovo", "bank_transfer", "kartu_kredit", "cod")
AGENTS: tuple[str, ...] = ("Sari", "Dimas", "Ayu", "Rizky")
# The last WhatsApp topic is the one of chats that end in an order; support chats use the others.
WHATSAPP_TOPICS: tuple[str, ...] = (
    "tanya_stok",
    "status_pengiriman",
    "cara_seduh",
    "harga_grosir",
    "komplain_kemasan",
    "pemesanan",
)
ORDER_CHAT_TOPIC = len(WHATSAPP_TOPICS) - 1
CALL_TOPICS: tuple[str, ...] = ("status_pengiriman", "retur_produk", "pesanan_grosir", "komplain_rasa", "info_toko")

# Survey comments by sentiment band (0 = unhappy, 1 = neutral, 2 = happy) and language.
COMMENTS: dict[tuple[int, str], tuple[str, ...]] = {
    (0, "id"): ("Pengiriman lambat sekali", "Kemasannya polos, kurang menarik", "Khawatir soal keamanan pembayaran"),
    (0, "en"): ("Delivery was very slow", "Plain packaging, not great as a gift", "Worried about payment safety"),
    (1, "id"): ("Rasanya oke, harga agak mahal", "Lumayan, pengiriman bisa lebih cepat"),
    (1, "en"): ("Taste is fine, a bit pricey", "Decent, delivery could be faster"),
    (2, "id"): ("Kopinya enak, aromanya wangi", "Pengiriman cepat, pasti pesan lagi", "Cocok untuk kafe kami"),
    (2, "en"): ("Great coffee, lovely aroma", "Fast delivery, will order again", "Perfect for our cafe"),
}
COMMENT_TEXTS: tuple[str, ...] = tuple(text for texts in COMMENTS.values() for text in texts)
COMMENT_LANGUAGE: tuple[str, ...] = tuple(lang for (_, lang), texts in COMMENTS.items() for _ in texts)
COMMENT_BAND: tuple[int, ...] = tuple(band for (band, _), texts in COMMENTS.items() for _ in texts)

FIRST_NAMES: tuple[str, ...] = (
    "Budi", "Siti", "Agus", "Dewi", "Rina", "Andi", "Putri", "Eko", "Wulan", "Fajar", "Indah", "Yusuf",
    "Nur", "Bayu", "Ratna", "Hendra", "Maya", "Rudi", "Lestari", "Dian", "Arif", "Fitri", "Joko", "Ani",
    "Taufik", "Sri", "Gilang", "Citra", "Rahmat", "Intan", "Wahyu", "Nadia",
)  # fmt: skip
LAST_NAMES: tuple[str, ...] = (
    "Santoso", "Wijaya", "Saputra", "Lestari", "Hidayat", "Kusuma", "Pratama", "Nugroho", "Siregar", "Hasibuan",
    "Simanjuntak", "Wibowo", "Setiawan", "Purnama", "Halim", "Gunawan", "Sihombing", "Harahap", "Rahman", "Putra",
    "Utami", "Susanto", "Tanjung", "Ginting",
)  # fmt: skip
EMAIL_DOMAINS: tuple[str, ...] = ("gmail.com", "yahoo.co.id", "outlook.com", "ymail.com", "kopimail.id")
