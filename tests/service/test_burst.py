"""Engagements created at once, scaffolded by `psdm-bot serve` from their webhooks, against a
sandbox that enforces GitLab.com's per-user limits (`GL:doc/user/gitlab_com/rate_limits.md`).

Three tool-adoption engagements create 270 issues through REST in three projects; GitLab counts
issue creations per project and user, so none of them waits, and every worker (and, on
PostgreSQL, every instance) paces the token's requests through the same windows. The pacing
arithmetic itself is tested on a scaled clock (`tests/gitlab/test_limits.py`,
`tests/service/test_shared_pacing.py`); no test here waits on a real minute.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from bot.service.threaded import run_in_thread
from gitlab_sandbox import DEFAULT_ADMIN_TOKEN, create_app
from tests.conftest import SandboxServer
from tests.service.harness import (
    ServiceProcess,
    assert_built_once,
    create_projects_at_once,
    expected_blueprint,
    hooked_groups,
    scaffolded,
    wait_for,
)

pytestmark = pytest.mark.xdist_group("service-burst")
TOPIC = "psdm::tool-adoption"
WINDOW_START = 1_800_000_000.0
"""A multiple of 60: the sandbox's rate-limit clock starts a fixed window when the burst does."""
ISSUE_CREATE = "POST /api/v4/projects/{id}/issues"


@pytest.fixture
def rate_limited() -> Iterator[SandboxServer]:
    running = run_in_thread(
        create_app(tier="premium", admin_token=DEFAULT_ADMIN_TOKEN, rate_limits="gitlab.com")
    )
    yield SandboxServer(running, DEFAULT_ADMIN_TOKEN)
    running.stop()


def serve(sandbox: SandboxServer, workdir: Path, groups: list[str]) -> ServiceProcess:
    """The service, and each group's hook pointing at it."""
    service = ServiceProcess(
        sandbox.url,
        f"sqlite:///{workdir}/psdm.sqlite",
        workdir,
        "burst",
        extra_env={"PSDM_RATE_LIMITS": "gitlab.com"},
    )
    hooked_groups(sandbox, sandbox.gitlab(), service.hook_url, groups)
    return service.start()


def test_engagements_created_at_once_are_paced_under_gitlab_com_limits_without_duplicates(
    rate_limited, tmp_path
):
    groups = ["north", "south", "east"]
    service = serve(rate_limited, tmp_path, groups)
    try:
        gl = rate_limited.gitlab()
        rate_limited.control("POST", "clock", {"time": WINDOW_START, "running": True})
        paths = create_projects_at_once(
            rate_limited.url, rate_limited.token, {g: gl.groups.get(g).id for g in groups}, TOPIC
        )
        blueprints = {path: expected_blueprint(gl, path) for path in paths}
        assert sum(len(b.issues) for b in blueprints.values()) > 200, "more than one user's minute"
        assert wait_for(
            lambda: all(scaffolded(gl, p, b) for p, b in blueprints.items()), timeout=240, every=1
        )
        stats = rate_limited.stats()
        assert stats["routes"][ISSUE_CREATE] > 200
        assert stats["rate_limits"]["throttled"] == {}
        assert service.metric('psdm_gitlab_requests_total{status="429"}') == 0
        for path, blueprint in blueprints.items():
            assert_built_once(gl, path, blueprint)
        assert service.metric("psdm_events_failed_total") == 0
    finally:
        service.stop()


def test_a_forced_429_is_waited_out_by_the_service_and_nothing_is_created_twice(
    rate_limited, tmp_path
):
    service = serve(rate_limited, tmp_path, ["west"])
    try:
        gl = rate_limited.gitlab()
        rate_limited.set_faults(
            {"route": "*/issues", "method": "POST", "status": 429, "burst": 5, "retry_after": 1}
        )
        [path] = create_projects_at_once(
            rate_limited.url, rate_limited.token, {"west": gl.groups.get("west").id}, TOPIC
        )
        blueprint = expected_blueprint(gl, path)
        assert wait_for(lambda: scaffolded(gl, path, blueprint), timeout=120, every=1)
        assert rate_limited.stats()["faults_injected"] == 5
        assert service.metric('psdm_gitlab_requests_total{status="429"}') == 5
        assert_built_once(gl, path, blueprint)
        assert service.metric("psdm_events_failed_total") == 0
    finally:
        service.stop()


def test_two_instances_on_one_database_pace_one_budget_and_build_each_engagement_once(
    rate_limited, pg_url, tmp_path
):
    groups = ["north", "south", "east", "west"]
    gl = rate_limited.gitlab()
    services = [
        ServiceProcess(
            rate_limited.url,
            pg_url,
            tmp_path,
            f"burst-{node}",
            extra_env={"PSDM_RATE_LIMITS": "gitlab.com"},
        )
        for node in ("a", "b")
    ]
    hooked_groups(rate_limited, gl, services[0].hook_url, groups[:2])
    hooked_groups(rate_limited, gl, services[1].hook_url, groups[2:])
    for service in services:
        service.start()
    try:
        rate_limited.control("POST", "clock", {"time": WINDOW_START, "running": True})
        paths = create_projects_at_once(
            rate_limited.url, rate_limited.token, {g: gl.groups.get(g).id for g in groups}, TOPIC
        )
        blueprints = {path: expected_blueprint(gl, path) for path in paths}
        assert wait_for(
            lambda: all(scaffolded(gl, p, b) for p, b in blueprints.items()), timeout=240, every=1
        )
        assert rate_limited.stats()["rate_limits"]["throttled"] == {}
        for service in services:
            assert service.metric('psdm_gitlab_requests_total{status="429"}') == 0
            assert service.metric("psdm_events_failed_total") == 0
        for path, blueprint in blueprints.items():
            assert_built_once(gl, path, blueprint)
        with psycopg.connect(pg_url) as db:
            windows = {row[0] for row in db.execute("select distinct window_key from psdm_pacing")}
        # both instances counted their requests in the one window of the bot's token
        assert len([key for key in windows if key.endswith(":any")]) == 1
        assert any(":issues:" in key for key in windows), "issue creations per project"
    finally:
        for service in services:
            service.stop()
