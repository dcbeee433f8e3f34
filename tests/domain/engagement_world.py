"""A small engagement to decide on: two gated phases, a gateless one, three sprints."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from bot.domain.model import LiveEngagement, LiveEpic, LiveIssue, LiveMilestone, ProjectFacts
from bot.playbook.blueprint import Blueprint, Epic, Issue, Phase, TimeBox

DISCOVERY = TimeBox(
    "milestone:discovery", "Discovery", date(2026, 1, 5), date(2026, 1, 11), phase="phase:discovery"
)
S1 = TimeBox("milestone:sprint-1", "Sprint 1", date(2026, 1, 12), date(2026, 1, 25), kind="sprint")
S2 = TimeBox("milestone:sprint-2", "Sprint 2", date(2026, 1, 26), date(2026, 2, 8), kind="sprint")
WAVE = TimeBox(
    "milestone:wave-1",
    "Wave 1",
    date(2026, 2, 9),
    date(2026, 3, 8),
    kind="wave",
    phase="phase:scaling",
)
PHASES = (
    Phase(
        "phase:discovery",
        "Discovery",
        "Phase::Discovery",
        "epic:discovery",
        (DISCOVERY.key,),
        gate="issue:discovery/readout",
    ),
    Phase(
        "phase:sprinting",
        "Sprinting",
        "Phase::Sprinting",
        "epic:sprinting",
        (S1.key, S2.key),
        gate="issue:sprinting/go",
    ),
    Phase("phase:scaling", "Scaling", "Phase::Scaling", "epic:scaling", (WAVE.key,)),
)
BLUEPRINT = Blueprint(
    "test",
    timeboxes=(DISCOVERY, S1, S2, WAVE),
    epics=(
        Epic("epic:engagement", "Engagement"),
        Epic("epic:discovery", "Discovery", parent="epic:engagement", phase="phase:discovery"),
        Epic("epic:sprinting", "Sprinting", parent="epic:engagement", phase="phase:sprinting"),
        Epic("epic:scaling", "Scaling", parent="epic:engagement", phase="phase:scaling"),
    ),
    issues=(
        Issue(
            "issue:discovery/readout",
            "Readout accepted",
            epic="epic:discovery",
            milestone=DISCOVERY.key,
            kind="governance",
        ),
        Issue(
            "issue:sprinting/go",
            "Pilot go/no-go",
            epic="epic:sprinting",
            milestone=S2.key,
            kind="governance",
        ),
        Issue(
            "issue:story",
            "Migrate the pilot",
            epic="epic:sprinting",
            milestone=S1.key,
            role="story",
        ),
        Issue(
            "issue:planning-1",
            "Sprint 1 planning",
            epic="epic:sprinting",
            milestone=S1.key,
            kind="ceremony",
        ),
        Issue(
            "issue:retro-1",
            "Sprint 1 retrospective",
            epic="epic:sprinting",
            milestone=S1.key,
            role="retrospective",
            kind="governance",
        ),
        Issue(
            "issue:retro-2",
            "Sprint 2 retrospective",
            epic="epic:sprinting",
            milestone=S2.key,
            role="retrospective",
            kind="governance",
        ),
    ),
    phases=PHASES,
)
MILESTONE_IDS = {DISCOVERY.key: 11, S1.key: 12, S2.key: 13, WAVE.key: 14}


def milestone(box: TimeBox, state: str = "active") -> LiveMilestone:
    return LiveMilestone(
        MILESTONE_IDS[box.key], box.title, state, box.start_date, box.due_date, box.key
    )


def issue(iid: int, key: str | None, state: str = "opened", box: TimeBox | None = S1) -> LiveIssue:
    planned = next((i for i in BLUEPRINT.issues if i.key == key), None)
    title = planned.title if planned else f"Issue {iid}"
    where = MILESTONE_IDS[box.key] if box else None
    return LiveIssue(iid, title, state, (), None, where, key, web_url=f"http://gl/{iid}")


def world(
    phase: str = "Phase::Discovery",
    closed: tuple[str, ...] = (),
    states: dict[str, str] | None = None,
) -> LiveEngagement:
    """The engagement in `phase`, with the issues keyed in `closed` closed."""
    states = states or {}
    issues = [
        issue(1, "issue:discovery/readout", box=DISCOVERY),
        issue(2, "issue:sprinting/go", box=S2),
        issue(3, "issue:story"),
        issue(4, "issue:planning-1"),
        issue(5, "issue:retro-1"),
        issue(6, "issue:retro-2", box=S2),
        issue(7, None),  # a task the team added by hand
    ]
    issues = [replace(i, state="closed") if i.key in closed else i for i in issues]
    return LiveEngagement(
        ProjectFacts(1, "acme/pilot", "pilot"),
        milestones=tuple(milestone(b, states.get(b.key, "active")) for b in BLUEPRINT.timeboxes),
        issues=tuple(issues),
        epics=(
            LiveEpic("100", "epic:engagement", "Engagement", (phase,)),
            LiveEpic("101", "epic:discovery", "Discovery", ()),
            LiveEpic("102", "epic:sprinting", "Sprinting", ()),
            LiveEpic("103", "epic:scaling", "Scaling", ()),
        ),
    )
