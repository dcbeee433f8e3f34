"""Injected trouble for tests and benchmarks: latency, error rates, 429 and 5xx bursts."""

from __future__ import annotations

import fnmatch
import random
import threading
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, Field


class FaultRule(BaseModel):
    """One rule; `route` is a glob matched against the path and the route template."""

    route: str = "*"
    method: str | None = None
    latency_ms: float = Field(0, ge=0)
    error_rate: float = Field(0, ge=0, le=1)
    status: int = Field(500, ge=400, le=599)
    burst: int = Field(0, ge=0)
    retry_after: int = Field(1, ge=0)
    seed: int | None = None


class FaultSet(BaseModel):
    rules: list[FaultRule]


@dataclass
class Failure:
    status: int
    retry_after: int | None


class Faults:
    """Rules in the order they were added; the first failing rule decides the answer."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[tuple[FaultRule, random.Random, list[int]]] = []

    def set(self, rules: list[FaultRule]) -> None:
        with self._lock:
            self._rules += [(r, random.Random(r.seed), [r.burst]) for r in rules]

    def clear(self) -> None:
        with self._lock:
            self._rules = []

    def describe(self) -> list[dict[str, Any]]:
        with self._lock:
            return [{**rule.model_dump(), "burst_left": left[0]} for rule, _, left in self._rules]

    def check(self, method: str, path: str, template: str) -> tuple[float, Failure | None]:
        """Seconds to wait and the failure to answer with, if any."""
        delay = 0.0
        failure: Failure | None = None
        with self._lock:
            for rule, rng, left in self._rules:
                if rule.method and rule.method.upper() != method:
                    continue
                if not (
                    fnmatch.fnmatchcase(path, rule.route)
                    or fnmatch.fnmatchcase(template, rule.route)
                ):
                    continue
                delay += rule.latency_ms / 1000
                if failure is not None:
                    continue
                if left[0] > 0:
                    left[0] -= 1
                    failure = Failure(rule.status, rule.retry_after)
                elif rule.error_rate and rng.random() < rule.error_rate:
                    failure = Failure(rule.status, rule.retry_after)
        return delay, failure
