"""Batches of any size (``ingest.ingest_many``, used by ``hub ingest email``) against batches of one
(``ingest.ingest``, a mail at a time): the same mails on two clean databases give the same normalised
tickets, messages, events, audit rows, threading, routing, SLA clocks, raw rows and realtime
events; re-runs add nothing; a failing mail does not sink its batch; a batch and single ingests
can run at the same time."""

from __future__ import annotations

import asyncio
import dataclasses
import importlib.util
import json
import logging
import re
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from channels.email import ids
from channels.email.importer import import_mail
from channels.email.ingest import EmailIngest, Outcome
from channels.email.sources import Item
from hub.actors import CLI
from hub.core import Hub
from hub.domain import ChannelKind, RawStatus, Role, TicketStatus
from hub.intake import channel_instances, ingest
from hub.intake.inbound import InboundMessage, IngestResult, Sender
from hub.models import (
    Attachment,
    AuditEvent,
    Contact,
    ContactIdentity,
    Message,
    Organization,
    RawInbound,
    Team,
    ThreadRef,
    Ticket,
    TicketEvent,
    TicketSla,
    User,
)
from hub.ports import RealtimeEvent
from hub.tickets import tickets
from tests import factories
from tests.conftest import _TABLES, ManualClock
from tests.email_helpers import mail
from tests.email_helpers import mail as make_mail

pytestmark = [pytest.mark.anyio, pytest.mark.integration]

ROOT = Path(__file__).resolve().parent.parent.parent
CORPUS = sorted((ROOT / "tests" / "fixtures" / "email").glob("*.eml"))
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
START = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # 10:00 in Beijing, a Monday


def _generated(tmp: Path, count: int) -> list[bytes]:
    spec = importlib.util.spec_from_file_location("bench_ingest_email", ROOT / "bench" / "ingest_email.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    tmp.mkdir(parents=True, exist_ok=True)
    module.generate(tmp, count)
    return [f.read_bytes() for f in sorted(tmp.glob("*.eml"))]


class Recorder:
    def __init__(self) -> None:
        self.events: list[RealtimeEvent] = []

    async def publish(self, events: list[RealtimeEvent]) -> None:
        self.events.extend(events)


@dataclasses.dataclass
class World:
    hub: Hub
    clock: ManualClock
    recorder: Recorder
    box: uuid.UUID
    seeds: dict[str, uuid.UUID]


async def _reset(hub: Hub) -> None:
    async with hub.uow() as uow:
        await uow.session.execute(sa.text(f"TRUNCATE {_TABLES} RESTART IDENTITY CASCADE"))
        await uow.session.execute(sa.text("ALTER SEQUENCE ticket_number_seq RESTART WITH 10001"))
        await uow.commit()


async def _world(hub: Hub) -> World:
    """The same staff, client, mailbox and history on a clean database; the clock past the seeds."""
    await _reset(hub)
    clock = ManualClock(START)
    recorder = Recorder()
    hub = dataclasses.replace(hub, clock=clock, publisher=recorder)
    team = await factories.team(hub, name="Support")
    for n, capacity in enumerate((0, 3, 0)):
        await factories.user(hub, team_id=team.id, email=f"agent{n}@hub.example", capacity=capacity)
    await factories.user(hub, email="manager@hub.example", capacity=4)
    await factories.user(hub, email="backup@hub.example", team_id=team.id)
    await factories.user(hub, Role.SUPERVISOR, email="lead@hub.example", team_id=team.id)
    # Least-loaded ties go by last assignment, then by user id: ids fixed, so both runs break ties alike.
    people: dict[str, uuid.UUID] = {}
    async with hub.uow() as uow:
        for n, email in enumerate(sorted(await uow.session.scalars(sa.select(User.email)))):
            people[email] = uuid.UUID(int=n + 1)
            await uow.session.execute(sa.update(User).where(User.email == email).values(id=people[email]))
        await uow.commit()
    supervisor = await factories.get(hub, User, people["lead@hub.example"])
    await factories.organization(
        hub,
        manager=people["manager@hub.example"],
        backup=people["backup@hub.example"],
        domains=["client3.example", "client7.example", "client11.example", "client.example"],
    )
    created = await channel_instances.add_channel(
        hub,
        CLI,
        kind=ChannelKind.EMAIL,
        name="Support mailbox",
        team_id=team.id,
        config={"address": "support@hub.example"},
    )
    box = created.channel.id
    email = await EmailIngest.create(hub)
    seeds = {}
    for key, sender in (
        ("closed", "wang@client3.example"),
        ("token", "li@walkin.example"),
        ("resolved", "zhao@x.example"),
    ):
        result = await email.ingest(
            box, mail(sender=sender, subject=f"seed {key}", message_id=f"<seed-{key}@x>")
        )
        assert result.ticket_id is not None
        seeds[key] = result.ticket_id
    actor = factories.actor(supervisor)
    await tickets.set_status(hub, actor, seeds["closed"], TicketStatus.CLOSED)
    await tickets.set_status(hub, actor, seeds["resolved"], TicketStatus.RESOLVED)
    clock.advance(days=hub.settings.reopen_window_days + 1)
    recorder.events.clear()
    return World(hub, clock, recorder, box, seeds)


async def _specials(world: World) -> list[bytes]:
    """Mails for the rules a generated mailbox rarely hits, built against this world's tickets."""
    token_ticket = await factories.get(world.hub, Ticket, world.seeds["token"])
    to = ids.reply_address("support@hub.example", token_ticket.reply_token)
    numbered = iter(range(1000))

    def mail(**fields: Any) -> bytes:  # fixed Message-IDs: the two runs must see the same mails
        fields.setdefault("message_id", f"<special-{next(numbered)}@x>")
        return make_mail(**fields)

    return [
        # a late reply to a ticket closed past the reopen window, then a second one: new linked ticket, joined
        mail(
            sender="wang@client3.example",
            subject="Re: seed closed",
            headers={"In-Reply-To": "<seed-closed@x>"},
        ),
        mail(
            sender="wang@client3.example",
            subject="Re: seed closed",
            headers={"References": "<seed-closed@x>"},
        ),
        # a reply to a resolved ticket reopens it; an auto-reply to it does not
        mail(
            sender="zhao@x.example",
            subject="Auto: out of office",
            headers={"In-Reply-To": "<seed-resolved@x>", "Auto-Submitted": "auto-replied"},
        ),
        mail(
            sender="zhao@x.example", subject="Re: seed resolved", headers={"In-Reply-To": "<seed-resolved@x>"}
        ),
        # our reply token in the address
        mail(sender="li@walkin.example", to=to, subject="new words", text="补充信息"),
        # a ticket number in the subject, by a participant and by a stranger (the one-by-one code)
        mail(sender="li@walkin.example", subject=f"[#{token_ticket.number}] follow-up"),
        mail(sender="stranger@else.example", subject=f"[#{token_ticket.number}] me too"),
        # a reply to a mail of the same run, and the same mail twice
        mail(sender="a@client7.example", subject="first", message_id="<run-root@x>"),
        mail(sender="b@client7.example", subject="Re: first", headers={"References": "<run-root@x>"}),
        mail(sender="b@client7.example", subject="Re: first", message_id="<twice@x>"),
        mail(sender="b@client7.example", subject="Re: first", message_id="<twice@x>"),
    ]


def _items(mails: list[bytes]) -> list[Item]:
    return [Item(f"mail{n}", lambda raw=raw: raw) for n, raw in enumerate(mails)]


async def _dump(world: World, outcomes: list[Any]) -> dict[str, Any]:
    """Everything ingest writes, with ids replaced by stable names (ticket numbers, addresses)."""
    labels: dict[str, str] = {}
    async with world.hub.uow() as uow:
        s = uow.session

        async def rows(query: Any) -> list[Any]:
            return list(await s.execute(query))

        for ticket_id, number in await rows(sa.select(Ticket.id, Ticket.number)):
            labels[str(ticket_id)] = f"T{number}"
        for message_id, ext in await rows(sa.select(Message.id, Message.external_id)):
            labels[str(message_id)] = f"M{ext}"
        for contact_id, value in await rows(
            sa.select(ContactIdentity.contact_id, ContactIdentity.value).order_by(ContactIdentity.value)
        ):
            labels.setdefault(str(contact_id), f"C{value}")
        for user_id, email in await rows(sa.select(User.id, User.email)):
            labels[str(user_id)] = f"U{email}"
        for row_id, domains in await rows(sa.select(Organization.id, Organization.domains)):
            labels[str(row_id)] = f"Org:{domains[0] if domains else ''}"
        for row_id, name in await rows(sa.select(Team.id, Team.name)):
            labels[str(row_id)] = f"Team:{name}"
        labels[str(world.box)] = "box"

        def plain(model: Any, *skip: str, order: Any = None) -> Any:
            columns = [c for c in model.__table__.columns if c.name not in skip]
            query = sa.select(*columns)
            if model.__table__.c.get("search") is not None and "search" not in skip:
                query = sa.select(
                    *[c for c in columns if c.name != "search"], sa.cast(model.__table__.c.search, sa.Text)
                )
            return rows(query.order_by(*(order if order is not None else [model.__table__.c.id])))

        dump = {
            # updated_at: the one-by-one path's assignment UPDATE stamps it with the wall clock (the
            # column's onupdate), not the hub's clock; it is the time of the write either way.
            "tickets": await plain(Ticket, "reply_token", "updated_at", order=[Ticket.number]),
            "messages": await plain(Message, order=[Message.external_id]),
            "attachments": sorted(
                map(tuple, await plain(Attachment, "id", order=[Attachment.sha256])), key=str
            ),
            "events": await plain(TicketEvent),
            "audit": await plain(AuditEvent),
            "contacts": sorted(map(tuple, await plain(Contact)), key=str),
            "identities": sorted(map(tuple, await plain(ContactIdentity, "id")), key=str),
            "raw": await plain(
                RawInbound, "id", "received_at", "message", "payload", order=[RawInbound.external_id]
            ),
            "sla": sorted(map(tuple, await plain(TicketSla, order=[TicketSla.ticket_id])), key=str),
            "users": await rows(sa.select(User.email, User.last_assigned_at).order_by(User.email)),
            "thread_refs": await plain(ThreadRef, "id", order=[ThreadRef.ref]),
            "realtime": [(e.name, e.channels, e.data) for e in world.recorder.events],
            "outcomes": outcomes,
        }
    text = json.dumps(dump, default=str, sort_keys=True, ensure_ascii=False)
    text = _UUID.sub(lambda m: labels.get(m.group(0), "?new"), text)
    text = re.sub(r"\+[0-9a-f]{24}@", "+TOKEN@", text)  # reply tokens are random
    loaded = json.loads(text)
    # Sets that were sorted by their (now relabelled) ids: sort again on the stable names.
    for key in ("attachments", "contacts", "identities", "sla"):
        loaded[key] = sorted(loaded[key], key=lambda r: json.dumps(r, sort_keys=True))
    return loaded


def _outcomes(results: list[Any]) -> list[Any]:
    return [(r.outcome.value, r.reason) for r in results]


@pytest.fixture
async def corpus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    monkeypatch.syspath_prepend(ROOT / "bench")  # as when run as a script: it imports its neighbours
    return [f.read_bytes() for f in CORPUS] + _generated(tmp_path / "gen", 160)


async def _one_by_one(hub: Hub, corpus: list[bytes]) -> tuple[World, dict[str, Any]]:
    world = await _world(hub)
    email = await EmailIngest.create(world.hub)
    mails = corpus + await _specials(world)
    results = [await email.ingest(world.box, raw) for raw in mails]
    return world, await _dump(world, _outcomes(results))


async def _batched(
    hub: Hub, corpus: list[bytes], batch_size: int, caplog: pytest.LogCaptureFixture
) -> tuple[World, dict[str, Any]]:
    world = await _world(hub)
    email = await EmailIngest.create(world.hub)
    mails = corpus + await _specials(world)
    results: list[Any] = []
    with caplog.at_level(logging.WARNING, logger="hub.intake.ingest"):
        await import_mail(
            email, world.box, _items(mails), batch_size=batch_size, on_done=lambda _i, r: results.append(r)
        )
    assert not [r for r in caplog.records if "one by one" in r.getMessage()], "the fast path fell back"
    return world, await _dump(world, _outcomes(results))


@pytest.mark.parametrize("batch_size", [500, 23])
async def test_batched_ingest_writes_exactly_what_one_by_one_writes(hub, corpus, caplog, batch_size) -> None:
    _, expected = await _one_by_one(hub, corpus)
    _, got = await _batched(hub, corpus, batch_size, caplog)
    # The scenario exercises what it claims to.
    outcomes = [o for o, _ in expected["outcomes"]]
    assert outcomes.count("created") > 100 and outcomes.count("threaded") > 30
    assert {"duplicate", "ignored", "rejected"} <= set(outcomes)
    text = json.dumps(expected["events"], ensure_ascii=False)
    for rule in ("account manager", "backup", "least-loaded", "reopened", "linked_ticket_id"):
        assert rule in text or rule in json.dumps(expected["audit"]), rule
    _same(got, expected)


def _same(got: dict[str, Any], expected: dict[str, Any]) -> None:
    for key in expected:
        assert len(got[key]) == len(expected[key]), key
        for n, (one, other) in enumerate(zip(got[key], expected[key], strict=True)):
            assert one == other, f"{key}[{n}]:\nbatched:    {one}\none by one: {other}"


async def test_a_second_batched_run_adds_nothing(hub, corpus, caplog) -> None:
    world, first = await _batched(hub, corpus, 100, caplog)
    email = await EmailIngest.create(world.hub)
    results: list[Any] = []
    await import_mail(
        email, world.box, _items(corpus), batch_size=100, on_done=lambda _i, r: results.append(r)
    )
    assert {r.outcome for r in results} <= {Outcome.DUPLICATE, Outcome.IGNORED, Outcome.REJECTED}
    again = await _dump(world, first["outcomes"])
    for key in ("tickets", "messages", "events", "audit", "sla", "contacts"):
        assert again[key] == first[key], key
    # An unreadable mail is kept once; its count says it arrived a second time.
    rejected = re.compile(r"(<RawStatus.REJECTED: 'rejected'>, )(\d+)")
    arrived_again = [rejected.sub(lambda m: f"{m[1]}{int(m[2]) + 1}", r) for r in first["raw"]]
    assert any(rejected.search(r) for r in first["raw"])
    assert again["raw"] == arrived_again


async def test_a_failing_mail_is_marked_failed_and_the_rest_of_its_batch_lands(hub, monkeypatch) -> None:
    world = await _world(hub)
    email = await EmailIngest.create(world.hub)
    mails = [mail(sender=f"c{n}@client.example", subject=f"s{n}", text=f"text {n}") for n in range(20)]
    mails[7] = mail(sender="c7@client.example", subject="poison", text="POISON")
    from hub.intake import ingest_engine

    def poisoned(real: Any) -> Any:
        def search_tokens(text: str) -> list[str]:
            if "POISON" in text:
                raise RuntimeError("tokeniser exploded")
            return real(text)

        return search_tokens

    monkeypatch.setattr(ingest_engine.search, "tokens", poisoned(ingest_engine.search.tokens))
    results: list[Any] = []
    await import_mail(email, world.box, _items(mails), batch_size=50, on_done=lambda _i, r: results.append(r))
    assert [r.outcome for r in results].count(Outcome.CREATED) == 19
    assert results[7].outcome is Outcome.REJECTED and "tokeniser exploded" in (results[7].reason or "")
    async with world.hub.uow() as uow:
        statuses = dict(
            (await uow.session.execute(sa.select(RawInbound.external_id, RawInbound.status))).all()
        )
    assert list(statuses.values()).count(RawStatus.PROCESSED) == 19 + 3  # and the three seeds
    failed = [k for k, v in statuses.items() if v is RawStatus.FAILED]
    assert len(failed) == 1
    monkeypatch.undo()
    async with world.hub.uow() as uow:
        raw_id = await uow.session.scalar(
            sa.select(RawInbound.id).where(RawInbound.status == RawStatus.FAILED)
        )
    retried = await ingest.process_raw(world.hub, raw_id)
    assert retried.created_ticket


async def test_mails_with_undecodable_bytes_are_stored_with_replacement_characters(hub) -> None:
    """A parser keeps undecodable bytes as lone surrogates (here in an attachment's content type),
    which neither JSON nor PostgreSQL take: such a mail is stored with U+FFFD in their place, and
    its batch lands with it (before: every mail of the batch rejected)."""
    world = await _world(hub)
    email = await EmailIngest.create(world.hub)
    damaged = sorted((ROOT / "tests" / "fixtures" / "email" / "damaged").glob("*.eml"))
    mails = [p.read_bytes() for p in damaged] + [mail(sender="ok@client.example", subject="fine")]
    results: list[Any] = []
    await import_mail(email, world.box, _items(mails), batch_size=50, on_done=lambda _i, r: results.append(r))
    outcomes = dict(zip([p.name for p in damaged] + ["fine"], results, strict=True))
    assert Outcome.REJECTED not in {r.outcome for r in results}, [r.reason for r in results]
    assert outcomes["undecodable_rfc2231_filename.eml"].outcome is Outcome.CREATED
    assert outcomes["fine"].outcome is Outcome.CREATED
    async with world.hub.uow() as uow:
        types = list(await uow.session.scalars(sa.select(Attachment.content_type)))
    assert "text/\ufffdlain" in types, types  # one byte of "text/plain" flipped to \xce


async def test_a_batch_that_cannot_be_stored_is_stored_one_by_one(hub, monkeypatch, caplog) -> None:
    """Whatever makes a batch's raw insert fail stays with the mail that causes it."""
    world = await _world(hub)
    email = await EmailIngest.create(world.hub)
    real = EmailIngest.store_batch

    async def only_single_mails(self: EmailIngest, channel_id: uuid.UUID, mails: Any) -> Any:
        if len(mails) > 1:
            raise RuntimeError("the batch insert broke")
        if b"POISON" in mails[0][0]:
            raise RuntimeError("this mail breaks the insert")
        return await real(self, channel_id, mails)

    monkeypatch.setattr(EmailIngest, "store_batch", only_single_mails)
    mails = [mail(sender=f"c{n}@client.example", subject=f"s{n}", text=f"text {n}") for n in range(6)]
    mails[2] = mail(sender="c2@client.example", subject="poison", text="POISON")
    results: list[Any] = []
    with caplog.at_level(logging.WARNING, logger="channels.email.importer"):
        await import_mail(
            email, world.box, _items(mails), batch_size=50, on_done=lambda _i, r: results.append(r)
        )
    assert [r.outcome for r in results] == [Outcome.CREATED] * 2 + [Outcome.REJECTED] + [Outcome.CREATED] * 3
    assert "this mail breaks the insert" in (results[2].reason or "")
    assert "storing them one by one" in caplog.text


async def test_a_failure_in_a_batch_announces_nothing_of_the_failed_message(hub, monkeypatch) -> None:
    """A message failing inside the batch's transaction is marked failed alone; the others land and
    are announced, and nothing of the failed one's rolled-back work is."""
    world = await _world(hub)
    channel = await factories.channel(world.hub, ChannelKind.API)
    messages = [
        InboundMessage(
            channel_id=channel.id,
            external_id=f"e{n}",
            sender=Sender(f"p{n}@x.example"),
            text="POISON" if n == 2 else f"hi {n}",
            thread_ref=f"conversation-{n}",
        )
        for n in range(6)
    ]
    from hub.intake import ingest_engine

    real = ingest_engine.search.tokens

    def poisoned(text: str) -> list[str]:
        if "POISON" in text:
            raise RuntimeError("tokeniser exploded")
        return real(text)

    monkeypatch.setattr(ingest_engine.search, "tokens", poisoned)
    results = await ingest.ingest_many(world.hub, [(m, None) for m in messages])
    assert [isinstance(r, IngestResult) for r in results] == [True, True, False, True, True, True]
    assert "tokeniser exploded" in str(results[2].params.get("error"))  # type: ignore[union-attr]
    created = [e for e in world.recorder.events if e.name == "ticket.created"]
    announced = {e.data["ticket_id"] for e in world.recorder.events}
    assert len(created) == 5
    assert announced == {str(r.ticket_id) for r in results if isinstance(r, IngestResult)}
    async with world.hub.uow() as uow:
        refs = set(await uow.session.scalars(sa.select(ThreadRef.ref)))
    assert refs == {f"conversation-{n}" for n in range(6) if n != 2}


async def test_generic_messages_through_ingest_many_match_one_by_one(hub) -> None:
    """Non-e-mail traffic (threading by recency, conversation keys, notices) ends the same in one
    batch as in batches of one."""

    async def run(batched: bool) -> dict[str, Any]:
        world = await _world(hub)
        channel = (
            await channel_instances.add_channel(world.hub, CLI, kind=ChannelKind.API, name="API")
        ).channel

        def message(n: int, **fields: Any) -> InboundMessage:
            return InboundMessage(
                channel_id=channel.id,
                external_id=f"api-{n}",
                sender=Sender(f"user{n % 4}@api.example", name=f"User {n % 4}"),
                text=f"message {n}",
                **fields,
            )

        messages = [message(n) for n in range(12)]
        messages += [
            message(20, thread_ref="conv-1"),
            message(21, thread_ref="conv-1"),
            message(22, opens_ticket=False),
        ]
        messages.append(message(3))  # a duplicate
        if batched:
            results = await ingest.ingest_many(world.hub, [(m, None) for m in messages])
        else:
            results = [await ingest.ingest(world.hub, m) for m in messages]
        return await _dump(world, [(r.created_ticket, r.duplicate) for r in results])

    expected = await run(False)
    got = await run(True)
    _same(got, expected)


async def test_batched_and_single_ingests_at_the_same_time(hub, corpus, caplog) -> None:
    world = await _world(hub)
    mails = corpus[35:] + [mail(sender=f"x{n}@client.example", message_id=f"<conc-{n}@x>") for n in range(40)]
    email_batch = await EmailIngest.create(world.hub)
    email_single = await EmailIngest.create(world.hub)
    batch_results: list[Any] = []

    async def singles() -> list[Any]:
        out = []
        for raw in reversed(mails):  # the same mails, in the opposite order
            out.append(await email_single.ingest(world.box, raw))
        return out

    batched = import_mail(
        email_batch, world.box, _items(mails), batch_size=40, on_done=lambda _i, r: batch_results.append(r)
    )
    _, single_results = await asyncio.wait_for(asyncio.gather(batched, singles()), timeout=300)
    assert Outcome.REJECTED not in {r.outcome for r in batch_results + single_results}
    async with world.hub.uow() as uow:
        s = uow.session
        raws = list(
            (await s.execute(sa.select(RawInbound.status, sa.func.count()).group_by(RawInbound.status))).all()
        )
        messages = await s.scalar(
            sa.select(sa.func.count()).select_from(Message).where(Message.direction == "inbound")
        )
        tickets_without_event = await s.scalar(
            sa.select(sa.func.count())
            .select_from(Ticket)
            .where(~sa.exists().where(TicketEvent.ticket_id == Ticket.id, TicketEvent.kind == "created"))
        )
        slas = await s.scalar(sa.select(sa.func.count()).select_from(TicketSla))
        ticket_count = await s.scalar(sa.select(sa.func.count()).select_from(Ticket))
    assert dict(raws) == {RawStatus.PROCESSED: len(set(mails)) + 3}
    assert messages == len(set(mails)) + 3
    assert tickets_without_event == 0 and slas == ticket_count
    for one, other in zip(batch_results, reversed(single_results), strict=True):
        assert {one.outcome, other.outcome} & {Outcome.DUPLICATE} and one.ticket_id == other.ticket_id
