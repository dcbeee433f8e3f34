"""An empty customer project in the sandbox, on each tier."""

from __future__ import annotations

import pytest

from tests.scenarios.support import Engagement


@pytest.fixture(params=["premium", "free"])
def engagement(request) -> Engagement:
    sandbox = request.getfixturevalue("sandbox" if request.param == "premium" else "sandbox_free")
    gl = sandbox.gitlab()
    group = gl.groups.create({"name": "Acme", "path": "acme"})
    gl.projects.create({"name": "delivery", "path": "delivery", "namespace_id": group.id})
    return Engagement(sandbox, request.param)
