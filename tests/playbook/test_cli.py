"""The `validate` and `schema` commands, through typer's runner."""

import json
from pathlib import Path

from typer.testing import CliRunner

from bot.cli import app
from bot.playbook import playbook_json_schema

FIXTURES = Path(__file__).parent / "fixtures"
SCHEMA_FILE = Path(__file__).parents[2] / "schemas" / "playbook.schema.json"
runner = CliRunner()


def test_validate_without_arguments_checks_the_shipped_playbooks_and_exits_0():
    result = runner.invoke(app, ["validate"])
    assert result.exit_code == 0, result.output
    assert "5 playbook file(s) valid" in result.output


def test_validate_prints_file_line_col_and_exits_1_on_mistakes():
    result = runner.invoke(app, ["validate", str(FIXTURES / "broken.yml")])
    assert result.exit_code == 1
    assert "tests/playbook/fixtures/broken.yml:40:23: unknown label 'PS Riks'" in result.output
    assert "11 problem(s) in 1 of 1 playbook file(s)" in result.output


def test_validate_a_directory_checks_each_yml_in_it():
    result = runner.invoke(app, ["validate", str(FIXTURES)])
    assert result.exit_code == 1
    assert "cycle-a.yml:3:10: extends cycle" in result.output
    assert "of 3 playbook file(s)" in result.output


def test_validate_exits_2_on_a_usage_error():
    assert runner.invoke(app, ["validate", "no/such/playbook.yml"]).exit_code == 2
    assert runner.invoke(app, ["validate", "--no-such-option"]).exit_code == 2


def test_schema_prints_the_committed_schema_file():
    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0
    assert json.loads(result.output) == playbook_json_schema()
    assert result.output == SCHEMA_FILE.read_text(encoding="utf-8")
