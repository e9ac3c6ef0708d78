"""Logging in through the real endpoint, the people to log in as, and problem-details checks."""

from __future__ import annotations

from dataclasses import dataclass

from litestar.testing import AsyncTestClient

from hub.domain import Role
from hub.models import Organization, User
from tests import factories


async def login(client: AsyncTestClient, email: str, password: str = factories.PASSWORD) -> dict[str, str]:
    """Bearer headers for this user. The session cookie login also sets is dropped, so a request
    without these headers is really anonymous."""
    response = await client.post("/api/v1/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    client.cookies.clear()
    return {"Authorization": f"Bearer {response.json()['token']}"}


@dataclass
class Cast:
    admin: User
    supervisor: User
    agent: User
    partner: User
    partner_org: Organization
    headers: dict[Role, dict[str, str]]

    def as_(self, role: Role) -> dict[str, str]:
        return self.headers[role]


def assert_problem(response, status: int, code: str) -> dict:
    """An RFC 9457 problem with our stable code."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["code"] == code and body["status"] == status
    return body
