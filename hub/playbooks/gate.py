"""What a running playbook asks of the ticket's other use cases: no resolution while required
steps are open, and replies held to the playbook's tone rules.

Kept apart from :mod:`hub.playbooks.runs` so the ticket use cases can call it without importing
the runs (which call them in turn).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from hub.domain import Direction, PlaybookRunStatus
from hub.errors import Conflict, InvalidInput
from hub.models import Message, PlaybookRun, PlaybookVersionRow, Ticket
from hub.playbooks import plan as plans
from hub.ports import ToneIssue
from hub.uow import UnitOfWork


class StepsOpen(Conflict):
    """Resolving with required steps open; ``extra`` names them for the API and the page."""

    code = "playbook_steps_open"

    def __init__(self, *, playbook: str, steps: list[str]) -> None:
        super().__init__(playbook=playbook, steps=", ".join(steps))
        self.extra = {"playbook": playbook, "missing_steps": steps}


class ToneBlocked(InvalidInput):
    code = "playbook_tone_blocked"

    def __init__(self, issues: list[ToneIssue]) -> None:
        super().__init__(
            phrases="; ".join(f"“{i.phrase}”" if i.rule == "forbidden" else f"+ {i.phrase}" for i in issues)
        )
        self.extra = {"tone": [{"phrase": i.phrase, "severity": i.severity, "rule": i.rule} for i in issues]}


async def active_run(
    session: AsyncSession, ticket_id: uuid.UUID, *, lock: bool = False
) -> PlaybookRun | None:
    query = sa.select(PlaybookRun).where(
        PlaybookRun.ticket_id == ticket_id,
        PlaybookRun.is_primary,
        PlaybookRun.status == PlaybookRunStatus.ACTIVE,
    )
    return await session.scalar(query.with_for_update() if lock else query)


async def document(session: AsyncSession, digest: str) -> dict[str, Any]:
    row = await session.get(PlaybookVersionRow, digest)
    assert row is not None  # a run's foreign key keeps its version
    return row.document


def values(run: PlaybookRun) -> dict[str, Any]:
    return {f"fields.{key}": value for key, value in run.fields.items()}


async def gate(uow: UnitOfWork, ticket: Ticket) -> None:
    """Refuse resolving (or closing) while the primary playbook has required steps open."""
    run = await active_run(uow.session, ticket.id)
    if run is None:
        return
    plan = plans.decode(await document(uow.session, run.digest))
    route = plans.walk(plan, run.steps, values(run), uow.hub.playbooks.condition)
    missing = plans.open_required(plan, run.steps, route)
    if missing:
        raise StepsOpen(playbook=plan.id, steps=missing)


async def check_reply(
    uow: UnitOfWork, ticket: Ticket, text: str, *, locale: str, now: datetime
) -> list[ToneIssue]:
    """The playbook's tone rules over a reply about to be sent: ``block`` stops it, ``warn`` is
    returned to be recorded with the message. The first reply since the run started must also say
    one of the required phrases (a complaint's apology)."""
    run = await active_run(uow.session, ticket.id)
    if run is None:
        return []
    replied = await uow.session.scalar(
        sa.select(sa.func.count())
        .select_from(Message)
        .where(
            Message.ticket_id == ticket.id,
            Message.direction == Direction.OUTBOUND,
            Message.author_user_id.is_not(None),
            Message.created_at >= run.started_at,
        )
    )
    issues = uow.hub.playbooks.tone(
        await document(uow.session, run.digest), text, locale=locale, first_reply=not replied
    )
    blocking = [issue for issue in issues if issue.severity == "block"]
    if blocking:
        raise ToneBlocked(blocking)
    return issues
