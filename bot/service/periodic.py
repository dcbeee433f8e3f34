"""What GitLab sends no event for, kept in step by the periodic sweep: time-boxes closed without
an event (GitLab before 18.2 sends none when a milestone closes) and the weekly status, created
in its week with the report on it.

A closed time-box is handled once, whichever comes first: the Milestone Hook or the sweep. Both
run the handling as a workflow with the ID `timebox-closed:<project>:<milestone id>`, so the
second finds the first's result instead of moving issues or commenting again. The weekly status
runs as `weekly-status:<project>:week-N`: once per engagement week however often the sweep
wakes, and however many instances share the database.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import structlog

from bot.domain import decisions
from bot.domain.effects import Decision, Refusal
from bot.domain.errors import NotPossible
from bot.domain.metrics import engagement_metrics
from bot.domain.sprints import closed_timeboxes, timebox_closed_id
from bot.domain.status import weekly_parts
from bot.domain.weekly import internal_report, slot_id, status_issue, weekly_status
from bot.events.actions import ISSUES, TimeBoxClosed
from bot.events.event import Event
from bot.gitlab.engagement import EVERYTHING, EngagementGitLab
from bot.gitlab.history import closed_milestones_since, work_histories
from bot.playbook import PlaybookError
from bot.report.weekly import internal_markdown, weekly_markdown
from bot.service.durable import once, register_job, step
from bot.service.runners import EngagementRunners, Engagements, blueprint_of, read_today
from bot.service.workflows import SweepEngagement

log = structlog.get_logger("psdm.periodic")
TIMEBOX_CLOSED = "timebox-closed"
WEEKLY_STATUS = "weekly-status"
PERIODIC = "Periodic Job"
"""The kind of the event periodic work runs under (GitLab sends none)."""
LOOKBACK = timedelta(days=1)
"""How far back the sweep looks for closed time-boxes: a close older than this (the service
down for longer) is left to `/psdm retro` and a look at the sprint by hand."""


def weekly_report(engagements: Engagements, gl: EngagementGitLab, name: str) -> tuple[bool, str]:
    """This week's status issue found or created, then the report kept on it as one comment."""
    live, today = step(f"{name}: read the project", read_today, gl, frozenset({ISSUES}))
    _, blueprint = engagements.engaged(live.project)
    made = weekly_status(live, blueprint, today)
    if isinstance(made, Decision) and made.effects:
        ok, text = engagements.perform(gl, made, f"{name}: status issue")
        if not ok:
            return ok, text
    live, today = step(f"{name}: read the project again", read_today, gl, EVERYTHING)
    histories = step(
        f"{name}: read the work's history",
        work_histories,
        gl.rest,
        live.project.id,
        blueprint,
        gl.memory,
    )
    snapshot = decisions.status(live, blueprint, today)
    if snapshot.status_issue is None and isinstance(made, Refusal):
        return False, made.reason[:1].upper() + made.reason[1:] + "."
    page = engagements.settings.engagement_page(live.project.id)
    metrics = engagement_metrics(live, blueprint, snapshot, histories)
    parts = weekly_parts(live, blueprint, snapshot, metrics, today)
    body = weekly_markdown(snapshot, metrics, page, summary=parts.summary, raid=parts.raid)
    report = decisions.report(snapshot, body)
    internal = internal_markdown(snapshot, metrics, parts.raid)
    inside = internal_report(snapshot.status_issue, internal)
    if isinstance(report, Decision) and inside:
        report = replace(report, effects=(*report.effects, *inside))
    return engagements.perform(gl, report, name)


class Periodic:
    def __init__(self, events: EngagementRunners) -> None:
        self.events = events
        self.engagements = events.engagements
        register_job(TIMEBOX_CLOSED, self.timebox_closed)
        register_job(WEEKLY_STATUS, self.weekly_status)

    # -- the event path: a Milestone Hook's close goes through the same once --------------------

    def closed_once(self, action: TimeBoxClosed, event: Event) -> str:
        closed_id = timebox_closed_id(action.project_id, action.milestone_id)
        return once(closed_id, TIMEBOX_CLOSED, action.project_id, action.milestone_id)

    def timebox_closed(self, project_id: int, milestone_id: int) -> str:
        event = Event(PERIODIC, None, {"project_id": project_id})
        action = TimeBoxClosed(project_id, milestone_id, "")
        return "; ".join(self.events.run([action], event))

    # -- the sweep ------------------------------------------------------------------------------

    def sweep(self, action: SweepEngagement, event: Event) -> str:
        return "; ".join(self.sweep_one(action.project_id, event))

    def sweep_one(self, project_id: int, event: Event) -> list[str]:
        recorded = self.engagements.recorded(project_id)
        if recorded is None:
            return []
        try:
            blueprint = blueprint_of(recorded)
        except PlaybookError:
            return ["the engagement's playbook cannot be rendered"]
        now = step("the time of the sweep", self.engagements.clock.now)
        gl = self.engagements.gitlab(project_id, event)
        closed = step("read closed time-boxes", closed_milestones_since, gl, now - LOOKBACK)
        outcomes = [
            once(timebox_closed_id(project_id, m.id), TIMEBOX_CLOSED, project_id, m.id)
            for m in closed_timeboxes(blueprint, closed)
        ]
        due = status_issue(blueprint, now.date())
        if due is not None:
            week = int(due.key.rsplit("-", 1)[-1])
            outcomes.append(once(slot_id(project_id, week), WEEKLY_STATUS, project_id, week))
        return outcomes

    def weekly_status(self, project_id: int, week: int) -> str:
        gl = self.engagements.gitlab(project_id, Event(PERIODIC, None, {}))
        try:
            _, text = weekly_report(self.engagements, gl, f"week {week}")
        except NotPossible as refused:
            return refused.reason
        log.info("weekly status", project_id=project_id, week=week, outcome=text)
        return text
