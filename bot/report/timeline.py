"""A Mermaid gantt of the engagement: one section per phase, one bar per time-box."""

from __future__ import annotations

import re

from bot.domain.figures import EngagementSnapshot, TimeBox

_UNSAFE = re.compile(r"[:;#\n\r]+")
_TAGS = {"closed": "done, ", "active": "active, ", "overdue": "crit, "}


def _name(text: str) -> str:
    """Mermaid ends a task name at `:` and treats `#`/`;` specially; keep the title readable."""
    return " ".join(_UNSAFE.sub(" ", text).split()) or "time-box"


def _bar(box: TimeBox, index: int) -> str | None:
    if box.start_date is None or box.due_date is None:
        return None
    tag = _TAGS.get(box.state, "")
    return f"    {_name(box.title)} :{tag}t{index}, {box.start_date}, {box.due_date}"


def gantt(snapshot: EngagementSnapshot) -> str:
    """The gantt as a fenced block; time-boxes without dates are left out (Mermaid needs both)."""
    lines = [
        "```mermaid",
        "gantt",
        f"    title {_name(snapshot.project.name)}, phases and time-boxes",
        "    dateFormat YYYY-MM-DD",
        "    axisFormat %d %b",
    ]
    index = 0
    placed: set[str] = set()
    for phase in snapshot.phases:
        bars = []
        for box in phase.timeboxes:
            index += 1
            bar = _bar(box, index)
            placed.add(box.key)
            if bar:
                bars.append(bar)
        if bars:
            lines.append(f"    section {_name(phase.name)}")
            lines += bars
    rest = [box for box in snapshot.timeboxes if box.key not in placed]
    bars = [bar for i, box in enumerate(rest, index + 1) if (bar := _bar(box, i))]
    if bars:
        lines.append("    section Other")
        lines += bars
    lines.append("```")
    return "\n".join(lines)
