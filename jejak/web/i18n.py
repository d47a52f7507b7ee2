"""The dashboard's words in English and Indonesian; column names are shown through `column_label`.

A missing Indonesian word falls back to English (a test checks both languages have every
key, so that never happens silently).
"""

from __future__ import annotations

LANGUAGES = ("en", "id")

WORDS: dict[str, dict[str, str]] = {
    "app": {"en": "jejak", "id": "jejak"},
    "overview": {"en": "Overview", "id": "Ringkasan"},
    "attribution": {"en": "Channels & attribution", "id": "Saluran & atribusi"},
    "reports": {"en": "Multi-channel reports", "id": "Laporan multi-saluran"},
    "devices": {"en": "Devices", "id": "Perangkat"},
    "funnels": {"en": "Funnels", "id": "Corong"},
    "flows": {"en": "Path flows", "id": "Alur jalur"},
    "bounce": {"en": "Bounce", "id": "Pentalan"},
    "map": {"en": "Journey map", "id": "Peta perjalanan"},
    "personas": {"en": "Personas", "id": "Persona"},
    "people": {"en": "People", "id": "Orang"},
    "data": {"en": "Data", "id": "Data"},
    "from": {"en": "From", "id": "Dari"},
    "to": {"en": "To", "id": "Sampai"},
    "persona": {"en": "Persona", "id": "Persona"},
    "everyone": {"en": "Everyone", "id": "Semua orang"},
    "apply": {"en": "Apply", "id": "Terapkan"},
    "log_in": {"en": "Log in", "id": "Masuk"},
    "log_out": {"en": "Log out", "id": "Keluar"},
    "name": {"en": "Name", "id": "Nama"},
    "password": {"en": "Password", "id": "Kata sandi"},
    "json": {"en": "JSON", "id": "JSON"},
    "csv": {"en": "CSV", "id": "CSV"},
    "no_rows": {"en": "Nothing to show for these filters.", "id": "Tidak ada data untuk filter ini."},
    "not_built": {
        "en": "The project has no build yet. Run `jejak build`, then reload.",
        "id": "Proyek belum dibangun. Jalankan `jejak build`, lalu muat ulang.",
    },
    "headline": {"en": "In numbers", "id": "Dalam angka"},
    "by_day": {"en": "By day", "id": "Per hari"},
    "channels": {"en": "Conversions and revenue by channel", "id": "Konversi dan pendapatan per saluran"},
    "top_paths": {"en": "Top conversion paths", "id": "Jalur konversi teratas"},
    "quarantine": {"en": "Quarantine", "id": "Karantina"},
    "freshness": {"en": "Data freshness", "id": "Kesegaran data"},
    "warnings": {"en": "Warnings", "id": "Peringatan"},
    "assisted": {"en": "Assisted conversions", "id": "Konversi berbantu"},
    "paths": {"en": "Top conversion paths", "id": "Jalur konversi teratas"},
    "timelag": {"en": "Time lag (days to conversion)", "id": "Jeda waktu (hari sampai konversi)"},
    "pathlength": {"en": "Path length (touches per conversion)", "id": "Panjang jalur (sentuhan per konversi)"},
    "cross_device": {"en": "Journeys across devices", "id": "Perjalanan lintas perangkat"},
    "handoff": {"en": "First device → converting device", "id": "Perangkat pertama → perangkat konversi"},
    "steps": {"en": "Steps", "id": "Langkah"},
    "order": {"en": "Order", "id": "Urutan"},
    "window_days": {"en": "Window (days)", "id": "Jendela (hari)"},
    "breakdown": {"en": "Breakdown", "id": "Rincian"},
    "none": {"en": "None", "id": "Tidak ada"},
    "build_funnel": {"en": "Build the funnel", "id": "Buat corong"},
    "events": {"en": "Events in the data", "id": "Peristiwa dalam data"},
    "model": {"en": "Model", "id": "Model"},
    "all_models": {"en": "All, side by side", "id": "Semua, berdampingan"},
    "credit_by": {"en": "Credit", "id": "Kredit untuk"},
    "transform": {"en": "Path transform", "id": "Transformasi jalur"},
    "lookback": {"en": "Lookback (days)", "id": "Jangka lihat balik (hari)"},
    "markov_order": {"en": "Markov order", "id": "Orde Markov"},
    "resamples": {"en": "Bootstrap resamples", "id": "Sampel ulang bootstrap"},
    "comparison": {"en": "Model comparison", "id": "Perbandingan model"},
    "roas": {"en": "Cost per conversion and ROAS", "id": "Biaya per konversi dan ROAS"},
    "conversions": {"en": "conversions", "id": "konversi"},
    "unique_paths": {"en": "unique paths", "id": "jalur unik"},
    "show_table": {"en": "Show the table", "id": "Tampilkan tabel"},
    "trend": {"en": "Trend", "id": "Tren"},
    "next": {"en": "What came next", "id": "Apa yang terjadi berikutnya"},
    "start_event": {"en": "Forward from event", "id": "Maju dari peristiwa"},
    "end_event": {"en": "Backward from event", "id": "Mundur dari peristiwa"},
    "nodes": {"en": "Paths per step", "id": "Jalur per langkah"},
    "links": {"en": "Links", "id": "Tautan"},
    "show": {"en": "Show", "id": "Tampilkan"},
    "by_page": {"en": "By landing page", "id": "Per halaman masuk"},
    "by_channel": {"en": "By channel", "id": "Per saluran"},
    "language": {"en": "Bahasa Indonesia", "id": "English"},
    "error": {"en": "Something went wrong", "id": "Terjadi kesalahan"},
    "wrong_login": {"en": "The name or the password is wrong.", "id": "Nama atau kata sandi salah."},
}


def word(key: str, lang: str) -> str:
    """The word for `key` in `lang` (English when missing; the key itself when unknown)."""
    entry = WORDS.get(key)
    if entry is None:
        return key.replace("_", " ")
    return entry.get(lang) or entry["en"]


def column_label(column: str) -> str:
    """A column name as a heading: `first_interaction_conversions` → `first interaction conversions`."""
    return column.replace("_", " ")
