"""GitLab calls the `/psdm` commands need beyond event handling: roles, awards, replies,
milestones. Every write is find-or-create or compare-and-update, so a command step that runs
again after a crash answers and changes nothing twice.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

import gitlab

from bot.gitlab.engagement import EngagementGitLab, live_milestone
from bot.gitlab.rest import create_once, every
from bot.report.live import LiveMilestone


class CommandGitLab(EngagementGitLab):
    """One project as the commands see it: the comment's issue, its author, its milestones."""

    @cached_property
    def me(self) -> str:
        """The bot's own username (whose awards and replies are ours)."""
        return str(self.rest.http_get("/user")["username"])

    def access_level(self, user_id: int) -> int:
        """The user's effective access level in the project, inherited membership included."""
        try:
            member = self.rest.http_get(f"{self._base}/members/all/{user_id}")
        except gitlab.GitlabHttpError as error:
            if error.response_code == 404:
                return 0
            raise
        if member.get("state", "active") != "active":
            return 0
        return int(member.get("access_level") or 0)

    def award(self, issue_iid: int, note_id: int, name: str) -> None:
        """Put the emoji `name` on the comment once (GitLab refuses a second identical award)."""
        path = f"{self._base}/issues/{issue_iid}/notes/{note_id}/award_emoji"

        def find() -> dict[str, Any] | None:
            return next(
                (
                    a
                    for a in every(self.rest, path)
                    if a.get("name") == name and (a.get("user") or {}).get("username") == self.me
                ),
                None,
            )

        if find() is None:
            create_once(lambda: self.rest.http_post(path, post_data={"name": name}), find)

    def reply(self, issue_iid: int, marker: str, body: str, internal: bool) -> int:
        """Post the reply carrying `marker` once; when it exists, bring its text up to date."""
        path = f"{self._base}/issues/{issue_iid}/notes"
        return self.upsert_note(path, marker, body, internal=internal)

    def timeboxes(self) -> list[LiveMilestone]:
        """The project's milestones (its group's too), oldest first."""
        found = every(self.rest, f"{self._base}/milestones", include_ancestors=True)
        return sorted((live_milestone(data) for data in found), key=lambda t: t.id)

    def set_milestone(self, issue_iid: int, milestone_id: int) -> None:
        issue = self.issue(issue_iid)
        if issue.milestone_id != milestone_id:
            self.update_issue(issue_iid, milestone_id=milestone_id)

    def close_milestone(self, milestone_id: int) -> None:
        path = f"{self._base}/milestones/{milestone_id}"
        if self.rest.http_get(path).get("state") != "closed":
            self.rest.http_put(path, post_data={"state_event": "close"})

    def retitle_milestone(self, milestone_id: int, title: str) -> None:
        path = f"{self._base}/milestones/{milestone_id}"
        if self.rest.http_get(path).get("title") != title:
            self.rest.http_put(path, post_data={"title": title})
