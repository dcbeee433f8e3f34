"""Instance-wide calls: application settings, broadcast messages, Markdown rendering, search
over users, projects and issues, license uploads (always refused), and instance CI variables
(none: the sandbox has no CI)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from markdown_it import MarkdownIt

from ..routing import Routes
from ..state import now
from ..web import ApiError, Ctx, Reply, not_found, paginate
from .common import need_admin

api = Routes()

SETTINGS: dict[str, Any] = {
    # The keys and defaults of GitLab's documented example (GL:doc/api/settings.md).
    "id": 1,
    "default_projects_limit": 100000,
    "signup_enabled": True,
    "default_branch_protection": 2,
    "restricted_visibility_levels": [],
    "password_authentication_enabled_for_web": True,
    "after_sign_out_path": None,
    "max_attachment_size": 100,
    "user_oauth_applications": True,
    "session_expire_delay": 10080,
    "home_page_url": None,
    "default_snippet_visibility": "private",
    "outbound_local_requests_whitelist": [],
    "domain_allowlist": [],
    "domain_denylist_enabled": False,
    "domain_denylist": [],
    "default_project_visibility": "private",
    "default_group_visibility": "private",
    "gravatar_enabled": True,
    "sign_in_text": None,
    "container_registry_token_expire_delay": 5,
    "repository_storages_weighted": {"default": 100},
    "plantuml_enabled": False,
    "plantuml_url": None,
    "terminal_max_session_time": 0,
    "polling_interval_multiplier": 1.0,
    "rsa_key_restriction": 0,
    "dsa_key_restriction": 0,
    "ecdsa_key_restriction": 0,
    "ed25519_key_restriction": 0,
    "first_day_of_week": 0,
    "enforce_terms": False,
    "terms": None,
    "performance_bar_allowed_group_id": None,
    "user_show_add_ssh_key_message": True,
    "local_markdown_version": 0,
    "allow_local_requests_from_hooks_and_services": False,
    "allow_local_requests_from_web_hooks_and_services": False,
    "allow_local_requests_from_system_hooks": True,
    "deletion_adjourned_period": 7,
    "import_sources": [],
}
PREMIUM_SETTINGS: dict[str, Any] = {
    "file_template_project_id": None,
    "geo_node_allowed_ips": "0.0.0.0/0, ::/0",
}


def settings(ctx: Ctx) -> dict[str, Any]:
    """The instance's settings: GitLab's defaults overlaid with what administrators changed."""
    started = ctx.state.settings.setdefault("created_at", now())
    answer = dict(SETTINGS, created_at=started, updated_at=started)
    if ctx.state.tier != "free":
        answer.update(PREMIUM_SETTINGS)
    answer.update(ctx.state.settings)
    return answer


@api.get("/application/settings")
def get_settings(ctx: Ctx) -> dict[str, Any]:
    need_admin(ctx)
    return settings(ctx)


@api.put("/application/settings")
def update_settings(ctx: Ctx) -> dict[str, Any]:
    """Known settings keep their JSON type; unknown attributes are ignored, as Grape does."""
    need_admin(ctx)
    known = settings(ctx)
    for name, value in ctx.params.data.items():
        if name not in known or name in ("id", "created_at", "updated_at"):
            continue
        current = known[name]
        if isinstance(current, bool):
            value = ctx.params.bool(name)
        elif isinstance(current, int):
            value = ctx.params.int(name)
        ctx.state.settings[name] = value
    ctx.state.settings["updated_at"] = now()
    return settings(ctx)


@api.get("/admin/ci/variables")
def instance_variables(ctx: Ctx) -> list[Any]:
    need_admin(ctx)
    return []


# -- broadcast messages (GL:doc/api/broadcast_messages.md) ------------------------------------

BROADCAST = "broadcast_message"
BROADCAST_TYPES = ("banner", "notification")


def _broadcast(ctx: Ctx) -> dict[str, Any]:
    row = ctx.state.records[BROADCAST].get(ctx.path_int("message_id"))
    if row is None:
        raise not_found()
    return row


def _fill_broadcast(ctx: Ctx, row: dict[str, Any]) -> dict[str, Any]:
    p = ctx.params
    for name in ("message", "color", "font", "target_path"):
        if p.has(name):
            row[name] = p.str(name)
    for name in ("starts_at", "ends_at"):
        if p.has(name):
            row[name] = p.datetime(name)
    if p.has("broadcast_type"):
        if p.str("broadcast_type") not in BROADCAST_TYPES:
            raise ApiError(400, "broadcast_type does not have a valid value", key="error")
        row["broadcast_type"] = p.str("broadcast_type")
    if p.has("dismissable"):
        row["dismissable"] = bool(p.bool("dismissable"))
    if p.has("target_access_levels"):
        row["target_access_levels"] = p.int_list("target_access_levels") or []
    moment = now()
    row["active"] = row["starts_at"] <= moment <= row["ends_at"]
    return row


@api.get("/broadcast_messages")
def broadcast_messages(ctx: Ctx) -> Reply:
    """Readable without authentication."""
    rows = [row for _, row in sorted(ctx.state.records[BROADCAST].items())]
    return paginate(ctx, rows, dict)


@api.get("/broadcast_messages/{message_id}")
def broadcast_message(ctx: Ctx) -> dict[str, Any]:
    return _broadcast(ctx)


@api.post("/broadcast_messages")
def create_broadcast(ctx: Ctx) -> dict[str, Any]:
    """Administrators; `message` is required, it shows for an hour from now by default."""
    need_admin(ctx)
    ctx.params.require("message")
    moment = now()
    row: dict[str, Any] = {
        "id": ctx.state.next_id(BROADCAST),
        "message": "",
        "starts_at": moment,
        "ends_at": moment + timedelta(hours=1),
        "color": "#E75E40",
        "font": "#FFFFFF",
        "active": True,
        "target_access_levels": [],
        "target_path": None,
        "broadcast_type": "banner",
        "dismissable": False,
        "theme": "indigo",
    }
    row = _fill_broadcast(ctx, row)
    ctx.state.records[BROADCAST][row["id"]] = row
    return row


@api.put("/broadcast_messages/{message_id}")
def update_broadcast(ctx: Ctx) -> dict[str, Any]:
    need_admin(ctx)
    return _fill_broadcast(ctx, _broadcast(ctx))


@api.delete("/broadcast_messages/{message_id}")
def delete_broadcast(ctx: Ctx) -> Reply:
    need_admin(ctx)
    del ctx.state.records[BROADCAST][_broadcast(ctx)["id"]]
    return Reply(None, 204)


# -- markdown, search, license -------------------------------------------------------------

MARKDOWN = MarkdownIt("commonmark", {"html": False}).enable("table").enable("strikethrough")


@api.post("/markdown")
def markdown(ctx: Ctx) -> dict[str, Any]:
    """GL:doc/api/markdown.md: CommonMark with tables and strikethrough, raw HTML escaped
    (GitLab's own GFM extensions, references and sanitizer are not modelled). `project`, when
    given, must be a project the caller can see."""
    p = ctx.params
    p.require("text")
    if p.has("project"):
        key, state = p.str("project") or "", ctx.state
        project = state.projects.get(int(key)) if key.isdigit() else state.project_by_path(key)
        if project is None or not state.can_see_project(ctx.user, project):
            raise not_found("Project")
    return {"html": MARKDOWN.render(p.str("text") or "")}


@api.get("/search")
def search(ctx: Ctx) -> Reply:
    """GL:doc/api/search.md, the scopes the sandbox can answer: `users`, `projects`, `issues`
    (by name, username, path or title; others are 400 as an unknown scope is)."""
    p, state, viewer = ctx.params, ctx.state, ctx.me
    p.require("scope", "search")
    term = (p.str("search") or "").lower()
    scope = p.str("scope")
    if scope == "users":
        users = [u for u in state.users.values() if term in f"{u.username} {u.name}".lower()]
        return paginate(ctx, sorted(users, key=lambda u: u.id), ctx.render.user)
    if scope == "projects":
        projects = [
            pr
            for pr in state.projects.values()
            if state.can_see_project(viewer, pr) and term in f"{pr.name} {pr.path}".lower()
        ]
        return paginate(ctx, sorted(projects, key=lambda pr: -pr.id), ctx.render.project)
    if scope == "issues":
        items = [
            w
            for w in state.work_items.values()
            if w.project_id is not None
            and not w.is_epic
            and state.can_see_project(viewer, state.projects[w.project_id])
            and state.can_see_issue(viewer, w)
            and term in w.title.lower()
        ]
        return paginate(ctx, sorted(items, key=lambda w: -w.id), ctx.render.issue)
    raise ApiError(400, "scope does not have a valid value", key="error")


@api.post("/license", feature="license")
def add_license(ctx: Ctx) -> dict[str, Any]:
    """The sandbox's tier is its license: any key is refused as GitLab refuses a bad one."""
    need_admin(ctx)
    ctx.params.require("license")
    raise ApiError(400, "The license key is invalid.")
