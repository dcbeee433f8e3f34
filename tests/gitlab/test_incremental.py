"""The periodic sweep's reads: only what changed since the last pass (issue #20, item 5)."""

from __future__ import annotations

from collections import Counter

import pytest

from bot.clock import SYSTEM
from bot.gitlab.engagement import ISSUES, LABELS, MILESTONES, EngagementGitLab
from bot.gitlab.history import Picked, closed_histories, closed_milestones_since
from bot.gitlab.memory import Memory

BOT, TOKEN = "psdm-bot", "psdm-bot-token"
SWEPT = frozenset({LABELS, ISSUES})


@pytest.fixture
def world(sandbox):
    seeded = sandbox.seed(
        {
            "users": [{"username": BOT, "token": TOKEN}],
            "groups": [{"path": "acme", "members": {BOT: 50}}],
            "projects": [{"path": "delivery", "namespace": "acme"}],
        }
    )
    pid = seeded["projects"]["acme/delivery"]
    project = sandbox.gitlab(TOKEN).projects.get(pid)
    project.labels.create({"name": "Workflow::Doing", "color": "#00ff00"})
    project.labels.create({"name": "Workflow::Done", "color": "#0000ff"})
    for title in ("Kick-off", "Discovery", "Pilot"):
        project.issues.create({"title": title})
    return sandbox, pid, project


def asked(sandbox, read) -> tuple[object, Counter[str]]:
    """What `read` returned and the requests the sandbox answered meanwhile, by route."""
    sandbox.control("DELETE", "stats")
    found = read()
    routes = Counter(sandbox.stats()["routes"])
    return found, +Counter({r: n for r, n in routes.items() if "/-/sandbox" not in r})


def sweep_gl(sandbox, pid) -> EngagementGitLab:
    return EngagementGitLab(sandbox.url, TOKEN, pid, incremental=True)


def test_an_idle_engagement_costs_the_sweep_two_requests(world):
    sandbox, pid, _ = world
    first, full = asked(sandbox, lambda: sweep_gl(sandbox, pid).read(SWEPT))
    assert sum(full.values()) > 2, "nothing remembered yet: a full read"
    again, idle = asked(sandbox, lambda: sweep_gl(sandbox, pid).read(SWEPT))
    assert idle == Counter(
        {"GET /api/v4/projects/{id}/issues": 1, "GET /api/v4/projects/{id}/labels": 1}
    )
    assert again.issues == first.issues and again.labels == first.labels
    assert again.project == first.project


def test_a_changed_issue_is_seen_by_the_next_sweep(world):
    sandbox, pid, project = world
    sweep_gl(sandbox, pid).read(SWEPT)
    issue = project.issues.get(2)
    issue.labels = ["Workflow::Doing"]
    issue.save()
    seen, routes = asked(sandbox, lambda: sweep_gl(sandbox, pid).read(SWEPT))
    assert seen.issue(2).labels == ("Workflow::Doing",)
    assert routes["GET /api/v4/projects/{id}/issues"] == 2, "the probe, then the full list"
    project.issues.create({"title": "Rollout"})
    seen, _ = asked(sandbox, lambda: sweep_gl(sandbox, pid).read(SWEPT))
    assert [i.title for i in seen.issues][-1] == "Rollout"


def test_a_deleted_label_is_seen_by_the_next_sweep_though_no_issue_changed(world):
    sandbox, pid, project = world
    sweep_gl(sandbox, pid).read(SWEPT)
    project.labels.delete("Workflow::Done")
    seen, routes = asked(sandbox, lambda: sweep_gl(sandbox, pid).read(SWEPT))
    assert "Workflow::Done" not in {label.name for label in seen.labels}
    assert sum(routes.values()) == 2


def test_a_read_for_an_event_keeps_the_sweeps_memory_current(world):
    sandbox, pid, project = world
    sweep_gl(sandbox, pid).read(SWEPT)
    project.issues.get(1).notes.create({"body": "touched"})  # moves the issue's updated_at
    EngagementGitLab(sandbox.url, TOKEN, pid).read()  # an event's full read
    _, routes = asked(sandbox, lambda: sweep_gl(sandbox, pid).read(SWEPT))
    assert sum(routes.values()) == 2


def test_parts_not_asked_for_stay_empty(world):
    sandbox, pid, _ = world
    sweep_gl(sandbox, pid).read(SWEPT)
    labels_only, routes = asked(sandbox, lambda: sweep_gl(sandbox, pid).read({LABELS}))
    assert labels_only.issues == () and labels_only.labels
    assert routes == Counter({"GET /api/v4/projects/{id}/labels": 1})


def test_milestone_events_are_read_again_only_for_issues_that_changed(world):
    sandbox, pid, project = world
    one = project.milestones.create({"title": "Sprint 1", "start_date": "2026-01-05"})
    two = project.milestones.create({"title": "Sprint 2", "start_date": "2026-01-19"})
    for iid in (1, 2, 3):
        issue = project.issues.get(iid)
        issue.milestone_id = one.id
        issue.save()
    one.state_event = "close"
    one.save()
    for iid in (1, 2):  # moved out of the closed sprint
        issue = project.issues.get(iid)
        issue.milestone_id = two.id
        issue.save()
    events = "GET /api/v4/projects/{id}/issues/{issue_iid}/resource_milestone_events"
    parts = {MILESTONES, ISSUES}
    gl = EngagementGitLab(sandbox.url, TOKEN, pid)
    first, routes = asked(sandbox, lambda: gl.read(parts))
    assert first.issue(1).left_sprints == (one.id,) and routes[events] == 2
    _, routes = asked(sandbox, lambda: EngagementGitLab(sandbox.url, TOKEN, pid).read(parts))
    assert routes[events] == 0, "nothing changed: the events are remembered"
    issue = project.issues.get(2)
    issue.title = "Discovery, renamed"
    issue.save()
    again, routes = asked(sandbox, lambda: EngagementGitLab(sandbox.url, TOKEN, pid).read(parts))
    assert routes[events] == 1 and again.issue(2).left_sprints == (one.id,)


def test_the_sweep_asks_for_closed_milestones_once_where_gitlab_sends_their_events(world):
    sandbox, pid, _ = world
    since = SYSTEM.now()
    milestones = "GET /api/v4/projects/{id}/milestones"
    _, first = asked(sandbox, lambda: closed_milestones_since(sweep_gl(sandbox, pid), since))
    assert first[milestones] == 1
    _, later = asked(sandbox, lambda: closed_milestones_since(sweep_gl(sandbox, pid), since))
    assert later[milestones] == 0, "GitLab 18.2+ sends a Milestone Hook for every close"
    sandbox.reset()
    sandbox.control("POST", "reset", {"tier": "premium", "gitlab_version": "17.11.0"})
    world_again = sandbox.seed(
        {
            "users": [{"username": BOT, "token": TOKEN}],
            "groups": [{"path": "acme", "members": {BOT: 50}}],
            "projects": [{"path": "delivery", "namespace": "acme"}],
        }
    )
    old = world_again["projects"]["acme/delivery"]
    for _ in range(2):
        _, asked_old = asked(
            sandbox, lambda: closed_milestones_since(sweep_gl(sandbox, old), since)
        )
        assert asked_old[milestones] == 1, "before 18.2 no event tells of a close"


def test_memory_is_kept_per_project_and_stamp():
    memory = Memory()
    memory.milestone_events.put("7", 1, "2026-01-01T00:00:00Z", [{"id": 1}])
    assert memory.milestone_events.get("7", 1, "2026-01-01T00:00:00Z") == [{"id": 1}]
    assert memory.milestone_events.get("7", 1, "2026-01-02T00:00:00Z") is None
    assert memory.milestone_events.get("8", 1, "2026-01-01T00:00:00Z") is None


def test_a_closed_issues_history_is_read_again_only_once_it_changed(world):
    sandbox, pid, project = world
    for iid in (1, 2):
        issue = project.issues.get(iid)
        issue.state_event = "close"
        issue.save()
    memory = Memory()
    rest = EngagementGitLab(sandbox.url, TOKEN, pid).rest

    def read():
        return closed_histories(rest, pid, lambda issue: Picked("work"), memory)

    first, routes = asked(sandbox, read)
    assert sorted(h.iid for h in first) == [1, 2]
    assert sum(n for r, n in routes.items() if "resource_" in r) == 8, "four lists per issue"
    again, routes = asked(sandbox, read)
    assert again == first and sum(n for r, n in routes.items() if "resource_" in r) == 0
    issue = project.issues.get(2)
    issue.labels = ["Workflow::Done"]
    issue.save()
    changed, routes = asked(sandbox, read)
    assert sum(n for r, n in routes.items() if "resource_" in r) == 4
    assert next(h for h in changed if h.iid == 2).labels[-1].label == "Workflow::Done"
