"""Golden files: the rendered blueprint of every shipped playbook for a sample customer.

Regenerate after an intended change with `PSDM_UPDATE_GOLDEN=1 python -m pytest
tests/playbook/test_golden.py` and review the diff; without the switch they are only read.
"""

import dataclasses
import json
import os
from datetime import date
from pathlib import Path

import pytest

from bot.playbook import load_playbook, render, shipped_playbooks

GOLDEN = Path(__file__).parent / "golden"
SAMPLE = {"customer": "Acme Corp", "start_date": "2026-01-06"}
REGENERATE = os.environ.get("PSDM_UPDATE_GOLDEN") == "1"


def as_json(blueprint) -> str:
    def plain(value):
        if isinstance(value, date):
            return value.isoformat()
        raise TypeError(value)

    return json.dumps(dataclasses.asdict(blueprint), indent=2, default=plain) + "\n"


@pytest.mark.parametrize("name", shipped_playbooks())
def test_rendered_blueprint_matches_its_golden_file(name):
    text = as_json(render(load_playbook(name), SAMPLE))
    golden = GOLDEN / f"{name}.json"
    if REGENERATE:
        golden.write_text(text, encoding="utf-8")
    assert golden.is_file(), f"missing {golden}; regenerate with PSDM_UPDATE_GOLDEN=1"
    assert text == golden.read_text(encoding="utf-8")
