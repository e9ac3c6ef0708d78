"""The survey's landing page: the client arrives by one of the five signed links of the survey mail
(or the one link of a WeChat message), sees the face they clicked chosen, may add a comment, and
sends once. Public (the link's signature is the credential) and free of script, so it works in
any mail client's browser and in WeChat's.

Clicking a link records nothing by itself: mail scanners open links too, and the answer must be
the client's. The rating they clicked is preselected, so answering is one more press.
"""

from __future__ import annotations

import contextlib
from typing import Annotated

from litestar import Request, get, post
from litestar.params import FromPath, QueryParameter, URLEncodedBody
from litestar.response import Template

from hub.csat import surveys, tokens
from hub.errors import NotFound
from hub.i18n import SUPPORTED_LOCALES
from web.pages.context import LANG_COOKIE, render
from web.pages.text import Translator

FACES = {1: "😞", 2: "🙁", 3: "😐", 4: "🙂", 5: "😄"}


async def _survey(request: Request, token: str) -> surveys.SurveyView:
    hub = request.app.state.hub
    survey_id = tokens.read(hub.settings.secret_key, token)
    if survey_id is None:
        raise NotFound(what="csat_survey")
    return await surveys.view(hub, survey_id)


def _page(request: Request, survey: surveys.SurveyView, token: str, **data: object) -> Template:
    chosen = request.cookies.get(LANG_COOKIE)
    locale = chosen if chosen in SUPPORTED_LOCALES else survey.locale
    text = survey.settings
    return render(
        request,
        "csat.html",
        t=Translator(locale),
        lang=locale,
        survey=survey,
        token=token,
        faces=FACES,
        labels={n: text.text(f"rating_{n}", locale) for n in FACES},
        intro=text.text("intro", locale, number=survey.ticket_number, subject=survey.subject),
        comment_prompt=text.text("comment_prompt", locale),
        thanks=text.text("thanks", locale),
        **data,
    )


@get("/csat/{token:str}", exclude_from_auth=True, name="csat-survey")
async def survey_page(
    request: Request,
    token: FromPath[str],
    rating: Annotated[
        int | None, QueryParameter(ge=1, le=5, description="The face clicked in the mail")
    ] = None,
) -> Template:
    survey = await _survey(request, token)
    return _page(request, survey, token, chosen=rating or survey.rating, problem=None)


@post("/csat/{token:str}", exclude_from_auth=True, name="csat-answer", status_code=200)
async def survey_answer(
    request: Request,
    token: FromPath[str],
    data: URLEncodedBody[dict[str, str]],
) -> Template:
    survey = await _survey(request, token)
    try:
        rating = int(data.get("rating", ""))
    except ValueError:
        rating = 0
    if not 1 <= rating <= 5:
        return _page(request, survey, token, chosen=None, problem="csat.pick_one")
    with contextlib.suppress(surveys.SurveyClosed):  # then the page shows it closed, as it now is
        await surveys.answer(request.app.state.hub, survey.id, rating, data.get("comment"))
    return _page(
        request, await surveys.view(request.app.state.hub, survey.id), token, chosen=rating, problem=None
    )
