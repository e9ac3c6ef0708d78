"""RFC 822 bytes to the hub's :class:`~hub.intake.inbound.InboundMessage`, or to what else the mail is.

A mail is one of: a client's message (``message``), a bounce of one of ours (``bounce``), or a
copy of our own mail (``own``: sent from one of our addresses or carrying our Message-ID), which
is never ingested as a client's. Mails that cannot be read at all raise :class:`Unparsable`; the
caller stores them raw and reports the reason.

Structure comes from ``email.policy.default``; header values, bodies and file names are decoded
by our own charset rules (:mod:`channels.email.charsets`), since the declared labels of Chinese
mail are not to be trusted.
"""

from __future__ import annotations

import logging
import mimetypes
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.errors import HeaderParseError
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.policy import EmailPolicy
from email.utils import collapse_rfc2231_value, parseaddr, parsedate_to_datetime
from typing import Any, Literal

from channels.email import bounces, charsets, headers, ids, loops, quotes
from channels.email.bounces import Bounce
from channels.email.htmltext import to_text
from hub.intake.inbound import InboundAttachment, InboundMessage, Sender


class _RawHeaderPolicy(EmailPolicy):
    """``email.policy.default`` in every respect but one: reading a header returns its raw text.

    We decode every header we use ourselves (:mod:`channels.email.headers`, with the charset rules
    the header registry lacks), so the registry's header objects were pure cost, and the largest
    part of our parse time. Structure, bodies and line handling are the default policy's.
    """

    def header_fetch_parse(self, name: str, value: Any) -> Any:
        return value


log = logging.getLogger(__name__)
_PARSER = BytesParser(policy=_RawHeaderPolicy())
_TICKET_NUMBER = re.compile(r"\[#(\d{1,15})\]")
_TOKEN_HEADERS = ("To", "Cc", "Delivered-To", "X-Original-To", "Envelope-To")


class Unparsable(Exception):
    """The bytes are not a mail we can turn into a message; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Mailbox:
    """What parsing needs to know about our side."""

    channel_id: uuid.UUID
    #: Every address of every e-mail channel of the hub, lower-cased (mail from them is ours).
    our_addresses: frozenset[str] = frozenset()
    #: Domains of our Message-IDs.
    our_domains: frozenset[str] = frozenset()
    max_attachment_bytes: int = 25 * 1024 * 1024


@dataclass(frozen=True)
class ParsedMail:
    kind: Literal["message", "bounce", "own"]
    message_id: str
    message: InboundMessage | None = None
    bounce: Bounce | None = None
    reason: str | None = None
    #: A person wrote it and did not ask for no answer: an acknowledgement may go back.
    may_acknowledge: bool = False
    sender: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def parse(raw: bytes, mailbox: Mailbox) -> ParsedMail:
    """Raises nothing but :class:`Unparsable`, even when a mail trips a fault in our own reading.

    Every caller keeps an unparsable mail raw as rejected and moves on, so a mail that meets a
    bug is one rejected mail (its bytes kept for ``hub inbound rejected`` and a re-read after
    the fix), not a mailbox that stops at it, an import that dies or a listener answering 451
    for ever.
    """
    try:
        return _parse(raw, mailbox)
    except Unparsable:
        raise
    except Exception as exc:
        log.exception("cannot parse a mail of %d bytes", len(raw))
        raise Unparsable(f"the mail could not be read (parser fault: {type(exc).__name__}: {exc})") from exc


def _parse(raw: bytes, mailbox: Mailbox) -> ParsedMail:
    if not raw.strip():
        raise Unparsable("empty file")
    try:
        mail = _PARSER.parsebytes(raw)
    except Exception as exc:  # the parser is lenient; anything it raises means unreadable bytes
        raise Unparsable(f"not a mail: {type(exc).__name__}: {exc}") from None
    if not mail.keys():
        raise Unparsable("no mail headers")
    # The policy's message factory is EmailMessage; the parser's annotation only says Message.
    assert isinstance(mail, EmailMessage)
    senders = headers.addresses(mail, "From") or headers.addresses(mail, "Sender")
    raw_id = headers.message_ids(headers.raw(mail, "Message-ID"))
    message_id = ids.normalise(raw_id[0]) if raw_id else ids.artificial(raw)
    subject = headers.header(mail, "Subject")
    if not senders:
        # Some MTAs sign notices with no domain (``MAILER-DAEMON``) or none at all (Courier's
        # ``<@>``): still a bounce, though no client could be the sender of such a mail.
        local = parseaddr(headers.raw(mail, "From") or "")[1].strip("<>@ ").lower()
        bounce = bounces.detect(mail, local, subject)
        if bounce is None:
            raise Unparsable("no sender address (From)")
        return ParsedMail("bounce", message_id, bounce=bounce, reason=bounce.reason, sender=local)
    name, sender = senders[0]

    if _is_ours(sender, mailbox) or (raw_id and ids.parse_ours(raw_id[0], mailbox.our_domains)):
        return ParsedMail("own", message_id, reason=f"sent by us ({sender})", sender=sender)
    bounce = bounces.detect(mail, sender, subject)
    if bounce is not None:
        return ParsedMail("bounce", message_id, bounce=bounce, reason=bounce.reason, sender=sender)

    body = _Body.of(mail, mailbox.max_attachment_bytes)
    auto = loops.auto_reason(mail, sender, subject)
    references = _references(mail)
    meta: dict[str, Any] = {
        "message_id": raw_id[0] if raw_id else message_id,
        "to": [a for _, a in headers.addresses(mail, "To")],
        "cc": [a for _, a in headers.addresses(mail, "Cc")],
    }
    if not raw_id:
        meta["artificial_message_id"] = True
    if auto:
        meta["auto"] = auto
    if body.full_text != body.text:
        meta["full_text"] = body.full_text
    if body.omitted:
        meta["omitted_attachments"] = body.omitted
    if body.charsets:
        meta["charsets"] = sorted(body.charsets)
    number = _TICKET_NUMBER.search(subject)
    message = InboundMessage(
        channel_id=mailbox.channel_id,
        external_id=message_id,
        sender=Sender(identity=sender, name=name or None),
        subject=subject or None,
        text=body.text or (subject if not (body.html or body.attachments) else ""),
        html=body.html,
        attachments=tuple(body.attachments),
        reply_token=_reply_token(mail, references, mailbox),
        references=tuple(references),
        ticket_number_hint=int(number.group(1)) if number else None,
        thread_by_recency=False,
        sent_at=_date(headers.raw(mail, "Date")),
        is_auto=auto is not None,
        meta=meta,
    )
    return ParsedMail(
        "message",
        message_id,
        message=message,
        may_acknowledge=auto is None and not loops.suppresses_auto_reply(mail),
        sender=sender,
    )


def _is_ours(address: str, mailbox: Mailbox) -> bool:
    if address in mailbox.our_addresses:
        return True
    local, _, domain = address.partition("@")
    return "+" in local and f"{local.partition('+')[0]}@{domain}" in mailbox.our_addresses


def _references(mail: Message) -> list[str]:
    found = headers.message_ids(headers.raw(mail, "References")) + headers.message_ids(
        headers.raw(mail, "In-Reply-To")
    )
    return [ids.normalise(i) for i in dict.fromkeys(found)]


def _reply_token(mail: Message, references: list[str], mailbox: Mailbox) -> str | None:
    for _, address in headers.addresses(mail, *_TOKEN_HEADERS):
        token = ids.token_in_address(address, mailbox.our_addresses)
        if token:
            return token
    for reference in reversed(references):  # the newest reference first
        ours = ids.parse_ours(reference, mailbox.our_domains)
        if ours:
            return ours[0]
    return None


def _date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):  # Overflow: a day like 250123456789
        return None
    if parsed is None:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@dataclass
class _Body:
    text: str = ""
    full_text: str = ""
    html: str | None = None
    attachments: list[InboundAttachment] = field(default_factory=list)
    omitted: list[dict[str, Any]] = field(default_factory=list)
    charsets: set[str] = field(default_factory=set)

    @classmethod
    def of(cls, mail: EmailMessage, max_bytes: int) -> _Body:
        body = cls()
        plain = _body_part(mail, "plain")
        rich = _body_part(mail, "html")
        extra_text = []
        for index, part in enumerate(_leaves(mail)):
            if part is plain or part is rich:
                continue
            kind = part.get_content_type()
            disposition = part.get_content_disposition()
            if kind == "text/plain" and disposition != "attachment" and not _has_filename(part):
                extra_text.append(body._decode(part))  # text split around an inline image
                continue
            if kind == "text/html" and disposition != "attachment" and not _has_filename(part) and rich:
                continue
            body._attach(part, index, max_bytes)
        full = body._decode(plain) if plain is not None else ""
        html = body._decode(rich) if rich is not None else None
        if not full and html:
            full = to_text(html)
        full = "\n\n".join(t for t in [full, *extra_text] if t.strip())
        body.full_text = full.strip()
        body.text = quotes.strip_reply(body.full_text) if body.full_text else ""
        body.html = quotes.strip_reply_html(html) if html else None
        return body

    def _decode(self, part: Message) -> str:
        data = part.get_payload(decode=True)
        if not isinstance(data, bytes):
            return ""
        text, used = charsets.decode(data, part.get_content_charset())
        if used not in ("ascii", "utf-8"):
            self.charsets.add(used)
        return text.replace("\r\n", "\n")

    def _attach(self, part: Message, index: int, max_bytes: int) -> None:
        kind = part.get_content_type()
        if kind in ("message/rfc822", "message/global"):
            inner = part.get_payload()
            inner = inner[0] if isinstance(inner, list) and inner else inner
            data = _message_bytes(inner) if isinstance(inner, Message) else b""
            title = headers.header(inner, "Subject") if isinstance(inner, Message) else ""
            filename = _filename(part) or f"{(title or 'message')[:80]}.eml"
        else:
            payload = part.get_payload(decode=True)
            data = payload if isinstance(payload, bytes) else b""
            filename = _filename(part) or _invented_name(kind, index)
        content_id = (part.get("Content-ID") or "").strip().strip("<>") or None
        if len(data) > max_bytes:
            self.omitted.append(
                {"filename": filename, "content_type": kind, "size": len(data), "reason": "too_large"}
            )
            return
        self.attachments.append(
            InboundAttachment(filename=filename, content_type=kind, data=data, content_id=content_id)
        )


def _message_bytes(inner: Message) -> bytes:
    """An attached mail as bytes. The generator refuses some damaged ones (a header value with a
    bare newline in it, non-ASCII text where it expects bytes): those are rebuilt from the raw
    headers and body as read, so the attachment is kept as it came rather than the mail lost."""
    try:
        return inner.as_bytes(policy=policy.compat32)
    except (HeaderParseError, UnicodeError, ValueError):
        return _rebuilt(inner)


def _rebuilt(message: Message) -> bytes:
    head = b"".join(_as_read(f"{name}: {value}\r\n") for name, value in message.raw_items())
    # The payload as the parser stored it: get_payload() would decode it again, and can fail on
    # the very bytes that made the generator give up.
    payload = message._payload  # type: ignore[attr-defined]
    if isinstance(payload, list):
        boundary = _as_read(message.get_boundary() or "hub-rebuilt")
        parts = [
            b"--" + boundary + b"\r\n" + _rebuilt(p) + b"\r\n" for p in payload if isinstance(p, Message)
        ]
        body = b"".join(parts) + b"--" + boundary + b"--\r\n"
    else:
        body = _as_read(payload) if isinstance(payload, str) else b""
    return head + b"\r\n" + body


def _as_read(text: str) -> bytes:
    """Text the parser made from bytes back into those bytes (8-bit ones are surrogate escapes)."""
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a surrogate that is no escape (an encoded word's leftovers)
        return text.encode("utf-8", "replace")


def _body_part(mail: EmailMessage, kind: str) -> Message | None:
    try:
        part = mail.get_body(preferencelist=(kind,))
    except (KeyError, ValueError, AttributeError):
        return None
    if part is None or part.get_content_type() != f"text/{kind}":
        return None
    if part.get_content_disposition() == "attachment" or _has_filename(part):
        return None
    return part


def _leaves(part: Message) -> list[Message]:
    """The leaf parts in order; an attached mail (``message/rfc822``) is one leaf, stored whole."""
    if part.get_content_type() in ("message/rfc822", "message/global") or not part.is_multipart():
        return [part]
    payload = part.get_payload()
    children = [child for child in payload if isinstance(child, Message)] if isinstance(payload, list) else []
    return [leaf for child in children for leaf in _leaves(child)]


def _has_filename(part: Message) -> bool:
    """Whether the part names a file; a name too damaged to decode (RFC 2231 bytes in no known
    charset) still makes the part a file, which is what its sender meant."""
    try:
        return bool(part.get_filename())
    except (ValueError, LookupError, TypeError):
        return True


def _filename(part: Message) -> str | None:
    """The file name from the raw header parameters, decoded by our charset rules.

    ``policy.default`` already decoded a ``filename="=?GB2312?B?…?="`` word with the declared
    label (garbage for GBK bytes), so the parameters are read again from the raw header with the
    compat32 rules, which keep such a word for :func:`headers.text` and still join RFC 2231 parts.
    """
    legacy = Message()
    for name in ("Content-Disposition", "Content-Type"):
        value = headers.raw(part, name)
        if value is not None:
            legacy[name] = value
    found: str | None
    try:
        param = legacy.get_filename() or legacy.get_param("name")
        found = collapse_rfc2231_value(param) if isinstance(param, tuple) else param
    except (ValueError, LookupError, TypeError):
        found = None
    if not found:
        return None
    name = headers.text(str(found))
    return name.replace("/", "_").replace("\\", "_").strip()[:255] or None


def _invented_name(kind: str, index: int) -> str:
    extension = mimetypes.guess_extension(kind) or ".bin"
    return f"part-{index}{extension}"
