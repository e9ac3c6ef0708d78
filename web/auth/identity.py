"""The authenticated user as the web layer sees it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from hub.actors import Actor, RoleHolder
from hub.domain import PortalPermission, Role
from hub.models import User


@dataclass(frozen=True)
class CurrentUser(RoleHolder):
    id: uuid.UUID
    email: str
    name: str
    role: Role
    organization_id: uuid.UUID | None
    team_id: uuid.UUID | None
    locale: str
    time_zone: str
    totp_enabled: bool
    portal_permissions: frozenset[PortalPermission] = frozenset()

    @classmethod
    def of(cls, user: User) -> CurrentUser:
        return cls(
            id=user.id,
            email=user.email,
            name=user.name,
            role=user.role,
            organization_id=user.organization_id,
            team_id=user.team_id,
            locale=user.locale,
            time_zone=user.time_zone,
            totp_enabled=user.totp_enabled,
            portal_permissions=frozenset(PortalPermission(p) for p in user.portal_permissions),
        )

    @property
    def actor(self) -> Actor:
        return Actor(
            kind="user",
            user_id=self.id,
            role=self.role,
            organization_id=self.organization_id,
            name=self.name,
            portal_permissions=self.portal_permissions,
        )


@dataclass(frozen=True)
class IntegrationClient:
    """Another system (the ERP) authenticated by an integration token: no user, no role, only the
    token's scope, so every role guard refuses it and only :data:`web.auth.guards.sync_clients`
    lets it in."""

    id: uuid.UUID
    name: str
    scope: str
    role: None = None

    @property
    def actor(self) -> Actor:
        return Actor(kind="integration", name=self.name)


@dataclass(frozen=True)
class AuthInfo:
    """How the request was authenticated; ``session`` requests must pass the CSRF check."""

    method: str  # session | jwt | api_token
    session_id: str | None = None
    csrf_token: str | None = None
