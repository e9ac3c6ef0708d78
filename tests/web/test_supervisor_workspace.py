"""The supervisor workspace over HTTP: the survey's landing page answered once by signed link, the
survey settings (admins), decisions published to a team and confirmed by its agent, and the audit
log searched and exported (supervisors)."""

from __future__ import annotations

import csv
import io
import re
import uuid

import pytest

from hub.csat import settings as csat_settings
from hub.csat import surveys, tokens
from hub.domain import ChannelKind, Role, TicketEventKind, TicketStatus
from hub.tickets import tickets
from tests import factories
from tests.web.helpers import assert_problem

pytestmark = pytest.mark.anyio


async def _sent_survey(hub, *, sender: str = "wang@client.example") -> tuple[uuid.UUID, str]:
    """An e-mail ticket answered, resolved and surveyed at once (the delay set to 0)."""
    await csat_settings.update(hub, factories.actor_cli(), delay_minutes=0)
    box = await factories.channel(hub, ChannelKind.EMAIL)
    agent = factories.actor(await factories.user(hub, Role.AGENT))
    ticket_id = (await factories.inbound(hub, box.id, sender=sender, text="发票开错了")).ticket_id
    assert ticket_id is not None
    await tickets.reply(hub, agent, ticket_id, tickets.Draft(text="已重开。"))
    await tickets.set_status(hub, agent, ticket_id, TicketStatus.RESOLVED)
    assert (await surveys.send_due(hub)).sent == 1
    (survey,) = await _surveys(hub, ticket_id)
    return ticket_id, tokens.sign(hub.settings.secret_key, survey.id)


async def _surveys(hub, ticket_id):
    async with hub.uow() as uow:
        return await surveys.for_ticket(uow.session, ticket_id)


async def test_the_landing_page_preselects_the_clicked_face_and_takes_one_answer(client, hub, cast) -> None:
    ticket_id, token = await _sent_survey(hub)
    page = await client.get(f"/csat/{token}?rating=4")
    assert page.status_code == 200 and "default-src 'none'" in page.headers["content-security-policy"]
    assert re.search(r'value="4" checked', page.text) and "非常满意" in page.text
    assert "<script>" not in page.text
    assert not [
        e for e in await factories.events(hub, ticket_id) if e.kind is TicketEventKind.CSAT_RESPONSE
    ], "opening the link records nothing: mail scanners open links too"
    answered = await client.post(f"/csat/{token}", data={"rating": "2", "comment": "<b>等了三天</b>"})
    assert answered.status_code == 200 and "感谢您的评价" in answered.text
    assert "&lt;b&gt;等了三天&lt;/b&gt;" in answered.text, "the client's words are shown as text"
    (response,) = [
        e for e in await factories.events(hub, ticket_id) if e.kind is TicketEventKind.CSAT_RESPONSE
    ]
    assert response.data == {"rating": 2, "comment": "<b>等了三天</b>"}
    again = await client.post(f"/csat/{token}", data={"rating": "5"})
    assert again.status_code == 200 and "感谢您的评价" in again.text
    assert (
        len([e for e in await factories.events(hub, ticket_id) if e.kind is TicketEventKind.CSAT_RESPONSE])
        == 1
    )
    forged = token[:-2] + ("00" if token[-2:] != "00" else "11")
    assert (await client.get(f"/csat/{forged}")).status_code == 404
    # Staff see the answer on the ticket.
    ticket_page = (await client.get(f"/tickets/{ticket_id}", headers=cast.as_(Role.AGENT))).text
    assert 'data-csat="answered" data-rating="2"' in ticket_page and "等了三天" in ticket_page


async def test_admins_read_and_change_the_survey_settings(client, hub, cast) -> None:
    admin = cast.as_(Role.ADMIN)
    shown = (await client.get("/api/v1/csat/settings", headers=admin)).json()
    assert shown["delay_minutes"] == 60 and shown["contact_cap_days"] == 7
    assert shown["defaults"]["en"]["thanks"] == "Thank you for your feedback!"
    changed = await client.put(
        "/api/v1/csat/settings",
        headers=admin,
        json={"contact_cap_days": 14, "texts": {"en": {"thanks": "Thanks a lot!"}}},
    )
    assert changed.status_code == 200 and changed.json()["texts"] == {"en": {"thanks": "Thanks a lot!"}}
    reset = await client.put("/api/v1/csat/settings", headers=admin, json={"texts": {"en": {"thanks": None}}})
    assert reset.json()["texts"] == {} and reset.json()["contact_cap_days"] == 14
    assert_problem(
        await client.put("/api/v1/csat/settings", headers=admin, json={"texts": {"en": {"nope": "x"}}}),
        422,
        "invalid_input",
    )
    assert_problem(
        await client.put("/api/v1/csat/settings", headers=cast.as_(Role.SUPERVISOR), json={}),
        403,
        "forbidden",
    )


async def test_a_decision_reaches_its_team_who_confirm_and_answer(client, hub, cast) -> None:
    team = await factories.team(hub)
    member = await factories.user(hub, Role.AGENT, team_id=team.id)
    member_h = await factories.login(client, member)
    outsider = cast.as_(Role.AGENT)
    published = await client.post(
        "/api/v1/decisions/",
        headers=cast.as_(Role.SUPERVISOR),
        json={
            "title": "退款审批改为两级",
            "body": "从下周一起，超过 500 元的退款需主管复核。",
            "team_ids": [str(team.id)],
        },
    )
    assert published.status_code == 201, published.text
    decision = published.json()
    assert decision["read_within"] == "24h" and decision["feedback_within"] == "3bd"
    (mine,) = (await client.get("/api/v1/decisions/mine?unread=true", headers=member_h)).json()
    assert mine["decision"]["id"] == decision["id"] and mine["receipt"]["read_at"] is None
    assert (await client.get("/api/v1/decisions/mine", headers=outsider)).json() == []
    assert_problem(
        await client.get(f"/api/v1/decisions/{decision['id']}", headers=outsider), 404, "not_found"
    )
    notified = (await client.get("/api/v1/notifications", headers=member_h)).json()["items"]
    assert any(n["kind"] == "decision_published" and "退款审批改为两级" in n["text"] for n in notified)

    assert (
        await client.post(f"/api/v1/decisions/{decision['id']}/read", headers=member_h)
    ).status_code == 200
    answered = await client.post(
        f"/api/v1/decisions/{decision['id']}/feedback",
        headers=member_h,
        json={"feedback": "收到，已转告组员。"},
    )
    assert answered.status_code == 200 and answered.json()["feedback"] == "收到，已转告组员。"
    assert (await client.get("/api/v1/decisions/mine?unread=true", headers=member_h)).json() == []

    detail = (
        await client.get(f"/api/v1/decisions/{decision['id']}", headers=cast.as_(Role.SUPERVISOR))
    ).json()
    assert detail["tally"] == {"recipients": 1, "read": 1, "answered": 1, "read_late": 0, "feedback_late": 0}
    assert [r["name"] for r in detail["recipients"]] == [member.name]
    page = (await client.get(f"/decisions/{decision['id']}", headers=cast.as_(Role.SUPERVISOR))).text
    assert "收到，已转告组员。" in page and 'data-read="yes"' in page

    # A guideline gets versions; a decision does not.
    guideline = (
        await client.post(
            "/api/v1/decisions/",
            headers=cast.as_(Role.SUPERVISOR),
            json={"title": "投诉话术指引", "body": "先致歉，再说明。", "kind": "guideline"},
        )
    ).json()
    second = await client.post(
        "/api/v1/decisions/",
        headers=cast.as_(Role.SUPERVISOR),
        json={
            "title": "投诉话术指引",
            "body": "先致歉，再说明，最后确认。",
            "kind": "guideline",
            "series_id": guideline["series_id"],
        },
    )
    assert second.status_code == 201 and second.json()["version"] == 2
    refused = await client.post(
        "/api/v1/decisions/",
        headers=cast.as_(Role.SUPERVISOR),
        json={"title": "x", "body": "y", "kind": "guideline", "series_id": decision["series_id"]},
    )
    assert_problem(refused, 422, "invalid_input")
    lateness = await client.get(
        "/api/v1/decisions/lateness",
        headers=cast.as_(Role.SUPERVISOR),
        params={
            "since": "2020-01-01T00:00:00+08:00",
            "until": "2100-01-01T00:00:00+08:00",
            "team_id": str(team.id),
        },
    )
    assert lateness.json()["read_on_time"] == 1 and lateness.json()["feedback_on_time"] == 1


async def test_the_audit_log_is_searched_by_actor_object_and_period_and_exported_with_a_bom(
    client, hub, cast
) -> None:
    supervisor = cast.as_(Role.SUPERVISOR)
    team = (
        await client.post("/api/v1/teams", headers=cast.as_(Role.ADMIN), json={"name": "售后一组"})
    ).json()
    await client.patch(f"/api/v1/teams/{team['id']}", headers=cast.as_(Role.ADMIN), json={"name": "售后二组"})
    await client.put("/api/v1/csat/settings", headers=cast.as_(Role.ADMIN), json={"delay_minutes": 30})
    found = (
        await client.get(
            "/api/v1/audit", headers=supervisor, params={"actor": str(cast.admin.id), "subject_type": "team"}
        )
    ).json()
    assert [i["action"] for i in found["items"]] == ["team.updated", "team.created"]
    assert (
        found["items"][0]["actor_name"] == cast.admin.name and found["items"][0]["subject_id"] == team["id"]
    )
    paged = (
        await client.get(
            "/api/v1/audit", headers=supervisor, params={"actor": str(cast.admin.id), "limit": 1}
        )
    ).json()
    assert len(paged["items"]) == 1 and paged["next_before"] == paged["items"][0]["id"]
    older = (
        await client.get(
            "/api/v1/audit",
            headers=supervisor,
            params={"actor": str(cast.admin.id), "before": paged["next_before"]},
        )
    ).json()
    assert all(i["id"] < paged["next_before"] for i in older["items"]) and older["items"]
    empty = (
        await client.get("/api/v1/audit", headers=supervisor, params={"until": "2000-01-01T00:00:00+00:00"})
    ).json()
    assert empty["items"] == []
    # A period is an instant with its offset: a bare number (which a datetime parser would read as
    # a Unix time), a date alone or an impossible day is refused, not searched.
    for wrong in ("0", "2026-12-01", "2026-13-01T00:00:00+08:00"):
        refused = await client.get("/api/v1/audit", headers=supervisor, params={"until": wrong})
        assert refused.status_code in (400, 422), (wrong, refused.text)
    export = await client.get(
        "/api/v1/audit/export.csv",
        headers=supervisor,
        params={"subject_type": "team", "actor": str(cast.admin.id)},
    )
    assert export.status_code == 200 and export.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["at", "actor", "actor_kind", "action"]
    assert [r[3] for r in rows[1:]] == ["team.updated", "team.created"] and "售后二组" in rows[1][7]
    assert rows[1][0].endswith("+08:00"), "times in the reader's zone"
    page = await client.get("/audit", headers=supervisor, params={"subject_type": "team"})
    assert page.status_code == 200 and page.text.count('data-action="team.') == 2
    assert (await client.get("/audit", headers=cast.as_(Role.AGENT))).status_code == 403
