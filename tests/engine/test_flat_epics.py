"""Where epics cannot nest (Premium), a parent lists its children: table tests of the diff."""

from __future__ import annotations

from bot.engine.diff import diff
from bot.engine.marker import Marker
from bot.engine.port import LiveObject, LiveState
from bot.playbook.blueprint import Blueprint

FLAT = LiveState(epics="work_items", nested_epics=False)


def op_for(plan, key):
    return next(op for op in plan.operations if op.key == key)


def epic(ref: str, key: str, title: str, description: str, **fields: object) -> LiveObject:
    labels = ("Phase::Discovery",) if key == "epic:discovery" else ()
    wanted = {"title": title, "description": description, "labels": labels, **fields}
    marker = Marker.of(key, {k: v for k, v in wanted.items() if k != "parent"})
    return LiveObject("epic", ref, title, {"parent": None, **wanted}, marker)


def test_on_an_empty_group_the_parent_lists_its_child_and_is_made_after_it(blueprint):
    plan = diff(blueprint, FLAT)
    parent, child = op_for(plan, "epic:discovery"), op_for(plan, "epic:migration")
    assert child.parent is None and "epic:discovery" not in child.depends
    assert parent.fields["children"] == ("epic:migration",)
    assert "epic:migration" in parent.depends
    keys = [op.key for op in plan.operations]
    assert keys.index("epic:discovery") < keys.index("epic:migration")  # shown parents first


def test_where_epics_nest_no_children_are_listed(blueprint):
    plan = diff(blueprint, LiveState(epics="work_items"))
    assert "children" not in op_for(plan, "epic:discovery").fields
    assert op_for(plan, "epic:migration").parent == "epic:discovery"


def built(listed: tuple[str, ...], nested: bool = False) -> LiveState:
    """Both epics exist, the parent's list of children holds `listed`."""
    return LiveState(
        (
            epic("1", "epic:discovery", "Discovery", "Assess", children=listed),
            epic("2", "epic:migration", "SCM migration", "Waves", children=()),
        ),
        epics="work_items",
        nested_epics=nested,
    )


def test_a_parent_that_lists_its_child_needs_nothing(blueprint: Blueprint):
    plan = diff(blueprint, built(("2",)))
    assert op_for(plan, "epic:discovery").op == "unchanged", plan.to_text()
    assert op_for(plan, "epic:migration").op == "unchanged"


def test_a_missing_child_is_added_and_one_a_person_listed_is_kept(blueprint: Blueprint):
    op = op_for(diff(blueprint, built(("9",))), "epic:discovery")
    assert op.op == "update"
    assert op.changes["children"] == (("epic#9",), ("epic#9", "epic:migration"))


def test_after_a_move_to_ultimate_the_listed_child_gets_its_real_parent(blueprint: Blueprint):
    plan = diff(blueprint, built(("2",), nested=True))
    assert op_for(plan, "epic:migration").changes == {"parent": (None, "epic:discovery")}
    assert op_for(plan, "epic:discovery").op == "unchanged"
