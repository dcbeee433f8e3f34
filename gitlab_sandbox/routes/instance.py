"""Instance-wide administration: application settings, and the instance's lists that stay
empty in a sandbox without CI (instance variables, broadcast messages)."""

from __future__ import annotations

from typing import Any

from ..routing import Routes
from ..state import now
from ..web import Ctx
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


@api.get("/broadcast_messages")
def broadcast_messages(_: Ctx) -> list[Any]:
    """GL:doc/api/broadcast_messages.md: readable without authentication; none are set."""
    return []
