"""Loading: YAML positions, `extends` merging, where shipped playbooks are found."""

from pathlib import Path

import pytest

from bot.playbook import load_playbook, playbooks_dir, render, shipped_playbooks, validate_paths
from bot.playbook.source import locate, read_yaml

BASE = """\
name: base
title: Base
variables:
  customer: {description: Customer}
  start_date: {type: date}
  sprint_weeks: {type: integer, default: 2}
labels:
  - {key: a, name: A, color: "#000000"}
  - {key: b, name: B, color: "#000000"}
  - {key: c, name: C, color: "#000000"}
timeboxes:
  - {key: one, title: One, weeks: 1}
boards:
  - {key: flow, name: Flow, lists: [A, B]}
"""

CHILD = """\
name: child
title: Child
extends: base.yml
variables:
  sprint_weeks: {default: 3}
labels:
  - {key: b, name: B2}
  - {key: c, omit: true}
  - {key: d, name: D, color: "#111111"}
boards:
  - {key: flow, lists: [D]}
"""


@pytest.fixture
def child(tmp_path: Path) -> Path:
    (tmp_path / "base.yml").write_text(BASE)
    (tmp_path / "child.yml").write_text(CHILD)
    return tmp_path / "child.yml"


def test_positions_are_one_based_line_and_column(tmp_path):
    path = tmp_path / "p.yml"
    path.write_text("a:\n  b: [x, {c: 1}]\n")
    tree, problems = read_yaml(path, "p.yml")
    assert problems == []
    assert locate(tree, ("a", "b", 1, "c")).line == 2
    assert locate(tree, ("a", "b", 1, "c")).col == 14
    assert locate(tree, ("a", "b"), at_key=True).col == 3


def test_dates_stay_text_until_checked(tmp_path):
    path = tmp_path / "p.yml"
    path.write_text("day: 2026-01-06\nbad: 2026-13-01\n")
    tree, problems = read_yaml(path, "p.yml")
    assert (tree["day"], tree["bad"], problems) == ("2026-01-06", "2026-13-01", [])


def test_extends_deep_merges_maps_and_merges_keyed_lists_by_key(child):
    playbook = load_playbook(child)
    spec = playbook.spec
    assert spec.name == "child"
    assert spec.variables["sprint_weeks"].default == 3
    assert spec.variables["sprint_weeks"].type == "integer"
    assert [(label.key, label.name, label.color) for label in spec.labels] == [
        ("a", "A", "#000000"),
        ("b", "B2", "#000000"),
        ("d", "D", "#111111"),
    ]
    assert spec.boards[0].lists == ["D"]
    assert spec.boards[0].name == "Flow"


def test_merged_items_point_at_the_file_that_wrote_them(child):
    playbook = load_playbook(child)
    assert playbook.position(("labels", 0)).file.endswith("base.yml")
    assert playbook.position(("labels", 1, "name")).file.endswith("child.yml")
    assert playbook.position(("labels", 1, "color")).file.endswith("base.yml")


def test_a_missing_extends_target_is_reported_where_it_is_named(tmp_path):
    path = tmp_path / "p.yml"
    path.write_text("name: p\ntitle: P\nextends: [nowhere.yml]\n")
    (problem,) = validate_paths([path])
    assert (problem.line, problem.col) == (3, 11)
    assert problem.message.startswith("extends 'nowhere.yml': no such file")


def test_a_playbook_file_is_loaded_by_path_and_a_shipped_one_by_name(child):
    blueprint = render(load_playbook(child), {"customer": "X", "start_date": "2026-01-06"})
    assert blueprint.playbook == "child"
    assert blueprint.timeboxes[0].due_date.isoformat() == "2026-01-12"
    assert load_playbook("transformation").path == playbooks_dir() / "transformation.yml"


def test_shipped_playbooks_can_come_from_another_directory(tmp_path, monkeypatch, child):
    monkeypatch.setenv("PSDM_PLAYBOOKS", str(child.parent))
    assert shipped_playbooks() == ["base", "child"]
    assert load_playbook("child").name == "child"


def test_every_shipped_file_points_editors_at_the_schema():
    for path in playbooks_dir().glob("*.yml"):
        first = path.read_text(encoding="utf-8").splitlines()[0]
        assert first == "# yaml-language-server: $schema=../schemas/playbook.schema.json"


def test_an_unknown_shipped_name_lists_the_known_ones():
    (problem,) = validate_paths([Path("no-such-playbook")])
    assert problem.message == (
        "no such playbook (shipped: ps-lifecycle, tool-adoption, transformation)"
    )
