"""Internal hand-offs over HTTP (staff): hand a ticket to another team's liaison, list, answer."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from hub.commands import says_something
from hub.core import Hub
from hub.domain import HandoffStatus
from hub.models import Handoff
from hub.requirements import handoffs
from web.auth.guards import BEARER, staff
from web.auth.identity import CurrentUser


class HandoffOut(msgspec.Struct):
    id: uuid.UUID
    ticket_id: uuid.UUID
    from_user_id: uuid.UUID | None
    from_team_id: uuid.UUID | None
    to_team_id: uuid.UUID | None
    liaison_id: uuid.UUID | None
    note: str
    #: open or answered
    status: str
    #: The 2-business-hour promise: active, met or breached.
    state: str
    calendar: str
    due_at: datetime
    answered_at: datetime | None
    answered_by_id: uuid.UUID | None
    answer_message_id: uuid.UUID | None
    created_at: datetime

    @classmethod
    def of(cls, row: Handoff) -> HandoffOut:
        return cls(
            id=row.id,
            ticket_id=row.ticket_id,
            from_user_id=row.from_user_id,
            from_team_id=row.from_team_id,
            to_team_id=row.to_team_id,
            liaison_id=row.liaison_id,
            note=row.note,
            status=row.status.value,
            state=row.state.value,
            calendar=row.calendar,
            due_at=row.due_at,
            answered_at=row.answered_at,
            answered_by_id=row.answered_by_id,
            answer_message_id=row.answer_message_id,
            created_at=row.created_at,
        )


class HandoffIn(msgspec.Struct, forbid_unknown_fields=True):
    team_id: uuid.UUID
    note: Annotated[str, says_something(handoffs.MAX_NOTE)]


class AnswerIn(msgspec.Struct, forbid_unknown_fields=True):
    text: str


class HandoffController(Controller):
    path = "/api/v1"
    security = BEARER
    tags = ["handoffs"]

    @post("/tickets/{ticket_id:uuid}/handoffs", guards=[staff])
    async def request_handoff(
        self,
        request: Request,
        hub: NamedDependency[Hub],
        ticket_id: FromPath[uuid.UUID],
        data: JSONBody[HandoffIn],
    ) -> HandoffOut:
        """Hand the ticket to another team's liaison with a note; their answer is due in 2 business hours."""
        user: CurrentUser = request.user
        return HandoffOut.of(
            await handoffs.request(hub, user.actor, ticket_id, team_id=data.team_id, note=data.note)
        )

    @get("/tickets/{ticket_id:uuid}/handoffs", guards=[staff])
    async def ticket_handoffs(
        self, request: Request, hub: NamedDependency[Hub], ticket_id: FromPath[uuid.UUID]
    ) -> list[HandoffOut]:
        user: CurrentUser = request.user
        return [HandoffOut.of(h) for h in await handoffs.list_handoffs(hub, user.actor, ticket_id=ticket_id)]

    @get("/handoffs", guards=[staff])
    async def list_handoffs(
        self,
        request: Request,
        hub: NamedDependency[Hub],
        to: Annotated[
            Literal["me"] | None,
            QueryParameter(description="`me`: the ones you answer, as liaison or team member"),
        ] = None,
        team: FromQuery[uuid.UUID | None] = None,
        status: FromQuery[HandoffStatus | None] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
    ) -> list[HandoffOut]:
        """Hand-offs, newest first."""
        user: CurrentUser = request.user
        found = await handoffs.list_handoffs(hub, user.actor, to=to, team_id=team, status=status, limit=limit)
        return [HandoffOut.of(h) for h in found]

    @post("/handoffs/{handoff_id:uuid}/answer", guards=[staff], status_code=200)
    async def answer(
        self,
        request: Request,
        hub: NamedDependency[Hub],
        handoff_id: FromPath[uuid.UUID],
        data: JSONBody[AnswerIn],
    ) -> HandoffOut:
        """Answer as the liaison or a member of the target team: an internal note on the ticket (403 for others)."""
        user: CurrentUser = request.user
        return HandoffOut.of(await handoffs.answer(hub, user.actor, handoff_id, text=data.text))
