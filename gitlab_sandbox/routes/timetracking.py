"""GitLab's time tracking on issues: estimates, timelogs of time spent, and their totals.

As `GL:doc/user/project/time_tracking.md` and `GL:doc/api/issues.md` ("Time tracking") describe
it, with the endpoints of `GL:lib/api/time_tracking_endpoints.rb`:

- `POST /projects/:id/issues/:issue_iid/time_estimate` (`duration`), `reset_time_estimate`,
  `add_spent_time` (`duration`, optional `summary`; answers 201), `reset_spent_time`, and
  `GET .../time_stats`; every one answers the issue's time stats.
- The quick actions `/estimate`, `/remove_estimate`, `/spend <time> [YYYY-MM-DD]` (negative to
  subtract; a future date logs nothing) and `/remove_time_spent`.
- Durations in GitLab's units: `mo` (4 weeks), `w` (5 days), `d` (8 hours), `h`, `m`, `s`;
  a bare number is hours. The totals read back in the same units (`1w 4d 3h`).
- Adding or estimating needs at least the Planner role. Time spent is the sum of the item's
  timelogs; it never goes below zero (a subtraction past it is refused) and a reset logs the
  negative of the total, so the report keeps the history.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from ..model import PLANNER, Timelog, User, WorkItem
from ..routing import Routes
from ..state import State, now
from ..web import ApiError, Ctx, Reply, forbidden
from .common import find_issue, find_project

api = Routes()

MINUTE, HOUR = 60, 3600
DAY = 8 * HOUR
WEEK = 5 * DAY
MONTH = 4 * WEEK
YEAR_OF_WORK = 12 * MONTH
UNITS: dict[str, int] = {
    "mo": MONTH,
    "month": MONTH,
    "months": MONTH,
    "w": WEEK,
    "week": WEEK,
    "weeks": WEEK,
    "d": DAY,
    "day": DAY,
    "days": DAY,
    "h": HOUR,
    "hour": HOUR,
    "hours": HOUR,
    "m": MINUTE,
    "minute": MINUTE,
    "minutes": MINUTE,
    "s": 1,
    "second": 1,
    "seconds": 1,
    "": HOUR,  # a bare number counts in hours
}
_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([a-z]*)\s*")
_SHORT = (("mo", MONTH), ("w", WEEK), ("d", DAY), ("h", HOUR), ("m", MINUTE), ("s", 1))
TOO_MUCH = "Time to subtract exceeds the total time spent"
NEGATIVE = "must have a valid format and be greater than or equal to zero."


def parse_duration(text: str) -> int | None:
    """Seconds in a duration written the GitLab way (`1mo 2w 3d 4h 5m`, `-30m`, `3`), or None."""
    value = text.strip().lower()
    sign = -1 if value.startswith("-") else 1
    value = value.lstrip("-").strip()
    if not value:
        return None
    total, at = 0.0, 0
    for match in _PART.finditer(value):
        if match.start() != at or match.group(2) not in UNITS:
            return None
        total += float(match.group(1)) * UNITS[match.group(2)]
        at = match.end()
    if at != len(value):
        return None
    return sign * round(total)


def human(seconds: int) -> str | None:
    """A duration as GitLab prints one (`1w 4d 3h`), None for zero."""
    if seconds == 0:
        return None
    sign, left, parts = "-" if seconds < 0 else "", abs(seconds), []
    for name, size in _SHORT:
        count, left = divmod(left, size)
        if count:
            parts.append(f"{count}{name}")
    return sign + " ".join(parts)


def time_spent(state: State, item: WorkItem) -> int:
    return sum(t.time_spent for t in state.timelogs.values() if t.work_item_id == item.id)


def time_stats(state: State, item: WorkItem) -> dict[str, Any]:
    """The `time_stats` object of an issue (`GL:lib/api/entities/issuable_time_stats.rb`)."""
    spent = time_spent(state, item)
    return {
        "time_estimate": item.time_estimate,
        "total_time_spent": spent,
        "human_time_estimate": human(item.time_estimate),
        "human_total_time_spent": human(spent),
    }


class TimeTrackingError(ValueError):
    """A change GitLab refuses (its validation message)."""


@dataclass(frozen=True)
class Spend:
    seconds: int
    spent_at: datetime


def spend_argument(text: str, today: datetime) -> Spend | None:
    """`/spend`'s argument: a duration and an optional `YYYY-MM-DD` (None when unreadable)."""
    words = text.split()
    when = today
    if words and re.fullmatch(r"\d{4}-\d{2}-\d{2}", words[-1]):
        try:
            day = date.fromisoformat(words.pop())
        except ValueError:
            return None
        when = datetime.combine(day, time(12), tzinfo=UTC)
    seconds = parse_duration(" ".join(words))
    return None if seconds is None else Spend(seconds, when)


def log_time(
    state: State,
    item: WorkItem,
    user: User,
    seconds: int,
    *,
    spent_at: datetime | None = None,
    summary: str | None = None,
    note_id: int | None = None,
) -> None:
    """Record a timelog; a subtraction below zero or a total over a year is refused."""
    spent = time_spent(state, item)
    if spent + seconds < 0:
        raise TimeTrackingError(TOO_MUCH)
    if spent + seconds > YEAR_OF_WORK:
        raise TimeTrackingError("Total time spent cannot exceed a year")
    moment = now()
    entry_id = state.next_id("timelog")
    state.timelogs[entry_id] = Timelog(
        id=entry_id,
        work_item_id=item.id,
        user_id=user.id,
        time_spent=seconds,
        spent_at=spent_at or moment,
        created_at=moment,
        summary=summary,
        note_id=note_id,
    )
    item.updated_at = moment


def reset_spent(state: State, item: WorkItem, user: User) -> None:
    spent = time_spent(state, item)
    if spent:
        log_time(state, item, user, -spent)


def may_track(state: State, user: User | None, item: WorkItem) -> bool:
    """Adding time or an estimate needs the Planner role (`admin_issue`)."""
    return user is not None and state.item_access(user, item) >= PLANNER


# -- quick actions ------------------------------------------------------------------------------

QUICK_ACTIONS = {"spend", "spent", "estimate", "estimate_time", "remove_estimate"}
QUICK_ACTIONS |= {"remove_time_estimate", "remove_time_spent"}


def run_time_action(ctx: Ctx, item: WorkItem, name: str, arg: str, note_text: str) -> str | None:
    """Apply one time-tracking quick action; the message GitLab answers, or None if ignored."""
    state, user = ctx.state, ctx.user
    if user is None or not may_track(state, user, item):
        return None
    if name in ("estimate", "estimate_time"):
        seconds = parse_duration(arg)
        if seconds is None or seconds < 0:
            return None
        item.time_estimate = seconds
        return f"Set time estimate to {human(seconds) or '0h'}."
    if name in ("remove_estimate", "remove_time_estimate"):
        item.time_estimate = 0
        return "Removed time estimate."
    if name == "remove_time_spent":
        reset_spent(state, item, user)
        return "Removed spent time."
    spend = spend_argument(arg, now())
    if spend is None or spend.spent_at > now():
        return None  # "If you type a future date, no time is logged."
    try:
        log_time(
            state, item, user, spend.seconds, spent_at=spend.spent_at, summary=note_text or None
        )
    except TimeTrackingError:
        return None
    verb = "Added" if spend.seconds > 0 else "Subtracted"
    return f"{verb} {human(abs(spend.seconds))} of time spent."


# -- REST ---------------------------------------------------------------------------------------


def _tracked(ctx: Ctx) -> tuple[WorkItem, User]:
    item = find_issue(ctx, find_project(ctx))
    user = ctx.me
    if not may_track(ctx.state, user, item):
        raise forbidden()
    return item, user


def _duration(ctx: Ctx) -> int:
    ctx.params.require("duration")
    seconds = parse_duration(ctx.params.str("duration") or "")
    if seconds is None:
        raise ApiError(400, {"time_estimate": ["is invalid"]})
    return seconds


@api.post("/projects/{id}/issues/{issue_iid}/time_estimate")
def set_estimate(ctx: Ctx) -> Reply:
    item, _ = _tracked(ctx)
    seconds = _duration(ctx)
    if seconds < 0:
        raise ApiError(400, {"time_estimate": [NEGATIVE]})
    item.time_estimate = seconds
    return Reply(time_stats(ctx.state, item), 200)


@api.post("/projects/{id}/issues/{issue_iid}/reset_time_estimate")
def reset_estimate(ctx: Ctx) -> Reply:
    item, _ = _tracked(ctx)
    item.time_estimate = 0
    return Reply(time_stats(ctx.state, item), 200)


@api.post("/projects/{id}/issues/{issue_iid}/add_spent_time")
def add_spent_time(ctx: Ctx) -> Reply:
    item, user = _tracked(ctx)
    seconds = _duration(ctx)
    try:
        log_time(ctx.state, item, user, seconds, summary=ctx.params.str("summary"))
    except TimeTrackingError as error:
        raise ApiError(400, {"base": [str(error)]}) from error
    return Reply(time_stats(ctx.state, item), 201)


@api.post("/projects/{id}/issues/{issue_iid}/reset_spent_time")
def reset_spent_time(ctx: Ctx) -> Reply:
    item, user = _tracked(ctx)
    reset_spent(ctx.state, item, user)
    return Reply(time_stats(ctx.state, item), 200)


@api.get("/projects/{id}/issues/{issue_iid}/time_stats")
def get_time_stats(ctx: Ctx) -> dict[str, Any]:
    return time_stats(ctx.state, find_issue(ctx, find_project(ctx)))
