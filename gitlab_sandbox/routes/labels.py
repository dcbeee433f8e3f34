"""Project and group labels, with GitLab's 409 when the name is taken here or above."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from ..model import DEVELOPER, Group, Label, Project
from ..routing import Routes
from ..state import now
from ..web import ApiError, Ctx, Reply, bad_request, not_found, paginate
from .common import find_group, find_project, need_owner

api = Routes()

HEX_RE = re.compile(r"^#(?:[0-9a-fA-F]{3}){1,2}$")
NAMED = {
    "red": "#FF0000",
    "green": "#008000",
    "blue": "#0000FF",
    "black": "#000000",
    "white": "#FFFFFF",
    "yellow": "#FFFF00",
    "orange": "#FFA500",
    "purple": "#800080",
    "gray": "#808080",
    "grey": "#808080",
}


def valid_color(value: str | None) -> str:
    color = (value or "").strip()
    if HEX_RE.match(color):
        return color
    if color.lower() in NAMED:
        return NAMED[color.lower()]
    raise bad_request({"color": ["must be a valid color code"]})


def _owner(ctx: Ctx, kind: str) -> tuple[str, Project | Group]:
    return ("project", find_project(ctx)) if kind == "projects" else ("group", find_group(ctx))


def _scope(ctx: Ctx, kind: str, owner: Any) -> tuple[Project | None, Group | None]:
    return (owner, None) if kind == "project" else (None, owner)


def _listed(ctx: Ctx, kind: str, owner: Any) -> list[Label]:
    state, p = ctx.state, ctx.params
    if kind == "project":
        labels = (
            state.available_labels(owner, None)
            if p.bool("include_ancestor_groups", True)
            else state.labels_of("project", owner.id)
        )
    else:
        groups = state.ancestors(owner) if p.bool("include_ancestor_groups", True) else [owner]
        if p.bool("only_group_labels", True) is False or p.bool("include_descendant_groups"):
            groups = groups + state.descendants(owner)[1:]
        labels = [label for g in groups for label in state.labels_of("group", g.id)]
    if p.has("search"):
        term = (p.str("search") or "").lower()
        labels = [la for la in labels if term in la.title.lower()]
    return sorted(labels, key=lambda la: (la.title.lower(), la.id))


def find_label(ctx: Ctx, kind: str, owner: Any, key: str | None) -> Label:
    key = key or ""
    candidates = _listed_all(ctx, kind, owner)
    label = next((la for la in candidates if str(la.id) == key), None) if key.isdigit() else None
    label = label or next((la for la in candidates if la.title == key), None)
    if label is None:
        raise not_found("Label")
    return label


def _listed_all(ctx: Ctx, kind: str, owner: Any) -> list[Label]:
    project, group = _scope(ctx, kind, owner)
    return ctx.state.available_labels(project, group)


def create_label(
    ctx: Ctx,
    kind: str,
    owner: Any,
    title: str,
    color: str,
    description: str | None,
    priority: int | None,
) -> Label:
    state = ctx.state
    project, group = _scope(ctx, kind, owner)
    if not title.strip():
        raise bad_request({"title": ["can't be blank"]})
    if state.find_label(project, group, title) is not None:
        raise ApiError(409, "Label already exists")
    moment = now()
    label = Label(
        id=state.next_id("label"),
        title=title,
        color=color,
        owner=kind,  # type: ignore[arg-type]
        owner_id=owner.id,
        created_at=moment,
        updated_at=moment,
        description=description,
        priority=priority if kind == "project" else None,
    )
    state.labels[label.id] = label
    return label


def _register(kind: str) -> None:
    single = "project" if kind == "projects" else "group"
    base = f"/{kind}/{{id}}/labels"

    def listing(ctx: Ctx) -> Reply:
        _, owner = _owner(ctx, kind)
        counts = bool(ctx.params.bool("with_counts"))
        return paginate(
            ctx, _listed(ctx, single, owner), lambda la: ctx.render.label(la, counts=counts)
        )

    def get(ctx: Ctx) -> dict[str, Any]:
        _, owner = _owner(ctx, kind)
        label = find_label(ctx, single, owner, ctx.path_id("label_id"))
        return ctx.render.label(label)

    def create(ctx: Ctx) -> dict[str, Any]:
        _, owner = _owner(ctx, kind)
        need_owner(ctx, owner, DEVELOPER)
        p = ctx.params
        p.require("name", "color")
        label = create_label(
            ctx,
            single,
            owner,
            p.str("name") or "",
            valid_color(p.str("color")),
            p.str("description"),
            p.int("priority"),
        )
        return ctx.render.label(label)

    def update(ctx: Ctx) -> dict[str, Any]:
        _, owner = _owner(ctx, kind)
        need_owner(ctx, owner, DEVELOPER)
        p = ctx.params
        key = (
            ctx.path_id("label_id")
            if "label_id" in ctx.path
            else (p.str("label_id") or p.str("name"))
        )
        if not key:
            raise ApiError(
                400,
                "label_id, name are missing, exactly one parameter must be provided",
                key="error",
            )
        label = find_label(ctx, single, owner, key)
        if label.owner != single or label.owner_id != owner.id:
            raise not_found("Label")
        if not any(p.has(n) for n in ("new_name", "color", "description", "priority")):
            raise ApiError(
                400,
                "new_name, color, description, priority are missing, at least "
                "one parameter must be provided",
                key="error",
            )
        if p.has("new_name") and p.str("new_name") != label.title:
            project, group = _scope(ctx, single, owner)
            if ctx.state.find_label(project, group, p.str("new_name") or "") is not None:
                raise bad_request({"title": ["has already been taken"]})
            label.title = p.str("new_name") or label.title
        if p.has("color"):
            label.color = valid_color(p.str("color"))
        if p.has("description"):
            label.description = p.str("description")
        if p.has("priority") and single == "project":
            label.priority = p.int("priority")
        label.updated_at = now()
        return ctx.render.label(label)

    def delete(ctx: Ctx) -> Reply:
        _, owner = _owner(ctx, kind)
        need_owner(ctx, owner, DEVELOPER)
        key = (
            ctx.path_id("label_id")
            if "label_id" in ctx.path
            else (ctx.params.str("label_id") or ctx.params.str("name"))
        )
        label = find_label(ctx, single, owner, key)
        if label.owner != single or label.owner_id != owner.id:
            raise not_found("Label")
        del ctx.state.labels[label.id]
        for item in ctx.state.work_items.values():
            if label.id in item.label_ids:
                item.label_ids.remove(label.id)
        return Reply(None, 204)

    def subscription(subscribe: bool) -> Callable[[Ctx], Reply]:
        def change(ctx: Ctx) -> Reply:
            """GL:doc/api/labels.md: 304 when the caller already is (or is not) subscribed."""
            _, owner = _owner(ctx, kind)
            label = find_label(ctx, single, owner, ctx.path_id("label_id"))
            user = ctx.me
            if (user.id in label.subscribers) == subscribe:
                return Reply(None, 304)
            (label.subscribers.add if subscribe else label.subscribers.discard)(user.id)
            return Reply(ctx.render.label(label), 201)

        return change

    api.post(f"{base}/{{label_id}}/subscribe")(subscription(True))
    api.post(f"{base}/{{label_id}}/unsubscribe")(subscription(False))
    api.get(base)(listing)
    api.post(base)(create)
    api.put(base)(update)
    api.delete(base)(delete)
    api.get(f"{base}/{{label_id}}")(get)
    api.put(f"{base}/{{label_id}}")(update)
    api.delete(f"{base}/{{label_id}}")(delete)


_register("projects")
_register("groups")
