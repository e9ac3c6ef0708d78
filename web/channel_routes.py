"""The channel kinds' HTTP routes, mounted as they declare them (:class:`channels.spec.Route`).

``web/`` knows nothing of what a channel does with a request: it authenticates nobody (a kind's
routes are public and check their caller themselves, by signature or token), passes the request
on without the framework, and answers what the kind answers. A route that declares a JSON body
type gets it decoded and checked here, like every other endpoint of the API, and described in
the OpenAPI document.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from typing import Any

from litestar import Request, Response, WebSocket, route, websocket
from litestar.channels import ChannelsPlugin
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency
from litestar.exceptions import WebSocketDisconnect
from litestar.handlers import BaseRouteHandler, HTTPRouteHandler, WebsocketRouteHandler
from litestar.params import FromPath, JSONBody

from channels import catalogue
from channels.spec import Route, SocketClosed, SocketRoute, WebhookRequest
from web.edge import KEEP, NUL_OPT
from web.runtime import Runtime


def channel_routes() -> list[HTTPRouteHandler | WebsocketRouteHandler]:
    routes: list[HTTPRouteHandler | WebsocketRouteHandler] = [
        _mount(kind.kind, item) for kind in catalogue.shipped() for item in kind.routes()
    ]
    routes += [_mount_socket(kind.kind, item) for kind in catalogue.shipped() for item in kind.sockets()]
    return routes


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
        return Response(
            answered.body,
            status_code=answered.status,
            media_type=answered.media_type,
            headers=dict(answered.headers) or None,
        )

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


class _Socket:
    """:class:`channels.spec.ChannelSocket` over a Litestar WebSocket and the process's one
    pub/sub subscription (:mod:`web.realtime`)."""

    def __init__(self, socket: WebSocket, plugin: ChannelsPlugin) -> None:
        self._socket = socket
        self._plugin = plugin
        self.channel_id = socket.path_params["channel_id"]
        self.headers: Mapping[str, str] = socket.headers
        self.client = socket.client.host if socket.client else "?"

    async def accept(self) -> None:
        await self._socket.accept()

    async def receive_text(self) -> str:
        try:
            return await self._socket.receive_data(mode="text")
        except WebSocketDisconnect:
            raise SocketClosed from None

    async def send_text(self, text: str) -> None:
        try:
            await self._socket.send_text(text)
        except (WebSocketDisconnect, RuntimeError):
            raise SocketClosed from None

    async def close(self, code: int = 1000) -> None:
        with contextlib.suppress(WebSocketDisconnect, RuntimeError):
            await self._socket.close(code=code)

    @contextlib.asynccontextmanager
    async def subscribe(
        self, channels: Sequence[str], forward: Callable[[bytes], Awaitable[None]]
    ) -> AsyncIterator[None]:
        try:
            async with (
                self._plugin.start_subscription(list(channels)) as subscriber,
                subscriber.run_in_background(forward),
            ):
                yield
        finally:
            # A kind's socket listens on names of its own (web chat: one per visitor), and the
            # plugin keeps every name it ever saw (Litestar #4867): drop the ones nobody hears now.
            known = self._plugin._channels
            for name in channels:
                if not known.get(name):
                    known.pop(name, None)


def _mount_socket(kind: str, declared: SocketRoute) -> WebsocketRouteHandler:
    async def endpoint(socket: WebSocket, channels: NamedDependency[ChannelsPlugin]) -> None:
        runtime: Runtime = socket.app.state.runtime
        with contextlib.suppress(SocketClosed):
            await declared.handler(runtime.channels.connection(kind), runtime.hub, _Socket(socket, channels))

    endpoint.__name__ = endpoint.__qualname__ = f"{kind}_socket"
    return websocket(declared.path, exclude_from_auth=True, opt={NUL_OPT: KEEP})(endpoint)
