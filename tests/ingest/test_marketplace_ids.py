"""A marketplace's usernames read as user_id without `--id-prefix`: said, with the prefix to give.

An id is one text across every source, so Shopee's buyer `budi88` and the shop website's user `budi88` were one
person, joined without a word; `--id-prefix` (which keeps them apart) was documented but never suggested.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import cli_project

from jejak.cli.main import cli

ORDERS = "No. Pesanan,Waktu Pesanan Dibuat,Username (Pembeli),Total Pembayaran\nS-1,2026-10-01 09:00,budi88,150000\n"
ADVICE = "holds usernames on a marketplace"


@pytest.mark.parametrize(
    ("name", "extra", "warned"),
    [
        ("Order.all.20261001.csv", ["--set", "event=Order Completed,channel=Marketplace"], "--id-prefix marketplace"),
        ("shopee-oktober.csv", ["--set", "event=Order Completed"], "--id-prefix shopee"),
        ("shopee-oktober.csv", ["--set", "event=Order Completed", "--id-prefix", "shopee"], None),
        ("pelanggan-web.csv", ["--set", "event=Order Completed"], None),  # the shop's own users: ids that should join
    ],
)
def test_a_marketplace_username_without_a_prefix_is_warned_of(
    tmp_path: Path, name: str, extra: list[str], warned: str | None
) -> None:
    runner, project = cli_project(tmp_path, "toko")
    path = tmp_path / name
    path.write_text(ORDERS, encoding="utf-8")
    mapping = "No. Pesanan=event_id,Waktu Pesanan Dibuat=timestamp,Username (Pembeli)=user_id,Total Pembayaran=revenue"
    done = runner.invoke(
        cli, ["import", str(path), "--map", mapping, *extra, "--project", str(project)], env={"COLUMNS": "400"}
    )
    said = " ".join(done.output.split())
    assert done.exit_code == 0, said
    if warned is None:
        assert ADVICE not in said, said
    else:
        assert f"its column 'Username (Pembeli)', read as user_id, {ADVICE}" in said, said
        assert f"Keep them apart with {warned} (with --replace)" in said, said
