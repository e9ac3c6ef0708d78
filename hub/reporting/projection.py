"""Keeping ``metric_samples`` and ``metric_daily`` equal to what the ticket event log says.

Incremental, off the request's path: appending to a ticket's log (or to one of its requirements')
queues the ticket in ``metric_queue`` in the same transaction (triggers of migration 0019), and the
worker's :func:`drain`, run every second, derives the queued tickets' samples again from their logs
in batches (``refresh``), one derivation per ticket however many commits touched it. The request
that committed does nothing more: no derivation, no job to ask for. A sample whose measurement did not change (same
bounds, same events) keeps the row it was first stored with, so its calendar seconds, business
seconds and attribution stay frozen; new samples are inserted, ones the log no longer gives (a
reply whose delivery failed for good) are deleted; the days they fall on are summed again into
``metric_daily``.

Full: ``rebuild`` does the same for every ticket with ``force``: every sample is measured again on
today's calendars, every change is written to the audit trail with its old and new values (the
audited recompute after a calendar edit is ``rebuild`` limited to that calendar's tickets), and
every day's rollup is summed again. Because both ways run :func:`hub.reporting.samples.derive`
over the same log, a rebuild on unchanged calendars equals the incremental result.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from hub.actors import Actor
from hub.calendars import names
from hub.config import Settings
from hub.domain import DeliveryStatus, RequirementEventKind, TicketEventKind
from hub.models import (
    AuditEvent,
    Message,
    MetricDaily,
    MetricSample,
    Organization,
    Requirement,
    RequirementEvent,
    Ticket,
    TicketEvent,
)
from hub.reporting.samples import GOOD_RATING, Feedback, LogEvent, Sample, TicketContext, derive
from hub.sla.policy_choice import SlaTargets
from hub.sla.service import SlaContext, evaluate_tickets, facts_for

if TYPE_CHECKING:
    from hub.core import Hub

log = logging.getLogger(__name__)
_NO_TARGETS = SlaTargets()

BATCH = 500
K = TicketEventKind
#: The log's kinds a sample is derived from; alerts, tags and notes never bound one.
SAMPLE_EVENTS = [
    k.value
    for k in (
        K.CREATED,
        K.CUSTOMER_MESSAGE,
        K.HUMAN_RESPONSE,
        K.ASSIGNED,
        K.UNASSIGNED,
        K.PRIORITY_CHANGED,
        K.PLAYBOOK_STARTED,
        K.BOT_HANDOFF,
        K.PENDING_ON,
        K.PENDING_OFF,
        K.RESOLVED,
        K.CLOSED,
        K.MERGED,
        K.REOPENED,
        K.ESCALATED,
        K.HANDOFF_REQUESTED,
        K.HANDOFF_ANSWERED,
        K.HANDOFF_BREACHED,
        K.CSAT_SENT,
        K.CSAT_RESPONSE,
        K.CSAT_NOT_SENT,
    )
]
_SAMPLE_COLUMNS = [c.name for c in MetricSample.__table__.columns if c.name not in ("id", "recorded_at")]
#: What a rollup row is keyed by besides its day.
ROLLUP_DIMENSIONS = (
    "metric",
    "target",
    "outcome",
    "agent_id",
    "team_id",
    "channel_kind",
    "organization_id",
    "priority",
    "playbook_id",
)


@dataclass(frozen=True)
class Change:
    """A stored sample the recompute rewrote: what it was, what it is now."""

    ticket_id: uuid.UUID
    metric: str
    key: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


#: The worker's cron that runs :func:`drain` (``web/worker.py``): every second, so reports lag
#: the log by about a second; an idle tick is one statement on an empty queue.
DRAIN_JOB = "metrics_drain"


_CLAIM = sa.text(
    "DELETE FROM metric_queue WHERE ticket_id IN ("
    " SELECT ticket_id FROM metric_queue ORDER BY queued_at LIMIT :n FOR UPDATE SKIP LOCKED"
    ") RETURNING ticket_id"
)
_CLAIM_THESE = sa.text(
    "DELETE FROM metric_queue WHERE ticket_id IN ("
    " SELECT ticket_id FROM metric_queue WHERE ticket_id = ANY(CAST(:ids AS uuid[]))"
    " ORDER BY queued_at LIMIT :n FOR UPDATE SKIP LOCKED"
    ") RETURNING ticket_id"
)


async def drain(hub: Hub, *, batch: int = BATCH, only: Sequence[uuid.UUID] | None = None) -> int:
    """Derive every queued ticket's samples again, a batch per transaction; how many were derived.

    A batch is claimed by deleting its queue rows in the transaction that writes the samples: a
    crash before the commit leaves them queued; workers draining at once skip each other's rows.
    A commit that queues a claimed ticket again waits for the claim and queues it anew, so what
    it appended is derived by the next batch. ``only``: just these tickets (the history import's
    own), leaving the rest to the worker.
    """
    done = 0
    while True:
        async with hub.uow() as uow:
            if only is None:
                ids = list(await uow.session.scalars(_CLAIM, {"n": batch}))
            else:
                ids = list(await uow.session.scalars(_CLAIM_THESE, {"n": batch, "ids": list(only)}))
            if not ids:
                return done
            await refresh(uow.session, hub.settings, ids, hub.clock.now())
            await uow.commit()
        done += len(ids)


# -- loading ---------------------------------------------------------------------------------------


async def _logs(session: AsyncSession, ticket_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[LogEvent]]:
    """The tickets' logs, less the responses whose delivery failed for good (as the SLA clocks)."""
    reply = sa.and_(TicketEvent.kind == K.HUMAN_RESPONSE, Message.id == TicketEvent.message_id)
    rows = await session.execute(
        sa.select(
            TicketEvent.id,
            TicketEvent.ticket_id,
            TicketEvent.kind,
            TicketEvent.at,
            TicketEvent.actor_user_id,
            TicketEvent.message_id,
            TicketEvent.data,
        )
        .outerjoin(Message, reply)
        .where(TicketEvent.ticket_id.in_(ticket_ids), TicketEvent.kind.in_(SAMPLE_EVENTS))
        .where(Message.delivery_status.is_distinct_from(DeliveryStatus.FAILED))
        .order_by(TicketEvent.ticket_id, TicketEvent.at, TicketEvent.id)
    )
    found: dict[uuid.UUID, list[LogEvent]] = defaultdict(list)
    for event_id, ticket_id, kind, at, actor, message_id, data in rows:
        found[ticket_id].append(LogEvent(event_id, kind, at, actor, message_id, data or {}))
    return found


async def _feedback(
    session: AsyncSession, ticket_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Feedback]]:
    E = RequirementEventKind
    rows = await session.execute(
        sa.select(
            Requirement.id,
            Requirement.ticket_id,
            Requirement.owner_id,
            RequirementEvent.kind,
            RequirementEvent.at,
            RequirementEvent.data,
        )
        .join(RequirementEvent, RequirementEvent.requirement_id == Requirement.id)
        .where(
            Requirement.ticket_id.in_(ticket_ids),
            RequirementEvent.kind.in_([E.RECORDED, E.FEEDBACK_GIVEN, E.FEEDBACK_BREACHED]),
        )
        .order_by(Requirement.id, RequirementEvent.at, RequirementEvent.id)
    )
    per: dict[uuid.UUID, dict[str, Any]] = {}
    for requirement_id, ticket_id, owner, kind, at, data in rows:
        item = per.setdefault(requirement_id, {"ticket": ticket_id, "owner": owner, "recorded": at})
        if kind == E.FEEDBACK_GIVEN and "given" not in item:
            item["given"], item["late"] = at, bool((data or {}).get("late"))
        elif kind == E.FEEDBACK_BREACHED and "breached" not in item:
            item["breached"] = at
    found: dict[uuid.UUID, list[Feedback]] = defaultdict(list)
    for requirement_id, item in per.items():
        found[item["ticket"]].append(
            Feedback(
                requirement_id,
                item["recorded"],
                item.get("given"),
                item.get("late", False),
                item.get("breached"),
                item["owner"],
            )
        )
    return found


def _first_priority(log: Sequence[LogEvent], current: str) -> str:
    for event in log:
        if event.kind == K.PRIORITY_CHANGED and event.data.get("previous"):
            return str(event.data["previous"])
    return current


async def derive_tickets(
    session: AsyncSession, settings: Settings, ticket_ids: Sequence[uuid.UUID], now: datetime
) -> dict[uuid.UUID, list[Sample]]:
    """The samples the tickets' logs give, on today's calendars and policies."""
    context = await SlaContext.load(session, settings)
    evaluations = dict(await evaluate_tickets(context, ticket_ids, now))
    logs = await _logs(session, ticket_ids)
    feedback = await _feedback(session, ticket_ids)
    tickets = await session.execute(
        sa.select(
            Ticket.id,
            Ticket.channel_kind,
            Ticket.team_id,
            Ticket.organization_id,
            Ticket.priority,
            Organization.account_manager_id,
        )
        .outerjoin(Organization, Organization.id == Ticket.organization_id)
        .where(Ticket.id.in_(ticket_ids))
    )
    found: dict[uuid.UUID, list[Sample]] = {}
    for ticket_id, channel_kind, team_id, organization_id, priority, manager in tickets:
        evaluation = evaluations.get(ticket_id)
        if evaluation is None:
            continue
        events = logs.get(ticket_id, [])
        targets = evaluation.rule.targets if evaluation.rule is not None else None
        found[ticket_id] = derive(
            events,
            TicketContext(
                ticket_id=ticket_id,
                calendar=evaluation.calendar,
                targets=targets or _NO_TARGETS,
                channel_kind=str(channel_kind),
                team_id=team_id,
                organization_id=organization_id,
                account_manager_id=manager,
                priority=_first_priority(events, str(priority)),
                clocks=evaluation.state.clocks,
                feedback=feedback.get(ticket_id, []),
                now=now,
            ),
        )
    return found


# -- writing ---------------------------------------------------------------------------------------


_SAMPLE_FIELDS = tuple(f.name for f in fields(Sample))


def _row(ticket_id: uuid.UUID, sample: Sample) -> dict[str, Any]:
    """The sample as column values (shallow: ``dataclasses.asdict`` deep-copies every value and
    was most of a refresh's time)."""
    values = {name: getattr(sample, name) for name in _SAMPLE_FIELDS}
    values["ticket_id"] = ticket_id
    return values


def _stored_identity(row: Any) -> tuple[Any, ...]:
    return (
        row.metric,
        row.key,
        row.started_at,
        row.ended_at,
        row.bucket_at,
        row.start_event_id,
        row.end_event_id,
        row.outcome,
        row.due_at,
        row.rating,
    )


_AUDITED = (
    "calendar",
    "calendar_seconds",
    "business_seconds",
    "within_target",
    "outcome",
    "breach_by_seconds",
)


def _audited(values: dict[str, Any] | Any) -> dict[str, Any]:
    get = values.get if isinstance(values, dict) else lambda name: getattr(values, name)
    return {name: get(name) for name in _AUDITED}


async def refresh(
    session: AsyncSession,
    settings: Settings,
    ticket_ids: Sequence[uuid.UUID],
    now: datetime,
    *,
    force: bool = False,
) -> list[Change]:
    """Bring the tickets' samples and their days' rollups up to date with their logs.

    Without ``force`` a sample measured before keeps its stored values; with it every value is
    measured again and the ones that differ are returned as changes (old and new).
    """
    if not ticket_ids:
        return []
    ids = sorted(set(ticket_ids))
    # Two processes refreshing one ticket (two commits on it in a row) take turns.
    await session.execute(
        sa.text(
            "SELECT pg_advisory_xact_lock(hashtextextended(t::text, 20120)) FROM unnest(CAST(:ids AS uuid[])) t ORDER BY t"
        ),
        {"ids": ids},
    )
    derived = await derive_tickets(session, settings, ids, now)
    stored = (await session.execute(sa.select(MetricSample).where(MetricSample.ticket_id.in_(ids)))).scalars()
    existing: dict[tuple[uuid.UUID, str, str], MetricSample] = {
        (s.ticket_id, s.metric, s.key): s for s in stored
    }
    inserts: list[dict[str, Any]] = []
    deletes: list[int] = []
    days: set[date] = set()
    changes: list[Change] = []
    for ticket_id in ids:
        for sample in derived.get(ticket_id, []):
            old = existing.pop((ticket_id, sample.metric, sample.key), None)
            new = _row(ticket_id, sample)
            if old is not None and _stored_identity(old) == sample.identity():
                if not force:
                    continue
                if _audited(old) == _audited(new) and old.day == sample.day:
                    continue
            if old is not None:
                deletes.append(old.id)
                days.add(old.day)
            if force or old is None:
                changes.append(
                    Change(
                        ticket_id, sample.metric, sample.key, _audited(old) if old else None, _audited(new)
                    )
                )
            inserts.append({**new, "recorded_at": now})
            days.add(sample.day)
    for (ticket_id, metric, key), old in existing.items():
        deletes.append(old.id)
        days.add(old.day)
        changes.append(Change(ticket_id, metric, key, _audited(old), None))
    if deletes:
        await session.execute(
            sa.delete(MetricSample)
            .where(MetricSample.id.in_(deletes))
            .execution_options(synchronize_session=False)
        )
    if inserts:
        await session.execute(sa.insert(MetricSample.__table__), inserts)
    if days:
        await roll_up(session, sorted(days))
    return changes


async def roll_up(session: AsyncSession, days: Sequence[date] | None = None) -> None:
    """Sum the samples of ``days`` (every day when ``None``) into ``metric_daily`` again."""
    # One summing at a time: two drains rewriting overlapping days in different orders would
    # deadlock on the rows they delete. Held to the commit, which is what makes each sum whole.
    await session.execute(sa.text("SELECT pg_advisory_xact_lock(20121)"))
    s = MetricSample
    dims = [getattr(s, name) for name in ROLLUP_DIMENSIONS]
    delete = sa.delete(MetricDaily)
    query = sa.select(
        s.day,
        *dims,
        sa.func.count(),
        sa.func.coalesce(sa.func.sum(s.calendar_seconds), 0.0),
        sa.func.coalesce(sa.func.sum(s.business_seconds), 0.0),
        sa.func.max(s.calendar_seconds),
        sa.func.max(s.business_seconds),
        sa.func.count().filter(s.within_target.is_(True)),
        sa.func.count(s.within_target),
        sa.func.coalesce(sa.func.sum(s.rating), 0),
        sa.func.count().filter(s.rating >= GOOD_RATING),
    ).group_by(s.day, *dims)
    if days is not None:
        delete = delete.where(MetricDaily.day.in_(days))
        query = query.where(s.day.in_(days))
    await session.execute(delete)
    columns = ["day", *ROLLUP_DIMENSIONS, "n", "calendar_sum", "business_sum", "calendar_max", "business_max"]
    columns += ["within", "with_target", "rating_sum", "rating_good"]
    await session.execute(
        sa.insert(MetricDaily).from_select(columns, query),
    )


async def rebuild(
    hub: Hub,
    actor: Actor,
    *,
    calendar: str | None = None,
    ticket_ids: Iterable[uuid.UUID] | None = None,
    batch: int = BATCH,
    reason: str | None = None,
) -> dict[str, int]:
    """Derive every ticket's samples again (or those of one calendar's tickets), audited.

    Each changed sample leaves an audit line with its old and new values; one line sums the run.
    """
    counts = {"tickets": 0, "changed": 0, "added": 0, "removed": 0}
    after: uuid.UUID | None = None
    wanted = sorted(set(ticket_ids)) if ticket_ids is not None else None
    while True:
        async with hub.uow() as uow:
            session = uow.session
            if wanted is not None:
                ids = [i for i in wanted if after is None or i > after][:batch]
            else:
                query = sa.select(Ticket.id).order_by(Ticket.id).limit(batch)
                if after is not None:
                    query = query.where(Ticket.id > after)
                ids = list(await session.scalars(query))
            if not ids:
                break
            after = ids[-1]
            if calendar is not None:
                facts = await facts_for(session, ids)
                ids = [i for i, f in facts.items() if (f.calendar or names.DEFAULT) == calendar]
            now = hub.clock.now()
            changes = await refresh(session, hub.settings, ids, now, force=True)
            counts["tickets"] += len(ids)
            rows = []
            for change in changes:
                if change.before is None:
                    counts["added"] += 1
                elif change.after is None:
                    counts["removed"] += 1
                else:
                    counts["changed"] += 1
                if change.before is not None:
                    rows.append(
                        {
                            "at": now,
                            "actor_user_id": actor.user_id,
                            "actor_kind": actor.kind,
                            "action": "metric_sample.recomputed",
                            "subject_type": "ticket",
                            "subject_id": str(change.ticket_id),
                            "before": {"metric": change.metric, "key": change.key, **_json(change.before)},
                            "after": {
                                "metric": change.metric,
                                "key": change.key,
                                **_json(change.after or {}),
                            },
                            "reason": reason,
                        }
                    )
            if rows:
                await session.execute(sa.insert(AuditEvent), rows)
            await uow.commit()
    async with hub.uow() as uow:
        await roll_up(uow.session)
        uow.session.add(
            AuditEvent(
                at=hub.clock.now(),
                actor_user_id=actor.user_id,
                actor_kind=actor.kind,
                action="metrics.rebuilt",
                subject_type="metrics",
                subject_id=calendar or "all",
                after=dict(counts),
                reason=reason,
            )
        )
        await uow.commit()
    return counts


def _json(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, datetime | date) else v for k, v in values.items()}
