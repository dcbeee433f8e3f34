"""A comment that holds `/psdm` lines: where it is, who wrote it, which lines it holds."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.events.commands.parser import CommandLine, comment_commands
from bot.events.event import Event


@dataclass(frozen=True)
class CommandComment:
    """The action a comment with commands leads to: run its lines in order, reply once."""

    project_id: int
    issue_iid: int
    note_id: int
    author_id: int | None
    author: str | None
    internal: bool
    lines: tuple[CommandLine, ...]


def command_comment(event: Event) -> CommandComment | None:
    """The comment's command lines, when it is a new comment on an issue that has some (or
    has `/psdm` lines past the part read, which the reply then names)."""
    attrs = event.attributes
    issue = event.data.get("issue")
    if attrs.get("noteable_type") != "Issue" or not isinstance(issue, Mapping):
        return None
    if event.project_id is None or attrs.get("id") is None or issue.get("iid") is None:
        return None
    commands = comment_commands(str(attrs.get("note") or ""))
    if not commands.lines and not commands.unread:
        return None
    actor = event.actor
    return CommandComment(
        project_id=event.project_id,
        issue_iid=int(issue["iid"]),
        note_id=int(attrs["id"]),
        author_id=_author_id(attrs, actor.id if actor else None),
        author=actor.username if actor else None,
        internal=bool(attrs.get("internal") or attrs.get("confidential")),
        lines=commands.lines,
    )


def _author_id(attrs: Mapping[str, Any], fallback: int | None) -> int | None:
    found = attrs.get("author_id")
    return int(found) if found is not None else fallback
