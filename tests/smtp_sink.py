"""A real SMTP server (aiosmtpd) on 127.0.0.1, on the test's own event loop, recording every mail.

It can be scripted per recipient: answer ``RCPT TO`` or ``DATA`` with any code, require a login,
and call ``on_mail`` for each accepted mail (an out-of-office robot, a bouncing MTA...). With a
server certificate it speaks TLS like a mail provider: ``starttls`` (port 587 style: STARTTLS
required before anything else) or ``tls`` (port 465 style: TLS from the first byte); either way
a login is refused unless the connection is encrypted.
"""

from __future__ import annotations

import asyncio
import ssl
import warnings
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    login: str | None

    @property
    def message(self) -> EmailMessage:
        return message_from_bytes(self.data, policy=policy.default)  # type: ignore[return-value]


@dataclass
class SmtpSink:
    #: recipient -> the answer to its RCPT TO, e.g. "550 5.1.1 no such user" or "451 4.3.0 try later"
    rcpt_answers: dict[str, str] = field(default_factory=dict)
    #: (user, password) a client must log in with; None accepts anyone without a login
    credentials: tuple[str, str] | None = None
    on_mail: Callable[[Received], Awaitable[None]] | None = None
    received: list[Received] = field(default_factory=list)
    #: "none", "starttls" or "tls"; the latter two need ``certificate``
    tls: str = "none"
    #: the server side of TLS (its certificate chain and key)
    certificate: ssl.SSLContext | None = None
    #: logins seen, each with whether the connection was encrypted at that moment
    logins: list[tuple[str, bool]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._server: asyncio.Server | None = None
        self._arrived = asyncio.Condition()

    @property
    def port(self) -> int:
        assert self._server is not None
        return self._server.sockets[0].getsockname()[1]

    async def start(self) -> SmtpSink:
        loop = asyncio.get_running_loop()
        assert self.tls == "none" or self.certificate is not None, "TLS needs a certificate"
        implicit = self.certificate if self.tls == "tls" else None
        self._server = await loop.create_server(self._protocol, "127.0.0.1", 0, ssl=implicit)
        return self

    def _protocol(self) -> SMTP:
        # aiosmtpd warns that AUTH without TLS is unsafe: true, and fine on loopback in a test.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            return self._smtp()

    def _smtp(self) -> SMTP:
        starttls = self.tls == "starttls"
        return SMTP(
            self,
            hostname="sink.test",
            auth_required=self.credentials is not None,
            # aiosmtpd only knows of STARTTLS; for implicit TLS _authenticate checks the socket.
            auth_require_tls=starttls,
            authenticator=self._authenticate if self.credentials else None,
            tls_context=self.certificate if starttls else None,
            require_starttls=starttls,
        )

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: object
    ) -> AuthResult:
        assert self.credentials is not None
        encrypted = server.transport is not None and server.transport.get_extra_info("ssl_object") is not None
        if isinstance(data, LoginPassword):
            self.logins.append((data.login.decode(), encrypted))
        if self.tls != "none" and not encrypted:
            return AuthResult(success=False, handled=False)
        if (
            isinstance(data, LoginPassword)
            and (data.login.decode(), data.password.decode()) == self.credentials
        ):
            return AuthResult(success=True, auth_data=data.login.decode())
        return AuthResult(success=False, handled=False)

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        answer = self.rcpt_answers.get(address.lower())
        if answer:
            return answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        login = session.auth_data if isinstance(session.auth_data, str) else None
        mail = Received(
            str(envelope.mail_from), list(envelope.rcpt_tos), bytes(envelope.original_content or b""), login
        )
        async with self._arrived:
            self.received.append(mail)
            self._arrived.notify_all()
        if self.on_mail is not None:
            await self.on_mail(mail)
        return "250 Message accepted for delivery"

    async def wait_for(self, count: int, within: float = 10.0) -> list[Received]:
        async with asyncio.timeout(within), self._arrived:
            await self._arrived.wait_for(lambda: len(self.received) >= count)
        return list(self.received)
