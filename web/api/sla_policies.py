"""SLA policies: administrators list, create, edit and delete them; every change is audited."""

from __future__ import annotations

import uuid
from datetime import datetime

import msgspec
from litestar import Controller, Request, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from hub.core import Hub
from hub.sla import policies as sla_policies
from hub.sla.policies import NewPolicy, PolicyChanges, PolicyView
from web.auth.guards import BEARER, admins
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
        """The view field for field, its enums as their values: a field added to the view and here
        needs no line of copying."""
        return cls(**msgspec.to_builtins(view, builtin_types=(datetime, uuid.UUID)))


# Request bodies are the services' commands themselves, subclassed only to keep the names the API
# schema has always published: a field is added to the command, and the schema follows.


class PolicyIn(NewPolicy):
    """Match criteria (null matches any) and targets (duration specs, null for none)."""


class PolicyPatch(PolicyChanges):
    """Only the fields sent change; ``null`` widens a criterion to "any" or removes a target."""


class SlaPolicyController(Controller):
    path = "/api/v1/sla-policies"
    security = BEARER
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
        return PolicyOut.of(sla_policies.view_of(await sla_policies.create_policy(hub, user.actor, data)))

    @patch("/{policy_id:uuid}", guards=[admins], description=SPEC_DOC)
    async def update(
        self,
        request: Request,
        hub: NamedDependency[Hub],
        policy_id: FromPath[uuid.UUID],
        data: JSONBody[PolicyPatch],
    ) -> PolicyOut:
        user: CurrentUser = request.user
        updated = await sla_policies.update_policy(hub, user.actor, policy_id, data)
        return PolicyOut.of(sla_policies.view_of(updated))

    @delete("/{policy_id:uuid}", guards=[admins])
    async def remove(
        self, request: Request, hub: NamedDependency[Hub], policy_id: FromPath[uuid.UUID]
    ) -> None:
        """Tickets that used it move to the next matching policy at their next event or recompute."""
        user: CurrentUser = request.user
        await sla_policies.delete_policy(hub, user.actor, policy_id)
