"""A partner's answer to the survey on their closed request: ``POST /api/v1/portal/tickets/{id}/csat``.

The request's page posts it (web/static/portal.js); a partner's own system may too. The partner is
the login, the survey is the request's (:mod:`hub.csat.portal`): another organisation's request
answers 404, a second answer or one after the survey closed 409.
"""

from __future__ import annotations

import uuid
from typing import Annotated

import msgspec
from litestar import Request, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from hub.core import Hub
from hub.csat import portal, surveys
from web.auth.guards import BEARER, partners


class SurveyAnswerIn(msgspec.Struct, forbid_unknown_fields=True):
    #: 1 (very dissatisfied) to 5.
    rating: Annotated[int, msgspec.Meta(ge=1, le=5)]
    comment: Annotated[str, msgspec.Meta(max_length=surveys.MAX_COMMENT)] | None = None


class SurveyAnswerOut(msgspec.Struct):
    survey_id: uuid.UUID
    rating: int
    comment: str | None


@post(
    "/api/v1/portal/tickets/{ticket_id:uuid}/csat",
    guards=[partners],
    security=BEARER,
    tags=["portal"],
    status_code=200,
)
async def answer_portal_survey(
    request: Request,
    hub: NamedDependency[Hub],
    ticket_id: FromPath[uuid.UUID],
    data: JSONBody[SurveyAnswerIn],
) -> SurveyAnswerOut:
    """Rate your closed request once (1-5) with an optional comment."""
    survey = await portal.answer(hub, request.user.actor, ticket_id, data.rating, data.comment)
    return SurveyAnswerOut(survey_id=survey.id, rating=data.rating, comment=survey.comment)
