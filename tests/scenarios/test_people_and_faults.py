"""Scenarios of an engagement that people have touched, and of a GitLab that misbehaves."""

from __future__ import annotations

from dataclasses import replace

from bot.engine.marker import parse
from tests.scenarios.support import assert_built_once, tool_adoption


def first_issue_with_epic():
    return next(issue for issue in tool_adoption().issues if issue.epic)


def live_issue(engagement, title):
    return next(
        i for i in engagement.project.issues.list(get_all=True, state="all") if i.title == title
    )


def test_given_a_person_renamed_and_edited_an_issue_when_applied_then_their_edits_are_kept(
    engagement,
):
    blueprint = tool_adoption()
    engagement.apply(blueprint)
    target = first_issue_with_epic()
    issue = live_issue(engagement, target.title)
    _, marker = parse(issue.description)
    issue.title = "Kick-off, moved to Berlin"
    issue.description = "Agenda agreed with the customer.\n\n" + marker.render()
    issue.save()

    newer = replace(
        blueprint,
        issues=tuple(
            replace(i, title=i.title + " (v2)", description="New text.", weight=5)
            if i.key == target.key
            else i
            for i in blueprint.issues
        ),
    )
    plan, result = engagement.apply(newer)
    op = next(op for op in plan.operations if op.key == target.key)
    assert set(op.kept) == {"title", "description"}
    assert result.ok
    after = live_issue(engagement, "Kick-off, moved to Berlin")
    assert parse(after.description)[0] == "Agenda agreed with the customer."
    assert sum(1 for op in plan.operations if op.op == "create") == 0
    if engagement.tier != "free":
        assert set(op.changes) == {"weight"} and after.weight == 5
    assert not engagement.plan(newer).pending


def test_given_a_person_deleted_an_issue_when_applied_then_it_is_created_again_once(engagement):
    blueprint = tool_adoption()
    engagement.apply(blueprint)
    target = first_issue_with_epic()
    engagement.project.issues.delete(live_issue(engagement, target.title).iid)
    plan, result = engagement.apply(blueprint)
    assert [op.key for op in plan.operations if op.pending] == [target.key]
    assert result.ok
    assert_built_once(engagement)


def test_given_a_group_label_of_the_same_name_when_applied_then_it_is_used_not_duplicated(
    engagement,
):
    gl = engagement.sandbox.gitlab()
    group = gl.groups.get("acme")
    group.labels.create({"name": "PS RAID Log", "color": "#000000"})
    plan, result = engagement.apply(tool_adoption())
    op = next(op for op in plan.operations if op.title == "PS RAID Log")
    assert op.op == "unchanged" and "color" in op.kept
    assert result.ok
    project_labels = engagement.project.labels.list(get_all=True, include_ancestor_groups=False)
    assert "PS RAID Log" not in {label.name for label in project_labels}
    assert group.labels.get("PS RAID Log").color.lower() == "#000000"
    assert_built_once(engagement)


def test_given_an_unmarked_issue_with_a_playbook_title_when_applied_then_it_is_adopted(
    engagement,
):
    target = first_issue_with_epic()
    engagement.project.issues.create({"title": target.title, "description": "Ours already."})
    plan, result = engagement.apply(tool_adoption())
    op = next(op for op in plan.operations if op.key == target.key)
    assert op.op == "adopt" and op.changes == {"parent": (None, target.epic)}
    assert result.ok
    text, marker = parse(live_issue(engagement, target.title).description)
    assert text == "Ours already." and marker.key == target.key
    assert_built_once(engagement)


def test_given_an_unmarked_epic_with_a_playbook_title_when_applied_then_it_is_adopted(
    engagement,
):
    epic = next(epic for epic in tool_adoption().epics if epic.parent is None)
    if engagement.tier != "free":
        group = engagement.sandbox.gitlab().groups.get("acme")
        group.epics.create({"title": epic.title, "description": "Planned by hand."})
    else:
        engagement.project.issues.create({"title": epic.title, "description": "Planned by hand."})
    plan, result = engagement.apply(tool_adoption())
    assert next(op for op in plan.operations if op.key == epic.key).op == "adopt"
    assert result.ok
    assert_built_once(engagement)
    assert not engagement.plan(tool_adoption()).pending


def test_given_429_and_5xx_bursts_when_applied_then_the_engagement_is_complete(engagement):
    engagement.sandbox.set_faults(
        {"route": "*/issues", "method": "POST", "status": 429, "burst": 3, "retry_after": 1},
        {"route": "*", "status": 502, "burst": 4},
        {"route": "*/labels", "method": "POST", "status": 503, "burst": 2},
        {"route": "*", "status": 500, "error_rate": 0.02, "seed": 7},
    )
    _, result = engagement.apply(tool_adoption())
    assert result.ok, result.failed[:3]
    stats = engagement.sandbox.stats()
    assert stats["faults_injected"] >= 9
    engagement.sandbox.clear_faults()
    assert_built_once(engagement)
    assert not engagement.plan(tool_adoption()).pending
