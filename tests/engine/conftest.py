from __future__ import annotations

from datetime import date

import pytest

from bot.playbook.blueprint import Blueprint, Board, Epic, Issue, Label, TimeBox


@pytest.fixture
def blueprint() -> Blueprint:
    """A small engagement: two labels, two time-boxes, a phase epic with a workstream, issues."""
    return Blueprint(
        playbook="tiny",
        variables={"customer": "Acme Corp", "start_date": date(2026, 1, 6)},
        labels=(
            Label("label:phase/discovery", "Phase::Discovery", "#1F75CB", "Discovery phase"),
            Label("label:raid", "PS RAID Log", "#DC143C"),
        ),
        timeboxes=(
            TimeBox("milestone:discovery", "Discovery", date(2026, 1, 6), date(2026, 1, 16)),
            TimeBox("milestone:sprint-1", "Sprint 1", date(2026, 1, 19), date(2026, 1, 30)),
        ),
        epics=(
            Epic("epic:migration", "SCM migration", "Waves", parent="epic:discovery"),
            Epic("epic:discovery", "Discovery", "Assess", labels=("Phase::Discovery",)),
        ),
        issues=(
            Issue(
                "issue:discovery/kickoff",
                "Customer kickoff",
                "Hold the kickoff.",
                labels=("Phase::Discovery",),
                milestone="milestone:discovery",
                epic="epic:discovery",
                weight=2,
            ),
            Issue("issue:raid", "RAID log", "Risks", labels=("PS RAID Log",)),
        ),
        boards=(Board("board:raid", "RAID board", lists=("PS RAID Log",)),),
    )
