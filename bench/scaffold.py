"""Scaffold one tool-adoption engagement in the sandbox with 50 ms added to every request.

Prints, per tier (Free, Premium, Ultimate), what the bot's apply costs (objects created, API
requests, wall time), what a plain sequential python-gitlab script creating the same objects
costs, and the requests of a second, no-op apply. Requests are set against the writes any
client needs plus one read per declared kind and the project (`needed_writes`).

Wall time is set against two floors at the added latency: the plain concurrency floor
(requests x latency / concurrency) and the dependency-graph floor (the reads the plan needs,
one after another, then the writes: the longer of their critical path and their count /
concurrency). The stand-in's own cost is shown beside them: trivial reads sent the same way,
`concurrency` at a time, against the plain floor of their number (the best any client reaches
on this machine).

For comparison with other tools on the same input, the labels and milestones of the playbook
alone are applied into a fresh project, and then applied again (a no-op): their requests.

With `--rate-limits gitlab.com` the sandbox enforces GitLab.com's per-user limits; the bench
counts the 429s the scaffolds provoked, applies through forced 429s and counts duplicates, and
runs a burst of engagements at once: in this process (every worker shares the token's one
client), or with `--through-service` through `psdm-bot serve` (projects created at once in
groups whose hooks point at the service, each scaffolded from its creation webhook).
Run: `python bench/scaffold.py [--tier all] [--rate-limits gitlab.com] [--burst 20]
[--through-service [--instances 2]] [--burst-only]`."""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import gitlab
import requests

from bot.engine.apply import DEFAULT_CONCURRENCY, apply, critical_path
from bot.engine.diff import declared, diff
from bot.engine.marker import parse
from bot.gitlab import connect
from bot.gitlab.connection import forget
from bot.gitlab.limits import Limits
from bot.playbook import load_playbook, render
from bot.playbook.blueprint import Blueprint
from bot.service.threaded import run_in_thread
from gitlab_sandbox import create_app

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.service.harness import (  # noqa: E402  (the service tests' harness, reused)
    ServiceProcess,
    create_projects_at_once,
    expected_blueprint,
    hooked_groups,
    wait_for,
)

TOKEN = "bench-root-token"
SAMPLE = {"customer": "Acme Corp", "start_date": "2026-01-06"}
TOPIC = "psdm::tool-adoption"


@dataclass
class Run:
    objects: int
    requests: int
    seconds: float
    issue_creations: int = 0
    capability_reads: int = 0
    """GET /metadata and /license: what the instance is, read once per instance and kept."""
    reads: int = 0
    """GETs and GraphQL queries (the rest are writes)."""
    stand_in: float = 0.0
    """Trivial reads sent the same way just before, against their plain floor."""
    chain: int = 0
    """The writes' critical path, in requests (`bot.engine.apply.critical_path`)."""


class Sandbox:
    """The sandbox served on loopback, driven through its /-/sandbox controls."""

    def __init__(self, tier: str, rate_limits: str | None = None) -> None:
        self.server = run_in_thread(
            create_app(tier=tier, admin_token=TOKEN, rate_limits=rate_limits)
        )
        self.url = self.server.url
        self.http = requests.Session()
        self.http.headers["PRIVATE-TOKEN"] = TOKEN
        self.gl = gitlab.Gitlab(self.url, private_token=TOKEN)
        self.tier = tier
        self.rate_limits = rate_limits

    def control(self, method: str, name: str, body: dict[str, Any] | None = None) -> Any:
        response = self.http.request(method, f"{self.url}/-/sandbox/{name}", json=body)
        response.raise_for_status()
        return response.json() if response.content else None

    def reads_since_clear(self) -> int:
        """GETs and GraphQL queries since the last clear (controls excluded)."""
        stats = self.control("GET", "stats")
        gets = sum(
            n
            for route, n in stats["routes"].items()
            if route.startswith("GET") and "/-/sandbox" not in route
        )
        return gets + stats["graphql"]["query"]

    def requests_since_clear(self) -> tuple[int, int]:
        """API requests (controls excluded) and issue or work-item creations since the last
        clear (every GraphQL mutation of a fresh apply is a workItemCreate)."""
        stats = self.control("GET", "stats")
        routes = stats["routes"]
        total = sum(n for route, n in routes.items() if "/-/sandbox" not in route)
        issues = sum(
            n
            for route, n in routes.items()
            if route.startswith("POST") and route.endswith("/issues")
        )
        return total, issues + stats["graphql"]["mutation"]

    def project(self, group: str) -> str:
        created = self.gl.groups.create({"name": group, "path": group})
        self.gl.projects.create(
            {"name": "delivery", "path": "delivery", "namespace_id": created.id}
        )
        return f"{group}/delivery"

    def seed(self, spec: dict[str, Any]) -> Any:
        return self.control("POST", "seed", spec)

    def throttled(self) -> int:
        """429s the sandbox answered because a GitLab.com limit was reached."""
        limits = self.control("GET", "stats").get("rate_limits") or {}
        return sum((limits.get("throttled") or {}).values())

    def stop(self) -> None:
        forget(self.url)
        self.server.stop()


def bot_apply(sandbox: Sandbox, path: str, blueprint: Blueprint, concurrency: int) -> Run:
    sandbox.control("DELETE", "stats")
    started = time.perf_counter()
    limits = Limits.gitlab_com() if sandbox.rate_limits else None
    port = connect(sandbox.url, TOKEN, path, concurrency=concurrency, limits=limits)
    plan = diff(blueprint, port.read_live(blueprint))
    result = apply(plan, port, concurrency=concurrency)
    seconds = time.perf_counter() - started
    assert result.ok, result.failed[:3]
    total, issues = sandbox.requests_since_clear()
    routes = sandbox.control("GET", "stats")["routes"]
    capability = routes.get("GET /api/v4/metadata", 0) + routes.get("GET /api/v4/license", 0)
    pending = [op for op in plan.operations if op.pending]
    return Run(
        len(pending),
        total,
        seconds,
        issues,
        capability,
        reads=sandbox.reads_since_clear(),
        chain=critical_path(pending),
    )


def sequential_script(sandbox: Sandbox, path: str, blueprint: Blueprint) -> Run:
    """What a PS engineer would write: one python-gitlab call after another, legacy epics."""
    sandbox.control("DELETE", "stats")
    started = time.perf_counter()
    gl = gitlab.Gitlab(sandbox.url, private_token=TOKEN)
    project = gl.projects.get(path)
    group = gl.groups.get(project.namespace["id"])
    tier = sandbox.control("GET", "stats")["tier"]
    premium = tier != "free"
    labels = {}
    for label in blueprint.labels:
        owner = group if premium else project
        made = owner.labels.create(
            {"name": label.name, "color": label.color, "description": label.description}
        )
        labels[label.name] = made.id
    milestones = {}
    for timebox in blueprint.timeboxes:
        data = {"title": timebox.title, "description": timebox.description}
        if timebox.start_date:
            data["start_date"] = timebox.start_date.isoformat()
        if timebox.due_date:
            data["due_date"] = timebox.due_date.isoformat()
        milestones[timebox.key] = project.milestones.create(data).id
    epics: dict[str, Any] = {}
    for epic in sorted(blueprint.epics, key=lambda e: e.parent is not None):
        data = {
            "title": epic.title,
            "description": epic.description,
            "labels": ",".join(epic.labels),
        }
        if premium:
            if epic.parent and tier == "ultimate":  # Premium has no parent epics
                data["parent_id"] = epics[epic.parent].id
            epics[epic.key] = group.epics.create(data)
        else:
            epics[epic.key] = project.issues.create(data)
            if epic.parent:
                epics[epic.key].links.create(
                    {"target_project_id": project.id, "target_issue_iid": epics[epic.parent].iid}
                )
    for issue in blueprint.issues:
        data = {
            "title": issue.title,
            "description": issue.description,
            "labels": ",".join(issue.labels),
            "confidential": issue.confidential,
        }
        if issue.milestone:
            data["milestone_id"] = milestones[issue.milestone]
        if premium and issue.weight is not None:
            data["weight"] = issue.weight
        if premium and issue.epic:
            data["epic_id"] = epics[issue.epic].id
        made = project.issues.create(data)
        if not premium and issue.epic:
            made.links.create(
                {"target_project_id": project.id, "target_issue_iid": epics[issue.epic].iid}
            )
    for board in blueprint.boards:
        made = project.boards.create({"name": board.name})
        if premium and board.labels:
            project.boards.update(made.id, {"labels": ",".join(board.labels)})
        for name in board.lists:
            made.lists.create({"label_id": labels[name]})
    seconds = time.perf_counter() - started
    total, issues = sandbox.requests_since_clear()
    return Run(len(list(blueprint.objects())), total, seconds, issues)


def noop_requests(sandbox: Sandbox, path: str, blueprint: Blueprint) -> tuple[int, bool]:
    sandbox.control("DELETE", "stats")
    port = connect(sandbox.url, TOKEN, path)
    plan = diff(blueprint, port.read_live(blueprint))
    apply(plan, port)
    return sandbox.requests_since_clear()[0], plan.pending


def labels_and_milestones(blueprint: Blueprint) -> Blueprint:
    """The playbook's labels and milestones alone: the input other configuration tools take."""
    return replace(blueprint, epics=(), issues=(), boards=())


@dataclass
class Small:
    """A labels-and-milestones plan applied into a fresh project, then applied again."""

    labels: int
    milestones: int
    apply: int
    apply_reads: int
    noop: int
    noop_routes: dict[str, int]
    seconds: float


def small_plan(sandbox: Sandbox, blueprint: Blueprint, concurrency: int) -> Small:
    small = labels_and_milestones(blueprint)
    path = sandbox.project("acme-small")
    run = bot_apply(sandbox, path, small, concurrency)
    noop, pending = noop_requests(sandbox, path, small)
    assert not pending
    routes = sandbox.control("GET", "stats")["routes"]
    return Small(
        len(small.labels),
        len(small.timeboxes),
        run.requests,
        run.reads,
        noop,
        {route: n for route, n in routes.items() if "/-/sandbox" not in route},
        run.seconds,
    )


def graph_floor(
    run: Run, tier: str, blueprint: Blueprint, latency: float, concurrency: int
) -> float:
    """The dependency-graph floor of an apply: its reads one after another, then its writes,
    the longer of their critical path and their number / concurrency, at `latency` each."""
    made = run.requests - run.reads
    chain = read_chain(tier, blueprint, run.capability_reads)
    return (chain + max(run.chain, made / concurrency)) * latency


def calibrated_apply(sandbox: Sandbox, path: str, blueprint: Blueprint, concurrency: int) -> Run:
    """An apply, preceded by the stand-in's own floor at that moment (the machine's load
    changes from one minute to the next; each apply is set against its own)."""
    factor = stand_in_floor(sandbox, path, 180, concurrency)
    return replace(bot_apply(sandbox, path, blueprint, concurrency), stand_in=factor)


def read_chain(tier: str, blueprint: Blueprint, capability_reads: int) -> int:
    """The longest run of reads one after another before the plan can be made: the project,
    every list beside it, and beside them what the instance is (when not known yet: `/metadata`
    then `/license`); then the epics, which need the project's group and the tier. With the
    tier known, group work-item epics are asked for beside the project too (under the group
    the project's path names); on Free they are issues, whose links are read after the list."""
    first = max(1, capability_reads)
    if not blueprint.epics:
        return first
    if tier != "free" and capability_reads == 0:
        return 1
    return first + 1


def stand_in_floor(sandbox: Sandbox, path: str, count: int, concurrency: int) -> float:
    """`count` trivial reads through the bot's client, `concurrency` at a time: their wall
    time against their plain floor (what the stand-in and this machine allow any client)."""
    port = connect(sandbox.url, TOKEN, path, concurrency=concurrency)
    port.load()
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(lambda _: port.rest.http_get("/version"), range(count)))
    seconds = time.perf_counter() - started
    latency = sum(r.get("latency_ms", 0) for r in sandbox.control("GET", "faults")) / 1000
    return seconds / (count * latency / concurrency)


def needed_writes(blueprint: Blueprint, tier: str) -> dict[str, int]:
    """The writes any client needs to build the blueprint on this tier, one per thing GitLab
    stores: each blueprint object; each board list (`GL:doc/api/boards.md`: a list is created
    on its own, one label per request); each board scoped to labels on Premium and Ultimate (a
    board is created with a name only, its scope is an update); on Premium the scoped
    engagement label that ties the top-level epics of an engagement together. On Free an
    issue's linked item is written with the issue (GitLab 17.4 and later), so costs nothing."""
    return {
        "blueprint object": len(list(blueprint.objects())),
        "board list": sum(len(board.lists) for board in blueprint.boards),
        "board scope": sum(1 for b in blueprint.boards if b.labels) if tier != "free" else 0,
        "engagement label": 1 if tier == "premium" else 0,
    }


def burst(sandbox: Sandbox, blueprint: Blueprint, count: int, concurrency: int) -> tuple[int, int]:
    """`count` engagements scaffolded at once in one process; (429s provoked, duplicates)."""
    from concurrent.futures import ThreadPoolExecutor

    paths = [sandbox.project(f"burst-{n}") for n in range(count)]
    before = sandbox.throttled()
    with ThreadPoolExecutor(max_workers=count) as pool:
        runs = list(pool.map(lambda p: bot_apply(sandbox, p, blueprint, concurrency), paths))
    assert all(run.objects for run in runs)
    return sandbox.throttled() - before, sum(duplicates(sandbox, path) for path in paths)


def duplicates(sandbox: Sandbox, path: str) -> int:
    """Objects of the engagement that exist more than once: issues, milestones, boards and the
    group's labels and epics by title, and issues and epics by their marker's key."""
    project = sandbox.gl.projects.get(path)
    group = sandbox.gl.groups.get(project.namespace["id"])
    issues = project.issues.list(get_all=True, state="all")
    epics = group.epics.list(get_all=True) if sandbox.tier != "free" else []
    extra = 0
    for titles in (
        [i.title for i in issues],
        [m.title for m in project.milestones.list(get_all=True)],
        [b.name for b in project.boards.list(get_all=True)],
        [label.name for label in group.labels.list(get_all=True)]
        + [
            label.name for label in project.labels.list(get_all=True, include_ancestor_groups=False)
        ],
        [e.title for e in epics],
    ):
        extra += len(titles) - len(set(titles))
    keys = [m.key for m in (parse(o.description)[1] for o in [*issues, *epics]) if m]
    return extra + len(keys) - len(set(keys))


@dataclass
class ServiceBurst:
    engagements: int
    seconds: float
    requests: int
    issue_creations: int
    created: int
    """Issues and epics that exist afterwards (the creations GitLab counted)."""
    statuses: dict[str, int]
    throttled: int
    answered_429: int
    duplicates: int
    peak_sliding: int
    peak_fixed: int
    instances: int = 1


def complete(sandbox: Sandbox, path: str) -> bool:
    """The engagement's no-op plan is empty (read as root, a budget apart from the bot's)."""
    blueprint = expected_blueprint(sandbox.gl, path)
    port = connect(sandbox.url, TOKEN, path)
    return not diff(blueprint, port.read_live(blueprint)).pending


def issue_count(sandbox: Sandbox, path: str) -> int:
    answer = sandbox.http.get(
        f"{sandbox.url}/api/v4/projects/{path.replace('/', '%2F')}/issues",
        params={"per_page": 1, "state": "all"},
    )
    return int(answer.headers.get("X-Total", 0))


def peaks(moments: list[datetime]) -> tuple[int, int]:
    """Most creations in any 60 seconds, and in one minute of the clock (GitLab's windows)."""
    times = sorted(m.timestamp() for m in moments)
    sliding, first = 0, 0
    for last, moment in enumerate(times):
        while moment - times[first] >= 60:
            first += 1
        sliding = max(sliding, last - first + 1)
    fixed = max(Counter(int(t // 60) for t in times).values(), default=0)
    return sliding, fixed


@contextmanager
def fresh_postgres() -> Iterator[str]:
    """A database of its own on the PostgreSQL server at 127.0.0.1:5432, dropped afterwards."""
    import psycopg

    name = f"psdm_bench_{uuid.uuid4().hex[:10]}"
    admin_url = "postgresql://postgres@127.0.0.1:5432/postgres"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def service_burst(sandbox: Sandbox, count: int, topic: str, instances: int = 1) -> ServiceBurst:
    """`count` projects created at once in groups whose hooks point at `psdm-bot serve`; the
    service scaffolds each from its creation webhook, with its own token and database. With
    two instances or more they share one PostgreSQL database (and so one pacing budget), each
    group's hook pointing at one of them in turn."""
    with ExitStack() as stack:
        workdir = stack.enter_context(tempfile.TemporaryDirectory(prefix="psdm-burst-"))
        database = (
            stack.enter_context(fresh_postgres())
            if instances > 1
            else f"sqlite:///{workdir}/psdm.sqlite"
        )
        services = [
            ServiceProcess(
                sandbox.url,
                database,
                Path(workdir),
                f"bench-burst-{node}",
                extra_env={"PSDM_RATE_LIMITS": "gitlab.com"},
            )
            for node in range(instances)
        ]
        names = [f"customer-{n}" for n in range(count)]
        groups: dict[str, int] = {}
        for node, service in enumerate(services):
            mine = names[node::instances]
            groups.update(hooked_groups(sandbox, sandbox.gl, service.hook_url, mine))
        for service in services:
            service.start()
        try:
            sandbox.control("DELETE", "stats")
            before = sandbox.throttled()
            started = time.perf_counter()
            paths = create_projects_at_once(sandbox.url, TOKEN, groups, topic)
            wanted = {path: len(expected_blueprint(sandbox.gl, path).issues) for path in paths}
            waiting = set(paths)
            finished = started
            while waiting:
                done = {path for path in waiting if issue_count(sandbox, path) >= wanted[path]}
                if done:
                    finished = time.perf_counter()
                    print(
                        f"  {len(paths) - len(waiting) + len(done)}/{len(paths)} scaffolded"
                        f" after {finished - started:.0f} s",
                        flush=True,
                    )
                waiting -= done
                time.sleep(2)
            assert wait_for(lambda: all(complete(sandbox, path) for path in paths), timeout=120)
            stats = sandbox.control("GET", "stats")
            routes = stats["routes"]
            rest = sum(n for r, n in routes.items() if r == "POST /api/v4/projects/{id}/issues")
            moments = [
                datetime.fromisoformat(item.created_at)
                for path in paths
                for item in [
                    *sandbox.gl.projects.get(path).issues.list(get_all=True, state="all"),
                    *(
                        sandbox.gl.groups.get(path.split("/")[0]).epics.list(get_all=True)
                        if sandbox.tier != "free"
                        else []
                    ),
                ]
            ]
            sliding, fixed = peaks(moments)
            return ServiceBurst(
                engagements=count,
                seconds=finished - started,
                requests=int(sum(s.metric("psdm_gitlab_requests_total") for s in services)),
                issue_creations=rest + stats["graphql"]["mutation"],
                created=len(moments),
                statuses=stats["statuses"],
                throttled=sandbox.throttled() - before,
                answered_429=int(
                    sum(s.metric('psdm_gitlab_requests_total{status="429"}') for s in services)
                ),
                duplicates=sum(duplicates(sandbox, path) for path in paths),
                peak_sliding=sliding,
                peak_fixed=fixed,
                instances=instances,
            )
        finally:
            for service in services:
                service.stop()


def service_burst_lines(run: ServiceBurst) -> list[str]:
    minutes = run.seconds / 60
    return [
        f"  a burst of {run.engagements} engagements through the service (project-created"
        f" webhooks, {run.instances} instance{'s' * (run.instances != 1)}"
        f"{' sharing one PostgreSQL database' if run.instances > 1 else ', SQLite'}):"
        f" {run.seconds:.0f} s wall time",
        f"    GitLab requests by the service: {run.requests} ({run.requests / run.engagements:.0f}"
        f" per engagement); issues and epics created: {run.created}"
        f" ({run.created / minutes:.0f} a minute on average) by {run.issue_creations} issue"
        " POSTs and GraphQL mutations",
        f"    sandbox answers by status: {run.statuses}",
        f"    issue creations at the peak: {run.peak_sliding} in any 60 s, {run.peak_fixed} in one"
        " clock minute (GitLab.com: 200 a minute)",
        f"    429s the sandbox answered: {run.throttled}; 429s the service saw:"
        f" {run.answered_429}; duplicates: {run.duplicates}",
    ]


def forced_429(sandbox: Sandbox, blueprint: Blueprint, concurrency: int) -> int:
    """An apply through a burst of 429s on issue creation; the duplicates it left."""
    path = sandbox.project("forced-429")
    sandbox.control(
        "POST",
        "faults",
        {"route": "*/issues", "method": "POST", "status": 429, "burst": 5, "retry_after": 1},
    )
    bot_apply(sandbox, path, blueprint, concurrency)
    sandbox.control("DELETE", "faults")
    return duplicates(sandbox, path)


def bench(
    tier: str,
    latency_ms: float,
    concurrency: int,
    blueprint: Blueprint,
    runs: int,
    rate_limits: str | None = None,
    burst_size: int = 0,
    through_service: bool = False,
    instances: int = 1,
) -> None:
    sandbox = Sandbox(tier, rate_limits)
    try:
        paths = [sandbox.project(f"acme-{n}") for n in range(runs)]
        script_path = sandbox.project("acme-script")
        sandbox.control("POST", "faults", {"route": "*", "latency_ms": latency_ms})
        applies = sorted(
            (calibrated_apply(sandbox, path, blueprint, concurrency) for path in paths),
            key=lambda run: run.seconds,
        )
        ours = applies[len(applies) // 2]
        throttled = sandbox.throttled() if rate_limits else 0  # the bot's scaffolds only
        noop, pending = noop_requests(sandbox, paths[0], blueprint)
        small = small_plan(sandbox, blueprint, concurrency)
        script = sequential_script(sandbox, script_path, blueprint)
        limited = []
        if rate_limits:
            sandbox.control("DELETE", "faults")
            forced = forced_429(sandbox, blueprint, concurrency)
            limited = [f"  rate limits {rate_limits}: 429s provoked by the scaffolds: {throttled}"]
            if burst_size and through_service:
                print(f"{tier}: {burst_size} projects created at once, scaffolded by the service")
                run = service_burst(sandbox, burst_size, TOPIC, instances)
                limited += service_burst_lines(run)
            elif burst_size:
                crowd, dupes = burst(sandbox, blueprint, burst_size, concurrency)
                limited.append(
                    f"  a burst of {burst_size} engagements at once in this process: {crowd} 429s"
                    f" provoked, {dupes} duplicates"
                )
            limited.append(f"  forced 429s on issue creation, waited out: {forced} duplicates")
    finally:
        sandbox.stop()
    writes = needed_writes(blueprint, tier)
    needed = sum(writes.values())
    kinds = len(declared(blueprint)) + 1  # one read per declared kind, and the project
    parts = " + ".join(f"{n} {what}{'s' * (n != 1)}" for what, n in writes.items() if n)
    epics = {
        "free": "epics as parent issues",
        "premium": "epics as work items, no parent epics",
        "ultimate": "epics as work items, nested",
    }[tier]
    latency = latency_ms / 1000
    plain = ours.requests * latency / concurrency
    reads_first = read_chain(tier, blueprint, ours.capability_reads)
    made = ours.requests - ours.reads
    graph = graph_floor(ours, tier, blueprint, latency, concurrency)
    first = next((run for run in applies if run.capability_reads), None)

    def normalised(run: Run) -> float:
        floor = graph_floor(run, tier, blueprint, latency, concurrency)
        return run.seconds / (floor * run.stand_in)

    lines = [
        f"{tier} ({epics}), {latency_ms:g} ms added per request, concurrency {concurrency}",
        f"  {'':28}{'objects':>9}{'requests':>10}{'wall s':>9}",
        f"  {'psdm-bot apply':28}{ours.objects:>9}{ours.requests:>10}{ours.seconds:>9.2f}"
        f"   (median of {runs})",
        f"  {'sequential python-gitlab':28}{script.objects:>9}{script.requests:>10}"
        f"{script.seconds:>9.2f}",
        f"  apply: {ours.requests} requests = {made} writes + {ours.reads} reads; against the"
        f" writes GitLab needs + one read per declared kind and the project ({needed} + {kinds}):"
        f" {ours.requests / (needed + kinds):.2f}   (target <= 1.00)",
        f"    writes GitLab needs: {parts} = {needed}",
        "    capability reads (/metadata, /license), once per instance and kept: "
        + (
            f"{first.capability_reads} in the first apply of the run ({first.requests} requests),"
            f" {ours.capability_reads} in this one"
            if first
            else "none (no planned object depends on the tier)"
        ),
        f"  second apply (no-op): {noop} requests (target <= {kinds}), changes pending: {pending}",
        f"  labels and milestones alone ({small.labels} labels, {small.milestones} milestones),"
        f" fresh project: apply {small.apply} requests ({small.apply - small.apply_reads} writes"
        f" + {small.apply_reads} reads), no-op apply {small.noop} requests (target <= 3):"
        f" {', '.join(f'{route} x{n}' for route, n in small.noop_routes.items())}",
        f"  wall time / sequential: {ours.seconds / script.seconds:.2f}   (target <= 0.20)",
        f"  floors at {latency_ms:g} ms a request, concurrency {concurrency}:",
        f"    plain concurrency floor: {ours.requests} x {latency_ms:g} ms / {concurrency} ="
        f" {plain:.2f} s; wall / floor {ours.seconds / plain:.2f}   (target <= 1.3)",
        f"    dependency-graph floor: {reads_first} read{'s' * (reads_first != 1)} one after"
        " another, then the"
        f" {made} writes: the longer of their critical path ({ours.chain} requests) and"
        f" {made} / {concurrency} = {graph:.2f} s; wall / floor {ours.seconds / graph:.2f}"
        "   (target <= 1.2)",
        f"    the stand-in on this machine, just before each apply: 180 trivial reads,"
        f" {concurrency} at a time, took {', '.join(f'{r.stand_in:.2f}' for r in applies)} x"
        " their plain floor (no client can do better here)",
        f"    so against what this machine allowed, per apply: wall / (graph floor x that)"
        f" {', '.join(f'{normalised(r):.2f}' for r in applies)}",
        f"  whole apply: {ours.requests} requests, {ours.issue_creations} issue and work-item"
        " creations (GitLab.com allows 2,000 requests and 200 issues a minute)",
        *limited,
    ]
    print("\n" + "\n".join(lines))


def burst_only(args: argparse.Namespace) -> None:
    """Only the burst of engagements, under GitLab.com's limits."""
    tier = "premium" if args.tier == "all" else args.tier
    sandbox = Sandbox(tier, "gitlab.com")
    try:
        if args.through_service:
            print(f"{tier}: {args.burst} projects created at once, scaffolded by the service")
            lines = service_burst_lines(service_burst(sandbox, args.burst, TOPIC, args.instances))
        else:
            blueprint = render(load_playbook("tool-adoption"), SAMPLE)
            crowd, dupes = burst(sandbox, blueprint, args.burst, args.concurrency)
            lines = [f"  a burst of {args.burst} in this process: {crowd} 429s, {dupes} duplicates"]
    finally:
        sandbox.stop()
    print("\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--concurrency", type=int, default=DEFAULT_CONCURRENCY)
    parser.add_argument("--tier", choices=["free", "premium", "ultimate", "all"], default="all")
    parser.add_argument("--runs", type=int, default=3, help="applies to take the median of")
    parser.add_argument("--rate-limits", choices=["gitlab.com"], default=None)
    parser.add_argument("--burst", type=int, default=20, help="engagements at once (rate limits)")
    parser.add_argument(
        "--through-service",
        action="store_true",
        help="run the burst through `psdm-bot serve`: projects created, webhooks, the service",
    )
    parser.add_argument(
        "--instances",
        type=int,
        default=1,
        help="service instances for --through-service (2 or more share a PostgreSQL database)",
    )
    parser.add_argument(
        "--burst-only",
        action="store_true",
        help="skip the applies and the script: only the burst (with --rate-limits)",
    )
    args = parser.parse_args()
    if args.burst_only:
        burst_only(args)
        return
    blueprint = render(load_playbook("tool-adoption"), SAMPLE)
    print(f"tool-adoption for {SAMPLE['customer']}: {len(list(blueprint.objects()))} objects")
    tiers = ("free", "premium", "ultimate") if args.tier == "all" else (args.tier,)
    for tier in tiers:
        bench(
            tier,
            args.latency_ms,
            args.concurrency,
            blueprint,
            args.runs,
            args.rate_limits,
            args.burst,
            args.through_service,
            args.instances,
        )


if __name__ == "__main__":
    main()
