"""What the bot writes back: one reply per comment, safe from quick actions, found again by id.

A reply echoes what its author wrote, so it must not become a way to make the bot say
something else: the echoed command sits in a code span no backtick can close, no `@` in the
reply mentions anyone but the author it answers, no line starts a quick action, and the
whole reply has a size cap.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.events.commands.parser import (
    MAX_COMMANDS,
    MAX_LINE_CHARS,
    READ_CHARS,
    READ_LINES,
)

DONE = "white_check_mark"
FAILED = "x"
ACCEPTED = "eyes"
MAX_ECHO = 200
"""Characters of a command line the reply repeats."""
MAX_REPLY = 60_000
"""Characters of a whole reply; GitLab allows a million, readers far fewer."""
MAX_OUTCOME = 20_000
"""Characters of one line's result before it is cut."""
SHORTENED = "\n\n*(shortened: the full text was longer than a reply should be)*"

_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
_LEADING_SLASH = re.compile(rf"(^|(?<=[{_BREAKS}]))(\s*)/")
_LINE_BREAKS = re.compile(rf"[{_BREAKS}\t]+")
_MENTION = re.compile(r"@(?=[\w.-])")
_BACKTICKS = re.compile(r"`+")


@dataclass(frozen=True)
class Outcome:
    """What one command line came to: success or not, and the text for the reply."""

    line: str
    ok: bool
    text: str


def reply_marker(note_id: int) -> str:
    """The HTML comment that ties a reply to the comment it answers."""
    return f"<!-- psdm-bot reply-to={note_id} -->"


def no_quick_actions(text: str) -> str:
    """Escape every line-leading `/`, so nothing we write is ever read as a quick action.

    Any line break counts, Unicode ones too: whoever reads the text later may split there.
    """
    return _LEADING_SLASH.sub(r"\1\2\\/", text)


def code_span(text: str, limit: int = MAX_ECHO) -> str:
    """`text` as one inline code span nothing inside can close (CommonMark's rule).

    The fence is one backtick longer than the longest run inside; line breaks become spaces
    so the span stays on its line; a long text is cut. Mentions and references inside a
    code span do not fire in GitLab.
    """
    flat = _LINE_BREAKS.sub(" ", text).strip()
    if len(flat) > limit:
        flat = flat[: limit - 1] + "…"
    longest = max((len(run) for run in _BACKTICKS.findall(flat)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if flat.startswith("`") or flat.endswith("`") or not flat else ""
    return f"{fence}{pad}{flat}{pad}{fence}"


def no_mentions(text: str) -> str:
    """Every `@` outside code spans followed by a word joined to it by a zero-width joiner.

    The reply's results may repeat words of the comment (an unknown command, a bad
    argument); `@all` there must not notify a whole group. Code spans are left as they are.
    """
    parts: list[str] = []
    at = 0
    for span in _code_spans(text):
        parts.append(_MENTION.sub("@\u2060", text[at : span[0]]))
        parts.append(text[span[0] : span[1]])
        at = span[1]
    parts.append(_MENTION.sub("@\u2060", text[at:]))
    return "".join(parts)


def _code_spans(text: str) -> list[tuple[int, int]]:
    """Where CommonMark finds code spans: a backtick run closed by a run just as long.

    Linear: each run's closer is the next run of its length, looked up in an index.
    """
    runs = list(_BACKTICKS.finditer(text))
    following: list[int | None] = [None] * len(runs)
    latest: dict[int, int] = {}
    for index in range(len(runs) - 1, -1, -1):
        size = len(runs[index].group(0))
        following[index] = latest.get(size)
        latest[size] = index
    spans: list[tuple[int, int]] = []
    index = 0
    while index < len(runs):
        opening = runs[index]
        closing = following[index]
        escaped = opening.start() > 0 and text[opening.start() - 1] == "\\"
        if escaped or closing is None:
            index += 1
            continue
        spans.append((opening.start(), runs[closing].end()))
        index = closing + 1
    return spans


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - len(SHORTENED)] + SHORTENED


def reply_body(
    author: str | None, outcomes: Sequence[Outcome], skipped: int = 0, unread: int = 0
) -> str:
    """The single reply to a comment: each command line with its result, in order.

    `skipped`: command lines of the comment beyond what one comment may run, named at the end;
    `unread`: `/psdm` lines past the part of a comment that is read for commands.
    """
    parts = []
    for outcome in outcomes:
        mark = ":white_check_mark:" if outcome.ok else ":x:"
        text = no_mentions(_cut(outcome.text.strip(), MAX_OUTCOME))
        parts.append(f"{mark} {code_span(outcome.line)}\n\n{text}")
    if skipped:
        parts.append(
            f":x: {skipped} more command line(s) were not run: one comment runs at most "
            f"{MAX_COMMANDS}. Put the rest in another comment."
        )
    if unread:
        parts.append(
            f":x: {unread} `/psdm` line(s) were not read: commands are read in the first "
            f"{READ_LINES:,} lines and {READ_CHARS:,} characters of a comment, each line at "
            f"most {MAX_LINE_CHARS:,} characters. Put them in a shorter comment."
        )
    head = f"@{author}\n\n" if author and re.fullmatch(r"[\w.-]+", author) else ""
    return no_quick_actions(_cut(head + "\n\n---\n\n".join(parts), MAX_REPLY))


def finished_award(outcomes: Sequence[Outcome]) -> str:
    return DONE if outcomes and all(o.ok for o in outcomes) else FAILED
