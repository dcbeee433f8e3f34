"""Boards (`bot/engine/reconcilers/boards.py`): the project's boards with their lists; a board
created by name, then scoped (Premium) and given the lists it lacks, each list found or created."""

from __future__ import annotations

from bot.engine.plan import Operation
from bot.engine.port import LiveObject
from bot.gitlab.kinds.context import ProjectContext
from bot.gitlab.kinds.labels import LabelStore
from bot.gitlab.rest import create_once, every, post, put


class BoardStore:
    def __init__(self, ctx: ProjectContext, labels: LabelStore) -> None:
        self.ctx = ctx
        self.labels = labels

    def read(self) -> list[LiveObject]:
        found = []
        for board in sorted(
            every(self.ctx.rest, f"/projects/{self.ctx.address}/boards"), key=lambda b: b["id"]
        ):
            lists = sorted(board.get("lists") or [], key=lambda item: item.get("position") or 0)
            names = tuple(item["label"]["name"] for item in lists if item.get("label"))
            scope = tuple(sorted(label["name"] for label in board.get("labels") or ()))
            fields = {"lists": names, "labels": scope}
            found.append(LiveObject("board", str(board["id"]), board["name"], fields))
        return found

    def write(self, op: Operation) -> int:
        rest = self.ctx.rest
        path = f"/projects/{self.ctx.pid}/boards"
        if op.op == "create":
            board = create_once(
                lambda: post(rest, path, {"name": op.title}),
                lambda: next((b for b in every(rest, path) if b["name"] == op.title), None),
            )
            board_id, have = int(board["id"]), tuple[str, ...]()
        else:
            board_id = int(str(op.ref))
            have = _names(op.changes["lists"][0] if "lists" in op.changes else op.fields["lists"])
        scope = _names(op.fields.get("labels"))
        if op.op != "create":
            scope = _names(op.changes["labels"][1]) if "labels" in op.changes else ()
        if scope:  # the board's scope (Premium): only by update, the create call takes a name
            put(rest, f"{path}/{board_id}", {"labels": ",".join(scope)})
        for name in _names(op.fields["lists"]):
            if name not in have:
                self._add_list(f"{path}/{board_id}/lists", name)
        return board_id

    def _add_list(self, path: str, label: str) -> None:
        label_id = self.labels.id_of(label)
        create_once(
            lambda: post(self.ctx.rest, path, {"label_id": label_id}),
            lambda: next(
                (
                    item
                    for item in every(self.ctx.rest, path)
                    if (item.get("label") or {}).get("id") == label_id
                ),
                None,
            ),
        )


def _names(value: object) -> tuple[str, ...]:
    """A tuple of names from an operation's field value (a tuple or list of them, or None)."""
    return tuple(str(item) for item in value) if isinstance(value, tuple | list) else ()
