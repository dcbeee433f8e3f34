"""Comments the bot keeps once, keyed by a marker, wherever the thing commented on lives.

An epic in work-item mode takes work-item notes (GraphQL `createNote` / `updateNote` on the
work item, read through its NOTES widget); the REST epic notes endpoint
(`/groups/:id/epics/:epic_id/notes`) belongs to the deprecated epics API (verified.md 3.7).
Issues, and epics on Free (parent issues), keep their REST notes (`rest.note_once`).
"""

from __future__ import annotations

from typing import Any

from bot.gitlab.connection import Connection
from bot.gitlab.errors import Rejected
from bot.gitlab.graphql import execute
from bot.gitlab.rest import create_once

EPIC_NOTES = """
query($path: ID!, $iid: String!, $after: String) {
  namespace(fullPath: $path) {
    workItem(iid: $iid) {
      id
      widgets {
        type
        ... on WorkItemWidgetNotes {
          discussions(filter: ONLY_COMMENTS, first: 100, after: $after) {
            pageInfo { hasNextPage endCursor }
            nodes { notes(first: 100) { nodes { id body } } }
          }
        }
      }
    }
  }
}
"""

CREATE_NOTE = """
mutation($input: CreateNoteInput!) {
  createNote(input: $input) { note { id body } errors }
}
"""

UPDATE_NOTE = """
mutation($input: UpdateNoteInput!) {
  updateNote(input: $input) { note { id body } errors }
}
"""


def _notes(conn: Connection, group_path: str, iid: int) -> tuple[str, list[dict[str, Any]]]:
    """The work item's global id and every comment on it."""
    found: list[dict[str, Any]] = []
    after = None
    while True:
        data = execute(conn.graphql, EPIC_NOTES, path=group_path, iid=str(iid), after=after)
        item = (data.get("namespace") or {}).get("workItem")
        if not item:
            raise Rejected(f"epic &{iid} of {group_path} is not a work item GitLab knows")
        widget: dict[str, Any] = next((w for w in item["widgets"] if w.get("type") == "NOTES"), {})
        discussions = widget.get("discussions") or {}
        for discussion in discussions.get("nodes") or []:
            found += (discussion.get("notes") or {}).get("nodes") or []
        page = discussions.get("pageInfo") or {}
        if not page.get("hasNextPage"):
            return str(item["id"]), found
        after = page["endCursor"]


def _mutate(conn: Connection, query: str, payload: dict[str, Any], name: str) -> dict[str, Any]:
    answer = execute(conn.graphql_once, query, input=payload)[name]
    if answer.get("errors") or not answer.get("note"):
        raise Rejected(f"GitLab refused {name}: {'; '.join(answer.get('errors') or [])}")
    return dict(answer["note"])


def epic_note_once(
    conn: Connection, group_path: str, iid: int, marker: str, body: str, internal: bool = False
) -> str:
    """The one comment carrying `marker` on work-item epic `iid`: posted once (looked for again
    before any retry), its text brought up to date when it differs. Returns the note's gid."""
    text = f"{body}\n\n{marker}"

    def find() -> dict[str, Any] | None:
        notes = _notes(conn, group_path, iid)[1]
        return next((n for n in notes if marker in (n.get("body") or "")), None)

    gid, notes = _notes(conn, group_path, iid)
    note = next((n for n in notes if marker in (n.get("body") or "")), None)
    if note is None:
        payload = {"noteableId": gid, "body": text, "internal": internal}
        note = create_once(lambda: _mutate(conn, CREATE_NOTE, payload, "createNote"), find)
    elif note.get("body") != text:
        _mutate(conn, UPDATE_NOTE, {"id": note["id"], "body": text}, "updateNote")
    return str(note["id"])
