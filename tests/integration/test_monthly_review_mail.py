"""The monthly review mailed to supervisors on the first working day of the month (China's calendar),
once, through a real SMTP server on loopback."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from hub.domain import Role
from hub.models import MonthlyReviewMailing, User
from tests import factories
from tests.email_helpers import mailbox
from tests.smtp_sink import SmtpSink
from web import monthly_mail, worker

pytestmark = [pytest.mark.anyio, pytest.mark.integration]


@pytest.fixture
async def sink() -> AsyncIterator[SmtpSink]:
    server = await SmtpSink().start()
    yield server
    await server.close()


async def _supervisor(hub, email: str, locale: str) -> None:
    person = await factories.user(hub, Role.SUPERVISOR, email=email)
    async with hub.uow() as uow:
        (await uow.session.get(User, person.id)).locale = locale
        await uow.commit()


async def test_the_review_goes_once_on_the_first_working_day_after_national_day(
    clocked_hub, clock, sink
) -> None:
    hub = clocked_hub
    await _supervisor(hub, "zhou@hub.example", "zh-CN")
    await _supervisor(hub, "grace@hub.example", "en")
    await factories.user(hub, Role.AGENT, email="agent@hub.example")
    # 2026-10-07 10:00 in Shanghai: still the National Day holiday, and no mailbox sends yet.
    clock.at = datetime(2026, 10, 7, 2, 0, tzinfo=UTC)
    assert await monthly_mail.mail_due_review(hub) == 0
    await mailbox(
        hub,
        "alerts@hub.example",
        notifications=True,
        smtp_host="127.0.0.1",
        smtp_port=sink.port,
        smtp_tls="none",
    )
    assert await monthly_mail.mail_due_review(hub) == 0 and sink.received == []
    # 2026-10-08, the first workday of October: not before the working day starts (09:00)...
    clock.at = datetime(2026, 10, 8, 0, 30, tzinfo=UTC)
    assert await monthly_mail.mail_due_review(hub) == 0 and sink.received == []
    # ...then the September review goes to each supervisor, in their language.
    clock.at = datetime(2026, 10, 8, 1, 30, tzinfo=UTC)
    assert await monthly_mail.mail_due_review(hub) == 2
    mails = {r.rcpt_tos[0]: r.message for r in sink.received}
    assert set(mails) == {"zhou@hub.example", "grace@hub.example"}
    assert str(mails["zhou@hub.example"]["Subject"]) == "2026-09 沟通复盘"
    assert str(mails["grace@hub.example"]["Subject"]) == "Monthly review 2026-09"
    chinese = mails["zhou@hub.example"]
    html = chinese.get_body(("html",)).get_content()
    assert "2026-09 沟通复盘" in html and "<script" not in html
    assert "在线咨询、电话、微信 3 分钟内响应" in chinese.get_body(("plain",)).get_content()
    (attachment,) = list(chinese.iter_attachments())
    assert attachment.get_filename() == "monthly-review-2026-09.pdf"
    pdf = PdfReader(io.BytesIO(attachment.get_content()))
    assert "2026-09 沟通复盘" in pdf.pages[0].extract_text()
    # Once per month: later ticks, and a worker started again, send nothing more.
    clock.advance(hours=3)
    assert await monthly_mail.mail_due_review(hub) == 0
    clock.at = datetime(2026, 10, 20, 3, 0, tzinfo=UTC)
    assert await monthly_mail.mail_due_review(hub) == 0
    assert len(sink.received) == 2
    async with hub.uow() as uow:
        (row,) = (await uow.session.scalars(sa.select(MonthlyReviewMailing))).all()
    assert row.month.isoformat() == "2026-09-01" and row.recipients == 2 and row.sent_at is not None


async def test_a_sender_that_died_after_claiming_is_taken_over_and_the_worker_runs_it(
    clocked_hub, clock, sink
) -> None:
    hub = clocked_hub
    await _supervisor(hub, "zhou@hub.example", "zh-CN")
    await mailbox(
        hub,
        "alerts@hub.example",
        notifications=True,
        smtp_host="127.0.0.1",
        smtp_port=sink.port,
        smtp_tls="none",
    )
    clock.at = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
    async with hub.uow() as uow:
        # Claimed by a worker that never stamped it (it crashed while mailing).
        uow.session.add(MonthlyReviewMailing(month=datetime(2026, 11, 1).date(), claimed_at=clock.at))
        await uow.commit()
    assert await monthly_mail.mail_due_review(hub) == 0, "a fresh claim is someone else's"
    clock.advance(minutes=31)
    assert await monthly_mail.mail_due_review(hub) == 1
    assert [r.rcpt_tos for r in sink.received] == [["zhou@hub.example"]]
    assert "cron:monthly_review_mail" in {job.name for job in worker.cron_jobs()}
