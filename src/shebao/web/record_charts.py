"""The citizen's record as charts: a column a year (the yearly contribution base, the personal account), with a line
beside the columns where there is one to compare with (the province's average wage). Inline SVG drawn on the server,
no JavaScript; the page puts the same numbers in a table for screen readers. Pure: rows in, markup out. The axes are
the fund projection's (nice_range, axis_label, UNITS), the width the cockpit's."""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup, escape

from shebao.risk.projection_chart import UNITS, axis_label, nice_range
from shebao.web.cockpit_charts import FILL, WIDTH
from shebao.web.cockpit_charts import _text_width as text_width

LINE = "#c62828"
INK, MUTED, GRID = "#1d2733", "#5b6673", "#e5e5e5"


@dataclass(frozen=True)
class YearColumn:
    year: int
    value_fen: int
    line_fen: int | None = None  # the comparison line's value this year (None: none known)


def year_columns_svg(columns: list[YearColumn], *, name: str, label: str, legend: str,
                     line_legend: str | None = None, lang: str = "zh") -> Markup:
    """A column a year, in the unit that suits the values; the line drawn through the years that have one."""
    height, left, right, top, bottom = 240, 56, 8, 30, 30
    values = [c.value_fen for c in columns] + [c.line_fen for c in columns if c.line_fen is not None]
    low, high = min(0, *values, 0), max(0, *values, 0)
    divisor, unit_zh, unit_en = next((u for u in UNITS if max(abs(low), abs(high)) >= u[0]), UNITS[-1])
    low, high, step = nice_range(low / divisor, high / divisor)
    plot_w, plot_h = WIDTH - left - right, height - top - bottom
    count = max(len(columns), 1)
    slot = plot_w / count

    def y(fen: float) -> float:
        return top + plot_h * (high - fen / divisor) / (high - low)

    parts = [f'<svg class="chart-svg" data-chart="{escape(name)}" viewBox="0 0 {WIDTH} {height}" role="img" '
             f'aria-label="{escape(label)}" font-size="13" xmlns="http://www.w3.org/2000/svg">',
             f"<title>{escape(label)}</title>",
             f'<rect x="0" y="4" width="14" height="12" fill="{FILL}"/><text x="18" y="15" fill="{INK}">{escape(legend)}</text>']
    if line_legend and any(c.line_fen is not None for c in columns):
        at = 18 + text_width(legend) + 14
        parts.append(f'<line x1="{at}" y1="10" x2="{at + 18}" y2="10" stroke="{LINE}" stroke-width="2.5"/>'
                     f'<text x="{at + 22}" y="15" fill="{INK}">{escape(line_legend)}</text>')
    parts.append(f'<text x="{WIDTH}" y="15" text-anchor="end" fill="{MUTED}">{escape(unit_en if lang == "en" else unit_zh)}</text>')
    for number in range(round((high - low) / step) + 1):
        tick = low + number * step
        ty = y(tick * divisor)
        parts.append(f'<line x1="{left}" y1="{ty:.1f}" x2="{WIDTH - right}" y2="{ty:.1f}" stroke="{GRID}"/>'
                     f'<text x="{left - 4}" y="{ty + 4:.1f}" text-anchor="end" fill="{INK}">{axis_label(tick)}</text>')
    every = max(1, -(-count // 6))  # about six year labels, whatever the number of years
    for index, column in enumerate(columns):
        x0, zero, value = left + slot * index, y(0), y(column.value_fen)
        parts.append(f'<rect class="bar" x="{x0 + slot * 0.15:.1f}" y="{min(zero, value):.1f}" width="{slot * 0.7:.1f}" '
                     f'height="{abs(zero - value):.1f}" fill="{FILL}"/>')
        if index % every == 0 or index == count - 1:
            parts.append(f'<text x="{x0 + slot / 2:.1f}" y="{height - bottom + 18}" text-anchor="middle" '
                         f'fill="{INK}">{column.year}</text>')
    points = [(left + slot * (i + 0.5), y(c.line_fen)) for i, c in enumerate(columns) if c.line_fen is not None]
    if points:
        parts.append(f'<polyline class="line" fill="none" stroke="{LINE}" stroke-width="2.5" '
                     f'points="{" ".join(f"{px:.1f},{py:.1f}" for px, py in points)}"/>')
        if len(points) == 1:
            parts.append(f'<circle cx="{points[0][0]:.1f}" cy="{points[0][1]:.1f}" r="3" fill="{LINE}"/>')
    parts.append("</svg>")
    return Markup("".join(parts))

