"""Shared fixtures: the GitLab sandbox served by uvicorn on a loopback port.

`sandbox_server` (session) starts one sandbox per test process (so one per xdist worker);
`sandbox` resets it to premium for each test, `sandbox_free` resets it to free. Both yield
the same `SandboxServer` handle: `.url`, `.token`, `.reset()`, `.seed()`, `.set_faults()`,
`.clear_faults()`, `.stats()`, `.gitlab()` and `.graphql()`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gitlab
import httpx
import pytest

from bot.gitlab.connection import forget
from bot.service.threaded import RunningServer, run_in_thread
from gitlab_sandbox import DEFAULT_ADMIN_TOKEN, create_app

PAYLOADS = Path(__file__).resolve().parent / "payloads"
KINDS = {
    "emoji-award-note.json": "Emoji Hook",
    "group-project-create.json": "Project Hook",
    "issue-open.json": "Issue Hook",
    "milestone-create.json": "Milestone Hook",
    "note-issue.json": "Note Hook",
    "system-project-create.json": "System Hook",
}
"""The event kind (X-Gitlab-Event) each documented payload in PAYLOADS is delivered as."""
"""GitLab's documented webhook payload examples, verbatim."""


@dataclass
class SandboxServer:
    """A running sandbox and the controls tests use on it."""

    running: RunningServer
    token: str

    @property
    def url(self) -> str:
        return self.running.url

    def control(self, method: str, path: str, body: Any = None) -> Any:
        response = httpx.request(
            method,
            f"{self.url}/-/sandbox/{path}",
            json=body,
            headers={"PRIVATE-TOKEN": self.token},
            timeout=30,
        )
        response.raise_for_status()
        return response.json() if response.content else None

    def reset(self, tier: str = "premium") -> None:
        self.control("POST", "reset", {"tier": tier})
        forget(self.url)  # the bot's client read the old instance's capabilities

    def seed(self, spec: dict[str, Any]) -> dict[str, Any]:
        """Users (with tokens), groups and projects with members; see docs/sandbox.md."""
        return self.control("POST", "seed", spec)

    def set_faults(self, *rules: dict[str, Any]) -> list[dict[str, Any]]:
        return self.control("POST", "faults", {"rules": list(rules)})

    def clear_faults(self) -> None:
        self.control("DELETE", "faults")

    def stats(self) -> dict[str, Any]:
        return self.control("GET", "stats")

    def gitlab(self, token: str | None = None, **options: Any) -> gitlab.Gitlab:
        """An authenticated python-gitlab client (root unless another token is given)."""
        return gitlab.Gitlab(self.url, private_token=token or self.token, **options)

    def graphql(self, token: str | None = None) -> gitlab.GraphQL:
        return gitlab.GraphQL(self.url, token=token or self.token)


@pytest.fixture(scope="session")
def sandbox_server() -> Iterator[SandboxServer]:
    running = run_in_thread(create_app(tier="premium", admin_token=DEFAULT_ADMIN_TOKEN))
    try:
        yield SandboxServer(running, DEFAULT_ADMIN_TOKEN)
    finally:
        running.stop()


@pytest.fixture
def sandbox(sandbox_server: SandboxServer) -> SandboxServer:
    sandbox_server.reset("premium")
    return sandbox_server


@pytest.fixture
def sandbox_free(sandbox_server: SandboxServer) -> SandboxServer:
    sandbox_server.reset("free")
    return sandbox_server
