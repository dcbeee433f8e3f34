"""Reading GitLab's resource events, from the answers its documentation shows."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.gitlab.history import label_events, milestone_events, moment, state_events, weight_events

USER = {"id": 1, "name": "Administrator", "username": "root", "state": "active"}


def test_label_events_as_documented_and_a_deleted_label_skipped() -> None:
    # GL:doc/api/resource_label_events.md, "List project issue label events"
    answer = [
        {
            "id": 143,
            "user": USER,
            "created_at": "2018-08-20T13:38:21.077Z",
            "resource_type": "Issue",
            "resource_id": 253,
            "label": {"id": 74, "name": "p1", "color": "#0033CC", "description": ""},
            "action": "remove",
        },
        {
            "id": 142,
            "user": USER,
            "created_at": "2018-08-20T13:38:20.077Z",
            "resource_type": "Issue",
            "resource_id": 253,
            "label": {"id": 73, "name": "a1", "color": "#34495E", "description": ""},
            "action": "add",
        },
        {"id": 144, "created_at": "2018-08-20T13:39:00Z", "label": None, "action": "add"},
    ]
    found = label_events(answer)
    assert [(e.label, e.action) for e in found] == [("a1", "add"), ("p1", "remove")]
    assert found[0].at == datetime(2018, 8, 20, 13, 38, 20, 77000, tzinfo=UTC)


def test_state_milestone_and_weight_events_as_documented() -> None:
    # GL:doc/api/resource_state_events.md, resource_milestone_events.md, resource_weight_events.md
    states = state_events(
        [
            {"id": 2, "user": USER, "created_at": "2018-08-21T14:38:20.077Z", "state": "closed"},
            {"id": 1, "user": USER, "created_at": "2018-08-20T13:38:20.077Z", "state": "opened"},
            {"id": 3, "created_at": "2018-08-22T00:00:00Z", "state": "merged"},
        ]
    )
    assert [e.state for e in states] == ["opened", "closed"]
    milestones = milestone_events(
        [
            {
                "id": 142,
                "user": USER,
                "created_at": "2018-08-20T13:38:20.077Z",
                "resource_type": "Issue",
                "resource_id": 253,
                "milestone": {"id": 61, "iid": 9, "project_id": 7, "title": "v1.2"},
                "action": "add",
            }
        ]
    )
    assert [(e.milestone, e.action) for e in milestones] == [("v1.2", "add")]
    weights = weight_events(
        [{"id": 142, "user": USER, "created_at": "2018-08-20T13:38:20.077Z", "weight": 3}]
    )
    assert [e.weight for e in weights] == [3]


def test_moment_reads_gitlabs_times() -> None:
    assert moment(None) is None
    assert moment("2026-01-05T10:00:00+01:00") == datetime(2026, 1, 5, 9, tzinfo=UTC)
