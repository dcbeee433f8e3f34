"""Finding 7 of issue 23: a template's limits hold before a filter, a method or an output
builds its value. `('a\\n'*50000)|indent(90000)` once took 29 s and 8.6 GB before it was
refused; each case here must be refused within a moment of CPU and a few megabytes."""

from __future__ import annotations

import resource
import time

import pytest

from bot.playbook.templates import TemplateProblem, render_text

GROWING = [
    "{{ ('a\\n'*50000)|indent(90000) }}",
    "{% filter indent(90000) %}{{ 'a\\n'*50000 }}{% endfilter %}",
    "{{ ('a\\t'*50000).expandtabs(90000) }}",
    "{{ ('x'*100000)|replace('x', 'yyyyyyyyyy') }}",
    "{{ ('a'*50000)|wordwrap(1, wrapstring='x'*1000) }}",
    "{{ ('%s'*50000)|format('x'*100000) }}",
    "{{ ('ab'*40000)|center(99999) }}",
    "{{ (['x'*100000]*100000)|join }}",
    "{{ '-'.join(['x'*100000]*100000) }}",
    "{{ (['x'*10000]*10)|map('string')|join('y'*99999) }}",
    "{{ ['x'*100000]*100000 }}",
    "{{ (['x'*50000]*3)|string }}",
]


def _peak_megabytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


@pytest.mark.parametrize("template", GROWING)
def test_a_growing_template_is_refused_before_it_builds_its_value(template):
    before = _peak_megabytes()
    started = time.process_time()
    with pytest.raises(TemplateProblem, match="longer than"):
        render_text(template, {})
    assert time.process_time() - started < 0.5
    assert _peak_megabytes() - before < 50


def test_ordinary_filters_still_work():
    text = (
        "{{ 'Scope'|indent(2) }}|{{ ['a', 'b']|join(', ') }}|{{ 'a b'|replace(' ', '-') }}|"
        "{{ 'x'|center(5) }}|{{ '%s-%s'|format(1, 2) }}|{{ '-'.join(['a', 'b']) }}|"
        "{{ range(3)|map('string')|join }}|{{ [1, 2] }}"
    )
    assert render_text(text, {}) == "Scope|a, b|a-b|  x  |1-2|a-b|012|[1, 2]"
