"""The cockpit's charts as inline SVG, drawn by hand on the server (no JavaScript, no plotting library). Pure: rows in,
markup out. Each chart is narrow (360 units wide) so that its text stays readable on a phone; the page puts the same
numbers in a table beside it for screen readers and for anyone who would rather read than look."""

from __future__ import annotations

from markupsafe import Markup, escape

from shebao.risk.projection_chart import UNITS, axis_label, nice_range

WIDTH = 360
FILL = "#2f6db3"
LINES = (  # key, colour, stroke width, i18n key of its name
    ("income_fen", "#2e7d32", 2, "fund_income"),
    ("spending_fen", "#c62828", 2, "fund_spending"),
    ("balance_fen", "#1565c0", 3.5, "fund_balance"),
)


def bar_svg(rows: list[tuple[str, int, str]], *, name: str, label: str) -> Markup:
    """Horizontal bars, one a row: the row's name above its bar, the value shown after it. rows: (name, value, shown)."""
    top = max((value for _, value, _ in rows), default=0)
    row_h, bar_h, room = 46, 16, 96  # room: what the shown value needs right of the longest bar
    height = max(row_h * len(rows), row_h)
    parts = [f'<svg class="chart-svg" data-chart="{escape(name)}" viewBox="0 0 {WIDTH} {height}" role="img" '
             f'aria-label="{escape(label)}" font-size="15" xmlns="http://www.w3.org/2000/svg">',
             f"<title>{escape(label)}</title>"]
    for index, (text, value, shown) in enumerate(rows):
        y = index * row_h
        width = (WIDTH - room) * value / top if top > 0 else 0
        parts.append(f'<text x="0" y="{y + 17}" fill="#1d2733">{escape(text)}</text>')
        parts.append(f'<rect x="0" y="{y + 24}" width="{WIDTH - room}" height="{bar_h}" rx="3" fill="#e9edf2"/>')
        parts.append(f'<rect class="bar" x="0" y="{y + 24}" width="{width:.1f}" height="{bar_h}" rx="3" fill="{FILL}"/>')
        parts.append(f'<text x="{WIDTH}" y="{y + 37}" text-anchor="end" fill="#1d2733">{escape(shown)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def fund_svg(months: list[dict], *, label: str, t, lang: str) -> Markup:  # noqa: ANN001 - t: the page's translator
    """A fund's income, spending and closing balance month by month as three lines, in the unit that suits them."""
    height, left, right, top, bottom = 250, 58, 10, 34, 44
    values = [int(month[key]) for month in months for key, *_ in LINES]
    low, high = min(0, *values), max(0, *values)
    divisor, unit_zh, unit_en = next((u for u in UNITS if max(abs(low), abs(high)) >= u[0]), UNITS[-1])
    low, high, step = nice_range(low / divisor, high / divisor)
    plot_w, plot_h = WIDTH - left - right, height - top - bottom
    count = len(months)

    def x(index: int) -> float:
        return left + (plot_w * index / (count - 1) if count > 1 else plot_w / 2)

    def y(fen: float) -> float:
        return top + plot_h * (high - fen / divisor) / (high - low)

    unit = unit_en if lang == "en" else unit_zh
    parts = [f'<svg class="chart-svg" data-chart="fund" viewBox="0 0 {WIDTH} {height}" role="img" '
             f'aria-label="{escape(label)}" font-size="13" xmlns="http://www.w3.org/2000/svg">',
             f"<title>{escape(label)}</title>"]
    legend_x = 0
    for key, colour, stroke, name in LINES:
        parts.append(f'<line x1="{legend_x}" y1="10" x2="{legend_x + 20}" y2="10" stroke="{colour}" '
                     f'stroke-width="{stroke}"/><text x="{legend_x + 24}" y="14">{escape(t(name))}</text>')
        legend_x += 24 + _text_width(t(name)) + 14
    parts.append(f'<text x="{WIDTH}" y="14" text-anchor="end" fill="#5b6673">{escape(unit)}</text>')
    for number in range(round((high - low) / step) + 1):
        tick = low + number * step
        ty = y(tick * divisor)
        parts.append(f'<line x1="{left}" y1="{ty:.1f}" x2="{WIDTH - right}" y2="{ty:.1f}" '
                     f'stroke="{"#999" if abs(tick) < step / 2 else "#e5e5e5"}"/>'
                     f'<text x="{left - 4}" y="{ty + 4:.1f}" text-anchor="end">{axis_label(tick)}</text>')
    every, year_shown = max(1, -(-count // 6)), None
    for index, month in enumerate(months):
        if index % every == 0 or index == count - 1:
            period = month["period"]
            parts.append(f'<text x="{x(index):.1f}" y="{height - bottom + 18}" text-anchor="middle">{period[4:]}</text>')
            if period[:4] != year_shown:  # the year under the first month labelled in it
                year_shown = period[:4]
                parts.append(f'<text x="{x(index):.1f}" y="{height - bottom + 34}" text-anchor="middle" '
                             f'fill="#5b6673">{year_shown}</text>')
    for key, colour, stroke, _ in LINES:
        points = " ".join(f"{x(i):.1f},{y(int(m[key])):.1f}" for i, m in enumerate(months))
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="{stroke}" points="{points}"/>')
        if count == 1:
            parts.append(f'<circle cx="{x(0):.1f}" cy="{y(int(months[0][key])):.1f}" r="3" fill="{colour}"/>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _text_width(text: str) -> float:
    """About how wide a label is at 13 units: a Chinese character is square, a Latin one about half as wide."""
    return sum(13 if ord(char) > 0x2E80 else 7 for char in text)
