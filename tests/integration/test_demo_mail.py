"""``hub serve --demo`` delivers e-mail replies over SMTP to a local catcher, never out of the machine."""

from __future__ import annotations

import mailbox
from email import message_from_bytes
from email.policy import default

import pytest
import sqlalchemy as sa

from channels.email.catcher import HOST, mail_catcher
from hub.actors import Actor
from hub.delivery import delivery
from hub.demo import DEMO_MAILBOX, deliver_demo_mail_to, seed_demo
from hub.domain import ChannelKind, Role, TicketStatus
from hub.models import Outbox, Ticket, User
from hub.tickets import tickets

pytestmark = [pytest.mark.anyio, pytest.mark.integration]


async def test_a_reply_in_the_demo_is_sent_and_kept_in_the_demo_outbox(hub, tmp_path) -> None:
    await seed_demo(hub)
    async with hub.uow() as uow:
        ticket = await uow.session.scalar(
            sa.select(Ticket).where(
                Ticket.channel_kind == ChannelKind.EMAIL, Ticket.status == TicketStatus.PENDING
            )
        )
        agent = await uow.session.scalar(sa.select(User).where(User.email == "agent1@demo.test"))
    assert ticket is not None and agent is not None
    folder = tmp_path / "demo-outbox"
    async with mail_catcher(folder) as port:
        assert await deliver_demo_mail_to(hub, HOST, port)
        actor = Actor(kind="user", user_id=agent.id, role=Role.AGENT, name=agent.name)
        reply = await tickets.reply(hub, actor, ticket.id, tickets.Draft(text="已安排发货。"))
        async with hub.uow() as uow:
            outbox_id = await uow.session.scalar(sa.select(Outbox.id).where(Outbox.message_id == reply.id))
        assert await delivery.deliver(hub, outbox_id) == "sent"
    kept = [message_from_bytes(bytes(mail), policy=default) for mail in mailbox.Maildir(folder).values()]
    assert len(kept) == 1
    assert DEMO_MAILBOX in str(kept[0]["From"]) and f"[#{ticket.number}]" in str(kept[0]["Subject"])
    assert "已安排发货。" in kept[0].get_body(("plain",)).get_content()


async def test_data_without_the_demo_mailbox_is_left_alone(hub) -> None:
    assert not await deliver_demo_mail_to(hub, HOST, 2525)
