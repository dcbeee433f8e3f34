"""Our one seam onto DBOS: start a workflow per delivery, run steps inside it.

Everything else in the service speaks `Durable.start(delivery)` and `step(...)`; DBOS's API
churn stops here. One workflow per delivery with the delivery key as its workflow ID, so a
second start of the same delivery (a redelivery, a restarted dispatcher, another instance)
joins the first instead of running again. The queue is partitioned by project with one
workflow at a time per partition, so two events of one project never race. The periodic
label sweep runs on the same queue and partition, one workflow per project and time slot.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from dbos import DBOS, DBOSConfig, Queue, SetEnqueueOptions, SetWorkflowID, StepOptions

from bot.service.store import Delivery, project_partition

R = TypeVar("R")
QUEUE = "psdm-deliveries"
WORKFLOW = "psdm.handle_delivery"
SWEEP_WORKFLOW = "psdm.sweep_labels"

_handler: Callable[[Delivery], str] | None = None
_sweeper: Callable[[int], str] | None = None


@DBOS.workflow(name=WORKFLOW)
def _handle_delivery(delivery: dict[str, Any]) -> str:
    if _handler is None:
        raise RuntimeError("no delivery handler registered")
    return _handler(Delivery(**delivery))


@DBOS.workflow(name=SWEEP_WORKFLOW)
def _sweep_labels(project_id: int) -> str:
    if _sweeper is None:
        raise RuntimeError("no label sweeper registered")
    return _sweeper(project_id)


_jobs: dict[str, Callable[[int, int], str]] = {}
JOB_WORKFLOW = "psdm.engagement_job"


@DBOS.workflow(name=JOB_WORKFLOW)
def _engagement_job(job: str, project_id: int, argument: int) -> str:
    handler = _jobs.get(job)
    if handler is None:
        raise RuntimeError(f"no handler registered for the job {job!r}")
    return handler(project_id, argument)


def register_job(job: str, handler: Callable[[int, int], str]) -> None:
    """A piece of engagement work that must run once under its own workflow ID."""
    _jobs[job] = handler


def once(workflow_id: str, job: str, project_id: int, argument: int) -> str:
    """Run the job under `workflow_id` and wait for it; whichever path asks first runs it (the
    event or the periodic sweep), any later ask gets the recorded result. From inside a
    workflow this is a child workflow, started directly rather than on the partitioned queue,
    so the caller waiting on it holds no second slot of the project's partition."""
    with SetWorkflowID(workflow_id):
        handle = DBOS.start_workflow(_engagement_job, job, project_id, argument)
    return str(handle.get_result())


def sweep_id(project_id: int, slot: int) -> str:
    """One sweep per project and slot, whichever instance enqueues it first."""
    return f"sweep:{project_id}:{slot}"


def system_database_url(database_url: str) -> str:
    """DBOS shares PostgreSQL with us (its own schema); on SQLite it gets a file of its own."""
    if not database_url.startswith("sqlite"):
        return database_url
    path = sa.engine.make_url(database_url).database or "psdm.sqlite"
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(target) as conn:
        # WAL is a property of the file; DBOS's connections inherit it (readers stop blocking
        # the writer, and a commit costs one append instead of a journal rewrite).
        conn.execute("PRAGMA journal_mode=WAL")
    return f"sqlite:///{target.with_name(target.stem + '.dbos' + target.suffix)}"


class Durable:
    def __init__(
        self,
        database_url: str,
        handler: Callable[[Delivery], str],
        *,
        executor_id: str,
        application_version: str,
        concurrency: int,
        polling_seconds: float,
        sweeper: Callable[[int], str] | None = None,
    ) -> None:
        global _handler, _sweeper
        _handler = handler
        _sweeper = sweeper
        config: DBOSConfig = {
            "name": "psdm-bot",
            "system_database_url": system_database_url(database_url),
            "application_version": application_version,
            "executor_id": executor_id,
            "log_level": "WARNING",
        }
        for name in ("dbos", "sqlalchemy"):
            logging.getLogger(name).setLevel(logging.WARNING)
        self._concurrency = concurrency
        self._polling_seconds = polling_seconds
        self._dbos = DBOS(config=config)
        self._queue: Queue | None = None

    def launch(self) -> None:
        """Start DBOS (it recovers this executor's unfinished workflows) and our queue."""
        DBOS.launch()
        self._queue = DBOS.register_queue(
            QUEUE,
            worker_concurrency=self._concurrency,
            partition_concurrency=1,
            polling_interval_sec=self._polling_seconds,
            on_conflict="always_update",
        )

    def shutdown(self) -> None:
        """Stop DBOS; workflows cut off here resume from their last step at the next launch."""
        DBOS.destroy(destroy_registry=False)

    def start(self, delivery: Delivery) -> None:
        """Enqueue the delivery's workflow; a no-op when that workflow already exists."""
        with (
            SetWorkflowID(delivery.key),
            SetEnqueueOptions(queue_partition_key=delivery.partition),
        ):
            self.queue.enqueue(_handle_delivery, asdict(delivery))

    def sweep(self, project_id: int, slot: int) -> None:
        """Enqueue the project's label sweep for `slot`; a no-op when it already exists."""
        with (
            SetWorkflowID(sweep_id(project_id, slot)),
            SetEnqueueOptions(queue_partition_key=project_partition(project_id)),
        ):
            self.queue.enqueue(_sweep_labels, project_id)

    def prune(self, ended_before: float, keys: Sequence[str] = (), most: int = 1000) -> int:
        """Delete finished delivery and sweep workflows (inputs, outputs, steps) that ended
        before `ended_before` (epoch seconds), and the finished ones among `keys` whatever
        their age (confidential deliveries); how many went. Engagement jobs stay: their
        workflow IDs are what makes them run once."""
        finished = ["SUCCESS", "ERROR", "CANCELLED"]
        before = datetime.fromtimestamp(ended_before, tz=UTC).isoformat()
        old = DBOS.list_workflows(
            status=finished,
            name=[WORKFLOW, SWEEP_WORKFLOW],
            completed_before=before,
            limit=most,
            load_input=False,
            load_output=False,
        )
        named = (
            DBOS.list_workflows(
                workflow_ids=list(keys), status=finished, load_input=False, load_output=False
            )
            if keys
            else []
        )
        ids = sorted({w.workflow_id for w in [*old, *named]})
        if ids:
            DBOS.delete_workflows(ids)
        return len(ids)

    def status(self, key: str) -> str | None:
        """The delivery's workflow status (PENDING, ENQUEUED, SUCCESS, ERROR...), if it has one."""
        found = DBOS.get_workflow_status(key)
        return found.status if found else None

    @property
    def queue(self) -> Queue:
        if self._queue is None:
            raise RuntimeError("Durable.launch() has not run")
        return self._queue


def current_workflow_id() -> str:
    """The ID of the workflow running now (a delivery's key); empty outside a workflow."""
    return DBOS.workflow_id or ""


def step(name: str, func: Callable[..., R], *args: Any, retries: bool = True) -> R:
    """Run `func` as a checkpointed step of the current workflow, retried with backoff."""
    options: StepOptions = {
        "name": name,
        "retries_allowed": retries,
        "max_attempts": 5,
        "interval_seconds": 1.0,
        "backoff_rate": 2.0,
    }
    return DBOS.run_step(options, func, *args)
