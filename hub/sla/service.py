"""Each ticket's stored clocks, kept equal to what its event log says.

Use-cases call :func:`refresh` once, after appending their events and before committing, so the
stored due times change in the same transaction as the events that move them. The sweep and
``hub sla recompute`` evaluate whole batches through the same :class:`SlaContext`, so there is one
way to turn a log into stored clocks.

Locking: the ``ticket_sla`` row is locked before the log is read. The sweep takes the same lock
(skipping rows a use-case holds), so a reply and a sweep never write the same row from two
different readings of the log.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from hub import bulk
from hub.calendars import names
from hub.calendars import service as calendars
from hub.calendars.durations import parse_duration
from hub.calendars.model import Calendar
from hub.config import Settings
from hub.core import Hub
from hub.domain import (
    ChannelKind,
    DeliveryStatus,
    PlaybookRunStatus,
    Priority,
    Scenario,
    TicketEventKind,
    Tier,
)
from hub.errors import NotFound
from hub.models import Message, Organization, PlaybookRun, PlaybookVersionRow, Ticket, TicketEvent, TicketSla
from hub.sla.alerts import Alert, next_due, pending_alerts
from hub.sla.clock import CLOCK_EVENTS, ClockState, compute_clocks
from hub.sla.escalation import Step, next_step_due, owed_steps
from hub.sla.policies import active_rules
from hub.sla.policy_choice import PolicyRule, SlaTargets, choose_policy
from hub.sla.targets import Target
from hub.uow import UnitOfWork

log = logging.getLogger(__name__)

BATCH = 500
_NO_TARGETS = SlaTargets()
_CLOCK_KINDS = [k.value for k in CLOCK_EVENTS]


@dataclass(frozen=True)
class TicketFacts:
    """What choosing a policy and a calendar needs to know about a ticket."""

    ticket_id: uuid.UUID
    channel_kind: ChannelKind
    priority: Priority
    tier: Tier | None
    calendar: str
    scenario: Scenario = Scenario.INQUIRY
    escalation_level: int = 0
    #: The primary playbook running on the ticket and its ``sla`` section: its targets replace the
    #: policy's while it runs (``hub.playbooks``).
    playbook: str | None = None
    playbook_sla: dict[str, Any] | None = None


@dataclass(frozen=True)
class Evaluation:
    facts: TicketFacts
    rule: PolicyRule | None
    calendar: Calendar
    state: ClockState
    #: Alerts owed and not yet recorded, earliest first.
    alerts: list[Alert]
    #: Escalation levels owed (complaints only), lowest first.
    escalations: list[Step] = field(default_factory=list)


@dataclass(frozen=True)
class ClockInput:
    kind: TicketEventKind
    at: datetime


class SlaContext:
    """The policies and calendars of one transaction, loaded once for a whole batch of tickets."""

    def __init__(self, session: AsyncSession, rules: list[PolicyRule], warning_lead: float) -> None:
        self.session = session
        self.rules = rules
        self.warning_lead = warning_lead
        self._calendars: dict[str, Calendar] = {}

    @classmethod
    async def load(cls, session: AsyncSession, settings: Settings) -> SlaContext:
        return cls(session, await active_rules(session), settings.sla_warning_lead_percent / 100)

    async def calendar(self, name: str) -> Calendar:
        """The named calendar; a name that no longer exists falls back to ``cn`` rather than
        failing the ingest or reply that asked."""
        found = self._calendars.get(name)
        if found is None:
            try:
                found = await calendars.calendar_in(self.session, name)
            except NotFound:
                log.warning("calendar %r not found; SLA clocks use %r", name, names.DEFAULT)
                found = await calendars.calendar_in(self.session, names.DEFAULT)
            self._calendars[name] = found
        return found

    async def evaluate(
        self, facts: TicketFacts, events: Sequence[ClockInput], recorded: set[str], now: datetime
    ) -> Evaluation:
        return self.evaluate_on(await self.calendar(facts.calendar), facts, events, recorded, now)

    def evaluate_on(
        self,
        calendar: Calendar,
        facts: TicketFacts,
        events: Sequence[ClockInput],
        recorded: set[str],
        now: datetime,
    ) -> Evaluation:
        """:meth:`evaluate` on a calendar already loaded: it never waits on the database, so it can
        run while the same connection carries another statement (the ingest engine's writes)."""
        rule = with_playbook(
            choose_policy(
                self.rules, channel_kind=facts.channel_kind, priority=facts.priority, tier=facts.tier
            ),
            facts,
        )
        targets = rule.targets if rule is not None else _NO_TARGETS
        try:
            state = compute_clocks(events, targets, calendar, now, warning_lead=self.warning_lead)
        except (ValueError, OverflowError):
            # A calendar an administrator broke (no working time for ten years) must not stop the
            # ingest or reply that asked: the ticket goes without clocks, loudly, until it is fixed.
            log.exception(
                "SLA clocks of ticket %s cannot be computed on calendar %r", facts.ticket_id, calendar.name
            )
            rule, state = None, compute_clocks(events, _NO_TARGETS, calendar, now)
        escalations = []
        if facts.scenario is Scenario.COMPLAINT:
            try:
                escalations = owed_steps(
                    state, calendar, current_level=facts.escalation_level, recorded=recorded
                )
            except (ValueError, OverflowError):
                log.exception(
                    "escalation of ticket %s cannot be computed on %r", facts.ticket_id, calendar.name
                )
        return Evaluation(facts, rule, calendar, state, pending_alerts(state, recorded), escalations)


def with_playbook(rule: PolicyRule | None, facts: TicketFacts) -> PolicyRule | None:
    """The policy with a running playbook's targets in place of its own (a complaint answered
    within 3 business minutes on chat, resolved within 3 business days); named after the playbook
    so the ticket's SLA panel says where the promise comes from."""
    sla = facts.playbook_sla
    if not sla:
        return rule
    first = sla.get("first_response")
    if isinstance(first, dict):
        first = first.get(facts.channel_kind.value)
    base = rule.targets if rule is not None else _NO_TARGETS
    targets = SlaTargets(
        first_response=parse_duration(first) if first else base.first_response,
        next_response=parse_duration(sla["next_response"])
        if sla.get("next_response")
        else base.next_response,
        resolution=parse_duration(sla["resolution"]) if sla.get("resolution") else base.resolution,
    )
    return PolicyRule(
        name=f"playbook:{facts.playbook}"[:120], targets=targets, id=rule.id if rule is not None else None
    )


def stored_values(
    evaluation: Evaluation,
    now: datetime,
    *,
    owed: Sequence[Alert] | None = None,
    escalations: Sequence[Step] | None = None,
) -> dict[str, Any]:
    """An evaluation as the clock row's columns (:data:`STORED_COLUMNS`); ``owed`` and
    ``escalations`` are the alerts and escalation levels still to come (default: all pending ones)."""
    state, rule = evaluation.state, evaluation.rule
    owed = evaluation.alerts if owed is None else owed
    escalations = evaluation.escalations if escalations is None else escalations
    values: dict[str, Any] = {
        "policy_id": rule.id if rule is not None else None,
        "policy_name": rule.name if rule is not None else None,
        "calendar": evaluation.calendar.name,
        "cycle": state.cycle,
        "paused_since": state.paused_since,
        "waiting_since": state.waiting_since,
    }
    for target in Target:
        clock = state.latest(target)
        values[f"{target}_state"] = clock.state if clock else None
        values[f"{target}_due_at"] = clock.due_at if clock else None
        values[f"{target}_at"] = clock.met_at if clock else None
        values[f"{target}_breached_at"] = clock.breached_at if clock else None
    escalation_due_at = next_step_due(escalations)
    values["breached"] = state.breached
    values["warning_at"] = next_due(a for a in owed if a.kind is TicketEventKind.SLA_WARNING)
    values["escalation_due_at"] = escalation_due_at
    values["next_due_at"] = min(
        (at for at in (next_due(owed), escalation_due_at) if at is not None), default=None
    )
    values["updated_at"] = now
    return values


#: Every column :func:`stored_values` sets: the whole row but its key.
STORED_COLUMNS: tuple[str, ...] = tuple(c.name for c in TicketSla.__table__.columns if c.name != "ticket_id")


def write(
    row: TicketSla,
    evaluation: Evaluation,
    now: datetime,
    *,
    owed: Sequence[Alert] | None = None,
    escalations: Sequence[Step] | None = None,
) -> None:
    """Store an evaluation on a loaded clock row (see :func:`stored_values`)."""
    for column, value in stored_values(evaluation, now, owed=owed, escalations=escalations).items():
        setattr(row, column, value)


# -- loading ---------------------------------------------------------------------------------------


async def facts_for(session: AsyncSession, ticket_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, TicketFacts]:
    rows = await session.execute(
        sa.select(
            Ticket.id,
            Ticket.channel_kind,
            Ticket.priority,
            Organization.tier,
            Organization.calendar,
            Ticket.scenario,
            Ticket.escalation_level,
        )
        .outerjoin(Organization, Organization.id == Ticket.organization_id)
        .where(bulk.any_of(Ticket.id, ticket_ids))
    )
    running = {
        ticket_id: (playbook_id, sla)
        for ticket_id, playbook_id, sla in await session.execute(
            sa.select(PlaybookRun.ticket_id, PlaybookRun.playbook_id, PlaybookVersionRow.document["sla"])
            .join(PlaybookVersionRow, PlaybookVersionRow.digest == PlaybookRun.digest)
            .where(
                bulk.any_of(PlaybookRun.ticket_id, ticket_ids),
                PlaybookRun.is_primary,
                PlaybookRun.status == PlaybookRunStatus.ACTIVE,
            )
        )
    }
    return {
        row.id: TicketFacts(
            row.id,
            row.channel_kind,
            row.priority,
            row.tier,
            row.calendar or names.DEFAULT,
            row.scenario,
            row.escalation_level,
            *running.get(row.id, (None, None)),
        )
        for row in rows
    }


async def events_for(
    session: AsyncSession, ticket_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[ClockInput]]:
    """The log's clock events, less the responses that never reached the client.

    A reply answers the client from when the agent sent it while it is on its way (queued, sending)
    and once the channel accepted it; one whose delivery failed for good (at sending time, or
    reported later, as a bounce) answered nobody, so its ``human_response`` is left out, and the
    clock it had stopped runs again as if it had never been sent. Delivery calls :func:`refresh`
    when it records such a failure.
    """
    # Only responses look their message up (by primary key): the rest of the log joins nothing.
    reply = sa.and_(TicketEvent.kind == TicketEventKind.HUMAN_RESPONSE, Message.id == TicketEvent.message_id)
    rows = await session.execute(
        sa.select(TicketEvent.ticket_id, TicketEvent.kind, TicketEvent.at)
        .outerjoin(Message, reply)
        .where(bulk.any_of(TicketEvent.ticket_id, ticket_ids), TicketEvent.kind.in_(_CLOCK_KINDS))
        .where(Message.delivery_status.is_distinct_from(DeliveryStatus.FAILED))
        .order_by(TicketEvent.ticket_id, TicketEvent.at, TicketEvent.id)
    )
    found: dict[uuid.UUID, list[ClockInput]] = defaultdict(list)
    for ticket_id, kind, at in rows:
        found[ticket_id].append(ClockInput(kind, at))
    return found


async def recorded_for(session: AsyncSession, ticket_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, set[str]]:
    rows = await session.execute(
        sa.select(TicketEvent.ticket_id, TicketEvent.dedupe_key).where(
            bulk.any_of(TicketEvent.ticket_id, ticket_ids), TicketEvent.dedupe_key.is_not(None)
        )
    )
    found: dict[uuid.UUID, set[str]] = defaultdict(set)
    for ticket_id, key in rows:
        assert key is not None  # selected by dedupe_key IS NOT NULL
        found[ticket_id].add(key)
    return found


async def lock_rows(session: AsyncSession, ticket_ids: Sequence[uuid.UUID]) -> list[TicketSla]:
    """The tickets' clock rows, created if missing, locked (waiting for a sweep that holds one)."""
    await session.execute(
        insert(TicketSla).values([{"ticket_id": i} for i in ticket_ids]).on_conflict_do_nothing()
    )
    rows = await session.scalars(
        sa.select(TicketSla)
        .where(TicketSla.ticket_id.in_(ticket_ids))
        .order_by(TicketSla.ticket_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return list(rows)


async def evaluate_rows(
    context: SlaContext, rows: Sequence[TicketSla], now: datetime
) -> list[tuple[TicketSla, Evaluation]]:
    """Evaluate locked rows from their tickets' logs (three queries for the whole batch)."""
    by_ticket = {row.ticket_id: row for row in rows}
    return [(by_ticket[i], e) for i, e in await evaluate_tickets(context, list(by_ticket), now)]


async def evaluate_tickets(
    context: SlaContext, ticket_ids: Sequence[uuid.UUID], now: datetime
) -> list[tuple[uuid.UUID, Evaluation]]:
    """Evaluate tickets (whose clock rows the caller holds) from their logs, in the order given."""
    facts = await facts_for(context.session, ticket_ids)
    events = await events_for(context.session, ticket_ids)
    recorded = await recorded_for(context.session, ticket_ids)
    return [
        (i, await context.evaluate(facts[i], events[i], recorded[i], now)) for i in ticket_ids if i in facts
    ]


# -- use-cases -------------------------------------------------------------------------------------


async def refresh(uow: UnitOfWork, ticket: Ticket) -> ClockState:
    """Bring the ticket's stored clocks up to date with the events this transaction appended."""
    session = uow.session
    await session.flush()
    now = uow.hub.clock.now()
    context = await SlaContext.load(session, uow.hub.settings)
    (row,) = await lock_rows(session, [ticket.id])
    ((_, evaluation),) = await evaluate_rows(context, [row], now)
    write(row, evaluation, now)
    return evaluation.state


async def recompute(hub: Hub, *, ticket_number: int | None = None, batch: int = BATCH) -> int:
    """Rebuild stored clocks from the event log: one ticket, or every ticket. Returns how many.

    Warnings and breaches already recorded stay recorded; ones now owed are left to the sweep.
    """
    done, after = 0, None
    while True:
        async with hub.uow() as uow:
            query = sa.select(Ticket.id).order_by(Ticket.id).limit(batch)
            if ticket_number is not None:
                query = query.where(Ticket.number == ticket_number)
            if after is not None:
                query = query.where(Ticket.id > after)
            ids = list(await uow.session.scalars(query))
            if not ids:
                if ticket_number is not None and done == 0:
                    raise NotFound(what="ticket")
                return done
            now = hub.clock.now()
            context = await SlaContext.load(uow.session, hub.settings)
            for row, evaluation in await evaluate_rows(context, await lock_rows(uow.session, ids), now):
                write(row, evaluation, now)
            await uow.commit()
        done += len(ids)
        after = ids[-1]


async def clocks_of(hub: Hub, ticket_id: uuid.UUID) -> TicketSla | None:
    async with hub.uow() as uow:
        return await uow.session.get(TicketSla, ticket_id)
