"""The weekly status as it happens: one status issue per engagement week, written in its week.

The handbook asks for status "weekly, whether or not the engagement is iterative". Creating
every week's issue up front cluttered boards and sprint figures, so the service's periodic job
(or a CI schedule running `psdm-bot report --post`) finds or creates the current week's issue,
keyed `issue:status/week-N` as the playbooks always keyed it, so earlier engagements' issues
are found, not duplicated. The report then leads with progress towards the business outcomes
the engagement stated (the budget, internal, is `bot/domain/budget.py`'s).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta

from bot.domain.effects import (
    CloseSuperseded,
    CreateIssue,
    Decision,
    OnIssue,
    Outcome,
    Refusal,
    UpsertNote,
)
from bot.domain.model import LiveEngagement
from bot.engine.marker import Marker
from bot.playbook.blueprint import Blueprint, Issue, TimeBox

STATUS_LABEL = "Weekly Status"
OUTCOMES = "business_outcomes"
"""Variable: the engagement's stated business outcomes, separated by `;` or new lines. An
outcome written `NAME: TARGET` (`Repositories migrated: 1200`) is measured against that number."""
OUTCOME_LABEL_PREFIX = "Outcome: "
INTERNAL_REPORT_MARKER = "<!-- psdm-bot weekly-budget -->"
SUPERSEDED_MARKER = "<!-- psdm-bot superseded -->"
STATUS_KEY = re.compile(r"^issue:status/week-(\d+)$")
"""Marks the internal note beside the weekly report (the budget), found again and edited."""


def engagement_span(blueprint: Blueprint) -> tuple[date, date] | None:
    """First start and last due date of the engagement's time-boxes, when they have dates."""
    starts = [t.start_date for t in blueprint.timeboxes if t.start_date]
    ends = [t.due_date for t in blueprint.timeboxes if t.due_date]
    if not starts or not ends:
        return None
    return min(starts), max(ends)


def engagement_week(start: date, day: date) -> int | None:
    """The 1-based engagement week `day` falls in; None before the engagement starts."""
    if day < start:
        return None
    return (day - start).days // 7 + 1


def week_start(start: date, week: int) -> date:
    return start + timedelta(weeks=week - 1)


def status_key(week: int) -> str:
    return f"issue:status/week-{week}"


def timebox_on(blueprint: Blueprint, day: date) -> TimeBox | None:
    return next(
        (
            t
            for t in blueprint.timeboxes
            if t.start_date and t.due_date and t.start_date <= day <= t.due_date
        ),
        None,
    )


def _engagement_epic(blueprint: Blueprint) -> str | None:
    root = next(
        (e for e in blueprint.epics if e.parent is None and e.phase is None and not e.workstream),
        None,
    )
    return root.key if root else None


def status_issue(blueprint: Blueprint, today: date) -> Issue | None:
    """The status issue due in the week `today` falls in, or None outside the engagement.

    The playbook declares each week's issue (`Blueprint.weekly_status`), or, in an older
    playbook, lists it among its issues; a playbook that does neither gets one built here.
    """
    declared = blueprint.status_week_on(today)
    if declared is not None:
        return declared.issue
    if blueprint.weekly_status:
        return overrun_status(blueprint, today)
    span = engagement_span(blueprint)
    if span is None:
        return None
    start, end = span
    week = engagement_week(start, today)
    if week is None or today > end:
        return None
    key = status_key(week)
    listed = next((i for i in blueprint.issues if i.key == key), None)
    if listed is not None:
        return listed
    begins = week_start(start, week)
    box = timebox_on(blueprint, begins) or timebox_on(blueprint, today)
    template = next((i for i in blueprint.issues if i.role == "status"), None)
    names = {label.name for label in blueprint.labels}
    labels = template.labels if template else tuple(n for n in (STATUS_LABEL,) if n in names)
    customer = str(blueprint.variables.get("customer", "") or "the customer")
    return Issue(
        key=key,
        title=f"Weekly status: week {week} ({begins})",
        description=(
            f"Status for {customer}, week of {begins}.\n\n"
            "The bot keeps this week's executive summary and its details in a comment below. "
            "Add what it cannot know here (planned absences, news from the customer).\n"
        ),
        labels=labels,
        milestone=box.key if box else None,
        epic=template.epic if template else _engagement_epic(blueprint),
        role="status",
        phase=box.phase if box else None,
        kind="governance",
    )


def overrun_status(blueprint: Blueprint, today: date) -> Issue | None:
    """The status issue of a week past the last planned one: an engagement running over still
    reports weekly, on an issue built from the last planned week's (None before that week
    ends, or between declared weeks)."""
    if not blueprint.weekly_status:
        return None
    last = max(blueprint.weekly_status, key=lambda w: w.week)
    if today <= last.due_date:
        return None
    week = last.week + (today - last.start_date).days // 7
    begins = week_start(last.start_date, week - last.week + 1)
    over = week - last.week
    head = (
        f"The engagement runs past its planned end ({last.due_date}, week {last.week}): "
        f"{over} week{'s' if over > 1 else ''} over."
    )
    body = last.issue.description.replace(f"week of {last.start_date}", f"week of {begins}")
    return replace(
        last.issue,
        key=status_key(week),
        title=f"Weekly status: week {week} ({begins}), past the planned end",
        description=f"{head}\n\n{body}",
        milestone=None,  # no time-box of the plan covers the week
    )


def engagement_over(live: LiveEngagement, blueprint: Blueprint) -> bool:
    """Whether the engagement is closed: its last phase's gate (the acceptance sign-off) is
    closed, or, with no gate, every time-box of the plan."""
    last = blueprint.phases[-1] if blueprint.phases else None
    if last is not None and last.gate:
        gate = live.issue_by_key(last.gate)
        return gate is not None and gate.closed
    keys = {t.key for t in blueprint.timeboxes}
    planned = [m for m in live.milestones if m.key in keys]
    return bool(planned) and not any(m.active for m in planned)


def status_key_on(blueprint: Blueprint, today: date) -> str | None:
    """The key of the status issue of `today`'s engagement week (listed or made in its week)."""
    due = status_issue(blueprint, today)
    return due.key if due else None


def superseded(live: LiveEngagement, key: str) -> tuple[CloseSuperseded, ...]:
    """The open status issues of weeks before the status issue `key`, each to be closed with a
    link forward to it (one status issue open at a time)."""
    week = STATUS_KEY.match(key)
    if week is None:
        return ()
    return tuple(
        CloseSuperseded(issue.iid, key)
        for issue in live.issues
        if not issue.closed
        and (older := STATUS_KEY.match(issue.key or ""))
        and int(older[1]) < int(week[1])
    )


def weekly_status(live: LiveEngagement, blueprint: Blueprint, today: date) -> Outcome:
    """Find or create this week's status issue (the periodic job and `report --post` ask);
    the earlier weeks' still open are closed, linking forward to it."""
    issue = status_issue(blueprint, today)
    if issue is None:
        return Refusal(f"{today} is in no week of the engagement: no status issue is due")
    found = live.issue_by_key(issue.key)
    older = superseded(live, issue.key)
    if found is not None:
        return Decision(older, f"this week's status issue is #{found.iid}.")
    if engagement_over(live, blueprint):
        # signed off, early or late: the weekly status stops with the close
        return Refusal("the engagement is closed: no status issue is due after its sign-off")
    body = f"{issue.description}\n\n{Marker(issue.key).render()}"
    create = CreateIssue(issue.key, issue.title, body, issue.labels, said="status issue #{result}.")
    return Decision((create, *older), "this week's")


def internal_report(snapshot_issue: int | None, body: str) -> tuple[UpsertNote, ...]:
    """The internal note beside the week's report (the PS team's budget), when there is one."""
    if snapshot_issue is None or not body:
        return ()
    return (UpsertNote(OnIssue(snapshot_issue), INTERNAL_REPORT_MARKER, body, internal=True),)


def slot_id(project_id: int, week: int) -> str:
    """The periodic job's workflow id: one status per engagement week, however many runs."""
    return f"weekly-status:{project_id}:week-{week}"


# -- business outcomes --------------------------------------------------------------


@dataclass(frozen=True)
class BusinessOutcome:
    name: str
    target: int | None = None


@dataclass(frozen=True)
class OutcomeProgress:
    outcome: BusinessOutcome
    done: int | None
    of: int | None
    how: str
    """What the figure counts (a KPI against its target, or issues labelled for the outcome)."""

    @property
    def percent(self) -> int | None:
        if self.done is None or not self.of:
            return None
        return min(round(100 * self.done / self.of), 100)


def stated_outcomes(variables: Mapping[str, object]) -> tuple[BusinessOutcome, ...]:
    raw = str(variables.get(OUTCOMES) or "")
    found = []
    for part in re.split(r"[;\n]", raw):
        text = part.strip(" -*\t")
        if not text:
            continue
        name, sep, target = text.rpartition(":")
        number = re.sub(r"[,_ ]", "", target)
        if sep and name.strip() and number.isdigit():
            found.append(BusinessOutcome(name.strip(), int(number)))
        else:
            found.append(BusinessOutcome(text))
    return tuple(found)


@dataclass(frozen=True)
class LabelledWork:
    """A work item and its labels: an `Outcome: NAME` label ties it to an outcome."""

    closed: bool
    labels: tuple[str, ...]


def outcome_progress(
    outcomes: Sequence[BusinessOutcome],
    kpis: Mapping[str, tuple[int, int]],
    work: Sequence[LabelledWork],
) -> tuple[OutcomeProgress, ...]:
    """How far each outcome is: a KPI (done, planned) against the outcome's target, or its
    planned units without one; else the work labelled for the outcome, closed of all."""
    found = []
    for outcome in outcomes:
        kpi = next((k for k in kpis if k.lower() == outcome.name.lower()), None)
        if kpi is not None:
            done, planned = kpis[kpi]
            of = outcome.target or planned
            found.append(OutcomeProgress(outcome, done, of, f"{kpi} so far"))
            continue
        label = OUTCOME_LABEL_PREFIX + outcome.name
        tied = [w for w in work if any(n.lower() == label.lower() for n in w.labels)]
        if tied:
            done = sum(1 for w in tied if w.closed)
            found.append(OutcomeProgress(outcome, done, len(tied), f'issues labelled ~"{label}"'))
        else:
            found.append(
                OutcomeProgress(outcome, None, None, f'not measured yet: label its work ~"{label}"')
            )
    return tuple(found)
