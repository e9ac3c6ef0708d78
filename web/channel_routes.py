"""The channel kinds' HTTP routes, mounted as they declare them (:class:`channels.spec.Route`).

``web/`` knows nothing of what a channel does with a request: it authenticates nobody (a kind's
routes are public and check their caller themselves, by signature or token), passes the request
on without the framework, and answers what the kind answers. A route that declares a JSON body
type gets it decoded and checked here, like every other endpoint of the API, and described in
the OpenAPI document.
"""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Request, Response, route
from litestar.connection import ASGIConnection
from litestar.handlers import BaseRouteHandler, HTTPRouteHandler
from litestar.params import FromPath, JSONBody

from channels import catalogue
from channels.spec import Route, WebhookRequest
from web.edge import KEEP, NUL_OPT
from web.runtime import Runtime


def channel_routes() -> list[HTTPRouteHandler]:
    return [_mount(kind.kind, item) for kind in catalogue.shipped() for item in kind.routes()]


def _webhook_request(connection: ASGIConnection, data: Any = None) -> WebhookRequest:
    async def no_body() -> bytes:
        raise RuntimeError("a guard runs before the body is read")

    body = connection.body if isinstance(connection, Request) else no_body
    return WebhookRequest(
        channel_id=connection.path_params["channel_id"],
        query=connection.query_params,
        headers=connection.headers,
        client=connection.client.host if connection.client else "?",
        body=body,
        data=data,
    )


def _mount(kind: str, declared: Route) -> HTTPRouteHandler:
    async def guard(connection: ASGIConnection, _: BaseRouteHandler) -> None:
        assert declared.guard is not None
        runtime: Runtime = connection.app.state.runtime
        await declared.guard(runtime.channels.connection(kind), runtime.hub, _webhook_request(connection))

    async def answer(request: Request, data: Any) -> Response[Any]:
        runtime: Runtime = request.app.state.runtime
        webhook = _webhook_request(request, data)
        answered = await declared.handler(runtime.channels.connection(kind), runtime.hub, webhook)
        return Response(answered.body, status_code=answered.status, media_type=answered.media_type)

    async def with_body(request: Request, channel_id: uuid.UUID, data: Any) -> Response[Any]:
        return await answer(request, data)

    async def without_body(request: Request, channel_id: uuid.UUID) -> Response[Any]:
        return await answer(request, None)

    endpoint = with_body if declared.body_type is not None else without_body
    # The declared types, not Any: Litestar decodes and checks the body by them and the OpenAPI
    # document describes them.
    endpoint.__annotations__ = {
        "request": Request,
        "channel_id": FromPath[uuid.UUID],
        **({"data": JSONBody[declared.body_type]} if declared.body_type is not None else {}),  # type: ignore[name-defined]
        "return": Response[declared.answer_type or str],  # type: ignore[name-defined]
    }
    endpoint.__name__ = endpoint.__qualname__ = f"{kind}_{declared.method.lower()}"
    return route(
        declared.path,
        http_method=declared.method,
        exclude_from_auth=True,
        guards=[guard] if declared.guard is not None else None,
        status_code=200,
        tags=["channels"],
        summary=declared.summary,
        # A channel's payload is stored raw, byte for byte as sent; the inbound funnel drops NULs
        # from every channel's messages.
        opt={NUL_OPT: KEEP},
    )(endpoint)
