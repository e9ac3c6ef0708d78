"""What the partner's home page lists under "waiting on you" from quality cases, action items and
messages: one function per kind of item, so the home page joins them with the other parts' sources
(orders to confirm, date proposals answered) into one list, due first."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from hub.actors import Actor
from hub.core import Hub
from hub.portal import action_items, messages, quality


@dataclass(frozen=True)
class WaitingItem:
    #: ``quality_step``, ``action_item`` or ``messages``: the page links each kind to its own page.
    kind: str
    title: str
    #: The object the item opens (a quality case, an action item); None for a count of messages.
    ref: uuid.UUID | None
    due_at: datetime | None
    count: int = 1


WaitingSource = Callable[[AsyncSession, Actor, datetime], Awaitable[list[WaitingItem]]]


async def quality_steps_due(session: AsyncSession, actor: Actor, now: datetime) -> list[WaitingItem]:
    return [
        WaitingItem(
            "quality_step", f"{case.number} {case.title} · {step.discipline.value}", case.id, step.due_at
        )
        for case, step in await quality.steps_waiting(session, actor)
    ]


async def action_items_due(session: AsyncSession, actor: Actor, now: datetime) -> list[WaitingItem]:
    return [
        WaitingItem("action_item", item.title, item.id, item.due_at)
        for item in await action_items.items_waiting(session, actor, now)
    ]


async def unread_messages(session: AsyncSession, actor: Actor, now: datetime) -> list[WaitingItem]:
    unread = await messages.unread(session, actor)
    return [WaitingItem("messages", "", None, None, unread)] if unread else []


SOURCES: list[WaitingSource] = [quality_steps_due, action_items_due, unread_messages]


async def waiting_items(hub: Hub, actor: Actor) -> list[WaitingItem]:
    """Every item of :data:`SOURCES` for ``actor``, those with a due time first, earliest first."""
    found: list[WaitingItem] = []
    async with hub.session_factory() as session:
        now = hub.clock.now()
        for source in SOURCES:
            found += await source(session, actor, now)
    return sorted(found, key=lambda item: (item.due_at is None, item.due_at or now))
