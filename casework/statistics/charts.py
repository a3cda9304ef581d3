"""Charts drawn on the server as inline SVG: no script, nothing fetched from elsewhere."""

from __future__ import annotations

from typing import Any

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

BAR_HEIGHT = 18
GAP = 6
LABEL_WIDTH = 190
BAR_WIDTH = 360


def bar_chart(
    rows: list[dict[str, Any]], *, label: str, value: str, title: str, limit: int = 15
) -> SafeString:
    """Horizontal bars for the first ``limit`` rows (largest first), labels escaped."""
    data = [(str(r.get(label, "")), r.get(value) or 0) for r in rows if r.get(label) is not None]
    data = [(name, float(v)) for name, v in data if isinstance(v, int | float)][:limit]
    if not data:
        return SafeString("")
    top = max(v for _n, v in data) or 1
    height = len(data) * (BAR_HEIGHT + GAP) + GAP
    width = LABEL_WIDTH + BAR_WIDTH + 70
    bars = format_html_join(
        "",
        '<text x="{}" y="{}" text-anchor="end" font-size="12" fill="#333">{}</text>'
        '<rect x="{}" y="{}" width="{}" height="{}" fill="#417690"></rect>'
        '<text x="{}" y="{}" font-size="12" fill="#333">{}</text>',
        (
            (
                LABEL_WIDTH - 6,
                GAP + i * (BAR_HEIGHT + GAP) + 13,
                name[:32],
                LABEL_WIDTH,
                GAP + i * (BAR_HEIGHT + GAP),
                max(1, round(BAR_WIDTH * v / top)),
                BAR_HEIGHT,
                LABEL_WIDTH + round(BAR_WIDTH * v / top) + 6,
                GAP + i * (BAR_HEIGHT + GAP) + 13,
                f"{v:,.0f}" if v == int(v) else f"{v:,.1f}",
            )
            for i, (name, v) in enumerate(data)
        ),
    )
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{}" height="{}" '
        'viewBox="0 0 {} {}" aria-label="{}"><title>{}</title>{}</svg>',
        width,
        height,
        width,
        height,
        title,
        title,
        bars,
    )
