"""A channel kind is a folder: the phone (``channels/phone/``, one line in ``KINDS``) has its
settings checked, its ``hub channel add`` command, its route mounted and authenticated, and its
API description, without a line of web/ written for it. Its webhook: auth, replay, malformed
bodies kept for inspection, calls between extensions kept off the tickets."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote_from_bytes

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from litestar.testing import AsyncTestClient

from hub.core import Hub
from hub.domain import RawStatus, Role
from hub.models import Message, RawInbound
from tests import factories
from tests.web.helpers import Cast, assert_problem
from web.cli import main

pytestmark = pytest.mark.anyio

CALL: dict[str, Any] = {
    "call_id": "pbx-1",
    "direction": "inbound",
    "caller": "13812345678",
    "callee": "4008001234",
    "started_at": "2026-03-02T10:00:00+08:00",
    "ended_at": "2026-03-02T10:02:00+08:00",
    "disposition": "no_answer",
}

#: A FreeSWITCH mod_json_cdr document as the PBX posts it (values URL-encoded), cut to what is read.
FREESWITCH: dict[str, Any] = {
    "core-uuid": "6f6b0e0e-core",
    "channel_data": {"direction": "inbound"},
    "variables": {
        "uuid": "fs-a-1",
        "direction": "inbound",
        "caller_id_number": "13812345678",
        "caller_id_name": "%E7%8E%8B",
        "destination_number": "4008001234",
        "start_epoch": "1772416920",
        "answer_epoch": "0",
        "end_epoch": "1772416950",
        "hangup_cause": "NO_ANSWER",
        "duration": "30",
        "billsec": "0",
    },
    "callflow": [
        {
            "caller_profile": {
                "caller_id_number": "13812345678",
                "destination_number": "4008001234",
                "uuid": "fs-a-1",
            },
            "times": {
                "created_time": "1772416920000000",
                "answered_time": "0",
                "hangup_time": "1772416950000000",
            },
        }
    ],
}


async def test_the_kind_is_configured_mounted_and_authenticated(
    client: AsyncTestClient, cast: Cast, hub: Hub
) -> None:
    admin = cast.as_(Role.ADMIN)
    kinds = {k["kind"]: k for k in (await client.get("/api/v1/channels/kinds", headers=admin)).json()}
    assert [s["name"] for s in kinds["phone"]["settings"]] == ["numbers", "region"]
    assert kinds["phone"]["issues_token"]

    bad = {"kind": "phone", "name": "热线", "config": {"region": "china"}}
    refused = await client.post("/api/v1/channels", json=bad, headers=admin)
    assert (
        "region: must be a two-letter region code" in assert_problem(refused, 422, "invalid_input")["detail"]
    )
    given = {"kind": "phone", "name": "热线", "config": {"numbers": ["4008001234"]}}
    created = (await client.post("/api/v1/channels", json=given, headers=admin)).json()
    assert created["config"] == {"numbers": ["4008001234"]} and created["token"]
    calls = f"/channels/phone/{created['id']}/calls"

    anonymous = await client.post(calls, json=CALL)
    assert_problem(anonymous, 401, "invalid_channel_token")
    wrong = await client.post(calls, json=CALL, headers={"Authorization": "Bearer hub_ch_wrong"})
    assert_problem(wrong, 401, "invalid_channel_token")
    bearer = {"Authorization": f"Bearer {created['token']}"}
    first = await client.post(calls, json=CALL, headers=bearer)
    assert first.status_code == 200, first.text
    assert set(first.json()) == {"ticket_id", "message_id", "duplicate"} and not first.json()["duplicate"]
    again = await client.post(calls, json=CALL, headers=bearer)
    assert again.json() == {**first.json(), "duplicate": True}

    freeswitch = json.dumps(FREESWITCH).encode()
    posted = await client.post(calls, content=freeswitch, headers=bearer)
    assert posted.status_code == 200, posted.text
    assert posted.json()["ticket_id"] == first.json()["ticket_id"]  # the same client's open ticket
    as_form = await client.post(
        calls,
        content=b"cdr=" + quote_from_bytes(freeswitch).encode(),
        headers={**bearer, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert as_form.json() == {**posted.json(), "duplicate": True}
    from_fs = await factories.get(hub, Message, posted.json()["message_id"])
    assert from_fs.meta["call"]["caller_name"] == "王" and from_fs.meta["call"]["disposition"] == "no_answer"

    message = await factories.get(hub, Message, first.json()["message_id"])
    assert message.type == "call" and message.meta["call"]["caller"] == "+8613812345678"
    assert message.meta["call"]["callback"] and message.sent_at.isoformat() == "2026-03-02T02:00:00+00:00"
    ticket = (await client.get(f"/api/v1/tickets/{first.json()['ticket_id']}", headers=admin)).json()
    assert ticket["channel"] == "phone"

    for body, reason in (
        ({"call_id": "pbx-2"}, "direction"),
        ({**CALL, "call_id": "pbx-3", "disposition": "lost"}, "disposition"),
        ({**CALL, "call_id": "pbx-4", "ended_at": "2026-03-02T09:00:00+08:00"}, "ends before it starts"),
        ({"hello": "world"}, "call_id"),
    ):
        malformed = await client.post(calls, json=body, headers=bearer)
        assert reason in assert_problem(malformed, 400, "malformed_call")["detail"], body
    garbage = await client.post(calls, content=b"\xff not json", headers=bearer)
    assert "not JSON" in assert_problem(garbage, 400, "malformed_call")["detail"]
    async with hub.uow() as uow:
        rejected = (
            await uow.session.scalars(
                sa.select(RawInbound.error).where(RawInbound.status == RawStatus.REJECTED)
            )
        ).all()
    assert len(rejected) == 5 and any("ends before it starts" in r for r in rejected if r)

    internal = {**CALL, "call_id": "pbx-5", "caller": "301", "callee": "302", "disposition": "answered"}
    kept = await client.post(calls, json={**internal, "answered_at": CALL["started_at"]}, headers=bearer)
    assert kept.json() == {"ticket_id": None, "message_id": None, "duplicate": False}

    described = (await client.get("/schema/openapi.json")).json()
    operation = described["paths"]["/channels/phone/{channel_id}/calls"]["post"]
    assert operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/CallOut")


def test_the_kind_has_its_command() -> None:
    shown = CliRunner().invoke(main, ["channel", "add", "phone", "--help"])
    assert shown.exit_code == 0, shown.output
    assert "--number" in shown.output and "--region" in shown.output and "线路号码" in shown.output
    listed = CliRunner().invoke(main, ["channel", "add", "--help"])
    assert "phone" in listed.output and "Phone (电话)" in listed.output
