"""Reply windows: some channels only let us answer for a while after the customer spoke.

WeChat's customer-service API, for one, accepts 5 messages per user message within 48 hours and
refuses the rest (45015, 45047). Sending into a closed window only fails later, in a worker, where
the agent no longer looks; so the hub keeps the window per identity (opened by the channel's
:class:`hub.intake.inbound.WindowGrant` on each inbound message, spent by each reply) and refuses the reply
up front, saying what is still possible: the channel's approved template, or another channel the
contact is known on.

A channel enforces windows when its config has ``reply_window: true``; its identities are the
contact's identities of its kind, narrowed by ``identity_prefix`` when several channels of one kind
share a namespace (one WeChat account's openids are ``appid:openid``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from hub.errors import HubError
from hub.intake.inbound import WindowGrant
from hub.models import Channel, ContactIdentity, ReplyWindow


class WindowClosed(HubError):
    """A reply the channel would refuse; ``extra`` lists what the agent can do instead."""

    code = "window_closed"

    def __init__(self, *, reason: str, channel: str, alternatives: dict[str, Any]) -> None:
        way = {(True, True): "both", (True, False): "template", (False, True): "channels"}.get(
            (bool(alternatives.get("template")), bool(alternatives.get("channels"))), "none"
        )
        super().__init__(reason=f"window_reason_{reason}", channel=channel, way=f"window_way_{way}")
        self.extra = {"reason": reason, "alternatives": alternatives}


@dataclass(frozen=True)
class WindowState:
    #: ``open`` or ``closed``.
    state: str
    #: Why it is closed: ``expired``, ``quota`` (no replies left), ``left`` (unfollowed), ``never``.
    reason: str | None = None
    opened_at: datetime | None = None
    expires_at: datetime | None = None
    replies_allowed: int = 0
    replies_left: int = 0
    #: The identity the window belongs to.
    identity_id: uuid.UUID | None = None
    alternatives: dict[str, Any] = field(default_factory=dict)

    @property
    def is_open(self) -> bool:
        return self.state == "open"


def enforces(channel: Channel) -> bool:
    return bool(channel.config.get("reply_window"))


def identity_filter(channel: Channel) -> sa.ColumnElement[bool]:
    """The identities this channel can reach: its kind, and its namespace when it declares one."""
    clause = ContactIdentity.kind == channel.kind
    prefix = channel.config.get("identity_prefix")
    if prefix:
        escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        clause = sa.and_(clause, ContactIdentity.value.like(f"{escaped}%", escape="\\"))
    return clause


async def _identity(session: AsyncSession, channel: Channel, contact_id: uuid.UUID) -> ContactIdentity | None:
    return await session.scalar(
        sa.select(ContactIdentity)
        .where(ContactIdentity.contact_id == contact_id, identity_filter(channel))
        .order_by(ContactIdentity.created_at.desc())
        .limit(1)
    )


async def grant(
    session: AsyncSession, channel_id: uuid.UUID, identity_id: uuid.UUID, given: WindowGrant, *, now: datetime
) -> None:
    """A new message opens a fresh window, unless a longer one is still running (a menu click's
    one-minute grant must not cut short the 48 hours a message gave)."""
    expires = now + timedelta(seconds=given.seconds)
    values = {"opened_at": now, "expires_at": expires, "replies_allowed": given.replies, "replies_used": 0}
    statement = insert(ReplyWindow).values(channel_id=channel_id, identity_id=identity_id, **values)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["channel_id", "identity_id"],
            set_=values,
            where=sa.or_(ReplyWindow.expires_at <= expires, ReplyWindow.expires_at <= now),
        )
    )


async def state(
    session: AsyncSession, channel: Channel, contact_id: uuid.UUID, *, now: datetime, lock: bool = False
) -> WindowState | None:
    """The window for replying to this contact on this channel; None when the channel has none."""
    if not enforces(channel):
        return None
    identity = await _identity(session, channel, contact_id)
    if identity is None:
        return WindowState(state="closed", reason="never")
    query = sa.select(ReplyWindow).where(
        ReplyWindow.channel_id == channel.id, ReplyWindow.identity_id == identity.id
    )
    window = await session.scalar(query.with_for_update() if lock else query)
    if identity.left_at is not None:
        return WindowState(state="closed", reason="left", identity_id=identity.id)
    if window is None:
        return WindowState(state="closed", reason="never", identity_id=identity.id)
    left = max(window.replies_allowed - window.replies_used, 0)
    current = WindowState(
        state="open",
        opened_at=window.opened_at,
        expires_at=window.expires_at,
        replies_allowed=window.replies_allowed,
        replies_left=left,
        identity_id=identity.id,
    )
    if window.expires_at <= now:
        return replace(current, state="closed", reason="expired")
    if left <= 0:
        return replace(current, state="closed", reason="quota")
    return current


async def alternatives(session: AsyncSession, channel: Channel, contact_id: uuid.UUID) -> dict[str, Any]:
    """What can still reach the contact: the channel's template, and their other channels."""
    others = []
    candidates = await session.scalars(
        sa.select(Channel).where(Channel.is_active.is_(True), Channel.id != channel.id).order_by(Channel.name)
    )
    for other in candidates:
        reachable = await session.scalar(
            sa.select(sa.func.count())
            .select_from(ContactIdentity)
            .where(
                ContactIdentity.contact_id == contact_id,
                ContactIdentity.left_at.is_(None),
                identity_filter(other),
            )
        )
        if reachable:
            others.append({"channel_id": str(other.id), "kind": other.kind.value, "name": other.name})
    return {"template": bool(channel.config.get("template_id")), "channels": others}


async def spend(
    session: AsyncSession, channel: Channel, contact_id: uuid.UUID, *, now: datetime
) -> dict[str, str] | None:
    """Use one reply of the open window, or refuse with what is possible instead.

    Returns which window paid (None: the channel has none), for the reply to keep: a reply the
    channel then never accepts gives its turn back (:func:`give_back`).
    """
    current = await state(session, channel, contact_id, now=now, lock=True)
    if current is None:
        return None
    if not current.is_open:
        raise WindowClosed(
            reason=current.reason or "expired",
            channel=channel.name,
            alternatives=await alternatives(session, channel, contact_id),
        )
    await session.execute(
        sa.update(ReplyWindow)
        .where(ReplyWindow.channel_id == channel.id, ReplyWindow.identity_id == current.identity_id)
        .values(replies_used=ReplyWindow.replies_used + 1)
    )
    assert current.opened_at is not None
    return {"identity_id": str(current.identity_id), "opened_at": current.opened_at.isoformat()}


async def give_back(session: AsyncSession, channel_id: uuid.UUID, spent: dict[str, str]) -> None:
    """The turn of a reply the channel never accepted, back to the window it came from.

    WeChat counts the messages it delivers, not the ones we tried: without this, each failed
    attempt (an outage, a misconfigured account) would cost the agent one of the five replies.
    Only the same window gets it back; one a newer message opened started afresh anyway.
    """
    await session.execute(
        sa.update(ReplyWindow)
        .where(
            ReplyWindow.channel_id == channel_id,
            ReplyWindow.identity_id == uuid.UUID(spent["identity_id"]),
            ReplyWindow.opened_at == datetime.fromisoformat(spent["opened_at"]),
            ReplyWindow.replies_used > 0,
        )
        .values(replies_used=ReplyWindow.replies_used - 1)
    )


async def close(
    session: AsyncSession, channel_id: uuid.UUID, contact_id: uuid.UUID, *, reason: str, now: datetime
) -> None:
    """The channel refused a reply (window over, quota spent): believe it over our own count."""
    identities = sa.select(ContactIdentity.id).where(ContactIdentity.contact_id == contact_id)
    values: dict[str, Any] = (
        {"replies_used": ReplyWindow.replies_allowed} if reason == "quota" else {"expires_at": now}
    )
    await session.execute(
        sa.update(ReplyWindow)
        .where(ReplyWindow.channel_id == channel_id, ReplyWindow.identity_id.in_(identities))
        .values(**values)
    )
