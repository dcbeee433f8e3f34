"""Prometheus figures of the service: events by kind and outcome, GitLab calls, backlog.

Every label takes values from a fixed set: a header or payload value never becomes a label
(a thousand made-up `X-Gitlab-Event` values must not make thousands of series).
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

KINDS = frozenset(
    {
        # GL:doc/user/project/integrations/webhook_events.md and system_hooks.md
        "Push Hook",
        "Tag Push Hook",
        "Issue Hook",
        "Confidential Issue Hook",
        "Note Hook",
        "Confidential Note Hook",
        "Merge Request Hook",
        "Wiki Page Hook",
        "Pipeline Hook",
        "Job Hook",
        "Deployment Hook",
        "Feature Flag Hook",
        "Release Hook",
        "Milestone Hook",
        "Emoji Hook",
        "Resource Access Token Hook",
        "Member Hook",
        "Subgroup Hook",
        "Project Hook",
        "Vulnerability Hook",
        "System Hook",
        "Label Sweep",
    }
)
OTHER = "other"
TRIAGE_CODES = frozenset({"no-handler", "filtered", "unhandleable", "no-command"})


def kind_label(kind: str) -> str:
    """The metric label of an event kind: the kind when GitLab documents it, else `other`."""
    return kind if kind in KINDS else OTHER


def status_label(status: int) -> str:
    """An HTTP status as a label: the code for the usual ones, else its class (`5xx`)."""
    return str(status) if 100 <= status < 600 else OTHER


EVENTS_RECEIVED = Counter(
    "psdm_events_received_total", "Authentic webhook deliveries received", ["kind"]
)
EVENTS_DEDUPLICATED = Counter(
    "psdm_events_deduplicated_total",
    "Deliveries already recorded (same delivery or event)",
    ["kind"],
)
EVENTS_REJECTED = Counter(
    "psdm_events_rejected_total", "Deliveries refused before recording", ["reason"]
)
EVENTS_HANDLED = Counter("psdm_events_handled_total", "Events whose workflow finished", ["kind"])
EVENTS_IGNORED = Counter(
    "psdm_events_ignored_total", "Events no handler acts on (recorded, no workflow)", ["kind"]
)
EVENTS_UNHANDLED = Counter(
    "psdm_events_unhandled_total",
    "Authentic deliveries recorded as ignored, by why (no handler, unhandleable shape...)",
    ["kind", "why"],
)
EVENTS_FAILED = Counter("psdm_events_failed_total", "Events whose workflow failed", ["kind"])
GITLAB_REQUESTS = Counter("psdm_gitlab_requests_total", "GitLab API responses", ["status"])
LABELS_RESTORED = Counter(
    "psdm_labels_restored_total",
    "Standard labels created again or renamed back, by what found them missing",
    ["trigger"],
)
BACKLOG = Gauge("psdm_backlog", "Recorded deliveries not yet dispatched to a workflow")
ACK_SECONDS = Histogram(
    "psdm_ack_seconds",
    "Time from request to acknowledgement",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0),
)


def count_gitlab_response(status: int) -> None:
    GITLAB_REQUESTS.labels(status=status_label(status)).inc()
