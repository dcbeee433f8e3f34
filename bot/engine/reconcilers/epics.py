"""Phase and workstream epics: work items, legacy epics, or parent issues on Free.

Where epics nest (Ultimate, and Free's parent issues), an epic names its parent and is made
after it. Where they cannot (Premium: multi-level child epics are Ultimate only,
`GL:doc/user/group/epics/manage_epics.md`), every epic is top level and a parent lists its
children instead (`LiveState.nested_epics` is False): the parent's `children` field holds its
children's keys, so it is made after them, in one write, and a child missing from a live list
is added (a child a person listed too is kept).
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.engine.marker import Marker
from bot.engine.port import LiveObject, LiveState
from bot.engine.reconcilers.base import Changes, Context, Reconciler
from bot.playbook.blueprint import Blueprint, Epic


class Epics(Reconciler[Epic]):
    kind = "epic"

    def desired(self, blueprint: Blueprint) -> tuple[Epic, ...]:
        """Parents before children, whatever order the playbook lists them in."""
        ordered: list[Epic] = []
        pending = list(blueprint.epics)
        while pending:
            placed = {epic.key for epic in ordered}
            ready = [e for e in pending if e.parent is None or e.parent in placed]
            if not ready:
                ready = pending[:1]
            for epic in ready:
                ordered.append(epic)
                pending.remove(epic)
        return tuple(ordered)

    def matching_order(self, blueprint: Blueprint, live: LiveState) -> tuple[Epic, ...]:
        """Where parents list their children, children first (so their matches are known)."""
        found = self.desired(blueprint)
        return found if live.nested_epics else found[::-1]

    def fields(self, obj: Epic, ctx: Context) -> dict[str, object]:
        wanted: dict[str, object] = {
            "title": obj.title,
            "description": obj.description.strip(),
            "labels": tuple(sorted(obj.labels)),
        }
        if not ctx.live.nested_epics:
            wanted["children"] = self._children(obj, ctx)
        return wanted

    def _children(self, obj: Epic, ctx: Context) -> tuple[str, ...]:
        return tuple(epic.key for epic in ctx.blueprint.epics if epic.parent == obj.key)

    def references(self, obj: Epic, ctx: Context) -> tuple[str | None, str | None, tuple[str, ...]]:
        return (obj.parent if ctx.live.nested_epics else None), None, obj.labels

    def depends(self, obj: Epic, ctx: Context) -> tuple[str, ...]:
        return () if ctx.live.nested_epics else self._children(obj, ctx)

    def live_fields(self, live: LiveObject, ctx: Context) -> Mapping[str, object]:
        children = live.fields.get("children")
        if not isinstance(children, tuple | list):
            return live.fields
        keys = tuple(str(ctx.key_of("epic", ref)) for ref in children)
        return {**live.fields, "children": keys}

    def compare(
        self, want: Mapping[str, object], have: Mapping[str, object], marker: Marker | None
    ) -> tuple[Changes, Changes]:
        others = {name: value for name, value in want.items() if name != "children"}
        changes, kept = super().compare(others, have, marker)
        if "children" in want:
            listed = _keys(have.get("children"))
            missing = tuple(key for key in _keys(want["children"]) if key not in listed)
            if missing:
                changes["children"] = (listed, listed + missing)
        return changes, kept


def _keys(value: object) -> tuple[str, ...]:
    return tuple(str(item) for item in value) if isinstance(value, tuple | list) else ()
