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
    feature: str | None = None


@dataclass
class Routes:
    """Routes of one module, relative to /api/v4 unless `prefix` says otherwise."""

    prefix: str = "/api/v4"
    routes: list[Route] = field(default_factory=list)

    def add(
        self, method: str, template: str, status: int, feature: str | None
    ) -> Callable[[Handler], Handler]:
        """Register a handler; with `feature`, tiers without it answer 404 (the route is absent)."""

        def register(handler: Handler) -> Handler:
            self.routes.append(Route(method, self.prefix + template, handler, status, feature))
            return handler

        return register

    def get(self, template: str, *, feature: str | None = None) -> Callable[[Handler], Handler]:
        return self.add("GET", template, 200, feature)

    def post(
        self, template: str, *, status: int = 201, feature: str | None = None
    ) -> Callable[[Handler], Handler]:
        return self.add("POST", template, status, feature)

    def put(self, template: str, *, feature: str | None = None) -> Callable[[Handler], Handler]:
        return self.add("PUT", template, 200, feature)

    def delete(
        self, template: str, *, status: int = 204, feature: str | None = None
    ) -> Callable[[Handler], Handler]:
        return self.add("DELETE", template, status, feature)

    def collection(
        self,
        base: str,
        item: str,
        *,
        listing: Handler,
        create: Handler,
        get: Handler,
        update: Handler | None = None,
        delete: Handler | None = None,
        feature: str | None = None,
    ) -> None:
        """GitLab's usual resource routes: list and create at `base`, read, edit and delete one
        at `base/{item}`."""
        one = f"{base}/{{{item}}}"
        self.get(base, feature=feature)(listing)
        self.post(base, feature=feature)(create)
        self.get(one, feature=feature)(get)
        if update is not None:
            self.put(one, feature=feature)(update)
        if delete is not None:
            self.delete(one, feature=feature)(delete)
