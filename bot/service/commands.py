"""Carry out `/psdm` comments: admit each command line, run it as a durable step, reply once.

The comment gets `eyes` when the workflow takes it, one reply with every line's result (found
again by its marker, so a workflow that runs twice answers once), then `white_check_mark` or
`x`. Command errors (`CommandError`) and GitLab errors (`GitLabError`) become the reply in
`explain`, the one place that words failures for the comment's author.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping

import structlog

from bot.config import Settings
from bot.engine.marker import Marker
from bot.events.actions import TimeBoxClosed
from bot.events.commands import CommandComment
from bot.events.commands import help as command_help
from bot.events.commands.arguments import PhaseTarget, PlaybookChoice, Text
from bot.events.commands.engagement import (
    Milestone,
    current_phase,
    current_sprint,
    engagement_epic,
    following_sprint,
    phase_labels_after,
    retrospective_of,
    target_phase,
    waves_after_adding,
)
from bot.events.commands.engagement import (
    risk as raid_risk,
)
from bot.events.commands.errors import CommandError, NotPossible, RateLimited, Refused
from bot.events.commands.parser import PREFIX, CommandLine
from bot.events.commands.ratelimit import RateLimit
from bot.events.commands.registry import Invocation, resolve, with_roles
from bot.events.commands.reply import (
    ACCEPTED,
    Outcome,
    finished_award,
    reply_body,
    reply_marker,
)
from bot.events.commands.roles import Role
from bot.events.event import Event
from bot.gitlab.commands import CommandGitLab
from bot.gitlab.errors import GitLabError
from bot.gitlab.reconcile import connect
from bot.gitlab.snapshot import post_report, read_snapshot
from bot.playbook import PlaybookError
from bot.playbook.blueprint import Blueprint
from bot.playbook.selection import Choice, ProjectFacts, choose_playbook, default_variables
from bot.report.snapshot import EngagementSnapshot
from bot.report.weekly import status_markdown, weekly_markdown
from bot.service.durable import step
from bot.service.runners import (
    EngagementRunners,
    blueprint_of,
    live_object,
    open_gitlab,
    relabel_epic,
)
from bot.service.store import Engagement, Store
from bot.service.workflows import Runner

log = structlog.get_logger("psdm.commands")
Work = Callable[[Invocation, CommandComment, Event], str]
GAVE_UP = (
    "GitLab kept failing while this command ran, so it stopped after several attempts. "
    "Whatever it finished stays; run it again later to complete it."
)


class CommandRunners:
    def __init__(self, settings: Settings, store: Store, engagements: EngagementRunners) -> None:
        self.settings = settings
        self.store = store
        self.engagements = engagements
        self.commands = with_roles(settings.command_roles)
        self.limit = RateLimit(settings.command_rate_limit)
        self.work: dict[str, Work] = {
            "help": self.help,
            "status": self.status,
            "plan": self.plan,
            "apply": self.apply,
            "phase": self.phase,
            "sprint close": self.sprint_close,
            "retro": self.retro,
            "wave add": self.wave_add,
            "risk": self.risk,
            "report": self.report,
        }

    def runners(self) -> dict[type, Runner]:
        return {CommandComment: self.run}  # type: ignore[dict-item]

    def gitlab(self, project_id: int, event: Event) -> CommandGitLab:
        return open_gitlab(CommandGitLab, self.settings, project_id, event)

    # -- the comment ---------------------------------------------------------------------------

    def run(self, comment: CommandComment, event: Event) -> str:
        gl = self.gitlab(comment.project_id, event)
        step("acknowledge", gl.award, comment.issue_iid, comment.note_id, ACCEPTED)
        level = 0
        if comment.author_id is not None:
            level = step("read the author's role", gl.access_level, comment.author_id)
        outcomes = [
            self.run_line(number, comment, line, level, event)
            for number, line in enumerate(comment.lines, start=1)
        ]
        body = reply_body(comment.author, outcomes)
        marker = reply_marker(comment.note_id)
        step("reply", gl.reply, comment.issue_iid, marker, body, comment.internal)
        step("finish", gl.award, comment.issue_iid, comment.note_id, finished_award(outcomes))
        return "; ".join(f"{o.line}: {'done' if o.ok else 'failed'}" for o in outcomes)

    def run_line(
        self, number: int, comment: CommandComment, line: CommandLine, level: int, event: Event
    ) -> Outcome:
        refusal = step(f"admit command {number}", self.admit, comment, line, level)
        if refusal is not None:
            return refusal
        try:
            return step(f"run command {number}", self.execute, comment, line, event)
        except Exception:
            log.exception("command failed", line=line.text, note=comment.note_id)
            return Outcome(line.text, False, GAVE_UP)

    def admit(self, comment: CommandComment, line: CommandLine, level: int) -> Outcome | None:
        """None when the line names a command its author may run now; else the refusal."""
        try:
            invocation = resolve(line, self.commands)
            needed = invocation.command.role
            if level < needed:
                held = Role.of_level(level)
                raise Refused(
                    f"sorry, `{PREFIX} {invocation.command.name}` needs the {needed.title} role "
                    "or higher in this project, and "
                    + (f"you are {held.title}." if held else "you are not a member.")
                    + " A project Maintainer can change that."
                )
            wait = self.limit.wait(str(comment.author_id or comment.author), time.time())
            if wait:
                raise RateLimited(
                    f"you ran {self.limit.limit} commands within a minute, the most allowed; "
                    f"try again in {math.ceil(wait)} seconds."
                )
        except CommandError as error:
            return self.explain(line, error)
        return None

    def execute(self, comment: CommandComment, line: CommandLine, event: Event) -> Outcome:
        try:
            invocation = resolve(line, self.commands)
            text = self.work[invocation.command.name](invocation, comment, event)
        except CommandError as error:
            return self.explain(line, error)
        except GitLabError as error:
            return Outcome(line.text, False, error.message)
        return Outcome(line.text, True, text)

    def explain(self, line: CommandLine, error: CommandError) -> Outcome:
        """The one place a command's failure becomes words for its author."""
        text = error.reason[:1].upper() + error.reason[1:]
        if text[-1:] not in (".", "?", "!", ":", "\n"):
            text += "."
        if error.show_help:
            text += "\n\n" + command_help.topic(error.command, self.commands)
        return Outcome(line.text, False, text)

    # -- the engagement ------------------------------------------------------------------------

    def choice(self, facts: ProjectFacts, wanted: PlaybookChoice | None = None) -> Choice:
        """The playbook and variables: as recorded, as asked for, or as the rules pick them."""
        recorded = self.store.engagement(facts.id)
        playbook = wanted.playbook if wanted else None
        given = dict(wanted.variables) if wanted else {}
        if recorded and playbook in (None, recorded.playbook):
            return Choice(recorded.playbook, {**recorded.variables, **given})
        if playbook:
            return Choice(playbook, {**default_variables(facts), **given})
        chosen = choose_playbook(facts, self.engagements.rules)
        if chosen is None:
            raise NotPossible(
                "this project is no engagement yet and no rule picks a playbook for it: name "
                f"one, as in `{PREFIX} apply tool-adoption`."
            )
        return Choice(chosen.playbook, {**chosen.variables, **given})

    @staticmethod
    def blueprint(choice: Choice) -> Blueprint:
        try:
            return blueprint_of(choice)
        except PlaybookError as error:
            problems = "\n".join(f"- {problem}" for problem in error.problems)
            raise NotPossible(
                f"the playbook `{choice.playbook}` cannot be used:\n\n{problems}"
            ) from None

    def engagement(
        self, gl: CommandGitLab, wanted: PlaybookChoice | None = None
    ) -> tuple[ProjectFacts, Choice, Blueprint]:
        facts = gl.facts()
        choice = self.choice(facts, wanted)
        return facts, choice, self.blueprint(choice)

    @staticmethod
    def milestones(gl: CommandGitLab) -> list[Milestone]:
        """The project's milestones as the command decisions read them."""
        return [Milestone(t.id, t.title, t.state, t.key) for t in gl.timeboxes()]

    def remember(self, facts: ProjectFacts, choice: Choice) -> None:
        self.store.replace_engagement(
            Engagement(facts.id, facts.path_with_namespace, choice.playbook, dict(choice.variables))
        )

    # -- the commands --------------------------------------------------------------------------

    def help(self, invocation: Invocation, comment: CommandComment, event: Event) -> str:
        topic = getattr(invocation.arguments, "command", None)
        return command_help.topic(topic, self.commands)

    def snapshot(self, comment: CommandComment, event: Event) -> EngagementSnapshot:
        gl = self.gitlab(comment.project_id, event)
        facts, _, blueprint = self.engagement(gl)
        return read_snapshot(gl.connection, facts.path_with_namespace, blueprint=blueprint)

    def status(self, invocation: Invocation, comment: CommandComment, event: Event) -> str:
        return status_markdown(self.snapshot(comment, event))

    def report(self, invocation: Invocation, comment: CommandComment, event: Event) -> str:
        snapshot = self.snapshot(comment, event)
        posted = post_report(
            self.settings.gitlab_url,
            self.settings.gitlab_token,
            snapshot,
            weekly_markdown(snapshot),
        )
        if posted is None:
            raise NotPossible(
                "the engagement has no weekly status issue to post the report on yet."
            )
        return f"The status report is on #{posted[0]}."

    def plan(self, invocation: Invocation, comment: CommandComment, event: Event) -> str:
        assert isinstance(invocation.arguments, PlaybookChoice)
        gl = self.gitlab(comment.project_id, event)
        facts, choice, blueprint = self.engagement(gl, invocation.arguments)
        plan, _ = self.engagements.reconcile(
            facts.path_with_namespace, blueprint, event, dry_run=True
        )
        head = f"Plan for `{choice.playbook}`: {plan.summary()}. Nothing was changed."
        if not plan.pending:
            return head
        details = f"<details><summary>Operations</summary>\n\n{plan.to_markdown()}\n\n</details>"
        return f"{head}\n\n{details}"

    def apply(self, invocation: Invocation, comment: CommandComment, event: Event) -> str:
        assert isinstance(invocation.arguments, PlaybookChoice)
        gl = self.gitlab(comment.project_id, event)
        facts, choice, blueprint = self.engagement(gl, invocation.arguments)
        self.remember(facts, choice)
        plan, result = self.engagements.reconcile(facts.path_with_namespace, blueprint, event)
        if result is None:
            return f"`{choice.playbook}` is already in place: {plan.summary()}."
        if not result.ok:
            failures = "\n".join(f"- {f.op.key}: {f.message}" for f in result.failed)
            raise NotPossible(
                f"applying `{choice.playbook}` stopped ({result.summary()}):\n\n{failures}\n\n"
                "Run the command again to complete it once the cause is fixed."
            )
        return f"Applied `{choice.playbook}`: {result.summary()}."

    def phase(self, invocation: Invocation, comment: CommandComment, event: Event) -> str:
        assert isinstance(invocation.arguments, PhaseTarget)
        gl = self.gitlab(comment.project_id, event)
        facts, _, blueprint = self.engagement(gl)
        root = engagement_epic(blueprint)
        port = connect(
            self.settings.gitlab_url,
            self.settings.gitlab_token,
            facts.path_with_namespace,
            event_uuid=event.event_uuid,
        )
        epic = live_object(port.read_live(blueprint).objects, root.key)
        if epic is None:
            raise NotPossible("the engagement epic does not exist yet: apply the playbook first.")
        labels = tuple(epic.fields.get("labels") or ())
        current = current_phase(blueprint, labels)
        target = target_phase(blueprint, current, invocation.arguments)
        if target == current:
            return f"The engagement is already in {target.name}."
        relabel_epic(port, root.key, epic, phase_labels_after(blueprint, labels, target))
        moved = f"from {current.name} " if current else ""
        return f'The engagement moves {moved}to {target.name} (label ~"{target.label}").'

    def sprint_close(self, invocation: Invocation, comment: CommandComment, event: Event) -> str:
        gl = self.gitlab(comment.project_id, event)
        _, _, blueprint = self.engagement(gl)
        live = self.milestones(gl)
        sprint, milestone = current_sprint(blueprint, live)
        following = following_sprint(blueprint, sprint, live)
        retro = retrospective_of(blueprint, sprint)
        unfinished = [
            i.iid
            for i in gl.milestone_issues(milestone.id)
            if not i.closed and (retro is None or i.key != retro.key)
        ]
        gl.close_milestone(milestone.id)
        closed = self.engagements.close_time_box(
            TimeBoxClosed(comment.project_id, milestone.id, milestone.title), event
        )
        lines = [f"{milestone.title} is closed: {closed}."]
        if unfinished and following:
            for iid in unfinished:
                gl.set_milestone(iid, following.id)
            moved = ", ".join(f"#{iid}" for iid in unfinished)
            lines.append(f"Unfinished issues moved to {following.title}: {moved}.")
        elif unfinished:
            lines.append(
                f"No later sprint is open, so {len(unfinished)} unfinished issue(s) stay in "
                f"{milestone.title}."
            )
        else:
            lines.append("Every issue of the sprint was done.")
        return " ".join(lines)

    def retro(self, invocation: Invocation, comment: CommandComment, event: Event) -> str:
        gl = self.gitlab(comment.project_id, event)
        _, _, blueprint = self.engagement(gl)
        sprint, milestone = current_sprint(blueprint, self.milestones(gl))
        done = self.engagements.complete_retrospective(gl, blueprint, sprint, milestone.id)
        return f"{sprint.title}: {done}."

    def wave_add(self, invocation: Invocation, comment: CommandComment, event: Event) -> str:
        assert isinstance(invocation.arguments, Text)
        name = invocation.arguments.text
        gl = self.gitlab(comment.project_id, event)
        facts, choice, blueprint = self.engagement(gl)
        live = gl.timeboxes()
        waves = [t for t in blueprint.timeboxes if t.kind == "wave"]
        named = next((t for t in live if t.title.endswith(f": {name}")), None)
        if named and waves and named.key == waves[-1].key:
            return f"{named.title} already exists."
        grown = Choice(
            choice.playbook,
            {**choice.variables, "waves": str(waves_after_adding(blueprint.variables))},
        )
        bigger = self.blueprint(grown)
        _, result = self.engagements.reconcile(facts.path_with_namespace, bigger, event)
        if result is not None and not result.ok:
            failures = "\n".join(f"- {f.op.key}: {f.message}" for f in result.failed)
            raise NotPossible(f"adding the wave stopped:\n\n{failures}")
        wave = [t for t in bigger.timeboxes if t.kind == "wave"][-1]
        created = next((t for t in gl.timeboxes() if t.key == wave.key), None)
        if created is None:
            raise NotPossible(f"{wave.title} was not created; run the command again.")
        title = f"{wave.title}: {name}"
        gl.retitle_milestone(created.id, title)
        self.remember(facts, grown)
        summary = result.summary() if result else "nothing else to change"
        return f"{title} added ({summary})."

    def risk(self, invocation: Invocation, comment: CommandComment, event: Event) -> str:
        assert isinstance(invocation.arguments, Text)
        found = raid_risk(invocation.arguments.text, comment.author, comment.issue_iid)
        gl = self.gitlab(comment.project_id, event)
        key = f"issue:raid/note-{comment.note_id}"
        body = f"{found.description}\n\n{Marker(key).render()}"
        iid = gl.create_issue(found.title, body, found.labels, key)
        labels = ", ".join(f'~"{label}"' for label in found.labels)
        return f"Risk #{iid} is on the RAID log ({labels})."


def service_runners(settings: Settings, store: Store) -> Mapping[type, Runner]:
    """Every runner of the service: engagement events, then `/psdm` commands."""
    engagements = EngagementRunners(settings, store)
    return {**engagements.runners(), **CommandRunners(settings, store, engagements).runners()}
