"""Only the configured PS team gets the dashboard's internal view; by default nobody does."""

from __future__ import annotations

from bot.config import Settings
from bot.gitlab.errors import Unreachable
from bot.service.audience import Team


def settings(group: str = "ps-team") -> Settings:
    return Settings(
        gitlab_url="http://gitlab.test",
        gitlab_token="t",
        webhook_secrets=["s"],
        ps_team_group=group,
    )


def test_without_a_configured_team_everyone_gets_the_customer_view():
    asked: list[int] = []
    team = Team(settings(""), member=lambda uid: asked.append(uid) or True)
    assert team.audience(1) == "customer"
    assert asked == [], "GitLab is not even asked"


def test_members_of_the_team_get_the_internal_view_and_answers_are_kept():
    asked: list[int] = []
    team = Team(settings(), member=lambda uid: asked.append(uid) or uid == 7)
    assert (team.audience(7), team.audience(8)) == ("internal", "customer")
    assert (team.audience(7), team.audience(8)) == ("internal", "customer")
    assert asked == [7, 8], "each viewer asked once within the keep time"


def test_when_gitlab_cannot_say_the_viewer_gets_the_customer_view():
    def down(_uid: int) -> bool:
        raise Unreachable("cannot reach GitLab")

    assert Team(settings(), member=down).audience(7) == "customer"
