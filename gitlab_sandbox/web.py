"""Request plumbing shared by every route: parameters, errors, replies, pagination."""

from __future__ import annotations

import base64
import builtins
import email.parser
import email.policy
import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote, urlencode

from starlette.requests import Request
from starlette.responses import Response

from .model import User

if TYPE_CHECKING:
    from .app import Sandbox
    from .render import Render
    from .state import State
    from .webhooks.emitter import Emitter


MAX_UPLOAD_BYTES = 10 * 1024 * 1024
"""Largest multipart body read; GitLab's own default attachment limit is 100 MB."""


@dataclass(frozen=True)
class Upload:
    """A file part of a multipart/form-data body (avatars, markdown uploads)."""

    filename: str
    content_type: str
    content: bytes


def parse_multipart(content_type: str, raw: bytes) -> builtins.list[tuple[str, Any]]:
    """The fields of a multipart/form-data body: text values as strings, files as `Upload`s.

    Read with the standard library's MIME parser; a body it cannot split is a 400.
    """
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + raw)
    if not message.is_multipart():
        raise ApiError(400, "400 Bad request - Invalid multipart body", key="error")
    fields: builtins.list[tuple[str, Any]] = []
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        payload = part.get_payload(decode=True)
        content = payload if isinstance(payload, bytes) else b""
        filename = part.get_filename()
        if filename is not None:
            kind = part.get_content_type() or "application/octet-stream"
            fields.append((name, Upload(filename, kind, content)))
        else:
            try:
                text = content.decode(part.get_content_charset() or "utf-8", errors="replace")
            except LookupError:  # a charset Python does not know
                text = content.decode("utf-8", errors="replace")
            fields.append((name, text))
    return fields


class ApiError(Exception):
    """An answer GitLab gives as `{"message": ...}` (or `{"error": ...}`) with a status code."""

    def __init__(self, status: int, message: Any, *, key: str = "message") -> None:
        super().__init__(str(message))
        self.status = status
        self.message = message
        self.key = key


def not_found(what: str = "") -> ApiError:
    return ApiError(404, f"404 {what} Not Found" if what else "404 Not found")


def forbidden() -> ApiError:
    return ApiError(403, "403 Forbidden")


def bad_request(message: Any) -> ApiError:
    return ApiError(400, message)


def ruby_hash(errors: dict[str, list[str]]) -> str:
    """Validation errors as GitLab prints them inside messages: `{:title=>["..."]}`."""
    inner = ", ".join(
        f":{key}=>[{', '.join(json.dumps(v) for v in values)}]" for key, values in errors.items()
    )
    return "{" + inner + "}"


def iso(value: datetime | date | None) -> str | None:
    """GitLab's REST timestamps: ISO 8601 with milliseconds and Z; dates as YYYY-MM-DD."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
    return value.isoformat()


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return iso(value)
    raise TypeError(f"cannot serialise {type(value).__name__}")


def dumps(data: Any) -> bytes:
    return json.dumps(data, default=_default, separators=(",", ":")).encode()


@dataclass
class Reply:
    """A JSON answer; `followup` (if set) runs after the state lock is released and replaces it."""

    body: Any
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    followup: Callable[[], Reply] | None = None

    def response(self) -> Response:
        if self.status in (204, 304):
            return Response(status_code=self.status, headers=self.headers)
        if isinstance(self.body, bytes):
            return Response(self.body, self.status, self.headers)
        return Response(dumps(self.body), self.status, self.headers, media_type="application/json")


def error_response(error: ApiError) -> Response:
    return Reply({error.key: error.message}, error.status).response()


_TRUE = {"true", "1", "yes", "on", "t"}
_FALSE = {"false", "0", "no", "off", "f", ""}


class Params:
    """Attributes from the query string, a form body or a JSON body, read the GitLab way."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data

    @classmethod
    async def read(cls, request: Request) -> Params:
        data: dict[str, Any] = {}
        _merge_pairs(data, request.query_params.multi_items())
        if request.method in ("POST", "PUT", "PATCH", "DELETE"):
            ctype = request.headers.get("content-type", "")
            if ctype.startswith("application/json"):
                raw = await request.body()
                if raw.strip():
                    try:
                        body = json.loads(raw)
                    except ValueError as exc:
                        raise ApiError(400, "400 Bad request - Invalid JSON", key="error") from exc
                    if isinstance(body, dict):
                        data.update(body)
            elif ctype.startswith("application/x-www-form-urlencoded"):
                raw = await request.body()
                _merge_pairs(data, parse_qsl(raw.decode(), keep_blank_values=True))
            elif ctype.startswith("multipart/form-data"):
                raw = await request.body()
                if len(raw) > MAX_UPLOAD_BYTES:
                    raise ApiError(413, "413 Request Entity Too Large")
                _merge_pairs(data, parse_multipart(ctype, raw))
        return cls(data)

    def has(self, name: str) -> bool:
        return name in self.data

    def raw(self, name: str, default: Any = None) -> Any:
        return self.data.get(name, default)

    def require(self, *names: str) -> None:
        missing = [n for n in names if self.data.get(n) in (None, "")]
        if missing:
            raise ApiError(400, ", ".join(f"{n} is missing" for n in missing), key="error")

    def str(self, name: str, default: str | None = None) -> str | None:
        value = self.data.get(name)
        if value is None:
            return default
        if isinstance(value, Upload):
            raise ApiError(400, f"{name} is invalid", key="error")
        return value if isinstance(value, str) else str(value)

    def upload(self, name: builtins.str) -> Upload | None:
        """A file sent as a multipart part; None when absent (a non-file value is a 400)."""
        value = self.data.get(name)
        if value is None or isinstance(value, Upload):
            return value
        raise ApiError(400, f"{name} is invalid", key="error")

    def int(self, name: builtins.str, default: int | None = None) -> int | None:
        value = self.data.get(name)
        if value is None or value == "":
            return default
        try:
            return int(value)
        except (TypeError, ValueError):
            raise ApiError(400, f"{name} is invalid", key="error") from None

    def bool(self, name: builtins.str, default: bool | None = None) -> bool | None:
        value = self.data.get(name)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise ApiError(400, f"{name} is invalid", key="error")

    def date(self, name: builtins.str) -> date | None:
        value = self.data.get(name)
        if value in (None, ""):
            return None
        try:
            return date.fromisoformat(str(value)[:10])
        except ValueError:
            raise ApiError(400, f"{name} is invalid", key="error") from None

    def datetime(self, name: builtins.str) -> datetime | None:
        value = self.data.get(name)
        if value in (None, ""):
            return None
        try:
            return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            raise ApiError(400, f"{name} is invalid", key="error") from None

    def list(self, name: builtins.str) -> builtins.list[builtins.str] | None:
        """A list given as `name[]=a&name[]=b`, a JSON array or a comma-separated string."""
        value = self.data.get(name)
        if value is None:
            return None
        if isinstance(value, list):
            items = [str(v) for v in value]
            if len(items) == 1 and "," in items[0]:
                items = items[0].split(",")
        else:
            items = str(value).split(",")
        return [item.strip() for item in items if item.strip()]

    def int_list(self, name: builtins.str) -> builtins.list[builtins.int] | None:
        items = self.list(name)
        if items is None:
            return None
        try:
            return [int(item) for item in items]
        except ValueError:
            raise ApiError(400, f"{name} is invalid", key="error") from None


def _merge_pairs(data: dict[str, Any], pairs: builtins.list[tuple[str, Any]]) -> None:
    for key, value in pairs:
        if key.endswith("[]"):
            data.setdefault(key[:-2], [])
            if isinstance(data[key[:-2]], list):
                data[key[:-2]].append(value)
        else:
            data[key] = value


@dataclass
class Ctx:
    """One API request as the handlers see it."""

    state: State
    request: Request
    params: Params
    path: dict[str, str]
    user: User | None
    base_url: str
    emitter: Emitter
    render: Render
    sandbox: Sandbox

    @property
    def me(self) -> User:
        if self.user is None:
            raise ApiError(401, "401 Unauthorized")
        return self.user

    def path_id(self, name: str = "id") -> str:
        return unquote(self.path[name])

    def path_int(self, name: str) -> int:
        try:
            return int(self.path[name])
        except ValueError:
            raise not_found() from None


def _request_base(ctx: Ctx) -> tuple[str, list[tuple[str, str]]]:
    """The request's own URL without query, and its query minus the paging parameters."""
    url = ctx.request.url
    raw_path = ctx.request.scope.get("raw_path", b"").split(b"?", 1)[0].decode("latin-1")
    paging = ("page", "per_page", "cursor")
    query = [(k, v) for k, v in ctx.request.query_params.multi_items() if k not in paging]
    return f"{url.scheme}://{url.netloc}{raw_path or url.path}", query


def paginate(
    ctx: Ctx, items: list[Any], render: Callable[[Any], Any], *, keyset: bool = False
) -> Reply:
    """Offset pagination with GitLab's headers and a Link built from the request's own URL.

    With `pagination=keyset` (where `keyset` allows it) only a `rel="next"` Link is sent.
    """
    per_page = ctx.params.int("per_page", 20) or 20
    per_page = min(max(per_page, 1), 100)
    if ctx.params.str("pagination") == "keyset":
        if not keyset:
            raise ApiError(
                405, "Keyset pagination is not yet available for this type of request", key="error"
            )
        return _keyset(ctx, items, render, per_page)
    page = max(ctx.params.int("page", 1) or 1, 1)
    total = len(items)
    total_pages = max(math.ceil(total / per_page), 1)
    start = (page - 1) * per_page
    chunk = items[start : start + per_page]
    headers = {
        "X-Page": str(page),
        "X-Per-Page": str(per_page),
        "X-Next-Page": str(page + 1) if page < total_pages else "",
        "X-Prev-Page": str(page - 1) if page > 1 and page - 1 <= total_pages else "",
    }
    if total <= 10_000:
        headers["X-Total"] = str(total)
        headers["X-Total-Pages"] = str(total_pages)
    base, query = _request_base(ctx)
    query.append(("per_page", str(per_page)))

    def link(target: int, rel: str) -> str:
        return f'<{base}?{urlencode([*query, ("page", str(target))])}>; rel="{rel}"'

    links = []
    if page > 1:
        links.append(link(page - 1, "prev"))
    if page < total_pages:
        links.append(link(page + 1, "next"))
    links.append(link(1, "first"))
    if total <= 10_000:
        links.append(link(total_pages, "last"))
    headers["Link"] = ", ".join(links)
    return Reply([render(item) for item in chunk], 200, headers)


def _keyset(ctx: Ctx, items: list[Any], render: Callable[[Any], Any], per_page: int) -> Reply:
    cursor = ctx.params.str("cursor")
    start = 0
    if cursor:
        try:
            start = int(base64.urlsafe_b64decode(cursor.encode()).decode().split(":", 1)[1])
        except (ValueError, IndexError):
            raise ApiError(400, "cursor is invalid", key="error") from None
    chunk = items[start : start + per_page]
    headers: dict[str, str] = {}
    if start + per_page < len(items):
        base, query = _request_base(ctx)
        token = base64.urlsafe_b64encode(f"offset:{start + per_page}".encode()).decode()
        query += [("per_page", str(per_page)), ("cursor", token)]
        headers["Link"] = f'<{base}?{urlencode(query)}>; rel="next"'
    return Reply([render(item) for item in chunk], 200, headers)
