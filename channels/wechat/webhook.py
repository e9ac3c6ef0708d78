"""The WeChat Official Account callback: ``/channels/wechat/{channel_id}`` (set as the server URL).

Authenticated by WeChat's signature, not by a user session (``web/`` mounts it as a public route).
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
from typing import TYPE_CHECKING

from channels.spec import WebhookRequest, WebhookResponse
from channels.wechat import callback, replies
from channels.wechat.accounts import ChannelUnavailable
from channels.wechat.callback import Malformed, Query, Refused
from channels.wechat.inbound import to_inbound
from hub.core import Hub
from hub.errors import HubError
from hub.intake import ingest
from hub.intake.ingest import keep_unreadable

if TYPE_CHECKING:
    from channels.wechat.spec import WeChatConnection

log = logging.getLogger(__name__)

#: Storing must finish within this, leaving a second of WeChat's five for the network.
STORE_BUDGET_SECONDS = 4.0
#: WeChat's pushes are a few kilobytes; anything far larger is not one.
MAX_BODY_BYTES = 256 * 1024
PATH = "/channels/wechat/{channel_id:uuid}"


def _text(body: str, status: int = 200) -> WebhookResponse:
    return WebhookResponse(status, body)


async def verify(connection: WeChatConnection, hub: Hub, request: WebhookRequest) -> WebhookResponse:
    """The console's URL check: echo ``echostr`` when the signature is right."""
    try:
        config = await connection.accounts.get(hub, request.channel_id)
        return _text(callback.echo(config, Query.of(request.query)))
    except ChannelUnavailable as exc:
        return _text(exc.reason, exc.status)
    except Refused as exc:
        log.warning(
            "WeChat URL check for channel %s refused from %s: %s", request.channel_id, request.client, exc
        )
        return _text("forbidden", 403)


async def push(connection: WeChatConnection, hub: Hub, request: WebhookRequest) -> WebhookResponse:
    """A message or event: stored raw within the budget, answered ``success`` or a passive reply."""
    channel_id = request.channel_id
    try:
        config = await connection.accounts.get(hub, channel_id)
    except ChannelUnavailable as exc:
        return _text(exc.reason, exc.status)
    query = Query.of(request.query)
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        return _text("too large", 413)
    readable = body
    try:
        callback.verify(config, query)
        readable = callback.open_body(config, query, body)
        parsed = callback.parse(readable)
    except Refused as exc:
        log.warning("WeChat push to channel %s refused from %s: %s", channel_id, request.client, exc)
        return _text("forbidden", 403)
    except Malformed as exc:
        await _reject(hub, channel_id, readable, str(exc))
        return _text("malformed", 400)
    pushed = to_inbound(config, parsed)
    try:
        async with asyncio.timeout(STORE_BUDGET_SECONDS):
            await ingest.store(hub, pushed.message, payload=readable, process_later=True)
    except TimeoutError:
        log.error(
            "WeChat push %s not stored within %.0f s; answered 503 so WeChat retries",
            pushed.message.external_id,
            STORE_BUDGET_SECONDS,
        )
        return _text("busy", 503)
    except HubError as exc:
        await _reject(hub, channel_id, readable, str(exc))
        return _text("unprocessable", 400)
    answer = replies.welcome(config, event=pushed.event, openid=pushed.openid, account=pushed.account)
    if answer is None:
        return _text(replies.SUCCESS)
    if query.encrypted:
        answer = replies.seal(config, answer, nonce=query.nonce, timestamp=query.timestamp)
    return WebhookResponse(200, answer, "application/xml")


async def _reject(hub: Hub, channel_id: uuid.UUID, payload: bytes, reason: str) -> None:
    log.warning("WeChat push to channel %s kept as rejected: %s", channel_id, reason)
    digest = hashlib.sha256(payload).hexdigest()
    await keep_unreadable(hub, channel_id, external_id=f"rejected:{digest}", payload=payload, reason=reason)
