"""Time tracking as GitLab documents it: REST endpoints, quick actions, GraphQL timelogs.

`GL:doc/user/project/time_tracking.md`, `GL:doc/api/issues.md` (time tracking section),
`GL:lib/api/time_tracking_endpoints.rb`; driven through python-gitlab and plain HTTP.
"""

from __future__ import annotations

import httpx
import pytest

from gitlab_sandbox.routes.timetracking import human, parse_duration

TIMELOGS = """
query($path: ID!, $start: Time, $end: Time, $user: String) {
  project(fullPath: $path) {
    timelogs(startDate: $start, endDate: $end, username: $user) {
      count totalSpentTime
      nodes { timeSpent spentAt summary user { username } issue { iid title } }
    }
  }
}
"""


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("1h", 3600),
        ("1h30m", 5400),
        ("1h 30m", 5400),
        ("3", 3 * 3600),  # a bare number is hours
        ("1d", 8 * 3600),
        ("1w", 40 * 3600),
        ("1mo", 160 * 3600),
        ("1mo 2w 3d 4h 5m", (160 + 80 + 24 + 4) * 3600 + 300),
        ("-30m", -1800),
        ("2 hours", 7200),
        ("", None),
        ("abc", None),
        ("1x", None),
        ("h", None),
    ],
)
def test_durations_read_in_gitlabs_units(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, None), (3600, "1h"), (5400, "1h 30m"), (8 * 3600, "1d"), (75 * 3600, "1w 4d 3h")],
)
def test_durations_print_as_gitlab_prints_them(seconds, text):
    assert human(seconds) == text


@pytest.fixture
def world(sandbox):
    sandbox.seed(
        {
            "users": [{"username": "pat"}, {"username": "tess"}, {"username": "gus"}],
            "groups": [{"path": "acme", "members": {"pat": 30, "tess": 30, "gus": 10}}],
            "projects": [{"path": "app", "namespace": "acme"}],
        }
    )
    root = sandbox.gitlab()
    project = root.projects.get("acme/app")
    issue = project.issues.create({"title": "Migrate repositories"})
    return sandbox, project, issue


def test_rest_estimate_spend_and_reset_answer_the_time_stats(world):
    _, project, issue = world
    assert issue.time_estimate("1d") == {
        "time_estimate": 28800,
        "total_time_spent": 0,
        "human_time_estimate": "1d",
        "human_total_time_spent": None,
    }
    assert issue.add_spent_time("1h30m")["total_time_spent"] == 5400
    assert issue.add_spent_time("-30m")["human_total_time_spent"] == "1h"
    # python-gitlab answers `time_stats()` from the issue it holds: read the issue again
    assert project.issues.get(issue.iid).time_stats()["total_time_spent"] == 3600
    assert issue.reset_time_estimate()["time_estimate"] == 0
    assert issue.reset_spent_time()["total_time_spent"] == 0


def test_add_spent_time_answers_201_and_the_issue_carries_its_time_stats(world):
    sandbox, project, issue = world
    base = f"{sandbox.url}/api/v4/projects/{project.id}/issues/{issue.iid}"
    headers = {"PRIVATE-TOKEN": "pat-token"}
    answer = httpx.post(f"{base}/add_spent_time", params={"duration": "2h"}, headers=headers)
    assert answer.status_code == 201
    estimate = httpx.post(f"{base}/time_estimate", data={"duration": "1w"}, headers=headers)
    assert estimate.status_code == 200
    read = httpx.get(base, headers=headers).json()["time_stats"]
    assert read == {
        "time_estimate": 144000,
        "total_time_spent": 7200,
        "human_time_estimate": "1w",
        "human_total_time_spent": "2h",
    }
    listed = httpx.get(f"{sandbox.url}/api/v4/projects/{project.id}/issues", headers=headers)
    assert listed.json()[0]["time_stats"]["total_time_spent"] == 7200


def test_bad_durations_subtractions_past_zero_and_guests_are_refused(world):
    sandbox, project, issue = world
    base = f"{sandbox.url}/api/v4/projects/{project.id}/issues/{issue.iid}"
    pat = {"PRIVATE-TOKEN": "pat-token"}
    missing = httpx.post(f"{base}/add_spent_time", headers=pat)
    assert missing.status_code == 400
    assert missing.json() == {"error": "duration is missing"}
    assert httpx.post(f"{base}/add_spent_time?duration=soon", headers=pat).status_code == 400
    below = httpx.post(f"{base}/add_spent_time?duration=-1h", headers=pat)
    assert below.status_code == 400
    assert "exceeds the total time spent" in str(below.json()["message"])
    guest = httpx.post(f"{base}/add_spent_time?duration=1h", headers={"PRIVATE-TOKEN": "gus-token"})
    assert guest.status_code == 403
    assert (
        httpx.get(f"{base}/time_stats", headers={"PRIVATE-TOKEN": "gus-token"}).status_code == 200
    )


def _comment(sandbox, project, iid: int, who: str, body: str) -> httpx.Response:
    return httpx.post(
        f"{sandbox.url}/api/v4/projects/{project.id}/issues/{iid}/notes",
        json={"body": body},
        headers={"PRIVATE-TOKEN": f"{who}-token"},
    )


def test_spend_and_estimate_quick_actions_log_time_and_keep_no_empty_note(world):
    sandbox, project, issue = world
    only_commands = _comment(
        sandbox, project, issue.iid, "pat", "/spend 1h 2026-01-05\n/estimate 2d"
    )
    assert only_commands.status_code == 202  # a comment of quick actions only is not kept
    assert only_commands.json()["commands_changes"] == {
        "spend_time": "1h 2026-01-05",
        "time_estimate": "2d",
    }
    _comment(sandbox, project, issue.iid, "pat", "Drafted the plan\n\n/spend 30m 2026-01-06")
    _comment(sandbox, project, issue.iid, "tess", "/spend 3h 2026-01-06\n/spend 2h 2026-01-07")
    assert [n.body for n in issue.notes.list()] == ["Drafted the plan\n"]
    stats = project.issues.get(issue.iid).time_stats()
    assert (stats["total_time_spent"], stats["time_estimate"]) == (12600, 57600), "last /spend"
    future = _comment(sandbox, project, issue.iid, "pat", "Later\n/spend 1h 2999-01-01")
    assert future.json()["body"] == "Later"
    again = project.issues.get(issue.iid).time_stats()
    assert again["total_time_spent"] == 12600, "a future date logs nothing"
    _comment(sandbox, project, issue.iid, "gus", "/spend 1h")
    assert project.issues.get(issue.iid).time_stats()["total_time_spent"] == 12600, "a guest"


def test_graphql_timelogs_list_who_logged_what_on_which_issue(world):
    sandbox, project, issue = world
    _comment(sandbox, project, issue.iid, "pat", "Workshop\n/spend 1h 2026-01-05")
    other = project.issues.create({"title": "Train the team"})
    _comment(sandbox, project, other.iid, "tess", "/spend 2h 2026-01-09")
    client = sandbox.graphql("pat-token")
    found = client.execute(TIMELOGS, variable_values={"path": "acme/app"})["project"]["timelogs"]
    assert (found["count"], found["totalSpentTime"]) == (2, "10800")
    assert [
        (n["user"]["username"], n["issue"]["iid"], n["timeSpent"], n["spentAt"][:10], n["summary"])
        for n in found["nodes"]
    ] == [("pat", "1", 3600, "2026-01-05", "Workshop"), ("tess", "2", 7200, "2026-01-09", None)]
    week = {"path": "acme/app", "start": "2026-01-05", "end": "2026-01-05"}
    assert client.execute(TIMELOGS, variable_values=week)["project"]["timelogs"]["count"] == 1
    tess_only = {"path": "acme/app", "user": "tess"}
    assert client.execute(TIMELOGS, variable_values=tess_only)["project"]["timelogs"]["count"] == 1
