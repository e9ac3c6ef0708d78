"""Work after processing: follow-up jobs, media downloads with retries, profiles and unionid joins."""

from __future__ import annotations

import logging
import uuid

import pytest
import sqlalchemy as sa

from channels.wechat import jobs
from hub.delivery import delivery
from hub.domain import ChannelKind, OrganizationKind, Role
from hub.errors import RetryLater
from hub.intake import ingest
from hub.intake.ingest import failed_inbound
from hub.models import Attachment, Contact, ContactIdentity, Message, Outbox, Ticket
from hub.tickets import tickets
from tests import factories
from tests.broken_messages import break_messages, repair_messages
from tests.wechat import pushes
from tests.wechat.conftest import Pusher, add_wechat_channel, process_pending
from tests.wechat_fake import FakeWeChat
from web.runtime import JOB_QUEUE

pytestmark = [pytest.mark.anyio, pytest.mark.integration]

JPEG = b"\xff\xd8\xff\xe0" + b"jpeg-bytes" * 50
PNG = b"\x89PNG\r\n\x1a\n" + b"png-bytes" * 20


async def _only(hub, model, *where):
    async with hub.uow() as uow:
        rows = list(await uow.session.scalars(sa.select(model).where(*where)))
    assert len(rows) == 1, rows
    return rows[0]


async def _pushed_image(runtime, push: Pusher, media_id: str = "img-1", openid: str = "oMedia") -> Message:
    fields = (
        f"<PicUrl><![CDATA[http://mmbiz.example/p.jpg]]></PicUrl><MediaId><![CDATA[{media_id}]]></MediaId>"
    )
    await push.plain(pushes.message(openid, "image", fields))
    await process_pending(runtime)
    return await _only(runtime.hub, Message, Message.type == "image")


async def test_processing_queues_the_media_download_and_the_profile_fetch(runtime, push: Pusher) -> None:
    message = await _pushed_image(runtime, push)
    queued = {job.function: list(job.args) for job in await runtime.arq.queued_jobs(queue_name=JOB_QUEUE)}
    assert queued[jobs.MEDIA_JOB] == [str(message.id)]
    assert queued[jobs.PROFILE_JOB] == [str(message.channel_id), f"{pushes.APP_ID}:oMedia"]


async def test_a_failed_image_recovered_by_a_retry_gets_its_media_download(runtime, push: Pusher) -> None:
    await break_messages(runtime)
    fields = "<PicUrl><![CDATA[http://mmbiz.example/p.jpg]]></PicUrl><MediaId><![CDATA[img-9]]></MediaId>"
    await push.plain(pushes.message("oRetry", "image", fields))
    assert await process_pending(runtime) == ["failed"]
    queued = await runtime.arq.queued_jobs(queue_name=JOB_QUEUE)
    assert jobs.MEDIA_JOB not in {job.function for job in queued}
    await repair_messages(runtime)
    (failed,) = [row.id for row in await failed_inbound(runtime.hub)]
    result = await ingest.process_raw(runtime.hub, failed)
    queued = {job.function: list(job.args) for job in await runtime.arq.queued_jobs(queue_name=JOB_QUEUE)}
    assert queued[jobs.MEDIA_JOB] == [str(result.message_id)]


async def test_an_image_is_downloaded_into_an_attachment_once(
    hub, runtime, push: Pusher, fake: FakeWeChat
) -> None:
    fake.media["img-1"] = (JPEG, "image/jpeg", "img-1.jpg")
    message = await _pushed_image(runtime, push)
    assert (
        await jobs.download_media(hub, runtime.channels.connection("wechat").api, message.id, attempt=1)
        == "done"
    )
    assert (
        await jobs.download_media(hub, runtime.channels.connection("wechat").api, message.id, attempt=1)
        == "skipped"
    )
    attachment = await _only(hub, Attachment, Attachment.message_id == message.id)
    assert (attachment.filename, attachment.content_type, attachment.size) == (
        "img-1.jpg",
        "image/jpeg",
        len(JPEG),
    )
    assert hub.storage.get(attachment.sha256) == JPEG
    stored = await factories.get(hub, Message, message.id)
    assert stored.meta["media"]["state"] == "done"


async def test_a_video_is_fetched_from_the_url_media_get_answers(
    hub, runtime, push: Pusher, fake: FakeWeChat
) -> None:
    fake.media["video-1"] = (b"\x00\x00\x00\x18ftypmp42" * 10, "video/mp4", "video-1.mp4")
    await push.plain(pushes.message("oVideo", "video", pushes.SAMPLES["video"]))
    await process_pending(runtime)
    message = await _only(hub, Message, Message.type == "video")
    assert (
        await jobs.download_media(hub, runtime.channels.connection("wechat").api, message.id, attempt=1)
        == "done"
    )
    attachment = await _only(hub, Attachment, Attachment.message_id == message.id)
    assert attachment.content_type == "video/mp4" and attachment.filename == "video-1.mp4"
    assert [c.endpoint for c in fake.calls if c.endpoint in ("media_get", "video")] == ["media_get", "video"]


async def test_transient_failures_are_retried_then_the_failure_shows_on_the_message(
    hub, runtime, client, cast, push: Pusher, fake: FakeWeChat
) -> None:
    message = await _pushed_image(runtime, push, media_id="img-flaky")
    fake.inject("media_get", *[("http", 502)] * jobs.MEDIA_TRIES)
    for attempt in range(1, jobs.MEDIA_TRIES):
        with pytest.raises(RetryLater) as caught:
            await jobs.download_media(
                hub, runtime.channels.connection("wechat").api, message.id, attempt=attempt
            )
        assert caught.value.defer_seconds == jobs.media_backoff(attempt)
        stored = await factories.get(hub, Message, message.id)
        assert (
            stored.meta["media"]["state"] == "pending"
            and "HTTP 502" in stored.meta["media"]["error"]["params"]["detail"]
        )
    assert (
        await jobs.download_media(
            hub, runtime.channels.connection("wechat").api, message.id, attempt=jobs.MEDIA_TRIES
        )
        == "failed"
    )
    stored = await factories.get(hub, Message, message.id)
    assert stored.meta["media"]["state"] == "failed" and stored.meta["media"]["attempts"] == jobs.MEDIA_TRIES
    page = await client.get(f"/tickets/{stored.ticket_id}", headers=cast.as_(Role.AGENT))
    assert "无法从渠道下载该文件：WeChat API: HTTP 502" in page.text and 'data-media="failed"' in page.text


async def test_an_unknown_media_id_fails_at_once(hub, runtime, push: Pusher) -> None:
    message = await _pushed_image(runtime, push, media_id="img-expired")
    assert (
        await jobs.download_media(hub, runtime.channels.connection("wechat").api, message.id, attempt=1)
        == "failed"
    )
    stored = await factories.get(hub, Message, message.id)
    assert stored.meta["media"]["error"] == {
        "code": "media_failed",
        "params": {"detail": "WeChat 40007: invalid media_id"},
    }


async def test_the_profile_names_the_contact_and_a_unionid_joins_two_accounts(
    hub, runtime, client, push: Pusher, fake: FakeWeChat
) -> None:
    fake.users["oFirst"] = {
        "nickname": "王小明",
        "unionid": "uUnion1",
        "headimgurl": fake.avatar_url("first"),
    }
    fake.avatars["first"] = (PNG, "image/png")
    fake.user_spoke("oFirst")
    await push.plain(pushes.text("oFirst", "A 号的问题"))
    await process_pending(runtime)
    first = await _only(hub, Ticket)
    assert await jobs.refresh_profile(
        hub, runtime.channels.connection("wechat").api, push_channel_id(push), f"{pushes.APP_ID}:oFirst"
    )
    contact = await factories.get(hub, Contact, first.contact_id)
    assert contact.name == "王小明"
    # The same person writes to a second Official Account of the company.
    second_fake = FakeWeChat(app_id="wx-second").start()
    try:
        second_fake.secret = fake.secret  # both read the same env var in this test
        second_fake.users["oSecond"] = {"unionid": "uUnion1"}
        second_fake.user_spoke("oSecond")
        second = await add_wechat_channel(hub, second_fake, app_id="wx-second", token="second-token")
        second_push = Pusher(client, second)
        body = pushes.text("oSecond", "B 号的问题")
        response = await client.post(
            second_push.url, params=pushes.query(token="second-token"), content=body.encode()
        )
        assert response.text == "success"
        await process_pending(runtime)
        assert await jobs.refresh_profile(
            hub, runtime.channels.connection("wechat").api, second.id, "wx-second:oSecond"
        )
        async with hub.uow() as uow:
            identities = {
                i.value: i.contact_id
                for i in await uow.session.scalars(
                    sa.select(ContactIdentity).where(ContactIdentity.kind == ChannelKind.WECHAT)
                )
            }
            owners = set((await uow.session.scalars(sa.select(Ticket.contact_id))).all())
        assert identities == {
            f"{pushes.APP_ID}:oFirst": contact.id,
            "unionid:uUnion1": contact.id,
            "wx-second:oSecond": contact.id,
        }
        assert owners == {contact.id}  # both tickets now belong to the first-known contact
        # So an agent on the first ticket may answer on the second account, where the window is open.
        agent = factories.actor(await factories.user(hub, Role.AGENT))
        message = await tickets.reply(
            hub, agent, first.id, tickets.Draft(text="B 号回复您", channel_id=second.id)
        )
        async with hub.uow() as uow:
            outbox_id = await uow.session.scalar(sa.select(Outbox.id).where(Outbox.message_id == message.id))
        assert await delivery.deliver(hub, outbox_id) == "sent"
        assert second_fake.sent == [
            {"touser": "oSecond", "msgtype": "text", "text": {"content": "B 号回复您"}}
        ]
    finally:
        second_fake.close()


def push_channel_id(push: Pusher) -> uuid.UUID:
    return uuid.UUID(push.url.rsplit("/", 1)[1])


async def test_a_fresh_profile_is_not_fetched_again(hub, runtime, push: Pusher, fake: FakeWeChat) -> None:
    fake.users["oFresh"] = {"nickname": "小李"}
    await push.plain(pushes.text("oFresh", "第一条"))
    await process_pending(runtime)
    await jobs.refresh_profile(
        hub, runtime.channels.connection("wechat").api, push_channel_id(push), f"{pushes.APP_ID}:oFresh"
    )
    await runtime.redis.flushdb()
    await push.plain(pushes.text("oFresh", "第二条"))
    await process_pending(runtime)
    queued = [job.function for job in await runtime.arq.queued_jobs(queue_name=JOB_QUEUE)]
    assert jobs.PROFILE_JOB not in queued


async def test_the_profile_picture_is_kept_in_our_store_and_shown_to_staff_only(
    hub, runtime, client, push: Pusher, fake: FakeWeChat
) -> None:
    fake.users["oFace"] = {"nickname": "小王", "headimgurl": fake.avatar_url("face-1")}
    fake.avatars["face-1"] = (JPEG, "image/jpeg")
    await push.plain(pushes.text("oFace", "你好"))
    await process_pending(runtime)
    ticket = await _only(hub, Ticket)
    identity, channel_id = f"{pushes.APP_ID}:oFace", push_channel_id(push)
    assert await jobs.refresh_profile(hub, runtime.channels.connection("wechat").api, channel_id, identity)

    agent = await factories.login(client, await factories.user(hub, Role.AGENT))
    url = f"/api/v1/contacts/{ticket.contact_id}/avatar"
    picture = await client.get(url, headers=agent)
    assert picture.status_code == 200, picture.text
    assert (picture.content, picture.headers["content-type"]) == (JPEG, "image/jpeg")
    assert picture.headers["x-content-type-options"] == "nosniff"
    page = await client.get(f"/tickets/{ticket.id}", headers=agent)
    assert f'src="{url}?v=' in page.text

    # The same URL is not fetched again; a new picture that cannot be fetched keeps the old one.
    assert await jobs.refresh_profile(hub, runtime.channels.connection("wechat").api, channel_id, identity)
    assert fake.count("avatar") == 1
    fake.users["oFace"]["headimgurl"] = fake.avatar_url("face-2")
    assert await jobs.refresh_profile(hub, runtime.channels.connection("wechat").api, channel_id, identity)
    assert (await client.get(url, headers=agent)).content == JPEG
    profile = await _identity_profile(hub, identity)
    assert "HTTP 404" in profile["avatar_error"]
    # Fetched with the next profile once WeChat serves it; something that is no image never is.
    fake.avatars["face-2"] = (PNG, "image/png")
    assert await jobs.refresh_profile(hub, runtime.channels.connection("wechat").api, channel_id, identity)
    assert (await client.get(url, headers=agent)).content == PNG
    assert (await _identity_profile(hub, identity))["avatar_error"] is None
    fake.users["oFace"]["headimgurl"] = fake.avatar_url("page")
    fake.avatars["page"] = (b"<script>alert(1)</script>", "text/html")
    assert await jobs.refresh_profile(hub, runtime.channels.connection("wechat").api, channel_id, identity)
    assert (await client.get(url, headers=agent)).content == PNG
    assert "text/html, not an image" in (await _identity_profile(hub, identity))["avatar_error"]

    org = await factories.organization(hub, kind=OrganizationKind.PARTNER)
    partner = await factories.user(hub, Role.PARTNER, organization_id=org.id)
    assert (await client.get(url, headers=await factories.login(client, partner))).status_code == 403


async def _identity_profile(hub, identity: str) -> dict:
    row = await _only(hub, ContactIdentity, ContactIdentity.value == identity)
    return row.profile


async def test_a_channel_without_its_credentials_gives_up_the_profile_quietly(hub, runtime, caplog) -> None:
    """A WeChat channel whose AppSecret is not in the environment (as in ``make demo``): its
    followers' messages still land, and the profile job gives up with a warning at once, not a
    crash retried three times."""
    channel = await factories.channel(hub, ChannelKind.WECHAT, app_id=pushes.APP_ID)
    identity = f"{pushes.APP_ID}:oNoCredentials"
    await factories.inbound(hub, channel.id, sender=identity, text="你好")

    api = runtime.channels.connection("wechat").api
    caplog.set_level(logging.WARNING, logger="channels.wechat.jobs")
    assert await jobs.refresh_profile(hub, api, channel.id, identity) is False
    (warning,) = caplog.records
    assert f"WeChat profiles on channel {channel.id} are not fetched" in warning.getMessage()
    assert "the AppSecret is missing: set the environment variable HUB_TEST_UNSET" in warning.getMessage()
    assert (await _only(hub, ContactIdentity, ContactIdentity.value == identity)).profile == {}
    # The next follower of the same channel: the cause is the channel's, said once already.
    other = f"{pushes.APP_ID}:oNoCredentialsEither"
    await factories.inbound(hub, channel.id, sender=other, text="在吗")
    assert await jobs.refresh_profile(hub, api, channel.id, other) is False
    assert len(caplog.records) == 1
