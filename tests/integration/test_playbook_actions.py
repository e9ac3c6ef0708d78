"""A playbook's last actions: the ticket's survey sent through its channel, a follow-up reminded by
the worker's sweep at an SLA-unit offset, a webhook signed and retried against a real loopback
server, and a low survey rating suggesting a playbook."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from hub.csat import surveys
from hub.domain import ChannelKind, Role, TicketEventKind, TicketStatus
from hub.models import CsatSurvey, Notification, PlaybookSuggestionRow
from hub.playbooks import runs, webhooks
from hub.requirements import followup_sweep
from hub.tickets import tickets
from playbooks.catalogue import LIBRARY, Catalogue
from tests import factories
from tests.loopback import Answer, CallbackServer

pytestmark = [pytest.mark.anyio, pytest.mark.integration]

K = TicketEventKind

PLAYBOOK = """\
schema: hub.playbook/v1
id: aftercare
version: 1
scenario: after_sales
title: {zh-CN: 售后回访, en: Aftercare}
locales: [zh-CN, en]
trigger:
  manual: true
  csat_at_most: 2
steps:
  - id: survey
    kind: action
    title: {zh-CN: 发送满意度调查, en: Send the survey}
    actions:
      - {send_csat: true}
  - id: remind
    kind: action
    title: {zh-CN: 两个工作小时后跟进, en: Follow up in two business hours}
    actions:
      - {schedule_followup: {after: 2bh, note: 回电确认 call back}}
  - id: tell_erp
    kind: action
    title: {zh-CN: 通知售后系统, en: Tell the after-sales system}
    actions:
      - {webhook: {url: "URL", secret_env: HUB_TEST_AFTERCARE_SECRET}}
"""


@pytest.fixture
async def server() -> AsyncIterator[CallbackServer]:
    running = await CallbackServer().start()
    yield running
    await running.close()


@pytest.fixture
def aftercare(clocked_hub, tmp_path: Path, server: CallbackServer):
    folder = tmp_path / "company"
    folder.mkdir()
    (folder / "aftercare.yaml").write_text(PLAYBOOK.replace("URL", server.url), encoding="utf-8")
    return dataclasses.replace(clocked_hub, playbooks=Catalogue([LIBRARY, folder]))


async def _answered_ticket(hub, agent, sender: str = "li@client.example"):
    channel = await factories.channel(hub, ChannelKind.EMAIL)
    ticket_id = (await factories.inbound(hub, channel.id, sender=sender, text="换货")).ticket_id
    assert ticket_id is not None
    await tickets.assign(hub, factories.actor(agent), ticket_id, agent.id)
    await tickets.reply(hub, factories.actor(agent), ticket_id, tickets.Draft(text="已为您换货。"))
    return ticket_id


async def _kinds(hub, ticket_id, *kinds: K) -> list[tuple[K, dict]]:
    return [(e.kind, e.data) for e in await factories.events(hub, ticket_id) if e.kind in kinds]


async def _told(hub, kind: str) -> list[Notification]:
    async with hub.session_factory() as session:
        return list(await session.scalars(sa.select(Notification).where(Notification.kind == kind)))


async def test_the_validator_accepts_the_actions_with_their_parameters(aftercare) -> None:
    (listed,) = [p for p in aftercare.playbooks.listing() if p.playbook_id == "aftercare"]
    assert listed.problems == ()


async def test_send_csat_sends_the_survey_now_once(aftercare) -> None:
    hub = aftercare
    agent = await factories.user(hub, Role.AGENT)
    ticket_id = await _answered_ticket(hub, agent)
    await runs.start(hub, factories.actor(agent), ticket_id, "aftercare")
    done = await runs.complete(hub, factories.actor(agent), ticket_id, "survey", runs.StepInput())
    assert done.run is not None
    record = next(s for s in done.run.steps if s.id == "survey").record
    assert record is not None and record["evidence"]["actions"] == ["send_csat: sent"]
    assert await _kinds(hub, ticket_id, K.CSAT_SENT) == [(K.CSAT_SENT, {"channel": "email"})]
    # The resolution that follows plans no second survey; asking again sends none either.
    await tickets.set_status(hub, factories.actor(agent), ticket_id, TicketStatus.RESOLVED)
    assert await surveys.request(hub, ticket_id) == "none"
    async with hub.session_factory() as session:
        assert await session.scalar(sa.select(sa.func.count(CsatSurvey.id))) == 1


async def test_a_follow_up_is_reminded_to_the_assignee_once_when_due(aftercare, clock) -> None:
    hub = aftercare
    agent = await factories.user(hub, Role.AGENT)
    ticket_id = await _answered_ticket(hub, agent)
    await runs.start(hub, factories.actor(agent), ticket_id, "aftercare")
    await runs.complete(hub, factories.actor(agent), ticket_id, "remind", runs.StepInput())
    ((_, scheduled),) = await _kinds(hub, ticket_id, K.FOLLOWUP_SCHEDULED)
    assert scheduled["after"] == "2bh" and scheduled["note"] == "回电确认 call back"

    assert (await followup_sweep.sweep(hub)).rows.get("playbook_followup", 0) == 0
    clock.at = datetime.fromisoformat(scheduled["due_at"]) + timedelta(seconds=1)
    first = await followup_sweep.sweep(hub)
    assert first.rows["playbook_followup"] == 1 and first.notified >= 1
    assert (await followup_sweep.sweep(hub)).rows.get("playbook_followup", 0) == 0
    assert [e["followup_id"] for _, e in await _kinds(hub, ticket_id, K.FOLLOWUP_DUE)] == [
        scheduled["followup_id"]
    ]
    told = await _told(hub, "playbook_followup")
    assert [(n.user_id, n.params["note"]) for n in told] == [(agent.id, "回电确认 call back")]


async def test_a_webhook_is_signed_retried_with_back_off_and_sent_once(
    aftercare, clock, server: CallbackServer, monkeypatch
) -> None:
    hub = aftercare
    monkeypatch.setenv("HUB_TEST_AFTERCARE_SECRET", "s3cret-for-the-test")
    agent = await factories.user(hub, Role.AGENT)
    ticket_id = await _answered_ticket(hub, agent)
    await runs.start(hub, factories.actor(agent), ticket_id, "aftercare")
    server.answer(Answer(status=503))
    await runs.complete(hub, factories.actor(agent), ticket_id, "tell_erp", runs.StepInput())
    (queued,) = await webhooks.for_ticket(hub, ticket_id)
    assert await webhooks.attempt(hub, queued.id) == "retry"  # the job's first attempt
    assert await webhooks.deliver_due(hub) == {}  # the back-off: not before a minute
    clock.advance(minutes=1, seconds=1)
    assert await webhooks.deliver_due(hub) == {"sent": 1}
    assert await webhooks.deliver_due(hub) == {}

    first, second = server.requests
    assert first.body == second.body, "the same body on every attempt"
    for request in (first, second):
        signed = request.headers["x-hub-timestamp"].encode() + b"." + request.body
        expected = hmac.new(b"s3cret-for-the-test", signed, hashlib.sha256).hexdigest()
        assert request.headers["x-hub-signature-256"] == f"sha256={expected}"
        assert request.headers["x-hub-delivery"] == str(queued.id)
    assert second.headers["x-hub-timestamp"] != first.headers["x-hub-timestamp"]
    body = json.loads(second.body)
    assert body["event"] == "playbook.webhook" and body["ticket"]["id"] == str(ticket_id)
    ((_, sent),) = await _kinds(hub, ticket_id, K.WEBHOOK_SENT)
    assert sent["attempts"] == 2 and sent["status"] == 200


async def test_a_refused_webhook_fails_for_good_and_the_assignee_is_told(
    aftercare, server: CallbackServer, monkeypatch
) -> None:
    hub = aftercare
    monkeypatch.setenv("HUB_TEST_AFTERCARE_SECRET", "s3cret-for-the-test")
    agent = await factories.user(hub, Role.AGENT)
    ticket_id = await _answered_ticket(hub, agent)
    await runs.start(hub, factories.actor(agent), ticket_id, "aftercare")
    server.answer(Answer(status=404, body=b"no such hook"))
    await runs.complete(hub, factories.actor(agent), ticket_id, "tell_erp", runs.StepInput())
    (queued,) = await webhooks.for_ticket(hub, ticket_id)
    assert await webhooks.attempt(hub, queued.id) == "failed"
    ((_, failed),) = await _kinds(hub, ticket_id, K.WEBHOOK_FAILED)
    assert failed["attempts"] == 1 and "404" in failed["error"]
    assert [n.user_id for n in await _told(hub, "playbook_webhook_failed")] == [agent.id]
    (row,) = await webhooks.for_ticket(hub, ticket_id)
    assert row.status == "failed" and row.next_attempt_at is None


async def test_a_low_survey_rating_suggests_the_playbook(aftercare) -> None:
    hub = aftercare
    agent = await factories.user(hub, Role.AGENT)
    low = await _answered_ticket(hub, agent, "low@client.example")
    high = await _answered_ticket(hub, agent, "high@client.example")
    for ticket_id, rating in ((low, 2), (high, 4)):
        assert await surveys.request(hub, ticket_id) == "sent"
        async with hub.session_factory() as session:
            survey = await session.scalar(sa.select(CsatSurvey).where(CsatSurvey.ticket_id == ticket_id))
        assert survey is not None
        await surveys.answer(hub, survey.id, rating)
    async with hub.session_factory() as session:
        rows = {r.ticket_id: r for r in await session.scalars(sa.select(PlaybookSuggestionRow))}
    assert rows[low].cause == "csat"
    assert [
        (s["playbook"], s["reason"], s["detail"]) for s in rows[low].suggestions if s["reason"] == "csat"
    ] == [("aftercare", "csat", "2")]
    assert not any(s["playbook"] == "aftercare" for s in rows[high].suggestions)
