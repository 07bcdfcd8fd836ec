"""The fund projection as an SVG line chart, written by hand (no JavaScript, no plotting library: the cockpit embeds
it as an <img> and a server renders it in milliseconds). Pure: it takes the projection's answer and returns text.

Income, spending and balance a year, with the 2025 reform (solid) and without it (dashed); the year the balance runs
out is marked for each. Titles and labels Chinese first, English after."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape

WIDTH, HEIGHT = 960, 560
LEFT, RIGHT, TOP, BOTTOM = 96, 24, 72, 132
SERIES = (  # key, colour, Chinese, English
    ("income_fen", "#2e7d32", "收入", "income"),
    ("spending_fen", "#c62828", "支出", "spending"),
    ("balance_fen", "#1565c0", "余额", "balance"),
)
SCENARIOS = (("with_reform", "", "改革后", "with the 2025 reform"),
             ("without_reform", "6 5", "不改革", "without the reform"))
UNITS = ((10**10, "亿元", "100 million yuan"), (10**6, "万元", "10,000 yuan"), (100, "元", "yuan"))


def projection_svg(projection: dict[str, Any]) -> str:
    """The chart of a projection (`project_fund`'s answer) as a standalone SVG document."""
    rows = {key: projection[key]["years"] for key, *_ in SCENARIOS}
    years = [row["year"] for row in rows["with_reform"]]
    values = [int(row[key]) for scenario in rows.values() for row in scenario for key, *_ in SERIES]
    low, high = min(0, *values), max(0, *values)
    divisor, unit_zh, unit_en = next((unit for unit in UNITS if max(abs(low), abs(high)) >= unit[0]), UNITS[-1])
    low, high, step = nice_range(low / divisor, high / divisor)
    first, last = years[0], years[-1]
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(year: int) -> float:
        return LEFT + (plot_w * (year - first) / (last - first) if last > first else plot_w / 2)

    def y(fen: float) -> float:
        return TOP + plot_h * (high - fen / divisor) / (high - low)

    title = (f"{projection['province']} 职工养老保险统筹基金预测 {first}–{last} · "
             f"pension pool projection, {projection['province']}, {first}–{last}")
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" '
             f'role="img" aria-label="{escape(title, {chr(34): "&quot;"})}" font-family="sans-serif" font-size="13">',
             f"<title>{escape(title)}</title>",
             f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>',
             f'<text x="{WIDTH / 2}" y="28" text-anchor="middle" font-size="18" font-weight="bold">{escape(title)}</text>',
             f'<text x="{WIDTH / 2}" y="50" text-anchor="middle" fill="#555">起点 as of {escape(projection["as_of"])} · '
             f'单位 unit: {unit_zh} {unit_en}</text>']
    for number in range(round((high - low) / step) + 1):
        tick = low + number * step
        ty = TOP + plot_h * (high - tick) / (high - low)
        parts.append(f'<line x1="{LEFT}" y1="{ty:.1f}" x2="{WIDTH - RIGHT}" y2="{ty:.1f}" '
                     f'stroke="{"#999" if abs(tick) < step / 2 else "#e5e5e5"}"/>')
        parts.append(f'<text x="{LEFT - 8}" y="{ty + 4:.1f}" text-anchor="end">{axis_label(tick)}</text>')
    every = max(1, round(len(years) / 10))
    for index, year in enumerate(years):
        if index % every == 0 or year == last:
            parts.append(f'<text x="{x(year):.1f}" y="{HEIGHT - BOTTOM + 20}" text-anchor="middle">{year}</text>')
    parts.append(f'<text x="{LEFT + plot_w / 2}" y="{HEIGHT - BOTTOM + 40}" text-anchor="middle" fill="#555">'
                 "年份 year (每个预测年自起点次月起 12 个月 · each projection year is 12 months from its first month)</text>")
    for scenario, dash, _zh, _en in SCENARIOS:
        for key, colour, _szh, _sen in SERIES:
            points = " ".join(f"{x(row['year']):.1f},{y(int(row[key])):.1f}" for row in rows[scenario])
            parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="{3 if key == "balance_fen" else 2}" '
                         f'points="{points}"' + (f' stroke-dasharray="{dash}"' if dash else "") + "/>")
    for offset, (scenario, dash, zh, en) in enumerate(SCENARIOS):
        year = projection[scenario]["runs_out_year"]
        if year is None:
            continue
        mx = x(year)
        parts.append(f'<line x1="{mx:.1f}" y1="{TOP}" x2="{mx:.1f}" y2="{TOP + plot_h}" stroke="#000" '
                     f'stroke-width="1.5"' + (f' stroke-dasharray="{dash}"' if dash else "") + "/>")
        right_half = mx > LEFT + plot_w / 2  # the label on the side with room for it
        parts.append(f'<text x="{mx - 4 if right_half else mx + 4:.1f}" y="{TOP + 16 + 18 * offset}" '
                     f'text-anchor="{"end" if right_half else "start"}" font-weight="bold" paint-order="stroke" stroke="#fff" '
                     f'stroke-width="4">'
                     f"{year} 基金耗尽（{zh}）runs out, {en}</text>")
    parts.extend(_legend())
    effect = projection.get("reform_effect", {})
    parts.append(f'<text x="{LEFT}" y="{HEIGHT - 30}" fill="#333">{escape(effect.get("zh", ""))}</text>')
    parts.append(f'<text x="{LEFT}" y="{HEIGHT - 12}" fill="#333" font-size="12">{escape(effect.get("en", ""))}</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def _legend() -> list[str]:
    parts, lx, ly = [], LEFT, HEIGHT - BOTTOM + 62
    for key, colour, zh, en in SERIES:
        parts.append(f'<line x1="{lx}" y1="{ly}" x2="{lx + 28}" y2="{ly}" stroke="{colour}" '
                     f'stroke-width="{3 if key == "balance_fen" else 2}"/>')
        parts.append(f'<text x="{lx + 34}" y="{ly + 4}">{zh} {en}</text>')
        lx += 150
    for _scenario, dash, zh, en in SCENARIOS:
        parts.append(f'<line x1="{lx}" y1="{ly}" x2="{lx + 28}" y2="{ly}" stroke="#333" stroke-width="2"'
                     + (f' stroke-dasharray="{dash}"' if dash else "") + "/>")
        parts.append(f'<text x="{lx + 34}" y="{ly + 4}">{zh} {en}</text>')
        lx += 210
    return parts


def nice_range(low: float, high: float) -> tuple[float, float, float]:
    """Axis bounds and a step of 1, 2 or 5 × a power of ten, about six steps, the bounds on steps."""
    span = (high - low) or 1.0
    raw = span / 6
    power = Decimal(10) ** Decimal(raw).adjusted()
    step = float(next(m * power for m in (1, 2, 5, 10) if m * power >= Decimal(str(raw))))
    bottom, top = step * (low // step), step * -(-high // step)
    return bottom, max(top, bottom + step), step  # a province with nothing in it still gets an axis one step high


def axis_label(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 10 or value == int(value) else f"{value:,.1f}"
