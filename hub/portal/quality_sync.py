"""Quality cases pushed by the company's ERP: one more entity of the sync registry.

``PUT /api/v1/sync/quality_cases/{source}/{ref}``, its ``:batch`` and ``hub import partners
--entity quality_cases`` therefore answer as for orders (created, updated, unchanged; ``sync_stale``
for an older push; several matches; ``update_only``), by :func:`hub.portal.sync.upsert`. With no
link yet, a case is matched by its partner and number, as an order is.

Field ownership: the ERP owns the case's number, title, description, severity, item, lot and
whether it is open, closed or cancelled; the partner owns its answers to the steps and the buyer
its reviews, which a push never reads nor writes. A case never moves to another partner.

A new case's conversation is a ticket the ingest opens in its own transaction, before the case is
written in the push's. A push refused after that point (or a dry run of an import) leaves that
conversation without its case; the case's id comes from its partner and number
(:func:`case_id_for`), so the next push of the same case takes that conversation up again (the
ingest answers the same opening message with the same ticket) rather than opening another.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

import msgspec
import sqlalchemy as sa

from hub.actors import Actor
from hub.commands import Command, fits
from hub.errors import InvalidInput, NotFound
from hub.models import QualityCase, QualityStep
from hub.portal import quality
from hub.portal.duty import manager_on_duty
from hub.portal.record_events import PortalRecordChanged
from hub.portal.sync import PartnerRef, partner_of, register
from hub.portal.terms import QualityCaseStatus, Severity
from hub.uow import UnitOfWork

#: The namespace of the ERP's cases' ids (:func:`case_id_for`).
ERP_CASES = uuid.UUID("6f1d3c52-8a4e-4b7f-9f0e-2c5d7a1b9e34")


def case_id_for(partner: uuid.UUID, number: str) -> uuid.UUID:
    """The same id for the same partner's case number, push after push (numbers are unique)."""
    return uuid.uuid5(ERP_CASES, f"{partner}/{number}")


class QualityCaseBody(Command, frozen=True, forbid_unknown_fields=True):
    partner: PartnerRef
    number: Annotated[str, fits(QualityCase.number, words=True)]
    title: Annotated[str, fits(QualityCase.title, words=True)]
    source_updated_at: datetime
    description: Annotated[str, msgspec.Meta(max_length=quality.MAX_TEXT)] = ""
    severity: Severity = Severity.MAJOR
    status: QualityCaseStatus = QualityCaseStatus.OPEN
    item: Annotated[str, fits(QualityCase.item)] | None = None
    lot: Annotated[str, fits(QualityCase.lot)] | None = None


def _new(body: QualityCaseBody) -> quality.NewCase:
    return quality.NewCase(
        title=body.title, description=body.description, severity=body.severity, item=body.item, lot=body.lot
    )


def _owned(body: QualityCaseBody) -> dict[str, Any]:
    """The ERP's fields as the case stores them."""
    return {
        "number": body.number.strip(),
        "title": body.title.strip(),
        "description": body.description.strip(),
        "severity": body.severity,
        "item": (body.item or "").strip() or None,
        "lot": (body.lot or "").strip() or None,
        "status": body.status,
    }


@dataclass(frozen=True)
class QualityCases:
    name: str = "quality_cases"
    body: type[Any] = QualityCaseBody

    async def candidates(
        self, uow: UnitOfWork, source: str, body: QualityCaseBody
    ) -> list[tuple[uuid.UUID, str]]:
        partner = await partner_of(uow, source, body.partner)
        rows = await uow.session.execute(
            sa.select(QualityCase.id, QualityCase.number).where(
                QualityCase.organization_id == partner, QualityCase.number == body.number.strip()
            )
        )
        return [(row_id, number) for row_id, number in rows]

    async def apply(
        self, uow: UnitOfWork, actor: Actor, source: str, body: QualityCaseBody, object_id: uuid.UUID | None
    ) -> uuid.UUID:
        partner = await partner_of(uow, source, body.partner)
        if object_id is None:
            return await self._create(uow, actor, source, partner, body)
        case = await uow.session.get(QualityCase, object_id, with_for_update=True)
        if case is None:
            raise NotFound(what="quality case")
        if case.organization_id != partner:
            raise InvalidInput(detail="a quality case stays with the partner it was opened for")
        _update(uow, actor, source, case, body)
        if body.status is not QualityCaseStatus.OPEN:  # its steps are no longer due
            await uow.session.execute(
                sa.update(QualityStep).where(QualityStep.case_id == case.id).values(next_due_at=None)
            )
        return case.id

    async def _create(
        self, uow: UnitOfWork, actor: Actor, source: str, partner: uuid.UUID, body: QualityCaseBody
    ) -> uuid.UUID:
        new = _new(body)
        title, description = quality.checked(new)
        number = body.number.strip()
        case_id = case_id_for(partner, number)
        ticket_id = await quality.open_conversation(
            uow.hub,
            partner,
            case_id,
            number,
            title,
            description,
            await manager_on_duty(uow.session, partner),
        )
        case = await quality.add_case(uow, actor, case_id, partner, ticket_id, number, new)
        if body.status is not QualityCaseStatus.OPEN:  # pushed already closed: nothing is owed
            await uow.session.flush()
            return await self.apply(uow, actor, source, body, case.id)
        return case.id


def _update(uow: UnitOfWork, actor: Actor, source: str, case: QualityCase, body: QualityCaseBody) -> None:
    """The ERP's fields only: the steps' answers and reviews are the partner's and the buyer's."""
    now = uow.hub.clock.now()
    before = quality.snapshot(case)
    was = case.status
    for name, value in _owned(body).items():
        setattr(case, name, value)
    if body.status is not was:
        case.closed_at = None if body.status is QualityCaseStatus.OPEN else now
    case.updated_at = now
    uow.emit(
        PortalRecordChanged(
            at=now,
            actor=actor,
            action="quality_case.synced",
            subject_type="quality_case",
            subject_id=case.id,
            before=before,
            after={**quality.snapshot(case), "source": source},
        )
    )


register(QualityCases())
