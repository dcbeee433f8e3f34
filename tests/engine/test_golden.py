"""The offline plan of every shipped playbook, for the sample customer, against golden files.

After an intended change to a playbook or to the plan format, regenerate the files with
`PSDM_UPDATE_GOLDEN=1 python -m pytest tests/engine/test_golden.py` and review the diff.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from bot.engine.diff import diff
from bot.playbook import load_playbook, render, shipped_playbooks

GOLDEN = Path(__file__).parent / "golden"
SAMPLE = {"customer": "Acme Corp", "start_date": "2026-01-06"}


@pytest.mark.parametrize("name", shipped_playbooks())
def test_the_offline_plan_of_a_shipped_playbook_matches_its_golden_file(name):
    plan = diff(render(load_playbook(name), SAMPLE)).to_json()
    text = json.dumps(plan, indent=2, ensure_ascii=False) + "\n"
    golden = GOLDEN / f"{name}.json"
    if os.environ.get("PSDM_UPDATE_GOLDEN"):
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(text, encoding="utf-8")
    assert golden.read_text(encoding="utf-8") == text


def test_every_operation_of_an_offline_plan_is_a_create_with_a_unique_key():
    for name in shipped_playbooks():
        operations = diff(render(load_playbook(name), SAMPLE)).to_json()["operations"]
        assert {op["op"] for op in operations} == {"create"}
        keys = [op["key"] for op in operations]
        assert len(keys) == len(set(keys)), name
