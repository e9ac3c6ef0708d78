"""A playbook's replies and snippets filled in for one ticket: its contact, the agent, its number,
the run's form values and the promised resolution time in the agent's zone, on its channel."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from hub import permissions
from hub.actors import Actor
from hub.calendars import names
from hub.calendars.due import compute_due
from hub.calendars.durations import parse_duration
from hub.calendars.service import calendar_in
from hub.core import Hub
from hub.domain import ChannelKind
from hub.errors import Conflict, NotFound
from hub.models import Channel, Contact, Organization, PlaybookRun, Ticket, User
from hub.playbooks import plan as plans
from hub.playbooks.gate import active_run, document, values
from hub.ports import FilledSnippet, RenderedReply
from hub.tickets import windows
from hub.tickets.tickets import load_for

# -- reply templates -----------------------------------------------------------------------------


async def render_reply(
    hub: Hub, actor: Actor, ticket_id: uuid.UUID, step_id: str, *, locale: str, ask: dict[str, str]
) -> RenderedReply:
    """The step's reply filled in for this ticket, on its channel (the WeChat template variant
    when the 48-hour window is closed); a missing value is refused with the variable named."""
    permissions.require_staff(actor)
    async with hub.uow() as uow:
        session, now = uow.session, hub.clock.now()
        ticket = await load_for(session, actor, ticket_id)
        run = await active_run(session, ticket.id)
        if run is None:
            raise Conflict(detail="no playbook is running on this ticket")
        doc = await document(session, run.digest)
        step = plans.decode(doc).step(step_id)
        if step is None or step.template is None:
            raise NotFound(what="playbook_step")
        closed = False
        channel = await session.get(Channel, ticket.channel_id)
        if ticket.channel_kind is ChannelKind.WECHAT and channel is not None:
            state = await windows.state(session, channel, ticket.contact_id, now=now)
            closed = state is not None and not state.is_open
        context = await _context(session, ticket, actor, run, doc, now)
    return hub.playbooks.render(
        doc,
        step.template,
        locale=locale,
        channel=ticket.channel_kind.value,
        values={**context, **{key: value for key, value in ask.items() if value.strip()}},
        template_fallback=closed,
    )


async def snippets(hub: Hub, actor: Actor, ticket_id: uuid.UUID, *, locale: str) -> list[FilledSnippet]:
    """The canned answers filled in for this ticket (the playbook's form values too, if one runs)."""
    permissions.require_staff(actor)
    async with hub.uow() as uow:
        session, now = uow.session, hub.clock.now()
        ticket = await load_for(session, actor, ticket_id)
        run = await active_run(session, ticket.id)
        doc = await document(session, run.digest) if run is not None else {}
        context = await _context(session, ticket, actor, run, doc, now)
    return hub.playbooks.snippets(locale=locale, values=context)


async def _context(
    session: AsyncSession,
    ticket: Ticket,
    actor: Actor,
    run: PlaybookRun | None,
    doc: dict[str, Any],
    now: datetime,
) -> dict[str, Any]:
    contact = await session.get(Contact, ticket.contact_id)
    agent = await session.get(User, actor.user_id) if actor.user_id else None
    zone = ZoneInfo(agent.time_zone if agent is not None else "Asia/Shanghai")
    context: dict[str, Any] = {
        "contact.display_name": contact.name if contact is not None else None,
        "agent.display_name": agent.name if agent is not None else None,
        "ticket.number": str(ticket.number),
        "ticket.subject": ticket.subject,
        **(values(run) if run is not None else {}),
    }
    if ticket.organization_id is not None:
        organization = await session.get(Organization, ticket.organization_id)
        context["organization.name"] = organization.name if organization is not None else None
    resolution = (doc.get("sla") or {}).get("resolution")
    if resolution and run is not None:
        calendar = await calendar_in(session, names.DEFAULT)
        due = compute_due(calendar, run.started_at, parse_duration(resolution)).at
        context["sla.resolution_due_local"] = due.astimezone(zone).strftime("%Y-%m-%d %H:%M")
    return context
