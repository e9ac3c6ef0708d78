"""A private Dovecot IMAP server on 127.0.0.1 for the mailbox-watching tests.

Its own config, passwd file and Maildirs under a temporary folder (the verified set-up of the
shared channel notes, §2.1), on a free port, run in the foreground as a child of the test run and
stopped at the end. Needs the ``dovecot-imapd`` package (``.ci/ensure-dovecot``) and root: Dovecot
switches to the mail user (``nobody``; it refuses UID 0 for mail).
"""

from __future__ import annotations

import contextlib
import imaplib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import psutil

PASSWORD = "secret"
MAIL_UID = 65534
POOL = 100
START_ATTEMPTS = 3
BINARY = shutil.which("dovecot") or ("/usr/sbin/dovecot" if Path("/usr/sbin/dovecot").exists() else None)


def unavailable() -> str | None:
    """Why the IMAP tests cannot run here, or None."""
    if BINARY is None:
        return "Dovecot is not installed (apt-get install dovecot-imapd; `make test` runs .ci/ensure-dovecot)"
    if os.geteuid() != 0:
        return "the private Dovecot must start as root (it switches to the mail user itself)"
    return None


class PortTaken(RuntimeError):
    """Dovecot could not listen: the port was taken between the probe and its start."""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


CONFIG = """protocols = imap
listen = 127.0.0.1
base_dir = {dir}/run
state_dir = {dir}/state
instance_name = hub-test-{port}
log_path = {dir}/dovecot.log
info_log_path = {dir}/dovecot-info.log
{ssl}
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{dir}/mail/%u/Maildir
first_valid_uid = 0
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {dir}/users
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {dir}/users
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {tls_port}
  }}
}}
service auth {{
  unix_listener auth-userdb {{
    mode = 0666
  }}
}}
"""


class Dovecot:
    """``certificate``: (certificate chain file, key file) turns TLS on: STARTTLS on :attr:`port`
    and implicit TLS on :attr:`tls_port`; without it the server speaks IMAP in clear only."""

    def __init__(self, root: Path, certificate: tuple[Path, Path] | None = None) -> None:
        self.root = root
        self.port = _free_port()
        self.certificate = certificate
        self.tls_port = _free_port() if certificate else 0
        self.process: subprocess.Popen[bytes] | None = None
        self.owned = False
        self._pool = [f"user{n:03d}@imap.test" for n in range(POOL, 0, -1)]

    @classmethod
    def in_temporary_folder(cls, certificate: tuple[Path, Path] | None = None) -> Dovecot:
        """pytest's tmp folders are private to root (0700), but Dovecot's auth process runs as
        ``dovecot`` and must read the passwd file: a folder of its own under /tmp, removed on stop."""
        root = Path(tempfile.mkdtemp(prefix="hub-dovecot-"))
        root.chmod(0o755)
        server = cls(root, certificate)
        server.owned = True
        return server

    def start(self) -> Dovecot:
        """A free port is only free until someone takes it: another test worker probing for one
        at the same moment may be handed the same number. Dovecot then exits at once, saying
        the address is in use; try again on fresh ports."""
        for _ in range(START_ATTEMPTS - 1):
            try:
                return self._start_once()
            except PortTaken:
                self.port = _free_port()
                self.tls_port = _free_port() if self.certificate else 0
        return self._start_once()

    def _start_once(self) -> Dovecot:
        assert BINARY is not None
        for sub in ("run", "state", "mail"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        os.chown(self.root / "mail", MAIL_UID, MAIL_UID)
        # All users up front: Dovecot may not notice lines appended to the passwd file within
        # the same second (it re-reads on a new mtime), so tests draw fresh ones from this pool.
        (self.root / "users").write_text(
            "".join(
                f"{user}:{{PLAIN}}{PASSWORD}:{MAIL_UID}:{MAIL_UID}::{self.root / 'mail' / user}\n"
                for user in self._pool
            )
        )
        conf = self.root / "dovecot.conf"
        if self.certificate:
            cert, key = self.certificate
            ssl = f"ssl = yes\nssl_cert = <{cert}\nssl_key = <{key}"
        else:
            ssl = "ssl = no"
        conf.write_text(CONFIG.format(dir=self.root, port=self.port, tls_port=self.tls_port, ssl=ssl))
        self.process = subprocess.Popen([BINARY, "-F", "-c", str(conf)], stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self._listening():
                return self
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        log = (self.root / "dovecot.log").read_text() if (self.root / "dovecot.log").exists() else ""
        self._stop_process()
        (self.root / "dovecot.log").unlink(missing_ok=True)
        if "Address already in use" in log:
            raise PortTaken(log[-2000:])
        self.stop()
        raise RuntimeError(f"Dovecot did not start on port {self.port}: {log[-2000:]}")

    def stop(self) -> None:
        self._stop_process()
        if self.owned:
            shutil.rmtree(self.root, ignore_errors=True)

    def _listening(self) -> bool:
        """Our Dovecot holds the port (a connection could reach another worker's on it)."""
        assert self.process is not None
        with contextlib.suppress(psutil.Error):
            sockets = psutil.Process(self.process.pid).net_connections("inet")
            return any(s.status == psutil.CONN_LISTEN and s.laddr.port == self.port for s in sockets)
        return False

    def _stop_process(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def new_user(self) -> str:
        """A mailbox no test has used yet (password :data:`PASSWORD`)."""
        return self._pool.pop()

    def connect(self, user: str) -> imaplib.IMAP4:
        client = imaplib.IMAP4("127.0.0.1", self.port)
        client.login(user, PASSWORD)
        return client

    def append(self, user: str, raw: bytes, folder: str = "INBOX") -> None:
        client = self.connect(user)
        try:
            typ, data = client.append(folder, None, None, raw)
            assert typ == "OK", data
        finally:
            client.logout()

    def create_folder(self, user: str, folder: str) -> None:
        client = self.connect(user)
        try:
            typ, data = client.create(folder)
            assert typ == "OK", data
        finally:
            client.logout()

    def delete_folder(self, user: str, folder: str) -> None:
        client = self.connect(user)
        try:
            typ, data = client.delete(folder)
            assert typ == "OK", data
        finally:
            client.logout()

    def uidvalidity(self, user: str, folder: str = "INBOX") -> int:
        client = self.connect(user)
        try:
            typ, data = client.status(folder, "(UIDVALIDITY)")
            assert typ == "OK", data
            return int(data[0].split(b"UIDVALIDITY")[1].strip(b" )"))  # type: ignore[union-attr]
        finally:
            client.logout()
