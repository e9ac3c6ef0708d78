"""The bell's list: the viewer's latest notifications, rendered in their language and time zone.

The bell (``web/static/bell.js``) fetches this fragment when the page opens and whenever the live
stream says the viewer has news (``notification.created``, heard on their own channel only), and
marks one read through ``POST /api/v1/notifications/{id}/read``.
"""

from __future__ import annotations

from litestar import Request, get
from litestar.di import NamedDependency
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from hub import notifications
from web.auth.guards import any_user
from web.auth.identity import CurrentUser
from web.pages.context import page_locale, render

#: Notifications the bell lists (the newest; the API pages through the rest).
SHOWN = 20


@get("/notifications/menu", guards=[any_user], name="notifications-menu")
async def notifications_menu(request: Request, db: NamedDependency[AsyncSession]) -> Template:
    user: CurrentUser = request.user
    page = await notifications.list_for(db, user.id, limit=SHOWN)
    locale = page_locale(request)
    return render(
        request,
        "_notifications.html",
        items=[(n, notifications.render(n, locale, user.time_zone)) for n in page.items],
        unread=page.unread,
    )
