"""Choose which hooks an event reaches and queue one delivery job for each of them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from ..model import AwardEmoji, Group, Hook, Milestone, Note, Project, User, WorkItem
from ..render import Render
from ..state import State, now
from . import payloads


@dataclass
class Job:
    hook_id: int
    trigger: str
    event_header: str
    payload: dict[str, Any]
    event_uuid: str
    idempotency_key: str
    instance: str


def hook_is_executable(hook: Hook) -> bool:
    if hook.permanently_disabled:
        return False
    return hook.disabled_until is None or hook.disabled_until <= now()


@dataclass
class Emitter:
    """Collects the deliveries one API request causes; they are sent after the lock is let go."""

    state: State
    render: Render
    event_uuid: str = field(default_factory=lambda: str(uuid.uuid4()))
    jobs: list[Job] = field(default_factory=list)

    def _fire(
        self, hooks: list[Hook], flag: str | None, trigger: str, header: str, payload: dict
    ) -> None:
        if not hooks:
            return
        seen = self.state.fired_hooks(self.event_uuid)
        for hook in hooks:
            if (flag and not hook.events.get(flag, False)) or not hook_is_executable(hook):
                continue
            if hook.id in seen or len(seen) >= 100:
                self.state.blocked_deliveries += 1
                continue
            seen.add(hook.id)
            self.jobs.append(
                Job(
                    hook.id,
                    trigger,
                    header,
                    payload,
                    self.event_uuid,
                    str(uuid.uuid4()),
                    self.render.base,
                )
            )

    def _project_hooks(self, project: Project) -> list[Hook]:
        hooks = self.state.hooks_for("project", project.id)
        if self.state.has("group_webhooks"):
            for group in self.state.project_ancestor_groups(project):
                hooks += self.state.hooks_for("group", group.id)
        return hooks

    def _group_hooks(self, group: Group) -> list[Hook]:
        if not self.state.has("group_webhooks"):
            return []
        hooks: list[Hook] = []
        for g in self.state.ancestors(group):
            hooks += self.state.hooks_for("group", g.id)
        return hooks

    def _item_hooks(self, item: WorkItem) -> list[Hook]:
        if item.project_id is not None:
            return self._project_hooks(self.state.projects[item.project_id])
        return self._group_hooks(self.state.groups[item.group_id])  # type: ignore[index]

    def issue(self, item: WorkItem, action: str, actor: User, changes: dict[str, Any]) -> None:
        payload = payloads.issue_event(self.render, item, action, actor, changes)
        if item.confidential:
            flag, header = "confidential_issues_events", "Confidential Issue Hook"
        else:
            flag, header = "issues_events", "Issue Hook"
        self._fire(self._item_hooks(item), flag, flag.replace("_events", "_hooks"), header, payload)

    def note(self, note: Note, action: str, actor: User) -> None:
        if note.system:
            return
        item = self.state.work_items[note.noteable_id]
        payload = payloads.note_event(self.render, note, action, actor)
        if note.internal or item.confidential:
            flag, header = "confidential_note_events", "Confidential Note Hook"
        else:
            flag, header = "note_events", "Note Hook"
        self._fire(self._item_hooks(item), flag, flag.replace("_events", "_hooks"), header, payload)

    def milestone(self, milestone: Milestone, action: str, actor: User) -> None:
        payload = payloads.milestone_event(self.render, milestone, action, actor)
        if milestone.owner == "project":
            hooks = self._project_hooks(self.state.projects[milestone.owner_id])
        else:
            hooks = self._group_hooks(self.state.groups[milestone.owner_id])
        self._fire(hooks, "milestone_events", "milestone_hooks", "Milestone Hook", payload)

    def emoji(self, award: AwardEmoji, action: str, actor: User) -> None:
        if award.awardable_type == "Note":
            item = self.state.work_items[self.state.notes[award.awardable_id].noteable_id]
        else:
            item = self.state.work_items[award.awardable_id]
        payload = payloads.emoji_event(
            self.render,
            award.id,
            award.name,
            award.awardable_type,
            award.awardable_id,
            award.created_at,
            action,
            actor,
        )
        self._fire(self._item_hooks(item), "emoji_events", "emoji_hooks", "Emoji Hook", payload)

    def project(self, project: Project, event_name: str) -> None:
        group = self.state.project_group(project)
        if group is not None:
            payload = payloads.project_event(self.render, project, event_name)
            self._fire(
                self._group_hooks(group), "project_events", "project_hooks", "Project Hook", payload
            )
        self.system(payloads.system_project_event(self.render, project, event_name))

    def system(self, payload: dict[str, Any]) -> None:
        hooks = [h for h in self.state.hooks.values() if h.kind == "system"]
        self._fire(hooks, None, "system_hooks", "System Hook", payload)

    def group_created(self, group: Group) -> None:
        self.system(payloads.system_group_event(self.render, group, "group_create"))

    def user_created(self, user: User) -> None:
        self.system(payloads.system_user_event(user, "user_create"))

    def member_added(self, project: Project | None, group: Group | None, user: User, access: int):
        event = "user_add_to_team" if project is not None else "user_add_to_group"
        self.system(payloads.member_event(self.render, project, group, user, access, event))
