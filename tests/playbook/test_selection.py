from datetime import date

from bot.playbook.selection import Choice, PlaybookRule, ProjectFacts, choose_playbook

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
