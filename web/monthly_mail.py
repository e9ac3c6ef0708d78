"""The monthly review mailed to every active supervisor: the HTML review as the body, the A4 PDF
attached, each in the reader's language and time zone (the worker's cron, once per month:
:mod:`hub.reporting.monthly_mailing` decides when and records it).

The review is built once; it is rendered once per language and zone among the readers."""

from __future__ import annotations

import logging
import zoneinfo
from datetime import date

from channels.email.notify import EmailNotificationMailer
from hub.actors import SYSTEM
from hub.core import Hub
from hub.i18n import negotiate
from hub.reporting import monthly, monthly_mailing
from web import monthly_review
from web.pages.text import Translator

log = logging.getLogger(__name__)


def _zone(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("Asia/Shanghai")


def summary_text(review: monthly.MonthlyReview, locale: str, zone: zoneinfo.ZoneInfo) -> str:
    """The plain-text body beside the HTML one: the headline figures, the rest in the PDF."""
    t = Translator(locale)
    f = monthly_review.Formats(t, zone, "")
    lines = [t("mr.heading", month=review.label), ""]
    lines += [f"{t('mr.promise.' + p.key)}: {f.percent(p.percent)}" for p in review.promises]
    s, e = review.satisfaction, review.escalations
    lines += [
        f"{t('mr.csat.score')}: {f.percent(s.score_percent)}",
        f"{t('mr.csat.rate')}: {f.percent(s.response_rate_percent)}",
        f"{t('mr.esc.rate')}: {f.percent(e.rate_percent)}",
        f"{t('mr.req.fulfilment')}: {f.percent(review.requirements.fulfilment_percent)}",
    ]
    return "\n".join(lines) + "\n"


async def send(hub: Hub, month: date) -> int:
    """Mail ``month``'s review to the active supervisors; how many were mailed."""
    async with hub.uow() as uow:
        review = await monthly.build(uow.session, SYSTEM, month, now=hub.clock.now())
        readers = await monthly_mailing.supervisors(uow.session)
    mailer = EmailNotificationMailer(hub)
    base_url = hub.settings.base_url
    rendered: dict[tuple[str, str], tuple[str, str, bytes]] = {}
    mailed = failed = 0
    for reader in readers:
        locale = negotiate(reader.locale)
        key = (locale, reader.time_zone)
        if key not in rendered:
            zone = _zone(reader.time_zone)
            rendered[key] = (
                summary_text(review, locale, zone),
                monthly_review.render_html(review, locale, zone, base_url=base_url),
                monthly_review.render_pdf(review, locale, zone, base_url=base_url),
            )
        text, html, pdf = rendered[key]
        try:
            if await mailer.send_report(
                to=reader.email,
                subject=Translator(locale)("mr.mail_subject", month=review.label),
                text=text,
                html=html,
                attachment=(f"monthly-review-{review.label}.pdf", pdf),
            ):
                mailed += 1
        except Exception:
            # One refused address does not keep the review from the others.
            log.exception("monthly review %s not mailed to %s", review.label, reader.email)
            failed += 1
    if failed and not mailed:
        raise RuntimeError(f"monthly review {review.label}: no supervisor could be mailed")
    return mailed


async def mail_due_review(hub: Hub) -> int:
    """The worker's tick: mail the review that is due, once; 0 when none is due or it went already.
    While no mailbox sends notifications the month is not claimed: it goes once one does."""
    if not await EmailNotificationMailer(hub).can_send():
        return 0
    month = await monthly_mailing.claim(hub)
    if month is None:
        return 0
    try:
        mailed = await send(hub, month)
    except Exception:
        await monthly_mailing.release(hub, month)
        raise
    await monthly_mailing.sent(hub, month, mailed)
    log.info("monthly review %s mailed to %d supervisor(s)", f"{month:%Y-%m}", mailed)
    return mailed
