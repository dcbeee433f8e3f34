"""Run a plan through a port: each operation starts as soon as what it references exists.

An operation waits for the operations of the objects it references (its epic, time-box,
labels); up to `concurrency` run at once on a thread pool. When one fails, nothing new
starts and the running ones finish, so the next apply finds a consistent, partly built
engagement (everything done carries its marker) and completes it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field

from bot.engine.plan import Operation, Plan
from bot.engine.port import Port

DEFAULT_CONCURRENCY = 8
"""Eight requests in flight: at GitLab.com's usual latency that is far below 2,000 a minute,
and the adapter paces itself under the per-minute limits in any case."""

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


def apply(
    plan: Plan,
    port: Port,
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    progress: Progress | None = None,
) -> ApplyResult:
    """Perform every pending operation of the plan, at most `concurrency` at a time."""
    result = ApplyResult()
    pending = [op for op in plan.operations if op.pending]
    keys = {op.key for op in pending}
    waiting = {op.key: {dep for dep in op.depends if dep in keys} for op in pending}
    dependents: dict[str, list[Operation]] = {}
    for op in pending:
        for dep in waiting[op.key]:
            dependents.setdefault(dep, []).append(op)
    ready = deque(op for op in pending if not waiting[op.key])
    running: dict[Future[str], Operation] = {}
    limit = max(1, concurrency)
    with ThreadPoolExecutor(max_workers=limit) as pool:
        while ready or running:
            while ready and not result.failed and len(running) < limit:
                op = ready.popleft()
                running[pool.submit(port.perform, op)] = op
            if not running:
                break
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                op = running.pop(future)
                try:
                    result.done.append((op, future.result()))
                except Exception as error:  # reported per operation; nothing new starts
                    result.failed.append(Failure(op, _message(error)))
                else:
                    for child in dependents.get(op.key, ()):
                        waiting[child.key].discard(op.key)
                        if not waiting[child.key]:
                            ready.append(child)
                if progress:
                    progress(
                        op, "failed" if result.failed and result.failed[-1].op is op else "done"
                    )
    finished_keys = {op.key for op, _ in result.done} | {f.op.key for f in result.failed}
    result.skipped = [op for op in pending if op.key not in finished_keys]
    return result


def _message(error: Exception) -> str:
    return str(getattr(error, "message", None) or error) or type(error).__name__
