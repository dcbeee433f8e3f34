"""Whether a person belongs to the PS team: a member (direct or inherited) of its GitLab group.

`GET /groups/:id/members/all/:user_id` (`GL:doc/api/members.md`): 200 with the member, 404
when the user is none. Asked with the bot's token, so a viewer's own token decides nothing.
"""

from __future__ import annotations

import gitlab

from bot.gitlab.connection import Connection
from bot.gitlab.errors import explain
from bot.gitlab.rest import enc

REPORTER = 20
"""Guests of the team's group (customers invited to read a page, say) stay outside it."""


def team_member(conn: Connection, group: str, user_id: int) -> bool:
    """Whether the user is an active member of `group` with at least the Reporter role."""
    try:
        member = conn.rest.http_get(f"/groups/{enc(group)}/members/all/{int(user_id)}")
    except gitlab.GitlabHttpError as error:
        if error.response_code == 404:
            return False
        raise explain(error, url=conn.url, project=group, doing="reading the PS team") from None
    except gitlab.GitlabError as error:
        raise explain(error, url=conn.url, project=group, doing="reading the PS team") from None
    if not isinstance(member, dict) or member.get("state", "active") != "active":
        return False
    return int(member.get("access_level") or 0) >= REPORTER
