"""A team's own playbook as a short file: `extends: tool-adoption` by name, with overrides and
additions; mistakes reported in the team's file; the plan says where each object comes from."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from bot.cli import app
from bot.playbook import load_playbook, render
from bot.playbook.playbook import load_named_playbook, playbook_catalog, read_playbook

VARS = ["--var", "customer=Acme", "--var", "start_date=2026-01-05"]
HOUSE = """\
name: acme-rollout
title: Acme's tool adoption
extends: tool-adoption
variables:
  source_scm:
    type: string
    default: Bitbucket
labels:
  - key: raid-risk
    color: "#FF0000"
  - key: acme-compliance
    name: Acme Compliance
    color: "#123456"
issues:
  - key: discovery/scaling-considerations
    omit: true
"""


def house(tmp_path: Path, text: str = HOUSE) -> Path:
    path = tmp_path / "acme-rollout.yml"
    path.write_text(text)
    return path


def test_a_short_file_extends_a_shipped_playbook_by_name(tmp_path: Path) -> None:
    playbook = load_playbook(house(tmp_path))
    labels = {label.key: label for label in playbook.spec.labels}
    assert labels["raid-risk"].color == "#FF0000"  # overridden
    assert labels["raid-risk"].name == "PS Risk"  # inherited
    assert labels["acme-compliance"].name == "Acme Compliance"  # added
    shipped = load_playbook("tool-adoption")
    assert len(playbook.spec.issues) == len(shipped.spec.issues) - 1  # one omitted
    assert "discovery/scaling-considerations" not in {i.key for i in playbook.spec.issues}
    blueprint = render(playbook, {"customer": "Acme", "start_date": "2026-01-05"})
    titles = [issue.title for issue in blueprint.issues]
    assert any("Bitbucket" in title for title in titles)


def test_a_configured_playbook_is_extended_by_its_name_too(tmp_path: Path) -> None:
    base = tmp_path / "house-base.yml"
    base.write_text(HOUSE.replace("name: acme-rollout", "name: house-base"))
    child = tmp_path / "acme.yml"
    child.write_text("name: acme\ntitle: Acme\nextends: house-base\n")
    catalog = playbook_catalog({"house-base": base, "acme": child})
    playbook = load_named_playbook("acme", catalog)
    assert {label.key for label in playbook.spec.labels} >= {"acme-compliance"}


def test_a_misspelt_parent_gets_a_did_you_mean_at_the_extends_line(tmp_path: Path) -> None:
    path = house(tmp_path, HOUSE.replace("extends: tool-adoption", "extends: tool-adoptoin"))
    _, problems = read_playbook(path)
    (problem,) = problems
    assert (problem.line, problem.col) == (3, 10)
    assert (
        problem.message
        == "extends 'tool-adoptoin': no such playbook: did you mean 'tool-adoption'?"
    )


def test_mistakes_in_the_overrides_are_reported_in_the_teams_file(tmp_path: Path) -> None:
    text = HOUSE.replace('color: "#FF0000"', 'color: "#FF00"').replace(
        "name: Acme Compliance", "nmae: Acme Compliance"
    )
    _, problems = read_playbook(house(tmp_path, text))
    shown = sorted((Path(p.file).name, p.line, p.message) for p in problems)
    assert shown == [
        (
            "acme-rollout.yml",
            10,
            "labels[raid-risk].color: '#FF00' is no colour: write #RRGGBB, e.g. #1F75CB",
        ),
        ("acme-rollout.yml", 12, "unknown key 'nmae': did you mean 'name'?"),
    ]


def test_plan_shows_where_each_object_comes_from(tmp_path: Path) -> None:
    path = house(tmp_path)
    text = CliRunner().invoke(app, ["plan", str(path), *VARS]).stdout
    assert "[label:acme-compliance]  (acme-rollout.yml:11)" in text
    assert "[label:raid-risk]  (acme-rollout.yml:9)" in text
    assert "[label:raid-log]  (_ps-common.yml:" in text
    data = json.loads(
        CliRunner().invoke(app, ["plan", str(path), *VARS, "--format", "json"]).stdout
    )
    origin = {op["key"]: op["origin"] for op in data["operations"]}
    assert origin["label:acme-compliance"] == "acme-rollout.yml:11"
    assert origin["issue:discovery/stakeholder-planning"].startswith("_psdm-base.yml:")
