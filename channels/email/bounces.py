"""Bounces and delivery status notifications: which of our mails failed, for whom, and why.

RFC 3464 reports (``multipart/report; report-type=delivery-status``) are read field by field.
The MTAs that still send free-text notices (Postfix's and Exim's older templates, qmail, Exchange
NDRs, QQ and NetEase) are recognised by their sender and subject, and their text is searched for
the SMTP answer. Either way the original mail is named by the Message-IDs found in the returned
message or headers (and the notice's own In-Reply-To/References): ours carry our format.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import Message
from email.utils import collapse_rfc2231_value

from channels.email import charsets, headers

_BOUNCE_SENDER = re.compile(r"^(mailer-daemon|postmaster|mail-daemon|mailerdaemon|maildelivery)@", re.I)
_BOUNCE_SUBJECT = re.compile(
    r"(undeliver|undelivered mail|returned mail|mail delivery (failed|failure|subsystem)|delivery status notification"
    r"|delivery failure|failure notice|non[- ]?delivery|could not be delivered|delivery has failed"
    r"|退信|系统退信|邮件投递失败|邮件发送失败|无法投递|未能送达|郵件傳遞失敗|投递失败)",
    re.I,
)
_MESSAGE_ID_LINE = re.compile(r"^\s*Message-ID:\s*(<[^<>\s]+>)", re.I | re.M)
_STATUS = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")
_SMTP_CODE = re.compile(r"(?<![\d.])([45]\d\d)[ -]")
_ADDRESS = re.compile(r"<?([A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,})>?")
_REASON_HINT = re.compile(
    r"(said:|error|reason|原因|denied|rejected|does not exist|unknown|no such|不存在|拒绝|被退回|(#\d\.\d\.\d))",
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
        if report == "delivery-status":
            return _from_report(message)
        return None  # disposition notifications (read receipts) are handled as automatic mail
    from_robot = bool(_BOUNCE_SENDER.match(sender))
    if not (from_robot or _BOUNCE_SUBJECT.search(subject)):
        return None
    null_sender = (headers.raw(message, "Return-Path") or "").replace(" ", "") == "<>"
    if not (from_robot or null_sender or _looks_automatic(message)):
        # A subject alone is not enough: a client may well write "my mail could not be delivered".
        return None
    return _from_text(message)


def _looks_automatic(message: Message) -> bool:
    submitted = (headers.raw(message, "Auto-Submitted") or "").lower()
    return bool(submitted) and not submitted.startswith("no")


def _from_report(message: Message) -> Bounce:
    recipients, actions, statuses, diagnostics = [], [], [], []
    human = ""
    originals: list[str] = []
    for part in message.walk():
        kind = part.get_content_type()
        if kind == "message/delivery-status":
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
        elif kind in ("message/rfc822", "message/global", "text/rfc822-headers", "message/global-headers"):
            originals += _ids_in_returned(part)
        elif kind == "text/plain" and not human:
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
    if isinstance(payload, list):
        for block in payload:
            if not isinstance(block, Message):
                continue  # a multipart's items are messages; the stubs also allow strings
            blocks.append({k.lower(): charsets.recover(str(v)) for k, v in block.raw_items()})
        return blocks
    # Some MTAs send it as plain text the parser did not split: split blank-line separated blocks.
    data = payload if isinstance(payload, str) else ""
    for chunk in re.split(r"\n\s*\n", data.replace("\r\n", "\n")):
        fields = {}
        for line in re.sub(r"\n[ \t]+", " ", chunk).split("\n"):
            name, colon, value = line.partition(":")
            if colon:
                fields[name.strip().lower()] = value.strip()
        if fields:
            blocks.append(fields)
    return blocks


def _ids_in_returned(part: Message) -> list[str]:
    if part.get_content_type() in ("message/rfc822", "message/global"):
        inner = part.get_payload()
        inner = inner[0] if isinstance(inner, list) and inner else inner
        if isinstance(inner, Message):
            return headers.message_ids(headers.raw(inner, "Message-ID"))
        return []
    data = part.get_payload(decode=True)
    returned = message_from_bytes(data if isinstance(data, bytes) else b"", policy=policy.compat32)
    # headers.raw, not .get: compat32 hands back a Header object for a value with 8-bit bytes.
    return headers.message_ids(headers.raw(returned, "Message-ID"))


def _text_of(part: Message) -> str:
    data = part.get_payload(decode=True)
    if not isinstance(data, bytes):
        return str(part.get_payload() or "")
    return charsets.decode(data, part.get_content_charset())[0]


def _from_text(message: Message) -> Bounce:
    texts: list[str] = []
    originals: list[str] = []
    for part in message.walk():
        kind = part.get_content_type()
        if kind in ("message/rfc822", "message/global", "text/rfc822-headers"):
            originals += _ids_in_returned(part)
        elif kind == "text/plain" or (kind == "text/html" and not texts):
            texts.append(_text_of(part))
    body = "\n".join(texts)
    # qmail and friends paste the original below a marker line: its headers are in the text.
    originals += [m for m in _MESSAGE_ID_LINE.findall(body)]
    status_match = _STATUS.search(body)
    status = status_match.group(0) if status_match else None
    code = _SMTP_CODE.search(body)
    temporary = (status or "").startswith("4") or (
        not status and code is not None and code.group(1)[0] == "4"
    )
    recipients = [a.lower() for a in _ADDRESS.findall(_first_part(body)) if not _BOUNCE_SENDER.match(a)]
    reason = _reason_in(body)
    if status and status not in reason:
        reason = f"{status} {reason}".strip()
    return Bounce(
        original_ids=_with_thread_ids(message, originals),
        recipients=tuple(dict.fromkeys(recipients))[:10],
        action="delayed" if temporary else "failed",
        status=status,
        reason=reason[:1000] or "the receiving server reported a delivery failure",
    )


def _first_part(body: str) -> str:
    """The notice itself, without the returned copy of the original mail."""
    cut = re.search(
        r"^(-+\s*(Original message|This is a copy|Below this line|原邮件|原始邮件).*|Return-Path:|Received:)",
        body,
        re.I | re.M,
    )
    return body[: cut.start()] if cut else body


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
