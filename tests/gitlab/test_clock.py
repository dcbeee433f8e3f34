"""The stand-in's simulated date, and the bot following it (tests and the demo only)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import httpx
import pytest

from bot.gitlab.clock import clock_for, on_loopback
from bot.gitlab.engagement import ISSUES, EngagementGitLab
from bot.service.runners import read_today

BOT, BOT_TOKEN = "clockwatcher", "clockwatcher-token"


def seeded(sandbox) -> int:
    out = sandbox.seed(
        {
            "users": [{"username": BOT, "token": BOT_TOKEN}],
            "groups": [{"path": "acme", "members": {BOT: 50}}],
            "projects": [{"path": "rollout", "namespace": "acme", "members": {BOT: 40}}],
        }
    )
    return out["projects"]["acme/rollout"]


def test_the_stand_in_dates_what_is_written_by_its_simulated_clock(sandbox):
    project = seeded(sandbox)
    told = sandbox.control("POST", "clock", {"date": "2026-03-02T09:00:00Z", "running": True})
    assert told["date"] == "2026-03-02" and told["simulated"] and told["running"]
    gl = sandbox.gitlab(BOT_TOKEN)
    issue = gl.projects.get(project, lazy=True).issues.create({"title": "Kick-off"})
    assert issue.created_at.startswith("2026-03-02T09:00")
    sandbox.control("POST", "clock", {"advance_days": 14})
    assert sandbox.control("GET", "clock")["running"] is False
    issue.title = "Kick-off, moved"
    issue.save()
    again = gl.projects.get(project, lazy=True).issues.get(issue.iid)
    assert again.updated_at.startswith("2026-03-16T09:00")
    assert again.created_at.startswith("2026-03-02")


def test_a_milestone_expires_by_the_stand_in_date(sandbox):
    project = seeded(sandbox)
    gl = sandbox.gitlab(BOT_TOKEN)
    sprint = gl.projects.get(project, lazy=True).milestones.create(
        {"title": "Sprint 1", "start_date": "2026-03-02", "due_date": "2026-03-13"}
    )
    sandbox.control("POST", "clock", {"date": "2026-03-13"})
    assert gl.projects.get(project, lazy=True).milestones.get(sprint.id).expired is False
    sandbox.control("POST", "clock", {"date": "2026-03-14"})
    assert gl.projects.get(project, lazy=True).milestones.get(sprint.id).expired is True


def test_any_user_may_read_the_stand_in_date_but_only_the_administrator_sets_it(sandbox):
    seeded(sandbox)
    mine = {"PRIVATE-TOKEN": BOT_TOKEN}
    read = httpx.get(f"{sandbox.url}/-/sandbox/clock", headers=mine)
    assert read.status_code == 200 and read.json()["simulated"] is False
    assert httpx.get(f"{sandbox.url}/-/sandbox/clock").status_code == 401
    moved = httpx.post(f"{sandbox.url}/-/sandbox/clock", headers=mine, json={"advance": 60})
    assert moved.status_code == 403


@pytest.mark.parametrize(
    "body",
    [
        {"time": 0, "date": "2026-01-01"},
        {"date": "next tuesday"},
        {"advance_days": 1e12},
        {"time": -5},
    ],
)
def test_the_stand_in_refuses_a_clock_it_cannot_keep(sandbox, body):
    answer = httpx.post(
        f"{sandbox.url}/-/sandbox/clock", json=body, headers={"PRIVATE-TOKEN": sandbox.token}
    )
    assert answer.status_code == 400


def test_a_reset_puts_the_stand_in_back_on_real_time(sandbox):
    sandbox.control("POST", "clock", {"date": "2030-01-01"})
    sandbox.reset()
    told = sandbox.control("GET", "clock")
    assert told["simulated"] is False
    assert told["date"] == datetime.now(UTC).date().isoformat()


def test_the_bot_decides_on_the_stand_in_date_when_told_to_follow_it(sandbox):
    project = seeded(sandbox)
    clock = clock_for("stand-in", sandbox.url, BOT_TOKEN)
    sandbox.control("POST", "clock", {"date": "2026-05-04T10:00:00Z"})
    assert clock.today() == date(2026, 5, 4)
    gl = EngagementGitLab(sandbox.url, BOT_TOKEN, project, clock=clock)
    live, today = read_today(gl, frozenset({ISSUES}))
    assert today == date(2026, 5, 4) and live.project.id == project
    sandbox.control("POST", "clock", {"advance_days": 7 * 14})
    assert clock.today() == date(2026, 8, 10)


@pytest.mark.parametrize(
    ("url", "loopback"),
    [
        ("http://127.0.0.1:8080", True),
        ("http://localhost:3000/gitlab", True),
        ("http://[::1]:80", True),
        ("https://gitlab.com", False),
        ("https://gitlab.example.com", False),
        ("http://10.0.0.5", False),
    ],
)
def test_only_a_stand_in_on_this_machine_is_followed(url, loopback):
    assert on_loopback(url) is loopback
    if loopback:
        assert clock_for("stand-in", url, "token") is not None
    else:
        with pytest.raises(ValueError, match="on this machine only"):
            clock_for("stand-in", url, "token")


def test_production_keeps_real_time():
    clock = clock_for("system", "https://gitlab.com", "token")
    assert clock.today() == datetime.now(UTC).date()
    with pytest.raises(ValueError, match="clock must be one of"):
        clock_for("fast-forward", "https://gitlab.com", "token")
