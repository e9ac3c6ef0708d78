"""Automatic mail: auto-replies, lists and robots are kept but never answered, never reopen a
ticket and never count as the client's response (RFC 3834 and the vendors' headers)."""

from __future__ import annotations

import re
from email.message import Message

from channels.email import headers

_PRECEDENCE = {"bulk", "junk", "list", "auto_reply", "auto-reply"}
_ROBOTS = re.compile(
    r"^(mailer-daemon|postmaster|noreply|no-reply|no_reply|donotreply|do-not-reply|do_not_reply|"
    r"bounces?|listserv|majordomo|owner-.*|.*-request|.*-bounces?)$"
)
#: Out-of-office subjects, anchored at the start: these clients put their marker first
#: ("Automatic reply: …", "自动回复: …", "[Auto-Reply] …"). Unanchored words like "vacation" or
#: 外出 would mark real questions as automatic, and automatic mail never starts an SLA clock.
_OUT_OF_OFFICE = re.compile(
    r"^\s*[\[(【]?\s*(out of (the )?office|automatic reply|auto[- ]?reply|auto[- ]?response|autoreply|"
    r"autoresponse|abwesenheitsnotiz|réponse automatique|自动回复|自動回覆|自动答复|自動答覆|自動回复|"
    r"(休假|外出|假期)\s*(自动|自動)(回复|回覆|答复))\s*(auto ?reply\s*)?([:：\]】)\-]|$)",
    re.I,
)
#: X-Auto-Response-Suppress values that ask us not to answer (MS-OXCMAIL 2.1.3.2.20).
_SUPPRESS = {"all", "autoreply", "oof"}


def auto_reason(message: Message, sender: str, subject: str) -> str | None:
    """Why this mail is automatic, or ``None`` for a person's mail."""
    submitted = (headers.raw(message, "Auto-Submitted") or "").strip().lower()
    if submitted and not submitted.startswith("no"):
        return f"auto-submitted: {submitted.split(';')[0]}"
    for name in ("Precedence", "X-Precedence"):
        value = (headers.raw(message, name) or "").strip().lower()
        if value in _PRECEDENCE:
            return f"precedence: {value}"
    for name in ("X-Autoreply", "X-Autorespond", "X-Autoresponse", "X-Auto-Reply", "X-Loop"):
        if headers.raw(message, name) is not None:
            return name.lower()
    if headers.raw(message, "List-Id") is not None or headers.raw(message, "List-Unsubscribe") is not None:
        return "mailing list"
    if headers.raw(message, "X-MS-Exchange-Inbox-Rules-Loop") is not None:
        return "exchange inbox rule"
    if (headers.raw(message, "Return-Path") or "").replace(" ", "") == "<>":
        return "null envelope sender"
    if _ROBOTS.match(sender.partition("@")[0]):
        return f"robot sender: {sender}"
    if _OUT_OF_OFFICE.search(subject):
        return "out-of-office subject"
    return None


def suppresses_auto_reply(message: Message) -> bool:
    """The sender asked for no automatic answer (Outlook's ``X-Auto-Response-Suppress``)."""
    value = (headers.raw(message, "X-Auto-Response-Suppress") or "").lower()
    return any(token.strip() in _SUPPRESS for token in value.split(","))
