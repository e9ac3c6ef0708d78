"""Suggesting playbooks when a ticket opens, its scenario changes or its client answers the
survey: an event-bus subscriber.

After the change commits, every ticket of the batch that opened (or whose scenario staff changed,
or whose survey was answered) is matched against the library's triggers (scenario, channel, the
client's words in either language, tier, organisation kind, a survey rating at or below a
playbook's ``csat_at_most``) in one transaction, and the suggestions with their reason are
stored for the ticket page and the API. Best effort like every after-commit subscriber: a lost
suggestion is computed again when the page is opened.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import distinct_on

from hub import bulk
from hub.domain import Direction, PlaybookRunStatus
from hub.events import EventBus
from hub.models import CsatSurvey, Message, Organization, PlaybookRun, PlaybookSuggestionRow, Ticket
from hub.ports import PlaybookSuggestion, TicketFacts
from hub.tickets.events import FieldChanged, TicketOpened, TicketUpdated

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from hub.core import Hub


#: One statement for a whole batch's suggestions, its rows as arrays: a bulk import opens hundreds
#: of tickets per batch, and a multi-row ``VALUES`` costs SQLAlchemy more than the database.
_UPSERT = bulk.insert_rows(
    PlaybookSuggestionRow.__table__,
    ["ticket_id", "cause", "suggestions", "at"],
    suffix=(
        "ON CONFLICT (ticket_id) DO UPDATE SET cause = excluded.cause, "
        "suggestions = excluded.suggestions, at = excluded.at"
    ),
)


def subscribe(bus: EventBus) -> None:
    bus.after_commit(TicketOpened, opened)
    bus.after_commit(FieldChanged, scenario_changed)
    bus.after_commit(TicketUpdated, survey_answered)


async def opened(hub: Hub, events: Sequence[TicketOpened]) -> None:
    await suggest(hub, [event.ticket.id for event in events], cause="opened")


async def scenario_changed(hub: Hub, events: Sequence[FieldChanged]) -> None:
    changed = [event.ticket.id for event in events if event.field == "scenario"]
    if changed:
        await suggest(hub, changed, cause="scenario")


async def survey_answered(hub: Hub, events: Sequence[TicketUpdated]) -> None:
    """A survey changed (sent, cancelled, answered): suggested again once it has a rating."""
    changed = [event.ticket.id for event in events if event.field == "csat"]
    if not changed:
        return
    async with hub.session_factory() as session:
        rated = await ratings(session, changed)
    if rated:
        await suggest(hub, list(rated), cause="csat")


async def ratings(session: AsyncSession, ticket_ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    """The rating each of these tickets' answered survey gave, if any."""
    rows = await session.execute(
        sa.select(CsatSurvey.ticket_id, CsatSurvey.rating)
        .where(bulk.any_of(CsatSurvey.ticket_id, ticket_ids), CsatSurvey.rating.is_not(None))
        .order_by(CsatSurvey.ticket_id, CsatSurvey.answered_at.desc())
        .ext(distinct_on(CsatSurvey.ticket_id))
    )
    return {ticket_id: rating for ticket_id, rating in rows.all() if rating is not None}


def as_json(suggestion: PlaybookSuggestion) -> dict[str, object]:
    return {
        "playbook": suggestion.playbook_id,
        "version": suggestion.version,
        "title": suggestion.title,
        "reason": suggestion.reason,
        "detail": suggestion.detail,
    }


def from_json(row: dict[str, object]) -> PlaybookSuggestion:
    return PlaybookSuggestion(
        playbook_id=str(row["playbook"]),
        version=int(str(row["version"])),
        title=dict(row["title"]),  # type: ignore[call-overload]
        reason=str(row["reason"]),
        detail=str(row["detail"]),
    )


async def suggest(hub: Hub, ticket_ids: list[uuid.UUID], *, cause: str) -> None:
    """Store the suggestions for these tickets: four statements for the whole batch."""
    wanted = list(dict.fromkeys(ticket_ids))
    if not wanted or not hub.playbooks.listing():
        return
    async with hub.uow() as uow:
        session, now = uow.session, hub.clock.now()
        # The columns the facts need, not whole rows (their search vectors): a bulk import opens
        # hundreds of tickets per batch.
        tickets = (
            await session.execute(
                sa.select(
                    Ticket.id, Ticket.scenario, Ticket.channel_kind, Ticket.subject, Ticket.organization_id
                ).where(bulk.any_of(Ticket.id, wanted))
            )
        ).all()
        first_words: dict[uuid.UUID, str] = {
            ticket_id: text
            for ticket_id, text in (
                await session.execute(
                    sa.select(Message.ticket_id, Message.text)
                    .where(bulk.any_of(Message.ticket_id, wanted), Message.direction == Direction.INBOUND)
                    .order_by(Message.ticket_id, Message.created_at, Message.id)
                    .ext(distinct_on(Message.ticket_id))
                )
            ).all()
        }
        organizations = {
            org.id: org
            for org in await session.scalars(
                sa.select(Organization).where(
                    Organization.id.in_({t.organization_id for t in tickets if t.organization_id})
                )
            )
        }
        rated = await ratings(session, wanted)
        running = set(
            await session.scalars(
                sa.select(PlaybookRun.ticket_id).where(
                    bulk.any_of(PlaybookRun.ticket_id, wanted),
                    PlaybookRun.is_primary,
                    PlaybookRun.status == PlaybookRunStatus.ACTIVE,
                )
            )
        )
        rows = []
        for ticket in tickets:
            if ticket.id in running:
                continue
            organization = organizations.get(ticket.organization_id) if ticket.organization_id else None
            facts = TicketFacts(
                scenario=ticket.scenario.value,
                channel=ticket.channel_kind.value,
                text=f"{ticket.subject}\n{first_words.get(ticket.id) or ''}",
                tier=organization.tier.value if organization else None,
                organization_kind=organization.kind.value if organization else None,
                csat=rated.get(ticket.id),
            )
            found = [as_json(s) for s in hub.playbooks.suggest(facts)]
            rows.append({"ticket_id": ticket.id, "cause": cause, "suggestions": found, "at": now})
        if rows:
            # Ticket order: two imports suggesting for the same tickets lock them in one order.
            rows.sort(key=lambda row: row["ticket_id"])
            await _UPSERT.execute(await session.connection(), rows)
        await uow.commit()
