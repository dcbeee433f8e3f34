"""What a project without a repository, CI or packages answers: empty lists.

The sandbox has no git repositories, pipelines, packages or deploy credentials. GitLab's
clients still list them (python-gitlab's own test fixtures clean deploy tokens up before
every run), so these routes answer as an empty project or group does: an empty list, with
the same permission checks as GitLab.
"""

from __future__ import annotations

from typing import Any

from ..model import MAINTAINER
from ..routing import Routes
from ..web import Ctx, Reply, not_found, paginate
from .common import find_group, find_project, need_group, need_project, need_user

api = Routes()


@api.get("/projects/{id}/deploy_tokens")
def project_deploy_tokens(ctx: Ctx) -> list[Any]:
    """GL:doc/api/deploy_tokens.md: Maintainer and up."""
    need_project(ctx, find_project(ctx), MAINTAINER)
    return []


@api.get("/groups/{id}/deploy_tokens")
def group_deploy_tokens(ctx: Ctx) -> list[Any]:
    """GL:doc/api/deploy_tokens.md: Maintainer and up."""
    need_group(ctx, find_group(ctx), MAINTAINER)
    return []


def _readable_project(ctx: Ctx) -> None:
    find_project(ctx)


def _empty_list(ctx: Ctx) -> Reply:
    """An empty page with GitLab's pagination headers."""
    return paginate(ctx, [], lambda row: row)


def _project_list(ctx: Ctx) -> Reply:
    _readable_project(ctx)
    return _empty_list(ctx)


def _group_list(ctx: Ctx) -> Reply:
    find_group(ctx)
    return _empty_list(ctx)


def _instance_list(ctx: Ctx) -> Reply:
    need_user(ctx)
    return _empty_list(ctx)


for _path in (
    "/projects/{id}/merge_requests",
    "/projects/{id}/repository/branches",
    "/projects/{id}/repository/tags",
    "/projects/{id}/releases",
    "/projects/{id}/pipelines",
    "/projects/{id}/jobs",
    "/projects/{id}/packages",
):
    api.get(_path)(_project_list)
for _path in ("/groups/{id}/merge_requests", "/groups/{id}/packages"):
    api.get(_path)(_group_list)
api.get("/merge_requests")(_instance_list)


@api.get("/projects/{id}/merge_requests/{merge_request_iid}")
def merge_request(ctx: Ctx) -> Reply:
    """No project holds merge requests: GitLab's 404 for an unknown one."""
    _readable_project(ctx)
    raise not_found("Merge Request")
