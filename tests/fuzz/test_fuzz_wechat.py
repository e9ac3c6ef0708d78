"""WeChat pushes, fuzzed: whatever arrives at the webhook is either read into one message or
refused with a reason (``Refused``: 403, ``Malformed``: 400 and kept); no other exception reaches
the webhook, from the XML parser, the mapping onto an InboundMessage or the AES envelope."""

from __future__ import annotations

import uuid

from hypothesis import example, given
from hypothesis import strategies as st

from channels.wechat import callback, inbound
from channels.wechat.callback import Malformed, Query, Refused
from channels.wechat.config import WeChatConfig
from tests.fuzz.budget import fuzz
from tests.wechat import pushes

CONFIG = WeChatConfig(
    channel_id=uuid.UUID(int=7),
    app_id=pushes.APP_ID,
    token=pushes.TOKEN,
    aes_key=pushes.AES_KEY,
    secret_env="X",
)
TAGS = [
    "ToUserName", "FromUserName", "CreateTime", "MsgType", "Content", "MsgId", "Event", "EventKey", "MediaId",
    "PicUrl", "Format", "Recognition", "Location_X", "Location_Y", "Scale", "Label", "Title", "Url", "Ticket",
    "Latitude", "Longitude", "Precision", "MsgID", "Status", "FileTotalLen", "Encrypt",
]  # fmt: skip
MSG_TYPES = ["text", "image", "voice", "video", "shortvideo", "location", "link", "file", "event", "x", ""]
EVENTS = [
    "subscribe",
    "unsubscribe",
    "SCAN",
    "LOCATION",
    "CLICK",
    "VIEW",
    "TEMPLATESENDJOBFINISH",
    "",
    "Other",
]
texts = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        ["0", "-1", "1700000000", "99999999999999999999", "1e9", " 12 ", "NaN", "]]>", "&amp;", "<x/>"]
    ),
)


@st.composite
def pushes_xml(draw: st.DrawFn) -> bytes:
    """Mostly-shaped pushes: WeChat's element names, odd values, CDATA or not, missing or repeated."""
    fields = []
    for tag in draw(st.lists(st.sampled_from(TAGS), max_size=12)):
        value = draw(texts)
        if tag == "MsgType":
            value = draw(st.sampled_from(MSG_TYPES))
        elif tag == "Event":
            value = draw(st.sampled_from(EVENTS))
        value = value.replace("]]>", "]]]]><![CDATA[>")
        fields.append(
            f"<{tag}><![CDATA[{value}]]></{tag}>" if draw(st.booleans()) else f"<{tag}>{value}</{tag}>"
        )
    body = "<xml>" + "".join(fields) + "</xml>"
    cut = draw(st.integers(min_value=0, max_value=len(body)))
    return (body if draw(st.booleans()) else body[:cut]).encode("utf-8", "surrogatepass")


def _read(xml: bytes) -> None:
    try:
        parsed = callback.parse(xml)
    except Malformed as exc:
        assert str(exc)  # a reason, kept with the payload
        return
    push = inbound.to_inbound(CONFIG, parsed)
    assert push.message.sender.identity.startswith(pushes.APP_ID)
    assert len(push.message.external_id) <= 500


@fuzz
@given(pushes_xml())
@example(pushes.text("oU", "hello").replace("<CreateTime>", "<CreateTime>99999999999999").encode())
@example(pushes.text("oU", "hello").replace("<CreateTime>", "<CreateTime>-").encode())
def test_any_push_is_read_or_refused_as_malformed(xml: bytes) -> None:
    _read(xml)


@fuzz
@given(st.binary(max_size=2000))
def test_any_bytes_are_read_or_refused_as_malformed(xml: bytes) -> None:
    _read(xml)


@fuzz
@given(
    body=st.one_of(
        st.binary(max_size=600), st.builds(lambda s: f"<xml><Encrypt>{s}</Encrypt></xml>".encode(), texts)
    ),
    msg_signature=st.one_of(st.none(), st.text(max_size=45)),
    timestamp=st.text(max_size=12),
    nonce=st.text(max_size=12),
)
def test_any_encrypted_body_is_opened_or_refused(
    body: bytes, msg_signature: str | None, timestamp: str, nonce: str
) -> None:
    query = Query(
        signature="x", timestamp=timestamp, nonce=nonce, encrypt_type="aes", msg_signature=msg_signature
    )
    try:
        callback.open_body(CONFIG, query, body)
    except (Refused, Malformed) as exc:
        assert str(exc)


@fuzz
@given(st.data())
def test_a_genuine_envelope_with_a_damaged_ciphertext_is_refused(data: st.DataObject) -> None:
    """Bytes flipped inside a correctly signed envelope: the signature is recomputed, so only the
    AES layer (padding, length prefix, AppID) stands between the damage and the parser."""
    body, params = pushes.encrypted(pushes.text("oU", "机密"))
    encrypt = body.split("<Encrypt><![CDATA[", 1)[1].split("]]></Encrypt>", 1)[0]
    at = data.draw(st.integers(min_value=0, max_value=len(encrypt) - 1))
    replacement = data.draw(
        st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=")
    )
    damaged = encrypt[:at] + replacement + encrypt[at + 1 :]
    query = Query.of(
        {
            **params,
            "msg_signature": callback.signature(pushes.TOKEN, params["timestamp"], params["nonce"], damaged),
        }
    )
    try:
        opened = callback.open_body(CONFIG, query, body.replace(encrypt, damaged).encode())
    except (Refused, Malformed):
        return
    _read(opened)
