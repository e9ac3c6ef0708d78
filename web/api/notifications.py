"""The current user's notifications (SLA warnings and breaches, escalations, requirement feedback,
hand-offs), in their language and time zone."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from hub import notifications
from hub.core import Hub
from hub.i18n import negotiate
from hub.models import Notification
from web.auth.guards import BEARER, any_user
from web.auth.identity import CurrentUser


class NotificationOut(msgspec.Struct):
    id: uuid.UUID
    kind: str
    ticket_id: uuid.UUID | None
    #: Rendered in the reader's language (Accept-Language, else their profile's), times in their zone.
    text: str
    data: dict[str, Any]
    created_at: datetime
    read_at: datetime | None

    @classmethod
    def of(cls, row: Notification, user: CurrentUser, locale: str) -> NotificationOut:
        return cls(
            id=row.id,
            kind=row.kind,
            ticket_id=row.ticket_id,
            text=notifications.render(row, locale, user.time_zone),
            data=dict(row.params),
            created_at=row.created_at,
            read_at=row.read_at,
        )


class NotificationPageOut(msgspec.Struct):
    items: list[NotificationOut]
    unread: int


def _locale(request: Request, user: CurrentUser) -> str:
    return negotiate(request.headers.get("accept-language"), default=user.locale)


class NotificationController(Controller):
    path = "/api/v1/notifications"
    security = BEARER
    tags = ["notifications"]

    @get("/", guards=[any_user])
    async def list_notifications(
        self,
        request: Request,
        db: NamedDependency[AsyncSession],
        unread: Annotated[bool, QueryParameter(description="Only the unread ones")] = False,
        limit: Annotated[int, QueryParameter(ge=1, le=notifications.MAX_PAGE)] = 50,
    ) -> NotificationPageOut:
        """Your notifications, newest first, and how many are unread."""
        user: CurrentUser = request.user
        page = await notifications.list_for(db, user.id, unread_only=unread, limit=limit)
        locale = _locale(request, user)
        return NotificationPageOut(
            items=[NotificationOut.of(n, user, locale) for n in page.items], unread=page.unread
        )

    @post("/{notification_id:uuid}/read", guards=[any_user], status_code=200)
    async def mark_read(
        self, request: Request, hub: NamedDependency[Hub], notification_id: FromPath[uuid.UUID]
    ) -> NotificationOut:
        """Mark one of your notifications read (someone else's answers 404)."""
        user: CurrentUser = request.user
        row = await notifications.mark_read(hub, user.id, notification_id)
        return NotificationOut.of(row, user, _locale(request, user))
