"""Personas: documents people write (and import or export as YAML), and the rules that put people in them.

A persona document has a name, a photo (a placeholder until someone adds one), a
description, demographics, goals, motivations, needs and frustrations, as in the
journey-mapping tools. It is stored in the project's SQLite state. Its `rules` put
people into it from their behaviour and their traits: every condition must hold, on the
features of `jejak.segments.features` (e.g. `share_social >= 0.5`, `main_device == mobile`)
or on the latest value of a trait their `identify` events sent, named `trait.<key>`
(`trait.city == Bandung`, `trait.age >= 25`; see `jejak.segments.traits`).
Personas are tried in `priority` order (lowest first) and a person gets the first
whose rules all hold; a persona without rules takes nobody, and a person no persona
takes is "(no persona)".

A trait's values are text, and also numbers where they are plain decimal numbers. The
rule's value says which is compared: a number (`trait.age >= 25`) compares the trait
as a number, and a person whose value is not one (`"twenty"`) does not match; text
(`trait.city == Bandung`, `trait.age == "25"`) compares the text, `<`/`>` in
alphabetical order; `true`/`false` compare the text `true`/`false` (JSON's); a date
compares its ISO text (`trait.signed_up >= 2026-01-01`). `in` compares numbers if every
listed value is a number, else text. A person without the trait matches no rule on it,
not even `!=`.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir
import yaml

from jejak.core.clock import utc_now
from jejak.core.errors import SettingError
from jejak.core.typed import TYPED_WHOLE_MOST, check_no_nul_inside
from jejak.segments.features import NUMERIC_FEATURES, TEXT_FEATURES
from jejak.segments.traits import NUMBER_PREFIX, TRAIT_PREFIX, PersonTraits, is_trait, trait_columns
from jejak.store.appstate import open_state, writing_state

NO_PERSONA = "(no persona)"
PHOTO_PLACEHOLDER = "placeholder:initials"
OPERATORS = ("==", "!=", "<", "<=", ">", ">=", "in")
INT64_MOST = 2**63 - 1  # the largest whole number an engine compares a feature with
_TEXT_EXAMPLES = {"first_channel": "Email", "main_device": "mobile"}  # a value of each text feature
ORIGINS = ("manual", "imported", "discovered")
LIST_FIELDS = ("goals", "motivations", "needs", "frustrations")
_FIELDS = ("name", "priority", "photo", "description", "demographics", *LIST_FIELDS, "rules", "origin")


def _unknown_feature(feature: str, columns: Sequence[str], traits: PersonTraits | None) -> SettingError:
    features = ", ".join(sorted(c for c in columns if c != "person_id" and not is_trait(c) and not _hidden(c)))
    if traits is None:
        known = "none known (a build by this version of jejak reads them from identify events: `jejak build`)"
    else:
        known = (
            ", ".join(TRAIT_PREFIX + name for name in traits.names) or "none (no identify event in the build sends any)"
        )
    kind = "trait" if is_trait(feature) else "feature"
    return SettingError(
        f"A persona rule uses the {kind} {feature!r}, which does not exist. Features: {features}. Traits: {known}."
    )


def _hidden(column: str) -> bool:
    return column.startswith(NUMBER_PREFIX)


def _as_text(value: Any) -> str | None:
    """A rule's value as a trait's text: JSON's `true`/`false` for booleans; None stays None."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return str(value)
    raise SettingError(f"A persona rule compares a trait with {value!r}; use text, a number, true/false or a date.")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


@dataclass(frozen=True)
class Condition:
    """One test on a person's feature or trait: `feature op value`."""

    feature: str
    op: str
    value: Any

    def _operands(self, features: ir.Table) -> tuple[ir.Column, Any]:
        """The column the rule compares and the value, as the same kind (see the module docstring for traits)."""
        column = features[self.feature]
        if not is_trait(self.feature):
            return column, self.value
        values = list(self.value) if self.op == "in" else [self.value]
        if all(_is_number(value) for value in values):
            # The trait read as a number; a value that is not one is NULL, so it does not match.
            return features[NUMBER_PREFIX + self.feature.removeprefix(TRAIT_PREFIX)], self.value
        texts = [_as_text(value) for value in values]
        return column, texts if self.op == "in" else texts[0]

    def holds(self, features: ir.Table) -> ir.BooleanValue:
        if self.feature not in features.columns:
            raise _unknown_feature(self.feature, features.columns, None)
        column, value = self._operands(features)
        try:
            if self.op == "in":
                _check_list(column, value)
                test = column.isin(list(value))
            else:
                test = {
                    "==": lambda: column == value,
                    "!=": lambda: column != value,
                    "<": lambda: column < value,
                    "<=": lambda: column <= value,
                    ">": lambda: column > value,
                    ">=": lambda: column >= value,
                }[self.op]()
        except TypeError:  # Ibis's type errors are TypeErrors: text compared with a number, or the reverse
            kind = "text" if column.type().is_string() else "number" if column.type().is_numeric() else "other"
            raise SettingError(
                f"The persona rule `{self}` compares the {kind} feature {self.feature!r} with {value!r}; "
                f"give a value of the same kind."
            ) from None
        return test.fill_null(False)

    def __str__(self) -> str:
        return f"{self.feature} {self.op} {self.value!r}"


def _check_list(column: ir.Column, values: Any) -> None:
    # Ibis accepts `isin` with values of another type and the engine fails later: check here.
    numeric = column.type().is_numeric()
    if any(_is_number(value) != numeric for value in values if value is not None):
        raise TypeError


@dataclass(frozen=True)
class Persona:
    """A persona document and its assignment rules."""

    name: str
    priority: int = 100
    photo: str = PHOTO_PLACEHOLDER
    description: str = ""
    demographics: Mapping[str, str] = field(default_factory=dict)
    goals: tuple[str, ...] = ()
    motivations: tuple[str, ...] = ()
    needs: tuple[str, ...] = ()
    frustrations: tuple[str, ...] = ()
    rules: tuple[Condition, ...] = ()
    origin: str = "manual"

    def as_document(self) -> dict[str, Any]:
        """Plain data, in the field order people read it (what YAML and SQLite store)."""
        document = asdict(self)
        document["demographics"] = dict(self.demographics)
        for name in LIST_FIELDS:
            document[name] = list(document[name])
        document["rules"] = [asdict(rule) for rule in self.rules]
        return {name: document[name] for name in _FIELDS}


def _texts(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return tuple(value)
    raise SettingError(f"{where} must be a list of texts, not {value!r}.")


def _condition(raw: Any, where: str, check: bool = True) -> Condition:
    if isinstance(raw, str):
        # "share_social >= 0.5" written as one line; `in` takes a list: "first_channel in [Email, WhatsApp]".
        # A trait's key may hold any character but spaces and comparison signs (`trait.first-name`).
        found = re.fullmatch(r"\s*(trait\.[^\s=!<>]+|\w+)\s*(==|!=|<=|>=|<|>|(?<=\s)in(?=[\s\[]))\s*(.+?)\s*", raw)
        if not found:
            raise SettingError(f"{where} {raw!r} is not `feature op value` (ops: {', '.join(OPERATORS)}).")
        feature, op, text = found.groups()
        try:
            value = _load_yaml(text)
        except yaml.YAMLError:
            raise SettingError(
                f"{where} {raw!r}: {text!r} is not a value (text, a number, a date, [a list])."
            ) from None
        if text[:1] in "=<>!":
            raise SettingError(f"{where} {raw!r} is not `feature op value` with one op (ops: {', '.join(OPERATORS)}).")
        return _condition({"feature": feature, "op": op, "value": value}, where, check)
    if not isinstance(raw, Mapping) or set(raw) != {"feature", "op", "value"}:
        raise SettingError(f"{where} must have feature, op and value, not {raw!r}.")
    if raw["op"] not in OPERATORS:
        raise SettingError(f"{where} has op {raw['op']!r}; ops: {', '.join(OPERATORS)}.")
    if raw["op"] == "in" and not isinstance(raw["value"], list):
        raise SettingError(f"{where}: `in` needs a list of values, not {raw['value']!r}.")
    value = [_plain(item) for item in raw["value"]] if raw["op"] == "in" else _plain(raw["value"])
    # Unchecked (stored by an older jejak), the feature is kept as the text it was saved as.
    condition = Condition(raw["feature"] if check else str(raw["feature"]), str(raw["op"]), value)
    if check:
        _check_condition(condition, where)
    return condition


def _check_condition(condition: Condition, where: str) -> None:
    """That a rule can hold for someone: a feature there is (or a trait), and values of its kind, each one a value.

    Checked when a persona is written, so that a wrong rule is refused with its persona and number rather than
    saved and then failing every report that sorts people into personas.
    """
    feature, values = condition.feature, condition.value if condition.op == "in" else [condition.value]
    if not isinstance(feature, str) or not (is_trait(feature) or feature in (*NUMERIC_FEATURES, *TEXT_FEATURES)):
        raise SettingError(
            f"{where} uses {feature!r}, which is no feature. Features: {', '.join(sorted(NUMERIC_FEATURES))}, "
            f"{', '.join(TEXT_FEATURES)} (text); or a trait of identify events, as trait.<key>."
        )
    if not values:
        raise SettingError(f"{where}: `in` needs at least one value, not [].")
    for value in values:
        if value is None or not isinstance(value, str | int | float):  # YAML also reads null, binary, sets, maps
            raise SettingError(
                f"{where}: {value!r} is no value a rule compares. Write text, a number, true/false or a date."
            )
        too_big = isinstance(value, int) and abs(value) > INT64_MOST
        if too_big or (isinstance(value, float) and not math.isfinite(value)):
            raise SettingError(f"{where}: {value!r} is no number a feature holds. Write a finite number.")
    if feature in NUMERIC_FEATURES and not all(_is_number(value) for value in values):
        raise SettingError(
            f"{where}: {feature!r} is a number, compared with {condition.value!r}. Write a number (0.5, 3, 150000)."
        )
    if feature in TEXT_FEATURES and not all(isinstance(value, str) for value in values):
        raise SettingError(
            f"{where}: {feature!r} is text, compared with {condition.value!r}. Write text ({feature} == "
            f"{_TEXT_EXAMPLES.get(feature, 'text')})."
        )


def _plain(value: Any) -> Any:
    """A rule's value as JSON can store it: YAML reads `2026-01-01` as a date, kept as its ISO text."""
    return value.isoformat() if isinstance(value, dt.date) else value


def persona_from_document(document: Any, where: str = "persona", *, check_rules: bool = True) -> Persona:
    """A persona from plain data (YAML or SQLite), with every field checked and named when wrong.

    `check_rules=False` reads a stored persona's rules as they are (`_check_condition` is skipped): one saved by an
    older jejak that checked less must still be listed, edited and deleted.
    """
    if not isinstance(document, Mapping):
        raise SettingError(f"{where} must be a mapping of fields, not {document!r}.")
    unknown = sorted(set(document) - set(_FIELDS))
    if unknown:
        raise SettingError(f"{where} has unknown field(s) {', '.join(unknown)}. Fields: {', '.join(_FIELDS)}.")
    check_no_nul_inside(document, where)  # YAML's "\0" writes one: a name holding it stopped every build
    name = document.get("name")
    if not isinstance(name, str) or not name.strip():
        raise SettingError(f"{where} needs a name.")
    where = f"persona {name!r}"
    priority = document.get("priority", 100)
    if isinstance(priority, bool) or not isinstance(priority, int) or abs(priority) > TYPED_WHOLE_MOST:
        raise SettingError(
            f"{where}: priority must be a whole number from -{TYPED_WHOLE_MOST} to {TYPED_WHOLE_MOST}, "
            f"not {priority!r}."
        )
    demographics = document.get("demographics") or {}
    if not isinstance(demographics, Mapping):
        raise SettingError(
            f"{where}: demographics must be a mapping (age: 18-24, city: Jakarta), not {demographics!r}."
        )
    origin = document.get("origin", "manual")
    if origin not in ORIGINS:
        raise SettingError(f"{where}: origin must be one of {', '.join(ORIGINS)}, not {origin!r}.")
    rules = document.get("rules") or []
    if not isinstance(rules, list):
        raise SettingError(f"{where}: rules must be a list of conditions, not {rules!r}.")
    return Persona(
        name=name.strip(),
        priority=priority,
        photo=str(document.get("photo") or PHOTO_PLACEHOLDER),
        description=str(document.get("description") or ""),
        demographics={str(k): str(v) for k, v in demographics.items()},
        rules=tuple(
            _condition(rule, f"{where} rule {number}", check_rules) for number, rule in enumerate(rules, start=1)
        ),
        origin=origin,
        **{name: _texts(document.get(name), f"{where} {name}") for name in LIST_FIELDS},
    )


class _PlainYamlLoader(yaml.SafeLoader):
    """YAML's safe loader without anchors and aliases: a persona has no use for them, and nine aliases of nine
    aliases of … (a "billion laughs" document of a few lines) make a list of tens of millions of texts to walk:
    `jejak persona import` ran for minutes at full memory."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            where = self.peek_event().start_mark  # type: ignore[no-untyped-call]  # PyYAML's stubs leave it untyped
            raise yaml.composer.ComposerError(
                None, None, "an alias (*name) is not read in a persona: write it out", where
            )
        return super().compose_node(parent, index)


def _load_yaml(text: str) -> Any:
    """YAML text as plain values (`_PlainYamlLoader`); a document nested too deeply to read is a YAMLError too."""
    try:
        return yaml.load(text, Loader=_PlainYamlLoader)  # a SafeLoader, without aliases
    except RecursionError:
        raise yaml.YAMLError("it is nested too deeply to read (lists or mappings inside each other)") from None


def personas_to_yaml(personas: Sequence[Persona]) -> str:
    """The personas as one YAML document (a list), readable and editable by hand."""
    return yaml.safe_dump(
        [persona.as_document() for persona in personas], allow_unicode=True, sort_keys=False, width=100
    )


def personas_from_yaml(text: str, source: str = "YAML") -> list[Persona]:
    """Personas from YAML: a list of documents, or one document."""
    try:
        loaded = _load_yaml(text)
    except yaml.YAMLError as exc:
        raise SettingError(f"{source} is not valid YAML: {exc}") from exc
    documents = loaded if isinstance(loaded, list) else [loaded]
    personas = [persona_from_document(doc, f"{source} item {n}") for n, doc in enumerate(documents, start=1)]
    names = [persona.name for persona in personas]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise SettingError(f"{source} names persona(s) {', '.join(repeated)} more than once.")
    return personas


def personas_from_file(path: Path) -> list[Persona]:
    """Personas from a YAML file (`personas_from_yaml`), named by its path in every error."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise SettingError(
            f"{path} is not UTF-8 text (byte {exc.start}): save it as UTF-8, as `jejak persona export` writes it."
        ) from None
    return personas_from_yaml(text, source=str(path))


def save_persona(sqlite_path: Path, persona: Persona) -> None:
    """Create or replace a persona document (by name)."""
    now = utc_now().isoformat()
    with writing_state(sqlite_path) as db:
        db.execute(
            """INSERT INTO personas (name, priority, document_json, origin, created_at, updated_at)
                   VALUES (?, ?, ?, ?, ?, ?)
                   ON CONFLICT (name) DO UPDATE SET priority = excluded.priority,
                       document_json = excluded.document_json, origin = excluded.origin,
                       updated_at = excluded.updated_at""",
            (persona.name, persona.priority, json.dumps(persona.as_document()), persona.origin, now, now),
        )


def load_personas(sqlite_path: Path) -> list[Persona]:
    """Every persona, in priority order (then by name)."""
    with open_state(sqlite_path) as db:
        rows = db.execute("SELECT name, document_json FROM personas ORDER BY priority, name").fetchall()
    return [
        persona_from_document(json.loads(document), f"stored persona {name!r}", check_rules=False)
        for name, document in rows
    ]


def find_persona(sqlite_path: Path, name: str) -> Persona:
    """One persona by name, or an error listing the names there are."""
    personas = load_personas(sqlite_path)
    for persona in personas:
        if persona.name == name:
            return persona
    known = ", ".join(p.name for p in personas) or "none yet (`jejak persona add NAME` or `jejak persona import`)"
    raise SettingError(f"There is no persona {name!r}. Personas: {known}.")


def delete_persona(sqlite_path: Path, name: str) -> None:
    find_persona(sqlite_path, name)
    with writing_state(sqlite_path) as db:
        db.execute("DELETE FROM personas WHERE name = ?", (name,))


def with_fields(persona: Persona, **changes: Any) -> Persona:
    """A copy with some fields changed, checked like a document."""
    return persona_from_document({**persona.as_document(), **changes})


def assign_personas(features: ir.Table, personas: Sequence[Persona], traits: PersonTraits | None = None) -> ir.Table:
    """Per person: the first persona (by priority) whose rules all hold, else "(no persona)".

    `features` is `person_features`; `traits` the build's `person_traits` with its trait keys, for
    rules on `trait.<key>` (without it, such a rule is an error that says no traits are known).
    Every rule's feature or trait is checked before anything runs.
    """
    known_traits = traits.names if traits is not None else ()
    used: list[str] = []
    for persona in personas:
        for condition in persona.rules:
            key = condition.feature.removeprefix(TRAIT_PREFIX)
            if is_trait(condition.feature) and key in known_traits:
                used += [key] if key not in used else []
            elif condition.feature not in features.columns or is_trait(condition.feature):
                raise _unknown_feature(condition.feature, features.columns, traits)
    table = features
    if used and traits is not None:
        wide = trait_columns(traits.table, used)
        table = features.left_join(wide, features.person_id == wide.trait_person_id).drop("trait_person_id")
    cases = []
    for persona in sorted(personas, key=lambda p: (p.priority, p.name)):
        if not persona.rules:
            continue
        holds: ir.BooleanValue = ibis.literal(True)
        for condition in persona.rules:
            holds = holds & condition.holds(table)
        cases.append((holds, ibis.literal(persona.name)))
    persona = ibis.cases(*cases, else_=ibis.literal(NO_PERSONA)) if cases else ibis.literal(NO_PERSONA)
    return table.select("person_id", persona=persona)
