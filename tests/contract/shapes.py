"""The shape of GitLab's documented example responses, and what a sandbox answer lacks of it.

A fixture file transcribes the example responses of one entity from one page of GitLab's
REST documentation. The keys an answer must carry come from the example of the endpoint
under test; the JSON types a key may take come from every example of the fixture (GitLab's
pages show `null` in one example where another shows a value, and both are documented).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "rest"


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    raise TypeError(f"not a JSON value: {value!r}")


@dataclass
class Shape:
    """Types seen at one place of the documents, with the shapes of object keys and items."""

    types: set[str] = field(default_factory=set)
    keys: dict[str, Shape] = field(default_factory=dict)
    items: Shape | None = None

    def add(self, value: Any) -> Shape:
        self.types.add(json_type(value))
        if isinstance(value, dict):
            for key, item in value.items():
                self.keys.setdefault(key, Shape()).add(item)
        elif isinstance(value, list):
            for item in value:
                (self.items or self._new_items()).add(item)
        return self

    def _new_items(self) -> Shape:
        self.items = Shape()
        return self.items

    def allows(self, kind: str) -> bool:
        if not self.types or self.types == {"null"}:
            return True  # the docs show only null here: no type is documented
        return kind in self.types or (kind == "integer" and "number" in self.types)


def shape_of(*examples: Any) -> Shape:
    shape = Shape()
    for example in examples:
        shape.add(example)
    return shape


def problems(
    required: Shape,
    types: Shape,
    actual: Any,
    path: str = "$",
    optional: frozenset[str] = frozenset(),
    where: str = "",
    nullable: frozenset[str] = frozenset(),
) -> list[str]:
    """Every documented key `actual` lacks and every value of an undocumented JSON type.

    `optional` names keys (dotted, without list indices, from the entity's root) that the
    page itself says appear only in some circumstances: their type is checked when present.
    `nullable` names keys whose value the page describes as possibly absent (an avatar, a
    README) though its example shows one: null is accepted there too.
    """
    kind = json_type(actual)
    if kind == "null" and where in nullable:
        return []
    if not types.allows(kind):
        return [f"{path}: {kind}, documented {sorted(types.types)}"]
    found: list[str] = []
    if kind == "object":
        for key, wanted in required.keys.items():
            place = f"{where}.{key}" if where else key
            if key not in actual:
                if place not in optional:
                    found.append(f"{path}.{key}: missing")
                continue
            found += problems(
                wanted,
                types.keys.get(key, wanted),
                actual[key],
                f"{path}.{key}",
                optional,
                place,
                nullable,
            )
    elif kind == "array" and required.items is not None:
        item_types = types.items or required.items
        for index, item in enumerate(actual):
            found += problems(
                required.items, item_types, item, f"{path}[{index}]", optional, where, nullable
            )
    return found


@dataclass(frozen=True)
class Fixture:
    name: str
    source: str
    commit: str
    examples: dict[str, Any]
    conditional: frozenset[str] = frozenset()
    nullable: frozenset[str] = frozenset()

    def check(self, example: str, actual: Any) -> list[str]:
        """What `actual` lacks of the example `example` (types pooled over the fixture)."""
        documented = self.examples[example]
        entity = Shape()
        for value in self.examples.values():
            for item in value if isinstance(value, list) else [value]:
                entity.add(item)
        types = Shape({"array"}, items=entity) if isinstance(documented, list) else entity
        return problems(
            shape_of(documented),
            types,
            actual,
            optional=self.conditional,
            nullable=self.nullable,
        )


@cache
def fixture(name: str) -> Fixture:
    data = json.loads((FIXTURES / f"{name}.json").read_text())
    return Fixture(
        name,
        data["source"],
        data["commit"],
        data["examples"],
        frozenset(data.get("conditional", {})),
        frozenset(data.get("nullable", {})),
    )


def all_fixtures() -> list[str]:
    return sorted(path.stem for path in FIXTURES.glob("*.json"))
