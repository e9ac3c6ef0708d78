"""Portal messages are tickets of the portal channel owned by the account manager (the backup when
away) with the e-mail promise; single-use links with a one-time code act on one object only."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from hub.accounts import accounts
from hub.actors import CLI
from hub.domain import ChannelKind, Presence
from hub.errors import Conflict, Forbidden, InvalidInput, NotFound
from hub.models import PortalLink, QualityStep, Ticket, TicketSla
from hub.portal import action_items, links, messages, quality
from hub.portal.terms import ActionItemStatus, LinkObject, QualityStepStatus
from hub.portal.waiting import waiting_on
from hub.tickets import tickets
from tests import factories
from tests.portal.helpers import case as open_case
from tests.portal.helpers import partner

pytestmark = [pytest.mark.anyio, pytest.mark.integration]


async def test_a_partners_message_is_a_ticket_for_its_account_manager_with_the_email_promise(hub) -> None:
    who = await partner(hub)
    first = await messages.post(
        hub, who.engineer_actor, "下周交期能否提前？ Can next week's delivery come earlier?"
    )
    ticket = await factories.get(hub, Ticket, first.ticket_id)
    assert ticket.channel_kind is ChannelKind.PORTAL and ticket.organization_id == who.organization.id
    assert ticket.assignee_id == who.manager.id
    async with hub.uow() as uow:
        clock = await uow.session.scalar(sa.select(TicketSla).where(TicketSla.ticket_id == ticket.id))
    assert clock is not None and clock.policy_name == "default"  # the e-mail promise: one business day

    # The manager is away: the backup owns the next conversation.
    await accounts.set_presence(hub, CLI, who.manager.id, Presence.AWAY)
    other = await partner(hub)
    await accounts.set_presence(hub, CLI, other.manager.id, Presence.AWAY)
    second = await messages.post(hub, other.engineer_actor, "Invoice question")
    assert (await factories.get(hub, Ticket, second.ticket_id)).assignee_id == other.backup.id

    await tickets.reply(
        hub, who.manager_actor, ticket.id, tickets.Draft(text="可以，周三发货 Yes, Wednesday")
    )
    async with hub.session_factory() as session:
        (conversation,) = await messages.conversations(session, who.engineer_actor)
        assert conversation.ticket_id == ticket.id and conversation.unread == 1
        assert [c.ticket_id for c in await messages.conversations(session, factories.actor(other.clerk))] == [
            second.ticket_id
        ]
    with pytest.raises(Forbidden):
        await messages.post(hub, who.manager_actor, "staff use the ticket page")
    with pytest.raises(InvalidInput):
        await messages.post(hub, who.engineer_actor, "   ")
    # The home's one list: the reply waits on the partner, with the conversation's subject.
    items = await waiting_on(hub, who.engineer_actor)
    assert [(i.kind, i.ref_id, i.params["count"]) for i in items] == [("messages", ticket.id, "1")]


async def test_a_link_with_its_code_answers_one_step_once(hub) -> None:
    who = await partner(hub)
    case = await open_case(hub, who)
    async with hub.uow() as uow:
        d3 = await uow.session.scalar(
            sa.select(QualityStep).where(QualityStep.case_id == case.id, QualityStep.discipline == "D3")
        )
    with pytest.raises(NotFound):  # not a user of this partner
        await links.issue(hub, CLI, (await partner(hub)).engineer.id, LinkObject.QUALITY_STEP, d3.id)
    issued = await links.issue(hub, who.manager_actor, who.clerk.id, LinkObject.QUALITY_STEP, d3.id)
    assert issued.path == f"/portal/act/{issued.token}" and len(issued.code) == 6
    async with hub.uow() as uow:
        stored = await uow.session.scalar(sa.select(PortalLink))
    assert issued.token not in stored.token_hash and issued.code not in stored.code_hash

    assert (await links.peek(hub, issued.token)).title.endswith("D3")
    with pytest.raises(Forbidden):
        await links.act(hub, issued.token, "000000" if issued.code != "000000" else "111111", answer="x")
    with pytest.raises(InvalidInput):  # refused actions give the link back
        await links.act(hub, issued.token, issued.code, answer=" ")
    # The clerk has no quality permission, but the link is that permission, for that one step.
    await links.act(hub, issued.token, issued.code, answer="已隔离 Contained at our dock")
    async with hub.session_factory() as session:
        steps = {s.discipline.value: s for s in (await quality.case_view(session, CLI, case.id)).steps}
    assert steps["D3"].status is QualityStepStatus.ANSWERED and steps["D3"].answered_by_id == who.clerk.id
    assert steps["D4"].status is QualityStepStatus.OPEN
    with pytest.raises(NotFound) as used:
        await links.act(hub, issued.token, issued.code, answer="again")
    assert used.value.code == "link_invalid"
    with pytest.raises(Conflict):  # the step waits on the buyer now: nothing to link to
        await links.issue(hub, CLI, who.engineer.id, LinkObject.QUALITY_STEP, d3.id)


async def test_links_expire_run_out_of_tries_and_refuse_closed_objects(clocked_hub, clock) -> None:
    hub = clocked_hub
    who = await partner(hub)
    item = await action_items.create(
        hub,
        CLI,
        who.organization.id,
        action_items.NewActionItem(title="Ship samples", owner_user_id=who.clerk.id),
    )
    expiring = await links.issue(hub, CLI, who.clerk.id, LinkObject.ACTION_ITEM, item.id)
    tried = await links.issue(hub, CLI, who.clerk.id, LinkObject.ACTION_ITEM, item.id)
    closing = await links.issue(hub, CLI, who.clerk.id, LinkObject.ACTION_ITEM, item.id)
    for _ in range(links.MAX_ATTEMPTS):
        with pytest.raises(Forbidden):
            await links.act(hub, tried.token, "999999" if tried.code != "999999" else "888888")
    with pytest.raises(NotFound):
        await links.act(hub, tried.token, tried.code)
    await action_items.set_status(hub, CLI, item.id, ActionItemStatus.CANCELLED)
    with pytest.raises(NotFound) as closed:
        await links.act(hub, closing.token, closing.code)
    assert closed.value.code == "link_object_closed"
    await action_items.set_status(hub, CLI, item.id, ActionItemStatus.OPEN)
    clock.advance(hours=73)
    with pytest.raises(NotFound):
        await links.peek(hub, expiring.token)
    fresh = await links.issue(hub, CLI, who.clerk.id, LinkObject.ACTION_ITEM, item.id)
    assert (await links.act(hub, fresh.token, fresh.code)).object_id == item.id
    assert (await factories.get(hub, type(item), item.id)).status is ActionItemStatus.DONE
    assert fresh.expires_at - clock.at == timedelta(hours=72)


class _Outbox:
    """The hub's mailer port as the e-mail channel implements it, keeping what it was asked to send."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, str]] = []

    async def send_notification(self, *, to: str, subject: str, text: str) -> None:
        self.sent.append((to, subject, text))


async def test_a_new_case_mails_each_quality_person_a_link_and_its_code_apart(hub) -> None:
    import dataclasses

    outbox = _Outbox()
    mailing = dataclasses.replace(hub, mailer=outbox)
    who = await partner(mailing)
    case = await open_case(mailing, who, "来料锈蚀 Rust on incoming parts")
    assert [to for to, _, _ in outbox.sent] == [who.engineer.email, who.engineer.email]  # not the clerk
    (link_mail, code_mail) = outbox.sent
    assert case.number in link_mail[1] and "/portal/act/hub_pl_" in link_mail[2]
    code = code_mail[2].split("验证码是 ")[1][:6]
    assert code.isdigit() and code not in link_mail[2]
    token = link_mail[2].split("/portal/act/")[1].split()[0].rstrip("\n")
    await links.act(hub, token, code, answer="已清点锈蚀件 Counted the rusty parts")
    async with hub.session_factory() as session:
        steps = {s.discipline.value: s for s in (await quality.case_view(session, CLI, case.id)).steps}
    assert steps["D3"].status is QualityStepStatus.ANSWERED


async def test_an_erp_case_offers_its_first_step_as_a_buyers_case_does_and_a_dry_run_offers_nothing(
    hub,
) -> None:
    import dataclasses
    from datetime import UTC, datetime

    from hub.portal import sync, sync_import

    outbox = _Outbox()
    mailing = dataclasses.replace(hub, mailer=outbox)
    who = await partner(mailing)
    rows = (
        f"external_ref,partner_id,number,title\nNCR-9,{who.organization.id},NCR-2026-0099,Cracked flange\n"
    ).encode()
    tried = await sync_import.run(mailing, CLI, entity="quality_cases", raw=rows, source="sap", dry_run=True)
    assert [r["result"] for r in tried.rows] == ["created"] and outbox.sent == []

    body = {
        "partner": {"organization_id": str(who.organization.id)},
        "number": "NCR-2026-0100",
        "title": "焊缝气孔 Porosity in welds",
        "source_updated_at": datetime(2026, 3, 1, 8, 0, tzinfo=UTC).isoformat(),
    }
    created = await sync.upsert_one(mailing, CLI, "quality_cases", "sap", "NCR-10", body, update_only=False)
    assert [to for to, _, _ in outbox.sent] == [who.engineer.email, who.engineer.email]
    link_mail, code_mail = outbox.sent
    assert "NCR-2026-0100" in link_mail[1] and "/portal/act/hub_pl_" in link_mail[2]
    token = link_mail[2].split("/portal/act/")[1].split()[0]
    code = code_mail[2].split("验证码是 ")[1][:6]
    shown = await links.peek(hub, token)
    assert shown.kind is LinkObject.QUALITY_STEP and shown.live
    await links.act(hub, token, code, answer="已隔离 Quarantined")
    async with hub.session_factory() as session:
        steps = {s.discipline.value: s for s in (await quality.case_view(session, CLI, created.id)).steps}
    assert steps["D3"].status is QualityStepStatus.ANSWERED

    outbox.sent.clear()  # an update of the same case offers nothing more
    later = {**body, "title": "焊缝气孔 Porosity", "source_updated_at": "2026-03-01T09:00:00+00:00"}
    assert (
        await sync.upsert_one(mailing, CLI, "quality_cases", "sap", "NCR-10", later, update_only=False)
    ).result == "updated"
    assert outbox.sent == []
