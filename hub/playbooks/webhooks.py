"""A playbook's ``webhook`` action: a signed JSON POST about the ticket to a company's system.

The body is built once, when the action runs, and the same bytes go on every attempt
(``X-Hub-Delivery`` names it, so the receiver drops a repeat). Each attempt is signed afresh:
``X-Hub-Timestamp`` is the attempt's Unix time and ``X-Hub-Signature-256`` is
``sha256=<hex>``, the HMAC-SHA256 of ``<timestamp>.<body>`` under the secret, so a receiver
that checks both refuses a replayed request. The secret is never in the playbook: either the
name of an environment variable (``secret_env``) or an API channel whose webhook secret
(derived from ``HUB_SECRET_KEY``, printed once by ``hub channel add``) signs it (``channel``).

The first attempt is a job right after the action commits; a failed one is tried again by the
worker's follow-up sweep after 1, 5, 30 and 120 minutes. A refusal that cannot change (a 4xx other
than 408/425/429, a secret that is not set) or the fifth failure fails it for good:
``webhook_failed`` on the ticket's log and its assignee told (the team's lead when nobody has it).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

import httpx
import msgspec
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from hub import notifications
from hub.core import Hub
from hub.domain import ChannelKind, TicketEventKind
from hub.errors import InvalidInput
from hub.events import TicketRef
from hub.models import Channel, PlaybookWebhook, Ticket
from hub.security import webhook_secret
from hub.tickets import events, timeline
from hub.uow import UnitOfWork

log = logging.getLogger(__name__)

JOB = "playbook_webhook"
#: The waits after the 1st, 2nd, 3rd and 4th failure; the 5th fails it for good.
BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2))
TIMEOUT_SECONDS = 10.0
_TRANSIENT = {408, 425, 429}

#: POST ``body`` with ``headers`` to ``url``; the answer's status (raises ``httpx.HTTPError``).
Post = Callable[[str, bytes, dict[str, str]], Awaitable[int]]


class _Failed(Exception):
    def __init__(self, detail: str, *, final: bool) -> None:
        super().__init__(detail)
        self.detail, self.final = detail, final


async def http_post(url: str, body: bytes, headers: dict[str, str]) -> int:
    async with httpx.AsyncClient(timeout=TIMEOUT_SECONDS, follow_redirects=False) as http:
        return (await http.post(url, content=body, headers=headers)).status_code


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """What ``X-Hub-Signature-256`` carries: ``sha256=`` and the HMAC of ``<timestamp>.<body>``."""
    signed = timestamp.encode() + b"." + body
    return "sha256=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


async def queue(
    hub: Hub, ticket_id: uuid.UUID, *, playbook_id: str, argument: dict[str, Any], fields: dict[str, Any]
) -> PlaybookWebhook:
    """The delivery, stored with its body; its first attempt is a job right after the commit."""
    channel_id = uuid.UUID(str(argument["channel"])) if "channel" in argument else None
    async with hub.uow() as uow:
        session, now = uow.session, hub.clock.now()
        ticket = await session.get(Ticket, ticket_id)
        assert ticket is not None  # the run's ticket
        if channel_id is not None:
            channel = await session.get(Channel, channel_id)
            if channel is None or channel.kind is not ChannelKind.API:
                raise InvalidInput(detail=f"webhook: {channel_id} is not an API channel")
        delivery_id = uuid.uuid4()
        body = msgspec.json.encode(
            {
                "event": "playbook.webhook",
                "delivery_id": str(delivery_id),
                "playbook": playbook_id,
                "ticket": {
                    "id": str(ticket.id),
                    "number": ticket.number,
                    "subject": ticket.subject,
                    "status": ticket.status.value,
                    "priority": ticket.priority.value,
                    "scenario": ticket.scenario.value,
                    "channel": ticket.channel_kind.value,
                    "organization_id": str(ticket.organization_id) if ticket.organization_id else None,
                },
                "fields": fields,
                "at": now.isoformat(),
            }
        )
        row = PlaybookWebhook(
            id=delivery_id,
            ticket_id=ticket.id,
            playbook_id=playbook_id,
            url=str(argument["url"]),
            secret_env=argument.get("secret_env"),
            secret_channel_id=channel_id,
            body=body,
            status="pending",
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
        session.add(row)
        uow.enqueue(JOB, str(row.id), job_id=f"{JOB}:{row.id}")
        await uow.commit()
        return row


def _secret(hub: Hub, row: PlaybookWebhook) -> str:
    if row.secret_channel_id is not None:
        return webhook_secret(hub.settings.secret_key, row.secret_channel_id)
    secret = os.environ.get(row.secret_env or "", "")
    if not secret:
        raise _Failed(f"the environment variable {row.secret_env} is not set", final=True)
    return secret


async def _send(hub: Hub, row: PlaybookWebhook, post: Post) -> int:
    timestamp = str(int(hub.clock.now().timestamp()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "hub-webhook/1",
        "X-Hub-Delivery": str(row.id),
        "X-Hub-Timestamp": timestamp,
        "X-Hub-Signature-256": signature(_secret(hub, row), timestamp, row.body),
    }
    try:
        status = await post(row.url, row.body, headers)
    except httpx.HTTPError as exc:
        raise _Failed(f"{row.url} unreachable: {exc or type(exc).__name__}", final=False) from None
    if 200 <= status < 300:
        return status
    raise _Failed(f"{row.url} answered {status}", final=status < 500 and status not in _TRANSIENT)


async def attempt(hub: Hub, webhook_id: uuid.UUID, *, post: Post = http_post) -> str:
    """One attempt of a pending delivery that is due (held locked: two workers never send it twice):
    ``sent``, ``retry``, ``failed``, or ``skipped`` when it is not due or another worker has it."""
    async with hub.uow() as uow:
        now = hub.clock.now()
        row = await uow.session.scalar(
            sa.select(PlaybookWebhook)
            .where(
                PlaybookWebhook.id == webhook_id,
                PlaybookWebhook.status == "pending",
                PlaybookWebhook.next_attempt_at <= now,
            )
            .with_for_update(skip_locked=True)
        )
        if row is None:
            return "skipped"
        row.attempts += 1
        try:
            status = await _send(hub, row, post)
        except _Failed as failure:
            row.last_error = failure.detail[:500]
            if failure.final or row.attempts > len(BACKOFF):
                row.status, row.next_attempt_at = "failed", None
                await _failed(uow, row, now)
                outcome = "failed"
            else:
                row.next_attempt_at = now + BACKOFF[row.attempts - 1]
                outcome = "retry"
            log.info("playbook webhook %s attempt %d: %s", row.id, row.attempts, failure.detail)
        else:
            row.status, row.sent_at, row.next_attempt_at, row.last_error = "sent", now, None, None
            timeline.append(
                uow.session,
                row.ticket_id,
                TicketEventKind.WEBHOOK_SENT,
                at=now,
                webhook_id=row.id,
                playbook=row.playbook_id,
                url=row.url,
                status=status,
                attempts=row.attempts,
            )
            outcome = "sent"
        await uow.commit()
        return outcome


async def _failed(uow: UnitOfWork, row: PlaybookWebhook, now: datetime) -> None:
    session = uow.session
    ticket = await session.get(Ticket, row.ticket_id)
    assert ticket is not None
    timeline.append(
        session,
        ticket.id,
        TicketEventKind.WEBHOOK_FAILED,
        at=now,
        webhook_id=row.id,
        playbook=row.playbook_id,
        url=row.url,
        attempts=row.attempts,
        error=row.last_error,
    )
    if ticket.assignee_id is not None:
        people = [ticket.assignee_id]
    elif ticket.team_id is not None:
        people = (await notifications.team_leads(session, [ticket.team_id])).get(ticket.team_id, [])
    else:
        people = []
    notifications.tell(
        uow,
        notifications.rows_for(
            people,
            kind="playbook_webhook_failed",
            ticket_id=ticket.id,
            params={
                "number": ticket.number,
                "playbook": row.playbook_id,
                "url": row.url,
                "reason": row.last_error or "",
            },
            now=now,
        ),
    )
    uow.emit(events.TicketUpdated(at=now, ticket=TicketRef.of(ticket), field="webhook"))


async def deliver_due(hub: Hub, *, post: Post = http_post, limit: int = 100) -> dict[str, int]:
    """Every pending delivery whose next attempt is due (the retries, and any first attempt whose
    job was lost), one attempt each."""
    async with hub.session_factory() as session:
        due = list(
            await session.scalars(
                sa.select(PlaybookWebhook.id)
                .where(
                    PlaybookWebhook.status == "pending", PlaybookWebhook.next_attempt_at <= hub.clock.now()
                )
                .order_by(PlaybookWebhook.next_attempt_at)
                .limit(limit)
            )
        )
    tally: dict[str, int] = {}
    for webhook_id in due:
        outcome = await attempt(hub, webhook_id, post=post)
        tally[outcome] = tally.get(outcome, 0) + 1
    return tally


async def for_ticket(hub: Hub, ticket_id: uuid.UUID) -> list[PlaybookWebhook]:
    async with hub.session_factory() as session:
        return await of_ticket(session, ticket_id)


async def of_ticket(session: AsyncSession, ticket_id: uuid.UUID) -> list[PlaybookWebhook]:
    """The ticket's, oldest first: the playbook panel lists them."""
    return list(
        await session.scalars(
            sa.select(PlaybookWebhook)
            .where(PlaybookWebhook.ticket_id == ticket_id)
            .order_by(PlaybookWebhook.created_at, PlaybookWebhook.id)
        )
    )
