"""The service on the stand-in's simulated date (`PSDM_CLOCK=stand-in`): weeks pass in seconds.

The engagement starts on 2026-01-05 whatever today is; the stand-in is set to its third week,
then moved on a week: the periodic sweep writes each week's status issue in its week, dated
as the stand-in says, and nothing on the real date.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from bot.config import Settings
from bot.engine.apply import apply
from bot.engine.diff import diff
from bot.gitlab import connect
from bot.playbook import load_playbook, render
from bot.service.app import create_app
from bot.service.store import Engagement, Store
from bot.service.threaded import run_in_thread
from gitlab_sandbox import DEFAULT_ADMIN_TOKEN
from gitlab_sandbox import create_app as create_sandbox
from tests.conftest import SandboxServer
from tests.service.harness import SECRET, wait_for

pytestmark = pytest.mark.xdist_group("service-e2e")
PATH = "acme/delivery"
START = date(2026, 1, 5)


@pytest.fixture
def gitlab_sandbox():
    running = run_in_thread(create_sandbox(tier="premium", admin_token=DEFAULT_ADMIN_TOKEN))
    yield SandboxServer(running, DEFAULT_ADMIN_TOKEN)
    running.stop()


def status_titles(project) -> list[str]:
    found = project.issues.list(get_all=True, state="all")
    return sorted(i.title for i in found if "key=issue:status/" in (i.description or ""))


def test_the_weekly_status_follows_the_stand_ins_date_week_after_week(gitlab_sandbox, tmp_path):
    gl = gitlab_sandbox.gitlab()
    group = gl.groups.create({"name": "Acme", "path": "acme"})
    project = gl.projects.create({"name": "delivery", "path": "delivery", "namespace_id": group.id})
    variables = {"customer": "Acme", "start_date": START.isoformat()}
    blueprint = render(load_playbook("tool-adoption"), variables)
    gitlab_sandbox.control("POST", "clock", {"date": START.isoformat(), "running": True})
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
        executor_id="simulated-date-test",
        bot_username="psdm-bot",
        label_sweep_minutes=0.01,
        clock="stand-in",
    )
    week_3 = START + timedelta(weeks=2, days=1)
    gitlab_sandbox.control("POST", "clock", {"date": week_3.isoformat(), "running": True})
    server = run_in_thread(create_app(settings))
    try:
        week_3_title = f"Weekly status: week 3 ({START + timedelta(weeks=2)})"
        assert wait_for(lambda: status_titles(project) == [week_3_title], timeout=60)
        gitlab_sandbox.control("POST", "clock", {"advance_days": 7, "running": True})
        week_4_title = f"Weekly status: week 4 ({START + timedelta(weeks=3)})"
        assert wait_for(
            lambda: status_titles(project) == sorted([week_3_title, week_4_title]), timeout=60
        )
    finally:
        server.stop()
    created = {
        i.title: i.created_at[:10]
        for i in project.issues.list(get_all=True, state="all")
        if i.title in (week_3_title, week_4_title)
    }
    assert created == {
        week_3_title: week_3.isoformat(),
        week_4_title: (week_3 + timedelta(days=7)).isoformat(),
    }
