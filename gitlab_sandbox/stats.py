"""Request statistics: counts per method and route template, per status, and totals."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any


class Stats:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.clear()

    def clear(self) -> None:
        self.routes: Counter[str] = Counter()
        self.statuses: Counter[str] = Counter()
        self.graphql: Counter[str] = Counter()
        self.faults = 0
        self.total = 0

    def count(self, method: str, template: str, status: int, *, injected: bool) -> None:
        with self._lock:
            self.total += 1
            self.routes[f"{method} {template}"] += 1
            self.statuses[str(status)] += 1
            if injected:
                self.faults += 1

    def count_graphql(self, operation: str) -> None:
        with self._lock:
            self.graphql[operation] += 1

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "total": self.total,
                "routes": dict(self.routes.most_common()),
                "statuses": dict(sorted(self.statuses.items())),
                "faults_injected": self.faults,
                "graphql": {"query": self.graphql["query"], "mutation": self.graphql["mutation"]},
            }
