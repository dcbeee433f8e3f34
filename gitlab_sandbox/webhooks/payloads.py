"""Webhook bodies shaped like GitLab's documented examples."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..model import Group, Label, Milestone, Note, Project, User, WorkItem
from ..render import ACCESS_NAMES, Render, avatar

VISIBILITY_LEVEL = {"private": 0, "internal": 10, "public": 20}
STATE_ID = {"opened": 1, "closed": 2}


def utc_text(value: datetime | None) -> str | None:
    """The `2015-05-17 18:08:09 UTC` form GitLab uses inside note, emoji and milestone hooks."""
    return value.strftime("%Y-%m-%d %H:%M:%S UTC") if value else None


def zulu(value: datetime | None) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value else None


def hook_user(user: User) -> dict[str, Any]:
    """A user as a webhook payload shows one (the actor, an assignee): the email redacted."""
    return {
        "id": user.id,
        "name": user.name,
        "username": user.username,
        "avatar_url": avatar(user.email),
        "email": "[REDACTED]",
    }


def hook_project(r: Render, project: Project) -> dict[str, Any]:
    state = r.state
    web_url = r.project_url(project)
    full_path = state.project_full_path(project)
    host = r.base.split("://", 1)[-1]
    group = state.project_group(project)
    owner = state.user_by_namespace(project.namespace_id)
    namespace = group.name if group else (owner.name if owner else "")
    return {
        "id": project.id,
        "name": project.name,
        "description": project.description,
        "web_url": web_url,
        "avatar_url": None,
        "git_ssh_url": f"git@{host}:{full_path}.git",
        "git_http_url": f"{web_url}.git",
        "namespace": namespace,
        "visibility_level": VISIBILITY_LEVEL.get(project.visibility, 0),
        "path_with_namespace": full_path,
        "default_branch": project.default_branch,
        "ci_config_path": None,
        "homepage": web_url,
        "url": f"git@{host}:{full_path}.git",
        "ssh_url": f"git@{host}:{full_path}.git",
        "http_url": f"{web_url}.git",
    }


def hook_repository(r: Render, project: Project) -> dict[str, Any]:
    web_url = r.project_url(project)
    return {
        "name": project.name,
        "url": f"{web_url}.git",
        "description": project.description,
        "homepage": web_url,
    }


def hook_label(label: Label) -> dict[str, Any]:
    return {
        "id": label.id,
        "title": label.title,
        "color": label.color,
        "project_id": label.owner_id if label.owner == "project" else None,
        "created_at": zulu(label.created_at),
        "updated_at": zulu(label.updated_at),
        "template": False,
        "description": label.description,
        "type": "ProjectLabel" if label.owner == "project" else "GroupLabel",
        "group_id": label.owner_id if label.owner == "group" else None,
    }


def item_labels(r: Render, item: WorkItem) -> list[dict[str, Any]]:
    return [hook_label(r.state.labels[i]) for i in item.label_ids if i in r.state.labels]


def _work_item_type(item: WorkItem) -> str:
    return {"test_case": "Test Case"}.get(item.kind, item.kind.capitalize())


def issue_attributes(r: Render, item: WorkItem) -> dict[str, Any]:
    """The issue as it appears in `object_attributes` and in a note's `issue` block."""
    return {
        "author_id": item.author_id,
        "closed_at": zulu(item.closed_at),
        "confidential": item.confidential,
        "created_at": zulu(item.created_at),
        "description": item.description,
        "discussion_locked": item.discussion_locked,
        "due_date": item.due_date.isoformat() if item.due_date else None,
        "id": item.id,
        "iid": item.iid,
        "last_edited_at": zulu(item.last_edited_at),
        "last_edited_by_id": item.last_edited_by_id,
        "milestone_id": item.milestone_id,
        "moved_to_id": None,
        "duplicated_to_id": None,
        "project_id": item.project_id,
        "relative_position": item.relative_position,
        "state_id": STATE_ID.get(item.state, 1),
        "time_estimate": item.time_estimate,
        "title": item.title,
        "updated_at": zulu(item.updated_at),
        "updated_by_id": item.updated_by_id,
        "weight": item.weight,
        "health_status": None,
        "type": _work_item_type(item),
        "url": r.item_url(item),
        "total_time_spent": r.time_stats(item)["total_time_spent"],
        "time_change": 0,
        "human_total_time_spent": r.time_stats(item)["human_total_time_spent"],
        "human_time_change": None,
        "human_time_estimate": r.time_stats(item)["human_time_estimate"],
        "assignee_ids": list(item.assignee_ids),
        "assignee_id": item.assignee_ids[0] if item.assignee_ids else None,
        "labels": item_labels(r, item),
        "state": item.state,
        "severity": "unknown",
        "position": item.relative_position,
        "branch_name": None,
    }


def issue_event(
    r: Render, item: WorkItem, action: str, actor: User, changes: dict[str, Any]
) -> dict[str, Any]:
    state = r.state
    kind = "issue" if item.kind in ("issue",) else "work_item"
    attributes = issue_attributes(r, item)
    attributes.update(
        action=action,
        escalation_status="triggered" if item.kind == "incident" else "none",
        escalation_policy={"id": 0, "name": ""},
    )
    assignees = [state.users[u] for u in item.assignee_ids if u in state.users]
    payload: dict[str, Any] = {
        "object_kind": kind,
        "event_type": "confidential_issue" if item.confidential else kind,
        "user": hook_user(actor),
    }
    if item.project_id is not None:
        project = state.projects[item.project_id]
        payload["project"] = hook_project(r, project)
        payload["repository"] = hook_repository(r, project)
    else:
        group = state.groups[item.group_id]  # type: ignore[index]
        payload["group"] = hook_group(r, group)
    payload["object_attributes"] = attributes
    payload["assignees"] = [hook_user(u) for u in assignees]
    if assignees:
        payload["assignee"] = hook_user(assignees[0])
    payload["labels"] = item_labels(r, item)
    payload["changes"] = changes
    return payload


def hook_group(r: Render, group: Group) -> dict[str, Any]:
    return {
        "group_id": group.id,
        "group_name": group.name,
        "group_path": group.path,
        "full_path": r.state.group_full_path(group),
        "web_url": r.group_url(group),
    }


def note_url(r: Render, note: Note) -> str:
    return f"{r.item_url(r.state.work_items[note.noteable_id])}#note_{note.id}"


def note_attributes(r: Render, note: Note) -> dict[str, Any]:
    item = r.state.work_items[note.noteable_id]
    return {
        "attachment": None,
        "author_id": note.author_id,
        "change_position": None,
        "commit_id": "",
        "created_at": utc_text(note.created_at),
        "discussion_id": note.discussion_id,
        "id": note.id,
        "line_code": None,
        "note": note.body,
        "noteable_id": item.id,
        "noteable_type": "Epic" if item.is_epic else "Issue",
        "original_position": None,
        "position": None,
        "project_id": item.project_id,
        "resolved_at": None,
        "resolved_by_id": None,
        "resolved_by_push": None,
        "st_diff": None,
        "system": note.system,
        "type": None,
        "updated_at": utc_text(note.updated_at),
        "updated_by_id": None,
        "description": note.body,
        "internal": note.internal,
        "confidential": note.internal,
        "url": note_url(r, note),
    }


def _issue_block(r: Render, item: WorkItem) -> dict[str, Any]:
    block = issue_attributes(r, item)
    block["created_at"] = utc_text(item.created_at)
    block["updated_at"] = utc_text(item.updated_at)
    return block


def note_event(r: Render, note: Note, action: str, actor: User) -> dict[str, Any]:
    state = r.state
    item = state.work_items[note.noteable_id]
    attributes = note_attributes(r, note)
    if state.since("note_hook_action"):  # webhook_events.md: `action` from 16.11
        attributes["action"] = action
    confidential = note.internal or item.confidential
    payload: dict[str, Any] = {
        "object_kind": "note",
        "event_type": "confidential_note" if confidential else "note",
        "user": hook_user(actor),
        "project_id": item.project_id,
    }
    if item.project_id is not None:
        project = state.projects[item.project_id]
        payload["project"] = hook_project(r, project)
        payload["repository"] = hook_repository(r, project)
    else:
        payload["group"] = hook_group(r, state.groups[item.group_id])  # type: ignore[index]
    payload["object_attributes"] = attributes
    payload["issue"] = _issue_block(r, item)
    return payload


def milestone_event(r: Render, milestone: Milestone, action: str, actor: User) -> dict[str, Any]:
    state = r.state
    payload: dict[str, Any] = {"object_kind": "milestone", "event_type": "milestone"}
    if milestone.owner == "project":
        payload["project"] = hook_project(r, state.projects[milestone.owner_id])
    else:
        payload["group"] = hook_group(r, state.groups[milestone.owner_id])
    payload["user"] = hook_user(actor)
    payload["object_attributes"] = {
        "id": milestone.id,
        "iid": milestone.iid,
        "title": milestone.title,
        "description": milestone.description,
        "state": milestone.state,
        "created_at": utc_text(milestone.created_at),
        "updated_at": utc_text(milestone.updated_at),
        "due_date": milestone.due_date.isoformat() if milestone.due_date else None,
        "start_date": milestone.start_date.isoformat() if milestone.start_date else None,
        "group_id": milestone.owner_id if milestone.owner == "group" else None,
        "project_id": milestone.owner_id if milestone.owner == "project" else None,
    }
    payload["action"] = action
    return payload


def emoji_event(
    r: Render,
    award_id: int,
    name: str,
    awardable_type: str,
    awardable_id: int,
    created_at: datetime,
    action: str,
    actor: User,
) -> dict[str, Any]:
    state = r.state
    if awardable_type == "Note":
        note = state.notes[awardable_id]
        item = state.work_items[note.noteable_id]
        url = note_url(r, note)
    else:
        note = None
        item = state.work_items[awardable_id]
        url = r.item_url(item)
    payload: dict[str, Any] = {
        "object_kind": "emoji",
        "event_type": action,
        "user": hook_user(actor),
        "project_id": item.project_id,
    }
    if item.project_id is not None:
        payload["project"] = hook_project(r, state.projects[item.project_id])
    payload["object_attributes"] = {
        "user_id": actor.id,
        "created_at": utc_text(created_at),
        "id": award_id,
        "name": name,
        "awardable_type": awardable_type,
        "awardable_id": awardable_id,
        "updated_at": utc_text(created_at),
        "action": action,
        "awarded_on_url": url,
    }
    if note is not None:
        payload["note"] = note_attributes(r, note)
    payload["issue"] = _issue_block(r, item)
    return payload


def _owners(r: Render, project: Project) -> list[dict[str, str]]:
    state = r.state
    owners = [
        state.users[m.user_id]
        for m in state.members.values()
        if m.source == "project" and m.source_id == project.id and m.access_level >= 50
    ]
    if not owners:
        owners = [state.users[project.creator_id]]
    return [{"name": u.name, "email": u.email} for u in owners]


def project_event(r: Render, project: Project, event_name: str) -> dict[str, Any]:
    """The group `Project Hook` body (project_create / project_destroy)."""
    now = zulu(project.last_activity_at)
    return {
        "event_name": event_name,
        "created_at": zulu(project.created_at),
        "updated_at": now,
        "name": project.name,
        "path": project.path,
        "path_with_namespace": r.state.project_full_path(project),
        "project_id": project.id,
        "project_namespace_id": project.project_namespace_id,
        "owners": _owners(r, project),
        "project_visibility": project.visibility,
    }


def system_project_event(r: Render, project: Project, event_name: str) -> dict[str, Any]:
    payload = project_event(r, project, event_name)
    creator = r.state.users[project.creator_id]
    payload["owner_email"] = creator.email
    payload["owner_name"] = creator.name
    return payload


def system_group_event(r: Render, group: Group, event_name: str) -> dict[str, Any]:
    return {
        "created_at": zulu(group.created_at),
        "updated_at": zulu(group.created_at),
        "event_name": event_name,
        "name": group.name,
        "owner_email": None,
        "owner_name": None,
        "path": group.path,
        "full_path": r.state.group_full_path(group),
        "group_id": group.id,
    }


def system_user_event(user: User, event_name: str) -> dict[str, Any]:
    return {
        "created_at": zulu(user.created_at),
        "updated_at": zulu(user.created_at),
        "email": user.email,
        "event_name": event_name,
        "name": user.name,
        "username": user.username,
        "user_id": user.id,
    }


def member_event(
    r: Render, project: Project | None, group: Group | None, user: User, access: int, event: str
) -> dict[str, Any]:
    """System `user_add_to_team` / `user_add_to_group` bodies."""
    base = {
        "created_at": zulu(user.created_at),
        "updated_at": zulu(user.created_at),
        "event_name": event,
        "user_email": user.email,
        "user_name": user.name,
        "user_username": user.username,
        "user_id": user.id,
    }
    if project is not None:
        base.update(
            access_level=ACCESS_NAMES.get(access, "Guest"),
            project_id=project.id,
            project_name=project.name,
            project_path=project.path,
            project_path_with_namespace=r.state.project_full_path(project),
            project_visibility=project.visibility,
        )
    elif group is not None:
        base.update(
            group_access=ACCESS_NAMES.get(access, "Guest"),
            group_id=group.id,
            group_name=group.name,
            group_path=r.state.group_full_path(group),
        )
    return base
