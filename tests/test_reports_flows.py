"""Path flows: forward from a start event and backward from an end event, top N per step, Other and (end)."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from typing import Any

import pytest
from conftest import Built, build_story
from hypothesis import given, settings
from hypothesis import strategies as st
from test_reports_funnels import stream_table

from jejak.analytics.flows import END_NODE, START_NODE, Flow, flow_links, flow_nodes
from jejak.core.errors import SettingError
from jejak.engine import Engine, connect

PAGES = {
    "Beranda": "/",
    "Produk": "/produk",
    "Detail Produk": "/produk/gayo",
    "Tentang Kami": "/tentang",
    "Promo": "/promo",
}


def visit(day: int, *names: str) -> list[dict[str, Any]]:
    """One visit on a March day: pages (and tracked events) one minute apart."""
    events = []
    for minute, name in enumerate(names):
        at = f"2026-03-{day:02d} 10:{minute:02d}:00"
        if name in PAGES:
            events.append({"at": at, "type": "page", "event": name, "page_path": PAGES[name], "channel": "Email"})
        else:
            events.append({"at": at, "type": "track", "event": name})
    return events


STORY: dict[str, list[dict[str, Any]]] = {
    "ana": visit(2, "Beranda", "Produk", "Detail Produk", "Product Added", "Order Completed"),
    "budi": visit(3, "Beranda", "Produk", "Tentang Kami"),
    "citra": visit(4, "Beranda", "Detail Produk", "Product Added"),
    # Dedi lands on the catalogue and only then goes home: his path starts at his first home page.
    "dedi": visit(5, "Produk", "Beranda", "Promo"),
    "eka": visit(6, "Beranda"),
    # Fajar comes twice: two visits, two paths (one path if flows follow people instead of visits).
    "fajar": visit(7, "Beranda", "Produk") + visit(8, "Beranda", "Promo"),
}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return build_story(tmp_path_factory.mktemp("flows"), STORY)


def nodes(built: Built, flow: Flow) -> dict[int, list[tuple[str, int]]]:
    rows = built.report(lambda read: flow_nodes(read("events"), flow))
    found: dict[int, list[tuple[str, int]]] = {}
    for row in rows:
        found.setdefault(row["step"], []).append((row["node"], row["paths"]))
    return found


def test_forward_flow_keeps_the_top_nodes_per_step_and_groups_the_rest(built: Built) -> None:
    found = nodes(built, Flow.forward("Beranda", steps=3, top_n=2))
    assert found == {
        0: [("Beranda", 7)],
        1: [("Produk", 3), ("Promo", 2), ("Other (2 rows, 28.6 % of total)", 2)],
        2: [(END_NODE, 3), ("Detail Produk", 1), ("Other (2 rows, 33.3 % of total)", 2)],
        3: [(END_NODE, 2), ("Product Added", 1)],
    }


def test_one_node_past_the_top_is_shown_as_itself(built: Built) -> None:
    # Four nodes follow the home page (Produk, Promo and the two that were an Other above, with a top of 2): with a
    # top of 3 the one left over is named, not an "Other (1 row, …)".
    found = nodes(built, Flow.forward("Beranda", steps=3, top_n=3))
    assert [node for node, _ in found[1]] == ["Produk", "Promo", *sorted(node for node, _ in found[1][2:])]
    assert len(found[1]) == 4 and not [node for node, _ in found[1] if node.startswith("Other (")]
    assert sum(paths for _, paths in found[1]) == 7


def test_links_go_from_each_step_to_the_next_and_add_up(built: Built) -> None:
    flow = Flow.forward("Beranda", steps=3, top_n=2)
    links = built.report(lambda read: flow_links(read("events"), flow))
    first = {(row["source"], row["target"]): row["paths"] for row in links if row["source_step"] == 0}
    assert first == {
        ("Beranda", "Produk"): 3,
        ("Beranda", "Promo"): 2,
        ("Beranda", "Other (2 rows, 28.6 % of total)"): 2,
    }
    assert {(row["source"], row["target"]) for row in links if row["source_step"] == 2} == {
        ("Detail Produk", "Product Added"),
        ("Other (2 rows, 33.3 % of total)", END_NODE),
    }
    assert all(row["target_step"] == row["source_step"] + 1 for row in links)


def test_backward_flow_shows_how_people_got_there(built: Built) -> None:
    found = nodes(built, Flow.backward_from("Product Added", steps=3))
    assert found == {
        -3: [(START_NODE, 1), ("Beranda", 1)],
        -2: [("Beranda", 1), ("Produk", 1)],
        -1: [("Detail Produk", 2)],
        0: [("Product Added", 2)],
    }


def test_flows_can_follow_people_across_visits(built: Built) -> None:
    found = nodes(built, Flow.forward("Beranda", steps=3, top_n=5, within="person"))
    assert found[0] == [("Beranda", 6)]
    # Fajar's second visit continues his path: home, catalogue, home again, promo.
    assert ("Beranda", 1) in found[2]


def test_page_nodes_use_the_page_path(built: Built) -> None:
    found = nodes(built, Flow.forward("page:/", steps=1, node="page"))
    assert found == {0: [("/", 7)], 1: [("/produk", 3), ("/promo", 2), (END_NODE, 1), ("/produk/gayo", 1)]}


def test_bad_flows_are_refused() -> None:
    with pytest.raises(SettingError, match="1 to 20 nodes"):
        Flow.forward("Beranda", top_n=21)
    with pytest.raises(SettingError, match="1 to 20 steps"):
        Flow.forward("Beranda", steps=0)


# --- the property: nodes reconcile with the untruncated paths, links with nodes -----------------------------


@st.composite
def streams(draw: st.DrawFn) -> list[tuple[str, int, str]]:
    rows = []
    for person in ("p", "q", "r", "s"):
        seconds = sorted(draw(st.lists(st.integers(0, 40), max_size=8)))
        rows += [(person, second, draw(st.sampled_from(["a", "b", "c", "d"]))) for second in seconds]
    return rows


def reference_nodes(events: list[tuple[str, int, str]], steps: int, backward: bool) -> Counter[tuple[int, str]]:
    by_person: dict[str, list[str]] = {}
    for person, _, name in events:
        by_person.setdefault(person, []).append(name)
    counts: Counter[tuple[int, str]] = Counter()
    for names in by_person.values():
        if "a" not in names:
            continue
        anchor = names.index("a")
        path = names[max(0, anchor - steps) : anchor + 1][::-1] if backward else names[anchor : anchor + steps + 1]
        sign = -1 if backward else 1
        counts.update((sign * offset, name) for offset, name in enumerate(path))
        if len(path) <= steps:
            counts[(sign * len(path), START_NODE if backward else END_NODE)] += 1
    return counts


@pytest.fixture(scope="module")
def engine() -> Any:
    eng = connect()
    yield eng
    eng.close()


@settings(max_examples=30, deadline=None)
@given(events=streams(), steps=st.integers(1, 4), top_n=st.integers(1, 3), backward=st.booleans())
def test_nodes_reconcile_with_the_paths_and_links_with_the_nodes(
    engine: Engine, events: list[tuple[str, int, str]], steps: int, top_n: int, backward: bool
) -> None:
    table = stream_table(events)
    options = {"steps": steps, "within": "person"}
    flow = Flow(Flow.forward("a").anchor, backward=backward, **options)  # type: ignore[arg-type]
    whole = engine.to_pyarrow(flow_nodes(table, flow)).to_pylist()
    assert Counter({(row["step"], row["node"]): row["paths"] for row in whole}) == reference_nodes(
        events, steps, backward
    )
    short = Flow(flow.anchor, backward=backward, top_n=top_n, **options)  # type: ignore[arg-type]
    truncated = engine.to_pyarrow(flow_nodes(table, short)).to_pylist()
    per_step: Counter[int] = Counter()
    for row in whole:
        per_step[row["step"]] += row["paths"]
    assert sum((Counter({row["step"]: row["paths"]}) for row in truncated), Counter()) == per_step
    links = engine.to_pyarrow(flow_links(table, short)).to_pylist()
    # Every node but the anchor has one link per path on its side away from the anchor.
    side = ("source_step", "source") if backward else ("target_step", "target")
    linked: Counter[tuple[int, str]] = Counter()
    for row in links:
        linked[(row[side[0]], row[side[1]])] += row["paths"]
    assert linked == Counter({(row["step"], row["node"]): row["paths"] for row in truncated if row["step"] != 0})


def test_reports_on_duckdb_never_import_pandas(built: Built) -> None:
    """A `jejak report` process pays for what it imports: Ibis's pandas converter and memtables would import pandas
    (0.2 s of every command), and nothing on the report path needs it."""
    script = f"""
import sys
from pathlib import Path
from jejak.analytics.flows import Flow, flow_links
from jejak.analytics.funnels import Funnel, funnel_steps
from jejak.engine import connect
from jejak.store.derived import table_path
from jejak.store.project import open_project
project = open_project(Path({str(built.project.root)!r}))
engine = connect(project.settings)
stream = engine.read_parquet(table_path(project, "events"))
flows = engine.to_pyarrow(flow_links(stream, Flow.backward_from("Product Added", steps=3))).num_rows
funnel = engine.to_pyarrow(funnel_steps(stream, Funnel.of(["Beranda", "Product Added"]))).num_rows
print(flows, funnel, "pandas" in sys.modules)
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    flows, funnel, imported = done.stdout.split()
    assert int(flows) > 0 and int(funnel) == 2
    assert imported == "False"
