"""Acting from a notification: a single-use, expiring link plus a one-time code, for one partner
user and one object, without a full login.

The link (``/portal/act/<token>``) goes to the partner user by e-mail (and by WeChat when the user
has a WeChat identity), and the code in a second mail; what opens the page is the link, what acts is the link with the code. A link is good for
one action on its one object (answering that quality step, marking that action item done): the
actor it acts as carries no permission beyond it. It is refused once used, once expired, after
:data:`MAX_ATTEMPTS` wrong codes, when its user is no longer active, and when its object is closed
or cancelled. Only hashes of the token and the code are stored.

A new quality case offers its first step this way to each of the partner's quality people, by an
after-commit subscriber of ``quality_case.opened``: the buyer's cases and the ERP's (a push, a
batch, a CSV import) alike, and only once the case is committed.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from hub import permissions
from hub.actors import Actor
from hub.core import Hub
from hub.delivery.outbound import OutboundMessage
from hub.domain import ChannelKind, PortalPermission, Role
from hub.errors import Conflict, DeliveryError, Forbidden, HubError, InvalidInput, NotFound
from hub.events import EventBus
from hub.i18n import translate
from hub.models import ActionItem, Channel, ContactIdentity, PortalLink, QualityCase, QualityStep, User
from hub.portal import messages
from hub.portal.record_events import PortalRecordChanged
from hub.portal.terms import (
    PARTNER_OWES,
    ActionItemStatus,
    LinkObject,
    QualityCaseStatus,
    Side,
)
from hub.security import new_token, token_digest
from hub.tickets import windows

log = logging.getLogger(__name__)

TOKEN_PREFIX = "hub_pl_"  # noqa: S105 - the tokens' prefix, not a secret
LIFETIME = timedelta(hours=72)
MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class IssuedLink:
    link_id: uuid.UUID
    #: Shown once: the hub keeps only their hashes.
    token: str
    code: str
    path: str
    expires_at: datetime


@dataclass(frozen=True)
class Target:
    """What a link acts on, as its page shows it."""

    kind: LinkObject
    object_id: uuid.UUID
    title: str
    detail: str
    due_at: datetime | None
    #: Still open: a link to a closed or cancelled object is refused.
    live: bool


def _code_hash(secret_key: str, token: str, code: str) -> str:
    return hmac.new(secret_key.encode(), f"portal-link:{token}:{code}".encode(), hashlib.sha256).hexdigest()


async def target(
    session: AsyncSession, kind: LinkObject, object_id: uuid.UUID
) -> tuple[Target, uuid.UUID] | None:
    """The object and the organization it belongs to."""
    if kind is LinkObject.QUALITY_STEP:
        step = await session.get(QualityStep, object_id)
        case = await session.get(QualityCase, step.case_id) if step else None
        if step is None or case is None:
            return None
        live = case.status is QualityCaseStatus.OPEN and step.status in PARTNER_OWES
        title = f"{case.number} {case.title} · {step.discipline.value}"
        return Target(kind, step.id, title, case.description, step.due_at, live), case.organization_id
    item = await session.get(ActionItem, object_id)
    if item is None:
        return None
    live = item.status is ActionItemStatus.OPEN and item.owner_side is Side.PARTNER
    return Target(kind, item.id, item.title, "", item.due_at, live), item.organization_id


async def issue(
    hub: Hub, actor: Actor, user_id: uuid.UUID, kind: LinkObject, object_id: uuid.UUID
) -> IssuedLink:
    """A link for ``user_id`` (a partner user of the object's partner) to act on the object."""
    permissions.require_staff(actor)
    token, code = new_token(TOKEN_PREFIX), f"{secrets.randbelow(1_000_000):06d}"
    async with hub.uow() as uow:
        user = await uow.session.get(User, user_id)
        found = await target(uow.session, kind, object_id)
        if found is None:
            raise NotFound(what=kind.value)
        shown, organization_id = found
        if user is None or user.role is not Role.PARTNER or user.organization_id != organization_id:
            raise NotFound(what="user")
        if not shown.live:
            raise Conflict("link_object_closed")
        now = hub.clock.now()
        link = PortalLink(
            id=uuid.uuid4(),
            user_id=user.id,
            organization_id=organization_id,
            object_kind=kind,
            object_id=object_id,
            token_hash=token_digest(token),
            code_hash=_code_hash(hub.settings.secret_key, token, code),
            expires_at=now + LIFETIME,
        )
        uow.session.add(link)
        uow.emit(
            PortalRecordChanged(
                at=now,
                actor=actor,
                action="portal_link.issued",
                subject_type=kind.value,
                subject_id=object_id,
                after={
                    "link_id": str(link.id),
                    "user_id": str(user.id),
                    "expires_at": link.expires_at.isoformat(),
                },
            )
        )
        await uow.commit()
    issued = IssuedLink(link.id, token, code, f"/portal/act/{token}", link.expires_at)
    await _mail(hub, user, shown, issued)
    return issued


async def _mail(hub: Hub, user: User, shown: Target, issued: IssuedLink) -> None:
    """The link in one mail and the code in another (when the hub sends mail at all); the link by
    WeChat too when the partner user has a WeChat identity (:func:`_wechat`)."""
    await _wechat(hub, user, shown, issued)
    if hub.mailer is None:
        return
    url = f"{hub.settings.base_url}{issued.path}"
    locale = user.locale
    await hub.mailer.send_notification(
        to=user.email,
        subject=translate("portal_link_subject", locale, title=shown.title),
        text=translate("portal_link_text", locale, title=shown.title, url=url),
    )
    await hub.mailer.send_notification(
        to=user.email,
        subject=translate("portal_code_subject", locale),
        text=translate("portal_code_text", locale, otp=issued.code),
    )


def subscribe(bus: EventBus) -> None:
    bus.after_commit(PortalRecordChanged, cases_opened)


async def cases_opened(hub: Hub, changes: Sequence[PortalRecordChanged]) -> None:
    """Every case opened, whoever opened it (the buyer on its page, the ERP's push or CSV import):
    its first step is offered once the case is committed, so a refused push or a dry run offers
    nothing."""
    opened = [c.subject_id for c in changes if c.action == "quality_case.opened"]
    if not opened or hub.mailer is None:
        return
    async with hub.uow() as uow:
        cases = list(await uow.session.scalars(sa.select(QualityCase).where(QualityCase.id.in_(opened))))
    for case in cases:
        await offer_case(hub, case)


async def wechat_of(session: AsyncSession, user: User) -> tuple[Channel, ContactIdentity] | None:
    """The partner user's WeChat identity (on the contact its portal messages come from, or the one
    with its e-mail address) and the active channel of that Official Account."""
    contacts = sa.select(ContactIdentity.contact_id).where(
        sa.or_(
            sa.and_(
                ContactIdentity.kind == ChannelKind.PORTAL,
                ContactIdentity.value == messages.user_identity(user.id),
            ),
            sa.and_(ContactIdentity.kind == ChannelKind.EMAIL, ContactIdentity.value == user.email.lower()),
        )
    )
    identities = list(
        await session.scalars(
            sa.select(ContactIdentity)
            .where(
                ContactIdentity.contact_id.in_(contacts),
                ContactIdentity.kind == ChannelKind.WECHAT,
                ContactIdentity.left_at.is_(None),
            )
            .order_by(ContactIdentity.created_at.desc())
        )
    )
    if not identities:
        return None
    channels = list(
        await session.scalars(
            sa.select(Channel)
            .where(Channel.kind == ChannelKind.WECHAT, Channel.is_active)
            .order_by(Channel.id)
        )
    )
    for identity in identities:
        app_id = identity.value.split(":", 1)[0]
        for channel in channels:
            if channel.config.get("app_id") == app_id:
                return channel, identity
    return None


async def _wechat(hub: Hub, user: User, shown: Target, issued: IssuedLink) -> bool:
    """The link by WeChat: a customer-service message while the user's 48-hour window is open, else
    the account's template message (which opens the link's page); never the code, which stays in
    the e-mail, so the link and its code always travel apart. Best effort: the e-mail is the way
    that always goes, a WeChat refusal is logged."""
    sender = hub.channels.sender_for(ChannelKind.WECHAT.value)
    if sender is None:
        return False
    async with hub.uow() as uow:
        found = await wechat_of(uow.session, user)
        if found is None:
            return False
        channel, identity = found
        now = hub.clock.now()
        window = await windows.state(uow.session, channel, identity.contact_id, now=now)
        template = window is not None and not window.is_open
        if template and not channel.config.get("template_id"):
            return False  # the window is closed and the account has no template message
        if not template:
            await windows.spend(uow.session, channel, identity.contact_id, now=now)
        await uow.commit()
    url = f"{hub.settings.base_url}{issued.path}"
    text = translate("portal_link_wechat", user.locale, title=shown.title, url=url)
    message = OutboundMessage(
        # Outside any ticket: the link's id names the message wherever a delivery wants an id.
        outbox_id=issued.link_id,
        message_id=issued.link_id,
        ticket_id=issued.link_id,
        ticket_number=0,
        channel_id=channel.id,
        channel_kind=ChannelKind.WECHAT.value,
        channel_config=channel.config,
        recipients=(identity.value,),
        subject=translate("portal_link_subject", user.locale, title=shown.title),
        text=text,
        reply_token="",
        is_auto=True,
        template=template,
        link=url,
    )
    try:
        await sender.send(message)
    except DeliveryError as exc:
        log.warning("portal link %s not sent by WeChat: %s", issued.link_id, exc)
        return False
    return True


async def offer_case(hub: Hub, case: QualityCase) -> list[IssuedLink]:
    """A new case's first step, offered by mail to each of the partner's quality people."""
    if hub.mailer is None:
        return []
    async with hub.uow() as uow:
        step = await uow.session.scalar(
            sa.select(QualityStep).where(QualityStep.case_id == case.id).order_by(QualityStep.due_at).limit(1)
        )
        people = list(
            await uow.session.scalars(
                sa.select(User.id).where(
                    User.organization_id == case.organization_id,
                    User.role == Role.PARTNER,
                    User.is_active,
                    User.portal_permissions.contains([PortalPermission.QUALITY.value]),
                )
            )
        )
    if step is None:
        return []
    from hub.actors import SYSTEM

    return [await issue(hub, SYSTEM, person, LinkObject.QUALITY_STEP, step.id) for person in people]


@dataclass(frozen=True)
class Opened:
    link: PortalLink
    target: Target
    actor: Actor


async def _usable(session: AsyncSession, token: str, now: datetime) -> tuple[PortalLink, Target, User]:
    link = await session.scalar(
        sa.select(PortalLink).where(PortalLink.token_hash == token_digest(token)).with_for_update()
    )
    if link is None or link.used_at is not None or link.expires_at <= now or link.attempts >= MAX_ATTEMPTS:
        raise NotFound("link_invalid")
    user = await session.get(User, link.user_id)
    found = await target(session, link.object_kind, link.object_id)
    if user is None or not user.is_active or found is None or found[1] != user.organization_id:
        raise NotFound("link_invalid")
    if not found[0].live:
        raise NotFound("link_object_closed")
    return link, found[0], user


async def peek(hub: Hub, token: str) -> Target:
    """What the link acts on, for its page; refused as :func:`redeem` would refuse it."""
    async with hub.uow() as uow:
        _, shown, _ = await _usable(uow.session, token, hub.clock.now())
        return shown


async def redeem(hub: Hub, token: str, code: str) -> Opened:
    """Spend the link with its code: the actor to act as, allowed that one object only.

    A wrong code counts against the link and is refused; the caller acts, and gives the link back
    with :func:`release` if the action itself is refused (a step answered meanwhile).
    """
    async with hub.uow() as uow:
        now = hub.clock.now()
        link, shown, user = await _usable(uow.session, token, now)
        if not hmac.compare_digest(link.code_hash, _code_hash(hub.settings.secret_key, token, code.strip())):
            link.attempts += 1
            await uow.commit()
            raise Forbidden("link_code_wrong")
        link.used_at = now
        granted = (
            frozenset({PortalPermission.QUALITY})
            if link.object_kind is LinkObject.QUALITY_STEP
            else frozenset()
        )
        actor = Actor(
            kind="user",
            user_id=user.id,
            role=Role.PARTNER,
            organization_id=user.organization_id,
            name=user.name,
            portal_permissions=granted,
        )
        uow.emit(
            PortalRecordChanged(
                at=now,
                actor=actor,
                action="portal_link.used",
                subject_type=link.object_kind.value,
                subject_id=link.object_id,
                after={"link_id": str(link.id)},
            )
        )
        await uow.commit()
        return Opened(link, shown, actor)


async def release(hub: Hub, link_id: uuid.UUID) -> None:
    """The action the link was spent on was refused: the link may be tried again."""
    async with hub.uow() as uow:
        link = await uow.session.get(PortalLink, link_id, with_for_update=True)
        if link is not None:
            link.used_at = None
            await uow.commit()


async def act(hub: Hub, token: str, code: str, *, answer: str | None = None) -> Target:
    """Do what the link is for: answer its quality step with ``answer``, or mark its action item done."""
    if token and len(token) > 200:
        raise NotFound("link_invalid")
    opened = await redeem(hub, token, code)
    try:
        if opened.link.object_kind is LinkObject.QUALITY_STEP:
            from hub.portal import quality

            async with hub.uow() as uow:
                step = await uow.session.get(QualityStep, opened.link.object_id)
            assert step is not None  # checked by redeem
            if not (answer or "").strip():
                raise InvalidInput(detail="the answer is empty")
            await quality.answer_step(hub, opened.actor, step.case_id, step.discipline.value, answer or "")
        else:
            from hub.portal import action_items

            await action_items.set_status(hub, opened.actor, opened.link.object_id, ActionItemStatus.DONE)
    except HubError:
        await release(hub, opened.link.id)
        raise
    return opened.target
