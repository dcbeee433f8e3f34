"""A GitLab webhook delivery as a typed event, and the typed views handlers read from it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, TypeGuard

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr, ValidationError

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
        """The project the event is about; None when the payload names none as a whole number."""
        project = self.data.get("project")
        candidates = [project.get("id")] if isinstance(project, Mapping) else []
        candidates += [self.data.get("project_id"), self.attributes.get("project_id")]
        return next((found for found in candidates if _is_id(found)), None)


def _is_id(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**63


def _action_of(kind: str, payload: Mapping[str, Any]) -> str | None:
    if kind in _BY_EVENT_NAME:
        found = payload.get("event_name")
        return found if isinstance(found, str) else None
    attributes = payload.get("object_attributes")
    if isinstance(attributes, Mapping) and isinstance(attributes.get("action"), str):
        return str(attributes["action"]) or None
    for action in (payload.get("action"), payload.get("event_name")):
        if isinstance(action, str) and action:
            return action
    return None


# -- the fields each kind of event must carry before a handler may read it --------------------
# GitLab's documented payloads (GL:doc/user/project/integrations/webhook_events.md and
# GL:doc/administration/system_hooks.md) carry more; only what handlers read is checked here.

Id = Annotated[StrictInt, Field(gt=0, lt=2**63)]
Text = Annotated[StrictStr, Field(max_length=1_000_000)]


class _Shape(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class _ProjectRef(_Shape):
    id: Id


class _UserRef(_Shape):
    id: Id | None = None
    username: Annotated[StrictStr, Field(max_length=255)] | None = None


class _InProject(_Shape):
    """An event about something in a project: `project.id` (or `project_id`) names it."""

    project: _ProjectRef | None = None
    project_id: Id | None = None
    user: _UserRef | None = None

    def model_post_init(self, _: Any) -> None:
        if self.project is None and self.project_id is None:
            raise ValueError("names no project (project.id or project_id)")


class ProjectCreatedShape(_Shape):
    """System Hook or group Project Hook, `event_name: project_create`."""

    event_name: StrictStr
    project_id: Id
    path_with_namespace: Annotated[StrictStr, Field(max_length=2000)]


class _IssueAttributes(_Shape):
    id: Id
    iid: Id
    state: StrictStr | None = None
    action: StrictStr | None = None


class IssueShape(_InProject):
    object_kind: StrictStr
    object_attributes: _IssueAttributes


class _MilestoneAttributes(_Shape):
    id: Id
    title: Annotated[StrictStr, Field(max_length=2000)]
    action: StrictStr | None = None


class MilestoneShape(_InProject):
    object_attributes: _MilestoneAttributes


class _NoteAttributes(_Shape):
    id: Id
    note: Text
    noteable_type: StrictStr
    author_id: Id | None = None
    system: StrictBool | None = None
    internal: StrictBool | None = None
    confidential: StrictBool | None = None
    action: StrictStr | None = None


class _IssueRef(_Shape):
    iid: Id


class NoteShape(_InProject):
    object_attributes: _NoteAttributes
    issue: _IssueRef | None = None


SHAPES: dict[str, type[_Shape]] = {
    "System Hook": ProjectCreatedShape,
    "Project Hook": ProjectCreatedShape,
    "Issue Hook": IssueShape,
    "Milestone Hook": MilestoneShape,
    "Note Hook": NoteShape,
}
"""The shape each routed kind must have; a kind no handler reads needs none."""


def shape_problem(event: Event) -> str | None:
    """Why the event lacks a field its handlers read (None when its shape is sound).

    The message names the fields and what is wrong with them, never their values.
    """
    shape = SHAPES.get(event.kind)
    if shape is None:
        return None
    try:
        shape.model_validate(event.data)
    except ValidationError as error:
        return "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'payload'}: {e['msg']}"
            for e in error.errors(include_url=False, include_input=False)[:5]
        )[:500]
    return None


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


@dataclass(frozen=True)
class IssueEdit:
    """What an issue update changed, as the payload's `changes` reports it."""

    changed: frozenset[str]
    description_before: str | None
    description_after: str | None


def issue_edit(event: Event) -> IssueEdit:
    """The fields an `update` changed, and the description before and after when it did
    (GL:doc/user/project/integrations/webhook_events.md, issue events: `changes`)."""
    changes = event.data.get("changes")
    found = changes if isinstance(changes, Mapping) else {}
    description = found.get("description")
    before = after = None
    if isinstance(description, Mapping):
        before = _text(description.get("previous"))
        after = _text(description.get("current"))
    return IssueEdit(frozenset(str(k) for k in found), before, after)


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None
