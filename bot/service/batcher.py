"""Group commit: many concurrent requests share one durable write.

Each request submits its item and awaits a future. One writer task collects whatever has
arrived (waiting `interval` seconds for more), writes the batch in a single transaction on a
dedicated thread, and resolves every future with its result; only then do the requests
answer. A request is therefore never acknowledged before its record is committed, and the
cost of a commit is paid once per batch instead of once per request.

With `writers` above one, that many batches may be written at once, each on its own thread
and connection: while one waits for its commit to reach the disk, the next is already
collected and sent (PostgreSQL commits concurrent transactions together). SQLite has one
writer at a time, so the service gives it one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class GroupCommit(Generic[T, R]):
    def __init__(
        self,
        write: Callable[[Sequence[T]], Sequence[R]],
        *,
        interval: float = 0.002,
        max_batch: int = 500,
        after_commit: Callable[[Sequence[T]], None] | None = None,
        writers: int = 1,
    ) -> None:
        self._write = write
        self._interval = interval
        self._max_batch = max_batch
        self._writers = max(1, writers)
        self._after_commit = after_commit
        self._pending: list[tuple[T, asyncio.Future[R]]] = []
        self._wake = asyncio.Event()
        self._closed = False
        self._thread = ThreadPoolExecutor(
            max_workers=self._writers, thread_name_prefix="group-commit"
        )
        self._task: asyncio.Task[None] | None = None
        self.batches = 0

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def submit(self, item: T) -> R:
        """Queue an item; returns the writer's result for it once its batch is committed."""
        if self._closed:
            raise RuntimeError("the batcher is closed")
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._pending.append((item, future))
        self._wake.set()
        return await future

    async def close(self) -> None:
        """Write what is queued, then stop."""
        self._closed = True
        self._wake.set()
        if self._task:
            await self._task
        self._thread.shutdown(wait=True)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        slots = asyncio.Semaphore(self._writers)
        writing: set[asyncio.Task[None]] = set()
        while True:
            await self._wake.wait()
            if self._interval and not self._closed:
                await asyncio.sleep(self._interval)
            # Wait for a free writer only now: the interval above overlaps the last commit.
            await slots.acquire()
            batch = self._pending[: self._max_batch]
            self._pending = self._pending[self._max_batch :]
            if not self._pending:
                self._wake.clear()
            if batch:
                task = loop.create_task(self._commit_then_free(loop, batch, slots))
                writing.add(task)
                task.add_done_callback(writing.discard)
            else:
                slots.release()
            if self._closed and not self._pending:
                await asyncio.gather(*writing)
                return

    async def _commit_then_free(
        self,
        loop: asyncio.AbstractEventLoop,
        batch: list[tuple[T, asyncio.Future[R]]],
        slots: asyncio.Semaphore,
    ) -> None:
        try:
            await self._commit(loop, batch)
        finally:
            slots.release()

    async def _commit(
        self, loop: asyncio.AbstractEventLoop, batch: list[tuple[T, asyncio.Future[R]]]
    ) -> None:
        items = [item for item, _ in batch]
        try:
            results = await loop.run_in_executor(self._thread, self._write, items)
        except Exception as error:
            for _, future in batch:
                if not future.done():
                    future.set_exception(error)
            return
        self.batches += 1
        for (_, future), result in zip(batch, results, strict=True):
            if not future.done():
                future.set_result(result)
        if self._after_commit:
            self._after_commit(items)
