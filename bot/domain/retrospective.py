"""A sprint's retrospective: the three questions, the sprint's figures and carried-over actions,
kept in a section of the description the bot owns (between its own HTML comments).
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain.figures import SprintFigures
from bot.engine.marker import parse, with_marker

QUESTIONS = (
    "What went well?",
    "What would we like to change?",
    "How can we implement that change?",
)
ACTIONS_HEADING = "## Action items"
SECTION_START = "<!-- psdm-bot retrospective -->"
SECTION_END = "<!-- /psdm-bot retrospective -->"


def section(figures: SprintFigures, carried: Sequence[str]) -> str:
    """The part of the retrospective the bot owns: the sprint's figures, slipped work, actions."""
    lines = [
        SECTION_START,
        f"## Sprint figures: {figures.title}",
        "",
        "| | work items | weight |",
        "|---|---|---|",
        f"| committed | {figures.committed} | {figures.weight_committed} |",
        f"| done | {figures.done} | {figures.weight_done} |",
        f"| slipped | {figures.slipped} | {figures.weight_slipped} |",
        "",
        f"{figures.title}: {figures.line()}. Beside the work: {figures.ceremonies} ceremonies, "
        f"{figures.governance} governance issues.",
    ]
    if figures.slipped_issues:
        lines += ["", "Slipped to a later sprint:"]
        lines += [f"- #{issue.iid} {issue.title}" for issue in figures.slipped_issues]
    lines += ["", ACTIONS_HEADING, ""]
    if carried:
        lines.append("Carried over from the previous retrospective:")
        lines += [f"- [ ] {item}" for item in carried]
    else:
        lines.append("Nothing carried over from the previous retrospective.")
    lines.append(SECTION_END)
    return "\n".join(lines)


def completed_description(current: str | None, owned: str) -> str:
    """The description with the bot's section replaced (or added) and the questions present."""
    text, marker = parse(current)
    start, end = text.find(SECTION_START), text.find(SECTION_END)
    if start != -1 and end != -1:
        text = (text[:start] + text[end + len(SECTION_END) :]).strip()
    missing = [q for q in QUESTIONS if q not in text]
    head = "\n\n".join([text.strip()] + [f"## {q}\n" for q in missing]).strip()
    body = f"{head}\n\n{owned}" if head else owned
    return with_marker(body, marker) if marker else body
