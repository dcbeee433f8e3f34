"""Headless Chromium driven over the Chrome DevTools protocol: navigate, read the DOM, screenshot.

Just enough of the protocol for the dashboard's tests: one page target, commands answered by
id, events kept until asked for. axe-core (from npm) runs inside the page for accessibility.
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import shutil
import subprocess
import time
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from websockets.sync.client import ClientConnection, connect

if TYPE_CHECKING:
    from tests.dashboard.conftest import Dashboard

AXE = "4"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--remote-debugging-port=0",
]


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        pytest.skip("no chromium: apt-get install -y chromium (.ci/services installs it)")
    return found


def axe_source() -> str:
    """axe-core's browser build: $PSDM_AXE_JS, a local node_modules, or npm into a cache."""
    named = os.environ.get("PSDM_AXE_JS")
    candidates = [Path(named)] if named else []
    cache = Path.home() / ".cache" / "psdm-bot" / "axe"
    candidates += [
        Path("node_modules/axe-core/axe.min.js"),
        cache / "node_modules" / "axe-core" / "axe.min.js",
    ]
    for path in candidates:
        if path.is_file():
            return path.read_text()
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip("no npm to install axe-core with (.ci/services installs npm)")
    cache.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [
            npm,
            "install",
            "--prefix",
            str(cache),
            "--no-audit",
            "--no-fund",
            f"axe-core@{AXE}",
        ],
        capture_output=True,
        timeout=300,
    )
    target = candidates[-1]
    if done.returncode != 0 or not target.is_file():
        pytest.fail(
            f"npm could not install axe-core: {done.stderr.decode(errors='replace')[-800:]}"
        )
    return target.read_text()


class Page:
    """One browser tab."""

    def __init__(self, socket: ClientConnection) -> None:
        self._socket = socket
        self._ids = itertools.count(1)
        self._events: list[dict[str, Any]] = []

    def send(self, method: str, timeout: float = 60, **params: Any) -> dict[str, Any]:
        ident = next(self._ids)
        self._socket.send(json.dumps({"id": ident, "method": method, "params": params}))
        deadline = time.monotonic() + timeout
        while True:
            message = json.loads(self._socket.recv(timeout=max(deadline - time.monotonic(), 0.1)))
            if message.get("id") == ident:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            if "method" in message:
                self._events.append(message)

    def wait_for(self, event: str, timeout: float = 60) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            for i, message in enumerate(self._events):
                if message["method"] == event:
                    del self._events[: i + 1]
                    return message.get("params", {})
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no {event} within {timeout}s")
            message = json.loads(self._socket.recv(timeout=left))
            if "method" in message:
                self._events.append(message)

    def goto(self, url: str) -> str:
        """Load `url` (following redirects); the address the page ended on."""
        self._events.clear()
        self.send("Page.navigate", url=url)
        self.wait_for("Page.loadEventFired")
        return str(self.js("location.href"))

    def submit(self, script: str) -> str:
        """Run `script` (which submits a form or clicks) and wait for the next page."""
        self._events.clear()
        self.js(script)
        self.wait_for("Page.loadEventFired")
        return str(self.js("location.href"))

    def js(self, expression: str, *, wait: bool = False) -> Any:
        result = self.send(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=wait
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"script failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def screenshot(self, path: Path, width: int = 1280) -> bytes:
        """The whole page at `width` pixels, as PNG, written to `path`."""
        height = int(self.js("document.documentElement.scrollHeight"))
        self.send(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=max(height, 600),
            deviceScaleFactor=1,
            mobile=False,
        )
        data = base64.b64decode(self.send("Page.captureScreenshot", format="png")["data"])
        path.write_bytes(data)
        return data

    def accessibility_violations(self, axe: str) -> list[dict[str, Any]]:
        """axe-core's violations on this page (WCAG 2 A and AA rules, best practices)."""
        if not self.js("typeof axe !== 'undefined'"):
            self.js(axe)
        found = self.js(
            "axe.run(document).then(r => JSON.stringify(r.violations.map(v => ("
            "{id: v.id, impact: v.impact, help: v.help,"
            " nodes: v.nodes.map(n => n.target.join(' '))}))))",
            wait=True,
        )
        return list(json.loads(found))


class Browser:
    """A headless Chromium with its own profile, stopped by `close`."""

    def __init__(self, profile: Path) -> None:
        self._process = subprocess.Popen(
            [chromium(), *FLAGS, f"--user-data-dir={profile}", "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        marker = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 60
        while not (marker.is_file() and marker.read_text().strip()):
            if self._process.poll() is not None or time.monotonic() > deadline:
                self.close()
                raise RuntimeError("chromium did not open its DevTools port")
            time.sleep(0.05)
        port = int(marker.read_text().split()[0])
        target = httpx.put(f"http://127.0.0.1:{port}/json/new?about:blank", timeout=30).json()
        self._exit = ExitStack()
        self._socket = self._exit.enter_context(
            connect(target["webSocketDebuggerUrl"], max_size=None, open_timeout=30)
        )
        self.page = Page(self._socket)
        self.page.send("Page.enable")

    def close(self) -> None:
        if hasattr(self, "_exit"):
            self._exit.close()
        self._process.terminate()
        try:
            self._process.wait(10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(10)


def sign_in_in_browser(browser: Browser, dashboard: Dashboard, username: str) -> str:
    """From the dashboard to GitLab's authorization form and back; where the browser ends."""
    page = browser.page
    landed = page.goto(dashboard.url + "/")
    assert landed.startswith(dashboard.sandbox.url + "/oauth/authorize?"), landed
    text = page.js("document.body.innerText")
    assert "Authorize psdm-bot dashboard" in text
    assert "Acme" not in text and "Globex" not in text, "nothing shows before sign-in"
    return page.submit(
        f"document.querySelector('input[name=login]').value = '{username}';"
        f"document.querySelector('input[name=password]').value = '{username}-token';"
        "document.querySelector('button[value=authorize]').click();"
    )
