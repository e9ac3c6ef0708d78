"""Starting a ticket from the inbox: an e-mail, a WeChat template message or a call log.

The form posts to ``POST /api/v1/tickets`` with an ``Idempotency-Key`` made when the page loads,
so a double click or a retry after a lost answer opens the ticket once; the API owns the rules.
"""

from __future__ import annotations

from litestar import Request, get
from litestar.di import NamedDependency
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from hub.tickets import opening
from web.auth.guards import staff
from web.pages.context import render

#: Call outcomes a logged call may have (as the ticket page's call form).
OUTCOMES = ("answered", "no_answer", "busy", "failed", "abandoned", "voicemail")


@get("/tickets/new", guards=[staff], name="new-ticket")
async def new_ticket_page(request: Request, db: NamedDependency[AsyncSession]) -> Template:
    return render(
        request, "new_ticket.html", channels=await opening.channels_to_start_on(db), outcomes=OUTCOMES
    )
