"""Horizontal bar charts as inline SVG, for the HTML report and its PDF.

Inline SVG needs no JavaScript and no plotting library, prints and converts to PDF as is,
and is announced to screen readers as one image with a text alternative; the same numbers
are always in a table beside it for anyone who cannot see the chart.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from markupsafe import Markup

WIDTH = 640
LABEL_WIDTH = 250
BAR_HEIGHT = 22
GAP = 8


def bar_chart(
    chart_id: str, title: str, bars: Sequence[tuple[str, float | None, int | None]]
) -> Markup:
    """``bars`` are (label, percent, count); a suppressed bar (None) is drawn empty."""
    height = len(bars) * (BAR_HEIGHT + GAP) + GAP
    room = WIDTH - LABEL_WIDTH - 90
    alternative = "; ".join(
        f"{label}: {'fewer than 5' if pct is None else f'{pct:g}%'}" for label, pct, _ in bars
    )
    parts = [
        f'<svg class="carers-chart" role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" '
        f'viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(alternative)}</desc>',
    ]
    for i, (label, pct, count) in enumerate(bars):
        y = GAP + i * (BAR_HEIGHT + GAP)
        short = label if len(label) <= 34 else label[:33] + "…"
        parts.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{y + 16}" text-anchor="end">{escape(short)}</text>'
        )
        length = max(1.0, room * pct / 100) if pct else 0.0
        parts.append(
            f'<rect class="carers-chart__bar" x="{LABEL_WIDTH}" y="{y}" width="{length:.1f}" '
            f'height="{BAR_HEIGHT}" fill="#1d70b8"></rect>'
        )
        value = "fewer than 5" if pct is None else f"{pct:g}% ({count})"
        parts.append(
            f'<text x="{LABEL_WIDTH + length + 6:.1f}" y="{y + 16}">{escape(value)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
