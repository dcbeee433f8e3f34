"""Every GraphQL document the bot can send is valid against GitLab's documented schema, and
the sandbox's answers to them have the shapes that schema gives.

The schema is a subset transcribed from GitLab's GraphQL reference
(`fixtures/graphql/gitlab_subset.graphql` names the page and commit). Documents are checked
twice: as the bot declares them (with variables) and as it really sends them (variables
written inline by `bot.gitlab.graphql.inline`), recorded while the bot scaffolds an engagement
on the sandbox on Ultimate and Premium (work-item epics) and Free (issues linked to their
epic issues).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from graphql import GraphQLEnumType, GraphQLSchema, build_schema, execute, parse, validate

from bot.gitlab.graphql import inline
from bot.gitlab.kinds.epics import parent_issues, work_items
from gitlab_sandbox.graphql.schemas import schema_for
from gitlab_sandbox.versions import LATEST
from tests.scenarios.support import Engagement, tool_adoption

from .inventory import GRAPHQL, Operation

SUBSET = Path(__file__).resolve().parent / "fixtures" / "graphql" / "gitlab_subset.graphql"
WIDGET_TYPES = {
    "ASSIGNEES": "WorkItemWidgetAssignees",
    "DESCRIPTION": "WorkItemWidgetDescription",
    "HIERARCHY": "WorkItemWidgetHierarchy",
    "LABELS": "WorkItemWidgetLabels",
    "LINKED_ITEMS": "WorkItemWidgetLinkedItems",
    "MILESTONE": "WorkItemWidgetMilestone",
    "NOTES": "WorkItemWidgetNotes",
    "START_AND_DUE_DATE": "WorkItemWidgetStartAndDueDate",
    "WEIGHT": "WorkItemWidgetWeight",
}


def gitlab_schema() -> GraphQLSchema:
    schema = build_schema(SUBSET.read_text())
    widget = schema.get_type("WorkItemWidget")
    # an answer carries the widget's `type`, which names its object type in GitLab's schema
    widget.resolve_type = lambda value, _info, _abstract: WIDGET_TYPES.get(value.get("type"))
    return schema


SCHEMA = gitlab_schema()


@dataclass(frozen=True)
class Sent:
    query: str
    """The bot's declared document."""
    document: str
    """What went over the wire, variables inline."""
    answer: dict[str, Any]


def document_of(operation: Operation) -> str:
    return getattr(importlib.import_module(operation.module), operation.attribute)


def problems(document: str) -> list[str]:
    return [error.message for error in validate(SCHEMA, parse(document))]


@pytest.mark.parametrize("operation", GRAPHQL, ids=lambda op: op.attribute)
def test_each_declared_document_is_valid_against_gitlabs_schema(operation):
    assert problems(document_of(operation)) == []


def test_the_validation_refuses_what_gitlab_does_not_document():
    """Not vacuous: an undocumented field, argument or input field is reported."""
    create = document_of(GRAPHQL[1])
    assert problems(create.replace("workItem { id iid }", "workItem { id iid parentEpic }"))
    links = document_of(GRAPHQL[3])
    assert problems(links.replace("filter: RELATED", "filter: RELATES_TO"))
    sent = inline(create, {"input": {"title": "t", "workItemTypeId": "x", "epicId": 1}})
    assert any("epicId" in message for message in problems(sent))


def test_an_answer_outside_the_schema_is_reported():
    """Not vacuous either: a null where GitLab promises a value fails the shape check."""
    create = parse(
        inline(document_of(GRAPHQL[1]), {"input": {"title": "t", "workItemTypeId": "x"}})
    )
    good = {
        "workItemCreate": {"workItem": {"id": "gid://gitlab/WorkItem/1", "iid": "1"}, "errors": []}
    }
    assert execute(SCHEMA, create, root_value=good).errors is None
    bad = {"workItemCreate": {"workItem": {"id": None, "iid": "1"}, "errors": []}}
    assert execute(SCHEMA, create, root_value=bad).errors


def test_the_inlined_update_of_an_epic_is_valid():
    """What WorkItemEpics.write sends to change an epic (title, description, labels, parent)."""
    update = document_of(GRAPHQL[2])
    payload: dict[str, Any] = {
        "id": "gid://gitlab/WorkItem/7",
        "title": "Phase 2",
        "descriptionWidget": {"description": "body"},
        "labelsWidget": {
            "addLabelIds": ["gid://gitlab/GroupLabel/3"],
            "removeLabelIds": ["gid://gitlab/GroupLabel/4"],
        },
        "hierarchyWidget": {"parentId": "gid://gitlab/WorkItem/1"},
    }
    assert problems(inline(update, {"input": payload})) == []


@pytest.fixture(params=["ultimate", "premium", "free"])
def recorded(request, sandbox_server, monkeypatch) -> tuple[str, list[Sent]]:
    """Documents the bot sent while scaffolding (and re-applying after a hand edit), with the
    sandbox's answers."""
    tier = request.param
    sandbox_server.reset(tier)
    gl = sandbox_server.gitlab()
    group = gl.groups.create({"name": "Acme", "path": "acme"})
    gl.projects.create({"name": "delivery", "path": "delivery", "namespace_id": group.id})
    seen: list[Sent] = []
    original = work_items.execute

    def recording(client: Any, query: str, **variables: Any) -> dict[str, Any]:
        answer = original(client, query, **variables)
        seen.append(Sent(query, inline(query, variables), answer))
        return answer

    for sender in (work_items, parent_issues):  # the two stores that speak GraphQL
        monkeypatch.setattr(sender, "execute", recording)
    engagement = Engagement(sandbox_server, tier)
    blueprint = tool_adoption()
    engagement.apply(blueprint)
    if tier == "ultimate":  # someone detaches a phase epic by hand: the next apply re-parents it
        child = next(e for e in gl.groups.get("acme").epics.list(get_all=True) if e.parent_iid)
        httpx.put(
            f"{sandbox_server.url}/api/v4/groups/{group.id}/epics/{child.iid}",
            json={"parent_id": 0},
            headers={"PRIVATE-TOKEN": sandbox_server.token},
        ).raise_for_status()
        engagement.apply(blueprint)
    return tier, seen


SENT_ON = {
    "ultimate": {"EPICS_QUERY", "CREATE", "UPDATE"},
    "premium": {"EPICS_QUERY", "CREATE"},
    "free": {"LINKS_QUERY", "CREATE"},
}


def test_what_the_bot_sends_is_valid_and_the_answers_have_gitlabs_shapes(recorded):
    tier, sent = recorded
    declared = {document_of(operation): operation.attribute for operation in GRAPHQL}
    assert {declared[s.query] for s in sent} == SENT_ON[tier]
    for each in sent:
        assert problems(each.document) == [], each.document
        result = execute(SCHEMA, parse(each.document), root_value=each.answer)
        assert result.errors is None, (each.document, result.errors)
        assert result.data == each.answer


def test_the_tiers_together_send_every_document_of_the_inventory():
    assert set().union(*SENT_ON.values()) == {operation.attribute for operation in GRAPHQL}


def schema_differences(documented: GraphQLSchema, served: GraphQLSchema) -> list[str]:
    """Where the sandbox's schema departs from GitLab's for what the subset documents: a type,
    field, argument, input field or enum value missing, or one with another type."""
    found: list[str] = []
    for name, kind in documented.type_map.items():
        if name.startswith("__"):
            continue
        mine = served.type_map.get(name)
        if mine is None:
            found.append(f"{name}: missing")
            continue
        if type(mine) is not type(kind):
            found.append(f"{name}: {type(mine).__name__}, documented {type(kind).__name__}")
            continue
        if isinstance(kind, GraphQLEnumType):
            found += [f"{name}.{v}: missing" for v in kind.values if v not in mine.values]  # type: ignore[attr-defined]
            continue
        fields = getattr(kind, "fields", None)
        if fields is None:
            continue
        for field_name, field in fields.items():
            other = mine.fields.get(field_name)  # type: ignore[attr-defined]
            if other is None:
                found.append(f"{name}.{field_name}: missing")
                continue
            if str(other.type) != str(field.type):
                found.append(f"{name}.{field_name}: {other.type}, documented {field.type}")
            for arg_name, arg in getattr(field, "args", {}).items():
                served_arg = other.args.get(arg_name)
                if served_arg is None:
                    found.append(f"{name}.{field_name}({arg_name}): missing")
                elif str(served_arg.type) != str(arg.type):
                    found.append(
                        f"{name}.{field_name}({arg_name}): {served_arg.type}, documented {arg.type}"
                    )
    return found


KNOWN_GAPS = {
    # Where the sandbox's schema.graphql (the `sandbox` helper's room) still departs from the
    # reference: the standard `before`/`last` connection arguments, WorkItemTypeConnection's
    # pageInfo, the widgets' exceptTypes filter, the notes widget's discussionLocked. The bot
    # uses none of them; the list only shrinks (a fixed gap fails this test until it leaves).
    "Namespace.workItemTypes(before): missing",
    "Namespace.workItemTypes(after): missing",
    "Namespace.workItemTypes(first): missing",
    "Namespace.workItemTypes(last): missing",
    "Namespace.workItems(before): missing",
    "Namespace.workItems(last): missing",
    "Project.workItemTypes(before): missing",
    "Project.workItemTypes(after): missing",
    "Project.workItemTypes(first): missing",
    "Project.workItemTypes(last): missing",
    "Project.workItems(before): missing",
    "Project.workItems(last): missing",
    "WorkItemTypeConnection.pageInfo: missing",
    "WorkItem.widgets(exceptTypes): missing",
    "WorkItemWidgetLinkedItems.linkedItems(before): missing",
    "WorkItemWidgetLinkedItems.linkedItems(last): missing",
    "WorkItemWidgetNotes.discussionLocked: missing",
}


def test_the_sandbox_schema_agrees_with_gitlabs_for_everything_the_bot_uses():
    """The sandbox's SDL is judged by the transcription, never the other way round."""
    assert set(schema_differences(SCHEMA, schema_for(LATEST))) == KNOWN_GAPS


def test_a_schema_difference_is_reported():
    served = build_schema(SUBSET.read_text().replace("  iid: String!\n", "  iid: Int!\n", 1))
    assert schema_differences(SCHEMA, served) == ["WorkItem.iid: Int!, documented String!"]
