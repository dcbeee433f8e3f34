"""Uploaded files: avatars of users, groups, projects and topics, and project markdown uploads.

Multipart bodies are read by `web.Params`; this module keeps the files in memory and serves
them back at the paths GitLab answers (`GL:doc/api/project_markdown_uploads.md`,
`GL:doc/api/users.md` "Upload an avatar", `GL:doc/api/groups.md` "Upload a group avatar").
"""

from __future__ import annotations

import mimetypes
import re
import secrets
from typing import Any

from ..model import GUEST, MAINTAINER, Project
from ..routing import Routes
from ..state import now
from ..web import ApiError, Ctx, Reply, Upload, not_found, paginate
from .common import find_project, need_project

api = Routes()
files = Routes(prefix="")

AVATAR_FORMATS = ("png", "jpg", "jpeg", "gif", "bmp", "tiff", "ico", "webp")
AVATAR_MAX_BYTES = 200 * 1024
"""GL:app/models/concerns/avatarable.rb: avatars are images of at most 200 KiB."""
IMAGE_FORMATS = (*AVATAR_FORMATS, "svg")
UPLOADS = "upload"


def safe_name(filename: str) -> str:
    """The file's base name with anything but letters, digits, `.`, `-` and `_` replaced."""
    base = filename.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = re.sub(r"[^A-Za-z0-9._-]", "_", base).lstrip(".")
    return cleaned or "file"


def _store(ctx: Ctx, path: str, upload: Upload) -> str:
    kind = upload.content_type
    if kind in ("", "application/octet-stream"):
        kind = mimetypes.guess_type(path)[0] or "application/octet-stream"
    ctx.state.files[path] = (kind, upload.content)
    return path


def set_avatar(ctx: Ctx, kind: str, owner_id: int, current: str | None) -> str | None:
    """The avatar path after this request: a new upload, removal (`avatar=""`), or unchanged.

    `kind` is GitLab's uploader directory (`user`, `group`, `project`, `projects/topic`).
    """
    p = ctx.params
    if not p.has("avatar"):
        return current
    value = p.raw("avatar")
    if value in ("", None):
        if current is not None:
            ctx.state.files.pop(current, None)
        return None
    upload = p.upload("avatar")
    assert upload is not None
    name = safe_name(upload.filename)
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in AVATAR_FORMATS:
        formats = ", ".join(AVATAR_FORMATS)
        message = "file format is not supported. Please try one of the following supported formats"
        raise ApiError(400, {"avatar": [f"{message}: {formats}"]})
    if len(upload.content) > AVATAR_MAX_BYTES:
        raise ApiError(400, {"avatar": ["is too big (should be at most 200 KiB)"]})
    if current is not None:
        ctx.state.files.pop(current, None)
    return _store(ctx, f"/uploads/-/system/{kind}/avatar/{owner_id}/{name}", upload)


@files.get("/uploads/-/system/{path:path}")
def system_file(ctx: Ctx) -> Reply:
    """Avatars are public, as on GitLab."""
    return _serve(ctx, f"/uploads/-/system/{ctx.path['path']}")


@files.get("/-/project/{id}/uploads/{secret}/{filename}")
def project_file(ctx: Ctx) -> Reply:
    project = find_project(ctx)
    return _serve(
        ctx, f"/-/project/{project.id}/uploads/{ctx.path['secret']}/{ctx.path['filename']}"
    )


def _serve(ctx: Ctx, path: str) -> Reply:
    found = ctx.state.files.get(path)
    if found is None:
        raise not_found()
    kind, content = found
    headers = {"Content-Type": kind, "X-Content-Type-Options": "nosniff"}
    if not kind.startswith("image/") or kind == "image/svg+xml":
        # as GitLab does for what a browser could run: download, never render in place
        headers["Content-Disposition"] = f'attachment; filename="{path.rsplit("/", 1)[-1]}"'
    return Reply(content, 200, headers)


@api.post("/projects/{id}/uploads")
def upload_file(ctx: Ctx) -> dict[str, Any]:
    """GL:doc/api/project_markdown_uploads.md: `file` as a multipart part."""
    project = find_project(ctx)
    user = need_project(ctx, project, GUEST)
    ctx.params.require("file")
    upload = ctx.params.upload("file")
    assert upload is not None
    name = safe_name(upload.filename)
    secret = secrets.token_hex(16)
    full_path = _store(ctx, f"/-/project/{project.id}/uploads/{secret}/{name}", upload)
    row: dict[str, Any] = {
        "id": ctx.state.next_id("upload"),
        "project_id": project.id,
        "secret": secret,
        "filename": name,
        "size": len(upload.content),
        "created_at": now(),
        "uploaded_by_id": user.id,
        "path": full_path,
    }
    ctx.state.records[UPLOADS][row["id"]] = row
    url = f"/uploads/{secret}/{name}"
    image = name.rsplit(".", 1)[-1].lower() in IMAGE_FORMATS
    return {
        "id": row["id"],
        "alt": name.rsplit(".", 1)[0] if image else name,
        "url": url,
        "full_path": full_path,
        "markdown": f"![{name.rsplit('.', 1)[0]}]({url})" if image else f"[{name}]({url})",
    }


def _uploads_of(ctx: Ctx, project: Project) -> list[dict[str, Any]]:
    rows = [r for r in ctx.state.records[UPLOADS].values() if r["project_id"] == project.id]
    return sorted(rows, key=lambda r: (r["created_at"], r["id"]), reverse=True)


@api.get("/projects/{id}/uploads")
def list_uploads(ctx: Ctx) -> Reply:
    """Newest first; Maintainer and up."""
    project = find_project(ctx)
    need_project(ctx, project, MAINTAINER)

    def render(row: dict[str, Any]) -> dict[str, Any]:
        by = ctx.state.users.get(row["uploaded_by_id"])
        return {
            "id": row["id"],
            "size": row["size"],
            "filename": row["filename"],
            "created_at": row["created_at"],
            "uploaded_by": {"id": by.id, "name": by.name, "username": by.username} if by else None,
        }

    return paginate(ctx, _uploads_of(ctx, project), render)


def _upload(ctx: Ctx, project: Project) -> dict[str, Any]:
    """The upload a path names, by `upload_id` or by `secret` and `filename`."""
    rows = _uploads_of(ctx, project)
    if "upload_id" in ctx.path:
        wanted = ctx.path_int("upload_id")
        found = next((r for r in rows if r["id"] == wanted), None)
    else:
        secret, filename = ctx.path["secret"], ctx.path_id("filename")
        found = next((r for r in rows if (r["secret"], r["filename"]) == (secret, filename)), None)
    if found is None:
        raise not_found("Upload")
    return found


def download(ctx: Ctx) -> Reply:
    project = find_project(ctx)
    need_project(ctx, project, GUEST if "secret" in ctx.path else MAINTAINER)
    return _serve(ctx, _upload(ctx, project)["path"])


def remove(ctx: Ctx) -> Reply:
    project = find_project(ctx)
    need_project(ctx, project, MAINTAINER)
    row = _upload(ctx, project)
    del ctx.state.records[UPLOADS][row["id"]]
    ctx.state.files.pop(row["path"], None)
    return Reply(None, 204)


for _one in ("/projects/{id}/uploads/{upload_id}", "/projects/{id}/uploads/{secret}/{filename}"):
    api.get(_one)(download)
    api.delete(_one)(remove)
