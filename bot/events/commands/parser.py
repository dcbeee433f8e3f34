"""Find the `/psdm` lines of a comment: pure text work, no knowledge of the commands.

A command is a line that readers see as a line of its own starting with `/psdm` (any case):
the line begins in the first column of a paragraph (markdown-it-py reads the comment as
CommonMark, the base of GitLab Flavored Markdown), outside code blocks and spans, quotes and
GitLab's multi-line quotes (`>>>`), HTML blocks, HTML comments and any HTML element left open
(`<details>`, `<pre>`, `<div hidden>`...). Lines end only at LF, CR or CRLF as in CommonMark:
U+2028, U+0085 and the other Unicode separators do not start a line, so no command hides
behind them. A comment runs at most MAX_COMMANDS lines; the rest are counted, not run.
"""

from __future__ import annotations

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
_COMMAND = re.compile(r"^/psdm(?:[ \t]+(?P<rest>.*?))?[ \t]*$", re.IGNORECASE)
_LINE_END = re.compile(r"\r\n|\r|\n")
_QUOTE_FENCE = re.compile(r"^>>>")
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)(?:\s[^<>]*)?(/?)>")
_COMMENT = re.compile(r"<!--.*?(?:-->|$)", re.DOTALL)
_VOID = frozenset(
    "area base br col embed hr img input link meta source track wbr".split()  # noqa: SIM905
)


@dataclass(frozen=True)
class CommandLine:
    """One `/psdm` line: its 1-based line number and the text after the prefix."""

    number: int
    text: str
    rest: str


@dataclass(frozen=True)
class Commands:
    """The command lines a comment runs, and how many more it held beyond MAX_COMMANDS."""

    lines: tuple[CommandLine, ...]
    skipped: int = 0


def command_lines(body: str) -> list[CommandLine]:
    """The command lines of a comment body that run, in order (at most MAX_COMMANDS)."""
    return list(comment_commands(body).lines)


def comment_commands(body: str) -> Commands:
    """Every visible command line of a comment body, in order, capped at MAX_COMMANDS."""
    lines = _LINE_END.split(body[:MAX_BODY_CHARS])
    if not any(line[:5].lower() == PREFIX for line in lines):
        return Commands(())
    found = [
        CommandLine(number + 1, lines[number].strip(), (matched["rest"] or "").strip())
        for number in _visible_line_starts(lines)
        if (matched := _COMMAND.match(lines[number]))
    ]
    return Commands(tuple(found[:MAX_COMMANDS]), max(0, len(found) - MAX_COMMANDS))


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    return MarkdownIt("commonmark").enable("table")


def _visible_line_starts(lines: list[str]) -> list[int]:
    """0-based numbers of the lines that start a visible line of a paragraph, in order."""
    tokens = _markdown().parse("\n".join(_without_multiline_quotes(lines)))
    open_tags = 0
    quoted = 0
    starts: list[int] = []
    for token in tokens:
        if token.type == "blockquote_open":
            quoted += 1
        elif token.type == "blockquote_close":
            quoted -= 1
        elif token.type == "html_block":
            open_tags = max(0, open_tags + _tag_balance(token.content))
        elif token.type == "inline" and token.map and _in_paragraph(tokens, token):
            visible, open_tags = _paragraph_line_starts(token, open_tags)
            if not quoted:
                starts.extend(visible)
    return starts


def _in_paragraph(tokens: list[Token], inline: Token) -> bool:
    at = tokens.index(inline)
    return at > 0 and tokens[at - 1].type == "paragraph_open"


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
    """The paragraph's lines that start outside code spans, comments and open elements."""
    assert inline.map is not None
    text = inline.content
    first = inline.map[0]
    starts: list[int] = []
    line = 0
    at = 0
    at_line_start = True
    while at < len(text):
        if at_line_start and open_tags == 0:
            starts.append(first + line)
        at_line_start = False
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
            run = len(text[at:]) - len(text[at:].lstrip("`"))
            closing = _closing_backticks(text, at + run, run)
            end = closing if closing is not None else at + run
        elif char == "<":
            if text.startswith("<!--", at):
                close = text.find("-->", at + 4)
                end = len(text) if close < 0 else close + 3
            elif tag := _TAG.match(text, at):
                end = tag.end()
                open_tags = max(0, open_tags + _tag_balance(tag.group(0)))
        line += text.count("\n", at + 1, end)
        at = end
    return starts, open_tags


def _closing_backticks(text: str, start: int, run: int) -> int | None:
    """Where the code span opened by `run` backticks ends (CommonMark: a run just as long)."""
    for found in re.finditer(r"`+", text[start:]):
        if len(found.group(0)) == run:
            return start + found.end()
    return None
