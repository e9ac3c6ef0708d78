"""Requirement lists and one requirement with its history, for staff.

The lists answer the loop's questions: what do I own (``owner=me``), what is open for a client
(``organization=``), what sits with a department (``team=``), what came from a ticket, and, for an
account manager, every requirement of the clients they manage (``manager=me``: account manager or
backup of the requirement's organization).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from hub import permissions, scope
from hub.actors import Actor
from hub.domain import RequirementStatus
from hub.errors import InvalidInput, NotFound
from hub.filters import equal_where_given
from hub.models import Organization, Requirement, RequirementEvent

MAX_PAGE = 200


@dataclass(frozen=True)
class RequirementFilter:
    owner: str | None = None  # a user id or "me"
    manager: str | None = None  # "me" or a user id: organizations they manage
    organization_id: uuid.UUID | None = None
    team_id: uuid.UUID | None = None
    ticket_id: uuid.UUID | None = None
    status: list[RequirementStatus] | None = None


#: ``me`` or a user id written as the API writes ids (the API schema states the same pattern).
USER_OR_ME = "^(me|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$"


def _person(value: str, actor: Actor, field: str) -> uuid.UUID | None:
    if not re.fullmatch(USER_OR_ME, value):
        raise InvalidInput(detail=f"{field} must be a user id or 'me'")
    return actor.user_id if value == "me" else uuid.UUID(value)


async def list_requirements(
    session: AsyncSession, actor: Actor, f: RequirementFilter, *, limit: int = 50
) -> list[Requirement]:
    """Newest first."""
    permissions.require_staff(actor)
    query = scope.select(actor, Requirement)
    if f.owner:
        query = query.where(Requirement.owner_id == _person(f.owner, actor, "owner"))
    if f.manager:
        person = _person(f.manager, actor, "manager")
        managed = sa.select(Organization.id).where(
            sa.or_(Organization.account_manager_id == person, Organization.backup_manager_id == person)
        )
        query = query.where(Requirement.organization_id.in_(managed))
    query = equal_where_given(
        query,
        (Requirement.organization_id, f.organization_id),
        (Requirement.team_id, f.team_id),
        (Requirement.ticket_id, f.ticket_id),
    )
    if f.status:
        query = query.where(Requirement.status.in_([s.value for s in f.status]))
    rows = await session.scalars(
        query.order_by(Requirement.created_at.desc(), Requirement.id).limit(min(limit, MAX_PAGE))
    )
    return list(rows)


async def requirement_with_history(
    session: AsyncSession, actor: Actor, requirement_id: uuid.UUID
) -> tuple[Requirement, list[RequirementEvent]]:
    permissions.require_staff(actor)
    requirement = await scope.one(session, actor, Requirement, requirement_id)
    if requirement is None:
        raise NotFound(what="requirement")
    events = await session.scalars(
        scope.select(actor, RequirementEvent)
        .where(RequirementEvent.requirement_id == requirement_id)
        .order_by(RequirementEvent.at, RequirementEvent.id)
    )
    return requirement, list(events)
