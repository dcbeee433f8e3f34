"""What GitLab sends no event for: a time-box closed with no event is handled by the sweep, once
even when its Milestone Hook comes too; the weekly status issue appears in its week, once."""

from __future__ import annotations

import json
import sqlite3
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest

from bot.config import Settings
from bot.engine.apply import apply
from bot.engine.diff import diff
from bot.gitlab import connect
from bot.playbook import load_playbook, render
from bot.service.app import create_app
from bot.service.durable import JOB_WORKFLOW
from bot.service.store import Engagement, Store
from bot.service.threaded import run_in_thread
from gitlab_sandbox import DEFAULT_ADMIN_TOKEN
from gitlab_sandbox import create_app as create_sandbox
from tests.conftest import PAYLOADS, SandboxServer
from tests.service.harness import SECRET, wait_for

pytestmark = pytest.mark.xdist_group("service-e2e")
PATH = "acme/delivery"


@pytest.fixture
def gitlab_sandbox():
    # GitLab 17.11: no Milestone Hook tells of a close, so the sweep asks at every pass
    running = run_in_thread(
        create_sandbox(tier="premium", admin_token=DEFAULT_ADMIN_TOKEN, gitlab_version="17.11")
    )
    yield SandboxServer(running, DEFAULT_ADMIN_TOKEN)
    running.stop()


def jobs(dbos_file: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(dbos_file) as db:
        return db.execute(
            "select workflow_uuid, status from workflow_status where name = ?",
            (JOB_WORKFLOW,),
        ).fetchall()


def test_a_closed_sprint_and_the_weekly_status_without_events(gitlab_sandbox, tmp_path):
    gl = gitlab_sandbox.gitlab()
    group = gl.groups.create({"name": "Acme", "path": "acme"})
    project = gl.projects.create({"name": "delivery", "path": "delivery", "namespace_id": group.id})
    start = date.today() - timedelta(days=15)  # engagement week 3, in Sprint 0
    variables = {"customer": "Acme", "start_date": start.isoformat()}
    blueprint = render(load_playbook("tool-adoption"), variables)
    port = connect(gitlab_sandbox.url, gitlab_sandbox.token, PATH)
    assert apply(diff(blueprint, port.read_live(blueprint)), port).ok
    database = tmp_path / "psdm.sqlite"
    Store(f"sqlite:///{database}").save_engagement(
        Engagement(project.id, PATH, "tool-adoption", variables)
    )
    settings = Settings(
        webhook_secrets=[SECRET],
        database_url=f"sqlite:///{database}",
        gitlab_url=gitlab_sandbox.url,
        gitlab_token=DEFAULT_ADMIN_TOKEN,
        queue_polling_seconds=0.05,
        executor_id="periodic-test",
        bot_username="psdm-bot",
        label_sweep_minutes=0.01,
    )
    sprint_1 = next(m for m in project.milestones.list(get_all=True) if m.title == "Sprint 1")
    sprint_2 = next(m for m in project.milestones.list(get_all=True) if m.title == "Sprint 2")
    work = next(
        i
        for i in project.issues.list(get_all=True)
        if "key=issue:platform/group-structure " in i.description
    )
    # the customer retrospective held, with no action left, while no hook told the bot
    customer_retro = next(
        i
        for i in project.issues.list(get_all=True)
        if "key=issue:customer-retrospective " in i.description
    )
    customer_retro.state_event = "close"
    customer_retro.save()
    server = run_in_thread(create_app(settings))
    dbos_file = tmp_path / "psdm.dbos.sqlite"
    try:
        # closed by hand, Sprint 1 not yet started: GitLab 17.x sends no event for it
        sprint_1.state_event = "close"
        sprint_1.save()
        closed_id = f"timebox-closed:{project.id}:{sprint_1.id}"

        def handled() -> bool:
            return (closed_id, "SUCCESS") in jobs(dbos_file)

        assert wait_for(handled, timeout=60)
        assert project.issues.get(work.iid).milestone["id"] == sprint_2.id
        # then the Milestone Hook of a newer GitLab arrives late: it finds the handling done
        payload = json.loads((PAYLOADS / "milestone-create.json").read_text())
        payload["action"] = "close"
        payload["project"]["id"] = project.id
        payload["object_attributes"].update(
            id=sprint_1.id,
            iid=sprint_1.iid,
            title="Sprint 1",
            state="closed",
            project_id=project.id,
        )
        answer = httpx.post(
            f"{server.url}/webhook",
            json=payload,
            headers={"X-Gitlab-Event": "Milestone Hook", "X-Gitlab-Token": SECRET},
            timeout=10,
        )
        assert answer.status_code == 202
        assert wait_for(lambda: deliveries(dbos_file) >= 1, timeout=60)
        week_id = f"weekly-status:{project.id}:week-3"
        assert wait_for(lambda: (week_id, "SUCCESS") in jobs(dbos_file), timeout=60)
        # more sweeps come and go: still one handling, one warning, one status issue
        before = len(jobs(dbos_file))
        assert wait_for(lambda: len(jobs(dbos_file)) >= before, timeout=5)
        assert wait_for(lambda: server_sweeps(dbos_file) >= 4, timeout=60)
    finally:
        server.stop()
    found = jobs(dbos_file)
    assert "RetroComplete" in project.issues.get(customer_retro.iid).labels
    assert [w for w, _ in found].count(closed_id) == 1
    assert [w for w, _ in found].count(week_id) == 1
    retro = next(
        i
        for i in project.issues.list(get_all=True)
        if "key=issue:sprint-1/retrospective " in i.description
    )
    warnings = [n for n in retro.notes.list(get_all=True) if "**Warning:** Sprint 1" in n.body]
    assert len(warnings) == 1
    statuses = [
        i for i in project.issues.list(get_all=True) if "key=issue:status/" in i.description
    ]
    assert [i.title for i in statuses] == [f"Weekly status: week 3 ({start + timedelta(weeks=2)})"]
    report = [n.body for n in statuses[0].notes.list(get_all=True)]
    assert any(body.startswith("## Weekly status") for body in report)


def deliveries(dbos_file: Path) -> int:
    """Milestone Hook deliveries handled to the end."""
    with sqlite3.connect(dbos_file) as db:
        (count,) = db.execute(
            "select count(*) from workflow_status where name = 'psdm.handle_delivery'"
            " and status = 'SUCCESS'"
        ).fetchone()
    return int(count)


def server_sweeps(dbos_file: Path) -> int:
    with sqlite3.connect(dbos_file) as db:
        (count,) = db.execute(
            "select count(*) from workflow_status where name = 'psdm.sweep_labels'"
            " and status = 'SUCCESS'"
        ).fetchone()
    return int(count)
