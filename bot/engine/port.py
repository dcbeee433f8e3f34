"""What the engine needs from GitLab: a snapshot of live state, and a way to perform one operation.

The adapter in bot/gitlab implements `Port`. Live objects are described in the engine's own
terms: comparable field values, the parsed ownership marker, and an opaque `ref` the adapter
uses to address the object again. References between live objects (an issue's milestone or
epic) are given as the other object's `ref`, so the engine can map them back to keys.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, Protocol

from bot.engine.marker import Marker
from bot.playbook.blueprint import Blueprint

if TYPE_CHECKING:
    from bot.engine.plan import Operation

Kind = Literal["label", "milestone", "epic", "issue", "board", "template"]
EpicMode = Literal["work_items", "legacy", "issues", "none"]


@dataclass(frozen=True)
class LiveObject:
    kind: Kind
    ref: str
    title: str
    fields: Mapping[str, object] = field(default_factory=dict)
    marker: Marker | None = None
    inherited: bool = False
    """True for a label or milestone that belongs to an ancestor group."""


@dataclass(frozen=True)
class LiveState:
    objects: tuple[LiveObject, ...] = ()
    epics: EpicMode = "none"
    unsupported: frozenset[str] = frozenset()
    """Fields this GitLab cannot hold, as `kind.field` (for example `issue.weight` on Free)."""
    scope: int | None = None
    """The engagement's project id; group epics of other engagements are not in `objects`."""
    nested_epics: bool = True
    """Whether an epic can have a parent epic here; else a parent lists its children."""
    instance: Mapping[str, object] = field(default_factory=dict)
    """What the GitLab instance is and can do, as the adapter detected it (JSON-ready; its
    `summary` is one line for people)."""

    def of_kind(self, kind: Kind) -> tuple[LiveObject, ...]:
        return tuple(obj for obj in self.objects if obj.kind == kind)

    def owner(self, kind: Kind) -> int | None:
        """The project id that markers of `kind` carry: set only for objects living in the group
        (work-item or legacy epics), which every engagement of the group sees."""
        return self.scope if kind == "epic" and self.epics in ("work_items", "legacy") else None


EMPTY = LiveState()


class Port(Protocol):
    """The GitLab side of reconcile, for one project (and its parent group)."""

    def read_live(self, blueprint: Blueprint) -> LiveState:
        """Everything the blueprint could match (only the kinds it declares), every page
        followed."""
        ...

    def perform(self, op: Operation) -> str:
        """Carry out one create/update/adopt as a find-or-create; return the object's ref."""
        ...
