"""What the commands decide about an engagement, from its blueprint and a few live facts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.events.commands.arguments import PhaseTarget
from bot.events.commands.errors import NotPossible
from bot.playbook.blueprint import Blueprint, Epic, Issue, Phase, TimeBox

RAID_LOG = "PS RAID Log"
RISK = "PS Risk"
SEVERITIES = {
    "high": "PS:: Priority High",
    "medium": "PS:: Priority Medium",
    "low": "PS:: Priority Low",
}
DEFAULT_SEVERITY = "medium"
TITLE_LIMIT = 255


@dataclass(frozen=True)
class Milestone:
    """A live milestone as the commands need it: the blueprint key its marker carries."""

    id: int
    title: str
    state: str
    key: str | None


def engagement_epic(blueprint: Blueprint) -> Epic:
    """The root epic that stands for the whole engagement and carries the phase label."""
    found = next(
        (e for e in blueprint.epics if e.parent is None and e.phase is None and not e.workstream),
        None,
    )
    if found is None:
        raise NotPossible(f"the playbook {blueprint.playbook} has no engagement epic")
    return found


def current_phase(blueprint: Blueprint, labels: Sequence[str]) -> Phase | None:
    """The latest phase whose label the engagement epic carries."""
    marked = [p for p in blueprint.phases if p.label in labels]
    return marked[-1] if marked else None


def target_phase(blueprint: Blueprint, current: Phase | None, wanted: PhaseTarget) -> Phase:
    phases = list(blueprint.phases)
    if not phases:
        raise NotPossible(f"the playbook {blueprint.playbook} has no phases")
    if wanted.is_next:
        if current is None:
            return phases[0]
        at = phases.index(current)
        if at + 1 == len(phases):
            raise NotPossible(f"{current.name} is the engagement's last phase")
        return phases[at + 1]
    spelled = wanted.target.lower()
    for phase in phases:
        if spelled in (phase.name.lower(), phase.key.lower(), phase.key.split(":", 1)[-1]):
            return phase
    names = ", ".join(p.name for p in phases)
    raise NotPossible(f"there is no phase `{wanted.target}`: the phases are {names}")


def phase_labels_after(
    blueprint: Blueprint, labels: Sequence[str], target: Phase | None
) -> tuple[str, ...]:
    """The epic's labels with every phase label replaced by the target phase's (if any)."""
    marks = {p.label for p in blueprint.phases}
    return tuple(
        sorted({*(n for n in labels if n not in marks), *([target.label] if target else [])})
    )


def sprints(blueprint: Blueprint) -> list[TimeBox]:
    return [t for t in blueprint.timeboxes if t.kind == "sprint"]


def current_sprint(blueprint: Blueprint, live: Sequence[Milestone]) -> tuple[TimeBox, Milestone]:
    """The first sprint, in playbook order, whose milestone is still open."""
    by_key = {m.key: m for m in live if m.key}
    for sprint in sprints(blueprint):
        found = by_key.get(sprint.key)
        if found and found.state == "active":
            return sprint, found
    raise NotPossible("no sprint milestone is open: every sprint is closed, or none exists yet")


def following_sprint(
    blueprint: Blueprint, sprint: TimeBox, live: Sequence[Milestone]
) -> Milestone | None:
    """The open milestone of the next sprint after `sprint`, if there is one."""
    order = sprints(blueprint)
    by_key = {m.key: m for m in live if m.key}
    for later in order[order.index(sprint) + 1 :]:
        found = by_key.get(later.key)
        if found and found.state == "active":
            return found
    return None


def retrospective_of(blueprint: Blueprint, sprint: TimeBox) -> Issue | None:
    return next(
        (i for i in blueprint.issues if i.role == "retrospective" and i.milestone == sprint.key),
        None,
    )


@dataclass(frozen=True)
class Risk:
    title: str
    description: str
    labels: tuple[str, ...]


def risk(text: str, author: str | None, issue_iid: int) -> Risk:
    """A RAID risk from `/psdm risk [high:|medium:|low:] TEXT` written in issue `issue_iid`."""
    head, sep, tail = text.partition(":")
    severity = head.strip().lower() if sep and head.strip().lower() in SEVERITIES else None
    body = tail.strip() if severity else text.strip()
    if not body:
        raise NotPossible("the risk has a severity but no text")
    title = body if len(body) <= TITLE_LIMIT else body[: TITLE_LIMIT - 1].rstrip() + "…"
    who = f"@{author}" if author else "a comment"
    description = (
        f"{body}\n\nRaised by {who} in #{issue_iid}.\n\n"
        "State the impact on timeline, scope, quality or budget, and a mitigation."
    )
    labels = (RAID_LOG, RISK, SEVERITIES[severity or DEFAULT_SEVERITY])
    return Risk(title, description, labels)


def waves_after_adding(variables: Mapping[str, object]) -> int:
    """The wave count once one more wave is added."""
    if "waves" not in variables:
        raise NotPossible("the engagement's playbook has no `waves` variable to scale out with")
    try:
        return int(str(variables.get("waves", 0))) + 1
    except ValueError:
        raise NotPossible(
            f"the engagement's `waves` value {variables['waves']!r} is no number"
        ) from None
