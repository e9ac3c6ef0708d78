"""Importing conversations from a previous helpdesk (or a test's history) as if they happened live.

``hub import history FILE.jsonl``: one conversation per line (docs/metrics.md gives the format).
Each event is replayed at its own instant through the code live traffic takes: the client's
messages, an agent's messages and calls through the one funnel (``ingest`` with
``at_sent_time``), notes and status moves through the ticket use cases on a clock set to the
event's time, so the SLA policies, the clocks and the metric samples come out as they would have
then. What has no use case of its own (a bot's message, its hand-off to a human, an automatic
acknowledgement, survey events) is appended to the ticket's log at its instant with the clocks
refreshed in the same transaction.

A line is checked whole before anything of it is written (its JSON, every event's kind and
fields, times with an offset and in order, the people and channel it names), so a bad line is
reported with its number and reason and leaves nothing behind. A line's ``ref`` is kept as the
ticket's thread reference: importing the same file again imports nothing twice.
"""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import msgspec
import sqlalchemy as sa

from hub.actors import CLI, SYSTEM, Actor
from hub.core import Hub
from hub.db import ROW_LOCK
from hub.domain import (
    STAFF_ROLES,
    ChannelKind,
    DeliveryStatus,
    Direction,
    Priority,
    Scenario,
    TicketEventKind,
    TicketStatus,
)
from hub.errors import HubError
from hub.intake import ingest
from hub.intake.inbound import InboundMessage, Sender
from hub.models import Channel, Message, Organization, Team, ThreadRef, Ticket, User
from hub.reporting import projection
from hub.sla import service as sla
from hub.tickets import tickets, timeline
from hub.tickets.status import can_move

#: Kept as the ticket's thread reference (``hub report ticket REF`` finds it by this).
REF_PREFIX = "import:"
EVENT_KINDS = frozenset(
    {
        "customer_message",
        "agent_message",
        "auto_reply",
        "bot_message",
        "handoff",
        "note",
        "pending",
        "resolved",
        "call",
        "csat_sent",
        "csat_response",
        "csat_not_sent",
    }
)
OPENING_KINDS = frozenset({"customer_message", "agent_message", "call"})
DISPOSITIONS = frozenset({"answered", "no_answer", "busy", "failed", "voicemail"})


class Contact(msgspec.Struct, frozen=True):
    identity: str
    name: str | None = None


class Event(msgspec.Struct, frozen=True):
    at: datetime
    kind: str
    by: str | None = None
    text: str | None = None
    direction: str | None = None
    disposition: str | None = None
    talk_seconds: int | None = None
    rating: int | None = None
    comment: str | None = None
    reason: str | None = None
    channel: str | None = None


class Conversation(msgspec.Struct, frozen=True):
    ref: str
    channel: str
    contact: Contact
    events: list[Event]
    subject: str = ""
    organization: str | None = None
    assignee: str | None = None
    team: str | None = None
    priority: str | None = None
    scenario: str | None = None


class Problem(msgspec.Struct, frozen=True):
    line: int
    reason: str


class Summary(msgspec.Struct):
    lines: int = 0
    imported: int = 0
    duplicate: int = 0
    rejected: int = 0
    problems: list[Problem] = msgspec.field(default_factory=list)


class _Bad(Exception):
    pass


@dataclasses.dataclass(frozen=True)
class _FixedClock:
    at: datetime

    def now(self) -> datetime:
        return self.at


@dataclasses.dataclass
class _Known:
    """People, teams, organisations and channels the lines name, looked up once per import."""

    users: dict[str, User]
    teams: dict[str, uuid.UUID]
    organizations: dict[str, uuid.UUID]
    channels: dict[str, uuid.UUID]


async def _known(hub: Hub) -> _Known:
    async with hub.uow() as uow:
        s = uow.session
        users = {u.email.lower(): u for u in await s.scalars(sa.select(User).where(User.is_active))}
        teams = {k: v for k, v in (await s.execute(sa.select(Team.name, Team.id)))}
        organizations = {k: v for k, v in (await s.execute(sa.select(Organization.name, Organization.id)))}
        channels: dict[str, uuid.UUID] = {}
        for kind, channel_id in await s.execute(
            sa.select(Channel.kind, Channel.id).where(Channel.is_active).order_by(Channel.created_at)
        ):
            channels.setdefault(str(kind), channel_id)
    return _Known(users, teams, organizations, channels)


def _staff(known: _Known, email: str | None, what: str) -> User | None:
    if email is None:
        return None
    user = known.users.get(email.strip().lower())
    if user is None or user.role not in STAFF_ROLES:
        raise _Bad(f"{what}: {email!r} is not an active staff user")
    return user


def _check(line: Conversation, known: _Known) -> None:
    """Everything that can be known wrong before writing anything."""
    if not line.ref.strip() or len(line.ref) > 200:
        raise _Bad("ref must be 1-200 characters")
    if line.channel not in {k.value for k in ChannelKind}:
        raise _Bad(f"channel {line.channel!r} is not one of {', '.join(k.value for k in ChannelKind)}")
    if line.channel not in known.channels:
        raise _Bad(f"no active {line.channel} channel to import into (add one with hub channel add)")
    if not line.contact.identity.strip():
        raise _Bad("contact.identity is empty")
    if line.priority is not None and line.priority not in {p.value for p in Priority}:
        raise _Bad(f"priority {line.priority!r} is not one of {', '.join(p.value for p in Priority)}")
    if line.scenario is not None and line.scenario not in {s.value for s in Scenario}:
        raise _Bad(f"scenario {line.scenario!r} is not one of {', '.join(s.value for s in Scenario)}")
    if line.team is not None and line.team not in known.teams:
        raise _Bad(f"team {line.team!r} does not exist")
    if line.organization is not None and line.organization not in known.organizations:
        raise _Bad(f"organization {line.organization!r} does not exist")
    _staff(known, line.assignee, "assignee")
    if not line.events:
        raise _Bad("events is empty")
    if line.events[0].kind not in OPENING_KINDS:
        raise _Bad("the first event must be a customer_message, an agent_message or a call")
    previous: datetime | None = None
    for number, event in enumerate(line.events, start=1):
        where = f"event {number}"
        if event.at.tzinfo is None or event.at.utcoffset() is None:
            raise _Bad(f"{where}: at {event.at.isoformat()} has no UTC offset")
        if previous is not None and event.at < previous:
            raise _Bad(f"{where}: at {event.at.isoformat()} is before the event above it")
        previous = event.at
        if event.kind not in EVENT_KINDS:
            raise _Bad(f"{where}: kind {event.kind!r} is not one of {', '.join(sorted(EVENT_KINDS))}")
        _staff(known, event.by, where)
        if event.kind in ("customer_message", "agent_message") and not (event.text or "").strip():
            raise _Bad(f"{where}: a {event.kind} needs text")
        if event.kind == "agent_message" and event.by is None:
            raise _Bad(f"{where}: an agent_message needs by (the agent's e-mail)")
        if event.kind == "call":
            if event.direction not in ("inbound", "outbound"):
                raise _Bad(f"{where}: a call needs direction inbound or outbound")
            if event.disposition not in DISPOSITIONS:
                raise _Bad(f"{where}: disposition must be one of {', '.join(sorted(DISPOSITIONS))}")
            if event.talk_seconds is not None and event.talk_seconds < 0:
                raise _Bad(f"{where}: talk_seconds cannot be negative")
            if event.direction == "outbound" and event.by is None:
                raise _Bad(f"{where}: an outbound call needs by (the agent who placed it)")
        if event.kind == "csat_response" and (event.rating is None or not 1 <= event.rating <= 5):
            raise _Bad(f"{where}: a csat_response needs a rating from 1 to 5")
        if event.kind == "csat_not_sent" and not event.reason:
            raise _Bad(f"{where}: a csat_not_sent needs a reason")


def _actor(user: User | None) -> Actor:
    if user is None:
        return SYSTEM
    return Actor(kind="user", user_id=user.id, role=user.role, name=user.name)


class _Replay:
    """One conversation replayed event by event at the events' own instants."""

    def __init__(self, hub: Hub, line: Conversation, known: _Known) -> None:
        self.hub, self.line, self.known = hub, line, known
        self.channel_id = known.channels[line.channel]
        self.ticket_id: uuid.UUID | None = None

    def at(self, moment: datetime) -> Hub:
        return dataclasses.replace(self.hub, clock=_FixedClock(moment))

    def _inbound(self, number: int, event: Event, **fields: Any) -> InboundMessage:
        return InboundMessage(
            channel_id=self.channel_id,
            external_id=f"{REF_PREFIX}{self.line.ref}:{number}",
            sender=Sender(identity=self.line.contact.identity, name=self.line.contact.name),
            text=event.text or "",
            subject=self.line.subject or None,
            thread_ref=REF_PREFIX + self.line.ref,
            thread_by_recency=False,
            sent_at=event.at,
            at_sent_time=True,
            **fields,
        )

    async def run(self) -> None:
        for number, event in enumerate(self.line.events, start=1):
            try:
                await self.event(number, event)
            except HubError as exc:
                raise _Bad(f"event {number} ({event.kind}): {exc}") from exc
            if number == 1:
                await self.setup(event.at)

    async def setup(self, at: datetime) -> None:
        """The ticket's fields the line gives, set at the first event's instant."""
        assert self.ticket_id is not None
        line, hub = self.line, self.at(at)
        if line.organization is not None or line.team is not None:
            async with hub.uow() as uow:
                values: dict[str, Any] = {}
                if line.organization is not None:
                    values["organization_id"] = self.known.organizations[line.organization]
                if line.team is not None:
                    values["team_id"] = self.known.teams[line.team]
                await uow.session.execute(
                    sa.update(Ticket).where(Ticket.id == self.ticket_id).values(**values)
                )
                await uow.commit()
        if line.priority is not None:
            await tickets.set_priority(hub, CLI, self.ticket_id, Priority(line.priority))
        if line.scenario is not None:
            await tickets.set_scenario(hub, CLI, self.ticket_id, Scenario(line.scenario))
        assignee = _staff(self.known, line.assignee, "assignee")
        if assignee is not None:
            await tickets.assign(hub, CLI, self.ticket_id, assignee.id, reason="imported history")

    async def event(self, number: int, event: Event) -> None:
        hub, kind = self.at(event.at), event.kind
        user = _staff(self.known, event.by, f"event {number}")
        if kind == "customer_message":
            await self._ingest(hub, self._inbound(number, event))
        elif kind == "agent_message":
            assert user is not None
            await self._ingest(
                hub, self._inbound(number, event, direction="outbound", author_user_id=user.id)
            )
        elif kind == "call":
            await self._call(hub, number, event, user)
        elif kind == "note":
            await tickets.note(
                hub, _actor(user) if user else CLI, self._ticket(), tickets.Draft(text=event.text or "-")
            )
        elif kind == "pending":
            await self._status(hub, user, TicketStatus.PENDING)
        elif kind == "resolved":
            await self._status(hub, user, TicketStatus.RESOLVED)
        elif kind in ("auto_reply", "bot_message"):
            await self._automatic(hub, event, bot=kind == "bot_message")
        elif kind == "handoff":
            await self._append(hub, event, TicketEventKind.BOT_HANDOFF)
        elif kind == "csat_sent":
            await self._append(
                hub, event, TicketEventKind.CSAT_SENT, channel=event.channel or self.line.channel
            )
        elif kind == "csat_response":
            extra = {"comment": event.comment} if event.comment else {}
            await self._append(hub, event, TicketEventKind.CSAT_RESPONSE, rating=event.rating, **extra)
        elif kind == "csat_not_sent":
            await self._append(hub, event, TicketEventKind.CSAT_NOT_SENT, reason=event.reason)

    def _ticket(self) -> uuid.UUID:
        assert self.ticket_id is not None, "checked: the first event opens the ticket"
        return self.ticket_id

    async def _ingest(self, hub: Hub, message: InboundMessage) -> None:
        result = await ingest.ingest(hub, message)
        if result.ticket_id is None:
            raise _Bad(f"the message {message.external_id} joined no ticket")
        self.ticket_id = result.ticket_id

    async def _call(self, hub: Hub, number: int, event: Event, user: User | None) -> None:
        talked = event.disposition == "answered" and (event.talk_seconds or 0) > 0
        meta = {"call": {"disposition": event.disposition, "talk_seconds": event.talk_seconds or 0}}
        if not event.text:
            event = msgspec.structs.replace(event, text=f"{event.direction} call, {event.disposition}")
        if event.direction == "outbound":
            assert user is not None
            message = self._inbound(
                number,
                event,
                type="call",
                direction="outbound",
                author_user_id=user.id,
                reached=talked,
                meta=meta,
            )
        else:
            answered = event.disposition == "answered"
            message = self._inbound(
                number,
                event,
                type="call",
                answered_at=event.at if answered else None,
                answered_by_user_id=user.id if answered and user else None,
                meta=meta,
            )
        await self._ingest(hub, message)

    async def _status(self, hub: Hub, user: User | None, target: TicketStatus) -> None:
        async with hub.uow() as uow:
            current = await uow.session.scalar(sa.select(Ticket.status).where(Ticket.id == self._ticket()))
        if current is target:
            return
        assert current is not None
        if not can_move(current, target):
            # A helpdesk that let an agent put a solved ticket straight back to pending (Zendesk
            # does) did what the hub does in two moves: it took the ticket back (a reopen, as M6
            # counts it) and then waited on the client. Replayed as those two moves, at one instant.
            await tickets.set_status(hub, _actor(user), self._ticket(), TicketStatus.OPEN)
        await tickets.set_status(hub, _actor(user), self._ticket(), target)

    async def _automatic(self, hub: Hub, event: Event, *, bot: bool) -> None:
        """The channel's acknowledgement or a bot's message: on the ticket, delivered, never a response."""
        now = hub.clock.now()
        async with hub.uow() as uow:
            ticket = await uow.session.get(Ticket, self._ticket(), with_for_update=ROW_LOCK)
            assert ticket is not None
            message = Message(
                id=uuid.uuid4(),
                ticket_id=ticket.id,
                direction=Direction.OUTBOUND,
                channel_id=ticket.channel_id,
                text=event.text or "",
                is_auto=True,
                delivery_status=DeliveryStatus.SENT,
                meta={"via": "bot" if bot else "auto_reply", "imported": True},
                sent_at=now,
                created_at=now,
            )
            uow.session.add(message)
            await uow.session.flush()
            kind = TicketEventKind.BOT_MESSAGE if bot else TicketEventKind.AUTO_MESSAGE
            timeline.append(uow.session, ticket.id, kind, at=now, message_id=message.id, direction="outbound")
            await sla.refresh(uow, ticket)
            await uow.commit()

    async def _append(self, hub: Hub, event: Event, kind: TicketEventKind, **data: Any) -> None:
        now = hub.clock.now()
        async with hub.uow() as uow:
            ticket = await uow.session.get(Ticket, self._ticket(), with_for_update=ROW_LOCK)
            assert ticket is not None
            timeline.append(uow.session, ticket.id, kind, at=now, **data)
            await sla.refresh(uow, ticket)
            await uow.commit()


_DECODER = msgspec.json.Decoder(Conversation)


#: Conversations replayed at once. Each event is a few short transactions whose time is mostly
#: waiting on the database; several lines in flight overlap those waits. Lines that share a ref
#: or a contact never run together (the second is a duplicate, or threads after the first).
CONCURRENCY = 4


async def import_history(hub: Hub, lines: Iterable[bytes | str]) -> Summary:
    """Import every line; the summary counts them and names each rejected one with its reason."""
    summary = Summary()
    known = await _known(hub)
    slots = asyncio.Semaphore(CONCURRENCY)
    keys: dict[str, asyncio.Lock] = {}
    running: set[asyncio.Task[None]] = set()
    touched: list[uuid.UUID] = []

    def refuse(number: int, reason: str) -> None:
        summary.rejected += 1
        summary.problems.append(Problem(number, reason))

    async def one(number: int, line: Conversation) -> None:
        # Sorted, so two lines waiting on each other's keys cannot deadlock.
        held = sorted({f"ref:{line.ref}", f"contact:{line.channel}:{line.contact.identity}"})
        try:
            for key in held:
                await keys.setdefault(key, asyncio.Lock()).acquire()
            if await _exists(hub, line.ref):
                summary.duplicate += 1
                return
            replay = _Replay(hub, line, known)
            try:
                await replay.run()
            finally:
                if replay.ticket_id is not None:
                    touched.append(replay.ticket_id)
            summary.imported += 1
        except _Bad as exc:
            refuse(number, str(exc))
        finally:
            for key in reversed(held):
                lock = keys.get(key)
                if lock is not None and lock.locked():
                    lock.release()
            slots.release()

    for number, raw in enumerate(lines, start=1):
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
        if not text.strip():
            continue
        summary.lines += 1
        try:
            line = _DECODER.decode(text)
            _check(line, known)
        except msgspec.ValidationError as exc:
            refuse(number, f"invalid conversation: {exc}")
            continue
        except msgspec.DecodeError as exc:
            refuse(number, f"not JSON: {exc}")
            continue
        except _Bad as exc:
            refuse(number, str(exc))
            continue
        await slots.acquire()
        task = asyncio.create_task(one(number, line))
        running.add(task)
        task.add_done_callback(running.discard)
    if running:
        await asyncio.gather(*running)
    summary.problems.sort(key=lambda problem: problem.line)
    # Every step queued its ticket (a line refused midway too, for the part it left): the samples
    # of all of them at once, each ticket derived once, so reports read them as soon as this returns
    # (what else is queued is the worker's).
    await projection.drain(hub, only=touched)
    return summary


async def _exists(hub: Hub, ref: str) -> bool:
    async with hub.uow() as uow:
        found = await uow.session.scalar(
            sa.select(ThreadRef.id).where(ThreadRef.ref == REF_PREFIX + ref).limit(1)
        )
    return found is not None
