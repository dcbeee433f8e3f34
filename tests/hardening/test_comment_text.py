"""Only visible command lines run; replies echo them without breaking out; replies are capped."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from bot.events.commands.parser import MAX_COMMANDS, command_lines, comment_commands
from bot.events.commands.ratelimit import MAX_USERS, RateLimit
from bot.events.commands.reply import MAX_REPLY, Outcome, code_span, reply_body

HIDDEN = {
    "html comment block": "<!--\n/psdm apply\n-->",
    "html comment inline": "see <!--\n/psdm apply\n--> above",
    "pre": "<pre>\n/psdm apply\n</pre>",
    "details": "<details>\n<summary>more</summary>\n\n/psdm apply\n\n</details>",
    "hidden div": "<div hidden>\n\n/psdm apply\n\n</div>",
    "inline element left open": "a <span hidden>\n/psdm apply\n</span>",
    "code span over lines": "see `code\n/psdm apply` here",
    "U+2028": "visible text\u2028/psdm apply",
    "U+2029": "visible text\u2029/psdm apply",
    "U+0085": "visible text\u0085/psdm apply",
    "form feed": "visible text\x0c/psdm apply",
    "lazy quote": "> quoted\n/psdm apply",
}


@pytest.mark.parametrize("body", HIDDEN.values(), ids=HIDDEN.keys())
def test_a_command_readers_cannot_see_does_not_run(body):
    assert command_lines(body) == []
    assert [line.rest for line in command_lines(body + "\n\n/psdm status")] == ["status"]


def test_commands_stay_on_the_lines_gitlab_shows():
    body = "Done.\n/psdm status\r\n\n- item\n\n/psdm help\rtext \\\n/psdm retro"
    assert [(c.number, c.rest) for c in command_lines(body)] == [
        (2, "status"),
        (6, "help"),
        (8, "retro"),
    ]


def test_a_comment_runs_at_most_the_cap_and_counts_the_rest():
    found = comment_commands("\n".join(["/psdm plan"] * 3000))
    assert len(found.lines) == MAX_COMMANDS
    assert found.skipped + found.unread == 3000 - MAX_COMMANDS


def _code_texts(markdown: str) -> list[str]:
    tokens = MarkdownIt("commonmark").parseInline(markdown)
    return [c.content for c in tokens[0].children or [] if c.type == "code_inline"]


@given(st.text(max_size=80))
def test_the_echoed_command_is_one_code_span_whatever_it_holds(line):
    span = code_span(line)
    rendered = MarkdownIt("commonmark").parseInline(span)[0].children or []
    assert [c.type for c in rendered] == ["code_inline"] or not line.strip()


def test_backticks_in_a_command_cannot_break_out_to_mention_everyone():
    line = "/psdm risk `` x ` @all ``` @all"
    body = reply_body("alice", [Outcome(line, False, f"there is no command `{line}`")])
    visible = re.sub(r"(`+)(?:(?!\1).)+?\1", "", body.split("\n", 1)[1], flags=re.DOTALL)
    assert "@all" not in visible
    assert body.startswith("@alice\n")
    (echo,) = _code_texts(body.split("\n\n")[1].removeprefix(":x: "))
    assert echo.strip() == line


def test_a_reply_has_a_size_cap_however_many_refusals_it_holds():
    outcomes = [Outcome("/psdm " + "x" * 500, False, "Refused. " * 500) for _ in range(3000)]
    body = reply_body("bob", outcomes, skipped=5)
    assert len(body) <= MAX_REPLY


def test_refused_commands_take_rate_limit_slots_and_memory_stays_bounded():
    limit = RateLimit(3)
    assert [limit.wait("eve", t) for t in (0, 1, 2)] == [0, 0, 0]
    assert limit.remaining("eve", 3) == 0 and limit.wait("eve", 3) > 0
    for user in range(MAX_USERS + 50):
        limit.wait(f"user-{user}", 10)
    assert len(limit._seen) <= MAX_USERS
