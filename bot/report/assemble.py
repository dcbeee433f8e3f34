"""Arrange what GitLab holds by what the playbook means: the engagement snapshot.

Issues belong to an epic by the blueprint (their ownership key says which issue they are) or,
for issues people added, by the epic GitLab links them to; workstream issues also by the
workstream's label. Ceremony and bookkeeping issues (retrospectives, weekly status, RAID log)
count towards their phase but not towards a sprint's commitment.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date

from bot.playbook.blueprint import Blueprint, Epic
from bot.playbook.blueprint import TimeBox as PlannedTimeBox
from bot.report.live import LiveEngagement, LiveIssue, LiveMilestone
from bot.report.snapshot import (
    EngagementSnapshot,
    PhaseStatus,
    Progress,
    RaidItem,
    RetroAction,
    Severity,
    SprintFigures,
    TimeBox,
    TimeBoxState,
    WorkstreamStatus,
)

RAID_KINDS = {
    "PS Risk": "Risk",
    "PS Action": "Action",
    "PS Issue": "Issue",
    "PS Decision": "Decision",
}
RAID_LOG = "PS RAID Log"
ESCALATED = "Escalated"
SEVERITIES: dict[str, Severity] = {
    "PS:: Priority High": "High",
    "PS:: Priority Medium": "Medium",
    "PS:: Priority Low": "Low",
}
RETRO_ROLES = ("retrospective", "internal-retrospective", "customer-retrospective")
_UNCHECKED = re.compile(r"^\s*[-*+] \[ \] (?P<text>.+?)\s*$")
_HEADING = re.compile(r"^#{1,6}\s+(?P<title>.+?)\s*$")


def assemble(live: LiveEngagement, blueprint: Blueprint, today: date) -> EngagementSnapshot:
    issues = tuple(i for i in live.issues if not (i.key or "").startswith("epic:"))
    boxes = _timeboxes(blueprint, live.milestones, today)
    box_by_key = {box.key: box for box in boxes}
    epic_keys = {epic.iid: epic.key for epic in live.epics if epic.key}
    current = _current_phase(blueprint, live, box_by_key)
    phases = tuple(
        PhaseStatus(
            key=phase.key,
            name=phase.name,
            label=phase.label,
            current=phase.key == current,
            timeboxes=tuple(box_by_key[k] for k in phase.timeboxes if k in box_by_key),
            progress=_progress(_members(blueprint, phase.epic, issues, epic_keys)),
        )
        for phase in blueprint.phases
    )
    workstreams = tuple(
        WorkstreamStatus(
            epic.key,
            epic.title,
            _progress(_members(blueprint, epic.key, issues, epic_keys, epic.labels)),
        )
        for epic in blueprint.epics
        if epic.workstream
    )
    return EngagementSnapshot(
        project=live.project,
        playbook=blueprint.playbook,
        taken_on=today,
        phase=next((p.name for p in phases if p.current), None),
        phases=phases,
        timeboxes=boxes,
        workstreams=workstreams,
        sprints=_sprints(blueprint, boxes, live.milestones, issues),
        raid=_raid(blueprint, issues),
        retro_actions=_retro_actions(blueprint, issues),
        dora=live.dora,
        dora_note=live.dora_note,
        status_issue=_status_issue(blueprint, boxes, issues, today),
        epic_mode=live.epic_mode,
    )


# -- time-boxes and phases ----------------------------------------------------------------------


def _milestone_for(planned: PlannedTimeBox, milestones: Sequence[LiveMilestone]):
    """By ownership key first (survives renames), then by title."""
    return next((m for m in milestones if m.key == planned.key), None) or next(
        (m for m in milestones if m.key is None and m.title == planned.title), None
    )


def _timeboxes(
    blueprint: Blueprint, milestones: Sequence[LiveMilestone], today: date
) -> tuple[TimeBox, ...]:
    boxes = []
    for planned in blueprint.timeboxes:
        found = _milestone_for(planned, milestones)
        start = found.start_date if found else planned.start_date
        due = found.due_date if found else planned.due_date
        boxes.append(
            TimeBox(
                key=planned.key,
                title=found.title if found else planned.title,
                kind=planned.kind,
                phase=planned.phase,
                start_date=start,
                due_date=due,
                state=_state(found, start, due, today),
                web_url=found.web_url if found else None,
            )
        )
    return tuple(boxes)


def _state(
    found: LiveMilestone | None, start: date | None, due: date | None, today: date
) -> TimeBoxState:
    if found is None:
        return "missing"
    if found.state == "closed":
        return "closed"
    if start and start > today:
        return "upcoming"
    if due and due < today:
        return "overdue"
    return "active"


def _root_epic(blueprint: Blueprint) -> Epic | None:
    return next(
        (e for e in blueprint.epics if e.parent is None and e.phase is None and not e.workstream),
        None,
    )


def _current_phase(
    blueprint: Blueprint, live: LiveEngagement, boxes: dict[str, TimeBox]
) -> str | None:
    """The phase whose label the engagement epic carries; before any, the first unfinished one."""
    root = _root_epic(blueprint)
    labels = next((e.labels for e in live.epics if root and e.key == root.key), ())
    marked = [p.key for p in blueprint.phases if p.label in labels]
    if marked:
        return marked[-1]
    for phase in blueprint.phases:
        states = [boxes[k].state for k in phase.timeboxes if k in boxes]
        if not states or any(state != "closed" for state in states):
            return phase.key
    return blueprint.phases[-1].key if blueprint.phases else None


# -- progress -----------------------------------------------------------------------------------


def _members(
    blueprint: Blueprint,
    epic_key: str | None,
    issues: Sequence[LiveIssue],
    epic_keys: dict[int, str],
    labels: Iterable[str] = (),
) -> list[LiveIssue]:
    if epic_key is None:
        return []
    planned = {i.key for i in blueprint.issues if i.epic == epic_key}
    others = {i.key for i in blueprint.issues if i.epic and i.epic != epic_key}
    marks = set(labels)
    found = []
    for issue in issues:
        if issue.key in planned or (
            issue.key not in others
            and (
                (issue.epic_iid is not None and epic_keys.get(issue.epic_iid) == epic_key)
                or marks.intersection(issue.labels)
            )
        ):
            found.append(issue)
    return found


def _progress(issues: Iterable[LiveIssue]) -> Progress:
    closed = open_ = weight_closed = weight_open = 0
    for issue in issues:
        if issue.closed:
            closed += 1
            weight_closed += issue.weight or 0
        else:
            open_ += 1
            weight_open += issue.weight or 0
    return Progress(closed, open_, weight_closed, weight_open)


def _sprints(
    blueprint: Blueprint,
    boxes: Sequence[TimeBox],
    milestones: Sequence[LiveMilestone],
    issues: Sequence[LiveIssue],
) -> tuple[SprintFigures, ...]:
    declared = [*blueprint.issues, *(w.issue for w in blueprint.weekly_status)]
    bookkeeping = {i.key for i in declared if i.kind != "work"}
    figures = []
    for box in boxes:
        if box.kind != "sprint":
            continue
        planned = next(t for t in blueprint.timeboxes if t.key == box.key)
        found = _milestone_for(planned, milestones)
        work = [
            i for i in issues if found and i.milestone_id == found.id and i.key not in bookkeeping
        ]
        done = [i for i in work if i.closed]
        left = [i for i in work if not i.closed]
        ended = box.state in ("closed", "overdue")
        slipped = left if ended else []
        figures.append(
            SprintFigures(
                key=box.key,
                title=box.title,
                state=box.state,
                committed=len(work),
                done=len(done),
                slipped=len(slipped),
                weight_committed=sum(i.weight or 0 for i in work),
                weight_done=sum(i.weight or 0 for i in done),
                weight_slipped=sum(i.weight or 0 for i in slipped),
            )
        )
    return tuple(figures)


# -- RAID, retrospectives, the status issue -----------------------------------------------------


def _raid(blueprint: Blueprint, issues: Sequence[LiveIssue]) -> tuple[RaidItem, ...]:
    """Open issues on the RAID log (or escalated), not the log issue itself."""
    logs = {i.key for i in blueprint.issues if i.role == "raid"}
    items = []
    for issue in issues:
        labels = set(issue.labels)
        kinds = [kind for label, kind in RAID_KINDS.items() if label in labels]
        on_log = bool(kinds) or RAID_LOG in labels or ESCALATED in labels
        if issue.closed or issue.key in logs or not on_log:
            continue
        severity = next((s for label, s in SEVERITIES.items() if label in labels), None)
        items.append(
            RaidItem(
                issue.iid,
                issue.title,
                kinds[0] if kinds else "Item",
                severity,
                ESCALATED in labels,
                issue.web_url,
            )
        )
    order = {"High": 0, "Medium": 1, "Low": 2, None: 3}
    return tuple(sorted(items, key=lambda i: (not i.escalated, order[i.severity], i.iid)))


def unchecked_items(description: str) -> list[str]:
    """Open task-list items, leaving out acceptance criteria (they are not actions)."""
    items: list[str] = []
    criteria = False
    for line in description.splitlines():
        heading = _HEADING.match(line)
        if heading:
            criteria = heading["title"].lower().startswith("acceptance criteria")
            continue
        found = None if criteria else _UNCHECKED.match(line)
        if found:
            items.append(found["text"])
    return items


def _retro_actions(blueprint: Blueprint, issues: Sequence[LiveIssue]) -> tuple[RetroAction, ...]:
    """Each open action once, attributed to the latest retrospective that still carries it."""
    retros = [i.key for i in blueprint.issues if i.role in RETRO_ROLES]
    by_key = {i.key: i for i in issues if i.key}
    found: dict[str, RetroAction] = {}
    for key in retros:
        issue = by_key.get(key)
        if issue is None:
            continue
        for text in unchecked_items(issue.description):
            found.pop(text, None)
            found[text] = RetroAction(text, issue.iid, issue.title)
    return tuple(found.values())


def _status_issue(
    blueprint: Blueprint, boxes: Sequence[TimeBox], issues: Sequence[LiveIssue], today: date
) -> int | None:
    """The weekly status issue of this week: by its time-box's dates, one issue per week."""
    by_key = {i.key: i for i in issues if i.key}
    declared = [*(w.issue for w in blueprint.weekly_status), *blueprint.issues]
    planned = [i for i in declared if i.role == "status" and i.key in by_key]
    if not planned:
        return None
    chosen = planned[0]
    for box in boxes:
        weekly = [i for i in planned if i.milestone == box.key]
        if not weekly or box.start_date is None or box.due_date is None:
            continue
        if box.start_date > today:
            break
        chosen = weekly[-1]
        if today <= box.due_date:
            chosen = weekly[min((today - box.start_date).days // 7, len(weekly) - 1)]
            break
    return by_key[chosen.key].iid
