"""Passive replies: the XML answered in the callback's own response, within WeChat's 5 seconds.

We render the text reply ourselves rather than with wechatpy's ``TextReply``: it puts the content
in a CDATA section without escaping ``]]>``, so a reply quoting ``]]>`` ends the section early and
WeChat receives broken XML ("该公众号暂时无法提供服务"). Here every value goes through
:func:`cdata`, which splits ``]]>`` across two sections and drops the characters XML 1.0 forbids
even inside CDATA (control characters, lone surrogates). In safe mode the reply is encrypted with
the request's nonce and timestamp, as WeChat expects.
"""

from __future__ import annotations

import re
import time

from wechatpy.crypto import WeChatCrypto

from channels.wechat.config import WeChatConfig

#: WeChat stops retrying on this answer; the real reply, if any, follows as a customer-service message.
SUCCESS = "success"
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def cdata(value: str) -> str:
    """One or more CDATA sections that read back as exactly ``value`` (minus XML-illegal characters)."""
    clean = _NOT_XML.sub("", value)
    return "<![CDATA[" + clean.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def text_reply(*, to_user: str, from_user: str, content: str, now: int | None = None) -> str:
    created = int(time.time()) if now is None else now
    return (
        "<xml>"
        f"<ToUserName>{cdata(to_user)}</ToUserName>"
        f"<FromUserName>{cdata(from_user)}</FromUserName>"
        f"<CreateTime>{created}</CreateTime>"
        "<MsgType><![CDATA[text]]></MsgType>"
        f"<Content>{cdata(content)}</Content>"
        "</xml>"
    )


def seal(config: WeChatConfig, xml: str, *, nonce: str, timestamp: str) -> str:
    """The safe-mode envelope (``<Encrypt>``, ``<MsgSignature>``...) around a rendered reply."""
    assert config.aes_key, "an encrypted push implies an AES key"
    # wechatpy has no type hints: its envelope is the XML text.
    sealed: str = WeChatCrypto(config.token, config.aes_key, config.app_id).encrypt_message(
        xml, nonce, timestamp
    )
    return sealed


def welcome(config: WeChatConfig, *, event: str | None, openid: str, account: str) -> str | None:
    """The channel's auto-reply to a new follower, if it has one (``--welcome``)."""
    if not config.welcome or event not in ("subscribe", "subscribe_scan"):
        return None
    return text_reply(to_user=openid, from_user=account, content=config.welcome)
