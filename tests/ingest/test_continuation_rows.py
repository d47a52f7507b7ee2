"""An order's other product rows that leave its fields blank are duplicates of the order, not bad rows.

Shopify's orders export writes one row per line item, and an order's fields (`Created at`, `Total`, `Financial
Status`) on its first line item only. Each further line item was quarantined as a missing time: one bad row per extra
product, and a time-format hint about times that were never there.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import lake_events, make_project, quarantined, write_csv

from jejak.ingest.importer import import_file
from jejak.ingest.quarantine import retry_quarantined
from jejak.store.project import Project, open_project

SHOPIFY_MAP = {"Name": "event_id", "Created at": "timestamp", "Total": "revenue"}
ORDER = {"event": "Order Completed"}


def _line(name: str, email: str, created: str = "", total: str = "", item: str = "Kopi Gayo 250g") -> dict[str, str]:
    return {"Name": name, "Email": email, "Created at": created, "Total": total, "Lineitem name": item}


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return make_project(tmp_path / "p")


def test_an_orders_other_line_items_are_skipped_as_duplicates(project: Project, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "orders_export.csv",
        [
            _line("#1001", "budi@example.com", "2026-10-01 10:04:12 +0700", "215000"),
            _line("#1001", "budi@example.com", item="Kopi Kintamani 250g"),
            _line("#1002", "siti@example.com", "2026-10-03 10:58:00 +0700", "395000"),
            _line("#1003", "agus@example.com", "2026-10-05 11:59:00 +0700", "225000"),
            _line("#1003", "agus@example.com", item="Filter V60"),
            # A line item whose e-mail is blank too: still the order's.
            _line("#1003", "", item="Kopi Gayo 250g"),
        ],
    )
    summary = import_file(project, path, column_map=SHOPIFY_MAP, constants=ORDER)
    assert (summary.rows_read, summary.rows_stored, summary.rows_quarantined, summary.duplicates_skipped) == (
        6,
        3,
        0,
        3,
    )
    assert summary.reconciles and summary.time_format_hint is None
    assert sorted((row["event_id"], row["revenue"]) for row in lake_events(project)) == [
        ("#1001", 215000.0),
        ("#1002", 395000.0),
        ("#1003", 225000.0),
    ]
    assert quarantined(project) == []


def test_a_blank_time_of_no_order_in_the_file_or_a_wrong_time_is_still_quarantined(
    project: Project, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "orders_export.csv",
        [
            _line("#2001", "budi@example.com", "2026-10-01 10:04:12 +0700", "215000"),
            # No other row of the file gives #2002: its time is missing, not left for another row to give.
            _line("#2002", "siti@example.com", total="90000"),
            # Under an order the file gives, but with a time of its own that cannot be read: not a blank.
            _line("#2001", "budi@example.com", "kemarin", item="Filter V60"),
            # No e-mail and no time, under no order of the file.
            _line("#2003", ""),
        ],
    )
    summary = import_file(project, path, column_map=SHOPIFY_MAP, constants=ORDER)
    assert (summary.rows_stored, summary.rows_quarantined, summary.duplicates_skipped) == (1, 3, 0)
    assert [(row["source_line"], row["reason"]) for row in quarantined(project)] == [
        (3, "bad_timestamp"),
        (4, "bad_timestamp"),
        (5, "bad_timestamp"),
    ]


def test_a_line_item_left_in_the_quarantine_goes_with_its_order_when_re_tried(project: Project, tmp_path: Path) -> None:
    # The order's own time is in a format the import could not read, so neither row was stored: the line item is no
    # duplicate of anything yet. Once the format is set and the rows re-tried, the order is stored and its line item
    # leaves the quarantine as a duplicate, not as a row that produced nothing. (The buyer is named by an id: the
    # quarantine keeps an e-mail masked, and a row with one is not re-tried.)
    rows = [_line("#3001", "", "01/10/2026 10:04", "215000"), _line("#3001", "")]
    path = write_csv(tmp_path / "orders_export.csv", [{**row, "Customer": "budi"} for row in rows])
    summary = import_file(project, path, column_map={**SHOPIFY_MAP, "Customer": "user_id"}, constants=ORDER)
    assert (summary.rows_stored, summary.rows_quarantined) == (0, 2)
    config = project.root / "jejak.toml"
    config.write_text(
        config.read_text(encoding="utf-8").replace(
            "[settings]\n", '[settings]\ntimestamp_formats = ["%d/%m/%Y %H:%M"]\n'
        ),
        encoding="utf-8",
    )
    retried = retry_quarantined(open_project(project.root, env={}), reason="bad_timestamp")
    assert retried.rows_stored == 1
    assert [row["event_id"] for row in lake_events(project)] == ["#3001"]
    assert quarantined(project) == []
