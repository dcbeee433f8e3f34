"""Dashboard sign-in with the GitLab instance: OAuth 2 authorization code with PKCE (Authlib).

GL:doc/api/oauth2.md: the browser goes to GitLab's `/oauth/authorize` with a state (our CSRF
token) and an S256 code challenge; GitLab sends it back to `/auth/callback` with a code that
we exchange, with the verifier and the application's secret, for the viewer's own token
(scope `read_api`). The session cookie (signed, HttpOnly, SameSite=Lax) holds who the viewer
is and their token; nothing else is kept about them. What a viewer may see is what GitLab
lets their token read: `Access` asks GitLab, with that token, and remembers the answer for a
minute. Signing out revokes the token at GitLab.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import structlog
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from bot.config import Settings

log = structlog.get_logger("psdm.auth")

SCOPE = "read_api"
SESSION_COOKIE = "psdm_session"
SESSION_SECONDS = 12 * 3600
ACCESS_SECONDS = 60.0
TIMEOUT = 15


def configured(settings: Settings) -> bool:
    return bool(settings.oauth_application_id and settings.oauth_application_secret)


def session_secret(settings: Settings) -> str:
    """The configured secret, else one derived from the OAuth secret (stable across instances)."""
    if settings.session_secret:
        return settings.session_secret
    if settings.oauth_application_secret:
        seed = "psdm-dashboard-session:" + settings.oauth_application_secret
        return hashlib.sha256(seed.encode()).hexdigest()
    return secrets.token_hex(32)


@dataclass(frozen=True)
class Viewer:
    user_id: int
    username: str
    name: str
    token: str


class SignInError(Exception):
    """Why sign-in did not complete, in words the viewer can act on."""


class GitLabSignIn:
    """The OAuth client of one service: authorize URL, code exchange, refresh, revoke, reads."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.base = settings.gitlab_url.rstrip("/")

    def _session(self, redirect_uri: str | None = None, **token: Any) -> OAuth2Session:
        return OAuth2Session(
            self.settings.oauth_application_id,
            self.settings.oauth_application_secret,
            scope=SCOPE,
            redirect_uri=redirect_uri,
            code_challenge_method="S256",
            token=token or None,
            default_timeout=TIMEOUT,
        )

    def authorize_url(self, redirect_uri: str) -> tuple[str, str, str]:
        """Where to send the browser, with the state and the PKCE verifier to keep."""
        verifier = generate_token(64)
        url, state = self._session(redirect_uri).create_authorization_url(
            f"{self.base}/oauth/authorize", code_verifier=verifier
        )
        return url, state, verifier

    def exchange(self, redirect_uri: str, code: str, verifier: str) -> dict[str, Any]:
        with self._session(redirect_uri) as client:
            token = client.fetch_token(
                f"{self.base}/oauth/token",
                grant_type="authorization_code",
                code=code,
                code_verifier=verifier,
            )
        return dict(token)

    def refresh(self, refresh_token: str) -> dict[str, Any]:
        with self._session() as client:
            token = client.refresh_token(f"{self.base}/oauth/token", refresh_token=refresh_token)
        return dict(token)

    def revoke(self, access_token: str) -> None:
        with self._session() as client:
            client.revoke_token(f"{self.base}/oauth/revoke", token=access_token)

    def get(self, token: str, path: str, **params: Any) -> Any:
        """GET `/api/v4/<path>` as the viewer; None for 404 (or 403), SignInError for 401."""
        with self._session(access_token=token, token_type="Bearer") as client:
            response = client.get(f"{self.base}/api/v4/{path}", params=params, timeout=TIMEOUT)
        if response.status_code == 401:
            raise SignInError("GitLab no longer accepts your sign-in")
        if response.status_code in (403, 404):
            return None
        response.raise_for_status()
        return response.json()

    def user(self, token: str) -> Viewer:
        found = self.get(token, "user")
        if not isinstance(found, dict) or "id" not in found:
            raise SignInError("GitLab did not say who signed in")
        return Viewer(int(found["id"]), str(found["username"]), str(found.get("name", "")), token)


class Access:
    """Which engagements' projects a viewer can read, as GitLab answers their token (cached)."""

    def __init__(self, gitlab: GitLabSignIn, seconds: float = ACCESS_SECONDS) -> None:
        self.gitlab = gitlab
        self.seconds = seconds
        self._known: dict[int, tuple[float, dict[int, bool]]] = {}
        self._lock = threading.Lock()

    def readable(self, viewer: Viewer, project_ids: Iterable[int]) -> set[int]:
        wanted = set(project_ids)
        now = time.monotonic()
        with self._lock:
            kept = self._known.get(viewer.user_id)
            answers = dict(kept[1]) if kept and now - kept[0] < self.seconds else {}
        missing = wanted - answers.keys()
        if missing:
            answers.update(self._ask(viewer, missing))
            with self._lock:
                self._known[viewer.user_id] = (now if not kept else kept[0], answers)
        return {pid for pid in wanted if answers.get(pid)}

    def forget(self, user_id: int) -> None:
        with self._lock:
            self._known.pop(user_id, None)

    def _ask(self, viewer: Viewer, missing: set[int]) -> dict[int, bool]:
        """An administrator reads every project; others: member projects in a few pages, then
        each remaining project alone (public and internal ones, or ones shared with a group)."""
        me = self.gitlab.get(viewer.token, "user")
        if isinstance(me, dict) and me.get("is_admin") is True:
            return dict.fromkeys(missing, True)
        answers: dict[int, bool] = {}
        page = 1
        while page and page <= 20:
            found = self.gitlab.get(
                viewer.token, "projects", membership="true", simple="true", per_page=100, page=page
            )
            if not isinstance(found, list):
                break
            for project in found:
                if isinstance(project, dict) and project.get("id") in missing:
                    answers[int(project["id"])] = True
            page = page + 1 if len(found) == 100 else 0
        for pid in sorted(missing - answers.keys()):
            answers[pid] = self.gitlab.get(viewer.token, f"projects/{pid}") is not None
        return answers


def _local(path: str | None) -> str:
    """Only a path on this service, never another host, is a place to return to."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path:
        return "/"
    return path


def callback_url(settings: Settings, request: Request) -> str:
    base = settings.public_url or str(request.base_url)
    return base.rstrip("/") + "/auth/callback"


def sign_in_redirect(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/auth/sign-in?next={quote(target, safe='')}", 303)


async def current_viewer(request: Request, gitlab: GitLabSignIn) -> Viewer | None:
    """The signed-in viewer, their token refreshed when it is about to expire; else None."""
    kept = request.session.get("viewer")
    if not isinstance(kept, dict):
        return None
    try:
        if float(kept.get("expires_at", 0)) < time.time() + 60 and kept.get("refresh_token"):
            token = await asyncio.to_thread(gitlab.refresh, str(kept["refresh_token"]))
            kept = {**kept, **_token_fields(token)}
            request.session["viewer"] = kept
        return Viewer(int(kept["id"]), str(kept["username"]), str(kept["name"]), kept["token"])
    except Exception as error:
        log.info("dashboard session dropped", reason=str(error))
        request.session.clear()
        return None


def _token_fields(token: dict[str, Any]) -> dict[str, Any]:
    expires = token.get("expires_at") or time.time() + float(token.get("expires_in") or 7200)
    return {
        "token": token["access_token"],
        "refresh_token": token.get("refresh_token"),
        "expires_at": float(expires),
    }


def auth_router(
    gitlab: GitLabSignIn, access: Access, page: Callable[[str, str, int], Response]
) -> APIRouter:
    """`/auth/sign-in`, `/auth/callback`, `/auth/sign-out`; `page` renders a message page."""
    router = APIRouter()
    settings = gitlab.settings

    @router.get("/auth/sign-in")
    async def sign_in(request: Request, next: str = "/") -> Response:
        if not configured(settings):
            return page("Sign-in is not configured", NOT_CONFIGURED, 503)
        url, state, verifier = gitlab.authorize_url(callback_url(settings, request))
        request.session["oauth"] = {"state": state, "verifier": verifier, "next": _local(next)}
        return RedirectResponse(url, 303)

    @router.get("/auth/callback")
    async def callback(request: Request) -> Response:
        pending = request.session.pop("oauth", None)
        params = request.query_params
        if not isinstance(pending, dict) or params.get("state") != pending.get("state"):
            return page("Sign-in expired", "Start again from the dashboard.", 400)
        if params.get("error"):
            reason = f"GitLab did not sign you in: {params['error']}."
            return page("Not signed in", reason, 403)
        try:
            token = await asyncio.to_thread(
                gitlab.exchange,
                callback_url(settings, request),
                params.get("code", ""),
                pending["verifier"],
            )
            viewer = await asyncio.to_thread(gitlab.user, token["access_token"])
        except Exception as error:
            log.warning("sign-in failed", reason=str(error))
            return page("Not signed in", "GitLab did not accept the sign-in; try again.", 403)
        request.session["viewer"] = {
            "id": viewer.user_id,
            "username": viewer.username,
            "name": viewer.name,
            **_token_fields(token),
        }
        access.forget(viewer.user_id)
        return RedirectResponse(_local(pending.get("next")), 303)

    @router.post("/auth/sign-out")
    async def sign_out(request: Request) -> Response:
        kept = request.session.get("viewer")
        request.session.clear()
        if isinstance(kept, dict) and kept.get("token"):
            access.forget(int(kept.get("id", 0)))
            try:
                await asyncio.to_thread(gitlab.revoke, str(kept["token"]))
            except Exception as error:
                log.info("token not revoked at sign-out", reason=str(error))
        return page("Signed out", "You are signed out of the dashboard.", 200)

    return router


NOT_CONFIGURED = (
    "The dashboard signs people in with GitLab. Register an OAuth application on GitLab "
    "(scope read_api, redirect URI <public URL>/auth/callback) and set "
    "PSDM_OAUTH_APPLICATION_ID, PSDM_OAUTH_APPLICATION_SECRET and PSDM_PUBLIC_URL."
)
