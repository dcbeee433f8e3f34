"""Problems found in a playbook, each pointing at file:line:col."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePath


@dataclass(frozen=True, order=True)
class Problem:
    """One mistake in a playbook; line and col are 1-based, 0 when there is no position."""

    file: str
    line: int
    col: int
    message: str

    def __str__(self) -> str:
        if self.line:
            return f"{self.file}:{self.line}:{self.col}: {self.message}"
        return f"{self.file}: {self.message}"

    def public(self) -> str:
        """As a reply in GitLab says it: the playbook file by its name, never by the server's
        path to it (a path tells outsiders how the service is laid out)."""
        name = PurePath(self.file).name or self.file
        return str(Problem(name, self.line, self.col, self.message))


class PlaybookError(Exception):
    """A playbook could not be loaded or rendered; `problems` lists every reason."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(set(problems))
        super().__init__("\n".join(str(p) for p in self.problems))
