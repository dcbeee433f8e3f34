import json

from bot.service.intake import content_key, delivery_of, partition_of, token_matches
from tests.conftest import PAYLOADS


def payload(name):
    return json.loads((PAYLOADS / name).read_text())


def test_a_system_hook_and_a_group_hook_reporting_one_creation_share_a_content_key():
    group = payload("group-project-create.json")
    system = group | {"owner_email": "user1@example.com", "owner_name": "John"}
    assert content_key(group) == content_key(system) is not None


def test_different_changes_of_one_issue_have_different_content_keys():
    first = payload("issue-open.json")
    second = json.loads(json.dumps(first))
    second["changes"]["labels"]["current"] = []
    assert content_key(first) != content_key(second)
    assert content_key(first | {"object_attributes": first["object_attributes"]}) == content_key(
        first
    )


def test_the_idempotency_key_names_the_delivery_and_else_the_content_does():
    body = (PAYLOADS / "note-issue.json").read_bytes()
    data = json.loads(body)
    keyed = delivery_of({"idempotency-key": "abc", "x-gitlab-event": "Note Hook"}, body, data)
    assert keyed.key == "delivery:abc" and keyed.content_key == content_key(data)
    unkeyed = delivery_of({"x-gitlab-event": "Note Hook"}, body, data)
    assert unkeyed.key == content_key(data)
    bare = delivery_of({}, b'{"x": 1}', {"x": 1})
    assert bare.key.startswith("body:") and bare.content_key is None


def test_work_is_partitioned_by_project():
    assert partition_of(payload("issue-open.json")) == "project:1"
    assert partition_of(payload("system-project-create.json")) == "project:74"
    assert partition_of({"event_name": "group_create"}) == "instance"


def test_tokens_match_only_exactly():
    assert token_matches("b", ["a", "b"])
    assert not token_matches("b ", ["a", "b"])
    assert not token_matches(None, ["a"])
    assert not token_matches("a", [])
