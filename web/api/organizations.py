"""Organizations: staff read all, a partner reads only its own; administrators create and edit."""

from __future__ import annotations

import uuid
from datetime import datetime

import msgspec
from litestar import Controller, Request, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from hub import scope
from hub.accounts import directory, organizations
from hub.actors import Actor
from hub.core import Hub
from hub.models import Organization
from web.auth.guards import BEARER, admins, any_user
from web.auth.identity import CurrentUser


class OrganizationOut(msgspec.Struct):
    id: uuid.UUID
    name: str
    kind: str
    tier: str
    domains: list[str]
    account_manager_id: uuid.UUID | None
    backup_manager_id: uuid.UUID | None
    calendar: str
    created_at: datetime

    @classmethod
    def of(cls, row: Organization, viewer: Actor) -> OrganizationOut:
        """As ``viewer`` may read it: a partner is not told who its account managers are by id."""
        fields = {
            "id": row.id,
            "name": row.name,
            "kind": row.kind.value,
            "tier": row.tier.value,
            "domains": list(row.domains),
            "account_manager_id": row.account_manager_id,
            "backup_manager_id": row.backup_manager_id,
            "calendar": row.calendar,
            "created_at": row.created_at,
        }
        return cls(**scope.redact(viewer, fields))


# Request bodies are the services' commands themselves, subclassed only to keep the names the API
# schema has always published: a field is added to the command, and the schema follows.


class OrganizationIn(organizations.NewOrganization):
    """A client or partner organization; its mail domains must not belong to another."""


class OrganizationPatch(organizations.OrganizationChanges):
    """Only the fields sent change; ``null`` clears a manager."""


class OrganizationController(Controller):
    path = "/api/v1/organizations"
    security = BEARER
    tags = ["organizations"]

    @get("/", guards=[any_user])
    async def list_organizations(
        self, request: Request, db: NamedDependency[AsyncSession]
    ) -> list[OrganizationOut]:
        """Every organization for staff; for a partner, only its own."""
        user: CurrentUser = request.user
        return [OrganizationOut.of(o, user.actor) for o in await directory.list_organizations(db, user.actor)]

    @get("/{organization_id:uuid}", guards=[any_user])
    async def read(
        self, request: Request, db: NamedDependency[AsyncSession], organization_id: FromPath[uuid.UUID]
    ) -> OrganizationOut:
        user: CurrentUser = request.user
        return OrganizationOut.of(await directory.organization(db, user.actor, organization_id), user.actor)

    @post("/", guards=[admins])
    async def create(
        self, request: Request, hub: NamedDependency[Hub], data: JSONBody[OrganizationIn]
    ) -> OrganizationOut:
        user: CurrentUser = request.user
        return OrganizationOut.of(await organizations.create_organization(hub, user.actor, data), user.actor)

    @patch("/{organization_id:uuid}", guards=[admins])
    async def update(
        self,
        request: Request,
        hub: NamedDependency[Hub],
        organization_id: FromPath[uuid.UUID],
        data: JSONBody[OrganizationPatch],
    ) -> OrganizationOut:
        user: CurrentUser = request.user
        return OrganizationOut.of(
            await organizations.update_organization(hub, user.actor, organization_id, data), user.actor
        )
