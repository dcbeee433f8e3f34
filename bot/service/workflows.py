"""The body of every delivery's workflow: decide with the router, then hand the actions to
their runner (engagement events, `/psdm` comments), which reads, decides and performs."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import structlog

from bot.events.actions import Action, FollowCloseOut, FollowRetrospectives, RestoreLabels
from bot.events.commands import CommandComment
from bot.events.event import Event
from bot.events.router import Context, Router
from bot.service.metrics import EVENTS_FAILED, EVENTS_HANDLED, kind_label
from bot.service.store import Delivery


@dataclass(frozen=True)
class SweepEngagement:
    """The periodic sweep of one engagement beyond its labels: time-boxes closed without an
    event, and the week's status (bot/service/periodic.py)."""

    project_id: int


Anything = Action | CommandComment
Runner = Callable[[Any, Event], Any]
"""Carries out one action for an event and answers its outcome; a runner marked `batched`
takes every action of the event it serves at once (they share one read) and answers a list."""
F = TypeVar("F", bound=Callable[..., Any])


def batched(runner: F) -> F:
    """Mark a runner that takes the event's actions together: `(actions, event) -> [outcome]`."""
    runner.batched = True  # type: ignore[attr-defined]
    return runner


SWEEP = "Label Sweep"
"""The kind of the event a periodic label sweep runs under (GitLab sends none)."""
log = structlog.get_logger("psdm.workflow")


class Workflows:
    def __init__(self, router: Router, context: Context, runners: Mapping[type, Runner]) -> None:
        self.router = router
        self.context = context
        self.runners = dict(runners)

    def decide(self, delivery: Delivery) -> tuple[Event, list[Anything]]:
        payload = json.loads(delivery.payload)
        event = Event.from_delivery(delivery.kind, payload, delivery.event_uuid)
        return event, self.router.dispatch(event, self.context)

    def wants(self, kind: str, payload: dict[str, Any]) -> bool:
        """Whether any handler acts on the event (otherwise no workflow is started)."""
        return bool(self.router.dispatch(Event.from_delivery(kind, payload), self.context))

    def handle(self, delivery: Delivery) -> str:
        """Run inside the delivery's durable workflow; the runners make their own steps."""
        event, actions = self.decide(delivery)
        bound = log.bind(delivery=delivery.key, kind=delivery.kind, partition=delivery.partition)
        try:
            outcomes = self.run(actions, event)
        except Exception:
            EVENTS_FAILED.labels(kind=kind_label(delivery.kind)).inc()
            bound.exception("workflow failed")
            raise
        EVENTS_HANDLED.labels(kind=kind_label(delivery.kind)).inc()
        bound.info("handled", outcomes=outcomes)
        return "; ".join(outcomes) or "nothing to do"

    def run(self, actions: Sequence[Anything | SweepEngagement], event: Event) -> list[str]:
        """Each action to its runner; a batched runner gets its actions together."""
        outcomes: list[str] = []
        groups: dict[Runner | None, list[Anything | SweepEngagement]] = {}
        for action in actions:
            groups.setdefault(self.runners.get(type(action)), []).append(action)
        for runner, group in groups.items():
            if runner is None:
                outcomes += [f"{type(a).__name__}: no runner configured" for a in group]
            elif getattr(runner, "batched", False):
                outcomes += runner(group, event)
            else:
                outcomes += [runner(action, event) for action in group]
        return outcomes

    def sweep(self, project_id: int) -> str:
        """Run inside a label sweep's durable workflow: the event path's RestoreLabels work."""
        event = Event(SWEEP, None, {"project_id": project_id})
        # the labels (standard ones, and the close-out labels an event missed would leave
        # stale), then what GitLab sends no event for (closed time-boxes, weekly status)
        swept: list[Anything | SweepEngagement] = [
            RestoreLabels(project_id),
            FollowRetrospectives(project_id),
            FollowCloseOut(project_id),
            SweepEngagement(project_id),
        ]
        outcome = "; ".join(self.run(swept, event))
        log.info("label sweep", project_id=project_id, outcome=outcome)
        return outcome
