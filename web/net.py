"""The client's address, believing X-Forwarded-For only from proxies the operator trusts."""

from __future__ import annotations

from litestar.connection import ASGIConnection


def client_address(connection: ASGIConnection, trusted_proxies: tuple[str, ...]) -> str:
    peer = connection.client.host if connection.client else "unknown"
    if peer not in trusted_proxies:
        return peer
    forwarded = connection.headers.get("x-forwarded-for", "")
    # The right-most address not added by one of our own proxies is the client.
    for hop in reversed([h.strip() for h in forwarded.split(",") if h.strip()]):
        if hop not in trusted_proxies:
            return hop
    return peer
