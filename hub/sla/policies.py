"""SLA policies: an administrator's rules, validated and audited, and the rule set clocks use.

A spec is stored normalised (``3BM`` is kept as ``3bm``) and must be at least one unit: a zero
target would be breached the instant it starts. Deleting a policy detaches it from the tickets
that used it (their clocks move to the next matching policy at their next event or recompute).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

import msgspec
import sqlalchemy as sa
from msgspec import UNSET, UnsetType
from sqlalchemy.ext.asyncio import AsyncSession

from hub import permissions
from hub.actors import Actor
from hub.calendars.durations import parse_duration
from hub.commands import Command, fits
from hub.contacts import profiles
from hub.core import Hub
from hub.db import flush_unique
from hub.domain import ChannelKind, Priority, Tier
from hub.errors import InvalidInput, NotFound
from hub.events.admin import SettingsChanged
from hub.models import SlaPolicy
from hub.sla.defaults import BUILTIN_POLICIES
from hub.sla.policy_choice import PolicyRule, SlaTargets

MAX_NAME = 120  # sla_policies.name is VARCHAR(120)
MAX_POSITION = 1_000_000
SPEC_FIELDS = ("first_response", "next_response", "resolution")
#: A target: a duration (:func:`hub.calendars.durations.parse_duration`) of at least one unit,
#: stated in the API schema too.
TARGET = r"^[ \t]*0*([1-9][0-9]{0,4}|100000)[ \t]*([bB]?)([mhdMHD])[ \t]*$"
DURATION = msgspec.Meta(pattern=TARGET)


class NewPolicy(Command, frozen=True, forbid_unknown_fields=True):
    """Match criteria (``None`` matches any) and targets (duration specs, ``None`` for none)."""

    name: Annotated[str, fits(SlaPolicy.name, words=True)]
    channel_kind: ChannelKind | None = None
    priority: Priority | None = None
    tier: Tier | None = None
    first_response: Annotated[str, fits(SlaPolicy.first_response), DURATION] | None = None
    next_response: Annotated[str, fits(SlaPolicy.next_response), DURATION] | None = None
    resolution: Annotated[str, fits(SlaPolicy.resolution), DURATION] | None = None
    position: int = 0
    is_active: bool = True


class PolicyChanges(Command, frozen=True, forbid_unknown_fields=True):
    """Every field of a policy; UNSET leaves it alone, ``None`` widens a criterion or removes a target."""

    name: Annotated[str, fits(SlaPolicy.name, words=True)] | UnsetType = UNSET
    channel_kind: ChannelKind | UnsetType | None = UNSET
    priority: Priority | UnsetType | None = UNSET
    tier: Tier | UnsetType | None = UNSET
    first_response: Annotated[str, fits(SlaPolicy.first_response), DURATION] | UnsetType | None = UNSET
    next_response: Annotated[str, fits(SlaPolicy.next_response), DURATION] | UnsetType | None = UNSET
    resolution: Annotated[str, fits(SlaPolicy.resolution), DURATION] | UnsetType | None = UNSET
    position: int | UnsetType = UNSET
    is_active: bool | UnsetType = UNSET


def check_spec(value: str | None, *, field: str) -> str | None:
    if value is None:
        return None
    try:
        spec = parse_duration(value)
    except InvalidInput as exc:
        raise InvalidInput(detail=f"{field}: {exc.params.get('detail')}") from None
    if spec.amount < 1:
        raise InvalidInput(detail=f"{field}: a target must be at least one unit, got {value!r}")
    return str(spec)


def _cleaned(changes: NewPolicy | PolicyChanges) -> dict[str, Any]:
    wanted = {k: v for k, v in msgspec.structs.asdict(changes).items() if v is not UNSET}
    if "name" in wanted:
        wanted["name"] = profiles.name(wanted["name"], max_length=MAX_NAME)
    for field in SPEC_FIELDS:
        if field in wanted:
            wanted[field] = check_spec(wanted[field], field=field)
    if "position" in wanted and not -MAX_POSITION <= wanted["position"] <= MAX_POSITION:
        raise InvalidInput(detail=f"position must be between -{MAX_POSITION} and {MAX_POSITION}")
    return wanted


def policy_json(row: SlaPolicy) -> dict[str, Any]:
    def plain(value: Any) -> Any:
        return getattr(value, "value", value)

    return {
        "name": row.name,
        **{k: plain(getattr(row, k)) for k in ("channel_kind", "priority", "tier", *SPEC_FIELDS)},
        "position": row.position,
        "is_active": row.is_active,
    }


async def create_policy(hub: Hub, actor: Actor, new: NewPolicy) -> SlaPolicy:
    permissions.require_admin(actor)
    wanted = _cleaned(new)
    async with hub.uow() as uow:
        now = hub.clock.now()
        row = SlaPolicy(id=uuid.uuid4(), created_at=now, updated_at=now, **wanted)
        uow.session.add(row)
        await flush_unique(uow.session, f"an SLA policy named {row.name!r}")
        uow.emit(SettingsChanged.of(actor, "sla_policy.created", row.id, at=now, after=policy_json(row)))
        await uow.commit()
        return row


async def update_policy(hub: Hub, actor: Actor, policy_id: uuid.UUID, changes: PolicyChanges) -> SlaPolicy:
    permissions.require_admin(actor)
    wanted = _cleaned(changes)
    async with hub.uow() as uow:
        row = await uow.session.get(SlaPolicy, policy_id, with_for_update=True)
        if row is None:
            raise NotFound(what="sla_policy")
        before = policy_json(row)
        changed = {k: v for k, v in wanted.items() if getattr(row, k) != v}
        if not changed:
            return row
        for key, value in changed.items():
            setattr(row, key, value)
        row.updated_at = hub.clock.now()
        await flush_unique(uow.session, f"an SLA policy named {row.name!r}")
        after = policy_json(row)
        uow.emit(
            SettingsChanged.of(
                actor,
                "sla_policy.updated",
                row.id,
                at=row.updated_at,
                before={k: before[k] for k in changed},
                after={k: after[k] for k in changed},
            )
        )
        await uow.commit()
        return row


async def delete_policy(hub: Hub, actor: Actor, policy_id: uuid.UUID) -> None:
    permissions.require_admin(actor)
    async with hub.uow() as uow:
        row = await uow.session.get(SlaPolicy, policy_id, with_for_update=True)
        if row is None:
            raise NotFound(what="sla_policy")
        before = policy_json(row)
        await uow.session.delete(row)
        uow.emit(
            SettingsChanged.of(actor, "sla_policy.deleted", policy_id, at=hub.clock.now(), before=before)
        )
        await uow.commit()


async def get_policy(session: AsyncSession, policy_id: uuid.UUID) -> SlaPolicy:
    row = await session.get(SlaPolicy, policy_id)
    if row is None:
        raise NotFound(what="sla_policy")
    return row


async def stored_policies(session: AsyncSession) -> list[SlaPolicy]:
    return list(await session.scalars(sa.select(SlaPolicy).order_by(SlaPolicy.position, SlaPolicy.name)))


def rule_of(row: SlaPolicy) -> PolicyRule:
    def spec(value: str | None) -> Any:
        return parse_duration(value) if value else None

    return PolicyRule(
        name=row.name,
        targets=SlaTargets(
            first_response=spec(row.first_response),
            next_response=spec(row.next_response),
            resolution=spec(row.resolution),
        ),
        channel_kind=row.channel_kind,
        priority=row.priority,
        tier=row.tier,
        position=row.position,
        id=row.id,
    )


async def active_rules(session: AsyncSession) -> list[PolicyRule]:
    """The active stored policies and the built-in defaults, in precedence order."""
    rows = await session.scalars(sa.select(SlaPolicy).where(SlaPolicy.is_active))
    return sorted([*(rule_of(r) for r in rows), *BUILTIN_POLICIES], key=PolicyRule.precedence)


@dataclass(frozen=True)
class PolicyView:
    """A stored policy or a built-in default, as listed to administrators."""

    id: uuid.UUID | None
    name: str
    channel_kind: ChannelKind | None
    priority: Priority | None
    tier: Tier | None
    first_response: str | None
    next_response: str | None
    resolution: str | None
    position: int
    is_active: bool
    builtin: bool
    created_at: datetime | None = None
    updated_at: datetime | None = None


def view_of(row: SlaPolicy) -> PolicyView:
    return PolicyView(
        id=row.id,
        name=row.name,
        channel_kind=row.channel_kind,
        priority=row.priority,
        tier=row.tier,
        first_response=row.first_response,
        next_response=row.next_response,
        resolution=row.resolution,
        position=row.position,
        is_active=row.is_active,
        builtin=False,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _builtin_view(rule: PolicyRule) -> PolicyView:
    def text(target: Any) -> str | None:
        return str(target) if target is not None else None

    return PolicyView(
        id=None,
        name=rule.name,
        channel_kind=rule.channel_kind,
        priority=rule.priority,
        tier=rule.tier,
        first_response=text(rule.targets.first_response),
        next_response=text(rule.targets.next_response),
        resolution=text(rule.targets.resolution),
        position=rule.position,
        is_active=True,
        builtin=True,
    )


async def list_policies(session: AsyncSession) -> list[PolicyView]:
    """Stored policies (active or not) then the built-in defaults, in the order they are tried:
    for any ticket, the first active policy in this list that matches it applies."""
    rows = await stored_policies(session)
    ordered = sorted(
        [*((rule_of(r), view_of(r)) for r in rows), *((b, _builtin_view(b)) for b in BUILTIN_POLICIES)],
        key=lambda pair: pair[0].precedence(),
    )
    return [view for _, view in ordered]
