"""Bounces and delivery status notifications: which of our mails failed, for whom, and why.

RFC 3464 and RFC 6533 reports are read field by field wherever their status part sits (in a
``multipart/report``, with or without its report type, or in a ``multipart/mixed``), but never
inside an attached mail: a person forwarding a bounce writes a message. Free-text notices
(Postfix's and Exim's older templates, qmail, sendmail, Exchange, Lotus, GroupWise, Yahoo, AOL,
QQ, NetEase, Sina...) are told by who sent them and what they say, per ``bounce_shapes``, and
their text is searched for the SMTP answer. Either way the original mail is named by the
Message-IDs found in the returned message or headers (and the notice's own
In-Reply-To/References): ours carry our format.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import Message
from email.utils import collapse_rfc2231_value

from channels.email import bounce_shapes, charsets, headers, htmltext
from channels.email.bounce_shapes import found

_STATUS_PARTS = ("message/delivery-status", "message/global-delivery-status")
_REPORT_TYPES = ("delivery-status", "global-delivery-status")
_RETURNED_PARTS = ("message/rfc822", "message/global", "text/rfc822-headers", "message/global-headers")
_MESSAGE_ID_LINE = re.compile(r"^\s*Message-ID:\s*(<[^<>\s]+>)", re.I | re.M)
_ORIGINAL_SENDER_LINE = re.compile(r"^\s*(?:From|Sender|Return-Path):.*$", re.I | re.M)
_STATUS = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")
_SMTP_CODE = re.compile(r"(?<![\d.])([45]\d\d)[ -]")
_ADDRESS = re.compile(r"<?([\w.%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,})>?")
_PERMANENT = re.compile(r"permanent|fatal|given up|giving up|retry time(out)? (not reached|exceeded)", re.I)
_REASON_HINT = re.compile(
    r"(said:|error|reason|原因|denied|rejected|does not exist|not listed|unknown|no such|不存在|拒绝|被退回|(#\d\.\d\.\d))",
    re.I,
)


@dataclass(frozen=True)
class Bounce:
    #: Message-IDs the notice names: the failed mail's, and its thread's.
    original_ids: tuple[str, ...]
    recipients: tuple[str, ...]
    #: ``failed`` (permanent), ``delayed`` (still trying) or ``delivered``/``relayed``.
    action: str
    status: str | None
    reason: str

    @property
    def failed(self) -> bool:
        return self.action == "failed"


def detect(message: Message, sender: str, subject: str) -> Bounce | None:
    """The bounce this mail is, or ``None`` for any other mail."""
    if message.get_content_type() == "multipart/report":
        report = _param_text(message.get_param("report-type")).lower()
        if report in _REPORT_TYPES or (not report and _has_status_part(message)):
            return _from_report(message)
        if report:
            return None  # disposition notifications (read receipts) are handled as automatic mail
    elif _has_status_part(message):
        return _from_report(message)
    notice = _notice_text(message)
    if not _is_notice(message, sender, subject, _first_part(notice)):
        return None
    return _from_text(message, subject, notice)


def _has_status_part(message: Message) -> bool:
    """A status part of this mail's own, not one inside a mail attached to it."""
    if message.get_content_type() in _STATUS_PARTS:
        return True
    if not message.is_multipart() or message.get_content_maintype() == "message":
        return False
    return any(isinstance(p, Message) and _has_status_part(p) for p in message.get_payload())


def _is_notice(message: Message, sender: str, subject: str, notice: str) -> bool:
    """Who sent it says robot and what it says is a notice's (or a daemon sent it, which is enough)."""
    if found(bounce_shapes.DAEMON_SENDERS, sender):
        return True
    return _from_a_robot(message, sender) and bool(
        found(bounce_shapes.SUBJECTS, bounce_shapes.SUBJECT_TAGS.sub("", subject).strip())
        or found(bounce_shapes.BODY_MARKS, notice)
    )


def _from_a_robot(message: Message, sender: str) -> bool:
    if found(bounce_shapes.ROBOT_SENDERS, sender):
        return True
    names = [name for name, _ in headers.addresses(message, "From")]
    if any(found(bounce_shapes.ROBOT_NAMES, name.strip()) for name in names):
        return True
    if any(headers.raw(message, name) is not None for _, name in bounce_shapes.NOTICE_HEADERS):
        return True
    return_path = (headers.raw(message, "Return-Path") or "").replace(" ", "")
    return return_path == "<>" or _looks_automatic(message)


def _looks_automatic(message: Message) -> bool:
    submitted = (headers.raw(message, "Auto-Submitted") or "").lower()
    return bool(submitted) and not submitted.startswith("no")


def _from_report(message: Message) -> Bounce:
    recipients, actions, statuses, diagnostics = [], [], [], []
    human = ""
    originals: list[str] = []
    for part in message.walk():
        kind = part.get_content_type()
        if kind in _STATUS_PARTS:
            for block in _status_blocks(part):
                recipient = block.get("final-recipient") or block.get("original-recipient")
                if recipient:
                    recipients.append(recipient.split(";")[-1].strip().strip("<>").lower())
                if block.get("action"):
                    actions.append(block["action"].strip().lower())
                if block.get("status"):
                    statuses.append(block["status"].strip())
                if block.get("diagnostic-code"):
                    diagnostics.append(block["diagnostic-code"].split(";", 1)[-1].strip())
        elif kind in _RETURNED_PARTS:
            originals += _ids_in_returned(part)
        elif kind in ("text/plain", "text/html") and not human:
            human = _text_of(part)
    action = "failed" if "failed" in actions else (actions[0] if actions else "failed")
    status = next((s for s in statuses if s.startswith(("5", "4"))), statuses[0] if statuses else None)
    reason = " ".join(diagnostics[0].split()) if diagnostics else _reason_in(human)
    if status and status not in reason:
        reason = f"{status} {reason}".strip()
    return Bounce(
        original_ids=_with_thread_ids(message, originals),
        recipients=tuple(dict.fromkeys(recipients)),
        action=action,
        status=status,
        reason=reason[:1000] or "the receiving server reported a delivery failure",
    )


def _param_text(value: str | tuple[str | None, str | None, str] | None) -> str:
    """A header parameter as text: an RFC 2231 value comes as ``(charset, language, text)``."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return collapse_rfc2231_value(value)


def _status_blocks(part: Message) -> list[dict[str, str]]:
    """The per-message and per-recipient field blocks of a ``message/delivery-status`` part."""
    payload = part.get_payload()
    blocks = []
    if str(part.get("Content-Transfer-Encoding", "")).strip().lower() == "base64":
        # RFC 3464 says 7bit, yet some MTAs encode it: the parser then split base64 lines as fields.
        payload = _base64_status(payload)
    if isinstance(payload, list):
        for block in payload:
            if not isinstance(block, Message):
                continue  # a multipart's items are messages; the stubs also allow strings
            blocks.append({k.lower(): charsets.recover(str(v)) for k, v in block.raw_items()})
            rest = block.get_payload(decode=True)
            if isinstance(rest, bytes) and rest.strip():
                # message/global-delivery-status is parsed as one mail: its later blocks are a body.
                blocks += _text_blocks(charsets.decode(rest, "utf-8")[0])
        return blocks
    # Some MTAs send it as plain text the parser did not split: split blank-line separated blocks.
    return _text_blocks(charsets.recover(payload) if isinstance(payload, str) else "")


def _text_blocks(data: str) -> list[dict[str, str]]:
    blocks = []
    for chunk in re.split(r"\n\s*\n", data.replace("\r\n", "\n")):
        fields = {}
        for line in re.sub(r"\n[ \t]+", " ", chunk).split("\n"):
            name, colon, value = line.partition(":")
            if colon:
                fields[name.strip().lower()] = value.strip()
        if fields:
            blocks.append(fields)
    return blocks


def _base64_status(payload: object) -> str:
    lines = payload if isinstance(payload, list) else [payload]
    encoded = "".join(str(p.get_payload() if isinstance(p, Message) else p) for p in lines)
    try:
        return base64.b64decode("".join(encoded.split()), validate=False).decode("utf-8", "replace")
    except ValueError:
        return ""


def _ids_in_returned(part: Message) -> list[str]:
    inner = part.get_payload()
    inner = inner[0] if isinstance(inner, list) and inner else inner
    if isinstance(inner, Message):  # message/rfc822 and message/global(-headers) come parsed
        return headers.message_ids(headers.raw(inner, "Message-ID"))
    if part.get_content_maintype() == "message":
        return []
    data = part.get_payload(decode=True)
    returned = message_from_bytes(data if isinstance(data, bytes) else b"", policy=policy.compat32)
    # headers.raw, not .get: compat32 hands back a Header object for a value with 8-bit bytes.
    return headers.message_ids(headers.raw(returned, "Message-ID"))


def _text_of(part: Message) -> str:
    data = part.get_payload(decode=True)
    text = (
        str(part.get_payload() or "")
        if not isinstance(data, bytes)
        else charsets.decode(data, part.get_content_charset())[0]
    )
    return htmltext.to_text(text) if part.get_content_type() == "text/html" else text


def _notice_text(message: Message) -> str:
    """The notice's own text parts, HTML made text; a mail attached to it is not read here."""
    texts: list[str] = []
    for part in _own_parts(message):
        if (
            part.get_content_type() in ("text/plain", "text/html")
            and part.get_content_disposition() != "attachment"
        ):
            texts.append(_text_of(part))
    return "\n".join(texts)


def _own_parts(message: Message) -> list[Message]:
    if not message.is_multipart():
        return [message]
    if message.get_content_maintype() == "message":
        return []
    return [own for p in message.get_payload() if isinstance(p, Message) for own in _own_parts(p)]


def _from_text(message: Message, subject: str, body: str) -> Bounce:
    originals: list[str] = []
    for part in message.walk():
        if part.get_content_type() in _RETURNED_PARTS:
            originals += _ids_in_returned(part)
    # qmail and friends paste the original below a marker line: its headers are in the text.
    originals += _MESSAGE_ID_LINE.findall(body)
    notice = _first_part(body)
    status_match = _STATUS.search(notice) or _STATUS.search(body)
    status = status_match.group(0) if status_match else None
    return Bounce(
        original_ids=_with_thread_ids(message, originals),
        recipients=_recipients(message, notice, body),
        action=_text_action(subject, notice, status),
        status=status,
        reason=_with_status(status, _reason_in(body)),
    )


def _text_action(subject: str, notice: str, status: str | None) -> str:
    """``delayed`` when the notice says it is still trying, else ``failed``."""
    if found(bounce_shapes.DELAY_MARKS, subject) or found(bounce_shapes.DELAY_MARKS, notice):
        return "delayed"
    if _PERMANENT.search(notice):
        return "failed"
    code = _SMTP_CODE.search(notice)
    temporary = (status or "").startswith("4") or (
        not status and code is not None and code.group(1)[0] == "4"
    )
    return "delayed" if temporary else "failed"


def _recipients(message: Message, notice: str, body: str) -> tuple[str, ...]:
    """Exim names them in a header; otherwise the addresses of the notice's text, less the robots'
    and the returned mail's sender (ours)."""
    named = [
        a.strip().strip("<>").lower()
        for v in headers.raw_all(message, "X-Failed-Recipients")
        for a in v.split(",")
    ]
    senders = {a.lower() for line in _ORIGINAL_SENDER_LINE.findall(body) for a in _ADDRESS.findall(line)}
    senders |= {a for _, a in headers.addresses(message, "From", "To")}
    seen = [
        a.lower()
        for a in _ADDRESS.findall(notice)
        if a.lower() not in senders
        and not found(bounce_shapes.DAEMON_SENDERS, a.lower())
        and not found(bounce_shapes.ROBOT_SENDERS, a.lower())
    ]
    return tuple(dict.fromkeys(a for a in named + seen if a))[:10]


def _with_status(status: str | None, reason: str) -> str:
    if status and status not in reason:
        reason = f"{status} {reason}".strip()
    return reason[:1000] or "the receiving server reported a delivery failure"


def _first_part(body: str) -> str:
    """The notice itself, without the returned copy of the original mail."""
    cuts = [m.start() for mark in bounce_shapes.RETURNED_COPY if (m := mark.pattern.search(body))]
    return body[: min(cuts)] if cuts else body


def _reason_in(text: str) -> str:
    """The lines that carry the remote server's answer, else the notice's first sentences."""
    notice = _first_part(text)
    lines = [line.strip() for line in notice.splitlines() if line.strip()]
    for index, line in enumerate(lines):
        if _SMTP_CODE.search(line + " ") or _STATUS.search(line):
            return " ".join(lines[index : index + 2])[:500]
    hinted = [line for line in lines if _REASON_HINT.search(line)]
    if hinted:
        return " ".join(hinted[:2])[:500]
    return " ".join(lines[:2])[:500]


def _with_thread_ids(message: Message, originals: list[str]) -> tuple[str, ...]:
    extra = headers.message_ids(headers.raw(message, "In-Reply-To")) + headers.message_ids(
        headers.raw(message, "References")
    )
    return tuple(dict.fromkeys(originals + extra))
