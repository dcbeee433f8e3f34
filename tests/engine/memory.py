"""An in-memory Port for engine tests: it keeps live objects the way the adapter reports them."""

from __future__ import annotations

import threading
from dataclasses import replace
from itertools import count

from bot.engine.marker import parse
from bot.engine.plan import Operation, Plan
from bot.engine.port import LiveObject, LiveState
from bot.playbook.blueprint import Blueprint


class MemoryPort:
    def __init__(self, objects: tuple[LiveObject, ...] = (), *, fail_after: int | None = None):
        self.objects: dict[tuple[str, str], LiveObject] = {(o.kind, o.ref): o for o in objects}
        self.refs: dict[str, str] = {}
        self.performed: list[Operation] = []
        self.fail_after = fail_after
        self._ids = count(1000)
        self._lock = threading.Lock()

    def read_live(self, blueprint: Blueprint) -> LiveState:
        return LiveState(tuple(self.objects.values()), epics="work_items")

    def perform(self, op: Operation) -> str:
        with self._lock:
            if self.fail_after is not None and len(self.performed) >= self.fail_after:
                raise RuntimeError("GitLab went away")
            self.performed.append(op)
            ref = op.ref or str(next(self._ids))
            old = self.objects.get((op.kind, ref))
            fields = dict(old.fields) if old else {}
            written = op.fields if op.op == "create" else {n: v for n, (_, v) in op.changes.items()}
            fields.update(written)
            if "milestone" in written:
                fields["milestone"] = self.refs.get(str(written["milestone"]))
            if "parent" in written or (op.op == "create" and op.parent):
                fields["parent"] = self.refs.get(op.parent or "")
            marker = old.marker if old else None
            if op.body is not None:
                fields["description"], marker = parse(op.body)
            title = str(fields.get("title", op.title))
            self.objects[op.kind, ref] = LiveObject(op.kind, ref, title, fields, marker)
            self.refs[op.key] = ref
            return ref

    def edit(self, key: str, **fields: object) -> None:
        """What a person does in the GitLab UI: change fields of the object the bot made for key."""
        kind, ref = next(k for k in self.objects if self.refs.get(key) == k[1])
        obj = self.objects[kind, ref]
        title = str(fields.get("title", obj.title))
        self.objects[kind, ref] = replace(obj, title=title, fields={**obj.fields, **fields})

    def delete(self, key: str) -> None:
        ref = self.refs.pop(key)
        self.objects = {k: v for k, v in self.objects.items() if k[1] != ref}


def op_for(plan: Plan, key: str) -> Operation:
    """The plan's operation on the object `key`."""
    return next(op for op in plan.operations if op.key == key)
