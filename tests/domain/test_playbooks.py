from datetime import date

from bot.domain.model import ProjectFacts
from bot.domain.playbooks import Asked, Choice, PlaybookRule
from bot.domain.playbooks import choose_playbook as choose


def choose_playbook(facts, rules):
    return choose(facts, None, None, rules)


DEFAULT = [PlaybookRule("from-topic", topic="psdm::*")]


def project(path="acme/portal", topics=(), name="Portal"):
    return ProjectFacts(7, path, name, tuple(topics), date(2026, 1, 6))


def test_the_default_rule_takes_the_playbook_from_a_psdm_topic():
    choice = choose_playbook(project(topics=["web", "psdm::tool-adoption"]), DEFAULT)
    assert choice == Choice("tool-adoption", {"customer": "Portal", "start_date": "2026-01-06"})


def test_without_a_matching_rule_nothing_is_chosen():
    assert choose_playbook(project(topics=["web"]), DEFAULT) is None
    assert choose_playbook(project(), []) is None


def test_a_namespace_rule_covers_subgroups_but_not_lookalikes():
    rules = [PlaybookRule("transformation", namespace="acme")]
    assert choose_playbook(project("acme/eu/portal"), rules).playbook == "transformation"
    assert choose_playbook(project("acme-labs/portal"), rules) is None


def test_a_name_pattern_rule_and_its_variables_win_over_derived_ones():
    rules = [PlaybookRule("tool-adoption", name="ps-*", variables={"customer": "Acme"})]
    choice = choose_playbook(project("customers/ps-acme"), rules)
    assert choice.variables["customer"] == "Acme"
    assert choose_playbook(project("customers/internal"), rules) is None


def test_the_first_matching_rule_wins():
    rules = [
        PlaybookRule("transformation", topic="transform"),
        PlaybookRule("tool-adoption"),
    ]
    assert choose_playbook(project(topics=["transform"]), rules).playbook == "transformation"
    assert choose_playbook(project(), rules).playbook == "tool-adoption"


RECORDED = Choice("transformation", {"customer": "Acme", "waves": "2"})


def test_a_recorded_engagement_keeps_its_playbook_whatever_the_rules_say():
    # given a project recorded on transformation and a rule that would pick tool adoption
    rules = [PlaybookRule("tool-adoption")]
    # when nothing is asked for, or the same playbook with a variable
    same = choose(project(), RECORDED, None, rules)
    more = choose(project(), RECORDED, Asked("transformation", {"waves": "3"}), rules)
    # then the recorded playbook and variables hold, asked variables winning
    assert same == RECORDED
    assert more == Choice("transformation", {"customer": "Acme", "waves": "3"})


def test_asking_for_another_playbook_starts_from_the_projects_own_variables():
    chosen = choose(project(), RECORDED, Asked("tool-adoption", {"waves": "1"}), [])
    assert chosen == Choice(
        "tool-adoption", {"customer": "Portal", "start_date": "2026-01-06", "waves": "1"}
    )


def test_asked_variables_win_over_a_rules_variables():
    rules = [PlaybookRule("tool-adoption", variables={"customer": "Acme"})]
    chosen = choose(project(), None, Asked(None, {"customer": "Globex"}), rules)
    assert chosen is not None and chosen.variables["customer"] == "Globex"
