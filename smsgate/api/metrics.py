"""Prometheus metrics of one app instance (a registry per app, no process globals)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest


class GatewayMetrics:
    """The counters operators watch: requests, refusals by code, scan verdicts, queue depth."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "smsgate_http_requests",
            "HTTP requests by route and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "smsgate_http_request_duration_seconds",
            "HTTP request latency by route.",
            ["route"],
            registry=self.registry,
        )
        self.refusals = Counter(
            "smsgate_refusals",
            "Refused requests by problem code.",
            ["code"],
            registry=self.registry,
        )
        self.verdicts = Counter(
            "smsgate_scan_verdicts",
            "Scan verdicts of rendered messages.",
            ["verdict"],
            registry=self.registry,
        )
        self.accepted = Counter(
            "smsgate_messages_accepted",
            "Accepted messages by initial status.",
            ["status"],
            registry=self.registry,
        )
        self.delivery_reports = Counter(
            "smsgate_delivery_reports",
            "Delivery reports received, by carrier and what they did.",
            ["carrier", "effect"],
            registry=self.registry,
        )
        self.replies = Counter(
            "smsgate_inbound_replies",
            "Inbound replies received, by carrier and intent (none, opt_out, complaint).",
            ["carrier", "intent"],
            registry=self.registry,
        )
        self.auth_failures = Counter(
            "smsgate_auth_failures",
            "Refused authentications by surface (api, ui) and reason"
            " (missing_key, malformed_key, unknown_key, revoked_key, rate_limited).",
            ["surface", "reason"],
            registry=self.registry,
        )
        self.queue_depth = Gauge(
            "smsgate_outbox_depth", "Messages waiting in the outbox.", registry=self.registry
        )

    def exposition(self) -> bytes:
        """The text exposition format of every metric."""
        return generate_latest(self.registry)
