"""Carry out `/psdm` comments: confirm the comment with GitLab, admit each line, then read,
decide and perform it like any event, and reply once.

Who commanded is what GitLab says: the comment is read back (author, body, confidentiality)
before any role check or effect, so a payload that names another author runs nothing. The
comment gets `eyes` when the workflow takes it, one reply with every line's result (found
again by its marker among the bot's own notes, so a workflow that runs twice answers once),
then `white_check_mark` or `x`. Command errors (`CommandError`, the domain's refusals) and
GitLab errors become the reply in `explain`, the one place that words failures for the author.
"""

from __future__ import annotations

import hashlib
import math
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date

import structlog

from bot.config import Settings
from bot.domain import decisions
from bot.domain.assignment import role_set, role_table
from bot.domain.effects import Award, Decision, Outcome, UpsertNote
from bot.domain.effects import OnIssue as OnTheIssue
from bot.domain.errors import NotPossible
from bot.domain.metrics import engagement_metrics
from bot.domain.model import LiveEngagement, LiveNote
from bot.domain.playbooks import Asked, Choice
from bot.domain.raid import raid_details, raise_risk
from bot.events.actions import (
    ISSUES,
    MILESTONES,
    FollowCloseOut,
    FollowIssueState,
    FollowRetrospectives,
    PhaseProgress,
    RestoreLabels,
    ScaffoldProject,
    TimeBoxClosed,
)
from bot.events.commands import CommandComment
from bot.events.commands import help as command_help
from bot.events.commands.arguments import (
    Forced,
    GatePass,
    PhaseTarget,
    PlaybookChoice,
    RolePeople,
    Text,
)
from bot.events.commands.errors import CommandError, RateLimited, Refused
from bot.events.commands.parser import PREFIX, CommandLine, Commands, comment_commands
from bot.events.commands.ratelimit import RateLimit
from bot.events.commands.registry import Invocation, resolve, with_roles
from bot.events.commands.reply import (
    ACCEPTED,
    finished_award,
    reply_body,
    reply_marker,
)
from bot.events.commands.reply import Outcome as Reply
from bot.events.commands.roles import Role
from bot.events.event import Event
from bot.gitlab.engagement import EngagementGitLab
from bot.playbook.blueprint import Blueprint
from bot.report.weekly import status_markdown
from bot.service.durable import current_workflow_id, step
from bot.service.periodic import Periodic, weekly_report
from bot.service.runners import EngagementRunners, Engagements, blueprint_of, read_today
from bot.service.store import Store
from bot.service.workflows import Runner, SweepEngagement

log = structlog.get_logger("psdm.commands")
GAVE_UP = (
    "GitLab kept failing while this command ran, so it stopped after several attempts. "
    "Whatever it finished stays; run it again later to complete it."
)


@dataclass(frozen=True)
class Asking:
    """One admitted command line, with the comment as GitLab holds it."""

    invocation: Invocation
    comment: CommandComment
    note: LiveNote
    gl: EngagementGitLab
    name: str

    def read(self, parts: frozenset[str] = frozenset()) -> tuple[LiveEngagement, date]:
        return step(f"{self.name}: read the project", read_today, self.gl, parts)


Work = Callable[[Asking], tuple[bool, str]]
Grow = Callable[[LiveEngagement, Choice, Blueprint, str, Callable[[Choice], Blueprint]], Outcome]


class CommandRunners:
    def __init__(self, settings: Settings, store: Store, engagements: Engagements) -> None:
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
            "gate pass": self.gate_pass,
            "retro": self.retro,
            "wave add": self.wave_add,
            "pilot add": self.pilot_add,
            "risk": self.risk,
            "report": self.report,
            "role": self.role_show,
            "role set": self.role_set,
        }

    def runners(self) -> dict[type, Runner]:
        return {CommandComment: self.run}

    # -- the comment ---------------------------------------------------------------------------

    def run(self, comment: CommandComment, event: Event) -> str:
        author = comment.author_id
        if author is not None and self.limit.silent(str(author), time.time()):
            log.info("comment dropped: author over the command limit", note=comment.note_id)
            return f"comment {comment.note_id} not run: its author is over the command limit"
        gl = self.engagements.gitlab(comment.project_id, event)
        note = step("read the comment back", gl.note, comment.issue_iid, comment.note_id)
        doubt = _doubt(comment, note)
        if doubt or note is None:
            log.warning("comment not run", note=comment.note_id, reason=doubt)
            return f"comment {comment.note_id} not run: {doubt}"
        commands = comment_commands(note.body)
        lines = commands.lines
        if not lines and not commands.unread:
            return f"comment {comment.note_id} holds no command as GitLab keeps it"
        # Once per comment and command text, whichever delivery brings it (issue 23, item 3).
        once = once_key(comment, commands)
        owner = current_workflow_id() or uuid.uuid4().hex
        first = step("claim the comment", self.store.claim_command, once, owner)
        if first is not None:
            return f"comment {comment.note_id} ran already: {first}"
        done = self.run_commands(comment, note, commands, gl)
        step("record the outcome", self.store.finish_command, once, done)
        return done

    def run_commands(
        self, comment: CommandComment, note: LiveNote, commands: Commands, gl: EngagementGitLab
    ) -> str:
        lines = commands.lines
        acknowledge = Award(comment.issue_iid, comment.note_id, ACCEPTED)
        self.engagements.perform(gl, Decision((acknowledge,)), "acknowledge")
        level = step("read the author's role", gl.access_level, note.author_id)
        outcomes = [
            self.run_line(number, comment, note, line, level, gl)
            for number, line in enumerate(lines, start=1)
        ]
        body = reply_body(note.author, outcomes, commands.skipped, commands.unread)
        reply = UpsertNote(
            OnTheIssue(comment.issue_iid), reply_marker(comment.note_id), body, note.internal
        )
        finish = Award(comment.issue_iid, comment.note_id, finished_award(outcomes))
        self.engagements.perform(gl, Decision((reply, finish)), "reply")
        return "; ".join(f"{o.line}: {'done' if o.ok else 'failed'}" for o in outcomes)

    def run_line(
        self,
        number: int,
        comment: CommandComment,
        note: LiveNote,
        line: CommandLine,
        level: int,
        gl: EngagementGitLab,
    ) -> Reply:
        refusal = step(f"admit command {number}", self.admit, note, line, level)
        if refusal is not None:
            return refusal
        try:
            invocation = resolve(line, self.commands)
            asking = Asking(invocation, comment, note, gl, f"command {number}")
            ok, text = self.work[invocation.command.name](asking)
        except CommandError as error:
            return self.explain(line, error)
        except NotPossible as refused:
            return self.explain(line, CommandError(refused.reason))
        except Exception:
            log.exception("command failed", line=line.text, note=comment.note_id)
            return Reply(line.text, False, GAVE_UP)
        return Reply(line.text, ok, text)

    def admit(self, note: LiveNote, line: CommandLine, level: int) -> Reply | None:
        """None when the line names a command its author may run now; else the refusal."""
        try:
            # Counted first, so refused and unknown lines spend the author's allowance too.
            wait = self.limit.wait(str(note.author_id), time.time())
            if wait:
                self.limit.told(str(note.author_id), time.time())
                raise RateLimited(
                    f"you ran {self.limit.limit} commands within a minute, the most allowed; "
                    f"try again in {math.ceil(wait)} seconds."
                )
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
        except CommandError as error:
            return self.explain(line, error)
        return None

    def explain(self, line: CommandLine, error: CommandError) -> Reply:
        """The one place a command's failure becomes words for its author."""
        text = error.reason[:1].upper() + error.reason[1:]
        if text[-1:] not in (".", "?", "!", ":", "\n"):
            text += "."
        if error.show_help:
            text += "\n\n" + command_help.topic(error.command, self.commands)
        return Reply(line.text, False, text)

    # -- the commands: read, decide, perform ---------------------------------------------------

    def perform(self, asking: Asking, outcome: Outcome) -> tuple[bool, str]:
        return self.engagements.perform(asking.gl, outcome, asking.name)

    def engaged(self, live: LiveEngagement, asked: Asked | None = None) -> tuple[Choice, Blueprint]:
        return self.engagements.engaged(live.project, asked)

    def help(self, asking: Asking) -> tuple[bool, str]:
        topic = getattr(asking.invocation.arguments, "command", None)
        return True, command_help.topic(topic, self.commands)

    def status(self, asking: Asking) -> tuple[bool, str]:
        # the figures need the time-boxes and the issues, not the project's labels
        live, today = asking.read(frozenset({MILESTONES, ISSUES}))
        _, blueprint = self.engaged(live)
        snapshot = decisions.status(live, blueprint, today)
        metrics = engagement_metrics(live, blueprint, snapshot)
        page = self.engagements.settings.engagement_page(live.project.id)
        internal = asking.note.internal  # the reply is as internal as the question
        raid = raid_details(blueprint, live.issues)
        return True, status_markdown(snapshot, metrics, page, internal=internal, raid=raid)

    def report(self, asking: Asking) -> tuple[bool, str]:
        """This week's status issue found or created, then the report posted on it."""
        return weekly_report(self.engagements, asking.gl, asking.name)

    def plan(self, asking: Asking) -> tuple[bool, str]:
        live, _ = asking.read()
        choice, blueprint = self.engaged(live, _asked(asking.invocation.arguments))
        return self.perform(asking, decisions.plan(choice, blueprint))

    def apply(self, asking: Asking) -> tuple[bool, str]:
        live, _ = asking.read()
        choice, blueprint = self.engaged(live, _asked(asking.invocation.arguments))
        return self.perform(asking, decisions.apply(live.project, choice, blueprint))

    def phase(self, asking: Asking) -> tuple[bool, str]:
        arguments = asking.invocation.arguments
        assert isinstance(arguments, PhaseTarget)
        live, _ = asking.read(frozenset({ISSUES}))
        _, blueprint = self.engaged(live)
        decided = decisions.phase(
            live, blueprint, arguments.target, arguments.force, asking.note.author
        )
        return self.perform(asking, decided)

    def sprint_close(self, asking: Asking) -> tuple[bool, str]:
        arguments = asking.invocation.arguments
        assert isinstance(arguments, Forced)
        live, today = asking.read(frozenset({MILESTONES, ISSUES}))
        _, blueprint = self.engaged(live)
        decided = decisions.sprint_close(live, blueprint, today, arguments.force)
        return self.perform(asking, decided)

    def gate_pass(self, asking: Asking) -> tuple[bool, str]:
        """The gate the comment is on, passed by its author if they are one of its approvers."""
        arguments = asking.invocation.arguments
        assert isinstance(arguments, GatePass)
        live, today = asking.read(frozenset({MILESTONES, ISSUES}))
        _, blueprint = self.engaged(live)
        note = asking.note
        level = step(
            f"{asking.name}: read the author's role", asking.gl.access_level, note.author_id
        )
        decided = decisions.gate_pass(
            live,
            blueprint,
            asking.comment.issue_iid,
            note.author,
            level,
            today,
            arguments.force,
            arguments.reason,
        )
        return self.perform(asking, decided)

    def retro(self, asking: Asking) -> tuple[bool, str]:
        live, today = asking.read(frozenset({MILESTONES, ISSUES}))
        _, blueprint = self.engaged(live)
        return self.perform(asking, decisions.retro(live, blueprint, today))

    def wave_add(self, asking: Asking) -> tuple[bool, str]:
        return self.grow(asking, decisions.wave_add, frozenset({MILESTONES}))

    def pilot_add(self, asking: Asking) -> tuple[bool, str]:
        return self.grow(asking, decisions.pilot_add, frozenset())

    def grow(self, asking: Asking, decide: Grow, parts: frozenset[str]) -> tuple[bool, str]:
        """One more wave or pilot: the playbook rendered bigger, named as the command says."""
        arguments = asking.invocation.arguments
        assert isinstance(arguments, Text)
        live, _ = asking.read(parts)
        choice, blueprint = self.engaged(live)
        return self.perform(asking, decide(live, choice, blueprint, arguments.text, blueprint_of))

    def risk(self, asking: Asking) -> tuple[bool, str]:
        arguments = asking.invocation.arguments
        assert isinstance(arguments, Text)
        note, comment = asking.note, asking.comment
        decided = raise_risk(arguments.text, note.author, comment.issue_iid, note.id)
        return self.perform(asking, decided)

    # -- roles (issue #19) ------------------------------------------------------------------

    def role_show(self, asking: Asking) -> tuple[bool, str]:
        live, _ = asking.read(frozenset())
        choice, _ = self.engaged(live)
        return True, role_table(choice)

    def role_set(self, asking: Asking) -> tuple[bool, str]:
        arguments = asking.invocation.arguments
        assert isinstance(arguments, RolePeople)
        live, _ = asking.read(frozenset({ISSUES}))
        choice, blueprint = self.engaged(live)
        decided = role_set(live, choice, blueprint, arguments.role, arguments.people)
        return self.perform(asking, decided)


def once_key(comment: CommandComment, commands: Commands) -> str:
    """The comment and the text of its command lines: a delivery with the same key runs none."""
    text = "\n".join(line.text for line in commands.lines) + f"\n{commands.unread}"
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return f"command:{comment.project_id}:{comment.note_id}:{digest}"


def _asked(arguments: object) -> Asked:
    assert isinstance(arguments, PlaybookChoice)
    return Asked(arguments.playbook, dict(arguments.variables))


def _doubt(comment: CommandComment, note: LiveNote | None) -> str | None:
    """Why GitLab's copy of the comment does not confirm the payload (None when it does)."""
    if note is None:
        return "GitLab does not have this comment"
    if note.system:
        return "it is a system note"
    if comment.author_id is not None and note.author_id != comment.author_id:
        return "the payload names another author than GitLab does"
    return None


def service_runners(settings: Settings, store: Store) -> Mapping[type, Runner]:
    """Every runner of the service: engagement events, then `/psdm` commands."""
    events = EngagementRunners(settings, store)
    commands = CommandRunners(settings, store, events.engagements)
    periodic = Periodic(events)
    runner: Runner = events.run
    engagement = (
        ScaffoldProject,
        PhaseProgress,
        FollowIssueState,
        RestoreLabels,
        FollowRetrospectives,
        FollowCloseOut,
    )
    return {
        **dict.fromkeys(engagement, runner),
        # a closed milestone is handled once, whether its event or the sweep comes first
        TimeBoxClosed: periodic.closed_once,
        SweepEngagement: periodic.sweep,
        **commands.runners(),
    }
