"""Issue boards and their lists, for projects and groups."""

from __future__ import annotations

from typing import Any

from ..model import REPORTER, Board, BoardList, Group, Project
from ..routing import Routes
from ..web import ApiError, Ctx, Reply, bad_request, not_found, paginate
from .common import find_owner, need_owner

api = Routes()


def _find_board(ctx: Ctx, kind: str, owner: Any) -> Board:
    board = ctx.state.boards.get(ctx.path_int("board_id"))
    if board is None or board.owner != kind or board.owner_id != owner.id:
        raise not_found("Board")
    return board


def _find_list(ctx: Ctx, board: Board) -> BoardList:
    list_id = ctx.path_int("list_id")
    found = next((item for item in board.lists if item.id == list_id), None)
    if found is None:
        raise not_found("List")
    return found


def _label_ids(ctx: Ctx, kind: str, owner: Any, names: list[str]) -> list[int]:
    project, group = (owner, None) if kind == "project" else (None, owner)
    ids = []
    for name in names:
        label = ctx.state.find_label(project, group, name)
        if label is not None:
            ids.append(label.id)
    return ids


def _apply(ctx: Ctx, kind: str, owner: Any, board: Board) -> None:
    p = ctx.params
    if p.has("name"):
        board.name = p.str("name") or board.name
    if p.has("hide_backlog_list"):
        board.hide_backlog_list = bool(p.bool("hide_backlog_list"))
    if p.has("hide_closed_list"):
        board.hide_closed_list = bool(p.bool("hide_closed_list"))
    if ctx.state.has("board_scopes"):
        if p.has("assignee_id"):
            board.assignee_id = p.int("assignee_id")
        if p.has("milestone_id"):
            board.milestone_id = p.int("milestone_id")
        if p.has("weight"):
            board.weight = p.int("weight")
        if p.has("labels"):
            board.label_ids = _label_ids(ctx, kind, owner, p.list("labels") or [])


def _register(kind: str) -> None:
    base = f"/{kind}s/{{id}}/boards"

    def editable(ctx: Ctx) -> tuple[Project | Group, Board]:
        """The board the path names, which the caller may change (Reporter and above)."""
        owner = find_owner(ctx, kind)
        board = _find_board(ctx, kind, owner)
        need_owner(ctx, owner, REPORTER)
        return owner, board

    def listing(ctx: Ctx) -> Reply:
        owner = find_owner(ctx, kind)
        boards = sorted(
            (b for b in ctx.state.boards.values() if b.owner == kind and b.owner_id == owner.id),
            key=lambda b: b.id,
        )
        return paginate(ctx, boards, ctx.render.board)

    def get(ctx: Ctx) -> dict[str, Any]:
        return ctx.render.board(_find_board(ctx, kind, find_owner(ctx, kind)))

    def create(ctx: Ctx) -> dict[str, Any]:
        owner = find_owner(ctx, kind)
        need_owner(ctx, owner, REPORTER)
        ctx.params.require("name")
        board = Board(
            ctx.state.next_id("board"),
            ctx.params.str("name") or "",
            kind,  # type: ignore[arg-type]
            owner.id,
        )
        _apply(ctx, kind, owner, board)
        ctx.state.boards[board.id] = board
        return ctx.render.board(board)

    def update(ctx: Ctx) -> dict[str, Any]:
        owner, board = editable(ctx)
        _apply(ctx, kind, owner, board)
        return ctx.render.board(board)

    def delete(ctx: Ctx) -> Reply:
        _, board = editable(ctx)
        del ctx.state.boards[board.id]
        return Reply(None, 204)

    def lists(ctx: Ctx) -> Reply:
        board = _find_board(ctx, kind, find_owner(ctx, kind))
        ordered = sorted(board.lists, key=lambda item: item.position)
        return paginate(ctx, ordered, ctx.render.board_list)

    def get_list(ctx: Ctx) -> dict[str, Any]:
        board = _find_board(ctx, kind, find_owner(ctx, kind))
        return ctx.render.board_list(_find_list(ctx, board))

    def create_list(ctx: Ctx) -> dict[str, Any]:
        owner, board = editable(ctx)
        p, state = ctx.params, ctx.state
        chosen = [
            n for n in ("label_id", "assignee_id", "milestone_id", "iteration_id") if p.has(n)
        ]
        if len(chosen) != 1:
            raise ApiError(
                400,
                "label_id, assignee_id, milestone_id, iteration_id are missing, "
                "exactly one parameter must be provided",
                key="error",
            )
        position = max((item.position for item in board.lists), default=-1) + 1
        new = BoardList(state.next_id("board_list"), None, position)
        if chosen[0] == "label_id":
            label = state.labels.get(p.int("label_id") or 0)
            project = owner if isinstance(owner, Project) else None
            group = owner if isinstance(owner, Group) else None
            if label is None or label not in state.available_labels(project, group):
                raise ApiError(400, "Label not found!", key="error")
            if any(item.label_id == label.id for item in board.lists):
                raise bad_request({"label": ["has already been taken"]})
            new.label_id = label.id
        else:
            if not state.has("board_scopes"):
                raise ApiError(400, f"{chosen[0]} is not supported", key="error")
            value = p.int(chosen[0])
            if chosen[0] == "milestone_id":
                if value not in state.milestones:
                    raise ApiError(400, "Milestone not found!", key="error")
                new.milestone_id, new.list_type = value, "milestone"
            elif chosen[0] == "assignee_id":
                if value not in state.users:
                    raise ApiError(400, "User not found!", key="error")
                new.assignee_id, new.list_type = value, "assignee"
            else:
                new.iteration_id, new.list_type = value, "iteration"
        board.lists.append(new)
        return ctx.render.board_list(new)

    def update_list(ctx: Ctx) -> dict[str, Any]:
        _, board = editable(ctx)
        moved = _find_list(ctx, board)
        ctx.params.require("position")
        ordered = [
            item for item in sorted(board.lists, key=lambda i: i.position) if item is not moved
        ]
        target = max(0, min(ctx.params.int("position") or 0, len(ordered)))
        ordered.insert(target, moved)
        for index, item in enumerate(ordered):
            item.position = index
        return ctx.render.board_list(moved)

    def delete_list(ctx: Ctx) -> Reply:
        _, board = editable(ctx)
        board.lists.remove(_find_list(ctx, board))
        for index, item in enumerate(sorted(board.lists, key=lambda i: i.position)):
            item.position = index
        return Reply(None, 204)

    api.collection(
        base, "board_id", listing=listing, create=create, get=get, update=update, delete=delete
    )
    api.collection(
        f"{base}/{{board_id}}/lists",
        "list_id",
        listing=lists,
        create=create_list,
        get=get_list,
        update=update_list,
        delete=delete_list,
    )


_register("project")
_register("group")
