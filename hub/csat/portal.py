"""The survey on a partner's closed request: shown in the portal on the request itself.

A portal ticket is surveyed by the same rules as every channel (planned at the resolution, one per
contact per cap, cancelled by a reopen, a rating of 2 or less followed up: :mod:`hub.csat.surveys`);
the survey message lands on the request like a reply, and the partner answers on the request's page
rather than by a signed link. Who may answer is who may see the request (:mod:`hub.scope`), so a
partner can neither see nor answer another organisation's survey: both answer 404.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa

from hub import scope
from hub.actors import Actor
from hub.csat import settings as survey_settings
from hub.csat import surveys
from hub.domain import ChannelKind, Role
from hub.errors import NotFound
from hub.models import CsatSurvey, Ticket

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from hub.core import Hub


@dataclass(frozen=True)
class PortalSurvey:
    id: uuid.UUID
    open: bool
    rating: int | None
    comment: str | None
    question: str
    comment_prompt: str
    thanks: str
    #: Rating → its label, 5 first (as the mail lists them).
    labels: tuple[tuple[int, str], ...]


async def _survey(session: AsyncSession, actor: Actor, ticket_id: uuid.UUID) -> tuple[Ticket, CsatSurvey]:
    if actor.role is not Role.PARTNER:
        raise NotFound(what="csat_survey")
    ticket = await scope.one(session, actor, Ticket, ticket_id)
    survey = (
        await session.scalar(
            sa.select(CsatSurvey)
            .where(
                CsatSurvey.ticket_id == ticket_id,
                CsatSurvey.state.in_(("sent", "answered")),
                CsatSurvey.channel_kind == ChannelKind.PORTAL.value,
            )
            .order_by(CsatSurvey.created_at.desc())
            .limit(1)
        )
        if ticket is not None
        else None
    )
    if ticket is None or survey is None:
        raise NotFound(what="csat_survey")
    return ticket, survey


async def on_request(
    session: AsyncSession, actor: Actor, ticket_id: uuid.UUID, *, locale: str, now: datetime
) -> PortalSurvey | None:
    """The survey a partner sees on their request, in their language; None when it has none."""
    try:
        ticket, survey = await _survey(session, actor, ticket_id)
    except NotFound:
        return None
    config = await survey_settings.load(session)
    fields = {"number": ticket.number, "subject": ticket.subject}
    return PortalSurvey(
        id=survey.id,
        open=surveys.is_open(survey, ticket, now),
        rating=survey.rating,
        comment=survey.comment,
        question=config.text("chat_question", locale, **fields),
        comment_prompt=config.text("comment_prompt", locale),
        thanks=config.text("thanks", locale),
        labels=tuple((n, config.text(f"rating_{n}", locale)) for n in (5, 4, 3, 2, 1)),
    )


async def answer(
    hub: Hub, actor: Actor, ticket_id: uuid.UUID, rating: int, comment: str | None = None
) -> CsatSurvey:
    """The partner's one answer on their request (a second, or one after it closed: 409)."""
    async with hub.session_factory() as session:
        _, survey = await _survey(session, actor, ticket_id)
    return await surveys.answer(hub, survey.id, rating, comment)
