"""The clock the service decides on, as the settings choose it: real time, or the date the
GitLab stand-in simulates (tests and the demo only).

The stand-in answers `GET /-/sandbox/clock` with its moment (`gitlab_sandbox/clock.py`); a
`FollowingClock` asks it on every call, through the process's client for that GitLab and
token, so the token never leaves for another host. Only a stand-in on this machine is ever
followed: a real GitLab has no such endpoint, and production keeps real time.
"""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime
from urllib.parse import urlsplit

from bot.clock import SYSTEM, Clock, FollowingClock
from bot.gitlab.connection import client_for
from bot.gitlab.errors import GitLabError

CLOCKS = ("system", "stand-in")
"""`system`: real time (production). `stand-in`: the date of the GitLab stand-in on loopback."""


def on_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def stand_in_time(url: str, token: str) -> datetime:
    """The moment the stand-in at `url` says it is."""
    answer = client_for(url, token).http.get(f"{url.rstrip('/')}/-/sandbox/clock")
    if answer.status_code != 200:
        raise GitLabError(f"the stand-in at {url} did not tell its date ({answer.status_code})")
    return datetime.fromtimestamp(float(answer.json()["time"]), UTC)


def clock_for(mode: str, url: str, token: str) -> Clock:
    """The clock `mode` names; `stand-in` only for a GitLab on loopback."""
    if mode not in CLOCKS:
        raise ValueError(f"clock must be one of {', '.join(CLOCKS)}, not {mode!r}")
    if mode == "system":
        return SYSTEM
    if not on_loopback(url):
        raise ValueError(f"clock {mode!r} follows a stand-in on this machine only, not {url}")
    return FollowingClock(lambda: stand_in_time(url, token))
