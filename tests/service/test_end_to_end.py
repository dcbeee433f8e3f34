"""The sandbox sends real webhooks to `psdm-bot serve` (a subprocess) over loopback."""

from __future__ import annotations

import sqlite3

import httpx
import pytest

from bot.service.threaded import run_in_thread
from gitlab_sandbox import DEFAULT_ADMIN_TOKEN, create_app
from tests.conftest import SandboxServer
from tests.service.harness import (
    SECRET,
    ServiceProcess,
    assert_built_once,
    expected_blueprint,
    issue_titles,
    scaffolded,
    seed_engagement_group,
    wait_for,
)

pytestmark = pytest.mark.xdist_group("service-e2e")
TOPICS = ["psdm::tool-adoption"]


@pytest.fixture(scope="module")
def gitlab_sandbox():
    running = run_in_thread(create_app(tier="premium", admin_token=DEFAULT_ADMIN_TOKEN))
    yield SandboxServer(running, DEFAULT_ADMIN_TOKEN)
    running.stop()


@pytest.fixture(scope="module")
def world(gitlab_sandbox, tmp_path_factory):
    """A group `acme` whose group hook points at one running service."""
    gitlab_sandbox.reset("premium")
    group_id = seed_engagement_group(gitlab_sandbox)
    # Epics live at group level, so each engagement under test gets a group of its own.
    other_group = seed_engagement_group(gitlab_sandbox, "globex")
    workdir = tmp_path_factory.mktemp("e2e")
    service = ServiceProcess(
        gitlab_sandbox.url, f"sqlite:///{workdir}/db/psdm.sqlite", workdir, "e2e-node"
    ).start()
    gl = gitlab_sandbox.gitlab()
    triggers = {
        "url": service.hook_url,
        "token": SECRET,
        "project_events": True,
        "issues_events": True,
        "milestone_events": True,
        "note_events": True,
    }
    hook = gl.groups.get(group_id).hooks.create(triggers)
    gl.groups.get(other_group).hooks.create(triggers)
    yield gitlab_sandbox, service, gl, hook, workdir
    service.stop()


@pytest.fixture(scope="module")
def portal(world):
    """acme/portal, created with the psdm::tool-adoption topic and scaffolded by the service."""
    gl = world[2]
    group = gl.groups.get("acme")
    gl.projects.create(
        {"name": "Portal", "path": "portal", "namespace_id": group.id, "topics": TOPICS}
    )
    blueprint = expected_blueprint(gl, "acme/portal")
    assert wait_for(lambda: scaffolded(gl, "acme/portal", blueprint), timeout=120)
    return blueprint


def test_creating_a_project_with_a_psdm_topic_scaffolds_its_engagement(world, portal):
    _, _, gl, _, _ = world
    assert_built_once(gl, "acme/portal", portal)


def test_a_project_without_a_psdm_topic_is_left_alone(world):
    _, service, gl, _, _ = world
    group = gl.groups.get("acme")
    before = service.metric("psdm_events_handled_total")
    gl.projects.create({"name": "Internal", "path": "internal", "namespace_id": group.id})
    assert wait_for(lambda: service.metric("psdm_events_handled_total") > before, timeout=30)
    assert issue_titles(gl, "acme/internal") == {}


def test_closing_a_sprint_milestone_completes_its_retrospective(world, portal):
    _, _, gl, _, _ = world
    project = gl.projects.get("acme/portal")
    milestone = next(m for m in project.milestones.list(get_all=True) if m.title == "Sprint 1")
    sprint_issues = project.issues.list(milestone="Sprint 1", get_all=True)
    work = {i.title for i in expected_blueprint(gl, "acme/portal").issues if i.kind == "work"}
    done = [i for i in sprint_issues if i.title in work][:2]
    assert len(done) == 2
    for issue in done:
        issue.state_event = "close"
        issue.save()
    milestone.state_event = "close"
    milestone.save()

    def retrospective():
        issues = project.issues.list(search="Sprint 1 retrospective", get_all=True)
        body = issues[0].description if issues else ""
        return body if "## Sprint figures: Sprint 1" in body else None

    assert wait_for(retrospective, timeout=60)
    body = retrospective()
    assert f"| done | {len(done)} |" in body
    for question in (
        "What went well?",
        "What would we like to change?",
        "How can we implement that change?",
    ):
        assert body.count(question) == 1


def test_the_same_delivery_sent_twice_is_handled_once(world, portal):
    sandbox, service, gl, hook, workdir = world
    events = httpx.get(
        f"{sandbox.url}/api/v4/groups/{hook.group_id}/hooks/{hook.id}/events",
        headers={"PRIVATE-TOKEN": sandbox.token},
    ).json()
    first = next(
        e
        for e in events
        if e["trigger"] == "project_hooks"
        or e.get("request_data", {}).get("event_name") == "project_create"
    )
    resent = httpx.post(
        f"{sandbox.url}/api/v4/groups/{hook.group_id}/hooks/{hook.id}/events/{first['id']}/resend",
        headers={"PRIVATE-TOKEN": sandbox.token},
    )
    assert resent.status_code in (200, 201)
    deduplicated = service.metric("psdm_events_deduplicated_total")
    assert wait_for(lambda: service.metric("psdm_events_deduplicated_total") >= 1, timeout=20), (
        deduplicated
    )
    key = "delivery:" + first["request_headers"]["Idempotency-Key"]
    with sqlite3.connect(workdir / "db" / "psdm.sqlite") as db:
        assert db.execute("select count(*) from psdm_inbox where key = ?", (key,)).fetchone() == (
            1,
        )
    with sqlite3.connect(workdir / "db" / "psdm.dbos.sqlite") as db:
        runs = db.execute(
            "select count(*) from workflow_status where workflow_uuid = ?", (key,)
        ).fetchone()
    assert runs == (1,)
    assert_built_once(gl, "acme/portal", portal)


def test_a_hook_with_a_wrong_token_gets_401(world):
    sandbox, service, gl, _, _ = world
    group = gl.groups.get("acme")
    wrong = group.hooks.create(
        {"url": service.hook_url, "token": "not-the-secret", "project_events": True}
    )
    gl.projects.create({"name": "Wrong", "path": "wrong", "namespace_id": group.id})

    def statuses():
        events = httpx.get(
            f"{sandbox.url}/api/v4/groups/{group.id}/hooks/{wrong.id}/events",
            headers={"PRIVATE-TOKEN": sandbox.token},
        ).json()
        return [e["response_status"] for e in events]

    assert wait_for(lambda: statuses(), timeout=20)
    assert set(statuses()) == {"401"}
    wrong.delete()


def test_a_service_killed_mid_scaffold_completes_after_restart_without_duplicates(world):
    sandbox, service, gl, _, _ = world
    sandbox.set_faults({"route": "*", "method": "POST", "latency_ms": 40})
    group = gl.groups.get("globex")
    gl.projects.create(
        {"name": "Rollout", "path": "rollout", "namespace_id": group.id, "topics": TOPICS}
    )
    blueprint = expected_blueprint(gl, "globex/rollout")
    total = len(blueprint.issues)
    assert wait_for(
        lambda: sum(issue_titles(gl, "globex/rollout").values()) >= total // 4,
        timeout=60,
        every=0.02,
    )
    service.kill()
    sandbox.clear_faults()
    assert sum(issue_titles(gl, "globex/rollout").values()) < total
    service.start()
    assert wait_for(lambda: scaffolded(gl, "globex/rollout", blueprint), timeout=120)
    assert_built_once(gl, "globex/rollout", blueprint)


def engagement_epic(gl):
    epics = gl.groups.get("acme").epics.list(get_all=True)
    return next(e for e in epics if e.title == "Portal engagement")


def test_closing_a_phase_gate_advances_the_phase_label_with_a_comment(world, portal):
    _, _, gl, _, _ = world
    project = gl.projects.get("acme/portal")
    gate = next(
        i
        for i in project.issues.list(get_all=True)
        if "key=issue:discovery/readout " in i.description
    )
    gate.description = gate.description.replace("- [ ]", "- [x]")  # its criteria met
    gate.state_event = "close"
    gate.save()
    assert wait_for(lambda: "PSDM Phase::Team Readiness" in engagement_epic(gl).labels, 60)
    epic = engagement_epic(gl)
    assert "PSDM Phase::Discovery" not in epic.labels

    def announced() -> int:
        # The epic notes API takes the epic's id (python-gitlab's manager passes the iid).
        notes = gl.http_list(f"/groups/{epic.group_id}/epics/{epic.id}/notes", get_all=True)
        return sum("Discovery is complete" in note["body"] for note in notes)

    assert wait_for(announced, timeout=30)
    assert announced() == 1


def test_a_standard_label_deleted_by_hand_is_restored(world, portal):
    _, _, gl, _, _ = world
    project = gl.projects.get("acme/portal")
    labels = {
        label.name: label
        for label in project.labels.list(get_all=True, include_ancestor_groups=True)
    }
    victim = labels["PS Risk"]
    owner = project if victim.is_project_label else gl.groups.get("acme")
    owner.labels.delete(victim.id)
    renamed = labels["Escalated"]
    (project if renamed.is_project_label else gl.groups.get("acme")).labels.update(
        renamed.id, {"new_name": "Escalated (old)"}
    )
    issue = project.issues.list(get_all=True)[0]
    issue.title = issue.title + " (edited)"
    issue.save()

    def names():
        return {
            label.name for label in project.labels.list(get_all=True, include_ancestor_groups=True)
        }

    assert wait_for(lambda: {"PS Risk", "Escalated"} <= names(), timeout=30)
    assert "Escalated (old)" not in names()


def test_closing_an_issue_moves_its_workflow_label_to_done(world, portal):
    _, _, gl, _, _ = world
    project = gl.projects.get("acme/portal")
    issue = next(
        i
        for i in project.issues.list(get_all=True, state="opened")
        if "PSD Workflow::Not Started" in i.labels
    )
    issue.state_event = "close"
    issue.save()

    def labels():
        return project.issues.get(issue.iid).labels

    assert wait_for(lambda: "PSD Workflow::Done" in labels(), timeout=30)
    assert "PSD Workflow::Not Started" not in labels()


def test_a_topic_naming_no_playbook_is_handled_without_a_failure(world):
    _, service, gl, _, _ = world
    group = gl.groups.get("acme")
    handled = service.metric("psdm_events_handled_total")
    failed = service.metric("psdm_events_failed_total")
    gl.projects.create(
        {"name": "Odd", "path": "odd", "namespace_id": group.id, "topics": ["psdm::no-such"]}
    )
    assert wait_for(lambda: service.metric("psdm_events_handled_total") > handled, timeout=30)
    assert service.metric("psdm_events_failed_total") == failed
    assert issue_titles(gl, "acme/odd") == {}
