"""Satisfaction surveys on e-mail and the phone, and the rules every channel shares: one survey per
resolved ticket that had a human response (C-1, C-3), sent after the delay unless the ticket
reopened, at most one per contact per 7 days (C-2), five signed links answered once, and a low
rating told to the account manager or the team lead (C-4). Mails go to a real SMTP server on
loopback. WeChat's window and template are in ``tests/wechat/test_csat.py``."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator

import pytest
import sqlalchemy as sa

from hub.csat import settings as csat_settings
from hub.csat import surveys, tokens
from hub.delivery import delivery
from hub.domain import ChannelKind, Direction, Role, TicketEventKind, TicketStatus
from hub.intake import ingest
from hub.intake.inbound import InboundMessage, Sender
from hub.models import ContactIdentity, CsatSurvey, Message, Notification, Outbox, Ticket
from hub.tickets import tickets
from tests import factories
from tests.email_helpers import mailbox
from tests.smtp_sink import SmtpSink

pytestmark = [pytest.mark.anyio, pytest.mark.integration]

K = TicketEventKind


@pytest.fixture
async def sink() -> AsyncIterator[SmtpSink]:
    server = await SmtpSink().start()
    yield server
    await server.close()


@pytest.fixture
def hub(clocked_hub):
    return clocked_hub


async def _box(hub, sink: SmtpSink):
    return await mailbox(hub, smtp_host="127.0.0.1", smtp_port=sink.port, smtp_tls="none")


async def _resolved(
    hub, channel_id, agent, *, sender: str = "wang@client.example", answer: bool = True
) -> uuid.UUID:
    """A client's question, the agent's answer (unless not), resolved by the agent."""
    ticket_id = (await factories.inbound(hub, channel_id, sender=sender, text="发票什么时候寄出？")).ticket_id
    assert ticket_id is not None
    if answer:
        await tickets.reply(hub, factories.actor(agent), ticket_id, tickets.Draft(text="今天寄出。"))
    await tickets.set_status(hub, factories.actor(agent), ticket_id, TicketStatus.RESOLVED)
    return ticket_id


async def _csat(hub, ticket_id) -> list[tuple[K, dict]]:
    return [
        (e.kind, e.data) for e in await factories.events(hub, ticket_id) if e.kind.value.startswith("csat_")
    ]


async def _survey(hub, ticket_id) -> CsatSurvey:
    async with hub.uow() as uow:
        row = await uow.session.scalar(
            sa.select(CsatSurvey)
            .where(CsatSurvey.ticket_id == ticket_id)
            .order_by(CsatSurvey.created_at.desc())
        )
        assert row is not None
        return row


async def _deliver_all(hub) -> None:
    async with hub.uow() as uow:
        pending = list(await uow.session.scalars(sa.select(Outbox.id).where(Outbox.status == "pending")))
    for outbox_id in pending:
        await delivery.deliver(hub, outbox_id)


async def test_an_email_survey_goes_out_after_the_delay_with_five_signed_links_answered_once(
    hub, clock, sink
) -> None:
    box = await _box(hub, sink)
    agent = await factories.user(hub, Role.AGENT)
    ticket_id = await _resolved(hub, box.id, agent)
    await _deliver_all(hub)  # the agent's answer
    sink.received.clear()
    assert (await surveys.send_due(hub)).sent == 0, "not before the delay (60 minutes by default)"
    clock.advance(minutes=61)
    assert (await surveys.send_due(hub)).sent == 1
    assert await _csat(hub, ticket_id) == [(K.CSAT_SENT, {"channel": "email"})]
    await _deliver_all(hub)
    (received,) = sink.received
    mail = received.message
    assert received.rcpt_tos == ["wang@client.example"]
    number = (await factories.get(hub, Ticket, ticket_id)).number
    assert mail["Subject"] == f"请为我们的服务评分：工单 #{number}"
    assert mail["Auto-Submitted"] == "auto-replied", "a survey is the hub's own mail: robots leave it alone"
    text = mail.get_body(("plain",)).get_content()
    links = re.findall(r"(http\S+/csat/(\w+)\?rating=(\d))", text)
    assert [int(r) for _, _, r in links] == [5, 4, 3, 2, 1]
    token = links[0][1]
    survey = await _survey(hub, ticket_id)
    assert {t for _, t, _ in links} == {token} and tokens.read(hub.settings.secret_key, token) == survey.id
    assert tokens.read(hub.settings.secret_key, token[:-1] + ("0" if token[-1] != "0" else "1")) is None
    html = mail.get_body(("html",)).get_content()
    assert html.count("/csat/") == 5

    await surveys.answer(hub, survey.id, 4, "  回复很快  ")
    assert (await _csat(hub, ticket_id))[-1] == (K.CSAT_RESPONSE, {"rating": 4, "comment": "回复很快"})
    with pytest.raises(surveys.SurveyClosed):
        await surveys.answer(hub, survey.id, 1)
    ticket = await factories.get(hub, Ticket, ticket_id)
    assert ticket.status is TicketStatus.RESOLVED, "an answer opens and reopens nothing"
    assert await factories.count(hub, Ticket) == 1


async def test_no_survey_without_a_human_response_or_with_the_no_csat_tag(hub, clock, sink) -> None:
    box = await _box(hub, sink)
    agent = await factories.user(hub, Role.AGENT)
    silent = await _resolved(hub, box.id, agent, sender="a@client.example", answer=False)
    tagged_id = (await factories.inbound(hub, box.id, sender="b@client.example")).ticket_id
    await tickets.reply(hub, factories.actor(agent), tagged_id, tickets.Draft(text="好的"))
    await tickets.change_tags(hub, factories.actor(agent), tagged_id, add=["no_csat"], remove=[])
    await tickets.set_status(hub, factories.actor(agent), tagged_id, TicketStatus.RESOLVED)
    clock.advance(hours=2)
    assert (await surveys.send_due(hub)).sent == 0
    assert await factories.count(hub, CsatSurvey) == 0
    assert await _csat(hub, silent) == [] and await _csat(hub, tagged_id) == []


async def test_a_reopen_before_sending_cancels_and_the_next_resolution_plans_again(hub, clock, sink) -> None:
    box = await _box(hub, sink)
    agent = await factories.user(hub, Role.AGENT)
    ticket_id = await _resolved(hub, box.id, agent)
    clock.advance(minutes=10)
    token = (await factories.get(hub, Ticket, ticket_id)).reply_token
    again = await factories.inbound(
        hub, box.id, sender="wang@client.example", text="还没收到", reply_token=token
    )
    assert again.ticket_id == ticket_id
    assert await _csat(hub, ticket_id) == [(K.CSAT_CANCELLED, {"reason": "reopened"})]
    clock.advance(hours=2)
    assert (await surveys.send_due(hub)).sent == 0
    await tickets.set_status(hub, factories.actor(agent), ticket_id, TicketStatus.RESOLVED)
    clock.advance(minutes=30)
    # Closed before the delay ran out: cancelled too (C-1).
    await tickets.set_status(hub, factories.actor(agent), ticket_id, TicketStatus.CLOSED)
    assert (await _csat(hub, ticket_id))[-1] == (K.CSAT_CANCELLED, {"reason": "closed"})
    clock.advance(hours=2)
    assert (await surveys.send_due(hub)).sent == 0


async def test_one_survey_per_ticket_and_one_per_contact_within_the_cap(hub, clock, sink) -> None:
    box = await _box(hub, sink)
    agent = await factories.user(hub, Role.AGENT)
    first = await _resolved(hub, box.id, agent)
    clock.advance(minutes=61)
    assert (await surveys.send_due(hub)).sent == 1
    # Reopened after the survey went, resolved again: no second survey for the ticket.
    await tickets.set_status(hub, factories.actor(agent), first, TicketStatus.OPEN)
    await tickets.set_status(hub, factories.actor(agent), first, TicketStatus.RESOLVED)
    assert await factories.count(hub, CsatSurvey) == 1
    clock.advance(days=2)
    second = await _resolved(hub, box.id, agent, sender="WANG@client.example")
    clock.advance(minutes=61)
    result = await surveys.send_due(hub)
    assert (result.sent, result.not_sent) == (0, 1)
    assert await _csat(hub, second) == [(K.CSAT_NOT_SENT, {"reason": "contact_cap"})]
    await csat_settings.update(hub, factories.actor_cli(), contact_cap_days=1)
    third = await _resolved(hub, box.id, agent)
    clock.advance(minutes=61)
    assert (await surveys.send_due(hub)).sent == 1
    assert (await _csat(hub, third))[0] == (K.CSAT_SENT, {"channel": "email"})


async def test_a_low_rating_goes_to_the_account_manager_else_the_team_lead(hub, clock, sink) -> None:
    box = await _box(hub, sink)
    lead = await factories.user(hub, Role.SUPERVISOR)
    team = await factories.team(hub, lead_id=lead.id)
    agent = await factories.user(hub, Role.AGENT, team_id=team.id)
    manager = await factories.user(hub, Role.AGENT)
    await factories.organization(hub, manager=manager.id, domains=["key.example"])
    managed = await _resolved(hub, box.id, agent, sender="li@key.example")
    plain = await _resolved(hub, box.id, agent, sender="zhao@other.example")
    async with hub.uow() as uow:
        await uow.session.execute(sa.update(Ticket).where(Ticket.id == plain).values(team_id=team.id))
        await uow.commit()
    clock.advance(minutes=61)
    assert (await surveys.send_due(hub)).sent == 2
    await surveys.answer(hub, (await _survey(hub, managed)).id, 2, "等了太久")
    await surveys.answer(hub, (await _survey(hub, plain)).id, 1)
    async with hub.uow() as uow:
        told = {
            (n.user_id, n.ticket_id, n.params["rating"])
            for n in await uow.session.scalars(sa.select(Notification).where(Notification.kind == "csat_low"))
        }
    assert told == {(manager.id, managed, 2), (lead.id, plain, 1)}
    assert (await _survey(hub, managed)).followup_user_ids == [str(manager.id)]


async def test_a_link_answers_neither_after_28_days_nor_once_the_ticket_closed(hub, clock, sink) -> None:
    box = await _box(hub, sink)
    agent = await factories.user(hub, Role.AGENT)
    late = await _resolved(hub, box.id, agent, sender="a@client.example")
    closed = await _resolved(hub, box.id, agent, sender="b@client.example")
    clock.advance(minutes=61)
    assert (await surveys.send_due(hub)).sent == 2
    await tickets.set_status(hub, factories.actor(agent), closed, TicketStatus.CLOSED)
    with pytest.raises(surveys.SurveyClosed):
        await surveys.answer(hub, (await _survey(hub, closed)).id, 5)
    clock.advance(days=28)
    with pytest.raises(surveys.SurveyClosed):
        await surveys.answer(hub, (await _survey(hub, late)).id, 5)
    assert not (await surveys.view(hub, (await _survey(hub, late)).id)).open


async def test_a_phone_ticket_is_surveyed_by_the_contacts_email_else_not_sent(hub, clock, sink) -> None:
    box = await _box(hub, sink)
    phone = await factories.channel(hub, ChannelKind.PHONE)
    agent = await factories.user(hub, Role.AGENT)

    async def call(number: str) -> uuid.UUID:
        called = await ingest.ingest(
            hub,
            InboundMessage(
                channel_id=phone.id, external_id=f"in-{number}", sender=Sender(number), text="来电"
            ),
        )
        await ingest.ingest(
            hub,
            InboundMessage(
                channel_id=phone.id,
                external_id=f"out-{number}",
                sender=Sender(number),
                text="回电",
                direction="outbound",
                author_user_id=agent.id,
            ),
        )
        assert called.ticket_id is not None
        await tickets.set_status(hub, factories.actor(agent), called.ticket_id, TicketStatus.RESOLVED)
        return called.ticket_id

    known = await call("+8613800000001")
    ticket = await factories.get(hub, Ticket, known)
    async with hub.uow() as uow:
        uow.session.add(
            ContactIdentity(
                id=uuid.uuid4(),
                contact_id=ticket.contact_id,
                kind=ChannelKind.EMAIL,
                value="caller@client.example",
            )
        )
        await uow.commit()
    unknown = await call("+8613800000002")
    clock.advance(minutes=61)
    result = await surveys.send_due(hub)
    assert (result.sent, result.not_sent) == (1, 1)
    assert await _csat(hub, known) == [(K.CSAT_SENT, {"channel": "email"})]
    assert await _csat(hub, unknown) == [(K.CSAT_NOT_SENT, {"reason": "no_route"})]
    survey = await _survey(hub, known)
    assert survey.channel_id == box.id
    await _deliver_all(hub)
    (received,) = sink.received
    assert received.rcpt_tos == ["caller@client.example"]
    message = await factories.get(hub, Message, survey.message_id)
    assert message.direction is Direction.OUTBOUND and message.is_auto


async def test_admins_edit_the_texts_in_each_language_and_the_change_is_audited(hub, clock, sink) -> None:
    box = await _box(hub, sink)
    admin = await factories.user(hub, Role.ADMIN)
    await csat_settings.update(
        hub,
        factories.actor(admin),
        delay_minutes=5,
        texts={"zh-CN": {"email_subject": "给工单 #{number} 打个分吧"}},
    )
    agent = await factories.user(hub, Role.AGENT)
    with pytest.raises(Exception) as refused:
        await csat_settings.update(hub, factories.actor(agent), delay_minutes=1)
    assert getattr(refused.value, "code", "") == "forbidden"
    ticket_id = await _resolved(hub, box.id, agent)
    await _deliver_all(hub)  # the agent's answer, so the survey is the only mail below
    sink.received.clear()
    clock.advance(minutes=6)
    assert (await surveys.send_due(hub)).sent == 1
    await _deliver_all(hub)
    number = (await factories.get(hub, Ticket, ticket_id)).number
    assert [r.message["Subject"] for r in sink.received] == [f"给工单 #{number} 打个分吧"]
    (line,) = [a for a in await factories.audit_trail(hub, "settings") if a.action == "csat.settings_updated"]
    assert line.before["delay_minutes"] == 60 and line.after["delay_minutes"] == 5
    assert line.actor_user_id == admin.id
    with pytest.raises(Exception) as bad:
        await csat_settings.update(hub, factories.actor(admin), texts={"fr": {"thanks": "Merci"}})
    assert getattr(bad.value, "code", "") == "invalid_input"
