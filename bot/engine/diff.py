"""diff(blueprint, live) -> Plan: pure, no I/O."""

from __future__ import annotations

from bot.engine.plan import Operation, Plan
from bot.engine.port import EMPTY, Kind, LiveState
from bot.engine.reconcilers import REGISTRY, Context
from bot.playbook.blueprint import Blueprint


def diff(blueprint: Blueprint, live: LiveState = EMPTY) -> Plan:
    """Every blueprint object with what it takes to make GitLab match it, parents first."""
    ctx = Context(blueprint, live)
    operations: list[Operation] = []
    for reconciler in REGISTRY.values():
        made = {
            obj.key: reconciler.reconcile(obj, ctx)
            for obj in reconciler.matching_order(blueprint, live)
        }
        operations += [made[obj.key] for obj in reconciler.desired(blueprint)]
    return Plan(
        blueprint.playbook,
        dict(blueprint.variables),
        tuple(operations),
        live.epics,
        live.instance,
    )


def declared(blueprint: Blueprint) -> frozenset[Kind]:
    """The kinds of GitLab object the blueprint has at least one of: all a plan needs read."""
    return frozenset(kind for kind, found in REGISTRY.items() if found.desired(blueprint))
