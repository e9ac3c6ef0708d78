"""WeChat pushes as WeChat sends them: XML bodies, signed query strings, safe-mode envelopes.

The sample bodies follow wechatpy's test fixtures (tests/test_parser.py, test_events.py at v1.8.18,
MIT licence, © messense), with our own ids.
"""

from __future__ import annotations

import itertools
import time
from typing import Any

from wechatpy.crypto import WeChatCrypto

from channels.wechat.callback import signature

APP_ID = "wx-fake-app"
TOKEN = "hub-test-token"
AES_KEY = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR"
ACCOUNT = "gh_0123456789ab"
SECRET_ENV = "HUB_TEST_WECHAT_SECRET"
_ids = itertools.count(int(time.time()) * 1000)


def next_id() -> int:
    return next(_ids)


def _xml(
    openid: str, msg_type: str, fields: str, *, created: int | None = None, msg_id: int | None = None
) -> str:
    created = created or int(time.time())
    msg = f"<MsgId>{msg_id}</MsgId>" if msg_id is not None else ""
    return (
        f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
        f"<CreateTime>{created}</CreateTime><MsgType><![CDATA[{msg_type}]]></MsgType>{fields}{msg}</xml>"
    )


def text(openid: str, content: str, *, msg_id: int | None = None, created: int | None = None) -> str:
    return _xml(
        openid,
        "text",
        f"<Content><![CDATA[{content}]]></Content>",
        created=created,
        msg_id=msg_id or next_id(),
    )


def message(openid: str, msg_type: str, fields: str, *, msg_id: int | None = None) -> str:
    return _xml(openid, msg_type, fields, msg_id=msg_id or next_id())


def event(openid: str, name: str, fields: str = "", *, created: int | None = None) -> str:
    return _xml(openid, "event", f"<Event><![CDATA[{name}]]></Event>{fields}", created=created)


SAMPLES: dict[str, str] = {
    "image": "<PicUrl><![CDATA[http://mmbiz.example/pic.jpg]]></PicUrl><MediaId><![CDATA[img-1]]></MediaId>",
    "voice": "<MediaId><![CDATA[voice-1]]></MediaId><Format><![CDATA[amr]]></Format>"
    "<Recognition><![CDATA[我的订单什么时候发货]]></Recognition>",
    "video": "<MediaId><![CDATA[video-1]]></MediaId><ThumbMediaId><![CDATA[thumb-1]]></ThumbMediaId>",
    "shortvideo": "<MediaId><![CDATA[video-2]]></MediaId><ThumbMediaId><![CDATA[thumb-2]]></ThumbMediaId>",
    "location": "<Location_X>23.134521</Location_X><Location_Y>113.358803</Location_Y><Scale>20</Scale>"
    "<Label><![CDATA[位置信息]]></Label>",
    "link": "<Title><![CDATA[公众平台官网链接]]></Title><Description><![CDATA[公众平台官网链接]]></Description>"
    "<Url><![CDATA[http://example.com/link]]></Url>",
    "file": "<Title><![CDATA[报价单.pdf]]></Title><Description><![CDATA[PDF]]></Description>"
    "<FileKey><![CDATA[fk-1]]></FileKey><FileMd5><![CDATA[5a5b]]></FileMd5><FileTotalLen>2048</FileTotalLen>",
    "miniprogrampage": "<Title><![CDATA[订单详情]]></Title><AppId><![CDATA[wxmini]]></AppId>"
    "<PagePath><![CDATA[pages/order]]></PagePath>",
    "hologram": "<Shape><![CDATA[cube]]></Shape>",
}


def query(
    *, nonce: str = "n0nce", timestamp: str | None = None, token: str = TOKEN, **extra: str
) -> dict[str, str]:
    timestamp = timestamp or str(int(time.time()))
    return {"signature": signature(token, timestamp, nonce), "timestamp": timestamp, "nonce": nonce, **extra}


def encrypted(
    xml: str, *, compatible: bool = False, app_id: str = APP_ID, key: str = AES_KEY, token: str = TOKEN
) -> tuple[str, dict[str, str]]:
    """The safe-mode body (or compatible mode: plaintext fields kept beside <Encrypt>) and its query."""
    nonce, timestamp = "s4fe", str(int(time.time()))
    envelope = WeChatCrypto(token, key, app_id).encrypt_message(xml, nonce, timestamp)
    encrypt = envelope.split("<Encrypt><![CDATA[", 1)[1].split("]]></Encrypt>", 1)[0]
    inner = (
        xml[len("<xml>") : -len("</xml>")]
        if compatible
        else f"<ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>"
    )
    body = f"<xml>{inner}<Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>"
    params = query(nonce=nonce, timestamp=timestamp, token=token, encrypt_type="aes")
    params["msg_signature"] = signature(token, timestamp, nonce, encrypt)
    return body, params


def decrypt_reply(xml: str, params: dict[str, Any]) -> str:
    """What WeChat reads from our encrypted passive reply."""
    envelope_signature = xml.split("<MsgSignature><![CDATA[", 1)[1].split("]]>", 1)[0]
    timestamp = xml.split("<TimeStamp>", 1)[1].split("</TimeStamp>", 1)[0]
    nonce = xml.split("<Nonce><![CDATA[", 1)[1].split("]]>", 1)[0]
    return WeChatCrypto(TOKEN, AES_KEY, APP_ID).decrypt_message(xml, envelope_signature, timestamp, nonce)
