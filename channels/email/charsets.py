"""Turning mail bytes into text when the declared charset cannot be trusted.

Chinese mail is routinely mislabelled: GBK bytes under a ``gb2312`` label (which Python decodes
to silent garbage, with no defect recorded), UTF-8 under ``iso-8859-1`` or ``gb2312``, raw 8-bit
headers with no label at all. So labels are mapped to their supersets, valid UTF-8 wins over a
label that is ASCII-compatible (real GBK or Big5 text is practically never valid UTF-8, while the
reverse mistake is common), and strict decoding falls back through gb18030 and Big5-HKSCS before
giving up to replacement characters.
"""

from __future__ import annotations

import codecs

#: Labels decoded as a superset: GB2312 ⊂ GBK ⊂ GB18030, Big5 ⊂ Big5-HKSCS, and the Windows
#: code pages that mail clients actually use under the ISO names.
SUPERSETS = {
    "gb2312": "gb18030",
    "gb_2312": "gb18030",
    "gb_2312-80": "gb18030",
    "csgb2312": "gb18030",
    "euc-cn": "gb18030",
    "x-euc-cn": "gb18030",
    "euccn": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "cp936": "gb18030",
    "ms936": "gb18030",
    "windows-936": "gb18030",
    "chinese": "gb18030",
    "big5": "big5hkscs",
    "x-big5": "big5hkscs",
    "cn-big5": "big5hkscs",
    "csbig5": "big5hkscs",
    "big5-hkscs": "big5hkscs",
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "ks_c_5601-1987": "cp949",
    "euc-kr": "cp949",
    "shift_jis": "cp932",
    "x-sjis": "cp932",
}
#: What unlabelled 8-bit bytes most likely are, in this order, for a Chinese-speaking hub.
FALLBACKS = ("utf-8", "gb18030", "big5hkscs")
_UNKNOWN = {"", "unknown", "unknown-8bit", "x-unknown", "default", "8bit", "binary", "none"}


def codec_for(label: str | None) -> str | None:
    """The codec to try for a declared label, or ``None`` when the label names no usable codec."""
    if not label:
        return None
    name = label.strip().strip('"').lower()
    if name in _UNKNOWN:
        return None
    name = SUPERSETS.get(name, name)
    try:
        codec = codecs.lookup(name).name
    except (LookupError, ValueError):  # ValueError: a NUL in the label (a damaged header)
        return None
    try:
        b"a".decode(codec)  # LookupError for codecs that are not text encodings (base64, zlib...)
    except LookupError:
        return None
    except UnicodeError:  # a text encoding all the same (utf-16 wants two bytes)
        pass
    return codec


def _ascii_compatible(codec: str) -> bool:
    return not codec.startswith(("utf-16", "utf-32", "utf_16", "utf_32", "hz", "iso2022", "cp037"))


def decode(data: bytes, label: str | None = None) -> tuple[str, str]:
    """``(text, codec used)``; never raises. ``codec`` ends in ``/replace`` when nothing fitted."""
    declared = codec_for(label)
    if data.isascii():
        return data.decode("ascii"), declared or "ascii"
    order: list[str] = []
    if declared is None or _ascii_compatible(declared):
        order.append("utf-8")
    if declared:
        order.append(declared)
    order += [c for c in FALLBACKS if c not in order]
    for codec in order:
        try:
            return data.decode(codec), codec
        except (UnicodeDecodeError, LookupError):
            continue
    chosen = declared or "utf-8"
    return data.decode(chosen, errors="replace"), f"{chosen}/replace"


def recover(value: str) -> str:
    """A header value the parser read from raw 8-bit bytes (surrogate escapes) decoded properly."""
    if not any("\udc80" <= ch <= "\udcff" for ch in value):
        return value
    return decode(value.encode("utf-8", "surrogateescape"))[0]
