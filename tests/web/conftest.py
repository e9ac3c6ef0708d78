"""Fixtures for the HTTP tests: a cast of logged-in users, one per role."""

from __future__ import annotations

import pytest
from litestar.testing import AsyncTestClient

from hub.core import Hub
from hub.domain import OrganizationKind, Role
from tests import factories
from tests.web.helpers import Cast, login


@pytest.fixture
async def cast(hub: Hub, client: AsyncTestClient) -> Cast:
    org = await factories.organization(hub, kind=OrganizationKind.PARTNER, domains=["partner.example"])
    people = {
        Role.ADMIN: await factories.user(hub, Role.ADMIN),
        Role.SUPERVISOR: await factories.user(hub, Role.SUPERVISOR),
        Role.AGENT: await factories.user(hub, Role.AGENT),
        Role.PARTNER: await factories.user(hub, Role.PARTNER, organization_id=org.id),
    }
    headers = {role: await login(client, person.email) for role, person in people.items()}
    return Cast(
        admin=people[Role.ADMIN],
        supervisor=people[Role.SUPERVISOR],
        agent=people[Role.AGENT],
        partner=people[Role.PARTNER],
        partner_org=org,
        headers=headers,
    )
