"""Engagements created at once, scaffolded by `psdm-bot serve` from their webhooks, against a
sandbox that enforces GitLab.com's per-user limits (`GL:doc/user/gitlab_com/rate_limits.md`).

Three tool-adoption engagements create 270 issues through REST, more than the 200 a minute
GitLab.com allows one user: every worker of the service shares one pacing window for the bot's
token, so the burst takes a little over a minute instead of meeting a 429.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

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
        assert sum(len(b.issues) for b in blueprints.values()) > 200, "the burst must need pacing"
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
