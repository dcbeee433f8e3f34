"""The GraphQL schema as each GitLab version has it, and errors worded as GitLab words them.

`schema.graphql` is the latest subset; an older version is the same document with the fields,
arguments and types of `versions.SINCE` rows it predates taken out. GitLab runs graphql-ruby,
whose validation messages differ from graphql-core's; `ruby_message` rewrites the ones a client
meets when it asks an older GitLab for something newer.
"""

from __future__ import annotations

import re
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any

from graphql import (
    DefinitionNode,
    DocumentNode,
    EnumTypeDefinitionNode,
    GraphQLSchema,
    InputObjectTypeDefinitionNode,
    ObjectTypeDefinitionNode,
    build_ast_schema,
    parse,
)

from ..versions import Version, has

SDL = (Path(__file__).parent / "schema.graphql").read_text()

# Types written in the SDL without (all of) their fields: each takes its parent's fields first.
INHERITS = {"Group": "Namespace", "Project": "Namespace", "CurrentUser": "UserCore"}

# Per `versions.SINCE` row: (type, field) pairs that row adds; a field of None is a whole type
# and, for an enum, (enum, value) removes one value.
ADDED: dict[str, list[tuple[str, str | None]]] = {
    "namespace_work_items": [("Namespace", "workItems")],
    "namespace_work_item_types": [("Namespace", "workItemTypes")],
    "linked_items_on_create": [("WorkItemCreateInput", "linkedItemsWidget")],
    "linked_items_widget": [
        ("WorkItemWidgetLinkedItems", None),
        ("LinkedWorkItemTypeConnection", None),
        ("LinkedWorkItemTypeEdge", None),
        ("LinkedWorkItemType", None),
        ("WorkItemWidgetType", "LINKED_ITEMS"),
    ],
}


def _inherited(document: DocumentNode) -> DocumentNode:
    """`INHERITS` filled in; done before `_without`, so that a field a version lacks on the parent
    (`Namespace.workItems` before 18.1) stays on the children that had it earlier."""
    types = {
        node.name.value: node
        for node in document.definitions
        if isinstance(node, ObjectTypeDefinitionNode)
    }

    def filled(node: DefinitionNode) -> DefinitionNode:
        if not isinstance(node, ObjectTypeDefinitionNode) or node.name.value not in INHERITS:
            return node
        parent = types[INHERITS[node.name.value]]
        return replace(node, fields=(*(parent.fields or ()), *(node.fields or ())))

    return DocumentNode(definitions=tuple(filled(node) for node in document.definitions))


def _without(document: DocumentNode, removed: list[tuple[str, str | None]]) -> DocumentNode:
    gone_types = {name for name, field in removed if field is None}
    gone_fields = {(name, field) for name, field in removed if field is not None}
    kept: list[DefinitionNode] = []

    def keep(owner: str | None, member: Any) -> bool:
        return (owner, member.name.value) not in gone_fields

    for node in document.definitions:
        name = getattr(getattr(node, "name", None), "value", None)
        if name in gone_types:
            continue
        if isinstance(node, ObjectTypeDefinitionNode):  # noqa: SIM114 (mypy needs each type)
            node = replace(node, fields=tuple(f for f in node.fields or () if keep(name, f)))
        elif isinstance(node, InputObjectTypeDefinitionNode):
            node = replace(node, fields=tuple(f for f in node.fields or () if keep(name, f)))
        elif isinstance(node, EnumTypeDefinitionNode):
            node = replace(node, values=tuple(v for v in node.values or () if keep(name, v)))
        kept.append(node)
    return DocumentNode(definitions=tuple(kept))


@cache
def schema_for(version: Version) -> GraphQLSchema:
    """The schema of `version`; mutation resolvers are attached by the caller once per schema."""
    removed = [
        pair for feature, pairs in ADDED.items() if not has(version, feature) for pair in pairs
    ]
    return build_ast_schema(_without(_inherited(parse(SDL)), removed))


RUBY_WORDING = [
    (
        re.compile(r"Cannot query field '(\w+)' on type '(\w+)'\..*"),
        r"Field '\1' doesn't exist on type '\2'",
    ),
    (
        re.compile(r"Unknown argument '(\w+)' on field '\w+\.(\w+)'\..*"),
        r"Field '\2' doesn't accept argument '\1'",
    ),
    (
        re.compile(
            r"Variable '\$(\w+)' has invalid value: Expected value of type '(\w+)' not to "
            r"include unknown field '(\w+)'.*",
            re.S,
        ),
        r"Variable $\1 of type \2! was provided invalid value for \3 (Field is not defined on \2)",
    ),
    (
        re.compile(r"Expected value of type '(\w+)' not to include unknown field '(\w+)'.*", re.S),
        r"InputObject '\1' doesn't accept argument '\2'",
    ),
    (
        re.compile(r"Unknown type '(\w+)'\..*"),
        r"No such type \1, so it can't be a fragment condition",
    ),
]


def ruby_message(message: str) -> str:
    """graphql-core's wording of an unknown field, argument or type, as graphql-ruby says it."""
    for pattern, wording in RUBY_WORDING:
        if pattern.fullmatch(message):
            return pattern.sub(wording, message)
    return message
