"""Issues assigned by the role their playbook entry names; `/psdm role set` moves them."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.domain.assignment import role_set, role_table
from bot.domain.effects import Decision, RecordEngagement, SetAssignees
from bot.domain.errors import NotPossible
from bot.domain.playbooks import Choice
from bot.playbook import load_playbook, playbooks_dir, render
from bot.playbook.problems import PlaybookError
from tests.domain.world import START, issues, live

ROLES = {
    "engagement_manager": "emma",
    "project_manager": "pam",
    "technical_architects": "tara, theo",
    "ps_engineers": "pete",
    "customer_sponsor": "sue",
}


def rendered(variables: dict[str, str]):
    base = {"customer": "Acme", "start_date": START.isoformat()}
    return render(load_playbook("tool-adoption"), {**base, **variables})


def test_every_issue_names_its_role_and_gets_its_people():
    blueprint = rendered(ROLES)
    assert all(i.owner for i in blueprint.issues), "every planned issue has an owning role"
    by_key = {i.key: i for i in blueprint.issues}
    assert by_key["issue:discovery/sessions"].assignees == ("tara", "theo")
    assert by_key["issue:raid-log"].assignees == ("pam",)  # governance: the project manager
    assert by_key["issue:close/handover"].assignees == ("emma",)
    assert by_key["issue:platform/install"].assignees == ("pete",)  # work: the PS engineers


def test_without_a_role_map_nobody_is_assigned():
    assert not any(i.assignees for i in rendered({}).issues)


def test_an_owner_that_is_no_role_is_a_playbook_error_with_its_line(tmp_path):
    path = tmp_path / "mine.yml"
    path.write_text(
        "name: mine\ntitle: Mine\nextends: tool-adoption.yml\nissues:\n"
        "  - key: extra\n    title: Extra\n    phase: discovery\n    step: s\n"
        "    owner: janitor\n",
        encoding="utf-8",
    )
    for name in ("tool-adoption.yml", "_psdm-base.yml", "_ps-common.yml"):  # for `extends`
        (tmp_path / name).write_text((playbooks_dir() / name).read_text(encoding="utf-8"))
    with pytest.raises(PlaybookError) as raised:
        render(load_playbook(str(path)), {"customer": "A", "start_date": START.isoformat()})
    assert "mine.yml:9" in str(raised.value) and "no role 'janitor'" in str(raised.value)


def engagement(**assigned: tuple[str, ...]):
    blueprint = rendered(ROLES)
    found = [replace(i, assignees=assigned.get(i.key or "", ())) for i in issues()]
    return live(found), blueprint


def test_role_set_records_the_role_and_moves_its_open_issues():
    planned = [i for i in rendered(ROLES).issues if i.owner == "project_manager"]
    engagement_, blueprint = engagement(**{i.key: ("pam",) for i in planned})
    closed = next(i for i in engagement_.issues if i.key == planned[0].key)
    engagement_ = replace(
        engagement_,
        issues=tuple(replace(i, state="closed") if i is closed else i for i in engagement_.issues),
    )
    outcome = role_set(engagement_, Choice("tool-adoption", ROLES), blueprint, "pm", ["@quinn"])
    assert isinstance(outcome, Decision)
    record, *moves = outcome.effects
    assert isinstance(record, RecordEngagement)
    assert record.variables["project_manager"] == "quinn"
    assert record.variables["ps_engineers"] == "pete", "the other roles stay"
    assert all(isinstance(m, SetAssignees) for m in moves)
    assert {m.iid for m in moves} == {
        i.iid for i in engagement_.issues if i.key in {p.key for p in planned} and not i.closed
    }
    assert closed.iid not in {m.iid for m in moves}, "closed issues keep who did them"
    assert moves[0] == SetAssignees(moves[0].iid, ("quinn",), ("pam",))
    assert outcome.said == (
        f"The project manager is now @quinn; {len(moves)} open issue(s) reassigned."
    )


def test_role_set_leaves_issues_that_already_have_the_new_people():
    planned = [i for i in rendered(ROLES).issues if i.owner == "project_manager"]
    engagement_, blueprint = engagement(**{i.key: ("quinn", "sue") for i in planned})
    outcome = role_set(engagement_, Choice("tool-adoption", ROLES), blueprint, "pm", ["quinn"])
    assert isinstance(outcome, Decision)
    assert len(outcome.effects) == 1, "only the record: every issue already has @quinn"


@pytest.mark.parametrize(
    ("role", "given", "reason"),
    [
        ("janitor", ["@x"], "no role 'janitor'"),
        ("pm", ["@a", "@b"], "one person is the project manager"),
        ("ta", ["not a name!"], "by GitLab username"),
    ],
)
def test_role_set_refuses_what_it_cannot_record(role, given, reason):
    engagement_, blueprint = engagement()
    with pytest.raises(NotPossible, match=reason):
        role_set(engagement_, Choice("tool-adoption", ROLES), blueprint, role, given)


def test_several_technical_architects_can_be_named():
    engagement_, blueprint = engagement()
    outcome = role_set(
        engagement_, Choice("tool-adoption", ROLES), blueprint, "ta", ["@tia", "@tom"]
    )
    assert isinstance(outcome, Decision)
    record = outcome.effects[0]
    assert isinstance(record, RecordEngagement)
    assert record.variables["technical_architects"] == "tia,tom"


def test_the_role_table_names_everyone_and_who_is_missing():
    table = role_table(Choice("tool-adoption", {"project_manager": "pam"}))
    assert "| Project manager (`project_manager`) | @pam | `project_manager` |" in table
    assert "| Customer sponsor (`customer_sponsor`) | nobody yet | `customer_sponsor` |" in table
