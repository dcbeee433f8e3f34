"""Prometheus figures of the service: events by kind and outcome, GitLab calls, backlog."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

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
    GITLAB_REQUESTS.labels(status=str(status)).inc()
