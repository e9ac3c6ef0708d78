"""``hub doctor`` tells an operator what stops traffic (FAIL, exit 1) and what costs something (warn),
with what to do, against real servers and a real SMTP server."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import timedelta

import pytest
import sqlalchemy as sa

from channels.spec import Finding
from hub.core import Hub
from hub.domain import OutboxStatus, Role
from hub.models import Outbox
from hub.models.channels import ChannelKind
from hub.tickets import tickets
from tests import factories
from tests.conftest import CliResult
from tests.email_helpers import mailbox
from tests.smtp_sink import SmtpSink
from web import doctor
from web.runtime import JOB_QUEUE, Runtime

pytestmark = pytest.mark.anyio


def _by_part(found: list[Finding]) -> dict[str, Finding]:
    return {finding.part: finding for finding in found}


async def test_a_working_hub_without_a_worker_passes_with_a_warning_that_says_what_to_run(
    runtime: Runtime, invoke_cli: Callable[..., Awaitable[CliResult]]
) -> None:
    done = await invoke_cli("doctor", "--json")
    assert done.code == 0, done.err
    found = {item["part"]: item for item in json.loads(done.out)}
    assert found["PostgreSQL"]["level"] == "ok"
    assert found["schema"]["level"] == "ok"
    assert found["Redis"]["level"] == "ok"
    assert found["clocks"]["level"] == "ok"
    assert found["worker"]["level"] == "warn" and "hub worker" in found["worker"]["detail"]
    assert found["channels"]["level"] == "warn"  # none yet: says how to add one

    await runtime.redis.set(f"{JOB_QUEUE}:health-check", b"Dec-06 08:00:00 j_complete=3 queued=0", ex=31)
    assert _by_part(await doctor.examine(runtime))["worker"].level == "ok"


async def test_servers_that_cannot_be_reached_fail_by_name_in_one_line() -> None:
    from hub.config import load_settings

    unreachable = load_settings(
        {
            "HUB_DATABASE_URL": "postgresql://hub@127.0.0.1:1/hub",
            "HUB_REDIS_URL": "redis://127.0.0.1:1/0",
            "HUB_SECRET_KEY": "x" * 40,
        }
    )
    found = _by_part(await doctor.reachable(unreachable))
    assert found["PostgreSQL"].level == "fail" and "HUB_DATABASE_URL" in found["PostgreSQL"].detail
    assert found["Redis"].level == "fail" and "HUB_REDIS_URL" in found["Redis"].detail
    assert "sqlalche.me" not in found["PostgreSQL"].detail  # one line an operator reads, no SQL dump


async def test_a_mailbox_is_logged_in_to_and_a_wrong_password_or_a_missing_variable_fails_naming_it(
    hub: Hub, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HUB_TEST_DOCTOR_SMTP_PW", "right")
    sink = await SmtpSink(credentials=("support@hub.example", "right")).start()
    try:
        await mailbox(
            hub,
            smtp_host="127.0.0.1",
            smtp_port=sink.port,
            smtp_tls="none",
            smtp_user="support@hub.example",
            smtp_password_env="HUB_TEST_DOCTOR_SMTP_PW",
        )
        await mailbox(
            hub,
            address="sales@hub.example",
            smtp_host="127.0.0.1",
            smtp_port=sink.port,
            smtp_tls="none",
            smtp_password_env="HUB_TEST_DOCTOR_UNSET",
        )
        found = await doctor.channels(runtime)
    finally:
        await sink.close()
    smtp = sorted((f.level, f.detail) for f in found if f.part.endswith("SMTP"))
    assert smtp[0][0] == "fail" and "HUB_TEST_DOCTOR_UNSET" in smtp[0][1]
    assert smtp[1][0] == "ok" and "as support@hub.example" in smtp[1][1]
    assert sink.received == []  # a test, not a mail

    monkeypatch.setenv("HUB_TEST_DOCTOR_SMTP_PW", "wrong")
    sink = await SmtpSink(credentials=("support@hub.example", "right")).start()
    try:
        async with runtime.engine.begin() as connection:
            await connection.execute(
                sa.text(
                    "UPDATE channels SET config = jsonb_set(config, '{smtp_port}', to_jsonb(CAST(:port AS integer)))"
                ),
                {"port": sink.port},
            )
        found = await doctor.channels(runtime)
    finally:
        await sink.close()
    refused = [f for f in found if f.part.endswith("SMTP") and "refused the login" in f.detail]
    assert [f.level for f in refused] == ["fail"]


async def test_an_api_channel_without_a_callback_url_is_a_warning_and_failed_replies_say_how_to_retry(
    hub: Hub, runtime: Runtime
) -> None:
    channel = await factories.channel(hub, ChannelKind.API)
    first = await factories.inbound(hub, channel.id)
    agent = await factories.user(hub, Role.AGENT)
    assert first.ticket_id is not None
    await tickets.reply(hub, factories.actor(agent), first.ticket_id, tickets.Draft(text="收到"))
    await tickets.reply(hub, factories.actor(agent), first.ticket_id, tickets.Draft(text="已处理"))
    async with runtime.engine.begin() as connection:
        ids = (await connection.scalars(sa.select(Outbox.id).order_by(Outbox.created_at))).all()
        await connection.execute(
            sa.update(Outbox).where(Outbox.id == ids[0]).values(status=OutboxStatus.FAILED)
        )
        await connection.execute(
            sa.update(Outbox)
            .where(Outbox.id == ids[1])
            .values(next_attempt_at=sa.func.now() - timedelta(hours=1))
        )

    found = await doctor.examine(runtime)
    callback = [f for f in found if f.part.endswith("callback URL")]
    assert [f.level for f in callback] == ["warn"]
    deliveries = " / ".join(f.detail for f in found if f.part == "deliveries")
    assert "1 replies failed" in deliveries and "hub outbox retry --failed" in deliveries
    assert "1 replies waiting for over 15 minutes" in deliveries
    assert doctor.worst(found) == "warn"


async def test_something_that_stops_traffic_is_printed_as_fail_and_exits_1(
    hub: Hub, invoke_cli: Callable[..., Awaitable[CliResult]]
) -> None:
    await mailbox(
        hub, smtp_host="127.0.0.1", smtp_port=1, smtp_tls="none", smtp_password_env="HUB_TEST_UNSET"
    )
    done = await invoke_cli("doctor")
    assert done.code == 1
    (line,) = [line for line in done.out.splitlines() if line.startswith("FAIL")]
    assert 'email "mailbox' in line and "HUB_TEST_UNSET is not set" in line
