"""GraphQL requests with their variables written inline as literals.

python-gitlab's `GraphQL.execute` takes the query as a string only; passing `variable_values`
still works but is deprecated in gql 4. Writing the values into the query as GraphQL literals
keeps one request per call and no deprecated path.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

import gitlab

_DECLARATIONS = re.compile(r"^(\s*(?:query|mutation))\s*\([^)]*\)")
_VARIABLE = re.compile(r"\$(\w+)")


def literal(value: object) -> str:
    """A GraphQL literal: strings and numbers as in JSON, input objects with bare field names."""
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{key}: {literal(item)}" for key, item in value.items()) + "}"
    if isinstance(value, list | tuple | set | frozenset):
        return "[" + ", ".join(literal(item) for item in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def inline(query: str, variables: Mapping[str, object]) -> str:
    """The query with its `$name` variables replaced by their values' literals."""
    body = _DECLARATIONS.sub(r"\1", query, count=1)
    return _VARIABLE.sub(lambda found: literal(variables[found[1]]), body)


def execute(client: gitlab.GraphQL, query: str, **variables: object) -> dict[str, Any]:
    answer = client.execute(inline(query, variables))
    return answer if isinstance(answer, dict) else {}
