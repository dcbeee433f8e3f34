"""The engagement's vocabulary on a blueprint: its epic, phases, sprints; risks and waves."""

from __future__ import annotations

from functools import cache

import pytest

from bot.domain.decisions import risk as decide_risk
from bot.domain.decisions import waves_after_adding
from bot.domain.effects import CreateIssue, Decision, Refusal
from bot.domain.engagement import (
    current_phase,
    current_sprint,
    engagement_epic,
    following_sprint,
    phase_labels_after,
    phase_named,
    retrospective_of,
)
from bot.domain.errors import NotPossible
from bot.domain.model import LiveMilestone
from bot.playbook import load_playbook, render
from bot.playbook.blueprint import Blueprint


@cache
def blueprint() -> Blueprint:
    values = {"customer": "Acme", "start_date": "2026-01-05", "sprints": "3", "waves": "1"}
    return render(load_playbook("tool-adoption"), values)


def target_phase(bp: Blueprint, current, wanted: str):
    return phase_named(bp, current, wanted)


def risk(text: str, author: str | None, iid: int) -> CreateIssue:
    decided = decide_risk(text, author, iid, 99)
    if isinstance(decided, Refusal):
        raise NotPossible(decided.reason)
    assert isinstance(decided, Decision)
    [created] = decided.effects
    assert isinstance(created, CreateIssue) and created.key == "issue:raid/note-99"
    return created


def phase(name: str):
    return next(p for p in blueprint().phases if p.name == name)


def test_the_engagement_epic_is_the_root_that_is_no_phase_or_workstream():
    assert engagement_epic(blueprint()).title == "Acme engagement"


def test_next_starts_at_the_first_phase_and_stops_after_the_last():
    bp = blueprint()
    assert target_phase(bp, None, "next").name == "Discovery"
    assert target_phase(bp, phase("Sprint 0"), "NEXT").name == "Sprinting"
    with pytest.raises(NotPossible, match="Close is the engagement's last phase"):
        target_phase(bp, phase("Close"), "next")


@pytest.mark.parametrize("spelled", ["team readiness", "Team Readiness", "team-readiness"])
def test_a_phase_is_named_by_its_name_or_key_in_any_case(spelled):
    assert target_phase(blueprint(), None, spelled).name == "Team Readiness"


def test_an_unknown_phase_lists_the_phases_there_are():
    with pytest.raises(NotPossible, match="Discovery, Team Readiness, Sprint 0"):
        target_phase(blueprint(), None, "launch")


def test_moving_the_phase_swaps_only_the_phase_label():
    labels = ("PSDM Phase::Discovery", "Customer")
    assert current_phase(blueprint(), labels) == phase("Discovery")
    after = phase_labels_after(blueprint(), labels, phase("Sprinting"))
    assert after == ("Customer", "PSDM Phase::Sprinting")
    assert current_phase(blueprint(), ()) is None


def live(*states: tuple[str, str]) -> list[LiveMilestone]:
    return [
        LiveMilestone(n, key.split(":")[1], state, None, None, key)
        for n, (key, state) in enumerate(states, 1)
    ]


def test_the_current_sprint_is_the_first_open_one_and_the_next_open_one_follows():
    milestones = live(
        ("milestone:sprint-1", "closed"),
        ("milestone:sprint-2", "active"),
        ("milestone:sprint-3", "active"),
    )
    sprint, found = current_sprint(blueprint(), milestones)
    assert sprint.key == "milestone:sprint-2" and found.id == 2
    assert following_sprint(blueprint(), sprint, milestones).id == 3
    last, _ = current_sprint(blueprint(), milestones[2:])
    assert following_sprint(blueprint(), last, milestones) is None
    assert retrospective_of(blueprint(), sprint).key == "issue:sprint-2/retrospective"


def test_with_every_sprint_closed_there_is_no_current_sprint():
    with pytest.raises(NotPossible, match="no sprint milestone is open"):
        current_sprint(blueprint(), live(("milestone:sprint-1", "closed")))


def test_a_risk_takes_its_severity_from_a_leading_word_and_medium_otherwise():
    high = risk("High: tokens expire", "alice", 7)
    assert high.title == "tokens expire" and "PS:: Priority High" in high.labels
    assert "Raised by @alice in #7" in high.description
    plain = risk("Low test coverage: nobody owns it", None, 7)
    assert plain.title == "Low test coverage: nobody owns it"
    assert plain.labels == ("PS RAID Log", "PS Risk", "PS:: Priority Medium")
    assert len(risk("x" * 400, None, 1).title) == 255
    with pytest.raises(NotPossible):
        risk("low:   ", None, 1)


def test_adding_a_wave_counts_from_the_engagements_waves():
    assert waves_after_adding(blueprint()) == 2
    with pytest.raises(NotPossible, match="no `waves` variable"):
        waves_after_adding(Blueprint("x", {"customer": "Acme"}))
