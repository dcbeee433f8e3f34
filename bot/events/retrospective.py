"""A sprint's retrospective: its figures, the three questions, and carried-over action items."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.engine.marker import parse, with_marker

QUESTIONS = (
    "What went well?",
    "What would we like to change?",
    "How can we implement that change?",
)
ACTIONS_HEADING = "## Action items"
_UNCHECKED = re.compile(r"^\s*[-*] \[ \] (?P<text>.+?)\s*$")
_SECTION_START = "<!-- psdm-bot retrospective -->"
_SECTION_END = "<!-- /psdm-bot retrospective -->"


@dataclass(frozen=True)
class SprintIssue:
    iid: int
    title: str
    closed: bool
    weight: int | None


@dataclass(frozen=True)
class SprintFigures:
    done: int
    slipped: int
    weight_done: int
    weight_slipped: int


def figures(issues: Sequence[SprintIssue]) -> SprintFigures:
    """Done = closed when the sprint closed; slipped = still open. The retrospective is left out."""
    done = [i for i in issues if i.closed]
    slipped = [i for i in issues if not i.closed]
    return SprintFigures(
        done=len(done),
        slipped=len(slipped),
        weight_done=sum(i.weight or 0 for i in done),
        weight_slipped=sum(i.weight or 0 for i in slipped),
    )


def unchecked_actions(description: str | None) -> list[str]:
    """Open checkboxes under a previous retrospective's action-item heading."""
    items: list[str] = []
    inside = False
    for line in (description or "").splitlines():
        if line.startswith("## "):
            inside = line.strip().lower() == ACTIONS_HEADING.lower()
            continue
        found = _UNCHECKED.match(line) if inside else None
        if found:
            items.append(found["text"])
    return items


def section(
    sprint: str,
    numbers: SprintFigures,
    slipped: Sequence[SprintIssue],
    carried: Sequence[str],
) -> str:
    """The part of the retrospective the bot owns, between its own HTML comments."""
    lines = [
        _SECTION_START,
        f"## Sprint figures: {sprint}",
        "",
        "| | issues | weight |",
        "|---|---|---|",
        f"| done | {numbers.done} | {numbers.weight_done} |",
        f"| slipped | {numbers.slipped} | {numbers.weight_slipped} |",
    ]
    if slipped:
        lines += ["", "Slipped to a later sprint:"]
        lines += [f"- #{issue.iid} {issue.title}" for issue in slipped]
    lines += ["", ACTIONS_HEADING, ""]
    if carried:
        lines.append("Carried over from the previous retrospective:")
        lines += [f"- [ ] {item}" for item in carried]
    else:
        lines.append("Nothing carried over from the previous retrospective.")
    lines.append(_SECTION_END)
    return "\n".join(lines)


def completed_description(current: str | None, owned: str) -> str:
    """The description with the bot's section replaced (or added) and the questions present."""
    text, marker = parse(current)
    start, end = text.find(_SECTION_START), text.find(_SECTION_END)
    if start != -1 and end != -1:
        text = (text[:start] + text[end + len(_SECTION_END) :]).strip()
    missing = [q for q in QUESTIONS if q not in text]
    head = "\n\n".join([text.strip()] + [f"## {q}\n" for q in missing]).strip()
    body = f"{head}\n\n{owned}" if head else owned
    return with_marker(body, marker) if marker else body
