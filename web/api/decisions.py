"""Decisions and guidelines to the front line over HTTP: supervisors publish and follow who read
and answered; every staff member reads theirs, confirms and answers."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from hub.commands import says_something
from hub.core import Hub
from hub.decisions import decisions
from hub.errors import InvalidInput
from hub.models import Decision, DecisionReceipt
from web.auth.guards import BEARER, staff, supervisors
from web.auth.identity import CurrentUser


class DecisionOut(msgspec.Struct):
    id: uuid.UUID
    #: decision or guideline
    kind: str
    series_id: uuid.UUID
    version: int
    title: str
    body: str
    #: Empty: everyone on the staff.
    team_ids: list[uuid.UUID]
    published_by_id: uuid.UUID | None
    published_at: datetime
    #: The promises, in the SLA engine's units, and the calendar they were computed on.
    read_within: str
    feedback_within: str
    calendar: str

    @classmethod
    def of(cls, row: Decision) -> DecisionOut:
        return cls(
            id=row.id,
            kind=row.kind,
            series_id=row.series_id,
            version=row.version,
            title=row.title,
            body=row.body,
            team_ids=list(row.team_ids),
            published_by_id=row.published_by_id,
            published_at=row.published_at,
            read_within=row.read_within,
            feedback_within=row.feedback_within,
            calendar=row.calendar,
        )


class ReceiptOut(msgspec.Struct):
    user_id: uuid.UUID
    read_due_at: datetime
    feedback_due_at: datetime
    read_at: datetime | None
    feedback_at: datetime | None
    feedback: str | None

    @classmethod
    def of(cls, row: DecisionReceipt) -> ReceiptOut:
        return cls(
            user_id=row.user_id,
            read_due_at=row.read_due_at,
            feedback_due_at=row.feedback_due_at,
            read_at=row.read_at,
            feedback_at=row.feedback_at,
            feedback=row.feedback,
        )


class TallyOut(msgspec.Struct):
    recipients: int
    read: int
    answered: int
    read_late: int
    feedback_late: int


class PublishedOut(msgspec.Struct):
    decision: DecisionOut
    tally: TallyOut


class RecipientOut(msgspec.Struct):
    name: str
    team_id: uuid.UUID | None
    receipt: ReceiptOut
    read_late: bool
    feedback_late: bool


class DetailOut(msgspec.Struct):
    decision: DecisionOut
    #: Other versions of the same guideline, oldest first.
    versions: list[DecisionOut]
    #: Your own receipt, when it was published to you.
    mine: ReceiptOut | None
    #: Supervisors and admins: everyone it went to, and the counts.
    tally: TallyOut | None
    recipients: list[RecipientOut]


class MineOut(msgspec.Struct):
    decision: DecisionOut
    receipt: ReceiptOut


class LatenessOut(msgspec.Struct):
    decisions: int
    recipients: int
    read_on_time: int
    read_late: int
    unread_overdue: int
    feedback_on_time: int
    feedback_late: int
    feedback_overdue: int


class DecisionIn(msgspec.Struct, forbid_unknown_fields=True):
    title: Annotated[str, says_something(200)]
    body: Annotated[str, says_something(decisions.MAX_BODY)]
    kind: Literal["decision", "guideline"] = "decision"
    #: The teams it goes to; empty or absent: everyone on the staff.
    team_ids: list[uuid.UUID] = msgspec.field(default_factory=list)
    #: Publish the next version of this guideline.
    series_id: uuid.UUID | None = None


class FeedbackIn(msgspec.Struct, forbid_unknown_fields=True):
    feedback: Annotated[str, says_something(decisions.MAX_FEEDBACK)]


def _tally(value: decisions.Tally) -> TallyOut:
    return TallyOut(
        recipients=value.recipients,
        read=value.read,
        answered=value.answered,
        read_late=value.read_late,
        feedback_late=value.feedback_late,
    )


class DecisionController(Controller):
    path = "/api/v1/decisions"
    security = BEARER
    tags = ["decisions"]

    @post("/", guards=[supervisors])
    async def publish(
        self, request: Request, hub: NamedDependency[Hub], data: JSONBody[DecisionIn]
    ) -> DecisionOut:
        """Publish to teams or everyone: each recipient is notified, and must confirm within 24 hours
        and may answer within 3 business days."""
        user: CurrentUser = request.user
        new = decisions.NewDecision(
            title=data.title,
            body=data.body,
            kind=data.kind,
            team_ids=tuple(data.team_ids),
            series_id=data.series_id,
        )
        return DecisionOut.of(await decisions.publish(hub, user.actor, new))

    @get("/", guards=[supervisors])
    async def list_published(
        self, request: Request, hub: NamedDependency[Hub], db: NamedDependency[AsyncSession]
    ) -> list[PublishedOut]:
        """Every decision, newest first, with how many read and answered, and how many late."""
        user: CurrentUser = request.user
        rows = await decisions.published(db, user.actor, now=hub.clock.now())
        return [PublishedOut(DecisionOut.of(p.decision), _tally(p.tally)) for p in rows]

    @get("/mine", guards=[staff])
    async def list_mine(
        self,
        request: Request,
        db: NamedDependency[AsyncSession],
        unread: Annotated[bool, QueryParameter(description="Only those not confirmed yet")] = False,
    ) -> list[MineOut]:
        """What was published to you, newest first."""
        user: CurrentUser = request.user
        rows = await decisions.mine(db, user.id, unread_only=unread)
        return [MineOut(DecisionOut.of(a.decision), ReceiptOut.of(a.receipt)) for a in rows]

    @get("/lateness", guards=[supervisors])
    async def lateness(
        self,
        hub: NamedDependency[Hub],
        db: NamedDependency[AsyncSession],
        since: Annotated[
            datetime, QueryParameter(description="Published at or after (ISO 8601 with offset)")
        ],
        until: Annotated[datetime, QueryParameter(description="Published before (ISO 8601 with offset)")],
        team_id: Annotated[uuid.UUID | None, QueryParameter(description="Only this team's people")] = None,
    ) -> LatenessOut:
        """The 24-hour read and 3-business-day feedback promises over a period's decisions."""
        if since.tzinfo is None or until.tzinfo is None:
            raise InvalidInput(detail="since and until need a UTC offset")
        found = await decisions.lateness(db, since=since, until=until, now=hub.clock.now(), team_id=team_id)
        return LatenessOut(**{f: getattr(found, f) for f in LatenessOut.__struct_fields__})

    @get("/{decision_id:uuid}", guards=[staff])
    async def get_decision(
        self,
        request: Request,
        hub: NamedDependency[Hub],
        db: NamedDependency[AsyncSession],
        decision_id: FromPath[uuid.UUID],
    ) -> DetailOut:
        """A decision published to you (supervisors: any, with who read and answered)."""
        user: CurrentUser = request.user
        found = await decisions.detail(db, user.actor, decision_id, now=hub.clock.now())
        supervisor = user.role.value in ("supervisor", "admin")
        return DetailOut(
            decision=DecisionOut.of(found.decision),
            versions=[DecisionOut.of(v) for v in found.versions],
            mine=ReceiptOut.of(found.mine) if found.mine else None,
            tally=_tally(found.tally) if supervisor else None,
            recipients=[
                RecipientOut(
                    name=r.name,
                    team_id=r.team_id,
                    receipt=ReceiptOut.of(r.receipt),
                    read_late=r.read_late,
                    feedback_late=r.feedback_late,
                )
                for r in found.recipients
            ],
        )

    @post("/{decision_id:uuid}/read", guards=[staff], status_code=200)
    async def confirm_read(
        self, request: Request, hub: NamedDependency[Hub], decision_id: FromPath[uuid.UUID]
    ) -> ReceiptOut:
        """Confirm you read it (a second confirmation keeps the first time)."""
        user: CurrentUser = request.user
        return ReceiptOut.of(await decisions.confirm_read(hub, user.actor, decision_id))

    @post("/{decision_id:uuid}/feedback", guards=[staff], status_code=200)
    async def give_feedback(
        self,
        request: Request,
        hub: NamedDependency[Hub],
        decision_id: FromPath[uuid.UUID],
        data: JSONBody[FeedbackIn],
    ) -> ReceiptOut:
        """Your answer to it (confirms reading too)."""
        user: CurrentUser = request.user
        return ReceiptOut.of(await decisions.give_feedback(hub, user.actor, decision_id, data.feedback))
