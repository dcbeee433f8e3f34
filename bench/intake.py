"""Webhook intake: acknowledged events per second and ack latency, then a burst with two kill -9s.

    python bench/intake.py [--seconds 10] [--burst 5000] [--database URL] [--rounds N]

Phase 1 drives POST /webhook with wrk (64 connections, unique deliveries) against three
servers, one after another, in one run: a no-op FastAPI endpoint (parse JSON, answer 202:
the ceiling), the service with events no handler wants (durably recorded as ignored), and
the service with events that each start a workflow. Phase 2 sends a burst of deliveries
(spread over 50 projects) with 64 concurrent clients, kills the service with SIGKILL twice and
restarts it; a delivery whose request failed is resent with the same Idempotency-Key, as a
GitLab admin would. At the end it counts, from the database, that every delivery was
recorded once and its effect happened once. The service runs as a subprocess
(`python bench/intake.py serve`) with a counting handler instead of GitLab work.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import sqlalchemy as sa
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.dialects import postgresql, sqlite

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SECRET = "bench-secret"
PROJECTS = 50
"""The burst spreads over this many projects; events of one project run one at a time."""
PAYLOAD = ROOT / "tests" / "payloads" / "issue-open.json"
NOTE = ROOT / "tests" / "payloads" / "note-issue.json"

WRK_SCRIPT = """
local counter = 0
local prefix = "%(prefix)s"
local template = [==[%(body)s]==]
function setup(thread)
  thread:set("id", tostring(math.random(1, 1000000000)))
end
function request()
  counter = counter + 1
  local key = prefix .. "-" .. id .. "-" .. counter
  local body = string.gsub(template, "__ID__", tostring(id) .. tostring(counter))
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["X-Gitlab-Token"] = "%(secret)s"
  wrk.headers["X-Gitlab-Event"] = "%(kind)s"
  wrk.headers["Idempotency-Key"] = key
  return wrk.format("POST", "/webhook", wrk.headers, body)
end
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -- the servers under test ----------------------------------------------------------------


def serve_counting(port: int, database_url: str, executor: str) -> None:
    """The service with a counting handler: every Issue Hook event is one durable effect."""
    from bot.config import Settings
    from bot.events.router import Router
    from bot.service.app import create_app
    from bot.service.durable import step
    from bot.service.serve import configure_logging

    configure_logging("warning")

    @dataclass(frozen=True)
    class Count:
        key: str

    router = Router()

    @router.register("Issue Hook")
    def count(event, context):
        yield Count(str(event.attributes.get("id")))

    def runners(settings, store):
        effects = sa.Table(
            "bench_effects",
            sa.MetaData(),
            sa.Column("key", sa.String(100), primary_key=True),
        )
        executions = sa.Table(
            "bench_executions",
            sa.MetaData(),
            sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("key", sa.String(100), nullable=False),
        )
        effects.create(store.engine, checkfirst=True)
        executions.create(store.engine, checkfirst=True)
        insert = sqlite.insert if store.is_sqlite else postgresql.insert

        def effect(key: str) -> str:
            with store.engine.begin() as conn:
                conn.execute(executions.insert(), [{"key": key}])
                conn.execute(insert(effects).on_conflict_do_nothing(), [{"key": key}])
            return key

        return {Count: lambda action, event: step("count", effect, action.key)}

    settings = Settings(
        webhook_secrets=[SECRET],
        database_url=database_url,
        gitlab_url="http://127.0.0.1:9",
        executor_id=executor,
        concurrency=16,
        queue_polling_seconds=0.05,
    )
    app = create_app(settings, router=router, runners=runners)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def serve_noop(port: int) -> None:
    app = FastAPI()

    @app.post("/webhook")
    async def webhook(request: Request) -> JSONResponse:
        json.loads(await request.body())
        return JSONResponse({"accepted": True}, status_code=202)

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


@dataclass
class Server:
    args: list[str]
    port: int
    log: Path
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Server:
        log = open(self.log, "ab")  # noqa: SIM115
        self.process = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), *self.args, "--port", str(self.port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=self.log.parent,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.post(f"{self.url}/webhook", content=b"{}", timeout=1).status_code in (
                    202,
                    401,
                ):
                    return self
            except httpx.HTTPError:
                time.sleep(0.05)
        raise RuntimeError(f"server {self.args} did not start; see {self.log}")

    def kill(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(30)


# -- phase 1: wrk -------------------------------------------------------------------------


@dataclass
class Load:
    rate: float
    p50_ms: float
    p99_ms: float
    errors: int
    server_p99_ms: float | None = None
    """The service's own ack time (request read to commit), p99 bucket bound from /metrics."""


def server_p99(url: str) -> float | None:
    """The smallest psdm_ack_seconds bucket holding 99% of the acknowledgements."""
    buckets = []
    for line in httpx.get(f"{url}/metrics", timeout=5).text.splitlines():
        found = re.match(r'psdm_ack_seconds_bucket\{le="([^"]+)"\} (\S+)', line)
        if found:
            buckets.append((float(found.group(1)), float(found.group(2))))
    if not buckets or not buckets[-1][1]:
        return None
    total = buckets[-1][1]
    return next(bound * 1000 for bound, count in buckets if count >= 0.99 * total)


def _ms(text: str) -> float:
    number, unit = re.match(r"([\d.]+)(\w+)", text).groups()  # type: ignore[union-attr]
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def wrk(url: str, seconds: int, kind: str, payload: Path, workdir: Path) -> Load:
    body = payload.read_text()
    data = json.loads(body)
    if "object_attributes" in data:
        data["object_attributes"]["id"] = "__ID__"
    template = json.dumps(data).replace('"__ID__"', "__ID__")
    script = workdir / f"wrk-{kind.replace(' ', '-')}.lua"
    script.write_text(
        WRK_SCRIPT
        % {"prefix": f"{time.time_ns()}", "body": template, "secret": SECRET, "kind": kind}
    )
    out = subprocess.run(
        ["wrk", "-t2", "-c64", f"-d{seconds}s", "--latency", "-s", str(script), url + "/webhook"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return Load(rate, p50, p99, int(errors.group(1)) if errors else 0)


# -- phase 2: the burst -------------------------------------------------------------------


def burst_id(run: int, n: int) -> int:
    """The n-th burst event's object id: 18 digits, the first six the run's (see counts).

    The load phases' ids have at most 16 digits, so no count mixes the two.
    """
    return run * 10**12 + n


async def burst(server: Server, total: int, kills: tuple[int, ...], run: int) -> dict[str, float]:
    template = json.loads(PAYLOAD.read_text())
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(total):
        queue.put_nowait(n)
    acked: set[int] = set()
    resent = 0
    pending_kills = list(kills)
    lock = asyncio.Lock()

    async def client(http: httpx.AsyncClient) -> None:
        nonlocal resent
        while True:
            try:
                n = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            body = json.loads(json.dumps(template))
            body["object_attributes"]["id"] = burst_id(run, n)
            body["project"]["id"] = 1 + n % PROJECTS
            headers = {
                "X-Gitlab-Token": SECRET,
                "X-Gitlab-Event": "Issue Hook",
                "Idempotency-Key": f"burst-{run}-{n}",
                "Content-Type": "application/json",
            }
            while True:
                try:
                    response = await http.post("/webhook", json=body, headers=headers)
                    if response.status_code == 202:
                        break
                except httpx.HTTPError:
                    pass
                resent += 1
                await asyncio.sleep(0.05)
            acked.add(n)
            async with lock:
                if pending_kills and len(acked) >= pending_kills[0]:
                    pending_kills.pop(0)
                    server.kill()
                    await asyncio.to_thread(server.start)

    started = time.perf_counter()
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as http:
        await asyncio.gather(*(client(http) for _ in range(64)))
    return {"acked": len(acked), "resent": resent, "seconds": time.perf_counter() - started}


def counts(database_url: str, run: int) -> dict[str, int]:
    """Rows of this run's burst only: the load phases and earlier runs share the database."""
    from bot.service.durable import system_database_url
    from bot.service.store import engine_url

    delivery = {"delivery": f"delivery:burst-{run}-%"}
    effect = {"effect": f"{run}{'_' * 12}"}  # burst_id: the run's six digits, then twelve
    engine = sa.create_engine(engine_url(database_url))
    with engine.connect() as conn:
        found = {
            "inbox": conn.scalar(
                sa.text("select count(*) from psdm_inbox where key like :delivery"), delivery
            ),
            "effects": conn.scalar(
                sa.text("select count(*) from bench_effects where key like :effect"), effect
            ),
            "executions": conn.scalar(
                sa.text("select count(*) from bench_executions where key like :effect"), effect
            ),
            "handled twice": conn.scalar(
                sa.text(
                    "select count(*) from (select key from bench_executions where key like "
                    ":effect group by key having count(*) > 1) twice"
                ),
                effect,
            ),
        }
    engine.dispose()
    system = sa.create_engine(engine_url(system_database_url(database_url)))
    table = "workflow_status" if database_url.startswith("sqlite") else "dbos.workflow_status"
    with system.connect() as conn:
        found["workflows done"] = conn.scalar(
            sa.text(
                f"select count(*) from {table} where status = 'SUCCESS' "
                "and workflow_uuid like :delivery"
            ),
            delivery,
        )
    system.dispose()
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", nargs="?", default="bench", choices=["bench", "serve", "noop"])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--burst", type=int, default=5000)
    parser.add_argument("--database", default="", help="default: a SQLite file in a temp dir")
    parser.add_argument("--executor", default="bench-node")
    parser.add_argument("--skip-load", action="store_true", help="only the burst")
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="measure the ceiling and the recorded service this many times, alternately, and "
        "report the median ratio (on a shared machine one pair can land on different loads)",
    )
    args = parser.parse_args()
    if args.mode == "serve":
        serve_counting(args.port, args.database, args.executor)
        return
    if args.mode == "noop":
        serve_noop(args.port)
        return
    if not args.skip_load and not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install -y wrk")
    workdir = Path(tempfile.mkdtemp(prefix="psdm-bench-"))
    print(f"workdir {workdir}; 2 cores shared; wrk -t2 -c64 -d{args.seconds}s")

    def service(name: str) -> Server:
        url = args.database or f"sqlite:///{workdir}/{name}/psdm.sqlite"
        (workdir / name).mkdir(exist_ok=True)
        return Server(["serve", "--database", url], free_port(), workdir / name / "serve.log")

    if not args.skip_load:

        def measure(server: Server, kind: str, payload: Path) -> Load:
            server.start()
            try:
                load = wrk(server.url, args.seconds, kind, payload, workdir)
                if server.args[0] == "serve":
                    load.server_p99_ms = server_p99(server.url)
                return load
            finally:
                server.stop()

        pairs: list[tuple[Load, Load]] = []
        for round_ in range(max(1, args.rounds)):
            ceiling = measure(
                Server(["noop"], free_port(), workdir / "noop.log"), "Issue Hook", PAYLOAD
            )
            only_recorded = measure(service(f"recorded-{round_}"), "Note Hook", NOTE)
            pairs.append((ceiling, only_recorded))
            if args.rounds > 1:
                print(
                    f"round {round_ + 1}: ceiling {ceiling.rate:.0f}/s p99 {ceiling.p99_ms:.0f} "
                    f"ms; recorded {only_recorded.rate:.0f}/s p99 {only_recorded.p99_ms:.0f} ms;"
                    f" ratio {only_recorded.rate / ceiling.rate:.2f}",
                    flush=True,
                )
        with_workflows = measure(service("handled"), "Issue Hook", PAYLOAD)

        print(
            f"{'receiver':<52} {'events/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8} "
            f"{'server p99 <=':>14}"
        )
        for name, load in (
            ("no-op FastAPI endpoint (the ceiling)", ceiling),
            ("service: durable record, no handler wants it", only_recorded),
            ("service: durable record, each starts a workflow", with_workflows),
        ):
            inside = f"{load.server_p99_ms:.0f} ms" if load.server_p99_ms else "-"
            print(
                f"{name:<52} {load.rate:>9.0f} {load.p50_ms:>8.1f} {load.p99_ms:>8.1f} "
                f"{load.errors:>8} {inside:>14}"
            )
        ratios = sorted(recorded.rate / top.rate for top, recorded in pairs)
        p99s = sorted(recorded.p99_ms / top.p99_ms for top, recorded in pairs)
        print(f"recorded/no-op ratio: {ratios[len(ratios) // 2]:.2f}", end="")
        if len(pairs) > 1:
            print(
                f" (median of {len(pairs)} alternate rounds, from {ratios[0]:.2f} to "
                f"{ratios[-1]:.2f}); recorded/no-op p99: {p99s[len(p99s) // 2]:.2f}",
                end="",
            )
        print()

    if args.burst <= 0:
        return
    database = args.database or f"sqlite:///{workdir}/burst/psdm.sqlite"
    (workdir / "burst").mkdir(exist_ok=True)
    server = Server(["serve", "--database", database], free_port(), workdir / "burst" / "serve.log")
    server.start()
    third = args.burst // 3
    run = random.randint(100_000, 999_999)
    try:
        outcome = asyncio.run(burst(server, args.burst, (third, 2 * third), run))
        print(
            f"burst: {outcome['acked']:.0f} deliveries acknowledged in "
            f"{outcome['seconds']:.1f}s with 2 kill -9 and restarts; "
            f"{outcome['resent']:.0f} requests resent"
        )
        started = time.monotonic()
        found = counts(database, run)
        while found["workflows done"] < args.burst and time.monotonic() - started < 900:
            time.sleep(2)
            found = counts(database, run)
        drained = time.monotonic() - started
    finally:
        server.stop()
    print(
        f"drained {drained:.0f}s after the burst: "
        + ", ".join(f"{k} {v}" for k, v in found.items())
    )
    exact = found["inbox"] == found["effects"] == found["workflows done"] == args.burst
    print("every event handled exactly once:", "yes" if exact else "NO")
    print(
        "step executions beyond one per event (at-least-once steps re-run after a kill): "
        f"{found['executions'] - found['effects']}"
    )


if __name__ == "__main__":
    main()
