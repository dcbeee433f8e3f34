"""A plan: the ordered operations that bring GitLab in line with a blueprint. Plain data."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from bot.engine.port import EpicMode, Kind
from bot.engine.render import EPICS, plan_markdown, plan_text

OpKind = Literal["create", "update", "adopt", "unchanged"]


@dataclass(frozen=True)
class Operation:
    """One object of the blueprint and what applying the plan does to it."""

    op: OpKind
    kind: Kind
    key: str
    title: str
    fields: Mapping[str, object] = field(default_factory=dict)
    """The values the blueprint wants (all of them, whatever the op)."""
    changes: Mapping[str, tuple[object, object]] = field(default_factory=dict)
    """Fields this operation writes: live value -> new value (a create has live None)."""
    kept: Mapping[str, tuple[object, object]] = field(default_factory=dict)
    """Fields left as they are because a person edited them: live value, blueprint value."""
    parent: str | None = None
    milestone: str | None = None
    labels: tuple[str, ...] = ()
    ref: str | None = None
    """The live object's ref (None for a create)."""
    body: str | None = None
    """The full description to write, ownership marker included (None: leave it alone)."""
    depends: tuple[str, ...] = ()
    """Keys of objects this operation needs to exist first."""

    @property
    def pending(self) -> bool:
        return self.op != "unchanged"

    def to_json(self) -> dict[str, object]:
        data: dict[str, object] = {"op": self.op, "kind": self.kind, "key": self.key}
        data["title"] = self.title
        data["fields"] = {name: _jsonable(value) for name, value in self.fields.items()}
        if self.changes:
            data["changes"] = {
                name: [_jsonable(old), _jsonable(new)] for name, (old, new) in self.changes.items()
            }
        if self.kept:
            data["kept"] = {
                name: [_jsonable(live), _jsonable(want)] for name, (live, want) in self.kept.items()
            }
        if self.kind in ("issue", "epic"):
            data["parent"] = self.parent
            data["labels"] = list(self.labels)
        if self.kind == "issue":
            data["milestone"] = self.milestone
        return data


def _jsonable(value: object) -> object:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_jsonable(item) for item in value]
    return value


@dataclass(frozen=True)
class Plan:
    playbook: str
    variables: Mapping[str, object]
    operations: tuple[Operation, ...]
    epics: EpicMode = "none"
    instance: Mapping[str, object] = field(default_factory=dict)
    """The GitLab instance the plan was made against (empty offline)."""

    @property
    def mode(self) -> str:
        """How the blueprint lands in GitLab, in a few words."""
        summary = self.instance.get("summary")
        return str(summary) if summary else EPICS[self.epics]

    @property
    def pending(self) -> bool:
        return any(op.pending for op in self.operations)

    def count(self, op: OpKind) -> int:
        return sum(1 for operation in self.operations if operation.op == op)

    def summary(self) -> str:
        return (
            f"{self.count('create')} to create, {self.count('update')} to update, "
            f"{self.count('adopt')} to adopt, {self.count('unchanged')} unchanged"
        )

    def to_json(self) -> dict[str, object]:
        data: dict[str, object] = {"playbook": self.playbook}
        if self.instance:  # offline plans (the golden files) have no GitLab to describe
            data["gitlab"] = {**self.instance, "placement": self.epics}
        data["variables"] = {name: _jsonable(value) for name, value in self.variables.items()}
        data["operations"] = [op.to_json() for op in self.operations]
        return data

    def to_text(self) -> str:
        return plan_text(self)

    def to_markdown(self) -> str:
        return plan_markdown(self)
