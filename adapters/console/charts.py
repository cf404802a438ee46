"""Inline SVG charts for the console (no script, no external asset, readable on a phone):
vertical bars for a series over time, horizontal bars for categories. Every text is escaped.

Usage::

    svg = column_chart([("7/09", 4), ("14/09", 6)], title="Contacts par semaine")
    svg = bar_chart([("textile", 12), ("métallurgie", 5)], title="Par secteur")
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

__all__ = ["bar_chart", "column_chart"]

_FILL = "#1f5fa8"
_TEXT = "#222"


def column_chart(points: Sequence[tuple[str, int]], *, title: str, width: int = 640,
                 height: int = 220) -> str:
    """Vertical bars, one per point, with its value above and its label below."""
    top, bottom, gap = 20, 36, 4
    peak = max((value for _, value in points), default=0) or 1
    slot = width / max(len(points), 1)
    plot = height - top - bottom
    parts = [f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" '
             f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>']
    for index, (label, value) in enumerate(points):
        bar = round(plot * value / peak, 1)
        x = round(index * slot + gap, 1)
        y = round(top + plot - bar, 1)
        middle = round(index * slot + slot / 2, 1)
        parts.append(f'<rect x="{x}" y="{y}" width="{round(slot - 2 * gap, 1)}" '
                     f'height="{bar}" fill="{_FILL}"><title>{escape(label)} : {value}'
                     f'</title></rect>')
        parts.append(f'<text x="{middle}" y="{y - 4}" text-anchor="middle" font-size="12" '
                     f'fill="{_TEXT}">{value}</text>')
        parts.append(f'<text x="{middle}" y="{height - bottom + 16}" text-anchor="middle" '
                     f'font-size="11" fill="{_TEXT}">{escape(label)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def bar_chart(items: Sequence[tuple[str, int]], *, title: str, width: int = 640) -> str:
    """Horizontal bars, one row per item: its label, its bar and its value."""
    row, label_width = 26, 220
    height = max(len(items), 1) * row + 8
    peak = max((value for _, value in items), default=0) or 1
    span = width - label_width - 50
    parts = [f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" '
             f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>']
    for index, (label, value) in enumerate(items):
        y = index * row + 4
        bar = round(span * value / peak, 1)
        parts.append(f'<text x="{label_width - 8}" y="{y + 16}" text-anchor="end" '
                     f'font-size="13" fill="{_TEXT}">{escape(label[:32])}</text>')
        parts.append(f'<rect x="{label_width}" y="{y + 3}" width="{bar}" height="{row - 8}" '
                     f'fill="{_FILL}"><title>{escape(label)} : {value}</title></rect>')
        parts.append(f'<text x="{label_width + bar + 6}" y="{y + 16}" font-size="13" '
                     f'fill="{_TEXT}">{value}</text>')
    parts.append("</svg>")
    return "".join(parts)
