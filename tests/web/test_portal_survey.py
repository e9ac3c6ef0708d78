"""The survey on a partner's closed request: it shows on the request's page in the portal, is answered
there through the portal API once, a low rating is followed up, and a reopen cancels it first."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from hub.csat import settings as csat_settings
from hub.csat import surveys
from hub.domain import OrganizationKind, Role, TicketEventKind, TicketStatus
from hub.models import Notification, Organization
from hub.portal import messages
from hub.tickets import tickets
from tests import factories

pytestmark = pytest.mark.anyio


async def _resolved_request(hub, cast, *, delay: int = 0):
    """The partner asks on the portal, the account manager answers and resolves it."""
    await csat_settings.update(hub, factories.actor_cli(), delay_minutes=delay)
    manager = await factories.user(hub, Role.AGENT)
    async with hub.uow() as uow:
        (await uow.session.get(Organization, cast.partner_org.id)).account_manager_id = manager.id
        await uow.commit()
    asked = await messages.post(hub, factories.actor(cast.partner), "第三批货的质检报告什么时候能发？")
    assert asked.ticket_id is not None
    await tickets.reply(
        hub, factories.actor(manager), asked.ticket_id, tickets.Draft(text="今天下午发给您。")
    )
    await tickets.set_status(hub, factories.actor(manager), asked.ticket_id, TicketStatus.RESOLVED)
    return asked.ticket_id, manager


async def test_the_partner_rates_the_closed_request_on_its_page_once(client, hub, cast) -> None:
    ticket_id, manager = await _resolved_request(hub, cast)
    assert (await surveys.send_due(hub)).sent == 1
    async with hub.uow() as uow:
        (survey,) = await surveys.for_ticket(uow.session, ticket_id)
    assert survey.channel_kind == "portal" and survey.state == "sent"
    partner = cast.as_(Role.PARTNER)
    page = await client.get(f"/tickets/{ticket_id}", headers=partner)
    assert page.status_code == 200 and 'data-csat-portal="open"' in page.text
    assert (
        "您对本次咨询满意吗？请评分。" in page.text
        and f"/api/v1/portal/tickets/{ticket_id}/csat" in page.text
    )
    # Another partner can neither see nor answer it.
    other_org = await factories.organization(hub, kind=OrganizationKind.PARTNER)
    stranger = await factories.login(
        client, await factories.user(hub, Role.PARTNER, organization_id=other_org.id)
    )
    refused = await client.post(
        f"/api/v1/portal/tickets/{ticket_id}/csat", headers=stranger, json={"rating": 1}
    )
    assert refused.status_code == 404
    answered = await client.post(
        f"/api/v1/portal/tickets/{ticket_id}/csat",
        headers=partner,
        json={"rating": 2, "comment": "<b>报告晚了两天</b>"},
    )
    assert answered.status_code == 200, answered.text
    assert answered.json()["rating"] == 2
    (response,) = await factories.events_of_kind(hub, [TicketEventKind.CSAT_RESPONSE], ticket_id)
    assert response.data == {"rating": 2, "comment": "<b>报告晚了两天</b>"}
    async with hub.uow() as uow:
        told = (
            await uow.session.scalars(sa.select(Notification.user_id).where(Notification.kind == "csat_low"))
        ).all()
    assert told == [manager.id], "a rating of 2 or less goes to the account manager"
    again = await client.post(f"/api/v1/portal/tickets/{ticket_id}/csat", headers=partner, json={"rating": 5})
    assert again.status_code == 409
    shown = await client.get(f"/tickets/{ticket_id}", headers=partner)
    assert 'data-csat-portal="answered"' in shown.text
    assert "&lt;b&gt;报告晚了两天&lt;/b&gt;" in shown.text, "the partner's words shown as text"
    assert '<form class="portal-form" data-api="/api/v1/portal/tickets' not in shown.text


async def _answered_and_resolved(hub, cast, manager, text: str):
    asked = await messages.post(hub, factories.actor(cast.partner), text)
    await tickets.reply(hub, factories.actor(manager), asked.ticket_id, tickets.Draft(text="收到。"))
    await tickets.set_status(hub, factories.actor(manager), asked.ticket_id, TicketStatus.RESOLVED)
    return asked.ticket_id


async def _survey_of(hub, ticket_id):
    async with hub.uow() as uow:
        (survey,) = await surveys.for_ticket(uow.session, ticket_id)
    return survey


async def test_one_survey_per_partner_user_a_week_and_a_reopen_cancels_it(client, hub, cast) -> None:
    first, manager = await _resolved_request(hub, cast)
    assert (await surveys.send_due(hub)).sent == 1
    # A second request of the same partner user within 7 days is not surveyed again.
    second = await _answered_and_resolved(hub, cast, manager, "还有一个问题：第四批呢？")
    assert second != first
    assert (await surveys.send_due(hub)).not_sent == 1
    assert ((await _survey_of(hub, second)).state, (await _survey_of(hub, second)).reason) == (
        "not_sent",
        "contact_cap",
    )
    # Reopened before its survey went: cancelled, and the request's page shows none.
    await csat_settings.update(hub, factories.actor_cli(), delay_minutes=60)
    third = await _answered_and_resolved(hub, cast, manager, "第五批的包装规格改了吗？")
    await tickets.set_status(hub, factories.actor(manager), third, TicketStatus.OPEN)
    assert (await _survey_of(hub, third)).state == "cancelled"
    page = await client.get(f"/tickets/{third}", headers=cast.as_(Role.PARTNER))
    assert page.status_code == 200 and "data-csat-portal" not in page.text
