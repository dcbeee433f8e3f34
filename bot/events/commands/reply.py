"""What the bot writes back: one reply per comment, safe from quick actions, found again by id."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

_LEADING_SLASH = re.compile(r"^(\s*)/", re.MULTILINE)
DONE = "white_check_mark"
FAILED = "x"
ACCEPTED = "eyes"


@dataclass(frozen=True)
class Outcome:
    """What one command line came to: success or not, and the text for the reply."""

    line: str
    ok: bool
    text: str


def reply_marker(note_id: int) -> str:
    """The HTML comment that ties a reply to the comment it answers."""
    return f"<!-- psdm-bot reply-to={note_id} -->"


def no_quick_actions(text: str) -> str:
    """Escape every line-leading `/`, so nothing we write is ever read as a quick action."""
    return _LEADING_SLASH.sub(r"\1\\/", text)


def reply_body(author: str | None, outcomes: Sequence[Outcome]) -> str:
    """The single reply to a comment: each command line with its result, in order."""
    parts = []
    for outcome in outcomes:
        mark = ":white_check_mark:" if outcome.ok else ":x:"
        parts.append(f"{mark} `{outcome.line}`\n\n{outcome.text.strip()}")
    head = f"@{author}\n\n" if author else ""
    return no_quick_actions(head + "\n\n---\n\n".join(parts))


def finished_award(outcomes: Sequence[Outcome]) -> str:
    return DONE if outcomes and all(o.ok for o in outcomes) else FAILED
