"""The monthly review page and its PDF (supervisors and admins): a survey answered this month shows
with its comment and a link to its ticket, in the reader's language."""

from __future__ import annotations

import io
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader

from hub.csat import settings as csat_settings
from hub.csat import surveys
from hub.domain import ChannelKind, Role, TicketStatus
from hub.models import User
from hub.reporting import projection
from hub.tickets import tickets
from tests import factories

pytestmark = pytest.mark.anyio


async def _answered(hub) -> str:
    """An e-mail ticket answered, resolved, surveyed and rated 2 with a comment, now."""
    await csat_settings.update(hub, factories.actor_cli(), delay_minutes=0)
    box = await factories.channel(hub, ChannelKind.EMAIL)
    agent = factories.actor(await factories.user(hub, Role.AGENT))
    ticket_id = (
        await factories.inbound(hub, box.id, sender="zhao@client.example", text="发票开错了")
    ).ticket_id
    assert ticket_id is not None
    await tickets.reply(hub, agent, ticket_id, tickets.Draft(text="已重开。"))
    await tickets.set_status(hub, agent, ticket_id, TicketStatus.RESOLVED)
    assert (await surveys.send_due(hub)).sent == 1
    async with hub.uow() as uow:
        (survey,) = await surveys.for_ticket(uow.session, ticket_id)
    await surveys.answer(hub, survey.id, 2, "发票等了三天")
    await projection.drain(hub)  # what the worker does every second
    return str(ticket_id)


async def test_a_supervisor_reads_the_month_in_both_languages_and_downloads_it(client, hub, cast) -> None:
    ticket_id = await _answered(hub)
    month = hub.clock.now().astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")
    supervisor = cast.as_(Role.SUPERVISOR)
    page = await client.get("/reports/monthly", headers=supervisor, params={"month": month})
    assert page.status_code == 200
    assert f"{month} 沟通复盘" in page.text and "发票等了三天" in page.text
    assert f'href="/tickets/{ticket_id}"' in page.text and "data-csat-score>0.0%" in page.text
    reader = await factories.user(hub, Role.SUPERVISOR)
    async with hub.uow() as uow:
        (await uow.session.get(User, reader.id)).locale = "en"
        await uow.commit()
    as_reader = await factories.login(client, reader)
    english = await client.get("/reports/monthly", headers=as_reader, params={"month": month})
    assert f"Monthly review {month}" in english.text and "Client satisfaction" in english.text
    pdf = await client.get("/reports/monthly.pdf", headers=supervisor, params={"month": month})
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert f"monthly-review-{month}.pdf" in pdf.headers["content-disposition"]
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "发票等了三天" in text and "客户满意度" in text


async def test_agents_and_partners_are_refused_and_a_bad_month_is_400(client, cast) -> None:
    for role in (Role.AGENT, Role.PARTNER):
        assert (await client.get("/reports/monthly", headers=cast.as_(role))).status_code == 403
        assert (await client.get("/reports/monthly.pdf", headers=cast.as_(role))).status_code == 403
    bad = await client.get("/reports/monthly", headers=cast.as_(Role.ADMIN), params={"month": "2026-13"})
    assert bad.status_code == 422
    empty = await client.get("/reports/monthly", headers=cast.as_(Role.ADMIN), params={"month": "2020-01"})
    assert empty.status_code == 200 and "data-mr-empty" in empty.text
