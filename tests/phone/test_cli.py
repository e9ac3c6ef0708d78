"""``hub channel add phone`` and ``hub phone extension``, run in-process as an operator types them."""

from __future__ import annotations

import json

import pytest

from hub.core import Hub
from hub.domain import Role
from tests import factories

pytestmark = [pytest.mark.anyio, pytest.mark.integration]


async def test_add_a_line_and_map_its_extensions(hub: Hub, invoke_cli) -> None:
    await factories.user(hub, Role.AGENT, email="agent1@demo.test")
    added = await invoke_cli(
        "channel", "add", "phone", "--name", "客服热线", "--number", "4008001234", "--region", "CN", "--json"
    )
    assert added.code == 0, added.err
    created = json.loads(added.out.strip().splitlines()[-1])
    assert created["token"].startswith("hub_ch_") and created["webhook_url"].endswith(
        f"/channels/phone/{created['id']}/calls"
    )
    line = created["id"]

    mapped = await invoke_cli("phone", "extension", line, "301", "Agent1@demo.test", "--json")
    assert mapped.code == 0, mapped.err
    assert [(m["extension"], m["email"]) for m in json.loads(mapped.out)] == [("301", "agent1@demo.test")]
    listed = await invoke_cli("phone", "extension", line)
    assert "301" in listed.out and "agent1@demo.test" in listed.out

    unknown = await invoke_cli("phone", "extension", line, "302", "nobody@demo.test")
    assert unknown.code == 1 and "not found" in unknown.err.lower()
    no_user = await invoke_cli("phone", "extension", line, "302")
    assert no_user.code == 2 and "--remove" in no_user.err

    removed = await invoke_cli("phone", "extension", line, "301", "--remove", "--json")
    assert removed.code == 0 and json.loads(removed.out) == []
    again = await invoke_cli("phone", "extension", line, "301", "--remove")
    assert again.code == 1
