"""The WeChat Official Account callback: ``/channels/wechat/{channel_id}`` (set as the server URL).

Authenticated by WeChat's signature, not by a user session (so excluded from the hub's auth).
GET answers the console's URL check (``echostr``). POST is a push, answered within WeChat's
5 seconds whatever the database is doing with the tickets:

1. check ``signature`` (and ``msg_signature`` when encrypted) and decrypt: 403, nothing stored,
   logged with the reason but never a credential;
2. parse: authentic but unreadable XML is stored as ``rejected`` for inspection and answered 400;
3. store the payload raw, idempotent on MsgId (or sender + time + event), and queue its
   processing (the ``process_inbound`` job), all under a 4-second budget; past it, 503, and WeChat
   retries, which the dedupe makes harmless;
4. answer ``success``, or a passive reply (the welcome text for a new follower), encrypted when
   the push was.

Why a job and not processing inline with a time budget: contact resolution, threading, routing
and SLA clocks take locks the agents' work also takes; a callback that waits on them turns a
busy database into WeChat's "该公众号暂时无法提供服务" for the customer. The raw insert touches one
table nobody else locks, and the answer never depends on more.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import uuid

from litestar import MediaType, Request, Response, get, post
from litestar.params import FromPath

from channels.wechat import callback, replies
from channels.wechat.callback import Malformed, Query, Refused
from channels.wechat.config import WeChatConfig
from channels.wechat.inbound import to_inbound
from hub.core import Hub
from hub.errors import HubError
from hub.services.ingest import keep_unreadable
from web.wechat_channels import ChannelUnavailable, WeChatChannels

log = logging.getLogger(__name__)

#: Storing must finish within this, leaving a second of WeChat's five for the network.
STORE_BUDGET_SECONDS = 4.0
#: WeChat's pushes are a few kilobytes; anything far larger is not one.
MAX_BODY_BYTES = 256 * 1024
PATH = "/channels/wechat/{channel_id:uuid}"


def _text(body: str, status: int = 200) -> Response[str]:
    return Response(body, status_code=status, media_type=MediaType.TEXT)


def _client(request: Request) -> str:
    return request.client.host if request.client else "?"


async def _config(request: Request, channel_id: uuid.UUID) -> WeChatConfig:
    registry: WeChatChannels = request.app.state.wechat_channels
    return await registry.get(channel_id)


@get(PATH, exclude_from_auth=True, tags=["channels"], summary="WeChat server URL check (echostr)")
async def wechat_verify(request: Request, channel_id: FromPath[uuid.UUID]) -> Response[str]:
    try:
        config = await _config(request, channel_id)
        return _text(callback.echo(config, Query.of(request.query_params)))
    except ChannelUnavailable as exc:
        return _text(exc.reason, exc.status)
    except Refused as exc:
        log.warning("WeChat URL check for channel %s refused from %s: %s", channel_id, _client(request), exc)
        return _text("forbidden", 403)


@post(
    PATH, exclude_from_auth=True, status_code=200, tags=["channels"], summary="WeChat push (messages, events)"
)
async def wechat_push(request: Request, channel_id: FromPath[uuid.UUID]) -> Response[str]:
    hub: Hub = request.app.state.hub
    try:
        config = await _config(request, channel_id)
    except ChannelUnavailable as exc:
        return _text(exc.reason, exc.status)
    query = Query.of(request.query_params)
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        return _text("too large", 413)
    readable = body
    try:
        callback.verify(config, query)
        readable = callback.open_body(config, query, body)
        parsed = callback.parse(readable)
    except Refused as exc:
        log.warning("WeChat push to channel %s refused from %s: %s", channel_id, _client(request), exc)
        return _text("forbidden", 403)
    except Malformed as exc:
        await _reject(hub, channel_id, readable, str(exc))
        return _text("malformed", 400)
    push = to_inbound(config, parsed)
    try:
        async with asyncio.timeout(STORE_BUDGET_SECONDS):
            await hub.store_inbound(push.message, payload=readable)
    except TimeoutError:
        log.error(
            "WeChat push %s not stored within %.0f s; answered 503 so WeChat retries",
            push.message.external_id,
            STORE_BUDGET_SECONDS,
        )
        return _text("busy", 503)
    except HubError as exc:
        await _reject(hub, channel_id, readable, str(exc))
        return _text("unprocessable", 400)
    answer = replies.welcome(config, event=push.event, openid=push.openid, account=push.account)
    if answer is None:
        return _text(replies.SUCCESS)
    if query.encrypted:
        answer = replies.seal(config, answer, nonce=query.nonce, timestamp=query.timestamp)
    return Response(answer, media_type=MediaType.XML)


async def _reject(hub: Hub, channel_id: uuid.UUID, payload: bytes, reason: str) -> None:
    log.warning("WeChat push to channel %s kept as rejected: %s", channel_id, reason)
    digest = hashlib.sha256(payload).hexdigest()
    await keep_unreadable(hub, channel_id, external_id=f"rejected:{digest}", payload=payload, reason=reason)
