"""Where a milestone is read, closed and listed: a group milestone through its group.

`GET /projects/:id/milestones/:milestone_id/issues` takes "the ID of a project milestone"; a
group milestone (listed with `include_ancestors`, it carries `group_id`) is read, closed and
listed through `/groups/:id/milestones/...` (`GL:doc/api/milestones.md`,
`GL:doc/api/group_milestones.md`, verified.md 3.2).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.gitlab.rest import enc


def milestone_path(project: int | str, milestone: Mapping[str, Any]) -> str:
    """The REST path of `milestone` as a milestone list answered it."""
    if milestone.get("group_id"):
        return f"/groups/{milestone['group_id']}/milestones/{milestone['id']}"
    return f"/projects/{enc(project)}/milestones/{milestone['id']}"
