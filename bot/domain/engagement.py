"""The engagement's vocabulary on a blueprint: its epic, phases, time-boxes, sprints, waves,
issue kinds and RAID log, each rule written once.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from bot.domain.errors import NotPossible
from bot.domain.model import LiveEngagement, LiveIssue, LiveMilestone
from bot.playbook.blueprint import Blueprint, Epic, Issue, IssueKind, Phase, TimeBox

WORKFLOW_SCOPE = "Workflow::"
WORK_ROLES = ("story", "task")
RETRO_ROLES = ("retrospective", "internal-retrospective", "customer-retrospective")
BOT_GOVERNANCE_KEYS = ("issue:status/", "issue:raid/")
"""Keys of issues the bot makes outside the playbook's list: weekly status, risks raised."""
CEREMONY_LABEL = "Ceremony"

# -- the engagement epic and its phases ---------------------------------------------------------


def engagement_epic(blueprint: Blueprint) -> Epic | None:
    """The root epic that stands for the whole engagement and carries the phase label."""
    return next(
        (e for e in blueprint.epics if e.parent is None and e.phase is None and not e.workstream),
        None,
    )


def the_engagement_epic(blueprint: Blueprint) -> Epic:
    found = engagement_epic(blueprint)
    if found is None:
        raise NotPossible(f"the playbook {blueprint.playbook} has no engagement epic")
    return found


def current_phase(
    blueprint: Blueprint, labels: Sequence[str], passed: Collection[str] = ()
) -> Phase | None:
    """The phase whose label the engagement epic carries.

    Several pilots share their phases' labels (each pilot runs its own Discovery): a label
    carried by several phases names the first of them whose gate has not passed (`passed`
    holds the keys of the closed gate issues), so "Sprinting" is the first pilot's until its
    go/no-go passes, never a later pilot's that has not started.
    """
    marked = [p for p in blueprint.phases if p.label in labels]
    if len(marked) > 1:
        return next((p for p in marked if p.gate is None or p.gate not in passed), marked[-1])
    return marked[-1] if marked else None


def closed_keys(live: LiveEngagement) -> frozenset[str]:
    """The ownership keys of the engagement's closed issues (a passed gate is one of them)."""
    return frozenset(i.key for i in live.issues if i.closed and i.key)


def next_phase(blueprint: Blueprint, phase: Phase) -> Phase | None:
    order = [p.key for p in blueprint.phases]
    at = order.index(phase.key)
    return blueprint.phases[at + 1] if at + 1 < len(order) else None


def phase_ended_by(blueprint: Blueprint, timebox_key: str) -> Phase | None:
    """The phase whose last time-box this is: closing it ends the phase."""
    for phase in blueprint.phases:
        if phase.timeboxes and phase.timeboxes[-1] == timebox_key:
            return phase
    return None


def phase_of_epic(blueprint: Blueprint, epic_key: str | None) -> Phase | None:
    return next((p for p in blueprint.phases if epic_key and p.epic == epic_key), None)


def phase_named(blueprint: Blueprint, current: Phase | None, wanted: str) -> Phase:
    """`next` after `current`, or the phase spelled by name or key."""
    phases = list(blueprint.phases)
    if not phases:
        raise NotPossible(f"the playbook {blueprint.playbook} has no phases")
    if wanted.lower() == "next":
        if current is None:
            return phases[0]
        following = next_phase(blueprint, current)
        if following is None:
            raise NotPossible(f"{current.name} is the engagement's last phase")
        return following
    spelled = wanted.lower()
    for phase in phases:
        if spelled in (phase.name.lower(), phase.key.lower(), phase.key.split(":", 1)[-1]):
            return phase
    names = ", ".join(p.name for p in phases)
    raise NotPossible(f"there is no phase `{wanted}`: the phases are {names}")


def phase_labels_after(
    blueprint: Blueprint, labels: Sequence[str], target: Phase | None
) -> tuple[str, ...]:
    """The epic's labels with every phase label replaced by the target phase's (if any)."""
    marks = {p.label for p in blueprint.phases}
    return tuple(
        sorted({*(n for n in labels if n not in marks), *([target.label] if target else [])})
    )


# -- time-boxes ---------------------------------------------------------------------------------


def sprints(blueprint: Blueprint) -> list[TimeBox]:
    return [t for t in blueprint.timeboxes if t.kind == "sprint"]


def waves(blueprint: Blueprint) -> list[TimeBox]:
    return [t for t in blueprint.timeboxes if t.kind == "wave"]


def timebox_for(blueprint: Blueprint, key: str | None, title: str) -> TimeBox | None:
    """The planned time-box a live milestone stands for: by marker key, else by title."""
    boxes = blueprint.timeboxes
    return next((t for t in boxes if key and t.key == key), None) or next(
        (t for t in boxes if t.title == title), None
    )


def milestone_for(planned: TimeBox, milestones: Sequence[LiveMilestone]) -> LiveMilestone | None:
    """The live milestone of a planned time-box: by key first (survives renames), then title."""
    return next((m for m in milestones if m.key == planned.key), None) or next(
        (m for m in milestones if m.key is None and m.title == planned.title), None
    )


def current_sprint(
    blueprint: Blueprint, live: Sequence[LiveMilestone]
) -> tuple[TimeBox, LiveMilestone]:
    """The first sprint, in playbook order, whose milestone is still open."""
    for sprint in sprints(blueprint):
        found = milestone_for(sprint, live)
        if found and found.active:
            return sprint, found
    raise NotPossible("no sprint milestone is open: every sprint is closed, or none exists yet")


def following_sprint(
    blueprint: Blueprint, sprint: TimeBox, live: Sequence[LiveMilestone]
) -> LiveMilestone | None:
    """The open milestone of the next sprint after `sprint`, if there is one."""
    order = sprints(blueprint)
    for later in order[order.index(sprint) + 1 :]:
        found = milestone_for(later, live)
        if found and found.active:
            return found
    return None


def retrospective_of(blueprint: Blueprint, sprint: TimeBox) -> Issue | None:
    return next(
        (i for i in blueprint.issues if i.role == "retrospective" and i.milestone == sprint.key),
        None,
    )


def previous_retrospective(blueprint: Blueprint, sprint: TimeBox) -> Issue | None:
    order = sprints(blueprint)
    at = order.index(sprint)
    return retrospective_of(blueprint, order[at - 1]) if at else None


# -- kinds of issue -----------------------------------------------------------------------------


def planned_kind(issue: Issue) -> IssueKind:
    """Work, ceremony or governance; a bookkeeping role is governance whatever the default."""
    if issue.kind == "work" and issue.role not in WORK_ROLES:
        return "governance"
    return issue.kind


def kind_of(issue: LiveIssue, planned: Issue | None) -> IssueKind:
    """A live issue's kind: the playbook's word, else (issues people added) by its labels."""
    if planned is not None:
        return planned_kind(planned)
    if on_raid_log(issue.labels) or (issue.key or "").startswith(BOT_GOVERNANCE_KEYS):
        return "governance"
    if CEREMONY_LABEL in issue.labels:
        return "ceremony"
    return "work"


# -- workflow labels ----------------------------------------------------------------------------


def workflow_labels(blueprint: Blueprint) -> tuple[str, ...]:
    """The left-to-right workflow labels (`... Workflow::<state>`), in playbook order."""
    return tuple(label.name for label in blueprint.labels if WORKFLOW_SCOPE in label.name)


def workflow_label_for(state: str, labels: Sequence[str]) -> str | None:
    """Closed issues show `Done`; reopened ones `In Progress` (first and last as fallbacks)."""
    if not labels:
        return None
    wanted, fallback = ("Done", labels[-1]) if state == "closed" else ("In Progress", labels[0])
    return next((name for name in labels if name.endswith("::" + wanted)), fallback)


# -- the RAID log -------------------------------------------------------------------------------

RAID_LOG = "PS RAID Log"
ESCALATED = "Escalated"
RAID_KINDS = {
    "PS Risk": "Risk",
    "PS Assumption": "Assumption",
    "PS Dependency": "Dependency",
    "PS Action": "Action",
    "PS Issue": "Issue",
    "PS Decision": "Decision",
}
RISK = "PS Risk"
SEVERITY_LABELS = {
    "High": "PS:: Priority High",
    "Medium": "PS:: Priority Medium",
    "Low": "PS:: Priority Low",
}


def on_raid_log(labels: Sequence[str]) -> bool:
    names = set(labels)
    return bool(names & {RAID_LOG, ESCALATED, *RAID_KINDS})
