"""Quality cases pushed by the company's ERP, by the sync contract every synced entity keeps.

Matched on ``(source, external_ref)``: none → created (``created``), one → its ERP-owned fields
updated (``updated``) or, when the push says nothing new, left alone without touching a timestamp
(``unchanged``). A push older than the stored ``source_updated_at`` is ``stale`` and refused
(:class:`hub.errors.Conflict`), so pushes arriving out of order never roll a case back;
``update_only`` refuses to create (:class:`hub.errors.NotFound`).

Field ownership: the ERP owns the case's number, title, description, severity, item, lot and
whether it is open, closed or cancelled; the partner owns its answers to the steps and the buyer
its reviews, which a push never reads nor writes. A case never moves to another partner.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import sqlalchemy as sa

from hub import permissions
from hub.actors import Actor
from hub.core import Hub
from hub.errors import Conflict, InvalidInput, NotFound
from hub.models import QualityCase, QualityStep
from hub.portal import quality
from hub.portal.record_events import PortalRecordChanged
from hub.portal.terms import QualityCaseStatus, Severity


@dataclass(frozen=True)
class ErpQualityCase:
    organization_id: uuid.UUID
    number: str
    title: str
    source_updated_at: datetime
    description: str = ""
    severity: Severity = Severity.MAJOR
    status: QualityCaseStatus = QualityCaseStatus.OPEN
    item: str | None = None
    lot: str | None = None


@dataclass(frozen=True)
class SyncResult:
    id: uuid.UUID
    result: Literal["created", "updated", "unchanged"]


def _owned(body: ErpQualityCase) -> dict[str, object]:
    """The ERP's fields as the case stores them."""
    return {
        "number": body.number.strip(),
        "title": body.title.strip(),
        "description": body.description.strip(),
        "severity": body.severity,
        "item": (body.item or "").strip() or None,
        "lot": (body.lot or "").strip() or None,
    }


async def upsert_quality_case_from_erp(
    hub: Hub,
    actor: Actor,
    source: str,
    external_ref: str,
    body: ErpQualityCase,
    *,
    update_only: bool = False,
) -> SyncResult:
    """Create or update the ERP's case ``(source, external_ref)``; see the module docstring."""
    permissions.require_staff(actor)
    if body.source_updated_at.tzinfo is None:
        raise InvalidInput(detail="source_updated_at needs its time zone")
    if not body.number.strip():
        raise InvalidInput(detail="the case needs its number")
    async with hub.uow() as uow:
        case = await uow.session.scalar(
            sa.select(QualityCase)
            .where(QualityCase.source == source, QualityCase.external_ref == external_ref)
            .with_for_update()
        )
        if case is None:
            if update_only:
                raise NotFound(what="quality case")
        elif case.organization_id != body.organization_id:
            raise InvalidInput(detail="a quality case stays with the partner it was opened for")
        elif case.source_updated_at is not None and body.source_updated_at < case.source_updated_at:
            raise Conflict("stale", stored=case.source_updated_at.isoformat())
        else:
            wanted = _owned(body)
            before = quality.snapshot(case)
            changed = {name: value for name, value in wanted.items() if getattr(case, name) != value}
            status_changed = body.status is not case.status
            if not changed and not status_changed:
                if body.source_updated_at != case.source_updated_at:
                    case.source_updated_at = body.source_updated_at
                    await uow.commit()
                return SyncResult(case.id, "unchanged")
            now = hub.clock.now()
            for name, value in changed.items():
                setattr(case, name, value)
            if status_changed:
                case.status = body.status
                case.closed_at = None if body.status is QualityCaseStatus.OPEN else now
                if body.status is not QualityCaseStatus.OPEN:
                    await uow.session.execute(
                        sa.update(QualityStep).where(QualityStep.case_id == case.id).values(next_due_at=None)
                    )
            case.source_updated_at = body.source_updated_at
            case.updated_at = now
            uow.emit(
                PortalRecordChanged(
                    at=now,
                    actor=actor,
                    action="quality_case.synced",
                    subject_type="quality_case",
                    subject_id=case.id,
                    before=before,
                    after=quality.snapshot(case),
                    reason=f"{source}:{external_ref}",
                )
            )
            await uow.commit()
            return SyncResult(case.id, "updated")
    fields = _owned(body)
    created = await quality.open_case(
        hub,
        actor,
        body.organization_id,
        quality.NewCase(
            title=body.title,
            description=body.description,
            severity=body.severity,
            item=body.item,
            lot=body.lot,
        ),
        number=str(fields["number"]),
        source=(source, external_ref),
        source_updated_at=body.source_updated_at,
    )
    return SyncResult(created.id, "created")
