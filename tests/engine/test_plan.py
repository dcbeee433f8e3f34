from __future__ import annotations

import json

from bot.engine.diff import diff
from bot.engine.marker import Marker, fingerprint, parse, with_marker


def test_plan_json_names_each_operation_with_its_references(blueprint):
    data = diff(blueprint).to_json()
    json.dumps(data)
    assert data["playbook"] == "tiny"
    assert data["variables"] == {"customer": "Acme Corp", "start_date": "2026-01-06"}
    kickoff = next(op for op in data["operations"] if op["key"] == "issue:discovery/kickoff")
    assert kickoff["op"] == "create" and kickoff["kind"] == "issue"
    assert kickoff["parent"] == "epic:discovery"
    assert kickoff["milestone"] == "milestone:discovery"
    assert kickoff["labels"] == ["Phase::Discovery"]
    sprint = next(op for op in data["operations"] if op["key"] == "milestone:sprint-1")
    assert sprint["fields"]["start_date"] == "2026-01-19"


def test_plan_text_shows_one_line_per_object_and_a_summary(blueprint):
    text = diff(blueprint).to_text()
    assert "9 to create, 0 to update, 0 to adopt, 0 unchanged" in text
    assert "+ milestone Sprint 1  [milestone:sprint-1]" in text
    assert "start_date: 2026-01-19" in text


def test_plan_markdown_is_a_table_of_what_changes(blueprint):
    md = diff(blueprint).to_markdown()
    assert "| create | issue | Customer kickoff |" in md
    assert md.count("\n| create |") == 9


def test_markdown_cells_escape_pipes(blueprint):
    from dataclasses import replace

    piped = replace(blueprint, boards=(replace(blueprint.boards[0], name="RAID | board"),))
    assert "RAID \\| board" in diff(piped).to_markdown()


def test_a_marker_survives_a_round_trip_through_a_description():
    marker = Marker.of("issue:sprint-3/retrospective", {"title": "Retro", "labels": ("a", "b")})
    text, found = parse(with_marker("Three questions.", marker))
    assert text == "Three questions." and found == marker
    assert found.wrote("labels", ("a", "b")) and not found.wrote("labels", ("a",))


def test_text_a_person_wrote_after_the_marker_stays_visible():
    body = with_marker("Ours.", Marker("issue:x", {})) + "\n\nAdded later."
    text, found = parse(body)
    assert found.key == "issue:x" and text == "Ours.\n\nAdded later."


def test_a_description_without_marker_has_none():
    assert parse("<!-- a comment -->\nhello") == ("<!-- a comment -->\nhello", None)
    assert parse(None) == ("", None)


def test_fingerprints_do_not_depend_on_tuple_or_list():
    assert fingerprint(("a", "b")) == fingerprint(["a", "b"])
    assert fingerprint("1") != fingerprint(1)


def test_plan_text_and_markdown_show_each_field_change_and_what_a_person_kept(blueprint):
    from dataclasses import replace

    from bot.engine.apply import apply
    from tests.engine.memory import MemoryPort

    port = MemoryPort()
    apply(diff(blueprint), port)
    port.edit("issue:raid", title="Risk log")
    issues = tuple(
        replace(i, description="Hold it on site.") if i.key == "issue:discovery/kickoff" else i
        for i in blueprint.issues
    )
    plan = diff(replace(blueprint, issues=issues), port.read_live(blueprint))
    text = plan.to_text()
    assert "~ issue     Customer kickoff  [issue:discovery/kickoff]" in text
    assert "description: Hold the kickoff. -> Hold it on site." in text
    assert "kept title (edited by a person): Risk log" in text
    md = plan.to_markdown()
    assert "| update | issue | Customer kickoff | description: Hold the kickoff. -> Hold" in md
    assert "| unchanged | issue | RAID log | kept title (edited by a person): Risk log |" in md
