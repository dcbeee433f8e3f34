"""Run a plan through a port: waves of independent operations on a bounded thread pool.

An operation waits for the operations of the objects it references (its epic, time-box,
labels). Each wave runs in parallel; when an operation fails, nothing of a later wave starts,
so the next apply finds a consistent, partly built engagement and completes it.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from bot.engine.plan import Operation, Plan
from bot.engine.port import Port

DEFAULT_CONCURRENCY = 6
"""Six requests in flight stays far below GitLab.com's 2,000 requests per minute at real latency."""

Progress = Callable[[Operation, str], None]


@dataclass(frozen=True)
class Failure:
    op: Operation
    message: str


@dataclass
class ApplyResult:
    done: list[tuple[Operation, str]] = field(default_factory=list)
    failed: list[Failure] = field(default_factory=list)
    skipped: list[Operation] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed and not self.skipped

    def summary(self) -> str:
        text = f"{len(self.done)} applied"
        if self.failed:
            text += f", {len(self.failed)} failed, {len(self.skipped)} not started"
        return text


def execute(op: Operation, port: Port) -> str | None:
    """Carry out one operation (what a durable workflow step calls); None for an unchanged one."""
    return port.perform(op) if op.pending else op.ref


def waves(operations: tuple[Operation, ...]) -> list[list[Operation]]:
    """Pending operations grouped so that each one comes after every operation it depends on."""
    level: dict[str, int] = {}
    grouped: dict[int, list[Operation]] = {}
    for op in operations:
        if not op.pending:
            continue
        depth = max((level[key] + 1 for key in op.depends if key in level), default=0)
        level[op.key] = depth
        grouped.setdefault(depth, []).append(op)
    return [grouped[depth] for depth in sorted(grouped)]


def apply(
    plan: Plan,
    port: Port,
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    progress: Progress | None = None,
) -> ApplyResult:
    """Perform every pending operation of the plan, at most `concurrency` at a time."""
    result = ApplyResult()
    batches = waves(plan.operations)
    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        for index, batch in enumerate(batches):
            futures = [(op, pool.submit(port.perform, op)) for op in batch]
            for op, future in futures:
                try:
                    ref = future.result()
                except Exception as error:  # each failure is reported, the rest of the wave ends
                    result.failed.append(Failure(op, _message(error)))
                    outcome = "failed"
                else:
                    result.done.append((op, ref))
                    outcome = "done"
                if progress:
                    progress(op, outcome)
            if result.failed:
                result.skipped = [op for later in batches[index + 1 :] for op in later]
                break
    return result


def _message(error: Exception) -> str:
    return str(getattr(error, "message", None) or error) or type(error).__name__
