"""The partner portal's quality cases, action items, meetings and messages over HTTP, for the pages
and for partners' own systems: ``/api/v1/portal/...``.

Reads take any logged-in user and go through :mod:`hub.scope`: a partner sees its own records
(another partner's id answers 404), staff see all. Writes take the partner from the login, never
from the body. A partner reads no member of the staff by id: who opened, reviewed or published
something is the company's business, as on the partner's tickets.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

import msgspec
from litestar import Controller, Request, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from hub.actors import Actor
from hub.commands import says_something
from hub.core import Hub
from hub.models import ActionItem, Meeting, QualityCase, QualityStep
from hub.portal import action_items, links, meetings, messages, quality
from hub.portal.terms import ActionItemStatus, Discipline, QualityCaseStatus
from web.auth.guards import BEARER, any_user, partners
from web.auth.identity import CurrentUser

MAX_TEXT = quality.MAX_TEXT


def _staff_only(viewer: Actor, value: uuid.UUID | None) -> uuid.UUID | None:
    return None if viewer.is_partner else value


class StepOut(msgspec.Struct):
    discipline: str
    #: open, answered, accepted or rejected: ``open`` and ``rejected`` wait on the partner.
    status: str
    #: The time the step was planned with (``1bd``) and its due instant in the buyer's business time.
    duration: str
    due_at: datetime
    answer: str | None
    answered_at: datetime | None
    answered_by_id: uuid.UUID | None
    review_comment: str | None
    reviewed_at: datetime | None
    #: Found past due unanswered (the step counts late).
    overdue_at: datetime | None
    late: bool

    @classmethod
    def of(cls, row: QualityStep, now: datetime) -> StepOut:
        late = row.overdue_at is not None or (
            row.answered_at > row.due_at if row.answered_at else row.due_at < now
        )
        return cls(
            discipline=row.discipline.value,
            status=row.status.value,
            duration=row.duration,
            due_at=row.due_at,
            answer=row.answer,
            answered_at=row.answered_at,
            answered_by_id=row.answered_by_id,
            review_comment=row.review_comment,
            reviewed_at=row.reviewed_at,
            overdue_at=row.overdue_at,
            late=late,
        )


class CaseOut(msgspec.Struct):
    id: uuid.UUID
    organization_id: uuid.UUID
    ticket_id: uuid.UUID
    number: str
    title: str
    description: str
    severity: str
    status: str
    item: str | None
    lot: str | None
    opened_at: datetime
    closed_at: datetime | None
    created_by_id: uuid.UUID | None
    steps: list[StepOut] | None = None

    @classmethod
    def of(cls, row: QualityCase, viewer: Actor, steps: list[StepOut] | None = None) -> CaseOut:
        return cls(
            id=row.id,
            organization_id=row.organization_id,
            ticket_id=row.ticket_id,
            number=row.number,
            title=row.title,
            description=row.description,
            severity=row.severity.value,
            status=row.status.value,
            item=row.item,
            lot=row.lot,
            opened_at=row.opened_at,
            closed_at=row.closed_at,
            created_by_id=_staff_only(viewer, row.created_by_id),
            steps=steps,
        )


class CasesOut(msgspec.Struct):
    items: list[CaseOut]


class AnswerIn(msgspec.Struct, forbid_unknown_fields=True):
    answer: Annotated[str, says_something(MAX_TEXT)]


class ActionItemOut(msgspec.Struct):
    id: uuid.UUID
    organization_id: uuid.UUID
    title: str
    #: buyer (the company's) or partner (yours).
    owner_side: str
    #: The owner, when the reader may know them (a partner reads its own people only).
    owner_id: uuid.UUID | None
    owner_name: str | None
    due_at: datetime | None
    status: str
    source: str
    meeting_id: uuid.UUID | None
    quality_case_id: uuid.UUID | None
    done_at: datetime | None
    created_at: datetime

    @classmethod
    def of(cls, row: ActionItem, names: dict[uuid.UUID, str]) -> ActionItemOut:
        known = row.owner_user_id if row.owner_user_id in names else None
        return cls(
            id=row.id,
            organization_id=row.organization_id,
            title=row.title,
            owner_side=row.owner_side.value,
            owner_id=known,
            owner_name=names.get(known) if known else None,
            due_at=row.due_at,
            status=row.status.value,
            source=row.source.value,
            meeting_id=row.meeting_id,
            quality_case_id=row.quality_case_id,
            done_at=row.done_at,
            created_at=row.created_at,
        )


class ActionItemsOut(msgspec.Struct):
    items: list[ActionItemOut]


class StatusIn(msgspec.Struct, forbid_unknown_fields=True):
    status: ActionItemStatus


class AgendaItemOut(msgspec.Struct):
    title: str
    #: action_item or quality_step
    source: str
    ref: str | None
    due_at: str | None


class MeetingOut(msgspec.Struct):
    id: uuid.UUID
    organization_id: uuid.UUID
    series_id: uuid.UUID | None
    kind: str
    title: str
    scheduled_at: datetime
    status: str
    agenda: list[AgendaItemOut]
    #: Null for a partner until the buyer publishes them.
    minutes: str | None
    published_at: datetime | None
    #: The attendees the reader may name (a partner: its own people).
    attendees: list[str]

    @classmethod
    def of(cls, row: Meeting, viewer: Actor, attendees: list[str]) -> MeetingOut:
        return cls(
            id=row.id,
            organization_id=row.organization_id,
            series_id=row.series_id,
            kind=row.kind.value,
            title=row.title,
            scheduled_at=row.scheduled_at,
            status=row.status.value,
            agenda=[
                AgendaItemOut(
                    title=str(a.get("title", "")),
                    source=str(a.get("source", "")),
                    ref=a.get("ref"),
                    due_at=a.get("due_at"),
                )
                for a in row.agenda
            ],
            minutes=meetings.minutes_for(viewer, row),
            published_at=row.published_at,
            attendees=attendees,
        )


class MeetingsOut(msgspec.Struct):
    items: list[MeetingOut]


class ConversationOut(msgspec.Struct):
    ticket_id: uuid.UUID
    number: int
    subject: str
    status: str
    last_message_at: datetime
    #: The company's replies after your last message.
    unread: int


class ConversationsOut(msgspec.Struct):
    items: list[ConversationOut]


class MessageIn(msgspec.Struct, forbid_unknown_fields=True):
    text: Annotated[str, says_something(messages.MAX_TEXT)]
    subject: Annotated[str, msgspec.Meta(max_length=200)] | None = None


class MessageOut(msgspec.Struct):
    ticket_id: uuid.UUID | None
    message_id: uuid.UUID | None


class ActIn(msgspec.Struct, forbid_unknown_fields=True):
    code: Annotated[str, msgspec.Meta(min_length=1, max_length=12)]
    #: The answer, for a link to a quality step.
    answer: Annotated[str, msgspec.Meta(max_length=MAX_TEXT)] | None = None


class ActOut(msgspec.Struct):
    #: quality_step or action_item
    object: str
    title: str
    done: Literal[True] = True


async def meeting_out(db: AsyncSession, viewer: Actor, row: Meeting) -> MeetingOut:
    return MeetingOut.of(row, viewer, await meetings.attendee_names(db, viewer, row))


class PortalQualityController(Controller):
    path = "/api/v1/portal"
    security = BEARER
    tags = ["portal"]

    @get("/quality-cases", guards=[any_user])
    async def list_cases(
        self,
        request: Request,
        db: NamedDependency[AsyncSession],
        status: FromQuery[QualityCaseStatus | None] = None,
    ) -> CasesOut:
        """Quality cases, newest first: a partner's own, or every partner's for staff."""
        viewer = request.user.actor
        rows = await quality.list_cases(db, viewer, status=status)
        return CasesOut(items=[CaseOut.of(row, viewer) for row in rows])

    @get("/quality-cases/{case_id:uuid}", guards=[any_user])
    async def get_case(
        self, request: Request, db: NamedDependency[AsyncSession], case_id: FromPath[uuid.UUID]
    ) -> CaseOut:
        """One case with its 8D steps, their due times and answers."""
        viewer = request.user.actor
        view = await quality.case_view(db, viewer, case_id)
        now = request.app.state.hub.clock.now()
        return CaseOut.of(view.case, viewer, [StepOut.of(s, now) for s in view.steps])

    @post("/quality-cases/{case_id:uuid}/steps/{discipline:str}/answer", guards=[partners], status_code=200)
    async def answer_step(
        self,
        request: Request,
        hub: NamedDependency[Hub],
        case_id: FromPath[uuid.UUID],
        discipline: FromPath[Discipline],
        data: JSONBody[AnswerIn],
    ) -> StepOut:
        """Answer a step the partner owes (the quality permission is needed); the buyer reviews it next."""
        user: CurrentUser = request.user
        step = await quality.answer_step(hub, user.actor, case_id, discipline, data.answer)
        return StepOut.of(step, hub.clock.now())

    @get("/action-items", guards=[any_user])
    async def list_action_items(
        self,
        request: Request,
        db: NamedDependency[AsyncSession],
        status: FromQuery[ActionItemStatus | None] = None,
    ) -> ActionItemsOut:
        """The partner's one list of action items: open first, then by due date."""
        viewer = request.user.actor
        rows = await action_items.list_items(db, viewer, status=status)
        names = await action_items.owner_names(db, viewer, rows)
        return ActionItemsOut(items=[ActionItemOut.of(row, names) for row in rows])

    @patch("/action-items/{item_id:uuid}", guards=[any_user])
    async def update_action_item(
        self,
        request: Request,
        hub: NamedDependency[Hub],
        db: NamedDependency[AsyncSession],
        item_id: FromPath[uuid.UUID],
        data: JSONBody[StatusIn],
    ) -> ActionItemOut:
        """Mark an item done or open again (a partner: its own side's; only staff cancel)."""
        viewer = request.user.actor
        row = await action_items.set_status(hub, viewer, item_id, data.status)
        return ActionItemOut.of(row, await action_items.owner_names(db, viewer, [row]))

    @get("/meetings", guards=[any_user])
    async def list_meetings(self, request: Request, db: NamedDependency[AsyncSession]) -> MeetingsOut:
        """Meetings, latest first, with their agenda; minutes once published."""
        viewer = request.user.actor
        rows = await meetings.list_meetings(db, viewer)
        return MeetingsOut(items=[await meeting_out(db, viewer, row) for row in rows])

    @get("/meetings/{meeting_id:uuid}", guards=[any_user])
    async def get_meeting(
        self, request: Request, db: NamedDependency[AsyncSession], meeting_id: FromPath[uuid.UUID]
    ) -> MeetingOut:
        viewer = request.user.actor
        return await meeting_out(db, viewer, await meetings.get(db, viewer, meeting_id))

    @get("/messages", guards=[any_user])
    async def list_conversations(
        self, request: Request, db: NamedDependency[AsyncSession]
    ) -> ConversationsOut:
        """The portal's conversations, newest first, with the replies not yet answered."""
        rows = await messages.conversations(db, request.user.actor)
        return ConversationsOut(
            items=[
                ConversationOut(
                    ticket_id=c.ticket_id,
                    number=c.number,
                    subject=c.subject,
                    status=c.status,
                    last_message_at=c.last_message_at,  # type: ignore[arg-type]
                    unread=c.unread,
                )
                for c in rows
            ]
        )

    @post("/messages", guards=[partners])
    async def post_message(
        self, request: Request, hub: NamedDependency[Hub], data: JSONBody[MessageIn]
    ) -> MessageOut:
        """Write to the company: a message on your open conversation (or a new one), for your account manager."""
        result = await messages.post(hub, request.user.actor, data.text, subject=data.subject)
        return MessageOut(ticket_id=result.ticket_id, message_id=result.message_id)


def _done(target: links.Target) -> ActOut:
    return ActOut(object=target.kind.value, title=target.title)


@post("/api/v1/portal/act/{token:str}", exclude_from_auth=True, tags=["portal"], status_code=200)
async def act_on_link(hub: NamedDependency[Hub], token: FromPath[str], data: JSONBody[ActIn]) -> ActOut:
    """Act from a notification without logging in: the link's token with the one-time code sent
    beside it, once, on the link's one object (404 once used, expired or closed)."""
    return _done(await links.act(hub, token, data.code, answer=data.answer))
