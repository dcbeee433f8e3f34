"""One reconciler per kind of GitLab object, in the order parents must exist before children."""

from __future__ import annotations

from typing import Any

from bot.engine.port import Kind
from bot.engine.reconcilers.base import Context, Reconciler
from bot.engine.reconcilers.boards import Boards
from bot.engine.reconcilers.epics import Epics
from bot.engine.reconcilers.issues import Issues
from bot.engine.reconcilers.labels import Labels
from bot.engine.reconcilers.milestones import Milestones
from bot.engine.reconcilers.templates import Templates

REGISTRY: dict[Kind, Reconciler[Any]] = {
    "label": Labels(),
    "milestone": Milestones(),
    "epic": Epics(),
    "issue": Issues(),
    "board": Boards(),
    "template": Templates(),
}

__all__ = ["REGISTRY", "Context", "Reconciler"]
