"""Which kinds of staff notification are also e-mailed (the admin's notification settings).

Every notification stays in-app; the setting only decides whether its e-mail copy goes out from
the mailbox marked for notifications. A kind nobody configured is e-mailed, so the hub behaves as
it did before the setting existed. The setting is read when the copy is about to be sent
(:func:`hub.notifications.email`), so a change applies to copies still queued.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, get_args

import msgspec
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from hub import permissions
from hub.actors import Actor
from hub.commands import Command
from hub.errors import InvalidInput
from hub.events.admin import SettingsChanged
from hub.models import NotificationSetting

if TYPE_CHECKING:
    from hub.core import Hub

#: Every kind of notification the hub writes (``notifications.kind``; its text is
#: ``notification_<kind>`` in :mod:`hub.i18n`).
Kind = Literal[
    "sla_warning",
    "sla_breached",
    "escalated",
    "handoff_requested",
    "handoff_warning",
    "handoff_breached",
    "handoff_answered",
    "requirement_recorded",
    "requirement_transferred",
    "requirement_feedback_warning",
    "requirement_feedback_breached",
    "playbook",
]
KINDS: tuple[str, ...] = get_args(Kind)


@dataclass(frozen=True)
class KindSetting:
    kind: str
    email: bool


class SettingsChange(Command, frozen=True, forbid_unknown_fields=True):
    """Per kind, whether its e-mail copy goes out; kinds left out keep their setting."""

    email: dict[Kind, bool] = msgspec.field(default_factory=dict)


async def read(session: AsyncSession) -> list[KindSetting]:
    stored = dict(
        (await session.execute(sa.select(NotificationSetting.kind, NotificationSetting.email))).all()
    )
    return [KindSetting(kind, stored.get(kind, True)) for kind in KINDS]


async def emails(session: AsyncSession, kind: str) -> bool:
    """Whether a notification of ``kind`` is e-mailed (yes unless an admin turned it off)."""
    found = await session.scalar(sa.select(NotificationSetting.email).where(NotificationSetting.kind == kind))
    return True if found is None else found


async def update(hub: Hub, actor: Actor, change: SettingsChange) -> list[KindSetting]:
    permissions.require_admin(actor)
    unknown = sorted(set(change.email) - set(KINDS))
    if unknown:
        raise InvalidInput(detail=f"email: unknown notification kinds {', '.join(unknown)}")
    async with hub.uow() as uow:
        current = {s.kind: s.email for s in await read(uow.session)}
        changed: dict[str, bool] = {k: v for k, v in change.email.items() if current[k] != v}
        if changed:
            now = hub.clock.now()
            statement = insert(NotificationSetting).values(
                [{"kind": k, "email": v, "updated_at": now} for k, v in changed.items()]
            )
            await uow.session.execute(
                statement.on_conflict_do_update(
                    index_elements=[NotificationSetting.kind],
                    set_={"email": statement.excluded.email, "updated_at": now},
                )
            )
            uow.emit(
                SettingsChanged.of(
                    actor,
                    "notification_settings.updated",
                    "email",
                    at=now,
                    before={k: current[k] for k in changed},
                    after=changed,
                )
            )
        result = await read(uow.session)
        await uow.commit()
    return result
