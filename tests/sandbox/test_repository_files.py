"""Repository files and issue templates as GitLab documents them (GL:doc/api/repository_files.md,
GL:doc/api/project_templates.md), over loopback."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest

RISK = quote(".gitlab/issue_templates/PSDM Risk.md", safe="")


@pytest.fixture
def api(sandbox: Any) -> Iterator[httpx.Client]:
    client = httpx.Client(
        base_url=f"{sandbox.url}/api/v4", headers={"PRIVATE-TOKEN": sandbox.token}, timeout=30
    )
    yield client
    client.close()


@pytest.fixture
def project(api: httpx.Client) -> int:
    return int(api.post("/projects", json={"name": "App"}).json()["id"])


def write(api: httpx.Client, project: int, method: str, content: str, **extra: str) -> Any:
    body = {"branch": "main", "commit_message": "templates", "content": content, **extra}
    return api.request(method, f"/projects/{project}/repository/files/{RISK}", json=body)


def test_the_first_file_of_an_empty_repository_starts_its_branch_and_is_read_back(api, project):
    assert api.get(f"/projects/{project}/repository/files/{RISK}?ref=main").status_code == 404
    created = write(api, project, "POST", "# Risk\n")
    assert created.status_code == 201
    assert created.json() == {"file_path": ".gitlab/issue_templates/PSDM Risk.md", "branch": "main"}
    got = api.get(f"/projects/{project}/repository/files/{RISK}?ref=HEAD").json()
    assert base64.b64decode(got["content"]).decode() == "# Risk\n"
    assert got["file_name"] == "PSDM Risk.md" and got["last_commit_id"]


def test_creating_a_file_that_exists_is_a_400_and_keeps_the_file(api, project):
    write(api, project, "POST", "first\n")
    again = write(api, project, "POST", "second\n")
    assert again.status_code == 400
    got = api.get(f"/projects/{project}/repository/files/{RISK}?ref=main").json()
    assert base64.b64decode(got["content"]).decode() == "first\n"


def test_an_update_with_a_stale_last_commit_id_is_refused(api, project):
    write(api, project, "POST", "first\n")
    seen = api.get(f"/projects/{project}/repository/files/{RISK}?ref=main").json()
    assert write(api, project, "PUT", "mine\n").status_code == 200
    stale = write(api, project, "PUT", "bot\n", last_commit_id=seen["last_commit_id"])
    assert stale.status_code == 400
    got = api.get(f"/projects/{project}/repository/files/{RISK}?ref=main").json()
    assert base64.b64decode(got["content"]).decode() == "mine\n"


def test_a_write_to_another_branch_of_a_repository_that_has_one_needs_start_branch(api, project):
    write(api, project, "POST", "first\n")
    other = quote("README.md", safe="")
    body = {"branch": "topic", "commit_message": "x", "content": "y"}
    assert api.post(f"/projects/{project}/repository/files/{other}", json=body).status_code == 400
    body["start_branch"] = "main"
    assert api.post(f"/projects/{project}/repository/files/{other}", json=body).status_code == 201


def test_issue_templates_are_the_default_branch_markdown_files_under_gitlab_issue_templates(
    api, project
):
    write(api, project, "POST", "Body of the risk\n")
    body = {"branch": "main", "commit_message": "x", "content": "not a template"}
    api.post(f"/projects/{project}/repository/files/{quote('notes.md', safe='')}", json=body)
    listed = api.get(f"/projects/{project}/templates/issues").json()
    assert listed == [{"key": "PSDM Risk", "name": "PSDM Risk"}]
    one = api.get(f"/projects/{project}/templates/issues/{quote('PSDM Risk')}").json()
    assert one == {"name": "PSDM Risk", "content": "Body of the risk\n"}
    assert api.get(f"/projects/{project}/templates/issues/Nope").status_code == 404
