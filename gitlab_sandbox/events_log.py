"""Resource events: who changed an issue's labels, milestone, state or weight, and when.

GitLab writes one row per change, whatever the path of the change (REST, GraphQL, a quick
action in a comment, the UI) and serves them at `/resource_label_events` and its siblings
(`GL:doc/api/resource_label_events.md`, `resource_milestone_events.md`,
`resource_state_events.md`, `resource_weight_events.md`). The sandbox records them the same
way for every path: each writing request compares the tracked fields of every work item
before and after its handler ran, and logs what moved, with the acting user.

The initial state is not an event (the state events page says so); labels, milestone and
weight given at creation are, dated with the item's creation time. A reopen is recorded as
`reopened`, the value GitLab's `ResourceStateEvent` model adds to the issue states
(`GL:app/models/resource_state_event.rb`).
"""

from __future__ import annotations

import itertools
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

from .model import WorkItem
from .state import State, now

Kind = Literal["label", "milestone", "state", "weight"]
KINDS: tuple[Kind, ...] = ("label", "milestone", "state", "weight")


@dataclass(frozen=True)
class ResourceEvent:
    id: int
    kind: Kind
    item_id: int
    user_id: int
    created_at: datetime
    action: str | None = None
    """`add` or `remove` for label and milestone events."""
    label_id: int | None = None
    milestone_id: int | None = None
    state: str | None = None
    weight: int | None = None


Tracked = tuple[list[int], int | None, str, int | None]


def _tracked(item: WorkItem) -> Tracked:
    return (list(item.label_ids), item.milestone_id, item.state, item.weight)


class EventLog:
    """The events of one sandbox state (a reset of the state starts a new log)."""

    def __init__(self, generation: int) -> None:
        self.generation = generation
        self.events: list[ResourceEvent] = []
        self._ids = {kind: itertools.count(1) for kind in KINDS}
        self.known: dict[int, Tracked] = {}
        """The tracked fields of every work item as of the last writing request."""
        self._moved: dict[int, set[int]] = {}
        """Labels merged into another during the current request (promotion): new id -> old."""

    def add(
        self,
        kind: Kind,
        item_id: int,
        user_id: int,
        created_at: datetime,
        **fields: str | int | None,
    ) -> ResourceEvent:
        event = ResourceEvent(next(self._ids[kind]), kind, item_id, user_id, created_at, **fields)  # type: ignore[arg-type]
        self.events.append(event)
        return event

    def of(self, item_id: int, kind: Kind) -> list[ResourceEvent]:
        """The item's events of one kind, oldest first (GitLab's order)."""
        found = [e for e in self.events if e.item_id == item_id and e.kind == kind]
        return sorted(found, key=lambda e: (e.created_at, e.id))

    def forget(self, item_id: int, kind: Kind | None = None) -> None:
        self.events = [
            e for e in self.events if e.item_id != item_id or (kind is not None and e.kind != kind)
        ]

    def catch_up(self, state: State, user_id: int | None) -> None:
        """Compare every work item with what the log last saw; record the differences as
        `user_id`'s doing (none recorded without a user)."""
        known = self.known
        for item_id, item in state.work_items.items():
            previous = known.get(item_id)
            if (  # inline: this loop runs over every work item on every writing request
                previous is None
                or previous[0] != item.label_ids
                or previous[1] != item.milestone_id
                or previous[2] != item.state
                or previous[3] != item.weight
            ):
                if user_id is not None:
                    self.record(state, item, previous, user_id)
                known[item_id] = _tracked(item)
        if len(known) > len(state.work_items):
            for item_id in [i for i in known if i not in state.work_items]:
                del known[item_id]
        self._moved.clear()

    def merge_labels(self, old_ids: set[int], new_id: int) -> None:
        """Labels folded into `new_id` (a promotion): their history now names the new label,
        and the swap on the issues is no event of its own."""
        self.events = [
            replace(e, label_id=new_id) if e.label_id in old_ids else e for e in self.events
        ]
        self._moved.setdefault(new_id, set()).update(old_ids)

    def record(self, state: State, item: WorkItem, before: Tracked | None, user_id: int) -> None:
        """Log what changed on `item` since `before` (None: the item is new).

        A label or milestone that no longer exists was deleted, not removed: GitLab keeps the
        history (naming nothing) and writes no event for it."""
        labels, milestone, status, weight = _tracked(item)
        moment = item.created_at if before is None else now()
        old_labels, old_milestone, old_status, old_weight = before or ((), None, status, None)
        gone = {i for i in old_labels if i not in labels}
        for label_id in labels:
            if label_id not in old_labels and not self._moved.get(label_id, set()) & gone:
                self.add("label", item.id, user_id, moment, action="add", label_id=label_id)
        for label_id in gone:
            if label_id in state.labels:
                self.add("label", item.id, user_id, moment, action="remove", label_id=label_id)
        if milestone != old_milestone:
            if old_milestone is not None and old_milestone in state.milestones:
                self.add(
                    "milestone",
                    item.id,
                    user_id,
                    moment,
                    action="remove",
                    milestone_id=old_milestone,
                )
            if milestone is not None:
                self.add(
                    "milestone", item.id, user_id, moment, action="add", milestone_id=milestone
                )
        if status != old_status:
            self.add(
                "state",
                item.id,
                user_id,
                moment,
                state="closed" if status == "closed" else "reopened",
            )
        if weight != old_weight:
            self.add("weight", item.id, user_id, moment, weight=weight)


_LOGS: weakref.WeakKeyDictionary[State, EventLog] = weakref.WeakKeyDictionary()


def log_of(state: State) -> EventLog:
    """The event log of `state`'s current generation (callers hold `state.lock`)."""
    log = _LOGS.get(state)
    if log is None or log.generation != state.generation:
        log = _LOGS[state] = EventLog(state.generation)
    return log


@contextmanager
def recording(state: State, user_id: int | None, writes: bool) -> Iterator[None]:
    """Around one request's handler: log every tracked change it made to a work item.

    The log keeps the last tracked values of every item, so one pass after the handler finds
    what moved (about 1 ms for 2,000 work items). A handler that fails may have changed
    things half-way: the pass then only catches up, writing no event."""
    if not writes or user_id is None:
        yield
        return
    log = log_of(state)
    try:
        yield
    except BaseException:
        if state.generation == log.generation:
            log.catch_up(state, None)
        raise
    if state.generation == log.generation:  # else a reset: the old history is gone
        log.catch_up(state, user_id)
