"""Group epics carry the engagement's project; group milestones are shared and never written."""

from __future__ import annotations

from bot.engine.diff import diff
from bot.engine.marker import Marker, parse, with_marker
from bot.engine.port import LiveObject, LiveState
from tests.engine.memory import op_for

PROJECT = 123


def epic(ref: str, title: str, marker: Marker | None, **fields: object) -> LiveObject:
    values = {"title": title, "description": "Assess", "labels": ("Phase::Discovery",), **fields}
    return LiveObject("epic", ref, title, values, marker)


def test_a_marker_names_its_project_and_one_written_before_that_still_parses():
    body = with_marker("Assess", Marker.of("epic:discovery", {"title": "Discovery"}, PROJECT))
    assert "key=epic:discovery project=123 digest=" in body
    text, marker = parse(body)
    assert (text, marker.project, marker.wrote("title", "Discovery")) == ("Assess", 123, True)
    old = parse("Assess\n\n<!-- psdm-bot key=epic:discovery digest=title:1a2b3c4d -->")[1]
    assert (old.key, old.project, old.digest) == ("epic:discovery", None, {"title": "1a2b3c4d"})
    assert old.belongs_to(PROJECT) and marker.belongs_to(PROJECT)
    assert not marker.belongs_to(PROJECT + 1)


def test_group_epics_are_created_with_the_project_and_issues_without(blueprint):
    plan = diff(blueprint, LiveState(epics="work_items", scope=PROJECT))
    assert parse(op_for(plan, "epic:discovery").body)[1].project == PROJECT
    assert parse(op_for(plan, "issue:discovery/kickoff").body)[1].project is None


def test_on_free_the_epic_issues_live_in_the_project_and_name_no_project(blueprint):
    plan = diff(blueprint, LiveState(epics="issues", scope=PROJECT))
    assert parse(op_for(plan, "epic:discovery").body)[1].project is None


def test_an_unmarked_group_epic_of_the_same_title_is_adopted_for_this_project(blueprint):
    live = LiveState((epic("7", "Discovery", None),), "work_items", scope=PROJECT)
    adopt = op_for(diff(blueprint, live), "epic:discovery")
    assert (adopt.op, adopt.ref) == ("adopt", "7")
    assert parse(adopt.body)[1].project == PROJECT


def test_a_group_epic_marked_before_projects_were_recorded_is_claimed_marker_only(blueprint):
    written = {"title": "Discovery", "description": "Assess", "labels": ("Phase::Discovery",)}
    marker = Marker.of("epic:discovery", written)
    live = LiveState((epic("7", "Discovery", marker),), "work_items", scope=PROJECT)
    claim = op_for(diff(blueprint, live), "epic:discovery")
    assert (claim.op, claim.ref, dict(claim.changes)) == ("update", "7", {"project": (None, 123)})
    text, rewritten = parse(claim.body)
    assert (text, rewritten.project, rewritten.digest) == ("Assess", PROJECT, marker.digest)


def test_a_group_epic_already_marked_for_this_project_is_unchanged(blueprint):
    written = {"title": "Discovery", "description": "Assess", "labels": ("Phase::Discovery",)}
    marker = Marker.of("epic:discovery", written, PROJECT)
    live = LiveState((epic("7", "Discovery", marker),), "work_items", scope=PROJECT)
    assert op_for(diff(blueprint, live), "epic:discovery").op == "unchanged"


def test_a_group_milestone_is_used_as_it_is_and_never_written(blueprint):
    fields = {"title": "Sprint 1", "description": "", "start_date": None, "due_date": None}
    shared = LiveObject("milestone", "50", "Sprint 1", fields, None, inherited=True)
    op = op_for(diff(blueprint, LiveState((shared,), scope=PROJECT)), "milestone:sprint-1")
    assert (op.op, op.ref, op.body, dict(op.changes)) == ("unchanged", "50", None, {})
    assert op.kept["due_date"] == (None, "2026-01-30")
    assert not op.pending
