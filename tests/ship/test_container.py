"""The Dockerfile and the .dockerignore allow-list. No Docker daemon exists here, so instead of
a build: hadolint, the instructions read one by one, and the image's CMD and HEALTHCHECK run
on this machine against a real `psdm-bot serve`."""

from __future__ import annotations

import json
import shlex
import subprocess
import time
from fnmatch import fnmatch
from pathlib import Path

from tests.ship.harness import (
    DOCKERFILE,
    REPO,
    VENV_BIN,
    free_port,
    instructions,
)


def hadolint(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(VENV_BIN / "hadolint"), "--format", "json", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_hadolint_finds_nothing_in_the_dockerfile() -> None:
    done = hadolint(DOCKERFILE)
    assert done.returncode == 0, done.stdout
    assert json.loads(done.stdout) == []


def test_hadolint_gate_rejects_an_image_that_ends_as_root(tmp_path: Path) -> None:
    as_root = tmp_path / "Dockerfile"
    as_root.write_text(DOCKERFILE.read_text().replace("USER 10001:10001", "USER root"))
    done = hadolint(as_root)
    assert done.returncode != 0
    assert "DL3002" in {finding["code"] for finding in json.loads(done.stdout)}


def test_image_is_built_in_two_slim_stages_and_runs_as_a_numeric_non_root_user() -> None:
    steps = instructions(DOCKERFILE.read_text())
    stages = [args for word, args in steps if word == "FROM"]
    assert stages == ["python:3.11-slim AS build", "python:3.11-slim"]
    assert ("COPY", "--from=build /opt/psdm-bot /opt/psdm-bot") in steps
    (user,) = [args for word, args in steps if word == "USER"]
    uid = user.split(":")[0]
    assert uid.isdigit() and int(uid) >= 1000


def test_image_serves_on_all_interfaces_and_checks_healthz_without_curl() -> None:
    steps = dict(instructions(DOCKERFILE.read_text()))
    command = json.loads(steps["CMD"])
    assert command[:2] == ["psdm-bot", "serve"]
    assert command[command.index("--host") + 1] == "0.0.0.0"
    port = command[command.index("--port") + 1]
    assert steps["EXPOSE"] == port
    assert "ENTRYPOINT" not in steps  # GitLab CI runs job scripts in this image through a shell
    healthcheck = steps["HEALTHCHECK"]
    probe = json.loads(healthcheck[healthcheck.index("CMD") + 3 :])
    assert probe[:2] == ["python", "-c"]
    assert f"http://127.0.0.1:{port}/healthz" in probe[2]
    assert "curl" not in DOCKERFILE.read_text()


def test_sqlite_file_lives_on_the_data_volume_owned_by_the_service_user() -> None:
    steps = instructions(DOCKERFILE.read_text())
    env = " ".join(args for word, args in steps if word == "ENV")
    assert "PSDM_DATABASE_URL=sqlite:////data/" in env
    assert ("VOLUME", '["/data"]') in steps
    assert any(word == "RUN" and "chown psdm:psdm /data" in args for word, args in steps)


def dockerignore_allows(path: str) -> bool:
    """Docker's rule: the last matching pattern decides; `!` re-includes."""
    allowed = True
    for raw in (REPO / ".dockerignore").read_text().splitlines():
        pattern = raw.strip()
        if not pattern or pattern.startswith("#"):
            continue
        negated = pattern.startswith("!")
        pattern = pattern.lstrip("!").rstrip("/").removeprefix("**/")
        parts = path.split("/")
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        if any(fnmatch(prefix, pattern) for prefix in prefixes) or fnmatch(parts[-1], pattern):
            allowed = negated
    return allowed


def test_build_context_holds_what_the_dockerfile_copies_and_nothing_local() -> None:
    steps = instructions(DOCKERFILE.read_text())
    sources = [
        source
        for word, args in steps
        if word == "COPY" and not args.startswith("--from")
        for source in shlex.split(args)[:-1]
    ]
    assert sources
    for source in sources:
        assert dockerignore_allows(source), source
    assert dockerignore_allows("bot/cli/__init__.py")
    for local in (
        ".venv/bin/python",
        ".git/HEAD",
        "tests/ship/harness.py",
        ".ci/node/x",
        "x.sqlite",
    ):
        assert not dockerignore_allows(local), local
    assert not dockerignore_allows("bot/__pycache__/cli.cpython-311.pyc")


def test_the_service_image_holds_no_sandbox_code() -> None:
    """The GitLab stand-in is for trying and testing; it never ships in the service image."""
    assert not dockerignore_allows("gitlab_sandbox/app.py")
    copied = " ".join(args for word, args in instructions(DOCKERFILE.read_text()) if word == "COPY")
    assert "gitlab_sandbox" not in copied


def healthcheck_probe(port: int) -> list[str]:
    """The image's HEALTHCHECK command, pointed at `port`."""
    healthcheck = dict(instructions(DOCKERFILE.read_text()))["HEALTHCHECK"]
    probe = json.loads(healthcheck[healthcheck.index("CMD") + 3 :])
    return [str(VENV_BIN / probe[0]), probe[1], probe[2].replace(":8080/", f":{port}/")]


def test_image_command_starts_the_service_and_its_healthcheck_passes(tmp_path: Path) -> None:
    """The CMD and HEALTHCHECK run here as the image would run them, on a free loopback port."""
    command = json.loads(dict(instructions(DOCKERFILE.read_text()))["CMD"])
    port = free_port()
    command[command.index("--host") + 1] = "127.0.0.1"
    command[command.index("--port") + 1] = str(port)
    env = {
        "PATH": f"{VENV_BIN}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "PSDM_DATABASE_URL": f"sqlite:///{tmp_path}/data/psdm.sqlite",
        "PSDM_WEBHOOK_SECRET": "container-secret",
        "GITLAB_URL": "http://127.0.0.1:9",
        "GITLAB_TOKEN": "glpat-container",
    }
    probe = healthcheck_probe(port)
    assert subprocess.run(probe, capture_output=True, timeout=30).returncode != 0
    with (tmp_path / "serve.log").open("w") as log:
        service = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 60
        while subprocess.run(probe, capture_output=True, timeout=30).returncode != 0:
            assert service.poll() is None, (tmp_path / "serve.log").read_text()
            assert time.monotonic() < deadline, (tmp_path / "serve.log").read_text()
            time.sleep(0.5)
    finally:
        service.terminate()
        service.wait(30)
    assert (tmp_path / "data" / "psdm.sqlite").is_file()
    # One log format: every line, uvicorn's and DBOS's included, is one JSON object, and the
    # expected failure (GitLab unreachable) is a warning without a traceback.
    lines = [line for line in (tmp_path / "serve.log").read_text().splitlines() if line]
    records = [json.loads(line) for line in lines]
    assert all({"event", "level", "timestamp"} <= set(record) for record in records), lines
    loggers = {record.get("logger", "") for record in records}
    assert any(name.startswith("uvicorn") for name in loggers), loggers
    assert not any("Traceback" in line for line in lines)
