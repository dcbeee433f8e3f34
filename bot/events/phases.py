"""Phase arithmetic on a blueprint: which phase a time-box ends, what comes next, progress."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.playbook.blueprint import Blueprint, Phase

WORKFLOW_SCOPE = "Workflow::"


@dataclass(frozen=True)
class Progress:
    done: int
    total: int

    @property
    def complete(self) -> bool:
        return self.total > 0 and self.done == self.total

    def line(self, phase: Phase) -> str:
        percent = round(100 * self.done / self.total) if self.total else 0
        return f"{phase.name}: {self.done} of {self.total} issues done ({percent}%)"


def phase_ended_by(blueprint: Blueprint, timebox_key: str) -> Phase | None:
    """The phase whose last time-box this is: closing it ends the phase."""
    for phase in blueprint.phases:
        if phase.timeboxes and phase.timeboxes[-1] == timebox_key:
            return phase
    return None


def phase_of_epic(blueprint: Blueprint, epic_key: str | None) -> Phase | None:
    return next((p for p in blueprint.phases if epic_key and p.epic == epic_key), None)


def next_phase(blueprint: Blueprint, phase: Phase) -> Phase | None:
    order = [p.key for p in blueprint.phases]
    at = order.index(phase.key)
    return blueprint.phases[at + 1] if at + 1 < len(order) else None


def advance_note(ended: Phase, following: Phase | None, reason: str) -> str:
    if following is None:
        return f"{ended.name} is complete ({reason}); it was the engagement's last phase."
    return (
        f"{ended.name} is complete ({reason}). The engagement moves on to {following.name}: "
        f'label ~"{following.label}" replaces ~"{ended.label}".'
    )


def workflow_labels(blueprint: Blueprint) -> tuple[str, ...]:
    """The left-to-right workflow labels (`... Workflow::<state>`), in playbook order."""
    return tuple(label.name for label in blueprint.labels if WORKFLOW_SCOPE in label.name)


def workflow_label_for(state: str, labels: Sequence[str]) -> str | None:
    """Closed issues show `Done`; reopened ones `In Progress` (first and last as fallbacks)."""
    if not labels:
        return None
    wanted, fallback = ("Done", labels[-1]) if state == "closed" else ("In Progress", labels[0])
    return next((name for name in labels if name.endswith("::" + wanted)), fallback)
