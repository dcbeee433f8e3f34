"""YAML read with positions: plain dicts and lists that remember where each value was written.

ruamel.yaml composes the node tree and we build the Python values ourselves, so dates stay
strings (checked later with a message instead of a crash), duplicate keys become problems
instead of exceptions, and every value keeps its file:line:col through `extends` merging.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from bot.playbook.problems import Problem


@dataclass(frozen=True)
class Pos:
    file: str
    line: int
    col: int

    def problem(self, message: str) -> Problem:
        return Problem(self.file, self.line, self.col, message)


class LocDict(dict[str, Any]):
    """A mapping with the position of itself, of each key and of each value."""

    def __init__(self, pos: Pos) -> None:
        super().__init__()
        self.pos = pos
        self.key_pos: dict[str, Pos] = {}
        self.value_pos: dict[str, Pos] = {}


class LocList(list[Any]):
    """A sequence with the position of itself and of each item."""

    def __init__(self, pos: Pos) -> None:
        super().__init__()
        self.pos = pos
        self.item_pos: list[Pos] = []


_TRUE = {"true", "yes", "on"}
MAX_FILE_BYTES = 1024 * 1024
"""A playbook file larger than this is refused unread; the shipped ones are a few dozen KB."""


def _pos(file: str, node: Node) -> Pos:
    return Pos(file, node.start_mark.line + 1, node.start_mark.column + 1)


def _scalar(node: ScalarNode) -> Any:
    """The plain value; timestamps stay text. Round-trip folding marks (BEL) are dropped."""
    tag = str(getattr(node.tag, "value", None) or node.tag)
    text = node.value.replace("\a", "") if node.style == ">" else node.value
    if tag.endswith(":int"):
        return int(text.replace("_", ""), 0) if text.lower().startswith("0x") else int(text)
    if tag.endswith(":float"):
        return float(text)
    if tag.endswith(":bool"):
        return text.lower() in _TRUE
    if tag.endswith(":null"):
        return None
    return text


def _build(file: str, node: Node, problems: list[Problem]) -> Any:
    if isinstance(node, ScalarNode):
        return _scalar(node)
    if isinstance(node, SequenceNode):
        seq = LocList(_pos(file, node))
        for item in node.value:
            seq.item_pos.append(_pos(file, item))
            seq.append(_build(file, item, problems))
        return seq
    if isinstance(node, MappingNode):
        mapping = LocDict(_pos(file, node))
        for key_node, value_node in node.value:
            key = str(_build(file, key_node, problems))
            key_pos = _pos(file, key_node)
            if key in mapping:
                first = mapping.key_pos[key]
                problems.append(
                    key_pos.problem(f"duplicate key '{key}' (first at line {first.line})")
                )
                continue
            mapping.key_pos[key] = key_pos
            mapping.value_pos[key] = _pos(file, value_node)
            mapping[key] = _build(file, value_node, problems)
        return mapping
    raise TypeError(f"unexpected YAML node {node!r}")


def _read_capped(path: Path, limit: int) -> str | None:
    """The file's text, or None when it holds more than `limit` bytes (never read past it)."""
    with path.open("rb") as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        return None
    return data.decode("utf-8")


def _syntax_problem(display: str, exc: MarkedYAMLError) -> Problem:
    """A syntax error where the person has to look: an unclosed quote or bracket is reported
    where it was opened, not at the end of the file where the parser gave up."""
    context, problem = str(exc.context or ""), str(exc.problem or "syntax error")
    opened, found = exc.context_mark, exc.problem_mark
    if opened is not None and "end of stream" in problem:
        what = "quoted text" if "quoted" in context else context.removeprefix("while ")
        line, col = opened.line + 1, opened.column + 1
        message = f"{what} opened here is never closed (the file ends first)"
        return Problem(display, line, col, f"YAML syntax error: {message}")
    mark = found or opened
    line, col = (mark.line + 1, mark.column + 1) if mark else (0, 0)
    where = ""
    if opened is not None and found is not None and opened.line != found.line:
        where = f" ({context.removeprefix('while ')} from line {opened.line + 1})"
    return Problem(display, line, col, f"YAML syntax error: {problem}{where}")


def read_yaml(path: Path, display: str) -> tuple[Any, list[Problem]]:
    """Parse one YAML file; syntax errors and duplicate keys come back as problems."""
    problems: list[Problem] = []
    try:
        text = _read_capped(path, MAX_FILE_BYTES)
    except OSError as exc:
        return None, [Problem(display, 0, 0, f"cannot read file: {exc.strerror or exc}")]
    except UnicodeDecodeError:
        return None, [Problem(display, 0, 0, "cannot read file: not UTF-8 text")]
    if text is None:
        return None, [Problem(display, 0, 0, f"file larger than {MAX_FILE_BYTES} bytes")]
    try:
        node = YAML(typ="rt").compose(text)
    except MarkedYAMLError as exc:
        return None, [_syntax_problem(display, exc)]
    if node is None:
        return LocDict(Pos(display, 1, 1)), []
    return _build(display, node, problems), problems


def locate(tree: Any, path: tuple[Any, ...], *, at_key: bool = False) -> Pos | None:
    """Position of the value at `path` (or of its key); the nearest known ancestor otherwise."""
    node, best = tree, getattr(tree, "pos", None)
    for i, step in enumerate(path):
        last = i == len(path) - 1
        if isinstance(node, LocDict) and isinstance(step, str) and step in node:
            best = node.key_pos[step] if last and at_key else node.value_pos[step]
            node = node[step]
        elif isinstance(node, LocList) and isinstance(step, int) and 0 <= step < len(node):
            best = node.item_pos[step]
            node = node[step]
        elif isinstance(node, LocDict | LocList):
            continue
        else:
            break
    return best
