"""The new part of a reply: quoted history and signatures cut off for display.

Libraries miss the Chinese clients' reply headers (Gmail ``…写道：``, QQ/Foxmail ``原始邮件``,
Outlook ``发件人:``/``发送时间:``), so these are our own patterns, line based, tried on plain
text; HTML is cut at the separators the big clients insert (FreeScout's list). The caller keeps
the full original: cutting is for display only, and a wrong cut must never lose text.
"""

from __future__ import annotations

import re

_REPLY_HEADER = [
    # Gmail and most clients in English, possibly wrapped: "On Mon, 6 Jan 2025 … <a@b> wrote:"
    re.compile(r"^\s*On\b.{0,300}\bwrote:\s*$", re.I),
    # Gmail zh-CN / zh-TW: "2025年1月6日周一 10:00，张三 <a@b> 写道：" / "於 … 寫道："
    re.compile(r"^.{0,300}(写道|寫道)\s*[:：]\s*$"),
    # QQ / Foxmail / 163 / Outlook separators
    re.compile(
        r"^\s*-{2,}\s*(原始邮件|原始郵件|Original|Original Message|邮件原件|郵件原件|回复的原邮件)\s*-{2,}\s*$",
        re.I,
    ),
    re.compile(r"^\s*-{2,}\s*Reply message\s*-{2,}\s*$", re.I),
    re.compile(r"^\s*Le\b.{0,200}\ba écrit\s*:\s*$", re.I),
    re.compile(r"^\s*Am\b.{0,200}\bschrieb\b.{0,200}:\s*$", re.I),
]
#: First line of an Outlook-style header block; a date line must follow within a few lines.
_BLOCK_FROM = re.compile(r"^\s*\*?(发件人|發件人|寄件者|From)\*?\s*[:：]", re.I)
_BLOCK_DATE = re.compile(r"^\s*\*?(发送时间|發送時間|寄件日期|日期|时间|時間|Sent|Date)\*?\s*[:：]", re.I)
_RULE = re.compile(r"^\s*(_{10,}|-{10,}|={10,})\s*$")
_SIGNATURE = re.compile(r"^-- ?$")
_MOBILE = re.compile(
    r"^\s*(Sent from my \w+.*|Get Outlook for \w+.*|发自我的\s?\S+|来自我的\S+|从我的\s?\S+发送|发自网易邮箱.*|发自\s?QQ\s?邮箱.*)$",
    re.I,
)


def strip_reply(text: str) -> str:
    """The text above the first quoted-history marker, without a trailing signature or ``>`` block."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    cut = _quote_start(lines)
    kept = lines[:cut]
    kept = _without_signature(kept)
    while kept and (not kept[-1].strip() or kept[-1].lstrip().startswith(">")):
        kept.pop()
    result = "\n".join(kept).strip()
    # Never show nothing: a mail that is all quote (a bare forward) keeps its text.
    return result or text.strip()


def _quote_start(lines: list[str]) -> int:
    for index, line in enumerate(lines):
        if any(p.match(line) for p in _REPLY_HEADER):
            return _back_over_rule(lines, index)
        # "On … <a@b>" wrapped onto the next line "wrote:"
        if (
            line.lstrip().lower().startswith("on ")
            and index + 1 < len(lines)
            and lines[index + 1].strip().lower().endswith("wrote:")
            and len(lines[index + 1]) < 120
        ):
            return _back_over_rule(lines, index)
        if _BLOCK_FROM.match(line) and any(_BLOCK_DATE.match(n) for n in lines[index + 1 : index + 5]):
            return _back_over_rule(lines, index)
    return len(lines)


def _back_over_rule(lines: list[str], index: int) -> int:
    """Outlook puts a ``____`` rule (and blank lines) above its header block: cut there too."""
    start = index
    while start > 0 and (not lines[start - 1].strip() or _RULE.match(lines[start - 1])):
        start -= 1
        if _RULE.match(lines[start]):
            return start
    return index


def _without_signature(lines: list[str]) -> list[str]:
    for index in range(len(lines) - 1, -1, -1):
        if _SIGNATURE.match(lines[index]):
            return lines[:index]
    while lines and not lines[-1].strip():
        lines = lines[:-1]
    if lines and _MOBILE.match(lines[-1]):
        return lines[:-1]
    return lines


#: Where the big clients start the quoted history in HTML (FreeScout's separator list, plus QQ's).
_HTML_SEPARATORS = [
    re.compile(p, re.I)
    for p in (
        r'<div[^>]*class="?gmail_quote',
        r'<div[^>]*id="?appendonsend',
        r'<div[^>]*id="?divRplyFwdMsg',
        r'<hr[^>]*id="?stopSpelling',
        r'<div[^>]*class="?yahoo_quoted',
        r'<blockquote[^>]*type="?cite',
        r"-{3,}\s*(原始邮件|原始郵件|Original(?: Message)?)\s*-{3,}",
        r'<div[^>]*id="?isForwardContent',
        r'<div[^>]*class="?moz-cite-prefix',
    )
]


def strip_reply_html(html: str) -> str:
    """The HTML before the first known quote separator (the sanitiser closes open tags)."""
    positions = [m.start() for p in _HTML_SEPARATORS if (m := p.search(html))]
    if not positions:
        return html
    head = html[: min(positions)]
    return head if re.sub(r"<[^>]+>|&nbsp;|\s", "", head) else html
