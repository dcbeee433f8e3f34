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
from ..web import Ctx
from .common import find_group, find_project, need_group, need_project

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
