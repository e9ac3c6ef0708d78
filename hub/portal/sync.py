"""The ERP stays the master of what it owns: idempotent upserts by the ERP's own keys.

``(entity, source, external_ref)`` names a record as the ERP knows it; a :class:`SyncLink` ties it
to the hub's row and remembers the last body's digest and ``source_updated_at``. The rules, as
Salesforce's upsert by external id and Stripe's idempotency keys have them:

- no link and no match: created (201), unless ``update_only`` (404);
- no link and one match by the entity's natural key (a partner's name or mail domain, an order's
  partner and number): linked and updated; several matches: 409 with the candidates, nothing written;
- linked, the same body again: ``unchanged``, nothing written, no timestamp bumped;
- linked, an older ``source_updated_at`` than stored: 409 ``stale``, nothing written;
- linked otherwise: updated (200).

Each entity is a :class:`SyncEntity` in :data:`ENTITIES`: its body type, how to find candidates
and how to apply a body (quality cases: :mod:`hub.portal.quality_sync`, one ``register`` call).
An ERP push writes only the fields the ERP owns; what the partner answered is never overwritten.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal, Protocol

import msgspec
import sqlalchemy as sa

from hub.actors import Actor
from hub.commands import Command, fits
from hub.core import Hub
from hub.db import flush_unique
from hub.domain import OrganizationKind, Role, Tier
from hub.errors import Conflict, Forbidden, InvalidInput, NotFound
from hub.models import DateProposal, DeliverySchedule, Organization, PortalOrder, PortalOrderLine, SyncLink
from hub.portal.events import PortalChanged
from hub.portal.states import LineStatus, OrderStatus, ProposalStatus, ScheduleStatus
from hub.uow import UnitOfWork

Result = Literal["created", "updated", "unchanged"]
MAX_LINES = 500


class Stale(Conflict):
    """An older ``source_updated_at`` than the one stored: an out-of-order push."""

    code = "sync_stale"

    def __init__(self, stored: datetime) -> None:
        super().__init__(stored=stored.isoformat())
        self.extra = {"result": "stale", "stored_source_updated_at": stored.isoformat()}


class SeveralMatches(Conflict):
    code = "sync_several_matches"

    def __init__(self, candidates: list[dict[str, str]]) -> None:
        super().__init__(count=len(candidates))
        self.extra = {"candidates": candidates}


@dataclass(frozen=True)
class Outcome:
    id: uuid.UUID
    result: Result

    @property
    def status_code(self) -> int:
        return 201 if self.result == "created" else 200


class SyncEntity(Protocol):
    """One kind of record the ERP pushes."""

    @property
    def name(self) -> str: ...

    @property
    def body(self) -> type[Any]: ...

    async def candidates(self, uow: UnitOfWork, source: str, body: Any) -> list[tuple[uuid.UUID, str]]:
        """Rows the body could be, by its natural key, when no link names one yet: (id, label)."""
        ...

    async def apply(
        self, uow: UnitOfWork, actor: Actor, source: str, body: Any, object_id: uuid.UUID | None
    ) -> uuid.UUID:
        """Write the ERP-owned fields; ``object_id`` None creates. Returns the row's id."""
        ...


ENTITIES: dict[str, SyncEntity] = {}


def register(entity: SyncEntity) -> SyncEntity:
    ENTITIES[entity.name] = entity
    return entity


def require_sync(actor: Actor) -> None:
    """An integration token, an administrator, or the operator at the CLI."""
    if actor.kind == "user" and actor.role is not Role.ADMIN:
        raise Forbidden()


def entity_named(name: str) -> SyncEntity:
    entity = ENTITIES.get(name)
    if entity is None:
        raise NotFound(what=f"sync entity {name!r}")
    return entity


def decode(entity: SyncEntity, data: Any) -> Any:
    """The body as the entity's type: a JSON object's fields checked, unknown ones refused."""
    try:
        return msgspec.convert(data, entity.body, strict=False)
    except msgspec.ValidationError as exc:
        raise InvalidInput(detail=str(exc)) from None


def digest(body: Any) -> str:
    canonical = msgspec.json.encode(msgspec.to_builtins(body), order="sorted")
    return hashlib.sha256(canonical).hexdigest()


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise InvalidInput(detail="source_updated_at needs a time zone (an offset or Z)")
    return moment


async def upsert(
    uow: UnitOfWork,
    actor: Actor,
    entity: SyncEntity,
    source: str,
    external_ref: str,
    body: Any,
    *,
    update_only: bool = False,
) -> Outcome:
    """One record, in the caller's transaction (a batch runs each in a savepoint)."""
    require_sync(actor)
    source, external_ref = _key(source, "source", 64), _key(external_ref, "external_ref", 200)
    updated_at = _aware(body.source_updated_at)
    session, now = uow.session, uow.hub.clock.now()
    body_digest = digest(body)
    link = await session.scalar(
        sa.select(SyncLink)
        .where(
            SyncLink.entity == entity.name, SyncLink.source == source, SyncLink.external_ref == external_ref
        )
        .with_for_update()
    )
    if link is not None:
        if link.digest == body_digest:
            return Outcome(link.object_id, "unchanged")
        if updated_at < link.source_updated_at:
            raise Stale(link.source_updated_at)
        await entity.apply(uow, actor, source, body, link.object_id)
        link.digest, link.source_updated_at, link.updated_at = body_digest, updated_at, now
        return Outcome(link.object_id, "updated")
    found = await entity.candidates(uow, source, body)
    if len(found) > 1:
        raise SeveralMatches([{"id": str(row_id), "label": label} for row_id, label in found])
    if not found and update_only:
        raise NotFound(what=f"{entity.name} {external_ref}")
    object_id = await entity.apply(uow, actor, source, body, found[0][0] if found else None)
    session.add(
        SyncLink(
            id=uuid.uuid4(),
            entity=entity.name,
            source=source,
            external_ref=external_ref,
            object_id=object_id,
            digest=body_digest,
            source_updated_at=updated_at,
            created_at=now,
            updated_at=now,
        )
    )
    await flush_unique(session, f"{entity.name} {source}/{external_ref}")
    return Outcome(object_id, "updated" if found else "created")


def _positive(value: Decimal, name: str) -> None:
    """Decimals have no bounds in the decoder: checked here (a NaN is refused too)."""
    if not value.is_finite() or value <= 0:
        raise InvalidInput(detail=f"{name} must be more than 0")


def _key(value: str, name: str, length: int) -> str:
    value = value.strip()
    if not value or len(value) > length or "\x00" in value:
        raise InvalidInput(detail=f"{name} must have 1 to {length} characters")
    return value


async def upsert_one(
    hub: Hub, actor: Actor, entity_name: str, source: str, external_ref: str, data: Any, *, update_only: bool
) -> Outcome:
    entity = entity_named(entity_name)
    require_sync(actor)
    body = decode(entity, data)
    async with hub.uow() as uow:
        outcome = await upsert(uow, actor, entity, source, external_ref, body, update_only=update_only)
        await uow.commit()
        return outcome


async def linked(uow: UnitOfWork, entity: str, source: str, external_ref: str) -> uuid.UUID | None:
    return await uow.session.scalar(
        sa.select(SyncLink.object_id).where(
            SyncLink.entity == entity, SyncLink.source == source, SyncLink.external_ref == external_ref
        )
    )


# --- partners -------------------------------------------------------------------------------


class PartnerBody(Command, frozen=True, forbid_unknown_fields=True):
    name: Annotated[str, fits(Organization.name, words=True)]
    source_updated_at: datetime
    domains: list[Annotated[str, msgspec.Meta(min_length=1, max_length=253)]] | None = None
    tier: Tier | None = None


@dataclass(frozen=True)
class Partners:
    name: str = "partners"
    body: type[Any] = PartnerBody

    async def candidates(
        self, uow: UnitOfWork, source: str, body: PartnerBody
    ) -> list[tuple[uuid.UUID, str]]:
        """Partners of the same name, or that own one of the body's mail domains."""
        match = sa.func.lower(Organization.name) == body.name.strip().lower()
        if body.domains:
            match = sa.or_(match, Organization.domains.overlap([d.strip().lower() for d in body.domains]))
        rows = await uow.session.execute(
            sa.select(Organization.id, Organization.name)
            .where(Organization.kind == OrganizationKind.PARTNER, match)
            .order_by(Organization.name)
        )
        return [(row_id, name) for row_id, name in rows]

    async def apply(
        self, uow: UnitOfWork, actor: Actor, source: str, body: PartnerBody, object_id: uuid.UUID | None
    ) -> uuid.UUID:
        session, now = uow.session, uow.hub.clock.now()
        domains = [d.strip().lower() for d in body.domains] if body.domains is not None else None
        if object_id is None:
            row = Organization(
                id=uuid.uuid4(),
                name=body.name.strip(),
                kind=OrganizationKind.PARTNER,
                tier=body.tier or Tier.STANDARD,
                domains=domains or [],
                created_at=now,
            )
            session.add(row)
            before = None
        else:
            found = await session.get(Organization, object_id, with_for_update=True)
            if found is None:
                raise NotFound(what="organization")
            row = found
            before = {"name": row.name, "domains": list(row.domains), "tier": row.tier.value}
            row.name = body.name.strip()
            if domains is not None:
                row.domains = domains
            if body.tier is not None:
                row.tier = body.tier
        await flush_unique(session, f"an organization named {body.name.strip()!r}")
        uow.emit(
            PortalChanged(
                at=now,
                actor=actor,
                action="organization.synced",
                subject_id=row.id,
                organization_id=row.id,
                before=before,
                after={
                    "name": row.name,
                    "domains": list(row.domains),
                    "tier": row.tier.value,
                    "source": source,
                },
            )
        )
        return row.id


# --- orders ---------------------------------------------------------------------------------


class PartnerRef(Command, frozen=True, forbid_unknown_fields=True):
    """The partner as the ERP knows it (its ``external_ref`` in the same source) or by the hub's id."""

    external_ref: Annotated[str, msgspec.Meta(min_length=1, max_length=200)] | None = None
    organization_id: uuid.UUID | None = None


class LineBody(Command, frozen=True, forbid_unknown_fields=True):
    line: Annotated[int, msgspec.Meta(ge=1, le=100_000)]
    item: Annotated[str, fits(PortalOrderLine.item, words=True)]
    quantity: Decimal
    unit: Annotated[str, fits(PortalOrderLine.unit, words=True)]
    requested_date: date
    description: Annotated[str, fits(PortalOrderLine.description)] = ""
    unit_price: Decimal | None = None


class OrderBody(Command, frozen=True, forbid_unknown_fields=True):
    partner: PartnerRef
    number: Annotated[str, fits(PortalOrder.number, words=True)]
    source_updated_at: datetime
    lines: Annotated[list[LineBody], msgspec.Meta(max_length=MAX_LINES)]
    status: OrderStatus = OrderStatus.OPEN
    currency: Annotated[str, msgspec.Meta(pattern="^[A-Z]{3}$")] | None = None


async def partner_of(uow: UnitOfWork, source: str, ref: PartnerRef) -> uuid.UUID:
    if (ref.external_ref is None) == (ref.organization_id is None):
        raise InvalidInput(detail="partner: give its external_ref or its organization_id")
    if ref.external_ref is not None:
        found = await linked(uow, "partners", source, ref.external_ref)
        if found is None:
            raise InvalidInput(detail=f"partner {ref.external_ref!r} of {source} is not synced yet")
        return found
    kind = await uow.session.scalar(
        sa.select(Organization.kind).where(Organization.id == ref.organization_id)
    )
    if kind is not OrganizationKind.PARTNER:
        raise InvalidInput(detail="partner: no partner organization has that id")
    assert ref.organization_id is not None
    return ref.organization_id


def _order_state(order: PortalOrder, lines: list[PortalOrderLine]) -> dict[str, Any]:
    return {
        "number": order.number,
        "status": order.status.value,
        "lines": [
            {
                "line": line.line_no,
                "item": line.item,
                "quantity": str(line.quantity),
                "unit_price": None if line.unit_price is None else str(line.unit_price),
                "requested_date": line.requested_date.isoformat(),
                "status": line.status.value,
            }
            for line in lines
        ],
    }


@dataclass(frozen=True)
class Orders:
    name: str = "orders"
    body: type[Any] = OrderBody

    async def candidates(self, uow: UnitOfWork, source: str, body: OrderBody) -> list[tuple[uuid.UUID, str]]:
        partner = await partner_of(uow, source, body.partner)
        rows = await uow.session.execute(
            sa.select(PortalOrder.id, PortalOrder.number).where(
                PortalOrder.organization_id == partner, PortalOrder.number == body.number.strip()
            )
        )
        return [(row_id, number) for row_id, number in rows]

    async def apply(
        self, uow: UnitOfWork, actor: Actor, source: str, body: OrderBody, object_id: uuid.UUID | None
    ) -> uuid.UUID:
        session, now = uow.session, uow.hub.clock.now()
        partner = await partner_of(uow, source, body.partner)
        if len({line.line for line in body.lines}) != len(body.lines):
            raise InvalidInput(detail="lines: each line number once")
        for item in body.lines:
            _positive(item.quantity, f"line {item.line}: quantity")
            if item.unit_price is not None and (not item.unit_price.is_finite() or item.unit_price < 0):
                raise InvalidInput(detail=f"line {item.line}: unit_price must be 0 or more")
        if object_id is None:
            order = PortalOrder(
                id=uuid.uuid4(),
                organization_id=partner,
                number=body.number.strip(),
                status=body.status,
                currency=body.currency,
                revision=1,
                created_at=now,
                updated_at=now,
            )
            session.add(order)
            await flush_unique(session, f"order {body.number.strip()} of this partner")
            existing: dict[int, PortalOrderLine] = {}
            before = None
        else:
            found = await session.get(PortalOrder, object_id, with_for_update=True)
            if found is None:
                raise NotFound(what="order")
            order = found
            if order.organization_id != partner:
                raise InvalidInput(detail="an order cannot move to another partner")
            current = list(
                await session.scalars(
                    sa.select(PortalOrderLine)
                    .where(PortalOrderLine.order_id == order.id)
                    .order_by(PortalOrderLine.line_no)
                    .with_for_update()
                )
            )
            existing = {line.line_no: line for line in current}
            before = _order_state(order, current)
            order.number, order.status, order.currency = body.number.strip(), body.status, body.currency
            order.revision += 1
            order.updated_at = now
        cancelled = body.status is OrderStatus.CANCELLED
        kept: list[PortalOrderLine] = []
        for item in body.lines:
            line = existing.pop(item.line, None)
            if line is None:
                line = PortalOrderLine(
                    id=uuid.uuid4(),
                    order_id=order.id,
                    line_no=item.line,
                    status=LineStatus.OPEN,
                    updated_at=now,
                )
                session.add(line)
            elif line.status is LineStatus.CANCELLED and not cancelled:
                line.status = LineStatus.CONFIRMED if line.confirmed_date else LineStatus.OPEN
            # The ERP's fields only: confirmed date and quantity are the partner's.
            line.item, line.description = item.item.strip(), item.description.strip()
            line.quantity, line.unit, line.unit_price = item.quantity, item.unit.strip(), item.unit_price
            line.requested_date, line.updated_at = item.requested_date, now
            if line.delivered_quantity is None:
                line.delivered_quantity = Decimal(0)
            if cancelled:
                line.status = LineStatus.CANCELLED
            kept.append(line)
        for dropped in existing.values():  # a line the ERP no longer sends is cancelled, never deleted
            dropped.status, dropped.updated_at = LineStatus.CANCELLED, now
            kept.append(dropped)
        await session.flush()
        gone = [line.id for line in kept if line.status is LineStatus.CANCELLED]
        if gone:  # a cancelled line's proposals leave the manager's queue
            await session.execute(
                sa.update(DateProposal)
                .where(DateProposal.line_id.in_(gone), DateProposal.status == ProposalStatus.PROPOSED)
                .values(status=ProposalStatus.SUPERSEDED)
            )
        uow.emit(
            PortalChanged(
                at=now,
                actor=actor,
                action="order.synced",
                subject_id=order.id,
                organization_id=order.organization_id,
                before=before,
                after={**_order_state(order, sorted(kept, key=lambda x: x.line_no)), "source": source},
            )
        )
        return order.id


# --- deliveries -----------------------------------------------------------------------------


class OrderRef(Command, frozen=True, forbid_unknown_fields=True):
    external_ref: Annotated[str, msgspec.Meta(min_length=1, max_length=200)] | None = None
    id: uuid.UUID | None = None


class DeliveryBody(Command, frozen=True, forbid_unknown_fields=True):
    """A delivery the ERP plans for a line, and what of it was received."""

    order: OrderRef
    line: Annotated[int, msgspec.Meta(ge=1, le=100_000)]
    due_date: date
    quantity: Decimal
    source_updated_at: datetime
    received_quantity: Decimal = Decimal(0)
    received_at: datetime | None = None
    status: ScheduleStatus = ScheduleStatus.OPEN


async def _line(uow: UnitOfWork, source: str, body: DeliveryBody) -> tuple[PortalOrder, PortalOrderLine]:
    if (body.order.external_ref is None) == (body.order.id is None):
        raise InvalidInput(detail="order: give its external_ref or its id")
    order_id = body.order.id
    if body.order.external_ref is not None:
        order_id = await linked(uow, "orders", source, body.order.external_ref)
    row = (
        await uow.session.execute(
            sa.select(PortalOrder, PortalOrderLine)
            .join(PortalOrderLine, PortalOrderLine.order_id == PortalOrder.id)
            .where(PortalOrder.id == order_id, PortalOrderLine.line_no == body.line)
            .with_for_update(of=PortalOrderLine)
        )
    ).first()
    if row is None:
        raise InvalidInput(detail=f"order line {body.line}: no such synced order line")
    return row[0], row[1]


@dataclass(frozen=True)
class Deliveries:
    name: str = "deliveries"
    body: type[Any] = DeliveryBody
    #: The schedule's fields the ERP owns and a push writes; a partner's change to a schedule is a
    #: version of its own (:mod:`hub.portal.schedule_changes`) that never writes them.
    owned: ClassVar[frozenset[str]] = frozenset(
        {"due_date", "quantity", "received_quantity", "received_at", "status"}
    )

    async def candidates(
        self, uow: UnitOfWork, source: str, body: DeliveryBody
    ) -> list[tuple[uuid.UUID, str]]:
        return []  # a schedule has no key of its own but the ERP's

    async def apply(
        self, uow: UnitOfWork, actor: Actor, source: str, body: DeliveryBody, object_id: uuid.UUID | None
    ) -> uuid.UUID:
        session, now = uow.session, uow.hub.clock.now()
        _positive(body.quantity, "quantity")
        if not body.received_quantity.is_finite() or body.received_quantity < 0:
            raise InvalidInput(detail="received_quantity must be 0 or more")
        order, line = await _line(uow, source, body)
        if object_id is None:
            schedule = DeliverySchedule(
                id=uuid.uuid4(), organization_id=order.organization_id, line_id=line.id, created_at=now
            )
            session.add(schedule)
            before = None
        else:
            found = await session.get(DeliverySchedule, object_id, with_for_update=True)
            if found is None:
                raise NotFound(what="delivery")
            schedule = found
            if schedule.line_id != line.id:
                raise InvalidInput(detail="a delivery cannot move to another order line")
            before = {"due_date": schedule.due_date.isoformat(), "quantity": str(schedule.quantity)}
        schedule.due_date, schedule.quantity, schedule.status = body.due_date, body.quantity, body.status
        schedule.received_quantity = body.received_quantity
        schedule.received_at = body.received_at or (
            now if body.received_quantity and not schedule.received_at else schedule.received_at
        )
        schedule.updated_at = now
        await session.flush()
        line.delivered_quantity = await session.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(DeliverySchedule.received_quantity), 0)).where(
                DeliverySchedule.line_id == line.id, DeliverySchedule.status == ScheduleStatus.OPEN
            )
        ) or Decimal(0)
        uow.emit(
            PortalChanged(
                at=now,
                actor=actor,
                action="delivery.synced",
                subject_id=schedule.id,
                organization_id=order.organization_id,
                before=before,
                after={
                    "order": order.number,
                    "line": line.line_no,
                    "due_date": body.due_date.isoformat(),
                    "quantity": str(body.quantity),
                    "received_quantity": str(body.received_quantity),
                    "status": body.status.value,
                },
            )
        )
        return schedule.id


register(Partners())
register(Orders())
register(Deliveries())
# The quality cases' entity lives beside the quality cases and registers itself when imported.
from hub.portal import quality_sync  # noqa: E402, F401
