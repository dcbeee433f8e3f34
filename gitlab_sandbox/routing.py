"""A tiny route table: handlers are plain functions of a Ctx, registered per module."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .web import Ctx

Handler = Callable[[Ctx], Any]


@dataclass(frozen=True)
class Route:
    method: str
    template: str
    handler: Handler
    status: int
    tiers: tuple[str, ...] = ("free", "premium")


@dataclass
class Routes:
    """Routes of one module, relative to /api/v4 unless `prefix` says otherwise."""

    prefix: str = "/api/v4"
    routes: list[Route] = field(default_factory=list)

    def add(self, method: str, template: str, status: int, tiers: tuple[str, ...]):
        def register(handler: Handler) -> Handler:
            self.routes.append(Route(method, self.prefix + template, handler, status, tiers))
            return handler

        return register

    def get(self, template: str, *, tiers: tuple[str, ...] = ("free", "premium")):
        return self.add("GET", template, 200, tiers)

    def post(self, template: str, *, status: int = 201, tiers=("free", "premium")):
        return self.add("POST", template, status, tiers)

    def put(self, template: str, *, tiers: tuple[str, ...] = ("free", "premium")):
        return self.add("PUT", template, 200, tiers)

    def delete(self, template: str, *, status: int = 204, tiers=("free", "premium")):
        return self.add("DELETE", template, status, tiers)
