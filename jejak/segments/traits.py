"""People's traits: what `identify` events say about who they are (city, age, plan…), each person's latest value.

A Segment `identify` call carries `traits`, e.g. `{"city": "Bandung", "age": 29, "plan": "gold"}`;
the importer keeps them as JSON text in the lake's `traits` column (without e-mail and phone,
which become hashed identifiers of their own). The build's `person_traits` table has one row per
person and trait:

- `trait`: the key as sent (any text; persona rules name it `trait.<key>`, e.g. `trait.city`);
- `value`: the trait as text: a string as it is; a number, boolean, object or array as its JSON
  text (`25`, `1500.0` for `1.5e3`, `true`, `{"city":"Depok"}`);
- `number`: the value read as a number when it is one (a JSON number, or text that is a plain
  decimal number such as `"25"` or `"-1.5e3"`, without spaces), else NULL;
- `set_at`: when that value was sent.

The latest value wins: of a person's identify events that give the trait a value, the one with
the latest timestamp (the larger event id among equal times). A trait sent as `null` is no
value, so the value before it stands. Only `identify` events count: a `group` call's traits
describe a company, and `context.traits` on other calls is a copy of identify's for destinations.

The keys are whatever the data sends, so they are only known when the build runs: the table
is long (person, trait, value), and persona assignment turns the traits its rules name into
columns (`trait_columns`). Parsing the JSON is an engine function (`Engine.json_object_texts`),
so all of it runs on the engine.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import ibis
import ibis.expr.types as ir

__all__ = ["NUMBER_PREFIX", "TRAIT_PREFIX", "PersonTraits", "is_trait", "person_traits", "trait_columns"]

TRAIT_PREFIX = "trait."
# The number column of a trait in `trait_columns`: no `trait.<key>` column can have this name.
NUMBER_PREFIX = "trait#"
# A plain decimal number, as JSON and most forms write one; the same test on every engine (no locale, no spaces).
NUMBER_PATTERN = r"^[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?$"


def is_trait(feature: str) -> bool:
    """Whether a persona rule's feature names a trait (`trait.city`) rather than behaviour (`sessions`)."""
    return feature.startswith(TRAIT_PREFIX)


def as_number(value: ir.StringValue) -> ir.FloatingValue:
    """The text as a number when it is a plain decimal number, else NULL."""
    number: ir.FloatingValue = ibis.ifelse(value.re_search(NUMBER_PATTERN), value.cast("float64"), ibis.null("float64"))
    return number


def person_traits(identify: ir.Table) -> ir.Table:
    """Each person's latest value of each trait (see the module docstring).

    `identify` has one row per identify event: `person_id`, `event_id`, `timestamp` and
    `members`, its traits as a map of texts (`Engine.json_object_texts` of the lake's `traits`).

    Example:
        >>> import datetime as dt, ibis, pyarrow as pa
        >>> from jejak.engine import connect
        >>> day = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
        >>> members = pa.array([[("city", "Bandung"), ("age", "29")], [("city", "Jakarta")]], pa.map_(pa.string(), pa.string()))
        >>> identify = ibis.memtable(pa.table({
        ...     "person_id": ["u:ana", "u:ana"], "event_id": ["e1", "e2"],
        ...     "timestamp": [day, day + dt.timedelta(days=3)], "members": members}))
        >>> rows = connect().to_pyarrow(person_traits(identify)).to_pylist()
        >>> sorted((row["trait"], row["value"], row["number"]) for row in rows)
        [('age', '29', 29.0), ('city', 'Jakarta', None)]
    """
    present = identify.filter(identify.members.notnull())
    keyed = present.mutate(trait=present.members.keys().unnest())
    given = keyed.mutate(value=keyed.members[keyed.trait])
    given = given.filter(given.value.notnull())
    # The latest event wins; the event id settles equal times the same way on every engine.
    order = ibis.struct({"at": given.timestamp, "event": given.event_id})
    latest = given.group_by(["person_id", "trait"]).aggregate(
        value=given.value.argmax(order), set_at=given.timestamp.max()
    )
    return latest.select("person_id", "trait", "value", number=as_number(latest.value), set_at=latest.set_at)


@dataclass(frozen=True)
class PersonTraits:
    """People's traits for persona rules: the `person_traits` table and every trait key in it (sorted)."""

    table: ir.Table
    names: tuple[str, ...]


def trait_columns(traits: ir.Table, names: Sequence[str]) -> ir.Table:
    """Per person with any of these traits: `trait.<key>` (the text) and `trait#<key>` (the number, or NULL)."""
    chosen = traits.filter(traits.trait.isin(list(names)))
    columns: dict[str, ir.Value] = {}
    for name in names:
        # One row per person and trait, so `max` just picks it (NULL for a person without the trait).
        columns[TRAIT_PREFIX + name] = chosen.value.max(where=chosen.trait == name)
        columns[NUMBER_PREFIX + name] = chosen.number.max(where=chosen.trait == name)
    return chosen.group_by(trait_person_id=chosen.person_id).aggregate(**columns)
