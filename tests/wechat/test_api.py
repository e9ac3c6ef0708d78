"""The WeChat API client against the fake: one shared token, one refresh on 40001/42001, timeouts."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid

import httpx
import pytest

from channels.wechat.api import Unreachable, WeChatApi, WeChatApiError
from channels.wechat.config import WeChatConfig
from channels.wechat.errors import api_failure
from tests.wechat import pushes
from tests.wechat_fake import FakeWeChat

pytestmark = [pytest.mark.anyio, pytest.mark.integration]


def _config(fake: FakeWeChat) -> WeChatConfig:
    return WeChatConfig(
        channel_id=uuid.uuid4(),
        app_id=fake.app_id,
        token=pushes.TOKEN,
        aes_key=None,
        secret_env=pushes.SECRET_ENV,
        api_base=fake.base,
    )


def _text(openid: str) -> dict:
    return {"touser": openid, "msgtype": "text", "text": {"content": "您好"}}


async def test_concurrent_callers_in_several_processes_share_one_token_fetch(
    runtime, fake: FakeWeChat
) -> None:
    fake.token_delay = 0.3  # long enough for every caller to find the refresh under way
    config = _config(fake)
    fake.user_spoke("o1")
    async with httpx.AsyncClient() as a, httpx.AsyncClient() as b:
        # Two clients with their own connection pools: two "processes" sharing only Redis.
        first, second = WeChatApi(a, runtime.redis), WeChatApi(b, runtime.redis)
        tokens = await asyncio.gather(*(api.tokens.get(config) for api in [first, second] * 10))
    assert set(tokens) == {"T1"} and fake.count("token") == 1


async def test_an_expired_token_is_refreshed_once_and_the_call_retried_once(
    runtime, fake: FakeWeChat
) -> None:
    config, api = _config(fake), WeChatApi(runtime.http, runtime.redis)
    fake.user_spoke("o2")
    await api.send_custom(config, _text("o2"))
    fake.expire_tokens()  # WeChat says 42001 for T1 from now on
    await api.send_custom(config, _text("o2"))
    assert fake.count("token") == 2 and fake.count("custom_send") == 3
    assert [c.query["access_token"] for c in fake.calls if c.endpoint == "custom_send"] == ["T1", "T1", "T2"]


async def test_a_token_refused_again_after_the_refresh_is_not_retried_further(
    runtime, fake: FakeWeChat
) -> None:
    config, api = _config(fake), WeChatApi(runtime.http, runtime.redis)
    fake.inject("custom_send", 40001, 40001, 40001, 40001)
    with pytest.raises(WeChatApiError) as caught:
        await api.send_custom(config, _text("o3"))
    assert caught.value.errcode == 40001
    assert fake.count("custom_send") == 2 and fake.count("token") == 2  # one refresh, one retry, nothing more
    failure = api_failure(40001, caught.value.errmsg)
    assert not failure.transient and failure.code == "delivery_misconfigured"


async def test_a_refresh_done_by_another_process_is_used_without_fetching_again(
    runtime, fake: FakeWeChat
) -> None:
    config, api = _config(fake), WeChatApi(runtime.http, runtime.redis)
    stale = await api.tokens.get(config)
    other = WeChatApi(runtime.http, runtime.redis)
    await other.tokens.forget(config)
    fresh = await other.tokens.get(config)
    assert (stale, fresh) == ("T1", "T2")
    assert await api.tokens.get(config, stale=stale) == "T2" and fake.count("token") == 2


async def test_every_call_times_out(runtime, fake: FakeWeChat) -> None:
    config = _config(fake)
    quick = httpx.Timeout(0.5, connect=0.5)
    api = WeChatApi(runtime.http, runtime.redis, timeout=quick, media_timeout=quick)
    for endpoint, call in [
        ("token", lambda: api.tokens.get(config)),
        ("custom_send", lambda: api.send_custom(config, _text("o4"))),
        ("media_get", lambda: api.media(config, "m1", kind="image")),
        ("user_info", lambda: api.user_info(config, "o4")),
        ("template_send", lambda: api.send_template(config, {"touser": "o4"})),
    ]:
        fake.inject(endpoint, "hang")
        started = time.monotonic()
        with pytest.raises(Unreachable, match=r"no answer within 0\.5 s"):
            await call()
        assert time.monotonic() - started < 2, endpoint


async def test_the_secret_and_tokens_never_reach_the_logs(runtime, fake: FakeWeChat, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    config, api = _config(fake), WeChatApi(runtime.http, runtime.redis)
    fake.user_spoke("o5")
    await api.send_custom(config, _text("o5"))
    assert "HTTP Request" in caplog.text  # httpx did log the calls...
    assert fake.secret not in caplog.text and "access_token=T1" not in caplog.text  # ...without credentials


@pytest.mark.parametrize(
    ("errcode", "code", "transient"),
    [
        (-1, "delivery_unreachable", True),
        (40003, "delivery_recipient_invalid", False),
        (40164, "delivery_misconfigured", False),
        (43004, "delivery_recipient_left", False),
        (45009, "delivery_rate_limited", True),
        (45011, "delivery_rate_limited", True),
        (45015, "delivery_window_closed", False),
        (45047, "delivery_quota_exhausted", False),
        (48001, "delivery_not_authorized", False),
        (48002, "delivery_recipient_blocked", False),
        (99999, "delivery_refused", False),
    ],
)
def test_error_codes_map_to_clear_outcomes(errcode: int, code: str, transient: bool) -> None:
    from hub.i18n import translate

    failure = api_failure(errcode, "errmsg from wechat")
    assert (failure.code, failure.transient) == (code, transient)
    assert f"WeChat {errcode}" in failure.reason
    english = translate(code, "en", **failure.params)
    chinese = translate(code, "zh-CN", **failure.params)
    assert f"WeChat {errcode}" in english and f"WeChat {errcode}" in chinese and english != chinese
