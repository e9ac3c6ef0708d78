"""One ticket: header, thread, details and (for staff) the composer and controls.

Reads go through the hub's views (:mod:`hub.tickets.views`, ``contacts``, ``directory``), which
scope partners to their organization and hide internal notes from them; the template then leaves
out every staff control for a partner. The browser never decides what a role may see.

Writes are not handled here. The page's forms post JSON to the REST API (``/api/v1/tickets/...``)
with ``fetch`` and the ``X-CSRF-Token`` header, then re-fetch the parts below. Why: the API
already owns validation, role checks, problem details in the user's language and the audit trail;
a second, form-encoded write path would have to repeat all of it and could drift from it. The
parts (``/tickets/{id}/parts``: header, thread and side in one answer, so one refresh reads the
ticket once) are the same templates the page includes, so live updates and post-action
refreshes show exactly what a reload would.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from litestar import Request, get
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from hub.accounts import directory
from hub.contacts import avatars
from hub.contacts import views as contact_views
from hub.csat import portal as csat_portal
from hub.csat import surveys as csat_surveys
from hub.domain import Priority, Role, Scenario, TicketStatus
from hub.playbooks import followups, replies, webhooks
from hub.playbooks import views as playbook_views
from hub.sla import views as sla_views
from hub.tickets import collision, drafts
from hub.tickets import views as ticket_views
from hub.tickets.status import can_move
from web.auth.guards import any_user
from web.auth.identity import CurrentUser
from web.pages.context import page_locale, render
from web.pages.sla_summary import summarise
from web.pages.text import locale_for

OTHER_TICKETS = 8
#: A message body longer than this (characters, or lines) starts folded under "Show all".
LONG_TEXT, LONG_LINES, LONG_HTML = 3_000, 40, 20_000


async def _context(
    request: Request,
    db: AsyncSession,
    user: CurrentUser,
    ticket_id: uuid.UUID,
    now: datetime,
    *,
    composer: bool = True,
) -> dict[str, Any]:
    thread = await ticket_views.ticket_thread(db, user.actor, ticket_id)
    ticket = thread.ticket
    organizations = await directory.organizations_by_id(db, user.actor, {ticket.organization_id})
    data: dict[str, Any] = {
        "ticket": ticket,
        "contact": thread.contact,
        "messages": thread.messages,
        "attachments": thread.attachments,
        "organization": organizations.get(ticket.organization_id) if ticket.organization_id else None,
        "identities": [],
        "avatar": None,
        "sla": None,
        "other_tickets": [],
        "people": {},
        "assignable": [],
        "statuses": [s for s in TicketStatus if s is ticket.status or can_move(ticket.status, s)],
        "priorities": list(Priority),
        "scenarios": list(Scenario),
        "window": None,
        "via": {"template": False, "channels": []},
        "long_text": LONG_TEXT,
        "long_lines": LONG_LINES,
        "long_html": LONG_HTML,
        "channel_context": (),
        "playbook": None,
        "surveys": [],
        "survey_of": {},
        "latest_event": 0,
        "drafts": {},
        "snippets": [],
        "ticket_locale": page_locale(request),
        "portal_survey": None,
    }
    if user.role is Role.PARTNER:
        # The survey on a partner's closed request, answered on this page.
        data["portal_survey"] = await csat_portal.on_request(
            db, user.actor, ticket.id, locale=page_locale(request), now=now
        )
    if user.is_staff:
        card = await contact_views.contact_card(db, user.actor, thread.contact.id)
        people = await directory.list_users(db, user.actor)
        data.update(
            identities=card.identities,
            avatar=avatars.avatar_of(card.identities),
            sla=summarise(
                (await sla_views.clocks_by_ticket(db, user.actor, [ticket.id])).get(ticket.id), now
            ),
            other_tickets=[t for t in card.tickets if t.id != ticket.id][:OTHER_TICKETS],
            people={p.id: p for p in people},
            assignable=[p for p in people if p.is_active and p.role is not Role.PARTNER],
        )
        surveys = await csat_surveys.for_ticket(db, ticket.id)
        data.update(surveys=surveys, survey_of={s.message_id: s for s in surveys if s.message_id})
        hub = request.app.state.hub
        # Canned answers in the ticket's language: the client's, when the hub knows it.
        ticket_locale = locale_for(thread.contact.locale, default=data["ticket_locale"])
        data.update(latest_event=await collision.latest_event(db, ticket.id), ticket_locale=ticket_locale)
        if composer:  # the composer is rendered once, with the page; the live parts leave it alone
            data.update(
                drafts=await drafts.mine(db, user.actor, ticket.id),
                snippets=await replies.snippets(hub, user.actor, ticket.id, locale=ticket_locale),
            )
        panel = await playbook_views.panel(hub, db, user.actor, ticket.id)
        data.update(
            playbook=panel,
            playbook_done=_records(panel, {p.id: p.name for p in people}),
            playbook_choices=sorted(
                (row for row in hub.playbooks.listing() if not row.problems), key=lambda row: row.playbook_id
            ),
            playbook_followups=await followups.of_ticket(db, ticket.id),
            playbook_webhooks=await webhooks.of_ticket(db, ticket.id),
        )
        window = await ticket_views.reply_window(db, ticket, now=now)
        if window is not None:
            # The composer offers the ways past a closed window even while it is open: it is not
            # refreshed live, and the window may close while the agent types.
            via = window.alternatives or await ticket_views.reply_alternatives(db, ticket)
            data.update(window=window, via=via)
        # What the ticket's channel knows of the person right now (a web-chat visitor's page).
        runtime = request.app.state.runtime
        context = runtime.channels.connection(ticket.channel_kind.value).context
        if context is not None:
            data["channel_context"] = await context(runtime.hub, ticket.id)
    return data


@get("/tickets/{ticket_id:uuid}", guards=[any_user], name="ticket")
async def ticket_page(
    request: Request, db: NamedDependency[AsyncSession], ticket_id: FromPath[uuid.UUID]
) -> Template:
    return render(
        request, "ticket.html", **await _context(request, db, request.user, ticket_id, _now(request))
    )


@get("/tickets/{ticket_id:uuid}/parts", guards=[any_user], name="ticket-parts")
async def ticket_parts(
    request: Request, db: NamedDependency[AsyncSession], ticket_id: FromPath[uuid.UUID]
) -> Template:
    """The page's live parts, each in a ``<template data-part>``, for the script to swap in."""
    context = await _context(request, db, request.user, ticket_id, _now(request), composer=False)
    return render(request, "_ticket_parts.html", **context)


def _records(panel: playbook_views.Panel, names: dict[uuid.UUID, str]) -> dict[str, tuple[str, datetime]]:
    """Who did or skipped each step and when, for the panel (stored as ids and ISO instants)."""
    if panel.run is None:
        return {}
    done: dict[str, tuple[str, datetime]] = {}
    for step in panel.run.steps:
        if step.record is None:
            continue
        by = step.record.get("by", "")
        try:
            name = names.get(uuid.UUID(by), by)
        except ValueError:
            name = by
        done[step.id] = (name, datetime.fromisoformat(step.record["at"]))
    return done


def _now(request: Request) -> datetime:
    return request.app.state.hub.clock.now()
