"""The portfolio and engagement pages, read from the snapshot the service keeps current."""

from __future__ import annotations

import re

import httpx
import pytest

from bot.service.portfolio import Keeper
from bot.service.store import Delivery
from tests.dashboard.conftest import Dashboard, ps_team, raise_risks, scaffold, sign_in


def row_of(page: str, path: str) -> str:
    found = re.search(
        rf'<tr class="engagement" data-project="{re.escape(path)}"(.*?)</tr>', page, re.S
    )
    assert found, f"{path} is not on the portfolio"
    return found[1]


@pytest.fixture
def root(dashboard: Dashboard, two_customers) -> httpx.Client:
    dashboard.sandbox.seed(
        {"users": [{"username": "ada", "admin": True}], "groups": [ps_team("ada")]}
    )
    return sign_in(dashboard, "ada")


def test_each_engagement_shows_customer_playbook_phase_time_box_and_health(
    dashboard: Dashboard, root: httpx.Client
) -> None:
    page = root.get("/").text
    acme, globex = row_of(page, "acme/portal"), row_of(page, "globex/platform")
    assert 'data-health="green"' in acme
    assert ">Acme Corp</a>" in acme
    assert '<td data-label="Playbook">tool-adoption</td>' in acme
    assert '<td data-label="Phase">Discovery</td>' in acme
    assert "no open high-priority RAID item" in acme
    assert 'data-health="red"' in globex
    assert "3 open high-priority RAID items" in globex
    assert re.search(r'class="health red" title="red: 3 open high-priority RAID items\n', globex)
    assert page.index("globex/platform") < page.index("acme/portal"), "red sorts first"


FILTERS = [
    ("health=red", "globex/platform", "acme/portal"),
    ("health=green", "acme/portal", "globex/platform"),
    ("playbook=tool-adoption&phase=Discovery", "acme/portal", None),
    ("playbook=nothing-like-it", None, "acme/portal"),
]


def test_filters_and_sorting_are_query_parameters(root: httpx.Client) -> None:
    for query, shown, hidden in FILTERS:
        page = root.get(f"/?{query}").text
        if shown:
            assert f'data-project="{shown}"' in page, query
        if hidden:
            assert f'data-project="{hidden}"' not in page, query
    up = root.get("/?sort=customer").text
    down = root.get("/?sort=customer&order=desc").text
    assert up.index("acme/portal") < up.index("globex/platform")
    assert down.index("globex/platform") < down.index("acme/portal")
    assert 'aria-sort="descending"' in down


def test_the_engagement_page_draws_timeline_burn_up_raid_and_links(
    dashboard: Dashboard, root: httpx.Client, two_customers
) -> None:
    page = root.get(f"/engagements/{two_customers['globex']}").text
    timeline = page.split('id="timeline"', 1)[1].split("</section>", 1)[0]
    assert "<svg" in timeline and "Today, " in timeline
    assert re.search(r"<title>Gate of Discovery \([^)]+\): open, due ", timeline)
    assert f'href="{dashboard.sandbox.url}/globex/platform/-/milestones/' in timeline
    raid = page.split('id="raid"', 1)[1].split("</section>", 1)[0]
    assert "RAID (3 open)" in raid
    assert raid.count(f'href="{dashboard.sandbox.url}/globex/platform/-/issues/') == 3
    assert "High 3" in raid
    assert "<svg" in page.split('id="burnup"', 1)[1]
    assert "3 open high-priority RAID items" in page.split('id="health-reasons"', 1)[1]
    outcomes = page.split('id="outcomes"', 1)[1].split("</section>", 1)[0]
    assert "<td>Repositories migrated</td><td>0 of 120 (0%)</td>" in outcomes


def test_pages_read_the_snapshot_not_gitlab(dashboard: Dashboard, root: httpx.Client) -> None:
    assert root.get("/").status_code == 200  # the viewer's access is now known for a minute
    dashboard.sandbox.set_faults({"route": "*", "error_rate": 1, "status": 500})
    try:
        page = root.get("/")
    finally:
        dashboard.sandbox.clear_faults()
    assert page.status_code == 200
    assert 'data-project="acme/portal"' in page.text


def test_an_engagement_gitlab_cannot_read_is_red_with_the_reason(
    dashboard: Dashboard, root: httpx.Client, two_customers
) -> None:
    dashboard.sandbox.gitlab().projects.delete("acme/portal")
    dashboard.portfolio.refresh(two_customers["acme"])
    row = dashboard.portfolio.rows()
    acme = next(r for r in row if r.path == "acme/portal")
    assert acme.health == "red"
    assert acme.problem and "not found" in acme.problem


def test_a_workflow_is_recorded_and_its_engagement_read_again(
    dashboard: Dashboard, root: httpx.Client, two_customers
) -> None:
    keeper = Keeper(dashboard.portfolio, interval_seconds=3600)
    acme = two_customers["acme"]
    raise_risks(dashboard.sandbox, "acme/portal", 1)

    def handle(delivery: Delivery) -> str:
        return "labels restored"

    payload = '{"object_kind": "issue", "object_attributes": {"action": "open"}}'
    delivery = Delivery("d-1", None, "Issue Hook", f"project:{acme}", None, payload)
    assert keeper.recording(handle)(delivery) == "labels restored"
    keeper.run_once()
    row = next(r for r in dashboard.portfolio.rows() if r.project_id == acme)
    assert row.health == "amber"
    page = root.get(f"/engagements/{acme}").text
    activity = page.split('id="activity"', 1)[1]
    assert "Issue Hook open" in activity
    assert "SUCCESS" in activity and "labels restored" in activity


def test_the_failures_panel_counts_every_failed_workflow(
    dashboard: Dashboard, root: httpx.Client, two_customers
) -> None:
    keeper = Keeper(dashboard.portfolio, interval_seconds=3600)
    globex = two_customers["globex"]

    def handle(delivery: Delivery) -> str:
        raise RuntimeError("GitLab answered 500")

    for n in range(60):
        delivery = Delivery(f"f-{n}", None, "Issue Hook", f"project:{globex}", None, "{}")
        with pytest.raises(RuntimeError):
            keeper.recording(handle)(delivery)
    ok = Delivery("ok-1", None, "Issue Hook", f"project:{globex}", None, "{}")
    keeper.recording(lambda d: "done")(ok)
    page = root.get("/").text
    failures = page.split('id="failures"', 1)[1].split("</section>", 1)[0]
    assert "Failures (60)" in failures
    assert "RuntimeError: GitLab answered 500" in failures
    engagement = root.get(f"/engagements/{globex}").text
    assert "failures: 60" in engagement
    rows = re.findall(r"<tr class=\"(failed|)\">", engagement.split('id="activity"', 1)[1])
    assert rows[0] == "failed" and rows[-1] == "", "failures come first"


def test_names_from_gitlab_are_escaped(dashboard: Dashboard) -> None:
    dashboard.sandbox.seed(
        {"users": [{"username": "ada", "admin": True}], "groups": [ps_team("ada")]}
    )
    store = dashboard.service.store
    scaffold(dashboard.sandbox, store, "acme/tools", {"customer": "<script>x()</script>"})
    dashboard.portfolio.refresh_all()
    page = sign_in(dashboard, "ada").get("/").text
    assert "<script>" not in page
    assert "&lt;script&gt;x()&lt;/script&gt;" in page


def test_a_workflow_that_never_recorded_its_end_takes_the_durable_outcome(
    dashboard: Dashboard,
) -> None:
    portfolio = dashboard.portfolio
    portfolio.started("cut-off", 7, "Milestone Hook", "close")
    portfolio.started("still-running", 7, "Issue Hook", "open")
    outcomes = {"cut-off": "MAX_RECOVERY_ATTEMPTS_EXCEEDED", "still-running": "PENDING"}
    assert portfolio.settle(outcomes.get, older_than=0) == 1
    assert portfolio.failed_count(7) == 1
    [failure] = portfolio.activity([7], failed=True)
    assert (failure.key, failure.status) == ("cut-off", "MAX_RECOVERY_ATTEMPTS_EXCEEDED")


def test_cycle_and_lead_time_per_workstream_come_from_resource_events(
    dashboard: Dashboard,
) -> None:
    sandbox = dashboard.sandbox
    sandbox.seed({"users": [{"username": "ada", "admin": True}], "groups": [ps_team("ada")]})
    scaffold(sandbox, dashboard.service.store, "acme/portal")
    project = sandbox.gitlab().projects.get("acme/portal")
    install = next(
        i
        for i in project.issues.list(get_all=True, per_page=100)
        if "key=issue:platform/install " in (i.description or "")
    )
    install.labels = [*install.labels, "PSD Workflow::In Progress"]
    install.save()
    install.state_event = "close"
    install.save()
    dashboard.portfolio.refresh(project.id)
    page = sign_in(dashboard, "ada").get(f"/engagements/{project.id}").text
    streams = page.split('id="workstreams"', 1)[1].split("</section>", 1)[0]
    platform = re.search(
        r"<tr><td>Platform: install GitLab Self-Managed</td>(.*?)</tr>", streams, re.S
    )
    assert platform, streams
    assert platform[1].count("over 1") == 2, "one closed item with a cycle and a lead time"

    def event_reads() -> int:
        routes = sandbox.stats()["routes"]
        return sum(n for route, n in routes.items() if "resource_" in route)

    before = event_reads()
    dashboard.portfolio.refresh(project.id)
    assert event_reads() == before, "an unchanged closed issue's history is not read again"


def test_a_failed_label_sweep_counts_as_a_failed_workflow(dashboard: Dashboard) -> None:
    keeper = Keeper(dashboard.portfolio, interval_seconds=900)

    def sweep(project_id: int) -> str:
        raise RuntimeError(f"labels of {project_id} not readable")

    with pytest.raises(RuntimeError):
        keeper.recording_sweep(sweep)(12)
    assert keeper.recording_sweep(lambda pid: "labels intact")(13) == "labels intact"
    [failure] = dashboard.portfolio.activity([12, 13], failed=True)
    assert failure.kind == "Label Sweep" and failure.key.startswith("sweep:12:")
    assert "labels of 12 not readable" in failure.detail
    assert dashboard.portfolio.failed_count(13) == 0
