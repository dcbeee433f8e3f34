"""The whole in-memory GitLab: collections, id sequences, lookups and role arithmetic."""

from __future__ import annotations

import itertools
import threading
from collections import OrderedDict, defaultdict
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from . import clock, tiers, versions
from .model import (
    OWNER,
    REPORTER,
    AwardEmoji,
    Board,
    Deployment,
    Group,
    Hook,
    HookLog,
    IssueLink,
    Label,
    Member,
    Milestone,
    Note,
    Project,
    Timelog,
    Token,
    Topic,
    User,
    WorkItem,
)

RECURSION_MEMORY = 10_000


def now() -> datetime:
    """The current moment of the sandbox being served (its clock may be simulated), truncated
    to milliseconds as GitLab renders it."""
    return clock.current.get().now()


Key = TypeVar("Key")
Row = TypeVar("Row")


def drop(table: dict[Key, Row], gone: Callable[[Row], bool]) -> None:
    """Delete the rows of `table` that `gone` picks: what a deleted project or group takes."""
    for key in [key for key, row in table.items() if gone(row)]:
        del table[key]


class State:
    """Everything the sandbox knows; callers hold `lock` around every read and write."""

    def __init__(self, tier: str, admin_token: str, version: str = versions.DEFAULT) -> None:
        self.lock = threading.RLock()
        self.tier: str = tiers.check_tier(tier)
        self.version: versions.Version = versions.parse(version)
        self.feature_flags: frozenset[str] = frozenset()
        self.admin_token = admin_token
        self.clock = clock.SandboxClock()
        self.generation = 0
        self.clear()

    def clear(self) -> None:
        self.generation += 1
        self._seq: dict[str, itertools.count[int]] = defaultdict(lambda: itertools.count(1))
        self.users: dict[int, User] = {}
        self.tokens: dict[str, Token] = {}
        self.groups: dict[int, Group] = {}
        self.projects: dict[int, Project] = {}
        self.members: dict[tuple[str, int, int], Member] = {}
        self.labels: dict[int, Label] = {}
        self.milestones: dict[int, Milestone] = {}
        self.work_items: dict[int, WorkItem] = {}
        self.notes: dict[int, Note] = {}
        self.awards: dict[int, AwardEmoji] = {}
        self.links: dict[int, IssueLink] = {}
        self.boards: dict[int, Board] = {}
        self.deployments: dict[int, Deployment] = {}
        self.timelogs: dict[int, Timelog] = {}
        self.hooks: dict[int, Hook] = {}
        self.hook_logs: dict[int, list[HookLog]] = defaultdict(list)
        self.recursion: OrderedDict[str, set[int]] = OrderedDict()
        self.blocked_deliveries = 0
        self.settings: dict[str, object] = {}
        self.files: dict[str, tuple[str, bytes]] = {}
        """Uploaded files by URL path: content type and bytes (avatars, markdown uploads)."""
        self.custom_attributes: dict[tuple[str, int], dict[str, str]] = defaultdict(dict)
        self.topics: dict[int, Topic] = {}
        self.repositories: dict[int, dict[str, dict[str, dict[str, str]]]] = {}
        """Repository files by project, branch and path: content and last commit id."""
        self.records: dict[str, dict[int, dict[str, Any]]] = defaultdict(dict)
        """Small per-user or per-owner records by kind (SSH and GPG keys, emails, statuses,
        badges): plain rows, rendered as GitLab shows them."""
        root = self.add_user("root", "Administrator", "admin@example.com", is_admin=True)
        self.add_token(root.id, "sandbox-root", ["api", "sudo", "admin_mode"], self.admin_token)

    def has(self, feature: str) -> bool:
        """Whether this instance's tier offers a licensed feature (see `tiers.FEATURES`)."""
        return tiers.allows(self.tier, feature)

    def since(self, feature: str) -> bool:
        """Whether this instance's GitLab version has a behaviour (see `versions.SINCE`)."""
        return versions.has(self.version, feature)

    # -- sequences -------------------------------------------------------------------------

    def next_id(self, kind: str) -> int:
        return next(self._seq[kind])

    # -- users and tokens ------------------------------------------------------------------

    def add_user(
        self, username: str, name: str, email: str, *, is_admin: bool = False, bot: bool = False
    ) -> User:
        user = User(
            id=self.next_id("user"),
            username=username,
            name=name,
            email=email,
            namespace_id=self.next_id("namespace"),
            created_at=now(),
            is_admin=is_admin,
            bot=bot,
        )
        self.users[user.id] = user
        return user

    def add_token(self, user_id: int, name: str, scopes: list[str], value: str) -> Token:
        token = Token(self.next_id("token"), value, user_id, name, scopes, now())
        self.tokens[value] = token
        return token

    def ghost(self) -> User:
        """GitLab's stand-in author for the work of deleted users."""
        return self.user_by_username("ghost") or self.add_user(
            "ghost", "Ghost User", "ghost@example.com"
        )

    def user_by_username(self, username: str) -> User | None:
        lowered = username.lower()
        return next((u for u in self.users.values() if u.username.lower() == lowered), None)

    def user_by_namespace(self, namespace_id: int) -> User | None:
        return next((u for u in self.users.values() if u.namespace_id == namespace_id), None)

    # -- namespaces and paths --------------------------------------------------------------

    def group_full_path(self, group: Group) -> str:
        parts = [group.path]
        while group.parent_id is not None:
            group = self.groups[group.parent_id]
            parts.append(group.path)
        return "/".join(reversed(parts))

    def group_full_name(self, group: Group) -> str:
        return " / ".join(g.name for g in reversed(self.ancestors(group)))

    def ancestors(self, group: Group) -> list[Group]:
        """The group itself, then its parent, up to the root."""
        chain = [group]
        while group.parent_id is not None:
            group = self.groups[group.parent_id]
            chain.append(group)
        return chain

    def descendants(self, group: Group) -> list[Group]:
        """The group and every subgroup below it."""
        found = [group]
        for candidate in found:
            found.extend(g for g in self.groups.values() if g.parent_id == candidate.id)
        return found

    def group_by_path(self, full_path: str) -> Group | None:
        lowered = full_path.strip("/").lower()
        return next(
            (g for g in self.groups.values() if self.group_full_path(g).lower() == lowered), None
        )

    def project_group(self, project: Project) -> Group | None:
        return self.groups.get(project.namespace_id) if project.namespace_kind == "group" else None

    def project_namespace_path(self, project: Project) -> str:
        group = self.project_group(project)
        if group is not None:
            return self.group_full_path(group)
        owner = self.user_by_namespace(project.namespace_id)
        return owner.username if owner else ""

    def project_full_path(self, project: Project) -> str:
        return f"{self.project_namespace_path(project)}/{project.path}"

    def project_by_path(self, full_path: str) -> Project | None:
        lowered = full_path.strip("/").lower()
        return next(
            (p for p in self.projects.values() if self.project_full_path(p).lower() == lowered),
            None,
        )

    def project_ancestor_groups(self, project: Project) -> list[Group]:
        group = self.project_group(project)
        return self.ancestors(group) if group else []

    def projects_in(self, group: Group, *, include_subgroups: bool) -> list[Project]:
        groups = self.descendants(group) if include_subgroups else [group]
        ids = {g.id for g in groups}
        return [
            p
            for p in self.projects.values()
            if p.namespace_kind == "group" and p.namespace_id in ids
        ]

    # -- roles -----------------------------------------------------------------------------

    def group_access(self, user: User | None, group: Group) -> int:
        """The highest role the user holds on the group or any ancestor (inherited)."""
        if user is None:
            return 0
        if user.is_admin:
            return OWNER
        best = 0
        for g in self.ancestors(group):
            member = self.members.get(("group", g.id, user.id))
            if member and member.access_level > best:
                best = member.access_level
        return best

    def project_access(self, user: User | None, project: Project) -> int:
        if user is None:
            return 0
        if user.is_admin:
            return OWNER
        member = self.members.get(("project", project.id, user.id))
        best = member.access_level if member else 0
        group = self.project_group(project)
        if group is not None:
            best = max(best, self.group_access(user, group))
        elif project.namespace_id == user.namespace_id:
            best = OWNER
        return best

    def is_member(self, user: User, project: Project) -> bool:
        """Direct or inherited membership (an administrator's reach does not count)."""
        if ("project", project.id, user.id) in self.members:
            return True
        groups = self.project_ancestor_groups(project)
        return any(("group", g.id, user.id) in self.members for g in groups)

    def can_see_project(self, user: User | None, project: Project) -> bool:
        if project.visibility == "public":
            return True
        if user is None:
            return False
        if project.visibility == "internal":
            return True
        return self.project_access(user, project) > 0

    def can_see_group(self, user: User | None, group: Group) -> bool:
        if group.visibility == "public" or (user is not None and group.visibility == "internal"):
            return True
        if user is None:
            return False
        if self.group_access(user, group) > 0:
            return True
        # Members of a subgroup or of a project inside can see the group's name and path.
        subtree = self.descendants(group)
        if any(self.members.get(("group", g.id, user.id)) for g in subtree):
            return True
        return any(
            self.members.get(("project", p.id, user.id))
            for p in self.projects_in(group, include_subgroups=True)
        )

    def can_see_issue(self, user: User | None, item: WorkItem) -> bool:
        if not item.confidential:
            return True
        if user is None:
            return False
        if item.author_id == user.id or user.id in item.assignee_ids:
            return True
        return self.item_access(user, item) >= REPORTER

    def item_access(self, user: User | None, item: WorkItem) -> int:
        if item.project_id is not None:
            return self.project_access(user, self.projects[item.project_id])
        return self.group_access(user, self.groups[item.group_id])  # type: ignore[index]

    def can_edit_item(self, user: User, item: WorkItem) -> bool:
        return item.author_id == user.id or self.item_access(user, item) >= REPORTER

    # -- labels ----------------------------------------------------------------------------

    def labels_of(self, owner: str, owner_id: int) -> list[Label]:
        return [
            label
            for label in self.labels.values()
            if label.owner == owner and label.owner_id == owner_id
        ]

    def available_labels(self, project: Project | None, group: Group | None) -> list[Label]:
        """Labels usable in a project or group: its own and those of every ancestor group."""
        found: list[Label] = []
        if project is not None:
            found.extend(self.labels_of("project", project.id))
            groups = self.project_ancestor_groups(project)
        else:
            groups = self.ancestors(group) if group else []
        for g in groups:
            found.extend(self.labels_of("group", g.id))
        return found

    def find_label(self, project: Project | None, group: Group | None, title: str) -> Label | None:
        return next(
            (label for label in self.available_labels(project, group) if label.title == title),
            None,
        )

    # -- milestones ------------------------------------------------------------------------

    def milestones_of(self, owner: str, owner_id: int) -> list[Milestone]:
        return [m for m in self.milestones.values() if m.owner == owner and m.owner_id == owner_id]

    def milestone_titles_in_scope(self, owner: str, owner_id: int) -> set[str]:
        """Titles a new milestone may not reuse: its owner's and every ancestor group's."""
        if owner == "project":
            project = self.projects[owner_id]
            titles = {m.title for m in self.milestones_of("project", project.id)}
            groups = self.project_ancestor_groups(project)
        else:
            titles = set()
            groups = self.ancestors(self.groups[owner_id])
        for g in groups:
            titles |= {m.title for m in self.milestones_of("group", g.id)}
        return titles

    # -- work items ------------------------------------------------------------------------

    def issue_by_iid(self, project: Project, iid: int) -> WorkItem | None:
        return next(
            (
                w
                for w in self.work_items.values()
                if w.project_id == project.id and w.iid == iid and not w.is_epic
            ),
            None,
        )

    def epic_by_iid(self, group: Group, iid: int) -> WorkItem | None:
        return next(
            (
                w
                for w in self.work_items.values()
                if w.group_id == group.id and w.iid == iid and w.is_epic
            ),
            None,
        )

    def children(self, item: WorkItem) -> list[WorkItem]:
        return [w for w in self.work_items.values() if w.parent_id == item.id]

    def notes_of(self, item: WorkItem) -> list[Note]:
        return [n for n in self.notes.values() if n.noteable_id == item.id]

    def awards_on(self, awardable_type: str, awardable_id: int) -> list[AwardEmoji]:
        return [
            a
            for a in self.awards.values()
            if a.awardable_type == awardable_type and a.awardable_id == awardable_id
        ]

    def links_of(self, item: WorkItem) -> list[IssueLink]:
        return [link for link in self.links.values() if item.id in (link.source_id, link.target_id)]

    def fired_hooks(self, event_uuid: str) -> set[int]:
        """Hooks already fired for an event UUID; only the most recent UUIDs are kept."""
        seen = self.recursion.get(event_uuid)
        if seen is None:
            seen = self.recursion[event_uuid] = set()
            while len(self.recursion) > RECURSION_MEMORY:
                self.recursion.popitem(last=False)
        return seen

    def hooks_for(self, kind: str, owner_id: int | None) -> list[Hook]:
        return [h for h in self.hooks.values() if h.kind == kind and h.owner_id == owner_id]
