"""Jinja2 for playbook text: sandboxed (playbooks are user input) and strict about names."""

from __future__ import annotations

import functools
import re
import time
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateError, Undefined, meta, nodes
from jinja2.nodes import Template as TemplateAst
from jinja2.runtime import Context
from jinja2.sandbox import SandboxedEnvironment, safe_range

MAX_SIZE = 100_000
"""The longest string or sequence a template may build, and the largest number it may pass."""
MAX_OUTPUT = 256 * 1024
"""The most characters one rendered text may hold."""
MAX_STEPS = 200_000
"""Loop iterations and calls one render or evaluation may take."""
MAX_SECONDS = 2.0
"""Wall time one render or evaluation may take."""
_WIDE_FORMAT = re.compile(r"\d{6,}")


class TemplateLimit(TemplateError):
    """A template tried to take more time or memory than a playbook ever needs."""


@dataclass
class _Budget:
    steps: int
    deadline: float

    def tick(self) -> None:
        self.steps -= 1
        if self.steps < 0:
            raise TemplateLimit(f"more than {MAX_STEPS} steps")
        if time.monotonic() > self.deadline:
            raise TemplateLimit(f"took longer than {MAX_SECONDS} seconds")


_BUDGET: ContextVar[_Budget | None] = ContextVar("template_budget", default=None)


def _tick() -> None:
    budget = _BUDGET.get()
    if budget is not None:
        budget.tick()


def _sized(value: Any) -> Any:
    if _deep_size(value) > MAX_SIZE:
        raise TemplateLimit(f"a value longer than {MAX_SIZE}")
    return value


def _deep_size(value: Any, seen: dict[int, int] | None = None) -> int:
    """About how many characters a value takes as text, its items' included; the count
    stops soon after MAX_SIZE, and an item held many times is measured once."""
    if isinstance(value, str | bytes):
        return len(value)
    if not isinstance(value, list | tuple | dict):
        return _text_size(value)
    seen = {} if seen is None else seen
    known = seen.get(id(value))
    if known is not None:
        return known
    items = [*value.keys(), *value.values()] if isinstance(value, dict) else value
    total = len(items)
    seen[id(value)] = total
    for item in items:
        if total > MAX_SIZE:
            break
        total += _deep_size(item, seen)
    seen[id(value)] = total
    return total


def _check_numbers(values: Iterable[Any]) -> None:
    for value in values:
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_SIZE:
            raise TemplateLimit(f"a number above {MAX_SIZE} passed to a function")


def _text_size(value: Any) -> int:
    """The length of a value as text, for strings and numbers (0 for anything else)."""
    if isinstance(value, str | bytes):
        return len(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return len(str(value))
    return 0


def _joined_size(items: Any, separator: Any) -> int:
    """Characters `separator.join(items)` would take, for a list or tuple (0 otherwise)."""
    if not isinstance(items, list | tuple):
        return 0
    return _deep_size(items) + _text_size(separator) * len(items)


def _widest(values: Iterable[Any]) -> int:
    return int(max([1, *(abs(v) for v in values if _is_count(v)), *map(_text_size, values)]))


def _filter_result_size(name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> int:
    """An upper bound of the characters a filter would produce, before it runs (0: no bound
    needed: the filter does not grow its input by more than a constant factor)."""
    if not args:
        return 0
    value, rest = args[0], [*args[1:], *kwargs.values()]
    size = _deep_size(value)
    lines = value.count("\n") + 1 if isinstance(value, str) else 1
    if name == "indent":
        return size + lines * _widest(rest[:1] or [4])
    if name in ("center", "wordwrap", "replace", "format", "truncate"):
        return size * _widest(rest) + _widest(rest)
    if name == "join":
        return _joined_size(value, rest[0] if rest else "")
    if name in ("escape", "e", "forceescape", "urlencode", "tojson", "string", "pprint"):
        return size * 6
    return 0


def _listed(items: Any) -> Any:
    """A lazy sequence made a list, refused as soon as its items pass MAX_SIZE in text."""
    if isinstance(items, str | bytes | list | tuple | dict) or not hasattr(items, "__iter__"):
        return items
    kept: list[Any] = []
    total = 0
    seen: dict[int, int] = {}
    for item in items:
        _tick()
        total += _deep_size(item, seen) + 1
        if total > MAX_SIZE:
            raise TemplateLimit(f"a value longer than {MAX_SIZE}")
        kept.append(item)
    return kept


def _method_result_size(owner: str, name: str, args: list[Any]) -> int:
    """An upper bound of what a string method would produce, before it runs."""
    if name == "join":
        return _joined_size(_listed(args[0]) if args else (), owner)
    return len(owner) * _widest(args) + _widest(args)


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _counted(items: Any) -> Iterator[Any]:
    """Every `for` loop iterates through this, so nested loops share one step budget."""
    for item in items:
        _tick()
        yield item


class _LimitedEnvironment(SandboxedEnvironment):
    """The sandbox, plus bounds on time, steps and the size of every value built.

    Jinja's sandbox stops attribute escapes but not `'x' * 10**9`, nested loops over large
    ranges, or string doubling; a playbook is input from whoever configures the service, and
    its variables come from comments.
    """

    intercepted_binops = frozenset({"*", "**", "%", "+"})

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        _tick()
        if operator == "*" and (_is_count(left) or _is_count(right)):
            sized, count = (right, left) if _is_count(left) else (left, right)
            if (
                isinstance(sized, str | bytes | list | tuple)
                and _deep_size(sized) * count > MAX_SIZE
            ):
                raise TemplateLimit(f"a value longer than {MAX_SIZE}")
        elif operator == "**" and isinstance(right, int) and abs(right) > 64:
            raise TemplateLimit("an exponent above 64")
        elif operator == "%" and isinstance(left, str) and _WIDE_FORMAT.search(left):
            raise TemplateLimit("a format width above 99999")
        return _sized(super().call_binop(context, operator, left, right))

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        _tick()
        _check_numbers([*args, *kwargs.values()])
        owner = getattr(__obj, "__self__", None)
        if isinstance(owner, str):
            if _WIDE_FORMAT.search(owner):
                raise TemplateLimit("a format width above 99999")
            name = getattr(__obj, "__name__", "")
            if _method_result_size(owner, name, [*args, *kwargs.values()]) > MAX_SIZE:
                raise TemplateLimit(f"a value longer than {MAX_SIZE}")
        return _sized(super().call(__context, __obj, *args, **kwargs))

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        owner = getattr(value, "__self__", None)
        if isinstance(owner, str) and _WIDE_FORMAT.search(owner):
            raise TemplateLimit("a format width above 99999")
        return super().wrap_str_format(value)

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        tree = super()._parse(source, name, filename)
        for loop in tree.find_all(nodes.For):
            loop.iter = nodes.Filter(loop.iter, "_counted", [], [], None, None, lineno=loop.lineno)
        for output in tree.find_all(nodes.Output):
            output.nodes = [
                n
                if isinstance(n, nodes.TemplateData)
                else nodes.Filter(n, "_sized", [], [], None, None, lineno=n.lineno)
                for n in output.nodes
            ]
        for concat in list(tree.find_all(nodes.Concat)):
            concat.nodes = [
                nodes.Filter(n, "_sized", [], [], None, None, lineno=concat.lineno)
                for n in concat.nodes
            ]
        return tree


def _bounded_filter(filter_: Callable[..., Any], name: str = "") -> Callable[..., Any]:
    """The filter, refused before it runs when its result would pass MAX_SIZE (issue 23,
    item 7: `('a\\n'*50000)|indent(90000)` once built 8.6 GB before the size check)."""

    @functools.wraps(filter_)
    def bounded(*args: Any, **kwargs: Any) -> Any:
        _tick()
        # Filters marked pass_context, pass_eval_context or pass_environment get that first.
        skip = 1 if getattr(filter_, "jinja_pass_arg", None) else 0
        if name in ("join", "string", "pprint", "tojson") and len(args) > skip:
            args = (*args[:skip], _listed(args[skip]), *args[skip + 1 :])
        plain = args[skip:]
        _check_numbers([*plain[1:], *kwargs.values()])
        if _filter_result_size(name, tuple(plain), kwargs) > MAX_SIZE:
            raise TemplateLimit(f"`{name}` would build a value longer than {MAX_SIZE}")
        return _sized(filter_(*args, **kwargs))

    return bounded


ENV = _LimitedEnvironment(
    undefined=StrictUndefined, autoescape=False, trim_blocks=True, lstrip_blocks=True
)
ENV.filters = {name: _bounded_filter(f, name) for name, f in ENV.filters.items()}
ENV.filters["_counted"] = _counted
ENV.filters["_sized"] = _sized
ENV.globals["range"] = _bounded_filter(safe_range)


class TemplateProblem(Exception):
    """A template that does not parse or does not render; the message says why."""


class _Bounded:
    """Within the block, the current render or evaluation has a step budget and a deadline."""

    def __enter__(self) -> None:
        self._token = _BUDGET.set(_Budget(MAX_STEPS, time.monotonic() + MAX_SECONDS))

    def __exit__(self, *_: object) -> None:
        _BUDGET.reset(self._token)


def is_template(text: str) -> bool:
    return "{{" in text or "{%" in text


@lru_cache(maxsize=4096)
def _parse(source: str) -> TemplateAst:
    try:
        return ENV.parse(source)
    except TemplateError as exc:
        raise TemplateProblem(f"template syntax error: {exc.message}") from exc


@lru_cache(maxsize=4096)
def _template(source: str) -> Template:
    return ENV.from_string(source)


@lru_cache(maxsize=1024)
def _expression(expression: str) -> Callable[..., Any]:
    return ENV.compile_expression(expression, undefined_to_none=False)


def _expression_source(expression: str) -> str:
    return "{{ (" + expression + ") }}"


def names_in(text: str, *, expression: bool = False) -> set[str]:
    """Names a template or expression reads from its context (its own `set`/`for` excluded)."""
    source = _expression_source(text) if expression else text
    return set(meta.find_undeclared_variables(_parse(source))) - set(ENV.globals)


def render_text(text: str, context: dict[str, Any]) -> str:
    """The rendered text without the surrounding whitespace YAML block scalars leave."""
    if not is_template(text):
        return text.strip()
    _parse(text)
    try:
        with _Bounded():
            return _joined(_template(text).generate(context)).strip()
    except TemplateError as exc:
        raise TemplateProblem(f"template error: {exc.message}") from exc
    except (TypeError, ValueError, ArithmeticError, RecursionError, MemoryError) as exc:
        raise TemplateProblem(f"template error: {exc}") from exc


def _joined(chunks: Iterator[str]) -> str:
    """The output, stopped as soon as it passes MAX_OUTPUT characters."""
    parts: list[str] = []
    size = 0
    for chunk in chunks:
        size += len(chunk)
        if size > MAX_OUTPUT:
            raise TemplateLimit(f"output longer than {MAX_OUTPUT} characters")
        parts.append(chunk)
    return "".join(parts)


def evaluate(expression: str, context: dict[str, Any]) -> Any:
    """The value of a Jinja expression such as `size == 'large'` or `sprint_weeks * 2`."""
    _parse(_expression_source(expression))
    try:
        with _Bounded():
            value = _expression(expression)(**context)
        if isinstance(value, Undefined):
            value._fail_with_undefined_error()
        return value
    except TemplateError as exc:
        raise TemplateProblem(f"expression error: {exc.message}") from exc
    except (TypeError, ValueError, ArithmeticError, RecursionError, MemoryError) as exc:
        raise TemplateProblem(f"expression error: {exc}") from exc
