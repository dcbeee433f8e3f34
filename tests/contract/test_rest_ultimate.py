"""Calls GitLab serves on Ultimate only, compared on an Ultimate sandbox; below it they are
refused as GitLab documents (`GL:doc/api/dora/metrics.md`: Ultimate)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .inventory import REST, Rest
from .shapes import fixture
from .world import World

ULTIMATE = [entry for entry in REST if entry.tier == "ultimate"]


@pytest.fixture(scope="module")
def ultimate(sandbox_server) -> Iterator[World]:
    sandbox_server.reset("ultimate")
    seeded = sandbox_server.seed(
        {"groups": [{"path": "acme"}], "projects": [{"path": "app", "namespace": "acme"}]}
    )
    world = World(sandbox_server.url, sandbox_server.token)
    world.ids.update(pid=seeded["projects"]["acme/app"], gid=seeded["groups"]["acme"])
    pid = world.ids["pid"]
    for status in ("success", "success", "failed"):
        world.call(
            "POST",
            f"/projects/{pid}/deployments",
            json={
                "environment": "production",
                "sha": "a" * 40,
                "ref": "main",
                "tag": False,
                "status": status,
            },
        )
    try:
        yield world
    finally:
        world.close()


@pytest.mark.parametrize("entry", ULTIMATE, ids=lambda entry: entry.name)
def test_ultimate_answers_have_the_documented_keys_and_types(ultimate, entry: Rest):
    answer = ultimate.call(entry.method, ultimate.fill(entry.call), params=entry.query or None)
    if isinstance(answer, list):
        assert answer, f"{entry.name}: an empty list proves nothing"
    assert fixture(entry.fixture).check(entry.example, answer) == []


@pytest.mark.parametrize("entry", ULTIMATE, ids=lambda entry: entry.name)
def test_below_ultimate_the_call_is_refused(sandbox_server, entry: Rest):
    sandbox_server.reset("premium")
    seeded = sandbox_server.seed(
        {"groups": [{"path": "acme"}], "projects": [{"path": "app", "namespace": "acme"}]}
    )
    world = World(sandbox_server.url, sandbox_server.token)
    world.ids.update(pid=seeded["projects"]["acme/app"], gid=seeded["groups"]["acme"])
    response = world.api.request(entry.method, world.fill(entry.call), params=entry.query or None)
    world.close()
    assert response.status_code == 403
