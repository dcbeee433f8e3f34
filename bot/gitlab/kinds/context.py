"""What a kind's store needs from the project it works on, without importing the port."""

from __future__ import annotations

from typing import Any, Protocol

import gitlab

from bot.gitlab.capabilities import Capabilities
from bot.gitlab.connection import Connection
from bot.gitlab.index import Index


class ProjectContext(Protocol):
    """One project and its parent group, as `GitLabProject` offers them to the stores."""

    @property
    def conn(self) -> Connection: ...

    @property
    def rest(self) -> gitlab.Gitlab: ...

    @property
    def path(self) -> str: ...

    @property
    def index(self) -> Index:
        """Refs by key, label ids by name, epic handles: what earlier reads and writes found."""
        ...

    def load(self) -> dict[str, Any]:
        """The project as `GET /projects/:id` answers it (read once)."""
        ...

    @property
    def pid(self) -> int: ...

    @property
    def address(self) -> str:
        """The project in a REST path, usable before the project is read."""
        ...

    @property
    def group_id(self) -> int | None: ...

    @property
    def group_path(self) -> str: ...

    @property
    def capabilities(self) -> Capabilities: ...

    def ref(self, key: str) -> str:
        """The live ref of a blueprint key (a fresh port reads GitLab first)."""
        ...
