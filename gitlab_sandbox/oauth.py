"""GitLab as an OAuth 2 provider: instance applications, the authorization page, the token.

As GitLab documents it (GL:doc/api/oauth2.md, GL:doc/integration/oauth_provider.md,
GL:doc/api/applications.md): administrators register applications through
`/api/v4/applications`; `/oauth/authorize` hands a signed-in user's consent back to the
application's redirect URI as a one-time `code`; `/oauth/token` exchanges it (client secret
and, when the request carried a challenge, the PKCE verifier) for a bearer token of two hours
and a refresh token, and a refresh invalidates the pair it replaces (Doorkeeper's behaviour).
The access token is an ordinary token of the sandbox, so `/api/v4/user` and every other
route accept it as `Authorization: Bearer`.

The sandbox keeps no passwords and no browser session, so the authorization page asks for a
username and one of that user's tokens (seeded users get `<username>-token`); POSTing the
same form is the test hook (`login`, `password`, plus the authorization parameters).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
import weakref
from dataclasses import dataclass, field
from html import escape
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from .model import User
from .routes.common import need_admin
from .routing import Routes
from .state import State
from .web import ApiError, Ctx, Reply

api = Routes()
pages = Routes(prefix="")

ACCESS_SECONDS = 7200
GRANT_SECONDS = 600
_INVALID_GRANT = (
    "The provided authorization grant is invalid, expired, revoked, does not match the "
    "redirection URI used in the authorization request, or was issued to another client."
)
_INVALID_CLIENT = (
    "Client authentication failed due to unknown client, no client authentication included, "
    "or unsupported authentication method."
)


@dataclass
class Application:
    id: int
    uid: str
    secret: str
    name: str
    redirect_uris: list[str]
    scopes: list[str]
    confidential: bool


@dataclass
class Grant:
    code: str
    application_id: int
    user_id: int
    redirect_uri: str
    scopes: list[str]
    challenge: str | None
    method: str | None
    expires_at: float
    used: bool = False


@dataclass
class Issued:
    """One access token and the refresh token that replaces it."""

    access: str
    refresh: str
    application_id: int
    user_id: int
    scopes: list[str]
    created_at: int


@dataclass
class Provider:
    """The OAuth records of one sandbox state (gone with it at reset)."""

    generation: int
    applications: dict[int, Application] = field(default_factory=dict)
    grants: dict[str, Grant] = field(default_factory=dict)
    issued: dict[str, Issued] = field(default_factory=dict)
    """By refresh token."""
    next_id: int = 1


_providers: weakref.WeakKeyDictionary[State, Provider] = weakref.WeakKeyDictionary()


def provider(state: State) -> Provider:
    found = _providers.get(state)
    if found is None or found.generation != state.generation:
        found = Provider(state.generation)
        _providers[state] = found
    return found


@dataclass
class Page(Reply):
    """An HTML page or a redirect, where GitLab answers a browser rather than an API client."""

    location: str | None = None

    def response(self) -> Response:
        if self.location is not None:
            return RedirectResponse(self.location, 302)
        return HTMLResponse(str(self.body), self.status)


def _oauth_error(status: int, error: str, description: str) -> Reply:
    return Reply({"error": error, "error_description": description}, status)


def _with_query(url: str, **values: str) -> str:
    parts = urlsplit(url)
    query = "&".join(q for q in (parts.query, urlencode(values)) if q)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


# -- applications (administrators only) ------------------------------------------------------


def _application(app: Application, *, secret: bool) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": app.id,
        "application_id": app.uid,
        "application_name": app.name,
        "callback_url": "\n".join(app.redirect_uris),
        "confidential": app.confidential,
    }
    if secret:
        data["secret"] = app.secret
    return data


def create_application(ctx: Ctx) -> dict[str, Any]:
    need_admin(ctx)
    p = ctx.params
    p.require("name", "redirect_uri")
    if not p.has("scopes"):
        raise ApiError(400, "scopes is missing", key="error")
    store = provider(ctx.state)
    uris = (p.str("redirect_uri") or "").split()
    if any(urlsplit(uri).scheme not in ("http", "https") for uri in uris):
        raise ApiError(400, {"redirect_uri": ["must be an absolute URI."]})
    app = Application(
        store.next_id,
        secrets.token_hex(32),
        "gloas-" + secrets.token_hex(32),
        p.str("name") or "",
        uris,
        (p.str("scopes") or "").replace(",", " ").split(),
        bool(p.bool("confidential", True)),
    )
    store.next_id += 1
    store.applications[app.id] = app
    return _application(app, secret=True)


def list_applications(ctx: Ctx) -> list[dict[str, Any]]:
    need_admin(ctx)
    apps = provider(ctx.state).applications.values()
    return [_application(app, secret=False) for app in apps]


def delete_application(ctx: Ctx) -> Reply:
    need_admin(ctx)
    store = provider(ctx.state)
    app = store.applications.pop(ctx.path_int("app_id"), None)
    if app is None:
        raise ApiError(404, "404 Application Not Found")
    for refresh, issued in list(store.issued.items()):
        if issued.application_id == app.id:
            _revoke(ctx.state, store, refresh)
    return Reply(None, 204)


# -- the authorization page ------------------------------------------------------------------

_FIELDS = (
    "client_id",
    "redirect_uri",
    "response_type",
    "state",
    "scope",
    "code_challenge",
    "code_challenge_method",
)


def _form(ctx: Ctx, app: Application, problem: str = "", status: int = 200) -> Page:
    hidden = "".join(
        f'<input type="hidden" name="{name}" value="{escape(ctx.params.str(name) or "")}">'
        for name in _FIELDS
    )
    note = f'<p role="alert">{escape(problem)}</p>' if problem else ""
    body = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        "<title>Authorize application - GitLab sandbox</title></head><body><main>"
        f"<h1>Authorize {escape(app.name)} to use your account?</h1>{note}"
        f'<form method="post" action="/oauth/authorize">{hidden}'
        '<label>Username <input name="login" autocomplete="username"></label> '
        '<label>Password (a token of yours) <input name="password" type="password"></label> '
        '<button type="submit" name="decision" value="authorize">Authorize</button> '
        '<button type="submit" name="decision" value="deny">Deny</button>'
        "</form></main></body></html>"
    )
    return Page(body, status)


def _error_page(message: str) -> Page:
    body = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>An error has '
        f"occurred</title></head><body><main><h1>An error has occurred</h1><p>{escape(message)}"
        "</p></main></body></html>"
    )
    return Page(body, 400)


def _authorization(ctx: Ctx) -> tuple[Application, str] | Page:
    """The application and redirect URI, or the page GitLab shows instead of redirecting."""
    p = ctx.params
    store = provider(ctx.state)
    app = next((a for a in store.applications.values() if a.uid == p.str("client_id")), None)
    if app is None:
        return _error_page(_INVALID_CLIENT)
    redirect = p.str("redirect_uri") or (app.redirect_uris[0] if app.redirect_uris else "")
    if redirect not in app.redirect_uris:
        return _error_page("The redirect URI included is not valid.")
    return app, redirect


def _refusal(ctx: Ctx, app: Application, redirect: str, error: str) -> Page | None:
    """The error GitLab sends back to the application's redirect URI, if any."""
    p = ctx.params
    scopes = (p.str("scope") or "").split()
    if p.str("response_type") != "code":
        reason = "unsupported_response_type"
    elif any(s not in app.scopes for s in scopes):
        reason = "invalid_scope"
    elif p.str("code_challenge_method") not in (None, "", "plain", "S256"):
        reason = "invalid_request"
    elif error:
        reason = error
    else:
        return None
    query = {"error": reason}
    if p.has("state"):
        query["state"] = p.str("state") or ""
    return Page(None, 302, location=_with_query(redirect, **query))


def authorize_page(ctx: Ctx) -> Page:
    found = _authorization(ctx)
    if isinstance(found, Page):
        return found
    app, redirect = found
    return _refusal(ctx, app, redirect, "") or _form(ctx, app)


def _signed_in(state: State, login: str, password: str) -> User | None:
    user = state.user_by_username(login)
    record = state.tokens.get(password)
    if user is None or record is None or record.revoked or record.user_id != user.id:
        return None
    return user if user.state == "active" else None


def authorize(ctx: Ctx) -> Page:
    found = _authorization(ctx)
    if isinstance(found, Page):
        return found
    app, redirect = found
    p = ctx.params
    denied = "access_denied" if p.str("decision") == "deny" else ""
    refused = _refusal(ctx, app, redirect, denied)
    if refused is not None:
        return refused
    user = _signed_in(ctx.state, p.str("login") or "", p.str("password") or "")
    if user is None:
        return _form(ctx, app, "Invalid login or password.", 401)
    grant = Grant(
        secrets.token_hex(32),
        app.id,
        user.id,
        redirect,
        (p.str("scope") or " ".join(app.scopes)).split(),
        p.str("code_challenge") or None,
        p.str("code_challenge_method") or None,
        time.time() + GRANT_SECONDS,
    )
    provider(ctx.state).grants[grant.code] = grant
    query = {"code": grant.code}
    if p.has("state"):
        query["state"] = p.str("state") or ""
    return Page(None, 302, location=_with_query(redirect, **query))


# -- tokens ----------------------------------------------------------------------------------


def _client(ctx: Ctx, request: Request) -> Application | None:
    """The application authenticated by HTTP Basic or by `client_id`/`client_secret` fields."""
    uid, secret = ctx.params.str("client_id"), ctx.params.str("client_secret")
    header = request.headers.get("authorization", "")
    if header[:6].lower() == "basic ":
        try:
            uid, _, secret = base64.b64decode(header[6:]).decode().partition(":")
        except ValueError:
            return None
    apps = provider(ctx.state).applications.values()
    app = next((a for a in apps if a.uid == uid), None)
    if app is None:
        return None
    if secret is None and not app.confidential:
        return app
    return app if secret is not None and hmac.compare_digest(secret, app.secret) else None


def _verified(grant: Grant, verifier: str | None) -> bool:
    if grant.challenge is None:
        return True
    if not verifier:
        return False
    if grant.method == "S256":
        digest = hashlib.sha256(verifier.encode()).digest()
        computed = base64.urlsafe_b64encode(digest).decode().rstrip("=")
    else:
        computed = verifier
    return hmac.compare_digest(computed, grant.challenge)


def _issue(state: State, store: Provider, app_id: int, user_id: int, scopes: list[str]) -> Reply:
    access, refresh = secrets.token_hex(32), secrets.token_hex(32)
    state.add_token(user_id, "oauth", scopes, access)
    issued = Issued(access, refresh, app_id, user_id, scopes, int(time.time()))
    store.issued[refresh] = issued
    body = {
        "access_token": access,
        "token_type": "Bearer",
        "expires_in": ACCESS_SECONDS,
        "refresh_token": refresh,
        "scope": " ".join(scopes),
        "created_at": issued.created_at,
    }
    return Reply(body, 200, {"Cache-Control": "no-store", "Pragma": "no-cache"})


def _revoke(state: State, store: Provider, refresh: str) -> None:
    issued = store.issued.pop(refresh, None)
    if issued is not None and issued.access in state.tokens:
        state.tokens[issued.access].revoked = True


def token(ctx: Ctx) -> Reply:
    app = _client(ctx, ctx.request)
    if app is None:
        return _oauth_error(401, "invalid_client", _INVALID_CLIENT)
    p = ctx.params
    store = provider(ctx.state)
    kind = p.str("grant_type")
    if kind == "authorization_code":
        grant = store.grants.get(p.str("code") or "")
        if (
            grant is None
            or grant.used
            or grant.application_id != app.id
            or grant.expires_at < time.time()
            or grant.redirect_uri != (p.str("redirect_uri") or grant.redirect_uri)
            or not _verified(grant, p.str("code_verifier"))
        ):
            return _oauth_error(400, "invalid_grant", _INVALID_GRANT)
        grant.used = True
        return _issue(ctx.state, store, app.id, grant.user_id, grant.scopes)
    if kind == "refresh_token":
        issued = store.issued.get(p.str("refresh_token") or "")
        if issued is None or issued.application_id != app.id:
            return _oauth_error(400, "invalid_grant", _INVALID_GRANT)
        _revoke(ctx.state, store, issued.refresh)
        return _issue(ctx.state, store, app.id, issued.user_id, issued.scopes)
    return _oauth_error(
        400,
        "unsupported_grant_type",
        "The authorization grant type is not supported by the authorization server.",
    )


def revoke(ctx: Ctx) -> Reply:
    """RFC 7009: an unknown token is no error; the answer is always an empty object."""
    if _client(ctx, ctx.request) is None:
        return _oauth_error(401, "invalid_client", _INVALID_CLIENT)
    store = provider(ctx.state)
    value = ctx.params.str("token") or ""
    for refresh, issued in list(store.issued.items()):
        if value in (issued.access, issued.refresh):
            _revoke(ctx.state, store, refresh)
    return Reply({}, 200)


# Registered here rather than by decorator: the route table's helpers are untyped.
api.add("POST", "/applications", 200, None)(create_application)
api.add("GET", "/applications", 200, None)(list_applications)
api.add("DELETE", "/applications/{app_id}", 204, None)(delete_application)
pages.add("GET", "/oauth/authorize", 200, None)(authorize_page)
pages.add("POST", "/oauth/authorize", 302, None)(authorize)
pages.add("POST", "/oauth/token", 200, None)(token)
pages.add("POST", "/oauth/revoke", 200, None)(revoke)
