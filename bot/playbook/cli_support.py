"""What the `validate` and `schema` commands print, kept out of the typer wrappers."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from bot.playbook.playbook import playbooks_dir
from bot.playbook.problems import Problem
from bot.playbook.schema import playbook_json_schema
from bot.playbook.validate import validate_paths


def playbook_files(paths: Sequence[Path]) -> list[Path]:
    """The files to validate: each file given, each directory's *.yml, or all shipped ones."""
    if not paths:
        return sorted(playbooks_dir().glob("*.yml"))
    files: list[Path] = []
    for path in paths:
        files.extend(sorted(path.glob("*.yml")) if path.is_dir() else [path])
    return files


def validate_report(files: Sequence[Path]) -> tuple[list[Problem], str]:
    """The problems of `files` and the one-line summary to print after them."""
    problems = validate_paths(files)
    bad = len({p.file for p in problems})
    if problems:
        return problems, f"{len(problems)} problem(s) in {bad} of {len(files)} playbook file(s)"
    return problems, f"{len(files)} playbook file(s) valid"


def schema_text() -> str:
    return json.dumps(playbook_json_schema(), indent=2) + "\n"
