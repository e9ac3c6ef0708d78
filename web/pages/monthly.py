"""The monthly review page (supervisors and admins): one month's review, the month picked with a
plain GET form so a month can be bookmarked, and the same review as an A4 PDF. The content is
:mod:`hub.reporting.monthly`'s, rendered through the template ``hub report monthly`` writes too."""

from __future__ import annotations

import asyncio
from typing import Annotated

from litestar import Request, Response, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from hub.reporting import monthly
from web import monthly_review
from web.auth.guards import supervisors
from web.auth.identity import CurrentUser
from web.pages.context import page_locale, render, zone_of

MONTH = QueryParameter(
    pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="YYYY-MM; the last full month when not given"
)


async def _review(request: Request, db: AsyncSession, month: str | None) -> monthly.MonthlyReview:
    user: CurrentUser = request.user
    now = request.app.state.hub.clock.now()
    first = (
        monthly.parse_month(month) if month else monthly.last_full_month(now.astimezone(zone_of(user)).date())
    )
    return await monthly.build(db, user.actor, first, now=now)


@get("/reports/monthly", guards=[supervisors], name="monthly-review")
async def monthly_page(
    request: Request, db: NamedDependency[AsyncSession], month: Annotated[str | None, MONTH] = None
) -> Template:
    review = await _review(request, db, month)
    locale = page_locale(request)
    shown = monthly_review.context(review, locale, zone_of(request.user), "")
    return render(request, "monthly_review.html", review=review, fmt=shown["fmt"])


@get("/reports/monthly.pdf", guards=[supervisors], name="monthly-review-pdf")
async def monthly_pdf(
    request: Request, db: NamedDependency[AsyncSession], month: Annotated[str | None, MONTH] = None
) -> Response[bytes]:
    review = await _review(request, db, month)
    hub = request.app.state.hub
    # Laying out a PDF is CPU work: off the event loop.
    data = await asyncio.to_thread(
        monthly_review.render_pdf,
        review,
        page_locale(request),
        zone_of(request.user),
        base_url=hub.settings.base_url,
    )
    return Response(
        data,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="monthly-review-{review.label}.pdf"'},
    )
