"""A WooCommerce orders list exported with its `Origin` column, imported by following the suggested mapping.

WooCommerce (8.5 and later) labels each order's attribution in words: `Source: Google`, `Organic: Google`,
`Referral: L.instagram.com`, `Direct`. Read as a utm_source, every order but one from a marketplace's host was
Unassigned, so revenue by channel and every attribution model credited nobody for the shop's web sales.
"""

from __future__ import annotations

import shlex
from pathlib import Path

import pyarrow.parquet as pq
from conftest import cli_project, write_csv

from jejak.cli.main import cli

ORIGINS = {
    "101": ("Source: Google", "google", None, None),
    "102": ("Organic: Google", "google", "organic", None),
    "103": ("Referral: L.instagram.com", "instagram", "referral", "https://l.instagram.com/"),
    "104": ("Direct", "(direct)", "(none)", None),
    "105": ("Referral: Tokopedia.com", "tokopedia", "referral", "https://tokopedia.com/"),
    "106": ("Source: newsletter", "newsletter", None, None),
    # Labels that say nothing of where are kept as written.
    "107": ("Web admin", "Web admin", None, None),
    "108": ("Unknown", "Unknown", None, None),
}
CHANNELS = {
    "101": "Organic Search",
    "102": "Organic Search",
    "103": "Organic Social",
    "104": "Direct",
    "105": "Marketplace",
    "106": "Email",
    "107": "Unassigned",
    "108": "Unassigned",
}


def test_woocommerce_origin_labels_become_source_medium_and_referrer_and_place_each_order(tmp_path: Path) -> None:
    runner, root = cli_project(tmp_path)
    rows = [
        {
            "Order Number": number,
            "Order Date": f"2026-03-01 {9 + i:02d}:00",
            "Billing Email": f"buyer{number}@example.com",
            "Order Total Amount": "100000",
            "Origin": label,
        }
        for i, (number, (label, *_)) in enumerate(ORIGINS.items())
    ]
    orders = write_csv(tmp_path / "woocommerce.csv", rows)
    sale = ["--set", "event=Order Completed", "--project", str(root)]
    asked = runner.invoke(cli, ["import", str(orders), *sale], env={"COLUMNS": "400"})
    said = " ".join(asked.output.split())
    assert asked.exit_code != 0 and "Origin=source" in said, said
    advice = shlex.split(said.split("Its names suggest: ", 1)[1].split(" (check with", 1)[0])
    assert advice[0] == "--map"
    done = runner.invoke(cli, ["import", str(orders), *advice, *sale])
    assert done.exit_code == 0, done.output
    assert runner.invoke(cli, ["build", "--project", str(root)]).exit_code == 0
    exported = tmp_path / "touchpoints.parquet"
    written = ["export", "touchpoints", "--format", "parquet", "-o", str(exported), "--project", str(root)]
    assert runner.invoke(cli, written).exit_code == 0
    conversions = tmp_path / "conversions.parquet"
    written = ["export", "conversions", "--format", "parquet", "-o", str(conversions), "--project", str(root)]
    assert runner.invoke(cli, written).exit_code == 0
    touches = {row["session_id"]: row for row in pq.read_table(exported).to_pylist()}
    found = {}
    for conversion in pq.read_table(conversions).to_pylist():
        touch = touches[conversion["session_id"]]
        found[conversion["conversion_event_id"]] = (touch["source"], touch["medium"], touch["referrer"])
        assert touch["channel"] == CHANNELS[conversion["conversion_event_id"]], (conversion, touch)
    assert found == {number: tuple(read) for number, (_, *read) in ORIGINS.items()}
