"""``hub serve --demo``: the demo's web chat allows the origins its shop page is opened at this
start, keeps its sealed identity secret, and a hub without the demo data is left alone."""

from __future__ import annotations

import pytest

from hub.demo import DEMO_WEBCHAT_NAME, allow_demo_chat_from, seed_demo
from hub.intake import channel_instances
from web.cli.serve import demo_origins

pytestmark = [pytest.mark.anyio, pytest.mark.integration]


def test_the_origins_are_the_public_url_and_the_address_listened_on() -> None:
    assert demo_origins("http://127.0.0.1:8000", "127.0.0.1", 8000) == [
        "http://127.0.0.1:8000",
        "http://localhost:8000",
    ]
    assert demo_origins("https://demo.example.com/hub", "0.0.0.0", 9000) == [  # noqa: S104
        "https://demo.example.com",
        "http://127.0.0.1:9000",
        "http://localhost:9000",
    ]
    assert demo_origins("http://10.0.0.5:8000", "10.0.0.5", 8000) == ["http://10.0.0.5:8000"]


async def test_the_demo_chat_allows_this_starts_origins_and_keeps_its_secret(hub) -> None:
    await seed_demo(hub)
    [channel] = [c for c in await channel_instances.list_channels(hub) if c.name == DEMO_WEBCHAT_NAME]
    sealed = channel.config["secret_sealed"]
    origins = ["http://127.0.0.1:8731", "http://localhost:8731"]
    assert await allow_demo_chat_from(hub, origins)
    assert await allow_demo_chat_from(hub, origins)  # the next start on the same port changes nothing
    [channel] = [c for c in await channel_instances.list_channels(hub) if c.name == DEMO_WEBCHAT_NAME]
    before = [o for o in channel.config["origins"] if o not in origins]
    assert before and channel.config["origins"] == before + origins
    assert channel.config["secret_sealed"] == sealed


async def test_data_without_the_demo_chat_is_left_alone(hub) -> None:
    assert not await allow_demo_chat_from(hub, ["http://127.0.0.1:8000"])
