import asyncio
import threading

import pytest

from bot.service.batcher import GroupCommit


def run(coro):
    return asyncio.run(coro)


def test_concurrent_submissions_share_commits_and_each_gets_its_own_result():
    writes: list[list[int]] = []
    committed = threading.Event()

    def write(items):
        writes.append(list(items))
        return [item * 10 for item in items]

    async def main():
        batcher = GroupCommit(write, interval=0.002, after_commit=lambda items: committed.set())
        batcher.start()
        results = await asyncio.gather(*(batcher.submit(n) for n in range(200)))
        await batcher.close()
        return results

    assert run(main()) == [n * 10 for n in range(200)]
    assert sorted(n for batch in writes for n in batch) == list(range(200))
    assert len(writes) < 200
    assert committed.is_set()


def test_no_submission_resolves_before_its_batch_is_written():
    written: set[int] = set()

    def write(items):
        written.update(items)
        return [n in written for n in items]

    async def main():
        batcher = GroupCommit(write, interval=0)
        batcher.start()
        results = await asyncio.gather(*(batcher.submit(n) for n in range(50)))
        await batcher.close()
        return results

    assert all(run(main()))


def test_a_failed_write_fails_every_request_of_its_batch():
    def write(items):
        raise OSError("disk full")

    async def main():
        batcher = GroupCommit(write, interval=0.001)
        batcher.start()
        outcomes = await asyncio.gather(
            *(batcher.submit(n) for n in range(5)), return_exceptions=True
        )
        await batcher.close()
        return outcomes

    assert all(isinstance(outcome, OSError) for outcome in run(main()))


def test_large_bursts_are_split_into_bounded_batches():
    sizes: list[int] = []

    def write(items):
        sizes.append(len(items))
        return list(items)

    async def main():
        batcher = GroupCommit(write, interval=0.001, max_batch=25)
        batcher.start()
        await asyncio.gather(*(batcher.submit(n) for n in range(100)))
        await batcher.close()

    run(main())
    assert max(sizes) <= 25 and sum(sizes) == 100


def test_a_closed_batcher_refuses_new_work():
    async def main():
        batcher = GroupCommit(lambda items: list(items))
        batcher.start()
        await batcher.close()
        with pytest.raises(RuntimeError):
            await batcher.submit(1)

    run(main())


def test_two_writers_write_two_batches_at_once_and_every_result_comes_back():
    overlapped = threading.Event()
    lock = threading.Lock()
    busy = [0]

    def write(items):
        with lock:
            busy[0] += 1
            if busy[0] == 2:
                overlapped.set()
        overlapped.wait(timeout=2)  # the first batch holds its commit until a second one comes
        with lock:
            busy[0] -= 1
        return [n + 1 for n in items]

    async def main():
        batcher = GroupCommit(write, interval=0, max_batch=10, writers=2)
        batcher.start()
        results = await asyncio.gather(*(batcher.submit(n) for n in range(100)))
        await batcher.close()
        return results

    assert run(main()) == [n + 1 for n in range(100)]
    assert overlapped.is_set()
