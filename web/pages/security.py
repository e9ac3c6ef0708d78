"""Browser-side defences for the pages: a strict Content-Security-Policy and safe redirects.

The pages show customer e-mail HTML (sanitised on the way in by :mod:`hub.html`); the policy is
the second wall behind that: scripts only from our own ``/static`` (no inline script, no eval),
no plugins, no framing, images only from the hub itself (remote images in a customer's e-mail
would tell the sender when and where it was read), and forms and sockets only to this origin.
"""

from __future__ import annotations

from urllib.parse import quote

from litestar.datastructures import ResponseHeader

CSP = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        # Call recordings are played from the PBX's own server (channels/phone).
        "media-src 'self' https: http:",
        "font-src 'self'",
        "connect-src 'self'",
        # E-mail HTML, in its own sandboxed document with a stricter policy (web.pages.mail_html).
        "frame-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    ]
)

PAGE_HEADERS = [
    ResponseHeader(name="Content-Security-Policy", value=CSP),
    ResponseHeader(name="X-Content-Type-Options", value="nosniff"),
    ResponseHeader(name="Referrer-Policy", value="same-origin"),
    ResponseHeader(name="X-Frame-Options", value="DENY"),
    # Tickets are private: no shared cache, and no stale copy behind the back button after logout.
    ResponseHeader(name="Cache-Control", value="no-store"),
]


def safe_next(target: str | None, default: str = "/") -> str:
    """Only a path on this site: ``//evil.example`` and ``/\\evil.example`` are other sites to a browser."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return default
    if any(ord(c) < 0x20 for c in target):
        return default
    return target


def login_url(path: str, query: str = "") -> str:
    """``/login?next=<where the user was going>``."""
    target = path + (f"?{query}" if query else "")
    return "/login?next=" + quote(target, safe="/")
