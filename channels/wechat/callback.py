"""Checking and opening WeChat's pushes with wechatpy: signature, AES (safe mode), XML parsing.

Three outcomes the endpoint answers differently: :class:`Refused` (bad signature, or a body that
does not decrypt: 403, nothing stored, since anyone can send it), :class:`Malformed` (authentic but
unreadable: 400, kept for inspection), or the parsed message. wechatpy raises plain exceptions on
bad input (``ExpatError``, ``KeyError``, ``struct.error``, ``ValueError``...), so every call into it
is wrapped and its failure turned into one of ours. Nothing here logs: the caller logs the reason,
and no reason ever quotes the token or the AES key.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException
from wechatpy.utils import WeChatSigner

from channels.wechat.config import WeChatConfig


class Refused(Exception):
    """Not from WeChat for this channel (or not readable as such): answer 403."""


class Malformed(Exception):
    """Authentic, but not a message we can read: answer 400 and keep the body."""


@dataclass(frozen=True)
class Query:
    signature: str
    timestamp: str
    nonce: str
    echostr: str | None = None
    encrypt_type: str | None = None
    msg_signature: str | None = None

    @classmethod
    def of(cls, params: Mapping[str, str]) -> Query:
        return cls(
            signature=params.get("signature", ""),
            timestamp=params.get("timestamp", ""),
            nonce=params.get("nonce", ""),
            echostr=params.get("echostr"),
            encrypt_type=(params.get("encrypt_type") or "").lower() or None,
            msg_signature=params.get("msg_signature"),
        )

    @property
    def encrypted(self) -> bool:
        return self.encrypt_type == "aes"


def signature(*parts: str) -> str:
    """WeChat's signature: SHA-1 of the sorted parts, joined (token, timestamp, nonce[, Encrypt])."""
    signer = WeChatSigner()
    signer.add_data(*parts)
    digest: str = signer.signature  # a hex digest; wechatpy has no type hints
    return digest


def verify(config: WeChatConfig, query: Query) -> None:
    """Every push carries ``signature``; compared in constant time (wechatpy's ``!=`` is not)."""
    if not (query.signature and query.timestamp and query.nonce):
        raise Refused("signature, timestamp or nonce missing")
    expected = signature(config.token, query.timestamp, query.nonce)
    if not hmac.compare_digest(expected, query.signature.lower()):
        raise Refused("signature does not match the channel's token")


def open_body(config: WeChatConfig, query: Query, body: bytes) -> bytes:
    """The plaintext XML: the body itself in plain mode, decrypted in safe and compatible modes.

    Decryption checks ``msg_signature`` (not ``signature``: a classic wechatpy mistake) and the
    AppID inside the ciphertext, so a body encrypted for another account is refused too.
    """
    if not query.encrypted:
        return body
    if not config.aes_key:
        raise Refused("encrypted push, but the channel has no EncodingAESKey (--aes-key)")
    if not query.msg_signature:
        raise Refused("encrypted push without msg_signature")
    try:
        crypto = WeChatCrypto(config.token, config.aes_key, config.app_id)
        plaintext = crypto.decrypt_message(body, query.msg_signature, query.timestamp, query.nonce)
    except InvalidSignatureException:
        raise Refused("msg_signature does not match the encrypted body") from None
    except InvalidAppIdException:
        raise Refused("the encrypted body is for another AppID") from None
    except KeyError:
        raise Malformed("encrypted push without an <Encrypt> element") from None
    except Exception as exc:  # ExpatError (envelope), struct.error, ValueError, IndexError (ciphertext)
        if type(exc).__name__ == "ExpatError":
            raise Malformed(f"the envelope is not XML: {exc}") from None
        raise Refused(f"the body does not decrypt ({type(exc).__name__})") from None
    return plaintext.encode() if isinstance(plaintext, str) else plaintext


def parse(xml: bytes) -> Any:
    """wechatpy's message or event object; never ``None``, never a bare library exception."""
    if not xml.strip():
        raise Malformed("empty body")
    try:
        message = parse_message(xml)
    except KeyError as exc:
        raise Malformed(f"no <{exc.args[0]}> element") from None
    except Exception as exc:  # ExpatError, ValueError("entities are disabled"), UnicodeDecodeError...
        raise Malformed(f"{type(exc).__name__}: {exc}"[:300]) from None
    if message is None:
        raise Malformed("empty message")
    data = message._data  # wechatpy keeps the raw fields only here
    if not data.get("FromUserName") or not data.get("CreateTime"):
        raise Malformed("no <FromUserName> or <CreateTime>")
    try:
        created = int(data["CreateTime"])
    except (TypeError, ValueError):
        raise Malformed("<CreateTime> is not a number") from None
    try:
        datetime.fromtimestamp(created, UTC)
    except (OverflowError, OSError, ValueError):  # found by tests/fuzz: a number no calendar holds
        raise Malformed("<CreateTime> is not a time") from None
    return message


def echo(config: WeChatConfig, query: Query) -> str:
    """The server-URL verification (GET): a valid signature is answered with ``echostr`` verbatim."""
    verify(config, query)
    if query.echostr is None:
        raise Refused("echostr missing")
    return query.echostr
