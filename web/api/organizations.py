"""Organizations: staff read all, a partner reads only its own; administrators create and edit."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import msgspec
from litestar import Controller, Request, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter
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


#: The most organisations one answer lists when a ``limit`` is asked for.
MAX_LIST = 200


class OrganizationController(Controller):
    path = "/api/v1/organizations"
    security = BEARER
    tags = ["organizations"]

    @get("/", guards=[any_user])
    async def list_organizations(
        self,
        request: Request,
        db: NamedDependency[AsyncSession],
        q: Annotated[
            str | None,
            QueryParameter(
                description="Part of the name, in any case; names starting with it first", max_length=200
            ),
        ] = None,
        limit: Annotated[int | None, QueryParameter(ge=1, le=MAX_LIST)] = None,
    ) -> list[OrganizationOut]:
        """Every organization for staff (or those whose name holds ``q``, as the inbox's filter asks
        while an agent types); for a partner, only its own."""
        user: CurrentUser = request.user
        found = await directory.list_organizations(
            db, user.actor, containing=(q or "").strip() or None, limit=limit
        )
        return [OrganizationOut.of(o, user.actor) for o in found]

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
