"""What the periodic sweep asks GitLab, per engagement, when nothing has changed.

Scaffolds `--engagements` tool-adoption engagements in the sandbox (the bot's own apply),
records them in an in-process service, then runs sweep rounds through the service's durable
queue, exactly as its timer does: the first after start (nothing remembered), then idle ones,
then one after a change in one engagement. Prints, per round, the requests the sandbox
answered per engagement and the routes they went to. Speeds are printed, never asserted.

Run: `python bench/sweep.py [--engagements 200] [--rounds 3]`.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests
import structlog

from bot.config import Settings
from bot.engine.apply import apply
from bot.engine.diff import diff
from bot.gitlab import connect
from bot.gitlab.connection import forget
from bot.gitlab.errors import GitLabError
from bot.gitlab.limits import Limits
from bot.playbook import load_playbook, render
from bot.service.app import create_app as create_service
from bot.service.durable import sweep_id
from bot.service.store import Engagement
from bot.service.threaded import run_in_thread
from gitlab_sandbox import create_app

TOKEN = "bench-root-token"
BOT, BOT_TOKEN = "psdm-bot", "psdm-bot-token"
PLAYBOOK = "tool-adoption"
VARIABLES = {"customer": "Acme Corp", "start_date": "2026-01-06"}


class Sandbox:
    def __init__(self, tier: str) -> None:
        self.server = run_in_thread(create_app(tier=tier, admin_token=TOKEN))
        self.url = self.server.url
        self.http = requests.Session()
        self.http.headers["PRIVATE-TOKEN"] = TOKEN

    def control(self, method: str, name: str, body: dict[str, Any] | None = None) -> Any:
        answer = self.http.request(method, f"{self.url}/-/sandbox/{name}", json=body)
        answer.raise_for_status()
        return answer.json() if answer.content else None

    def routes(self) -> Counter[str]:
        return Counter(self.control("GET", "stats")["routes"])


def scaffold(sandbox: Sandbox, count: int) -> list[tuple[int, str]]:
    """`count` groups with one engagement project each, scaffolded by the bot's apply."""
    spec = {
        "users": [{"username": BOT, "token": BOT_TOKEN}],
        "groups": [{"path": f"customer-{n}", "members": {BOT: 50}} for n in range(count)],
        "projects": [
            {"path": "delivery", "namespace": f"customer-{n}", "members": {BOT: 50}}
            for n in range(count)
        ],
    }
    seeded = sandbox.control("POST", "seed", spec)["projects"]
    blueprint = render(load_playbook(PLAYBOOK), dict(VARIABLES))

    def one(path: str) -> None:
        for attempt in range(3):  # a loaded machine may drop a loopback connection
            try:
                port = connect(sandbox.url, BOT_TOKEN, path, limits=Limits.unpaced())
                result = apply(diff(blueprint, port.read_live(blueprint)), port)
                if result.ok:
                    return
            except GitLabError:
                if attempt == 2:
                    raise
        raise RuntimeError(f"{path} not scaffolded: {result.failed[:3]}")

    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(one, seeded))
    return [(pid, path) for path, pid in seeded.items()]


def sweep_round(service: Any, projects: list[tuple[int, str]], slot: int) -> float:
    """Every engagement's sweep for `slot`, through the durable queue; the seconds it took."""
    started = time.perf_counter()
    for pid, _ in projects:
        service.durable.sweep(pid, slot)
    pending = {pid for pid, _ in projects}
    while pending:
        pending = {
            pid
            for pid in pending
            if service.durable.status(sweep_id(pid, slot)) not in ("SUCCESS", "ERROR")
        }
        time.sleep(0.05)
    return time.perf_counter() - started


def report(name: str, routes: Counter[str], count: int, seconds: float) -> None:
    total = sum(n for route, n in routes.items() if "/-/sandbox" not in route)
    print(f"{name}: {total} requests, {total / count:.2f} per engagement, {seconds:.1f} s")
    for route, n in routes.most_common(8):
        print(f"    {n / count:6.2f}  {route}")


def main() -> None:
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engagements", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3, help="idle rounds after the first")
    parser.add_argument("--tier", choices=["free", "premium", "ultimate"], default="premium")
    args = parser.parse_args()
    sandbox = Sandbox(args.tier)
    started = time.perf_counter()
    projects = scaffold(sandbox, args.engagements)
    print(f"scaffolded {len(projects)} engagements in {time.perf_counter() - started:.0f} s")
    workdir = tempfile.TemporaryDirectory(prefix="psdm-sweep-bench-")
    database = f"sqlite:///{Path(workdir.name) / 'psdm.sqlite'}"
    settings = Settings.model_validate(
        {
            "gitlab_url": sandbox.url,
            "gitlab_token": BOT_TOKEN,
            "webhook_secrets": ["bench"],
            "database_url": database,
            "bot_username": BOT,
            "executor_id": "sweep-bench",
            "label_sweep_minutes": 0,  # the bench runs the rounds itself
            "queue_polling_seconds": 0.05,
            "rate_limits": "none",
        }
    )
    app = create_service(settings)
    server = run_in_thread(app)
    service = app.state.service
    try:
        for pid, path in projects:
            service.store.save_engagement(Engagement(pid, path, PLAYBOOK, dict(VARIABLES)))
        slot = 0
        rounds = ["first sweep after start"] + [f"idle sweep {n}" for n in range(1, args.rounds)]
        for name in rounds:
            slot += 1
            sandbox.control("DELETE", "stats")
            seconds = sweep_round(service, projects, slot)
            report(name, sandbox.routes(), len(projects), seconds)
        sandbox.http.put(
            f"{sandbox.url}/api/v4/projects/{projects[0][0]}/issues/1",
            json={"title": "Kick-off, moved"},
        ).raise_for_status()
        slot += 1
        sandbox.control("DELETE", "stats")
        seconds = sweep_round(service, projects, slot)
        report("sweep after one issue changed", sandbox.routes(), len(projects), seconds)
    finally:
        server.stop()
        forget(sandbox.url)
        sandbox.server.stop()
        workdir.cleanup()


if __name__ == "__main__":
    sys.exit(main())
