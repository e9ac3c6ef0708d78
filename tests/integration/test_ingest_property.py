"""One engine, any batching: a generated stream of inbound messages (a few contacts on a mailbox and
an API channel; replies by reference and conversation key, quoted ticket numbers, auto-replies,
notices, duplicates, agents' outbound calls (reaching the client or not), clients' calls answered on the
phone, calls logged at their own time, survey answers; agents resolving, closing and parking tickets between bursts; time gaps just
inside and just past the thread and reopen windows) gives the same tickets, messages, events,
assignments, results and realtime events whether every message is ingested alone (``ingest.ingest``)
or the bursts are cut into batches anywhere (``ingest.ingest_many``).

Messages of one burst arrive together; batches never span a time gap, as in production where a
batch is what arrived while the previous one was processed.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hub.actors import CLI
from hub.core import Hub
from hub.domain import ChannelKind, Role, TicketStatus
from hub.errors import HubError
from hub.events.subscribers import core_bus
from hub.intake import channel_instances, ingest
from hub.intake.inbound import InboundMessage, IngestResult, Sender
from hub.models import AuditEvent, Contact, ContactIdentity, Message, RawInbound, Ticket, TicketEvent, User
from hub.ports import RealtimeEvent
from hub.tickets import tickets
from tests import factories
from tests.conftest import _TABLES

pytestmark = [pytest.mark.anyio, pytest.mark.integration]

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
START = datetime(2026, 3, 4, 2, 0, tzinfo=UTC)  # 10:00 in Beijing, a Wednesday


class TickingClock:
    """Every reading is a microsecond after the previous one, as a real clock: messages of one
    burst are apart, however many readings each way of batching takes."""

    def __init__(self, start: datetime) -> None:
        self.at = start

    def now(self) -> datetime:
        self.at += timedelta(microseconds=1)
        return self.at


class Recorder:
    def __init__(self) -> None:
        self.events: list[RealtimeEvent] = []

    async def publish(self, events: list[RealtimeEvent]) -> None:
        self.events.extend(events)


@dataclasses.dataclass(frozen=True)
class Spec:
    channel: str  # email | api
    sender: int
    kind: str  # new | reply | hint | auto | notice | thread | again | call | survey
    pick: int  # which earlier message, number or conversation key the kind points at


@dataclasses.dataclass(frozen=True)
class Burst:
    gap: str
    action: str  # what an agent does to the newest ticket before the burst
    messages: list[Spec]
    cuts: list[bool]  # after message n, start a new batch


_GAPS = ("minute", "thread-in", "thread-out", "reopen-in", "reopen-out")
_specs = st.builds(
    Spec,
    channel=st.sampled_from(["email", "api"]),
    sender=st.integers(0, 2),
    kind=st.sampled_from(
        [
            "new",
            "reply",
            "reply",
            "hint",
            "auto",
            "notice",
            "thread",
            "again",
            "call",
            "attempt",
            "answered",
            "logged",
            "survey",
        ]
    ),
    pick=st.integers(0, 50),
)
_bursts = st.lists(
    st.builds(
        Burst,
        gap=st.sampled_from(_GAPS),
        action=st.sampled_from(["none", "none", "resolve", "close", "pending"]),
        messages=st.lists(_specs, min_size=1, max_size=6),
        cuts=st.lists(st.booleans(), min_size=6, max_size=6),
    ),
    min_size=1,
    max_size=4,
)


@dataclasses.dataclass
class World:
    hub: Hub
    clock: TickingClock
    recorder: Recorder
    email: uuid.UUID
    api: uuid.UUID
    lead: User
    seeds: dict[str, int]
    seed_ids: list[uuid.UUID]


async def _staff(hub: Hub) -> tuple[User, uuid.UUID, uuid.UUID]:
    """The team, its people, the client organisation and the two channels: made by the first run of
    a test, kept by the next ones (hashing passwords is the slow part of a world)."""
    async with hub.uow() as uow:
        lead = await uow.session.scalar(sa.select(User).where(User.email == "lead@hub.example"))
        by_name = dict((await uow.session.execute(sa.text("SELECT name, id FROM channels"))).all())
    if lead is not None:
        return lead, by_name["Mailbox"], by_name["API"]
    async with hub.uow() as uow:
        await uow.session.execute(sa.text(f"TRUNCATE {_TABLES} RESTART IDENTITY CASCADE"))
        await uow.commit()
    team = await factories.team(hub, name="Support")
    emails = ["agent0@hub.example", "agent1@hub.example", "lead@hub.example", "manager@hub.example"]
    for email in emails:
        role = Role.SUPERVISOR if email.startswith("lead") else Role.AGENT
        await factories.user(hub, role, team_id=team.id if email.startswith("agent") else None, email=email)
    async with hub.uow() as uow:  # ids fixed, so routing ties break alike in every run
        for n, email in enumerate(emails):
            await uow.session.execute(
                sa.update(User).where(User.email == email).values(id=uuid.UUID(int=n + 1))
            )
        await uow.commit()
    await factories.organization(hub, manager=uuid.UUID(int=4), domains=["client.example"])
    email = await channel_instances.add_channel(
        hub, CLI, kind=ChannelKind.EMAIL, name="Mailbox", team_id=team.id, config={"address": "s@hub.example"}
    )
    api = await channel_instances.add_channel(hub, CLI, kind=ChannelKind.API, name="API", team_id=team.id)
    return await factories.get(hub, User, uuid.UUID(int=3)), email.channel.id, api.channel.id


async def _world(hub: Hub) -> World:
    clock = TickingClock(START)
    recorder = Recorder()
    hub = dataclasses.replace(hub, clock=clock, publisher=recorder, bus=core_bus())
    lead, email, api = await _staff(hub)
    async with hub.uow() as uow:
        tables = ", ".join(
            t.name for t in (Ticket.__table__, Contact.__table__, RawInbound.__table__, AuditEvent.__table__)
        )
        await uow.session.execute(sa.text(f"TRUNCATE {tables} CASCADE"))
        await uow.session.execute(sa.text("ALTER SEQUENCE ticket_number_seq RESTART WITH 10001"))
        await uow.session.execute(sa.update(User).values(last_assigned_at=None))
        await uow.commit()
    seeds = {}
    seed_ids = []
    for key, channel_id, status in (
        ("seed-closed", email, TicketStatus.CLOSED),
        ("seed-resolved", api, TicketStatus.RESOLVED),
    ):
        result = await ingest.ingest(
            hub,
            InboundMessage(
                channel_id=channel_id,
                external_id=key,
                sender=Sender(_sender(channel_id == email, 0)),
                text=key,
            ),
        )
        assert result.ticket_id is not None
        await tickets.set_status(hub, factories.actor(lead), result.ticket_id, status)
        seeds[key] = (await factories.get(hub, Ticket, result.ticket_id)).number
        seed_ids.append(result.ticket_id)
    clock.at += timedelta(days=hub.settings.reopen_window_days + 1)
    recorder.events.clear()
    return World(hub, clock, recorder, email, api, lead, seeds, seed_ids)


def _sender(email: bool, n: int) -> str:
    if email:
        return f"c{n}@client.example" if n < 2 else "c2@elsewhere.example"
    return f"user-{n}"


def _messages(world: World, bursts: list[Burst]) -> list[list[list[InboundMessage]]]:
    """Per burst, its batches of messages (as cut), built in stream order."""
    made: list[InboundMessage] = []
    numbers = [*world.seeds.values(), 99999]
    out = []
    for burst in bursts:
        batches: list[list[InboundMessage]] = [[]]
        for n, spec in enumerate(burst.messages):
            is_email = spec.channel == "email"
            fields: dict[str, Any] = {"thread_by_recency": not is_email}
            earlier = [m.external_id for m in made] + list(world.seeds)
            if spec.kind == "again" and made:
                message = made[spec.pick % len(made)]
            else:
                if spec.kind in ("reply", "auto"):
                    fields["references"] = (earlier[spec.pick % len(earlier)],)
                    fields["is_auto"] = spec.kind == "auto"
                elif spec.kind == "hint":
                    fields["ticket_number_hint"] = numbers[spec.pick % len(numbers)]
                elif spec.kind == "notice":
                    fields["opens_ticket"] = False
                elif spec.kind == "thread" and not is_email:
                    fields["thread_ref"] = f"conversation-{spec.pick % 3}"
                elif spec.kind == "call":  # an agent's outbound call (the first agent)
                    fields.update(direction="outbound", author_user_id=uuid.UUID(int=1))
                elif spec.kind == "attempt":  # an agent's call nobody picked up: answers nothing
                    fields.update(direction="outbound", author_user_id=uuid.UUID(int=1), reached=False)
                elif spec.kind == "answered":  # a client's call an agent picked up
                    answered_at = START + timedelta(minutes=spec.pick)
                    fields.update(answered_at=answered_at, answered_by_user_id=uuid.UUID(int=1))
                elif spec.kind == "logged":  # a call from a PBX's log, measured at its own time
                    fields.update(sent_at=START + timedelta(minutes=spec.pick), at_sent_time=True)
                elif spec.kind == "survey":
                    fields["survey_ticket_id"] = world.seed_ids[spec.pick % len(world.seed_ids)]
                message = InboundMessage(
                    channel_id=world.email if is_email else world.api,
                    external_id=f"m{len(made)}",
                    sender=Sender(_sender(is_email, spec.sender), name=f"Client {spec.sender}"),
                    subject=f"subject {len(made)}",
                    text=f"{spec.kind} {len(made)}",
                    **fields,
                )
            made.append(message)
            batches[-1].append(message)
            if burst.cuts[n] and n < len(burst.messages) - 1:
                batches.append([])
        out.append(batches)
    return out


def _gap(hub: Hub, gap: str) -> timedelta:
    thread = timedelta(hours=hub.settings.thread_window_hours)
    reopen = timedelta(days=hub.settings.reopen_window_days)
    return {
        "minute": timedelta(minutes=1),
        "thread-in": thread - timedelta(minutes=1),
        "thread-out": thread + timedelta(minutes=1),
        "reopen-in": reopen - timedelta(hours=1),
        "reopen-out": reopen + timedelta(hours=1),
    }[gap]


async def _act(world: World, action: str) -> None:
    if action == "none":
        return
    async with world.hub.uow() as uow:
        newest = await uow.session.scalar(sa.select(Ticket.id).order_by(Ticket.number.desc()).limit(1))
    target = {
        "resolve": TicketStatus.RESOLVED,
        "close": TicketStatus.CLOSED,
        "pending": TicketStatus.PENDING,
    }[action]
    with contextlib.suppress(HubError):  # a move the ticket's state does not allow: alike in both runs
        await tickets.set_status(world.hub, factories.actor(world.lead), newest, target)


async def _run(hub: Hub, bursts: list[Burst], *, alone: bool) -> dict[str, Any]:
    world = await _world(hub)
    results: list[Any] = []
    for burst, batches in zip(bursts, _messages(world, bursts), strict=True):
        world.clock.at += _gap(world.hub, burst.gap)
        await _act(world, burst.action)
        for batch in batches:
            if alone:
                for message in batch:
                    results.append(await ingest.ingest(world.hub, message))
            else:
                results.extend(await ingest.ingest_many(world.hub, [(m, None) for m in batch]))
    return await _dump(world, results)


async def _dump(world: World, results: list[Any]) -> dict[str, Any]:
    labels: dict[str, str] = {}
    async with world.hub.uow() as uow:
        s = uow.session
        for ticket_id, number in await s.execute(sa.select(Ticket.id, Ticket.number)):
            labels[str(ticket_id)] = f"T{number}"
        for message_id, ext in await s.execute(sa.select(Message.id, Message.external_id)):
            labels[str(message_id)] = f"M{ext}"
        for contact_id, value in await s.execute(
            sa.select(ContactIdentity.contact_id, ContactIdentity.value)
        ):
            labels[str(contact_id)] = f"C{value}"
        for user_id, email in await s.execute(sa.select(User.id, User.email)):
            labels[str(user_id)] = f"U{email}"
        dump = {
            "tickets": [
                list(r)
                for r in await s.execute(
                    sa.select(
                        Ticket.number,
                        Ticket.subject,
                        Ticket.status,
                        Ticket.contact_id,
                        Ticket.organization_id.is_(None),
                        Ticket.channel_id,
                        Ticket.assignee_id,
                        Ticket.linked_ticket_id,
                        Ticket.reopen_count,
                    ).order_by(Ticket.number)
                )
            ],
            "messages": [
                list(r)
                for r in await s.execute(
                    sa.select(
                        Message.external_id,
                        Message.ticket_id,
                        Message.direction,
                        Message.is_auto,
                        Message.author_contact_id,
                        Message.author_user_id,
                    ).order_by(Message.external_id)
                )
            ],
            "events": [
                list(r)
                for r in await s.execute(
                    sa.select(
                        TicketEvent.ticket_id,
                        TicketEvent.kind,
                        TicketEvent.actor_user_id,
                        TicketEvent.message_id,
                        TicketEvent.data,
                    ).order_by(TicketEvent.at, TicketEvent.id)
                )
            ],
            "raw": [
                list(r)
                for r in await s.execute(
                    sa.select(RawInbound.external_id, RawInbound.status).order_by(RawInbound.external_id)
                )
            ],
            "results": [
                [r.ticket_id, r.created_ticket, r.duplicate] if isinstance(r, IngestResult) else repr(r)
                for r in results
            ],
            "realtime": [
                [e.name, e.data.get("ticket_id"), e.data.get("number")] for e in world.recorder.events
            ],
        }
    dump["events"].sort(key=lambda e: labels.get(str(e[0]), ""))  # stable: each ticket's log in order
    text = json.dumps(dump, default=str, sort_keys=True, ensure_ascii=False)
    return json.loads(_UUID.sub(lambda m: labels.get(m.group(0), "?"), text))


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(bursts=_bursts)
async def test_any_batching_of_a_stream_gives_what_messages_alone_give(hub, bursts: list[Burst]) -> None:
    alone = await _run(hub, bursts, alone=True)
    batched = await _run(hub, bursts, alone=False)
    for key in alone:
        assert batched[key] == alone[key], key
