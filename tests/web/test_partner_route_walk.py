"""Partner A walks every route of the app with partner B's ids and learns nothing of B.

The routes are read off the running app, so a route added later is walked without anyone
editing this file. One that cannot be walked is named in ``NOT_WALKED`` with the reason, and a
path parameter the walk has no id for fails the walk until the other organization's object of
that kind is added to the world below: a new route fails here until it is classified.

Each route is called with B's ids in its path. Mutating methods carry a plausible body built
from the handler's own data type, with B's ids in its id fields and B's words in its text;
handlers with id or search query parameters are called a second time with B's ids and words
there. Then: no response body or header names B (ids, ticket numbers, subjects, contact names,
e-mail addresses, organization name, requirement and hand-off text), a route that names one of
B's objects in its path refuses (401, 403 or 404), and B's rows are exactly as they were.
The routes that take ids are walked once more with A's own (one of A's tickets follows one of
B's): reading its own records must not name B either. The live-update stream has its own walk.
No response to partner A names a member of the staff by id either (the assignee of A's ticket,
the author of its reply, its organization's account managers): the partner page shows "Support
team", and the API gives partners the same view.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import uuid
from dataclasses import dataclass
from typing import Any

import msgspec.inspect as mi
import pytest
import sqlalchemy as sa
from litestar.routes import HTTPRoute, WebSocketRoute

from hub.accounts import teams
from hub.actors import CLI
from hub.domain import ChannelKind, OrganizationKind, Role
from hub.intake.inbound import InboundAttachment
from hub.models import (
    ActionItem,
    Attachment,
    Contact,
    ContactIdentity,
    DateProposal,
    DeliverySchedule,
    Handoff,
    Meeting,
    MeetingSeries,
    Message,
    Notification,
    Organization,
    Outbox,
    PortalLink,
    PortalOrder,
    PortalOrderLine,
    QualityCase,
    QualityStep,
    Requirement,
    RequirementEvent,
    ScheduleChange,
    ShippingNotice,
    ShippingNoticeLine,
    Ticket,
    TicketEvent,
    TicketSla,
    User,
)
from hub.portal import action_items, links, meetings, quality
from hub.portal.terms import LinkObject, MeetingKind
from hub.tickets import merge as ticket_merge
from tests import factories
from tests.portal import orders as portal_orders
from tests.web.helpers import login

pytestmark = pytest.mark.anyio

#: Routes the walk does not call, each with why it cannot apply.
NOT_WALKED_PREFIXES = {
    "/static": "the pages' stylesheet, script and icons: files shipped with the code, no records",
    "/schema": "the OpenAPI documents and viewers: generated from the code, no records",
}
NOT_WALKED = {
    ("GET", "/channels/wechat/{channel_id:uuid}"): (
        "WeChat's URL check: refused without the signature WeChat's server makes with the channel's "
        "token, before any record is read (tests/wechat)"
    ),
    ("POST", "/channels/wechat/{channel_id:uuid}"): (
        "WeChat's push: refused without WeChat's signature before the body is read (tests/wechat)"
    ),
}
#: The websocket routes and the test below that walks each.
WEBSOCKETS = {
    "/api/v1/stream": "test_the_stream_carries_nothing_of_the_other_organization",
    # A web-chat visitor's socket takes the visitor's token, never a login: what one token reads
    # is tests/web/test_webchat.py's (a token reads only its own conversation).
    "/widget/v1/{channel_id:uuid}/socket": "test_a_token_reads_only_its_own_conversation",
}
#: Refusals; 401 for the routes that take other credentials than a login (channel tokens).
REFUSED = {401, 403, 404}
#: Walked last: it ends partner A's session.
LAST = ("POST", "/api/v1/auth/logout")
#: Body and query fields that name a person, whatever their prefix (``owner_id``, ``assignee``).
PERSON_FIELDS = {
    "assignee",
    "owner",
    "manager",
    "account_manager",
    "backup_manager",
    "liaison",
    "lead",
    "head",
}
#: Merging contacts names two contacts.
CONTACT_FIELDS = {"source", "target"}
#: B's ticket numbers are moved this far from A's, so they can be looked for in any response.
NUMBER_OFFSET = 86_420_000
_PARAM = re.compile(r"\{([^}:]+):([a-z]+)\}")
_NOT_QUERY = {"self", "request", "socket", "data", "headers", "cookies", "state", "scope"}


@dataclass
class World:
    a_headers: dict[str, str]
    a_ticket_id: str
    b_org_id: uuid.UUID
    b_ticket_ids: list[uuid.UUID]
    b_email: str
    #: Path parameter name -> the id the walk puts there: B's object where one of that kind exists.
    ids: dict[str, str]
    #: The same for A's own objects: reading them must not name B either (a ticket following B's).
    own_ids: dict[str, str]
    #: What must never reach partner A.
    secrets: list[str]
    #: The staff's user ids, among them the assignee and reply author of A's ticket and A's account
    #: managers: never in an answer to partner A, about A's records or B's.
    staff_ids: list[str]
    #: A word of B's subjects, for search parameters.
    probe: str


async def _make_world(hub, client, cast) -> World:
    admin, agent = cast.as_(Role.ADMIN), cast.as_(Role.AGENT)
    email = await factories.channel(hub, ChannelKind.EMAIL)
    api = await factories.api_channel(hub)
    orgs, tickets = {}, {}
    for side, domain, subject in (
        ("a", "alpha-walk.example", "甲方交付延期"),
        ("b", "beta-walk.example", "乙方质量问题"),
    ):
        org = await factories.organization(hub, kind=OrganizationKind.PARTNER, domains=[domain])
        orgs[side] = org
        tickets[side] = []
        for n in range(2):
            result = await factories.inbound(
                hub,
                email.id,
                sender=f"buyer{n}@{domain}",
                name=f"{side.upper()}walk-contact-{n}",
                subject=f"{subject} {side.upper()}walk-subject {n}",
                text=f"{subject} {side.upper()}walk-body {n}",
                attachments=(
                    InboundAttachment(
                        filename=f"{side.upper()}walk-报告.pdf", content_type="application/pdf", data=b"%PDF"
                    ),
                ),
            )
            tickets[side].append(result.ticket_id)
    a_org, b_org = orgs["a"], orgs["b"]
    # A's ticket is answered, so it has an assignee and a reply author; A has account managers.
    answered = await client.post(
        f"/api/v1/tickets/{tickets['a'][0]}/reply", json={"text": "Awalk-reply"}, headers=agent
    )
    assert answered.status_code == 201, answered.text
    managed = await client.patch(
        f"/api/v1/organizations/{a_org.id}",
        json={"account_manager_id": str(cast.agent.id), "backup_manager_id": str(cast.supervisor.id)},
        headers=admin,
    )
    assert managed.status_code == 200, managed.text
    renamed = await client.patch(
        f"/api/v1/organizations/{b_org.id}", json={"name": "Beta 乙方物流 walk-org"}, headers=admin
    )
    assert renamed.status_code == 200, renamed.text
    a_user = await factories.user(hub, Role.PARTNER, organization_id=a_org.id)
    b_user = await factories.user(hub, Role.PARTNER, organization_id=b_org.id)
    named = await client.patch(
        f"/api/v1/users/{b_user.id}", json={"name": "Bwalk-partner-person"}, headers=admin
    )
    assert named.status_code == 200, named.text

    b_ticket = tickets["b"][0]
    note = await client.post(f"/api/v1/tickets/{b_ticket}/notes", json={"text": "Bwalk-note"}, headers=agent)
    assert note.status_code == 201, note.text
    requirement = await client.post(
        f"/api/v1/tickets/{b_ticket}/requirements", json={"content": "Bwalk-requirement"}, headers=agent
    )
    assert requirement.status_code == 201, requirement.text
    liaisons = await factories.team(hub, "Walk liaisons")
    liaison = await factories.user(hub, Role.AGENT, team_id=liaisons.id)
    await teams.update_team(hub, CLI, liaisons.id, teams.TeamChanges(liaison_id=liaison.id))
    handoff = await client.post(
        f"/api/v1/tickets/{b_ticket}/handoffs",
        json={"team_id": str(liaisons.id), "note": "Bwalk-handoff"},
        headers=agent,
    )
    assert handoff.status_code == 201, handoff.text
    portal = {}
    for side, org in (("a", a_org), ("b", b_org)):
        label = f"{side.upper()}walk"
        case = await quality.open_case(
            hub,
            factories.actor(cast.agent),
            org.id,
            quality.NewCase(title=f"{label}-case 质量", description=label),
        )
        series = await meetings.create_series(
            hub,
            factories.actor(cast.agent),
            org.id,
            kind=MeetingKind.WEEKLY_SYNC,
            title=f"{label}-sync",
            starts_at=dt.datetime.now(dt.UTC) + dt.timedelta(days=1),
        )
        item = await action_items.create(
            hub, CLI, org.id, action_items.NewActionItem(title=f"{label}-item", owner_user_id=cast.agent.id)
        )
        meeting = await _scalar(hub, sa.select(Meeting.id).where(Meeting.series_id == series.id))
        await meetings.save_minutes(hub, factories.actor(cast.agent), meeting, minutes=f"{label}-minutes")
        await meetings.publish(
            hub, factories.actor(cast.agent), meeting, [meetings.Decision(f"{label}-decision", cast.agent.id)]
        )
        portal[side] = {"case": case, "meeting": meeting, "item": item.id}
    b_step = await _scalar(
        hub,
        sa.select(QualityStep.id).where(
            QualityStep.case_id == portal["b"]["case"].id, QualityStep.discipline == "D3"
        ),
    )
    b_link = await links.issue(hub, CLI, b_user.id, LinkObject.QUALITY_STEP, b_step)
    await links.act(hub, b_link.token, b_link.code, answer="Bwalk-answer")  # spent: refused to anyone now
    token = await client.post("/api/v1/auth/tokens", json={"name": "walk"}, headers=admin)
    policy = await client.post(
        "/api/v1/sla-policies",
        json={"name": "walk policy", "channel_kind": "email", "first_response": "1bd"},
        headers=admin,
    )
    assert token.status_code == 201 and policy.status_code == 201, (token.text, policy.text)
    decision = await client.post(
        "/api/v1/decisions/",
        json={"title": "walk decision", "body": "to the staff, not to partners"},
        headers=admin,
    )
    assert decision.status_code == 201, decision.text
    view = await client.post("/api/v1/views/", json={"name": "walk view", "filters": {}}, headers=agent)
    assert view.status_code == 201, view.text
    # A merge of two tickets of no organisation's: undoing it is a supervisor's, refused to A.
    loose = [await factories.inbound(hub, email.id, sender=f"loose{i}@walk.example") for i in (1, 2)]
    merged = await ticket_merge.merge(
        hub, factories.actor(cast.supervisor), loose[0].ticket_id, loose[1].ticket_id
    )
    # The portal: each partner has an order, a delivery schedule, a date proposal and a notice.
    a_work, b_work = await portal_orders.work(hub, a_user), await portal_orders.work(hub, b_user)

    async with hub.uow() as uow:
        await uow.session.execute(
            sa.update(Ticket)
            .where(Ticket.organization_id == b_org.id)
            .values(number=Ticket.number + NUMBER_OFFSET)
        )
        numbers = list(
            await uow.session.scalars(sa.select(Ticket.number).where(Ticket.organization_id == b_org.id))
        )
        contacts = list(
            await uow.session.scalars(sa.select(Contact).where(Contact.organization_id == b_org.id))
        )
        messages = list(
            await uow.session.scalars(sa.select(Message).where(Message.ticket_id.in_(tickets["b"])))
        )
        attachments = list(
            await uow.session.scalars(
                sa.select(Attachment).where(Attachment.message_id.in_([m.id for m in messages]))
            )
        )
        notification = await uow.session.scalar(
            sa.select(Notification.id).where(Notification.ticket_id == b_ticket).limit(1)
        )
        await uow.commit()
    # Two who wrote by e-mail, and the portal's contacts: B itself (its quality case's
    # conversation) and B's user (who answered a step).
    assert len(contacts) == 4 and len(attachments) == 2 and notification is not None
    # One of A's people quotes B's ticket number: A gets a new ticket that follows B's.
    b_number = await _scalar(hub, sa.select(Ticket.number).where(Ticket.id == b_ticket))
    quoting = await factories.inbound(
        hub,
        email.id,
        sender="buyer9@alpha-walk.example",
        name="Awalk-contact-9",
        subject="Re: Awalk-subject quoting",
        text="Awalk-body quoting",
        ticket_number_hint=b_number,
    )
    linked = await _scalar(hub, sa.select(Ticket.linked_ticket_id).where(Ticket.id == quoting.ticket_id))
    assert linked == b_ticket, "the world needs an A ticket that follows one of B's"
    inbound = next(m for m in messages if m.ticket_id == b_ticket and m.direction.value == "inbound")
    ids = {
        "ticket_id": b_ticket,
        "message_id": inbound.id,
        "attachment_id": next(a.id for a in attachments if a.message_id == inbound.id),
        "contact_id": inbound.author_contact_id,
        "organization_id": b_org.id,
        "user_id": b_user.id,
        "requirement_id": requirement.json()["id"],
        "handoff_id": handoff.json()["id"],
        "notification_id": notification,
        # Not any organization's: the walk names them so partner A is seen refused there too.
        "team_id": liaisons.id,
        "channel_id": api.channel.id,
        "extension": "301",  # a phone line's extension: admins' settings
        # A draft's kind (an agent's own unsent reply); the admin page that adds a channel of a kind
        # is refused to a partner whatever the kind.
        "kind": "reply",
        "policy_id": policy.json()["id"],
        "token_id": token.json()["id"],
        "decision_id": decision.json()["id"],
        "name": "cn",  # a business calendar: admins' settings
        "day": "2026-10-01",
        "order_id": b_work.order_id,
        "line": 1,
        "line_id": b_work.line_ids[0],
        "notice_id": b_work.notice_id,
        "proposal_id": b_work.proposal_id,
        "schedule_id": b_work.schedule_id,
        "change_id": b_work.change_id,
        # The ERP sync's path names an entity, the ERP and its key: B's order's, refused to A.
        "entity": "orders",
        "source": "sap",
        "external_ref": b_work.external_ref,
        "batch": "orders:batch",
        "case_id": portal["b"]["case"].id,
        "discipline": "D3",
        "meeting_id": portal["b"]["meeting"],
        "item_id": portal["b"]["item"],
        # A single-use link of B's, already used: the link is its own credential, refused once spent;
        # on a survey's landing page the same value is no signed survey link either.
        "token": b_link.token,
        "merge_id": merged.id,
        "view_id": view.json()["id"],
        "ref": str(b_number),  # a report's ticket: a number or an imported conversation's ref
    }
    a_attachment = await _scalar(
        hub,
        sa.select(Attachment)
        .join(Message, Message.id == Attachment.message_id)
        .where(Message.ticket_id == tickets["a"][0]),
    )
    own_ids = {
        "ticket_id": quoting.ticket_id,
        "message_id": quoting.message_id,
        "attachment_id": a_attachment.id,
        "contact_id": await _scalar(hub, sa.select(Ticket.contact_id).where(Ticket.id == quoting.ticket_id)),
        "organization_id": a_org.id,
        "user_id": a_user.id,
        "order_id": a_work.order_id,
        "line": 1,
        "line_id": a_work.line_ids[0],
        "notice_id": a_work.notice_id,
        "proposal_id": a_work.proposal_id,
        "schedule_id": a_work.schedule_id,
        "change_id": a_work.change_id,
        "case_id": portal["a"]["case"].id,
        "discipline": "D3",
        "meeting_id": portal["a"]["meeting"],
        "item_id": portal["a"]["item"],
    }
    secrets = [
        str(b_org.id),
        "walk-org",
        "乙方",
        "beta-walk",
        "Bwalk",
        *(str(t) for t in tickets["b"]),
        *(str(n) for n in numbers),
        *(str(c.id) for c in contacts),
        *(str(m.id) for m in messages),
        *(str(a.id) for a in attachments),
        str(b_user.id),
        b_user.email,
        requirement.json()["id"],
        handoff.json()["id"],
        str(notification),
        b_work.number,
        b_work.external_ref,
        str(b_work.order_id),
        *(str(x) for x in b_work.line_ids),
        str(b_work.notice_id),
        str(b_work.proposal_id),
        str(b_work.schedule_id),
        str(b_work.change_id),
        str(portal["b"]["case"].id),
        str(portal["b"]["case"].ticket_id),
        portal["b"]["case"].number,
        str(portal["b"]["meeting"]),
        str(portal["b"]["item"]),
        b_link.token,
    ]
    return World(
        a_headers=await login(client, a_user.email),
        a_ticket_id=str(tickets["a"][0]),
        b_org_id=b_org.id,
        b_ticket_ids=tickets["b"],
        b_email=b_user.email,
        ids={name: str(value) for name, value in ids.items()},
        own_ids={name: str(value) for name, value in own_ids.items()},
        secrets=secrets,
        staff_ids=[str(u.id) for u in (cast.admin, cast.supervisor, cast.agent, liaison)],
        probe="质量问题",
    )


async def _b_rows(hub, world: World) -> dict[str, list[tuple]]:
    """Every row of B's that a route could change, whole."""
    tickets = world.b_ticket_ids
    messages = sa.select(Message.id).where(Message.ticket_id.in_(tickets))
    contacts = sa.select(Contact.id).where(Contact.organization_id == world.b_org_id)
    requirements = sa.select(Requirement.id).where(Requirement.ticket_id.in_(tickets))
    orders = sa.select(PortalOrder.id).where(PortalOrder.organization_id == world.b_org_id)
    notices = sa.select(ShippingNotice.id).where(ShippingNotice.organization_id == world.b_org_id)
    queries = {
        "organization": sa.select(Organization.__table__).where(Organization.id == world.b_org_id),
        "users": sa.select(User.__table__).where(User.organization_id == world.b_org_id),
        "contacts": sa.select(Contact.__table__).where(Contact.id.in_(contacts)),
        "identities": sa.select(ContactIdentity.__table__).where(ContactIdentity.contact_id.in_(contacts)),
        "tickets": sa.select(Ticket.__table__).where(Ticket.id.in_(tickets)),
        "messages": sa.select(Message.__table__).where(Message.id.in_(messages)),
        "attachments": sa.select(Attachment.__table__).where(Attachment.message_id.in_(messages)),
        "outbox": sa.select(Outbox.__table__).where(Outbox.message_id.in_(messages)),
        "events": sa.select(TicketEvent.__table__).where(TicketEvent.ticket_id.in_(tickets)),
        "sla": sa.select(TicketSla.__table__).where(TicketSla.ticket_id.in_(tickets)),
        "requirements": sa.select(Requirement.__table__).where(Requirement.id.in_(requirements)),
        "requirement_events": sa.select(RequirementEvent.__table__).where(
            RequirementEvent.requirement_id.in_(requirements)
        ),
        "handoffs": sa.select(Handoff.__table__).where(Handoff.ticket_id.in_(tickets)),
        "notifications": sa.select(Notification.__table__).where(Notification.ticket_id.in_(tickets)),
        "orders": sa.select(PortalOrder.__table__).where(PortalOrder.organization_id == world.b_org_id),
        "order_lines": sa.select(PortalOrderLine.__table__).where(PortalOrderLine.order_id.in_(orders)),
        "proposals": sa.select(DateProposal.__table__).where(DateProposal.organization_id == world.b_org_id),
        "schedules": sa.select(DeliverySchedule.__table__).where(
            DeliverySchedule.organization_id == world.b_org_id
        ),
        "schedule_changes": sa.select(ScheduleChange.__table__).where(
            ScheduleChange.organization_id == world.b_org_id
        ),
        "notices": sa.select(ShippingNotice.__table__).where(
            ShippingNotice.organization_id == world.b_org_id
        ),
        "notice_lines": sa.select(ShippingNoticeLine.__table__).where(
            ShippingNoticeLine.notice_id.in_(notices)
        ),
        "quality_cases": sa.select(QualityCase.__table__).where(
            QualityCase.organization_id == world.b_org_id
        ),
        "quality_steps": sa.select(QualityStep.__table__).where(
            QualityStep.organization_id == world.b_org_id
        ),
        "meetings": sa.select(Meeting.__table__).where(Meeting.organization_id == world.b_org_id),
        "meeting_series": sa.select(MeetingSeries.__table__).where(
            MeetingSeries.organization_id == world.b_org_id
        ),
        "action_items": sa.select(ActionItem.__table__).where(ActionItem.organization_id == world.b_org_id),
        "portal_links": sa.select(PortalLink.__table__).where(PortalLink.organization_id == world.b_org_id),
    }
    async with hub.uow() as uow:
        return {
            name: sorted((tuple(row) for row in await uow.session.execute(query)), key=repr)
            for name, query in queries.items()
        }


async def _scalar(hub, query: sa.Select) -> Any:
    async with hub.uow() as uow:
        return await uow.session.scalar(query)


def _id_for(world: World, name: str) -> str | None:
    """B's id for a field or parameter called ``name`` (``ticket_id``, ``organization``, ``owner``)."""
    stem = name.removesuffix("_id")
    if stem in PERSON_FIELDS:
        return world.ids["user_id"]
    if stem in CONTACT_FIELDS:
        return world.ids["contact_id"]
    return world.ids.get(f"{stem}_id")


def _sample(world: World, name: str, info: mi.Type) -> Any:
    """A plausible value of this type, as JSON, naming B wherever it can."""
    if isinstance(info, mi.UnionType):
        chosen = [t for t in info.types if not isinstance(t, mi.NoneType)]
        return _sample(world, name, chosen[0]) if chosen else None
    if isinstance(info, mi.StructType):
        return {f.encode_name: _sample(world, f.name, f.type) for f in info.fields}
    if isinstance(info, mi.UUIDType):
        return _id_for(world, name) or world.ids["ticket_id"]
    if isinstance(info, mi.StrType):
        if "email" in name:
            return world.b_email
        if "base64" in name:
            return base64.b64encode(b"walk").decode()
        return _id_for(world, name) or f"walk {world.probe}"
    if isinstance(info, mi.EnumType):
        return next(iter(info.cls)).value
    if isinstance(info, mi.LiteralType):
        return info.values[0]
    if isinstance(info, (mi.ListType, mi.SetType, mi.FrozenSetType, mi.VarTupleType)):
        return [_sample(world, name, info.item_type)]
    if isinstance(info, mi.DictType):
        return {}
    if isinstance(info, mi.BoolType):
        return True
    if isinstance(info, (mi.IntType, mi.FloatType, mi.DecimalType)):
        return 1
    if isinstance(info, mi.DateTimeType):
        return dt.datetime.now(dt.UTC).isoformat()
    if isinstance(info, mi.DateType):
        return dt.date.today().isoformat()
    return None


def _body(world: World, handler) -> Any:
    field = handler.parsed_data_field
    if field is None:
        return {}
    try:
        return _sample(world, "data", mi.type_info(field.annotation))
    except (TypeError, ValueError):  # not a msgspec-describable type: an empty object
        return {}


def _query(world: World, handler, path_names: set[str]) -> dict[str, str]:
    """B's ids, and a word of B's, for the handler's id and search query parameters."""
    dependencies = set(handler.resolve_dependencies())
    found = {}
    for name in handler.parsed_fn_signature.parameters:
        if name in _NOT_QUERY or name in path_names or name in dependencies:
            continue
        value = world.probe if name in {"q", "search"} else _id_for(world, name)
        if value is not None:
            found[name] = value
    return found


def _routes(app) -> list[tuple[str, str, Any]]:
    found = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            for method in sorted(handler.http_methods - {"OPTIONS", "HEAD"}):
                found.append((method, route.path, handler))
    return sorted(found, key=lambda r: ((r[0], r[1]) == LAST, r[1], r[0]))


def _leaks(world: World, text: str) -> list[str]:
    return [secret for secret in [*world.secrets, *world.staff_ids] if secret in text]


@pytest.fixture
async def world(hub, client, cast) -> World:
    return await _make_world(hub, client, cast)


@dataclass
class Walk:
    walked: set[tuple[str, str]]
    calls: int
    problems: list[str]


async def _walk(hub, client, world: World, ids: dict[str, str], *, refuse: bool) -> Walk:
    """Call every walkable route with ``ids`` in its path. ``refuse``: the ids are B's, so each
    route that takes one must refuse. Without it (A's own ids) only routes that take an id are
    called, the others being the same call as in B's walk."""
    routes = _routes(client.app)
    before = await _b_rows(hub, world)
    walk = Walk(set(), 0, [])
    for method, path, handler in routes:
        if path.startswith(tuple(NOT_WALKED_PREFIXES)) or (method, path) in NOT_WALKED:
            continue
        path_names = {name for name, _ in _PARAM.findall(path)}
        if not refuse and (not path_names or path_names - set(ids) or (method, path) == LAST):
            continue
        missing = path_names - set(ids)
        assert not missing, f"{method} {path}: the walk has no object for {missing}; add one to the world"
        url = _PARAM.sub(lambda m: ids[m.group(1)], path)
        body = {"json": _body(world, handler)} if method in {"POST", "PUT", "PATCH"} else {}
        queries = [{}]
        if query := _query(world, handler, path_names):
            queries.append(query)
        for params in queries:
            response = await client.request(method, url, params=params, headers=world.a_headers, **body)
            walk.calls += 1
            where = f"{method} {url} {params or ''}"
            text, headers = response.text, json.dumps(dict(response.headers))
            if path_names:  # a problem's "instance" echoes the path A asked for: its own input
                text, headers = text.replace(url, "<requested>"), headers.replace(url, "<requested>")
            if leaked := _leaks(world, text + headers):
                walk.problems.append(f"{where} -> {response.status_code} names {leaked}: {text[:300]}")
            if refuse and path_names and response.status_code not in REFUSED:
                walk.problems.append(f"{where} -> {response.status_code}, not refused: {text[:300]}")
            if await _b_rows(hub, world) != before:
                walk.problems.append(f"{where} -> {response.status_code} changed partner B's records")
                before = await _b_rows(hub, world)
        walk.walked.add((method, path))
        if (method, path) == LAST:
            continue
        # The walk is only as good as the session it walks with: still partner A's, still working.
        me = await client.get("/api/v1/auth/me", headers=world.a_headers)
        assert me.status_code == 200, f"partner A's session did not survive {method} {path}"
    return walk


async def test_every_route_refuses_partner_a_everything_of_partner_b(hub, client, world) -> None:
    own = await _walk(hub, client, world, world.own_ids, refuse=False)
    walk = await _walk(hub, client, world, world.ids, refuse=True)
    assert not own.problems + walk.problems, "\n".join(own.problems + walk.problems)

    http = {(m, p) for m, p, _ in _routes(client.app)}
    not_walked = {(m, p) for m, p in http if p.startswith(tuple(NOT_WALKED_PREFIXES))} | set(NOT_WALKED)
    assert not_walked <= http, "NOT_WALKED names routes the app no longer has"
    assert walk.walked == http - not_walked and LAST in walk.walked
    assert own.walked, "A's own objects were walked too"
    sockets = {r.path for r in client.app.routes if isinstance(r, WebSocketRoute)}
    assert sockets == set(WEBSOCKETS), f"name the test that walks each websocket route: {sockets}"
    print(  # the walk's coverage, shown with -s
        f"route walk: {len(walk.walked)} of {len(http)} HTTP routes in {walk.calls} requests with B's ids, "
        f"{len(own.walked)} again in {own.calls} with A's own; not walked: {len(not_walked)}"
    )


async def test_the_walk_sees_what_partner_a_may_see(client, world) -> None:
    """The walk's login really is partner A's: its own ticket, attachment and organization answer."""
    own = await client.get(f"/api/v1/tickets/{world.a_ticket_id}", headers=world.a_headers)
    assert own.status_code == 200, own.text
    attachment = own.json()["messages"][0]["attachments"][0]["url"]
    assert (await client.get(attachment, headers=world.a_headers)).status_code == 200
    page = await client.get(f"/tickets/{world.a_ticket_id}", headers=world.a_headers)
    assert page.status_code == 200 and "Awalk-subject" in page.text
    listed = (await client.get("/api/v1/tickets", headers=world.a_headers)).json()["items"]
    # Two tickets, the one quoting B's, and its quality case's conversation.
    assert len(listed) == 4 and all("Awalk" in t["subject"] for t in listed)


async def test_the_stream_carries_nothing_of_the_other_organization(hub, client, world) -> None:
    """Events about B's ticket, then one about A's: the first A hears is its own."""
    socket_headers = {k.lower(): v for k, v in world.a_headers.items()}
    with await client.websocket_connect("/api/v1/stream", headers=socket_headers) as socket:
        socket.send_text("ping")
        assert json.loads(socket.receive_text(timeout=10)) == {"event": "pong"}
        staff = await login(client, (await factories.user(hub, Role.SUPERVISOR)).email)
        b_ticket, a_ticket = world.ids["ticket_id"], world.a_ticket_id
        for ticket_id in (b_ticket, a_ticket):
            moved = await client.post(
                f"/api/v1/tickets/{ticket_id}/priority", json={"priority": "high"}, headers=staff
            )
            assert moved.status_code == 200, moved.text
        heard = socket.receive_text(timeout=10)
    assert json.loads(heard)["ticket_id"] == a_ticket, heard
    assert not _leaks(world, heard)
