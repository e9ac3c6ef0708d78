"""Fixtures for the WeChat channel: the fake WeChat API, a channel pointed at it, pushes and jobs."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from litestar.testing import AsyncTestClient

from hub.actors import CLI
from hub.core import Hub
from hub.domain import ChannelKind, RawStatus
from hub.intake import channel_instances
from hub.models import Channel, RawInbound
from tests.web.conftest import cast  # noqa: F401 - the logged-in cast, for page and API tests
from tests.wechat import pushes
from tests.wechat_fake import FakeWeChat
from web import worker
from web.runtime import Runtime


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeWeChat]:
    server = FakeWeChat(app_id=pushes.APP_ID).start()
    monkeypatch.setenv(pushes.SECRET_ENV, server.secret)
    try:
        yield server
    finally:
        server.close()


async def add_wechat_channel(hub: Hub, fake: FakeWeChat, **options: Any) -> Channel:
    channel_id = uuid.uuid4()
    config = {
        "app_id": options.pop("app_id", pushes.APP_ID),
        "token": options.pop("token", pushes.TOKEN),
        "aes_key": options.pop("aes_key", pushes.AES_KEY),
        "secret_env": pushes.SECRET_ENV,
        "api_base": fake.base,
        **options,
    }
    created = await channel_instances.add_channel(
        hub,
        CLI,
        kind=ChannelKind.WECHAT,
        name=f"WeChat {channel_id.hex[:6]}",
        config=config,
        channel_id=channel_id,
    )
    return created.channel


@pytest.fixture
async def wechat(hub: Hub, fake: FakeWeChat) -> Channel:
    return await add_wechat_channel(
        hub, fake, template_id="tmpl-reply", welcome="欢迎关注！回复 ]]> 也没问题 <&>"
    )


class Pusher:
    """POSTs pushes to the channel's callback as WeChat would."""

    def __init__(self, client: AsyncTestClient, channel: Channel) -> None:
        self.client = client
        self.url = f"/channels/wechat/{channel.id}"

    async def plain(self, xml: str, **query: str) -> Any:
        return await self.client.post(self.url, params=pushes.query(**query), content=xml.encode())

    async def safe(self, xml: str, *, compatible: bool = False) -> Any:
        body, params = pushes.encrypted(xml, compatible=compatible)
        return await self.client.post(self.url, params=params, content=body.encode())


@pytest.fixture
def push(client: AsyncTestClient, wechat: Channel) -> Pusher:
    return Pusher(client, wechat)


async def process_pending(runtime: Runtime) -> list[str]:
    """Run the process_inbound job for every payload stored and not yet processed, as the worker would."""
    async with runtime.hub.uow() as uow:
        ids = list(
            await uow.session.scalars(
                sa.select(RawInbound.id)
                .where(RawInbound.status == RawStatus.RECEIVED)
                .order_by(RawInbound.received_at)
            )
        )
    ctx = {"runtime": runtime, "job_try": 1}
    return [await worker.process_inbound(ctx, str(raw_id)) for raw_id in ids]


@pytest.fixture
async def jobs_ctx(runtime: Runtime) -> AsyncIterator[dict[str, Any]]:
    yield {"runtime": runtime, "job_try": 1}
