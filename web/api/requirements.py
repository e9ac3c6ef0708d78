"""The requirement loop over HTTP (staff): record from a ticket, list, read with history, transfer,
move along the loop, record feedback given outside the ticket."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from hub.commands import says_something
from hub.core import Hub
from hub.domain import Priority, RequirementStatus
from hub.models import Requirement, RequirementEvent
from hub.requirements import requirements, views
from hub.requirements.views import USER_OR_ME
from web.auth.guards import BEARER, staff
from web.auth.identity import CurrentUser


class RequirementOut(msgspec.Struct):
    id: uuid.UUID
    ticket_id: uuid.UUID
    organization_id: uuid.UUID | None
    content: str
    priority: str
    owner_id: uuid.UUID | None
    team_id: uuid.UUID | None
    due_date: date | None
    #: recorded, accepted, in_progress, delivered, confirmed, rejected or cancelled
    status: str
    #: The feedback promise (3 business days from recording): active, met, breached or void.
    feedback_state: str
    feedback_due_at: datetime
    feedback_at: datetime | None
    calendar: str
    created_by_id: uuid.UUID | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: Requirement) -> RequirementOut:
        return cls(
            id=row.id,
            ticket_id=row.ticket_id,
            organization_id=row.organization_id,
            content=row.content,
            priority=row.priority.value,
            owner_id=row.owner_id,
            team_id=row.team_id,
            due_date=row.due_date,
            status=row.status.value,
            feedback_state=row.feedback_state.value,
            feedback_due_at=row.feedback_due_at,
            feedback_at=row.feedback_at,
            calendar=row.calendar,
            created_by_id=row.created_by_id,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


class RequirementEventOut(msgspec.Struct):
    id: int
    kind: str
    at: datetime
    actor_user_id: uuid.UUID | None
    reason: str | None
    data: dict[str, Any]

    @classmethod
    def of(cls, row: RequirementEvent) -> RequirementEventOut:
        return cls(
            id=row.id,
            kind=row.kind.value,
            at=row.at,
            actor_user_id=row.actor_user_id,
            reason=row.reason,
            data=dict(row.data),
        )


class RequirementDetailOut(RequirementOut, kw_only=True):
    history: list[RequirementEventOut]


class RequirementIn(msgspec.Struct, forbid_unknown_fields=True):
    content: Annotated[str, says_something(requirements.MAX_CONTENT)]
    priority: Priority = Priority.NORMAL
    owner_id: uuid.UUID | None = None
    team_id: uuid.UUID | None = None
    due_date: date | None = None


class TransferIn(msgspec.Struct, forbid_unknown_fields=True):
    reason: Annotated[str, says_something(requirements.MAX_CONTENT)]
    owner_id: uuid.UUID | None = None
    team_id: uuid.UUID | None = None


class TransitionIn(msgspec.Struct, forbid_unknown_fields=True):
    status: RequirementStatus
    reason: str | None = None


class FeedbackIn(msgspec.Struct, forbid_unknown_fields=True):
    #: What the client was told, and how (a call, a visit).
    note: Annotated[str, says_something(requirements.MAX_CONTENT)]


class RequirementController(Controller):
    path = "/api/v1"
    security = BEARER
    tags = ["requirements"]

    @post("/tickets/{ticket_id:uuid}/requirements", guards=[staff])
    async def record(
        self,
        request: Request,
        hub: NamedDependency[Hub],
        ticket_id: FromPath[uuid.UUID],
        data: JSONBody[RequirementIn],
    ) -> RequirementOut:
        """Record a client requirement from this ticket; feedback to the client is due in 3 business days."""
        user: CurrentUser = request.user
        new = requirements.NewRequirement(**msgspec.structs.asdict(data))
        return RequirementOut.of(await requirements.record(hub, user.actor, ticket_id, new))

    @get("/requirements", guards=[staff])
    async def list_requirements(
        self,
        request: Request,
        db: NamedDependency[AsyncSession],
        owner: Annotated[
            str | None, QueryParameter(description="A user id or `me`", pattern=USER_OR_ME)
        ] = None,
        manager: Annotated[
            str | None,
            QueryParameter(
                description="`me` or a user id: the clients they manage (or back up)", pattern=USER_OR_ME
            ),
        ] = None,
        organization: FromQuery[uuid.UUID | None] = None,
        team: FromQuery[uuid.UUID | None] = None,
        ticket: FromQuery[uuid.UUID | None] = None,
        status: Annotated[
            list[RequirementStatus] | None, QueryParameter(description="One or more statuses")
        ] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=views.MAX_PAGE)] = 50,
    ) -> list[RequirementOut]:
        """Requirements, newest first, filtered by owner, account manager, client, department, ticket, status."""
        user: CurrentUser = request.user
        found = await views.list_requirements(
            db,
            user.actor,
            views.RequirementFilter(
                owner=owner,
                manager=manager,
                organization_id=organization,
                team_id=team,
                ticket_id=ticket,
                status=status,
            ),
            limit=limit,
        )
        return [RequirementOut.of(r) for r in found]

    @get("/requirements/{requirement_id:uuid}", guards=[staff])
    async def read(
        self, request: Request, db: NamedDependency[AsyncSession], requirement_id: FromPath[uuid.UUID]
    ) -> RequirementDetailOut:
        """One requirement with its whole history (recording, transfers, moves, feedback, alerts)."""
        user: CurrentUser = request.user
        row, events = await views.requirement_with_history(db, user.actor, requirement_id)
        return RequirementDetailOut(
            **msgspec.structs.asdict(RequirementOut.of(row)),
            history=[RequirementEventOut.of(e) for e in events],
        )

    @post("/requirements/{requirement_id:uuid}/transfer", guards=[staff], status_code=200)
    async def transfer(
        self,
        request: Request,
        hub: NamedDependency[Hub],
        requirement_id: FromPath[uuid.UUID],
        data: JSONBody[TransferIn],
    ) -> RequirementOut:
        """Pass it to another owner and/or department (team), with a reason; the new owner is told."""
        user: CurrentUser = request.user
        row = await requirements.transfer(
            hub, user.actor, requirement_id, reason=data.reason, owner_id=data.owner_id, team_id=data.team_id
        )
        return RequirementOut.of(row)

    @post("/requirements/{requirement_id:uuid}/transition", guards=[staff], status_code=200)
    async def transition(
        self,
        request: Request,
        hub: NamedDependency[Hub],
        requirement_id: FromPath[uuid.UUID],
        data: JSONBody[TransitionIn],
    ) -> RequirementOut:
        """Move it along recorded → accepted → in_progress → delivered → confirmed (or rejected,
        cancelled, delivered back to in_progress; those need a reason). 409 for any other move."""
        user: CurrentUser = request.user
        row = await requirements.transition(hub, user.actor, requirement_id, data.status, reason=data.reason)
        return RequirementOut.of(row)

    @post("/requirements/{requirement_id:uuid}/feedback", guards=[staff], status_code=200)
    async def feedback(
        self,
        request: Request,
        hub: NamedDependency[Hub],
        requirement_id: FromPath[uuid.UUID],
        data: JSONBody[FeedbackIn],
    ) -> RequirementOut:
        """Record feedback given outside the ticket (a reply on the ticket counts by itself)."""
        user: CurrentUser = request.user
        return RequirementOut.of(
            await requirements.give_feedback(hub, user.actor, requirement_id, note=data.note)
        )
