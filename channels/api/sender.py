"""Replies on the API channel leave as a signed webhook to the integration's callback URL.

The body is JSON; ``X-Hub-Signature-256: sha256=<hex>`` is the HMAC-SHA256 of the exact body
bytes under the channel's webhook secret (``hub channel add`` prints it), and ``X-Hub-Delivery``
is stable across retries so the receiver can drop duplicates.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import httpx
import msgspec

from hub.delivery.outbound import DeliveryResult, OutboundMessage
from hub.errors import DeliveryError
from hub.ports import AttachmentStore
from hub.security import sign_body, webhook_secret

#: Attachments up to this size travel inside the webhook; larger ones are announced without bytes.
INLINE_ATTACHMENT_BYTES = 5 * 1024 * 1024
_TRANSIENT_STATUSES = {408, 425, 429}


class WebhookSender:
    #: The integration drops a repeat by its ``X-Hub-Delivery`` id.
    resend_safe = True

    def __init__(self, *, http: httpx.AsyncClient, master_key: str, storage: AttachmentStore) -> None:
        self.http = http
        self.master_key = master_key
        self.storage = storage

    def body(self, message: OutboundMessage) -> bytes:
        attachments = []
        for item in message.attachments:
            entry: dict[str, object] = {
                "filename": item.filename,
                "content_type": item.content_type,
                "size": item.size,
                "sha256": item.sha256,
            }
            if item.size <= INLINE_ATTACHMENT_BYTES:
                entry["data_base64"] = base64.b64encode(self.storage.get(item.sha256)).decode()
            attachments.append(entry)
        return msgspec.json.encode(
            {
                "event": "message.outbound",
                "delivery_id": str(message.outbox_id),
                "message_id": str(message.message_id),
                "ticket_id": str(message.ticket_id),
                "ticket_number": message.ticket_number,
                "thread_ref": message.thread_ref,
                "recipient": message.recipients[0] if message.recipients else None,
                "subject": message.subject,
                "text": message.text,
                "html": message.html,
                "author": message.author_name,
                "attachments": attachments,
                "sent_at": datetime.now(UTC).isoformat(),
            }
        )

    async def send(self, message: OutboundMessage) -> DeliveryResult:
        url = message.channel_config.get("callback_url")
        if not url:
            raise DeliveryError(
                "the API channel has no callback_url configured", transient=False, code="delivery_no_callback"
            )
        body = self.body(message)
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "hub-webhook/1",
            "X-Hub-Delivery": str(message.outbox_id),
            "X-Hub-Signature-256": sign_body(webhook_secret(self.master_key, message.channel_id), body),
        }
        try:
            response = await self.http.post(url, content=body, headers=headers)
        except httpx.TimeoutException:
            raise DeliveryError(
                f"callback {url} timed out",
                transient=True,
                code="delivery_server_unreachable",
                params={"server": url, "detail": "timeout"},
            ) from None
        except httpx.HTTPError as exc:
            raise DeliveryError(
                f"callback {url} unreachable: {exc}",
                transient=True,
                code="delivery_server_unreachable",
                params={"server": url, "detail": str(exc)},
            ) from None
        if response.is_success:
            return DeliveryResult(external_id=_external_id(response))
        detail = f"callback answered {response.status_code}: {response.text[:200]}"
        transient = response.status_code >= 500 or response.status_code in _TRANSIENT_STATUSES
        raise DeliveryError(
            detail,
            transient=transient,
            code="delivery_callback_refused",
            params={"status": response.status_code, "detail": response.text[:200]},
        )


def _external_id(response: httpx.Response) -> str | None:
    """An integration may answer ``{"id": ...}``; that becomes the message's external id."""
    try:
        data = response.json()
    except ValueError:
        return None
    value = data.get("id") if isinstance(data, dict) else None
    return str(value) if value is not None else None
