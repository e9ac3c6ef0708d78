"""Prometheus metrics the core updates; the web layer exposes them at ``/metrics``."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

INGESTED = Counter("hub_ingested_messages_total", "Inbound messages ingested", ["channel", "outcome"])
INGEST_FAILURES = Counter("hub_ingest_failures_total", "Inbound messages stored but failed in processing")
INGEST_SECONDS = Histogram(
    "hub_ingest_seconds",
    "Time to store and process one inbound message",
    ["channel"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
DELIVERIES = Counter("hub_deliveries_total", "Outbound delivery attempts", ["channel", "outcome"])
JOB_FAILURES = Counter("hub_job_failures_total", "Background jobs that raised", ["function"])
OUTBOX_DEPTH = Gauge("hub_outbox_depth", "Outbound deliveries not yet sent or failed", ["status"])
SOURCE_ERRORS = Counter(
    "hub_source_errors_total",
    "Failures reading a pulled channel's source (an IMAP mailbox): login, connection, fetch",
    ["channel_id"],
)
SOURCE_FETCHED = Counter(
    "hub_source_fetched_total", "Items a pulled channel fetched and stored", ["channel_id", "outcome"]
)
