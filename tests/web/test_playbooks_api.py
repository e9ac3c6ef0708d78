"""Playbooks over HTTP: the library, starting the complaint playbook on a ticket, its steps, the
resolve gate, tone rules at send time and strict variables."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from hub.domain import ChannelKind, Role, TicketEventKind
from hub.models import Ticket
from tests import factories
from tests.web.helpers import assert_problem

pytestmark = pytest.mark.anyio


async def _complaint_ticket(hub) -> str:
    channel = await factories.channel(hub, ChannelKind.EMAIL)
    result = await factories.inbound(
        hub,
        channel.id,
        sender="wang@example.com",
        name="王女士",
        text="收到的货是坏的，我要投诉！",
        subject="投诉",
    )
    return str(result.ticket_id)


async def test_the_library_is_listed_for_staff_only(client, cast) -> None:
    listed = await client.get("/api/v1/playbooks", headers=cast.as_(Role.AGENT))
    assert listed.status_code == 200, listed.text
    complaint = next(p for p in listed.json() if p["id"] == "complaint")
    assert complaint["version"] == 1 and complaint["scenario"] == "complaint" and complaint["problems"] == []
    assert complaint["title"] == {"zh-CN": "客户投诉处理", "en": "Customer complaint"}
    assert_problem(await client.get("/api/v1/playbooks", headers=cast.as_(Role.PARTNER)), 403, "forbidden")


async def test_complaint_runs_gates_resolution_and_holds_replies_to_its_tone(hub, client, cast) -> None:
    agent = cast.as_(Role.AGENT)
    ticket_id = await _complaint_ticket(hub)
    url = f"/api/v1/tickets/{ticket_id}/playbook"

    shown = (await client.get(url, headers=agent)).json()
    assert shown["run"] is None
    assert {"playbook": "complaint", "reason": "keyword", "detail": "投诉"}.items() <= next(
        s for s in shown["suggestions"] if s["playbook"] == "complaint"
    ).items()
    # A partner never sees another organisation's ticket, nor any playbook.
    assert_problem(await client.get(url, headers=cast.as_(Role.PARTNER)), 403, "forbidden")

    started = await client.post(url, json={"playbook": "complaint"}, headers=agent)
    assert started.status_code == 200, started.text
    run = started.json()["run"]
    assert run["playbook"] == "complaint" and run["version"] == 1 and run["status"] == "active"
    assert [s["id"] for s in run["steps"] if s["state"] == "open"] == ["acknowledge", "collect", "grade"]
    assert_problem(await client.post(url, json={"playbook": "inquiry"}, headers=agent), 409, "conflict")
    # on_start: priority high and the complaint tag, through the ticket's own use cases.
    ticket = (await client.get(f"/api/v1/tickets/{ticket_id}", headers=agent)).json()
    assert ticket["priority"] == "high" and "complaint" in ticket["tags"]

    # Resolving now: 409 naming the open required steps, in the reader's language.
    refused = await client.post(
        f"/api/v1/tickets/{ticket_id}/status",
        json={"status": "resolved"},
        headers={**agent, "Accept-Language": "zh-CN"},
    )
    body = assert_problem(refused, 409, "playbook_steps_open")
    assert body["missing_steps"] == ["acknowledge", "collect", "grade"]
    assert "话术手册 complaint 还有必做步骤未完成" in body["detail"]

    # Strict variables: the proposal needs the agent's remedy and the form's order number.
    missing = await client.post(url, json={"step": "propose", "render": {"locale": "zh-CN"}}, headers=agent)
    assert "no value for fields.order_no, remedy" in assert_problem(missing, 422, "invalid_input")["detail"]
    ack = await client.post(url, json={"step": "acknowledge", "render": {"locale": "zh-CN"}}, headers=agent)
    assert ack.status_code == 200, ack.text
    reply = ack.json()["reply"]
    assert reply["variant"] == "email" and reply["subject"].startswith("您的反馈已收到（工单 ")
    assert reply["text"].startswith("王女士您好：") and "深感抱歉" in reply["text"]

    # A reply step is done only once its reply went out.
    assert_problem(
        await client.post(url, json={"step": "acknowledge", "done": {}}, headers=agent), 409, "conflict"
    )
    send = f"/api/v1/tickets/{ticket_id}/reply"
    blocked = await client.post(send, json={"text": "您好，这不算大事，抱歉。"}, headers=agent)
    assert assert_problem(blocked, 422, "playbook_tone_blocked")["tone"] == [
        {"phrase": "这不算大事", "severity": "block", "rule": "forbidden"}
    ]
    no_apology = await client.post(send, json={"text": "收到，我们看一下。"}, headers=agent)
    assert assert_problem(no_apology, 422, "playbook_tone_blocked")["tone"][0]["rule"] == "missing"
    sent = await client.post(send, json={"text": reply["text"] + "\n您别急。"}, headers=agent)
    assert sent.status_code == 201, sent.text
    assert sent.json()["meta"]["tone"] == [{"phrase": "您别急", "rule": "forbidden"}]
    done = await client.post(url, json={"step": "acknowledge", "done": {}}, headers=agent)
    assert done.status_code == 200, done.text
    record = next(s for s in done.json()["run"]["steps"] if s["id"] == "acknowledge")["record"]
    assert record["state"] == "done" and record["evidence"]["message_id"] == sent.json()["id"]
    assert record["by"] == str(cast.agent.id)

    # The form checks its fields; a yellow complaint skips the red escalation.
    bad = await client.post(
        url,
        json={"step": "collect", "done": {"fields": {"order_no": "x", "category": "logistics"}}},
        headers=agent,
    )
    assert "order_no does not have the expected form" in assert_problem(bad, 422, "invalid_input")["detail"]
    form = {"order_no": "SO-20261206", "category": "logistics", "severity": "yellow", "expectation": "换新"}
    collected = await client.post(url, json={"step": "collect", "done": {"fields": form}}, headers=agent)
    run = collected.json()["run"]
    states = {s["id"]: s["state"] for s in run["steps"]}
    assert states["grade"] == "done" and states["escalate_now"] == "not_applicable"
    assert run["fields"] == form
    assert run["missing_steps"] == ["investigate", "propose", "execute", "callback"]

    # Skipping needs a reason; a checklist needs every item.
    assert_problem(
        await client.post(url, json={"step": "investigate", "skip": " "}, headers=agent), 422, "invalid_input"
    )
    partial = await client.post(url, json={"step": "investigate", "done": {"items": [0, 1]}}, headers=agent)
    assert "open: 3" in assert_problem(partial, 422, "invalid_input")["detail"]
    assert (
        await client.post(url, json={"step": "investigate", "done": {"items": [0, 1, 2]}}, headers=agent)
    ).status_code == 200
    for step in ("propose", "callback"):
        skipped = await client.post(url, json={"step": step, "skip": "客户电话里已确认方案"}, headers=agent)
        assert skipped.status_code == 200, skipped.text
    still = await client.post(
        f"/api/v1/tickets/{ticket_id}/status", json={"status": "resolved"}, headers=agent
    )
    assert assert_problem(still, 409, "playbook_steps_open")["missing_steps"] == ["execute"]
    finished = await client.post(url, json={"step": "execute", "done": {"items": [0, 1]}}, headers=agent)
    assert finished.json()["run"]["status"] == "completed"
    resolved = await client.post(
        f"/api/v1/tickets/{ticket_id}/status", json={"status": "resolved"}, headers=agent
    )
    assert resolved.status_code == 200, resolved.text

    # The run is on the ticket's event log: started, each step with who and why, completed.
    events = await factories.events(hub, resolved.json()["id"])
    playbook_events = [(e.kind, e.data.get("step")) for e in events if e.kind.value.startswith("playbook_")]
    assert playbook_events == [
        (TicketEventKind.PLAYBOOK_STARTED, None),
        (TicketEventKind.PLAYBOOK_STEP_DONE, "acknowledge"),
        (TicketEventKind.PLAYBOOK_STEP_DONE, "collect"),
        (TicketEventKind.PLAYBOOK_STEP_DONE, "investigate"),
        (TicketEventKind.PLAYBOOK_STEP_SKIPPED, "propose"),
        (TicketEventKind.PLAYBOOK_STEP_SKIPPED, "callback"),
        (TicketEventKind.PLAYBOOK_STEP_DONE, "execute"),
        (TicketEventKind.PLAYBOOK_COMPLETED, None),
    ]
    skipped_event = next(e for e in events if e.kind is TicketEventKind.PLAYBOOK_STEP_SKIPPED)
    assert (
        skipped_event.data["reason"] == "客户电话里已确认方案"
        and skipped_event.actor_user_id == cast.agent.id
    )
    collected_event = next(e for e in events if e.data.get("step") == "collect")
    assert collected_event.data["evidence"] == {"fields": sorted(form)}
    async with hub.uow() as uow:
        assert (
            await uow.session.scalar(sa.select(Ticket.status).where(Ticket.id == events[0].ticket_id))
        ).value == "resolved"


async def test_the_body_names_one_thing_to_do(hub, client, cast) -> None:
    ticket_id = await _complaint_ticket(hub)
    url = f"/api/v1/tickets/{ticket_id}/playbook"
    agent = cast.as_(Role.AGENT)
    assert_problem(await client.post(url, json={}, headers=agent), 422, "invalid_input")
    assert_problem(await client.post(url, json={"playbook": "nope"}, headers=agent), 404, "not_found")
    assert_problem(
        await client.post(url, json={"step": "collect", "skip": "x", "done": {}}, headers=agent),
        422,
        "invalid_input",
    )
    assert_problem(
        await client.post(url, json={"step": "collect", "skip": "x"}, headers=agent), 409, "conflict"
    )


async def test_the_ticket_page_shows_suggestions_then_the_running_steps(hub, client) -> None:
    agent = await factories.user(hub, Role.AGENT)
    ticket_id = await _complaint_ticket(hub)
    response = await client.post(
        "/api/v1/auth/login", json={"email": agent.email, "password": factories.PASSWORD}
    )
    assert response.status_code == 200
    page = (await client.get(f"/tickets/{ticket_id}")).text  # the agent's locale: zh-CN
    assert 'data-suggested="complaint"' in page and "客户提到“投诉”" in page
    started = await client.post(
        f"/api/v1/tickets/{ticket_id}/playbook",
        json={"playbook": "complaint"},
        headers={"x-csrf-token": client.cookies["hub_csrf"]},
    )
    assert started.status_code == 200, started.text
    parts = (await client.get(f"/tickets/{ticket_id}/parts")).text
    assert 'data-playbook="complaint" data-run="active"' in parts
    assert 'id="pb-gate" data-missing="acknowledge collect grade"' in parts
    assert "解决工单前还需完成：先听完，再致歉，并承诺答复时间；问清事实并定级；红色投诉立即上报。" in parts
    assert 'name="done.fields.severity"' in parts and 'id="pb-insert-acknowledge"' in parts
    # Branch steps are decided, never shown as something to do.
    assert 'id="pb-step-grade"' not in parts
    # The playbook's targets are the ticket's SLA while it runs, and the panel says whose they are.
    assert "话术手册 complaint 执行期间的时限，日历 cn" in parts


async def test_snippets_are_filled_in_for_the_ticket(hub, client, cast) -> None:
    ticket_id = await _complaint_ticket(hub)
    url = f"/api/v1/tickets/{ticket_id}/snippets"
    listed = await client.get(url, params={"locale": "zh-CN"}, headers=cast.as_(Role.AGENT))
    assert listed.status_code == 200, listed.text
    by_shortcut = {s["shortcut"]: s for s in listed.json()}
    assert by_shortcut["hi"]["text"].startswith("王女士您好，我是Agent")
    english = (await client.get(url, params={"locale": "en"}, headers=cast.as_(Role.AGENT))).json()
    assert next(s for s in english if s["shortcut"] == "wait")["text"].startswith("Let me check that")
    assert_problem(await client.get(url, headers=cast.as_(Role.PARTNER)), 403, "forbidden")


async def test_the_library_page_lists_versions_and_checks_for_staff(hub, client) -> None:
    agent = await factories.user(hub, Role.AGENT)
    response = await client.post(
        "/api/v1/auth/login", json={"email": agent.email, "password": factories.PASSWORD}
    )
    assert response.status_code == 200
    page = (await client.get("/playbooks")).text
    assert '<a href="/playbooks">话术手册</a>' in page
    assert (
        'data-playbook="complaint" data-valid="yes"' in page and "客户投诉处理" in page and "第 1 版" in page
    )


async def test_a_companys_broken_playbook_is_listed_with_its_problems_and_cannot_start(
    hub, make_client, tmp_path
) -> None:
    from playbooks.catalogue import LIBRARY

    company = tmp_path / "company"
    company.mkdir()
    text = (LIBRARY / "inquiry.yaml").read_text(encoding="utf-8").replace("{{ answer_text }}", "{{ answer }}")
    (company / "inquiry.yaml").write_text(text, encoding="utf-8")
    agent = await factories.user(hub, Role.AGENT)
    ticket_id = await _complaint_ticket(hub)
    async with make_client(HUB_PLAYBOOKS_DIR=str(company)) as client:
        login = await client.post(
            "/api/v1/auth/login", json={"email": agent.email, "password": factories.PASSWORD}
        )
        headers = {"Authorization": f"Bearer {login.json()['token']}"}
        listed = {p["id"]: p for p in (await client.get("/api/v1/playbooks", headers=headers)).json()}
        assert listed["inquiry"]["source"] == str(company / "inquiry.yaml")
        assert any("variable answer is not declared" in line for line in listed["inquiry"]["problems"])
        refused = await client.post(
            f"/api/v1/tickets/{ticket_id}/playbook", json={"playbook": "inquiry"}, headers=headers
        )
        assert_problem(refused, 404, "not_found")
        page = (await client.get("/playbooks")).text
        assert 'data-playbook="inquiry" data-valid="no"' in page and "variable answer is not declared" in page


async def test_the_panel_shows_the_playbooks_follow_ups_and_webhooks(hub, client) -> None:
    import uuid

    from hub.models import PlaybookWebhook
    from hub.playbooks import followups

    agent = await factories.user(hub, Role.AGENT)
    ticket_id = await _complaint_ticket(hub)
    await followups.schedule(
        hub, uuid.UUID(ticket_id), playbook_id="complaint", after="1bd", note="回电 call back"
    )
    async with hub.uow() as uow:
        uow.session.add(
            PlaybookWebhook(
                ticket_id=uuid.UUID(ticket_id),
                playbook_id="complaint",
                url="https://erp.example/hooks/complaint",
                secret_env="ERP_HOOK_SECRET",
                body=b"{}",
                status="failed",
                attempts=5,
                last_error="https://erp.example/hooks/complaint answered 503",
            )
        )
        await uow.commit()
    await client.post("/api/v1/auth/login", json={"email": agent.email, "password": factories.PASSWORD})
    page = (await client.get(f"/tickets/{ticket_id}")).text
    assert "跟进与外部通知" in page and "回电 call back" in page
    assert (
        'data-webhook-status="failed"' in page
        and "已尝试 5 次：https://erp.example/hooks/complaint answered 503" in page
    )
    events = (await client.get(f"/api/v1/tickets/{ticket_id}/events")).json()
    kinds = [e["kind"] for e in (events["items"] if isinstance(events, dict) else events)]
    assert "followup_scheduled" in kinds
