"""The dashboard on its own app, over a real store, with the sandbox as GitLab and OAuth provider.

`dashboard` serves `install_dashboard` with an OAuth application registered on the sandbox
(redirect URI: the dashboard's own callback); `sign_in` walks the authorization code flow as
a browser would (dashboard -> sandbox authorization form -> callback) and returns the client
holding the session cookie.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from bot.config import Settings
from bot.engine.apply import apply
from bot.engine.diff import diff
from bot.gitlab import connect
from bot.gitlab.engagement import facts_of
from bot.gitlab.snapshot import engagement_blueprint
from bot.playbook.blueprint import Blueprint
from bot.service.dashboard import install_dashboard
from bot.service.portfolio import Portfolio, gitlab_reader
from bot.service.store import Engagement, Store
from bot.service.threaded import RunningServer, run_in_thread
from tests.conftest import SandboxServer

PS_TEAM_GROUP = "ps-team"
"""The PS team's group in the dashboard tests: its members see the internal view."""


def ps_team(*members: str) -> dict[str, Any]:
    """A seed entry for the PS team's group with these members (Developer)."""
    return {"path": PS_TEAM_GROUP, "members": dict.fromkeys(members, 30)}


@dataclass
class Service:
    settings: Settings
    store: Store
    portfolio: Portfolio


@dataclass
class Dashboard:
    running: RunningServer
    service: Service
    sandbox: SandboxServer

    @property
    def url(self) -> str:
        return self.running.url

    @property
    def portfolio(self) -> Portfolio:
        return self.service.portfolio


def scaffold(
    sandbox: SandboxServer, store: Store, path: str, variables: dict[str, str] | None = None
) -> Blueprint:
    """Create `path` with the psdm::tool-adoption topic, apply it, record it as the service does."""
    gl = sandbox.gitlab()
    group, _, name = path.partition("/")
    namespace = gl.groups.list(search=group)
    group_id = namespace[0].id if namespace else gl.groups.create({"name": group, "path": group}).id
    gl.projects.create(
        {"name": name, "path": name, "namespace_id": group_id, "topics": ["psdm::tool-adoption"]}
    )
    port = connect(sandbox.url, sandbox.token, path)
    facts = facts_of(port.load())
    chosen = {"customer": facts.name, "start_date": facts.created.isoformat(), **(variables or {})}
    blueprint = engagement_blueprint(facts, "tool-adoption", chosen)
    assert apply(diff(blueprint, port.read_live(blueprint)), port).ok
    store.save_engagement(Engagement(facts.id, path, "tool-adoption", chosen))
    return blueprint


def raise_risks(sandbox: SandboxServer, path: str, count: int, priority: str = "High") -> None:
    """Open `count` risks of this priority on the engagement's RAID log."""
    project = sandbox.gitlab().projects.get(path)
    for n in range(count):
        project.issues.create(
            {
                "title": f"Risk {n + 1}: the customer's runners are not ready",
                "labels": f"PS Risk,PS RAID Log,PS:: Priority {priority}",
            }
        )


def register_application(sandbox: SandboxServer, redirect_uri: str) -> dict[str, Any]:
    response = httpx.post(
        f"{sandbox.url}/api/v4/applications",
        headers={"PRIVATE-TOKEN": sandbox.token},
        data={"name": "psdm-bot dashboard", "redirect_uri": redirect_uri, "scopes": "read_api"},
        timeout=30,
    )
    response.raise_for_status()
    return response.json()


def hidden_fields(page: str) -> dict[str, str]:
    found = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page)
    return {name: html.unescape(value) for name, value in found}


def sign_in(dashboard: Dashboard, username: str, password: str | None = None) -> httpx.Client:
    """Sign in as `username` (password: their seeded token) the way a browser does."""
    client = httpx.Client(base_url=dashboard.url, timeout=60)
    start = client.get("/auth/sign-in", params={"next": "/"})
    assert start.status_code == 303, start.text
    form = client.get(start.headers["location"])
    assert form.status_code == 200, form.text
    fields = {**hidden_fields(form.text), "login": username, "decision": "authorize"}
    fields["password"] = password or f"{username}-token"
    approved = client.post(f"{dashboard.sandbox.url}/oauth/authorize", data=fields)
    assert approved.status_code == 302, approved.text
    back = client.get(approved.headers["location"])
    assert back.status_code == 303, back.text
    return client


@pytest.fixture
def dashboard(sandbox: SandboxServer, tmp_path) -> Iterator[Dashboard]:
    settings = Settings(
        gitlab_url=sandbox.url,
        gitlab_token=sandbox.token,
        webhook_secrets=["dashboard-test"],
        session_secret="dashboard-test-session",
        ps_team_group=PS_TEAM_GROUP,
    )
    store = Store(f"sqlite:///{tmp_path}/psdm.sqlite")
    app = FastAPI()
    app.state.service = Service(settings, store, Portfolio(store, gitlab_reader(settings)))
    install_dashboard(app, settings)
    running = run_in_thread(app)
    application = register_application(sandbox, f"{running.url}/auth/callback")
    settings.oauth_application_id = application["application_id"]
    settings.oauth_application_secret = application["secret"]
    settings.public_url = running.url
    try:
        yield Dashboard(running, app.state.service, sandbox)
    finally:
        running.stop()
        store.close()


@pytest.fixture
def two_customers(dashboard: Dashboard) -> dict[str, int]:
    """Acme (green) and Globex (red: three high risks); alice reads only Acme, root both."""
    dashboard.sandbox.seed(
        {
            "users": [{"username": "alice"}, {"username": "bob"}],
            "groups": [
                {"path": "acme", "members": {"alice": 30}},
                {"path": "globex", "members": {"bob": 30}},
            ],
        }
    )
    store = dashboard.service.store
    scaffold(dashboard.sandbox, store, "acme/portal", {"customer": "Acme Corp"})
    globex = {"customer": "Globex", "business_outcomes": "Repositories migrated: 120"}
    scaffold(dashboard.sandbox, store, "globex/platform", globex)
    raise_risks(dashboard.sandbox, "globex/platform", 3)
    dashboard.portfolio.refresh_all()
    gl = dashboard.sandbox.gitlab()
    return {
        "acme": gl.projects.get("acme/portal").id,
        "globex": gl.projects.get("globex/platform").id,
    }
