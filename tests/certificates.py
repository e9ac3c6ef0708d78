"""A private certificate authority for the TLS tests (trustme): a CA nobody else trusts and a
server certificate it signed for 127.0.0.1 and localhost, as PEM files a server can load.

A second, unrelated CA gives "a server whose certificate we do not trust" without any network.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path

import trustme


@dataclass(frozen=True)
class TestCA:
    #: PEM of the CA certificate: what a mailbox's ``tls_ca_file`` names to trust the server
    ca_file: Path
    #: PEM of the server's certificate chain and of its key (a server's configuration)
    cert_file: Path
    key_file: Path

    __test__ = False  # not a pytest test class, despite the name

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert_file, self.key_file)
        return context

    def client_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca_file))


def make_ca(folder: Path, name: str = "hub-test") -> TestCA:
    """A new CA and a server certificate for loopback, written under ``folder`` (world-readable:
    Dovecot's processes read them as another user)."""
    folder.mkdir(parents=True, exist_ok=True)
    ca = trustme.CA(organization_name=name)
    leaf = ca.issue_cert("127.0.0.1", "localhost")
    found = TestCA(folder / f"{name}-ca.pem", folder / f"{name}-cert.pem", folder / f"{name}-key.pem")
    ca.cert_pem.write_to_path(str(found.ca_file))
    with found.cert_file.open("wb") as chain:
        for blob in leaf.cert_chain_pems:
            chain.write(blob.bytes())
    leaf.private_key_pem.write_to_path(str(found.key_file))
    return found
