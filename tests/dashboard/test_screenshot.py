"""The dashboard renders in a real browser: headless Chromium takes a screenshot of it."""

from __future__ import annotations

import shutil
import struct
import subprocess

import pytest

from tests.dashboard.conftest import Dashboard, scaffold

PNG = b"\x89PNG\r\n\x1a\n"


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        pytest.skip("no chromium: apt-get install -y chromium")
    return found


def test_headless_chromium_screenshots_the_dashboard(dashboard: Dashboard, tmp_path) -> None:
    browser = chromium()
    scaffold(dashboard.sandbox, dashboard.service.store, "acme/portal")
    dashboard.deliver(
        "d-1",
        "System Hook",
        {"event_name": "project_create", "path_with_namespace": "acme/portal"},
        "SUCCESS",
    )
    shot = tmp_path / "dashboard.png"
    completed = subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}",
            f"--screenshot={shot}",
            "--window-size=1280,900",
            dashboard.url + "/",
        ],
        capture_output=True,
        timeout=180,
    )
    assert completed.returncode == 0, completed.stderr.decode(errors="replace")[-2000:]
    data = shot.read_bytes()
    assert data.startswith(PNG)
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (1280, 900)
    assert len(data) > 20_000
