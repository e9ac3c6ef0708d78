"""Integration tokens: credentials for another system (the ERP), not for a person.

A personal API token acts as its user with all the user's rights; an integration token has no
user and only its scope (``sync``: the ERP upserts), so the ERP's credential cannot read tickets
or act as an administrator. Shown once when made; only its SHA-256 is kept.
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from hub import permissions
from hub.actors import Actor
from hub.core import Hub
from hub.errors import InvalidInput, NotFound
from hub.events.admin import SettingsChanged
from hub.models import IntegrationToken
from hub.security import new_token, token_digest

INTEGRATION_TOKEN_PREFIX = "hub_int_"  # noqa: S105 - a prefix, not a secret
SCOPES = frozenset({"sync"})


def actor_of(row: IntegrationToken) -> Actor:
    return Actor(kind="integration", name=row.name)


async def create(hub: Hub, actor: Actor, *, name: str, scope: str) -> tuple[IntegrationToken, str]:
    permissions.require_admin(actor)
    if scope not in SCOPES:
        raise InvalidInput(detail=f"the scope must be one of {', '.join(sorted(SCOPES))}")
    label = name.strip()
    if not label or len(label) > 120:
        raise InvalidInput(detail="the name must have 1 to 120 characters")
    token = new_token(INTEGRATION_TOKEN_PREFIX)
    async with hub.uow() as uow:
        row = IntegrationToken(
            id=uuid.uuid4(),
            name=label,
            scope=scope,
            token_hash=token_digest(token),
            created_at=hub.clock.now(),
        )
        uow.session.add(row)
        uow.emit(
            SettingsChanged.of(
                actor,
                "integration_token.created",
                row.id,
                at=hub.clock.now(),
                after={"name": label, "scope": scope},
            )
        )
        await uow.commit()
        return row, token


async def revoke(hub: Hub, actor: Actor, token_id: uuid.UUID) -> None:
    permissions.require_admin(actor)
    async with hub.uow() as uow:
        row = await uow.session.get(IntegrationToken, token_id, with_for_update=True)
        if row is None:
            raise NotFound(what="integration token")
        row.revoked_at = row.revoked_at or hub.clock.now()
        uow.emit(SettingsChanged.of(actor, "integration_token.revoked", row.id, at=hub.clock.now()))
        await uow.commit()


async def holder(hub: Hub, token: str) -> IntegrationToken | None:
    """The live token row for a presented token, its use recorded; None for an unknown or revoked one."""
    async with hub.uow() as uow:
        row = await uow.session.scalar(
            sa.select(IntegrationToken).where(
                IntegrationToken.token_hash == token_digest(token), IntegrationToken.revoked_at.is_(None)
            )
        )
        if row is None:
            return None
        row.last_used_at = hub.clock.now()
        await uow.commit()
        return row
