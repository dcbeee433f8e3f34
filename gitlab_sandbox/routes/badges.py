"""Project and group badges (GL:doc/api/project_badges.md, group_badges.md).

Badges are links with an image; `%{project_path}`, `%{project_id}`, `%{default_branch}` and
similar placeholders are rendered into `rendered_link_url` and `rendered_image_url`. A
project lists its own badges and those of its ancestor groups (`kind` `project` or `group`).
"""

from __future__ import annotations

from typing import Any

from ..model import MAINTAINER, OWNER, Group, Project
from ..routing import Routes
from ..web import ApiError, Ctx, Reply, not_found, paginate
from .common import find_group, find_project, need_group, need_project

api = Routes()
KIND = "badge"


def _placeholders(ctx: Ctx, project: Project | None) -> dict[str, str]:
    if project is None:
        return {}
    return {
        "%{project_path}": ctx.state.project_full_path(project),
        "%{project_title}": project.name,
        "%{project_name}": project.path,
        "%{project_id}": str(project.id),
        "%{project_namespace}": ctx.state.project_namespace_path(project),
        "%{group_name}": ctx.state.project_namespace_path(project).split("/", 1)[0],
        "%{default_branch}": project.default_branch,
        "%{commit_sha}": "",
        "%{latest_tag}": "",
    }


def _render(ctx: Ctx, row: dict[str, Any], project: Project | None) -> dict[str, Any]:
    values = _placeholders(ctx, project)

    def fill(text: str) -> str:
        for key, value in values.items():
            text = text.replace(key, value)
        return text

    return {
        "name": row["name"],
        "id": row["id"],
        "link_url": row["link_url"],
        "image_url": row["image_url"],
        "rendered_link_url": fill(row["link_url"]),
        "rendered_image_url": fill(row["image_url"]),
        "kind": row["kind"],
    }


def _badges_of(ctx: Ctx, kind: str, owner_id: int) -> list[dict[str, Any]]:
    table = ctx.state.records[KIND]
    return [r for _, r in sorted(table.items()) if r["kind"] == kind and r["owner_id"] == owner_id]


def _register(kind: str) -> None:
    base = f"/{kind}s/{{id}}/badges"

    def owner(ctx: Ctx) -> tuple[Project | Group, Project | None]:
        found = find_project(ctx) if kind == "project" else find_group(ctx)
        return found, found if isinstance(found, Project) else None

    def need(ctx: Ctx, found: Project | Group) -> None:
        if isinstance(found, Project):
            need_project(ctx, found, MAINTAINER)
        else:
            need_group(ctx, found, OWNER)

    def one(ctx: Ctx, found: Project | Group) -> dict[str, Any]:
        row = ctx.state.records[KIND].get(ctx.path_int("badge_id"))
        if row is None or row["kind"] != kind or row["owner_id"] != found.id:
            raise not_found("Badge")
        return row

    def listing(ctx: Ctx) -> Reply:
        found, project = owner(ctx)
        rows = _badges_of(ctx, kind, found.id)
        if project is not None:
            groups = reversed(ctx.state.project_ancestor_groups(project))
            rows = [r for g in groups for r in _badges_of(ctx, "group", g.id)] + rows
        name = ctx.params.str("name")
        if name is not None:
            rows = [r for r in rows if r["name"] == name]
        return paginate(ctx, rows, lambda row: _render(ctx, row, project))

    def get(ctx: Ctx) -> dict[str, Any]:
        found, project = owner(ctx)
        return _render(ctx, one(ctx, found), project)

    def create(ctx: Ctx) -> dict[str, Any]:
        found, project = owner(ctx)
        need(ctx, found)
        p = ctx.params
        p.require("link_url", "image_url")
        row: dict[str, Any] = {
            "id": ctx.state.next_id(KIND),
            "name": p.str("name"),
            "link_url": p.str("link_url"),
            "image_url": p.str("image_url"),
            "kind": kind,
            "owner_id": found.id,
        }
        ctx.state.records[KIND][row["id"]] = row
        return _render(ctx, row, project)

    def update(ctx: Ctx) -> dict[str, Any]:
        found, project = owner(ctx)
        need(ctx, found)
        row = one(ctx, found)
        for name in ("name", "link_url", "image_url"):
            if ctx.params.has(name):
                row[name] = ctx.params.str(name)
        return _render(ctx, row, project)

    def delete(ctx: Ctx) -> Reply:
        found, _ = owner(ctx)
        need(ctx, found)
        del ctx.state.records[KIND][one(ctx, found)["id"]]
        return Reply(None, 204)

    def render(ctx: Ctx) -> dict[str, Any]:
        """`GET .../badges/render`: what a link and image would look like."""
        _, project = owner(ctx)
        p = ctx.params
        p.require("link_url", "image_url")
        link, image = p.str("link_url") or "", p.str("image_url") or ""
        if not link or not image:
            raise ApiError(400, "link_url, image_url are missing", key="error")
        row = {"id": None, "name": None, "link_url": link, "image_url": image, "kind": kind}
        answer = _render(ctx, row, project)
        answer.pop("id")
        answer.pop("name")
        return answer

    api.get(f"{base}/render")(render)
    api.collection(
        base, "badge_id", listing=listing, create=create, get=get, update=update, delete=delete
    )


_register("project")
_register("group")
