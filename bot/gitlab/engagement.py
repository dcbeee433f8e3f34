"""One project as the domain sees it: the read model read in a handful of list calls, and the
writes effects need, through one connection shared by the reader, the engine and the writes.

Every write is a find-or-create or a compare-and-update, so a step that runs again after a
crash changes nothing twice; notes are found again by their marker among the bot's own notes
only (a note someone else wrote is never edited). Every request carries the event's
X-Gitlab-Event-UUID (set on the connection), so GitLab blocks webhook loops of our own writes.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, time
from functools import cached_property
from typing import Any

import gitlab
import httpx

from bot.clock import SYSTEM, Clock
from bot.domain.errors import NotPossible
from bot.domain.model import (
    Closer,
    DoraMetric,
    EpicMode,
    LiveEngagement,
    LiveEpic,
    LiveIssue,
    LiveLabel,
    LiveMilestone,
    LiveNote,
    ProjectFacts,
)
from bot.engine.marker import parse
from bot.engine.plan import Operation
from bot.gitlab.connection import Connection, open_connection
from bot.gitlab.kinds.milestones import milestone_path
from bot.gitlab.memory import MARGIN, Memory, Remembered
from bot.gitlab.notes import epic_note_once
from bot.gitlab.project import GitLabProject
from bot.gitlab.rest import create_once, enc, every
from bot.gitlab.timelogs import read_timelogs

MILESTONES, ISSUES, LABELS, DORA = "milestones", "issues", "labels", "dora"
TIMELOGS = "timelogs"
CLOSER = "closer:"
"""A part `closer:<iid>`: who last closed that issue, and their access level."""
EVERYTHING = frozenset({MILESTONES, ISSUES, LABELS, DORA, TIMELOGS})
DORA_DAYS = 90
DORA_METRICS = {
    # the total of successful deployments in the period, not a rate (GL:doc/api/dora/metrics.md)
    "deployment_frequency": f"deployments in {DORA_DAYS} days",
    "lead_time_for_changes": "seconds",
    "time_to_restore_service": "seconds",
    "change_failure_rate": "ratio",
}


def _day(value: object) -> date | None:
    return date.fromisoformat(str(value)[:10]) if value else None


def _key(description: object) -> str | None:
    marker = parse(description if isinstance(description, str) else None)[1]
    return marker.key if marker else None


def live_issue(data: Mapping[str, Any], epic: str | None = None) -> LiveIssue:
    """An issue as the REST API answers it, with the blueprint key its marker carries."""
    milestone = data.get("milestone") or {}
    found = data.get("epic") or {}
    return LiveIssue(
        iid=int(data["iid"]),
        title=str(data.get("title") or ""),
        state=str(data.get("state") or ""),
        labels=tuple(data.get("labels") or ()),
        weight=data.get("weight"),
        milestone_id=milestone.get("id"),
        key=_key(data.get("description")),
        description=data.get("description") or "",
        web_url=data.get("web_url"),
        epic=epic or (str(found["iid"]) if found.get("iid") else None),
        time_spent=int((data.get("time_stats") or {}).get("total_time_spent") or 0),
        assignees=tuple(str(a.get("username")) for a in data.get("assignees") or ()),
        due_date=_day(data.get("due_date")),
        confidential=bool(data.get("confidential")),
        closed_on=_day(data.get("closed_at")) if data.get("state") == "closed" else None,
    )


def live_milestone(data: Mapping[str, Any]) -> LiveMilestone:
    """A milestone as the REST API answers it, with the blueprint key its marker carries."""
    return LiveMilestone(
        id=int(data["id"]),
        title=str(data["title"]),
        state=str(data.get("state") or "active"),
        start_date=_day(data.get("start_date")),
        due_date=_day(data.get("due_date")),
        key=_key(data.get("description")),
        web_url=data.get("web_url"),
    )


def facts_of(info: Mapping[str, Any]) -> ProjectFacts:
    """What the playbook rules look at, from the project as the REST API answers it."""
    namespace = info.get("namespace") or {}
    return ProjectFacts(
        id=int(info["id"]),
        path_with_namespace=str(info["path_with_namespace"]),
        name=str(info.get("name") or info["path"]),
        topics=tuple(info.get("topics") or info.get("tag_list") or ()),
        created=_day(info.get("created_at")),
        web_url=str(info.get("web_url") or ""),
        group_id=namespace.get("id") if namespace.get("kind") == "group" else None,
    )


def read_engagement(
    port: GitLabProject, parts: Collection[str] = EVERYTHING, today: date | None = None
) -> LiveEngagement:
    """The read model of the port's project: the project (read once, kept by the port) and the
    lists asked for. Epics come with the issues, through the adapter's own epic store. `today`
    ends the DORA metrics' period (the system's date when not given)."""
    facts = facts_of(port.load())
    rest, pid = port.rest, facts.id
    milestones: tuple[LiveMilestone, ...] = ()
    found: list[dict[str, Any]] = []
    if MILESTONES in parts:
        found = every(rest, f"/projects/{pid}/milestones", include_ancestors=True)
        milestones = tuple(sorted((live_milestone(m) for m in found), key=lambda m: m.id))
    issues: tuple[LiveIssue, ...] = ()
    epics: tuple[LiveEpic, ...] = ()
    mode: EpicMode = "issues"
    raw: list[dict[str, Any]] = []
    if ISSUES in parts:
        raw = sorted(every(rest, f"/projects/{pid}/issues", state="all"), key=lambda i: i["iid"])
        store = port.locate_epics()
        epics = tuple(
            LiveEpic(o.ref, o.marker.key if o.marker else None, o.title, _labels(o.fields))
            for o in store.read(raw, None)
        )
        mode = store.mode
        left = _left_sprints(rest, pid, raw, found, port.conn.client.memory)
        issues = tuple(
            replace(live_issue(i, store.parent_of(i)), left_sprints=left.get(i["iid"], ()))
            for i in raw
        )
    labels = tuple(_labels_of(rest, pid)) if LABELS in parts else ()
    dora: tuple[DoraMetric, ...] | None = None
    note = ""
    if DORA in parts and not port.capabilities.dora:
        # Asking a lower tier only earns a 403 (GL:doc/api/dora/metrics.md: Ultimate only).
        tier = port.capabilities.tier.capitalize()
        note = f"unavailable: the DORA metrics API needs GitLab Ultimate (this is {tier})"
    elif DORA in parts:
        dora, note = _dora(rest, pid, today or SYSTEM.today())
    asked = [
        int(p[len(CLOSER) :]) for p in parts if p.startswith(CLOSER) and p[len(CLOSER) :].isdigit()
    ]
    closers = tuple(c for iid in asked if (c := closer_of(rest, pid, iid, issues)) is not None)
    timelogs = read_timelogs(port.conn, facts.path_with_namespace) if TIMELOGS in parts else None
    live = LiveEngagement(
        facts, milestones, issues, epics, mode, labels, dora, note, timelogs, closers
    )
    if ISSUES in parts:
        _remember(port, live, frozenset(parts), raw)
    return live


def closer_of(
    rest: gitlab.Gitlab, pid: int, iid: int, issues: Sequence[LiveIssue]
) -> Closer | None:
    """Who last closed the issue, by its resource state events (GitLab's record of "who did
    it, and when", `GL:doc/api/resource_state_events.md`), with their effective access level
    (`GL:doc/api/members.md`, `members/all`); None while the issue is open or no event says."""
    issue = next((i for i in issues if i.iid == iid), None)
    if issue is None or not issue.closed:
        return None
    events = every(rest, f"/projects/{pid}/issues/{iid}/resource_state_events")
    closes = [e for e in events if e.get("state") == "closed" and isinstance(e.get("user"), dict)]
    if not closes:
        return None
    last = max(closes, key=lambda e: (str(e.get("created_at") or ""), int(e.get("id") or 0)))
    user = last["user"]
    return Closer(
        iid,
        str(user.get("username") or ""),
        member_level(rest, pid, int(user.get("id") or 0)),
        _moment(last.get("created_at")),
    )


def member_level(rest: gitlab.Gitlab, pid: int, user_id: int) -> int:
    """The user's effective access level in the project, inherited membership included."""
    try:
        member = _json(rest.http_get(f"/projects/{pid}/members/all/{user_id}"))
    except gitlab.GitlabHttpError as error:
        if error.response_code == 404:
            return 0
        raise
    if member.get("state", "active") != "active":
        return 0
    return int(member.get("access_level") or 0)


def _remember(
    port: GitLabProject, live: LiveEngagement, parts: frozenset[str], raw: list[dict[str, Any]]
) -> None:
    stamps = {int(i["iid"]): str(i.get("updated_at")) for i in raw}
    latest = max((t for i in raw if (t := _moment(i.get("updated_at")))), default=None)
    # who closed an issue is asked for each time (never answered from memory)
    asked = {p for p in parts if p.startswith(CLOSER)}
    kept = Remembered(dict(port.info), live, parts - {DORA, TIMELOGS} - asked, stamps, latest)
    port.conn.client.memory.keep(port.path, kept)


def read_changed(
    port: GitLabProject, parts: Collection[str] = EVERYTHING, today: date | None = None
) -> LiveEngagement:
    """The periodic sweep's read: what the last read remembered, unless GitLab says something
    changed since. The labels are read every time (GitLab sends no event when one is deleted or
    renamed); the issues are asked for only as far as they changed since the latest change
    last seen (`updated_after`, `GL:doc/api/issues.md`), and read in full again only if one
    did. An engagement nothing happened to costs two requests; one this process has not read
    yet (or a read of milestones, DORA metrics or time logs) is read in full."""
    wanted = frozenset(parts)
    kept = port.conn.client.memory.project(port.path)
    full = {MILESTONES, DORA, TIMELOGS}
    if kept is None or wanted & full or not wanted - {LABELS} <= kept.parts:
        return read_engagement(port, wanted, today)
    port.info = port.info or dict(kept.info)
    if ISSUES in wanted and _issues_changed(port.rest, port.path, kept):
        return read_engagement(port, wanted, today)
    labels = tuple(_labels_of(port.rest, kept.live.project.id)) if LABELS in wanted else ()
    issues = ISSUES in wanted
    return LiveEngagement(
        kept.live.project,
        issues=kept.live.issues if issues else (),
        epics=kept.live.epics if issues else (),
        epic_mode=kept.live.epic_mode if issues else "issues",
        labels=labels,
    )


def _issues_changed(rest: gitlab.Gitlab, project: str, kept: Remembered) -> bool:
    """Whether an issue was created or changed since the last read: one request (per 100
    issues changed)."""
    query: dict[str, Any] = {"state": "all"}
    if kept.latest is not None:
        query["updated_after"] = (kept.latest - MARGIN).isoformat()
    changed = every(rest, f"/projects/{enc(project)}/issues", **query)
    return any(kept.issues.get(int(i["iid"])) != str(i.get("updated_at")) for i in changed)


def _moment(value: object) -> datetime | None:
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")) if value else None


def _closed_since(milestone: Mapping[str, Any]) -> datetime | None:
    """From when a closed milestone's issues were no longer its to lose: its due day, or the
    last change (its closing) when it was closed earlier. GitLab documents no `closed_at`."""
    due = _day(milestone.get("due_date"))
    times = [_moment(milestone.get("updated_at"))]
    if due is not None:
        times.append(datetime.combine(due, time(), tzinfo=UTC))
    known = [t for t in times if t is not None]
    return min(known) if known else None


def _left_sprints(
    rest: gitlab.Gitlab,
    pid: int,
    issues: Sequence[Mapping[str, Any]],
    milestones: Sequence[Mapping[str, Any]],
    memory: Memory | None = None,
) -> dict[int, tuple[int, ...]]:
    """The closed milestones each issue was moved out of after they closed, by issue iid.

    Milestone events (`GL:doc/api/resource_milestone_events.md`) are read only for issues that
    could have left one: they sit in a milestone starting after the first closed one, existed
    before the last close and changed after the first. An issue still in its closed sprint is
    counted there already. An issue's events are read again only once its `updated_at` moved
    (a change of milestone moves it), so repeated reads ask only about the issues that changed.
    """
    closed = {int(m["id"]): m for m in milestones if m.get("state") == "closed"}
    since = {mid: t for mid, m in closed.items() if (t := _closed_since(m)) is not None}
    if not since:
        return {}
    latest = max(since.values())
    # an issue moved out after a close was changed after it: the untouched rest (the later
    # sprints' ceremonies and plans, as scaffolded) is not asked about
    closes = [t for m in closed.values() if (t := _moment(m.get("updated_at"))) is not None]
    first_close = min(closes, default=None)
    earliest = min((d for m in closed.values() if (d := _day(m.get("start_date")))), default=None)
    starts = {int(m["id"]): _day(m.get("start_date")) for m in milestones}
    left: dict[int, tuple[int, ...]] = {}
    for issue in issues:
        current = (issue.get("milestone") or {}).get("id")
        born = _moment(issue.get("created_at"))
        if current not in starts or (born is not None and born > latest):
            continue
        changed = _moment(issue.get("updated_at"))
        if first_close is not None and changed is not None and changed < first_close:
            continue
        start = starts[current]
        if earliest is not None and start is not None and start <= earliest:
            continue
        events = _milestone_events(rest, pid, issue, memory)
        if events is None:  # no history to read: the sprint counts what it holds
            continue
        gone = []
        for event in events:
            mid = int((event.get("milestone") or {}).get("id") or 0)
            at, closing = _moment(event.get("created_at")), since.get(mid)
            if event.get("action") == "remove" and closing is not None and at and at >= closing:
                gone.append(mid)
        if gone:
            left[int(issue["iid"])] = tuple(sorted(set(gone)))
    return left


def _milestone_events(
    rest: gitlab.Gitlab, pid: int, issue: Mapping[str, Any], memory: Memory | None
) -> list[dict[str, Any]] | None:
    """The issue's resource milestone events, from memory while its `updated_at` holds."""
    iid, stamp = int(issue["iid"]), str(issue.get("updated_at"))
    kept = memory.milestone_events.get(str(pid), iid, stamp) if memory else None
    if kept is not None:
        return kept
    path = f"/projects/{pid}/issues/{iid}/resource_milestone_events"
    try:
        events = every(rest, path)
    except gitlab.GitlabHttpError:
        return None
    if memory is not None:
        memory.milestone_events.put(str(pid), iid, stamp, events)
    return events


def _json(answer: object) -> dict[str, Any]:
    if not isinstance(answer, dict):
        raise gitlab.GitlabParsingError(f"GitLab answered {type(answer).__name__}, not an object")
    return answer


def _labels(fields: Mapping[str, object]) -> tuple[str, ...]:
    found = fields.get("labels")
    return tuple(str(n) for n in found) if isinstance(found, Sequence) else ()


def _labels_of(rest: gitlab.Gitlab, pid: int) -> list[LiveLabel]:
    found = every(rest, f"/projects/{pid}/labels", include_ancestor_groups=True)
    return [
        LiveLabel(
            int(d["id"]),
            str(d["name"]),
            str(d.get("color") or ""),
            d.get("description") or "",
            bool(d.get("is_project_label", True)),
        )
        for d in found
    ]


def _dora(rest: gitlab.Gitlab, pid: int, today: date) -> tuple[tuple[DoraMetric, ...] | None, str]:
    """The four DORA metrics over the last 90 days, or None and why GitLab gave none.

    GL:doc/api/dora/metrics.md: Ultimate only; anything else answers 403 or 404.
    """
    found = []
    since = date.fromordinal(today.toordinal() - DORA_DAYS).isoformat()
    for metric, unit in DORA_METRICS.items():
        try:
            answer = rest.http_get(
                f"/projects/{pid}/dora/metrics",
                query_data={"metric": metric, "interval": "all", "start_date": since},
            )
        except gitlab.GitlabHttpError as error:
            if error.response_code in (401, 403, 404):
                return None, (
                    f"unavailable: GitLab answered {error.response_code} to the DORA metrics API "
                    "(it needs GitLab Ultimate and the Reporter role)"
                )
            raise
        found.append(DoraMetric(metric, dora_value(answer), unit))
    return tuple(found), f"GitLab DORA metrics API, last {DORA_DAYS} days, production environments"


def dora_value(answer: object) -> float | None:
    """`interval=all` answers one value, bare or as a one-item list of {date, value}."""
    if isinstance(answer, list):
        values = [item.get("value") for item in answer if isinstance(item, Mapping)]
        present = [v for v in values if v is not None]
        return float(present[-1]) if present else None
    if isinstance(answer, int | float):
        return float(answer)
    return None


class EngagementGitLab:
    """One project through one connection: read it, perform effects on it, reconcile it."""

    def __init__(
        self,
        url: str,
        token: str,
        project: int | str,
        *,
        event_uuid: str | None = None,
        on_response: Callable[[int], None] | None = None,
        connection: Connection | None = None,
        clock: Clock = SYSTEM,
        incremental: bool = False,
    ) -> None:
        self.connection = connection or open_connection(url, token, event_uuid=event_uuid)
        self.clock = clock
        """The date the engagement's decisions are taken on (real time but in tests and the
        demo, which may follow the stand-in's simulated date)."""
        self.incremental = incremental
        """Read as the periodic sweep does: only what changed since the last read
        (`read_changed`)."""
        self.port = GitLabProject(self.connection, str(project))
        kept = self.memory.project(self.port.path) if incremental else None
        if kept is not None:  # the project as last read: no request to learn its id and group
            self.port.info = dict(kept.info)
        if on_response:  # the client's one metrics hook (the session is shared)
            self.connection.client.observe(on_response)

    @property
    def rest(self) -> gitlab.Gitlab:
        return self.connection.rest

    @property
    def memory(self) -> Memory:
        return self.connection.client.memory

    def _get(self, path: str) -> dict[str, Any]:
        return _json(self.rest.http_get(path))

    def _put(self, path: str, data: Mapping[str, Any]) -> dict[str, Any]:
        return _json(self.rest.http_put(path, post_data=dict(data)))

    def _post(self, path: str, data: Mapping[str, Any]) -> dict[str, Any]:
        """A POST python-gitlab never retries blindly (the caller looks before retrying)."""
        return _json(self.rest.http_post(path, post_data=dict(data), retry_transient_errors=False))

    @property
    def project(self) -> int:
        return int(self.port.pid)

    @property
    def _base(self) -> str:
        return f"/projects/{self.project}"

    @cached_property
    def me(self) -> str:
        """The bot's own username (whose notes and awards are ours)."""
        return str(self._get("/user")["username"])

    # -- reading -------------------------------------------------------------------------------

    def read(self, parts: Collection[str] = EVERYTHING) -> LiveEngagement:
        if self.incremental:
            return read_changed(self.port, parts, self.clock.today())
        return read_engagement(self.port, parts, self.clock.today())

    def facts(self) -> ProjectFacts:
        return facts_of(self.port.load())

    def note(self, issue_iid: int, note_id: int) -> LiveNote | None:
        """The comment as GitLab holds it (GL:doc/api/notes.md), None when it is not there."""
        try:
            data = self._get(f"{self._base}/issues/{issue_iid}/notes/{note_id}")
        except gitlab.GitlabHttpError as error:
            if error.response_code == 404:
                return None
            raise
        author = data.get("author") or {}
        return LiveNote(
            id=int(data["id"]),
            author_id=int(author.get("id") or 0),
            author=str(author.get("username") or ""),
            body=str(data.get("body") or ""),
            internal=bool(data.get("internal") or data.get("confidential")),
            system=bool(data.get("system")),
        )

    def access_level(self, user_id: int) -> int:
        """The user's effective access level in the project, inherited membership included."""
        return member_level(self.rest, self.project, user_id)

    def issue(self, iid: int) -> LiveIssue:
        return live_issue(self._get(f"{self._base}/issues/{iid}"))

    def issue_by_key(self, key: str) -> LiveIssue | None:
        issues = every(self.rest, f"{self._base}/issues", state="all")
        return next((live_issue(i) for i in issues if _key(i.get("description")) == key), None)

    def milestone_by_key(self, key: str) -> LiveMilestone | None:
        found = every(self.rest, f"{self._base}/milestones", include_ancestors=True)
        return next((m for m in map(live_milestone, found) if m.key == key), None)

    # -- writing -------------------------------------------------------------------------------

    def user_ids(self, usernames: Sequence[str]) -> dict[str, int]:
        """The ids of the users GitLab knows by these usernames (`GET /users?username=`)."""
        found: dict[str, int] = {}
        for name in usernames:
            users = self.rest.http_list("/users", query_data={"username": name})
            match = next(
                (u for u in users if str(u.get("username", "")).lower() == name.lower()), None
            )
            if match is not None:
                found[name] = int(match["id"])
        return found

    def set_assignees(self, iid: int, add: Sequence[str], remove: Sequence[str]) -> bool:
        """Compare-and-update: the issue's assignees less `remove`, plus `add`; False when
        nothing had to change."""
        current = self._get(f"{self._base}/issues/{iid}").get("assignees") or []
        gone = {name.lower() for name in remove}
        kept = {
            str(a["username"]): int(a["id"])
            for a in current
            if str(a["username"]).lower() not in gone
        }
        wanted = [*kept, *(n for n in add if n not in kept)]
        if [str(a["username"]) for a in current] == wanted:
            return False
        ids = {**kept, **self.user_ids([n for n in add if n not in kept])}
        missing = [n for n in wanted if n not in ids]
        if missing:
            raise NotPossible(f"GitLab knows no user {', '.join('@' + n for n in missing)}")
        self._put(f"{self._base}/issues/{iid}", {"assignee_ids": [ids[n] for n in wanted]})
        return True

    def update_issue(self, iid: int, **fields: Any) -> LiveIssue:
        return live_issue(self._put(f"{self._base}/issues/{iid}", fields))

    def create_issue(
        self,
        title: str,
        description: str,
        labels: Sequence[str],
        key: str,
        *,
        assignees: Sequence[str] = (),
        due_date: date | None = None,
        confidential: bool = False,
    ) -> int:
        """Create an issue that carries `key` in its marker, unless one already does."""
        data: dict[str, Any] = {
            "title": title,
            "description": description,
            "labels": ",".join(labels),
        }
        if assignees:
            ids = self.user_ids(assignees)
            data["assignee_ids"] = [ids[n] for n in assignees if n in ids]
        if due_date is not None:
            data["due_date"] = due_date.isoformat()
        if confidential:
            data["confidential"] = True

        def find() -> int | None:
            found = self.issue_by_key(key)
            return found.iid if found else None

        existing = find()
        if existing is not None:
            return existing
        return create_once(
            lambda: int(self._post(f"{self._base}/issues", data)["iid"]),
            find,
        )

    def upsert_note(self, path: str, marker: str, body: str, **created: Any) -> int:
        """Keep one comment of the bot's carrying `marker`: edit it, or post it once.

        `created` are further fields of the first post (`internal`); returns the comment's id.
        """
        text = f"{body}\n\n{marker}"

        def find() -> dict[str, Any] | None:
            return next(
                (
                    n
                    for n in every(self.rest, path)
                    if marker in (n.get("body") or "")
                    and (n.get("author") or {}).get("username") == self.me
                ),
                None,
            )

        found = find()
        if found is None:
            data = {"body": text, **created}
            found = create_once(
                lambda: self._post(path, data),
                find,
            )
        elif found.get("body") != text:
            self.rest.http_put(f"{path}/{found['id']}", post_data={"body": text})
        return int(found["id"])

    def award(self, issue_iid: int, note_id: int, name: str) -> None:
        """Put the emoji `name` on the comment once (GitLab refuses a second identical award)."""
        path = f"{self._base}/issues/{issue_iid}/notes/{note_id}/award_emoji"

        def find() -> dict[str, Any] | None:
            return next(
                (
                    a
                    for a in every(self.rest, path)
                    if a.get("name") == name and (a.get("user") or {}).get("username") == self.me
                ),
                None,
            )

        if find() is None:
            create_once(
                lambda: self._post(path, {"name": name}),
                find,
            )

    def create_label(self, name: str, color: str, description: str) -> None:
        data = {"name": name, "color": color, "description": description}
        try:
            self.rest.http_post(f"{self._base}/labels", post_data=data)
        except gitlab.GitlabHttpError as error:
            if error.response_code != 409:
                raise

    def rename_label(self, label: LiveLabel, name: str) -> None:
        """Rename a project label, or a group label in whichever ancestor group owns it."""
        data = {"new_name": name}
        if label.project_label:
            self.rest.http_put(f"{self._base}/labels/{label.id}", post_data=data)
            return
        namespace = self.port.load()["namespace"]["full_path"]
        parts = namespace.split("/")
        for depth in range(len(parts), 0, -1):
            group = enc("/".join(parts[:depth]))
            try:
                self.rest.http_put(f"/groups/{group}/labels/{label.id}", post_data=data)
                return
            except gitlab.GitlabHttpError as error:
                if error.response_code != 404:
                    raise
        raise gitlab.GitlabUpdateError(f"label {label.name!r} belongs to no group of {namespace}")

    def set_milestone(self, issue_iid: int, milestone_id: int) -> None:
        issue = self.issue(issue_iid)
        if issue.milestone_id != milestone_id:
            self.update_issue(issue_iid, milestone_id=milestone_id)

    def milestone(self, milestone_id: int) -> dict[str, Any]:
        """The milestone as GitLab holds it, read where it lives: a sprint may be a group
        milestone the project sees through `include_ancestors`, which project endpoints do not
        take by id (verified.md 3.2)."""
        found = every(self.rest, f"{self._base}/milestones", include_ancestors=True)
        listed = next((m for m in found if int(m["id"]) == milestone_id), None)
        if listed is None:
            raise NotPossible(f"milestone {milestone_id} is not one of this project's")
        return self._get(milestone_path(self.project, listed))

    def milestone_issues(self, milestone_id: int) -> list[dict[str, Any]]:
        """The issues in the milestone, through the project's or the group's endpoint."""
        path = milestone_path(self.project, self.milestone(milestone_id))
        return every(self.rest, f"{path}/issues")

    def close_milestone(self, milestone_id: int) -> None:
        found = self.milestone(milestone_id)
        if found.get("state") != "closed":
            path = milestone_path(self.project, found)
            self.rest.http_put(path, post_data={"state_event": "close"})

    def retitle_milestone(self, milestone_id: int, title: str) -> None:
        found = self.milestone(milestone_id)
        if found.get("title") != title:
            self.rest.http_put(milestone_path(self.project, found), post_data={"title": title})

    def epic(self, key: str) -> LiveEpic | None:
        """The epic carrying `key`, read again (a performing step may run after a restart)."""
        return self.read({ISSUES}).epic_by_key(key)

    def relabel_epic(self, epic: LiveEpic, labels: tuple[str, ...]) -> None:
        """Give the epic these labels in place of the ones it carries (compare-and-update)."""
        if tuple(sorted(epic.labels)) == tuple(sorted(labels)):
            return
        self.port.perform(
            Operation(
                "update",
                "epic",
                epic.key or "",
                epic.title,
                changes={"labels": (epic.labels, labels)},
                ref=epic.ref,
                labels=labels,
            )
        )

    def epic_note(self, epic: LiveEpic, marker: str, body: str, internal: bool = False) -> str:
        """Keep the bot's one comment carrying `marker` on the epic: on Free its parent issue's
        REST notes, in work-item mode the work item's notes (the REST epic notes endpoint is
        deprecated, verified.md 3.7). Answers the note's id."""
        group = self.facts().group_id
        extra = {"internal": True} if internal else {}
        if self.port.epics.mode == "issues" or group is None:
            path = f"{self._base}/issues/{epic.ref}/notes"
            return str(self.upsert_note(path, marker, body, **extra))
        if self.port.epics.mode == "legacy":  # an instance older than work-item epics
            found = self._get(f"/groups/{group}/epics/{epic.ref}")
            path = f"/groups/{group}/epics/{found['id']}/notes"
            return str(self.upsert_note(path, marker, body, **extra))
        namespace = str(self.port.load()["namespace"]["full_path"])
        return epic_note_once(self.connection, namespace, int(epic.ref), marker, body, internal)


def token_user(url: str, token: str, timeout: float = 3.0) -> tuple[int, str] | None:
    """The id and username of the token's user (the bot itself), or None if GitLab won't say."""
    try:
        response = httpx.get(
            f"{url.rstrip('/')}/api/v4/user", headers={"PRIVATE-TOKEN": token}, timeout=timeout
        )
    except httpx.HTTPError:
        return None
    if response.status_code != 200:
        return None
    data = response.json()
    return int(data["id"]), str(data["username"])


def reachable(url: str, token: str, timeout: float = 3.0) -> bool:
    """Whether GitLab answers our token on its version endpoint."""
    try:
        response = httpx.get(
            f"{url.rstrip('/')}/api/v4/version",
            headers={"PRIVATE-TOKEN": token},
            timeout=timeout,
        )
    except httpx.HTTPError:
        return False
    return response.status_code == 200
