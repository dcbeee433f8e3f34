"""Run a plan through a port: each operation starts as soon as what it references exists.

An operation waits only for the operations of the objects it references (its epic, time-box,
labels; where epics cannot nest, a parent epic for its children); up to `concurrency` run at
once on a thread pool, which is kept full. Of the operations ready to start, the one with the
longest chain of requests still behind it goes first (a board and its lists, an epic its
issues wait for), so the last requests are not a chain run one at a time while the pool idles.
When one fails, nothing new starts and the running ones finish, so the next apply finds a
consistent, partly built engagement (everything done carries its marker) and completes it.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Mapping, Sequence
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
    waiting = waits(pending)
    dependents = _dependents(pending, waiting)
    rank = chains(pending, dependents)
    order = {op.key: number for number, op in enumerate(pending)}
    ready: list[tuple[int, int, str]] = []
    by_key = {op.key: op for op in pending}

    def release(op: Operation) -> None:
        heapq.heappush(ready, (-rank[op.key], order[op.key], op.key))

    for op in pending:
        if not waiting[op.key]:
            release(op)
    running: dict[Future[str], Operation] = {}
    limit = max(1, concurrency)
    with ThreadPoolExecutor(max_workers=limit) as pool:
        while ready or running:
            while ready and not result.failed and len(running) < limit:
                op = by_key[heapq.heappop(ready)[2]]
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
                            release(child)
                if progress:
                    progress(
                        op, "failed" if result.failed and result.failed[-1].op is op else "done"
                    )
    finished_keys = {op.key for op, _ in result.done} | {f.op.key for f in result.failed}
    result.skipped = [op for op in pending if op.key not in finished_keys]
    return result


def waits(pending: Sequence[Operation]) -> dict[str, set[str]]:
    """For each pending operation, the pending operations it must wait for: those of the
    objects it references (an object that exists already is waited for by nobody)."""
    keys = {op.key for op in pending}
    return {op.key: {dep for dep in op.depends if dep in keys} for op in pending}


def requests(op: Operation) -> int:
    """The requests an operation takes, as far as the plan tells: one, and for a board one per
    label list it adds (GitLab makes lists one at a time, `GL:doc/api/boards.md`) and one to
    set its scope (a board is created with a name only)."""
    if op.kind != "board":
        return 1
    if op.op == "create":
        lists, scope = op.fields.get("lists"), op.fields.get("labels")
        return 1 + len(_items(lists)) + (1 if _items(scope) else 0)
    have, want = op.changes.get("lists", ((), ()))
    return max(0, len(_items(want)) - len(_items(have))) + (1 if "labels" in op.changes else 0)


def chains(
    pending: Sequence[Operation], dependents: Mapping[str, Sequence[Operation]]
) -> dict[str, int]:
    """For each operation, the requests of the longest chain that starts with it: its own and
    those of the operations that wait for it, and for them, to the end of the plan."""
    found: dict[str, int] = {}

    def chain(op: Operation, seen: frozenset[str]) -> int:
        if op.key not in found:
            after = [
                chain(child, seen | {op.key})
                for child in dependents.get(op.key, ())
                if child.key not in seen
            ]
            found[op.key] = requests(op) + max(after, default=0)
        return found[op.key]

    for op in pending:
        chain(op, frozenset())
    return found


def critical_path(pending: Sequence[Operation]) -> int:
    """The requests of the plan's longest chain of operations each waiting for the one before:
    no concurrency can apply the plan in fewer rounds of requests than this."""
    dependents = _dependents(pending, waits(pending))
    return max(chains(pending, dependents).values(), default=0)


def _dependents(
    pending: Sequence[Operation], waiting: Mapping[str, set[str]]
) -> dict[str, list[Operation]]:
    """For each operation, the operations that wait for it."""
    found: dict[str, list[Operation]] = {}
    for op in pending:
        for dep in waiting[op.key]:
            found.setdefault(dep, []).append(op)
    return found


def _items(value: object) -> tuple[object, ...]:
    return tuple(value) if isinstance(value, tuple | list) else ()


def _message(error: Exception) -> str:
    return str(getattr(error, "message", None) or error) or type(error).__name__
