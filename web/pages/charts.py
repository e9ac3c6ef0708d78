"""Charts as inline SVG drawn on the server: no script, no library, no CDN, nothing the strict
Content-Security-Policy forbids (geometry is SVG attributes, colours come from classes in
hub.css, never a ``style`` attribute). Every bar and point prints its number, the axes are
labelled, and each chart has a title for screen readers; a bar can be a link (the drill-down).

Text given here is escaped (team names, client names are the users' own text).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 720
LABEL_WIDTH = 220
BAR_HEIGHT = 14
ROW_GAP = 12
TOP = 24


@dataclass(frozen=True)
class Bar:
    """One row of a bar chart: its label, this period's value and the previous one's (``None``:
    nothing measured), and where a click on it leads."""

    label: str
    value: float | None
    previous: float | None = None
    href: str | None = None
    text: str = ""


def _link(href: str | None, body: str) -> str:
    return f'<a href="{escape(href)}">{body}</a>' if href else body


def percent_bars(title: str, bars: Sequence[Bar], *, now_label: str, before_label: str, empty: str) -> Markup:
    """Horizontal bars on a 0-100 % axis, this period above the previous one in each row."""
    plot = WIDTH - LABEL_WIDTH - 70
    row = 2 * BAR_HEIGHT + ROW_GAP
    height = TOP + len(bars) * row + 28
    parts = [
        f'<svg class="chart chart--bars" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>',
        f'<rect class="chart-legend chart-bar--now" x="{LABEL_WIDTH}" y="4" width="12" height="10"/>'
        f'<text class="chart-label" x="{LABEL_WIDTH + 16}" y="13">{escape(now_label)}</text>'
        f'<rect class="chart-legend chart-bar--before" x="{LABEL_WIDTH + 150}" y="4" width="12" height="10"/>'
        f'<text class="chart-label" x="{LABEL_WIDTH + 166}" y="13">{escape(before_label)}</text>',
    ]
    for tick in (0, 25, 50, 75, 100):
        x = LABEL_WIDTH + plot * tick / 100
        parts.append(
            f'<line class="chart-grid" x1="{x:.1f}" y1="{TOP - 4}" x2="{x:.1f}" y2="{height - 22}"/>'
            f'<text class="chart-axis" x="{x:.1f}" y="{height - 8}" text-anchor="middle">{tick}%</text>'
        )
    for index, bar in enumerate(bars):
        y = TOP + index * row
        parts.append(
            f'<text class="chart-label" x="{LABEL_WIDTH - 8}" y="{y + BAR_HEIGHT + 4}" '
            f'text-anchor="end">{escape(bar.label)}</text>'
        )
        for offset, value, kind in ((0, bar.value, "now"), (BAR_HEIGHT, bar.previous, "before")):
            if value is None:
                text = (
                    f'<text class="chart-value chart-value--none" x="{LABEL_WIDTH + 4}" '
                    f'y="{y + offset + BAR_HEIGHT - 3}">{escape(empty)}</text>'
                )
                parts.append(text)
                continue
            width = max(plot * value / 100, 1.0)
            shape = (
                f'<rect class="chart-bar chart-bar--{kind}" x="{LABEL_WIDTH}" y="{y + offset}" '
                f'width="{width:.1f}" height="{BAR_HEIGHT - 2}"><title>{escape(bar.label)}: {value}%</title></rect>'
                f'<text class="chart-value" x="{LABEL_WIDTH + width + 4:.1f}" y="{y + offset + BAR_HEIGHT - 3}">'
                f"{value}%</text>"
            )
            parts.append(_link(bar.href, shape) if kind == "now" else shape)
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text in it went through escape()


@dataclass(frozen=True)
class Point:
    label: str
    value: float | None
    #: How many instances the value is over (printed under the axis when there is room).
    count: int = 0
    href: str | None = None


def percent_line(title: str, points: Sequence[Point], *, axis_label: str, empty: str) -> Markup:
    """A line of daily percentages on a 0-100 % axis; days with nothing measured break the line."""
    left, right, top, bottom = 48, 16, 16, 44
    height = 220
    plot_w, plot_h = WIDTH - left - right, height - top - bottom
    step = plot_w / max(len(points) - 1, 1)
    parts = [
        f'<svg class="chart chart--line" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>',
        f'<text class="chart-axis" x="4" y="{top - 4}">{escape(axis_label)}</text>',
    ]
    for tick in (0, 50, 100):
        y = top + plot_h * (1 - tick / 100)
        parts.append(
            f'<line class="chart-grid" x1="{left}" y1="{y:.1f}" x2="{WIDTH - right}" y2="{y:.1f}"/>'
            f'<text class="chart-axis" x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{tick}%</text>'
        )
    every = max(1, len(points) // 10)
    run: list[str] = []
    measured = [p for p in points if p.value is not None]
    for index, point in enumerate(points):
        x = left + index * step
        if index % every == 0 or index == len(points) - 1:
            parts.append(
                f'<text class="chart-axis" x="{x:.1f}" y="{height - bottom + 16}" '
                f'text-anchor="middle">{escape(point.label)}</text>'
            )
        if point.value is None:
            if len(run) > 1:
                parts.append(f'<polyline class="chart-line" points="{" ".join(run)}"/>')
            run = []
            continue
        y = top + plot_h * (1 - point.value / 100)
        run.append(f"{x:.1f},{y:.1f}")
        dot = (
            f'<circle class="chart-dot" cx="{x:.1f}" cy="{y:.1f}" r="4">'
            f"<title>{escape(point.label)}: {point.value}% ({point.count})</title></circle>"
        )
        parts.append(_link(point.href, dot))
        if len(measured) <= 16 or point is measured[-1]:
            parts.append(
                f'<text class="chart-value" x="{x:.1f}" y="{y - 8:.1f}" text-anchor="middle">{point.value}%</text>'
            )
    if len(run) > 1:
        parts.append(f'<polyline class="chart-line" points="{" ".join(run)}"/>')
    if not measured:
        parts.append(
            f'<text class="chart-value chart-value--none" x="{WIDTH / 2:.0f}" y="{top + plot_h / 2:.0f}" '
            f'text-anchor="middle">{escape(empty)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text in it went through escape()


def hour_bars(title: str, bars: Sequence[Bar], *, unit: str) -> Markup:
    """Horizontal bars of waiting time (hours), longest first, each printing its total."""
    biggest = max((b.value or 0.0 for b in bars), default=0.0) or 1.0
    plot = WIDTH - LABEL_WIDTH - 110
    row = BAR_HEIGHT + ROW_GAP
    height = TOP + len(bars) * row + 24
    parts = [
        f'<svg class="chart chart--bars" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>',
        f'<text class="chart-axis" x="{LABEL_WIDTH}" y="14">{escape(unit)}</text>',
        f'<line class="chart-grid" x1="{LABEL_WIDTH}" y1="{TOP - 4}" x2="{LABEL_WIDTH}" y2="{height - 18}"/>',
    ]
    for index, bar in enumerate(bars):
        y = TOP + index * row
        value = bar.value or 0.0
        width = max(plot * value / biggest, 1.0)
        parts.append(
            f'<text class="chart-label" x="{LABEL_WIDTH - 8}" y="{y + BAR_HEIGHT - 2}" '
            f'text-anchor="end">{escape(bar.label)}</text>'
        )
        shape = (
            f'<rect class="chart-bar chart-bar--now" x="{LABEL_WIDTH}" y="{y}" width="{width:.1f}" '
            f'height="{BAR_HEIGHT}"><title>{escape(bar.label)}: {escape(bar.text)}</title></rect>'
            f'<text class="chart-value" x="{LABEL_WIDTH + width + 4:.1f}" y="{y + BAR_HEIGHT - 2}">'
            f"{escape(bar.text)}</text>"
        )
        parts.append(_link(bar.href, shape))
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text in it went through escape()
