"""`psdm-bot serve` as a subprocess (so it can be killed with -9), and a sandbox engagement."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import gitlab
import httpx

from bot.domain.model import ProjectFacts
from bot.domain.playbooks import DEFAULT_RULES, choose_playbook
from bot.domain.weekly import status_issue
from bot.playbook import load_playbook, render
from bot.playbook.blueprint import Blueprint

SECRET = "e2e-secret"
BOT = "psdm-bot"
BOT_TOKEN = "psdm-bot-token"
PSDM_BOT = Path(sys.executable).with_name("psdm-bot")
METRICS_TOKEN = "harness-metrics"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(condition: Callable[[], object], timeout: float = 90.0, every: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(every)
    return False


@dataclass
class ServiceProcess:
    """One service instance; restarts keep its port (hooks point at it) and executor id."""

    gitlab_url: str
    database_url: str
    workdir: Path
    executor_id: str
    extra_env: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None
    starts: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def hook_url(self) -> str:
        return f"{self.url}/webhook"

    def start(self) -> ServiceProcess:
        env = {
            **os.environ,
            "GITLAB_URL": self.gitlab_url,
            "GITLAB_TOKEN": BOT_TOKEN,
            "PSDM_WEBHOOK_SECRET": SECRET,
            "PSDM_DATABASE_URL": self.database_url,
            "PSDM_BOT_USERNAME": BOT,
            "PSDM_EXECUTOR_ID": self.executor_id,
            "PSDM_METRICS_TOKEN": METRICS_TOKEN,
            **self.extra_env,
        }
        env.pop("PSDM_CONFIG", None)
        self.starts += 1
        log = open(self.workdir / f"{self.executor_id}-{self.starts}.log", "wb")  # noqa: SIM115
        self.process = subprocess.Popen(
            [str(PSDM_BOT), "serve", "--port", str(self.port), "--log-level", "warning"],
            env=env,
            cwd=self.workdir,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        # Generous: a loaded two-core machine can take half a minute to import and start DBOS.
        if not wait_for(self._healthy, timeout=120):
            self.stop()
            raise RuntimeError(f"service {self.executor_id} did not start; see {log.name}")
        return self

    def _healthy(self) -> bool:
        if self.process and self.process.poll() is not None:
            raise RuntimeError(f"service {self.executor_id} exited with {self.process.returncode}")
        try:
            return httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def kill(self) -> None:
        """kill -9: no shutdown hook runs, in-flight work is cut off mid-step."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)

    def metric(self, name: str) -> float:
        total = 0.0
        bearer = {"Authorization": f"Bearer {METRICS_TOKEN}"}
        for line in httpx.get(f"{self.url}/metrics", headers=bearer, timeout=5).text.splitlines():
            if line.startswith(name + "{") or line.startswith(name + " "):
                total += float(line.rsplit(" ", 1)[1])
        return total


def seed_engagement_group(sandbox, group: str = "acme") -> int:
    """The bot's user (owner of the group) and the group; returns the group id."""
    out = sandbox.seed(
        {
            "users": [{"username": BOT, "token": BOT_TOKEN}],
            "groups": [{"path": group, "members": {BOT: 50}}],
        }
    )
    return out["groups"][group]


def expected_blueprint(gl: gitlab.Gitlab, path: str) -> Blueprint:
    """The blueprint the default rule gives this project (what the service must build)."""
    project = gl.projects.get(path)
    facts = ProjectFacts(
        project.id,
        project.path_with_namespace,
        project.name,
        tuple(project.topics),
        date.fromisoformat(project.created_at[:10]),
    )
    choice = choose_playbook(facts, None, None, DEFAULT_RULES)
    assert choice is not None
    return render(load_playbook(choice.playbook), dict(choice.variables))


def issue_titles(gl: gitlab.Gitlab, path: str) -> Counter[str]:
    project = gl.projects.get(path)
    return Counter(i.title for i in project.issues.list(get_all=True, state="all"))


def scaffolded(gl: gitlab.Gitlab, path: str, blueprint: Blueprint) -> bool:
    return issue_titles(gl, path) >= Counter(i.title for i in blueprint.issues)


def assert_built_once(gl: gitlab.Gitlab, path: str, blueprint: Blueprint) -> None:
    """Every issue, milestone and epic of the blueprint exists exactly once.

    The service's sweep runs at wall-clock slot boundaries; when one falls inside a test it
    writes the week's status issue (due from the start date on), once, so that issue may be
    there besides the blueprint's own, never twice.
    """
    titles = issue_titles(gl, path)
    expected = Counter(i.title for i in blueprint.issues)
    due = status_issue(blueprint, date.today())
    if due is not None and titles[due.title] == expected[due.title] + 1:
        expected[due.title] += 1
    assert titles == expected
    project = gl.projects.get(path)
    milestones = Counter(m.title for m in project.milestones.list(get_all=True))
    assert milestones == Counter(t.title for t in blueprint.timeboxes)
    group = gl.groups.get(path.rpartition("/")[0])
    epics = Counter(e.title for e in group.epics.list(get_all=True))
    assert epics >= Counter(e.title for e in blueprint.epics)
    assert max(epics.values()) == 1


HOOK_TRIGGERS = {
    "project_events": True,
    "issues_events": True,
    "milestone_events": True,
    "note_events": True,
}


def hooked_groups(sandbox, gl: gitlab.Gitlab, hook_url: str, groups: list[str]) -> dict[str, int]:
    """Each group seeded with the bot as owner and a group hook pointing at the service."""
    ids = {}
    for group in groups:
        ids[group] = seed_engagement_group(sandbox, group)
        gl.groups.get(ids[group]).hooks.create({"url": hook_url, "token": SECRET, **HOOK_TRIGGERS})
    return ids


def create_projects_at_once(url: str, token: str, groups: dict[str, int], topic: str) -> list[str]:
    """A project `delivery` (named after its group) with `topic` in every group, all created in
    the same moment (one thread each), so their creation webhooks reach the service together."""
    start = threading.Barrier(len(groups))

    def create(group: tuple[str, int]) -> str:
        gl = gitlab.Gitlab(url, private_token=token)
        start.wait()
        gl.projects.create(
            {"name": group[0], "path": "delivery", "namespace_id": group[1], "topics": [topic]}
        )
        return f"{group[0]}/delivery"

    with ThreadPoolExecutor(max_workers=len(groups)) as pool:
        return list(pool.map(create, groups.items()))
