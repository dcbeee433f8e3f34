from __future__ import annotations

from graphql import parse

from bot.gitlab.graphql import inline, literal
from bot.gitlab.kinds.epics.documents import CREATE, EPICS_QUERY


def test_literals_quote_strings_and_leave_input_field_names_bare():
    value = {"title": 'Say "hi"', "labelsWidget": {"labelIds": ["gid://gitlab/Label/1"]}}
    assert literal(value) == (
        '{title: "Say \\"hi\\"", labelsWidget: {labelIds: ["gid://gitlab/Label/1"]}}'
    )
    assert literal(None) == "null" and literal(True) == "true" and literal(3) == "3"


def test_an_inlined_query_is_valid_graphql_without_variable_declarations():
    text = inline(EPICS_QUERY, {"path": "acme", "after": None})
    assert "$" not in text and 'fullPath: "acme"' in text and "after: null" in text
    parse(text)


def test_a_value_containing_a_dollar_is_not_substituted_again():
    text = inline(CREATE, {"input": {"title": "costs $after tax", "description": "a\nb"}})
    assert 'title: "costs $after tax"' in text
    parse(text)
