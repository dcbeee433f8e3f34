"""What hangs off a user: SSH and GPG keys, emails, status, impersonation tokens, memberships.

Served for the caller at `/user/...` and, for administrators, for anyone at `/users/:id/...`
(`GL:doc/api/user_keys.md`, `user_email_addresses.md`, `users.md`). Keys are checked only for
their outer form (an OpenSSH public key line, an armored PGP public key block); the sandbox
never uses them.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import secrets
from collections.abc import Callable
from typing import Any

from ..model import Member, User
from ..routing import Routes
from ..state import now
from ..web import ApiError, Ctx, Reply, bad_request, not_found, paginate
from .common import find_user, need_admin

api = Routes()

SSH_KEY_RE = re.compile(
    r"^(ssh-(rsa|ed25519|dss)|ecdsa-sha2-\S+|sk-\S+)\s+([A-Za-z0-9+/=]+)(\s.*)?$"
)
PGP_BEGIN = "-----BEGIN PGP PUBLIC KEY BLOCK-----"
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+$")
AVAILABILITIES = ("not_set", "busy")


def _owner(ctx: Ctx, public_read: bool = False) -> User:
    """The caller on `/user/...`; on `/users/:id/...` the user named: administrators only,
    except where the page says anyone may read (`public_read`: SSH and GPG keys)."""
    if "user_id" in ctx.path:
        if not (public_read and ctx.request.method == "GET"):
            need_admin(ctx)
        return find_user(ctx)
    return ctx.me


def _rows(ctx: Ctx, kind: str, user: User) -> list[dict[str, Any]]:
    table = ctx.state.records[kind]
    return [row for _, row in sorted(table.items()) if row["user_id"] == user.id]


def _row(ctx: Ctx, kind: str, user: User, what: str) -> dict[str, Any]:
    row = ctx.state.records[kind].get(ctx.path_int("key_id"))
    if row is None or row["user_id"] != user.id:
        raise not_found(what)
    return row


def _public(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k != "user_id"}


def _both(template: str) -> list[str]:
    return [f"/user{template}", f"/users/{{user_id}}{template}"]


def _register(method: str, template: str, handler: Callable[[Ctx], Any], status: int) -> None:
    for path in _both(template):
        api.add(method, path, status, None)(handler)


# -- SSH keys ------------------------------------------------------------------------------


def ssh_fingerprints(key: str) -> tuple[str, str]:
    """MD5 and SHA256 fingerprints of an OpenSSH public key line (400 when it is not one)."""
    match = SSH_KEY_RE.match(key.strip())
    try:
        blob = base64.b64decode(match.group(3), validate=True) if match else b""
    except binascii.Error:
        blob = b""
    if not blob:
        raise bad_request({"key": ["is invalid"], "fingerprint_sha256": ["cannot be generated"]})
    md5 = hashlib.md5(blob, usedforsecurity=False).hexdigest()
    sha = base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")
    return ":".join(md5[i : i + 2] for i in range(0, 32, 2)), f"SHA256:{sha}"


def list_keys(ctx: Ctx) -> Reply:
    """GL:doc/api/user_keys.md: a user's keys need no authentication to read."""
    return paginate(ctx, _rows(ctx, "ssh_key", _owner(ctx, public_read=True)), _public)


def get_key(ctx: Ctx) -> dict[str, Any]:
    return _public(_row(ctx, "ssh_key", _owner(ctx, public_read=True), "Key"))


def add_key(ctx: Ctx) -> dict[str, Any]:
    user, p = _owner(ctx), ctx.params
    p.require("key", "title")
    key = (p.str("key") or "").strip()
    _, sha = ssh_fingerprints(key)
    if any(row["fingerprint"] == sha for row in ctx.state.records["ssh_key"].values()):
        taken = ["has already been taken"]  # GL:doc/api/user_keys.md, "Add an SSH key"
        raise bad_request({"fingerprint": taken, "key": taken})
    row: dict[str, Any] = {
        "id": ctx.state.next_id("ssh_key"),
        "title": p.str("title"),
        "created_at": now(),
        "expires_at": p.datetime("expires_at"),
        "key": key,
        "usage_type": p.str("usage_type", "auth_and_signing"),
        "last_used_at": None,
        "user_id": user.id,
        "fingerprint": sha,
    }
    ctx.state.records["ssh_key"][row["id"]] = row
    return _public(row)


def delete_key(ctx: Ctx) -> Reply:
    row = _row(ctx, "ssh_key", _owner(ctx), "Key")
    del ctx.state.records["ssh_key"][row["id"]]
    return Reply(None, 204)


_register("GET", "/keys", list_keys, 200)
_register("POST", "/keys", add_key, 201)
_register("GET", "/keys/{key_id}", get_key, 200)
_register("DELETE", "/keys/{key_id}", delete_key, 204)


@api.get("/keys/{key_id}")
def key_with_user(ctx: Ctx) -> dict[str, Any]:
    """GL:doc/api/keys.md: any key by id, with its owner (administrators)."""
    need_admin(ctx)
    row = ctx.state.records["ssh_key"].get(ctx.path_int("key_id"))
    if row is None:
        raise not_found()
    return dict(_public(row), user=ctx.render.user_full(ctx.state.users[row["user_id"]]))


# -- GPG keys ------------------------------------------------------------------------------


def list_gpg_keys(ctx: Ctx) -> Reply:
    return paginate(ctx, _rows(ctx, "gpg_key", _owner(ctx, public_read=True)), _public)


def get_gpg_key(ctx: Ctx) -> dict[str, Any]:
    return _public(_row(ctx, "gpg_key", _owner(ctx, public_read=True), "GPG Key"))


def add_gpg_key(ctx: Ctx) -> dict[str, Any]:
    user, p = _owner(ctx), ctx.params
    p.require("key")
    key = (p.str("key") or "").strip()
    if not key.startswith(PGP_BEGIN):
        raise bad_request({"key": ["is invalid"]})
    if any(row["key"] == key for row in ctx.state.records["gpg_key"].values()):
        raise bad_request({"key": ["has already been taken"]})
    row: dict[str, Any] = {"id": ctx.state.next_id("gpg_key"), "key": key, "created_at": now()}
    row["user_id"] = user.id
    ctx.state.records["gpg_key"][row["id"]] = row
    return _public(row)


def delete_gpg_key(ctx: Ctx) -> Reply:
    row = _row(ctx, "gpg_key", _owner(ctx), "GPG Key")
    del ctx.state.records["gpg_key"][row["id"]]
    return Reply(None, 204)


def revoke_gpg_key(ctx: Ctx) -> Reply:
    row = _row(ctx, "gpg_key", _owner(ctx), "GPG Key")
    del ctx.state.records["gpg_key"][row["id"]]
    return Reply(None, 202)


_register("GET", "/gpg_keys", list_gpg_keys, 200)
_register("POST", "/gpg_keys", add_gpg_key, 201)
_register("GET", "/gpg_keys/{key_id}", get_gpg_key, 200)
_register("DELETE", "/gpg_keys/{key_id}", delete_gpg_key, 204)
_register("POST", "/gpg_keys/{key_id}/revoke", revoke_gpg_key, 202)


# -- emails --------------------------------------------------------------------------------


def list_emails(ctx: Ctx) -> Reply:
    return paginate(ctx, _rows(ctx, "email", _owner(ctx)), _public)


def get_email(ctx: Ctx) -> dict[str, Any]:
    user = _owner(ctx)
    row = ctx.state.records["email"].get(ctx.path_int("email_id"))
    if row is None or row["user_id"] != user.id:
        raise not_found("Email")
    return _public(row)


def add_email(ctx: Ctx) -> dict[str, Any]:
    user, p = _owner(ctx), ctx.params
    p.require("email")
    address = (p.str("email") or "").strip()
    if not EMAIL_RE.match(address):
        raise bad_request({"email": ["is invalid"]})
    primary = {u.email.lower() for u in ctx.state.users.values()}
    others = {row["email"].lower() for row in ctx.state.records["email"].values()}
    if address.lower() in primary | others:
        raise bad_request({"email": ["has already been taken"]})
    confirmed = now() if "user_id" in ctx.path and p.bool("skip_confirmation") else None
    row: dict[str, Any] = {"id": ctx.state.next_id("email"), "email": address}
    row["confirmed_at"] = confirmed
    ctx.state.records["email"][row["id"]] = dict(row, user_id=user.id)
    return row


def delete_email(ctx: Ctx) -> Reply:
    user = _owner(ctx)
    row = ctx.state.records["email"].get(ctx.path_int("email_id"))
    if row is None or row["user_id"] != user.id:
        raise not_found("Email")
    del ctx.state.records["email"][row["id"]]
    return Reply(None, 204)


_register("GET", "/emails", list_emails, 200)
_register("POST", "/emails", add_email, 201)
_register("GET", "/emails/{email_id}", get_email, 200)
_register("DELETE", "/emails/{email_id}", delete_email, 204)


# -- status --------------------------------------------------------------------------------


def _status(ctx: Ctx, user: User) -> dict[str, Any]:
    row = ctx.state.records["status"].get(user.id, {})
    message = row.get("message")
    return {
        "emoji": row.get("emoji"),
        "availability": row.get("availability", "not_set"),
        "message": message,
        "message_html": f"<p>{message}</p>" if message else "",
        "clear_status_at": None,
    }


@api.get("/user/status")
def my_status(ctx: Ctx) -> dict[str, Any]:
    return _status(ctx, ctx.me)


@api.get("/users/{user_id}/status")
def user_status(ctx: Ctx) -> dict[str, Any]:
    return _status(ctx, find_user(ctx))


def set_status(ctx: Ctx) -> dict[str, Any]:
    """PUT replaces the status (missing fields clear), PATCH changes only what is given."""
    user, p = ctx.me, ctx.params
    availability = p.str("availability")
    if availability is not None and availability not in AVAILABILITIES:
        raise ApiError(400, "availability does not have a valid value", key="error")
    table = ctx.state.records["status"]
    row = dict(table.get(user.id, {})) if ctx.request.method == "PATCH" else {}
    for name in ("emoji", "message", "availability"):
        if p.has(name):
            row[name] = p.str(name)
    if row.get("message") and not row.get("emoji"):
        row["emoji"] = "speech_balloon"
    table[user.id] = dict(row, user_id=user.id)
    return _status(ctx, user)


api.add("PUT", "/user/status", 200, None)(set_status)
api.add("PATCH", "/user/status", 200, None)(set_status)


# -- impersonation tokens ------------------------------------------------------------------


def _impersonation_tokens(ctx: Ctx, user: User) -> list[Any]:
    return [t for t in ctx.state.tokens.values() if t.user_id == user.id and t.impersonation]


@api.get("/users/{user_id}/impersonation_tokens")
def list_impersonation_tokens(ctx: Ctx) -> Reply:
    need_admin(ctx)
    tokens = _impersonation_tokens(ctx, find_user(ctx))
    wanted = ctx.params.str("state", "all")
    if wanted not in ("all", "active", "inactive"):
        raise ApiError(400, "state does not have a valid value", key="error")
    if wanted != "all":
        tokens = [t for t in tokens if (not t.revoked) == (wanted == "active")]
    return paginate(ctx, tokens, lambda t: ctx.render.token(t, reveal=False))


@api.post("/users/{user_id}/impersonation_tokens")
def create_impersonation_token(ctx: Ctx) -> dict[str, Any]:
    need_admin(ctx)
    user = find_user(ctx)
    p = ctx.params
    p.require("name")
    value = "glpat-" + secrets.token_urlsafe(15)
    token = ctx.state.add_token(user.id, p.str("name") or "", p.list("scopes") or [], value)
    token.expires_at = p.date("expires_at")
    token.impersonation = True
    return ctx.render.token(token, reveal=True)


def _impersonation_token(ctx: Ctx) -> Any:
    need_admin(ctx)
    wanted = ctx.path_int("token_id")
    found = next((t for t in _impersonation_tokens(ctx, find_user(ctx)) if t.id == wanted), None)
    if found is None:
        raise not_found("Impersonation Token")
    return found


@api.get("/users/{user_id}/impersonation_tokens/{token_id}")
def get_impersonation_token(ctx: Ctx) -> dict[str, Any]:
    return ctx.render.token(_impersonation_token(ctx), reveal=False)


@api.delete("/users/{user_id}/impersonation_tokens/{token_id}")
def revoke_impersonation_token(ctx: Ctx) -> Reply:
    _impersonation_token(ctx).revoked = True
    return Reply(None, 204)


# -- identities and memberships ------------------------------------------------------------


@api.delete("/users/{user_id}/identities/{provider}")
def delete_identity(ctx: Ctx) -> Reply:
    need_admin(ctx)
    user = find_user(ctx)
    if user.identities.pop(ctx.path_id("provider"), None) is None:
        raise not_found("Identity")
    return Reply(None, 204)


@api.get("/users/{user_id}/memberships")
def memberships(ctx: Ctx) -> Reply:
    """GL:doc/api/users.md "List memberships for a user": direct memberships only."""
    need_admin(ctx)
    user = find_user(ctx)
    kind = ctx.params.str("type")
    if kind not in (None, "Project", "Namespace"):
        raise ApiError(400, "type does not have a valid value", key="error")
    rows = [m for m in ctx.state.members.values() if m.user_id == user.id]
    if kind is not None:
        rows = [m for m in rows if (m.source == "project") == (kind == "Project")]
    return paginate(ctx, rows, lambda m: _membership(ctx, m))


def _membership(ctx: Ctx, member: Member) -> dict[str, Any]:
    state = ctx.state
    if member.source == "project":
        name = state.projects[member.source_id].name
    else:
        name = state.groups[member.source_id].name
    return {
        "source_id": member.source_id,
        "source_name": name,
        "source_type": "Project" if member.source == "project" else "Namespace",
        "access_level": member.access_level,
    }


@api.get("/user/activities")
def activities(ctx: Ctx) -> Reply:
    """GL:doc/api/users.md "Get user activities" (administrators): users' last activity day on
    or after `from` (default six months ago). The sandbox counts a user active from creation."""
    need_admin(ctx)
    since = ctx.params.date("from")
    users = sorted(ctx.state.users.values(), key=lambda u: u.id)
    if since is not None:
        users = [u for u in users if u.created_at.date() >= since]
    return paginate(
        ctx,
        users,
        lambda u: {
            "username": u.username,
            "last_activity_on": u.created_at.date(),
            "last_activity_at": u.created_at.date(),
        },
    )
