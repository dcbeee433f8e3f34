"""Find the `/psdm` lines of a comment: pure text work, no knowledge of the commands.

A command is a line that readers see as a line of its own starting with `/psdm` (any ASCII
case): the line begins in the first column of a paragraph (markdown-it-py reads the comment as
CommonMark, the base of GitLab Flavored Markdown), outside lists, code blocks and spans, quotes
and GitLab's multi-line quotes (`>>>`), HTML blocks, HTML comments and any HTML element left
open (`<details>`, `<pre>`, `<div hidden>`...). Lines end only at LF, CR or CRLF as in
CommonMark: U+2028, U+0085 and the other Unicode separators do not start a line, so no command
hides behind them. A comment runs at most MAX_COMMANDS lines; the rest are counted, not run.

Every step is linear in the comment's length, and the costly one (reading Markdown blocks) is
bounded: only the first READ_LINES lines and READ_CHARS characters of a comment are read for
commands. `/psdm` lines past that are counted as unread, and a command line longer than
MAX_LINE_CHARS is refused rather than read. A note of GitLab's largest size (a million
characters) costs a few tens of milliseconds, whatever it holds.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from functools import lru_cache

from markdown_it import MarkdownIt
from markdown_it.token import Token

PREFIX = "/psdm"
MAX_COMMANDS = 50
"""Command lines one comment may run; a comment of 3,000 lines must not cost 3,000 steps."""
MAX_BODY_CHARS = 1_000_000
"""GitLab's own limit on a note; a longer body is not looked at past it."""
READ_CHARS = 32_768
"""Characters at the start of a comment read for commands (whole lines only)."""
READ_LINES = 500
"""Lines at the start of a comment read for commands."""
MAX_LINE_CHARS = 2_000
"""The longest command line read; a longer one is refused with its reason."""
MAX_NESTING = 10
"""Quotes and lists nested deeper than this hide everything after them."""
_CANDIDATE = re.compile(r"(?:^|(?<=[\r\n]))/psdm(?=[ \t\r\n]|$)", re.IGNORECASE | re.ASCII)
_LINE_END = re.compile(r"\r\n|\r|\n")
_QUOTE_FENCE = re.compile(r"^>>>")
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*+)(?:\s[^<>]*+)?+(/?)>")
_COMMENT = re.compile(r"<!--.*?(?:-->|$)", re.DOTALL)
_BACKTICKS = re.compile(r"`+")
_NOTABLE = re.compile(r"[\n\\`<]")
_VOID = frozenset(
    "area base br col embed hr img input link meta source track wbr".split()  # noqa: SIM905
)


@dataclass(frozen=True)
class CommandLine:
    """One `/psdm` line: its 1-based line number and the text after the prefix.

    `too_long`: the line is longer than MAX_LINE_CHARS; `text` and `rest` are cut and the
    command is refused, not run.
    """

    number: int
    text: str
    rest: str
    too_long: bool = False


@dataclass(frozen=True)
class Commands:
    """The command lines a comment runs, how many more it held beyond MAX_COMMANDS, and how
    many `/psdm` lines lay past the part of the comment that is read (READ_LINES, READ_CHARS)."""

    lines: tuple[CommandLine, ...]
    skipped: int = 0
    unread: int = 0


def command_lines(body: str) -> list[CommandLine]:
    """The command lines of a comment body that run, in order (at most MAX_COMMANDS)."""
    return list(comment_commands(body).lines)


def comment_commands(body: str) -> Commands:
    """Every visible command line of a comment body, in order, capped at MAX_COMMANDS."""
    body = body[:MAX_BODY_CHARS]
    read, rest = _read_part(body)
    unread = len(_CANDIDATE.findall(rest))
    if not _CANDIDATE.search(read):
        return Commands((), 0, unread)
    lines = _LINE_END.split(read)
    found = [
        found
        for number in _visible_line_starts(lines)
        if (found := command_line(number + 1, lines[number])) is not None
    ]
    return Commands(tuple(found[:MAX_COMMANDS]), max(0, len(found) - MAX_COMMANDS), unread)


def command_line(number: int, line: str) -> CommandLine | None:
    """The line as a command when it starts with the prefix (ASCII letters, any case)."""
    head = line[: len(PREFIX)]
    if not head.isascii() or head.lower() != PREFIX:
        return None
    after = line[len(PREFIX) : len(PREFIX) + 1]
    if after not in ("", " ", "\t"):
        return None
    too_long = len(line) > MAX_LINE_CHARS
    kept = line[:MAX_LINE_CHARS]
    return CommandLine(number, kept.strip(), kept[len(PREFIX) :].strip(), too_long)


def _read_part(body: str) -> tuple[str, str]:
    """The start of the body that is read for commands (whole lines), and the rest."""
    cut = len(body)
    if cut > READ_CHARS:
        last_break = max(body.rfind("\n", 0, READ_CHARS + 1), body.rfind("\r", 0, READ_CHARS + 1))
        cut = max(last_break, 0)
    ends = 0
    for ends, found in enumerate(_LINE_END.finditer(body, 0, cut), start=1):
        if ends == READ_LINES:
            cut = found.start()
            break
    return body[:cut], body[cut:]


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    # Blocks only: inline parsing is not needed (code spans are found below) and costs most.
    # Each level of nesting scans the lines below it again, so nesting is kept to MAX_NESTING;
    # past it markdown-it reads nothing more, and nothing there runs.
    markdown = MarkdownIt("commonmark", {"maxNesting": MAX_NESTING})
    return markdown.enable("table").disable("inline")


def _visible_line_starts(lines: list[str]) -> list[int]:
    """0-based numbers of the lines that start a visible line of a paragraph, in order.

    Paragraphs inside a list item do not count (docs/commands.md: list items never run),
    lazy continuation lines of an item included.
    """
    tokens = _markdown().parse("\n".join(_without_multiline_quotes(lines)))
    open_tags = 0
    quoted = 0
    listed = 0
    starts: list[int] = []
    previous: Token | None = None
    for token in tokens:
        if token.type == "blockquote_open":
            quoted += 1
        elif token.type == "blockquote_close":
            quoted -= 1
        elif token.type in ("bullet_list_open", "ordered_list_open"):
            listed += 1
        elif token.type in ("bullet_list_close", "ordered_list_close"):
            listed -= 1
        elif token.type == "html_block":
            open_tags = max(0, open_tags + _tag_balance(token.content))
        elif token.type == "inline" and token.map and _opens_paragraph(previous):
            visible, open_tags = _paragraph_line_starts(token, open_tags)
            if not quoted and not listed:
                starts.extend(visible)
        previous = token
    return starts


def _opens_paragraph(token: Token | None) -> bool:
    return token is not None and token.type == "paragraph_open"


def _without_multiline_quotes(lines: list[str]) -> list[str]:
    """GitLab's `>>>` quotes blanked out (CommonMark does not know them); line count kept."""
    kept: list[str] = []
    quoted = False
    for line in lines:
        if _QUOTE_FENCE.match(line):
            quoted = not quoted
            kept.append("")
        else:
            kept.append("" if quoted else line)
    return kept


def _tag_balance(html: str) -> int:
    """Elements opened minus elements closed in a piece of HTML (comments and void tags aside)."""
    balance = 0
    for closing, name, self_closing in _TAG.findall(_COMMENT.sub("", html)):
        if name.lower() in _VOID or self_closing:
            continue
        balance += -1 if closing else 1
    return balance


def _paragraph_line_starts(inline: Token, open_tags: int) -> tuple[list[int], int]:
    """The paragraph's lines that start outside code spans, comments and open elements.

    The scan jumps from one character that matters (line break, backslash, backtick, `<`) to
    the next, and finds a code span's end through an index of backtick runs, so it stays
    linear however the text is made.
    """
    assert inline.map is not None
    text = inline.content
    first = inline.map[0]
    spans = _BacktickRuns(text)
    starts: list[int] = []
    line = 0
    at = 0
    at_line_start = True
    while at < len(text):
        if at_line_start and open_tags == 0:
            starts.append(first + line)
        at_line_start = False
        found = _NOTABLE.search(text, at)
        if found is None:
            break
        at = found.start()
        char = text[at]
        if char == "\n":
            line += 1
            at += 1
            at_line_start = True
            continue
        if char == "\\":
            at += 1 if text[at + 1 : at + 2] == "\n" else 2
            continue
        end = at + 1
        if char == "`":
            end = spans.span_end(at)
        elif text.startswith("<!--", at):
            close = text.find("-->", at + 4)
            end = len(text) if close < 0 else close + 3
        elif tag := _TAG.match(text, at):
            end = tag.end()
            open_tags = max(0, open_tags + _tag_balance(tag.group(0)))
        line += text.count("\n", at + 1, end)
        at = end
    return starts, open_tags


class _BacktickRuns:
    """The backtick runs of a text, indexed by length: where a code span opened at a run ends.

    CommonMark: a run of n backticks opens a code span closed by the next run of exactly n;
    without one, the run is literal text.
    """

    def __init__(self, text: str) -> None:
        self.starts: list[int] = []
        self.ends: list[int] = []
        self.by_length: dict[int, list[int]] = {}
        for run in _BACKTICKS.finditer(text):
            self.starts.append(run.start())
            self.ends.append(run.end())
            self.by_length.setdefault(run.end() - run.start(), []).append(run.start())

    def span_end(self, at: int) -> int:
        """Where the span opened at `at` ends, or the end of its run when nothing closes it.

        `at` may fall inside a run (a backslash escaped the run's first backtick): the rest of
        the run opens then.
        """
        run = bisect.bisect_right(self.starts, at) - 1
        run_end = self.ends[run]
        size = run_end - at
        same = self.by_length.get(size, [])
        later = bisect.bisect_left(same, run_end)
        return same[later] + size if later < len(same) else run_end
