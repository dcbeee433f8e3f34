"""The signed-in dashboard: the portfolio (`GET /`) and a page per engagement.

Server-rendered (Jinja2, autoescaped, no script). Nothing shows before sign-in; each viewer
sees the engagements whose projects GitLab lets them read. Pages read the portfolio snapshot
(bot/service/portfolio.py), never GitLab's objects or stored payloads on request.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from starlette.middleware.sessions import SessionMiddleware

from bot.config import Settings
from bot.report.pages import SORTS, Filters, engagement_view, portfolio_view
from bot.service.audience import Team
from bot.service.auth import (
    NOT_CONFIGURED,
    SESSION_COOKIE,
    SESSION_SECONDS,
    Access,
    GitLabSignIn,
    Sessions,
    SignInError,
    Viewer,
    auth_router,
    configured,
    current_viewer,
    session_secret,
    sign_in_redirect,
)
from bot.service.portfolio import Portfolio, when

SHOWN_FAILURES = 20

_templates = Environment(
    loader=PackageLoader("bot.service", "templates"),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
)


def _page(name: str, status: int = 200, **values: object) -> HTMLResponse:
    html = _templates.get_template(name).render(now=when(time.time()), **values)
    headers = {
        "Cache-Control": "no-store",
        "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
    }
    return HTMLResponse(html, status, headers)


def message(title: str, text: str, status: int = 200, viewer: Viewer | None = None) -> HTMLResponse:
    return _page("message.html", status, title=title, text=text, viewer=viewer)


def _filters(request: Request) -> Filters:
    q = request.query_params
    health = q.get("health", "")
    sort = q.get("sort", "health")
    return Filters(
        health=health if health in ("green", "amber", "red", "closed") else "",
        phase=q.get("phase", "")[:200],
        playbook=q.get("playbook", "")[:200],
        sort=sort if sort in SORTS else "health",
        descending=q.get("order") == "desc",
    )


def _customer_sort(sort: str) -> str:
    return "customer" if sort == "health" else sort


def dashboard_router(settings: Settings) -> APIRouter:
    gitlab = GitLabSignIn(settings)
    # Two caches: the portfolio asks about every engagement, so its answers would make a
    # hidden engagement's page answer faster than a missing one's; the engagement page keeps
    # only answers it asked itself, for any id asked (issue 23, item 4).
    portfolio_access = Access(gitlab)
    page_access = Access(gitlab)
    sessions = Sessions(session_secret(settings))
    team = Team(settings)
    router = APIRouter()
    router.include_router(auth_router(gitlab, (portfolio_access, page_access), sessions, message))

    async def signed_in(request: Request) -> Viewer | Response:
        if not configured(settings):
            return message("Sign-in is not configured", NOT_CONFIGURED, 503)
        viewer = await current_viewer(request, gitlab, sessions)
        return viewer if viewer is not None else sign_in_redirect(request)

    async def readable(
        request: Request, viewer: Viewer, ids: list[int], access: Access
    ) -> set[int] | Response:
        try:
            return await asyncio.to_thread(access.readable, viewer, ids)
        except SignInError:
            request.session.clear()
            return sign_in_redirect(request)

    async def internal(viewer: Viewer) -> bool:
        """Whether the viewer is of the PS team (the internal view), else the customer view."""
        return await asyncio.to_thread(team.audience, viewer.user_id) == "internal"

    @router.get("/", response_class=HTMLResponse)
    async def portfolio_page(request: Request) -> Response:
        viewer = await signed_in(request)
        if isinstance(viewer, Response):
            return viewer
        inside = await internal(viewer)
        portfolio: Portfolio = request.app.state.service.portfolio
        rows = await asyncio.to_thread(portfolio.rows)
        allowed = await readable(request, viewer, [r.project_id for r in rows], portfolio_access)
        if isinstance(allowed, Response):
            return allowed
        mine = [r for r in rows if r.project_id in allowed]
        ids = sorted(allowed)
        failures = await asyncio.to_thread(
            portfolio.activity, ids, failed=True, limit=SHOWN_FAILURES
        )
        failed = await asyncio.to_thread(portfolio.failed_by_project)
        filters = _filters(request)
        if not inside:  # health is the PS team's: neither filtered nor sorted on for others
            filters = replace(filters, health="", sort=_customer_sort(filters.sort))
        return _page(
            "portfolio.html",
            view=portfolio_view(mine, filters),
            failures=failures if inside else [],
            failed_total=sum(n for pid, n in failed.items() if pid in allowed),
            viewer=viewer,
            gitlab_url=settings.gitlab_url,
            internal=inside,
        )

    @router.get("/engagements/{project_id}", response_class=HTMLResponse)
    async def engagement_page(request: Request, project_id: str) -> Response:
        viewer = await signed_in(request)
        if isinstance(viewer, Response):
            return viewer
        if not project_id.isdigit() or len(project_id) > 12:
            return message("Not found", "There is no such engagement.", 404, viewer)
        pid = int(project_id)
        portfolio: Portfolio = request.app.state.service.portfolio
        kept = await asyncio.to_thread(portfolio.engagement, pid)
        # GitLab is asked about the project whether an engagement exists or not, so a hidden
        # engagement and a missing one cost the same and answer alike (issue 23, item 4).
        allowed = await readable(request, viewer, [pid], page_access)
        if isinstance(allowed, Response):
            return allowed
        if kept is None or pid not in allowed:
            # The same answer whether the engagement is missing or hidden, as GitLab does.
            text = "There is no such engagement, or you cannot read it."
            return message("Not found", text, 404, viewer)
        row, reading = kept
        inside = await internal(viewer)
        activity = await asyncio.to_thread(portfolio.activity, [pid]) if inside else []
        failed = await asyncio.to_thread(portfolio.failed_count, pid) if inside else 0
        today = portfolio.clock.today()
        view = engagement_view(reading, row, activity, failed, today, inside) if reading else None
        return _page("engagement.html", row=row, view=view, viewer=viewer, internal=inside)

    return router


def install_dashboard(app: FastAPI, settings: Settings) -> None:
    """The dashboard's routes and the signed session cookie they rely on (it carries the
    session's opaque id, and the sign-in's state while GitLab is asked)."""
    https = bool(settings.public_url and settings.public_url.startswith("https://"))
    app.add_middleware(
        SessionMiddleware,
        secret_key=session_secret(settings),
        session_cookie=SESSION_COOKIE,
        max_age=SESSION_SECONDS,
        same_site="lax",
        https_only=https,
    )
    app.include_router(dashboard_router(settings))
