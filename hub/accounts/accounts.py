"""Users, their credentials (argon2 passwords, TOTP, personal API tokens) and their teams."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

import msgspec
import pyotp
import sqlalchemy as sa

from hub import permissions
from hub.accounts import one_time_codes
from hub.actors import Actor
from hub.commands import EMAIL, Command, fits
from hub.contacts import profiles
from hub.core import Hub
from hub.db import flush_unique
from hub.domain import ALL_PORTAL_PERMISSIONS, PortalPermission, Presence, Role
from hub.errors import Conflict, HubError, InvalidInput, NotFound
from hub.events.admin import SettingsChanged
from hub.models import ApiToken, Organization, Team, User
from hub.security import PERSONAL_TOKEN_PREFIX, hash_password, new_token, token_digest, verify_password

MIN_PASSWORD_LENGTH = 8
TOTP_ISSUER = "hub"


class LoginFailed(HubError):
    code = "login_failed"


class OtpRequired(HubError):
    code = "otp_required"


class OtpInvalid(HubError):
    code = "otp_invalid"


def normalise_email(email: str) -> str:
    email = email.strip().lower()
    if "@" not in email or len(email) > 320:
        raise InvalidInput(detail=f"not an e-mail address: {email!r}")
    return email


class NewUser(Command, frozen=True, forbid_unknown_fields=True):
    email: Annotated[str, fits(User.email), msgspec.Meta(pattern=EMAIL)]
    name: Annotated[str, fits(User.name)]
    role: Role
    #: Optional: a user without a password cannot log in until one is set.
    password: Annotated[str, msgspec.Meta(min_length=MIN_PASSWORD_LENGTH)] | None = None
    team_id: uuid.UUID | None = None
    organization_id: uuid.UUID | None = None
    locale: Literal["zh-CN", "en"] = "zh-CN"
    time_zone: Annotated[str, fits(User.time_zone)] = "Asia/Shanghai"
    capacity: Annotated[int, msgspec.Meta(ge=0, le=profiles.MAX_CAPACITY)] = 0
    #: A partner user's portal permissions; left out, a partner user gets them all (the first
    #: user of a partner hands the rest out) and staff none.
    portal_permissions: frozenset[PortalPermission] | None = None


def _portal_permissions(new: NewUser) -> list[str]:
    if new.role is not Role.PARTNER:
        if new.portal_permissions:
            raise InvalidInput(detail="only partner users have portal permissions")
        return []
    wanted = ALL_PORTAL_PERMISSIONS if new.portal_permissions is None else new.portal_permissions
    return sorted(permission.value for permission in wanted)


async def create_user(hub: Hub, actor: Actor, new: NewUser) -> User:
    permissions.require_admin(actor)
    email = normalise_email(new.email)
    name = profiles.name(new.name) if new.name.strip() else email[:200]
    profiles.locale(new.locale)
    profiles.time_zone(new.time_zone)
    profiles.capacity(new.capacity)
    if new.password is not None and len(new.password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(detail=f"the password needs at least {MIN_PASSWORD_LENGTH} characters")
    if (new.role is Role.PARTNER) != (new.organization_id is not None):
        raise InvalidInput(detail="partner users need an organization, and only partner users have one")
    portal_permissions = _portal_permissions(new)
    async with hub.uow() as uow:
        if (
            new.organization_id is not None
            and await uow.session.get(Organization, new.organization_id) is None
        ):
            raise NotFound(what="organization")
        if new.team_id is not None and await uow.session.get(Team, new.team_id) is None:
            raise NotFound(what="team")
        user = User(
            id=uuid.uuid4(),
            email=email,
            name=name,
            role=new.role,
            team_id=new.team_id,
            organization_id=new.organization_id,
            locale=new.locale,
            time_zone=new.time_zone,
            capacity=new.capacity,
            password_hash=hash_password(new.password) if new.password else None,
            portal_permissions=portal_permissions,
        )
        uow.session.add(user)
        await flush_unique(uow.session, f"a user with e-mail {email}")
        uow.emit(
            SettingsChanged.of(
                actor,
                "user.created",
                user.id,
                at=hub.clock.now(),
                after={"email": email, "role": new.role.value},
            )
        )
        await uow.commit()
        return user


async def authenticate(hub: Hub, email: str, password: str, otp: str | None) -> User:
    """The user for these credentials; raises LoginFailed, OtpRequired or OtpInvalid."""
    async with hub.uow() as uow:
        user = await uow.session.scalar(sa.select(User).where(User.email == email.strip().lower()))
        valid = verify_password(user.password_hash if user else None, password)
        if user is None or not valid or not user.is_active:
            raise LoginFailed()
        if user.totp_enabled:
            if not otp:
                raise OtpRequired()
            step = one_time_codes.spend(user.totp_secret or "", otp, hub.clock.now(), user.totp_last_step)
            if step is None:
                raise OtpInvalid()
            user.totp_last_step = step
        user.last_login_at = hub.clock.now()
        await uow.commit()
        return user


async def get_user(hub: Hub, user_id: uuid.UUID) -> User:
    async with hub.uow() as uow:
        user = await uow.session.get(User, user_id)
        if user is None:
            raise NotFound(what="user")
        return user


async def begin_totp(hub: Hub, user_id: uuid.UUID) -> tuple[str, str]:
    """A fresh secret (not yet enforced) and its otpauth:// URI for the authenticator app."""
    secret = pyotp.random_base32()
    async with hub.uow() as uow:
        user = await uow.session.get(User, user_id, with_for_update=True)
        if user is None:
            raise NotFound(what="user")
        if user.totp_enabled:
            raise Conflict(detail="two-factor authentication is already enabled")
        user.totp_secret = secret
        user.totp_last_step = None
        await uow.commit()
        uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=TOTP_ISSUER)
        return secret, uri


async def confirm_totp(hub: Hub, actor: Actor, user_id: uuid.UUID, code: str, *, enable: bool) -> None:
    """Enabling proves the app was set up; disabling needs a current code too."""
    async with hub.uow() as uow:
        user = await uow.session.get(User, user_id, with_for_update=True)
        if user is None:
            raise NotFound(what="user")
        step = one_time_codes.spend(user.totp_secret or "", code, hub.clock.now(), user.totp_last_step)
        if step is None:
            raise OtpInvalid()
        user.totp_enabled = enable
        user.totp_last_step = step if enable else None
        if not enable:
            user.totp_secret = None
        uow.emit(
            SettingsChanged.of(
                actor, "user.totp_enabled" if enable else "user.totp_disabled", user.id, at=hub.clock.now()
            )
        )
        await uow.commit()


async def create_api_token(hub: Hub, actor: Actor, name: str) -> tuple[ApiToken, str]:
    assert actor.user_id is not None
    token = new_token(PERSONAL_TOKEN_PREFIX)
    async with hub.uow() as uow:
        row = ApiToken(
            id=uuid.uuid4(),
            user_id=actor.user_id,
            name=name.strip()[:120] or "token",
            token_hash=token_digest(token),
        )
        uow.session.add(row)
        uow.emit(
            SettingsChanged.of(
                actor,
                "api_token.created",
                actor.user_id,
                at=hub.clock.now(),
                after={"token_id": str(row.id), "name": row.name},
                subject_type="user",
            )
        )
        await uow.commit()
        return row, token


async def revoke_api_token(hub: Hub, actor: Actor, token_id: uuid.UUID) -> None:
    async with hub.uow() as uow:
        row = await uow.session.get(ApiToken, token_id, with_for_update=True)
        if row is None or row.user_id != actor.user_id:
            raise NotFound(what="user")
        row.revoked_at = row.revoked_at or hub.clock.now()
        uow.emit(
            SettingsChanged.of(
                actor,
                "api_token.revoked",
                row.user_id,
                at=hub.clock.now(),
                after={"token_id": str(row.id)},
                subject_type="user",
            )
        )
        await uow.commit()


async def list_api_tokens(hub: Hub, actor: Actor) -> list[ApiToken]:
    """The actor's own tokens that still work, newest first (never their secret: only a hash is kept)."""
    async with hub.uow() as uow:
        rows = await uow.session.scalars(
            sa.select(ApiToken)
            .where(ApiToken.user_id == actor.user_id, ApiToken.revoked_at.is_(None))
            .order_by(ApiToken.created_at.desc(), ApiToken.id)
        )
        return list(rows)


async def reset_totp(hub: Hub, actor: Actor, user_id: uuid.UUID) -> User:
    """An administrator turns off someone's two-factor login (a lost phone): they log in with their
    password alone and can enrol again. Audited like every change of a user."""
    permissions.require_admin(actor)
    async with hub.uow() as uow:
        user = await uow.session.get(User, user_id, with_for_update=True)
        if user is None:
            raise NotFound(what="user")
        was = user.totp_enabled
        user.totp_enabled = False
        user.totp_secret = None
        user.totp_last_step = None
        uow.emit(
            SettingsChanged.of(
                actor,
                "user.totp_reset",
                user.id,
                at=hub.clock.now(),
                before={"totp_enabled": was},
                after={"totp_enabled": False},
            )
        )
        await uow.commit()
        return user


async def user_for_api_token(hub: Hub, token: str) -> User | None:
    async with hub.uow() as uow:
        row = await uow.session.scalar(
            sa.select(ApiToken).where(
                ApiToken.token_hash == token_digest(token), ApiToken.revoked_at.is_(None)
            )
        )
        if row is None:
            return None
        row.last_used_at = hub.clock.now()
        user = await uow.session.get(User, row.user_id)
        await uow.commit()
        return user if user is not None and user.is_active else None


async def set_presence(hub: Hub, actor: Actor, user_id: uuid.UUID, presence: Presence) -> User:
    async with hub.uow() as uow:
        user = await uow.session.get(User, user_id, with_for_update=True)
        if user is None:
            raise NotFound(what="user")
        before = user.presence
        user.presence = presence
        uow.emit(
            SettingsChanged.of(
                actor,
                "user.presence_changed",
                user.id,
                at=hub.clock.now(),
                before={"presence": before.value},
                after={"presence": presence.value},
            )
        )
        await uow.commit()
        return user
