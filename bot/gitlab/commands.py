"""Performing the domain's effects on GitLab, one effect at a time.

Each effect is one durable step in the service; here it becomes find-or-create or
compare-and-update calls through the project's one connection, and answers a short result
(an issue's number, a plan's summary) that the effect's `said` may quote.
"""

from __future__ import annotations

from bot.domain.effects import (
    Award,
    CloseMilestone,
    CloseSuperseded,
    CompleteIssue,
    CreateIssue,
    CreateLabel,
    Effect,
    MoveIssues,
    OnEpic,
    Reconcile,
    RelabelEpic,
    RenameLabel,
    RetitleMilestone,
    SetAssignees,
    SetIssueLabels,
    SetIssueState,
    UpsertNote,
)
from bot.domain.errors import NotPossible
from bot.domain.retrospective import completed_description
from bot.domain.weekly import SUPERSEDED_MARKER
from bot.engine.apply import apply
from bot.engine.diff import diff
from bot.gitlab.engagement import EngagementGitLab


class Performer:
    """Carries out effects on one project; `RecordEngagement` is the service's own to do."""

    def __init__(self, gl: EngagementGitLab) -> None:
        self.gl = gl

    def perform(self, effect: Effect) -> str:
        match effect:
            case Reconcile():
                return self.reconcile(effect)
            case CreateIssue(key=key, title=title, description=body, labels=labels):
                return str(
                    self.gl.create_issue(
                        title,
                        body,
                        labels,
                        key,
                        assignees=effect.assignees,
                        due_date=effect.due_date,
                        confidential=effect.confidential,
                    )
                )
            case CompleteIssue():
                return str(self.complete_issue(effect))
            case UpsertNote():
                return self.upsert_note(effect)
            case SetIssueLabels(iid=iid, add=add, remove=remove):
                issue = self.gl.issue(iid)
                adding = [n for n in add if n not in issue.labels]
                removing = [n for n in remove if n in issue.labels]
                if adding or removing:
                    self.gl.update_issue(
                        iid, add_labels=",".join(adding), remove_labels=",".join(removing)
                    )
                return f"#{iid}"
            case CloseSuperseded(iid=iid, by=by):
                return self.close_superseded(iid, by)
            case SetAssignees(iid=iid, add=add, remove=remove):
                self.gl.set_assignees(iid, add, remove)
                return f"#{iid}"
            case RelabelEpic(key=key, labels=labels):
                epic = self.gl.epic(key)
                if epic is None:
                    raise NotPossible(f"the epic {key} does not exist yet")
                self.gl.relabel_epic(epic, labels)
                return epic.ref
            case MoveIssues(iids=iids, milestone_id=milestone):
                for iid in iids:
                    self.gl.set_milestone(iid, milestone)
                return ", ".join(f"#{iid}" for iid in iids)
            case CloseMilestone(milestone_id=milestone):
                self.gl.close_milestone(milestone)
                return str(milestone)
            case RetitleMilestone(key=key, title=title):
                found = self.gl.milestone_by_key(key)
                if found is None:
                    raise NotPossible(f"the milestone {key} was not created; run the command again")
                self.gl.retitle_milestone(found.id, title)
                return str(found.id)
            case CreateLabel(name=name, color=color, description=description):
                self.gl.create_label(name, color, description)
                return name
            case RenameLabel(label=label, name=name):
                self.gl.rename_label(label, name)
                return name
            case Award(issue_iid=iid, note_id=note, name=name):
                self.gl.award(iid, note, name)
                return name
            case SetIssueState(iid=iid, state=state):
                # compare, then update: a step run again after a crash changes nothing twice
                if self.gl.issue(iid).state != state:
                    event = "close" if state == "closed" else "reopen"
                    self.gl.update_issue(iid, state_event=event)
                return f"#{iid}"
        raise TypeError(f"no GitLab performer for {type(effect).__name__}")

    def reconcile(self, effect: Reconcile) -> str:
        """Read, plan and apply as one step: after a crash it reads again and only completes."""
        port, blueprint = self.gl.port, effect.blueprint
        plan = diff(blueprint, port.read_live(blueprint))
        name = f"`{blueprint.playbook}`"
        if effect.dry_run:
            head = f"Plan for {name}: {plan.summary()}. Nothing was changed."
            if not plan.pending:
                return head
            ops = f"<details><summary>Operations</summary>\n\n{plan.to_markdown()}\n\n</details>"
            return f"{head}\n\n{ops}"
        if not plan.pending:
            return f"{name} is already in place: {plan.summary()}."
        port.check_writable()
        result = apply(plan, port)
        if not result.ok:
            failures = "\n".join(f"- {f.op.key}: {f.message}" for f in result.failed)
            if effect.purpose == "scaffold":  # an event: the durable step tries again
                raise RuntimeError(f"scaffolding {port.path} stopped: {failures}")
            raise NotPossible(
                f"applying {name} stopped ({result.summary()}):\n\n{failures}\n\n"
                "Run the command again to complete it once the cause is fixed."
            )
        verb = "Scaffolded" if effect.purpose == "scaffold" else "Applied"
        return f"{verb} {name}: {result.summary()}."

    def complete_issue(self, effect: CompleteIssue) -> int:
        live = self.gl.issue_by_key(effect.key)
        if live is None:
            body = completed_description(effect.template, effect.section)
            return self.gl.create_issue(effect.title, body, effect.labels, effect.key)
        body = completed_description(live.description, effect.section)
        changes: dict[str, object] = {}
        if body != live.description:
            changes["description"] = body
        if live.closed:
            changes["state_event"] = "reopen"
        if changes:
            self.gl.update_issue(live.iid, **changes)
        return live.iid

    def close_superseded(self, iid: int, by: str) -> str:
        """Link forward, then close; an issue already closed (or a person's reopening after
        the note) is left as it is, so a step run again changes nothing."""
        newer = self.gl.issue_by_key(by)
        if newer is None:
            raise NotPossible(f"the issue {by} does not exist yet")
        older = self.gl.issue(iid)
        if older.closed:
            return f"#{iid}"
        path = f"/projects/{self.gl.project}/issues/{iid}/notes"
        text = f"Superseded by #{newer.iid} ({newer.title}): this week's status is there."
        self.gl.upsert_note(path, SUPERSEDED_MARKER, text)
        self.gl.update_issue(iid, state_event="close")
        return f"#{iid}"

    def upsert_note(self, effect: UpsertNote) -> str:
        if isinstance(effect.on, OnEpic):
            epic = self.gl.epic(effect.on.key)
            if epic is None:
                raise NotPossible(f"the epic {effect.on.key} does not exist yet")
            return self.gl.epic_note(epic, effect.marker, effect.body, effect.internal)
        path = f"/projects/{self.gl.project}/issues/{effect.on.iid}/notes"
        extra = {"internal": True} if effect.internal else {}
        return str(self.gl.upsert_note(path, effect.marker, effect.body, **extra))
