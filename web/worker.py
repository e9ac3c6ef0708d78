"""The arq worker: processes acknowledged pushes, delivers outbox rows, re-drives what lost its job,
sweeps SLA clocks (and complaint escalations), requirement feedback and hand-off deadlines, runs
the channels' follow-up work (WeChat media and profiles) and watches the IMAP mailboxes (one task
and thread per mailbox, started and stopped with the worker).

Jobs carry only ids (msgpack, not pickle). Transient failures come back from the hub as
:class:`hub.errors.RetryLater` and become ``arq.Retry``; arq's own try counter is set high because
the outbox row's attempt count, not arq's, decides when to give up.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from arq import Retry, Worker, cron
from arq.cron import CronJob
from arq.worker import func

from channels import catalogue
from channels.spec import Job
from hub import metrics, notifications
from hub.csat import surveys as csat_surveys
from hub.delivery import delivery
from hub.errors import HubError, RetryLater
from hub.intake import ingest
from hub.intake.ingest import PROCESS_JOB, redrive_received
from hub.playbooks import webhooks
from hub.portal import meetings
from hub.reporting import projection
from hub.requirements import followup_sweep
from hub.sla.sweep import sweep
from hub.tickets.tickets import DELIVER_JOB
from web import monthly_mail
from web.runtime import JOB_QUEUE, Runtime, job_deserializer, job_serializer

log = logging.getLogger(__name__)

REDRIVE_EVERY_SECONDS = {0, 15, 30, 45}
#: Batches one process_inbound job takes before leaving the rest to the next job, so a steady
#: stream cannot keep one job running into its timeout.
PROCESS_ROUNDS = 20
#: A 3-minute promise is noticed at most 30 s late; arq runs each tick on one worker only, and
#: ticks that overlap share the work through SKIP LOCKED.
SLA_SWEEP_EVERY_SECONDS = {0, 30}
#: Requirement feedback (3 business days) and hand-offs (2 business hours): interleaved with the
#: SLA sweep so the two do not start on the same tick.
FOLLOWUP_SWEEP_EVERY_SECONDS = {15, 45}
#: Satisfaction surveys that came due (after the admins' delay; a reopen cancels them): once a minute.
CSAT_SWEEP_EVERY_SECONDS = {20}
#: The metric projection: tickets whose logs grew are derived again about a second later, in
#: batches (hub.reporting.projection.drain); an idle tick is one statement on an empty queue.
METRICS_DRAIN_EVERY_SECONDS = set(range(60))
#: Partners' meeting series are checked once an hour for a meeting that passed and needs its next.
PORTAL_MEETINGS_MINUTE = {7}
#: The monthly review's mail to supervisors: checked twice an hour, sent once a month (the first
#: working day on China's calendar; :mod:`hub.reporting.monthly_mailing` records it).
MONTHLY_REVIEW_MINUTES = {12, 42}


async def deliver_outbox(ctx: dict[str, Any], outbox_id: str) -> str:
    runtime: Runtime = ctx["runtime"]
    try:
        return await delivery.deliver(runtime.hub, uuid.UUID(outbox_id))
    except RetryLater as exc:
        raise Retry(defer=exc.defer_seconds) from exc
    except Exception:
        metrics.JOB_FAILURES.labels(function=DELIVER_JOB).inc()
        log.exception("delivery job for outbox %s crashed; the sweeper will re-drive it", outbox_id)
        raise


async def process_inbound(ctx: dict[str, Any], raw_id: str) -> str:
    """Process a payload a push channel stored and acknowledged (``ingest.store``), together with
    whatever else its channel stored meanwhile, in batches (:func:`hub.intake.ingest.process_stored`)
    until nothing is left; what the channel wants next (WeChat: media, profile fetch) is queued by
    after each batch commits, by the subscriber of its ``MessageIngested`` events (:mod:`channels.catalogue`).

    Pushes share jobs (one per channel and tick, :data:`hub.intake.ingest.PROCESS_TICK_SECONDS`)
    and each job works in batches: one job and one transaction per push cost more CPU than a small
    machine has beside the web server at WeChat's busy rates. Returns this job's own
    payload's fate: ``processed`` (by this job), ``duplicate`` (already processed, usually by another
    job's batch) or ``failed``.
    """
    runtime: Runtime = ctx["runtime"]
    own = uuid.UUID(raw_id)
    fate = "duplicate"
    for _ in range(PROCESS_ROUNDS):
        batch = await ingest.process_stored(runtime.hub, own)
        if not batch.items:
            break
        for claimed_id, _, outcome in batch.items:
            if isinstance(outcome, HubError):
                # Kept as failed with its reason (``hub inbound failed`` / ``retry``); not an arq
                # retry: a processing bug would fail the same way again.
                log.warning("inbound %s failed to process: %s", claimed_id, outcome.params.get("error"))
                fate = "failed" if claimed_id == own else fate
                continue
            if claimed_id == own:
                fate = "duplicate" if outcome.duplicate else "processed"
    return fate


async def redrive_inbound(ctx: dict[str, Any]) -> int:
    runtime: Runtime = ctx["runtime"]
    return await redrive_received(runtime.hub)


def channel_job(kind: str, job: Job) -> Callable[..., Awaitable[Any]]:
    """A channel kind's job as arq runs it: with the kind's connection, and a pause to try again."""

    async def run(ctx: dict[str, Any], *args: Any) -> Any:
        runtime: Runtime = ctx["runtime"]
        connection = runtime.channels.connection(kind)
        try:
            return await job.run(connection, runtime.hub, ctx.get("job_try", 1), *args)
        except RetryLater as exc:
            raise Retry(defer=exc.defer_seconds) from exc

    run.__qualname__ = run.__name__ = job.name
    return run


async def redrive_outbox(ctx: dict[str, Any]) -> int:
    runtime: Runtime = ctx["runtime"]
    return await delivery.redrive(runtime.hub)


async def sla_sweep(ctx: dict[str, Any]) -> dict[str, int]:
    runtime: Runtime = ctx["runtime"]
    result = await sweep(runtime.hub)
    if result.tickets:
        log.info(
            "SLA sweep: %d ticket(s), %d warning(s), %d breach(es), %d escalation(s), %d notification(s)",
            result.tickets,
            result.warnings,
            result.breaches,
            result.escalations,
            result.notified,
        )
    return {
        "tickets": result.tickets,
        "warnings": result.warnings,
        "breaches": result.breaches,
        "escalations": result.escalations,
    }


async def playbook_webhook(ctx: dict[str, Any], webhook_id: str) -> str:
    """A playbook's signed webhook, first attempt right after the action committed."""
    runtime: Runtime = ctx["runtime"]
    return await webhooks.attempt(runtime.hub, uuid.UUID(webhook_id))


async def followups_sweep(ctx: dict[str, Any]) -> dict[str, int]:
    runtime: Runtime = ctx["runtime"]
    result = await followup_sweep.sweep(runtime.hub)
    retried = await webhooks.deliver_due(runtime.hub)  # playbooks' webhooks due another attempt
    if retried:
        log.info("playbook webhooks: %s", retried)
    if result.requirements or result.handoffs:
        log.info(
            "follow-up sweep: %d requirement(s), %d hand-off(s), %d warning(s), %d breach(es), %d notification(s)",
            result.requirements,
            result.handoffs,
            result.warnings,
            result.breaches,
            result.notified,
        )
    return {
        "requirements": result.requirements,
        "handoffs": result.handoffs,
        "quality_steps": result.rows.get("quality_step", 0),
        "date_proposals": result.rows.get("date_proposal", 0),
        "playbook_followups": result.rows.get("playbook_followup", 0),
        "playbook_webhooks": sum(retried.values()),
        "warnings": result.warnings,
        "breaches": result.breaches,
    }


async def csat_send(ctx: dict[str, Any], survey_id: str) -> str:
    """One survey due at once (web chat's default), right after the resolution committed."""
    runtime: Runtime = ctx["runtime"]
    result = await csat_surveys.send_due(runtime.hub, survey_id=uuid.UUID(survey_id))
    return "sent" if result.sent else "not sent" if result.not_sent else "cancelled or not due"


async def csat_sweep(ctx: dict[str, Any]) -> int:
    runtime: Runtime = ctx["runtime"]
    result = await csat_surveys.send_due(runtime.hub)
    if result.sent or result.not_sent or result.cancelled:
        log.info(
            "CSAT sweep: %d sent, %d not sent, %d cancelled", result.sent, result.not_sent, result.cancelled
        )
    return result.sent


async def portal_meetings(ctx: dict[str, Any]) -> int:
    """Each partner's meeting series gets its next meeting once the latest one has passed."""
    runtime: Runtime = ctx["runtime"]
    made = await meetings.make_due_meetings(runtime.hub)
    if made:
        log.info("portal meetings: %d next meeting(s) made", made)
    return made


async def monthly_review_mail(ctx: dict[str, Any]) -> int:
    runtime: Runtime = ctx["runtime"]
    return await monthly_mail.mail_due_review(runtime.hub)


async def metrics_drain(ctx: dict[str, Any]) -> int:
    """Derive the samples of every ticket whose log changed since (``hub.reporting.projection``)."""
    runtime: Runtime = ctx["runtime"]
    return await projection.drain(runtime.hub)


async def email_notification(ctx: dict[str, Any], notification_id: str) -> bool:
    runtime: Runtime = ctx["runtime"]
    return await notifications.email(runtime.hub, uuid.UUID(notification_id))


async def start_watchers(ctx: dict[str, Any]) -> None:
    """What the channel kinds keep running beside the worker (the IMAP mailboxes)."""
    runtime: Runtime = ctx["runtime"]
    watchers = []
    for kind in catalogue.KINDS:
        watch = runtime.channels.connection(kind).watch
        if watch is not None:
            watchers.append(watch(runtime.hub))
    ctx["watchers"] = watchers


async def stop_watchers(ctx: dict[str, Any]) -> None:
    for watcher in ctx.pop("watchers", []):
        await watcher.stop()


def cron_jobs() -> list[CronJob]:
    """The worker's periodic jobs (arq runs each tick on one worker only)."""
    return [
        cron(redrive_outbox, second=REDRIVE_EVERY_SECONDS, run_at_startup=True, timeout=60),
        cron(redrive_inbound, second=REDRIVE_EVERY_SECONDS, run_at_startup=True, timeout=60),
        cron(sla_sweep, second=SLA_SWEEP_EVERY_SECONDS, run_at_startup=True, timeout=300),
        cron(followups_sweep, second=FOLLOWUP_SWEEP_EVERY_SECONDS, run_at_startup=True, timeout=300),
        cron(csat_sweep, second=CSAT_SWEEP_EVERY_SECONDS, run_at_startup=True, timeout=120),
        cron(
            metrics_drain,
            name=projection.DRAIN_JOB,
            second=METRICS_DRAIN_EVERY_SECONDS,
            run_at_startup=True,
            timeout=300,
            keep_result=0,
        ),
        cron(portal_meetings, minute=PORTAL_MEETINGS_MINUTE, run_at_startup=True, timeout=120),
        cron(monthly_review_mail, minute=MONTHLY_REVIEW_MINUTES, run_at_startup=True, timeout=600),
    ]


def build_worker(
    runtime: Runtime,
    *,
    burst: bool = False,
    handle_signals: bool = True,
    crons: bool = True,
    mailboxes: bool | None = None,
) -> Worker:
    """Construct inside a running event loop (arq binds to it).

    ``mailboxes`` (default: with ``crons``, never in burst mode) also starts what the channel kinds
    keep running beside the worker (the IMAP mailboxes).
    """
    watch = (crons and not burst) if mailboxes is None else mailboxes
    return Worker(
        functions=[
            func(deliver_outbox, name=DELIVER_JOB, max_tries=1000, keep_result=0, timeout=60),
            func(email_notification, name=notifications.EMAIL_JOB, max_tries=5, keep_result=0, timeout=60),
            func(process_inbound, name=PROCESS_JOB, max_tries=3, keep_result=0, timeout=120),
            func(csat_send, name=csat_surveys.SEND_JOB, max_tries=3, keep_result=0, timeout=60),
            func(playbook_webhook, name=webhooks.JOB, max_tries=1, keep_result=0, timeout=60),
            *(
                func(
                    channel_job(kind.kind, job),
                    name=job.name,
                    max_tries=job.max_tries,
                    keep_result=0,
                    timeout=job.timeout_seconds,
                )
                for kind in catalogue.shipped()
                for job in kind.jobs
            ),
        ],
        cron_jobs=cron_jobs() if crons else [],
        on_startup=start_watchers if watch else None,
        on_shutdown=stop_watchers if watch else None,
        redis_pool=runtime.arq,
        queue_name=JOB_QUEUE,
        ctx={"runtime": runtime},
        burst=burst,
        handle_signals=handle_signals,
        job_serializer=job_serializer,
        job_deserializer=job_deserializer,
        health_check_interval=30,
        keep_result=60,
        poll_delay=0.2,
        max_jobs=20,
    )
