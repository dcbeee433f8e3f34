"""The running service keeps the portfolio current from GitLab's events, behind sign-in."""

from __future__ import annotations

import httpx

from bot.config import Settings
from bot.service.app import create_app
from bot.service.portfolio import engagement_url
from bot.service.threaded import run_in_thread
from tests.conftest import SandboxServer
from tests.dashboard.conftest import (
    PS_TEAM_GROUP,
    Dashboard,
    ps_team,
    raise_risks,
    register_application,
    sign_in,
)
from tests.service.harness import wait_for as eventually

BOT, BOT_TOKEN, SECRET = "psdm-bot", "psdm-bot-token", "portfolio-secret"


def test_events_make_the_portfolio_and_its_links(sandbox: SandboxServer, tmp_path) -> None:
    sandbox.seed(
        {
            "users": [{"username": BOT, "token": BOT_TOKEN}, {"username": "ada", "admin": True}],
            "groups": [{"path": "clients", "members": {BOT: 50}}, ps_team("ada", BOT)],
        }
    )
    settings = Settings(
        gitlab_url=sandbox.url,
        gitlab_token=BOT_TOKEN,
        webhook_secrets=[SECRET],
        database_url=f"sqlite:///{tmp_path}/psdm.sqlite",
        bot_username=BOT,
        executor_id="portfolio-test",
        session_secret="portfolio-session",
        ps_team_group=PS_TEAM_GROUP,
    )
    app = create_app(settings)
    service = run_in_thread(app)
    try:
        oauth = register_application(sandbox, f"{service.url}/auth/callback")
        settings.oauth_application_id = oauth["application_id"]
        settings.oauth_application_secret = oauth["secret"]
        settings.public_url = service.url
        gl = sandbox.gitlab()
        group = gl.groups.get("clients")
        group.hooks.create(
            {"url": f"{service.url}/webhook", "token": SECRET, "issues_events": True}
            | {"project_events": True, "milestone_events": True, "note_events": True}
        )
        ids = {}
        for name in ("acme", "globex"):
            topics = ["psdm::tool-adoption"]
            ids[name] = gl.projects.create(
                {"name": name, "path": name, "namespace_id": group.id, "topics": topics}
            ).id
        portfolio = app.state.service.portfolio
        assert eventually(lambda: len(portfolio.rows()) == 2), "scaffolds never reached the page"
        raise_risks(sandbox, "clients/globex", 3)

        def globex_red() -> bool:
            return any(r.path == "clients/globex" and r.health == "red" for r in portfolio.rows())

        assert eventually(globex_red), "the risk events never turned the engagement red"
        page = sign_in(Dashboard(service, app.state.service, sandbox), "ada").get("/").text
        assert page.index('data-project="clients/globex"') < page.index('"clients/acme"')
        url = engagement_url(settings, ids["acme"])
        assert url == f"{service.url}/engagements/{ids['acme']}"
        assert httpx.get(url, timeout=30).status_code == 303, "the link asks for sign-in"
    finally:
        service.stop()
