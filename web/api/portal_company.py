"""The company's side of the portal's quality cases, meetings and action items (staff only): open a
case against a partner and review its steps, set a partner's due times, set up meeting series, write
and publish minutes, put items on a partner's list, send a partner user a single-use link."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

import msgspec
from litestar import Controller, Request, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from hub.commands import says_something
from hub.core import Hub
from hub.models import QualityCase
from hub.portal import action_items, links, meetings, quality
from hub.portal.terms import Discipline, LinkObject, MeetingKind, Severity
from web.api.portal_quality import ActionItemOut, CaseOut, MeetingOut, StepOut, meeting_out
from web.auth.guards import BEARER, staff


class NewCaseIn(msgspec.Struct, forbid_unknown_fields=True):
    title: Annotated[str, says_something(quality.MAX_TITLE)]
    description: Annotated[str, msgspec.Meta(max_length=quality.MAX_TEXT)] = ""
    severity: Severity = Severity.MAJOR
    item: Annotated[str, msgspec.Meta(max_length=120)] | None = None
    lot: Annotated[str, msgspec.Meta(max_length=120)] | None = None


class TimingsIn(msgspec.Struct, forbid_unknown_fields=True):
    #: Discipline → duration in the SLA engine's units: ``{"D3": "2bd", "D8": "20d"}``.
    timings: dict[str, str]


class TimingsOut(msgspec.Struct):
    timings: dict[str, str]


class ReviewIn(msgspec.Struct, forbid_unknown_fields=True):
    decision: Literal["accept", "reject"]
    #: Always required: why the answer is accepted, or what is missing.
    comment: Annotated[str, says_something(quality.MAX_TEXT)]


class CancelIn(msgspec.Struct, forbid_unknown_fields=True):
    reason: Annotated[str, says_something(quality.MAX_TEXT)]


class SeriesIn(msgspec.Struct, forbid_unknown_fields=True):
    kind: MeetingKind
    title: Annotated[str, says_something(meetings.MAX_TITLE)]
    starts_at: datetime


class SeriesOut(msgspec.Struct):
    id: uuid.UUID
    organization_id: uuid.UUID
    kind: str
    title: str
    starts_at: datetime


class MinutesIn(msgspec.Struct, forbid_unknown_fields=True):
    minutes: Annotated[str, msgspec.Meta(max_length=meetings.MAX_MINUTES)]
    attendee_ids: list[uuid.UUID] | None = None


class DecisionIn(msgspec.Struct, forbid_unknown_fields=True):
    title: Annotated[str, says_something(action_items.MAX_TITLE)]
    owner_id: uuid.UUID | None = None
    due_at: datetime | None = None


class PublishIn(msgspec.Struct, forbid_unknown_fields=True):
    decisions: list[DecisionIn] = msgspec.field(default_factory=list)


class ActionItemIn(msgspec.Struct, forbid_unknown_fields=True):
    title: Annotated[str, says_something(action_items.MAX_TITLE)]
    owner_id: uuid.UUID | None = None
    due_at: datetime | None = None


class LinkIn(msgspec.Struct, forbid_unknown_fields=True):
    user_id: uuid.UUID
    object: LinkObject
    object_id: uuid.UUID


class LinkOut(msgspec.Struct):
    """The link and its code went to the partner user by e-mail; the hub keeps neither."""

    id: uuid.UUID
    expires_at: datetime


class PortalCompanyController(Controller):
    path = "/api/v1"
    security = BEARER
    tags = ["portal"]
    guards = [staff]

    @post("/organizations/{organization_id:uuid}/quality-cases")
    async def open_case(
        self,
        request: Request,
        hub: NamedDependency[Hub],
        organization_id: FromPath[uuid.UUID],
        data: JSONBody[NewCaseIn],
    ) -> CaseOut:
        """Open a quality case against a partner: its 8D steps are due from now in business time."""
        actor = request.user.actor
        case = await quality.open_case(
            hub,
            actor,
            organization_id,
            quality.NewCase(data.title, data.description, data.severity, data.item, data.lot),
        )
        return CaseOut.of(case, actor)

    @put("/organizations/{organization_id:uuid}/quality-timings")
    async def set_timings(
        self,
        request: Request,
        hub: NamedDependency[Hub],
        organization_id: FromPath[uuid.UUID],
        data: JSONBody[TimingsIn],
    ) -> TimingsOut:
        """A partner's own due times per discipline, for the cases opened from now on."""
        found = await quality.set_timings(hub, request.user.actor, organization_id, data.timings)
        return TimingsOut(timings={k.value: v for k, v in found.items()})

    @post("/portal/quality-cases/{case_id:uuid}/steps/{discipline:str}/review", status_code=200)
    async def review_step(
        self,
        request: Request,
        hub: NamedDependency[Hub],
        case_id: FromPath[uuid.UUID],
        discipline: FromPath[Discipline],
        data: JSONBody[ReviewIn],
    ) -> StepOut:
        """Accept or reject the partner's answer, with a comment; a rejected step goes back to it."""
        step = await quality.review_step(
            hub, request.user.actor, case_id, discipline, decision=data.decision, comment=data.comment
        )
        return StepOut.of(step, hub.clock.now())

    @post("/portal/quality-cases/{case_id:uuid}/cancel", status_code=200)
    async def cancel_case(
        self,
        request: Request,
        hub: NamedDependency[Hub],
        case_id: FromPath[uuid.UUID],
        data: JSONBody[CancelIn],
    ) -> CaseOut:
        """Call a case off: it is kept, its steps are no longer due."""
        case: QualityCase = await quality.cancel_case(hub, request.user.actor, case_id, reason=data.reason)
        return CaseOut.of(case, request.user.actor)

    @post("/organizations/{organization_id:uuid}/meeting-series")
    async def create_series(
        self,
        request: Request,
        hub: NamedDependency[Hub],
        organization_id: FromPath[uuid.UUID],
        data: JSONBody[SeriesIn],
    ) -> SeriesOut:
        """A partner's weekly sync or monthly review; the first meeting is made with it."""
        series = await meetings.create_series(
            hub,
            request.user.actor,
            organization_id,
            kind=data.kind,
            title=data.title,
            starts_at=data.starts_at,
        )
        return SeriesOut(series.id, series.organization_id, series.kind.value, series.title, series.starts_at)

    @put("/portal/meetings/{meeting_id:uuid}/minutes")
    async def save_minutes(
        self,
        request: Request,
        hub: NamedDependency[Hub],
        db: NamedDependency[AsyncSession],
        meeting_id: FromPath[uuid.UUID],
        data: JSONBody[MinutesIn],
    ) -> MeetingOut:
        """The draft of the minutes (and who attended); the partner reads them once published."""
        actor = request.user.actor
        row = await meetings.save_minutes(
            hub, actor, meeting_id, minutes=data.minutes, attendee_ids=data.attendee_ids
        )
        return await meeting_out(db, actor, row)

    @post("/portal/meetings/{meeting_id:uuid}/publish", status_code=200)
    async def publish(
        self,
        request: Request,
        hub: NamedDependency[Hub],
        db: NamedDependency[AsyncSession],
        meeting_id: FromPath[uuid.UUID],
        data: JSONBody[PublishIn],
    ) -> MeetingOut:
        """Publish the minutes to the partner: each decision becomes an action item, the next meeting is made."""
        actor = request.user.actor
        decisions = [meetings.Decision(d.title, d.owner_id, d.due_at) for d in data.decisions]
        row = await meetings.publish(hub, actor, meeting_id, decisions)
        return await meeting_out(db, actor, row)

    @post("/organizations/{organization_id:uuid}/action-items")
    async def create_action_item(
        self,
        request: Request,
        hub: NamedDependency[Hub],
        db: NamedDependency[AsyncSession],
        organization_id: FromPath[uuid.UUID],
        data: JSONBody[ActionItemIn],
    ) -> ActionItemOut:
        """Put an item on a partner's list; its owner is one of the staff or of that partner."""
        actor = request.user.actor
        row = await action_items.create(
            hub, actor, organization_id, action_items.NewActionItem(data.title, data.owner_id, data.due_at)
        )
        return ActionItemOut.of(row, await action_items.owner_names(db, actor, [row]))

    @post("/portal/links")
    async def send_link(self, request: Request, hub: NamedDependency[Hub], data: JSONBody[LinkIn]) -> LinkOut:
        """E-mail a partner user a single-use link and its one-time code for one open object."""
        issued = await links.issue(hub, request.user.actor, data.user_id, data.object, data.object_id)
        return LinkOut(id=issued.link_id, expires_at=issued.expires_at)
