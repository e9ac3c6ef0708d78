"""``hub doctor`` on an Official Account: the AppSecret is in the environment and WeChat (here the
loopback fake speaking its protocol) hands out a token; a wrong secret fails with WeChat's reason."""

from __future__ import annotations

import pytest

from hub.models import Channel
from tests.wechat import pushes
from tests.wechat_fake import FakeWeChat
from web import doctor
from web.runtime import Runtime

pytestmark = pytest.mark.anyio


def _wechat(found: list) -> list:
    return [(f.level, f.detail) for f in found if f.part.startswith("wechat")]


async def test_an_account_whose_secret_works_passes_and_the_token_is_shared_not_replaced(
    runtime: Runtime, wechat: Channel, fake: FakeWeChat
) -> None:
    assert _wechat(await doctor.channels(runtime)) == [
        ("ok", f"WeChat gives {pushes.APP_ID} an access token")
    ]
    await doctor.channels(runtime)
    assert fake.count("token") == 1  # the second test used the cached token the senders share


async def test_a_wrong_or_missing_secret_fails_with_the_reason(
    runtime: Runtime, wechat: Channel, fake: FakeWeChat, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(pushes.SECRET_ENV, "not-the-secret")
    ((level, detail),) = _wechat(await doctor.channels(runtime))
    assert level == "fail" and "40125" in detail

    monkeypatch.delenv(pushes.SECRET_ENV)
    ((level, detail),) = _wechat(await doctor.channels(runtime))
    assert level == "fail" and pushes.SECRET_ENV in detail
