"""The low findings of issue 23 (item 8), each with the repro that once worked."""

from __future__ import annotations

import gitlab
import pytest
from fastapi import FastAPI, Request, Response

from bot.domain import decisions
from bot.domain.model import LiveNote
from bot.domain.playbooks import Choice
from bot.events.commands.errors import UnknownCommand
from bot.events.commands.parser import command_lines
from bot.events.commands.registry import resolve
from bot.gitlab.connection import Connection, client_for, forget
from bot.gitlab.errors import GitLabError, explain
from bot.gitlab.limits import limits_for
from bot.gitlab.rest import every
from bot.playbook.problems import PlaybookError
from bot.service.runners import blueprint_of
from bot.service.threaded import run_in_thread


def test_a_render_problem_names_the_playbook_file_not_a_server_path():
    with pytest.raises(PlaybookError) as raised:
        blueprint_of(Choice("tool-adoption", {"start_date": "someday"}))
    shown = [str(problem) for problem in raised.value.problems]
    assert shown and all("/" not in problem.file for problem in raised.value.problems), shown
    assert any("_ps-common.yml:" in line for line in shown)


@pytest.fixture
def looping_gitlab():
    """A list endpoint whose `next` link points back at the same page."""
    hits: list[str] = []
    app = FastAPI()

    @app.get("/api/v4/projects/1/labels")
    def labels(request: Request, response: Response) -> list[dict]:
        hits.append(str(request.url))
        response.headers["Link"] = f'<{request.url}>; rel="next"'
        return [{"id": 1, "name": "loop"}]

    server = run_in_thread(app)
    server.hits = hits
    yield server
    server.stop()
    forget(server.url)


def test_a_next_link_back_to_the_same_page_ends_the_listing(looping_gitlab):
    client = client_for(looping_gitlab.url, "t", limits=limits_for(looping_gitlab.url, "none"))
    with pytest.raises(gitlab.GitlabListError, match="already read") as raised:
        every(Connection(client).rest, "/projects/1/labels")
    assert len(looping_gitlab.hits) <= 3
    explained = explain(raised.value, url=looping_gitlab.url, project="p", doing="reading labels")
    assert isinstance(explained, GitLabError) and "already read" in explained.message


def test_the_kelvin_sign_is_no_k():
    (line,) = command_lines("/psdm ris\u212a high: tokens expire")
    with pytest.raises(UnknownCommand):
        resolve(line)
    assert command_lines("/p\u017fdm status") == []  # a long s is no s either
    assert resolve(command_lines("/PSDM RISK high: x")[0]).command.name == "risk"


@pytest.mark.parametrize(
    "body",
    [
        "- item\n/psdm status",
        "1. item\n/psdm status",
        "* item\n  more\n/psdm status",
        "- > quoted\n/psdm status",
    ],
)
def test_a_lazy_continuation_of_a_list_item_never_runs(body):
    assert command_lines(body) == []


def test_a_paragraph_after_a_list_still_runs():
    assert [c.rest for c in command_lines("- item\n\n/psdm status")] == ["status"]


def test_a_risk_written_by_the_bot_mentions_nobody_and_runs_no_quick_action():
    for text in ("risk high: @all please look", "risk /close", "risk high: /assign @bob"):
        arguments = resolve(command_lines(f"/psdm {text}")[0]).arguments
        decided = decisions.risk(arguments.text, "alice", 3, 9)
        (issue,) = decided.effects
        description = issue.description.replace("Raised by @alice", "")
        assert "@all" not in description and "@bob" not in description, description
        assert not issue.description.startswith("/"), issue.description


class _NoGitLab:
    """Engagements whose GitLab must not be touched: any use fails the test."""

    def gitlab(self, *_: object) -> None:
        raise AssertionError("a comment over its author's limit reached GitLab")


def test_comments_past_the_limit_cost_no_gitlab_request_once_the_author_was_told(tmp_path):
    """8c: 40 Guest comments took 63 s of GitLab requests to drain, whatever the rate limit
    said. Once the author has been answered that they are over it, their further comments in
    the same window are dropped before any read, award or reply."""
    from bot.config import Settings
    from bot.events.commands.comment import CommandComment
    from bot.events.event import Event
    from bot.service.commands import CommandRunners
    from bot.service.store import Store

    settings = Settings(
        webhook_secrets=["s"],
        database_url=f"sqlite:///{tmp_path}/psdm.sqlite",
        command_rate_limit=2,
    )
    runners = CommandRunners(settings, Store(settings.database_url), _NoGitLab())  # type: ignore[arg-type]
    note, [line] = (
        LiveNote(1, 7, "guest", "/psdm risk x", False),
        command_lines("/psdm risk x"),
    )
    assert runners.admit(note, line, 10) is not None  # refused by role: a slot taken
    assert runners.admit(note, line, 10) is not None
    comment = CommandComment(1, 1, 99, 7, "guest", False, (line,))
    event = Event.from_delivery("Note Hook", {"object_kind": "note"})
    # Full, but not yet told: the next comment is still read and answered (here: GitLab).
    with pytest.raises(AssertionError, match="reached GitLab"):
        runners.run(comment, event)
    assert runners.admit(note, line, 10) is not None  # the refusal that tells the author
    assert runners.run(comment, event).endswith("over the command limit")
    other = CommandComment(1, 1, 100, 8, "maintainer", False, (line,))
    with pytest.raises(AssertionError, match="reached GitLab"):
        runners.run(other, event)  # someone else is not held back
