"""The dashboard's words in English and Indonesian: page words (`word`), column headings (`column_label`), the
words the reports write into their rows (`value_label`), and numbers as each language writes them (`number_text`).

A missing Indonesian word falls back to English; `tests/web/test_i18n.py` checks both languages have every word,
and that every column a page shows has an Indonesian heading, so that never happens silently. The JSON and CSV
twins keep the column names and values as they are: only what is drawn and shown is translated.
"""

from __future__ import annotations

import re

from jejak.core.settings import SETTINGS_BY_NAME
from jejak.core.vocabulary import QUARANTINE_REASONS

# Re-exported: the pages take their languages and numbers from here, as every other word.
from jejak.service.language import LANGUAGES as LANGUAGES
from jejak.service.language import in_language as in_language
from jejak.service.language import number_text as number_text
from jejak.service.language import other_row_text
from jejak.service.language import percent_text as percent_text

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
    # The Journey map and Personas pages (web/map_page.py, web/personas_page.py).
    "map_export_pdf": {"en": "PDF", "id": "PDF"},
    "map_export_png": {"en": "PNG", "id": "PNG"},
    "map_people": {"en": "people", "id": "orang"},
    "map_person": {"en": "person", "id": "orang"},
    "bounce_help": {
        "en": (
            "Each visit that viewed a page or screen is an entrance to the one it began on; chats, marketplace orders, "
            "calls and store visits land on none and are left out. Classic bounce: the visit viewed one page or "
            "screen. Engagement bounce: it lasted under {engaged_seconds} s, converted nothing and viewed fewer than "
            "{min_views} pages or screens (GA4's engaged session, turned around). By landing page: the pages with "
            "the highest classic bounce among those with at least {min_entrances} entrances, then Other."
        ),
        "id": (
            "Setiap kunjungan yang melihat halaman atau layar dihitung sebagai kunjungan masuk ke halaman atau layar "
            "pertamanya; "
            "obrolan, pesanan marketplace, telepon, dan kunjungan toko tidak mendarat di halaman mana pun dan tidak "
            "dihitung. Pentalan klasik: kunjungan hanya melihat satu halaman atau layar. Pentalan keterlibatan: "
            "kunjungan kurang dari {engaged_seconds} detik, tanpa konversi, dan melihat kurang dari {min_views} "
            "halaman atau layar (sesi dengan interaksi versi GA4, dibalik). Per halaman landing: halaman dengan "
            "pentalan klasik tertinggi di antara yang memiliki sedikitnya {min_entrances} kunjungan masuk, lalu Lainnya."
        ),
    },
    "map_click_help": {
        "en": "Click a cell of actions, touchpoints, thoughts, pain points or opportunities to add a note to it.",
        "id": "Klik sel tindakan, titik sentuh, pikiran, titik masalah atau peluang untuk menambahkan catatan.",
    },
    "map_notes": {"en": "Notes and feelings", "id": "Catatan dan perasaan"},
    "map_add_note": {"en": "Add a note", "id": "Tambah catatan"},
    "map_stage": {"en": "Stage", "id": "Tahap"},
    "map_lane": {"en": "Lane", "id": "Lajur"},
    "map_note_text": {"en": "Note", "id": "Catatan"},
    "map_set_feeling": {"en": "Set the feeling", "id": "Atur perasaan"},
    "map_curve": {"en": "Curve", "id": "Kurva"},
    "map_feeling_value": {"en": "Feeling (−2 to +2)", "id": "Perasaan (−2 sampai +2)"},
    "map_typed": {"en": "Typed on this map", "id": "Diketik di peta ini"},
    "map_typed_at": {"en": "Typed at", "id": "Diketik pada"},
    "map_manual": {"en": "manual", "id": "manual"},
    "map_delete": {"en": "Delete", "id": "Hapus"},
    "map_delete_confirm": {"en": "Delete this note?", "id": "Hapus catatan ini?"},
    "map_no_notes": {
        "en": "Nothing typed on this map yet: what is on it comes from the data.",
        "id": "Belum ada yang diketik di peta ini: isinya berasal dari data.",
    },
    "persona_nobody": {"en": "People no persona takes", "id": "Orang yang tidak masuk persona mana pun"},
    "persona_people_taken": {"en": "people", "id": "orang"},
    "persona_origin_manual": {"en": "written here", "id": "ditulis di sini"},
    "persona_origin_imported": {"en": "imported", "id": "diimpor"},
    "persona_origin_discovered": {"en": "discovered", "id": "ditemukan"},
    "persona_priority": {"en": "Priority", "id": "Prioritas"},
    "persona_priority_help": {
        "en": "lower goes first when people are assigned",
        "id": "yang lebih kecil didahulukan saat orang dibagi",
    },
    "persona_description": {"en": "Description", "id": "Deskripsi"},
    "persona_photo": {"en": "Photo", "id": "Foto"},
    "persona_photo_help": {
        "en": "a path or address kept with the document; the page shows initials",
        "id": "alamat atau path yang disimpan di dokumen; halaman ini menampilkan inisial",
    },
    "persona_demographics": {"en": "Demographics", "id": "Demografi"},
    "persona_demographics_help": {"en": "key: value, one per line", "id": "kunci: nilai, satu per baris"},
    "persona_goals": {"en": "Goals", "id": "Tujuan"},
    "persona_motivations": {"en": "Motivations", "id": "Motivasi"},
    "persona_needs": {"en": "Needs", "id": "Kebutuhan"},
    "persona_frustrations": {"en": "Frustrations", "id": "Frustrasi"},
    "persona_one_per_line": {"en": "one per line", "id": "satu per baris"},
    "persona_rules": {"en": "Rules", "id": "Aturan"},
    "persona_rules_help": {
        "en": "one per line, all must hold: feature op value, e.g. share_social >= 0.5, "
        "main_device == mobile, first_channel in [Email, WhatsApp], trait.city == Bandung",
        "id": "satu per baris, semua harus terpenuhi: fitur op nilai, mis. share_social >= 0.5, "
        "main_device == mobile, first_channel in [Email, WhatsApp], trait.city == Bandung",
    },
    "persona_no_rules": {
        "en": "No rules: this persona takes nobody.",
        "id": "Tanpa aturan: persona ini tidak mengambil siapa pun.",
    },
    "persona_none": {"en": "No personas yet: write one below.", "id": "Belum ada persona: tulis satu di bawah."},
    "persona_new": {"en": "New persona", "id": "Persona baru"},
    "persona_edit": {"en": "Edit", "id": "Ubah"},
    "persona_save": {"en": "Save the persona", "id": "Simpan persona"},
    "persona_cancel": {"en": "Cancel", "id": "Batal"},
    "persona_delete": {"en": "Delete", "id": "Hapus"},
    "persona_delete_confirm": {"en": "Delete this persona?", "id": "Hapus persona ini?"},
    "clusters": {"en": "Groups found in the data", "id": "Kelompok yang ditemukan dalam data"},
    "persona_clusters_count": {
        "en": "Groups (empty: chosen by silhouette)",
        "id": "Kelompok (kosong: dipilih silhouette)",
    },
    "persona_discover": {"en": "Find groups", "id": "Temukan kelompok"},
    "persona_discover_help": {
        "en": "k-means on people's behaviour; takes a few seconds.",
        "id": "k-means pada perilaku orang; butuh beberapa detik.",
    },
    "persona_discover_busy": {"en": "Finding groups…", "id": "Mencari kelompok…"},
    "persona_adopt": {"en": "Adopt as persona", "id": "Jadikan persona"},
    "persona_suggested_rules": {"en": "Suggested rules", "id": "Aturan yang disarankan"},
    "persona_suggested_take": {
        "en": "They take {people} people: {recall} of the group, and {precision} of them are in it.",
        "id": "Aturan ini mengambil {people} orang: {recall} dari kelompok ini, dan {precision} di antaranya anggota "
        "kelompok ini.",
    },
    "personas": {"en": "Personas", "id": "Persona"},
    "people": {"en": "People", "id": "Orang"},
    "data": {"en": "Data", "id": "Data"},
    # The People and Data pages (web/people.py, web/data.py); section keys are words too.
    "matches": {"en": "Matches", "id": "Kecocokan"},
    "recently_seen": {"en": "Seen most recently", "id": "Terakhir terlihat"},
    "profile": {"en": "Profile", "id": "Profil"},
    "identifiers": {"en": "Identifiers", "id": "Pengenal"},
    "stage_history": {"en": "Stage history", "id": "Riwayat tahap"},
    "person_conversions": {"en": "Conversions and revenue", "id": "Konversi dan pendapatan"},
    "person_traits": {"en": "Traits (from identify calls)", "id": "Ciri (dari panggilan identify)"},
    "timeline": {"en": "Timeline across channels", "id": "Linimasa lintas saluran"},
    "people_search": {"en": "Find a person", "id": "Cari orang"},
    "people_search_help": {
        "en": "A person id (u:…), user id, anonymous id, e-mail or phone. E-mails and phones are matched "
        "through their keyed hash: they are never stored in clear.",
        "id": "ID orang (u:…), ID pengguna, ID anonim, e-mail atau telepon. E-mail dan telepon dicocokkan "
        "lewat hash berkuncinya: keduanya tidak pernah disimpan apa adanya.",
    },
    "people_nothing_found": {
        "en": "Nobody found for this identifier in the last build.",
        "id": "Tidak ada orang dengan pengenal ini di build terakhir.",
    },
    "people_unknown_person": {
        "en": "There is no such person in the last build.",
        "id": "Tidak ada orang itu di build terakhir.",
    },
    "people_open": {"en": "Open", "id": "Buka"},
    "people_timeline_note": {
        "en": "Every event of the person in time order, on the business's clock (the timezone setting); properties "
        "and traits as the data sent them.",
        "id": "Setiap peristiwa orang ini menurut waktu, pada jam bisnis (pengaturan timezone); properti dan ciri "
        "seperti yang dikirim data.",
    },
    "imports": {"en": "Imports", "id": "Impor"},
    "quarantined_rows": {"en": "Quarantined rows", "id": "Baris yang dikarantina"},
    "settings_in_effect": {"en": "Settings in effect", "id": "Pengaturan yang berlaku"},
    "data_reason": {"en": "Reason", "id": "Alasan"},
    "data_all_reasons": {"en": "All reasons", "id": "Semua alasan"},
    "data_retry": {"en": "Re-try", "id": "Coba lagi"},
    "data_retry_all": {"en": "Re-try all rows of this reason", "id": "Coba lagi semua baris alasan ini"},
    "data_fix": {"en": "Fix and re-try", "id": "Perbaiki dan coba lagi"},
    "data_fix_help": {
        "en": "Edit the row's text and send it: it is imported like any other row (validated, hashed, "
        "deduplicated). E-mails and phones are masked in the quarantine: type them again, or clear them.",
        "id": "Ubah teks baris lalu kirim: baris diimpor seperti baris lain (divalidasi, di-hash, "
        "dideduplikasi). E-mail dan telepon disamarkan di karantina: ketik ulang, atau kosongkan.",
    },
    "data_cancel": {"en": "Cancel", "id": "Batal"},
    "data_dismiss": {"en": "Dismiss", "id": "Abaikan"},
    "data_dismiss_help": {
        "en": "Not an event (a line of column descriptions, a footer): take it out of the quarantine, kept aside",
        "id": "Bukan peristiwa (baris keterangan kolom, catatan kaki): keluarkan dari karantina, disimpan terpisah",
    },
    "data_dismiss_confirm": {
        "en": "Dismiss this row as no event? It leaves the quarantine and is kept aside; no re-try will store it.",
        "id": "Abaikan baris ini karena bukan peristiwa? Baris keluar dari karantina dan disimpan terpisah; "
        "tidak akan disimpan oleh coba ulang.",
    },
    "data_dismissed": {
        "en": "row(s) dismissed as no events: kept under the quarantine's dismissed/ folder, out of its counts.",
        "id": "baris diabaikan karena bukan peristiwa: disimpan di folder dismissed/ karantina, di luar hitungannya.",
    },
    "dismissed_rows": {"en": "Dismissed rows", "id": "Baris yang diabaikan"},
    "data_restore": {"en": "Restore", "id": "Pulihkan"},
    "data_restore_help": {
        "en": "Dismissed by mistake: put it back in the quarantine as it was, to fix or re-try",
        "id": "Terlanjur diabaikan: kembalikan ke karantina seperti semula, untuk diperbaiki atau dicoba lagi",
    },
    "data_restored": {
        "en": "row(s) put back in the quarantine as they were.",
        "id": "baris dikembalikan ke karantina seperti semula.",
    },
    "data_time_hint": {
        "en": "The bad_timestamp rows' times share one shape, read by one setting; times such as",
        "id": "Waktu pada baris bad_timestamp berbentuk sama dan terbaca dengan satu pengaturan; waktu seperti",
    },
    "data_time_hint_assumed": {
        "en": "day first, as Indonesia writes dates; swap %d and %m if yours are month first",
        "id": "hari lebih dulu, seperti penulisan tanggal di Indonesia; tukar %d dan %m bila bulan lebih dulu",
    },
    "data_time_hint_then": {
        "en": "Add it under [settings] in jejak.toml, then re-try all rows of bad_timestamp.",
        "id": "Tambahkan di bawah [settings] dalam jejak.toml, lalu coba lagi semua baris bad_timestamp.",
    },
    "data_refunds_retried": {
        "en": "Refunds that waited for their order, re-tried now that it is stored",
        "id": "Pengembalian dana yang menunggu pesanannya, dicoba lagi karena pesanan itu kini tersimpan",
    },
    "data_refunds_given": {"en": "given the customer of their order", "id": "diberi pelanggan pesanannya"},
    "data_time_hint_unread": {
        "en": "Some times it does not read: their rows stay quarantined until each is fixed (Fix and re-try), such as",
        "id": (
            "Sebagian waktu tidak terbaca: barisnya tetap di karantina sampai masing-masing diperbaiki "
            "(Perbaiki dan coba lagi), misalnya"
        ),
    },
    "data_row_gone": {
        "en": "This row is no longer in the quarantine (it was re-tried since). Reload the page.",
        "id": "Baris ini sudah tidak ada di karantina (sudah dicoba lagi). Muat ulang halaman.",
    },
    "data_build_needed": {
        "en": "Re-tried events are in the event lake now; run `jejak build` for them to show in the reports.",
        "id": "Peristiwa yang dicoba lagi sudah ada di danau peristiwa; jalankan `jejak build` agar muncul di laporan.",
    },
    "data_retried": {"en": "Re-tried", "id": "Dicoba lagi"},
    "data_stored": {"en": "stored", "id": "disimpan"},
    "data_duplicates": {"en": "already in the lake", "id": "sudah ada di danau"},
    "data_again": {"en": "quarantined again", "id": "dikarantina lagi"},
    "data_left": {"en": "left as they were", "id": "dibiarkan apa adanya"},
    "data_page_of": {"en": "page", "id": "halaman"},
    "data_previous": {"en": "Previous", "id": "Sebelumnya"},
    "data_next": {"en": "Next", "id": "Berikutnya"},
    "data_key_hidden": {
        "en": "The hashing key itself is never shown; hmac_key_file is only where it is kept.",
        "id": "Kunci hash tidak pernah ditampilkan; hmac_key_file hanya tempat kunci disimpan.",
    },
    "left_masked": {
        "en": "it still shows a masked e-mail or phone: type the value again or clear it, or import its file again "
        "with --replace (the file has it whole)",
        "id": "masih ada e-mail atau telepon yang disamarkan: ketik ulang nilainya atau kosongkan, atau impor ulang "
        "berkasnya dengan --replace (di berkas itu nilainya utuh)",
    },
    "left_needs_fix": {
        "en": "the reader could not split or decode the line: fix its text first",
        "id": "baris tidak dapat dipecah atau dibaca: perbaiki teksnya dulu",
    },
    "left_cut": {
        "en": "its text was cut at 4,096 characters: fix the source file and import it again",
        "id": "teksnya terpotong pada 4.096 karakter: perbaiki berkas sumber lalu impor ulang",
    },
    "left_blank": {"en": "the fixed text is empty", "id": "teks perbaikan kosong"},
    "left_not_json": {
        "en": "the fixed text is not a JSON object of the row's columns",
        "id": "teks perbaikan bukan objek JSON dari kolom baris",
    },
    "left_no_header": {
        "en": "the source CSV file, whose header the line needs, is gone",
        "id": "berkas CSV sumber, yang header-nya dibutuhkan baris ini, sudah tidak ada",
    },
    "left_columns": {
        "en": "its columns cannot be read: check [import.map] in jejak.toml",
        "id": "kolomnya tidak dapat dibaca: periksa [import.map] di jejak.toml",
    },
    "left_no_output": {"en": "the importer read no row from it", "id": "pengimpor tidak membaca baris darinya"},
    "from": {"en": "From", "id": "Dari"},
    "to": {"en": "To", "id": "Sampai"},
    "persona": {"en": "Persona", "id": "Persona"},
    "everyone": {"en": "Everyone", "id": "Semua orang"},
    "apply": {"en": "Apply", "id": "Terapkan"},
    # A view still being computed (web/jobs.py, templates/computing.html).
    "computing": {
        "en": "Computing this view; it will show here when it is ready.",
        "id": "Tampilan ini sedang dihitung; hasilnya muncul di sini begitu siap.",
    },
    "computing_since": {"en": "started", "id": "dimulai"},
    "computing_reload": {
        "en": "Reload this page in a few seconds to see it.",
        "id": "Muat ulang halaman ini dalam beberapa detik untuk melihatnya.",
    },
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
    "currencies": {"en": "Revenue by currency", "id": "Pendapatan per mata uang"},
    "top_paths": {"en": "Top conversion paths", "id": "Jalur konversi teratas"},
    "quarantine": {"en": "Quarantine", "id": "Karantina"},
    "freshness": {"en": "Data freshness", "id": "Kesegaran data"},
    "warnings": {"en": "Warnings", "id": "Peringatan"},
    "assisted": {"en": "Assisted conversions", "id": "Konversi berbantu"},
    "paths": {"en": "Top conversion paths", "id": "Jalur konversi teratas"},
    "timelag": {"en": "Time lag (days to conversion)", "id": "Jeda waktu (hari sampai konversi)"},
    "pathlength": {"en": "Path length (touches per conversion)", "id": "Panjang jalur (sentuhan per konversi)"},
    "cross_device": {"en": "Journeys across devices", "id": "Perjalanan lintas perangkat"},
    "unnamed_devices": {
        "en": "(not set): sessions whose files name no device, by channel",
        "id": "(not set): sesi yang berkasnya tidak menyebut perangkat, per kanal",
    },
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
    # The figures (web/figures.py): titles, axes, series and hover text; {…} are filled in by the builder.
    "fig_assisted": {"en": "Assisted conversions", "id": "Konversi berbantuan"},
    "fig_first_interaction": {"en": "First interaction", "id": "Interaksi pertama"},
    "fig_assisted_series": {"en": "Assisted", "id": "Berbantuan"},
    "fig_last_interaction": {"en": "Last interaction", "id": "Interaksi terakhir"},
    "fig_conversions": {"en": "Conversions", "id": "Konversi"},
    "fig_paths": {"en": "Top conversion paths", "id": "Jalur konversi teratas"},
    "fig_paths_other": {"en": "other paths: {count} conversions", "id": "jalur lain: {count} konversi"},
    "fig_time_lag": {"en": "Time lag", "id": "Jeda waktu"},
    "fig_days_to_conversion": {"en": "Days to conversion", "id": "Hari sampai konversi"},
    "fig_path_length": {"en": "Path length", "id": "Panjang jalur"},
    "fig_touches": {"en": "Touches before conversion", "id": "Sentuhan sebelum konversi"},
    "fig_devices": {"en": "Conversion rate by device", "id": "Rasio konversi per perangkat"},
    "fig_session_rate": {"en": "Session conversion rate", "id": "Rasio konversi sesi"},
    "fig_devices_hover": {"en": "of {sessions} sessions", "id": "dari {sessions} sesi"},
    "fig_bounce": {"en": "Bounce rate", "id": "Rasio pentalan"},
    "fig_classic_bounce": {"en": "Classic bounce rate", "id": "Rasio pentalan klasik"},
    "fig_engagement_bounce": {"en": "Engagement bounce rate", "id": "Rasio pentalan keterlibatan"},
    "fig_attribution": {"en": "Conversions by attribution model", "id": "Konversi per model atribusi"},
    "fig_credited": {"en": "Credited conversions", "id": "Konversi yang dikreditkan"},
    "fig_funnel": {"en": "Funnel", "id": "Corong"},
    "fig_step": {"en": "Step", "id": "Langkah"},
    "fig_people": {"en": "People", "id": "Orang"},
    "fig_funnel_hover": {
        "en": "{share} of the previous step, {dropped} dropped",
        "id": "{share} dari langkah sebelumnya, {dropped} berhenti",
    },
    "fig_funnel_trend": {"en": "Funnel conversion over time", "id": "Konversi corong dari waktu ke waktu"},
    "fig_period": {"en": "Period", "id": "Periode"},
    "fig_conversion_rate": {"en": "Conversion rate", "id": "Rasio konversi"},
    "fig_flows": {"en": "Flows", "id": "Alur"},
    "fig_flow_step": {"en": "step {step}", "id": "langkah {step}"},
    "fig_by_day": {"en": "Sessions and conversions by day", "id": "Sesi dan konversi per hari"},
    "fig_sessions": {"en": "Sessions", "id": "Sesi"},
    "fig_revenue_by_channel": {"en": "Revenue by channel", "id": "Pendapatan per saluran"},
    "fig_revenue": {"en": "Revenue", "id": "Pendapatan"},
    # Words written in the page templates.
    "dimension": {"en": "Dimension", "id": "Dimensi"},
    "top": {"en": "Top", "id": "Teratas"},
    "funnel_steps_help": {
        "en": "(one per line: an event name, page:/path or stage:Name)",
        "id": "(satu per baris: nama peristiwa, page:/path atau stage:Nama)",
    },
    "conversion_badge": {"en": "conversion", "id": "konversi"},
    "yes": {"en": "yes", "id": "ya"},
    "no": {"en": "no", "id": "tidak"},
    "language": {"en": "Bahasa Indonesia", "id": "English"},
    "error": {"en": "Something went wrong", "id": "Terjadi kesalahan"},
    "wrong_login": {"en": "The name or the password is wrong.", "id": "Nama atau kata sandi salah."},
}


def word(key: str, lang: str) -> str:
    """The word for `key` in `lang` (English when missing; the key itself when unknown)."""
    entry = WORDS.get(key)
    if entry is None:
        return key.replace("_", " ")
    return in_language(entry, lang)


# Indonesian headings for the columns the pages show, and for the names the forms offer (models, transforms,
# breakdowns); in English a heading is the name with spaces. Marketing terms stay the ones Indonesian marketers
# read elsewhere (halaman landing, sumber / media, ROAS) rather than coined translations.
COLUMNS_ID: dict[str, str] = {
    "allowed_user_ids": "user id yang diizinkan",
    "another_device_share": "porsi perangkat lain",
    "assisted_conversions": "konversi berbantuan",
    "assisted_revenue": "pendapatan berbantuan",
    "assisted_to_last_ratio": "rasio berbantuan / terakhir",
    "average_order": "rata-rata pesanan",
    "average_order_value": "rata-rata nilai pesanan",
    "breakdown": "rincian",
    "bucket": "kelompok",
    "build_engine": "mesin build",
    "campaign": "kampanye",
    "change_vs_last_touch": "selisih dari sentuhan terakhir",
    "change_vs_last_touch_pct": "selisih dari sentuhan terakhir (%)",
    "channel": "saluran",
    "classic_bounce_rate": "rasio pentalan klasik",
    "classic_bounces": "pentalan klasik",
    "completed": "selesai",
    "content": "konten iklan",
    "conversion_from_previous": "konversi dari langkah sebelumnya",
    "conversion_from_start": "konversi dari awal",
    "conversion_rate": "rasio konversi",
    "conversion_share": "porsi konversi",
    "conversions": "konversi",
    "conversions_high": "konversi (batas atas)",
    "conversions_low": "konversi (batas bawah)",
    "converted_on_another_device": "berkonversi di perangkat lain",
    "converting_device": "perangkat konversi",
    "converting_sessions": "sesi yang berkonversi",
    "cost_per_conversion": "biaya per konversi",
    "cross_device_journeys": "perjalanan lintas perangkat",
    "cross_device_share": "porsi lintas perangkat",
    "currency": "mata uang",
    "day": "hari",
    "default": "bawaan",
    "description": "deskripsi",
    "device_type": "jenis perangkat",
    "dropped": "berhenti",
    "duplicates_skipped": "duplikat dilewati",
    "engagement_bounce_rate": "rasio pentalan keterlibatan",
    "engagement_bounces": "pentalan keterlibatan",
    "entered": "masuk corong",
    "entrances": "kunjungan masuk",
    "event": "peristiwa",
    "events": "peristiwa",
    "events_stored": "peristiwa tersimpan",
    "file": "berkas",
    "files_imported": "berkas diimpor",
    "first_device": "perangkat pertama",
    "first_interaction_conversions": "konversi interaksi pertama",
    "first_interaction_revenue": "pendapatan interaksi pertama",
    "first_seen_at": "pertama terlihat",
    "format": "format",
    "help": "keterangan",
    "identifiers": "pengenal",
    "imported_at": "diimpor pada",
    "journey_conversion_rate": "rasio konversi perjalanan",
    "journeys": "perjalanan",
    "kind": "jenis",
    "landing_page": "halaman landing",
    "lane": "lajur",
    "last_build_at": "build terakhir",
    "last_import_at": "impor terakhir",
    "last_interaction_conversions": "konversi interaksi terakhir",
    "last_interaction_revenue": "pendapatan interaksi terakhir",
    "last_seen_at": "terakhir terlihat",
    "line": "baris",
    "meaning": "arti",
    "most_user_ids": "user id terbanyak",
    "measure": "ukuran",
    "median_seconds_from_previous": "median waktu dari langkah sebelumnya",
    "message": "pesan",
    "model": "model",
    "name": "nama",
    "node": "simpul",
    "origin": "asal",
    "os": "sistem operasi",
    "page_path": "halaman",
    "path": "jalur",
    "period": "periode",
    "paths": "jalur",
    "people": "orang",
    "person_id": "id orang",
    "priority": "prioritas",
    "properties": "properti",
    "quarantined_at": "dikarantina pada",
    "raw": "baris mentah",
    "raw_is_cut": "baris mentah terpotong",
    "reading": "tafsiran",
    "reason": "alasan",
    "reconciles": "cocok",
    "reference": "rujukan",
    "refunded_revenue": "pengembalian dana dikurangkan",
    "revenue": "pendapatan",
    "revenue_high": "pendapatan (batas atas)",
    "revenue_low": "pendapatan (batas bawah)",
    "revenue_share": "porsi pendapatan",
    "roas": "ROAS",
    "row_id": "id baris",
    "rows": "baris",
    "rows_erased": "baris orang yang dihapus",
    "rows_quarantined": "baris dikarantina",
    "rows_read": "baris dibaca",
    "rows_stored": "baris disimpan",
    "rules": "aturan",
    "seconds": "detik",
    "session_conversion_rate": "rasio konversi sesi",
    "session_share": "porsi sesi",
    "sessions": "sesi",
    "share": "porsi",
    "source": "sumber",
    "source_medium": "sumber / media",
    "source_name": "nama sumber",
    "source_step": "langkah sumber",
    "spend": "biaya iklan",
    "stage": "tahap",
    "step": "langkah",
    "step_number": "no. langkah",
    "target": "tujuan",
    "target_step": "langkah tujuan",
    "term": "kata kunci",
    "text": "teks",
    "timestamp": "waktu",
    "traits": "atribut",
    "unit": "satuan",
    "value": "nilai",
    # Attribution models, path transforms and breakdowns, as the forms offer them.
    "first_touch": "sentuhan pertama",
    "last_touch": "sentuhan terakhir",
    "last_non_direct": "terakhir non-langsung",
    "linear": "linear",
    "position_based": "berbasis posisi",
    "time_decay": "peluruhan waktu",
    "markov": "Markov",
    "shapley": "Shapley",
    "exposure": "paparan",
    "unique": "unik",
    "first": "pertama",
    "frequency": "frekuensi",
    "remove_if_not_all": "buang jika tidak semua",
    "remove_if_last_and_not_all": "buang jika terakhir dan tidak semua",
    # Funnel orders and trend periods, and the Markov order chosen from the data.
    "sequential": "berurutan",
    "strict": "berurutan ketat",
    "any": "urutan bebas",
    "week": "minggu",
    "month": "bulan",
    "auto": "otomatis",
    "persona": "persona",
}


# English headings that say more than the column's name (the cells show a duration in words, not seconds).
COLUMNS_EN: dict[str, str] = {"median_seconds_from_previous": "median time from previous"}


def column_label(column: str, lang: str = "en") -> str:
    """A column name as a heading: `first_interaction_conversions` → `first interaction conversions` in English,
    `konversi interaksi pertama` in Indonesian (the English heading when there is none)."""
    if lang == "id" and column in COLUMNS_ID:
        return COLUMNS_ID[column]
    return COLUMNS_EN.get(column) or column.replace("_", " ")


# Words the reports themselves write into their rows, by column (channel names and the like are the user's).
VALUES_ID: dict[str, dict[str, str]] = {
    "reading": {
        "only assists": "hanya membantu",
        "mostly closes": "lebih banyak menutup",
        "assists and closes": "membantu dan menutup",
        "mostly assists": "lebih banyak membantu",
    },
    "node": {"(end)": "(akhir)", "(start)": "(awal)", "(not set)": "(tidak diisi)"},
}
# The Data page's settings, in Indonesian: each setting's help (`core.settings`, by name), its unit, and where its
# value came from; and what each quarantine reason means (`core.vocabulary.QUARANTINE_REASONS`). The CLI's
# `jejak settings` and the JSON and CSV twins keep the English. `tests/web/test_i18n.py` checks every setting and
# reason has its Indonesian, and that the page shows it.
SETTINGS_HELP_ID: dict[str, str] = {
    "engine": "Mesin komputasi untuk `jejak build`: duckdb atau spark.",
    "spark_master": "URL master Spark saat engine = spark.",
    "spark_shuffle_partitions": "spark.sql.shuffle.partitions untuk eksekusi lokal.",
    "duckdb_threads": "Jumlah utas (thread) pekerja DuckDB; 0 berarti satu per inti prosesor.",
    "duckdb_memory_limit_mb": (
        "Batas memori DuckDB; 0 berarti bawaan DuckDB (80 % dari RAM). Di atas batas ini DuckDB menumpahkan data ke "
        "disk: dengan 850, build 10 juta peristiwa mencapai puncak sekitar 1,4 GiB dan memakan waktu sekitar 1,5 kali "
        "lebih lama."
    ),
    "lake_max_files_per_day": (
        "Sebelum memproses, build menggabungkan setiap hari di data lake peristiwa yang memiliki lebih banyak file "
        "daripada nilai ini menjadi satu file (setiap impor menambahkan satu file ke setiap hari yang dicakupnya, dan "
        "setiap build membuka semuanya: 7.000 file berisi 21.000 peristiwa di-build dalam 6,7 detik, 700 file dalam "
        "1,4 detik). 0: tidak pernah; `jejak compact` menggabungkan setiap hari yang memiliki lebih dari satu file."
    ),
    "timezone": (
        "Zona waktu bisnis: waktu masukan yang tidak mencantumkan selisih dari UTC dibaca di zona ini, dan laporan "
        "menghitung harinya (per hari, --from/--to, tren corong, tanggal peta perjalanan); waktu disimpan dalam UTC."
    ),
    "timestamp_formats": (
        'Format yang dicoba secara berurutan untuk waktu masukan yang bukan ISO-8601, mis. ["%d/%m/%Y %H:%M"] untuk '
        "24/11/2026 13:05 (format tanpa %z dibaca dalam zona waktu dari pengaturan timezone), atau epoch_seconds / "
        "epoch_milliseconds / epoch_microseconds untuk angka sejak 1970-01-01 UTC."
    ),
    "currency": "Mata uang untuk pendapatan yang tidak mencantumkan mata uang.",
    "csv_delimiter": (
        "Pemisah nilai dalam file CSV: auto (yang paling sering muncul di baris judul di antara koma, titik koma, tab, "
        "dan garis vertikal; Excel menulis titik koma jika koma dipakai sebagai tanda desimal), comma, semicolon, tab, "
        "atau pipe."
    ),
    "decimal_mark": (
        "Cara penulisan desimal pada nilai pendapatan dan biaya: auto (setiap nilai dibaca sesuai penulisannya: "
        "1.250.000,50 maupun 1,250,000.50, label seperti Rp dan $ dibuang, dan 150.000 dalam Rupiah dibaca sebagai "
        "ribuan; selain itu, nilai yang bisa dibaca dua arah memakai koma desimal di file yang dipisahkan titik koma, "
        "dan titik di file lain), point (1,500,000.50; tanpa tebakan) atau comma (1.500.000,50, seperti cara lembar "
        "kerja Indonesia menulis Rupiah, di semua file)."
    ),
    "session_gap_seconds": "Lama jeda tanpa aktivitas yang mengakhiri sebuah sesi.",
    "session_max_seconds": (
        "Batas mutlak durasi sesi: rangkaian aktivitas dipotong setiap kali mencapai jumlah detik ini, dihitung dari "
        "awalnya."
    ),
    "session_split_at_new_source": (
        "Apakah peristiwa yang menyebut asal kedatangannya (tag kampanye: source, medium, campaign; atau saluran "
        "yang diberikan file-nya) memulai sesi baru bila asal itu bukan asal peristiwa orang itu yang terakhir: "
        "iklan kampanye lain yang diklik sepuluh menit setelah kunjungan dimulai menjadi sentuhan tersendiri, tidak "
        "hilang di dalam kunjungan. Halaman tanpa tag tidak pernah memotong."
    ),
    "offline_channels": (
        "Saluran yang peristiwanya terjadi di luar web dan aplikasi: peristiwa yang oleh file-nya diberi salah satu "
        'saluran ini (lewat kolom channel, atau --set "channel=Offline Store") dihitung sebagai sentuhan luring, '
        "sama seperti type offline (sesi tersendiri, perangkat 'offline'), meskipun file-nya tidak memiliki kolom "
        "type. Dibaca pada setiap build; pencocokan nama tidak membedakan huruf besar-kecil."
    ),
    "non_touch_events": (
        "Peristiwa yang bukan kunjungan dari suatu saluran: sesi yang diawali salah satunya tanpa keterangan asal "
        "(tanpa sumber, medium, kampanye, perujuk, halaman, atau saluran), misalnya survei yang dijawab lewat email, "
        "pembaruan pengiriman atau pengembalian dana pesanan yang diimpor dari file tersendiri, atau email yang "
        "terkirim atau terpental, menjadi "
        "Unassigned dan bukan titik sentuh, sehingga tidak masuk perjalanan, jalur, maupun model atribusi mana pun. "
        "Panggilan identify, alias, dan group selalu termasuk peristiwa semacam ini."
    ),
    "business_message_events": (
        "Pesan bisnis sendiri kepada seseorang, dalam percakapan yang dimulai orang itu: balasan WhatsApp toko "
        "(wa_reply, dari ekspor obrolan). Masing-masing bukan kunjungan dan bukan kedatangan, apa pun sumber atau "
        "salurannya: pesan itu masuk ke sesi orang tersebut tanpa memotongnya (balasan saat orang itu menjelajah dari "
        "iklan Instagram membiarkan kunjungan iklan itu utuh), dan sesi yang dibukanya baru tersentuh oleh peristiwa "
        "orang itu sendiri berikutnya di dalamnya."
    ),
    "lookback_days": "Seberapa jauh sebelum suatu konversi titik sentuh masih dihitung ke dalam jalurnya.",
    "conversion_events": "Peristiwa yang dihitung sebagai konversi.",
    "refund_events": (
        "Peristiwa yang mengembalikan uang suatu pesanan: jumlah pengembaliannya dikurangkan dari pendapatan konversi "
        "yang ID pesanannya (properties.order_id atau transaction_id, jika tidak ada, ID peristiwanya) disebut "
        "pengembalian itu di properties.order_id atau transaction_id, tidak sampai di bawah nol. Konversi, jalur, dan "
        "atribusi lalu menghitung pendapatan bersih setelah pengembalian dana; `jejak report summary` menyebutkan apa "
        "yang tidak dapat dikurangkan."
    ),
    "path_transform": "Cara tabel jalur unik menulis ulang setiap jalur.",
    "path_transform_channel": "Saluran yang dihapus oleh remove_if_not_all dan remove_if_last_and_not_all.",
    "path_max_touches": "Hanya simpan N sentuhan terakhir dari setiap jalur (trim); 0 menyimpan semuanya.",
    "time_decay_half_life_days": "Waktu paruh untuk atribusi peluruhan waktu.",
    "position_first_share": "Porsi kredit atribusi berbasis posisi untuk sentuhan pertama.",
    "position_last_share": "Porsi kredit atribusi berbasis posisi untuk sentuhan terakhir.",
    "markov_order": (
        "Orde atribusi Markov: 1 sampai 4, atau auto (dipilih berdasarkan nilai kemungkinan pada data uji yang "
        "disisihkan)."
    ),
    "attribution_resamples": (
        "Jumlah sampel ulang (bootstrap) perjalanan yang mendasari interval kepercayaan setiap kredit; 0 menonaktifkan "
        "interval."
    ),
    "attribution_confidence": "Tingkat kepercayaan untuk interval kredit.",
    "attribution_seed": "Nilai benih (seed) bootstrap, agar interval dapat diulang persis sama.",
    "funnel_window_days": "Jendela konversi corong.",
    "funnel_order": "Urutan langkah corong: sequential, strict, atau any.",
    "stages": "Tahap perjalanan pelanggan, secara berurutan.",
    "feedback_events": (
        "Peristiwa yang propertinya memuat umpan balik (skor, komentar, survei) untuk bagian pikiran dan perasaan pada "
        "peta perjalanan."
    ),
    "map_funnel": (
        "Corong utama yang penurunan terbesar antarlangkahnya dilaporkan oleh peta perjalanan sebagai titik masalah."
    ),
    "stage_model": (
        "Label tahap: five (pengaturan stages), four (seed 000: Awareness, Comparison, Purchase, Use) atau aida."
    ),
    "bounce_engaged_seconds": "Sesi yang lebih singkat dari nilai ini tidak dihitung sebagai sesi dengan interaksi.",
    "bounce_engaged_min_views": (
        "Sesi dengan jumlah tayangan kurang dari nilai ini tidak dihitung sebagai sesi dengan interaksi."
    ),
    "bounce_min_entrances": (
        "Halaman baru masuk daftar pentalan tertinggi jika memiliki setidaknya sebanyak ini entri (jumlah yang lebih "
        "kecil kurang bermakna)."
    ),
    "top_n": "Jumlah baris dalam laporan N teratas sebelum baris 'Other'.",
    "precompute_views": (
        "Apakah `jejak build` kemudian menghitung tampilan awal dasbor (atribusi beserta interval, laporan, peta "
        "perjalanan, penetapan persona) ke dalam tembolok (cache) build, sehingga setiap halaman langsung terbuka."
    ),
    "precompute_personas": (
        "Apakah perhitungan awal tersebut juga mencakup tampilan setiap dokumen persona untuk setiap halaman yang "
        "memiliki filter (beberapa detik per persona pada build berukuran besar)."
    ),
    "identity_max_people_per_identifier": (
        "Email, nomor telepon, atau ID anonim yang terlihat bersama lebih banyak ID pengguna daripada nilai ini tidak "
        "dipakai untuk menggabungkan orang (mis. nomor telepon toko)."
    ),
    "identity_max_iterations": "Batas atas jumlah putaran propagasi label.",
    "import_max_field_bytes": "Bidang yang lebih panjang dari nilai ini membuat barisnya dipindahkan ke karantina.",
    "hmac_key_file": (
        "Kunci untuk membuat hash email dan nomor telepon; lokasinya relatif terhadap proyek, di luar data/."
    ),
}

QUARANTINE_MEANINGS_ID: dict[str, str] = {
    "bad_timestamp": (
        "stempel waktu kosong, bukan ISO-8601 dan tidak sesuai dengan format mana pun di pengaturan timestamp_formats, "
        "atau lebih dari satu hari setelah waktu impor"
    ),
    "no_identifier": "baris tidak memiliki satu pun dari user_id, anonymous_id, email, atau phone",
    "no_event_name": "peristiwa track atau offline yang nama peristiwanya kosong",
    "bad_json": "baris tersebut bukan objek JSON",
    "wrong_type": (
        "sebuah bidang memiliki tipe yang salah (mis. teks padahal yang diharapkan angka), atau nilai pendapatan lebih "
        "dari 10^15"
    ),
    "unknown_type": "tipe peristiwa bukan salah satu dari track, page, screen, identify, alias, group, offline",
    "oversize_field": "sebuah bidang lebih panjang daripada yang diizinkan oleh pengaturan import_max_field_bytes",
    "invalid_utf8": "baris bukan teks UTF-8 yang valid",
    "malformed_row": (
        "baris tidak sesuai dengan kolom-kolom file (tanda kutip tidak berpasangan, bidang berlebih atau kurang)"
    ),
}
UNITS_ID: dict[str, str] = {
    "IANA zone": "zona IANA",
    "bytes": "byte",
    "channel": "saluran",
    "channel names": "nama saluran",
    "days": "hari",
    "event names": "nama peristiwa",
    "files": "file",
    "flag": "ya / tidak",
    "iterations": "iterasi",
    "name": "nama",
    "order": "orde",
    "partitions": "partisi",
    "path": "lokasi file",
    "people": "orang",
    "resamples": "sampel ulang",
    "rows": "baris",
    "s": "detik",
    "sessions": "sesi",
    "share": "porsi",
    "stage names": "nama tahap",
    "strptime formats": "format strptime",
    "threads": "thread",
    "touches": "sentuhan",
    "views": "tayangan",
}
VALUES_ID["help"] = {SETTINGS_BY_NAME[name].help: text for name, text in SETTINGS_HELP_ID.items()}
VALUES_ID["meaning"] = {QUARANTINE_REASONS[reason]: text for reason, text in QUARANTINE_MEANINGS_ID.items()}
VALUES_ID["unit"] = UNITS_ID
VALUES_ID["origin"] = {"default": "bawaan"}
VALUES_ID["kind"] = {"phone": "telepon", "email": "e-mail", "anonymous_id": "id anonim"}  # an identifier's kind
# A setting's value from the environment: `environment JEJAK_TIMEZONE` (`service.data.settings_in_effect`).
_FROM_ENVIRONMENT = re.compile(r"environment (?P<name>JEJAK_[A-Z0-9_]+)")
# Columns whose values are column names (the overview's freshness rows name what they measure).
NAMED_VALUE_COLUMNS = frozenset({"measure"})


def value_label(column: str, value: str, lang: str = "en") -> str:
    """A text a report wrote into `column` as `lang` writes it; anything else (a channel, a page) as it is."""
    if column in NAMED_VALUE_COLUMNS:  # `last_import_at` reads as a heading does, in either language
        return column_label(value, lang)
    if (other := other_row_text(value, lang)) is not None:
        return other
    if lang != "id":
        return value
    known = VALUES_ID.get("node" if column in ("source", "target") else column, {})
    if value in known:
        return known[value]
    if column == "origin" and (environment := _FROM_ENVIRONMENT.fullmatch(value)):
        return f"lingkungan {environment['name']}"
    return value


# plotly's `separators`: the decimal point then the thousands separator.
FIGURE_SEPARATORS = {"en": ".,", "id": ",."}
