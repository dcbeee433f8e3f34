"""Two service instances sharing one PostgreSQL database share the work and deduplicate."""

from __future__ import annotations

import psycopg
import pytest

from bot.service.threaded import run_in_thread
from gitlab_sandbox import DEFAULT_ADMIN_TOKEN, create_app
from tests.conftest import SandboxServer
from tests.service.harness import (
    SECRET,
    ServiceProcess,
    assert_built_once,
    expected_blueprint,
    scaffolded,
    seed_engagement_group,
    wait_for,
)

pytestmark = pytest.mark.xdist_group("service-e2e")
GROUPS = ("alpha", "beta", "gamma", "delta")


@pytest.fixture
def gitlab_sandbox():
    running = run_in_thread(create_app(tier="premium", admin_token=DEFAULT_ADMIN_TOKEN))
    yield SandboxServer(running, DEFAULT_ADMIN_TOKEN)
    running.stop()


def test_two_instances_on_postgresql_share_the_work_and_build_each_engagement_once(
    gitlab_sandbox, pg_url, tmp_path
):
    one_at_a_time = {"PSDM_CONCURRENCY": "1"}
    a = ServiceProcess(gitlab_sandbox.url, pg_url, tmp_path, "node-a", one_at_a_time).start()
    b = ServiceProcess(gitlab_sandbox.url, pg_url, tmp_path, "node-b", one_at_a_time).start()
    try:
        gl = gitlab_sandbox.gitlab()
        # Every project creation reaches both instances at once, with different
        # Idempotency-Keys: a group hook to node A, the instance's system hook to node B.
        gl.hooks.create({"url": b.hook_url, "token": SECRET})
        groups = {path: seed_engagement_group(gitlab_sandbox, path) for path in GROUPS}
        for group_id in groups.values():
            gl.groups.get(group_id).hooks.create(
                {"url": a.hook_url, "token": SECRET, "project_events": True}
            )
        for path, group_id in groups.items():
            gl.projects.create(
                {
                    "name": path.title(),
                    "path": "delivery",
                    "namespace_id": group_id,
                    "topics": ["psdm::tool-adoption"],
                }
            )
        blueprints = {p: expected_blueprint(gl, f"{p}/delivery") for p in GROUPS}
        for path, blueprint in blueprints.items():
            assert wait_for(
                lambda p=path, b=blueprint: scaffolded(gl, f"{p}/delivery", b), timeout=180
            )
        for path, blueprint in blueprints.items():
            assert_built_once(gl, f"{path}/delivery", blueprint)

        received = a.metric("psdm_events_received_total") + b.metric("psdm_events_received_total")
        deduplicated = a.metric("psdm_events_deduplicated_total") + b.metric(
            "psdm_events_deduplicated_total"
        )
        assert received >= 2 * len(GROUPS)
        assert deduplicated >= len(GROUPS)
        with psycopg.connect(pg_url) as db:
            recorded = db.execute(
                "select count(*) from psdm_inbox where kind in ('Project Hook', 'System Hook')"
            ).fetchone()[0]
            executors = {
                row[0]
                for row in db.execute(
                    "select executor_id from dbos.workflow_status where status = 'SUCCESS'"
                )
            }
        assert recorded == len(GROUPS)
        assert executors == {"node-a", "node-b"}
    finally:
        a.stop()
        b.stop()
