"""Project, group (premium) and system hooks; test, delivery log and resend."""

from __future__ import annotations

import uuid
from typing import Any

from ..model import MAINTAINER, OWNER, Hook, HookLog
from ..routing import Routes
from ..state import now
from ..web import ApiError, Ctx, Reply, not_found, paginate
from ..webhooks import payloads
from ..webhooks.emitter import Job
from .common import find_group, find_project, need_admin, need_group, need_project

api = Routes()

PROJECT_EVENTS = (
    "push_events",
    "tag_push_events",
    "merge_requests_events",
    "issues_events",
    "confidential_issues_events",
    "note_events",
    "confidential_note_events",
    "job_events",
    "pipeline_events",
    "wiki_page_events",
    "deployment_events",
    "feature_flag_events",
    "releases_events",
    "emoji_events",
    "milestone_events",
    "resource_access_token_events",
    "resource_deploy_token_events",
    "vulnerability_events",
)
GROUP_EVENTS = (*PROJECT_EVENTS, "subgroup_events", "project_events", "member_events")
SYSTEM_EVENTS = (
    "push_events",
    "tag_push_events",
    "merge_requests_events",
    "repository_update_events",
)
EVENTS = {"project": PROJECT_EVENTS, "group": GROUP_EVENTS, "system": SYSTEM_EVENTS}
TRIGGER_HEADERS = {
    "issues_events": "Issue Hook",
    "confidential_issues_events": "Confidential Issue Hook",
    "note_events": "Note Hook",
    "confidential_note_events": "Confidential Note Hook",
    "emoji_events": "Emoji Hook",
    "milestone_events": "Milestone Hook",
    "push_events": "Push Hook",
    "tag_push_events": "Tag Push Hook",
}


def _configure(ctx: Ctx, hook: Hook, *, creating: bool) -> None:
    p = ctx.params
    if creating or p.has("url"):
        p.require("url")
        url = p.str("url") or ""
        if not url.startswith(("http://", "https://")):
            raise ApiError(422, {"url": ["is blocked: Only allowed schemes are http, https"]})
        hook.url = url
    for flag in EVENTS[hook.kind]:
        if p.has(flag):
            hook.events[flag] = bool(p.bool(flag))
    for name in ("name", "description", "push_events_branch_filter", "custom_webhook_template"):
        if p.has(name):
            setattr(hook, name, p.str(name))
    if p.has("branch_filter_strategy"):
        hook.branch_filter_strategy = p.str("branch_filter_strategy") or "wildcard"
    if p.has("enable_ssl_verification"):
        hook.enable_ssl_verification = bool(p.bool("enable_ssl_verification"))
    if p.has("token"):
        hook.token = p.str("token") or None
    if p.has("signing_token") and "webhook_signing_token" in ctx.state.feature_flags:
        hook.signing_token = _signing_token(p.str("signing_token"))
    headers = p.raw("custom_headers")
    if isinstance(headers, list):
        hook.custom_headers = [
            {"key": str(h["key"]), "value": str(h.get("value", ""))}
            for h in headers
            if isinstance(h, dict) and "key" in h
        ]


def _signing_token(value: str | None) -> str | None:
    if not value:
        return None
    if not value.startswith("whsec_"):
        raise ApiError(400, {"signing_token": ["must start with whsec_"]})
    return value


def _new_hook(ctx: Ctx, kind: str, owner_id: int | None) -> Hook:
    events = {flag: flag == "push_events" for flag in EVENTS[kind]}
    hook = Hook(ctx.state.next_id("hook"), kind, owner_id, "", now(), events)  # type: ignore[arg-type]
    _configure(ctx, hook, creating=True)
    ctx.state.hooks[hook.id] = hook
    return hook


def _find(ctx: Ctx, kind: str, owner_id: int | None) -> Hook:
    hook = ctx.state.hooks.get(ctx.path_int("hook_id"))
    if hook is None or hook.kind != kind or hook.owner_id != owner_id:
        raise not_found("Hook")
    return hook


def _logs(ctx: Ctx, hook: Hook) -> Reply:
    logs = list(reversed(ctx.state.hook_logs.get(hook.id, [])))
    status = ctx.params.list("status")
    if status:

        def matches(log: HookLog) -> bool:
            code = int(log.response_status) if log.response_status.isdigit() else 0
            return any(
                (s == "successful" and 200 <= code < 300)
                or (s == "client_failure" and 400 <= code < 500)
                or (s == "server_failure" and (code >= 500 or code == 0))
                or s == str(code)
                for s in status
            )

        logs = [log for log in logs if matches(log)]
    return paginate(ctx, logs, ctx.render.hook_log)


def _send_now(ctx: Ctx, job: Job, *, resend: bool = False) -> Reply:
    """Deliver synchronously (after the lock is released), as GitLab's test and resend do."""
    deliverer = ctx.sandbox.deliverer
    generation = ctx.state.generation

    def followup() -> Reply:
        log = deliverer.deliver(job, generation)
        if log is None:
            return Reply({"message": "404 Hook Not Found"}, 404)
        code = int(log.response_status) if log.response_status.isdigit() else 0
        if resend:
            return Reply({"response_status": code or log.response_status}, 201)
        if 200 <= code < 400:
            return Reply({"message": "201 Created"}, 201)
        return Reply(
            {"message": f"[{log.response_status}] {log.internal_error_message or ''}".strip()}, 422
        )

    return Reply(None, followup=followup)


def _test_payload(ctx: Ctx, hook: Hook, trigger: str, project_ids: set[int]) -> dict[str, Any]:
    state = ctx.state
    render = ctx.emitter.render
    if trigger in ("issues_events", "confidential_issues_events", "emoji_events"):
        items = [w for w in state.work_items.values() if w.project_id in project_ids]
        if not items:
            raise ApiError(422, "Ensure the project has issues.")
        return payloads.issue_event(render, items[-1], "open", ctx.me, {})
    if trigger in ("note_events", "confidential_note_events"):
        notes = [
            n
            for n in state.notes.values()
            if state.work_items[n.noteable_id].project_id in project_ids
        ]
        if not notes:
            raise ApiError(422, "Ensure the project has notes.")
        return payloads.note_event(render, notes[-1], "create", ctx.me)
    if trigger == "milestone_events":
        milestones = [
            m
            for m in state.milestones.values()
            if m.owner == "project" and m.owner_id in project_ids
        ]
        if not milestones:
            raise ApiError(422, "Ensure the project has milestones.")
        return payloads.milestone_event(render, milestones[-1], "create", ctx.me)
    if trigger in ("push_events", "tag_push_events"):
        return {
            "object_kind": "push" if trigger == "push_events" else "tag_push",
            "event_name": "push" if trigger == "push_events" else "tag_push",
            "before": "0" * 40,
            "after": "0" * 40,
            "ref": "refs/heads/main",
            "user_id": ctx.me.id,
            "user_name": ctx.me.name,
            "user_username": ctx.me.username,
            "project_id": min(project_ids, default=0),
            "commits": [],
            "total_commits_count": 0,
        }
    raise ApiError(400, "trigger does not have a valid value", key="error")


def _test(ctx: Ctx, hook: Hook, project_ids: set[int]) -> Reply:
    trigger = ctx.path_id("trigger")
    payload = _test_payload(ctx, hook, trigger, project_ids)
    job = Job(
        hook.id,
        trigger.replace("_events", "_hooks"),
        TRIGGER_HEADERS.get(trigger, "Push Hook"),
        payload,
        ctx.emitter.event_uuid,
        str(uuid.uuid4()),
        ctx.emitter.render.base,
    )
    return _send_now(ctx, job)


def _resend(ctx: Ctx, hook: Hook) -> Reply:
    log_id = ctx.path_int("hook_log_id")
    log = next((x for x in ctx.state.hook_logs.get(hook.id, []) if x.id == log_id), None)
    if log is None:
        raise not_found("Hook log")
    job = Job(
        hook.id,
        log.trigger,
        log.event_header,
        log.request_data,
        log.request_headers.get("X-Gitlab-Event-UUID", str(uuid.uuid4())),
        log.idempotency_key,
        ctx.emitter.render.base,
    )
    return _send_now(ctx, job, resend=True)


def _custom_header(ctx: Ctx, hook: Hook, *, remove: bool) -> Reply:
    key = ctx.path_id("key")
    hook.custom_headers = [h for h in hook.custom_headers if h["key"] != key]
    if not remove:
        ctx.params.require("value")
        hook.custom_headers.append({"key": key, "value": ctx.params.str("value") or ""})
    return Reply(None, 204)


def _register(kind: str) -> None:
    feature = "group_webhooks" if kind == "group" else None
    base = f"/{kind}s/{{id}}/hooks"

    def owner(ctx: Ctx) -> tuple[int, set[int]]:
        if kind == "project":
            project = find_project(ctx)
            need_project(ctx, project, MAINTAINER)
            return project.id, {project.id}
        group = find_group(ctx)
        need_group(ctx, group, OWNER)
        return group.id, {p.id for p in ctx.state.projects_in(group, include_subgroups=True)}

    def listing(ctx: Ctx) -> Reply:
        owner_id, _ = owner(ctx)
        hooks = sorted(ctx.state.hooks_for(kind, owner_id), key=lambda h: h.id)
        return paginate(ctx, hooks, ctx.render.hook)

    def create(ctx: Ctx) -> dict[str, Any]:
        owner_id, _ = owner(ctx)
        return ctx.render.hook(_new_hook(ctx, kind, owner_id))

    def get(ctx: Ctx) -> dict[str, Any]:
        owner_id, _ = owner(ctx)
        return ctx.render.hook(_find(ctx, kind, owner_id))

    def update(ctx: Ctx) -> dict[str, Any]:
        owner_id, _ = owner(ctx)
        hook = _find(ctx, kind, owner_id)
        _configure(ctx, hook, creating=False)
        return ctx.render.hook(hook)

    def delete(ctx: Ctx) -> Reply:
        owner_id, _ = owner(ctx)
        hook = _find(ctx, kind, owner_id)
        del ctx.state.hooks[hook.id]
        ctx.state.hook_logs.pop(hook.id, None)
        return Reply(None, 204)

    def test(ctx: Ctx) -> Reply:
        owner_id, projects = owner(ctx)
        return _test(ctx, _find(ctx, kind, owner_id), projects)

    def events(ctx: Ctx) -> Reply:
        owner_id, _ = owner(ctx)
        return _logs(ctx, _find(ctx, kind, owner_id))

    def resend(ctx: Ctx) -> Reply:
        owner_id, _ = owner(ctx)
        return _resend(ctx, _find(ctx, kind, owner_id))

    def put_header(ctx: Ctx) -> Reply:
        owner_id, _ = owner(ctx)
        return _custom_header(ctx, _find(ctx, kind, owner_id), remove=False)

    def delete_header(ctx: Ctx) -> Reply:
        owner_id, _ = owner(ctx)
        return _custom_header(ctx, _find(ctx, kind, owner_id), remove=True)

    api.collection(
        base,
        "hook_id",
        listing=listing,
        create=create,
        get=get,
        update=update,
        delete=delete,
        feature=feature,
    )
    api.post(f"{base}/{{hook_id}}/test/{{trigger}}", feature=feature)(test)
    api.get(f"{base}/{{hook_id}}/events", feature=feature)(events)
    api.post(f"{base}/{{hook_id}}/events/{{hook_log_id}}/resend", feature=feature)(resend)
    api.put(f"{base}/{{hook_id}}/custom_headers/{{key}}", feature=feature)(put_header)
    api.delete(f"{base}/{{hook_id}}/custom_headers/{{key}}", feature=feature)(delete_header)


_register("project")
_register("group")


@api.get("/hooks")
def list_system_hooks(ctx: Ctx) -> Reply:
    need_admin(ctx)
    hooks = sorted(ctx.state.hooks_for("system", None), key=lambda h: h.id)
    return paginate(ctx, hooks, ctx.render.hook)


@api.post("/hooks")
def create_system_hook(ctx: Ctx) -> dict[str, Any]:
    need_admin(ctx)
    return ctx.render.hook(_new_hook(ctx, "system", None))


@api.get("/hooks/{hook_id}")
def get_system_hook(ctx: Ctx) -> dict[str, Any]:
    need_admin(ctx)
    return ctx.render.hook(_find(ctx, "system", None))


@api.put("/hooks/{hook_id}")
def update_system_hook(ctx: Ctx) -> dict[str, Any]:
    need_admin(ctx)
    hook = _find(ctx, "system", None)
    _configure(ctx, hook, creating=False)
    return ctx.render.hook(hook)


@api.delete("/hooks/{hook_id}")
def delete_system_hook(ctx: Ctx) -> Reply:
    need_admin(ctx)
    hook = _find(ctx, "system", None)
    del ctx.state.hooks[hook.id]
    return Reply(None, 204)


@api.post("/hooks/{hook_id}")
def test_system_hook(ctx: Ctx) -> Reply:
    need_admin(ctx)
    hook = _find(ctx, "system", None)
    payload = {
        "project_id": 1,
        "owner_email": "example@gitlabhq.com",
        "owner_name": "Someone",
        "name": "Ruby",
        "path": "ruby",
        "event_name": "project_create",
    }
    job = Job(
        hook.id,
        "system_hooks",
        "System Hook",
        payload,
        ctx.emitter.event_uuid,
        str(uuid.uuid4()),
        ctx.emitter.render.base,
    )
    return _send_now(ctx, job)


def hook_events_for_control(ctx: Ctx) -> Reply:
    """Every hook's delivery log (system hooks included), for the /-/sandbox controls."""
    hook = ctx.state.hooks.get(ctx.path_int("hook_id"))
    if hook is None:
        raise not_found("Hook")
    return _logs(ctx, hook)
