"""Finding the contact behind an identity, creating it on first contact, and merging duplicates."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from hub import permissions
from hub.actors import CHANNEL, Actor
from hub.core import Hub
from hub.domain import ChannelKind
from hub.errors import Conflict, InvalidInput, NotFound
from hub.events.admin import SettingsChanged
from hub.intake.identities import normalise
from hub.models import Contact, ContactIdentity, Ticket
from hub.tickets import search
from hub.uow import UnitOfWork

_TICKETS = Ticket.__table__


async def identity(session: AsyncSession, kind: ChannelKind, raw_identity: str) -> ContactIdentity | None:
    return await session.scalar(
        sa.select(ContactIdentity).where(
            ContactIdentity.kind == kind, ContactIdentity.value == normalise(kind, raw_identity)
        )
    )


async def identity_profile(hub: Hub, kind: ChannelKind, value: str) -> dict[str, Any] | None:
    """What is known of an address (None when nobody has it): lets a channel skip a fresh fetch."""
    async with hub.uow() as uow:
        found = await identity(uow.session, kind, value)
        return dict(found.profile) if found is not None else None


async def identity_profiles(hub: Hub, kind: ChannelKind, values: list[str]) -> dict[str, dict[str, Any]]:
    """:func:`identity_profile` for many addresses in one query, keyed by the address as given."""
    if not values:
        return {}
    wanted = {normalise(kind, value): value for value in values}
    async with hub.uow() as uow:
        rows = await uow.session.execute(
            sa.select(ContactIdentity.value, ContactIdentity.profile).where(
                ContactIdentity.kind == kind, ContactIdentity.value.in_(sorted(wanted))
            )
        )
        return {wanted[value]: dict(profile) for value, profile in rows}


async def refresh_ticket_search(session: AsyncSession, names: dict[uuid.UUID, str]) -> None:
    """Rebuild the search documents of these contacts' tickets with their (new) names.

    A ticket is found by its contact's name, but a name often comes after the first ticket: a
    WeChat nickname from the profile job, a display name on a later mail, the one a merge brings.
    Tickets are updated in id order, as every multi-ticket write here."""
    if not names:
        return
    rows = await session.execute(
        sa.select(Ticket.id, Ticket.subject, Ticket.contact_id)
        .where(Ticket.contact_id.in_(sorted(names)))
        .order_by(Ticket.id)
    )
    documents = [
        {"b_id": ticket_id, "b_words": search.document_tokens(subject, names[contact_id])}
        for ticket_id, subject, contact_id in rows
    ]
    if documents:
        connection = await session.connection()
        await connection.execute(
            sa.update(_TICKETS)
            .where(_TICKETS.c.id == sa.bindparam("b_id"))
            .values(search=sa.func.array_to_tsvector(sa.bindparam("b_words", type_=pg.ARRAY(sa.Text)))),
            documents,
        )


async def update_identity(
    hub: Hub,
    kind: ChannelKind,
    value: str,
    *,
    profile: dict[str, Any],
    name: str | None = None,
    aliases: tuple[str, ...] = (),
) -> Contact | None:
    """Keep what the channel told about an address, and join the person behind its aliases.

    ``aliases`` are further identities of the same kind naming the same person (a WeChat unionid,
    shared by the person's openids across accounts). An alias nobody has is added to this contact;
    an alias another contact already has means they are one person: this contact is merged into
    that one (audited), so the first-known contact stays and gathers every ticket.
    """
    async with hub.uow() as uow:
        session = uow.session
        now = hub.clock.now()
        found = await identity(session, kind, value)
        if found is None:
            return None
        found.profile = {**found.profile, **profile}
        contact = await session.get(Contact, found.contact_id)
        assert contact is not None
        if name and not contact.name:
            contact.name = name[:200]
            await refresh_ticket_search(session, {contact.id: contact.name})
        for alias in aliases:
            alias_value = normalise(kind, alias)
            inserted = await session.scalar(
                insert(ContactIdentity)
                .values(id=uuid.uuid4(), contact_id=contact.id, kind=kind, value=alias_value, created_at=now)
                .on_conflict_do_nothing(index_elements=["kind", "value"])
                .returning(ContactIdentity.id)
            )
            if inserted is not None:
                continue
            owner = await _by_identity(session, kind, alias_value)
            if owner is not None and owner.id != contact.id:
                contact = await merge(uow, CHANNEL, source_id=contact.id, target_id=owner.id, now=now)
        await uow.commit()
        return contact


async def _by_identity(session: AsyncSession, kind: ChannelKind, value: str) -> Contact | None:
    return await session.scalar(
        sa.select(Contact)
        .join(ContactIdentity, ContactIdentity.contact_id == Contact.id)
        .where(ContactIdentity.kind == kind, ContactIdentity.value == value)
    )


async def merge(
    uow: UnitOfWork, actor: Actor, *, source_id: uuid.UUID, target_id: uuid.UUID, now: datetime
) -> Contact:
    """Move the source's identities and tickets to the target; the source remains as a pointer."""
    session = uow.session
    if source_id == target_id:
        raise InvalidInput(detail="a contact cannot be merged into itself")
    contacts = {
        c.id: c
        for c in await session.scalars(
            sa.select(Contact).where(Contact.id.in_([source_id, target_id])).with_for_update()
        )
    }
    source, target = contacts.get(source_id), contacts.get(target_id)
    if source is None or target is None:
        raise NotFound(what="contact")
    if source.merged_into_id is not None or target.merged_into_id is not None:
        raise Conflict(detail="that contact was already merged")
    moved_identities = await session.execute(
        sa.update(ContactIdentity).where(ContactIdentity.contact_id == source.id).values(contact_id=target.id)
    )
    moved_tickets = await session.execute(
        sa.update(Ticket).where(Ticket.contact_id == source.id).values(contact_id=target.id)
    )
    source.merged_into_id = target.id
    if not target.name and source.name:
        target.name = source.name
        await refresh_ticket_search(session, {target.id: target.name})
    if target.organization_id is None and source.organization_id is not None:
        target.organization_id = source.organization_id
    uow.emit(
        SettingsChanged.of(
            actor,
            "contact.merged",
            target.id,
            at=now,
            before={"source_id": str(source.id)},
            after={
                "identities_moved": cast("sa.CursorResult[Any]", moved_identities).rowcount,
                "tickets_moved": cast("sa.CursorResult[Any]", moved_tickets).rowcount,
            },
        )
    )
    return target


async def merge_contacts(hub: Hub, actor: Actor, *, source_id: uuid.UUID, target_id: uuid.UUID) -> Contact:
    """Staff fold a duplicate into the contact that stays (see :func:`merge`), in one transaction."""
    permissions.require_staff(actor)
    async with hub.uow() as uow:
        target = await merge(uow, actor, source_id=source_id, target_id=target_id, now=hub.clock.now())
        await uow.commit()
        return target
