"""How a number reads in a table cell, on the dashboard and in the terminal."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from jejak.cli.common import cell_text as terminal_cell
from jejak.web.app import cell_text as page_cell


@pytest.mark.parametrize("cell", [page_cell, terminal_cell])
def test_zero_reads_as_zero_among_large_amounts(cell: Callable[[Any], str]) -> None:
    # A day with no revenue, among days of 765,000: "0.000" (or "0.00") read as if it were a fraction.
    assert cell(0.0) == "0" and cell(-0.0) == "0"
    assert cell(765000.0) == "765,000"


def test_fractions_keep_their_decimals() -> None:
    assert page_cell(0.125) == "0.125" and terminal_cell(0.125) == "0.12"
    assert page_cell(12.5) == "12.50"
