"""Fixtures for the shipping tests (the helpers they use live in tests/ship/harness.py)."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator

import httpx
import pytest

from bot.service.threaded import run_in_thread
from tests.ship.harness import (
    CI_LOCAL,
    REPO,
    VENV_BIN,
    GitlabCiLocal,
    MergeRequestNotes,
    SandboxProcess,
    free_port,
    merge_request_notes_app,
)


@pytest.fixture(scope="session")
def gitlab_ci_local(tmp_path_factory: pytest.TempPathFactory) -> GitlabCiLocal:
    if shutil.which("npm") is None:
        pytest.skip("npm is not installed, so gitlab-ci-local cannot be installed or run")
    installed = subprocess.run(
        [str(CI_LOCAL), "--version"], capture_output=True, text=True, timeout=600
    )
    assert installed.returncode == 0, installed.stderr
    binary = REPO / ".ci" / "node" / "node_modules" / ".bin" / "gitlab-ci-local"
    return GitlabCiLocal(binary, tmp_path_factory.mktemp("gcl-home"))


@pytest.fixture(scope="module")
def sandbox_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxProcess]:
    """`psdm-bot sandbox` as its own process on a free port; its log goes to a file."""
    port, token = free_port(), "ship-root-token"
    log = tmp_path_factory.mktemp("sandbox") / "sandbox.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [str(VENV_BIN / "psdm-bot"), "sandbox", "--port", str(port), "--token", token],
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{url}/api/v4/version", headers={"PRIVATE-TOKEN": token}, timeout=1)
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"psdm-bot sandbox did not start: {log.read_text()}"
                    ) from None
                time.sleep(0.1)
        yield SandboxProcess(url, token)
    finally:
        process.terminate()
        process.wait(10)


@pytest.fixture
def merge_request_notes(sandbox_process: SandboxProcess) -> Iterator[MergeRequestNotes]:
    """Merge-request notes that accept the token the jobs hold (the sandbox administrator's)."""
    store = MergeRequestNotes(token=sandbox_process.token)
    server = run_in_thread(merge_request_notes_app(store))
    store.api_url = f"{server.url}/api/v4"
    yield store
    server.stop()
