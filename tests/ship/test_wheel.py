"""The wheel, installed in a fresh environment outside the repository, runs `--version`,
`plan`, `doctor`, `serve` and (with the stand-in's extra) `demo`.

Built once per run (one xdist group). The fresh environment gets the wheel and nothing of the
checkout; its third-party dependencies come from this test run's environment through a `.pth`
line (installing them from an index would take minutes and a network). A `.pth` line adds a
directory without running the `.pth` files in it, so the checkout's editable install stays out.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import shutil
import site
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.ship.harness import REPO, free_port

pytestmark = pytest.mark.xdist_group("wheel")
_NOT_SHIPPED = (".git", ".venv", ".ci", "build", "dist", "*.egg-info", "__pycache__", ".*_cache")


@dataclass
class Installed:
    bin: Path
    home: Path
    version: str

    def run(self, *args: str, timeout: float = 120, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.bin / "psdm-bot"), *args],
            cwd=self.home,
            env=self.env(**env),
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def env(self, **extra: str) -> dict[str, str]:
        return {"PATH": f"{self.bin}:/usr/bin:/bin", "HOME": str(self.home), **extra}


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    root = tmp_path_factory.mktemp("wheel")
    dist = root / "dist"
    # Built from a copy of the checkout: pip builds in the source tree (build/, *.egg-info),
    # which other tests of the same run read; the version is the checkout's, as git gives it.
    source = root / "source"
    shutil.copytree(REPO, source, ignore=shutil.ignore_patterns(*_NOT_SHIPPED))
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(dist), str(source)],
        capture_output=True,
        text=True,
        timeout=300,
        env={
            **os.environ,
            "SETUPTOOLS_SCM_PRETEND_VERSION": importlib.metadata.version("psdm-bot"),
        },
    )
    assert build.returncode == 0, f"pip wheel failed:\n{build.stdout}\n{build.stderr}"
    (wheel,) = dist.glob("psdm_bot-*.whl")
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--no-deps", "--no-index"]
    subprocess.run([*pip, str(wheel)], check=True, capture_output=True, timeout=120)
    (site_packages,) = (venv / "lib").glob("python3*/site-packages")
    (site_packages / "dependencies.pth").write_text(
        "\n".join(path for path in site.getsitepackages() if "site-packages" in path) + "\n"
    )
    home = root / "elsewhere"
    home.mkdir()
    yield Installed(venv / "bin", home, wheel.name.split("-")[1])


def test_the_installed_command_is_the_wheel_not_the_checkout(installed: Installed) -> None:
    done = installed.run("--version")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"psdm-bot {installed.version}"
    where = subprocess.run(
        [str(installed.bin / "python"), "-c", "import bot; print(bot.__file__)"],
        cwd=installed.home,
        env=installed.env(),
        capture_output=True,
        text=True,
        check=True,
    )
    assert not where.stdout.startswith(str(REPO)), where.stdout
    assert "-h" in installed.run("-h").stdout


def test_plan_uses_the_playbooks_installed_with_the_wheel(installed: Installed) -> None:
    done = installed.run(
        "plan", "tool-adoption", "--var", "customer=Acme", "--var", "start_date=2026-01-05"
    )
    assert done.returncode == 0, done.stderr
    assert "to create" in done.stdout


def test_doctor_checks_a_gitlab(installed: Installed, sandbox) -> None:
    done = installed.run(
        "doctor",
        "--format",
        "json",
        "--skip",
        "dashboard",
        GITLAB_URL=sandbox.url,
        GITLAB_TOKEN=sandbox.token,
        PSDM_WEBHOOK_SECRET="s",
        PSDM_DATABASE_URL=f"sqlite:///{installed.home}/psdm.sqlite",
    )
    checks = {c["check"]: c for c in json.loads(done.stdout)["checks"]}
    assert checks["api"]["ok"] and checks["token"]["ok"] and checks["instance"]["ok"], checks


def test_serve_starts_and_tells_its_version(installed: Installed) -> None:
    port = free_port()
    env = installed.env(
        GITLAB_URL="http://127.0.0.1:9",
        GITLAB_TOKEN="glpat-x",
        PSDM_WEBHOOK_SECRET="s",
        PSDM_DATABASE_URL=f"sqlite:///{installed.home}/serve.sqlite",
    )
    log = (installed.home / "serve.log").open("w")
    service = subprocess.Popen(
        [str(installed.bin / "psdm-bot"), "serve", "--port", str(port)],
        cwd=installed.home,
        env=env,
        stdout=log,
        stderr=log,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert service.poll() is None, (installed.home / "serve.log").read_text()
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline
                time.sleep(0.3)
        assert health.json() == {"status": "ok", "version": installed.version}
    finally:
        service.terminate()
        service.wait(30)


@pytest.mark.skipif(os.environ.get("PSDM_SKIP_DEMO") == "1", reason="PSDM_SKIP_DEMO=1")
def test_demo_runs_with_the_stand_in_installed(installed: Installed) -> None:
    done = installed.run("demo", "--exit", timeout=240)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
