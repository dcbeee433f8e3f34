"""The contract world, built once per module on a freshly reset premium sandbox."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .world import World, build


@pytest.fixture(scope="module")
def world(sandbox_server) -> Iterator[World]:
    sandbox_server.reset("premium")
    built = build(sandbox_server)
    try:
        yield built
    finally:
        built.close()
