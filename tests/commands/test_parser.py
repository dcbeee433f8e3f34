"""Finding `/psdm` lines in a comment: examples and properties."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.events.commands.parser import command_lines

WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0-=_", min_size=1, max_size=12)
PROSE = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cs",),
        blacklist_characters="\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029",
    ),
    max_size=40,
)


def rests(body: str) -> list[str]:
    return [line.rest for line in command_lines(body)]


def test_several_commands_are_found_in_order_with_their_line_numbers():
    body = "Closing up.\n/psdm sprint close\n\nthen\n/psdm retro\n"
    found = command_lines(body)
    assert [(c.number, c.rest) for c in found] == [(2, "sprint close"), (5, "retro")]


def test_the_prefix_is_case_insensitive_and_needs_a_word_boundary():
    assert rests("/PSDM Status\n/Psdm\n/psdmstatus\n/psdm-status") == ["Status", ""]


def test_fenced_code_of_either_kind_hides_commands_until_it_closes():
    backticks = ["```", "/psdm apply", "```"]
    tildes = ["~~~~ text", "/psdm plan", "~~~", "/psdm risk", "~~~~"]
    body = "\n".join([*backticks, *tildes, "/psdm help"])
    assert rests(body) == ["help"]


def test_an_unclosed_fence_hides_the_rest_of_the_comment():
    assert rests("```python\n/psdm apply\n") == []


def test_quotes_indented_code_and_list_items_hide_commands():
    body = "> /psdm apply\n    /psdm apply\n\t/psdm apply\n- /psdm apply\n >/psdm apply"
    assert rests(body) == []


def test_gitlab_multiline_quotes_hide_commands():
    assert rests(">>>\n/psdm apply\n>>>\n/psdm status") == ["status"]


def test_windows_line_endings_are_read_like_unix_ones():
    assert rests("/psdm status\r\n/psdm help plan\r\n") == ["status", "help plan"]


@given(st.lists(st.tuples(st.booleans(), st.lists(WORD, max_size=4)), max_size=12))
def test_every_command_line_outside_code_is_found_and_nothing_else(lines):
    body = "\n".join(
        ("/psdm " + " ".join(words)) if command else ("note " + " ".join(words))
        for command, words in lines
    )
    expected = [" ".join(words) for command, words in lines if command]
    assert rests(body) == expected


@given(st.lists(st.tuples(st.sampled_from(["/psdm", "/PSDM", "/pSdM"]), WORD), max_size=8))
def test_nothing_inside_a_fence_is_ever_a_command(lines):
    inside = "\n".join(f"{prefix} {word}" for prefix, word in lines)
    assert rests(f"```\n{inside}\n```\n/psdm help") == ["help"]


@given(st.text())
def test_any_text_parses_without_error_and_only_yields_psdm_lines(body):
    for line in command_lines(body):
        assert line.text.lower().startswith("/psdm")


@given(PROSE.filter(lambda s: not s.lower().startswith("/psdm")))
def test_a_line_that_does_not_start_with_the_prefix_is_never_a_command(line):
    assert command_lines(line) == []
