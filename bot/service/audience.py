"""Who sees the internal view of the dashboard: the configured PS team, nobody else.

The PS team is a GitLab group (`PSDM_PS_TEAM_GROUP`); its members with at least the Reporter
role see health and its reasons, the budget, internal RAID and the workflow log. Everyone else
who can read the customer's project sees the customer view. Without a configured team nobody
sees the internal view: internal figures never reach a customer by default. Answers are kept a
few minutes per viewer, like the project access the dashboard checks.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Literal

import structlog

from bot.config import Settings
from bot.gitlab.connection import open_connection
from bot.gitlab.errors import GitLabError
from bot.gitlab.team import team_member

Audience = Literal["internal", "customer"]
KEPT_SECONDS = 300.0
log = structlog.get_logger("psdm.audience")


class Team:
    """The PS team's membership, asked of GitLab with the bot's token and kept per viewer."""

    def __init__(
        self,
        settings: Settings,
        member: Callable[[int], bool] | None = None,
        seconds: float = KEPT_SECONDS,
    ) -> None:
        self.group = settings.ps_team_group.strip()
        self.seconds = seconds
        self._member = member or self._ask_gitlab(settings)
        self._known: dict[int, tuple[float, bool]] = {}
        self._lock = threading.Lock()

    def _ask_gitlab(self, settings: Settings) -> Callable[[int], bool]:
        def ask(user_id: int) -> bool:
            conn = open_connection(settings.gitlab_url, settings.gitlab_token)
            return team_member(conn, self.group, user_id)

        return ask

    def audience(self, user_id: int) -> Audience:
        """`internal` for a member of the team, else `customer` (also when GitLab cannot say)."""
        if not self.group:
            return "customer"
        now = time.monotonic()
        with self._lock:
            kept = self._known.get(user_id)
        if kept is not None and now - kept[0] < self.seconds:
            return "internal" if kept[1] else "customer"
        try:
            inside = self._member(user_id)
        except (GitLabError, OSError, ValueError) as error:
            log.warning("team membership unknown", user_id=user_id, error=str(error))
            return "customer"
        with self._lock:
            self._known[user_id] = (now, inside)
        return "internal" if inside else "customer"
