"""The periodic label sweep: drifted standard labels come back with no event at all."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections import Counter
from datetime import date
from pathlib import Path

import httpx
import psycopg
import pytest

from bot.config import Settings
from bot.domain.model import ProjectFacts
from bot.domain.playbooks import DEFAULT_RULES, choose_playbook
from bot.events.actions import RestoreLabels
from bot.service.app import create_app
from bot.service.durable import SWEEP_WORKFLOW, step
from bot.service.store import Engagement, Store
from bot.service.threaded import run_in_thread
from bot.service.workflows import SWEEP
from gitlab_sandbox import DEFAULT_ADMIN_TOKEN
from gitlab_sandbox import create_app as create_sandbox
from tests.conftest import PAYLOADS, SandboxServer
from tests.service.harness import (
    SECRET,
    ServiceProcess,
    expected_blueprint,
    scaffolded,
    seed_engagement_group,
    wait_for,
)

pytestmark = pytest.mark.xdist_group("service-e2e")
PROJECT = json.loads((PAYLOADS / "issue-open.json").read_text())["project"]["id"]


@pytest.fixture(scope="module")
def gitlab_sandbox():
    running = run_in_thread(create_sandbox(tier="premium", admin_token=DEFAULT_ADMIN_TOKEN))
    yield SandboxServer(running, DEFAULT_ADMIN_TOKEN)
    running.stop()


def sweeps(dbos_file: Path) -> list[tuple[str, str, str | None]]:
    """(workflow id, status, queue partition) of every sweep workflow, oldest first."""
    with sqlite3.connect(dbos_file) as db:
        return db.execute(
            "select workflow_uuid, status, queue_partition_key from workflow_status"
            " where name = ? order by created_at",
            (SWEEP_WORKFLOW,),
        ).fetchall()


def in_process_service(tmp_path: Path, gitlab_url: str, minutes: float):
    """An in-process service whose RestoreLabels runner only records what asked for it."""
    database = tmp_path / "psdm.sqlite"
    Store(f"sqlite:///{database}").save_engagement(
        Engagement(PROJECT, "acme/portal", "tool-adoption", {})
    )
    calls: list[tuple[int, str]] = []

    def runners(settings, store):
        def restore(actions, event):
            return [
                step("count", lambda a=a: calls.append((a.project_id, event.kind)) or "ok")
                for a in actions
            ]

        return {RestoreLabels: restore}

    settings = Settings(
        webhook_secrets=[SECRET],
        database_url=f"sqlite:///{database}",
        gitlab_url=gitlab_url,
        gitlab_token=DEFAULT_ADMIN_TOKEN,
        queue_polling_seconds=0.05,
        executor_id="sweep-test",
        bot_username="psdm-bot",
        label_sweep_minutes=minutes,
    )
    server = run_in_thread(create_app(settings, runners=runners))
    return server, calls, tmp_path / "psdm.dbos.sqlite"


def test_each_recorded_engagement_is_swept_once_per_slot_on_its_project_queue(
    gitlab_sandbox, tmp_path
):
    server, calls, dbos_file = in_process_service(tmp_path, gitlab_sandbox.url, 0.005)
    try:
        assert wait_for(lambda: calls.count((PROJECT, SWEEP)) >= 3, timeout=30)
    finally:
        server.stop()
    found = sweeps(dbos_file)
    ids = [workflow for workflow, _, _ in found]
    assert len(ids) == len(set(ids)) >= 3
    assert all(workflow.startswith(f"sweep:{PROJECT}:") for workflow in ids)
    assert {partition for _, _, partition in found} == {f"project:{PROJECT}"}
    assert sum(status == "SUCCESS" for _, status, _ in found) == calls.count((PROJECT, SWEEP))


def test_a_sweep_interval_of_zero_sweeps_nothing(gitlab_sandbox, tmp_path):
    server, calls, dbos_file = in_process_service(tmp_path, gitlab_sandbox.url, 0)
    try:
        assert "label-sweep" not in {t.name for t in threading.enumerate()}
        payload = json.loads((PAYLOADS / "issue-open.json").read_text())
        answer = httpx.post(
            f"{server.url}/webhook",
            json=payload,
            headers={"X-Gitlab-Event": "Issue Hook", "X-Gitlab-Token": SECRET},
            timeout=10,
        )
        assert answer.status_code == 202
        # The event path still restores labels; only the periodic sweep is off.
        assert wait_for(lambda: (PROJECT, "Issue Hook") in calls, timeout=30)
    finally:
        server.stop()
    assert [kind for _, kind in calls] == ["Issue Hook"]
    assert sweeps(dbos_file) == []


def label_names(project) -> Counter[str]:
    return Counter(
        label.name for label in project.labels.list(get_all=True, include_ancestor_groups=True)
    )


def test_labels_deleted_or_renamed_by_hand_come_back_once_with_no_event(gitlab_sandbox, tmp_path):
    gitlab_sandbox.reset("premium")
    group_id = seed_engagement_group(gitlab_sandbox)
    service = ServiceProcess(
        gitlab_sandbox.url,
        f"sqlite:///{tmp_path}/db/psdm.sqlite",
        tmp_path,
        "sweep-node",
        {"PSDM_LABEL_SWEEP_MINUTES": "0.02"},
    ).start()
    dbos_file = tmp_path / "db" / "psdm.dbos.sqlite"
    try:
        gl = gitlab_sandbox.gitlab()
        group = gl.groups.get(group_id)
        hook = group.hooks.create(
            {"url": service.hook_url, "token": SECRET, "project_events": True}
        )
        gl.projects.create(
            {
                "name": "Portal",
                "path": "portal",
                "namespace_id": group_id,
                "topics": ["psdm::tool-adoption"],
            }
        )
        blueprint = expected_blueprint(gl, "acme/portal")
        assert wait_for(lambda: scaffolded(gl, "acme/portal", blueprint), timeout=120)
        # From here on GitLab tells the service nothing: only the sweep can notice.
        group.hooks.delete(hook.id)
        received = service.metric("psdm_events_received_total")

        project = gl.projects.get("acme/portal")
        labels = {
            label.name: label
            for label in project.labels.list(get_all=True, include_ancestor_groups=True)
        }
        victim = labels["PS Risk"]
        (project if victim.is_project_label else group).labels.delete(victim.id)
        renamed = labels["Escalated"]
        (project if renamed.is_project_label else group).labels.update(
            renamed.id, {"new_name": "Escalated (old)"}
        )
        project.labels.create(
            {"name": "Customer Watch", "color": "#123456", "description": "added by a person"}
        )

        standard = {label.name for label in blueprint.labels}
        assert wait_for(lambda: standard <= set(label_names(project)), timeout=60)
        # Two more sweeps of the project after the repair change nothing.
        after = len(sweeps(dbos_file))
        assert wait_for(
            lambda: sum(s == "SUCCESS" for _, s, _ in sweeps(dbos_file)) >= after + 2, timeout=60
        )

        names = label_names(project)
        assert all(names[name] == 1 for name in standard)
        assert "Escalated (old)" not in names
        person = next(
            label for label in project.labels.list(get_all=True) if label.name == "Customer Watch"
        )
        assert (person.color, person.description) == ("#123456", "added by a person")
        assert service.metric('psdm_labels_restored_total{trigger="sweep"}') == 2
        assert service.metric('psdm_labels_restored_total{trigger="event"}') == 0
        assert service.metric("psdm_events_received_total") == received
    finally:
        service.stop()


def test_two_instances_on_postgresql_sweep_each_project_once_per_slot(
    gitlab_sandbox, pg_url, tmp_path
):
    gitlab_sandbox.reset("premium")
    group_id = seed_engagement_group(gitlab_sandbox, "initech")
    gl = gitlab_sandbox.gitlab()
    # No hook and no scaffold: the project has none of its playbook's labels yet.
    gl.projects.create(
        {
            "name": "Rollout",
            "path": "rollout",
            "namespace_id": group_id,
            "topics": ["psdm::tool-adoption"],
        }
    )
    project = gl.projects.get("initech/rollout")
    blueprint = expected_blueprint(gl, "initech/rollout")
    fast = {"PSDM_LABEL_SWEEP_MINUTES": "0.02"}
    nodes = [
        ServiceProcess(gitlab_sandbox.url, pg_url, tmp_path, name, fast).start()
        for name in ("sweep-a", "sweep-b")
    ]
    try:
        facts = ProjectFacts(
            project.id,
            project.path_with_namespace,
            project.name,
            tuple(project.topics),
            date.fromisoformat(project.created_at[:10]),
        )
        choice = choose_playbook(facts, None, None, DEFAULT_RULES)
        assert choice is not None
        Store(pg_url).save_engagement(
            Engagement(project.id, facts.path_with_namespace, choice.playbook, choice.variables)
        )

        def done() -> list[tuple[str, float]]:
            with psycopg.connect(pg_url) as db:
                return db.execute(
                    "select workflow_uuid, created_at from dbos.workflow_status"
                    " where name = %s and status = 'SUCCESS' order by created_at",
                    (SWEEP_WORKFLOW,),
                ).fetchall()

        assert wait_for(lambda: len(done()) >= 6, timeout=90)
        found = done()
        restored = sum(n.metric('psdm_labels_restored_total{trigger="sweep"}') for n in nodes)
    finally:
        for node in nodes:
            node.stop()
    names = label_names(project)
    assert all(names[label.name] == 1 for label in blueprint.labels)
    assert restored == len(blueprint.labels)
    # Both nodes enqueue every slot; one workflow per slot runs (created_at is in ms).
    slots_spanned = (found[-1][1] - found[0][1]) / 1200
    assert len(found) <= slots_spanned + 2
