"""What the shipping tests drive: gitlab-ci-local, a project that includes the CI component,
`psdm-bot sandbox` as a process, and a stand-in for GitLab's merge-request notes API."""

from __future__ import annotations

import io
import json
import socket
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gitlab
from fastapi import FastAPI, Header, HTTPException, Request
from fastapi.responses import JSONResponse
from ruamel.yaml import YAML

REPO = Path(__file__).resolve().parents[2]
CI_LOCAL = REPO / "scripts" / "ci-local.sh"
VENV_BIN = Path(sys.executable).parent
DOCKERFILE = REPO / "Dockerfile"


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    joined = text.replace("\\\n", " ")
    pairs = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            pairs.append((word.upper(), " ".join(rest.split())))
    return pairs


# Predefined variables the tests set on purpose (gitlab-ci-local warns about each otherwise).
OVERRIDDEN = (
    "CI_PIPELINE_SOURCE",
    "CI_PROJECT_ID",
    "CI_API_V4_URL",
    "CI_MERGE_REQUEST_IID",
    "CI_COMMIT_REF_PROTECTED",
)


@dataclass
class GitlabCiLocal:
    """gitlab-ci-local run in a directory, with its state and home kept out of the user's."""

    binary: Path
    home: Path

    def run(
        self,
        cwd: Path,
        *args: str,
        variables: dict[str, str] | None = None,
        timeout: float = 300,
    ) -> subprocess.CompletedProcess[str]:
        command = [str(self.binary), "--home", str(self.home), "--no-color"]
        for key, value in (variables or {}).items():
            command += ["--variable", f"{key}={value}"]
        env = {
            "PATH": f"{VENV_BIN}:/usr/local/bin:/usr/bin:/bin",
            "HOME": str(self.home),
            "GCL_IGNORE_PREDEFINED_VARS": ",".join(OVERRIDDEN),
        }
        return subprocess.run(
            [*command, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
        )

    def jobs(self, cwd: Path, variables: dict[str, str] | None = None) -> list[str]:
        """Names of the jobs a pipeline with these variables would run. The JSON-schema check
        (a second of CPU per call) is left to the `--preview` tests of the same files."""
        done = self.run(cwd, "--list-json", "--no-json-schema-validation", variables=variables)
        assert done.returncode == 0, done.stderr + done.stdout
        listed = json.loads(done.stdout[done.stdout.index("[") :])
        return sorted(job["name"] for job in listed if job["when"] != "never")


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True)
    return done.stdout.strip()


@dataclass
class ConsumerRepo:
    """A project that includes the component from its own templates/, as GitLab's docs advise
    for testing a component in its project: `$CI_SERVER_FQDN/$CI_PROJECT_PATH/psdm@$CI_COMMIT_SHA`.
    The default branch `main` is also `origin/main`, so merge-request rules can compare to it."""

    path: Path

    def change(self, relative: str, text: str, branch: str | None = None) -> None:
        """Commit `text` appended to the file (created if new), on `branch` when given."""
        if branch:
            git(self.path, "checkout", "-q", "-B", branch)
        target = self.path / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("a") as file:
            file.write(text)
        git(self.path, "add", "-A")
        git(self.path, "commit", "-q", "-m", f"change {relative}")


def pipeline_yaml(inputs: dict[str, Any], **top_level: Any) -> str:
    """A .gitlab-ci.yml that includes the component with these inputs."""
    include = {"component": "$CI_SERVER_FQDN/$CI_PROJECT_PATH/psdm@$CI_COMMIT_SHA"}
    config = {"include": [{**include, "inputs": inputs}], **top_level}
    out = io.StringIO()
    YAML().dump(config, out)
    return out.getvalue()


def git_repository(path: Path, remote: str, files: dict[str, str]) -> Path:
    """A repository with `files` committed on `main`, which is also its remote's default branch
    (gitlab-ci-local takes the project path from the remote and compares changes to it)."""
    path.mkdir(parents=True)
    git(path, "init", "-q", "-b", "main")
    git(path, "config", "user.name", "CI")
    git(path, "config", "user.email", "ci@example.com")
    git(path, "remote", "add", "origin", remote)
    for relative, text in files.items():
        (path / relative).parent.mkdir(parents=True, exist_ok=True)
        (path / relative).write_text(text)
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "start")
    git(path, "update-ref", "refs/remotes/origin/main", "HEAD")
    git(path, "symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/main")
    return path


def make_consumer_repo(
    path: Path, inputs: dict[str, Any], playbook: str, **top_level: Any
) -> ConsumerRepo:
    files = {
        "templates/psdm.yml": (REPO / "templates" / "psdm.yml").read_text(),
        ".gitlab-ci.yml": pipeline_yaml(inputs, **top_level),
        ".gitignore": ".gitlab-ci-local/\npsdm-*.md\n",
        "playbooks/engagement.yml": playbook,
        "README.md": "engagement operations\n",
    }
    remote = "git@gitlab.example.com:acme/engagement-ops.git"
    return ConsumerRepo(git_repository(path, remote, files))


@dataclass
class MergeRequestNotes:
    """What the stand-in for `/projects/:id/merge_requests/:iid/notes` has stored."""

    token: str
    api_url: str = ""
    notes: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)


def merge_request_notes_app(store: MergeRequestNotes) -> FastAPI:
    """GitLab's merge-request notes endpoints, as far as the psdm:plan job uses them."""
    app = FastAPI()
    lock = threading.Lock()

    @app.exception_handler(HTTPException)
    def gitlab_error(_: Request, error: HTTPException) -> JSONResponse:
        return JSONResponse({"message": error.detail}, status_code=error.status_code)

    def authorise(token: str | None) -> None:
        if token != store.token:
            raise HTTPException(401, "401 Unauthorized")

    base = "/api/v4/projects/{project}/merge_requests/{iid}/notes"

    @app.get(base)
    def list_notes(
        project: str, iid: str, private_token: str | None = Header(None)
    ) -> list[dict[str, Any]]:
        authorise(private_token)
        with lock:
            notes = store.notes.get((project, iid), [])
            return sorted(notes, key=lambda n: n["updated_at"], reverse=True)

    @app.post(base, status_code=201)
    async def create_note(
        project: str, iid: str, request: Request, private_token: str | None = Header(None)
    ) -> dict[str, Any]:
        authorise(private_token)
        body = (await request.json())["body"]
        with lock:
            notes = store.notes.setdefault((project, iid), [])
            note = {"id": 1000 + len(notes), "body": body, "updated_at": len(notes)}
            notes.append(note)
            return note

    @app.put(base + "/{note_id}")
    async def update_note(
        project: str,
        iid: str,
        note_id: int,
        request: Request,
        private_token: str | None = Header(None),
    ) -> dict[str, Any]:
        authorise(private_token)
        body = (await request.json())["body"]
        with lock:
            for note in store.notes.get((project, iid), []):
                if note["id"] == note_id:
                    note["body"] = body
                    note["updated_at"] += 100
                    return note
        raise HTTPException(404, "404 Note Not Found")

    return app


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class SandboxProcess:
    """`psdm-bot sandbox` started as a separate process on a free loopback port."""

    url: str
    token: str

    def gitlab(self) -> gitlab.Gitlab:
        return gitlab.Gitlab(self.url, private_token=self.token)
