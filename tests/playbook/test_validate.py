"""validate: every mistake of a playbook in one pass, each at its exact line and column."""

from pathlib import Path

import pytest

from bot.playbook import load_playbook, playbooks_dir, shipped_playbooks, validate_paths
from bot.playbook.problems import PlaybookError

FIXTURES = Path(__file__).parent / "fixtures"


def where(problems):
    return {(p.line, p.col, p.message) for p in problems}


def test_the_shipped_playbooks_are_the_three_use_cases():
    assert shipped_playbooks() == ["ps-lifecycle", "tool-adoption", "transformation"]


@pytest.mark.parametrize("path", sorted(playbooks_dir().glob("*.yml")), ids=lambda p: p.name)
def test_every_shipped_playbook_and_skeleton_validates(path):
    assert validate_paths([path]) == []


def test_a_broken_playbook_reports_every_mistake_at_its_position():
    problems = validate_paths([FIXTURES / "broken.yml"])
    assert {p.file for p in problems} == {"tests/playbook/fixtures/broken.yml"}
    found = where(problems)
    expected = {
        (3, 1, "unknown key 'colour'"),
        (9, 14, "default: variable 'start_date': invalid date '2026-02-30': expected YYYY-MM-DD"),
        (13, 10, "cadence max 6 is outside 1-4 weeks"),
        (16, 14, "default: variable 'sprints': expected an integer, got 'many'"),
        (26, 12, "undefined template variable 'custmer'"),
        (40, 23, "unknown label 'PS Riks'"),
        (41, 11, "unknown epic 'delivry'"),
        (42, 10, "duplicate key 'kickoff' in issues (first at line 36)"),
        (46, 14, "unknown time-box 'sprint-9'"),
        (52, 5, "unknown key 'assignee'"),
    }
    assert expected <= found
    weight = [p for p in problems if (p.line, p.col) == (47, 13)]
    assert len(weight) == 1 and "valid integer" in weight[0].message
    assert len(problems) == len(expected) + 1


def test_an_extends_cycle_is_reported_at_the_extends_line():
    problems = validate_paths([FIXTURES / "cycle-a.yml"])
    assert [(p.line, p.col) for p in problems] == [(3, 10)]
    assert "extends cycle: cycle-a.yml -> cycle-b.yml -> cycle-a.yml" in problems[0].message


def test_loading_a_broken_playbook_raises_with_every_problem():
    with pytest.raises(PlaybookError) as caught:
        load_playbook(FIXTURES / "broken.yml")
    assert len(caught.value.problems) >= 5
    assert str(caught.value).startswith("tests/playbook/fixtures/broken.yml:3:1: unknown key")


def test_yaml_syntax_errors_and_duplicate_mapping_keys_have_positions(tmp_path):
    bad = tmp_path / "syntax.yml"
    bad.write_text("name: x\ntitle: [unclosed\n")
    dup = tmp_path / "dup.yml"
    dup.write_text("name: x\ntitle: T\nname: y\n")
    problems = validate_paths([bad, dup])
    syntax = [p for p in problems if p.file.endswith("syntax.yml")]
    assert syntax and syntax[0].line == 3 and "YAML syntax error" in syntax[0].message
    assert [(p.line, p.col, p.message) for p in problems if p.file.endswith("dup.yml")] == [
        (3, 1, "duplicate key 'name' (first at line 1)")
    ]


def test_a_key_that_depends_on_a_variable_is_rejected(tmp_path):
    path = tmp_path / "key.yml"
    path.write_text(
        "name: k\ntitle: K\nvariables:\n  customer: {}\n"
        "labels:\n  - key: 'x-{{ customer }}'\n    name: X\n    color: '#000000'\n"
    )
    (problem,) = validate_paths([path])
    assert (problem.line, problem.col) == (6, 10)
    assert "a key may only use its loop value" in problem.message


def test_mistakes_behind_a_size_switch_are_found_without_values(tmp_path):
    path = tmp_path / "switch.yml"
    path.write_text(
        "name: s\ntitle: S\nvariables:\n  size: {type: choice, choices: [large, small]}\n"
        "phases:\n  - {key: p, name: P, label: L}\n"
        "labels:\n  - {key: l, name: L, color: '#000000'}\n"
        "issues:\n  - key: i\n    title: I\n    phase: p\n    step: s\n"
        "    when: \"size == 'small'\"\n    labels: [Missing]\n"
    )
    (problem,) = validate_paths([path])
    assert (problem.line, problem.message) == (15, "unknown label 'Missing'")


def test_a_reference_to_a_sprint_that_a_short_engagement_lacks_is_found(tmp_path):
    path = tmp_path / "short.yml"
    path.write_text(
        "name: s\ntitle: S\nvariables:\n  start_date: {type: date}\n"
        "  sprint_weeks: {type: integer, default: 2}\n"
        "  sprints: {type: integer, default: 6, min: 1}\n"
        "series: {sprint: sprints}\n"
        "phases: [{key: p, name: P, label: L}]\n"
        "labels: [{key: l, name: L, color: '#000000'}]\n"
        "timeboxes: [{key: 'sprint-{{ sprint }}', each: sprint, title: S, kind: sprint}]\n"
        "issues: [{key: i, title: I, phase: p, step: s, timebox: sprint-5}]\n"
    )
    (problem,) = validate_paths([path])
    assert (problem.line, problem.message) == (11, "unknown time-box 'sprint-5'")


def test_templates_run_sandboxed(tmp_path):
    path = tmp_path / "escape.yml"
    path.write_text(
        "name: e\ntitle: E\nvariables:\n  customer: {}\n"
        'labels:\n  - key: x\n    name: "{{ customer.__class__.__mro__ }}"\n'
        "    color: '#000000'\n"
    )
    (problem,) = validate_paths([path])
    assert (problem.line, problem.col) == (7, 11)
    assert problem.message.startswith("template error:")
