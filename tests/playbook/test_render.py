"""render: variables in, a blueprint with stable keys, real dates and PSDM content out."""

import itertools
from datetime import date, timedelta

import pytest

from bot.playbook import PlaybookError, load_playbook, render

ACME = {"customer": "Acme Corp", "start_date": "2026-01-06"}
QUESTIONS = (
    "What went well?",
    "What would we like to change?",
    "How can we implement that change?",
)


@pytest.fixture(scope="module")
def tool_adoption():
    return load_playbook("tool-adoption")


def keys(blueprint):
    return [obj.key for obj in blueprint.objects()]


def test_keys_do_not_depend_on_variable_values(tool_adoption):
    one = render(tool_adoption, ACME)
    other = render(tool_adoption, {"customer": "Globex", "start_date": "2027-03-02", "sow": "PO-9"})
    assert keys(one) == keys(other)
    assert one.get("board:raid").name == "RAID - Acme Corp"
    assert other.get("board:raid").name == "RAID - Globex - PO-9"


def test_every_key_is_kind_and_slug_and_unique(tool_adoption):
    blueprint = render(tool_adoption, ACME)
    all_keys = keys(blueprint)
    assert len(all_keys) == len(set(all_keys))
    kinds = {key.split(":", 1)[0] for key in all_keys}
    assert kinds == {"label", "milestone", "epic", "issue", "board", "template"}
    assert "milestone:sprint-3" in all_keys and "issue:sprint-3/retrospective" in all_keys


def test_a_full_engagement_has_a_realistic_number_of_objects(tool_adoption):
    assert 100 <= len(keys(render(tool_adoption, ACME))) <= 200


def test_sprints_follow_a_constant_cadence_from_the_start_date(tool_adoption):
    blueprint = render(tool_adoption, {**ACME, "sprint_weeks": "3", "sprints": "4"})
    sprints = [t for t in blueprint.timeboxes if t.kind == "sprint"]
    assert [s.number for s in sprints] == [1, 2, 3, 4]
    for sprint in sprints:
        assert sprint.due_date - sprint.start_date == timedelta(days=20)
    for before, after in itertools.pairwise(sprints):
        assert after.start_date == before.due_date + timedelta(days=1)
    first = blueprint.timeboxes[0]
    assert (first.key, first.start_date) == ("milestone:discovery", date(2026, 1, 6))


def test_each_sprint_has_one_retrospective_with_the_three_questions(tool_adoption):
    blueprint = render(tool_adoption, {**ACME, "sprint_weeks": "3"})
    retros = [i for i in blueprint.issues if i.role == "retrospective"]
    sprints = [t.key for t in blueprint.timeboxes if t.kind == "sprint"]
    assert [r.milestone for r in retros] == sprints
    for retro in retros:
        assert all(question in retro.description for question in QUESTIONS)
        assert "135 minutes (45 minutes per sprint week)" in retro.description


def test_phases_come_in_engagement_order_with_label_epic_and_timeboxes(tool_adoption):
    blueprint = render(tool_adoption, ACME)
    names = [p.name for p in blueprint.phases]
    assert names == ["Discovery", "Team Readiness", "Sprint 0", "Sprinting", "Scaling", "Close"]
    sprinting = blueprint.phases[3]
    assert sprinting.label == "PSDM Phase::Sprinting"
    assert sprinting.epic == "epic:sprinting"
    assert sprinting.timeboxes == tuple(f"milestone:sprint-{n}" for n in range(1, 7))
    assert blueprint.phases[4].timeboxes == (
        "milestone:wave-1",
        "milestone:wave-2",
        "milestone:wave-3",
    )


def test_every_issue_names_its_phase_and_step_and_stories_have_criteria(tool_adoption):
    blueprint = render(tool_adoption, ACME)
    phase_names = {p.key: p.name for p in blueprint.phases}
    for issue in blueprint.issues:
        assert f"PSDM phase: **{phase_names[issue.phase]}** · " in issue.description
        if issue.role == "story":
            assert issue.description.startswith("As ")
            assert " I want " in issue.description and " so that " in issue.description
            assert "### Acceptance criteria\n\n- [ ] " in issue.description


def test_handbook_labels_are_declared_verbatim(tool_adoption):
    names = {label.name for label in render(tool_adoption, ACME).labels}
    assert {
        "PS RAID Log",
        "PS Risk",
        "PSD Workflow::Not Started",
        "PS:: Priority High",
        "PS:: Priority Medium",
        "PS:: Priority Low",
        "Escalated",
        "Future",
    } <= names


def test_a_small_engagement_drops_the_optional_ceremonies(tool_adoption):
    large = render(tool_adoption, ACME)
    small = render(tool_adoption, {**ACME, "size": "small"})
    assert not [i for i in small.issues if i.role == "retrospective"]
    iteration_0 = {"issue:discovery/stakeholder-planning", "issue:discovery/customer-kickoff"}
    ceremonies = [i.key for i in large.issues if "Ceremony" in i.labels]
    # per sprint: its ceremonies' issue and its retrospective (the default switch), for 6
    assert len(ceremonies) == 2 * 6 + 1 + len(iteration_0)
    assert {i.key for i in small.issues if "Ceremony" in i.labels} == iteration_0
    assert small.weekly_status and [i for i in small.issues if i.role == "raid"]
    assert [i for i in small.issues if i.role == "customer-retrospective"]


def test_weekly_status_is_declared_week_by_week_not_planned_up_front(tool_adoption):
    blueprint = render(tool_adoption, ACME)
    assert not [i for i in blueprint.issues if i.role == "status"]
    weeks = sum((t.due_date - t.start_date).days + 1 for t in blueprint.timeboxes) // 7
    assert [w.week for w in blueprint.weekly_status] == list(range(1, weeks + 1))
    assert weeks == 30
    week_9 = blueprint.weekly_status[8]
    assert (week_9.start_date, week_9.due_date) == (date(2026, 3, 3), date(2026, 3, 9))
    assert week_9.issue.key == "issue:status/week-9"
    assert week_9.issue.milestone == "milestone:sprint-3"
    assert week_9.issue.phase == "phase:sprinting" and week_9.issue.kind == "governance"
    assert blueprint.status_week_on(date(2026, 3, 5)) == week_9
    assert blueprint.status_week_on(date(2025, 12, 31)) is None
    text = week_9.issue.description
    assert "executive summary" in text
    assert "## Budget burn" not in text and "## Planned absences" not in text, "no empty heading"


def test_variables_are_coerced_and_recorded_json_friendly(tool_adoption):
    blueprint = render(tool_adoption, {**ACME, "sprints": "2", "waves": "0"})
    assert blueprint.variables["sprints"] == 2
    assert blueprint.variables["start_date"] == "2026-01-06"
    assert blueprint.variables["sprint_weeks"] == 2
    assert not [t for t in blueprint.timeboxes if t.kind == "wave"]


def test_render_lists_every_variable_problem_at_once(tool_adoption):
    with pytest.raises(PlaybookError) as caught:
        render(tool_adoption, {"start_date": "2026-02-30", "sprint_weeks": "5", "colour": "x"})
    messages = [p.message for p in caught.value.problems]
    assert "missing required variable 'customer' (--var customer=...)" in messages
    assert any("invalid date '2026-02-30'" in m for m in messages)
    assert "sprint length (cadence) must be between 1 and 4, got 5" in messages
    assert any(m.startswith("unknown variable 'colour'") for m in messages)


@pytest.mark.parametrize("name", ["tool-adoption", "transformation"])
def test_each_use_case_has_its_workstreams(name):
    blueprint = render(load_playbook(name), ACME)
    workstreams = [e.title for e in blueprint.epics if e.workstream]
    if name == "tool-adoption":
        assert len(workstreams) == 6 and "SCM migration from GitHub in 3 waves" in workstreams
    else:
        assert workstreams[:4] == ["People", "Process", "Technology", "Continuous improvement"]
        kpis = blueprint.get("epic:kpis").description
        for metric in ("Deployment frequency", "lead time for changes", "time to restore"):
            assert metric in kpis


def test_ps_lifecycle_tracks_the_customer_epic_and_optional_change_order():
    playbook = load_playbook("ps-lifecycle")
    plain = render(playbook, ACME)
    with_co = render(playbook, {**ACME, "change_order": "true", "sow_value_usd": "80000"})
    assert "issue:iterate/change-order" not in keys(plain)
    assert with_co.get("issue:iterate/change-order").epic == "epic:customer"
    assert "TA::Needs-Review" in with_co.get("issue:scoping/write-sow").labels
    assert "TA::Needs-Review" not in plain.get("issue:scoping/write-sow").labels
    assert [b.key for b in plain.boards] == ["board:workflow"]
    assert plain.audience == "internal"
    assert all(i.confidential for i in plain.issues)
