"""The body of every delivery's workflow: decide with the router, then run each action."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

import structlog

from bot.events.actions import Action, RestoreLabels
from bot.events.event import Event
from bot.events.router import Context, Router
from bot.service.metrics import EVENTS_FAILED, EVENTS_HANDLED
from bot.service.store import Delivery

Runner = Callable[[Action, Event], str]
SWEEP = "Label Sweep"
"""The kind of the event a periodic label sweep runs under (GitLab sends none)."""
log = structlog.get_logger("psdm.workflow")


class Workflows:
    def __init__(self, router: Router, context: Context, runners: Mapping[type, Runner]) -> None:
        self.router = router
        self.context = context
        self.runners = dict(runners)

    def decide(self, delivery: Delivery) -> tuple[Event, list[Action]]:
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
        outcomes: list[str] = []
        try:
            for action in actions:
                runner = self.runners.get(type(action))
                if runner is None:
                    outcomes.append(f"{type(action).__name__}: no runner configured")
                    continue
                outcomes.append(runner(action, event))
        except Exception:
            EVENTS_FAILED.labels(kind=delivery.kind).inc()
            bound.exception("workflow failed")
            raise
        EVENTS_HANDLED.labels(kind=delivery.kind).inc()
        bound.info("handled", outcomes=outcomes)
        return "; ".join(outcomes) or "nothing to do"

    def sweep(self, project_id: int) -> str:
        """Run inside a label sweep's durable workflow: the event path's RestoreLabels work."""
        runner = self.runners.get(RestoreLabels)
        if runner is None:
            return "RestoreLabels: no runner configured"
        event = Event(SWEEP, None, {"project_id": project_id})
        outcome = runner(RestoreLabels(project_id), event)
        log.info("label sweep", project_id=project_id, outcome=outcome)
        return outcome
