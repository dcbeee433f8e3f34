"""Ceremonies without clutter (the `ceremonies` switch) and issues in phase order."""

from __future__ import annotations

from collections import Counter

import pytest

from bot.playbook import load_playbook, render

ACME = {"customer": "Acme", "start_date": "2026-01-05", "sprints": 6}


def per_sprint(blueprint) -> Counter:
    return Counter(
        i.key.split("/", 1)[1] for i in blueprint.issues if i.key.startswith("issue:sprint-")
        and not i.key.startswith("issue:sprint-0")
    )  # fmt: skip


@pytest.mark.parametrize(
    ("switch", "expected"),
    [
        (None, {"ceremonies": 6, "retrospective": 6}),  # the default: one issue per sprint
        ("sprint", {"ceremonies": 6, "retrospective": 6}),
        ("each", {"planning": 6, "refinement": 6, "review": 6, "retrospective": 6}),
        ("none", {}),
    ],
)
def test_the_switch_chooses_how_ceremonies_land(switch, expected):
    variables = {**ACME, **({"ceremonies": switch} if switch else {})}
    blueprint = render(load_playbook("tool-adoption"), variables)
    assert per_sprint(blueprint) == expected


def test_a_sprints_ceremony_issue_holds_its_checklist_in_its_sprint():
    blueprint = render(load_playbook("transformation"), ACME)
    issue = next(i for i in blueprint.issues if i.key == "issue:sprint-2/ceremonies")
    assert issue.milestone == "milestone:sprint-2" and issue.kind == "ceremony"
    for part in (
        "- [ ] Planning:",
        "- [ ] Daily stand-ups",
        "- [ ] Backlog refinement",
        "- [ ] Review:",
    ):
        assert part in issue.description
    assert "retrospective has its own issue" in issue.description


def test_issues_come_in_the_order_the_engagement_runs():
    blueprint = render(load_playbook("tool-adoption"), ACME)
    starts = {t.key: t.start_date for t in blueprint.timeboxes}
    phases = [p.key for p in blueprint.phases]
    seen = [phases.index(i.phase) for i in blueprint.issues if i.phase in phases]
    assert seen == sorted(seen), "phase by phase"
    keys = [i.key for i in blueprint.issues]
    assert keys.index("issue:discovery/stakeholder-planning") < keys.index(
        "issue:team-readiness/working-agreements"
    )
    sprints = [
        starts[i.milestone]
        for i in blueprint.issues
        if i.phase == "phase:sprinting" and i.milestone in starts
    ]
    assert sprints == sorted(sprints), "sprint by sprint within Sprinting"
