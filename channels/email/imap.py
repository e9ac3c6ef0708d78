"""One IMAP connection to one mailbox folder, blocking (imapclient), for a watcher's own thread.

imapclient (BSD) is synchronous; aioimaplib is GPL-3.0 and not used. Each watched mailbox runs
this in a thread of its own, so one slow server, one huge mail or one IDLE that never returns
blocks only its own mailbox. Every method is safe to abandon: :meth:`ImapSession.abort` (from
any thread) breaks a blocked read so the thread ends promptly on shutdown.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass

from imapclient import IMAPClient

from channels.email.config import MailboxConfig

#: RFC 2971 ID sent after login: NetEase (163/126/yeah.net) refuses SELECT from clients that
#: do not identify themselves ("Unsafe Login").
CLIENT_ID = {"name": "hub", "version": "1.0"}


class ImapProblem(Exception):
    """A mailbox cannot be watched right now (no password, folder missing...): retry later."""


@dataclass(frozen=True)
class Fetched:
    uid: int
    raw: bytes
    #: The mail was larger than the mailbox's limit: ``raw`` is its header and a note.
    oversize: bool = False


class ImapSession:
    def __init__(self, client: IMAPClient, folder: str, uidvalidity: int) -> None:
        self.client = client
        self.folder = folder
        self.uidvalidity = uidvalidity
        self.idling = False

    @classmethod
    def open(cls, config: MailboxConfig, password: str | None, *, timeout: float = 30.0) -> ImapSession:
        if not config.imap_host:
            raise ImapProblem("no imap_host configured")
        if password is None:
            raise ImapProblem(
                f"the password variable {config.imap_password_env or '(imap_password_env)'} is not set"
            )
        login = config.imap_login
        if not login:
            raise ImapProblem("no imap_user (or address) to log in with")
        try:
            context = config.tls_context()
        except (OSError, ssl.SSLError) as exc:
            raise ImapProblem(f"cannot read the CA file {config.tls_ca_file} (tls_ca_file): {exc}") from None
        where = f"{config.imap_host}:{config.imap_port_number}"
        try:
            client = IMAPClient(
                config.imap_host,
                port=config.imap_port_number,
                ssl=config.imap_tls == "tls",
                ssl_context=context,
                timeout=timeout,
            )
        except ssl.SSLError as exc:
            raise ImapProblem(_tls_reason(where, exc)) from exc
        try:
            if config.imap_tls == "starttls":
                try:
                    client.starttls(context)
                except ssl.SSLError as exc:
                    raise ImapProblem(_tls_reason(where, exc)) from exc
            client.login(login, password)
            if client.has_capability("ID"):
                with contextlib.suppress(IMAPClient.Error):
                    client.id_(CLIENT_ID)
            selected = client.select_folder(config.imap_folder, readonly=True)
        except BaseException:
            with contextlib.suppress(Exception):
                client.shutdown()
            raise
        return cls(client, config.imap_folder, int(selected[b"UIDVALIDITY"]))

    @property
    def supports_idle(self) -> bool:
        return bool(self.client.has_capability("IDLE"))

    def new_uids(self, after: int) -> list[int]:
        """UIDs above ``after``, ascending. ``n:*`` always matches the highest UID even when it is
        below ``n`` (``*`` is the largest UID and ranges are unordered), hence the filter."""
        self.client.noop()
        found = self.client.search(["UID", f"{after + 1}:*"])
        return sorted(uid for uid in found if uid > after)

    def sizes(self, uids: list[int]) -> dict[int, int]:
        if not uids:
            return {}
        data = self.client.fetch(uids, ["RFC822.SIZE"])
        return {uid: int(item.get(b"RFC822.SIZE", 0)) for uid, item in data.items()}

    def fetch(self, uid: int, size: int, max_bytes: int) -> Fetched | None:
        """The mail as stored on the server; None when it vanished (expunged meanwhile).

        A mail over ``max_bytes`` is not downloaded: its header is, with a note of its size and
        where it stays on the server, so the customer's mail still opens a ticket an agent sees.
        """
        if size > max_bytes:
            data = self.client.fetch([uid], ["BODY.PEEK[HEADER]"]).get(uid)
            if data is None:
                return None
            header = bytes(data.get(b"BODY[HEADER]") or b"")
            return Fetched(uid, _oversize_mail(header, size, max_bytes, self.folder), oversize=True)
        data = self.client.fetch([uid], ["BODY.PEEK[]"]).get(uid)
        if data is None:
            return None
        return Fetched(uid, bytes(data.get(b"BODY[]") or b""))

    def wait(self, timeout: float, on_idle: Callable[[], None] | None = None) -> bool:
        """IDLE until the server reports new mail or ``timeout`` passes; True when mail arrived."""
        self.client.idle()
        self.idling = True
        try:
            if on_idle is not None:
                on_idle()
            responses = self.client.idle_check(timeout=timeout)
        finally:
            self.idling = False
            self.client.idle_done()
        return any(len(r) > 1 and r[1] in (b"EXISTS", b"RECENT") for r in responses)

    def abort(self) -> None:
        """Break a blocked read from another thread (shutdown, lost lock)."""
        with contextlib.suppress(Exception):
            self.client.socket().shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        try:
            self.client.logout()
        except Exception:
            with contextlib.suppress(Exception):
                self.client.shutdown()


def _tls_reason(where: str, error: ssl.SSLError) -> str:
    """Said on the mailbox's status (``hub channel list``) while the watcher keeps retrying."""
    if isinstance(error, ssl.SSLCertVerificationError):
        return (
            f"the certificate of the IMAP server {where} is not trusted ({error.verify_message}); "
            "if the server uses a private CA, name its certificate in the mailbox's tls_ca_file"
        )
    return f"TLS with the IMAP server {where} failed ({error.reason or error}); check imap_tls and imap_port"


def _oversize_mail(header: bytes, size: int, limit: int, folder: str) -> bytes:
    """The header with a plain-text note for a body. Deterministic (no dates): a mail without a
    Message-ID is keyed by a hash of these bytes, so re-reading it (even under a new UIDVALIDITY,
    with another UID) must give the same bytes."""
    head = header.rstrip(b"\r\n")
    # The original Content-Type no longer describes the body. Its continuation lines go too, or
    # they would fold into the header before it.
    cleaned: list[bytes] = []
    skipping = False
    for line in head.split(b"\r\n"):
        if line[:1] in (b" ", b"\t"):
            if not skipping:
                cleaned.append(line)
            continue
        skipping = line.lower().startswith((b"content-type:", b"content-transfer-encoding:"))
        if not skipping:
            cleaned.append(line)
    note = (
        f"[hub] This mail is {size} bytes, over this mailbox's limit of {limit} bytes "
        f"(imap_max_message_bytes); only its header was fetched. The full mail stays on the "
        f"server in folder {folder!r}."
    )
    return (
        b"\r\n".join(cleaned)
        + b"\r\nX-Hub-Oversize: "
        + str(size).encode()
        + b"\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        + note.encode()
        + b"\r\n"
    )
