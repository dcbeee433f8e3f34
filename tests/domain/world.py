"""A live engagement for the domain's table tests: the tool-adoption blueprint and one live
issue per planned issue, changed per test."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from functools import cache

from bot.domain.model import LiveEngagement, LiveEpic, LiveIssue, LiveMilestone, ProjectFacts
from bot.playbook import load_playbook, render
from bot.playbook.blueprint import Blueprint

START = date(2026, 1, 5)


@cache
def blueprint() -> Blueprint:
    return render(
        load_playbook("tool-adoption"), {"customer": "Acme", "start_date": START.isoformat()}
    )


def milestones(closed: tuple[str, ...] = ()) -> tuple[LiveMilestone, ...]:
    return tuple(
        LiveMilestone(
            n, t.title, "closed" if t.key in closed else "active", t.start_date, t.due_date, t.key
        )
        for n, t in enumerate(blueprint().timeboxes, 1)
    )


def issues(**changes: dict) -> list[LiveIssue]:
    """One live issue per blueprint issue (iid in blueprint order), open, in its milestone."""
    ids = {t.key: n for n, t in enumerate(blueprint().timeboxes, 1)}
    found = []
    for iid, planned in enumerate(blueprint().issues, 1):
        issue = LiveIssue(
            iid,
            planned.title,
            "opened",
            planned.labels,
            planned.weight,
            ids.get(planned.milestone or ""),
            planned.key,
            planned.description,
        )
        found.append(replace(issue, **changes.get(planned.key, {})))
    return found


def live(
    found: list[LiveIssue], closed: tuple[str, ...] = (), phase_label: str | None = None
) -> LiveEngagement:
    epics = tuple(
        LiveEpic(
            str(n),
            e.key,
            e.title,
            (*e.labels, *([phase_label] if phase_label and e.key == "epic:engagement" else [])),
        )
        for n, e in enumerate(blueprint().epics, 1)
    )
    return LiveEngagement(
        ProjectFacts(
            7, "acme/delivery", "Acme delivery", web_url="http://gitlab.test/acme/delivery"
        ),
        milestones(closed),
        tuple(found),
        epics,
        "legacy",
        (),
        None,
        "unavailable: GitLab answered 404",
    )


def key_of(title_part: str) -> str:
    return next(i.key for i in blueprint().issues if title_part in i.key)
