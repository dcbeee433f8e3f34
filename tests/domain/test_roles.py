import pytest

from bot.domain.roles import UnknownRole, people, role, role_map, usernames


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("alice", ("alice",)),
        ("@alice, bob", ("alice", "bob")),
        ("alice bob alice", ("alice", "bob")),
        ("", ()),
        (None, ()),
        ("-bad, ok.name, ../x", ("ok.name",)),
    ],
)
def test_usernames_are_read_from_a_variable(value, expected):
    assert usernames(value) == expected


def test_a_single_role_keeps_its_first_person_and_a_team_role_keeps_all():
    variables = {"project_manager": "pat, quinn", "technical_architects": "ta1, ta2"}
    assert people(variables, "pm") == ("pat",)
    assert people(variables, "technical_architect") == ("ta1", "ta2")
    assert role_map(variables) == {
        "project_manager": ("pat",),
        "technical_architect": ("ta1", "ta2"),
    }


def test_unknown_roles_are_refused_with_the_known_ones():
    with pytest.raises(UnknownRole, match="project_manager"):
        role("janitor")
    assert role("Sponsor").key == "customer_sponsor"
