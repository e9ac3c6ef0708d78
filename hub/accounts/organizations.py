"""Creating and editing the organizations the hub serves (clients and partners), audited.

A mail domain belongs to at most one organization: new e-mail contacts join the organization
that owns their domain (the ingest engine, :mod:`hub.intake.ingest_engine`), so two owners would be a coin toss.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Annotated, Any

import msgspec
import sqlalchemy as sa
from msgspec import UNSET, UnsetType
from sqlalchemy.ext.asyncio import AsyncSession

from hub import permissions
from hub.accounts.users import require_active_staff
from hub.actors import Actor
from hub.commands import Command, fits
from hub.contacts import profiles
from hub.core import Hub
from hub.db import flush_unique
from hub.domain import OrganizationKind, Tier
from hub.errors import Conflict, InvalidInput, NotFound
from hub.events.admin import SettingsChanged
from hub.models import Organization

#: A calendar's name as organizations name it (the API schema states the same pattern).
CALENDAR_NAME = "^[a-z0-9][a-z0-9_-]{0,63}$"
_CALENDAR = re.compile(CALENDAR_NAME)
_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
MAX_DOMAINS = 50


class NewOrganization(Command, frozen=True, forbid_unknown_fields=True):
    name: Annotated[str, fits(Organization.name, words=True)]
    kind: OrganizationKind
    tier: Tier = Tier.STANDARD
    domains: list[str] = msgspec.field(default_factory=list)
    account_manager_id: uuid.UUID | None = None
    backup_manager_id: uuid.UUID | None = None
    calendar: Annotated[str, fits(Organization.calendar), msgspec.Meta(pattern=CALENDAR_NAME)] = "cn"


class OrganizationChanges(Command, frozen=True, forbid_unknown_fields=True):
    """UNSET leaves a field alone; ``None`` clears a manager."""

    name: Annotated[str, fits(Organization.name, words=True)] | UnsetType = UNSET
    kind: OrganizationKind | UnsetType = UNSET
    tier: Tier | UnsetType = UNSET
    domains: list[str] | UnsetType = UNSET
    account_manager_id: uuid.UUID | UnsetType | None = UNSET
    backup_manager_id: uuid.UUID | UnsetType | None = UNSET
    calendar: Annotated[str, fits(Organization.calendar), msgspec.Meta(pattern=CALENDAR_NAME)] | UnsetType = (
        UNSET
    )


def normalise_domain(value: str) -> str:
    """``@Example.COM`` -> ``example.com``; internationalised names are checked in their IDNA form."""
    domain = value.strip().lstrip("@").rstrip(".").lower()
    try:
        ascii_form = domain.encode("idna").decode("ascii")
    except UnicodeError:
        ascii_form = ""
    labels = ascii_form.split(".")
    if len(labels) < 2 or len(ascii_form) > 253 or not all(_LABEL.match(label) for label in labels):
        raise InvalidInput(detail=f"domains: not a mail domain: {value!r}")
    return domain


def _domains(values: list[str]) -> list[str]:
    if len(values) > MAX_DOMAINS:
        raise InvalidInput(detail=f"domains: at most {MAX_DOMAINS}")
    return list(dict.fromkeys(normalise_domain(v) for v in values))


def _calendar(value: str) -> str:
    if not _CALENDAR.fullmatch(value):
        raise InvalidInput(detail="calendar must be a short lower-case name such as 'cn'")
    return value


def _cleaned(values: dict[str, Any]) -> dict[str, Any]:
    checks: dict[str, Callable[[Any], Any]] = {
        "name": profiles.name,
        "domains": _domains,
        "calendar": _calendar,
    }
    return {k: checks[k](v) if k in checks else v for k, v in values.items() if v is not UNSET}


async def _check_references(session: AsyncSession, wanted: dict[str, Any], own_id: uuid.UUID) -> None:
    for key in ("account_manager_id", "backup_manager_id"):
        if wanted.get(key) is not None:
            await require_active_staff(session, wanted[key], field=key)
    if wanted.get("domains"):
        taken = await session.scalar(
            sa.select(Organization.name)
            .where(Organization.domains.overlap(wanted["domains"]), Organization.id != own_id)
            .limit(1)
        )
        if taken is not None:
            raise Conflict(detail=f"a domain is already claimed by organization {taken!r}")


def snapshot(org: Organization, keys: list[str] | None = None) -> dict[str, Any]:
    """JSON-ready values for the audit trail."""
    keys = keys or list(NewOrganization.__struct_fields__)
    return {k: str(v) if isinstance(v, uuid.UUID) else v for k in keys for v in [getattr(org, k)]}


async def create_organization(hub: Hub, actor: Actor, new: NewOrganization) -> Organization:
    permissions.require_admin(actor)
    wanted = _cleaned(msgspec.structs.asdict(new))
    async with hub.uow() as uow:
        org = Organization(id=uuid.uuid4(), created_at=hub.clock.now(), **wanted)
        await _check_references(uow.session, wanted, org.id)
        uow.session.add(org)
        await flush_unique(uow.session, f"an organization named {org.name!r}")
        uow.emit(
            SettingsChanged.of(actor, "organization.created", org.id, at=hub.clock.now(), after=snapshot(org))
        )
        await uow.commit()
        return org


async def update_organization(
    hub: Hub, actor: Actor, organization_id: uuid.UUID, changes: OrganizationChanges
) -> Organization:
    permissions.require_admin(actor)
    wanted = _cleaned(msgspec.structs.asdict(changes))
    async with hub.uow() as uow:
        org = await uow.session.get(Organization, organization_id, with_for_update=True)
        if org is None:
            raise NotFound(what="organization")
        changed = [k for k, v in wanted.items() if getattr(org, k) != v]
        if not changed:
            return org
        await _check_references(uow.session, {k: wanted[k] for k in changed}, org.id)
        before = snapshot(org, changed)
        for key in changed:
            setattr(org, key, wanted[key])
        await flush_unique(uow.session, f"an organization named {org.name!r}")
        uow.emit(
            SettingsChanged.of(
                actor,
                "organization.updated",
                org.id,
                at=hub.clock.now(),
                before=before,
                after=snapshot(org, changed),
            )
        )
        await uow.commit()
        return org
