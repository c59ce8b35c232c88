"""Exports per day as a bar chart drawn on the server: inline SVG, no script, no library.

Pure: days in, markup out. Each day is a stacked bar, successful items (green) under failed
ones (red); the SVG has a title and a description, each bar its own tooltip title, and the page
keeps the same figures in a table for screen readers and for reading exact numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

WIDTH = 600
HEIGHT = 160
TOP = 14  # room for the scale's label
BOTTOM = 20  # room for the dates
LEFT = 28
OK_COLOUR = "#1f8a4c"
FAILED_COLOUR = "#c0392b"


@dataclass(frozen=True)
class DayCount:
    day: date
    successful: int
    failed: int

    @property
    def total(self) -> int:
        return self.successful + self.failed


def _label(day: date) -> str:
    return f"{day.day} {day:%b}"


def exports_chart_svg(days: list[DayCount], *, title: str) -> SafeString:
    """A stacked bar per day, oldest left. `days` holds every day of the period, empty ones
    with zeros, so the bars keep their places."""
    if not days:
        return format_html("")
    peak = max(max(d.total for d in days), 1)
    plot_height = HEIGHT - TOP - BOTTOM
    step = (WIDTH - LEFT) / len(days)
    bar = max(step * 0.7, 1.0)
    total_ok = sum(d.successful for d in days)
    total_failed = sum(d.failed for d in days)
    description = (
        f"{len(days)} days from {_label(days[0].day)} to {_label(days[-1].day)}: "
        f"{total_ok} item{'s' if total_ok != 1 else ''} exported, {total_failed} failed."
    )
    bars: list[tuple[str, ...]] = []
    for index, d in enumerate(days):
        x = LEFT + index * step + (step - bar) / 2
        ok_h = plot_height * d.successful / peak
        failed_h = plot_height * d.failed / peak
        base = TOP + plot_height
        bars.append(
            (
                f"{d.day.day} {d.day:%b %Y}: {d.successful} successful, {d.failed} failed",
                f"{x:.1f}",
                f"{base - ok_h:.1f}",
                f"{bar:.1f}",
                f"{ok_h:.1f}",
                f"{base - ok_h - failed_h:.1f}",
                f"{failed_h:.1f}",
            )
        )
    rects = format_html_join(
        "",
        '<g><title>{}</title><rect class="ok" x="{}" y="{}" width="{}" height="{}" fill="'
        + OK_COLOUR
        + '"/><rect class="failed" x="{}" y="{}" width="{}" height="{}" fill="'
        + FAILED_COLOUR
        + '"/></g>',
        (
            (title_text, x, ok_y, width, ok_h, x, failed_y, width, failed_h)
            for title_text, x, ok_y, width, ok_h, failed_y, failed_h in bars
        ),
    )
    return format_html(
        '<svg class="chart" viewBox="0 0 {w} {h}" width="100%" role="img" '
        'aria-labelledby="chart-title chart-desc" preserveAspectRatio="xMidYMid meet">'
        '<title id="chart-title">{title}</title><desc id="chart-desc">{desc}</desc>'
        '<line x1="{left}" y1="{base}" x2="{w}" y2="{base}" stroke="#dde2ea"/>'
        '<text x="{left_text}" y="{top_text}" font-size="10" text-anchor="end" '
        'fill="#5d6577">{peak}</text>'
        '<text x="{left_text}" y="{base}" font-size="10" text-anchor="end" fill="#5d6577">0</text>'
        "{rects}"
        '<text x="{left}" y="{h_text}" font-size="10" fill="#5d6577">{first}</text>'
        '<text x="{w}" y="{h_text}" font-size="10" text-anchor="end" fill="#5d6577">{last}</text>'
        "</svg>",
        w=WIDTH,
        h=HEIGHT,
        title=title,
        desc=description,
        left=LEFT,
        left_text=LEFT - 4,
        top_text=TOP + 4,
        base=TOP + plot_height,
        peak=peak,
        rects=rects,
        h_text=HEIGHT - 4,
        first=_label(days[0].day),
        last=_label(days[-1].day),
    )
