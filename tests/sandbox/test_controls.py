"""Controls for tests and benchmarks: statistics, faults, reset, concurrency."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import gitlab
import httpx
import pytest


def test_statistics_count_requests_per_method_and_route_template(sandbox):
    gl = sandbox.gitlab()
    group = gl.groups.create({"name": "Acme", "path": "acme"})
    project = gl.projects.create({"name": "App", "namespace_id": group.id})
    for number in range(3):
        project.labels.create({"name": f"l{number}", "color": "#000000"})
    project.labels.list()
    stats = sandbox.stats()
    assert stats["routes"]["POST /api/v4/projects/{id}/labels"] == 3
    assert stats["routes"]["GET /api/v4/projects/{id}/labels"] == 1
    assert stats["statuses"]["201"] == 5
    assert stats["total"] == 6
    assert stats["objects"]["labels"] == 3


def test_a_429_burst_carries_retry_after_and_python_gitlab_rides_it_out(sandbox):
    sandbox.set_faults({"route": "/api/v4/groups*", "status": 429, "burst": 2, "retry_after": 0})
    raw = httpx.get(f"{sandbox.url}/api/v4/groups", headers={"PRIVATE-TOKEN": sandbox.token})
    assert raw.status_code == 429 and raw.headers["retry-after"] == "0"
    assert sandbox.gitlab().groups.list() == []
    stats = sandbox.stats()
    assert stats["faults_injected"] == 2 and stats["statuses"]["429"] == 2


def test_an_error_rate_of_one_fails_every_matching_request_and_only_those(sandbox):
    sandbox.set_faults(
        {"route": "/api/v4/projects/*/issues", "method": "POST", "status": 503, "error_rate": 1.0}
    )
    gl = sandbox.gitlab()
    project = gl.projects.create({"name": "App"})
    with pytest.raises(gitlab.GitlabCreateError) as failed:
        project.issues.create({"title": "t"})
    assert failed.value.response_code == 503
    assert project.issues.list() == []
    sandbox.clear_faults()
    assert project.issues.create({"title": "t"}).iid == 1


def test_added_latency_is_recorded_as_a_rule_and_still_answers(sandbox):
    rules = sandbox.set_faults({"route": "/api/v4/version", "latency_ms": 20})
    assert rules[0]["latency_ms"] == 20
    assert sandbox.gitlab().version()[0].endswith("-ee")


def test_reset_forgets_everything_and_switches_tier(sandbox):
    gl = sandbox.gitlab()
    gl.groups.create({"name": "Acme", "path": "acme"})
    sandbox.reset("free")
    assert gl.groups.list() == []
    assert gl.version()[0].endswith("-ee") is False


def test_concurrent_clients_get_unique_iids(sandbox):
    project = sandbox.gitlab().projects.create({"name": "App"})

    def create(number: int) -> int:
        client = sandbox.gitlab()
        return client.projects.get(project.id, lazy=True).issues.create({"title": f"i{number}"}).iid

    with ThreadPoolExecutor(max_workers=8) as pool:
        iids = list(pool.map(create, range(40)))
    assert sorted(iids) == list(range(1, 41))


def test_graphql_requests_are_counted_by_operation_kind(sandbox):
    client = sandbox.graphql()
    client.execute("query { currentUser { username } }")
    client.execute("{ metadata { enterprise } }")
    stats = sandbox.stats()
    assert stats["graphql"] == {"query": 2, "mutation": 0}
    assert stats["routes"]["POST /api/graphql"] == 2
