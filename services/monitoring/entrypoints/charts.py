"""Horizontal bar charts as inline SVG, drawn on the server beside each table.

No JavaScript and no plotting library: the SVG is announced to screen readers as one image
whose text alternative lists every bar's value, and the same numbers are always in the table
next to it. A hidden (suppressed) value is drawn as an empty bar labelled "fewer than 5".
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from markupsafe import Markup

WIDTH = 640
LABEL_WIDTH = 240
BAR_HEIGHT = 22
GAP = 8
HIDDEN = "fewer than 5"


def bar_chart(chart_id: str, title: str, bars: Sequence[tuple[str, float | None]]) -> Markup:
    """``bars`` are (label, value); None is a hidden value, drawn empty and said so."""
    height = len(bars) * (BAR_HEIGHT + GAP) + GAP
    room = WIDTH - LABEL_WIDTH - 110
    largest = max((v for _, v in bars if v is not None), default=0) or 1
    alternative = "; ".join(
        f"{label}: {HIDDEN if value is None else f'{value:g}'}" for label, value in bars
    )
    parts = [
        f'<svg class="carers-chart" role="img" aria-labelledby="{chart_id}-title '
        f'{chart_id}-desc" viewBox="0 0 {WIDTH} {height}" width="100%" '
        f'preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(alternative)}</desc>',
    ]
    for i, (label, value) in enumerate(bars):
        y = GAP + i * (BAR_HEIGHT + GAP)
        short = label if len(label) <= 32 else label[:31] + "…"
        parts.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{y + 16}" text-anchor="end" fill="#0b0c0c">'
            f"{escape(short)}</text>"
        )
        length = max(1.0, room * value / largest) if value else 0.0
        parts.append(
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{length:.1f}" height="{BAR_HEIGHT}" '
            'fill="#1d70b8"></rect>'
        )
        text = HIDDEN if value is None else f"{value:g}"
        parts.append(
            f'<text x="{LABEL_WIDTH + length + 6:.1f}" y="{y + 16}" fill="#0b0c0c">'
            f"{escape(text)}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))
