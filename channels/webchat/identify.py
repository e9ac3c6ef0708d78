"""``HubChat.setUser`` proved: the visitor is the integrator's user, and joins the contact the hub
already knows by their e-mail address (its organisation and dedicated account manager with it).

Only a verified identity joins a known contact; what a visitor types in a form never does (anyone
can type anyone's address).
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from channels.webchat import visitors
from hub.actors import CHANNEL
from hub.contacts.contacts import merge
from hub.core import Hub
from hub.domain import ChannelKind, TicketStatus
from hub.models import Contact, ContactIdentity, Organization, Ticket
from hub.tickets import assignment

_OPEN = (TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.PENDING)


async def join_contact(
    hub: Hub,
    channel_id: uuid.UUID,
    visitor_id: uuid.UUID,
    *,
    user_id: str,
    name: str | None,
    email: str | None,
) -> uuid.UUID | None:
    """Record the verified identity and join the known contact; the visitor's contact id after."""
    await visitors.touch(hub, channel_id, visitor_id)
    values: dict[str, object] = {"verified_id": user_id}
    if name:
        values["name"] = name
    if email:
        values["email"] = email
    await visitors.update(hub, visitor_id, **values)
    async with hub.uow() as uow:
        session = uow.session
        now = hub.clock.now()
        mine = await visitors.contact_of(session, visitor_id)
        known = None
        if email:
            known = await session.scalar(
                sa.select(ContactIdentity.contact_id).where(
                    ContactIdentity.kind == ChannelKind.EMAIL, ContactIdentity.value == email.lower()
                )
            )
        if known is not None and mine is not None and known != mine:
            target = await merge(uow, CHANNEL, source_id=mine, target_id=known, now=now)
            await _follow_the_contact(uow, target, channel_id, now=now)
            mine = target.id
        elif known is not None and mine is None:
            await session.execute(
                insert(ContactIdentity)
                .values(
                    id=uuid.uuid4(),
                    contact_id=known,
                    kind=ChannelKind.WEBCHAT,
                    value=str(visitor_id),
                    created_at=now,
                )
                .on_conflict_do_nothing(index_elements=["kind", "value"])
            )
            mine = known
        else:
            if mine is None:
                contact = Contact(id=uuid.uuid4(), name=name or "", created_at=now)
                session.add(contact)
                await session.flush()
                mine = contact.id
                await session.execute(
                    insert(ContactIdentity)
                    .values(
                        id=uuid.uuid4(),
                        contact_id=mine,
                        kind=ChannelKind.WEBCHAT,
                        value=str(visitor_id),
                        created_at=now,
                    )
                    .on_conflict_do_nothing(index_elements=["kind", "value"])
                )
            elif name:
                found = await session.get(Contact, mine)
                if found is not None and not found.name:
                    found.name = name
            if email:
                await session.execute(
                    insert(ContactIdentity)
                    .values(
                        id=uuid.uuid4(),
                        contact_id=mine,
                        kind=ChannelKind.EMAIL,
                        value=email.lower(),
                        created_at=now,
                    )
                    .on_conflict_do_nothing(index_elements=["kind", "value"])
                )
        await uow.commit()
    return mine


async def _follow_the_contact(uow: object, contact: Contact, channel_id: uuid.UUID, *, now: object) -> None:
    """The visitor's open chats join the contact's organisation, and go to its account manager
    when nobody answered them yet."""
    from hub.uow import UnitOfWork

    assert isinstance(uow, UnitOfWork)
    session = uow.session
    if contact.organization_id is None:
        return
    organization = await session.get(Organization, contact.organization_id)
    tickets = await session.scalars(
        sa.select(Ticket)
        .where(Ticket.contact_id == contact.id, Ticket.channel_id == channel_id, Ticket.status.in_(_OPEN))
        .order_by(Ticket.id)
        .with_for_update()
    )
    for ticket in tickets:
        ticket.organization_id = contact.organization_id
        manager = organization.account_manager_id if organization is not None else None
        if manager is not None and ticket.assignee_id != manager and ticket.status is TicketStatus.NEW:
            await assignment.assign(
                uow,
                ticket,
                manager,
                actor=CHANNEL,
                reason="the visitor is a known client",
                now=now,  # type: ignore[arg-type]
            )
