"""A refused reply says only what the agent can really do instead."""

from __future__ import annotations

import pytest

from hub.i18n import translate
from hub.tickets.windows import WindowClosed


@pytest.mark.parametrize(
    ("template", "channels", "english", "chinese"),
    [
        (True, ["email"], "template message, or answer on another channel", "可以发送模板消息，或通过"),
        (True, [], "Send the channel's template message instead.", "可以改发模板消息。"),
        (
            False,
            ["email"],
            "Answer on another channel of the contact instead.",
            "可以通过该联系人的其他渠道回复。",
        ),
        (False, [], "once the customer writes again", "客户再次发来消息后才能回复"),
    ],
)
def test_the_way_out_named_is_one_that_exists(
    template: bool, channels: list[str], english: str, chinese: str
) -> None:
    refused = WindowClosed(
        reason="expired", channel="公众号", alternatives={"template": template, "channels": channels}
    )
    assert english in str(refused)
    assert chinese in translate(refused.code, "zh-CN", **refused.params)
    assert "{" not in str(refused)
