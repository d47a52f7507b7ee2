"""The engine's own behaviour that every command relies on."""

from __future__ import annotations

from jejak.engine import connect


def test_duckdb_draws_no_progress_bar_on_standard_output() -> None:
    # DuckDB draws a progress bar on stdout once a query has run two seconds: in the middle of `jejak export TABLE
    # -o -` or `jejak report --format json`, that is data a pipe reads as output. (Setting `progress_bar_time` to
    # provoke it would turn the bar back on, so the setting itself is what is checked.)
    engine = connect()
    try:
        found = engine.fetch_arrow("SELECT current_setting('enable_progress_bar') AS drawn")
    finally:
        engine.close()
    assert found.column("drawn")[0].as_py() is False


def test_a_text_holding_a_nul_compares_as_a_value_in_a_query() -> None:
    import ibis
    import pyarrow as pa

    # DuckDB's parser ends a literal's text at a NUL: a campaign named so in the data stopped every query naming it.
    engine = connect()
    try:
        names = ibis.memtable(pa.table({"campaign": ["Okt\x00ober", "Oktober", "\x00"]}))
        named = names.filter(names.campaign.isin(["Okt\x00ober", "\x00\x00"]) | (names.campaign == "\x00"))
        found = engine.to_pyarrow(named.select(named.campaign, joined=named.campaign + "\x00!"))
    finally:
        engine.close()
    assert found.to_pylist() == [
        {"campaign": "Okt\x00ober", "joined": "Okt\x00ober\x00!"},
        {"campaign": "\x00", "joined": "\x00\x00!"},
    ]
