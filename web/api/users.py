"""Users: staff list them, administrators create and edit them, everyone edits their own profile.

No response here ever carries a password hash or a TOTP secret: :class:`UserItem` has no field
for them, so adding one to the model cannot leak it by accident.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import msgspec
from litestar import Controller, Request, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from hub.accounts import accounts, directory, users
from hub.core import Hub
from hub.domain import Role
from hub.models import User
from hub.tickets import reassignment
from web.auth.guards import BEARER, admins, any_user, staff, supervisors
from web.auth.identity import CurrentUser


class UserItem(msgspec.Struct):
    id: uuid.UUID
    email: str
    name: str
    role: str
    team_id: uuid.UUID | None
    organization_id: uuid.UUID | None
    locale: str
    time_zone: str
    presence: str
    capacity: int
    is_active: bool
    #: Escalation level 3: told of complaints at the top of the ladder.
    is_management: bool
    totp_enabled: bool
    last_login_at: datetime | None
    created_at: datetime

    @classmethod
    def of(cls, row: User) -> UserItem:
        return cls(
            id=row.id,
            email=row.email,
            name=row.name,
            role=row.role.value,
            team_id=row.team_id,
            organization_id=row.organization_id,
            locale=row.locale,
            time_zone=row.time_zone,
            presence=row.presence.value,
            capacity=row.capacity,
            is_active=row.is_active,
            is_management=row.is_management,
            totp_enabled=row.totp_enabled,
            last_login_at=row.last_login_at,
            created_at=row.created_at,
        )


# Request bodies are the services' commands themselves, subclassed only to keep the names the API
# schema has always published: a field is added to the command, and the schema follows.


class UserIn(accounts.NewUser):
    """A new staff or partner account; the role decides which."""


class UserPatch(users.UserChanges):
    """Only the fields sent change; ``"team_id": null`` takes the user out of their team."""


class ProfilePatch(users.ProfileChanges):
    """Only the fields sent change."""


class HandoverIn(msgspec.Struct, forbid_unknown_fields=True):
    reason: str | None = None


class MovedOut(msgspec.Struct):
    ticket_id: uuid.UUID
    number: int
    #: The new assignee; ``null``: back to the team queue.
    assignee_id: uuid.UUID | None
    reason: str


class HandoverOut(msgspec.Struct):
    user_id: uuid.UUID
    moved: list[MovedOut]


class UserController(Controller):
    path = "/api/v1/users"
    security = BEARER
    tags = ["users"]

    @get("/", guards=[staff])
    async def list_users(
        self,
        request: Request,
        db: NamedDependency[AsyncSession],
        role: FromQuery[Role | None] = None,
        team: FromQuery[uuid.UUID | None] = None,
    ) -> list[UserItem]:
        user: CurrentUser = request.user
        rows = await directory.list_users(db, user.actor, role=role, team_id=team)
        return [UserItem.of(u) for u in rows]

    @post("/", guards=[admins])
    async def create(self, request: Request, hub: NamedDependency[Hub], data: JSONBody[UserIn]) -> UserItem:
        user: CurrentUser = request.user
        return UserItem.of(await accounts.create_user(hub, user.actor, data))

    @patch("/me", guards=[any_user])
    async def update_me(
        self, request: Request, hub: NamedDependency[Hub], data: JSONBody[ProfilePatch]
    ) -> UserItem:
        """Your own presence, language and time zone."""
        user: CurrentUser = request.user
        return UserItem.of(await users.update_profile(hub, user.actor, data))

    @post("/{user_id:uuid}/handover", guards=[supervisors], status_code=200)
    async def handover(
        self,
        request: Request,
        hub: NamedDependency[Hub],
        user_id: FromPath[uuid.UUID],
        data: JSONBody[HandoverIn],
    ) -> HandoverOut:
        """Hand over the person's open tickets: a core client's go to its other dedicated manager
        when that manager can take them, the rest back to their team's queue; each move audited."""
        user: CurrentUser = request.user
        result = await reassignment.handover(hub, user.actor, user_id, reason=data.reason)
        return HandoverOut(
            user_id=result.user_id,
            moved=[MovedOut(m.ticket_id, m.number, m.assignee_id, m.reason) for m in result.moved],
        )

    @post("/{user_id:uuid}/2fa/reset", guards=[admins], status_code=200)
    async def reset_two_factor(
        self, request: Request, hub: NamedDependency[Hub], user_id: FromPath[uuid.UUID]
    ) -> UserItem:
        """Turn off the person's two-factor login (a lost phone); they can enrol again after
        logging in with their password."""
        user: CurrentUser = request.user
        return UserItem.of(await accounts.reset_totp(hub, user.actor, user_id))

    @patch("/{user_id:uuid}", guards=[admins])
    async def update(
        self,
        request: Request,
        hub: NamedDependency[Hub],
        user_id: FromPath[uuid.UUID],
        data: JSONBody[UserPatch],
    ) -> UserItem:
        """Deactivating (``is_active: false``) ends the user's access on their next request and hands
        their open tickets over (core clients' to the other dedicated manager, the rest to the queue)."""
        user: CurrentUser = request.user
        return UserItem.of(await users.update_user(hub, user.actor, user_id, data))
