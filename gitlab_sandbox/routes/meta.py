"""Instance facts: version, metadata and (on premium) the license."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from ..routing import Routes
from ..state import now
from ..versions import full
from ..web import Ctx
from .common import need_admin, need_user

api = Routes()

REVISION = "5f0a2f3b1c2"


def version_info(ctx: Ctx) -> dict[str, Any]:
    enterprise = ctx.state.tier != "free"
    return {
        "version": full(ctx.state.version) + ("-ee" if enterprise else ""),
        "revision": REVISION,
        "kas": {
            "enabled": False,
            "externalUrl": None,
            "externalK8sProxyUrl": None,
            "version": None,
        },
        "enterprise": enterprise,
    }


@api.get("/version")
def version(ctx: Ctx) -> dict[str, Any]:
    need_user(ctx)
    info = version_info(ctx)
    return {"version": info["version"], "revision": info["revision"]}


@api.get("/metadata")
def metadata(ctx: Ctx) -> dict[str, Any]:
    need_user(ctx)
    return version_info(ctx)


@api.get("/license", feature="license")
def license_(ctx: Ctx) -> dict[str, Any]:
    need_admin(ctx)
    started = now().date().replace(month=1, day=1)
    users = len(ctx.state.users)
    return {
        "id": 1,
        "plan": ctx.state.tier,
        "created_at": now(),
        "starts_at": started,
        "expires_at": started + timedelta(days=730),
        "historical_max": users,
        "maximum_user_count": users,
        "expired": False,
        "overage": 0,
        "user_limit": 1000,
        "active_users": users,
        "licensee": {
            "Name": "Sandbox",
            "Company": "psdm-bot sandbox",
            "Email": "admin@example.com",
        },
        "add_ons": {},
    }
