from __future__ import annotations

from bot.engine.apply import apply
from bot.engine.diff import diff
from bot.engine.marker import Marker, parse
from bot.engine.port import LiveObject, LiveState
from bot.playbook.blueprint import Blueprint
from tests.engine.memory import MemoryPort, op_for


def built(blueprint: Blueprint) -> MemoryPort:
    port = MemoryPort()
    assert apply(diff(blueprint), port).ok
    return port


def test_against_an_empty_project_everything_is_created_parents_first(blueprint):
    plan = diff(blueprint)
    assert {op.op for op in plan.operations} == {"create"}
    keys = [op.key for op in plan.operations]
    assert keys.index("epic:discovery") < keys.index("epic:migration")
    assert keys.index("label:phase/discovery") < keys.index("issue:discovery/kickoff")
    assert keys.index("milestone:discovery") < keys.index("issue:discovery/kickoff")
    assert plan.pending


def test_created_descriptions_carry_the_ownership_marker(blueprint):
    kickoff = op_for(diff(blueprint), "issue:discovery/kickoff")
    text, marker = parse(kickoff.body)
    assert text == "Hold the kickoff."
    assert marker.key == "issue:discovery/kickoff"
    assert marker.wrote("weight", 2) and not marker.wrote("weight", 3)


def test_labels_and_boards_carry_no_marker(blueprint):
    plan = diff(blueprint)
    assert op_for(plan, "label:raid").body is None
    assert op_for(plan, "board:raid").body is None


def test_a_second_plan_after_apply_changes_nothing(blueprint):
    port = built(blueprint)
    again = diff(blueprint, port.read_live(blueprint))
    assert not again.pending, again.to_text()


def test_an_object_renamed_by_a_person_is_found_by_its_marker_and_the_name_kept(blueprint):
    port = built(blueprint)
    port.edit("issue:discovery/kickoff", title="Kickoff with ACME")
    plan = diff(blueprint, port.read_live(blueprint))
    kickoff = op_for(plan, "issue:discovery/kickoff")
    assert kickoff.op == "unchanged"
    assert kickoff.kept == {"title": ("Kickoff with ACME", "Customer kickoff")}
    assert sum(op.op == "create" for op in plan.operations) == 0


def test_a_field_the_bot_wrote_is_updated_when_the_playbook_changes_it(blueprint):
    port = built(blueprint)
    newer = _with_issue(blueprint, "issue:discovery/kickoff", description="Hold it on site.")
    plan = diff(newer, port.read_live(newer))
    kickoff = op_for(plan, "issue:discovery/kickoff")
    assert kickoff.op == "update"
    assert kickoff.changes == {"description": ("Hold the kickoff.", "Hold it on site.")}
    text, marker = parse(kickoff.body)
    assert text == "Hold it on site." and marker.wrote("description", "Hold it on site.")


def test_a_field_a_person_edited_is_kept_when_the_playbook_changes_it(blueprint):
    port = built(blueprint)
    port.edit("issue:discovery/kickoff", description="Moved to Berlin.")
    newer = _with_issue(blueprint, "issue:discovery/kickoff", description="Hold it on site.")
    kickoff = op_for(diff(newer, port.read_live(newer)), "issue:discovery/kickoff")
    assert kickoff.op == "unchanged"
    assert kickoff.kept == {"description": ("Moved to Berlin.", "Hold it on site.")}


def test_an_update_keeps_a_persons_description_and_refreshes_only_the_marker(blueprint):
    port = built(blueprint)
    port.edit("issue:discovery/kickoff", description="Moved to Berlin.")
    newer = _with_issue(blueprint, "issue:discovery/kickoff", title="Customer kick-off")
    kickoff = op_for(diff(newer, port.read_live(newer)), "issue:discovery/kickoff")
    assert kickoff.changes == {"title": ("Customer kickoff", "Customer kick-off")}
    text, marker = parse(kickoff.body)
    assert text == "Moved to Berlin."
    assert marker.wrote("title", "Customer kick-off")
    assert marker.wrote("description", "Hold the kickoff.")


def test_labels_moved_by_a_person_on_a_board_are_kept(blueprint):
    port = built(blueprint)
    port.edit("issue:raid", labels=("PS RAID Log", "PSD Workflow::Done"))
    raid = op_for(diff(blueprint, port.read_live(blueprint)), "issue:raid")
    assert raid.op == "unchanged" and "labels" in raid.kept


def test_an_object_deleted_by_a_person_is_created_again(blueprint):
    port = built(blueprint)
    port.delete("issue:raid")
    plan = diff(blueprint, port.read_live(blueprint))
    assert [op.key for op in plan.operations if op.pending] == ["issue:raid"]
    assert op_for(plan, "issue:raid").op == "create"


def test_an_unmarked_object_with_the_exact_title_is_adopted_with_the_persons_values(blueprint):
    existing = LiveObject(
        "milestone", "7", "Sprint 1", {"title": "Sprint 1", "description": "Ours", "due_date": None}
    )
    plan = diff(blueprint, LiveState((existing,)))
    sprint = op_for(plan, "milestone:sprint-1")
    assert sprint.op == "adopt" and sprint.ref == "7"
    assert not sprint.changes
    assert set(sprint.kept) == {"description", "start_date", "due_date"}
    text, marker = parse(sprint.body)
    assert text == "Ours" and marker.key == "milestone:sprint-1"


def test_after_adoption_the_next_plan_leaves_the_persons_values_alone(blueprint):
    existing = LiveObject(
        "milestone", "7", "Sprint 1", {"title": "Sprint 1", "description": "Ours", "due_date": None}
    )
    port = MemoryPort((existing,))
    assert apply(diff(blueprint, port.read_live(blueprint)), port).ok
    sprint = op_for(diff(blueprint, port.read_live(blueprint)), "milestone:sprint-1")
    assert sprint.op == "unchanged" and sprint.kept["description"] == ("Ours", "")


def test_an_object_marked_for_another_key_is_never_adopted_by_title(blueprint):
    other = LiveObject(
        "milestone", "7", "Sprint 1", {"title": "Sprint 1"}, Marker("milestone:other")
    )
    assert op_for(diff(blueprint, LiveState((other,))), "milestone:sprint-1").op == "create"


def test_a_group_label_of_the_same_name_is_used_not_shadowed(blueprint):
    group_label = LiveObject(
        "label", "g1", "PS RAID Log", {"color": "#ff0000", "description": ""}, inherited=True
    )
    raid = op_for(diff(blueprint, LiveState((group_label,))), "label:raid")
    assert raid.op == "unchanged" and raid.ref == "g1"
    assert raid.kept == {"color": ("#ff0000", "#dc143c")}


def test_a_project_label_wins_over_an_inherited_one_of_the_same_name(blueprint):
    group_label = LiveObject("label", "g1", "PS RAID Log", {"color": "#dc143c"}, inherited=True)
    own = LiveObject("label", "p1", "PS RAID Log", {"color": "#dc143c"})
    assert op_for(diff(blueprint, LiveState((group_label, own))), "label:raid").ref == "p1"


def test_a_missing_epic_link_is_set_but_a_persons_choice_of_parent_kept(blueprint):
    port = built(blueprint)
    port.edit("issue:discovery/kickoff", parent=None)
    port.edit("epic:migration", parent="elsewhere")
    plan = diff(blueprint, port.read_live(blueprint))
    assert op_for(plan, "issue:discovery/kickoff").changes == {"parent": (None, "epic:discovery")}
    migration = op_for(plan, "epic:migration")
    assert migration.op == "unchanged"
    assert migration.kept == {"parent": ("epic#elsewhere", "epic:discovery")}


def test_a_board_gets_its_missing_lists_back_and_keeps_extra_ones(blueprint):
    board = LiveObject("board", "3", "RAID board", {"lists": ("Doing",)})
    op = op_for(diff(blueprint, LiveState((board,))), "board:raid")
    assert op.op == "update"
    assert op.changes == {"lists": (("Doing",), ("Doing", "PS RAID Log"))}


def test_fields_the_tier_cannot_hold_are_not_compared(blueprint):
    port = built(blueprint)
    port.edit("issue:discovery/kickoff", weight=None)
    live = port.read_live(blueprint)
    free = LiveState(live.objects, epics="issues", unsupported=frozenset({"issue.weight"}))
    assert "weight" not in op_for(diff(blueprint, free), "issue:discovery/kickoff").kept
    assert "weight" in op_for(diff(blueprint, live), "issue:discovery/kickoff").kept
    assert "weight" not in op_for(diff(blueprint, free), "issue:discovery/kickoff").fields


def _with_issue(blueprint: Blueprint, key: str, **changes: object) -> Blueprint:
    from dataclasses import replace

    issues = tuple(replace(i, **changes) if i.key == key else i for i in blueprint.issues)
    return replace(blueprint, issues=issues)


def test_a_board_without_scope_gets_the_playbooks_and_a_persons_scope_is_kept(blueprint):
    from dataclasses import replace

    scoped = replace(blueprint, boards=(replace(blueprint.boards[0], labels=("PS RAID Log",)),))
    bare = LiveObject("board", "3", "RAID board", {"lists": ("PS RAID Log",), "labels": ()})
    op = op_for(diff(scoped, LiveState((bare,))), "board:raid")
    assert op.changes == {"labels": ((), ("PS RAID Log",))}
    chosen = replace(bare, fields={**bare.fields, "labels": ("Escalated",)})
    op = op_for(diff(scoped, LiveState((chosen,))), "board:raid")
    assert op.op == "unchanged" and op.kept == {"labels": (("Escalated",), ("PS RAID Log",))}
