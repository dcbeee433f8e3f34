"""What `/psdm status` asks GitLab on an engagement of about 150 issues.

Starts the demo's pair (the sandbox and the service, in this process), scaffolds a
tool-adoption engagement from its creation webhook, adds stories until the project holds
`--issues` issues, closes the first sprint with stories carried over to the next, then
comments `/psdm status` twice and prints the requests the service made to GitLab for each
(the service's own `psdm_gitlab_requests_total`, the dashboard's refresher stopped so only
the command counts). Speeds are printed, never asserted.

The readiness check (`GET /version` every 15 s) may fall inside a measurement and add one.

Run: `python bench/status.py [--issues 150]`.
"""

from __future__ import annotations

import argparse
import time

from bot.demo import command, create_project, start
from bot.service.metrics import GITLAB_REQUESTS


def requests_so_far() -> float:
    return sum(
        sample.value
        for metric in GITLAB_REQUESTS.collect()
        for sample in metric.samples
        if sample.name.endswith("_total")
    )


def settle(quiet_seconds: float = 3.0, timeout: float = 600.0) -> None:
    """Wait until the service has made no GitLab request for `quiet_seconds` (the events the
    setup caused are all handled)."""
    deadline = time.monotonic() + timeout
    last, since = requests_so_far(), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = requests_so_far()
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet_seconds:
            return
    raise TimeoutError("the service kept asking GitLab")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, default=150)
    args = parser.parse_args()
    demo = start(lambda line: None)
    try:
        project, blueprint, took = create_project(demo, "Status", "status")
        print(f"scaffolded {len(blueprint.issues)} issues in {took:.1f} s")
        sprints = [m for m in project.milestones.list(get_all=True) if "Sprint" in m.title]
        sprints.sort(key=lambda m: m.start_date or "")
        have = len(project.issues.list(get_all=True, state="all"))
        for number in range(max(args.issues - have, 0)):
            story = {"title": f"Story {number}", "milestone_id": sprints[0].id}
            project.issues.create(story)
        first = project.milestones.get(sprints[0].id)
        first.state_event = "close"
        first.save()
        carried = project.issues.list(milestone=first.title, get_all=True, state="opened")[:10]
        for issue in carried:
            issue.milestone_id = sprints[1].id
            issue.save()
        total = len(project.issues.list(get_all=True, state="all"))
        keeper = demo.app.state.service.keeper
        keeper.stop()
        settle()
        anchor = project.issues.list(get_all=False, per_page=1)[0].iid
        for attempt in ("first", "second"):
            settle()
            before = requests_so_far()
            started = time.perf_counter()
            command(project, anchor, "/psdm status")
            seconds = time.perf_counter() - started
            settle()
            made = requests_so_far() - before
            print(
                f"/psdm status ({attempt}) on {total} issues, {len(carried)} carried over a"
                f" closed sprint: {made:.0f} requests by the service, reply after {seconds:.1f} s"
            )
    finally:
        demo.stop()


if __name__ == "__main__":
    main()
