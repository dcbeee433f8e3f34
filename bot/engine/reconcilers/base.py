"""The shape every reconciler shares: find the live object, compare fields, build the operation.

Update rule for objects that carry the ownership marker: a field is written only when its live
value is still what the bot last wrote (the marker's digest says so) and the blueprint now wants
something else. A field a person changed is kept and reported. A missing parent link is always
set; a parent a person chose is kept.

A group epic's marker also names the engagement's project (`LiveState.owner`); one marked
before that was recorded is claimed by the first engagement that applies (its marker is
rewritten with the project, nothing else). A milestone inherited from a group is shared by
every project of the group: it is used as it is, like a group label, and never written.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import ClassVar, Generic, TypeVar

from bot.engine.marker import Marker, fingerprint, with_marker
from bot.engine.plan import Operation, OpKind
from bot.engine.port import Kind, LiveObject, LiveState
from bot.playbook.blueprint import Blueprint, Board, Label, Object

T = TypeVar("T", bound=Object)


@dataclass
class Context:
    """What one diff has learnt so far: which live object each key matched."""

    blueprint: Blueprint
    live: LiveState
    keys: dict[tuple[Kind, str], str] = field(default_factory=dict)

    def match(self, key: str, live: LiveObject) -> None:
        self.keys[live.kind, live.ref] = key

    def free(self, kind: Kind) -> list[LiveObject]:
        """Live objects of `kind` no blueprint object has matched yet."""
        return [live for live in self.live.of_kind(kind) if (kind, live.ref) not in self.keys]

    def key_of(self, kind: Kind, ref: object) -> str | None:
        """The key `ref` matched, `kind#ref` for a live object outside the blueprint, or None."""
        if ref is None:
            return None
        return self.keys.get((kind, str(ref)), f"{kind}#{ref}")

    def label_key(self, name: str) -> str | None:
        return next((lb.key for lb in self.blueprint.labels if lb.name == name), None)


Changes = dict[str, tuple[object, object]]


class Reconciler(Generic[T]):
    """One kind of GitLab object: subclasses say which objects, which fields, which references."""

    kind: ClassVar[Kind]
    marked: ClassVar[bool] = True
    """Whether the kind has a description to carry the ownership marker."""

    def desired(self, blueprint: Blueprint) -> tuple[T, ...]:
        raise NotImplementedError

    def matching_order(self, blueprint: Blueprint, live: LiveState) -> tuple[T, ...]:
        """The order objects are matched in (a reconciler may need some matched first)."""
        return self.desired(blueprint)

    def fields(self, obj: T, ctx: Context) -> dict[str, object]:
        """The comparable field values the blueprint wants."""
        raise NotImplementedError

    def title(self, obj: T) -> str:
        return obj.title if not isinstance(obj, Label | Board) else obj.name

    def references(self, obj: T, ctx: Context) -> tuple[str | None, str | None, tuple[str, ...]]:
        """(parent key, milestone key, label names) of the object."""
        return None, None, ()

    def live_parent(self, live: LiveObject, ctx: Context) -> str | None:
        return ctx.key_of("epic", live.fields.get("parent"))

    def find(self, obj: T, ctx: Context) -> LiveObject | None:
        """By ownership marker first (survives renames), then an unmarked one of the same title."""
        candidates = ctx.free(self.kind)
        for live in candidates:
            if live.marker and live.marker.key == obj.key:
                return live
        for live in candidates:
            if live.marker is None and live.title == self.title(obj):
                return live
        return None

    def depends(self, obj: T, ctx: Context) -> tuple[str, ...]:
        """Keys beyond the references that must exist first."""
        return ()

    def reconcile(self, obj: T, ctx: Context) -> Operation:
        want = self.fields(obj, ctx)
        want = {n: v for n, v in want.items() if f"{self.kind}.{n}" not in ctx.live.unsupported}
        parent, milestone, labels = self.references(obj, ctx)
        depends = tuple(
            key
            for key in (parent, milestone, *(ctx.label_key(name) for name in labels))
            if key is not None
        ) + self.depends(obj, ctx)
        common = Operation(
            "unchanged",
            self.kind,
            obj.key,
            self.title(obj),
            want,
            parent=parent,
            milestone=milestone,
            labels=labels,
            depends=depends,
        )
        owner = ctx.live.owner(self.kind)
        live = self.find(obj, ctx)
        if live is None:
            marker = Marker.of(obj.key, want, owner)
            body = with_marker(str(want.get("description", "")), marker)
            return replace(common, op="create", body=body if self.marked else None)
        ctx.match(obj.key, live)
        have = self.live_fields(live, ctx)
        if live.inherited:
            kept = {name: (have.get(name), v) for name, v in want.items() if have.get(name) != v}
            return replace(common, kept=kept, ref=live.ref)
        changes, kept = self.compare(want, have, live.marker)
        live_parent = self.live_parent(live, ctx)
        if parent is not None and live_parent != parent:
            if live.fields.get("parent") is None:
                changes["parent"] = (None, parent)
            else:
                kept["parent"] = (live_parent, parent)
        common = replace(common, ref=live.ref)
        if not self.marked:
            return replace(common, op=_op(changes), changes=changes, kept=kept)
        if live.marker is None:
            marker = Marker.of(obj.key, want, owner)
            body = with_marker(str(live.fields.get("description", "")), marker)
            return replace(common, op="adopt", changes=changes, kept=kept, body=body)
        if owner is not None and live.marker.project != owner:
            changes["project"] = (live.marker.project, owner)
        return self.update(want, live, changes, kept, common, owner)

    def live_fields(self, live: LiveObject, ctx: Context) -> Mapping[str, object]:
        """The live values in blueprint terms (references as keys)."""
        return live.fields

    def compare(
        self, want: Mapping[str, object], have: Mapping[str, object], marker: Marker | None
    ) -> tuple[Changes, Changes]:
        """Split differing fields into those the bot may write and those a person owns now."""
        changes: Changes = {}
        kept: Changes = {}
        for name, value in want.items():
            current = have.get(name)
            if current == value:
                continue
            if marker is not None and marker.wrote(name, current):
                changes[name] = (current, value)
            else:
                kept[name] = (current, value)
        return changes, kept

    def update(
        self,
        want: Mapping[str, object],
        live: LiveObject,
        changes: Changes,
        kept: Changes,
        common: Operation,
        owner: int | None,
    ) -> Operation:
        assert live.marker is not None
        written = {name: new for name, (_, new) in changes.items() if name in want}
        if not written and "project" not in changes:
            return replace(common, op=_op(changes), changes=changes, kept=kept)
        digest = {**live.marker.digest, **{n: fingerprint(v) for n, v in written.items()}}
        text = written.get("description", live.fields.get("description", ""))
        body = with_marker(str(text), Marker(live.marker.key, digest, owner))
        return replace(common, op="update", changes=changes, kept=kept, body=body)


def _op(changes: Changes) -> OpKind:
    return "update" if changes else "unchanged"
