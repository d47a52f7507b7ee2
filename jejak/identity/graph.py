"""Resolve identifiers into one person each: connected components of the identity graph, on the engine.

Nodes are identifiers, keyed `u:<user_id>`, `a:<anonymous_id>`, `e:<email hmac>`,
`p:<phone hmac>`. An event links every identifier it carries to its primary one
(user id first, then anonymous id, e-mail, phone); an `alias` links `previous_id`
to `user_id`. Components are found by iterative min-label propagation with
pointer jumping, each round a join and a group-by in Ibis, so the same code runs
on DuckDB and on Spark and never pulls the graph into Python memory.

Over-merge guard: a non-user identifier (an e-mail, a phone, an anonymous id)
seen together with more distinct user ids than `identity_max_people_per_identifier`
(a shop's own phone number typed at the till, a shared kiosk) is not used to
merge, and is reported in the `shared_identifiers` table. Events whose only
identifier is such a shared one each stay a person of their own.

Assumptions: identifiers are exact (after e-mail/phone normalisation); no
probabilistic matching. Person ids are the component's smallest node key, so a
person known by a user id is named by it (`u:C0042`).
"""

from __future__ import annotations

from dataclasses import dataclass

import ibis
import ibis.expr.types as ir

from jejak.core.errors import EngineError
from jejak.core.vocabulary import KIND_PREFIX
from jejak.engine import Engine


@dataclass(frozen=True)
class IdentityResult:
    """The engine tables identity resolution produced."""

    identities: ir.Table  # node, kind, person_id
    shared_identifiers: ir.Table  # node, kind, user_ids
    rounds: int


def _node(prefix: str, column: ir.StringValue) -> ir.StringValue:
    return ibis.ifelse(column.isnull() | (column == ""), ibis.null("string"), ibis.literal(prefix) + column)


def event_nodes(events: ir.Table) -> ir.Table:
    """Each event's identifier nodes and its primary node (the one that decides its person)."""
    user = _node(KIND_PREFIX["user_id"], events.user_id)
    anonymous = _node(KIND_PREFIX["anonymous_id"], events.anonymous_id)
    email = _node(KIND_PREFIX["email"], events.email_hash)
    phone = _node(KIND_PREFIX["phone"], events.phone_hash)
    is_alias = events.type == "alias"
    return events.mutate(
        node_user=user,
        node_anonymous=anonymous,
        node_email=email,
        node_phone=phone,
        alias_previous_id=ibis.ifelse(
            is_alias & events.previous_id.notnull() & (events.previous_id != ""),
            events.previous_id,
            ibis.null("string"),
        ),
        primary_node=ibis.coalesce(user, anonymous, email, phone),
    )


def _edges(nodes: ir.Table) -> ir.Table:
    """Distinct undirected links (primary, other) from every event."""
    parts = []
    for column in ("node_anonymous", "node_email", "node_phone"):
        part = nodes.filter(nodes[column].notnull() & (nodes[column] != nodes.primary_node))
        parts.append(part.select(src=part.primary_node, dst=part[column]))
    # An alias's previous id is an earlier user id when one was ever seen, else an anonymous id (Segment's usual case).
    aliases = nodes.filter(nodes.alias_previous_id.notnull())
    known_users = nodes.filter(nodes.user_id.notnull()).select(known_user_id=nodes.user_id).distinct()
    resolved = aliases.left_join(known_users, aliases.alias_previous_id == known_users.known_user_id)
    previous_node = ibis.ifelse(
        resolved.known_user_id.notnull(),
        ibis.literal(KIND_PREFIX["user_id"]) + resolved.alias_previous_id,
        ibis.literal(KIND_PREFIX["anonymous_id"]) + resolved.alias_previous_id,
    )
    alias_edges = resolved.select(src=resolved.primary_node, dst=previous_node)
    parts.append(alias_edges.filter(alias_edges.dst != alias_edges.src))
    return ibis.union(*parts, distinct=True)


def _shared(edges: ir.Table, max_users: int) -> ir.Table:
    """Non-user nodes linked to more user ids than allowed."""
    user_prefix = KIND_PREFIX["user_id"]
    both = ibis.union(edges.select(a=edges.src, b=edges.dst), edges.select(a=edges.dst, b=edges.src), distinct=True)
    linked = both.filter(both.a.startswith(user_prefix) & ~both.b.startswith(user_prefix))
    counts = linked.group_by(node=linked.b).aggregate(user_ids=linked.a.nunique())
    return counts.filter(counts.user_ids > max_users)


def _kind(node: ir.StringValue) -> ir.StringValue:
    prefix = node.substr(0, 3)
    cases = [(ibis.literal(p), ibis.literal(k)) for k, p in KIND_PREFIX.items()]
    return prefix.cases(*cases, else_="unknown")


def _propagate(engine: Engine, links: ir.Table, *, max_rounds: int) -> tuple[ir.Table, int]:
    """Min-label propagation with pointer jumping over `links` (both directions): (node, label) and the rounds used."""
    linked_nodes = links.select(node=links.src).distinct()
    labels = engine.materialize(linked_nodes.select("node", label=linked_nodes.node), "identity_labels_0")
    rounds = 0
    for rounds in range(1, max_rounds + 1):
        # Min over neighbours, then pointer jumping (label of my label) to halve the distance each round.
        joined = links.join(labels, links.src == labels.node)
        from_neighbours = joined.group_by(node=joined.dst).aggregate(label=joined.label.min())
        from_neighbours = from_neighbours.select(
            neighbour_node=from_neighbours.node, neighbour_label=from_neighbours.label
        )
        merged = labels.left_join(from_neighbours, labels.node == from_neighbours.neighbour_node)
        stepped = engine.materialize(
            merged.select(
                node=merged.node,
                label=ibis.least(merged.label, merged.neighbour_label.fill_null(merged.label)),
                previous_label=merged.label,
            ),
            f"identity_stepped_{rounds}",
        )
        hop = stepped.select(hop_node=stepped.node, hop_label=stepped.label)
        jumped_join = stepped.left_join(hop, stepped.label == hop.hop_node)
        jumped = jumped_join.select(
            node=jumped_join.node,
            label=ibis.least(jumped_join.label, jumped_join.hop_label.fill_null(jumped_join.label)),
            previous_label=jumped_join.previous_label,
        )
        new_labels = engine.materialize(jumped, f"identity_labels_{rounds}")
        # The previous label rides along, so settling is one scan, not another join.
        # Through Arrow, not pandas: ibis 12's pandas path warns under pandas 3 (and NaN is not NULL).
        changed = engine.to_pyarrow((new_labels.label != new_labels.previous_label).sum()).as_py()
        labels = new_labels.drop("previous_label")
        if not changed:
            return labels, rounds
    raise EngineError(
        f"Identity resolution did not settle in {max_rounds} rounds. Raise the identity_max_iterations setting."
    )


def _components(engine: Engine, links: ir.Table, *, max_rounds: int) -> tuple[ir.Table, int]:
    """Each linked node's component label (its smallest node), iterating only over the graph's core.

    Most identifiers are leaves: a phone, an e-mail or a device seen with one user id
    only. A leaf's component is decided by its one neighbour, so propagation runs only
    on links between nodes of degree two or more (at 10M events: 161k of 5.9M links),
    and everything else is settled by joins:
    - a core node takes the label propagation gives it;
    - a centre (degree ≥ 2, only leaves around it) anchors its own star;
    - a leaf takes its neighbour's anchor, and two leaves linked only to each other
      take the smaller of the two.
    Every node of a component then shares one anchor, and its label is the smallest
    node with that anchor.
    """
    degree = engine.materialize(links.group_by(node=links.src).aggregate(degree=links.count()), "identity_degree")
    src_degree = degree.select(src_node=degree.node, src_degree=degree.degree)
    dst_degree = degree.select(dst_node=degree.node, dst_degree=degree.degree)
    with_degree = links.join(src_degree, links.src == src_degree.src_node).join(
        dst_degree, links.dst == dst_degree.dst_node
    )
    core = with_degree.filter((with_degree.src_degree >= 2) & (with_degree.dst_degree >= 2)).select("src", "dst")
    core_links = engine.materialize(core, "identity_core_links")
    core_labels, rounds = _propagate(engine, core_links, max_rounds=max_rounds)
    own_core = core_labels.select(own_node=core_labels.node, own_label=core_labels.label)
    nodes = degree.left_join(own_core, degree.node == own_core.own_node)
    # A leaf's one neighbour, with that neighbour's degree and core label.
    leaves = with_degree.filter(with_degree.src_degree == 1)
    neighbour_core = core_labels.select(neighbour_node=core_labels.node, neighbour_label=core_labels.label)
    leaves = leaves.left_join(neighbour_core, leaves.dst == neighbour_core.neighbour_node)
    leaves = leaves.select(
        leaf_node=leaves.src,
        leaf_anchor=ibis.cases(
            (leaves.neighbour_label.notnull(), leaves.neighbour_label),
            (leaves.dst_degree >= 2, leaves.dst),
            else_=ibis.least(leaves.src, leaves.dst),
        ),
    )
    anchored = nodes.left_join(leaves, nodes.node == leaves.leaf_node)
    anchored = anchored.select(
        node=anchored.node,
        anchor=ibis.cases(
            (anchored.own_label.notnull(), anchored.own_label),
            (anchored.degree >= 2, anchored.node),
            else_=anchored.leaf_anchor,
        ),
    )
    anchored = engine.materialize(anchored, "identity_anchored")
    smallest = anchored.group_by(smallest_anchor=anchored.anchor).aggregate(label=anchored.node.min())
    labelled = anchored.join(smallest, anchored.anchor == smallest.smallest_anchor)
    return engine.materialize(labelled.select("node", "label"), "identity_labels"), rounds


def resolve_identities(
    engine: Engine, events: ir.Table, *, max_people_per_identifier: int, max_rounds: int
) -> IdentityResult:
    """Connected components of the identity graph; see the module docstring.

    Example (two devices of Ana joined by her user id; Budi alone):
        >>> import ibis
        >>> import pyarrow as pa
        >>> from jejak.engine import connect
        >>> eng = connect()
        >>> ev = ibis.memtable(pa.table({"type": ["page", "identify", "identify", "page"],
        ...     "user_id": [None, "ana", "ana", None], "anonymous_id": ["d1", "d1", "d2", "d9"],
        ...     "previous_id": pa.nulls(4, pa.string()), "email_hash": pa.nulls(4, pa.string()),
        ...     "phone_hash": pa.nulls(4, pa.string())}))
        >>> result = resolve_identities(eng, ev, max_people_per_identifier=5, max_rounds=10)
        >>> sorted(set(eng.to_pyarrow(result.identities).column("person_id").to_pylist()))
        ['a:d9', 'u:ana']
    """
    # Many events repeat the same identifiers: work on the distinct identifier tuples, a fraction of the events.
    tuples = events.select(
        user_id=events.user_id,
        anonymous_id=events.anonymous_id,
        email_hash=events.email_hash,
        phone_hash=events.phone_hash,
        previous_id=ibis.ifelse(events.type == "alias", events.previous_id, ibis.null("string")),
        type=ibis.ifelse(events.type == "alias", ibis.literal("alias"), ibis.literal("other")),
    ).distinct()
    nodes = engine.materialize(event_nodes(tuples), "identity_tuples")
    edges = engine.materialize(_edges(nodes), "identity_edges")
    shared = engine.materialize(_shared(edges, max_people_per_identifier), "identity_shared")
    shared_keys = shared.select(shared_node=shared.node)
    kept = edges.anti_join(shared_keys, edges.src == shared_keys.shared_node)
    shared_again = shared_keys.view()
    kept = kept.anti_join(shared_again, kept.dst == shared_again.shared_node)
    links = engine.materialize(
        ibis.union(kept.select("src", "dst"), kept.select(src=kept.dst, dst=kept.src), distinct=True), "identity_links"
    )
    labels, rounds = _components(engine, links, max_rounds=max_rounds)
    primary = nodes.filter(nodes.primary_node.notnull()).select(node=nodes.primary_node).distinct()
    shared_lookup = shared.select(shared_primary=shared.node)
    alone = primary.anti_join(shared_lookup, primary.node == shared_lookup.shared_primary)
    known = labels.select(known_node=labels.node)
    alone = alone.anti_join(known, alone.node == known.known_node)
    labels = ibis.union(labels, alone.select("node", label=alone.node))
    identities = labels.select(
        node=labels.node,
        kind=_kind(labels.node),
        person_id=labels.label.substr(1),
    )
    shared_report = shared.select(node=shared.node, kind=_kind(shared.node), user_ids=shared.user_ids)
    return IdentityResult(identities=identities, shared_identifiers=shared_report, rounds=rounds)


def assign_people(events: ir.Table, identities: ir.Table) -> ir.Table:
    """Every event with its `person_id`; events known only by a shared identifier each stay alone."""
    nodes = event_nodes(events)
    lookup = identities.select(lookup_node=identities.node, person_id=identities.person_id)
    joined = nodes.left_join(lookup, nodes.primary_node == lookup.lookup_node)
    person = joined.person_id.fill_null(ibis.literal("x:") + joined.event_id)
    return joined.select(*events.columns, person_id=person)
