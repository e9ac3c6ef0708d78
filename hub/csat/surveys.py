"""A survey's life: planned when a ticket is resolved, sent when due, cancelled by a reopen, answered once.

* **Planned** by a before-commit subscriber of the status change, in the resolving transaction:
  only a ticket that had a human response (C-3), not tagged ``no_csat``, with no survey of its own
  yet (C-1), while surveys are on. Due after the admins' delay (web chat's own, default at once):
  the worker's sweep sends it within a minute of its due instant (one due at once gets a job
  right after the commit).
* **Asked for by a playbook** (``send_csat``, :func:`request`): planned and sent at once, before
  the ticket is resolved too, under every other rule; the resolution then plans no second one.
* **Cancelled** (``csat_cancelled``) in the transaction that reopens or closes the ticket before
  the survey went, and again at sending if the ticket is no longer resolved.
* **Sent** (``csat_sent`` with the channel kind it went through) as an automatic message on the
  ticket, delivered through the outbox like a reply, unless the contact was surveyed within the
  cap (C-2) or no channel can reach them (``csat_not_sent`` with the reason).
* **Answered** (``csat_response``) once, by the landing page or the widget, within 28 days and
  before the ticket closes. A rating of 2 or less tells the account manager, else the team lead,
  to follow it up (C-4). An answer is never a message: it opens and reopens nothing.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from hub import notifications
from hub.csat import content, routes, tokens
from hub.csat import settings as survey_settings
from hub.db import ROW_LOCK
from hub.domain import (
    ACTIVE_STATUSES,
    ChannelKind,
    DeliveryStatus,
    Direction,
    TicketEventKind,
    TicketStatus,
)
from hub.errors import Conflict, InvalidInput, NotFound
from hub.events import TicketRef
from hub.i18n import negotiate
from hub.models import (
    Contact,
    CsatSurvey,
    Message,
    Organization,
    Outbox,
    ThreadRef,
    Ticket,
    TicketEvent,
    User,
    WebchatVisitor,
)
from hub.tickets import events, timeline
from hub.tickets.tickets import DELIVER_JOB

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from hub.core import Hub
    from hub.events.bus import EventBus
    from hub.uow import UnitOfWork

log = logging.getLogger(__name__)

SEND_JOB = "csat_send"
#: A survey link stays valid this long (or until the ticket closes).
VALID_FOR = timedelta(days=28)
NO_CSAT_TAG = "no_csat"
LOW_RATING = 2
MAX_COMMENT = 4000
_RESOLVED = TicketStatus.RESOLVED


class SurveyClosed(Conflict):
    """The survey cannot take an answer: answered already, expired, or its ticket closed."""

    code = "csat_closed"


def subscribe(bus: EventBus) -> None:
    bus.before_commit(events.StatusChanged, on_status_changed)
    bus.before_commit(events.TicketReopened, on_reopened)


async def on_status_changed(uow: UnitOfWork, changes: Sequence[events.StatusChanged]) -> None:
    for change in changes:
        if change.status == TicketStatus.RESOLVED.value:
            await plan(uow, change.ticket.id, at=change.at)
        elif change.previous != TicketStatus.RESOLVED.value:
            continue  # no survey waits on a ticket that was not resolved
        elif change.status == TicketStatus.CLOSED.value:
            await cancel(uow, [change.ticket.id], reason="closed", at=change.at)
        elif change.status in {s.value for s in ACTIVE_STATUSES}:
            await cancel(uow, [change.ticket.id], reason="reopened", at=change.at)


async def on_reopened(uow: UnitOfWork, reopened: Sequence[events.TicketReopened]) -> None:
    if reopened:
        await cancel(uow, [e.ticket.id for e in reopened], reason="reopened", at=reopened[0].at)


async def plan(
    uow: UnitOfWork, ticket_id: uuid.UUID, *, at: datetime, at_once: bool = False
) -> CsatSurvey | None:
    """The survey a resolution asks for (``at_once``: a playbook's, due now and sent by the caller),
    or None when the ticket gets none."""
    session = uow.session
    config = await survey_settings.load(session)
    ticket = await session.get(Ticket, ticket_id)
    if ticket is None or not config.enabled or NO_CSAT_TAG in (ticket.tags or []):
        return None
    answered = await session.scalar(
        sa.select(TicketEvent.id)
        .where(TicketEvent.ticket_id == ticket_id, TicketEvent.kind == TicketEventKind.HUMAN_RESPONSE)
        .limit(1)
    )
    if answered is None:
        return None
    minutes = (
        config.webchat_delay_minutes if ticket.channel_kind is ChannelKind.WEBCHAT else config.delay_minutes
    )
    if at_once:
        minutes = 0
    due = at + timedelta(minutes=minutes)
    survey_id = uuid.uuid4()
    # The partial unique index keeps one live survey per ticket, even against a concurrent resolve.
    inserted = await session.scalar(
        insert(CsatSurvey)
        .values(
            id=survey_id, ticket_id=ticket_id, contact_id=ticket.contact_id, state="scheduled", due_at=due
        )
        .on_conflict_do_nothing(
            index_elements=["ticket_id"], index_where=sa.text("state IN ('scheduled', 'sent', 'answered')")
        )
        .returning(CsatSurvey.id)
    )
    if inserted is None:
        return None
    if minutes == 0 and not at_once:
        # Asked at once (web chat's default): a job right after commit. A later survey waits for
        # the worker's sweep, once a minute: a deferred job would keep a burst worker (and every
        # test that runs one) waiting for the whole delay.
        uow.enqueue(SEND_JOB, str(survey_id), job_id=f"csat:{survey_id}")
    return await session.get(CsatSurvey, survey_id)


async def cancel(uow: UnitOfWork, ticket_ids: Sequence[uuid.UUID], *, reason: str, at: datetime) -> int:
    """The scheduled surveys of these tickets, cancelled with the reason on each ticket's log."""
    cancelled = await uow.session.scalars(
        sa.update(CsatSurvey)
        .where(CsatSurvey.ticket_id.in_(list(ticket_ids)), CsatSurvey.state == "scheduled")
        .values(state="cancelled", reason=reason)
        .returning(CsatSurvey.ticket_id)
    )
    count = 0
    for ticket_id in cancelled:
        timeline.append(uow.session, ticket_id, TicketEventKind.CSAT_CANCELLED, at=at, reason=reason)
        count += 1
    return count


@dataclass
class SendResult:
    sent: int = 0
    not_sent: int = 0
    cancelled: int = 0


async def send_due(hub: Hub, *, survey_id: uuid.UUID | None = None, limit: int = 200) -> SendResult:
    """Send the due surveys (or the one the job names, when due). Rows are locked ``SKIP LOCKED``:
    a job and the sweep, or two workers, never send one survey twice."""
    result = SendResult()
    async with hub.uow() as uow:
        now = hub.clock.now()
        query = sa.select(CsatSurvey).where(CsatSurvey.state == "scheduled", CsatSurvey.due_at <= now)
        if survey_id is not None:
            query = query.where(CsatSurvey.id == survey_id)
        due = list(
            await uow.session.scalars(
                query.order_by(CsatSurvey.due_at).limit(limit).with_for_update(skip_locked=True)
            )
        )
        if not due:
            return result
        config = await survey_settings.load(uow.session)
        for survey in due:
            outcome = await _send_one(uow, survey, config, now=now)
            setattr(result, outcome, getattr(result, outcome) + 1)
        await uow.commit()
    return result


async def request(hub: Hub, ticket_id: uuid.UUID) -> str:
    """A playbook's ``send_csat``: the ticket's survey now, resolved or not, under every other rule
    of a resolution's (surveys on, no ``no_csat`` tag, a human response, one survey per ticket, the
    per-contact cap, a channel that reaches the client). ``sent``, ``not_sent`` (the reason is on
    the ticket's log), or ``none`` when the ticket gets no survey (or has one already)."""
    async with hub.uow() as uow:
        now = hub.clock.now()
        survey = await plan(uow, ticket_id, at=now, at_once=True)
        if survey is None:
            return "none"
        config = await survey_settings.load(uow.session)
        outcome = await _send_one(uow, survey, config, now=now, resolved_only=False)
        await uow.commit()
        return outcome


async def _send_one(
    uow: UnitOfWork,
    survey: CsatSurvey,
    config: survey_settings.SurveySettings,
    *,
    now: datetime,
    resolved_only: bool = True,
) -> str:
    session = uow.session
    ticket = await session.get(Ticket, survey.ticket_id, with_for_update=ROW_LOCK)
    assert ticket is not None
    if ticket.status is TicketStatus.CLOSED or (resolved_only and ticket.status is not _RESOLVED):
        why = "closed" if ticket.status is TicketStatus.CLOSED else "reopened"
        survey.state, survey.reason = "cancelled", why
        timeline.append(session, ticket.id, TicketEventKind.CSAT_CANCELLED, at=now, reason=why)
        # Told like every change of the ticket's log: its metric samples are derived again.
        uow.emit(events.TicketUpdated(at=now, ticket=TicketRef.of(ticket), field="csat"))
        return "cancelled"
    reason = await _why_not(uow, survey, config, now=now)
    route: routes.Route | routes.NoRoute | None = None
    if reason is None:
        route = await routes.pick(session, ticket, now=now)
        if isinstance(route, routes.NoRoute):
            reason = route.reason
    if reason is not None or not isinstance(route, routes.Route):
        survey.state, survey.reason = "not_sent", reason
        timeline.append(session, ticket.id, TicketEventKind.CSAT_NOT_SENT, at=now, reason=reason)
        uow.emit(events.TicketUpdated(at=now, ticket=TicketRef.of(ticket), field="csat"))
        return "not_sent"
    locale = await _locale(session, ticket)
    token = tokens.sign(uow.hub.settings.secret_key, survey.id)
    kind = route.channel.kind
    said = content.compose(
        config,
        kind=kind,
        locale=locale,
        number=ticket.number,
        subject=ticket.subject,
        base_url=uow.hub.settings.base_url,
        token=token,
    )
    meta: dict[str, object] = {
        "csat": {"survey_id": str(survey.id), "url": content.landing_url(uow.hub.settings.base_url, token)},
        "subject": said.subject,
    }
    if route.template:
        meta["via"] = "template"
    elif route.spent:
        meta["window"] = route.spent
    message = Message(
        id=uuid.uuid4(),
        ticket_id=ticket.id,
        direction=Direction.OUTBOUND,
        type="text",
        channel_id=route.channel.id,
        text=said.text,
        html=said.html,
        is_auto=True,
        delivery_status=DeliveryStatus.QUEUED,
        meta=meta,
        created_at=now,
    )
    session.add(message)
    await session.flush()
    outbox = Outbox(id=uuid.uuid4(), message_id=message.id, channel_id=route.channel.id, next_attempt_at=now)
    session.add(outbox)
    survey.state = "sent"
    survey.sent_at = now
    survey.expires_at = now + VALID_FOR
    survey.channel_id = route.channel.id
    survey.channel_kind = kind.value
    survey.message_id = message.id
    survey.locale = locale
    timeline.append(
        session, ticket.id, TicketEventKind.CSAT_SENT, at=now, message_id=message.id, channel=kind
    )
    uow.enqueue(DELIVER_JOB, str(outbox.id), job_id=f"deliver:{outbox.id}:0")
    uow.emit(events.AutomaticReplyQueued(at=now, ticket=TicketRef.of(ticket), message_id=message.id))
    return "sent"


async def _locale(session: AsyncSession, ticket: Ticket) -> str:
    """The contact's language if known, else (web chat) their browser's, else Chinese."""
    contact = await session.get(Contact, ticket.contact_id)
    if contact is not None and contact.locale:
        return negotiate(contact.locale)
    if ticket.channel_kind is ChannelKind.WEBCHAT:
        ref = await session.scalar(sa.select(ThreadRef.ref).where(ThreadRef.ticket_id == ticket.id).limit(1))
        try:
            visitor = await session.get(WebchatVisitor, uuid.UUID(ref)) if ref else None
        except ValueError:
            visitor = None
        language = (visitor.page or {}).get("language") if visitor is not None else None
        if language:
            return negotiate(str(language))
    return "zh-CN"


async def _why_not(
    uow: UnitOfWork, survey: CsatSurvey, config: survey_settings.SurveySettings, *, now: datetime
) -> str | None:
    if not config.enabled:
        return "disabled"
    if config.contact_cap_days:
        recent = await uow.session.scalar(
            sa.select(CsatSurvey.id)
            .where(
                CsatSurvey.contact_id == survey.contact_id,
                CsatSurvey.id != survey.id,
                CsatSurvey.sent_at > now - timedelta(days=config.contact_cap_days),
            )
            .limit(1)
        )
        if recent is not None:
            return "contact_cap"
    return None


# --- answers ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SurveyView:
    """What the landing page and the widget show of a survey."""

    id: uuid.UUID
    ticket_number: int
    subject: str
    locale: str
    state: str
    open: bool
    rating: int | None
    comment: str | None
    settings: survey_settings.SurveySettings


def is_open(survey: CsatSurvey, ticket: Ticket, now: datetime) -> bool:
    return (
        survey.state == "sent"
        and survey.expires_at is not None
        and now < survey.expires_at
        and ticket.status is not TicketStatus.CLOSED
    )


async def view(hub: Hub, survey_id: uuid.UUID) -> SurveyView:
    async with hub.session_factory() as session:
        survey = await session.get(CsatSurvey, survey_id)
        ticket = await session.get(Ticket, survey.ticket_id) if survey is not None else None
        if survey is None or ticket is None or survey.state not in ("sent", "answered"):
            raise NotFound(what="csat_survey")
        return SurveyView(
            id=survey.id,
            ticket_number=ticket.number,
            subject=ticket.subject,
            locale=survey.locale,
            state=survey.state,
            open=is_open(survey, ticket, hub.clock.now()),
            rating=survey.rating,
            comment=survey.comment,
            settings=await survey_settings.load(session),
        )


async def answer(hub: Hub, survey_id: uuid.UUID, rating: int, comment: str | None = None) -> CsatSurvey:
    """The client's one answer. A second, a late one, or one after the ticket closed is refused."""
    if not 1 <= rating <= 5:
        raise InvalidInput(detail="rating must be 1 to 5")
    comment = (comment or "").strip()[:MAX_COMMENT] or None
    async with hub.uow() as uow:
        now = hub.clock.now()
        survey = await uow.session.get(CsatSurvey, survey_id, with_for_update=True)
        ticket = await uow.session.get(Ticket, survey.ticket_id) if survey is not None else None
        if survey is None or ticket is None or survey.state not in ("sent", "answered"):
            raise NotFound(what="csat_survey")
        if not is_open(survey, ticket, now):
            raise SurveyClosed()
        survey.state, survey.rating, survey.comment, survey.answered_at = "answered", rating, comment, now
        data: dict[str, Any] = {"rating": rating}
        if comment:
            data["comment"] = comment
        timeline.append(uow.session, ticket.id, TicketEventKind.CSAT_RESPONSE, at=now, **data)
        if rating <= LOW_RATING:
            survey.followup_user_ids = [
                str(u) for u in await _follow_up(uow, ticket, rating, comment, now=now)
            ]
        uow.emit(events.TicketUpdated(at=now, ticket=TicketRef.of(ticket), field="csat"))
        await uow.commit()
        return survey


async def _follow_up(
    uow: UnitOfWork, ticket: Ticket, rating: int, comment: str | None, *, now: datetime
) -> list[uuid.UUID]:
    """A low rating goes to the client's account manager, else to the ticket's team lead."""
    session = uow.session
    people: list[uuid.UUID] = []
    if ticket.organization_id is not None:
        org = await session.get(Organization, ticket.organization_id)
        for candidate in (org.account_manager_id, org.backup_manager_id) if org is not None else ():
            user = await session.get(User, candidate) if candidate else None
            if user is not None and user.is_active:
                people = [user.id]
                break
    if not people:
        people = (
            (await notifications.team_leads(session, [ticket.team_id])).get(ticket.team_id, [])
            if ticket.team_id
            else []
        )
    notifications.tell(
        uow,
        notifications.rows_for(
            people,
            kind="csat_low",
            ticket_id=ticket.id,
            params={"number": ticket.number, "rating": rating, "comment": comment or ""},
            now=now,
        ),
    )
    return people


async def for_ticket(session: AsyncSession, ticket_id: uuid.UUID) -> list[CsatSurvey]:
    return list(
        await session.scalars(
            sa.select(CsatSurvey).where(CsatSurvey.ticket_id == ticket_id).order_by(CsatSurvey.created_at)
        )
    )
