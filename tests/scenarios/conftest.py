"""An empty customer project in the sandbox, on each tier, and the blueprint scenarios apply."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

import pytest

from bot.engine.apply import apply
from bot.engine.diff import diff
from bot.gitlab import GitLabProject, connect
from bot.playbook import load_playbook, render
from bot.playbook.blueprint import Blueprint

ACME = {"customer": "Acme Corp", "start_date": "2026-01-06"}


@cache
def tool_adoption() -> Blueprint:
    return render(load_playbook("tool-adoption"), ACME)


@dataclass
class Engagement:
    """The sandbox, a group `acme` and its empty project `acme/delivery`."""

    sandbox: Any
    tier: str
    path: str = "acme/delivery"

    def port(self, **options: Any) -> GitLabProject:
        return connect(self.sandbox.url, self.sandbox.token, self.path, **options)

    def apply(self, blueprint: Blueprint, port: GitLabProject | None = None):
        port = port or self.port()
        plan = diff(blueprint, port.read_live(blueprint))
        return plan, apply(plan, port)

    def plan(self, blueprint: Blueprint):
        return diff(blueprint, self.port().read_live(blueprint))

    @property
    def project(self):
        return self.sandbox.gitlab().projects.get(self.path)


@pytest.fixture(params=["premium", "free"])
def engagement(request) -> Engagement:
    sandbox = request.getfixturevalue("sandbox" if request.param == "premium" else "sandbox_free")
    gl = sandbox.gitlab()
    group = gl.groups.create({"name": "Acme", "path": "acme"})
    gl.projects.create({"name": "delivery", "path": "delivery", "namespace_id": group.id})
    return Engagement(sandbox, request.param)
