"""Project topics (GL:doc/api/topics.md): listed by anyone, managed by administrators."""

from __future__ import annotations

from typing import Any

from ..model import Topic
from ..routing import Routes
from ..state import State
from ..web import ApiError, Ctx, Reply, bad_request, not_found, paginate, ruby_hash
from .common import need_admin
from .uploads import set_avatar

api = Routes()


def sync_topics(state: State) -> None:
    """Every topic name a project carries has its topic record (GitLab creates it on save)."""
    known = {topic.name.lower() for topic in state.topics.values()}
    for project in sorted(state.projects.values(), key=lambda p: p.id):
        for name in project.topics:
            if name.lower() not in known:
                topic = Topic(state.next_id("topic"), name, name)
                state.topics[topic.id] = topic
                known.add(name.lower())


def _count(state: State, topic: Topic) -> int:
    return sum(1 for p in state.projects.values() if topic.name in p.topics)


def _render(ctx: Ctx, topic: Topic) -> dict[str, Any]:
    return {
        "id": topic.id,
        "name": topic.name,
        "title": topic.title,
        "description": topic.description,
        "total_projects_count": _count(ctx.state, topic),
        "organization_id": 1,
        "avatar_url": ctx.render.file_url(topic.avatar),
    }


def _find(ctx: Ctx, name: str = "topic_id") -> Topic:
    sync_topics(ctx.state)
    topic = ctx.state.topics.get(ctx.path_int(name))
    if topic is None:
        raise not_found()
    return topic


@api.get("/topics")
def list_topics(ctx: Ctx) -> Reply:
    state, p = ctx.state, ctx.params
    sync_topics(state)
    topics = list(state.topics.values())
    if p.has("search"):
        term = (p.str("search") or "").lower()
        topics = [t for t in topics if term in t.name.lower() or term in t.title.lower()]
    if p.bool("without_projects"):
        topics = [t for t in topics if _count(state, t) == 0]
    topics.sort(key=lambda t: (-_count(state, t), t.id))
    return paginate(ctx, topics, lambda topic: _render(ctx, topic))


@api.get("/topics/{topic_id}")
def get_topic(ctx: Ctx) -> dict[str, Any]:
    return _render(ctx, _find(ctx))


@api.post("/topics")
def create_topic(ctx: Ctx) -> dict[str, Any]:
    need_admin(ctx)
    p, state = ctx.params, ctx.state
    p.require("name", "title")
    sync_topics(state)
    name = (p.str("name") or "").strip()
    if any(t.name.lower() == name.lower() for t in state.topics.values()):
        raise bad_request(ruby_hash({"name": ["has already been taken"]}))
    topic = Topic(state.next_id("topic"), name, p.str("title") or name, p.str("description"))
    state.topics[topic.id] = topic
    topic.avatar = set_avatar(ctx, "projects/topic", topic.id, None)
    return _render(ctx, topic)


@api.put("/topics/{topic_id}")
def update_topic(ctx: Ctx) -> dict[str, Any]:
    need_admin(ctx)
    topic = _find(ctx)
    p = ctx.params
    if p.has("name"):
        rename(ctx.state, topic, (p.str("name") or "").strip() or topic.name)
    if p.has("title"):
        topic.title = p.str("title") or topic.title
    if p.has("description"):
        topic.description = p.str("description")
    topic.avatar = set_avatar(ctx, "projects/topic", topic.id, topic.avatar)
    return _render(ctx, topic)


def rename(state: State, topic: Topic, name: str) -> None:
    for project in state.projects.values():
        project.topics = [name if t == topic.name else t for t in project.topics]
    topic.name = name


@api.delete("/topics/{topic_id}")
def delete_topic(ctx: Ctx) -> Reply:
    need_admin(ctx)
    topic = _find(ctx)
    for project in ctx.state.projects.values():
        project.topics = [t for t in project.topics if t != topic.name]
    del ctx.state.topics[topic.id]
    return Reply(None, 204)


@api.post("/topics/merge")
def merge_topics(ctx: Ctx) -> dict[str, Any]:
    """Projects of the source topic get the target topic; the source topic is deleted."""
    need_admin(ctx)
    p, state = ctx.params, ctx.state
    p.require("source_topic_id", "target_topic_id")
    sync_topics(state)
    source = state.topics.get(p.int("source_topic_id") or 0)
    target = state.topics.get(p.int("target_topic_id") or 0)
    if source is None or target is None:
        raise not_found("Topic")
    if source.id == target.id:
        raise ApiError(400, "source topic and target topic must be different", key="error")
    for project in state.projects.values():
        if source.name in project.topics:
            merged = [target.name if t == source.name else t for t in project.topics]
            project.topics = list(dict.fromkeys(merged))
    del state.topics[source.id]
    return _render(ctx, target)
