"""Who performs an action: a logged-in user, a channel, the system or an operator at the CLI."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from hub.domain import STAFF_ROLES, Role


@dataclass(frozen=True)
class Actor:
    kind: str  # user | channel | system | cli
    user_id: uuid.UUID | None = None
    role: Role | None = None
    organization_id: uuid.UUID | None = None
    name: str | None = None

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def is_partner(self) -> bool:
        return self.role is Role.PARTNER


SYSTEM = Actor(kind="system")
CLI = Actor(kind="cli")
CHANNEL = Actor(kind="channel")
