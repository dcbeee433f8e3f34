"""GET / lists the managed engagements with phase, progress, next time-box, events, failures."""

from __future__ import annotations

import re

import httpx

from tests.dashboard.conftest import Dashboard, scaffold


def page(dashboard: Dashboard) -> str:
    response = httpx.get(dashboard.url + "/", timeout=60)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    return response.text


def engagement_block(html: str, path: str) -> str:
    found = re.search(
        rf'<div class="engagement" data-project="{re.escape(path)}">(.*?)\n  </div>', html, re.S
    )
    assert found, f"{path} is not on the dashboard"
    return found[1]


def test_an_empty_service_says_how_to_start(dashboard: Dashboard) -> None:
    html = page(dashboard)
    assert "Engagements (0)" in html
    assert "No engagement yet" in html
    assert "No event received yet." in html


def test_a_scaffolded_engagement_shows_phase_progress_and_next_time_box(
    dashboard: Dashboard,
) -> None:
    blueprint = scaffold(dashboard.sandbox, dashboard.service.store, "acme/portal")
    project = dashboard.sandbox.gitlab().projects.get("acme/portal")
    keys = {f"key={i.key} " for i in blueprint.issues if i.epic == "epic:discovery"}
    discovery = [
        i
        for i in project.issues.list(get_all=True, per_page=100)
        if any(key in (i.description or "") for key in keys)
    ]
    for issue in discovery[:2]:
        issue.state_event = "close"
        issue.save()
    html = page(dashboard)
    block = engagement_block(html, "acme/portal")
    assert '<span class="phase">Discovery</span>' in block
    assert "playbook tool-adoption" in block
    assert "next: Team Readiness from" in block
    widths = re.findall(r'<span style="width: (\d+)%">', block)
    assert len(widths) == 6  # five PSDM phases and Close
    assert widths[0] == str(round(100 * 2 / len(keys)))
    assert widths[1:] == ["0", "0", "0", "0", "0"]


def test_an_engagement_gitlab_cannot_read_shows_why(dashboard: Dashboard) -> None:
    scaffold(dashboard.sandbox, dashboard.service.store, "acme/gone")
    dashboard.sandbox.gitlab().projects.delete("acme/gone")
    block = engagement_block(page(dashboard), "acme/gone")
    assert '<p class="problem">project acme/gone not found' in block


def test_recent_events_show_their_workflow_outcome_and_failures_stand_out(
    dashboard: Dashboard,
) -> None:
    created = {"event_name": "project_create", "path_with_namespace": "acme/portal"}
    closed = {
        "object_kind": "milestone",
        "project": {"path_with_namespace": "acme/portal"},
        "object_attributes": {"action": "close", "id": 1},
    }
    dashboard.deliver("d-1", "System Hook", created, "SUCCESS")
    dashboard.deliver("d-2", "Milestone Hook", closed, "ERROR")
    html = page(dashboard)
    events = html.split('<section id="events">', 1)[1]
    assert "System Hook project_create" in events
    assert re.search(r'<tr class="failed"><td>[^<]+</td><td>Milestone Hook close</td>', events)
    failures = html.split('<section id="failures">', 1)[1].split("</section>", 1)[0]
    assert "Milestone Hook close" in failures
    assert "project_create" not in failures


def test_event_fields_are_escaped(dashboard: Dashboard) -> None:
    payload = {"event_name": "project_create", "path_with_namespace": "<script>x()</script>"}
    dashboard.deliver("d-3", "System Hook", payload, None)
    html = page(dashboard)
    assert "<script>" not in html
    assert "&lt;script&gt;x()&lt;/script&gt;" in html
