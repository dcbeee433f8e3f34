"""`psdm-bot demo` as a newcomer runs it: a subprocess whose output tells the whole story."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

PSDM_BOT = Path(sys.executable).with_name("psdm-bot")


def environment() -> dict[str, str]:
    """The demo runs on embedded defaults: nothing from a surrounding configuration leaks in."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("GITLAB_", "PSDM_"))}


def test_demo_exit_walks_a_sprint_and_prints_the_structure(tmp_path) -> None:
    done = subprocess.run(
        [str(PSDM_BOT), "demo", "--exit"],
        capture_output=True,
        text=True,
        timeout=300,
        env=environment(),
        cwd=tmp_path,
    )
    out = done.stdout
    assert done.returncode == 0, out + done.stderr
    assert re.search(
        r"\[1/4\] created demo/pilot with topic psdm::tool-adoption; the bot scaffolded", out
    )
    assert re.search(
        r"\[2/4\] closed 3 of \d+ issues of Sprint 1 and the milestone; "
        r"the bot completed retrospective #\d+",
        out,
    )
    assert "[3/4] commented `/psdm status`" in out
    assert "| :white_check_mark: `/psdm status`" in out
    assert "Current phase: **Discovery**" in out
    assert re.search(
        r"\[4/4\] structure of demo/pilot: \d+ labels, 12 milestones, 12 epics, "
        r"103 issues, 2 boards",
        out,
    )
    assert "│  ├─ Sprint 1 [closed]" in out
    summary = re.search(r"Sprint 1: (3 of \d+ work items done, \d+ slipped; velocity .*)", out)
    assert summary, out
    # the reply to `/psdm status` shows the very same figures
    assert f"Sprint 1 (closed): {summary[1]}" in out
    assert re.search(r"Dashboard:  http://127\.0\.0\.1:\d+/", out)
    assert out.rstrip().endswith("Stopped the bot and the sandbox.")
    assert not list(tmp_path.iterdir()), "the demo leaves nothing in the working directory"


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
        found = re.search(r"Dashboard:  (http://127\.0\.0\.1:\d+/)", text)
        assert found, text
        page = httpx.get(found[1], timeout=60)
        assert page.status_code == 200
        assert 'data-project="demo/pilot"' in page.text
        assert "Milestone Hook close" in page.text
        process.send_signal(signal.SIGINT)
        rest, _ = process.communicate(timeout=60)
        assert process.returncode == 0, text + rest
        assert "Stopped the bot and the sandbox." in rest
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
