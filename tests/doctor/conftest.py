"""A GitLab stand-in, a real bot service to receive hooks, and a way to run `psdm-bot`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from bot.cli import app
from bot.config import Settings
from bot.gitlab.connection import forget
from bot.service.app import create_app
from bot.service.threaded import RunningServer, run_in_thread
from tests.conftest import SandboxServer

SECRET = "right-secret"
BOT = "psdm-bot"
BOT_TOKEN = "psdm-bot-token"


@pytest.fixture(scope="module")
def receiver(sandbox_server: SandboxServer, tmp_path_factory) -> Iterator[RunningServer]:
    """The bot's own webhook service: it answers 401 to a delivery with another secret."""
    folder = tmp_path_factory.mktemp("receiver")
    settings = Settings(
        webhook_secrets=[SECRET],
        database_url=f"sqlite:///{folder}/psdm.sqlite",
        gitlab_url=sandbox_server.url,
        gitlab_token=sandbox_server.token,
        bot_username=BOT,
        executor_id="doctor-receiver",
        readiness_seconds=3600,
        label_sweep_minutes=0,
    )
    server = run_in_thread(create_app(settings))
    yield server
    server.stop()


@dataclass
class World:
    """A premium stand-in seeded with the bot user (Owner of `acme`) and two projects."""

    sandbox: SandboxServer
    receiver: RunningServer
    folder: Path

    def env(self, **overrides: str) -> dict[str, str]:
        base = {
            "GITLAB_URL": self.sandbox.url,
            "GITLAB_TOKEN": BOT_TOKEN,
            "PSDM_WEBHOOK_SECRET": SECRET,
            "PSDM_PUBLIC_URL": self.receiver.url,
            "PSDM_DATABASE_URL": f"sqlite:///{self.folder}/psdm.sqlite",
            "PSDM_CONFIG": "",
            "PSDM_CA_BUNDLE": "",
            "PSDM_OAUTH_APPLICATION_ID": "",
            "PSDM_OAUTH_APPLICATION_SECRET": "",
        }
        return {**base, **overrides}

    def run(self, *args: str, **env: str) -> Result:
        return CliRunner().invoke(app, list(args), env=self.env(**env))

    def doctor(self, *args: str, **env: str) -> tuple[int, dict[str, list[dict]]]:
        """Exit code and the JSON findings, by check name."""
        result = self.run("doctor", "--format", "json", "--skip", "dashboard", *args, **env)
        assert result.stdout, (result.output, result.exception)
        data = json.loads(result.stdout)
        by_check: dict[str, list[dict]] = {}
        for finding in data["checks"]:
            by_check.setdefault(finding["check"], []).append(finding)
        return result.exit_code, by_check

    def hooks(self, kind: str = "group", owner: str = "acme") -> list[dict]:
        gl = self.sandbox.gitlab()
        base = gl.groups if kind == "group" else gl.projects
        return [h.asdict() for h in base.get(owner).hooks.list(get_all=True)]


def seed(sandbox: SandboxServer, tier: str, role: int = 50, version: str | None = None) -> None:
    if version:
        sandbox.control("POST", "reset", {"tier": tier, "gitlab_version": version})
        forget(sandbox.url)
    else:
        sandbox.reset(tier)
    sandbox.seed(
        {
            "users": [{"username": BOT, "name": "PSDM bot", "token": BOT_TOKEN}],
            "groups": [{"path": "acme", "members": {BOT: role}}],
            "projects": [
                {"path": "delivery", "namespace": "acme"},
                {"path": "pilot", "namespace": "acme"},
            ],
        }
    )


@pytest.fixture
def world(sandbox_server: SandboxServer, receiver: RunningServer, tmp_path: Path) -> World:
    seed(sandbox_server, "premium")
    return World(sandbox_server, receiver, tmp_path)
