"""One authentication middleware for HTTP and WebSocket.

Order: ``Authorization: Bearer`` (personal API token ``hub_pat_...`` or login JWT), then the
session cookie. Cookie-authenticated unsafe requests must echo the session's CSRF token in the
``X-CSRF-Token`` header (the token is also readable by pages in the ``hub_csrf`` cookie); bearer
requests cannot be forged by another site, so they skip that check.
"""

from __future__ import annotations

import hmac
import uuid

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException, WebSocketException
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult

from hub.accounts import accounts, integration_tokens
from hub.core import Hub
from hub.domain import Role
from hub.models import User
from hub.security import PERSONAL_TOKEN_PREFIX
from web.auth import bearer
from web.auth.identity import AuthInfo, CurrentUser, IntegrationClient
from web.auth.sessions import CSRF_HEADER, SESSION_COOKIE, SessionStore

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: Where an administrator who must enrol 2FA may still go: enrolment itself, who am I, log out.
#: Not the rest of /api/v1/auth/: a personal API token minted before enrolling would outlive it.
TWO_FACTOR_ENROLMENT_PREFIX = "/api/v1/auth/2fa/"
TWO_FACTOR_ENROLMENT_PATHS = frozenset({"/api/v1/auth/me", "/api/v1/auth/logout"})


class AuthError(NotAuthorizedException):
    """401 with a code the error handler translates."""

    def __init__(self, code: str) -> None:
        super().__init__(detail=code)
        self.code = code


class CsrfError(PermissionDeniedException):
    def __init__(self) -> None:
        super().__init__(detail="csrf_failed")
        self.code = "csrf_failed"


class TwoFactorRequired(PermissionDeniedException):
    def __init__(self) -> None:
        super().__init__(detail="two_factor_required")
        self.code = "two_factor_required"


class HubAuthMiddleware(AbstractAuthenticationMiddleware):
    async def authenticate_request(self, connection: ASGIConnection) -> AuthenticationResult:
        try:
            return await self._authenticate(connection)
        except (NotAuthorizedException, PermissionDeniedException) as exc:
            if connection.scope["type"] != "websocket":
                raise
            # Litestar closes sockets with 4500 for any HTTP error; say what happened (4401/4403).
            raise WebSocketException(detail=str(exc.detail), code=4000 + exc.status_code) from exc

    async def _authenticate(self, connection: ASGIConnection) -> AuthenticationResult:
        hub: Hub = connection.app.state.hub
        sessions: SessionStore = connection.app.state.sessions
        header = connection.headers.get("authorization", "")
        if header.lower().startswith("bearer "):
            token = header[7:].strip()
            if token.startswith(integration_tokens.INTEGRATION_TOKEN_PREFIX):
                return await self._integration(hub, token)
            user, info = await self._from_bearer(hub, token)
        else:
            user, info = await self._from_session(hub, sessions, connection)
        if user is None or not user.is_active:
            raise AuthError("not_authenticated")
        if info.method == "session" and connection.scope["type"] == "http":
            self._check_csrf(connection, info)
        current = CurrentUser.of(user)
        if (
            hub.settings.require_admin_2fa
            and current.role is Role.ADMIN
            and not current.totp_enabled
            and not self._may_enrol(connection.url.path)
        ):
            raise TwoFactorRequired()
        return AuthenticationResult(user=current, auth=info)

    @staticmethod
    def _may_enrol(path: str) -> bool:
        return path.startswith(TWO_FACTOR_ENROLMENT_PREFIX) or path.rstrip("/") in TWO_FACTOR_ENROLMENT_PATHS

    @staticmethod
    async def _integration(hub: Hub, token: str) -> AuthenticationResult:
        row = await integration_tokens.holder(hub, token)
        if row is None:
            raise AuthError("not_authenticated")
        client = IntegrationClient(id=row.id, name=row.name, scope=row.scope)
        return AuthenticationResult(user=client, auth=AuthInfo(method="integration_token"))

    @staticmethod
    async def _from_bearer(hub: Hub, token: str) -> tuple[User | None, AuthInfo]:
        if token.startswith(PERSONAL_TOKEN_PREFIX):
            return await accounts.user_for_api_token(hub, token), AuthInfo(method="api_token")
        user_id = bearer.verify(hub.settings.secret_key, token)
        user = await _load_user(hub, user_id) if user_id else None
        return user, AuthInfo(method="jwt")

    @staticmethod
    async def _from_session(
        hub: Hub, sessions: SessionStore, connection: ASGIConnection
    ) -> tuple[User | None, AuthInfo]:
        session_id = connection.cookies.get(SESSION_COOKIE)
        if not session_id:
            return None, AuthInfo(method="none")
        session = await sessions.get(session_id)
        if session is None:
            return None, AuthInfo(method="none")
        user = await _load_user(hub, session.user_id)
        return user, AuthInfo(method="session", session_id=session_id, csrf_token=session.csrf_token)

    @staticmethod
    def _check_csrf(connection: ASGIConnection, info: AuthInfo) -> None:
        if connection.scope.get("method", "GET") in SAFE_METHODS:
            return
        sent = connection.headers.get(CSRF_HEADER, "")
        if not sent or not info.csrf_token or not hmac.compare_digest(sent, info.csrf_token):
            raise CsrfError()


async def _load_user(hub: Hub, user_id: uuid.UUID) -> User | None:
    async with hub.uow() as uow:
        return await uow.session.get(User, user_id)
