"""A new channel kind is a folder: registered in one line, it has its settings checked, its
``hub channel add`` command, its route mounted and authenticated, and its API description,
without a line of web/ or hub/ written for it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from click.testing import CliRunner
from litestar.testing import AsyncTestClient

from channels import catalogue
from hub.domain import Role
from tests.web.helpers import Cast, assert_problem
from web.app import create_app
from web.cli import main
from web.runtime import Runtime

pytestmark = pytest.mark.anyio


@pytest.fixture
def line_kind(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(catalogue.KINDS, "phone", "tests.phone_line")


@pytest.fixture
async def client(runtime: Runtime, line_kind: None) -> AsyncIterator[AsyncTestClient]:
    """The app built once the kind is registered, as a build that ships its folder would be."""
    async with AsyncTestClient(create_app(runtime.settings)) as test_client:
        yield test_client


async def test_the_kind_is_configured_mounted_and_authenticated(client: AsyncTestClient, cast: Cast) -> None:
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

    call = {"call_id": "pbx-1", "caller": "+8613812345678"}
    anonymous = await client.post(calls, json=call)
    assert_problem(anonymous, 401, "invalid_channel_token")
    bearer = {"Authorization": f"Bearer {created['token']}"}
    first = await client.post(calls, json=call, headers=bearer)
    assert first.status_code == 200, first.text
    again = await client.post(calls, json=call, headers=bearer)
    assert again.json() == {**first.json(), "duplicate": True}
    malformed = await client.post(calls, json={"call_id": "pbx-2"}, headers=bearer)
    assert "caller" in assert_problem(malformed, 422, "invalid_input")["detail"]

    ticket = (await client.get(f"/api/v1/tickets/{first.json()['ticket_id']}", headers=admin)).json()
    assert ticket["channel"] == "phone"

    described = (await client.get("/schema/openapi.json")).json()
    operation = described["paths"]["/channels/phone/{channel_id}/calls"]["post"]
    assert operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/CallIn")


def test_the_kind_has_its_command(line_kind: None) -> None:
    shown = CliRunner().invoke(main, ["channel", "add", "phone", "--help"])
    assert shown.exit_code == 0, shown.output
    assert "--number" in shown.output and "--region" in shown.output and "线路号码" in shown.output
    listed = CliRunner().invoke(main, ["channel", "add", "--help"])
    assert "phone" in listed.output and "Phone (电话)" in listed.output
