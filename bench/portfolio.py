"""Render the dashboard for a portfolio of 200 engagements, from the service's snapshot store.

One tool-adoption engagement is scaffolded in the sandbox and read once, the way the service's
keeper reads it; its reading is stored for 200 projects (a third of them with three high
risks, so the page shows every health). An administrator's signed session then asks for the
portfolio and for one engagement's page. The first view asks GitLab which projects the viewer
can read (then cached a minute); the figures after it are what a morning's reloads cost.
Run: `python bench/portfolio.py [--engagements 200] [--views 30]`.
"""

from __future__ import annotations

import argparse
import base64
import json
import statistics
import tempfile
import time
from dataclasses import replace
from datetime import date
from pathlib import Path

import httpx
from fastapi import FastAPI
from itsdangerous import TimestampSigner

from bot.config import Settings
from bot.domain.figures import RaidItem
from bot.engine.apply import apply
from bot.engine.diff import diff
from bot.gitlab import connect
from bot.gitlab.engagement import facts_of
from bot.gitlab.snapshot import engagement_blueprint
from bot.report.pages import Reading, portfolio_row
from bot.service.auth import SESSION_COOKIE
from bot.service.dashboard import install_dashboard
from bot.service.portfolio import Portfolio, gitlab_reader, when
from bot.service.store import Engagement, Store
from bot.service.threaded import run_in_thread
from gitlab_sandbox import create_app

TOKEN = "bench-root-token"
SECRET = "bench-session-secret"


class Service:
    def __init__(self, settings: Settings, store: Store, portfolio: Portfolio) -> None:
        self.settings, self.store, self.portfolio = settings, store, portfolio


def scaffold_one(url: str, settings: Settings, store: Store) -> Reading:
    gl = httpx.Client(base_url=f"{url}/api/v4", headers={"PRIVATE-TOKEN": TOKEN}, timeout=60)
    group = gl.post("/groups", json={"name": "bench", "path": "bench"}).json()
    gl.post(
        "/projects",
        json={"name": "model", "namespace_id": group["id"], "topics": ["psdm::tool-adoption"]},
    ).raise_for_status()
    port = connect(url, TOKEN, "bench/model")
    facts = facts_of(port.load())
    variables = {"customer": "Model", "start_date": facts.created.isoformat()}
    blueprint = engagement_blueprint(facts, "tool-adoption", variables)
    apply(diff(blueprint, port.read_live(blueprint)), port)
    engagement = Engagement(facts.id, "bench/model", "tool-adoption", variables)
    store.save_engagement(engagement)
    return gitlab_reader(settings)(engagement, date.today())


def seed_portfolio(url: str, model: Reading, portfolio: Portfolio, count: int) -> list[int]:
    """`count` projects in the sandbox, each with the model's reading stored as its own."""
    projects = [{"path": f"customer-{n:03d}", "namespace": "bench"} for n in range(count)]
    seeded = httpx.post(
        f"{url}/-/sandbox/seed",
        json={"users": [{"username": "ada", "admin": True}], "projects": projects},
        headers={"PRIVATE-TOKEN": TOKEN},
        timeout=120,
    ).json()
    risks = tuple(RaidItem(900 + i, f"Risk {i}", "Risk", "High", False) for i in range(3))
    ids = []
    for n, (path, pid) in enumerate(sorted(seeded["projects"].items())):
        project = replace(model.snapshot.project, id=pid, path=path, name=f"Customer {n:03d}")
        snapshot = replace(model.snapshot, project=project)
        if n % 3 == 0:
            snapshot = replace(snapshot, raid=snapshot.raid + risks)
        reading = replace(model, snapshot=snapshot)
        row = portfolio_row(
            reading,
            customer=f"Customer {n:03d}",
            playbook="tool-adoption",
            failed=int(n % 7 == 0),
            today=date.today(),
            refreshed=when(time.time()),
        )
        portfolio.keep(row, reading, time.time())
        ids.append(pid)
    return ids


def session_cookie(user_id: int) -> str:
    """A signed dashboard session for `ada`, her personal token standing in for OAuth's."""
    viewer = {"id": user_id, "username": "ada", "name": "Ada", "token": "ada-token"}
    payload = {"viewer": {**viewer, "expires_at": time.time() + 7200, "refresh_token": None}}
    data = base64.b64encode(json.dumps(payload).encode())
    return TimestampSigner(SECRET).sign(data).decode()


def timed(client: httpx.Client, path: str, views: int) -> list[float]:
    found = []
    for _ in range(views):
        started = time.perf_counter()
        response = client.get(path)
        found.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
    return found


def line(name: str, values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    return f"{name:<34} median {statistics.median(ordered):7.1f} ms   p95 {p95:7.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engagements", type=int, default=200)
    parser.add_argument("--views", type=int, default=30)
    args = parser.parse_args()

    sandbox = run_in_thread(create_app(tier="premium", admin_token=TOKEN))
    workdir = Path(tempfile.mkdtemp(prefix="psdm-bench-portfolio-"))
    settings = Settings(
        gitlab_url=sandbox.url,
        gitlab_token=TOKEN,
        webhook_secrets=["bench"],
        session_secret=SECRET,
        oauth_application_id="bench",
        oauth_application_secret="bench",
    )
    store = Store(f"sqlite:///{workdir}/psdm.sqlite")
    portfolio = Portfolio(store, gitlab_reader(settings))
    app = FastAPI()
    app.state.service = Service(settings, store, portfolio)
    install_dashboard(app, settings)
    dashboard = run_in_thread(app)
    try:
        model = scaffold_one(sandbox.url, settings, store)
        ids = seed_portfolio(sandbox.url, model, portfolio, args.engagements)
        ada = httpx.get(
            f"{sandbox.url}/api/v4/users",
            params={"username": "ada"},
            headers={"PRIVATE-TOKEN": TOKEN},
        ).json()[0]["id"]
        client = httpx.Client(base_url=dashboard.url, timeout=120)
        client.cookies.set(SESSION_COOKIE, session_cookie(ada))
        first = timed(client, "/", 1)[0]
        page = client.get("/").text
        shown = page.count('class="engagement"')
        print(f"portfolio of {args.engagements} engagements, {shown} rows shown to an admin")
        print(f"{'first view (asks GitLab who reads what)':<34} {first:7.1f} ms")
        print(line("portfolio, GET /", timed(client, "/", args.views)))
        print(line("filtered, GET /?health=red", timed(client, "/?health=red", args.views)))
        print(line("engagement page", timed(client, f"/engagements/{ids[0]}", args.views)))
    finally:
        dashboard.stop()
        sandbox.stop()
        store.close()


if __name__ == "__main__":
    main()
