"""A partner with an account manager, a quality person and a case, as the portal tests need them."""

from __future__ import annotations

from dataclasses import dataclass

from hub.actors import Actor
from hub.core import Hub
from hub.domain import OrganizationKind, PortalPermission, Role
from hub.models import Organization, User
from hub.portal import quality
from tests import factories


@dataclass
class Partner:
    organization: Organization
    manager: User
    backup: User
    engineer: User
    #: A user of the partner without the quality permission (logistics).
    clerk: User

    @property
    def engineer_actor(self) -> Actor:
        return factories.actor(self.engineer)

    @property
    def manager_actor(self) -> Actor:
        return factories.actor(self.manager)


async def partner(hub: Hub) -> Partner:
    manager = await factories.user(hub, Role.AGENT)
    backup = await factories.user(hub, Role.SUPERVISOR)
    organization = await factories.organization(
        hub, kind=OrganizationKind.PARTNER, manager=manager.id, backup=backup.id
    )
    engineer = await factories.user(
        hub,
        Role.PARTNER,
        organization_id=organization.id,
        portal_permissions=frozenset({PortalPermission.QUALITY}),
    )
    clerk = await factories.user(
        hub,
        Role.PARTNER,
        organization_id=organization.id,
        portal_permissions=frozenset({PortalPermission.DELIVERIES}),
    )
    return Partner(organization, manager, backup, engineer, clerk)


async def case(
    hub: Hub, who: Partner, title: str = "来料尺寸超差 Dimension out of tolerance"
) -> quality.QualityCase:
    return await quality.open_case(
        hub,
        who.manager_actor,
        who.organization.id,
        quality.NewCase(title=title, description="Lot 42: 3 % out"),
    )
