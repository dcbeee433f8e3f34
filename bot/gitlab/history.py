"""What happened to issues and when: GitLab's resource events, read for the flow metrics.

GitLab keeps one list per kind of change and issue (`GL:doc/api/resource_state_events.md`,
`resource_label_events.md`, `resource_milestone_events.md`, `resource_weight_events.md`), each
entry with `created_at`. Only closed issues the caller picks are read (four requests each),
since an open issue has no cycle or lead time yet. A label deleted since the event leaves
`"label": null` in GitLab's answer; such an event is skipped, it cannot be a workflow label
the metrics look for.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, TypeVar

import gitlab

from bot.domain.metrics import (
    IssueHistory,
    LabelEvent,
    MilestoneEvent,
    StateEvent,
    WeightEvent,
    flow_item,
)
from bot.domain.model import LiveMilestone
from bot.engine.marker import parse
from bot.gitlab.engagement import EngagementGitLab, live_milestone
from bot.gitlab.memory import Memory
from bot.gitlab.rest import enc, every
from bot.playbook.blueprint import Blueprint, IssueKind

STATES = {"opened", "closed", "reopened"}
ACTIONS = {"add", "remove"}


def moment(value: object) -> datetime | None:
    """GitLab's ISO 8601 time (`2018-08-20T13:38:20.077Z`) as an aware datetime."""
    if not value:
        return None
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


E = TypeVar("E", StateEvent, LabelEvent, MilestoneEvent, WeightEvent)


def _events_of(
    answer: Sequence[Mapping[str, Any]], read: Callable[[datetime, Mapping[str, Any]], E | None]
) -> tuple[E, ...]:
    """Each entry with a time that `read` understands, oldest first; the others skipped."""
    found = []
    for item in answer:
        at = moment(item.get("created_at"))
        event = read(at, item) if at is not None else None
        if event is not None:
            found.append(event)
    return tuple(sorted(found, key=lambda e: e.at))


def _state(at: datetime, item: Mapping[str, Any]) -> StateEvent | None:
    state = item.get("state")
    return StateEvent(at, state) if state in STATES else None


def _label(at: datetime, item: Mapping[str, Any]) -> LabelEvent | None:
    label, action = item.get("label"), item.get("action")
    if isinstance(label, Mapping) and action in ACTIONS:
        return LabelEvent(at, str(label.get("name") or ""), action)
    return None


def _milestone(at: datetime, item: Mapping[str, Any]) -> MilestoneEvent | None:
    milestone, action = item.get("milestone"), item.get("action")
    if isinstance(milestone, Mapping) and action in ACTIONS:
        return MilestoneEvent(at, str(milestone.get("title") or ""), action)
    return None


def _weight(at: datetime, item: Mapping[str, Any]) -> WeightEvent | None:
    weight = item.get("weight")
    return WeightEvent(at, weight) if weight is None or isinstance(weight, int) else None


def state_events(answer: Sequence[Mapping[str, Any]]) -> tuple[StateEvent, ...]:
    return _events_of(answer, _state)


def label_events(answer: Sequence[Mapping[str, Any]]) -> tuple[LabelEvent, ...]:
    return _events_of(answer, _label)


def milestone_events(answer: Sequence[Mapping[str, Any]]) -> tuple[MilestoneEvent, ...]:
    return _events_of(answer, _milestone)


def weight_events(answer: Sequence[Mapping[str, Any]]) -> tuple[WeightEvent, ...]:
    return _events_of(answer, _weight)


@dataclass(frozen=True)
class Picked:
    """What the caller knows of an issue that GitLab's issue does not say."""

    kind: IssueKind
    workstream: str | None = None


Pick = Callable[[Mapping[str, Any]], Picked | None]
"""Given an issue as the REST API answers it: its kind and workstream, or None to skip it."""


def _events(rest: gitlab.Gitlab, path: str) -> list[dict[str, Any]]:
    """A resource-event list; none where the tier lacks the kind (weight is Premium and up)."""
    try:
        return every(rest, path)
    except gitlab.GitlabHttpError as error:
        if error.response_code in (403, 404):
            return []
        raise


def issue_history(
    rest: gitlab.Gitlab, project: int | str, issue: Mapping[str, Any], picked: Picked
) -> IssueHistory:
    """One issue with its state, label, milestone and weight events."""
    base = f"/projects/{enc(project)}/issues/{int(issue['iid'])}"
    created = moment(issue.get("created_at"))
    if created is None:
        raise ValueError(f"issue #{issue['iid']} has no created_at")
    milestone = issue.get("milestone") or {}
    return IssueHistory(
        iid=int(issue["iid"]),
        created_at=created,
        kind=picked.kind,
        workstream=picked.workstream,
        milestone=milestone.get("title"),
        closed_at=moment(issue.get("closed_at")),
        weight=issue.get("weight"),
        states=state_events(_events(rest, f"{base}/resource_state_events")),
        labels=label_events(_events(rest, f"{base}/resource_label_events")),
        milestones=milestone_events(_events(rest, f"{base}/resource_milestone_events")),
        weights=weight_events(_events(rest, f"{base}/resource_weight_events")),
    )


def closed_histories(
    rest: gitlab.Gitlab, project: int | str, pick: Pick, memory: Memory | None = None
) -> list[IssueHistory]:
    """The histories of the project's closed issues that `pick` keeps (work items). With
    `memory`, an issue's history is read again only once its `updated_at` moved (a change of
    its state, labels, milestone or weight moves it)."""
    closed = every(rest, f"/projects/{enc(project)}/issues", state="closed")
    found = []
    for issue in closed:
        picked = pick(issue)
        if picked is None:
            continue
        iid, stamp = int(issue["iid"]), str(issue.get("updated_at"))
        kept = memory.histories.get(str(project), iid, stamp) if memory else None
        if kept is not None and kept.kind == picked.kind:
            found.append(replace(kept, workstream=picked.workstream))
            continue
        history = issue_history(rest, project, issue, picked)
        if memory is not None:
            memory.histories.put(str(project), iid, stamp, history)
        found.append(history)
    return found


def work_histories(
    rest: gitlab.Gitlab, project: int | str, blueprint: Blueprint, memory: Memory | None = None
) -> list[IssueHistory]:
    """The closed work items' histories, each with its workstream, for the flow metrics."""

    def pick(issue: Mapping[str, Any]) -> Picked | None:
        marker = parse(issue.get("description"))[1]
        counted, workstream = flow_item(
            blueprint, marker.key if marker else None, tuple(issue.get("labels") or ())
        )
        return Picked("work", workstream) if counted else None

    return closed_histories(rest, project, pick, memory)


def closed_milestones_since(gl: EngagementGitLab, since: datetime) -> list[LiveMilestone]:
    """The project's milestones closed (or otherwise changed while closed) since `since`:
    `updated_after` narrows GitLab's answer, and the answer's `updated_at` is checked again
    for an instance that ignores the filter.

    The periodic sweep (`gl.incremental`) asks only where it must: on a GitLab that sends no
    event when a milestone closes (before 18.2), and once per process elsewhere, for the
    closes made while it was not running; after that every close reaches it as a Milestone
    Hook, which the intake records durably."""
    key = gl.port.path
    if gl.incremental and key in gl.memory.closes_asked and gl.port.capabilities.milestone_events:
        return []
    path = f"/projects/{enc(gl.project)}/milestones"
    # a sprint may be a group milestone the project inherits (verified.md 3.2)
    answer = every(
        gl.rest, path, state="closed", updated_after=since.isoformat(), include_ancestors=True
    )
    found = []
    for item in answer:
        changed = moment(item.get("updated_at"))
        if changed is None or changed >= since:
            found.append(live_milestone(item))
    gl.memory.closes_asked.add(key)
    return found
