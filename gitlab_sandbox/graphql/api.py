"""POST /api/graphql: queries and work-item mutations over the same store as REST."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache, lru_cache
from typing import Any, TypeVar

from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    TokenKind,
    execute_sync,
    parse,
    validate,
)

from ..model import GUEST, OWNER, REPORTER, Group, Project, User, WorkItem
from ..routes.issues import create_issue, diff, exclusive, tracked, update_issue
from ..routes.links import add_link, linked
from ..routes.meta import version_info
from ..routing import Routes
from ..state import now
from ..versions import Version
from ..web import ApiError, Ctx, Params, Reply
from ..workitems import HierarchyError, check_parent, create_epic, set_parent
from .nodes import (
    available_kinds,
    item_node,
    kind_of_type_id,
    namespace_node,
    parse_gid,
    user_core,
)
from .notes import create_note, update_note
from .schemas import ruby_message, schema_for

api = Routes(prefix="/api")
T = TypeVar("T")
NOT_AVAILABLE = (
    "The resource that you are attempting to access does not exist or you don't have "
    "permission to perform this action"
)
LABEL_KINDS = ("ProjectLabel", "GroupLabel", "Label")
MAX_LINKED_ON_CREATE = 10
LINK_TYPES = {"RELATED": "relates_to", "BLOCKS": "blocks", "BLOCKED_BY": "is_blocked_by"}
NO_MATCHING_ITEM = (
    "No matching work item found. Make sure you are adding a valid ID and you have access to "
    "the item."
)


def _owner(ctx: Ctx, path: str) -> Project | Group | None:
    state = ctx.state
    project = state.project_by_path(path)
    if project is not None:
        return project if state.can_see_project(ctx.user, project) else None
    group = state.group_by_path(path)
    return group if group is not None and state.can_see_group(ctx.user, group) else None


def _find_item(ctx: Ctx, value: Any) -> WorkItem:
    item = ctx.state.work_items.get(parse_gid(value, "WorkItem", "Issue", "Epic") or 0)
    if item is None or not ctx.state.can_see_issue(ctx.user, item):
        raise GraphQLError(NOT_AVAILABLE)
    owner_visible = (
        ctx.state.can_see_project(ctx.user, ctx.state.projects[item.project_id])
        if item.project_id is not None
        else ctx.state.can_see_group(ctx.user, ctx.state.groups[item.group_id])  # type: ignore[index]
    )
    if not owner_visible:
        raise GraphQLError(NOT_AVAILABLE)
    return item


def _editable_item(ctx: Ctx, value: Any) -> tuple[User, WorkItem]:
    """The signed-in caller and the work item `value` names, which the caller may edit."""
    user = ctx.user
    if user is None:
        raise GraphQLError(NOT_AVAILABLE)
    item = _find_item(ctx, value)
    if not ctx.state.can_edit_item(user, item):
        raise GraphQLError(NOT_AVAILABLE)
    return user, item


def _label_titles(ctx: Ctx, ids: list[Any] | None) -> list[str]:
    titles = []
    for value in ids or []:
        label = ctx.state.labels.get(parse_gid(value, *LABEL_KINDS) or 0)
        if label is not None:
            titles.append(label.title)
    return titles


def _label_ids(ctx: Ctx, owner: Project | Group, ids: list[Any] | None) -> list[int]:
    project, group = (owner, None) if isinstance(owner, Project) else (None, owner)
    available = {label.id for label in ctx.state.available_labels(project, group)}
    found = [parse_gid(v, *LABEL_KINDS) for v in ids or []]
    return [i for i in found if i in available]


def _with_params(ctx: Ctx, data: dict[str, Any], action: Callable[[], T]) -> T:
    saved = ctx.params
    ctx.params = Params(data)
    try:
        return action()
    except ApiError as error:
        raise GraphQLError(str(error.message)) from None
    finally:
        ctx.params = saved


def _rest_fields(ctx: Ctx, data: dict[str, Any]) -> dict[str, Any]:
    """Translate widget inputs into the REST attribute names the issue code understands."""
    fields: dict[str, Any] = {}
    if data.get("title") is not None:
        fields["title"] = data["title"]
    description = (data.get("descriptionWidget") or {}).get("description", data.get("description"))
    if description is not None:
        fields["description"] = description
    if data.get("confidential") is not None:
        fields["confidential"] = data["confidential"]
    if "milestoneWidget" in data:
        fields["milestone_id"] = parse_gid(
            (data["milestoneWidget"] or {}).get("milestoneId"), "Milestone"
        )
    if "assigneesWidget" in data:
        fields["assignee_ids"] = [
            parse_gid(v, "User") for v in (data["assigneesWidget"] or {}).get("assigneeIds", [])
        ]
    if data.get("weightWidget") is not None:
        fields["weight"] = data["weightWidget"].get("weight")
    dates = data.get("startAndDueDateWidget") or {}
    if "dueDate" in dates:
        fields["due_date"] = dates["dueDate"]
    if data.get("stateEvent"):
        fields["state_event"] = data["stateEvent"].lower()
    return fields


def _parent_of(ctx: Ctx, widget: dict[str, Any] | None) -> tuple[bool, WorkItem | None]:
    """Whether the hierarchy widget names a parent at all, and which (None to detach)."""
    if not widget or "parentId" not in widget:
        return False, None
    if widget["parentId"] is None:
        return True, None
    return True, _find_item(ctx, widget["parentId"])


def _links_wanted(ctx: Ctx, widget: dict[str, Any] | None) -> tuple[list[Any], str]:
    """The ids and link type a create's linkedItemsWidget asks for, checked as GitLab does."""
    if not widget:
        return [], "relates_to"
    ids = list(widget.get("workItemsIds") or [])
    if len(ids) > MAX_LINKED_ON_CREATE:
        raise GraphQLError(
            f"No more than {MAX_LINKED_ON_CREATE} work items can be linked at the same time."
        )
    kind = widget.get("linkType") or "RELATED"
    if kind != "RELATED" and not ctx.state.has("blocked_issues"):
        raise GraphQLError(
            f"Argument 'linkType' on InputObject 'WorkItemWidgetLinkedItemsCreateInput' has an "
            f"invalid value ({kind}). Expected type 'WorkItemRelatedLinkType'."
        )
    return ids, LINK_TYPES[kind]


def _link_created(ctx: Ctx, item: WorkItem, ids: list[Any], link_type: str) -> list[str]:
    """Link the new item to `ids` after it is saved; what cannot be linked becomes an error."""
    state, user = ctx.state, ctx.user
    assert user is not None
    if not ids or state.item_access(user, item) < REPORTER:
        return []  # GitLab drops the widget silently without the right to set metadata
    missing = False
    for value in ids:
        other = state.work_items.get(parse_gid(value, "WorkItem", "Issue") or 0)
        if (
            other is None
            or other.id == item.id
            or not state.can_see_issue(user, other)
            or state.item_access(user, other) < REPORTER
            # Links between epics are Ultimate (GL:doc/user/group/epics/linked_epics.md).
            or ((item.is_epic or other.is_epic) and not state.has("related_epics"))
        ):
            missing = True
        elif not linked(state, item, other):
            add_link(state, item, other, link_type)
    return [NO_MATCHING_ITEM] if missing else []


def work_item_create(_root: Any, info: Any, input: dict[str, Any]) -> dict[str, Any]:
    ctx: Ctx = info.context
    user = ctx.user
    if user is None:
        raise GraphQLError(NOT_AVAILABLE)
    link_ids, link_type = _links_wanted(ctx, input.get("linkedItemsWidget"))
    paths = [p for p in (input.get("namespacePath"), input.get("projectPath")) if p]
    if len(paths) != 1:
        raise GraphQLError(
            "Please provide either projectPath or namespacePath argument, but not both."
        )
    owner = _owner(ctx, paths[0])
    kind = kind_of_type_id(input["workItemTypeId"])
    if owner is None or kind is None or kind not in available_kinds(ctx, owner):
        raise GraphQLError(NOT_AVAILABLE)
    state = ctx.state
    access = (
        state.project_access(user, owner)
        if isinstance(owner, Project)
        else state.group_access(user, owner)
    )
    if access < (GUEST if isinstance(owner, Project) else REPORTER):
        raise GraphQLError(NOT_AVAILABLE)
    named, parent = _parent_of(ctx, input.get("hierarchyWidget"))
    if named and parent is not None:
        probe = WorkItem(0, 0, kind, "", user.id, now(), now())
        try:
            check_parent(state, probe, parent)
        except HierarchyError as error:
            return {
                "errors": [str(error).replace("#0", input["title"])],
                "workItem": None,
                "clientMutationId": input.get("clientMutationId"),
            }
    label_ids = _label_ids(ctx, owner, (input.get("labelsWidget") or {}).get("labelIds"))
    if isinstance(owner, Project):
        fields = _rest_fields(ctx, input)
        fields.update(issue_type=kind, labels=[state.labels[i].title for i in label_ids])
        item = _with_params(ctx, fields, lambda: create_issue(ctx, owner, user))
    else:
        fields = _rest_fields(ctx, input)
        dates = input.get("startAndDueDateWidget") or {}
        item = create_epic(
            ctx,
            owner,
            user,
            input["title"],
            description=fields.get("description", "") or "",
            label_ids=exclusive(ctx, label_ids),
            confidential=bool(fields.get("confidential", False)),
            start_date=Params(dates).date("startDate"),
            due_date=Params(dates).date("dueDate"),
        )
        ctx.emitter.issue(item, "open", user, {})
    if parent is not None:
        set_parent(ctx, item, parent, user)
    return {
        "errors": _link_created(ctx, item, link_ids, link_type),
        "workItem": item_node(ctx, item),
        "clientMutationId": input.get("clientMutationId"),
    }


def _update_epic(ctx: Ctx, epic: WorkItem, data: dict[str, Any]) -> None:
    user = ctx.me
    before = tracked(ctx, epic)
    fields = _rest_fields(ctx, data)
    if "title" in fields:
        epic.title = fields["title"]
    if "description" in fields:
        epic.description = fields["description"]
    if "confidential" in fields:
        epic.confidential = bool(fields["confidential"])
    dates = data.get("startAndDueDateWidget") or {}
    if "startDate" in dates:
        epic.start_date = Params(dates).date("startDate")
    if "dueDate" in dates:
        epic.due_date = Params(dates).date("dueDate")
    action = "update"
    if fields.get("state_event") == "close" and epic.state != "closed":
        epic.state, epic.closed_at, epic.closed_by_id, action = "closed", now(), user.id, "close"
    elif fields.get("state_event") == "reopen" and epic.state == "closed":
        epic.state, epic.closed_at, action = "opened", None, "reopen"
    after = tracked(ctx, epic)
    if after != before:
        epic.updated_at, epic.updated_by_id = now(), user.id
        ctx.emitter.issue(epic, action, user, diff(before, tracked(ctx, epic)))


def _payload(
    ctx: Ctx, data: dict[str, Any], item: WorkItem | None, errors: list[str]
) -> dict[str, Any]:
    return {
        "errors": errors,
        "workItem": item_node(ctx, item) if item is not None else None,
        "clientMutationId": data.get("clientMutationId"),
    }


def work_item_update(_root: Any, info: Any, input: dict[str, Any]) -> dict[str, Any]:
    ctx: Ctx = info.context
    user, item = _editable_item(ctx, input["id"])
    errors: list[str] = []
    hierarchy = input.get("hierarchyWidget") or {}
    named, parent = _parent_of(ctx, hierarchy)
    if named:
        try:
            set_parent(ctx, item, parent, user)
        except HierarchyError as error:
            return _payload(ctx, input, item, [str(error)])
    for child_id in hierarchy.get("childrenIds") or []:
        try:
            set_parent(ctx, _find_item(ctx, child_id), item, user)
        except HierarchyError as error:
            errors.append(str(error))
    labels = input.get("labelsWidget") or {}
    if item.is_epic:
        owner = ctx.state.groups[item.group_id]  # type: ignore[index]
        add = _label_ids(ctx, owner, labels.get("addLabelIds"))
        remove = set(_label_ids(ctx, owner, labels.get("removeLabelIds")))
        if add or remove:
            before = tracked(ctx, item)
            kept = [i for i in item.label_ids if i not in remove and i not in add]
            item.label_ids = exclusive(ctx, kept + add)
            ctx.emitter.issue(item, "update", user, diff(before, tracked(ctx, item)))
        _update_epic(ctx, item, input)
    else:
        fields = _rest_fields(ctx, input)
        if labels.get("addLabelIds"):
            fields["add_labels"] = _label_titles(ctx, labels["addLabelIds"])
        if labels.get("removeLabelIds"):
            fields["remove_labels"] = _label_titles(ctx, labels["removeLabelIds"])
        if fields:
            _with_params(ctx, fields, lambda: update_issue(ctx, item, user))
    return _payload(ctx, input, item, errors)


def work_item_delete(_root: Any, info: Any, input: dict[str, Any]) -> dict[str, Any]:
    ctx: Ctx = info.context
    if ctx.user is None:
        raise GraphQLError(NOT_AVAILABLE)
    item = _find_item(ctx, input["id"])
    state = ctx.state
    owner: Project | Group = (
        state.projects[item.project_id]
        if item.project_id is not None
        else state.groups[item.group_id]  # type: ignore[index]
    )
    if state.item_access(ctx.user, item) < OWNER and item.author_id != ctx.user.id:
        raise GraphQLError(NOT_AVAILABLE)
    for child in state.children(item):
        child.parent_id, child.epic_link_id = None, None
    del state.work_items[item.id]
    node = namespace_node(ctx, owner)
    return {
        "errors": [],
        "namespace": node,
        "project": node if isinstance(owner, Project) else None,
        "clientMutationId": input.get("clientMutationId"),
    }


def work_item_add_children(_root: Any, info: Any, input: dict[str, Any]) -> dict[str, Any]:
    ctx: Ctx = info.context
    user, parent = _editable_item(ctx, input["id"])
    added: list[WorkItem] = []
    errors: list[str] = []
    for child_id in input["childrenIds"]:
        child = _find_item(ctx, child_id)
        try:
            set_parent(ctx, child, parent, user)
            added.append(child)
        except HierarchyError as error:
            errors.append(str(error))
    return {
        "errors": errors,
        "addedChildren": [item_node(ctx, w) for w in added],
        "clientMutationId": input.get("clientMutationId"),
    }


def _query_root(ctx: Ctx) -> dict[str, Any]:
    def owner_of(kind: type | None) -> Callable[[Any, str], dict[str, Any] | None]:
        def resolve(_info: Any, fullPath: str) -> dict[str, Any] | None:
            owner = _owner(ctx, fullPath)
            if owner is None or (kind is not None and not isinstance(owner, kind)):
                return None
            return namespace_node(ctx, owner)

        return resolve

    def work_item(_info: Any, id: str) -> dict[str, Any] | None:
        try:
            return item_node(ctx, _find_item(ctx, id))
        except GraphQLError:
            return None

    info = version_info(ctx)
    return {
        "currentUser": lambda _info: user_core(ctx, ctx.user) if ctx.user else None,
        "metadata": lambda _info: {
            "version": info["version"],
            "revision": info["revision"],
            "enterprise": info["enterprise"],
        },
        "namespace": owner_of(None),
        "group": owner_of(Group),
        "project": owner_of(Project),
        "workItem": work_item,
    }


MUTATIONS = {
    "workItemCreate": work_item_create,
    "workItemUpdate": work_item_update,
    "workItemDelete": work_item_delete,
    "workItemHierarchyAddChildrenItems": work_item_add_children,
    "createNote": create_note,
    "updateNote": update_note,
}


@cache
def _schema(version: Version) -> GraphQLSchema:
    schema = schema_for(version)
    mutations = schema.mutation_type
    assert mutations is not None
    for name, resolver in MUTATIONS.items():
        mutations.fields[name].resolve = resolver
    return schema


def _masked(query: str, document: DocumentNode) -> str:
    """The query with every string literal emptied, found through the parser's own tokens."""
    parts, start = [], 0
    token = document.loc.start_token if document.loc else None
    while token is not None:
        if token.kind in (TokenKind.STRING, TokenKind.BLOCK_STRING):
            parts += [query[start : token.start], '""']
            start = token.end
        token = token.next
    return "".join(parts) + query[start:]


@lru_cache(maxsize=512)
def _valid_shape(version: Version, masked: str) -> bool:
    """Whether a query whose string literals are emptied validates.

    No validation rule looks inside a string (the schema's custom scalars accept any text), so
    queries that differ only in their strings share the answer; clients that write their values
    inline (as the bot does) then pay for validation once per shape, not per request.
    """
    try:
        return not validate(_schema(version), parse(masked))
    except GraphQLError:
        return False


def _operation_kinds(document: DocumentNode, operation_name: str | None) -> list[str]:
    """`query` / `mutation` of the operation(s) a request runs, for the statistics."""
    return [
        node.operation.value
        for node in document.definitions
        if isinstance(node, OperationDefinitionNode)
        and (operation_name is None or (node.name and node.name.value == operation_name))
    ]


def _formatted(error: GraphQLError) -> dict[str, Any]:
    formatted = dict(error.formatted)
    formatted["message"] = ruby_message(error.message)
    return formatted


@api.post("/graphql", status=200)
def graphql_endpoint(ctx: Ctx) -> Reply:
    query = ctx.params.str("query")
    if not query:
        return Reply({"errors": [{"message": "No query string was present"}]}, 200)
    variables = ctx.params.raw("variables")
    if not isinstance(variables, dict):
        variables = None
    operation_name = ctx.params.str("operationName")
    try:  # parsed once, for the statistics and the execution both
        document = parse(query)
    except GraphQLError as error:
        return Reply({"errors": [error.formatted]}, 200)
    for kind in _operation_kinds(document, operation_name)[:1]:
        ctx.sandbox.stats.count_graphql(kind)
    version = ctx.state.version
    schema = _schema(version)
    valid = _valid_shape(version, _masked(query, document))
    invalid = [] if valid else validate(schema, document)
    if invalid:
        return Reply({"errors": [_formatted(error) for error in invalid]}, 200)
    result = execute_sync(
        schema,
        document,
        root_value=_query_root(ctx),
        context_value=ctx,
        variable_values=variables,
        operation_name=operation_name,
    )
    body: dict[str, Any] = {}
    if result.errors:
        body["errors"] = [_formatted(error) for error in result.errors]
    if result.data is not None or not result.errors:
        body["data"] = result.data
    return Reply(body, 200)


api.get("/graphql")(graphql_endpoint)
