"""Iterations: Premium and Ultimate (`GL:doc/api/group_iterations.md`,
`GL:doc/api/iterations.md`); a Free instance has no such route (404).

The sandbox has no iteration cadences, so the lists are empty; they exist so that a client can
tell from the answer whether the tier has iterations at all.
"""

from __future__ import annotations

from ..routing import Routes
from ..web import Ctx, Reply, paginate
from .common import find_group, find_project

api = Routes()


@api.get("/groups/{id}/iterations", feature="iterations")
def group_iterations(ctx: Ctx) -> Reply:
    find_group(ctx)
    return paginate(ctx, [], lambda row: row)


@api.get("/projects/{id}/iterations", feature="iterations")
def project_iterations(ctx: Ctx) -> Reply:
    find_project(ctx)
    return paginate(ctx, [], lambda row: row)
