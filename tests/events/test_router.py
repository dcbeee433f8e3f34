import json

import pytest

from bot.events.actions import (
    FollowCloseOut,
    FollowIssueState,
    FollowRetrospectives,
    PhaseProgress,
    RestoreLabels,
    ScaffoldProject,
    TimeBoxClosed,
)
from bot.events.event import Event
from bot.events.router import Context, Router
from bot.events.routes import build_router
from tests.conftest import PAYLOADS


def payload(name: str) -> dict:
    return json.loads((PAYLOADS / name).read_text())


def test_a_system_hook_project_create_asks_for_a_scaffold():
    event = Event.from_delivery("System Hook", payload("system-project-create.json"))
    assert build_router().dispatch(event, Context()) == [ScaffoldProject(74, "jsmith/storecloud")]


def test_a_group_hook_project_create_asks_for_a_scaffold():
    event = Event.from_delivery("Project Hook", payload("group-project-create.json"))
    assert build_router().dispatch(event, Context()) == [ScaffoldProject(22, "group1/project1")]


def test_closing_a_milestone_asks_for_its_time_box_to_close():
    data = payload("milestone-create.json") | {"action": "close"}
    event = Event.from_delivery("Milestone Hook", data)
    assert build_router().dispatch(event, Context()) == [
        RestoreLabels(1),
        TimeBoxClosed(1, 61, "v1.0"),
    ]


def test_any_issue_or_milestone_activity_checks_the_standard_labels():
    """GitLab sends no event when a label is deleted or renamed."""
    event = Event.from_delivery("Milestone Hook", payload("milestone-create.json"))
    assert build_router().dispatch(event, Context()) == [RestoreLabels(1)]
    event = Event.from_delivery("Issue Hook", payload("issue-open.json"))
    assert build_router().dispatch(event, Context()) == [RestoreLabels(1)]


def test_comments_and_emoji_decide_nothing_without_commands():
    for name, kind in (("note-issue.json", "Note Hook"), ("emoji-award-note.json", "Emoji Hook")):
        assert build_router().dispatch(Event.from_delivery(kind, payload(name)), Context()) == []


def test_closing_an_issue_moves_its_workflow_label_and_phase_progress():
    data = payload("issue-open.json")
    data["object_attributes"] |= {"action": "close", "state": "closed"}
    event = Event.from_delivery("Issue Hook", data)
    assert build_router().dispatch(event, Context()) == [
        RestoreLabels(1),
        FollowIssueState(1, 23, "closed"),
        PhaseProgress(1, 23),
        FollowRetrospectives(1),
        FollowCloseOut(1),
    ]


CHECKLIST = "### Acceptance criteria\n\n- [{}] ProjectWin proposed\n- [{}] CustomerStory proposed\n"


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        # a title or milestone edit cannot change a close-out label: nothing beyond the labels
        ({"title": {"previous": "a", "current": "b"}}, []),
        # labels edited (TA::Approved set): the reporting labels and the TA pair, not the retros
        ({"labels": {"previous": [], "current": []}}, [FollowCloseOut(1)]),
        # a description edit may add or tick an action, or tick a reporting label
        (
            {"description": {"previous": "", "current": CHECKLIST.format("x", " ")}},
            [FollowRetrospectives(1), FollowCloseOut(1)],
        ),
        # unticking is known only from the edit: the action names what was unticked
        (
            {
                "description": {
                    "previous": CHECKLIST.format("x", "x"),
                    "current": CHECKLIST.format(" ", "x"),
                }
            },
            [FollowRetrospectives(1), FollowCloseOut(1, ("ProjectWin",), 23)],
        ),
    ],
)
def test_an_issue_edit_asks_for_the_close_out_labels_it_can_change(changes, expected):
    data = payload("issue-open.json") | {"changes": changes}
    data["object_attributes"] |= {"action": "update"}
    event = Event.from_delivery("Issue Hook", data)
    assert build_router().dispatch(event, Context()) == [RestoreLabels(1), *expected]


def test_a_confidential_issue_is_routed_like_an_issue():
    data = payload("issue-open.json")
    data["object_attributes"] |= {"action": "reopen", "state": "opened"}
    event = Event.from_delivery("Confidential Issue Hook", data)
    assert event.confidential
    assert FollowIssueState(1, 23, "opened") in build_router().dispatch(event, Context())


def test_events_caused_by_the_bot_itself_are_ignored():
    data = payload("issue-open.json")
    data["object_attributes"] |= {"action": "close", "state": "closed"}
    event = Event.from_delivery("Issue Hook", data)
    assert build_router().dispatch(event, Context(bot_username="root")) == []
    assert build_router().dispatch(event, Context(bot_user_id=1)) == []


def test_system_notes_and_comment_edits_reach_no_handler():
    router = Router()
    seen = []

    @router.register("Note Hook")
    def record(event, context):
        seen.append(event.action)
        return []

    note = payload("note-issue.json")
    router.dispatch(Event.from_delivery("Note Hook", note), Context())
    edited = note | {"object_attributes": note["object_attributes"] | {"action": "update"}}
    router.dispatch(Event.from_delivery("Note Hook", edited), Context())
    system = note | {"object_attributes": note["object_attributes"] | {"system": True}}
    router.dispatch(Event.from_delivery("Note Hook", system), Context())
    assert seen == ["create"]


def test_a_command_router_can_be_included_for_note_events():
    commands = Router()

    @commands.register("Note Hook", action="create")
    def command(event, context):
        yield ScaffoldProject(event.project_id, "from-a-comment")

    router = Router(build_router(), commands)
    event = Event.from_delivery("Note Hook", payload("note-issue.json"))
    assert router.dispatch(event, Context()) == [ScaffoldProject(5, "from-a-comment")]


@pytest.mark.parametrize(
    ("name", "kind", "expected"),
    [
        # An award on a note and a note without `/psdm` ask for nothing.
        ("emoji-award-note.json", "Emoji Hook", []),
        ("note-issue.json", "Note Hook", []),
        ("group-project-create.json", "Project Hook", [ScaffoldProject(22, "group1/project1")]),
        ("system-project-create.json", "System Hook", [ScaffoldProject(74, "jsmith/storecloud")]),
        # Any issue or milestone event has the project's standard labels checked.
        ("issue-open.json", "Issue Hook", [RestoreLabels(1)]),
        ("milestone-create.json", "Milestone Hook", [RestoreLabels(1)]),
    ],
)
def test_every_documented_payload_is_routed_to_what_it_asks_for(name, kind, expected):
    assert build_router().dispatch(Event.from_delivery(kind, payload(name)), Context()) == expected
