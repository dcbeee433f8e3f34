"""A GitLab webhook delivery as a typed event, and the typed views handlers read from it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

_CONFIDENTIAL = {"Confidential Issue Hook": "Issue Hook", "Confidential Note Hook": "Note Hook"}
_BY_EVENT_NAME = ("System Hook", "Project Hook", "Subgroup Hook", "Member Hook")


@dataclass(frozen=True)
class Actor:
    id: int | None
    username: str | None


@dataclass(frozen=True)
class Event:
    """`kind` is the X-Gitlab-Event header (confidential variants folded into the plain one)."""

    kind: str
    action: str | None
    data: Mapping[str, Any]
    event_uuid: str | None = None
    confidential: bool = False

    @classmethod
    def from_delivery(
        cls, kind: str, payload: Mapping[str, Any], event_uuid: str | None = None
    ) -> Event:
        plain = _CONFIDENTIAL.get(kind, kind)
        return cls(plain, _action_of(plain, payload), payload, event_uuid, plain != kind)

    @property
    def attributes(self) -> Mapping[str, Any]:
        found = self.data.get("object_attributes")
        return found if isinstance(found, Mapping) else {}

    @property
    def actor(self) -> Actor | None:
        user = self.data.get("user")
        if isinstance(user, Mapping):
            return Actor(user.get("id"), user.get("username"))
        return None

    @property
    def project_id(self) -> int | None:
        project = self.data.get("project")
        if isinstance(project, Mapping) and project.get("id") is not None:
            return int(project["id"])
        found = self.data.get("project_id") or self.attributes.get("project_id")
        return int(found) if found is not None else None


def _action_of(kind: str, payload: Mapping[str, Any]) -> str | None:
    if kind in _BY_EVENT_NAME:
        return payload.get("event_name")
    attributes = payload.get("object_attributes")
    if isinstance(attributes, Mapping) and attributes.get("action"):
        return str(attributes["action"])
    action = payload.get("action") or payload.get("event_name")
    return str(action) if action else None


@dataclass(frozen=True)
class ProjectCreated:
    project_id: int
    path_with_namespace: str


@dataclass(frozen=True)
class MilestoneChange:
    project_id: int
    milestone_id: int
    title: str


@dataclass(frozen=True)
class IssueChange:
    project_id: int
    issue_iid: int
    state: str


def project_created(event: Event) -> ProjectCreated:
    data = event.data
    return ProjectCreated(int(data["project_id"]), str(data.get("path_with_namespace") or ""))


def milestone_change(event: Event) -> MilestoneChange | None:
    attrs = event.attributes
    if event.project_id is None or attrs.get("id") is None:
        return None
    return MilestoneChange(event.project_id, int(attrs["id"]), str(attrs.get("title", "")))


def issue_change(event: Event) -> IssueChange | None:
    attrs = event.attributes
    if event.project_id is None or attrs.get("iid") is None:
        return None
    return IssueChange(event.project_id, int(attrs["iid"]), str(attrs.get("state", "")))
