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
