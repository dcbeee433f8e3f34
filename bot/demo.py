"""`psdm-bot demo`: the sandbox and the bot side by side, one engagement walked through a sprint.

Everything runs in this process on loopback ports: the GitLab sandbox, and the webhook service
on its embedded defaults (SQLite in a temporary directory). The demo then acts as a person
would in GitLab (create a project, close issues and a sprint, comment `/psdm status`) and
shows what the bot did in answer, purely through GitLab's API.
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gitlab
import httpx
import structlog

from bot.config import Settings
from bot.domain.engagement import planned_kind
from bot.domain.figures import EngagementSnapshot
from bot.gitlab import connect
from bot.gitlab.engagement import facts_of
from bot.gitlab.snapshot import engagement_blueprint, read_snapshot
from bot.playbook.blueprint import Blueprint
from bot.service.app import create_app as create_service
from bot.service.threaded import RunningServer, run_in_thread
from gitlab_sandbox import DEFAULT_ADMIN_TOKEN
from gitlab_sandbox import create_app as create_sandbox

Echo = Callable[[str], None]
GROUP = "demo"
PROJECT = "pilot"
PLAYBOOK = "tool-adoption"
BOT = "psdm-bot"
BOT_TOKEN = "psdm-bot-demo-token"
SECRET = "psdm-demo-secret"
SPRINT = "milestone:sprint-1"
CLOSED_IN_SPRINT = 3


class DemoFailed(Exception):
    """A step did not complete in time; the message says which and what was seen."""


def wait_for(what: str, check: Callable[[], Any], timeout: float = 120.0) -> Any:
    """Poll `check` until it returns something truthy; DemoFailed after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    raise DemoFailed(f"gave up waiting for {what} after {timeout:.0f} s")


@dataclass
class Demo:
    sandbox: RunningServer
    service: RunningServer
    workdir: tempfile.TemporaryDirectory[str]
    gl: gitlab.Gitlab

    @property
    def path(self) -> str:
        return f"{GROUP}/{PROJECT}"

    def stop(self) -> None:
        self.service.stop()
        self.sandbox.stop()
        self.workdir.cleanup()


def start(echo: Echo) -> Demo:
    """The sandbox, its bot user and group, the service, and the group hook pointing at it."""
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    sandbox = run_in_thread(create_sandbox(tier="premium", admin_token=DEFAULT_ADMIN_TOKEN))
    seeded = httpx.post(
        f"{sandbox.url}/-/sandbox/seed",
        json={
            "users": [{"username": BOT, "token": BOT_TOKEN}],
            "groups": [{"path": GROUP, "members": {BOT: 50}}],
        },
        headers={"PRIVATE-TOKEN": DEFAULT_ADMIN_TOKEN},
        timeout=30,
    )
    seeded.raise_for_status()
    workdir = tempfile.TemporaryDirectory(prefix="psdm-demo-")
    database = f"sqlite:///{Path(workdir.name) / 'psdm.sqlite'}"
    settings = Settings(
        gitlab_url=sandbox.url,
        gitlab_token=BOT_TOKEN,
        webhook_secrets=[SECRET],
        database_url=database,
        bot_username=BOT,
        executor_id="demo",
    )
    service = run_in_thread(create_service(settings))
    gl = gitlab.Gitlab(sandbox.url, private_token=DEFAULT_ADMIN_TOKEN)
    group = gl.groups.get(seeded.json()["groups"][GROUP])
    group.hooks.create(
        {
            "url": f"{service.url}/webhook",
            "token": SECRET,
            "project_events": True,
            "issues_events": True,
            "milestone_events": True,
            "note_events": True,
        }
    )
    echo(f"GitLab sandbox  {sandbox.url}  (premium; root token {DEFAULT_ADMIN_TOKEN})")
    echo(f"psdm-bot        {service.url}  (database {database})")
    echo(f"webhook         group {GROUP} -> {service.url}/webhook")
    return Demo(sandbox, service, workdir, gl)


def create_engagement(demo: Demo, echo: Echo) -> tuple[Any, Blueprint]:
    group = demo.gl.groups.get(GROUP)
    started = time.monotonic()
    project = demo.gl.projects.create(
        {
            "name": "Pilot",
            "path": PROJECT,
            "namespace_id": group.id,
            "topics": [f"psdm::{PLAYBOOK}"],
        }
    )
    blueprint = engagement_blueprint(facts_of(demo.gl.http_get(f"/projects/{project.id}")))
    wanted = len(blueprint.issues)

    def scaffolded() -> bool:
        return len(project.issues.list(get_all=True, per_page=100, state="all")) >= wanted

    wait_for("the creation webhook to scaffold the project", scaffolded)
    echo(
        f"[1/4] created {demo.path} with topic psdm::{PLAYBOOK}; the bot scaffolded it in "
        f"{time.monotonic() - started:.1f} s"
    )
    return project, blueprint


def by_key(project: Any, key: str) -> Any:
    for issue in project.issues.list(get_all=True, per_page=100, state="all"):
        if f"key={key} " in (issue.description or ""):
            return issue
    return None


def walk_sprint(demo: Demo, project: Any, blueprint: Blueprint, echo: Echo) -> Any:
    """Close some of Sprint 1's work, then the sprint; the bot completes its retrospective."""
    sprint = blueprint.get(SPRINT)
    planned = [i for i in blueprint.issues if i.milestone == SPRINT and planned_kind(i) == "work"]
    # Weighted stories first, so the sprint's velocity (weight done) shows.
    work = [i.key for i in sorted(planned, key=lambda i: -(i.weight or 0))]
    for key in work[:CLOSED_IN_SPRINT]:
        issue = by_key(project, key)
        issue.state_event = "close"
        issue.save()
    milestone = next(m for m in project.milestones.list(get_all=True) if m.title == sprint.title)
    milestone.state_event = "close"
    milestone.save()
    retro_key = next(
        i.key for i in blueprint.issues if i.role == "retrospective" and i.milestone == SPRINT
    )

    def completed() -> Any:
        retro = by_key(project, retro_key)
        return retro if retro and f"Sprint figures: {sprint.title}" in retro.description else None

    retro = wait_for("the sprint's retrospective", completed)
    echo(
        f"[2/4] closed {min(len(work), CLOSED_IN_SPRINT)} of {len(work)} issues of {sprint.title} "
        f"and the milestone; the bot completed retrospective #{retro.iid}"
    )
    return retro


def ask_status(demo: Demo, project: Any, iid: int, echo: Echo) -> str:
    issue = project.issues.get(iid)
    note = issue.notes.create({"body": "/psdm status"})

    def replied() -> str | None:
        for found in issue.notes.list(get_all=True):
            if f"reply-to={note.id} " in found.body and found.author["username"] == BOT:
                return found.body
        return None

    body = wait_for("the bot's reply to /psdm status", replied, timeout=60)
    echo(f"[3/4] commented `/psdm status` on #{iid}; the bot replied:")
    for line in body.splitlines():
        if line.strip() and not line.startswith("<!--"):
            echo(f"      | {line}")
    return body


def structure(demo: Demo, blueprint: Blueprint) -> tuple[Counter[str], EngagementSnapshot]:
    live = connect(demo.sandbox.url, DEFAULT_ADMIN_TOKEN, demo.path).read_live(blueprint)
    counts = Counter(obj.kind for obj in live.objects)
    snapshot = read_snapshot(
        (demo.sandbox.url, DEFAULT_ADMIN_TOKEN), demo.path, blueprint=blueprint
    )
    return counts, snapshot


def tree(snapshot: EngagementSnapshot) -> list[str]:
    """Phases, their time-boxes and progress, as an indented tree."""
    lines = [f"{snapshot.project.path} ({snapshot.playbook}), current phase {snapshot.phase}"]
    for n, phase in enumerate(snapshot.phases):
        last = n == len(snapshot.phases) - 1
        branch, stem = ("└─", "   ") if last else ("├─", "│  ")
        p = phase.progress
        lines.append(f"{branch} {phase.name}: {p.closed}/{p.total} issues done")
        for m, box in enumerate(phase.timeboxes):
            twig = "└─" if m == len(phase.timeboxes) - 1 else "├─"
            lines.append(f"{stem}{twig} {box.title} [{box.state}] {box.start_date}..{box.due_date}")
    if snapshot.workstreams:
        lines.append("workstreams")
    for n, workstream in enumerate(snapshot.workstreams):
        branch = "└─" if n == len(snapshot.workstreams) - 1 else "├─"
        p = workstream.progress
        lines.append(f"{branch} {workstream.title}: {p.closed}/{p.total} issues done")
    return lines


def sprint_summary(snapshot: EngagementSnapshot) -> str | None:
    """The walked sprint in the sentence `/psdm status`, the report and the retrospective use."""
    sprint = snapshot.sprint(SPRINT)
    return f"{sprint.title}: {sprint.line()}" if sprint else None


def summary(demo: Demo, blueprint: Blueprint, echo: Echo) -> None:
    counts, snapshot = structure(demo, blueprint)
    shown = ", ".join(
        f"{counts[kind]} {kind}s" for kind in ("label", "milestone", "epic", "issue", "board")
    )
    echo(f"[4/4] structure of {demo.path}: {shown}")
    for line in tree(snapshot):
        echo(f"      {line}")
    line = sprint_summary(snapshot)
    if line:
        echo(f"      {line}")
    echo("")
    echo(f"Dashboard:  {demo.service.url}/")
    echo(f"GitLab API: {demo.sandbox.url}/api/v4/projects/{GROUP}%2F{PROJECT}")


def run(echo: Echo, *, stay: bool) -> None:
    """The whole demo; with `stay`, keep both servers up until Ctrl-C."""
    demo = start(echo)
    try:
        project, blueprint = create_engagement(demo, echo)
        retro = walk_sprint(demo, project, blueprint, echo)
        ask_status(demo, project, retro.iid, echo)
        summary(demo, blueprint, echo)
        if stay:
            echo("Press Ctrl-C to stop.")
            try:
                while True:
                    time.sleep(1)
            except KeyboardInterrupt:
                echo("")
    finally:
        demo.stop()
        echo("Stopped the bot and the sandbox.")
