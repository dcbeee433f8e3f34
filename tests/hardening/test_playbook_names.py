"""Comments and events choose a playbook by name among the configured ones; never a path."""

from __future__ import annotations

import builtins
from pathlib import Path

import pytest

from bot.events.commands.errors import BadArguments
from bot.events.commands.parser import CommandLine
from bot.events.commands.registry import resolve
from bot.playbook import PlaybookError
from bot.playbook.playbook import is_playbook_name, load_named_playbook, playbook_catalog
from bot.playbook.source import MAX_FILE_BYTES, read_yaml
from bot.playbook.templates import TemplateProblem, evaluate, render_text

HOSTILE = [
    "/etc/passwd",
    "../../etc/passwd",
    "etc/passwd",
    "secrets.yml",
    "config.yaml",
    "..",
    ".hidden",
    "~root",
    "C:\\Windows\\win.ini",
    "x" * 65,
    "",
]


@pytest.fixture
def opened(monkeypatch):
    """Every file the code under test opens for reading, by resolved path."""
    seen: list[str] = []
    real_open, real_path_open = builtins.open, Path.open

    def spy_open(file, *args, **kwargs):
        seen.append(str(file))
        return real_open(file, *args, **kwargs)

    def spy_path_open(self, *args, **kwargs):
        seen.append(str(self))
        return real_path_open(self, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", spy_open)
    monkeypatch.setattr(Path, "open", spy_path_open)
    return seen


@pytest.mark.parametrize("name", HOSTILE)
def test_a_path_is_no_playbook_name_and_is_refused_without_reading_anything(name, opened):
    assert not is_playbook_name(name)
    catalog = playbook_catalog()
    opened.clear()
    with pytest.raises(PlaybookError) as refused:
        load_named_playbook(name, catalog)
    assert opened == []
    (problem,) = refused.value.problems
    assert "available: ps-lifecycle, tool-adoption, transformation" in problem.message
    assert "/" not in problem.message


def test_psdm_plan_etc_passwd_is_refused_by_the_argument_layer(opened):
    for command in ("plan /etc/passwd", "apply ../x.yml customer=A", "plan secrets.yml"):
        line = CommandLine(1, f"/psdm {command}", command)
        with pytest.raises(BadArguments) as refused:
            resolve(line)
        assert "by its name" in refused.value.reason
    assert opened == []


def test_a_name_chooses_among_the_shipped_and_configured_playbooks(tmp_path):
    own = tmp_path / "own.yml"
    shipped = playbook_catalog().path("tool-adoption")
    assert shipped is not None
    own.write_text(shipped.read_text().replace("extends: ", f"extends: {shipped.parent}/", 1))
    catalog = playbook_catalog({"our-own": own})
    assert "our-own" in catalog.names and "tool-adoption" in catalog.names
    assert load_named_playbook("tool-adoption", catalog).name == "tool-adoption"
    assert resolve(CommandLine(1, "/psdm plan our-own", "plan our-own")).arguments.playbook == (
        "our-own"
    )
    with pytest.raises(ValueError):
        playbook_catalog({"../bad": own})


def test_problems_of_a_named_playbook_show_its_name_not_the_server_path(tmp_path):
    broken = tmp_path / "deep" / "server" / "broken.yml"
    broken.parent.mkdir(parents=True)
    broken.write_text("name: broken\ntitle: B\nunknown_key: 1\n")
    with pytest.raises(PlaybookError) as failed:
        load_named_playbook("broken", playbook_catalog({"broken": broken}))
    text = str(failed.value)
    assert "broken:" in text and str(tmp_path) not in text and "deep/server" not in text


def test_a_file_over_the_cap_is_refused_unread(tmp_path):
    big = tmp_path / "big.yml"
    with big.open("wb") as handle:
        handle.truncate(MAX_FILE_BYTES * 64)
    tree, problems = read_yaml(big, "big")
    assert tree is None and "larger than" in problems[0].message


@pytest.mark.parametrize(
    "template",
    [
        "{{ 'a' * 10**9 }}",
        "{{ 10**9 * 'a' }}",
        "{{ 'x' | center(1000000000) }}",
        "{{ 'x'.ljust(10**9) }}",
        "{{ '{:>999999999}'.format(1) }}",
        "{{ '%999999999d' % 1 }}",
        "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
        "{% set ns = namespace(x='ab') %}{% for i in range(60) %}"
        "{% set ns.x = ns.x ~ ns.x %}{% endfor %}{{ ns.x }}",
        "{% for i in range(99999) %}{{ 'abcdefgh' }}{% endfor %}",
        "{{ ('ab' * 40000).replace('a', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa') }}",
        "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}",
    ],
)
def test_templates_render_under_size_and_step_limits(template):
    with pytest.raises(TemplateProblem):
        render_text(template, {})


def test_ordinary_templates_and_expressions_still_work():
    assert render_text("{{ customer }}: {{ weeks * 2 }} weeks", {"customer": "A", "weeks": 3}) == (
        "A: 6 weeks"
    )
    assert render_text("{% for i in range(3) %}{{ i }}{% endfor %}", {}) == "012"
    assert evaluate("size == 'large'", {"size": "large"}) is True
    assert evaluate("200000 * 300000", {}) == 60_000_000_000
    with pytest.raises(TemplateProblem):
        evaluate("'a' * 10**10", {})
