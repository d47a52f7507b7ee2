"""Path flows: what people did after a start event, or before an end event, step by step (data for a Sankey chart).

Forward from a start event: each session's (or person's) first occurrence of it is
step 0, their next interactions are steps 1, 2, … N. Backward from an end event: its
first occurrence is step 0 and the interactions before it are steps -1, -2, … -N.
A path that runs out of interactions before N steps gets one "(end)" node (backward:
"(start)") and stops. At each step the `top_n` most frequent nodes are shown and the
rest are one "Other (n rows, x % of total)" node, so every step's paths add up to the
paths that reached it, and the links out of a node add up to the node.

A node is the event name (page and screen views carry the page's name) or, with
`node="page"`, the page path where there is one. Every interaction is a step: a page
viewed twice in a row shows twice.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import ibis
import ibis.expr.types as ir

from jejak.analytics.funnels import Step
from jejak.analytics.topn import OTHER_PREFIX, other_label
from jejak.core.errors import SettingError
from jejak.journeys.events import position_key
from jejak.journeys.filters import in_date_range

END_NODE = "(end)"
START_NODE = "(start)"
NOT_SET_NODE = "(not set)"  # an interaction without the name the flow reads (no page path, say)
MAX_TOP_N = 20
NODES = ("event", "page")
WITHIN = ("session", "person")


@dataclass(frozen=True)
class Flow:
    """Where the paths are anchored and how far they go."""

    anchor: Step
    backward: bool = False
    steps: int = 5
    top_n: int = 5
    node: str = "event"
    within: str = "session"
    start: dt.date | None = None
    end: dt.date | None = None
    zone: str = "UTC"  # whose days `start` and `end` are (the `timezone` setting)

    def __post_init__(self) -> None:
        if not 1 <= self.steps <= 20:
            raise SettingError(f"A flow goes 1 to 20 steps, not {self.steps}.")
        if not 1 <= self.top_n <= MAX_TOP_N:
            raise SettingError(f"A flow shows 1 to {MAX_TOP_N} nodes per step, not {self.top_n}.")
        if self.node not in NODES:
            raise SettingError(f"Flow nodes are {' or '.join(NODES)}, not {self.node!r}.")
        if self.within not in WITHIN:
            raise SettingError(f"Flows follow one {' or one '.join(WITHIN)}, not {self.within!r}.")

    @classmethod
    def forward(cls, start_event: str, **options: object) -> Flow:
        return cls(Step(start_event), backward=False, **options)  # type: ignore[arg-type]

    @classmethod
    def backward_from(cls, end_event: str, **options: object) -> Flow:
        return cls(Step(end_event), backward=True, **options)  # type: ignore[arg-type]


def _steps(stream: ir.Table, flow: Flow) -> ir.Table:
    """One row per path and step: `path` (the anchor's person and position), `step` and the raw `node`."""
    matched = stream.filter(
        flow.anchor.matches(stream) & in_date_range(stream.timestamp, flow.start, flow.end, flow.zone)
    )
    # The first occurrence per session (or person): a smallest position, which a group-by finds without a sort.
    group = [matched.person_number] if flow.within == "person" else [matched.person_number, matched.session_id]
    firsts = matched.group_by(group).aggregate(_anchor=matched.position.min())
    anchors = firsts.select(
        _session_id=firsts.session_id if flow.within == "session" else ibis.null("string"),
        # One integer names a path: its anchor's row key.
        path=position_key(firsts.person_number, firsts._anchor),
    )
    # The rows N steps around each anchor, found by equality on (person, position): no range join.
    reach = range(-flow.steps, 1) if flow.backward else range(flow.steps + 1)
    # The offsets as a generated series, not a memtable: any memtable makes Ibis import pandas (0.2 s of a fresh
    # process, every `jejak report flows`).
    series = ibis.range(ibis.literal(reach.start, "int64"), ibis.literal(reach.stop, "int64"))
    offsets = series.unnest().name("_offset").as_table()
    wanted = anchors.cross_join(offsets)
    wanted = wanted.mutate(_key=wanted.path + wanted._offset)
    # The same number for the stream's rows: one integer key hashes faster than the pair.
    joined = stream.join(wanted, position_key(stream.person_number, stream.position) == wanted._key)
    if flow.within == "session":
        # Sessions are runs of consecutive positions, so what is left is each path's steps inside its session.
        # Written as a CASE so that DuckDB checks it on the joined rows instead of hashing the text session ids
        # into the join key (measured: 0.4 s less at 10M events).
        same_session = ibis.ifelse(joined.session_id == joined._session_id, 1, 0)
        joined = joined.filter(same_session == 1)
    name = joined.event if flow.node == "event" else ibis.coalesce(joined.page_path, joined.event)
    steps = joined.select("path", step=joined._offset, node=name.fill_null(NOT_SET_NODE))
    # Where a path runs out before N steps, one end (or start) node, then nothing.
    reached = steps.group_by("path").aggregate(_last=steps.step.min() if flow.backward else steps.step.max())
    limit = -flow.steps if flow.backward else flow.steps
    short = reached.filter(reached._last != limit)
    marker = short.select(
        "path",
        step=short._last - 1 if flow.backward else short._last + 1,
        node=ibis.literal(START_NODE if flow.backward else END_NODE),
    )
    return steps.union(marker)


def _shown(steps: ir.Table, flow: Flow) -> ir.Table:
    """Each step's nodes with their paths and the node shown for them: itself in the top N, else the step's Other.

    A small table (steps × distinct nodes): nodes and links are counted on the raw nodes first and renamed
    through it, so the paths' rows are never joined to their labels.
    """
    counts = steps.group_by(["step", "node"]).aggregate(paths=steps.count())
    rank = ibis.row_number().over(group_by=counts.step, order_by=[ibis.desc(counts.paths), counts.node])
    at_step = ibis.window(group_by=counts.step)
    # One node past the top N is shown as itself, not as an Other of one.
    counts = counts.mutate(_hidden=(rank >= flow.top_n) & (counts.count().over(at_step) > flow.top_n + 1))
    hidden = counts._hidden
    other = other_label(
        hidden.cast("int64").sum().over(at_step),
        ibis.ifelse(hidden, counts.paths, 0).sum().over(at_step),
        counts.paths.sum().over(at_step),
    )
    return counts.select("step", "node", shown=ibis.ifelse(hidden, other, counts.node))


def flow_nodes(stream: ir.Table, flow: Flow) -> ir.Table:
    """Per step, the nodes shown and how many paths went through each (Other last): summed from the flow's links,
    so nodes and links always come from the same run (`nodes_of_links`)."""
    return nodes_of_links(flow_links(stream, flow))


def flow_links(stream: ir.Table, flow: Flow) -> ir.Table:
    """Links from one step's node to the next step's node, with how many paths took them (Sankey-ready)."""
    steps = _steps(stream, flow)
    target = steps.select(_path=steps.path, _target_step=steps.step, _target=steps.node)
    pairs = steps.join(target, (steps.path == target._path) & (steps.step + 1 == target._target_step))
    raw = pairs.group_by(_step=pairs.step, _source=pairs.node, _target=pairs._target).aggregate(_paths=pairs.count())
    shown = _shown(steps, flow)
    source = shown.select(_s_step=shown.step, _s_node=shown.node, source=shown.shown)
    sink = shown.select(_t_step=shown.step, _t_node=shown.node, target=shown.shown)
    named = raw.join(source, (raw._step == source._s_step) & (raw._source == source._s_node))
    named = named.join(sink, (named._step + 1 == sink._t_step) & (named._target == sink._t_node))
    links = named.group_by(
        source_step=named._step, source=named.source, target_step=named._step + 1, target=named.target
    ).aggregate(paths=named._paths.sum())
    return in_link_order(links)


def in_link_order(links: ir.Table) -> ir.Table:
    """Links in the order `flow_links` gives them: by step, then most paths first (again after materializing)."""
    return links.order_by([links.source_step, ibis.desc(links.paths), links.source, links.target])


def nodes_of_links(links: ir.Table) -> ir.Table:
    """The nodes of a flow read off its links (a few dozen rows), so a page that shows both runs the flow once.

    Every path at a step but the anchor's came from the step before (forward) or goes on to the step after
    (backward), and the anchor's step links to its neighbour on the other side. So the paths through a node are
    the larger of its links in and its links out.
    """
    into = links.group_by(_in_step=links.target_step, _in_node=links.target).aggregate(_in=links.paths.sum())
    out = links.group_by(_out_step=links.source_step, _out_node=links.source).aggregate(_out=links.paths.sum())
    both = into.outer_join(out, (into._in_step == out._out_step) & (into._in_node == out._out_node))
    nodes = both.select(
        step=ibis.coalesce(both._in_step, both._out_step),
        node=ibis.coalesce(both._in_node, both._out_node),
        paths=ibis.greatest(both._in.fill_null(0), both._out.fill_null(0)),
    )
    is_other = nodes.node.startswith(f"{OTHER_PREFIX} (")
    return nodes.order_by([nodes.step, is_other, ibis.desc(nodes.paths), nodes.node])
