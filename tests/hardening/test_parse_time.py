"""Finding 1 of issue 23: no comment, however it is made, takes long to read for commands.

`/psdm risk x` + 100,000 spaces + `y` once held the interpreter for 28 s (the command pattern
was quadratic on a run of spaces). Every parse of a 1 MB comment must now finish within
BUDGET seconds of this thread's CPU time (not wall time, so a busy machine does not fail it).
"""

from __future__ import annotations

import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.events.commands.errors import BadArguments
from bot.events.commands.parser import (
    MAX_LINE_CHARS,
    READ_CHARS,
    READ_LINES,
    CommandLine,
    comment_commands,
)
from bot.events.commands.registry import resolve

BUDGET = 0.1
SIZE = 1_000_000
PIECES = (
    " ",
    "\t",
    "\n",
    "\r",
    "\r\n",
    "\n\n",
    "\u2028",
    "\u0085",
    "\x0c",
    "`",
    "``",
    "\\",
    "<",
    "<a ",
    "<details>",
    "</details>",
    "<!--",
    "-->",
    "> ",
    ">>>\n",
    "- ",
    "1. ",
    "* ",
    "|",
    "| --- |\n",
    "[",
    "](",
    "*_",
    "```\n",
    "    ",
    "#",
    "/psdm",
    "/psdm risk x",
    "/psdm risk x ",
    "\n/psdm ",
    "a",
    '"',
    "{",
    "[[",
)


def _cpu_seconds(body: str) -> float:
    started = time.thread_time()
    comment_commands(body)
    return time.thread_time() - started


@st.composite
def _hostile_comments(draw: st.DrawFn) -> str:
    """About a megabyte made of a few adversarial pieces, each repeated many times."""
    parts = draw(
        st.lists(
            st.tuples(
                st.lists(st.sampled_from(PIECES), min_size=1, max_size=4).map("".join),
                st.integers(min_value=1, max_value=SIZE),
            ),
            min_size=1,
            max_size=4,
        )
    )
    text = "".join(unit * max(1, count // max(1, len(unit))) for unit, count in parts)
    while len(text) < SIZE:
        text += text
    return text[:SIZE]


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(_hostile_comments())
def test_no_megabyte_comment_takes_long_to_read(body):
    assert _cpu_seconds(body) < BUDGET


def test_the_reported_comment_reads_at_once():
    for spaces in (100_000, SIZE - 20):
        assert _cpu_seconds("/psdm risk x" + " " * spaces + "y") < BUDGET


def test_worst_shapes_found_by_hand_read_at_once():
    shapes = [
        "a\n\n" * (SIZE // 3),
        "- a\n" * (SIZE // 4),
        "> - > - > - > - > - a\n" * (SIZE // 22),
        "> " * 30 + "/psdm x\n" * (SIZE // 8),
        "> " * 9 + "/psdm x\n" * (SIZE // 8),
        "- " * 9 + "/psdm x\n" * (SIZE // 8),
        "".join("`" * (n % 97 + 1) + "x" for n in range(SIZE // 50)),
        "<a " * (SIZE // 3),
        "[" * SIZE,
        ("/psdm risk " + "x" * 60 + "\n") * (SIZE // 72),
        "|" * SIZE,
    ]
    for body in shapes:
        assert _cpu_seconds(body[:SIZE]) < BUDGET, body[:40]


def test_a_command_line_longer_than_the_cap_is_refused_not_read():
    body = "/psdm risk x" + " " * MAX_LINE_CHARS + "y"
    (line,) = comment_commands(body).lines
    assert line.too_long and len(line.text) <= MAX_LINE_CHARS
    try:
        resolve(line)
    except BadArguments as refused:
        assert "longer than" in refused.reason
    else:
        raise AssertionError("a too long line was read")


def test_commands_past_the_read_part_are_counted_not_run():
    body = "x" * (READ_CHARS + 10) + "\n/psdm status\n/psdm help"
    found = comment_commands(body)
    assert found.lines == () and found.unread == 2
    spaced = comment_commands("/psdm risk x" + " " * 100_000 + "y")
    assert spaced.lines == () and spaced.unread == 1


def test_a_line_within_the_read_part_still_runs():
    body = "x\n\n" * (READ_LINES // 2 - 1) + "/psdm status"
    found = comment_commands(body).lines
    assert found == (CommandLine(READ_LINES - 1, "/psdm status", "status"),)
    assert comment_commands("x\n\n" + body).unread == 1
