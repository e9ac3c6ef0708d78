"""The API the admin pages post to, where it is new: business calendars, the channel connection
test, an administrator's two-factor reset, the list of one's own API tokens and which
notifications are e-mailed. Same checks, problems and audit lines as the CLI's use cases."""

from __future__ import annotations

import dataclasses
import uuid

import pytest
import sqlalchemy as sa

from hub import notifications
from hub.core import Hub
from hub.domain import ChannelKind, Role
from hub.models import AuditEvent, Notification, User
from tests import factories
from tests.web.helpers import assert_problem

pytestmark = pytest.mark.anyio


async def _audited(hub: Hub, action: str) -> list[AuditEvent]:
    async with hub.uow() as uow:
        return list(await uow.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)))


async def test_calendars_show_a_year_and_take_overrides_with_the_clis_checks(client, cast, hub: Hub) -> None:
    admin, supervisor = cast.as_(Role.ADMIN), cast.as_(Role.SUPERVISOR)
    year = (await client.get("/api/v1/calendars/cn?year=2026", headers=supervisor)).json()
    days = {d["date"]: d for d in year["days"]}
    assert year["known"] and days["2026-02-17"]["kind"] == "holiday"  # 春节
    assert days["2026-02-14"]["kind"] == "workday" and days["2026-02-14"]["periods"]  # a Saturday worked

    made = await client.put(
        "/api/v1/calendars/cn/days/2026-10-09", headers=admin, json={"kind": "holiday", "note": "公司年会"}
    )
    assert made.status_code == 200, made.text
    assert made.json() == {
        "date": "2026-10-09",
        "kind": "holiday",
        "periods": [],
        "note": "公司年会",
        "source": "admin",
    }
    assert await _audited(hub, "calendar.day_set")
    listed = {c["name"]: c for c in (await client.get("/api/v1/calendars", headers=supervisor)).json()}
    assert listed["cn"]["admin_days"] == 1
    refused = await client.put(
        "/api/v1/calendars/cn/days/2026-10-10", headers=supervisor, json={"kind": "holiday"}
    )
    assert_problem(refused, 403, "forbidden")

    bad = await client.put(
        "/api/v1/calendars/cn/days/2026-10-10", headers=admin, json={"kind": "workday", "periods": "9-12"}
    )
    assert assert_problem(bad, 422, "invalid_input")["detail"].startswith("Invalid input: periods: ")
    gone = await client.delete("/api/v1/calendars/cn/days/2026-10-09", headers=admin)
    assert gone.status_code == 204
    again = await client.delete("/api/v1/calendars/cn/days/2026-10-09", headers=admin)
    assert_problem(again, 422, "invalid_input")

    created = await client.post(
        "/api/v1/calendars",
        headers=admin,
        json={"name": "sz-factory", "week": ["mon-sat=08:00-12:00,13:00-17:00"], "base": "cn"},
    )
    assert created.status_code == 201, created.text
    assert created.json()["week"] == "mon-sat 08:00-12:00 13:00-17:00" and created.json()["base"] == "cn"
    bad_week = await client.post("/api/v1/calendars", headers=admin, json={"name": "x1", "week": ["mon-fri"]})
    assert "week[0]: not a DAYS=PERIODS line" in assert_problem(bad_week, 422, "invalid_input")["detail"]
    taken = await client.post("/api/v1/calendars", headers=admin, json={"name": "cn"})
    assert_problem(taken, 409, "conflict")
    unknown = await client.get("/api/v1/calendars/nowhere", headers=admin)
    assert_problem(unknown, 404, "calendar_not_found")


async def test_an_admin_resets_two_factor_and_it_is_audited(client, cast, hub: Hub) -> None:
    async with hub.uow() as uow:
        agent = await uow.session.get(User, cast.agent.id)
        assert agent is not None
        agent.totp_enabled, agent.totp_secret = True, "JBSWY3DPEHPK3PXP"
        await uow.commit()
    answer = await client.post(f"/api/v1/users/{cast.agent.id}/2fa/reset", headers=cast.as_(Role.ADMIN))
    assert answer.status_code == 200 and answer.json()["totp_enabled"] is False
    async with hub.uow() as uow:
        agent = await uow.session.get(User, cast.agent.id)
        assert agent is not None and agent.totp_secret is None
    (line,) = await _audited(hub, "user.totp_reset")
    assert line.before == {"totp_enabled": True} and line.actor_user_id == cast.admin.id
    missing = await client.post(f"/api/v1/users/{uuid.uuid4()}/2fa/reset", headers=cast.as_(Role.ADMIN))
    assert_problem(missing, 404, "not_found")


async def test_tokens_are_listed_without_their_secret_and_revoked_ones_drop_out(client, cast) -> None:
    headers = cast.as_(Role.SUPERVISOR)
    made = (await client.post("/api/v1/auth/tokens", headers=headers, json={"name": "ERP"})).json()
    assert made["token"].startswith("hub_")
    listed = (await client.get("/api/v1/auth/tokens", headers=headers)).json()
    assert [(t["id"], t["name"], t["token"]) for t in listed] == [(made["id"], "ERP", None)]
    assert (await client.get("/api/v1/auth/tokens", headers=cast.as_(Role.ADMIN))).json() == []
    used = await client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {made['token']}"})
    assert used.status_code == 200
    assert (await client.get("/api/v1/auth/tokens", headers=headers)).json()[0]["last_used_at"]
    assert (await client.delete(f"/api/v1/auth/tokens/{made['id']}", headers=headers)).status_code == 204
    assert (await client.get("/api/v1/auth/tokens", headers=headers)).json() == []


class _Mailer:
    """Records the e-mail copies instead of sending them (the port the hub sends them through)."""

    def __init__(self) -> None:
        self.sent: list[str] = []

    async def send_notification(self, *, to: str, subject: str, text: str) -> None:
        self.sent.append(to)


async def test_notification_settings_decide_which_copies_are_emailed(client, cast, hub: Hub) -> None:
    headers = cast.as_(Role.ADMIN)
    before = (await client.get("/api/v1/notification-settings", headers=headers)).json()
    assert {"kind": "sla_breached", "email": True} in before and len(before) == 12
    answer = await client.put(
        "/api/v1/notification-settings", headers=headers, json={"email": {"sla_warning": False}}
    )
    assert answer.status_code == 200, answer.text
    assert {"kind": "sla_warning", "email": False} in answer.json()
    (line,) = await _audited(hub, "notification_settings.updated")
    assert line.before == {"sla_warning": True} and line.after == {"sla_warning": False}
    bad = await client.put("/api/v1/notification-settings", headers=headers, json={"email": {"gossip": True}})
    assert "gossip" in assert_problem(bad, 422, "invalid_input")["detail"]

    mailer = _Mailer()
    mailing = dataclasses.replace(hub, mailer=mailer)
    ids = {kind: uuid.uuid4() for kind in ("sla_warning", "sla_breached")}
    async with hub.uow() as uow:
        for kind, notification_id in ids.items():
            uow.session.add(
                Notification(id=notification_id, user_id=cast.agent.id, kind=kind, params={"number": 1})
            )
        await uow.commit()
    assert not await notifications.email(mailing, ids["sla_warning"])
    assert await notifications.email(mailing, ids["sla_breached"])
    assert mailer.sent == [cast.agent.email]


async def test_the_connection_test_runs_the_doctors_check_of_the_channel(client, cast, hub: Hub) -> None:
    wechat = await factories.channel(hub, ChannelKind.WECHAT)
    answer = await client.post(f"/api/v1/channels/{wechat.id}/check", headers=cast.as_(Role.ADMIN))
    assert answer.status_code == 200, answer.text
    found = answer.json()
    assert found and {f["level"] for f in found} <= {"ok", "warn", "fail"}
    assert any(f["level"] == "fail" and "HUB_TEST_UNSET" in f["detail"] for f in found), found
    missing = await client.post(f"/api/v1/channels/{uuid.uuid4()}/check", headers=cast.as_(Role.ADMIN))
    assert_problem(missing, 404, "not_found")


async def test_adding_a_web_chat_channel_answers_its_identity_secret_once(client, cast) -> None:
    answer = await client.post(
        "/api/v1/channels",
        headers=cast.as_(Role.ADMIN),
        json={"kind": "webchat", "name": "官网", "config": {"origins": ["https://shop.example"]}},
    )
    assert answer.status_code == 201, answer.text
    assert len(answer.json()["secrets"]["secret"]) >= 32
    listed = (await client.get("/api/v1/channels", headers=cast.as_(Role.ADMIN))).json()
    assert "secret" not in str([c["config"] for c in listed if c["name"] == "官网"]).replace(
        "secret_sealed", ""
    )
