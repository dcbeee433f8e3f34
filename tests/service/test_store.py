import pytest

from bot.service.store import DISPATCHED, IGNORED, Delivery, Engagement, Store


def delivery(key, content=None, partition="project:1"):
    return Delivery(key, content, "Issue Hook", partition, "uuid-1", '{"a": 1}')


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/db/psdm.sqlite"
    else:
        url = request.getfixturevalue("pg_url")
    opened = Store(url)
    yield opened
    opened.close()


def test_a_delivery_is_recorded_once_by_its_key(store):
    assert store.record([delivery("k1"), delivery("k2")]) == [True, True]
    assert store.record([delivery("k1"), delivery("k3")]) == [False, True]
    assert [d.key for d in store.undispatched()] == ["k1", "k2", "k3"]


def test_the_same_event_from_two_hooks_is_recorded_once_by_its_content(store):
    first = delivery("group-hook-key", content="content:abc")
    second = delivery("project-hook-key", content="content:abc")
    assert store.record([first, second]) == [True, False]
    assert store.record([delivery("third", content="content:abc")]) == [False]
    assert len(store.undispatched()) == 1


def test_marked_deliveries_leave_the_inbox(store):
    store.record([delivery("a"), delivery("b"), delivery("c")])
    store.mark(["a"], DISPATCHED)
    store.mark(["b"], IGNORED)
    assert [d.key for d in store.undispatched()] == ["c"]
    assert store.counts() == {"received": 1, "dispatched": 1, "ignored": 1}


def test_a_recorded_delivery_keeps_what_the_workflow_needs(store):
    store.record([delivery("k", content="content:x", partition="project:9")])
    assert store.undispatched() == [delivery("k", content="content:x", partition="project:9")]


def test_the_first_engagement_record_of_a_project_wins(store):
    store.save_engagement(Engagement(5, "acme/portal", "tool-adoption", {"customer": "Acme"}))
    store.save_engagement(Engagement(5, "acme/portal", "other", {}))
    assert store.engagement(5) == Engagement(
        5, "acme/portal", "tool-adoption", {"customer": "Acme"}
    )
    assert store.engagement(6) is None
