"""What POST /webhook decides before anything is recorded: authenticity and the dedup keys."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from bot.service.store import Delivery, project_partition


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
    if isinstance(project, Mapping) and project.get("id") is not None:
        return project_partition(project["id"])
    if payload.get("project_id") is not None:
        return project_partition(payload["project_id"])
    group = payload.get("group")
    if isinstance(group, Mapping) and group.get("group_id") is not None:
        return f"group:{group['group_id']}"
    return "instance"


def delivery_of(headers: Mapping[str, str], body: bytes, payload: Mapping[str, object]) -> Delivery:
    """The record to write: keyed by Idempotency-Key, else by content, else by the body's hash."""
    by_content = content_key(payload)
    idempotency = headers.get("idempotency-key")
    if idempotency:
        key = "delivery:" + idempotency.strip()[:150]
    elif by_content:
        key = by_content
    else:
        key = "body:" + hashlib.sha256(body).hexdigest()[:40]
    return Delivery(
        key=key,
        content_key=by_content,
        kind=headers.get("x-gitlab-event", "unknown")[:100],
        partition=partition_of(payload),
        event_uuid=headers.get("x-gitlab-event-uuid"),
        payload=body.decode("utf-8"),
    )
