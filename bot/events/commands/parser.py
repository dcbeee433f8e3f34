"""Find the `/psdm` lines of a comment: pure text work, no knowledge of the commands.

A command is a line that starts with `/psdm` (any case) in the first column, outside fenced
code blocks (``` or ~~~) and GitLab's multi-line quotes (>>>). Indented code, quotes and
list items never start in the first column, so they never hold commands.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PREFIX = "/psdm"
_COMMAND = re.compile(r"^/psdm(?:[ \t]+(?P<rest>.*?))?[ \t]*$", re.IGNORECASE)
_FENCE = re.compile(r"^ {0,3}(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
_QUOTE_FENCE = re.compile(r"^>>>")


@dataclass(frozen=True)
class CommandLine:
    """One `/psdm` line: its 1-based line number and the text after the prefix."""

    number: int
    text: str
    rest: str


def command_lines(body: str) -> list[CommandLine]:
    """Every command line of a comment body, in order."""
    found: list[CommandLine] = []
    fence: str | None = None
    quoted = False
    for number, line in enumerate(body.splitlines(), start=1):
        if fence is not None:
            if _closes(line, fence):
                fence = None
            continue
        if quoted:
            quoted = not _QUOTE_FENCE.match(line)
            continue
        opening = _FENCE.match(line)
        if opening and not (opening["fence"][0] == "`" and "`" in opening["info"]):
            fence = opening["fence"]
            continue
        if _QUOTE_FENCE.match(line):
            quoted = True
            continue
        matched = _COMMAND.match(line)
        if matched:
            found.append(CommandLine(number, line.strip(), (matched["rest"] or "").strip()))
    return found


def _closes(line: str, fence: str) -> bool:
    stripped = line.strip()
    return (
        len(line) - len(line.lstrip(" ")) <= 3
        and len(stripped) >= len(fence)
        and set(stripped) == {fence[0]}
    )
