"""Carry out what handlers decided, against GitLab, as durable workflow steps.

Each step reads what it decides on and writes with find-or-create or compare-and-update, so
a step that runs again after a crash (steps are at-least-once) changes nothing twice. The
engagement's blueprint is rendered again from the playbook and variables recorded when the
project was scaffolded (table psdm_engagements); a project scaffolded another way (CLI, CI)
gets its playbook from the same rules instead.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache, wraps
from typing import Protocol, TypeVar

import structlog

from bot.config import Settings
from bot.engine.apply import ApplyResult
from bot.engine.marker import Marker
from bot.engine.plan import Operation, Plan
from bot.engine.port import LiveObject
from bot.events.actions import (
    FollowIssueState,
    PhaseProgress,
    RestoreLabels,
    ScaffoldProject,
    TimeBoxClosed,
)
from bot.events.commands.engagement import (
    current_phase,
    engagement_epic,
    phase_labels_after,
    retrospective_of,
    sprints,
)
from bot.events.commands.errors import NotPossible
from bot.events.event import Event
from bot.events.phases import (
    Progress,
    advance_note,
    next_phase,
    phase_ended_by,
    phase_of_epic,
    workflow_label_for,
    workflow_labels,
)
from bot.events.retrospective import (
    SprintIssue,
    completed_description,
    figures,
    section,
    unchecked_actions,
)
from bot.gitlab.engagement import EngagementGitLab, epic_notes_path
from bot.gitlab.project import GitLabProject
from bot.gitlab.reconcile import connect, reconcile
from bot.playbook import PlaybookError, load_playbook, render
from bot.playbook.blueprint import Blueprint, Issue, Phase, TimeBox
from bot.playbook.selection import Choice, PlaybookRule, ProjectFacts, choose_playbook
from bot.service.durable import step
from bot.service.metrics import LABELS_RESTORED, count_gitlab_response
from bot.service.store import Engagement, Store
from bot.service.workflows import SWEEP, Runner

log = structlog.get_logger("psdm.runners")


ProjectGitLab = TypeVar("ProjectGitLab", bound=EngagementGitLab)


def open_gitlab(
    kind: type[ProjectGitLab], settings: Settings, project_id: int, event: Event
) -> ProjectGitLab:
    """One project's GitLab for `event`: its writes carry the event's UUID, its answers count."""
    return kind(
        settings.gitlab_url,
        settings.gitlab_token,
        project_id,
        event_uuid=event.event_uuid,
        on_response=count_gitlab_response,
    )


@lru_cache(maxsize=64)
def _blueprint(playbook: str, variables: tuple[tuple[str, str], ...]) -> Blueprint:
    return render(load_playbook(playbook), dict(variables))


def blueprint_of(choice: Choice) -> Blueprint:
    return _blueprint(choice.playbook, tuple(sorted(choice.variables.items())))


@dataclass(frozen=True)
class Engaged:
    """A project that is one of our engagements: its GitLab, its facts, its blueprint."""

    gl: EngagementGitLab
    facts: ProjectFacts
    blueprint: Blueprint


class OnProject(Protocol):
    @property
    def project_id(self) -> int: ...


ActionOnProject = TypeVar("ActionOnProject", bound=OnProject)


def _engagements_only(
    handle: Callable[[EngagementRunners, ActionOnProject, Event, Engaged], str],
) -> Callable[[EngagementRunners, ActionOnProject, Event], str]:
    """Run `handle` for a project that is one of our engagements; skip any other project."""

    @wraps(handle)
    def run(self: EngagementRunners, action: ActionOnProject, event: Event) -> str:
        gl = self.gitlab(action.project_id, event)
        found = self.engagement(gl)
        if found is None:
            return "not an engagement"
        return handle(self, action, event, Engaged(gl, *found))

    return run


class EngagementRunners:
    def __init__(self, settings: Settings, store: Store) -> None:
        self.settings = settings
        self.store = store
        self.rules = [
            PlaybookRule(r.playbook, r.namespace, r.topic, r.name, r.variables)
            for r in settings.rules
        ]

    def runners(self) -> dict[type, Runner]:
        return {
            ScaffoldProject: self.scaffold,  # type: ignore[dict-item]
            TimeBoxClosed: self.close_time_box,  # type: ignore[dict-item]
            PhaseProgress: self.phase_progress,  # type: ignore[dict-item]
            FollowIssueState: self.follow_issue_state,  # type: ignore[dict-item]
            RestoreLabels: self.restore_labels,  # type: ignore[dict-item]
        }

    # -- connections ---------------------------------------------------------------------------

    def gitlab(self, project_id: int, event: Event) -> EngagementGitLab:
        return open_gitlab(EngagementGitLab, self.settings, project_id, event)

    def port(self, project_path: str, event: Event) -> GitLabProject:
        port = connect(
            self.settings.gitlab_url,
            self.settings.gitlab_token,
            project_path,
            event_uuid=event.event_uuid,
        )
        port.conn.rest.session.hooks["response"].append(
            lambda response, *args, **kwargs: count_gitlab_response(response.status_code)
        )
        return port

    def engagement(self, gl: EngagementGitLab) -> tuple[ProjectFacts, Blueprint] | None:
        """The project and its blueprint; None when the project is no engagement of ours."""
        facts = step("read project", gl.facts)
        recorded = self.store.engagement(facts.id)
        choice = (
            Choice(recorded.playbook, recorded.variables)
            if recorded
            else choose_playbook(facts, self.rules)
        )
        if choice is None:
            return None
        try:
            return facts, blueprint_of(choice)
        except PlaybookError as error:
            log.warning(
                "engagement playbook unusable", project=facts.path_with_namespace, error=str(error)
            )
            return None

    # -- project created -----------------------------------------------------------------------

    def scaffold(self, action: ScaffoldProject, event: Event) -> str:
        gl = self.gitlab(action.project_id, event)
        facts = step("read project", gl.facts)
        choice = choose_playbook(facts, self.rules)
        if choice is None:
            return f"{facts.path_with_namespace}: no rule chooses a playbook; nothing scaffolded"
        try:
            blueprint = blueprint_of(choice)
        except PlaybookError as error:
            return f"{facts.path_with_namespace}: not scaffolded, {error}"
        engagement = Engagement(
            facts.id, facts.path_with_namespace, choice.playbook, dict(choice.variables)
        )
        step("record engagement", self.store.save_engagement, engagement)
        return step("scaffold", self._scaffold, facts.path_with_namespace, blueprint, event)

    def reconcile(
        self, project_path: str, blueprint: Blueprint, event: Event, *, dry_run: bool = False
    ) -> tuple[Plan, ApplyResult | None]:
        """Read, plan and (unless `dry_run`) apply the blueprint to the project."""
        return reconcile(
            self.settings.gitlab_url,
            self.settings.gitlab_token,
            project_path,
            blueprint,
            dry_run=dry_run,
            event_uuid=event.event_uuid,
        )

    def _scaffold(self, project_path: str, blueprint: Blueprint, event: Event) -> str:
        """Read, plan and apply as one step: after a crash it reads again and only completes."""
        _, result = self.reconcile(project_path, blueprint, event)
        if result is None:
            return f"{project_path}: {blueprint.playbook} already in place"
        if not result.ok:
            failures = "; ".join(f"{f.op.key}: {f.message}" for f in result.failed)
            raise RuntimeError(f"scaffolding {project_path} stopped: {failures}")
        return f"{project_path}: {blueprint.playbook} scaffolded ({result.summary()})"

    # -- milestone closed ----------------------------------------------------------------------

    @_engagements_only
    def close_time_box(self, action: TimeBoxClosed, event: Event, engaged: Engaged) -> str:
        gl, facts, blueprint = engaged.gl, engaged.facts, engaged.blueprint
        milestone = step("read milestone", gl.milestone, action.milestone_id)
        timebox = _timebox(blueprint, milestone.key, milestone.title)
        if timebox is None:
            return f"milestone {milestone.title!r} is not one of the engagement's time-boxes"
        outcomes = []
        if timebox.kind == "sprint":
            outcomes.append(
                self.complete_retrospective(gl, blueprint, timebox, action.milestone_id)
            )
        ended = phase_ended_by(blueprint, timebox.key)
        if ended:
            reason = f"its time-box {timebox.title} closed"
            outcomes.append(
                step(
                    "advance phase",
                    self._advance,
                    facts.path_with_namespace,
                    blueprint,
                    ended,
                    reason,
                    event,
                )
            )
        return "; ".join(outcomes) or f"{timebox.title} closed"

    def complete_retrospective(
        self, gl: EngagementGitLab, blueprint: Blueprint, sprint: TimeBox, milestone_id: int
    ) -> str:
        """Fill the sprint's retrospective with its figures, open issues and carried actions."""
        retro = retrospective_of(blueprint, sprint)
        if retro is None:
            return f"{sprint.title} has no retrospective in the playbook"
        issues = step("read sprint issues", gl.milestone_issues, milestone_id)
        counted = [
            SprintIssue(i.iid, i.title, i.closed, i.weight) for i in issues if i.key != retro.key
        ]
        carried: list[str] = []
        previous = _previous_retrospective(blueprint, sprint)
        if previous:
            before = step("read previous retrospective", gl.issue_by_key, previous.key)
            carried = unchecked_actions(before.description if before else None)
        owned = section(
            sprint.title, figures(counted), [i for i in counted if not i.closed], carried
        )
        return step("complete retrospective", self._write_retrospective, gl, retro, owned)

    @staticmethod
    def _write_retrospective(gl: EngagementGitLab, retro: Issue, owned: str) -> str:
        live = gl.issue_by_key(retro.key)
        if live is None:
            body = completed_description(
                f"{retro.description}\n\n{Marker(retro.key).render()}", owned
            )
            iid = gl.create_issue(retro.title, body, retro.labels, retro.key)
            return f"retrospective #{iid} opened"
        body = completed_description(live.description, owned)
        changes: dict[str, object] = {}
        if body != live.description:
            changes["description"] = body
        if live.closed:
            changes["state_event"] = "reopen"
        if changes:
            gl.update_issue(live.iid, **changes)
        return f"retrospective #{live.iid} completed"

    # -- phases --------------------------------------------------------------------------------

    def _advance(
        self, project_path: str, blueprint: Blueprint, ended: Phase, reason: str, event: Event
    ) -> str:
        """Move the engagement epic's phase label on from `ended`; a comment says so."""
        try:
            root = engagement_epic(blueprint)
        except NotPossible:
            return "the playbook has no engagement epic to carry the phase label"
        port = self.port(project_path, event)
        live = port.read_live(blueprint)
        epic = live_object(live.objects, root.key)
        if epic is None:
            return f"{root.title} does not exist yet"
        following = next_phase(blueprint, ended)
        old = tuple(epic.fields.get("labels") or ())
        current = current_phase(blueprint, old)
        if current and blueprint.phases.index(current) > blueprint.phases.index(ended):
            return f"the engagement is already past {ended.name}"
        new = phase_labels_after(blueprint, old, following)
        if new != old:
            relabel_epic(port, root.key, epic, new)
        marker = f"<!-- psdm-bot phase-ended={ended.key} -->"
        gl = self.gitlab(port.pid, event)
        gl.upsert_note(
            epic_notes_path(gl, live.epics, epic.ref, port.group_id),
            marker,
            advance_note(ended, following, reason),
        )
        return f"phase {ended.name} ended" + (f"; now {following.name}" if following else "")

    @_engagements_only
    def phase_progress(self, action: PhaseProgress, event: Event, engaged: Engaged) -> str:
        gl, facts, blueprint = engaged.gl, engaged.facts, engaged.blueprint
        issue = step("read issue", gl.issue, action.issue_iid)
        wanted = next((i for i in blueprint.issues if i.key == issue.key), None)
        phase = phase_of_epic(blueprint, wanted.epic if wanted else None)
        if wanted is None or phase is None:
            return f"#{action.issue_iid} belongs to no phase epic"
        members = {i.key for i in blueprint.issues if i.epic == phase.epic}
        live = step("read issues", gl.issues)
        done = sum(1 for i in live if i.key in members and i.closed)
        progress = Progress(done, len(members))
        outcome = step(
            "record progress",
            self._record_progress,
            facts.path_with_namespace,
            blueprint,
            phase,
            progress,
            event,
        )
        if progress.complete:
            reason = f"all {progress.total} issues of its epic are done"
            outcome += "; " + step(
                "advance phase",
                self._advance,
                facts.path_with_namespace,
                blueprint,
                phase,
                reason,
                event,
            )
        return outcome

    def _record_progress(
        self,
        project_path: str,
        blueprint: Blueprint,
        phase: Phase,
        progress: Progress,
        event: Event,
    ) -> str:
        port = self.port(project_path, event)
        live = port.read_live(blueprint)
        epic = live_object(live.objects, phase.epic or "")
        if epic is None:
            return f"the {phase.name} epic does not exist yet"
        gl = self.gitlab(port.pid, event)
        marker = "<!-- psdm-bot progress -->"
        gl.upsert_note(
            epic_notes_path(gl, live.epics, epic.ref, port.group_id),
            marker,
            f"Progress: {progress.line(phase)}",
        )
        return progress.line(phase)

    # -- labels --------------------------------------------------------------------------------

    @_engagements_only
    def follow_issue_state(self, action: FollowIssueState, event: Event, engaged: Engaged) -> str:
        names = workflow_labels(engaged.blueprint)
        target = workflow_label_for(action.state, names)
        if target is None:
            return "the playbook has no workflow labels"
        return step(
            "follow issue state",
            self._set_workflow_label,
            engaged.gl,
            action.issue_iid,
            target,
            names,
        )

    @staticmethod
    def _set_workflow_label(
        gl: EngagementGitLab, iid: int, target: str, names: tuple[str, ...]
    ) -> str:
        issue = gl.issue(iid)
        stale = [n for n in issue.labels if n in names and n != target]
        if target in issue.labels and not stale:
            return f"#{iid} already {target}"
        gl.update_issue(iid, add_labels=target, remove_labels=",".join(stale))
        return f"#{iid} now {target}"

    @_engagements_only
    def restore_labels(self, action: RestoreLabels, event: Event, engaged: Engaged) -> str:
        trigger = "sweep" if event.kind == SWEEP else "event"
        return step("restore labels", self._restore_labels, engaged.gl, engaged.blueprint, trigger)

    @staticmethod
    def _restore_labels(gl: EngagementGitLab, blueprint: Blueprint, trigger: str) -> str:
        live = gl.labels()
        names = {label.name for label in live}
        standard = {label.name for label in blueprint.labels}
        restored = []
        for label in blueprint.labels:
            if label.name in names:
                continue
            renamed = next(
                (
                    have
                    for have in live
                    if have.name not in standard
                    and have.description == label.description
                    and have.color.lower() == label.color.lower()
                ),
                None,
            )
            if renamed:
                gl.rename_label(renamed, label.name)
                names.discard(renamed.name)
            else:
                gl.create_label(label.name, label.color, label.description)
            names.add(label.name)
            restored.append(label.name)
            LABELS_RESTORED.labels(trigger=trigger).inc()
        return f"restored {', '.join(restored)}" if restored else "labels intact"


def _timebox(blueprint: Blueprint, key: str | None, title: str) -> TimeBox | None:
    boxes = blueprint.timeboxes
    return next((t for t in boxes if t.key == key), None) or next(
        (t for t in boxes if t.title == title), None
    )


def _previous_retrospective(blueprint: Blueprint, sprint: TimeBox) -> Issue | None:
    order = sprints(blueprint)
    at = order.index(sprint)
    return retrospective_of(blueprint, order[at - 1]) if at else None


def relabel_epic(port: GitLabProject, key: str, epic: LiveObject, labels: tuple[str, ...]) -> None:
    """Give the epic (blueprint `key`) these labels in place of the ones it carries."""
    old = tuple(epic.fields.get("labels") or ())
    port.perform(
        Operation(
            "update",
            "epic",
            key,
            epic.title,
            changes={"labels": (old, labels)},
            ref=epic.ref,
            labels=labels,
        )
    )


def live_object(objects: tuple[LiveObject, ...], key: str) -> LiveObject | None:
    """The live object whose ownership marker carries `key`."""
    return next((o for o in objects if o.marker and o.marker.key == key), None)
