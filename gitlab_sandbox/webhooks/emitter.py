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


# GL:lib/gitlab/web_hooks/recursion_detection.rb and GL:doc/administration/instance_limits.md
# "Recursive webhooks": a request that carries `X-Gitlab-Event-UUID` fires each hook at most once
# for that UUID and at most 100 hooks in all.
RECURSION_LIMIT = 100


@dataclass
class Emitter:
    """Collects the deliveries one API request causes; they are sent after the lock is let go.

    `request_uuid` is the `X-Gitlab-Event-UUID` the request carried, if any. Only such requests
    are checked for recursion ("If a request UUID has not been set then we know the request was
    not made by a webhook, and no recursion is possible"). A request without one gives each hook
    a fresh UUID of its own, so a later call that echoes it blocks that hook only.
    """

    state: State
    render: Render
    request_uuid: str | None = None
    jobs: list[Job] = field(default_factory=list)
    hook_uuids: dict[int, str] = field(default_factory=dict)

    @property
    def event_uuid(self) -> str:
        """The UUID a delivery outside any one hook (tests, resends) carries."""
        return self.request_uuid or str(uuid.uuid4())

    def uuid_for(self, hook: Hook) -> str:
        if self.request_uuid:
            return self.request_uuid
        return self.hook_uuids.setdefault(hook.id, str(uuid.uuid4()))

    def _fire(
        self,
        hooks: list[Hook],
        flag: str | None,
        trigger: str,
        header: str,
        payload: dict[str, Any],
    ) -> None:
        for hook in hooks:
            if (flag and not hook.events.get(flag, False)) or not hook_is_executable(hook):
                continue
            event_uuid = self.uuid_for(hook)
            seen = self.state.fired_hooks(event_uuid)
            if self.request_uuid and (hook.id in seen or len(seen) >= RECURSION_LIMIT):
                self.state.blocked_deliveries += 1
                continue
            seen.add(hook.id)
            self.jobs.append(
                Job(
                    hook.id,
                    trigger,
                    header,
                    payload,
                    event_uuid,
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
        if not self.state.since("milestone_events"):
            return  # GL:doc/user/project/integrations/webhook_events.md: milestone events 18.2
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
        # Group hooks hear project_create / project_destroy from 17.6 (webhook_events.md).
        if group is not None and self.state.since("group_project_events"):
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

    def member_added(
        self, project: Project | None, group: Group | None, user: User, access: int
    ) -> None:
        event = "user_add_to_team" if project is not None else "user_add_to_group"
        self.system(payloads.member_event(self.render, project, group, user, access, event))
