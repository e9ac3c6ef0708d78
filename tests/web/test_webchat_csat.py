"""A satisfaction survey in a web-chat conversation, over the widget's REST protocol: the survey
message in the visitor's transcript, answered once with the visitor's own token; another visitor's
token cannot answer it."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from hub.csat import surveys
from hub.domain import Role, TicketEventKind, TicketStatus
from hub.models import CsatSurvey, Message
from hub.tickets import tickets
from tests import factories
from tests.web.helpers import assert_problem
from tests.web.test_webchat import _auth, _base, _chat, _say, _session

pytestmark = pytest.mark.anyio


async def test_a_visitor_answers_the_survey_in_the_conversation_once(client, hub) -> None:
    channel = await _chat(hub)
    session = await _session(client, channel, page={"url": "https://shop.example/", "language": "en-GB"})
    stranger = await _session(client, channel)
    said = await _say(client, channel, session["token"], "My order is late")
    assert said.status_code == 201, said.text
    await _say(client, channel, stranger["token"], "Another question")
    async with hub.uow() as uow:
        ticket_id = await uow.session.scalar(
            sa.select(Message.ticket_id).where(Message.text == "My order is late")
        )
    agent = factories.actor(await factories.user(hub, Role.AGENT))
    await tickets.reply(hub, agent, ticket_id, tickets.Draft(text="It ships today."))
    await tickets.set_status(hub, agent, ticket_id, TicketStatus.RESOLVED)
    assert (await surveys.send_due(hub)).sent == 1

    transcript = (await client.get(f"{_base(channel)}/messages", headers=_auth(session["token"]))).json()[
        "messages"
    ]
    survey = transcript[-1]
    assert survey["csat"] == {"rating": None} and survey["text"] == "How would you rate this conversation?"
    assert "/csat/" not in str(survey), "the signed link stays out of the widget"

    body = {"message_id": survey["id"], "rating": 5, "comment": "Thanks!"}
    assert_problem(
        await client.post(f"{_base(channel)}/csat", json=body, headers=_auth(stranger["token"])),
        404,
        "not_found",
    )
    assert_problem(
        await client.post(
            f"{_base(channel)}/csat", json={**body, "rating": 6}, headers=_auth(session["token"])
        ),
        422,
        "invalid_input",
    )
    answered = await client.post(f"{_base(channel)}/csat", json=body, headers=_auth(session["token"]))
    assert answered.status_code == 200 and answered.json()["csat"] == {"rating": 5}
    assert_problem(
        await client.post(f"{_base(channel)}/csat", json=body, headers=_auth(session["token"])),
        409,
        "csat_closed",
    )
    responses = [
        e.data for e in await factories.events(hub, ticket_id) if e.kind is TicketEventKind.CSAT_RESPONSE
    ]
    assert responses == [{"rating": 5, "comment": "Thanks!"}]
    again = (await client.get(f"{_base(channel)}/messages", headers=_auth(session["token"]))).json()[
        "messages"
    ]
    assert again[-1]["csat"] == {"rating": 5}
    assert await factories.count(hub, CsatSurvey) == 1
