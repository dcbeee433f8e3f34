"""The sandbox's answers for the families around the bot carry every key of GitLab's
documented examples, with the documented JSON types (`families.FAMILIES`)."""

from __future__ import annotations

import pytest

from .families import FAMILIES, extend
from .inventory import Rest
from .shapes import fixture


@pytest.fixture(scope="module")
def families(world):
    extend(world)
    return world


def test_a_markdown_upload_answers_the_documented_keys(families):
    """Multipart, so not in the table: GL:doc/api/project_markdown_uploads.md "Upload a file"."""
    pid = families.ids["pid"]
    answer = families.api.post(f"/projects/{pid}/uploads", files={"file": ("dk.png", b"x")})
    assert answer.status_code == 201
    assert fixture("upload").check("create", answer.json()) == []


@pytest.mark.parametrize("entry", FAMILIES, ids=lambda entry: entry.name)
def test_answer_has_the_documented_keys_and_types(families, entry: Rest):
    answer = families.call(
        entry.method,
        families.fill(entry.call),
        params=entry.query or None,
        json=families.fill(entry.body) if entry.body else None,
    )
    if isinstance(answer, list):
        assert answer, f"{entry.name}: an empty list proves nothing"
    assert fixture(entry.fixture).check(entry.example, answer) == []
