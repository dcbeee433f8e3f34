"""The JSON Schema of playbook files, for editors and for `psdm-bot schema`."""

from __future__ import annotations

from typing import Any

from bot.playbook.model import PlaybookSpec

SCHEMA_ID = "https://psdm-bot.invalid/schemas/playbook.schema.json"


def playbook_json_schema() -> dict[str, Any]:
    schema = PlaybookSpec.model_json_schema(by_alias=True)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID, **schema}
