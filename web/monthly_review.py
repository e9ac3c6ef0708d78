"""The monthly review rendered: HTML (the one template the page, the file and the mail share) and an
A4 PDF with its Chinese font embedded.

ReportLab (BSD) lays the PDF out and embeds only the glyphs used, from the TrueType subset of Noto
Sans SC the repository ships (``web/fonts``, SIL OFL; ``tools/build_report_font.py`` makes it): a
Chinese reader's viewer needs no font of its own, and a printer gets A4 pages. Both renderers
read the same :class:`hub.reporting.monthly.MonthlyReview` fields through :class:`Formats`, so the
numbers in the PDF are the page's.

ReportLab and Jinja are imported when a review is rendered, not when the CLI starts.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime, tzinfo
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

from web.pages.text import Translator

if TYPE_CHECKING:
    from hub.reporting.monthly import MonthlyReview

HERE = Path(__file__).parent
FONT_FILE = HERE / "fonts" / "NotoSansSC-Subset.ttf"
FONT_NAME = "HubReportSansSC"
TEMPLATE = "monthly_review_doc.html"


@dataclass(frozen=True)
class Formats:
    """How the review's numbers read, in one place for the template and the PDF."""

    t: Translator
    zone: tzinfo
    base_url: str

    def percent(self, value: float | None) -> str:
        return "—" if value is None else f"{value:.1f}%"

    def change(self, now: float | None, before: float | None) -> str:
        """Percentage points against the previous month."""
        if now is None or before is None:
            return "—"
        diff = round(now - before, 1)
        return f"{diff:+.1f}" if diff else "±0"

    def count_change(self, now: int, before: int) -> str:
        return f"{now - before:+d}" if now != before else "±0"

    def late(self, seconds: float) -> str:
        """Lateness in business time: a reply due at the end of the working day and sent that
        evening is a breach by less than a minute of it, which "0 min" would deny."""
        if seconds < 60:
            return self.t("mr.under_a_minute")
        minutes = round(seconds / 60)
        if minutes < 60:
            return self.t("mr.minutes", n=minutes)
        return self.t("mr.hours", n=round(minutes / 60, 1))

    def when(self, at: datetime | None) -> str:
        return "—" if at is None else at.astimezone(self.zone).strftime("%Y-%m-%d %H:%M")

    def day(self, at: datetime | None) -> str:
        return "—" if at is None else at.astimezone(self.zone).strftime("%Y-%m-%d")

    def ticket_url(self, ticket_id: object) -> str:
        return f"{self.base_url}/tickets/{ticket_id}"

    def measure(self, value: float | None, unit: str) -> str:
        return "—" if value is None else f"{value}{'%' if unit == '%' else ' ' + unit}"


def context(review: MonthlyReview, locale: str, zone: tzinfo, base_url: str) -> dict[str, Any]:
    """What ``_monthly_review.html`` reads, for the page's render and the file's alike."""
    t = Translator(locale)
    return {"review": review, "t": t, "fmt": Formats(t, zone, base_url), "lang": locale}


@cache
def _environment() -> Any:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_html(review: MonthlyReview, locale: str, zone: tzinfo, *, base_url: str) -> str:
    """A standalone document: the file ``--format html`` writes and the mail's body."""
    return str(_environment().get_template(TEMPLATE).render(**context(review, locale, zone, base_url)))


# -- PDF -------------------------------------------------------------------------------------------


@cache
def _font() -> str:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    pdfmetrics.registerFont(TTFont(FONT_NAME, str(FONT_FILE)))
    return FONT_NAME


def _p(text: str) -> str:
    return escape(text)


def render_pdf(review: MonthlyReview, locale: str, zone: tzinfo, *, base_url: str) -> bytes:
    """The review on A4, every text in the embedded font (Chinese wraps between characters)."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font = _font()
    t = Translator(locale)
    f = Formats(t, zone, base_url)
    body = ParagraphStyle("body", fontName=font, fontSize=9, leading=13, wordWrap="CJK")
    small = ParagraphStyle("small", parent=body, fontSize=8, leading=11, textColor=colors.HexColor("#555555"))
    h1 = ParagraphStyle("h1", parent=body, fontSize=17, leading=22, spaceAfter=4)
    h2 = ParagraphStyle("h2", parent=body, fontSize=12, leading=16, spaceBefore=10, spaceAfter=4)
    width = A4[0] - 36 * mm
    story: list[Any] = []

    def cell(text: object, style: ParagraphStyle = body) -> Any:
        return Paragraph(_p(str(text)), style)

    def table(header: list[str], rows: list[list[Any]], widths: list[float]) -> Any:
        data = [[cell(h, small) for h in header], *rows]
        grid = Table(data, colWidths=[w * width for w in widths], repeatRows=1)
        grid.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#bbbbbb")),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef1f5")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        return grid

    def section(title: str, *flowables: Any) -> None:
        story.append(KeepTogether([Paragraph(_p(title), h2), *flowables]))

    story.append(Paragraph(_p(t("mr.heading", month=review.label)), h1))
    story.append(
        Paragraph(
            _p(
                t(
                    "mr.period",
                    start=review.start.isoformat(),
                    end=review.end.isoformat(),
                    previous=f"{review.previous:%Y-%m}",
                    at=f.when(review.generated_at),
                )
            ),
            small,
        )
    )
    if review.is_empty:
        story.append(Spacer(1, 6))
        story.append(cell(t("mr.empty")))
    section(
        t("mr.promises"),
        table(
            [
                t("mr.col.promise"),
                t("mr.col.met"),
                t("mr.col.breached"),
                t("mr.col.active"),
                t("mr.col.percent"),
                t("mr.previous"),
                t("mr.change"),
            ],
            [
                [
                    cell(t(f"mr.promise.{p.key}")),
                    cell(p.met),
                    cell(p.breached),
                    cell(p.active),
                    cell(f.percent(p.percent)),
                    cell(f.percent(p.previous_percent)),
                    cell(f.change(p.percent, p.previous_percent)),
                ]
                for p in review.promises
            ],
            [0.40, 0.08, 0.09, 0.09, 0.12, 0.11, 0.11],
        ),
    )
    if review.worst_breaches:
        breaches: Any = table(
            [t("mr.col.ticket"), t("mr.col.subject"), t("mr.col.target"), t("mr.col.due"), t("mr.col.late")],
            [
                [
                    Paragraph(f'<a href="{_p(f.ticket_url(b.ticket_id))}">#{b.ticket_number}</a>', body),
                    cell(b.subject),
                    cell(t(f"mr.target.{b.target}")),
                    cell(f.when(b.due_at)),
                    cell(f.late(b.late_seconds)),
                ]
                for b in review.worst_breaches
            ],
            [0.10, 0.38, 0.18, 0.18, 0.16],
        )
    else:
        breaches = cell(t("mr.none"))
    section(t("mr.worst"), breaches)
    s = review.satisfaction
    section(
        t("mr.csat"),
        table(
            [
                t("mr.csat.score"),
                t("mr.csat.mean"),
                t("mr.csat.sent"),
                t("mr.csat.responses"),
                t("mr.csat.rate"),
            ],
            [
                [
                    cell(
                        f"{f.percent(s.score_percent)} ({f.change(s.score_percent, s.previous_score_percent)})"
                    ),
                    cell("—" if s.mean is None else s.mean),
                    cell(s.sent),
                    cell(s.responses),
                    cell(
                        f"{f.percent(s.response_rate_percent)} "
                        f"({f.change(s.response_rate_percent, s.previous_response_rate_percent)})"
                    ),
                ]
            ],
            [0.24, 0.16, 0.18, 0.18, 0.24],
        ),
    )
    if s.comments:
        story.append(Spacer(1, 4))
        story.append(
            table(
                [t("mr.col.ticket"), t("mr.col.rating"), t("mr.col.comment"), t("mr.col.at")],
                [
                    [
                        Paragraph(f'<a href="{_p(f.ticket_url(c.ticket_id))}">#{c.ticket_number}</a>', body),
                        cell(f"{c.rating}/5"),
                        cell(c.comment),
                        cell(f.when(c.answered_at)),
                    ]
                    for c in s.comments
                ],
                [0.10, 0.10, 0.58, 0.22],
            )
        )
    e = review.escalations
    verdict = "" if e.meets_target is None else t("mr.esc.ok" if e.meets_target else "mr.esc.miss")
    section(
        t("mr.escalations"),
        table(
            [
                t("mr.esc.reached", level=1),
                t("mr.esc.reached", level=2),
                t("mr.esc.reached", level=3),
                t("mr.esc.resolved"),
                t("mr.esc.failed"),
                t("mr.esc.rate"),
            ],
            [
                [
                    *(cell(n) for n in e.reached),
                    cell(e.resolved),
                    cell(e.failed),
                    cell(
                        f"{f.percent(e.rate_percent)} ({f.change(e.rate_percent, e.previous_rate_percent)}) "
                        f"{verdict}"
                    ),
                ]
            ],
            [0.15, 0.15, 0.15, 0.17, 0.15, 0.23],
        ),
        cell(t("mr.esc.target", target=f"{e.target_percent:g}"), small),
    )
    r = review.requirements
    v = review.volumes
    section(
        t("mr.requirements"),
        table(
            [
                t("mr.req.recorded"),
                t("mr.req.delivered"),
                t("mr.req.rejected"),
                t("mr.req.open"),
                t("mr.req.fulfilment"),
                t("mr.vol.created"),
                t("mr.vol.resolved"),
            ],
            [
                [
                    cell(r.recorded),
                    cell(r.delivered),
                    cell(r.rejected),
                    cell(r.open),
                    cell(
                        f"{f.percent(r.fulfilment_percent)} "
                        f"({f.change(r.fulfilment_percent, r.previous_fulfilment_percent)})"
                    ),
                    cell(f"{v.created} ({f.count_change(v.created, v.previous_created)})"),
                    cell(f"{v.resolved} ({f.count_change(v.resolved, v.previous_resolved)})"),
                ]
            ],
            [0.13, 0.12, 0.12, 0.12, 0.19, 0.16, 0.16],
        ),
    )
    if review.partners:
        names = [m.name for m in review.partners[0].measures]
        section(
            t("mr.partners"),
            table(
                [t("mr.partner"), *(t(f"scorecard.{name}") for name in names)],
                [
                    [cell(card.name), *(cell(f.measure(m.value, m.unit)) for m in card.measures)]
                    for card in review.partners
                ],
                [0.25, *([0.75 / len(names)] * len(names))],
            ),
            cell(t("mr.partners_note"), small),
        )
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title=t("mr.heading", month=review.label),
        author="hub",
        lang=locale,
    )
    document.build(story)
    return buffer.getvalue()
