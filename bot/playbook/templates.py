"""Jinja2 for playbook text: sandboxed (playbooks are user input) and strict about names."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateError, Undefined, meta
from jinja2.nodes import Template as TemplateAst
from jinja2.sandbox import SandboxedEnvironment

ENV = SandboxedEnvironment(
    undefined=StrictUndefined, autoescape=False, trim_blocks=True, lstrip_blocks=True
)


class TemplateProblem(Exception):
    """A template that does not parse or does not render; the message says why."""


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
        return _template(text).render(context).strip()
    except TemplateError as exc:
        raise TemplateProblem(f"template error: {exc.message}") from exc
    except (TypeError, ValueError, ArithmeticError) as exc:
        raise TemplateProblem(f"template error: {exc}") from exc


def evaluate(expression: str, context: dict[str, Any]) -> Any:
    """The value of a Jinja expression such as `size == 'large'` or `sprint_weeks * 2`."""
    _parse(_expression_source(expression))
    try:
        value = _expression(expression)(**context)
        if isinstance(value, Undefined):
            value._fail_with_undefined_error()
        return value
    except TemplateError as exc:
        raise TemplateProblem(f"expression error: {exc.message}") from exc
    except (TypeError, ValueError, ArithmeticError) as exc:
        raise TemplateProblem(f"expression error: {exc}") from exc
