"""Notification settings (administrators): which kinds of staff notification are also e-mailed."""

from __future__ import annotations

import msgspec
from litestar import Controller, Request, get, put
from litestar.di import NamedDependency
from litestar.params import JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from hub import notification_settings
from hub.core import Hub
from web.auth.guards import BEARER, admins
from web.auth.identity import CurrentUser


class KindSettingOut(msgspec.Struct):
    #: A notification kind: ``sla_warning``, ``escalated``, ``handoff_requested``…
    kind: str
    #: Whether its e-mail copy goes out (from the mailbox marked for notifications).
    email: bool


class SettingsIn(notification_settings.SettingsChange):
    """Per kind, ``true`` to e-mail it, ``false`` for in-app only; kinds left out stay as they are."""


class NotificationSettingsController(Controller):
    path = "/api/v1/notification-settings"
    security = BEARER
    tags = ["notifications"]
    guards = [admins]

    @get("/")
    async def read(self, db: NamedDependency[AsyncSession]) -> list[KindSettingOut]:
        return [KindSettingOut(s.kind, s.email) for s in await notification_settings.read(db)]

    @put("/")
    async def update(
        self, request: Request, hub: NamedDependency[Hub], data: JSONBody[SettingsIn]
    ) -> list[KindSettingOut]:
        user: CurrentUser = request.user
        return [
            KindSettingOut(s.kind, s.email) for s in await notification_settings.update(hub, user.actor, data)
        ]
