"""Dashboard sign-in with the GitLab instance: OAuth 2 authorization code with PKCE (Authlib).

GL:doc/api/oauth2.md: the browser goes to GitLab's `/oauth/authorize` with a state (our CSRF
token) and an S256 code challenge; GitLab sends it back to `/auth/callback` with a code that
we exchange, with the verifier and the application's secret, for the viewer's own token
(scope `read_api`). The session lives in the service's database (`Sessions`): the cookie
(signed, HttpOnly, SameSite=Lax) carries only an opaque random id, and the viewer's tokens are
stored encrypted. What a viewer may see is what GitLab lets their token read: `Access` asks
GitLab, with that token, and remembers each answer for a minute. Signing out ends the session
on the server (every copy of the cookie dies with it) and revokes the token at GitLab.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import structlog
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from cryptography.fernet import Fernet, InvalidToken
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from bot.config import Settings

if TYPE_CHECKING:
    from bot.service.store import Store

log = structlog.get_logger("psdm.auth")

SCOPE = "read_api"
SESSION_COOKIE = "psdm_session"
SESSION_SECONDS = 12 * 3600
ACCESS_SECONDS = 60.0
ACCESS_ANSWERS = 20_000
"""Answers (viewer, project) the access cache keeps at most; the oldest go first."""
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


class Sessions:
    """Dashboard sessions kept in the service's database; the cookie holds an opaque id only.

    A session row is found by the SHA-256 of its id, and holds the viewer's GitLab tokens
    encrypted with Fernet (`cryptography`: AES-CBC and HMAC-SHA256) under a key derived from
    the session secret; the database alone signs nobody in and shows no token. A session
    ends SESSION_SECONDS after sign-in, or at sign-out for every copy of its cookie.
    """

    def __init__(self, secret: str, clock: Callable[[], float] = time.time) -> None:
        digest = hashlib.sha256(b"psdm-dashboard-tokens:" + secret.encode()).digest()
        self.fernet = Fernet(base64.urlsafe_b64encode(digest))
        self.clock = clock

    def open(self, store: Store, record: dict[str, Any]) -> str:
        """A new session for `record` (who signed in, their tokens); its id for the cookie."""
        session_id = secrets.token_urlsafe(32)
        self.save(store, session_id, {**record, "ends_at": self.clock() + SESSION_SECONDS})
        return session_id

    def save(self, store: Store, session_id: str, record: dict[str, Any]) -> None:
        sealed = self.fernet.encrypt(json.dumps(record).encode()).decode()
        store.save_session(_key(session_id), int(record["id"]), sealed, float(record["ends_at"]))

    def record(self, store: Store, session_id: str) -> dict[str, Any] | None:
        """The live session's record, or None (unknown, ended, or sealed with another key)."""
        sealed = store.session(_key(session_id), self.clock())
        if sealed is None:
            return None
        try:
            found = json.loads(self.fernet.decrypt(sealed.encode()))
        except (InvalidToken, ValueError):
            return None
        return found if isinstance(found, dict) else None

    def close(self, store: Store, session_id: str) -> None:
        store.drop_session(_key(session_id))


def _key(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


class Access:
    """Which engagements' projects a viewer can read, as GitLab answers their token.

    Each answer (viewer, project) is kept `seconds` from when GitLab gave it, then asked
    again; at most ACCESS_ANSWERS answers are kept.
    """

    def __init__(
        self,
        gitlab: GitLabSignIn,
        seconds: float = ACCESS_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.gitlab = gitlab
        self.seconds = seconds
        self.clock = clock
        self._known: OrderedDict[tuple[int, int], tuple[float, bool]] = OrderedDict()
        self._lock = threading.Lock()

    def readable(self, viewer: Viewer, project_ids: Iterable[int]) -> set[int]:
        wanted = set(project_ids)
        now = self.clock()
        answers: dict[int, bool] = {}
        with self._lock:
            for pid in wanted:
                kept = self._known.get((viewer.user_id, pid))
                if kept is not None and now - kept[0] < self.seconds:
                    answers[pid] = kept[1]
        missing = wanted - answers.keys()
        if missing:
            asked = self._ask(viewer, missing)
            answers.update(asked)
            with self._lock:
                for pid, answer in asked.items():
                    self._known[(viewer.user_id, pid)] = (now, answer)
                    self._known.move_to_end((viewer.user_id, pid))
                while len(self._known) > ACCESS_ANSWERS:
                    self._known.popitem(last=False)
        return {pid for pid in wanted if answers.get(pid)}

    def forget(self, user_id: int) -> None:
        with self._lock:
            for key in [key for key in self._known if key[0] == user_id]:
                del self._known[key]

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


async def current_viewer(
    request: Request, gitlab: GitLabSignIn, sessions: Sessions
) -> Viewer | None:
    """The signed-in viewer, their token refreshed when it is about to expire; else None."""
    session_id = request.session.get("sid")
    if not isinstance(session_id, str):
        return None
    store = _store(request)
    kept = await asyncio.to_thread(sessions.record, store, session_id)
    if kept is None:
        request.session.clear()
        return None
    try:
        if float(kept.get("expires_at", 0)) < time.time() + 60 and kept.get("refresh_token"):
            token = await asyncio.to_thread(gitlab.refresh, str(kept["refresh_token"]))
            kept = {**kept, **_token_fields(token)}
            await asyncio.to_thread(sessions.save, store, session_id, kept)
        return Viewer(int(kept["id"]), str(kept["username"]), str(kept["name"]), kept["token"])
    except Exception as error:
        log.info("dashboard session dropped", reason=str(error))
        await asyncio.to_thread(sessions.close, store, session_id)
        request.session.clear()
        return None


def _store(request: Request) -> Store:
    store: Store = request.app.state.service.store
    return store


def _token_fields(token: dict[str, Any]) -> dict[str, Any]:
    expires = token.get("expires_at") or time.time() + float(token.get("expires_in") or 7200)
    return {
        "token": token["access_token"],
        "refresh_token": token.get("refresh_token"),
        "expires_at": float(expires),
    }


def auth_router(
    gitlab: GitLabSignIn,
    caches: Iterable[Access],
    sessions: Sessions,
    page: Callable[[str, str, int], Response],
) -> APIRouter:
    """`/auth/sign-in`, `/auth/callback`, `/auth/sign-out`; `page` renders a message page."""
    router = APIRouter()
    settings = gitlab.settings
    caches = tuple(caches)

    def forget(user_id: int) -> None:
        for access in caches:
            access.forget(user_id)

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
        record = {
            "id": viewer.user_id,
            "username": viewer.username,
            "name": viewer.name,
            **_token_fields(token),
        }
        session_id = await asyncio.to_thread(sessions.open, _store(request), record)
        request.session.clear()
        request.session["sid"] = session_id
        forget(viewer.user_id)
        return RedirectResponse(_local(pending.get("next")), 303)

    @router.post("/auth/sign-out")
    async def sign_out(request: Request) -> Response:
        session_id = request.session.get("sid")
        request.session.clear()
        kept = None
        if isinstance(session_id, str):
            kept = await asyncio.to_thread(sessions.record, _store(request), session_id)
            await asyncio.to_thread(sessions.close, _store(request), session_id)
        if isinstance(kept, dict) and kept.get("token"):
            forget(int(kept.get("id", 0)))
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
