"""The dashboard router on its own app, over a real store and the sandbox as GitLab."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi import FastAPI

from bot.config import Settings
from bot.engine.apply import apply
from bot.engine.diff import diff
from bot.gitlab import connect
from bot.gitlab.engagement import facts_of
from bot.gitlab.snapshot import engagement_blueprint
from bot.playbook.blueprint import Blueprint
from bot.service.dashboard import dashboard_router
from bot.service.store import DISPATCHED, Delivery, Engagement, Store
from bot.service.threaded import RunningServer, run_in_thread


@dataclass
class Workflows:
    """Stands in for the durable side: the status each delivery's workflow reached."""

    statuses: dict[str, str] = field(default_factory=dict)

    def status(self, key: str) -> str | None:
        return self.statuses.get(key)


@dataclass
class Service:
    settings: Settings
    store: Store
    durable: Workflows


@dataclass
class Dashboard:
    running: RunningServer
    service: Service
    sandbox: Any

    @property
    def url(self) -> str:
        return self.running.url

    def deliver(self, key: str, kind: str, payload: dict[str, Any], status: str | None) -> None:
        """Record a delivery as the intake would, and the outcome of its workflow."""
        store = self.service.store
        store.record([Delivery(key, None, kind, "p", None, json.dumps(payload))])
        if status:
            store.mark([key], DISPATCHED)
            self.service.durable.statuses[key] = status


def scaffold(sandbox: Any, store: Store, path: str) -> Blueprint:
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
    blueprint = engagement_blueprint(facts)
    assert apply(diff(blueprint, port.read_live(blueprint)), port).ok
    variables = {"customer": facts.name, "start_date": facts.created.isoformat()}
    store.save_engagement(Engagement(facts.id, path, "tool-adoption", variables))
    return blueprint


@pytest.fixture
def dashboard(sandbox, tmp_path) -> Iterator[Dashboard]:
    settings = Settings(
        gitlab_url=sandbox.url, gitlab_token=sandbox.token, webhook_secrets=["dashboard-test"]
    )
    store = Store(f"sqlite:///{tmp_path}/psdm.sqlite")
    app = FastAPI()
    app.state.service = Service(settings, store, Workflows())
    app.include_router(dashboard_router())
    running = run_in_thread(app)
    try:
        yield Dashboard(running, app.state.service, sandbox)
    finally:
        running.stop()
        store.close()
