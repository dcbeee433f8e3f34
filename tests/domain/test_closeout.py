"""The close-out labels as table tests: given a live engagement, when the rule is decided,
then these label changes (or none)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.domain.actions import action_done, action_items, open_actions
from bot.domain.closeout import (
    CUSTOMER_STORY,
    DELIVERY_KIT_UPDATE,
    PROJECT_WIN,
    RETRO_COMPLETE,
    TA_APPROVED,
    TA_REVIEW,
    follow_close_out,
    follow_retrospectives,
    ticked_labels,
    unticked_between,
)
from bot.domain.effects import Decision, OnIssue, RelabelEpic, SetIssueLabels, UpsertNote
from bot.domain.model import LiveEngagement
from tests.domain.world import blueprint, issues, live

RETRO = "issue:sprint-2/retrospective"
CUSTOMER_RETRO = "issue:customer-retrospective"
CHECKLIST = "issue:close/close-out"
ACTION_WORK = "issue:platform/group-structure"


def iid(key: str) -> int:
    return next(n for n, i in enumerate(blueprint().issues, 1) if i.key == key)


def labels_of(outcome: Decision) -> dict[int, tuple[tuple[str, ...], tuple[str, ...]]]:
    return {e.iid: (e.add, e.remove) for e in outcome.effects if isinstance(e, SetIssueLabels)}


def epic_labels(outcome: Decision) -> tuple[str, ...] | None:
    found = [e for e in outcome.effects if isinstance(e, RelabelEpic)]
    assert len(found) <= 1
    return found[0].labels if found else None


# -- the one action-item parser -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "closed", "done"),
    [
        ("- [ ] Shorter standups", {}, False),
        ("- [x] Shorter standups", {}, True),
        ("* [X] Shorter standups", {}, True),
        # an action naming an issue follows the issue, whatever its box says
        ("- [ ] #12 Book the SSO workshop", {12: True}, True),
        ("- [x] #12 Book the SSO workshop", {12: False}, False),
        ("- [x] Pair on #12 and #13", {12: True, 13: False}, False),
        # an issue the engagement does not have, or another project's: the box counts
        ("- [x] #99 elsewhere", {12: True}, True),
        ("- [ ] acme/other#12 elsewhere", {12: True}, False),
        ("- [ ] MR !12 merged", {12: True}, False),
    ],
)
def test_an_action_is_done_by_its_box_or_by_the_issues_it_names(line, closed, done):
    (item,) = action_items(f"## Action items\n{line}\n")
    assert action_done(item, closed) is done


def test_acceptance_criteria_are_no_actions_and_carry_over_follows_named_issues():
    text = (
        "## Action items\n- [ ] #3 Book the SSO workshop\n- [ ] Shorter standups\n"
        "### Acceptance criteria\n- [ ] Action items have owners\n"
    )
    assert [i.text for i in action_items(text)] == ["#3 Book the SSO workshop", "Shorter standups"]
    assert open_actions(text) == ["#3 Book the SSO workshop", "Shorter standups"]
    assert open_actions(text, {3: True}) == ["Shorter standups"]


# -- RetroComplete ------------------------------------------------------------------------------


def engagement_with(**changes: dict) -> LiveEngagement:
    return live(issues(**changes))


ACTIONS = "## Action items\n- [x] Shorter standups\n- [ ] #{work} Group structure agreed\n"


@pytest.mark.parametrize(
    ("retro", "work_state", "expected"),
    [
        # held, every action done (ticked, and the named issue closed): it applies
        ({"state": "closed"}, "closed", ((RETRO_COMPLETE,), ())),
        # held, but the action's issue is open (reopened): nothing to add
        ({"state": "closed"}, "opened", None),
        # not held yet: nothing to add, however done its actions are
        ({"state": "opened"}, "closed", None),
        # it carries the label, and the action's issue reopened: the label comes off
        ({"state": "closed", "labels": (RETRO_COMPLETE,)}, "opened", ((), (RETRO_COMPLETE,))),
        # it carries the label, and the retrospective reopened: off
        ({"state": "opened", "labels": (RETRO_COMPLETE,)}, "closed", ((), (RETRO_COMPLETE,))),
        # already labelled and complete: no write
        ({"state": "closed", "labels": (RETRO_COMPLETE,)}, "closed", None),
    ],
)
def test_retro_complete_follows_the_retrospective_and_its_actions(retro, work_state, expected):
    # given a sprint retrospective with a ticked action and one that names a work item
    description = ACTIONS.format(work=iid(ACTION_WORK))
    engagement = engagement_with(
        **{RETRO: {"description": description, **retro}, ACTION_WORK: {"state": work_state}}
    )
    # when the rule is decided
    outcome = follow_retrospectives(engagement, blueprint())
    # then only that retrospective changes, and only when its label differs
    changed = labels_of(outcome)
    assert changed == ({iid(RETRO): expected} if expected else {})
    notes = [e for e in outcome.effects if isinstance(e, UpsertNote)]
    assert [n.on for n in notes] == ([OnIssue(iid(RETRO))] if expected else [])


def test_a_new_open_action_takes_retro_complete_off_and_says_which():
    added = "## Action items\n- [x] Shorter standups\n- [ ] Demo earlier\n"
    engagement = engagement_with(
        **{RETRO: {"state": "closed", "labels": (RETRO_COMPLETE,), "description": added}}
    )
    outcome = follow_retrospectives(engagement, blueprint())
    assert labels_of(outcome) == {iid(RETRO): ((), (RETRO_COMPLETE,))}
    note = next(e for e in outcome.effects if isinstance(e, UpsertNote))
    assert "- Demo earlier" in note.body and "Shorter standups" not in note.body


def test_the_customer_retrospective_held_without_open_actions_is_complete():
    engagement = engagement_with(**{CUSTOMER_RETRO: {"state": "closed"}})
    outcome = follow_retrospectives(engagement, blueprint())
    assert labels_of(outcome) == {iid(CUSTOMER_RETRO): ((RETRO_COMPLETE,), ())}


# -- the close-out checklist --------------------------------------------------------------------


def ticked(*names: str) -> str:
    text = next(i.description for i in blueprint().issues if i.key == CHECKLIST)
    for name in names:
        text = text.replace(f"- [ ] {name} ", f"- [x] {name} ")
    return text


def test_ticked_labels_are_read_from_the_checklist_lines_that_name_them():
    assert ticked_labels(ticked()) == ()
    assert ticked_labels(ticked(PROJECT_WIN, DELIVERY_KIT_UPDATE)) == (
        PROJECT_WIN,
        DELIVERY_KIT_UPDATE,
    )
    assert unticked_between(ticked(PROJECT_WIN, CUSTOMER_STORY), ticked(CUSTOMER_STORY)) == (
        PROJECT_WIN,
    )


@pytest.mark.parametrize(
    ("ticks", "checklist_labels", "unticked", "issue_change", "epic_after"),
    [
        # nothing ticked: nothing to do
        ((), (), (), None, None),
        # ProjectWin ticked: on the checklist and the engagement epic
        ((PROJECT_WIN,), (), (), ((PROJECT_WIN,), ()), (PROJECT_WIN,)),
        # already applied everywhere: no write
        ((PROJECT_WIN,), (PROJECT_WIN,), (), None, "epic has it"),
        # Delivery Kit Update asks for a TA review
        (
            (DELIVERY_KIT_UPDATE,),
            (),
            (),
            ((DELIVERY_KIT_UPDATE, TA_REVIEW), ()),
            (DELIVERY_KIT_UPDATE,),
        ),
        # ... but not when a TA approved already (on Premium a review request would replace it)
        (
            (DELIVERY_KIT_UPDATE,),
            (TA_APPROVED,),
            (),
            ((DELIVERY_KIT_UPDATE,), ()),
            (DELIVERY_KIT_UPDATE,),
        ),
        # approved where both labels coexist (Free): the review request comes off
        ((), (TA_APPROVED, TA_REVIEW), (), ((), (TA_REVIEW,)), None),
        # unticked: what the tick put on comes off, review request included, TA::Approved stays
        (
            (),
            (DELIVERY_KIT_UPDATE, TA_REVIEW, TA_APPROVED),
            (DELIVERY_KIT_UPDATE,),
            ((), (DELIVERY_KIT_UPDATE, TA_REVIEW)),
            (),
        ),
        # an untick named by the edit but ticked again by now: it stays
        ((CUSTOMER_STORY,), (CUSTOMER_STORY,), (CUSTOMER_STORY,), None, "epic has it"),
    ],
)
def test_the_reporting_labels_follow_the_checklist(
    ticks, checklist_labels, unticked, issue_change, epic_after
):
    # given the close-out checklist with these ticks and labels, the epic as the ticks left it
    checklist = {"description": ticked(*ticks), "labels": checklist_labels}
    engagement = engagement_with(**{CHECKLIST: checklist})
    on_epic = tuple(n for n in (*checklist_labels, *unticked) if n in REPORTED)
    root = next(e for e in engagement.epics if e.key == "epic:engagement")
    root = replace(root, labels=(*root.labels, *dict.fromkeys(on_epic)))
    engagement = replace(
        engagement, epics=tuple(root if e.key == root.key else e for e in engagement.epics)
    )
    # when the rule is decided (`unticked` from the edit behind the event)
    outcome = follow_close_out(engagement, blueprint(), unticked, iid(CHECKLIST))
    # then the checklist and the engagement epic change as the table says, and no more
    assert labels_of(outcome) == ({iid(CHECKLIST): issue_change} if issue_change else {})
    after = epic_labels(outcome)
    if epic_after == "epic has it" or epic_after is None:
        assert after is None
    else:
        assert after is not None
        assert tuple(n for n in after if n in REPORTED) == epic_after
    notes = [e for e in outcome.effects if isinstance(e, UpsertNote)]
    gone = [n for n in unticked if n not in ticks]
    assert [n.marker for n in notes] == [f"<!-- psdm-bot unticked={n} -->" for n in gone]


REPORTED = (PROJECT_WIN, CUSTOMER_STORY, DELIVERY_KIT_UPDATE)


def test_an_untick_in_another_issue_takes_nothing_off_the_checklist():
    # given ProjectWin on the checklist (by hand, its line unticked) and on the epic
    engagement = engagement_with(**{CHECKLIST: {"labels": (PROJECT_WIN,)}})
    # when another issue's edit unticked a line that names ProjectWin
    outcome = follow_close_out(engagement, blueprint(), (PROJECT_WIN,), iid(RETRO))
    # then nothing comes off
    assert outcome.effects == ()


def test_an_engagement_whose_playbook_has_no_reporting_labels_is_left_alone():
    bare = replace(
        blueprint(),
        labels=tuple(n for n in blueprint().labels if n.name not in (*REPORTED, RETRO_COMPLETE)),
    )
    engagement = engagement_with(
        **{CHECKLIST: {"description": ticked(PROJECT_WIN)}, CUSTOMER_RETRO: {"state": "closed"}}
    )
    assert follow_close_out(engagement, bare).effects == ()
    assert follow_retrospectives(engagement, bare).effects == ()
