"""What each actor may see, decided in one place: every query a partner can reach is restricted here.

Staff, and the trusted non-user actors (the CLI, jobs, channels), see every row; what a staff role
may *do* stays :mod:`hub.permissions`'s business. A partner sees its own organization and what hangs
off it: tickets by organization; their messages, never internal notes; attachments through those
messages; events, SLA clocks, requirements and hand-offs through the ticket; the organization's
users, and its contacts and those who wrote its tickets. A user of any other role sees nothing.

Why one module: the partner portal grows (orders, deliveries, quality cases, meetings), and each
new kind of record gets one rule here instead of another ``if actor.is_partner`` beside the query
that reads it, which is how a forgotten filter becomes a leak. A model with no rule is invisible
to partners, so a new table stays closed until someone decides how it is scoped.

Rows outside the scope are "not found", never "forbidden": a partner must not learn that another
organization's ticket, contact or organization exists.

Within a row a partner may see, some fields are still the hub's own business: who of the staff
handles it and how the delivery went. The partner page leaves them out, and :func:`redact` gives
the API the same view, so a partner learns no more by asking the API than by reading the page.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, TypeVar, TypeVarTuple

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from hub import realtime
from hub.actors import Actor
from hub.db import ROW_LOCK
from hub.domain import Direction
from hub.models import (
    ActionItem,
    Attachment,
    Contact,
    ContactIdentity,
    DateProposal,
    DeliverySchedule,
    Handoff,
    Meeting,
    MeetingSeries,
    Message,
    Organization,
    PortalOrder,
    PortalOrderLine,
    QualityCase,
    QualityStep,
    QualityTiming,
    Requirement,
    RequirementEvent,
    ScheduleChange,
    ShippingNotice,
    ShippingNoticeLine,
    Ticket,
    TicketEvent,
    TicketSla,
    User,
)

Model = TypeVar("Model")
Row = TypeVarTuple("Row")
#: A partner rule: the condition a row must meet, given the partner's organization id.
Rule = Callable[[uuid.UUID], sa.ColumnElement[bool]]


def _tickets(org: uuid.UUID) -> sa.ColumnElement[bool]:
    return Ticket.organization_id == org


def _ticket_ids(org: uuid.UUID) -> sa.Select[uuid.UUID]:
    return sa.select(Ticket.id).where(_tickets(org))


def _messages(org: uuid.UUID) -> sa.ColumnElement[bool]:
    return sa.and_(Message.direction != Direction.NOTE, Message.ticket_id.in_(_ticket_ids(org)))


def _contacts(org: uuid.UUID) -> sa.ColumnElement[bool]:
    """The organization's contacts, and whoever wrote one of its tickets (shown on the ticket)."""
    on_tickets = sa.select(Ticket.contact_id).where(_tickets(org))
    return sa.or_(Contact.organization_id == org, Contact.id.in_(on_tickets))


PARTNER_RULES: dict[type, Rule] = {
    Organization: lambda org: Organization.id == org,
    User: lambda org: User.organization_id == org,
    Ticket: _tickets,
    Message: _messages,
    Attachment: lambda org: Attachment.message_id.in_(sa.select(Message.id).where(_messages(org))),
    TicketEvent: lambda org: TicketEvent.ticket_id.in_(_ticket_ids(org)),
    TicketSla: lambda org: TicketSla.ticket_id.in_(_ticket_ids(org)),
    Handoff: lambda org: Handoff.ticket_id.in_(_ticket_ids(org)),
    Requirement: lambda org: Requirement.ticket_id.in_(_ticket_ids(org)),
    RequirementEvent: lambda org: RequirementEvent.requirement_id.in_(
        sa.select(Requirement.id).where(Requirement.ticket_id.in_(_ticket_ids(org)))
    ),
    Contact: _contacts,
    ContactIdentity: lambda org: ContactIdentity.contact_id.in_(sa.select(Contact.id).where(_contacts(org))),
    # The portal: orders, proposals, schedules and shipping notices by organization; lines and a
    # notice's lines through their parent.
    PortalOrder: lambda org: PortalOrder.organization_id == org,
    PortalOrderLine: lambda org: PortalOrderLine.order_id.in_(
        sa.select(PortalOrder.id).where(PortalOrder.organization_id == org)
    ),
    DateProposal: lambda org: DateProposal.organization_id == org,
    DeliverySchedule: lambda org: DeliverySchedule.organization_id == org,
    ScheduleChange: lambda org: ScheduleChange.organization_id == org,
    ShippingNotice: lambda org: ShippingNotice.organization_id == org,
    ShippingNoticeLine: lambda org: ShippingNoticeLine.notice_id.in_(
        sa.select(ShippingNotice.id).where(ShippingNotice.organization_id == org)
    ),
    # The portal's quality cases, their steps and the partner's own due times; its meeting series
    # and meetings (minutes only once published: :func:`hub.portal.meetings.minutes_for`); its one
    # list of action items.
    QualityCase: lambda org: QualityCase.organization_id == org,
    QualityStep: lambda org: QualityStep.organization_id == org,
    QualityTiming: lambda org: QualityTiming.organization_id == org,
    MeetingSeries: lambda org: MeetingSeries.organization_id == org,
    Meeting: lambda org: Meeting.organization_id == org,
    ActionItem: lambda org: ActionItem.organization_id == org,
}


def sees_everything(actor: Actor) -> bool:
    """Staff and the operator's own actors (CLI, jobs, channels) are not scoped."""
    return actor.kind != "user" or actor.is_staff


def visible(actor: Actor, model: type) -> sa.ColumnElement[bool]:
    """The condition a row of ``model`` must meet for ``actor`` to see it."""
    if sees_everything(actor):
        return sa.true()
    rule = PARTNER_RULES.get(model)
    if actor.is_partner and actor.organization_id is not None and rule is not None:
        return rule(actor.organization_id)
    return sa.false()


def restrict(query: sa.Select[*Row], actor: Actor, *models: type) -> sa.Select[*Row]:
    """``query`` limited to the rows of each of ``models`` (all must be in its FROM) ``actor`` may see."""
    if sees_everything(actor):
        return query
    return query.where(*(visible(actor, model) for model in models))


def select(actor: Actor, model: type[Model]) -> sa.Select[Model]:
    """``SELECT model`` over only the rows ``actor`` may see."""
    return restrict(sa.select(model), actor, model)


async def one(
    session: AsyncSession, actor: Actor, model: type[Model], row_id: Any, *, lock: bool = False
) -> Model | None:
    """The row with this primary key if ``actor`` may see it; ``None`` whether it is missing or
    out of scope, so callers cannot tell the two apart either."""
    (key,) = sa.inspect(model).primary_key
    query = select(actor, model).where(key == row_id)
    if lock:
        query = query.with_for_update(**ROW_LOCK)
    return await session.scalar(query)


def event_channels(actor: Actor) -> list[str]:
    """The live-update channels ``actor`` may hear: staff everything staff see, a partner only
    its organization's, anyone else nothing."""
    if actor.is_partner:
        return [realtime.organization(actor.organization_id)] if actor.organization_id else []
    if sees_everything(actor):
        return [realtime.STAFF]
    return []


#: Fields of a record that name the hub's own people and teams, or how its deliveries fared: the
#: partner page shows "Support team" and no delivery state, so a partner reads them as null.
PARTNER_HIDDEN_FIELDS = frozenset(
    {
        "assignee_id",
        "team_id",
        "author_user_id",
        "actor_user_id",
        "account_manager_id",
        "backup_manager_id",
        "delivery_status",
        "delivery_error",
    }
)
#: Keys of a message's ``meta`` that are staff business too: delivery failures and reports, and
#: what a reply spent of the channel's reply window.
PARTNER_HIDDEN_META = frozenset({"delivery_error", "delivery_report", "window"})


def redact(actor: Actor, fields: dict[str, Any]) -> dict[str, Any]:
    """A record's fields (by name) as ``actor`` may read them: for a partner, the staff's own
    fields null and the staff's keys gone from ``meta``; for everyone else, unchanged."""
    if not actor.is_partner:
        return fields
    shown = {name: None if name in PARTNER_HIDDEN_FIELDS else value for name, value in fields.items()}
    meta = shown.get("meta")
    if isinstance(meta, dict):
        shown["meta"] = {k: v for k, v in meta.items() if k not in PARTNER_HIDDEN_META}
    return shown
