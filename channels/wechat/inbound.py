"""A parsed WeChat push as the hub's :class:`InboundMessage`: the one mapping of every type.

* Messages (text, image, voice, video, shortvideo, location, link, file, miniprogrampage, and any
  type WeChat adds later) are the customer speaking: they thread into or open a ticket, and open the
  48-hour reply window (5 replies). Media arrives as a ``media_id``: the message is stored at once
  with ``meta.media.state = "pending"`` and a job downloads the file (:mod:`channels.wechat.jobs`).
* Events are notices (``opens_ticket=False``, automatic): they join the contact's conversation and
  never create work by themselves. Subscribe (with its QR scene), SCAN and CLICK give the short
  window WeChat grants (3 replies in a minute); subscribe and unsubscribe mark the identity.
* Dedupe keys: ``MsgId`` for messages; events have none, so ``FromUserName:CreateTime:Event``
  (WeChat's documented key plus the event, so two events in one second stay two).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from channels.wechat.config import WeChatConfig
from hub.intake.inbound import InboundMessage, Sender, WindowGrant

#: A user message lets the account answer 5 times within 48 hours (the rule since 2023-06).
MESSAGE_WINDOW = WindowGrant(seconds=48 * 3600, replies=5)
#: Following, scanning a QR code or clicking a menu: 3 replies within a minute.
EVENT_WINDOW = WindowGrant(seconds=60, replies=3)
MEDIA_TYPES = frozenset({"image", "voice", "video", "shortvideo", "file"})
KNOWN_TYPES = frozenset(
    {"text", "image", "voice", "video", "shortvideo", "location", "link", "file", "miniprogrampage"}
)
_EVENT_WINDOWS = frozenset({"subscribe", "subscribe_scan", "scan", "click"})
#: Fields every push has; what is left is the type's own payload.
_ENVELOPE = frozenset({"ToUserName", "FromUserName", "CreateTime", "MsgType", "MsgId", "Event", "Encrypt"})


@dataclass(frozen=True)
class Push:
    """What the endpoint needs from one push: the message for the hub and how to answer."""

    message: InboundMessage
    openid: str
    #: The account's original id (``gh_...``), the ``FromUserName`` of a passive reply.
    account: str
    kind: str
    event: str | None


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict):  # xmltodict turns <X attr=".."> into a dict; keep its text
        return str(value.get("#text", ""))
    return str(value)


def _kind_and_event(parsed: Any) -> tuple[str, str | None]:
    """wechatpy's type, with what it loses: an unknown type's or event's real name (``_data``)."""
    data = parsed._data
    raw_type = _text(data.get("MsgType")).lower()
    if raw_type == "event":
        event = getattr(parsed, "event", None) or _text(data.get("Event")).lower()
        return "event", event
    return raw_type, None


def external_id(parsed: Any, kind: str, event: str | None) -> str:
    data = parsed._data
    msg_id = _text(data.get("MsgId")).strip()
    if msg_id and kind != "event":
        return msg_id
    source, created = _text(data.get("FromUserName")), _text(data.get("CreateTime"))
    if kind == "event":
        return f"event:{source}:{created}:{event}"
    return f"{kind}:{source}:{created}"


def _payload(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in _ENVELOPE}


def _message_fields(kind: str, data: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The searchable text and the structured fields of a customer message."""

    def get(name: str) -> str:
        return _text(data.get(name))

    if kind == "text":
        return get("Content"), {}
    if kind == "image":
        return "", {"media_id": get("MediaId"), "pic_url": get("PicUrl")}
    if kind == "voice":
        recognition = get("Recognition")
        return recognition, {"media_id": get("MediaId"), "format": get("Format"), "recognition": recognition}
    if kind in ("video", "shortvideo"):
        return "", {"media_id": get("MediaId"), "thumb_media_id": get("ThumbMediaId")}
    if kind == "location":
        fields = {
            "latitude": get("Location_X"),
            "longitude": get("Location_Y"),
            "scale": get("Scale"),
            "label": get("Label"),
        }
        return get("Label"), fields
    if kind == "link":
        fields = {"title": get("Title"), "description": get("Description"), "url": get("Url")}
        return "\n".join(v for v in fields.values() if v), fields
    if kind == "file":
        fields = {
            "title": get("Title"),
            "description": get("Description"),
            "file_key": get("FileKey"),
            "file_md5": get("FileMd5"),
            "size": get("FileTotalLen"),
            "media_id": get("MediaId"),
        }
        return "\n".join(v for v in (fields["title"], fields["description"]) if v), fields
    if kind == "miniprogrampage":
        fields = {"title": get("Title"), "app_id": get("AppId"), "page_path": get("PagePath")}
        return fields["title"], fields
    return "", {"msg_type": _text(data.get("MsgType")), "fields": _payload(data)}


def _event_fields(event: str, data: dict[str, Any]) -> dict[str, Any]:
    key = _text(data.get("EventKey"))
    if event in ("subscribe_scan", "scan"):
        return {"scene": key, "ticket": _text(data.get("Ticket"))}
    if event == "click":
        return {"key": key}
    if event == "view":
        return {"url": key}
    if event == "templatesendjobfinish":
        return {"msg_id": _text(data.get("MsgID")), "status": _text(data.get("Status"))}
    if event == "location":
        return {
            "latitude": _text(data.get("Latitude")),
            "longitude": _text(data.get("Longitude")),
            "precision": _text(data.get("Precision")),
        }
    if event in ("subscribe", "unsubscribe"):
        return {"key": key} if key else {}
    return {"fields": _payload(data)}


def to_inbound(config: WeChatConfig, parsed: Any) -> Push:
    data = parsed._data
    kind, event = _kind_and_event(parsed)
    openid = _text(data.get("FromUserName"))
    sent_at = datetime.fromtimestamp(int(_text(data.get("CreateTime"))), UTC)
    common: dict[str, Any] = {
        "channel_id": config.channel_id,
        "external_id": external_id(parsed, kind, event)[:500],
        "sender": Sender(identity=config.identity(openid)),
        "sent_at": sent_at,
    }
    if kind == "event":
        assert event is not None
        status = {"subscribe": "joined", "subscribe_scan": "joined", "unsubscribe": "left"}.get(event)
        references: tuple[str, ...] = ()
        fields = _event_fields(event, data)
        if event == "templatesendjobfinish" and fields.get("msg_id"):
            references = (template_external_id(fields["msg_id"]),)
        message = InboundMessage(
            **common,
            type="event",
            is_auto=True,
            opens_ticket=False,
            window=EVENT_WINDOW if event in _EVENT_WINDOWS else None,
            sender_status=status,
            references=references,
            meta={"wechat": {"event": event, **fields}},
        )
    else:
        known = kind in KNOWN_TYPES
        text, fields = _message_fields(kind if known else "unknown", data)
        meta: dict[str, Any] = {"wechat": {"msg_type": kind, **fields}}
        if kind in MEDIA_TYPES and fields.get("media_id"):
            meta["media"] = {"state": "pending", "media_id": fields["media_id"], "kind": kind}
        message = InboundMessage(
            **common, type=kind if known else "unknown", text=text, window=MESSAGE_WINDOW, meta=meta
        )
    return Push(message=message, openid=openid, account=_text(data.get("ToUserName")), kind=kind, event=event)


def template_external_id(msg_id: object) -> str:
    """A sent template message's id on our side; the job-finish event references it."""
    return f"template:{msg_id}"
