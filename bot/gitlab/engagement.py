"""GitLab calls the event handlers need, for one project: read what they decide on, then act;
and the readers of the REST answers (issues, milestones, the project) the report shares.

Every write is a find-or-create or a compare-and-update, so a step that runs again after a
crash changes nothing twice. Every request carries the event's X-Gitlab-Event-UUID (set on
the connection), so GitLab itself blocks webhook loops caused by our own writes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import gitlab
import httpx

from bot.engine.marker import parse
from bot.gitlab.connection import Connection, open_connection
from bot.gitlab.rest import create_once, enc, every
from bot.playbook.selection import ProjectFacts
from bot.report.live import LiveIssue, LiveMilestone


@dataclass(frozen=True)
class LiveLabel:
    id: int
    name: str
    color: str
    description: str
    project_label: bool


def _day(value: object) -> date | None:
    return date.fromisoformat(str(value)[:10]) if value else None


def live_issue(data: Mapping[str, Any]) -> LiveIssue:
    """An issue as the REST API answers it, with the blueprint key its marker carries."""
    marker = parse(data.get("description"))[1]
    milestone = data.get("milestone") or {}
    epic = data.get("epic") or {}
    return LiveIssue(
        iid=int(data["iid"]),
        title=str(data.get("title") or ""),
        state=str(data.get("state") or ""),
        labels=tuple(data.get("labels") or ()),
        weight=data.get("weight"),
        milestone_id=milestone.get("id"),
        key=marker.key if marker else None,
        description=data.get("description") or "",
        web_url=data.get("web_url"),
        epic_iid=epic.get("iid") or data.get("epic_iid"),
    )


def live_milestone(data: Mapping[str, Any]) -> LiveMilestone:
    """A milestone as the REST API answers it, with the blueprint key its marker carries."""
    marker = parse(data.get("description"))[1]
    return LiveMilestone(
        id=int(data["id"]),
        title=str(data["title"]),
        state=str(data.get("state") or "active"),
        start_date=_day(data.get("start_date")),
        due_date=_day(data.get("due_date")),
        key=marker.key if marker else None,
        web_url=data.get("web_url"),
    )


def facts_of(info: Mapping[str, Any]) -> ProjectFacts:
    """What the playbook rules look at, from the project as the REST API answers it."""
    created = str(info.get("created_at") or "")[:10]
    return ProjectFacts(
        id=int(info["id"]),
        path_with_namespace=str(info["path_with_namespace"]),
        name=str(info.get("name") or info["path"]),
        topics=tuple(info.get("topics") or info.get("tag_list") or ()),
        created=date.fromisoformat(created) if created else None,
    )


class EngagementGitLab:
    """One project's issues, milestones, labels and comments, as event handling uses them."""

    def __init__(
        self,
        url: str,
        token: str,
        project_id: int,
        *,
        event_uuid: str | None = None,
        on_response: Callable[[int], None] | None = None,
    ) -> None:
        self.connection: Connection = open_connection(url, token, event_uuid=event_uuid)
        self.project = project_id
        self._base = f"/projects/{enc(project_id)}"
        if on_response:  # the client's one metrics hook (the session is shared)
            self.connection.client.observe(on_response)

    @property
    def rest(self) -> gitlab.Gitlab:
        return self.connection.rest

    def facts(self) -> ProjectFacts:
        return facts_of(self.rest.http_get(self._base))

    def milestone(self, milestone_id: int) -> LiveMilestone:
        return live_milestone(self.rest.http_get(f"{self._base}/milestones/{milestone_id}"))

    def milestone_issues(self, milestone_id: int) -> list[LiveIssue]:
        return [
            live_issue(i)
            for i in every(self.rest, f"{self._base}/milestones/{milestone_id}/issues")
        ]

    def issues(self) -> list[LiveIssue]:
        return [live_issue(i) for i in every(self.rest, f"{self._base}/issues", state="all")]

    def issue(self, iid: int) -> LiveIssue:
        return live_issue(self.rest.http_get(f"{self._base}/issues/{iid}"))

    def issue_by_key(self, key: str) -> LiveIssue | None:
        return next((i for i in self.issues() if i.key == key), None)

    def update_issue(self, iid: int, **fields: Any) -> LiveIssue:
        return live_issue(self.rest.http_put(f"{self._base}/issues/{iid}", post_data=fields))

    def create_issue(self, title: str, description: str, labels: Sequence[str], key: str) -> int:
        """Create an issue that carries `key` in its marker, unless one already does."""
        data = {"title": title, "description": description, "labels": ",".join(labels)}

        def find() -> int | None:
            found = self.issue_by_key(key)
            return found.iid if found else None

        existing = find()
        if existing is not None:
            return existing
        return create_once(
            lambda: int(self.rest.http_post(f"{self._base}/issues", post_data=data)["iid"]), find
        )

    def upsert_note(self, path: str, marker: str, body: str, **created: Any) -> int:
        """Keep one comment carrying `marker` (an HTML comment): edit it, or post it once.

        `created` are further fields of the first post (`internal`); returns the comment's id.
        """
        text = f"{body}\n\n{marker}"

        def find() -> dict[str, Any] | None:
            return next(
                (n for n in every(self.rest, path) if marker in (n.get("body") or "")), None
            )

        found = find()
        if found is None:
            data = {"body": text, **created}
            found = create_once(lambda: self.rest.http_post(path, post_data=data), find)
        elif found.get("body") != text:
            self.rest.http_put(f"{path}/{found['id']}", post_data={"body": text})
        return int(found["id"])

    def labels(self) -> list[LiveLabel]:
        found = every(self.rest, f"{self._base}/labels", include_ancestor_groups=True)
        return [
            LiveLabel(
                int(d["id"]),
                str(d["name"]),
                str(d.get("color") or ""),
                d.get("description") or "",
                bool(d.get("is_project_label", True)),
            )
            for d in found
        ]

    def create_label(self, name: str, color: str, description: str) -> None:
        data = {"name": name, "color": color, "description": description}
        try:
            self.rest.http_post(f"{self._base}/labels", post_data=data)
        except gitlab.GitlabHttpError as error:
            if error.response_code != 409:
                raise

    def rename_label(self, label: LiveLabel, name: str) -> None:
        """Rename a project label, or a group label in whichever ancestor group owns it."""
        data = {"new_name": name}
        if label.project_label:
            self.rest.http_put(f"{self._base}/labels/{label.id}", post_data=data)
            return
        namespace = self.rest.http_get(self._base)["namespace"]["full_path"]
        parts = namespace.split("/")
        for depth in range(len(parts), 0, -1):
            group = enc("/".join(parts[:depth]))
            try:
                self.rest.http_put(f"/groups/{group}/labels/{label.id}", post_data=data)
                return
            except gitlab.GitlabHttpError as error:
                if error.response_code != 404:
                    raise
        raise gitlab.GitlabUpdateError(f"label {label.name!r} belongs to no group of {namespace}")


def token_user(url: str, token: str, timeout: float = 3.0) -> tuple[int, str] | None:
    """The id and username of the token's user (the bot itself), or None if GitLab won't say."""
    try:
        response = httpx.get(
            f"{url.rstrip('/')}/api/v4/user", headers={"PRIVATE-TOKEN": token}, timeout=timeout
        )
    except httpx.HTTPError:
        return None
    if response.status_code != 200:
        return None
    data = response.json()
    return int(data["id"]), str(data["username"])


def reachable(url: str, token: str, timeout: float = 3.0) -> bool:
    """Whether GitLab answers our token on its version endpoint."""
    try:
        response = httpx.get(
            f"{url.rstrip('/')}/api/v4/version",
            headers={"PRIVATE-TOKEN": token},
            timeout=timeout,
        )
    except httpx.HTTPError:
        return False
    return response.status_code == 200


def epic_notes_path(gl: EngagementGitLab, mode: str, ref: str, group_id: int | None) -> str:
    """Where an epic's comments live: its issue on Free, else the group epic (by its id)."""
    if mode == "issues" or group_id is None:
        return f"/projects/{enc(gl.project)}/issues/{ref}/notes"
    epic = gl.rest.http_get(f"/groups/{group_id}/epics/{ref}")
    return f"/groups/{group_id}/epics/{epic['id']}/notes"
