"""Builders for the people, organizations and channels most tests need, through the real use-cases."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import sqlalchemy as sa
from litestar.testing import AsyncTestClient

from hub.accounts import accounts
from hub.actors import CLI, Actor
from hub.core import Hub
from hub.domain import ChannelKind, OrganizationKind, PortalPermission, Presence, Role, TicketEventKind, Tier
from hub.intake import channel_instances, ingest
from hub.intake.inbound import InboundMessage, IngestResult, Sender
from hub.models import AuditEvent, Channel, Organization, Team, TicketEvent, User

PASSWORD = "correct horse battery"
T = TypeVar("T")
_seq = itertools.count(1)


async def team(hub: Hub, name: str | None = None, **fields: object) -> Team:
    """A team; ``fields`` set its other columns (``calendar="cn"``, ``lead_id=...``)."""
    async with hub.uow() as uow:
        row = Team(id=uuid.uuid4(), name=name or f"Team {next(_seq)}", **fields)
        uow.session.add(row)
        await uow.commit()
        return row


async def user(
    hub: Hub,
    role: Role = Role.AGENT,
    *,
    team_id: uuid.UUID | None = None,
    organization_id: uuid.UUID | None = None,
    email: str | None = None,
    presence: Presence = Presence.AVAILABLE,
    capacity: int = 0,
    portal_permissions: frozenset[PortalPermission] | None = None,
    name: str | None = None,
) -> User:
    created = await accounts.create_user(
        hub,
        CLI,
        accounts.NewUser(
            email=email or f"{role.value}{next(_seq)}@example.test",
            name=name or f"{role.value.title()} {next(_seq)}",
            role=role,
            password=PASSWORD,
            team_id=team_id,
            organization_id=organization_id,
            capacity=capacity,
            portal_permissions=portal_permissions,
        ),
    )
    if presence is not Presence.AVAILABLE:
        await accounts.set_presence(hub, CLI, created.id, presence)
    return created


async def organization(
    hub: Hub,
    *,
    kind: OrganizationKind = OrganizationKind.CLIENT,
    tier: Tier = Tier.STANDARD,
    manager: uuid.UUID | None = None,
    backup: uuid.UUID | None = None,
    domains: list[str] | None = None,
    name: str | None = None,
) -> Organization:
    async with hub.uow() as uow:
        row = Organization(
            id=uuid.uuid4(),
            name=name or f"Org {next(_seq)}",
            kind=kind,
            tier=tier,
            account_manager_id=manager,
            backup_manager_id=backup,
            domains=domains or [],
        )
        uow.session.add(row)
        await uow.commit()
        return row


@dataclass
class ApiChannel:
    channel: Channel
    token: str
    webhook_secret: str


async def api_channel(
    hub: Hub, *, team_id: uuid.UUID | None = None, callback_url: str | None = None
) -> ApiChannel:
    config = {"callback_url": callback_url} if callback_url else {}
    created = await channel_instances.add_channel(
        hub, CLI, kind=ChannelKind.API, name=f"API {next(_seq)}", team_id=team_id, config=config
    )
    assert created.token and created.webhook_secret
    return ApiChannel(created.channel, created.token, created.webhook_secret)


#: The least each kind's settings schema accepts; a WeChat channel's AppSecret is never in the
#: tests' environment, so it reaches no account.
_SETTINGS: dict[ChannelKind, Callable[[int], dict[str, Any]]] = {
    ChannelKind.EMAIL: lambda n: {"address": f"mailbox{n}@hub.example"},
    ChannelKind.WECHAT: lambda n: {
        "app_id": f"wx-test-{n}",
        "token": "test-token",
        "secret_env": "HUB_TEST_UNSET",
    },
    ChannelKind.WEBCHAT: lambda n: {"origins": ["https://shop.example"]},
}


async def channel(
    hub: Hub, kind: ChannelKind, *, team_id: uuid.UUID | None = None, **settings: Any
) -> Channel:
    n = next(_seq)
    config = {**_SETTINGS.get(kind, lambda n: {})(n), **settings}
    created = await channel_instances.add_channel(
        hub, CLI, kind=kind, name=f"{kind.value} {n}", team_id=team_id, config=config
    )
    return created.channel


async def inbound(
    hub: Hub,
    channel_id: uuid.UUID,
    *,
    sender: str = "client@example.com",
    text: str = "Hello",
    external_id: str | None = None,
    **fields: object,
) -> IngestResult:
    message = InboundMessage(
        channel_id=channel_id,
        external_id=external_id or f"ext-{uuid.uuid4()}",
        sender=Sender(identity=sender, name=fields.pop("name", None)),  # type: ignore[arg-type]
        text=text,
        **fields,  # type: ignore[arg-type]
    )
    return await ingest.ingest(hub, message)


async def count(hub: Hub, model: type) -> int:
    async with hub.uow() as uow:
        return await uow.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0


def actor_cli() -> Actor:
    """The operator at the command line: trusted, acting for nobody in particular."""
    return CLI


def actor(person: User) -> Actor:
    """The actor a logged-in user acts as, for calling use-cases directly."""
    return Actor(
        kind="user",
        user_id=person.id,
        role=person.role,
        organization_id=person.organization_id,
        name=person.name,
        portal_permissions=frozenset(PortalPermission(p) for p in person.portal_permissions),
    )


async def events(hub: Hub, ticket_id: uuid.UUID) -> list[TicketEvent]:
    """The ticket's event log, oldest first."""
    async with hub.uow() as uow:
        rows = await uow.session.scalars(
            sa.select(TicketEvent)
            .where(TicketEvent.ticket_id == ticket_id)
            .order_by(TicketEvent.at, TicketEvent.id)
        )
        return list(rows)


async def events_of_kind(
    hub: Hub, kinds: list[TicketEventKind], ticket_id: uuid.UUID | None = None
) -> list[TicketEvent]:
    """Events of these kinds in the order they were written, of one ticket or of all: what a sweep or
    a ladder recorded, without the log entries around them."""
    async with hub.uow() as uow:
        query = sa.select(TicketEvent).where(TicketEvent.kind.in_(kinds))
        if ticket_id is not None:
            query = query.where(TicketEvent.ticket_id == ticket_id)
        return list(await uow.session.scalars(query.order_by(TicketEvent.id)))


async def audit_trail(hub: Hub, subject_id: uuid.UUID) -> list[AuditEvent]:
    async with hub.uow() as uow:
        rows = await uow.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.subject_id == str(subject_id)).order_by(AuditEvent.id)
        )
        return list(rows)


async def get(hub: Hub, model: type[T], row_id: object) -> T:
    async with hub.uow() as uow:
        row = await uow.session.get(model, row_id)
        assert row is not None, f"no {model.__name__} {row_id}"
        return row


async def login(client: AsyncTestClient, person: User, password: str = PASSWORD) -> dict[str, str]:
    """Log in through the API and return bearer headers. Drops the session cookies the login set,
    so the requests made with these headers are authenticated by the bearer token alone."""
    response = await client.post("/api/v1/auth/login", json={"email": person.email, "password": password})
    assert response.status_code == 200, response.text
    client.cookies.clear()
    return {"Authorization": f"Bearer {response.json()['token']}"}
