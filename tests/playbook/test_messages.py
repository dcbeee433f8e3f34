"""Validation messages a person can act on: one per mistake, did-you-mean for keys and names,
YAML syntax errors where the mistake is."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.playbook.playbook import read_playbook

LABEL = """\
name: tiny
title: Tiny
variables:
  customer: {type: string}
  start_date: {type: date}
labels:
  - key: a
    name: A
    {field}
"""


def problems_of(tmp_path: Path, text: str) -> list[tuple[int, int, str]]:
    path = tmp_path / "tiny.yml"
    path.write_text(text)
    _, found = read_playbook(path)
    return sorted({(p.line, p.col, p.message) for p in found})


def test_an_invalid_colour_is_one_message_saying_what_to_write(tmp_path: Path) -> None:
    found = problems_of(tmp_path, LABEL.replace("{field}", 'color: "blue"'))
    assert found == [(9, 12, "labels[a].color: 'blue' is no colour: write #RRGGBB, e.g. #1F75CB")]


def test_a_misspelt_key_is_one_message_with_the_key_meant(tmp_path: Path) -> None:
    found = problems_of(tmp_path, LABEL.replace("{field}", 'colour: "#123456"'))
    assert found == [(9, 5, "unknown key 'colour': did you mean 'color'?")]


def test_a_key_far_from_any_gets_no_guess(tmp_path: Path) -> None:
    found = problems_of(tmp_path, LABEL.replace("{field}", 'color: "#123456"\n    zzz: 1'))
    assert found == [(10, 5, "unknown key 'zzz'")]


def test_a_top_level_key_is_matched_against_top_level_keys(tmp_path: Path) -> None:
    found = problems_of(tmp_path, LABEL.replace("{field}", 'color: "#123456"') + "boads: []\n")
    assert found == [(10, 1, "unknown key 'boads': did you mean 'boards'?")]


@pytest.mark.parametrize(
    ("text", "where", "words"),
    [
        ('name: x\ntitle: "abc\nfoo: 1\nbar: 2\nbaz: 3\n', (2, 8), "quoted text opened here"),
        ("name: x\ntitle: 'abc\n", (2, 8), "never closed"),
        ("name: x\nlabels: [a, b\ntitle: y\n", (3, 6), "flow sequence from line 2"),
    ],
)
def test_a_yaml_syntax_error_is_reported_where_it_is(tmp_path: Path, text, where, words) -> None:
    (found,) = problems_of(tmp_path, text)
    assert found[:2] == where
    assert words in found[2] and found[2].startswith("YAML syntax error: ")


def test_an_unknown_shipped_playbook_name_gets_a_did_you_mean() -> None:
    _, found = read_playbook("tool-adoptoin")
    assert "did you mean 'tool-adoption'?" in found[0].message


def test_a_misspelt_configured_playbook_name_gets_a_did_you_mean() -> None:
    from bot.playbook import PlaybookError
    from bot.playbook.playbook import load_named_playbook, playbook_catalog

    with pytest.raises(PlaybookError) as caught:
        load_named_playbook("transformaton", playbook_catalog())
    assert "did you mean 'transformation'?" in str(caught.value)
