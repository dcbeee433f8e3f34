"""A sandbox engagement desk wired to a running service: people, a project, a hook, comments."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gitlab

from bot.events.commands.reply import reply_marker
from tests.conftest import SandboxServer
from tests.service.harness import BOT, BOT_TOKEN, SECRET, ServiceProcess, wait_for

PROJECT = "acme/delivery"
PEOPLE = {"alice": 40, "dave": 30, "rita": 20, "rob": 20}
"""Alice is a Maintainer through the group; Dave a Developer, Rita and Rob Reporters of the
project (Rob tries the rate limit)."""


@dataclass
class Desk:
    """The issue where people type commands, and the way to read the bot's answers."""

    sandbox: SandboxServer
    service: ServiceProcess
    tokens: dict[str, str]
    project_id: int
    issue_iid: int
    hook_id: int

    @property
    def admin(self) -> gitlab.Gitlab:
        return self.sandbox.gitlab()

    def project(self, who: str | None = None) -> Any:
        gl = self.sandbox.gitlab(self.tokens[who]) if who else self.admin
        return gl.projects.get(self.project_id, lazy=True)

    def comment(self, who: str, body: str) -> int:
        note = self.project(who).issues.get(self.issue_iid, lazy=True).notes.create({"body": body})
        return int(note.id)

    def replies_to(self, note_id: int) -> list[str]:
        notes = self.project().issues.get(self.issue_iid, lazy=True).notes.list(get_all=True)
        return [n.body for n in notes if reply_marker(note_id) in n.body]

    def awards(self, note_id: int) -> set[str]:
        answer = self.admin.http_list(
            f"/projects/{self.project_id}/issues/{self.issue_iid}/notes/{note_id}/award_emoji",
            get_all=True,
        )
        return {a["name"] for a in answer}

    def answered(self, note_id: int, timeout: float = 120) -> str:
        """The bot's one reply to the comment, once it is finished (✅ or ❌ awarded)."""
        done = wait_for(
            lambda: self.replies_to(note_id) and self.awards(note_id) & {"white_check_mark", "x"},
            timeout=timeout,
            every=0.2,
        )
        assert done, f"no finished reply to note {note_id}"
        return self.replies_to(note_id)[0]

    def ask(self, who: str, body: str, timeout: float = 120) -> tuple[str, set[str]]:
        note = self.comment(who, body)
        reply = self.answered(note, timeout)
        return reply, self.awards(note)


def open_desk(sandbox: SandboxServer, service_factory) -> Desk:
    """Seed the people, group, project and issue; point a project hook at a new service."""
    seeded = sandbox.seed(
        {
            "users": [{"username": BOT, "token": BOT_TOKEN}]
            + [{"username": name} for name in PEOPLE],
            "groups": [{"path": "acme", "members": {BOT: 50, "alice": 40}}],
            "projects": [
                {
                    "path": "delivery",
                    "namespace": "acme",
                    "members": {"dave": 30, "rita": 20, "rob": 20},
                }
            ],
        }
    )
    tokens = {name: seeded["users"][name]["token"] for name in PEOPLE}
    project_id = seeded["projects"][PROJECT]
    service = service_factory()
    project = sandbox.gitlab().projects.get(project_id)
    # the desk issue comes before the hook: the service's first event is the first command
    issue = project.issues.create({"title": "Engagement desk"})
    hook = project.hooks.create(
        {
            "url": service.hook_url,
            "token": SECRET,
            "note_events": True,
            "issues_events": True,
            "milestone_events": True,
        }
    )
    return Desk(sandbox, service, tokens, project_id, int(issue.iid), int(hook.id))
