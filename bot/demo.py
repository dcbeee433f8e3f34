"""`psdm-bot demo`: the sandbox and the bot side by side, an engagement run as a PS manager runs it.

Everything runs in this process on loopback ports: the GitLab sandbox, and the webhook service
on its embedded defaults (SQLite in a temporary directory). The demo then acts as people would
in GitLab (create a project, close gate issues, close a sprint with work left open, comment
`/psdm ...`) and shows what the bot did in answer, read back through GitLab's API; it ends with
a portfolio of two engagements in different health on the signed-in dashboard.
"""

from __future__ import annotations

import logging
import re
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
from fastapi import FastAPI

from bot.config import Settings
from bot.domain.engagement import planned_kind
from bot.domain.figures import EngagementSnapshot
from bot.engine.marker import parse
from bot.engine.port import Kind
from bot.gitlab import connect
from bot.gitlab.engagement import facts_of
from bot.gitlab.snapshot import engagement_blueprint, read_snapshot
from bot.playbook.blueprint import Blueprint, Phase
from bot.report.weekly import weekly_markdown
from bot.service.app import create_app as create_service
from bot.service.portfolio import Portfolio, engagement_url
from bot.service.threaded import RunningServer, run_in_thread
from gitlab_sandbox import DEFAULT_ADMIN_TOKEN
from gitlab_sandbox import create_app as create_sandbox

Echo = Callable[[str], None]
GROUP = "demo"
PROJECT = "pilot"
SECOND = "globex"
PLAYBOOK = "tool-adoption"
BOT = "psdm-bot"
BOT_TOKEN = "psdm-bot-demo-token"
SECRET = "psdm-demo-secret"
SPRINT = "milestone:sprint-1"
CLOSED_IN_SPRINT = 3
RISKS = 3
"""Three open high-priority RAID items turn an engagement red (bot/domain/health.py)."""
RISK_LABELS = "PS Risk,PS RAID Log,PS:: Priority High"


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
    app: FastAPI
    settings: Settings
    workdir: tempfile.TemporaryDirectory[str]
    gl: gitlab.Gitlab

    @property
    def path(self) -> str:
        return f"{GROUP}/{PROJECT}"

    @property
    def portfolio(self) -> Portfolio:
        portfolio = self.app.state.service.portfolio
        if not isinstance(portfolio, Portfolio):
            raise DemoFailed("the service runs without its portfolio")
        return portfolio

    def snapshot(self, blueprint: Blueprint, path: str | None = None) -> EngagementSnapshot:
        source = (self.sandbox.url, DEFAULT_ADMIN_TOKEN)
        today = self.portfolio.clock.today()
        return read_snapshot(source, path or self.path, blueprint=blueprint, today=today)

    def quiet(self) -> bool:
        """No delivery of the bot still running, twice in a row (a webhook may be on its way)."""
        for _ in range(2):
            if any(a.status == "PENDING" for a in self.portfolio.activity(None, limit=1000)):
                return False
            time.sleep(0.5)
        return True

    def stop(self) -> None:
        self.service.stop()
        self.sandbox.stop()
        self.workdir.cleanup()


def start(echo: Echo) -> Demo:
    """The sandbox, its bot user and group, the service, its OAuth application and the group
    hook pointing at it."""
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    sandbox = run_in_thread(create_sandbox(tier="premium", admin_token=DEFAULT_ADMIN_TOKEN))
    admin = {"PRIVATE-TOKEN": DEFAULT_ADMIN_TOKEN}
    seeded = httpx.post(
        f"{sandbox.url}/-/sandbox/seed",
        json={
            "users": [{"username": BOT, "token": BOT_TOKEN}],
            "groups": [{"path": GROUP, "members": {BOT: 50}}],
        },
        headers=admin,
        timeout=30,
    )
    seeded.raise_for_status()
    workdir = tempfile.TemporaryDirectory(prefix="psdm-demo-")
    database = f"sqlite:///{Path(workdir.name) / 'psdm.sqlite'}"
    settings = Settings.model_validate(
        {
            "gitlab_url": sandbox.url,
            "gitlab_token": BOT_TOKEN,
            "webhook_secrets": [SECRET],
            "database_url": database,
            "bot_username": BOT,
            "executor_id": "demo",
            # the bot takes its dates from the stand-in's clock, so the demo can move it on
            "clock": "stand-in",
        }
    )
    app = create_service(settings)
    service = run_in_thread(app)
    # The dashboard signs people in with GitLab; the settings are read per request.
    oauth = httpx.post(
        f"{sandbox.url}/api/v4/applications",
        headers=admin,
        data={
            "name": "psdm-bot dashboard",
            "redirect_uri": f"{service.url}/auth/callback",
            "scopes": "read_api",
        },
        timeout=30,
    )
    oauth.raise_for_status()
    settings.oauth_application_id = oauth.json()["application_id"]
    settings.oauth_application_secret = oauth.json()["secret"]
    settings.public_url = service.url
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
    return Demo(sandbox, service, app, settings, workdir, gl)


def create_project(demo: Demo, name: str, path: str) -> tuple[Any, Blueprint, float]:
    """A project with the playbook's topic, once its creation webhook has scaffolded it."""
    group = demo.gl.groups.get(GROUP)
    started = time.monotonic()
    project = demo.gl.projects.create(
        {"name": name, "path": path, "namespace_id": group.id, "topics": [f"psdm::{PLAYBOOK}"]}
    )
    blueprint = engagement_blueprint(facts_of(project.attributes))
    wanted = len(blueprint.issues)

    def scaffolded() -> bool:
        return len(project.issues.list(get_all=True, per_page=100, state="all")) >= wanted

    wait_for(f"the creation webhook to scaffold {group.path}/{path}", scaffolded)
    return project, blueprint, time.monotonic() - started


def create_engagement(demo: Demo, echo: Echo) -> tuple[Any, Blueprint]:
    project, blueprint, took = create_project(demo, "Pilot", PROJECT)
    echo(
        f"[1/6] created {demo.path} with topic psdm::{PLAYBOOK}; the bot scaffolded it in "
        f"{took:.1f} s"
    )
    return project, blueprint


def by_key(project: Any, key: str) -> Any:
    for issue in project.issues.list(get_all=True, per_page=100, state="all"):
        if f"key={key} " in (issue.description or ""):
            return issue
    return None


def close(issue: Any) -> None:
    issue.state_event = "close"
    issue.save()


def command(project: Any, iid: int, text: str) -> str:
    """Comment `text` on issue `iid` and return the bot's reply (markers left out)."""
    issue = project.issues.get(iid)
    note = issue.notes.create({"body": text})

    def replied() -> str | None:
        for found in issue.notes.list(get_all=True):
            if f"reply-to={note.id} " in found.body and found.author["username"] == BOT:
                return str(found.body)
        return None

    body = str(wait_for(f"the bot's reply to {text}", replied, timeout=60))
    return "\n".join(line for line in body.splitlines() if line.strip() and "<!--" not in line)


def quoted(echo: Echo, body: str) -> None:
    for line in body.splitlines():
        echo(f"      | {line}")


def phase_named(blueprint: Blueprint, name: str) -> Phase:
    return next(p for p in blueprint.phases if p.name == name)


def pass_gate(demo: Demo, project: Any, blueprint: Blueprint, phase: str, echo: Echo) -> Any:
    """Close `phase`'s gate issue and wait for the engagement epic's label to move on."""
    gated = phase_named(blueprint, phase)
    following = blueprint.phases[list(blueprint.phases).index(gated) + 1]
    gate = by_key(project, gated.gate or "")
    # its approver ticks the acceptance criteria before closing it (else the bot reopens it)
    gate.description = (gate.description or "").replace("- [ ]", "- [x]")
    close(gate)

    def moved() -> bool:
        return demo.snapshot(blueprint).phase == following.name

    wait_for(f"the engagement to move from {phase} to {following.name}", moved, timeout=60)
    echo(
        f"      closed gate #{gate.iid} {gate.title!r}: phase {phase} -> {following.name} "
        f'(label ~"{following.label}")'
    )
    return gate


def walk_gates(demo: Demo, project: Any, blueprint: Blueprint, echo: Echo) -> None:
    """Discovery, Team Readiness and Sprint 0 end on their gates; `/psdm phase next` is
    refused while the current phase's gate is open."""
    echo(f"[2/6] the pilot walks its gates (phase now {demo.snapshot(blueprint).phase})")
    pass_gate(demo, project, blueprint, "Discovery", echo)
    held = by_key(project, phase_named(blueprint, "Team Readiness").gate or "")
    echo(f"      commented `/psdm phase next` on #{held.iid} while its gate is open:")
    quoted(echo, command(project, held.iid, "/psdm phase next"))
    pass_gate(demo, project, blueprint, "Team Readiness", echo)
    pass_gate(demo, project, blueprint, "Sprint 0", echo)


def sprint_items(project: Any, title: str) -> list[Any]:
    return list(project.issues.list(get_all=True, per_page=100, milestone=title, state="all"))


def _marker_key(description: str | None) -> str | None:
    _, marker = parse(description)
    return marker.key if marker else None


def walk_sprint(demo: Demo, project: Any, blueprint: Blueprint, echo: Echo) -> Any:
    """Close some of Sprint 1's work, then the milestone: the bot completes the retrospective
    and moves the open work items (not the ceremonies and governance) to the next sprint."""
    boxes = [t for t in blueprint.timeboxes if t.kind == "sprint"]
    sprint = next(t for t in boxes if t.key == SPRINT)
    following = boxes[boxes.index(sprint) + 1]
    # The sprint's work as GitLab holds it: its own stories and tasks, and what the passed
    # gates moved on into it from the phases before. Weighted stories first, so the sprint's
    # velocity (weight done) shows.
    kinds = {i.key: planned_kind(i) for i in blueprint.issues}
    held = [
        i
        for i in sprint_items(project, sprint.title)
        if i.state == "opened" and kinds.get(_marker_key(i.description) or "") == "work"
    ]
    ordered = sorted(held, key=lambda i: -(i.weight or 0))
    work = [int(i.iid) for i in ordered]
    for issue in ordered[:CLOSED_IN_SPRINT]:
        close(issue)
    left = work[CLOSED_IN_SPRINT:]
    staying = [i.iid for i in sprint_items(project, sprint.title) if i.iid not in left]
    milestone = next(m for m in project.milestones.list(get_all=True) if m.title == sprint.title)
    close(milestone)
    retro_key = next(
        i.key for i in blueprint.issues if i.role == "retrospective" and i.milestone == SPRINT
    )

    def completed() -> Any:
        retro = by_key(project, retro_key)
        return retro if retro and f"Sprint figures: {sprint.title}" in retro.description else None

    def moved() -> list[int] | None:
        there = {i.iid for i in sprint_items(project, following.title)}
        return sorted(iid for iid in left if iid in there) if there >= set(left) else None

    retro = wait_for("the sprint's retrospective", completed)
    arrived = wait_for(f"the open work items to move to {following.title}", moved)
    stayed = [i.iid for i in sprint_items(project, sprint.title)]
    echo(
        f"[3/6] closed {min(len(work), CLOSED_IN_SPRINT)} of {len(work)} work items of "
        f"{sprint.title}, then its milestone; the bot completed retrospective #{retro.iid}"
    )
    echo(
        f"      moved {len(arrived)} open work items to {following.title} "
        f"({', '.join(f'#{iid}' for iid in arrived)}); checked in GitLab: "
        f"{len(arrived)} of {len(left)} now in {following.title}, "
        f"{len(set(staying) & set(stayed))} ceremonies and governance issues stayed"
    )
    return retro


def go_live(demo: Demo, project: Any, blueprint: Blueprint, echo: Echo) -> None:
    echo("[4/6] the pilot's go/no-go")
    pass_gate(demo, project, blueprint, "Sprinting", echo)


def structure(demo: Demo, blueprint: Blueprint) -> Counter[Kind]:
    live = connect(demo.sandbox.url, DEFAULT_ADMIN_TOKEN, demo.path).read_live(blueprint)
    return Counter(obj.kind for obj in live.objects)


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


def sprint_line(text: str, title: str) -> str:
    """The sprint's one sentence as a view wrote it (`<title>[ (state)]: <line>`)."""
    found = re.search(
        rf"{re.escape(title)}(?: \(\w+\))?: (\d+ of \d+ work items done[^.\n]*)", text
    )
    return found[1] if found else f"(no line for {title})"


def figures(demo: Demo, project: Any, blueprint: Blueprint, retro: Any, echo: Echo) -> None:
    """The sprint's figures as every view shows them: all read the domain's one function."""
    snapshot = demo.snapshot(blueprint)
    sprint = snapshot.sprint(SPRINT)
    if sprint is None:
        raise DemoFailed("the walked sprint has no figures")
    echo(f"[5/6] {sprint.title}'s figures, read from GitLab: {sprint.line()}")
    status = command(project, retro.iid, "/psdm status")
    echo(f"      commented `/psdm status` on #{retro.iid}; the bot replied:")
    quoted(echo, status)
    demo.portfolio.refresh(project.id)
    shown = demo.portfolio.engagement(project.id)
    dashboard = shown[1] if shown else None
    board = dashboard.snapshot.sprint(SPRINT) if dashboard else None
    live = {
        "/psdm status": sprint_line(status, sprint.title),
        "weekly report": sprint_line(weekly_markdown(snapshot), sprint.title),
        "dashboard": board.line() if board else "(not read)",
    }
    for view, line in live.items():
        echo(f"      {view + ':':<15} {line}")
    # The retrospective is written at the close, before the move; the live views count the
    # moved work for the sprint it left from its milestone events, so all of them agree.
    live["retrospective"] = sprint_line(project.issues.get(retro.iid).description, sprint.title)
    echo(f"      {'retrospective:':<15} {live['retrospective']}")
    same = all(line == sprint.line() for line in live.values())
    echo(
        "      same figures in /psdm status, the weekly report, the dashboard and the"
        f" retrospective: {same}"
    )


def summary(demo: Demo, blueprint: Blueprint, echo: Echo) -> None:
    counts = structure(demo, blueprint)
    shown = ", ".join(
        f"{counts[kind]} {kind}s" for kind in ("label", "milestone", "epic", "issue", "board")
    )
    echo(f"      structure of {demo.path}: {shown}")
    for line in tree(demo.snapshot(blueprint)):
        echo(f"      {line}")


def portfolio(demo: Demo, echo: Echo) -> None:
    """A second engagement with three high-priority risks open: red beside the pilot."""
    project, _, took = create_project(demo, "Globex", SECOND)
    for n in range(RISKS):
        project.issues.create(
            {"title": f"Risk {n + 1}: the customer's runners are not ready", "labels": RISK_LABELS}
        )
    wait_for("the bot to finish its work", demo.quiet)
    demo.portfolio.refresh_all()
    echo(
        f"[6/6] created {GROUP}/{SECOND} (scaffolded in {took:.1f} s) and opened {RISKS} "
        "high-priority risks on it; the portfolio:"
    )
    for row in demo.portfolio.rows():
        url = engagement_url(demo.settings, row.project_id)
        echo(f"      {row.health:<5}  {row.customer:<8}  {row.summary}  {url}")
    echo("")
    echo(f"Dashboard:  {demo.service.url}/")
    echo(f"  sign in with GitLab as root, password {DEFAULT_ADMIN_TOKEN} (the root token)")
    echo(f"GitLab API: {demo.sandbox.url}/api/v4/projects/{GROUP}%2F{PROJECT}")


def run(echo: Echo, *, stay: bool) -> None:
    """The whole demo; with `stay`, keep both servers up until Ctrl-C."""
    demo = start(echo)
    try:
        project, blueprint = create_engagement(demo, echo)
        walk_gates(demo, project, blueprint, echo)
        retro = walk_sprint(demo, project, blueprint, echo)
        go_live(demo, project, blueprint, echo)
        figures(demo, project, blueprint, retro, echo)
        summary(demo, blueprint, echo)
        portfolio(demo, echo)
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
