"""Who performs an action: a logged-in user, a channel, the system or an operator at the CLI."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from hub.domain import STAFF_ROLES, PortalPermission, Role


class RoleHolder:
    """Staff or partner follows from the role alone, for an actor and for the web's logged-in user."""

    role: Role | None

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def is_partner(self) -> bool:
        return self.role is Role.PARTNER


@dataclass(frozen=True)
class Actor(RoleHolder):
    kind: str  # user | channel | system | cli
    user_id: uuid.UUID | None = None
    role: Role | None = None
    organization_id: uuid.UUID | None = None
    name: str | None = None
    #: A partner user's permissions in the portal (:mod:`hub.portal.permissions`); empty for staff.
    portal_permissions: frozenset[PortalPermission] = frozenset()


SYSTEM = Actor(kind="system")
CLI = Actor(kind="cli")
CHANNEL = Actor(kind="channel")
