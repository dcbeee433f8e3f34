"""The sandbox application: route table, authentication, faults, statistics and hook hand-off."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from typing import NamedTuple
from urllib.parse import unquote

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route as StarletteRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from . import clock, events_log, oauth, versions
from .faults import Faults
from .graphql import api as graphql_api
from .model import User
from .ratelimits import RateLimiter, Verdict
from .render import Render
from .routes import (
    badges,
    boards,
    controls,
    custom_attributes,
    discussions,
    dora,
    empty,
    epics,
    events,
    groups,
    hooks,
    instance,
    issues,
    iterations,
    label_promotion,
    labels,
    links,
    members,
    meta,
    milestone_promotion,
    milestones,
    moves,
    notes,
    notification_settings,
    projects,
    repository_files,
    resource_events,
    timetracking,
    topics,
    uploads,
    user_extras,
    users,
)
from .routing import Route
from .state import State
from .stats import Stats
from .tiers import DEFAULT_TIER, check_tier
from .versions import check_flags
from .web import ApiError, Ctx, Params, Reply, error_response
from .webhooks.delivery import Deliverer
from .webhooks.emitter import Emitter

DEFAULT_ADMIN_TOKEN = "sandbox-root-token"
log = logging.getLogger("gitlab_sandbox")
CONTROL_PREFIX = "/-/sandbox"


class Sandbox:
    """One running stand-in: its state plus the machinery around it."""

    def __init__(
        self,
        tier: str,
        admin_token: str,
        base_url: str | None,
        gitlab_version: str,
        rate_limits: str | None,
        feature_flags: Iterable[str] = (),
        hook_hosts: Iterable[str] = (),
    ) -> None:
        self.state = State(tier, admin_token, gitlab_version)
        self.state.feature_flags = check_flags(feature_flags)
        self.limiter = RateLimiter(rate_limits, self.state.clock.time)
        self.initial = (self.state.tier, self.state.version, rate_limits, self.state.feature_flags)
        self.base_url = base_url.rstrip("/") if base_url else None
        self.faults = Faults()
        self.stats = Stats()
        self.deliverer = Deliverer(self.state, hook_hosts=hook_hosts)

    def reset(
        self,
        tier: str | None = None,
        gitlab_version: str | None = None,
        rate_limits: str | None = None,
        feature_flags: Iterable[str] | None = None,
    ) -> None:
        """Forget everything; tier, version, rate limits and feature flags are the given ones or
        those of the start (`rate_limits="none"` turns them off)."""
        with self.state.lock:
            self.state.tier = check_tier(tier) if tier is not None else self.initial[0]
            self.state.version = (
                versions.parse(gitlab_version) if gitlab_version is not None else self.initial[1]
            )
            self.state.clear()
            self.deliverer.delivered = self.deliverer.failed = 0
            self.state.feature_flags = (
                self.initial[3] if feature_flags is None else check_flags(feature_flags)
            )
            profile = self.initial[2] if rate_limits is None else rate_limits
            self.limiter = RateLimiter(
                None if profile == "none" else profile, self.state.clock.time
            )
            self.state.clock.reset()
        self.stats.clear()
        self.faults.clear()


class EncodedSlashes:
    """Route on the raw path so `/projects/group%2Fproject` keeps its encoded slash as one id."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        raw = scope.get("raw_path") if scope["type"] == "http" else None
        if raw and b"%2f" in raw.lower():
            pieces = re.split("%2[fF]", raw.split(b"?", 1)[0].decode("latin-1"))
            scope = dict(scope, path="%2F".join(unquote(piece) for piece in pieces))
        await self.app(scope, receive, send)


class Caller(NamedTuple):
    """Who a request acts as, whether through a job token, and who owns the token used."""

    user: User | None
    job: bool
    owner_id: int | None


def authenticate(state: State, request: Request, params: Params) -> Caller:
    """The user behind PRIVATE-TOKEN, a Bearer token or JOB-TOKEN (and Sudo for admins)."""
    headers = request.headers
    job = False
    token = headers.get("private-token") or params.str("private_token")
    if not token:
        authorization = headers.get("authorization", "")
        if authorization[:7].lower() == "bearer ":
            token = authorization[7:].strip()
        else:
            token = params.str("access_token")
    if not token:
        token = headers.get("job-token") or params.str("job_token")
        job = bool(token)
    if not token:
        return Caller(None, False, None)
    record = state.tokens.get(token)
    today = state.clock.now().date()
    if record is None or record.revoked or (record.expires_at and record.expires_at < today):
        raise ApiError(401, "401 Unauthorized")
    user = state.users.get(record.user_id)
    if user is None:
        raise ApiError(401, "401 Unauthorized")
    if user.state in ("blocked", "banned"):
        raise ApiError(403, "403 Forbidden - Your account has been blocked.")
    sudo = headers.get("sudo") or params.str("sudo")
    if sudo:
        if not user.is_admin or "sudo" not in record.scopes:
            raise ApiError(403, "403 Forbidden - Must be admin to use sudo")
        target = state.users.get(int(sudo)) if sudo.isdigit() else state.user_by_username(sudo)
        if target is None:
            raise ApiError(404, f"404 User with ID or username '{sudo}' Not Found")
        user = target
    return Caller(user, job, record.user_id)


def _endpoint(sandbox: Sandbox, route: Route) -> Callable[[Request], Awaitable[Response]]:
    state = sandbox.state
    control = route.template.startswith(CONTROL_PREFIX)

    async def endpoint(request: Request) -> Response:
        # everything the handler reads the time from (state.now) reads this sandbox's clock
        token = clock.current.set(state.clock)
        try:
            return await respond(request)
        finally:
            clock.current.reset(token)

    async def respond(request: Request) -> Response:
        response: Response
        emitter: Emitter | None = None
        verdict: Verdict | None = None
        if not control:
            delay, failure = sandbox.faults.check(request.method, request.url.path, route.template)
            if delay:
                await asyncio.sleep(delay)
            if failure is not None:
                response = _fault_response(failure.status, failure.retry_after)
                sandbox.stats.count(request.method, route.template, failure.status, injected=True)
                return response
        try:
            params = await Params.read(request)
            with state.lock:
                if route.feature is not None and not state.has(route.feature):
                    raise ApiError(404, "404 Not Found", key="error")
                user, job, owner_id = authenticate(state, request, params)
                if owner_id is not None and not control and sandbox.limiter.limits:
                    project = str(request.path_params.get("id", ""))
                    verdict = sandbox.limiter.check(
                        owner_id, request.method, route.template, project
                    )
                    if verdict.throttled is not None:
                        raise Throttled(verdict)
                if job and request.method not in ("GET", "HEAD"):
                    raise ApiError(401, "401 Unauthorized")
                if control and not (user and (user.is_admin or _open_control(request, route))):
                    raise ApiError(
                        401 if user is None else 403,
                        "401 Unauthorized" if user is None else "403 Forbidden",
                    )
                base = sandbox.base_url or f"{request.url.scheme}://{request.url.netloc}"
                render = Render(state, base, user)
                request_uuid = request.headers.get("x-gitlab-event-uuid") or None
                emitter = Emitter(state, Render(state, base, None), request_uuid)
                ctx = Ctx(
                    state,
                    request,
                    params,
                    request.path_params,
                    user,
                    base,
                    emitter,
                    render,
                    sandbox,
                )
                with events_log.recording(state, user.id if user else None, writes(request)):
                    result = route.handler(ctx)
            reply = result if isinstance(result, Reply) else Reply(result, route.status)
            if reply.followup is not None:
                reply = await run_in_threadpool(reply.followup)
            response = reply.response()
        except Throttled as throttled:
            status, headers, body, media_type = throttled.verdict.refusal()
            response = Response(body, status, headers, media_type=media_type)
        except ApiError as error:
            response = error_response(error)
        except Exception:
            log.exception("sandbox handler failed: %s %s", request.method, request.url.path)
            response = error_response(ApiError(500, "500 Internal Server Error"))
        if verdict is not None and verdict.throttled is None:
            response.headers.update(verdict.headers)
        if emitter is not None and emitter.jobs and response.status_code < 400:
            sandbox.deliverer.submit(emitter.jobs)
        if not control:
            sandbox.stats.count(
                request.method, route.template, response.status_code, injected=False
            )
        return response

    return endpoint


def _open_control(request: Request, route: Route) -> bool:
    """The stand-in's date may be read by any user (the bot follows it in tests and the demo);
    every other control is the administrator's."""
    return request.method == "GET" and route.template == f"{CONTROL_PREFIX}/clock"


def writes(request: Request) -> bool:
    return request.method != "GET" and not request.url.path.startswith(CONTROL_PREFIX)


class Throttled(Exception):
    def __init__(self, verdict: Verdict) -> None:
        super().__init__(verdict.throttled)
        self.verdict = verdict


def _fault_response(status: int, retry_after: int | None) -> Response:
    if status == 429:
        reset = int(time.time()) + (retry_after or 0)
        headers = {
            "Retry-After": str(retry_after or 0),
            "RateLimit-Reset": str(reset),
            "RateLimit-Limit": "600",
            "RateLimit-Remaining": "0",
            "RateLimit-Name": "throttle_authenticated_api",
        }
        return Response("Retry later\n", 429, headers, media_type="text/plain")
    return Reply({"message": f"{status} Injected fault"}, status).response()


def _routes() -> list[Route]:
    modules = [
        meta,
        instance,
        empty,
        user_extras,
        users,
        custom_attributes,
        events,
        groups,
        moves,
        badges,
        notification_settings,
        projects,
        members,
        labels,
        label_promotion,
        milestones,
        milestone_promotion,
        issues,
        timetracking,
        iterations,
        notes,
        discussions,
        links,
        boards,
        epics,
        dora,
        hooks,
        resource_events,
        topics,
        repository_files,
        uploads,
        controls,
        graphql_api,
        oauth,
    ]
    pages = oauth.pages.routes + uploads.files.routes
    return [route for module in modules for route in module.api.routes] + pages


def create_app(
    tier: str = DEFAULT_TIER,
    admin_token: str = DEFAULT_ADMIN_TOKEN,
    base_url: str | None = None,
    gitlab_version: str = versions.DEFAULT,
    rate_limits: str | None = None,
    feature_flags: Iterable[str] = (),
    hook_hosts: Iterable[str] = (),
) -> FastAPI:
    """A fresh sandbox whose administrator `root` authenticates with `admin_token`.

    `tier` is free, premium or ultimate; `gitlab_version` is `latest` or a release such as
    `18.2` (`versions.UnknownVersion`, a ValueError, for one the sandbox cannot play);
    `rate_limits="gitlab.com"` enforces GitLab.com's per-user limits (`ratelimits.py`);
    `feature_flags` turns on behaviours GitLab keeps behind a flag (`versions.FEATURE_FLAGS`);
    webhooks go to loopback hosts only, and to the hosts named in `hook_hosts` (`*`: any).
    """
    sandbox = Sandbox(
        tier, admin_token, base_url, gitlab_version, rate_limits, feature_flags, hook_hosts
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        sandbox.deliverer.close()

    app = FastAPI(
        title="GitLab sandbox", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None
    )
    app.state.sandbox = sandbox
    app.add_middleware(EncodedSlashes)
    for route in _routes():
        app.router.routes.append(
            StarletteRoute(route.template, _endpoint(sandbox, route), methods=[route.method])
        )

    @app.exception_handler(HTTPException)
    async def http_error(_: Request, exc: HTTPException) -> Response:
        if exc.status_code == 405:
            return error_response(ApiError(405, "405 Method Not Allowed", key="error"))
        return error_response(
            ApiError(exc.status_code, f"{exc.status_code} Not Found", key="error")
        )

    return app
