"""Operations endpoints: health for load balancers, metrics for Prometheus."""

from __future__ import annotations

import asyncio

import sqlalchemy as sa
from litestar import Request, Response, get
from litestar.di import NamedDependency
from litestar.status_codes import HTTP_200_OK, HTTP_503_SERVICE_UNAVAILABLE
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from hub import metrics
from hub.core import Hub
from hub.delivery.delivery import outbox_depth

CHECK_TIMEOUT_S = 2.0


async def _database_ok(hub: NamedDependency[Hub]) -> str:
    async with hub.session_factory() as session:
        await session.execute(sa.text("SELECT 1"))
    return "ok"


async def _redis_ok(request: Request) -> str:
    await request.app.state.redis.ping()
    return "ok"


async def _check(probe) -> str:
    try:
        return await asyncio.wait_for(probe, CHECK_TIMEOUT_S)
    except Exception as exc:  # any failure is a failed check, reported by name
        return f"error: {type(exc).__name__}"


@get("/healthz", exclude_from_auth=True, tags=["system"])
async def healthz(request: Request, hub: NamedDependency[Hub]) -> Response:
    """``{"status": "ok", "database": "ok", "redis": "ok"}``, or 503 naming the failing part."""
    database = await _check(_database_ok(hub))
    redis = await _check(_redis_ok(request))
    healthy = database == "ok" and redis == "ok"
    body = {"status": "ok" if healthy else "unavailable", "database": database, "redis": redis}
    return Response(body, status_code=HTTP_200_OK if healthy else HTTP_503_SERVICE_UNAVAILABLE)


@get("/metrics", exclude_from_auth=True, include_in_schema=False, tags=["system"])
async def prometheus_metrics(hub: NamedDependency[Hub]) -> Response:
    """Prometheus text format. Outbox depth is read from the database at scrape time."""
    try:
        depth = await asyncio.wait_for(outbox_depth(hub), CHECK_TIMEOUT_S)
    except Exception:  # a scrape must still answer when the database is down
        depth = {}
    for status, count in depth.items():
        metrics.OUTBOX_DEPTH.labels(status=status).set(count)
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
