"""What POST /webhook decides before anything is recorded.

Authenticity, the body as JSON (RFC 8259: UTF-8, a BOM tolerated, bounded depth), the dedup
keys, and the triage: whether a workflow will handle the delivery, or why it is recorded as
ignored. Triage reads the event's kind, action and typed shape; it never runs a handler.
"""

from __future__ import annotations

import codecs
import hashlib
import hmac
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from bot.events.commands.parser import PREFIX
from bot.events.event import Event, shape_problem
from bot.events.router import Context, Router, ignore_reason
from bot.service.store import Delivery, project_partition

MAX_DEPTH = 64
"""Nesting of arrays and objects a body may have; GitLab's payloads stay under ten."""
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_NESTING_TOKEN = re.compile(r'"(?:[^"\\]++|\\.?)*+(?:"|\Z)|[\[\]{}]', re.DOTALL)
"""A string (an unclosed one runs to the end, so no quote is scanned twice) or a bracket."""
_HEADER_VALUE = re.compile(r"^[\x21-\x7e]{1,150}$")


class Malformed(Exception):
    """The body or a header is not what GitLab sends; the message says what, for a 400."""


def token_matches(token: str | None, secrets: Sequence[str]) -> bool:
    """Constant-time comparison against every configured secret (rotation keeps two)."""
    if token is None:
        return False
    given = token.encode()
    matched = False
    for secret in secrets:
        matched |= hmac.compare_digest(given, secret.encode())
    return matched


def signature_verifies(body: bytes, headers: Mapping[str, str], secrets: Sequence[str]) -> bool:
    """Standard Webhooks HMAC (`webhook-id`, `webhook-timestamp`, `webhook-signature`)."""
    wanted = {
        name: headers[name]
        for name in ("webhook-id", "webhook-timestamp", "webhook-signature")
        if name in headers
    }
    for secret in secrets:
        try:
            Webhook(secret).verify(body, wanted, json_parse=False)
        except (WebhookVerificationError, ValueError):
            continue
        return True
    return False


def authentic(
    body: bytes,
    headers: Mapping[str, str],
    webhook_secrets: Sequence[str],
    signing_secrets: Sequence[str],
) -> bool:
    """A signature, when sent and signing secrets are configured, must verify; else the token.

    A request signed with a bad signature is refused even when its token is right: someone
    changed the body or replays it outside the signature's time window.
    """
    if signing_secrets and "webhook-signature" in headers:
        return signature_verifies(body, headers, signing_secrets)
    return token_matches(headers.get("x-gitlab-token"), webhook_secrets)


def content_key(payload: Mapping[str, object]) -> str | None:
    """Identify the event by its content, so two hooks reporting it (group and project) match.

    GitLab gives every hook its own Idempotency-Key, so a project hook and a group hook (or a
    system hook) firing for one change carry different keys. The event itself is the same:
    same kind, object, action and moment, same changes. None when the payload lacks an object
    id or a timestamp, in which case only the Idempotency-Key deduplicates.
    """
    kind = payload.get("object_kind") or payload.get("event_name")
    attributes = payload.get("object_attributes")
    attrs: Mapping[str, object] = attributes if isinstance(attributes, Mapping) else payload
    object_id = attrs.get("id") if attributes is not None else payload.get("project_id")
    moment = attrs.get("updated_at") or payload.get("updated_at") or payload.get("created_at")
    if not kind or object_id is None or not moment:
        return None
    action = payload.get("action") or attrs.get("action") or payload.get("event_name")
    identity = [kind, object_id, moment, action, payload.get("changes")]
    text = json.dumps(identity, sort_keys=True, separators=(",", ":"), default=str)
    return "content:" + hashlib.sha256(text.encode()).hexdigest()[:40]


def partition_of(payload: Mapping[str, object]) -> str:
    """The serialisation unit: work for one project runs one event at a time."""
    project = payload.get("project")
    if isinstance(project, Mapping) and _scalar_id(project.get("id")):
        return project_partition(project["id"])
    if _scalar_id(payload.get("project_id")):
        return project_partition(payload["project_id"])
    group = payload.get("group")
    if isinstance(group, Mapping) and _scalar_id(group.get("group_id")):
        return f"group:{group['group_id']}"
    return "instance"


def _scalar_id(value: object) -> bool:
    """An id usable in a partition name: a whole number or a short string (never a list)."""
    if isinstance(value, bool):
        return False
    return (isinstance(value, int) and abs(value) < 2**63) or (
        isinstance(value, str) and 0 < len(value) <= 40
    )


def json_body(raw: bytes) -> tuple[str, dict[str, Any]]:
    """The body's text (without a BOM) and its JSON object; Malformed says why not.

    RFC 8259: JSON between systems is UTF-8; a BOM may be ignored. UTF-16 and UTF-32 bodies,
    invalid UTF-8, lone surrogates (which no UTF-8 text can carry on), nesting deeper than
    MAX_DEPTH and anything but an object are refused.
    """
    if raw.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        raise Malformed("the body is UTF-32; send UTF-8")
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in raw[:4]:
        raise Malformed("the body is UTF-16 or UTF-32; send UTF-8")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise Malformed("the body is not UTF-8") from None
    text = text.removeprefix("\ufeff")
    if _nesting(text) > MAX_DEPTH:
        raise Malformed(f"the body nests deeper than {MAX_DEPTH} levels")
    try:
        payload = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        raise Malformed("the body is not JSON") from None
    if not isinstance(payload, dict):
        raise Malformed("the body is not a JSON object")
    if _SURROGATE_ESCAPE.search(text):
        _check_strings(payload)
    return text, payload


def _nesting(text: str) -> int:
    """How deep arrays and objects nest, counted before parsing (strings skipped).

    Linear: every character is looked at once (possessive patterns never backtrack, and an
    unclosed string ends the scan instead of being tried again from each later quote).
    """
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return 0
    depth = deepest = 0
    for token in _NESTING_TOKEN.finditer(text):
        char = token.group(0)
        if char in "[{":
            depth += 1
            deepest = max(deepest, depth)
            if deepest > MAX_DEPTH:
                return deepest
        elif char in "]}":
            depth -= 1
    return deepest


def _check_strings(payload: dict[str, Any]) -> None:
    """Refuse lone surrogates (`"\\ud800"`): such text cannot be stored or sent on."""
    stack: list[Any] = [payload]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
        elif isinstance(value, str) and not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise Malformed("the body holds an unpaired surrogate escape") from None


def header_value(headers: Mapping[str, str], name: str) -> str | None:
    """A key-like header (Idempotency-Key, X-Gitlab-Event-UUID): printable ASCII, short."""
    value = headers.get(name)
    if value is None or not value.strip():
        return None
    if not _HEADER_VALUE.match(value.strip()):
        raise Malformed(f"{name} must be printable ASCII of at most 150 characters")
    return value.strip()


def body_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def delivery_of(
    headers: Mapping[str, str], body: str | bytes, payload: Mapping[str, object]
) -> Delivery:
    """The record to write: keyed by Idempotency-Key, else by content, else by the body's hash.

    `body` is the text json_body returned (bytes are read as UTF-8).
    """
    text = body.decode("utf-8") if isinstance(body, bytes) else body
    by_content = content_key(payload)
    idempotency = header_value(headers, "idempotency-key")
    digest = body_digest(text)
    if idempotency:
        key = "delivery:" + idempotency
    elif by_content:
        key = by_content
    else:
        key = "body:" + digest[:40]
    kind = headers.get("x-gitlab-event", "unknown")
    if not kind.isprintable() or len(kind) > 100:
        raise Malformed("X-Gitlab-Event must be printable and at most 100 characters")
    return Delivery(
        key=key,
        content_key=by_content,
        kind=kind,
        partition=partition_of(payload),
        event_uuid=header_value(headers, "x-gitlab-event-uuid"),
        payload=text,
        digest=digest,
    )


@dataclass(frozen=True)
class Triage:
    """Whether a workflow will handle the delivery; if not, why (`code` for metrics)."""

    wanted: bool
    code: str = "handled"
    reason: str | None = None


ROUTINE = frozenset({"no-handler", "filtered", "no-command"})
"""Triage codes of deliveries recorded without their text: routine traffic nobody acts on
(most comments hold no command). Unhandleable ones keep theirs, to find out why."""


def recorded(delivery: Delivery, decided: Triage) -> Delivery:
    """The delivery as the inbox keeps it: with its triage, and without the text of routine
    deliveries nobody acts on (issue 23, item 6: the inbox kept every comment's text)."""
    payload = "" if decided.code in ROUTINE else delivery.payload
    return replace(delivery, wanted=decided.wanted, reason=decided.reason, payload=payload)


def triage(router: Router, context: Context, kind: str, payload: Mapping[str, Any]) -> Triage:
    """Decide from kind, action and typed shape alone whether a workflow will handle it."""
    event = Event.from_delivery(kind, payload)
    if not router.handlers_for(event):
        return Triage(False, "no-handler", f"no handler for {event.kind} {event.action or ''}")
    ignored = ignore_reason(event, context)
    if ignored:
        return Triage(False, "filtered", ignored)
    problem = shape_problem(event)
    if problem:
        return Triage(False, "unhandleable", f"unhandleable {event.kind}: {problem}")
    if event.kind == "Note Hook" and not _may_hold_commands(event):
        return Triage(False, "no-command", "a comment without a command")
    return Triage(True)


def _may_hold_commands(event: Event) -> bool:
    attributes = event.attributes
    note = attributes.get("note")
    return (
        attributes.get("noteable_type") == "Issue"
        and isinstance(event.data.get("issue"), Mapping)
        and isinstance(note, str)
        and PREFIX in note.lower()
    )
