"""Repository files (GL:doc/api/repository_files.md) and the project's issue description
templates (GL:doc/api/project_templates.md, GL:doc/user/project/description_templates.md).

The repository is one flat map of paths per branch, enough for the files the bot writes. An
empty repository has no branch: the first file created names the branch it starts. Creating a
file that exists, or updating one with a stale `last_commit_id`, is a 400 as GitLab answers.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from ..model import DEVELOPER, REPORTER, Project
from ..routing import Routes
from ..web import ApiError, Ctx, bad_request, not_found
from .common import find_project, need_project

api = Routes()

TEMPLATES = ".gitlab/issue_templates/"
FILE = "/projects/{id}/repository/files/{file_path}"


def _path(ctx: Ctx) -> str:
    path = ctx.path_id("file_path")
    if not path or path.startswith("/") or ".." in path.split("/"):
        raise bad_request("file_path should be a valid file path")
    return path


def _branch(ctx: Ctx, project: Project, name: str | None) -> dict[str, dict[str, str]]:
    """The files of branch `name` (HEAD: the default branch); 404 when there is none."""
    branches = ctx.state.repositories.get(project.id, {})
    found = branches.get(project.default_branch if name in (None, "HEAD") else str(name))
    if found is None:
        raise not_found("File")
    return found


def _commit(ctx: Ctx, project: Project, path: str) -> str:
    seq = ctx.state.next_id(f"commit-{project.id}")
    return hashlib.sha1(f"{project.id}:{path}:{seq}".encode()).hexdigest()


def _content(ctx: Ctx) -> str:
    ctx.params.require("branch", "commit_message", "content")
    text = ctx.params.str("content") or ""
    if ctx.params.str("encoding") == "base64":
        try:
            return base64.b64decode(text, validate=True).decode()
        except ValueError:
            raise bad_request("content is not valid base64") from None
    return text


def _target(ctx: Ctx, project: Project) -> dict[str, dict[str, str]]:
    """The branch a write goes to: an existing one, one made from `start_branch`, or on an
    empty repository the first branch."""
    branches = ctx.state.repositories.setdefault(project.id, {})
    name = ctx.params.str("branch") or ""
    if name in branches:
        return branches[name]
    start = ctx.params.str("start_branch")
    if start is not None:
        if start not in branches:
            raise bad_request("You can only create or edit files when you are on a branch")
        branches[name] = {p: dict(f) for p, f in branches[start].items()}
        return branches[name]
    if branches:
        raise bad_request("You can only create or edit files when you are on a branch")
    branches[name] = {}
    return branches[name]


@api.get(FILE)
def get_file(ctx: Ctx) -> dict[str, Any]:
    project = find_project(ctx)
    need_project(ctx, project, REPORTER)
    ctx.params.require("ref")
    path = _path(ctx)
    found = _branch(ctx, project, ctx.params.str("ref")).get(path)
    if found is None:
        raise not_found("File")
    data = found["content"].encode()
    return {
        "file_name": path.rsplit("/", 1)[-1],
        "file_path": path,
        "size": len(data),
        "encoding": "base64",
        "content": base64.b64encode(data).decode(),
        "content_sha256": hashlib.sha256(data).hexdigest(),
        "ref": ctx.params.str("ref"),
        "blob_id": hashlib.sha1(data).hexdigest(),
        "commit_id": found["last_commit_id"],
        "last_commit_id": found["last_commit_id"],
        "execute_filemode": False,
    }


@api.post(FILE)
def create_file(ctx: Ctx) -> dict[str, Any]:
    project = find_project(ctx)
    need_project(ctx, project, DEVELOPER)
    path, content = _path(ctx), _content(ctx)
    files = _target(ctx, project)
    if path in files:
        raise bad_request("A file with this name already exists")
    files[path] = {"content": content, "last_commit_id": _commit(ctx, project, path)}
    return {"file_path": path, "branch": ctx.params.str("branch")}


@api.put(FILE)
def update_file(ctx: Ctx) -> dict[str, Any]:
    project = find_project(ctx)
    need_project(ctx, project, DEVELOPER)
    path, content = _path(ctx), _content(ctx)
    files = _target(ctx, project)
    found = files.get(path)
    if found is None:
        raise bad_request("A file with this name doesn't exist")
    last = ctx.params.str("last_commit_id")
    if last is not None and last != found["last_commit_id"]:
        raise bad_request(
            "You are attempting to update a file that has changed since you started editing it."
        )
    if found["content"] == content:  # GitLab refuses an empty commit
        raise ApiError(400, "A file with this name already exists with the same content")
    files[path] = {"content": content, "last_commit_id": _commit(ctx, project, path)}
    return {"file_path": path, "branch": ctx.params.str("branch")}


def _templates(ctx: Ctx, project: Project) -> dict[str, str]:
    """Issue templates by name: the default branch's `.gitlab/issue_templates/*.md`."""
    files = ctx.state.repositories.get(project.id, {}).get(project.default_branch, {})
    return {
        path[len(TEMPLATES) : -len(".md")]: f["content"]
        for path, f in sorted(files.items())
        if path.startswith(TEMPLATES) and path.endswith(".md") and "/" not in path[len(TEMPLATES) :]
    }


@api.get("/projects/{id}/templates/issues")
def list_issue_templates(ctx: Ctx) -> list[dict[str, Any]]:
    project = find_project(ctx)
    need_project(ctx, project, REPORTER)
    return [{"key": name, "name": name} for name in _templates(ctx, project)]


@api.get("/projects/{id}/templates/issues/{name}")
def get_issue_template(ctx: Ctx) -> dict[str, Any]:
    project = find_project(ctx)
    need_project(ctx, project, REPORTER)
    name = ctx.path_id("name")
    content = _templates(ctx, project).get(name)
    if content is None:
        raise not_found("Template")
    return {"name": name, "content": content}
