"""The service's own tables: the inbox of accepted deliveries and the engagements it scaffolded.

SQLite (WAL, synchronous FULL) by default, PostgreSQL when the URL says so; the same SQL
through SQLAlchemy Core. The inbox's two unique columns are the deduplication: `key` (the
delivery's Idempotency-Key, or its content key when GitLab sent none) and `content_key`
(the event's content, which collapses a group hook and a project hook firing for one event).
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

RECEIVED, DISPATCHED, IGNORED = "received", "dispatched", "ignored"
CONFIDENTIAL_KINDS = ("Confidential Issue Hook", "Confidential Note Hook")
"""Kinds GitLab sends for confidential issues and internal notes (GL:doc/user/project/
integrations/webhook_events.md); their text leaves the inbox once a workflow has it."""
FRESH, DUPLICATE, CONFLICT = "fresh", "duplicate", "conflict"
"""What recording a delivery came to: new, already recorded, or a reused key with another body."""

metadata = sa.MetaData()

inbox = sa.Table(
    "psdm_inbox",
    metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("key", sa.String(200), nullable=False, unique=True),
    sa.Column("content_key", sa.String(100), unique=True),
    sa.Column("kind", sa.String(100), nullable=False),
    sa.Column("partition", sa.String(100), nullable=False),
    sa.Column("event_uuid", sa.String(100)),
    sa.Column("received_at", sa.Float, nullable=False),
    sa.Column("payload", sa.Text, nullable=False),
    sa.Column("state", sa.String(20), nullable=False, default=RECEIVED, index=True),
    sa.Column("digest", sa.String(64)),
    sa.Column("reason", sa.String(500)),
)
_ADDED_COLUMNS = ("digest", "reason")
"""Columns added after the first release; an older database gains them when opened."""

engagements = sa.Table(
    "psdm_engagements",
    metadata,
    sa.Column("project_id", sa.Integer, primary_key=True),
    sa.Column("project_path", sa.String(500), nullable=False),
    sa.Column("playbook", sa.String(200), nullable=False),
    sa.Column("variables", sa.Text, nullable=False),
    sa.Column("recorded_at", sa.Float, nullable=False),
)

command_runs = sa.Table(
    "psdm_command_runs",
    metadata,
    sa.Column("key", sa.String(200), primary_key=True),
    sa.Column("owner", sa.String(250), nullable=False),
    sa.Column("outcome", sa.Text),
    sa.Column("claimed_at", sa.Float, nullable=False, index=True),
)
"""One row per comment and command text: the workflow that runs it, and what it came to."""

sessions = sa.Table(
    "psdm_sessions",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("user_id", sa.Integer, nullable=False, index=True),
    sa.Column("sealed", sa.Text, nullable=False),
    sa.Column("expires_at", sa.Float, nullable=False, index=True),
)
"""Dashboard sessions: the SHA-256 of the cookie's opaque id, and the viewer's tokens
encrypted (bot/service/auth.py); the cookie itself holds nothing else."""


@dataclass(frozen=True)
class Delivery:
    """One authentic webhook delivery as recorded: what a workflow needs to handle it."""

    key: str
    content_key: str | None
    kind: str
    partition: str
    event_uuid: str | None
    payload: str
    wanted: bool = True
    """Whether any handler acts on it; a delivery nobody wants is recorded as ignored."""
    digest: str | None = None
    """SHA-256 of the body: a reused Idempotency-Key with another body is a conflict."""
    reason: str | None = None
    """Why a delivery is ignored (no handler, unhandleable shape...), for the dashboard."""


@dataclass(frozen=True)
class Pruned:
    """What one pruning round removed."""

    deliveries: int
    confidential: tuple[str, ...]
    """Keys of confidential deliveries whose text was blanked this round."""
    commands: int
    sessions: int


@dataclass(frozen=True)
class Unhandled:
    """A delivery recorded but never handled, and why."""

    key: str
    kind: str
    received_at: float
    reason: str


@dataclass(frozen=True)
class Engagement:
    project_id: int
    project_path: str
    playbook: str
    variables: dict[str, str]


def project_partition(project_id: object) -> str:
    """The queue partition of one project's work: events and sweeps alike run one at a time."""
    return f"project:{project_id}"


def engine_url(url: str) -> str:
    """SQLAlchemy URL for ours: PostgreSQL through psycopg 3, the one driver we ship."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


class Store:
    def __init__(self, url: str) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            path = sa.engine.make_url(url).database
            if path and path != ":memory:":
                private_file(Path(path))
            self.engine = sa.create_engine(url, connect_args={"check_same_thread": False})
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)
        else:
            self.engine = sa.create_engine(engine_url(url), pool_pre_ping=True)
        _create_tables(self.engine)
        _add_columns(self.engine)
        self._writers = threading.local()
        self._held: list[sa.Connection] = []
        self._held_lock = threading.Lock()

    def _insert(self, table: sa.Table) -> sa.Insert:
        if self.is_sqlite:
            return sqlite.insert(table).on_conflict_do_nothing()
        return postgresql.insert(table).on_conflict_do_nothing()

    def record(self, deliveries: Sequence[Delivery]) -> list[bool]:
        """Write a batch in one transaction; per delivery, whether it was new (not a duplicate)."""
        return [outcome == FRESH for outcome in self.record_batch(deliveries)]

    def record_batch(self, deliveries: Sequence[Delivery], now: float | None = None) -> list[str]:
        """Write a batch in one transaction; per delivery FRESH, DUPLICATE or CONFLICT.

        The unique columns decide, even against another instance writing the same event at
        the same moment: a conflicting row is skipped, and RETURNING says which rows landed.
        A delivery whose Idempotency-Key is recorded with another body is a CONFLICT.
        """
        now = time.time() if now is None else now
        rows = [
            {
                "key": d.key,
                "content_key": d.content_key,
                "kind": d.kind,
                "partition": d.partition,
                "event_uuid": d.event_uuid,
                "received_at": now,
                "payload": d.payload,
                "state": RECEIVED if d.wanted else IGNORED,
                "digest": d.digest,
                "reason": None if d.wanted else (d.reason or "no handler acts on it")[:500],
            }
            for d in deliveries
        ]
        if self.is_sqlite:
            with self.engine.begin() as conn:
                landed, digests = self._insert_deliveries(conn, rows)
        else:
            try:
                landed, digests = self._insert_deliveries(self._writer(), rows)
            except sa.exc.DBAPIError as error:
                self._drop_writer()
                if not error.connection_invalidated:
                    raise
                # The server dropped the held connection: the insert skips rows already
                # there, so it is safe to send once more on a new one.
                landed, digests = self._insert_deliveries(self._writer(), rows)
        outcomes: list[str] = []
        for d in deliveries:
            if d.key in landed:
                outcomes.append(FRESH)
                landed.discard(d.key)
                digests.setdefault(d.key, d.digest)
            elif d.digest and digests.get(d.key) not in (None, d.digest):
                outcomes.append(CONFLICT)
            else:
                outcomes.append(DUPLICATE)
        return outcomes

    def _insert_deliveries(
        self, conn: sa.Connection, rows: list[dict[str, Any]]
    ) -> tuple[set[str], dict[str, str | None]]:
        """Insert the rows that are new; the keys that landed, and the digests of the others."""
        result = conn.execute(self._insert(inbox).returning(inbox.c.key), rows)
        landed = set(result.scalars())
        missed = [row["key"] for row in rows if row["key"] not in landed]
        digests: dict[str, str | None] = {}
        if missed:
            query = sa.select(inbox.c.key, inbox.c.digest).where(inbox.c.key.in_(missed))
            digests = {row.key: row.digest for row in conn.execute(query)}
        return landed, digests

    def _writer(self) -> sa.Connection:
        """The calling thread's connection for recording deliveries on PostgreSQL: held open
        and in autocommit, so a batch (one INSERT, atomic on its own) costs one round trip to
        the server instead of four (pool check, BEGIN, INSERT, COMMIT)."""
        held: sa.Connection | None = getattr(self._writers, "connection", None)
        if held is None or held.closed or held.invalidated:
            held = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            self._writers.connection = held
            with self._held_lock:
                self._held.append(held)
        return held

    def _drop_writer(self) -> None:
        held: sa.Connection | None = getattr(self._writers, "connection", None)
        self._writers.connection = None
        if held is not None:
            with suppress(Exception):
                held.close()

    def unhandled(self, limit: int = 100) -> list[Unhandled]:
        """The latest deliveries recorded as ignored with a reason, newest first."""
        query = (
            sa.select(inbox.c.key, inbox.c.kind, inbox.c.received_at, inbox.c.reason)
            .where(inbox.c.state == IGNORED, inbox.c.reason.is_not(None))
            .order_by(inbox.c.seq.desc())
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [Unhandled(r.key, r.kind, r.received_at, r.reason) for r in conn.execute(query)]

    def undispatched(self, limit: int = 200) -> list[Delivery]:
        query = sa.select(inbox).where(inbox.c.state == RECEIVED).order_by(inbox.c.seq).limit(limit)
        with self.engine.connect() as conn:
            return [
                Delivery(
                    row.key, row.content_key, row.kind, row.partition, row.event_uuid, row.payload
                )
                for row in conn.execute(query)
            ]

    def mark(self, keys: Sequence[str], state: str) -> None:
        """Record that these deliveries left the inbox: to a workflow, or ignored."""
        if not keys:
            return
        with self.engine.begin() as conn:
            conn.execute(sa.update(inbox).where(inbox.c.key.in_(keys)).values(state=state))

    def claim_command(self, key: str, owner: str) -> str | None:
        """Claim a comment's commands for the workflow `owner`: None when the claim is (or
        already was) this owner's; otherwise what the first run answered.

        The primary key decides between deliveries racing on two instances.
        """
        row = {"key": key, "owner": owner, "outcome": None, "claimed_at": time.time()}
        with self.engine.begin() as conn:
            conn.execute(self._insert(command_runs), [row])
            query = sa.select(command_runs.c.owner, command_runs.c.outcome).where(
                command_runs.c.key == key
            )
            found = conn.execute(query).one()
        if found.owner == owner:
            return None
        return found.outcome or "it is being run by an earlier delivery of the same comment"

    def finish_command(self, key: str, outcome: str) -> None:
        """Record what a claimed comment's commands came to, for later deliveries to answer."""
        with self.engine.begin() as conn:
            conn.execute(
                sa.update(command_runs).where(command_runs.c.key == key).values(outcome=outcome)
            )

    def save_session(self, key: str, user_id: int, sealed: str, expires_at: float) -> None:
        """Create or replace a dashboard session."""
        with self.engine.begin() as conn:
            conn.execute(sessions.delete().where(sessions.c.key == key))
            conn.execute(
                sessions.insert(),
                [{"key": key, "user_id": user_id, "sealed": sealed, "expires_at": expires_at}],
            )

    def session(self, key: str, now: float) -> str | None:
        """A live session's sealed record, or None (unknown, signed out or expired)."""
        query = sa.select(sessions.c.sealed).where(
            sessions.c.key == key, sessions.c.expires_at > now
        )
        with self.engine.connect() as conn:
            return conn.execute(query).scalar()

    def drop_session(self, key: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(sessions.delete().where(sessions.c.key == key))

    def prune(self, now: float, keep_seconds: float, grace_seconds: float = 600.0) -> Pruned:
        """Forget what is older than `keep_seconds` and no longer needed.

        Deliveries still waiting for a workflow stay whatever their age. A confidential
        delivery's text is blanked `grace_seconds` after it was handed to a workflow (or found
        unwanted); its key and digest stay, so a redelivery is still known. Their keys are
        answered, so the workflows' own copies can go too.
        """
        cutoff = now - keep_seconds
        handled = inbox.c.state != RECEIVED
        confidential = sa.and_(
            inbox.c.kind.in_(CONFIDENTIAL_KINDS),
            handled,
            inbox.c.payload != "",
            inbox.c.received_at < now - grace_seconds,
        )
        with self.engine.begin() as conn:
            deliveries = conn.execute(
                inbox.delete().where(inbox.c.received_at < cutoff, handled)
            ).rowcount
            blanked = list(conn.execute(sa.select(inbox.c.key).where(confidential)).scalars())
            if blanked:
                conn.execute(sa.update(inbox).where(inbox.c.key.in_(blanked)).values(payload=""))
            commands = conn.execute(
                command_runs.delete().where(command_runs.c.claimed_at < cutoff)
            ).rowcount
            ended = conn.execute(sessions.delete().where(sessions.c.expires_at < now)).rowcount
        if self.is_sqlite:
            with self.engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        return Pruned(deliveries, tuple(blanked), commands, ended)

    def size(self) -> int:
        """Bytes the database takes (SQLite: the file and its WAL; PostgreSQL: our tables)."""
        if self.is_sqlite:
            path = sa.engine.make_url(self.url).database or ""
            return sum(
                Path(name).stat().st_size
                for name in (path, f"{path}-wal")
                if path and Path(name).exists()
            )
        query = sa.text(
            "SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
            "WHERE c.relname LIKE 'psdm_%' AND c.relkind = 'r'"
        )
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar() or 0)

    def counts(self) -> dict[str, int]:
        """Deliveries recorded, by state."""
        query = sa.select(inbox.c.state, sa.func.count()).group_by(inbox.c.state)
        with self.engine.connect() as conn:
            return {state: count for state, count in conn.execute(query)}

    def checkpoint(self) -> None:
        """Fold the SQLite WAL into the database, off the commit path (see _sqlite_pragmas)."""
        if self.is_sqlite:
            with self.engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")

    def ping(self) -> None:
        with self.engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))

    def save_engagement(self, engagement: Engagement) -> None:
        """Remember which playbook and variables scaffolded a project (first record wins)."""
        with self.engine.begin() as conn:
            conn.execute(self._insert(engagements), [_engagement_row(engagement)])

    def replace_engagement(self, engagement: Engagement) -> None:
        """Record a project's playbook and variables anew (`/psdm apply`, `/psdm wave add`)."""
        with self.engine.begin() as conn:
            conn.execute(
                engagements.delete().where(engagements.c.project_id == engagement.project_id)
            )
            conn.execute(engagements.insert(), [_engagement_row(engagement)])

    def engagement(self, project_id: int) -> Engagement | None:
        query = sa.select(engagements).where(engagements.c.project_id == project_id)
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        return None if row is None else _engagement_of(row)

    def all_engagements(self) -> list[Engagement]:
        """Every recorded engagement, by project id."""
        query = sa.select(engagements).order_by(engagements.c.project_id)
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return [_engagement_of(row) for row in rows]

    def close(self) -> None:
        with self._held_lock:
            for held in self._held:
                with suppress(Exception):
                    held.close()
            self._held.clear()
        self.engine.dispose()


def _create_tables(engine: sa.Engine, attempts: int = 3) -> None:
    """Create our tables; another instance creating them at the same moment is no error."""
    for attempt in range(attempts):
        try:
            metadata.create_all(engine)
            return
        except (sa.exc.IntegrityError, sa.exc.ProgrammingError, sa.exc.OperationalError):
            if attempt == attempts - 1:
                raise
            time.sleep(0.2)


def private_file(path: Path) -> None:
    """Create the file readable by its owner only (0600), and make an existing one so.

    The inbox holds payloads of confidential issues and comments. SQLite creates its `-wal`
    and `-shm` files with the database file's mode, so they follow.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    for companion in (path, Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}-journal")):
        if companion.exists():
            os.chmod(companion, 0o600)


def _add_columns(engine: sa.Engine) -> None:
    """Give an inbox created by an earlier release the columns added since."""
    present = {column["name"] for column in sa.inspect(engine).get_columns(inbox.name)}
    for name in _ADDED_COLUMNS:
        if name not in present:
            column = inbox.c[name]
            kind = column.type.compile(dialect=engine.dialect)
            with engine.begin() as conn:
                conn.exec_driver_sql(f"ALTER TABLE {inbox.name} ADD COLUMN {name} {kind}")


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    # A commit that crosses the WAL size limit would checkpoint inline and stall every request
    # of its batch; the dispatcher checkpoints once a second instead.
    cursor.execute("PRAGMA wal_autocheckpoint=0")
    # After a checkpoint the WAL file is cut back to this size, so a burst of large bodies
    # does not leave hundreds of megabytes behind (issue 23, item 6).
    cursor.execute("PRAGMA journal_size_limit=16777216")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _engagement_of(row: sa.Row[Any]) -> Engagement:
    return Engagement(row.project_id, row.project_path, row.playbook, json.loads(row.variables))


def _engagement_row(engagement: Engagement) -> dict[str, object]:
    return {
        "project_id": engagement.project_id,
        "project_path": engagement.project_path,
        "playbook": engagement.playbook,
        "variables": json.dumps(engagement.variables, sort_keys=True),
        "recorded_at": time.time(),
    }
