"""Who of the company answers for a partner: its account manager, or the backup when away."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from hub.domain import Presence
from hub.models import Organization, User


async def manager_on_duty(session: AsyncSession, organization_id: uuid.UUID) -> list[uuid.UUID]:
    """The account manager; the backup instead when the manager is away, inactive or unset (as
    routing decides for the partner's conversations). Empty when the partner has neither."""
    row = (
        await session.execute(
            sa.select(Organization.account_manager_id, Organization.backup_manager_id).where(
                Organization.id == organization_id
            )
        )
    ).one_or_none()
    if row is None:
        return []
    manager_id, backup_id = row
    wanted = [i for i in (manager_id, backup_id) if i is not None]
    people = (
        {u.id: u for u in await session.scalars(sa.select(User).where(User.id.in_(wanted)))} if wanted else {}
    )
    manager = people.get(manager_id) if manager_id else None
    if manager is not None and manager.is_active and manager.presence is Presence.AVAILABLE:
        return [manager.id]
    backup = people.get(backup_id) if backup_id else None
    if backup is not None and backup.is_active:
        return [backup.id]
    return [manager.id] if manager is not None and manager.is_active else []
