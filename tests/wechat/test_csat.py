"""Satisfaction surveys on WeChat, against the fake WeChat API: inside the 48-hour window a
customer-service message that spends one of its five replies, outside it the channel's template
message (linking to the rating page) when one is configured, else recorded as not sent."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from hub.csat import settings as csat_settings
from hub.csat import surveys
from hub.delivery import delivery
from hub.domain import Role, TicketEventKind, TicketStatus
from hub.models import CsatSurvey, Outbox, ReplyWindow, Ticket
from hub.tickets import tickets
from tests import factories
from tests.wechat import pushes
from tests.wechat.conftest import Pusher, add_wechat_channel, process_pending

pytestmark = [pytest.mark.anyio, pytest.mark.integration]

K = TicketEventKind


async def _answered_and_resolved(runtime, push: Pusher, fake, openid: str) -> uuid.UUID:
    hub = runtime.hub
    await csat_settings.update(hub, factories.actor_cli(), delay_minutes=0)
    await push.plain(pushes.text(openid, "订单什么时候到？"))
    fake.user_spoke(openid)
    await process_pending(runtime)
    async with hub.uow() as uow:
        ticket_id = await uow.session.scalar(sa.select(Ticket.id).order_by(Ticket.created_at.desc()).limit(1))
    agent = factories.actor(await factories.user(hub, Role.AGENT))
    reply = await tickets.reply(hub, agent, ticket_id, tickets.Draft(text="明天送到。"))
    await _deliver(hub, reply.id)
    await tickets.set_status(hub, agent, ticket_id, TicketStatus.RESOLVED)
    return ticket_id


async def _deliver(hub, message_id) -> None:
    async with hub.uow() as uow:
        outbox_id = await uow.session.scalar(sa.select(Outbox.id).where(Outbox.message_id == message_id))
    assert await delivery.deliver(hub, outbox_id) == "sent"


async def _survey(hub, ticket_id) -> CsatSurvey:
    async with hub.uow() as uow:
        row = await uow.session.scalar(sa.select(CsatSurvey).where(CsatSurvey.ticket_id == ticket_id))
        assert row is not None
        return row


async def _close_windows(hub) -> None:
    async with hub.uow() as uow:
        await uow.session.execute(sa.update(ReplyWindow).values(expires_at=hub.clock.now()))
        await uow.commit()


async def test_inside_the_window_a_survey_is_a_customer_service_message_spending_a_reply(
    runtime, push, fake
) -> None:
    hub = runtime.hub
    ticket_id = await _answered_and_resolved(runtime, push, fake, "oSurvey1")
    assert (await surveys.send_due(hub)).sent == 1
    survey = await _survey(hub, ticket_id)
    await _deliver(hub, survey.message_id)
    text = fake.sent[-1]["text"]["content"]
    assert fake.sent[-1]["touser"] == "oSurvey1"
    assert "请为本次服务评分" in text and f"/csat/{survey.id.hex}" in text
    async with hub.uow() as uow:
        used = await uow.session.scalar(sa.select(ReplyWindow.replies_used))
    assert used == 2, "the agent's reply and the survey: two of the window's five"
    events = [
        (e.kind, e.data) for e in await factories.events(hub, ticket_id) if e.kind.value.startswith("csat")
    ]
    assert events == [(K.CSAT_SENT, {"channel": "wechat"})]


async def test_outside_the_window_the_template_message_links_to_the_rating_page(runtime, push, fake) -> None:
    hub = runtime.hub
    ticket_id = await _answered_and_resolved(runtime, push, fake, "oSurvey2")
    await _close_windows(hub)
    assert (await surveys.send_due(hub)).sent == 1
    survey = await _survey(hub, ticket_id)
    await _deliver(hub, survey.message_id)
    (template,) = fake.templates
    assert template["touser"] == "oSurvey2" and template["template_id"] == "tmpl-reply"
    assert template["url"].startswith(f"{hub.settings.base_url}/csat/{survey.id.hex}")


async def test_outside_the_window_without_a_template_the_survey_is_not_sent(runtime, client, fake) -> None:
    hub = runtime.hub
    bare = await add_wechat_channel(hub, fake)
    ticket_id = await _answered_and_resolved(runtime, Pusher(client, bare), fake, "oSurvey3")
    await _close_windows(hub)
    result = await surveys.send_due(hub)
    assert (result.sent, result.not_sent) == (0, 1)
    events = [
        (e.kind, e.data) for e in await factories.events(hub, ticket_id) if e.kind.value.startswith("csat")
    ]
    assert events == [(K.CSAT_NOT_SENT, {"reason": "window_closed"})]
    assert fake.templates == [] and len(fake.sent) == 1, "only the agent's reply went"
