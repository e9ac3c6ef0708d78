"""Health, metrics and the API description: what operators and integrators point their tools at."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import pytest
from litestar.testing import AsyncTestClient

from hub.domain import ChannelKind
from tests import factories
from tests.conftest import ROOT, make_settings
from web.app import create_app
from web.embedded import EmbeddedServers, ServerUrls

pytestmark = pytest.mark.anyio


async def test_health_answers_ok_when_both_servers_answer(client) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "redis": "ok"}


async def test_health_names_the_failing_server(runtime, server_urls: ServerUrls, tmp_path: Path) -> None:
    """A Redis of its own that we then stop: health must say 503 and that Redis is the problem."""
    folder = ROOT / "var" / f"health-{uuid.uuid4().hex[:8]}"
    own_redis = EmbeddedServers(folder, postgres=False)
    redis_url = own_redis.acquire().redis_url
    settings = make_settings(ServerUrls(server_urls.database_url, redis_url), tmp_path)
    try:
        async with AsyncTestClient(create_app(settings)) as client:
            assert (await client.get("/healthz")).status_code == 200
            own_redis.release()
            response = await client.get("/healthz")
    finally:
        own_redis.release()
        shutil.rmtree(folder, ignore_errors=True)
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable" and body["database"] == "ok"
    assert body["redis"].startswith("error")


async def test_metrics_expose_requests_ingest_outbox_and_job_failures(client, hub) -> None:
    chan = await factories.channel(hub, ChannelKind.EMAIL)
    await factories.inbound(hub, chan.id, text="hello")
    await client.get("/healthz")
    response = await client.get("/metrics")
    assert response.status_code == 200
    text = response.text
    for name in (
        "hub_http_requests_total",
        "hub_ingested_messages_total",
        "hub_ingest_seconds_bucket",
        "hub_outbox_depth",
        "hub_job_failures_total",
    ):
        assert name in text, name
    assert 'hub_outbox_depth{status="pending"} 0.0' in text


async def test_openapi_describes_the_api(client) -> None:
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/v1/tickets" in paths
    assert "/api/v1/channels/{channel_id}/messages" in paths
    assert "/api/v1/auth/login" in paths


async def test_the_front_page_is_the_inbox_behind_the_login_which_links_the_api_reference(client) -> None:
    response = await client.get("/", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/"
    login = await client.get("/login")
    assert 'href="/schema"' in login.text
