"""SLA policies: administrators list, create, edit and delete them; every change is audited."""

from __future__ import annotations

import uuid
from datetime import datetime

import msgspec
from litestar import Controller, Request, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from msgspec import UNSET, UnsetType
from sqlalchemy.ext.asyncio import AsyncSession

from hub.core import Hub
from hub.domain import ChannelKind, Priority, Tier
from hub.services import sla_policies
from hub.services.sla_policies import PolicyChanges, PolicyView
from web.auth.guards import admins
from web.auth.identity import CurrentUser

SPEC_DOC = "Duration spec: 30m, 24h, 2d (calendar time) or 3bm, 2bh, 1bd (business time); null: no target."


class PolicyOut(msgspec.Struct):
    id: uuid.UUID | None
    name: str
    channel_kind: str | None
    priority: str | None
    tier: str | None
    first_response: str | None
    next_response: str | None
    resolution: str | None
    position: int
    is_active: bool
    #: A built-in default (no row): it applies where no stored policy matches.
    builtin: bool
    created_at: datetime | None
    updated_at: datetime | None

    @classmethod
    def of(cls, view: PolicyView) -> PolicyOut:
        def plain(value: object) -> str | None:
            return getattr(value, "value", None)

        return cls(
            id=view.id,
            name=view.name,
            channel_kind=plain(view.channel_kind),
            priority=plain(view.priority),
            tier=plain(view.tier),
            first_response=view.first_response,
            next_response=view.next_response,
            resolution=view.resolution,
            position=view.position,
            is_active=view.is_active,
            builtin=view.builtin,
            created_at=view.created_at,
            updated_at=view.updated_at,
        )


class PolicyIn(msgspec.Struct, forbid_unknown_fields=True):
    """Match criteria (null matches any) and targets (duration specs, null for none)."""

    name: str
    channel_kind: ChannelKind | None = None
    priority: Priority | None = None
    tier: Tier | None = None
    first_response: str | None = None
    next_response: str | None = None
    resolution: str | None = None
    position: int = 0
    is_active: bool = True


class PolicyPatch(msgspec.Struct, forbid_unknown_fields=True):
    """Only the fields sent change; ``null`` widens a criterion to "any" or removes a target."""

    name: str | UnsetType = UNSET
    channel_kind: ChannelKind | UnsetType | None = UNSET
    priority: Priority | UnsetType | None = UNSET
    tier: Tier | UnsetType | None = UNSET
    first_response: str | UnsetType | None = UNSET
    next_response: str | UnsetType | None = UNSET
    resolution: str | UnsetType | None = UNSET
    position: int | UnsetType = UNSET
    is_active: bool | UnsetType = UNSET


class SlaPolicyController(Controller):
    path = "/api/v1/sla-policies"
    tags = ["sla"]

    @get("/", guards=[admins])
    async def list_policies(self, db: NamedDependency[AsyncSession]) -> list[PolicyOut]:
        """Stored policies and the built-in defaults in the order they are tried: for a ticket,
        the first active one that matches its channel, priority and client tier applies."""
        return [PolicyOut.of(v) for v in await sla_policies.list_policies(db)]

    @get("/{policy_id:uuid}", guards=[admins])
    async def read(self, db: NamedDependency[AsyncSession], policy_id: FromPath[uuid.UUID]) -> PolicyOut:
        return PolicyOut.of(sla_policies.view_of(await sla_policies.get_policy(db, policy_id)))

    @post("/", guards=[admins], description=SPEC_DOC)
    async def create(
        self, request: Request, hub: NamedDependency[Hub], data: JSONBody[PolicyIn]
    ) -> PolicyOut:
        user: CurrentUser = request.user
        row = await sla_policies.create_policy(hub, user.actor, PolicyChanges(**msgspec.structs.asdict(data)))
        return PolicyOut.of(sla_policies.view_of(row))

    @patch("/{policy_id:uuid}", guards=[admins], description=SPEC_DOC)
    async def update(
        self,
        request: Request,
        hub: NamedDependency[Hub],
        policy_id: FromPath[uuid.UUID],
        data: JSONBody[PolicyPatch],
    ) -> PolicyOut:
        user: CurrentUser = request.user
        changes = PolicyChanges(**msgspec.structs.asdict(data))
        return PolicyOut.of(
            sla_policies.view_of(await sla_policies.update_policy(hub, user.actor, policy_id, changes))
        )

    @delete("/{policy_id:uuid}", guards=[admins])
    async def remove(
        self, request: Request, hub: NamedDependency[Hub], policy_id: FromPath[uuid.UUID]
    ) -> None:
        """Tickets that used it move to the next matching policy at their next event or recompute."""
        user: CurrentUser = request.user
        await sla_policies.delete_policy(hub, user.actor, policy_id)
