"""Reading the generator's planted truth back against a build: which planted persona each jejak person is."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq

from jejak.store.derived import table_path
from jejak.store.project import Project

# Identity-graph node names (identity/graph.py) of the identifier kinds the truth lists.
NODE_PREFIX = {"user_id": "1u:", "anonymous_id": "2a:"}


def planted_personas(project: Project, truth_dir: Path) -> dict[str, str]:
    """Each person of the project's build whose user ids and devices all belong to one planted persona."""
    persona_of_node = {
        NODE_PREFIX[row["kind"]] + row["value"]: row["persona"]
        for row in pq.read_table(truth_dir / "identifiers.parquet").to_pylist()
        if row["kind"] in NODE_PREFIX
    }
    found: dict[str, set[str]] = {}
    for row in pq.read_table(table_path(project, "identities")).to_pylist():
        if row["node"] in persona_of_node:
            found.setdefault(row["person_id"], set()).add(persona_of_node[row["node"]])
    return {person: next(iter(personas)) for person, personas in found.items() if len(personas) == 1}
