"""diff(blueprint, live) -> Plan: pure, no I/O."""

from __future__ import annotations

from bot.engine.plan import Plan
from bot.engine.port import EMPTY, LiveState
from bot.engine.reconcilers import REGISTRY, Context
from bot.playbook.blueprint import Blueprint


def diff(blueprint: Blueprint, live: LiveState = EMPTY) -> Plan:
    """Every blueprint object with what it takes to make GitLab match it, parents first."""
    ctx = Context(blueprint, live)
    operations = tuple(
        reconciler.reconcile(obj, ctx)
        for reconciler in REGISTRY.values()
        for obj in reconciler.desired(blueprint)
    )
    return Plan(
        blueprint.playbook, dict(blueprint.variables), operations, live.epics, live.instance
    )
