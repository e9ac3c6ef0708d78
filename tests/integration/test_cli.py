"""The `hub` command as a user runs it: a real process against the test servers."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from hub.domain import ChannelKind, Direction, Role
from hub.models import Channel, Meeting, Message, QualityCase, Ticket, User
from tests.conftest import cli_env

pytestmark = pytest.mark.anyio


async def test_channel_add_json_prints_id_and_token_that_authenticate(run_cli, hub, client) -> None:
    result = await run_cli(
        "channel", "add", "api", "--name", "ERP", "--callback-url", "https://erp.example/hook", "--json"
    )
    assert result.code == 0, result.err
    printed = json.loads(result.out.strip().splitlines()[-1])
    assert set(printed) >= {"id", "token"} and printed["token"].startswith("hub_ch_")

    posted = await client.post(
        f"/api/v1/channels/{printed['id']}/messages",
        json={"external_id": "m-1", "sender": {"identity": "c-1"}, "text": "hello"},
        headers={"Authorization": f"Bearer {printed['token']}"},
    )
    assert posted.status_code == 200, posted.text

    listed = await run_cli("channel", "list", "--json")
    assert listed.code == 0
    rows = json.loads(listed.out)
    assert [(r["id"], r["kind"], r["name"]) for r in rows] == [(printed["id"], "api", "ERP")]
    assert rows[0]["config"] == {"callback_url": "https://erp.example/hook"}


async def test_create_user_then_log_in(run_cli, client) -> None:
    result = await run_cli(
        "create-user", "--email", "New.Agent@Example.com", "--name", "新同事", "--role", "supervisor",
        "--password", "s3cret-pass",
    )  # fmt: skip
    assert result.code == 0, result.err
    assert "new.agent@example.com" in result.out
    login = await client.post(
        "/api/v1/auth/login", json={"email": "new.agent@example.com", "password": "s3cret-pass"}
    )
    assert login.status_code == 200
    assert login.json()["user"]["role"] == "supervisor"


async def test_bad_arguments_and_configuration_give_clear_errors(run_cli, settings) -> None:
    unknown_kind = await run_cli("channel", "add", "fax", "--name", "x")
    assert unknown_kind.code == 2 and "fax" in unknown_kind.err

    short_password = await run_cli("create-user", "--email", "a@b.c", "--password", "short")
    assert short_password.code == 1 and "at least 8 characters" in short_password.err
    assert "Traceback" not in short_password.err

    no_secret = await run_cli("migrate", env=cli_env(settings, HUB_SECRET_KEY=""))
    assert no_secret.code == 1 and "HUB_SECRET_KEY is required" in no_secret.err

    bad_port = await run_cli("migrate", env=cli_env(settings, HUB_PORT="eighty"))
    assert bad_port.code == 1 and "HUB_PORT must be an integer" in bad_port.err


async def test_migrate_is_idempotent(run_cli) -> None:
    result = await run_cli("migrate")
    assert result.code == 0 and "up to date" in result.out


async def test_seed_demo_is_complete_and_idempotent(run_cli, hub, client) -> None:
    first = await run_cli("seed-demo")
    assert first.code == 0, first.err
    assert "demo data loaded" in first.out
    second = await run_cli("seed-demo")
    assert second.code == 0 and "already present" in second.out

    async with hub.uow() as uow:
        roles = dict((await uow.session.execute(sa.select(User.email, User.role))).all())
        kinds = set(await uow.session.scalars(sa.select(Ticket.channel_kind)))
        statuses = set(await uow.session.scalars(sa.select(Ticket.status)))
        channel_count = await uow.session.scalar(sa.select(sa.func.count()).select_from(Channel))
    assert roles == {
        "admin@demo.test": Role.ADMIN,
        "supervisor@demo.test": Role.SUPERVISOR,
        "agent1@demo.test": Role.AGENT,
        "agent2@demo.test": Role.AGENT,
        "partner@demo.test": Role.PARTNER,
        "partner2@demo.test": Role.PARTNER,
        "quality@demo.test": Role.PARTNER,
    }
    assert kinds == set(ChannelKind)
    assert len(statuses) >= 4
    assert channel_count == 6  # the five the demo adds, and the portal's own

    async with hub.uow() as uow:  # the second partner's quality case and meeting series
        cases = list(await uow.session.scalars(sa.select(QualityCase)))
        meetings = list(await uow.session.scalars(sa.select(Meeting).order_by(Meeting.scheduled_at)))
    assert len(cases) == 1 and cases[0].number.startswith("QC-")
    assert [m.status.value for m in meetings] == ["published", "planned"]
    assert len(meetings[1].agenda) == 3  # the case's open item and the meeting's two decisions

    async with hub.uow() as uow:  # the phone line's imported log: a missed call and its callback
        calls = {
            m.external_id: m
            for m in await uow.session.scalars(sa.select(Message).where(Message.type == "call"))
        }
    missed, callback = calls["demo-pbx-1001"], calls["demo-pbx-1002"]
    assert missed.meta["call"]["callback"] and missed.ticket_id == callback.ticket_id
    assert callback.direction is Direction.OUTBOUND and callback.meta["call"]["disposition"] == "answered"
    assert "demo-pbx-1004" not in calls  # between two desks: in the log, on no ticket

    quality = await client.post(
        "/api/v1/auth/login", json={"email": "quality@demo.test", "password": "demo1234"}
    )
    quality_headers = {"Authorization": f"Bearer {quality.json()['token']}"}
    (case,) = (await client.get("/api/v1/portal/quality-cases", headers=quality_headers)).json()["items"]
    assert case["title"].startswith("轴承座尺寸超差")

    for email in roles:
        login = await client.post("/api/v1/auth/login", json={"email": email, "password": "demo1234"})
        assert login.status_code == 200, email
    partner = await client.post(
        "/api/v1/auth/login", json={"email": "partner@demo.test", "password": "demo1234"}
    )
    token = partner.json()["token"]
    org_id = partner.json()["user"]["organization_id"]
    page = await client.get("/api/v1/tickets", headers={"Authorization": f"Bearer {token}"})
    items = page.json()["items"]
    assert items and {i["organization_id"] for i in items} == {org_id}
    # The portal: each of the two partners has its orders, and the manager a proposal to decide.
    for email in ("partner@demo.test", "partner2@demo.test"):
        login = await client.post("/api/v1/auth/login", json={"email": email, "password": "demo1234"})
        bearer = {"Authorization": f"Bearer {login.json()['token']}"}
        orders = (await client.get("/api/v1/portal/orders", headers=bearer)).json()["items"]
        assert orders and {o["organization_id"] for o in orders} == {login.json()["user"]["organization_id"]}
    manager = await client.post(
        "/api/v1/auth/login", json={"email": "agent2@demo.test", "password": "demo1234"}
    )
    queue = await client.get(
        "/api/v1/date-proposals", headers={"Authorization": f"Bearer {manager.json()['token']}"}
    )
    assert len(queue.json()) == 1


async def test_a_command_on_an_unmigrated_external_database_says_to_migrate(run_cli, settings, hub) -> None:
    """The operator's own database is never migrated behind their back: one line, no traceback."""
    name = "hub_never_migrated"
    admin = create_async_engine(settings.database_url, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as connection:
            await connection.execute(sa.text(f"DROP DATABASE IF EXISTS {name}"))
            await connection.execute(sa.text(f"CREATE DATABASE {name}"))
        empty = sa.make_url(settings.database_url).set(database=name).render_as_string(hide_password=False)
        result = await run_cli(
            "sla", "due", "--start", "2026-02-24T17:00:00+08:00", "--duration", "1bd",
            env=cli_env(settings, HUB_DATABASE_URL=empty),
        )  # fmt: skip
        assert result.code == 1 and result.out == ""
        assert result.err.strip().count("\n") == 0, result.err
        assert "run `hub migrate`" in result.err and "Traceback" not in result.err
    finally:
        async with admin.connect() as connection:
            await connection.execute(sa.text(f"DROP DATABASE IF EXISTS {name}"))
        await admin.dispose()
