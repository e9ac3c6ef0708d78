"""A channel learns after the fact that a sent message did not arrive (an e-mail bounce).

The sender had reported success, so the outbox row says ``sent``; the report turns the message
and its row to ``failed`` with the reason, logs ``delivery_failed`` on the ticket and tells the
inbox, exactly as a failure at sending time would. Reports are matched by the channel's ids of
our outbound messages and are idempotent: a second copy of the same report changes nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from hub.core import Hub
from hub.delivery.delivery import announce, mark_failed, reopen_clocks
from hub.domain import DeliveryStatus, Direction, OutboxStatus
from hub.models import Message, Outbox


async def failed_after_sending(
    hub: Hub, external_ids: Sequence[str], reason: str, *, report: dict[str, Any] | None = None
) -> uuid.UUID | None:
    """Mark the outbound message named by one of ``external_ids`` failed; its id, or ``None``."""
    ids = [i for i in dict.fromkeys(external_ids) if i]
    if not ids:
        return None
    reason = reason.strip()[:2000] or "delivery failed after sending"
    async with hub.uow() as uow:
        message = await uow.session.scalar(
            sa.select(Message)
            .where(Message.external_id.in_(ids), Message.direction == Direction.OUTBOUND)
            .order_by(Message.created_at.desc())
            .limit(1)
            .with_for_update()
        )
        if message is None:
            return None
        if message.delivery_status is DeliveryStatus.FAILED and message.delivery_error == reason:
            return message.id
        now = hub.clock.now()
        said = {"code": "delivery_bounced", "params": {"detail": reason}}
        message.meta = {
            **message.meta,
            "delivery_error": said,
            **({"delivery_report": report} if report else {}),
        }
        await uow.session.execute(
            sa.update(Outbox)
            .where(Outbox.message_id == message.id)
            .values(status=OutboxStatus.FAILED, last_error=reason)
        )
        mark_failed(uow.session, message, reason, now=now, after_sending=True)
        await reopen_clocks(uow, message)
        await announce(uow, message)
        await uow.commit()
        return message.id
