"""The records the sandbox keeps in memory: one dataclass per GitLab object kind."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

OwnerKind = Literal["project", "group"]

GUEST, PLANNER, REPORTER, DEVELOPER, MAINTAINER, OWNER = 10, 15, 20, 30, 40, 50


@dataclass
class User:
    id: int
    username: str
    name: str
    email: str
    namespace_id: int
    created_at: datetime
    is_admin: bool = False
    state: str = "active"
    bot: bool = False
    avatar: str | None = None
    """Path of an uploaded avatar (`/uploads/-/system/...`); None shows the Gravatar."""
    bio: str = ""
    identities: dict[str, str] = field(default_factory=dict)
    """Provider name to `extern_uid` (GL:doc/api/users.md, identities)."""
    notification_levels: dict[str, str] = field(default_factory=dict)
    """`global`, `group:<id>` or `project:<id>` to a notification level."""


@dataclass
class Token:
    id: int
    token: str
    user_id: int
    name: str
    scopes: list[str]
    created_at: datetime
    expires_at: date | None = None
    revoked: bool = False
    last_used_at: datetime | None = None
    impersonation: bool = False


@dataclass
class Group:
    id: int
    name: str
    path: str
    parent_id: int | None
    created_at: datetime
    description: str = ""
    visibility: str = "private"
    next_epic_iid: int = 1
    next_milestone_iid: int = 1
    avatar: str | None = None
    shared_with: dict[int, int] = field(default_factory=dict)
    """Groups this group is shared with: group id to the maximum access level granted."""


@dataclass
class Project:
    id: int
    name: str
    path: str
    namespace_kind: Literal["group", "user"]
    namespace_id: int
    project_namespace_id: int
    creator_id: int
    created_at: datetime
    last_activity_at: datetime
    description: str = ""
    visibility: str = "private"
    topics: list[str] = field(default_factory=list)
    default_branch: str = "main"
    archived: bool = False
    issues_enabled: bool = True
    next_issue_iid: int = 1
    next_milestone_iid: int = 1
    avatar: str | None = None
    starrers: set[int] = field(default_factory=set)
    forked_from_id: int | None = None


@dataclass
class Topic:
    """A project topic (GL:doc/api/topics.md); projects name their topics by `name`."""

    id: int
    name: str
    title: str
    description: str | None = None
    avatar: str | None = None


@dataclass
class Member:
    source: OwnerKind
    source_id: int
    user_id: int
    access_level: int
    created_at: datetime
    created_by_id: int | None = None
    expires_at: date | None = None


@dataclass
class Label:
    id: int
    title: str
    color: str
    owner: OwnerKind
    owner_id: int
    created_at: datetime
    updated_at: datetime
    description: str | None = None
    priority: int | None = None
    subscribers: set[int] = field(default_factory=set)


@dataclass
class Milestone:
    id: int
    iid: int
    title: str
    owner: OwnerKind
    owner_id: int
    created_at: datetime
    updated_at: datetime
    description: str = ""
    state: str = "active"
    start_date: date | None = None
    due_date: date | None = None


@dataclass
class WorkItem:
    """An issue, task or epic: GitLab keeps them all in one table with one id sequence."""

    id: int
    iid: int
    kind: str  # issue | task | incident | test_case | epic
    title: str
    author_id: int
    created_at: datetime
    updated_at: datetime
    project_id: int | None = None
    group_id: int | None = None
    description: str = ""
    state: str = "opened"
    label_ids: list[int] = field(default_factory=list)
    assignee_ids: list[int] = field(default_factory=list)
    milestone_id: int | None = None
    weight: int | None = None
    health_status: str | None = None
    confidential: bool = False
    discussion_locked: bool | None = None
    due_date: date | None = None
    start_date: date | None = None
    closed_at: datetime | None = None
    closed_by_id: int | None = None
    updated_by_id: int | None = None
    last_edited_at: datetime | None = None
    last_edited_by_id: int | None = None
    parent_id: int | None = None
    epic_link_id: int | None = None
    legacy_epic_id: int | None = None
    relative_position: int = 0
    subscribers: set[int] = field(default_factory=set)
    time_estimate: int = 0
    """Seconds (`/estimate`, `POST .../time_estimate`); time spent is the sum of timelogs."""

    @property
    def is_epic(self) -> bool:
        return self.kind == "epic"


@dataclass
class Timelog:
    """One entry of time spent (negative to subtract), as GitLab's time tracking keeps it."""

    id: int
    work_item_id: int
    user_id: int
    time_spent: int
    spent_at: datetime
    created_at: datetime
    summary: str | None = None
    note_id: int | None = None


@dataclass
class Deployment:
    """A deployment to an environment, as far as DORA metrics read it."""

    id: int
    iid: int
    project_id: int
    environment: str
    tier: str
    status: str
    ref: str
    sha: str
    user_id: int
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None = None


@dataclass
class Note:
    id: int
    body: str
    author_id: int
    noteable_id: int
    created_at: datetime
    updated_at: datetime
    internal: bool = False
    system: bool = False
    discussion_id: str = ""
    individual: bool = True


@dataclass
class AwardEmoji:
    id: int
    name: str
    user_id: int
    awardable_type: Literal["Issue", "Note"]
    awardable_id: int
    created_at: datetime
    updated_at: datetime


@dataclass
class IssueLink:
    id: int
    source_id: int
    target_id: int
    link_type: str
    created_at: datetime


@dataclass
class BoardList:
    id: int
    label_id: int | None
    position: int
    milestone_id: int | None = None
    assignee_id: int | None = None
    iteration_id: int | None = None
    list_type: str = "label"


@dataclass
class Board:
    id: int
    name: str
    owner: OwnerKind
    owner_id: int
    lists: list[BoardList] = field(default_factory=list)
    milestone_id: int | None = None
    assignee_id: int | None = None
    label_ids: list[int] = field(default_factory=list)
    weight: int | None = None
    hide_backlog_list: bool = False
    hide_closed_list: bool = False


@dataclass
class Hook:
    id: int
    kind: Literal["project", "group", "system"]
    owner_id: int | None
    url: str
    created_at: datetime
    events: dict[str, bool]
    name: str | None = None
    description: str | None = None
    token: str | None = None
    signing_token: str | None = None
    enable_ssl_verification: bool = True
    push_events_branch_filter: str | None = None
    branch_filter_strategy: str = "wildcard"
    custom_headers: list[dict[str, str]] = field(default_factory=list)
    custom_webhook_template: str | None = None
    recent_failures: int = 0
    disabled_until: datetime | None = None
    permanently_disabled: bool = False


@dataclass
class HookLog:
    id: int
    hook_id: int
    url: str
    trigger: str
    event_header: str
    request_headers: dict[str, str]
    request_data: dict[str, Any]
    idempotency_key: str
    created_at: datetime
    response_status: str = ""
    response_headers: dict[str, str] = field(default_factory=dict)
    response_body: str = ""
    execution_duration: float = 0.0
    internal_error_message: str | None = None
