"""`hub channel add wechat` and `hub inbound rejected`, run as an operator would."""

from __future__ import annotations

import json
import uuid

import pytest

from hub.models import Channel
from tests import factories
from tests.wechat import pushes

pytestmark = [pytest.mark.anyio, pytest.mark.integration]


async def test_channel_add_wechat_prints_the_id_and_the_callback_url(hub, run_cli, settings) -> None:
    result = await run_cli(
        "channel", "add", "wechat", "--name", "服务号", "--app-id", "wx123", "--token", "cli-token",
        "--aes-key", pushes.AES_KEY, "--secret-env", "WECHAT_SECRET", "--template-id", "tmpl-1",
    )  # fmt: skip
    assert result.code == 0, result.err
    channel_id = uuid.UUID(result.out.split(": ", 1)[1].splitlines()[0].strip())
    assert f"{settings.base_url}/channels/wechat/{channel_id}" in result.out
    assert "$WECHAT_SECRET" in result.out
    channel = await factories.get(hub, Channel, channel_id)
    stored = json.dumps(channel.config)
    assert "cli-token" not in stored and pushes.AES_KEY not in stored  # sealed at rest
    assert channel.config["app_id"] == "wx123" and channel.config["template_id"] == "tmpl-1"
    listed = await run_cli("channel", "list", "--json")
    assert "cli-token" not in listed.out and "wx123" in listed.out


async def test_channel_add_wechat_as_json_and_its_required_options(run_cli) -> None:
    result = await run_cli(
        "channel", "add", "wechat", "--name", "订阅号", "--app-id", "wx9", "--token", "t", "--secret-env", "S", "--json"
    )  # fmt: skip
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert data["callback_url"].endswith(f"/channels/wechat/{data['id']}")
    missing = await run_cli("channel", "add", "wechat", "--name", "x", "--app-id", "wx9")
    assert missing.code == 2 and "--token" in missing.err and "--secret-env" in missing.err
    wrong_kind = await run_cli("channel", "add", "api", "--name", "y", "--app-id", "wx9")
    assert wrong_kind.code == 2 and "--app-id" in wrong_kind.err  # not an option of API channels
    short_key = await run_cli(
        "channel", "add", "wechat", "--name", "z", "--app-id", "wx9", "--token", "t", "--secret-env", "S", "--aes-key", "abc"
    )  # fmt: skip
    assert short_key.code == 2 and "43-character" in short_key.err


async def test_rejected_payloads_are_listed_and_shown(push, run_cli) -> None:
    assert (await push.plain("<xml><broken>")).status_code == 400
    listed = await run_cli("inbound", "rejected", "--json")
    (row,) = json.loads(listed.out)
    assert row["size"] == len(b"<xml><broken>") and "ExpatError" in row["error"]
    assert row["times"] == 1
    assert (await push.plain("<xml><broken>")).status_code == 400
    (again,) = json.loads((await run_cli("inbound", "rejected", "--json")).out)
    assert (again["id"], again["times"]) == (row["id"], 2), "the same bytes again: counted, kept once"
    shown = await run_cli("inbound", "rejected", "--show", row["id"])
    assert shown.out.strip() == "<xml><broken>"
