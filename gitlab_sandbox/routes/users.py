"""Users and their personal access tokens (administrators create both)."""

from __future__ import annotations

import secrets
from typing import Any

from ..model import Note, Token, WorkItem
from ..routing import Routes
from ..web import ApiError, Ctx, Reply, forbidden, not_found, paginate
from .common import find_user, need_admin
from .custom_attributes import matching
from .projects import remove_project
from .uploads import set_avatar

api = Routes()


@api.get("/user")
def current_user(ctx: Ctx) -> dict[str, Any]:
    return ctx.render.user_full(ctx.me)


@api.get("/users")
def list_users(ctx: Ctx) -> Reply:
    p = ctx.params
    users = sorted(ctx.state.users.values(), key=lambda u: u.id, reverse=True)
    if p.has("username"):
        wanted = (p.str("username") or "").lower()
        users = [u for u in users if u.username.lower() == wanted]
    if p.has("search"):
        term = (p.str("search") or "").lower()
        users = [u for u in users if term in f"{u.username} {u.name} {u.email}".lower()]
    if p.bool("active"):
        users = [u for u in users if u.state == "active"]
    if p.bool("blocked"):
        users = [u for u in users if u.state == "blocked"]
    if p.has("humans") and p.bool("humans"):
        users = [u for u in users if not u.bot]
    users = matching(ctx, "user", users)
    viewer = ctx.user
    render = ctx.render.user_full if viewer and viewer.is_admin else ctx.render.user
    return paginate(ctx, users, render, keyset=True)


@api.get("/users/{user_id}")
def get_user(ctx: Ctx) -> dict[str, Any]:
    return ctx.render.user_full(find_user(ctx))


@api.post("/users")
def create_user(ctx: Ctx) -> dict[str, Any]:
    need_admin(ctx)
    p = ctx.params
    p.require("email", "name", "username")
    if not (p.has("password") or p.bool("reset_password") or p.bool("force_random_password")):
        raise ApiError(
            400,
            "password, reset_password, force_random_password are missing, "
            "at least one parameter must be provided",
            key="error",
        )
    username, email = p.str("username") or "", p.str("email") or ""
    if ctx.state.user_by_username(username):
        raise ApiError(409, "Username has already been taken")
    if any(u.email.lower() == email.lower() for u in ctx.state.users.values()):
        raise ApiError(409, "Email has already been taken")
    user = ctx.state.add_user(
        username, p.str("name") or username, email, is_admin=bool(p.bool("admin")), bot=False
    )
    user.avatar = set_avatar(ctx, "user", user.id, None)
    user.bio = p.str("bio", "") or ""
    ctx.emitter.user_created(user)
    return ctx.render.user_full(user)


@api.put("/users/{user_id}")
def update_user(ctx: Ctx) -> dict[str, Any]:
    need_admin(ctx)
    user = find_user(ctx)
    p = ctx.params
    if p.has("name"):
        user.name = p.str("name") or user.name
    if p.has("email"):
        user.email = p.str("email") or user.email
    if p.has("admin"):
        user.is_admin = bool(p.bool("admin"))
    if p.has("username"):
        user.username = p.str("username") or user.username
    if p.has("bio"):
        user.bio = p.str("bio") or ""
    if p.has("provider") and p.has("extern_uid"):
        user.identities[p.str("provider") or ""] = p.str("extern_uid") or ""
    user.avatar = set_avatar(ctx, "user", user.id, user.avatar)
    return ctx.render.user_full(user)


@api.delete("/users/{user_id}")
def delete_user(ctx: Ctx) -> Reply:
    admin = need_admin(ctx)
    user = find_user(ctx)
    if user.id == admin.id:
        raise forbidden()
    state = ctx.state
    for project in [p for p in state.projects.values() if p.namespace_kind == "user"]:
        if project.namespace_id == user.namespace_id:
            remove_project(ctx, project)
    ghost = state.ghost()
    records: list[WorkItem | Note] = [*state.work_items.values(), *state.notes.values()]
    for record in records:
        if record.author_id == user.id:
            record.author_id = ghost.id
    for award in state.awards.values():
        if award.user_id == user.id:
            award.user_id = ghost.id
    for project in state.projects.values():
        if project.creator_id == user.id:
            project.creator_id = ghost.id
    for item in state.work_items.values():
        if user.id in item.assignee_ids:
            item.assignee_ids.remove(user.id)
    del state.users[user.id]
    for value in [t.token for t in ctx.state.tokens.values() if t.user_id == user.id]:
        del ctx.state.tokens[value]
    for key in [k for k in ctx.state.members if k[2] == user.id]:
        del ctx.state.members[key]
    return Reply(None, 204)


@api.post("/users/{user_id}/block")
def block_user(ctx: Ctx) -> bool | None:
    """GL:lib/api/users.rb: `true`, or `null` (`break`) when the user is already blocked."""
    admin = need_admin(ctx)
    user = find_user(ctx)
    if user.id == admin.id:
        raise ApiError(403, "403 Forbidden - The API initiating user cannot be blocked by the API")
    if user.state == "blocked":
        return None
    user.state = "blocked"
    return True


@api.post("/users/{user_id}/unblock")
def unblock_user(ctx: Ctx) -> bool:
    """`true`, or `false` for a user who is not blocked (GitLab answers `user.activate`)."""
    need_admin(ctx)
    user = find_user(ctx)
    if user.state == "banned":
        raise ApiError(403, "403 Forbidden - Banned users cannot be unblocked")
    if user.state != "blocked":
        return False
    user.state = "active"
    return True


@api.post("/users/{user_id}/ban")
def ban_user(ctx: Ctx) -> bool:
    """GL:doc/api/user_moderation.md: only an active user can be banned."""
    need_admin(ctx)
    user = find_user(ctx)
    if user.state != "active":
        raise ApiError(403, "You cannot ban blocked users.")
    user.state = "banned"
    return True


@api.post("/users/{user_id}/unban")
def unban_user(ctx: Ctx) -> bool:
    need_admin(ctx)
    user = find_user(ctx)
    if user.state != "banned":
        raise ApiError(403, "You cannot unban active users.")
    user.state = "active"
    return True


@api.post("/users/{user_id}/personal_access_tokens")
def create_token(ctx: Ctx) -> dict[str, Any]:
    need_admin(ctx)
    user = find_user(ctx)
    p = ctx.params
    p.require("name", "scopes")
    value = "glpat-" + secrets.token_urlsafe(15)
    token = ctx.state.add_token(user.id, p.str("name") or "", p.list("scopes") or [], value)
    token.expires_at = p.date("expires_at")
    return ctx.render.token(token, reveal=True)


def _find_token(ctx: Ctx) -> Token:
    key = ctx.path_id("token_id")
    viewer = ctx.me
    if key == "self":
        token = ctx.state.tokens.get(_presented(ctx))
    else:
        token = next((t for t in ctx.state.tokens.values() if str(t.id) == key), None)
    if token is None or (token.user_id != viewer.id and not viewer.is_admin):
        raise not_found()
    return token


def _presented(ctx: Ctx) -> str:
    headers = ctx.request.headers
    bearer = headers.get("authorization", "")[7:].strip()
    return headers.get("private-token") or bearer or ctx.params.str("private_token") or ""


@api.get("/personal_access_tokens")
def list_tokens(ctx: Ctx) -> Reply:
    viewer = ctx.me
    tokens = [t for t in ctx.state.tokens.values() if viewer.is_admin or t.user_id == viewer.id]
    user_id = ctx.params.int("user_id")
    if user_id is not None:
        tokens = [t for t in tokens if t.user_id == user_id]
    return paginate(ctx, tokens, lambda t: ctx.render.token(t, reveal=False))


@api.get("/personal_access_tokens/{token_id}")
def get_token(ctx: Ctx) -> dict[str, Any]:
    return ctx.render.token(_find_token(ctx), reveal=False)


@api.delete("/personal_access_tokens/{token_id}")
def revoke_token(ctx: Ctx) -> Reply:
    _find_token(ctx).revoked = True
    return Reply(None, 204)
