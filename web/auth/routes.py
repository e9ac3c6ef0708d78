"""Login, logout, the current user, two-factor enrolment and personal API tokens."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import msgspec
from litestar import Controller, Request, Response, delete, get, post
from litestar.datastructures import Cookie
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_204_NO_CONTENT

from hub.accounts import accounts
from hub.commands import fits
from hub.core import Hub
from hub.errors import HubError
from hub.i18n import negotiate, translate
from hub.models import ApiToken
from web.auth import bearer
from web.auth.guards import BEARER, any_user, staff
from web.auth.identity import AuthInfo, CurrentUser
from web.auth.ratelimit import LoginThrottle
from web.auth.sessions import CSRF_COOKIE, SESSION_COOKIE, SessionStore
from web.errors import locale_of, problem
from web.net import client_address
from web.pages.context import LANG_COOKIE


class LoginIn(msgspec.Struct, forbid_unknown_fields=True):
    email: str
    password: str
    otp: str | None = None


class UserOut(msgspec.Struct):
    id: uuid.UUID
    email: str
    name: str
    role: str
    organization_id: uuid.UUID | None
    team_id: uuid.UUID | None
    locale: str
    time_zone: str
    totp_enabled: bool

    @classmethod
    def of(cls, user: CurrentUser) -> UserOut:
        return cls(
            id=user.id,
            email=user.email,
            name=user.name,
            role=user.role.value,
            organization_id=user.organization_id,
            team_id=user.team_id,
            locale=user.locale,
            time_zone=user.time_zone,
            totp_enabled=user.totp_enabled,
        )


class LoginOut(msgspec.Struct):
    token: str
    token_type: str
    expires_in: int
    csrf_token: str
    user: UserOut


class TotpSetupOut(msgspec.Struct):
    secret: str
    otpauth_uri: str


class CodeIn(msgspec.Struct, forbid_unknown_fields=True):
    code: str


class TokenIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, fits(ApiToken.name)]


class TokenOut(msgspec.Struct):
    id: uuid.UUID
    name: str
    created_at: datetime
    token: str | None = None
    last_used_at: datetime | None = None


class AuthController(Controller):
    path = "/api/v1/auth"
    tags = ["auth"]

    @post("/login", exclude_from_auth=True, status_code=HTTP_200_OK)
    async def login(self, request: Request, data: JSONBody[LoginIn]) -> Response:
        """E-mail and password (and a TOTP code when enabled). Answers a bearer token and sets the session cookie."""
        hub: Hub = request.app.state.hub
        throttle: LoginThrottle = request.app.state.login_throttle
        address = client_address(request, hub.settings.trusted_proxies)
        wait = await throttle.retry_after(address, data.email)
        if wait:
            return problem(
                request,
                429,
                "too_many_attempts",
                translate("too_many_attempts", locale_of(request), seconds=wait),
                headers={"Retry-After": str(wait)},
            )
        try:
            user = await accounts.authenticate(hub, data.email, data.password, data.otp)
        except accounts.OtpRequired:
            raise
        except HubError:
            await throttle.failed(address, data.email)
            raise
        await throttle.succeeded(address, data.email)
        sessions: SessionStore = request.app.state.sessions
        session_id, session = await sessions.create(user.id)
        hours = hub.settings.session_hours
        current = CurrentUser.of(user)
        body = LoginOut(
            token=bearer.issue(hub.settings.secret_key, user.id, hours=hours),
            token_type="Bearer",  # noqa: S106 - the OAuth token type, not a secret
            expires_in=hours * 3600,
            csrf_token=session.csrf_token,
            user=UserOut.of(current),
        )
        secure = hub.settings.cookie_secure
        return Response(
            body,
            cookies=[
                Cookie(
                    key=SESSION_COOKIE,
                    value=session_id,
                    httponly=True,
                    samesite="lax",
                    secure=secure,
                    max_age=hours * 3600,
                    path="/",
                ),
                Cookie(
                    key=CSRF_COOKIE,
                    value=session.csrf_token,
                    httponly=False,
                    samesite="strict",
                    secure=secure,
                    max_age=hours * 3600,
                    path="/",
                ),
                # The language switch's cookie, set to the user's own language: a page no route
                # serves (a mistyped address) runs no authentication, and must not fall back to the
                # browser's language when the user chose another.
                Cookie(
                    key=LANG_COOKIE,
                    value=negotiate(user.locale, default="zh-CN"),
                    httponly=False,
                    samesite="lax",
                    secure=secure,
                    max_age=365 * 24 * 3600,
                    path="/",
                ),
            ],
        )

    @post("/logout", guards=[any_user], security=BEARER, status_code=HTTP_204_NO_CONTENT)
    async def logout(self, request: Request) -> Response[None]:
        info: AuthInfo = request.auth
        if info.session_id:
            await request.app.state.sessions.delete(info.session_id)
        response: Response[None] = Response(None, status_code=HTTP_204_NO_CONTENT)
        response.delete_cookie(SESSION_COOKIE, path="/")
        response.delete_cookie(CSRF_COOKIE, path="/")
        return response

    @get("/me", guards=[any_user], security=BEARER)
    async def me(self, request: Request) -> UserOut:
        return UserOut.of(request.user)

    @post("/2fa/setup", guards=[any_user], security=BEARER, status_code=HTTP_200_OK)
    async def totp_setup(self, request: Request) -> TotpSetupOut:
        """Start enrolment: scan the URI with an authenticator app, then confirm a code."""
        secret, uri = await accounts.begin_totp(request.app.state.hub, request.user.id)
        return TotpSetupOut(secret=secret, otpauth_uri=uri)

    @post("/2fa/enable", guards=[any_user], security=BEARER, status_code=HTTP_204_NO_CONTENT)
    async def totp_enable(self, request: Request, data: JSONBody[CodeIn]) -> None:
        user: CurrentUser = request.user
        await accounts.confirm_totp(request.app.state.hub, user.actor, user.id, data.code, enable=True)

    @post("/2fa/disable", guards=[any_user], security=BEARER, status_code=HTTP_204_NO_CONTENT)
    async def totp_disable(self, request: Request, data: JSONBody[CodeIn]) -> None:
        user: CurrentUser = request.user
        await accounts.confirm_totp(request.app.state.hub, user.actor, user.id, data.code, enable=False)

    @post("/tokens", guards=[staff], security=BEARER)
    async def create_token(self, request: Request, data: JSONBody[TokenIn]) -> TokenOut:
        """A personal API token for an integration; shown once, stored only as a hash."""
        user: CurrentUser = request.user
        row, token = await accounts.create_api_token(request.app.state.hub, user.actor, data.name)
        return TokenOut(id=row.id, name=row.name, created_at=row.created_at, token=token)

    @get("/tokens", guards=[staff], security=BEARER)
    async def list_tokens(self, request: Request) -> list[TokenOut]:
        """Your personal API tokens that still work (their secret is never shown again)."""
        user: CurrentUser = request.user
        rows = await accounts.list_api_tokens(request.app.state.hub, user.actor)
        return [
            TokenOut(id=r.id, name=r.name, created_at=r.created_at, last_used_at=r.last_used_at) for r in rows
        ]

    @delete("/tokens/{token_id:uuid}", guards=[staff], security=BEARER, status_code=HTTP_204_NO_CONTENT)
    async def revoke_token(self, request: Request, token_id: FromPath[uuid.UUID]) -> None:
        user: CurrentUser = request.user
        await accounts.revoke_api_token(request.app.state.hub, user.actor, token_id)
