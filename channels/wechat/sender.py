"""Agent replies to WeChat: customer-service messages (text, images), or the template message.

A reply becomes one WeChat message per part: its text, then each image (uploaded first, since
customer-service messages carry a ``media_id``). Parts already sent are remembered in Redis per
delivery, so when a later part fails and the outbox retries, the customer does not get the text
twice. Files other than images cannot travel as customer-service messages: such a reply fails
before anything is sent, saying so.

Outside the 48-hour window the hub refuses the reply up front (:mod:`hub.tickets.windows`); the
agent may then send it as the channel's template message (``template_id``, the reply's text in
``template_field``), which WeChat delivers regardless of the window.
"""

from __future__ import annotations

import html as html_lib
import re

from channels.wechat import errors
from channels.wechat.api import Unreachable, WeChatApi, WeChatApiError
from channels.wechat.config import ConfigProblem, WeChatConfig
from channels.wechat.inbound import template_external_id
from channels.wechat.tokens import TokenUnavailable
from hub.delivery.outbound import DeliveryResult, OutboundAttachment, OutboundMessage
from hub.errors import DeliveryError
from hub.ports import AttachmentStore

#: Template values are short (WeChat cuts them); keep the start of the reply.
TEMPLATE_VALUE_CHARS = 200
#: How long a delivery remembers the parts it sent (longer than the outbox's whole retry ladder).
PARTS_MEMORY_SECONDS = 3 * 86400
_TAGS = re.compile(r"<[^>]+>")


def _plain(message: OutboundMessage) -> str:
    if message.text.strip():
        return message.text
    return html_lib.unescape(_TAGS.sub("", message.html or "")).strip()


class WeChatSender:
    #: WeChat's customer-service API has no idempotency key: a repeat is a second message.
    resend_safe = False

    def __init__(self, *, api: WeChatApi, storage: AttachmentStore, master_key: str) -> None:
        self.api = api
        self.storage = storage
        self.master_key = master_key

    def _config(self, message: OutboundMessage) -> WeChatConfig:
        try:
            return WeChatConfig.load(self.master_key, message.channel_id, message.channel_config)
        except ConfigProblem as exc:
            raise errors.misconfigured(str(exc)) from None

    async def send(self, message: OutboundMessage) -> DeliveryResult:
        config = self._config(message)
        openid = next((o for o in map(config.openid, message.recipients) if o), None)
        if openid is None:
            raise DeliveryError(
                f"the contact has no openid on WeChat account {config.app_id}",
                transient=False,
                code="delivery_recipient_invalid",
                params={"detail": f"no {config.app_id}:openid"},
            )
        try:
            if message.template:
                return await self._template(config, message, openid)
            await self._custom(config, message, openid)
        except WeChatApiError as exc:
            raise errors.api_failure(exc.errcode, exc.errmsg) from None
        except (Unreachable, TokenUnavailable) as exc:
            raise errors.unreachable(str(exc)) from None
        except ConfigProblem as exc:
            raise errors.misconfigured(str(exc)) from None
        return DeliveryResult()

    async def _template(self, config: WeChatConfig, message: OutboundMessage, openid: str) -> DeliveryResult:
        if not config.template_id:
            raise errors.misconfigured("the channel has no template message configured (--template-id)")
        text = _plain(message)
        if len(text) > TEMPLATE_VALUE_CHARS:
            text = text[: TEMPLATE_VALUE_CHARS - 1] + "…"
        body = {
            "touser": openid,
            "template_id": config.template_id,
            "data": {config.template_field: {"value": text}},
        }
        if message.csat and message.csat.get("url"):
            body["url"] = message.csat["url"]  # a survey's template message opens its rating page
        elif message.link:
            body["url"] = message.link  # a portal link's template message opens its page
        msg_id = await self.api.send_template(config, body)
        return DeliveryResult(external_id=template_external_id(msg_id) if msg_id else None)

    async def _custom(self, config: WeChatConfig, message: OutboundMessage, openid: str) -> None:
        images: list[OutboundAttachment] = []
        for item in message.attachments:
            if not item.content_type.startswith("image/"):
                raise DeliveryError(
                    f"{item.filename} cannot be sent on WeChat: customer-service messages carry text and images only",
                    transient=False,
                    code="delivery_bad_media",
                    params={"detail": f"{item.filename} ({item.content_type}): text and images only"},
                )
            images.append(item)
        redis = self.api.tokens.redis
        sent_key = f"hub:wechat:sent:{message.outbox_id}"
        text = _plain(message)
        parts: list[tuple[str, OutboundAttachment | None]] = [("text", None)] if text else []
        parts += [(f"image:{i}:{a.sha256}", a) for i, a in enumerate(images)]
        for name, attachment in parts:
            if await redis.sismember(sent_key, name):  # type: ignore[misc]
                continue
            if attachment is None:
                body = {"touser": openid, "msgtype": "text", "text": {"content": text}}
            else:
                data = self.storage.get(attachment.sha256)
                media_id = await self.api.upload_image(
                    config, attachment.filename, attachment.content_type, data
                )
                body = {"touser": openid, "msgtype": "image", "image": {"media_id": media_id}}
            await self.api.send_custom(config, body)
            await redis.sadd(sent_key, name)  # type: ignore[misc]
            await redis.expire(sent_key, PARTS_MEMORY_SECONDS)
