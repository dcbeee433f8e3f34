"""An empty customer project in the sandbox, on each tier."""

from __future__ import annotations

import pytest

from tests.sandbox.conftest import receiver, receiver_server  # noqa: F401  (webhook receiver)
from tests.scenarios.support import Engagement


@pytest.fixture(params=["premium", "free", "ultimate"])
def engagement(request, sandbox_server) -> Engagement:
    sandbox_server.reset(request.param)
    gl = sandbox_server.gitlab()
    group = gl.groups.create({"name": "Acme", "path": "acme"})
    gl.projects.create({"name": "delivery", "path": "delivery", "namespace_id": group.id})
    return Engagement(sandbox_server, request.param)
