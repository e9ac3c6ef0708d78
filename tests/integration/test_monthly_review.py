"""The monthly review (沟通复盘): its figures from a month of imported history, and ``hub report
monthly`` run in this process, in both languages, as HTML and as a PDF whose text is read back."""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime

import pytest
from pypdf import PdfReader

from hub.actors import CLI
from hub.domain import ChannelKind, OrganizationKind, Role
from hub.errors import Forbidden
from hub.reporting import monthly
from tests import factories

pytestmark = [pytest.mark.anyio, pytest.mark.integration]

AGENT = "mei@example.test"


def _line(**fields) -> str:
    return json.dumps(fields, ensure_ascii=False)


def _conversation(ref: str, channel: str, contact: str, start: str, answer: str, rating: int, comment: str):
    """A question at ``start``, the agent's answer at ``answer``, resolved, surveyed and rated."""
    day = start[:10]
    return _line(
        ref=ref,
        channel=channel,
        subject=f"{ref} 订单查询",
        contact={"identity": contact},
        team="客服组",
        events=[
            {"at": f"{day}T{start[11:]}+08:00", "kind": "customer_message", "text": "我的订单到哪了"},
            {"at": f"{day}T{answer}+08:00", "kind": "agent_message", "by": AGENT, "text": "已为您查询"},
            {"at": f"{day}T16:00:00+08:00", "kind": "resolved", "by": AGENT},
            {"at": f"{day}T16:01:00+08:00", "kind": "csat_sent", "channel": channel},
            {"at": f"{day}T16:30:00+08:00", "kind": "csat_response", "rating": rating, "comment": comment},
        ],
    )


HISTORY = [
    # November 2026: a chat answered after 12 minutes (the 3-minute promise breached), an e-mail
    # within the day (met); one unhappy and one happy client.
    _conversation("nov-chat", "webchat", "visitor-9", "2026-11-03T10:00:00", "10:12:00", 2, "回复太慢了"),
    _conversation("nov-mail", "email", "buyer@example.com", "2026-11-04T09:00:00", "11:00:00", 5, "很满意"),
    # October: a chat answered within a minute, for the trend.
    _conversation("oct-chat", "webchat", "visitor-8", "2026-10-13T10:00:00", "10:01:00", 4, "不错"),
]


@pytest.fixture
async def history(hub, invoke_cli, tmp_path):
    team = await factories.team(hub, name="客服组")
    await factories.user(hub, Role.AGENT, team_id=team.id, email=AGENT)
    for kind in (ChannelKind.WEBCHAT, ChannelKind.EMAIL):
        await factories.channel(hub, kind, team_id=team.id)
    await factories.organization(hub, kind=OrganizationKind.PARTNER)
    path = tmp_path / "history.jsonl"
    path.write_text("\n".join(HISTORY) + "\n", encoding="utf-8")
    done = await invoke_cli("import", "history", str(path), "--json")
    assert json.loads(done.out.splitlines()[-1])["imported"] == 3, done.out + done.err


async def test_the_review_counts_the_month_and_compares_it_with_the_one_before(hub, history) -> None:
    async with hub.uow() as uow:
        review = await monthly.build(uow.session, CLI, date(2026, 11, 1), now=datetime.now(UTC))
    promises = {p.key: p for p in review.promises}
    chat, mail = promises["chat_response"], promises["written_response"]
    # First response and next response: each breached wait and each met one counts.
    assert chat.breached >= 1 and chat.met == 0 and chat.percent == 0.0
    assert chat.previous_percent == 100.0
    assert mail.met >= 1 and mail.breached == 0 and mail.percent == 100.0
    assert [b.subject for b in review.worst_breaches][:1] == ["nov-chat 订单查询"]
    assert review.worst_breaches[0].late_seconds >= 9 * 60
    csat = review.satisfaction
    assert (csat.sent, csat.responses, csat.score_percent, csat.mean) == (2, 2, 50.0, 3.5)
    assert csat.previous_score_percent == 100.0
    assert [c.comment for c in csat.comments] == ["很满意", "回复太慢了"]
    assert (review.volumes.created, review.volumes.previous_created) == (2, 1)
    assert len(review.partners) == 1 and {m.name for m in review.partners[0].measures} >= {"on_time_delivery"}
    assert not review.is_empty


async def test_an_agent_may_not_build_a_review(hub) -> None:
    agent = await factories.user(hub, Role.AGENT)
    async with hub.uow() as uow:
        with pytest.raises(Forbidden):
            await monthly.build(uow.session, factories.actor(agent), date(2026, 11, 1), now=datetime.now(UTC))


async def test_the_pdf_embeds_its_chinese_font_prints_on_a4_and_reads_back(
    history, invoke_cli, tmp_path
) -> None:
    out = tmp_path / "review.pdf"
    done = await invoke_cli("report", "monthly", "--month", "2026-11", "--format", "pdf", "-o", str(out))
    assert done.code == 0, done.err
    reader = PdfReader(io.BytesIO(out.read_bytes()))
    text = "\n".join(page.extract_text() for page in reader.pages)
    for expected in (
        "2026-11 沟通复盘",
        "在线咨询、电话、微信 3 分钟内响应",
        "回复太慢了",
        "客户满意度",
        "投诉升级与解决率",
    ):
        assert expected in text, expected
    assert "nov-chat 订单查询" in text and "合作方交付与质量评分" in text
    first = reader.pages[0]
    assert (round(float(first.mediabox.width)), round(float(first.mediabox.height))) == (595, 842)
    fonts = [
        font.get_object()
        for page in reader.pages
        for font in page["/Resources"]["/Font"].values()  # type: ignore[union-attr]
    ]
    embedded = [
        f for f in fonts if "/DescendantFonts" in f or "/FontDescriptor" in f
    ]  # a TrueType subset: Type0 with a descendant, or a simple TrueType font
    assert embedded, fonts
    descriptors = []
    for font in embedded:
        parts = [d.get_object() for d in font.get("/DescendantFonts", [])] or [font]
        descriptors += [p["/FontDescriptor"].get_object() for p in parts]
    assert any("/FontFile2" in d for d in descriptors), descriptors
    assert all("HubReportSansSC" in str(f["/BaseFont"]) for f in embedded)


async def test_the_html_review_in_english_and_chinese(history, invoke_cli, tmp_path) -> None:
    english = await invoke_cli("report", "monthly", "--month", "2026-11", "--lang", "en")
    assert english.code == 0, english.err
    page = english.out
    assert "Monthly review 2026-11" in page and "Chat, phone and WeChat answered within 3 minutes" in page
    assert "The plan&#39;s target: at least 95 %" in page or "The plan's target: at least 95 %" in page
    assert "回复太慢了" in page and "/tickets/" in page
    out = tmp_path / "review.html"
    chinese = await invoke_cli("report", "monthly", "--month", "2026-11", "--format", "html", "-o", str(out))
    assert chinese.code == 0
    saved = out.read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in saved and "2026-11 沟通复盘" in saved and "<script" not in saved


async def test_a_bad_month_is_refused(invoke_cli) -> None:
    done = await invoke_cli("report", "monthly", "--month", "2026-13")
    assert done.code == 2 and "YYYY-MM" in done.err


async def test_the_demo_has_a_review_of_its_last_full_month(hub) -> None:
    from zoneinfo import ZoneInfo

    from hub.demo import seed_demo

    await seed_demo(hub)
    now = datetime.now(UTC)
    month = monthly.last_full_month(now.astimezone(ZoneInfo("Asia/Shanghai")).date())
    async with hub.uow() as uow:
        review = await monthly.build(uow.session, CLI, month, now=now)
    assert not review.is_empty
    assert review.volumes.created >= 5 and review.satisfaction.responses > 0
    assert sum(p.met + p.breached for p in review.promises) >= 5
    assert review.partners, "the demo's partners have their scorecards"
