"""`psdm-bot demo` as a newcomer runs it: a subprocess whose output tells the whole story, each
step's claim checked against what the bot did in GitLab (the demo reads it back itself)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.dashboard.conftest import sign_in

PSDM_BOT = Path(sys.executable).with_name("psdm-bot")
SPRINT_LINE = r"(\d+) of (\d+) work items done, (\d+) slipped; velocity (\d+ \w+)"


def environment() -> dict[str, str]:
    """The demo runs on embedded defaults: nothing from a surrounding configuration leaks in."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("GITLAB_", "PSDM_"))}


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> str:
    """One `psdm-bot demo --exit` run, its standard output (the tests below read its steps)."""
    workdir = tmp_path_factory.mktemp("demo")
    done = subprocess.run(
        [str(PSDM_BOT), "demo", "--exit"],
        capture_output=True,
        text=True,
        timeout=300,
        env=environment(),
        cwd=workdir,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Error" not in done.stderr, done.stderr
    assert not list(workdir.iterdir()), "the demo leaves nothing in the working directory"
    assert done.stdout.rstrip().endswith("Stopped the bot and the sandbox."), done.stdout
    return done.stdout


def test_the_creation_webhook_scaffolds_the_engagement(demo) -> None:
    assert re.search(
        r"\[1/6\] created demo/pilot with topic psdm::tool-adoption; the bot scaffolded", demo
    )
    assert re.search(
        r"structure of demo/pilot: \d+ labels, 13 milestones, 13 epics, 78 issues, 2 boards", demo
    )


def test_the_pilot_walks_its_gates_and_is_refused_past_an_open_one(demo) -> None:
    moves = re.findall(r"closed gate #(\d+) '[^']+': phase ([\w ]+) -> ([\w ]+) \(label", demo)
    assert [(a, b) for _, a, b in moves] == [
        ("Discovery", "Team Readiness"),
        ("Team Readiness", "Sprint 0"),
        ("Sprint 0", "Sprinting"),
        ("Sprinting", "Scaling"),
    ]
    # refused while the Team Readiness gate was open; the reply names that very issue
    asked = re.search(r"`/psdm phase next` on #(\d+) while its gate is open", demo)
    assert asked and asked[1] == moves[1][0]
    assert "| :x: `/psdm phase next`" in demo
    assert "cannot move from Team Readiness to Sprint 0: its gate is still open." in demo
    assert re.search(rf"\| - Team Readiness: \[#{asked[1]} Gate: Team Readiness", demo)
    # the refusal came before the gate closed, and the engagement ends in Scaling
    assert demo.index("| :x: `/psdm phase next`") < demo.index("phase Team Readiness -> Sprint 0")
    assert "current phase Scaling" in demo
    assert "Current phase: **Scaling**" in demo


def test_closing_the_sprint_moves_its_open_work_to_the_next_sprint(demo) -> None:
    closed = re.search(
        r"\[3/6\] closed (\d+) of (\d+) work items of Sprint 1, then its milestone; "
        r"the bot completed retrospective #\d+",
        demo,
    )
    assert closed, demo
    left = int(closed[2]) - int(closed[1])
    assert left > 0, "the demo leaves work open in the sprint"
    moved = re.search(
        r"moved (\d+) open work items to Sprint 2 \(([#\d, ]+)\); checked in GitLab: "
        r"(\d+) of (\d+) now in Sprint 2, (\d+) ceremonies and governance issues stayed",
        demo,
    )
    assert moved, demo
    assert int(moved[1]) == int(moved[3]) == int(moved[4]) == left
    assert len(moved[2].split(", ")) == left
    assert int(moved[5]) > 0


def test_every_view_repeats_the_sprints_figures(demo) -> None:
    read = re.search(rf"Sprint 1's figures, read from GitLab: ({SPRINT_LINE})", demo)
    assert read, demo
    line = read[1]
    for view in ("/psdm status:", "weekly report:", "dashboard:", "retrospective:"):
        assert re.search(rf"^      {re.escape(view)} +{re.escape(line)}$", demo, re.M), view
    assert f"| - Sprint 1 (closed): {line}" in demo
    assert (
        "same figures in /psdm status, the weekly report, the dashboard and the retrospective:"
        " True" in demo
    )
    # the moved work stays Sprint 1's: committed to it and slipped from it
    moved = re.search(r"moved (\d+) open work items", demo)
    assert moved and int(read[4]) == int(moved[1]) > 0


def test_the_portfolio_shows_two_engagements_in_different_health(demo) -> None:
    rows = re.findall(
        r"^      (green|amber|red) +(\w+) +(.+?)  (http://127\.0\.0\.1:\d+/engagements/\d+)$",
        demo,
        re.M,
    )
    by_customer = {customer: (health, summary, url) for health, customer, summary, url in rows}
    assert set(by_customer) == {"Pilot", "Globex"}, demo
    assert by_customer["Pilot"][0] in ("green", "amber")
    assert by_customer["Globex"][0] == "red"
    assert "3 open high-priority RAID items" in by_customer["Globex"][1]
    assert by_customer["Pilot"][2] != by_customer["Globex"][2]
    dashboard = re.search(r"^Dashboard:  (http://127\.0\.0\.1:\d+)/$", demo, re.M)
    assert dashboard and all(url.startswith(dashboard[1]) for _, _, url in by_customer.values())
    assert "sign in with GitLab as root, password sandbox-root-token" in demo


@dataclass
class Served:
    """What `sign_in` needs of a dashboard: its URL and its GitLab's."""

    url: str
    sandbox: Served | None = None


def test_demo_stays_up_serving_the_dashboard_until_ctrl_c(tmp_path) -> None:
    process = subprocess.Popen(
        [str(PSDM_BOT), "demo"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=environment(),
        cwd=tmp_path,
    )
    try:
        lines: list[str] = []
        deadline = time.monotonic() + 300
        assert process.stdout is not None
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            lines.append(line)
            if line.startswith("Press Ctrl-C"):
                break
        text = "".join(lines)
        found = re.search(r"Dashboard:  (http://127\.0\.0\.1:\d+)/", text)
        gitlab = re.search(r"GitLab sandbox  (http://127\.0\.0\.1:\d+)", text)
        assert found and gitlab, text
        root = sign_in(Served(found[1], Served(gitlab[1])), "root", "sandbox-root-token")
        page = root.get("/")
        assert page.status_code == 200
        assert 'data-project="demo/pilot"' in page.text
        assert 'data-project="demo/globex"' in page.text
        process.send_signal(signal.SIGINT)
        rest, _ = process.communicate(timeout=60)
        assert process.returncode == 0, text + rest
        assert "Stopped the bot and the sandbox." in rest
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
