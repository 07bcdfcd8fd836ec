"""The cockpit's figures (驾驶舱指标), pure: what each figure is, the drill-down levels a region code has, the ratios
and the months of spending a fund's balance covers. Nothing here reads a database or a clock; `risk/cockpit.py`
computes the counts set-based into the summary tables and hands them here to be shaped.

Every count is summed up the region tree: street → county → city → province → the country. A person counts in the
region where they live (the registry's residence, as stored), a case or a recovery in its own region as stored. The
pooling funds are the provinces' (`pool:{insurance}:{province}`): fund income, spending and balance exist for a
province and, summed, for the country, and for no region below a province.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from shebao.core.errors import InvalidInput
from shebao.core.regions import NATIONAL_REGION, city_of, level_of, province_of

LEVEL_NAMES = {0: ("全国", "country"), 1: ("省", "province"), 2: ("市", "city"), 3: ("区县", "county"),
               4: ("街道乡镇", "street")}
LEVELS_BY_NAME = {en: level for level, (_, en) in LEVEL_NAMES.items()}
STREET_LEVEL = 4

# The case statuses still being worked (risk_cases.status): open, assigned, investigating. Confirmed and cleared are
# concluded.
OPEN_CASE_STATUSES = ("open", "assigned", "investigating")
# The steps of a recovery that bring money back (risk_recovery_movements.kind); a write-off recovers nothing.
RECOVERING_MOVEMENTS = ("repayment", "offset")
PENSION_GROUP = "pension"  # participations.exclusion_group of both pension schemes (employee, residents')


@dataclass(frozen=True)
class Figure:
    name: str
    zh: str
    en: str
    keyed_by: str | None = None  # what the figure is split by: insurance, severity, movement; None: one number


# The counts the summary table holds, per region: (figure, key) → value.
FIGURES: dict[str, Figure] = {f.name: f for f in (
    Figure("pension_insured", "养老保险参保人数", "persons in a pension scheme (employee or residents')"),
    Figure("uninsured", "应保未保人数（最近一次比对）", "should be insured but are not (the latest comparison)"),
    Figure("insured", "分险种参保人数", "persons insured, by insurance", "insurance"),
    Figure("card_holders", "持卡人数", "persons holding a valid social security card"),
    Figure("ecard_holders", "电子社保卡持有人数", "persons holding an electronic card"),
    Figure("interrupted", "断缴人数（最近一次比对）", "insured whose contributions stopped (the latest comparison)"),
    Figure("open_cases", "在办风险案件数", "risk cases being worked, by severity", "severity"),
    Figure("open_cases_fen", "在办风险案件涉及金额（分）", "money at stake on the risk cases being worked, fen", "severity"),
    Figure("recovered_fen", "已追回金额（分）", "money recovered, fen", "movement"),
)}


def check_region_code(region: str) -> str:
    """A region of the cockpit: the country (000000), a province, city, county (6 digits) or street (9 digits)."""
    region = (region or "").strip()
    if not (region.isdigit() and len(region) in (6, 9)):
        raise InvalidInput("cockpit.region", f"「{region[:20]}」不是有效的区划代码（6 位或 9 位数字，全国为 000000）",
                           f"{region[:20]!r} is not a region code (6 or 9 digits; the country is 000000)")
    return region


def check_level(region: str, level: str | None) -> int:
    """The level of the rows to drill down to: one below the region's own unless asked, never above or at it."""
    own = level_of(region)
    if level is None:
        if own == STREET_LEVEL:
            return STREET_LEVEL + 1  # a street has no children: nothing to drill into
        return own + 1
    if level not in LEVELS_BY_NAME or LEVELS_BY_NAME[level] <= own:
        raise InvalidInput("cockpit.level", "下钻层级应低于所选区划：「province」「city」「county」或「street」",
                           "the drill-down level lies below the region: province, city, county or street",
                           allowed=[name for name, number in LEVELS_BY_NAME.items() if number > own])
    return LEVELS_BY_NAME[level]


def ancestors(region: str) -> list[str]:
    """The region and every region above it up to the country, nearest first: 110105001 → 110105, 110100, 110000,
    000000. (A county of a province-level city is listed under its city code, 110100, like the registry's tree.)"""
    chain = [region]
    level = level_of(region)
    if level >= 4:
        chain.append(region[:6])
    if level >= 3:
        chain.append(city_of(region))
    if level >= 2:
        chain.append(province_of(region))
    if level >= 1:
        chain.append(NATIONAL_REGION)
    return chain


def ratio(numerator: int, denominator: int, places: int = 4) -> str | None:
    """numerator ÷ denominator to `places` decimals, half up, as text ("0.9375"); None when nothing to divide by."""
    if denominator <= 0:
        return None
    quantum = Decimal(1).scaleb(-places)
    return str((Decimal(numerator) / Decimal(denominator)).quantize(quantum, rounding=ROUND_HALF_UP))


def coverage(pension_insured: int, uninsured: int) -> dict:
    """参保率: the insured ÷ those who should be insured, who are the insured and the comparison's uninsured list."""
    should = pension_insured + uninsured
    return {"insured": pension_insured, "uninsured": uninsured, "should_be_insured": should,
            "rate": ratio(pension_insured, should)}


def months_covered(balance_fen: int, spending_fen: list[int], window: int) -> str | None:
    """可支付月数: how many months of spending the balance pays — the balance ÷ the average monthly spending of the
    last `window` months (fewer when the fund is younger), to one decimal, half up. None when nothing was spent."""
    recent = spending_fen[-window:] if window > 0 else []
    spent = sum(recent)
    if not recent or spent <= 0:
        return None
    return str((Decimal(balance_fen) * len(recent) / Decimal(spent)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def fund_months(rows: list[tuple[str, str, int, int]], opening: dict[str, int]) -> dict[str, list[dict]]:
    """Per insurance, each month's income (credits to the pool), spending (debits) and closing balance (what the
    pool holds: credits less debits, cumulated from `opening`, the balance before the first month given). `rows` are
    (insurance, period, debits_fen, credits_fen) with credits negative, debit positive as the ledger keeps them."""
    by_insurance: dict[str, list[dict]] = {}
    for insurance, period, debits, credits in sorted(rows):
        months = by_insurance.setdefault(insurance, [])
        before = months[-1]["balance_fen"] if months else opening.get(insurance, 0)
        income, spending = -int(credits), int(debits)
        months.append({"period": period, "income_fen": income, "spending_fen": spending,
                       "balance_fen": before + income - spending})
    return by_insurance


def counts_view(counts: dict[tuple[str, str], int]) -> dict:
    """The figures of one region from its (figure, key) → value counts, every figure present (0 when none)."""
    def total(name: str) -> int:
        return sum(value for (figure, _), value in counts.items() if figure == name)

    def split(name: str) -> dict[str, int]:
        return {key: value for (figure, key), value in sorted(counts.items()) if figure == name}

    view: dict = {"coverage": coverage(total("pension_insured"), total("uninsured"))}
    for name in ("card_holders", "ecard_holders", "interrupted"):
        view[name] = total(name)
    view["insured_by_insurance"] = split("insured")
    view["open_cases"] = {"total": total("open_cases"), "by_severity": split("open_cases"),
                          "amount_fen": total("open_cases_fen"), "amount_fen_by_severity": split("open_cases_fen")}
    view["recovered_fen"] = {"total": total("recovered_fen"), "by_movement": split("recovered_fen")}
    return view


def month_of(day: date) -> str:
    return f"{day.year:04d}{day.month:02d}"


def definitions() -> list[dict]:
    """The figures' names, for a reader of the JSON."""
    return [{"figure": f.name, "zh": f.zh, "en": f.en, "keyed_by": f.keyed_by} for f in FIGURES.values()]
