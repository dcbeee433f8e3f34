"""Action items: the one reading of a retrospective's open to-dos.

An action item is an unchecked task-list item (`- [ ]`, `* [ ]`, `+ [ ]`) in a retrospective,
anywhere but under an "Acceptance criteria" heading (those are the issue's own checklist,
not actions the team took on). The retrospective that carries actions over, the weekly report
and the dashboard all read them here.
"""

from __future__ import annotations

import re

_UNCHECKED = re.compile(r"^\s*[-*+] \[ \] (?P<text>.+?)\s*$")
_HEADING = re.compile(r"^#{1,6}\s+(?P<title>.+?)\s*$")


def open_actions(description: str | None) -> list[str]:
    """The open action items of a retrospective's description, in order, each once."""
    items: list[str] = []
    criteria = False
    for line in (description or "").splitlines():
        heading = _HEADING.match(line)
        if heading:
            criteria = heading["title"].lower().startswith("acceptance criteria")
            continue
        found = None if criteria else _UNCHECKED.match(line)
        if found and found["text"] not in items:
            items.append(found["text"])
    return items
