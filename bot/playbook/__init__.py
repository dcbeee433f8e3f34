"""The PSDM content model: playbooks, variables, rendering into a blueprint."""

from bot.playbook.playbook import Playbook, load_playbook, playbooks_dir, shipped_playbooks
from bot.playbook.problems import PlaybookError, Problem
from bot.playbook.render import render
from bot.playbook.schema import playbook_json_schema
from bot.playbook.validate import validate_paths

__all__ = [
    "Playbook",
    "PlaybookError",
    "Problem",
    "load_playbook",
    "playbook_json_schema",
    "playbooks_dir",
    "render",
    "shipped_playbooks",
    "validate_paths",
]
