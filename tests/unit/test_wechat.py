"""The WeChat channel's pure parts: signatures, AES, parsing, reply escaping, mapping, sealed config."""

from __future__ import annotations

import uuid
from xml.etree import ElementTree

import pytest
from hypothesis import given
from hypothesis import strategies as st
from wechatpy.replies import TextReply

from channels.catalogue import configure, spec
from channels.spec import SettingsProblem
from channels.wechat import callback, errors, inbound, replies
from channels.wechat.callback import Malformed, Query, Refused
from channels.wechat.config import ConfigProblem, WeChatConfig
from hub.security import UnsealError, seal, unseal
from tests.wechat import pushes

KEY = "unit-test-master-key-0123456789-abcdefgh"
CHANNEL = uuid.uuid4()
CONFIG = WeChatConfig(
    channel_id=CHANNEL, app_id=pushes.APP_ID, token=pushes.TOKEN, aes_key=pushes.AES_KEY, secret_env="X"
)


def _parse_xml(text: str) -> ElementTree.Element:
    return ElementTree.fromstring(text)  # noqa: S314 - our own output, parsed to prove it is XML


def test_the_signature_matches_wechats_published_vector() -> None:
    assert callback.signature("test", "1410685589", "test") == "f21891de399b4e33a1a93c9a7b8a8fffb5a443ff"


def test_verify_accepts_wechats_signature_and_refuses_anything_else() -> None:
    callback.verify(CONFIG, Query.of(pushes.query()))
    with pytest.raises(Refused):
        callback.verify(CONFIG, Query.of(pushes.query(token="other")))
    with pytest.raises(Refused, match="missing"):
        callback.verify(CONFIG, Query.of({"signature": "x"}))
    assert callback.echo(CONFIG, Query.of(pushes.query(echostr="abc"))) == "abc"


def test_safe_mode_round_trip_and_refusals() -> None:
    xml = pushes.text("oU", "加密 ]]> <&>", msg_id=1)
    body, params = pushes.encrypted(xml)
    assert callback.open_body(CONFIG, Query.of(params), body.encode()).decode() == xml
    with pytest.raises(Refused, match="msg_signature"):
        callback.open_body(CONFIG, Query.of({**params, "msg_signature": "f" * 40}), body.encode())
    other_body, other_params = pushes.encrypted(xml, app_id="wx-other")
    with pytest.raises(Refused, match="another AppID"):
        callback.open_body(CONFIG, Query.of(other_params), other_body.encode())
    no_key = WeChatConfig(
        channel_id=CHANNEL, app_id=pushes.APP_ID, token=pushes.TOKEN, aes_key=None, secret_env="X"
    )
    with pytest.raises(Refused, match="EncodingAESKey"):
        callback.open_body(no_key, Query.of(params), body.encode())
    with pytest.raises(Malformed, match="Encrypt"):
        callback.open_body(CONFIG, Query.of(params), b"<xml><ToUserName>x</ToUserName></xml>")
    assert callback.open_body(CONFIG, Query.of(pushes.query()), b"plain") == b"plain"


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not xml at all",
        b"<xml><FromUserName>o</FromUserName><CreateTime>1</CreateTime></xml>",  # no MsgType
        b"<other><MsgType>text</MsgType></other>",  # root is not <xml>
        b'<!DOCTYPE x [<!ENTITY e "boom">]><xml><MsgType>&e;</MsgType></xml>',
        b"<xml><MsgType>text</MsgType><CreateTime>1</CreateTime></xml>",  # no sender
        b"<xml><MsgType>text</MsgType><FromUserName>o</FromUserName><CreateTime>soon</CreateTime></xml>",
        b"\xff\xfe<xml>",
    ],
)
def test_malformed_bodies_raise_our_error_never_wechatpys(body: bytes) -> None:
    with pytest.raises(Malformed):
        callback.parse(body)


def test_wechatpys_text_reply_breaks_on_cdata_end_and_ours_does_not() -> None:
    message = callback.parse(pushes.text("oU", "hi", msg_id=1).encode())
    broken = TextReply(message=message, content="a ]]> b").render()
    with pytest.raises(ElementTree.ParseError):
        _parse_xml(broken)
    fixed = replies.text_reply(to_user="oU", from_user=pushes.ACCOUNT, content="a ]]> b", now=1)
    assert _parse_xml(fixed).findtext("Content") == "a ]]> b"


@given(st.text())
def test_any_reply_text_reads_back_exactly(content: str) -> None:
    xml = replies.text_reply(to_user="o]]>U", from_user="gh_<&>", content=content, now=1)
    root = _parse_xml(xml)
    # What XML keeps of a text: no forbidden characters, line ends normalised by every parser.
    expected = replies._NOT_XML.sub("", content).replace("\r\n", "\n").replace("\r", "\n")
    assert (root.findtext("Content") or "") == expected
    assert root.findtext("ToUserName") == "o]]>U" and root.findtext("FromUserName") == "gh_<&>"


def _mapped(xml: str) -> inbound.Push:
    return inbound.to_inbound(CONFIG, callback.parse(xml.encode()))


def test_messages_open_the_48_hour_window_and_events_are_notices() -> None:
    text = _mapped(pushes.text("oU", "hello", msg_id=77, created=1700000000))
    message = text.message
    assert (message.external_id, message.sender.identity) == ("77", f"{pushes.APP_ID}:oU")
    assert message.window == inbound.MESSAGE_WINDOW == inbound.WindowGrant(seconds=172800, replies=5)
    assert message.opens_ticket and not message.is_auto and message.sent_at.timestamp() == 1700000000
    click = _mapped(pushes.event("oU", "CLICK", "<EventKey>K</EventKey>", created=1700000001)).message
    assert click.external_id == "event:oU:1700000001:click" and click.window == inbound.EVENT_WINDOW
    assert (
        click.is_auto and not click.opens_ticket and click.meta == {"wechat": {"event": "click", "key": "K"}}
    )
    leave = _mapped(pushes.event("oU", "unsubscribe")).message
    assert leave.sender_status == "left" and leave.window is None
    scan_follow = _mapped(
        pushes.event("oU", "subscribe", "<EventKey>qrscene_42</EventKey><Ticket>T</Ticket>")
    )
    assert scan_follow.event == "subscribe_scan" and scan_follow.message.sender_status == "joined"
    assert scan_follow.message.meta["wechat"]["scene"] == "42"
    finished = _mapped(
        pushes.event("oU", "TEMPLATESENDJOBFINISH", "<MsgID>9</MsgID><Status>failed:user block</Status>")
    )
    assert finished.message.references == ("template:9",)
    assert finished.message.meta["wechat"]["status"] == "failed:user block"
    new_event = _mapped(pushes.event("oU", "subscribe_msg_popup_event", "<List><A>1</A></List>")).message
    assert new_event.meta["wechat"] == {"event": "subscribe_msg_popup_event", "fields": {"List": {"A": "1"}}}


def test_a_message_type_without_msgid_still_dedupes_on_sender_and_time() -> None:
    xml = "<xml><FromUserName>oU</FromUserName><CreateTime>5</CreateTime><MsgType>hologram</MsgType></xml>"
    assert _mapped(xml).message.external_id == "hologram:oU:5"


def test_sealed_credentials_open_only_for_their_channel_and_field() -> None:
    config = configure(
        spec("wechat"),
        CHANNEL,
        KEY,
        {"app_id": "wx1", "token": "tok-secret", "aes_key": pushes.AES_KEY, "secret_env": "ENV"},
    )
    assert "tok-secret" not in str(config) and pushes.AES_KEY not in str(config)
    assert config["reply_window"] is True and config["identity_prefix"] == "wx1:"
    loaded = WeChatConfig.load(KEY, CHANNEL, config)
    assert (loaded.token, loaded.aes_key) == ("tok-secret", pushes.AES_KEY)
    assert "tok-secret" not in repr(loaded)
    with pytest.raises(ConfigProblem, match="HUB_SECRET_KEY"):
        WeChatConfig.load("another-master-key-0123456789-abcdefgh", CHANNEL, config)
    with pytest.raises(ConfigProblem):
        WeChatConfig.load(KEY, uuid.uuid4(), config)  # copied to another channel
    sealed = seal(KEY, "a", "value")
    assert unseal(KEY, "a", sealed) == "value"
    with pytest.raises(UnsealError):
        unseal(KEY, "b", sealed)
    with pytest.raises(SettingsProblem, match="aes_key: must be the 43-character EncodingAESKey"):
        configure(
            spec("wechat"),
            CHANNEL,
            KEY,
            {"app_id": "wx1", "token": "t", "aes_key": "short", "secret_env": "ENV"},
        )


def test_the_secret_comes_from_the_named_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("X", raising=False)
    with pytest.raises(ConfigProblem, match="set the environment variable X"):
        CONFIG.secret()
    monkeypatch.setenv("X", "s3cret")
    assert CONFIG.secret() == "s3cret"


def test_unknown_error_codes_still_say_what_wechat_said() -> None:
    failure = errors.api_failure(61451, "invalid parameter")
    assert failure.code == "delivery_refused" and "WeChat 61451: invalid parameter" in failure.reason
