"""Portal permissions: a partner's first user can do everything; others only what they were given."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from hub.accounts import accounts
from hub.actors import CLI
from hub.domain import ALL_PORTAL_PERMISSIONS, OrganizationKind, PortalPermission, Role
from hub.errors import Forbidden, InvalidInput
from hub.models import User
from hub.portal import permissions
from tests import factories

pytestmark = pytest.mark.anyio


async def test_a_partner_user_left_unsaid_gets_every_permission_and_staff_none(hub) -> None:
    partner = await factories.organization(hub, kind=OrganizationKind.PARTNER)
    first = await factories.user(hub, Role.PARTNER, organization_id=partner.id)
    agent = await factories.user(hub, Role.AGENT)

    assert set(first.portal_permissions) == {p.value for p in ALL_PORTAL_PERMISSIONS}
    assert agent.portal_permissions == []
    for permission in PortalPermission:
        assert permissions.may(factories.actor(first), permission)
        assert permissions.may(factories.actor(agent), permission)
        assert permissions.may(CLI, permission)


async def test_a_partner_user_without_a_permission_is_refused_in_its_language(hub) -> None:
    partner = await factories.organization(hub, kind=OrganizationKind.PARTNER)
    clerk = await factories.user(
        hub,
        Role.PARTNER,
        organization_id=partner.id,
        portal_permissions=frozenset({PortalPermission.DELIVERIES}),
    )
    actor = factories.actor(clerk)

    permissions.require(actor, PortalPermission.DELIVERIES)
    with pytest.raises(Forbidden) as refused:
        permissions.require(actor, PortalPermission.PRICES)
    assert refused.value.code == "portal_permission_needed"
    assert "prices" in str(refused.value)


async def test_staff_cannot_be_given_portal_permissions(hub) -> None:
    with pytest.raises(InvalidInput):
        await accounts.create_user(
            hub,
            CLI,
            accounts.NewUser(
                email="agent-with-prices@example.test",
                name="Agent",
                role=Role.AGENT,
                portal_permissions=frozenset({PortalPermission.PRICES}),
            ),
        )
    agent = await factories.user(hub, Role.AGENT)
    with pytest.raises(IntegrityError):
        async with hub.uow() as uow:
            await uow.session.execute(
                sa.update(User).where(User.id == agent.id).values(portal_permissions=["prices"])
            )
            await uow.commit()


async def test_the_database_refuses_a_permission_nobody_knows(hub) -> None:
    partner = await factories.organization(hub, kind=OrganizationKind.PARTNER)
    person = await factories.user(hub, Role.PARTNER, organization_id=partner.id)
    with pytest.raises(IntegrityError):
        async with hub.uow() as uow:
            await uow.session.execute(
                sa.update(User).where(User.id == person.id).values(portal_permissions=["everything"])
            )
            await uow.commit()
