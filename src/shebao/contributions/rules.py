"""Contribution rules: the base used, each party's amount per insurance for one month, and how a payment is
spread over the debts with its late fee.

Pure: the parameters in force are passed in as a snapshot; no database, no clock.

The money steps — the base used and an amount at a rate — are written once over `Number`s (core.arithmetic):
the calculator (`assess_month`, `shebao contrib assess`) applies them to one person's integers, month-end
(batch.py) to the columns of its INSERT … SELECT, and tests/integration/test_assessment_formula_properties.py
holds the two equal to the fen. Rates enter them as whole millionths.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Protocol

from shebao.core.arithmetic import RATE_DENOMINATOR, Number, clamp, coalesce, divide_half_up, millionths
from shebao.core.errors import Forbidden, InvalidInput, given_zh
from shebao.core.insurances import INSURANCE_NAMES, Insurance  # noqa: F401 - re-exported for callers
from shebao.core.money import fen_to_yuan
from shebao.core.periods import Period
from shebao.core.security import Principal, Role
from shebao.policy.store import ParameterSnapshot

ABSURD_MULTIPLE_OF_CEILING = 100


class Category(StrEnum):
    EMPLOYEE = "employee"
    FLEXIBLE = "flexible"


# Who pays a bill (Bill.payer_kind, "employer" or "flexible"), as people call them, (Chinese, English).
PAYER_KIND_NAMES: dict[str, tuple[str, str]] = {"employer": ("单位", "employer"), "flexible": ("灵活就业人员", "flexible worker")}

@dataclass(frozen=True)
class BaseLimits:
    floor_fen: int
    ceiling_fen: int
    sources: dict[str, str]

    def clamp(self, declared_fen: int | None) -> int:
        return used_base_fen(declared_fen, self.floor_fen, self.ceiling_fen)


# --- The money steps: one formula, two shapes ----------------------------------------------------------------

def used_base_fen(declared_fen: Number | None, floor_fen: Number, ceiling_fen: Number) -> Number:
    """The base contributions are assessed on: the declared base held between the floor and the ceiling (60% and
    300% of the average wage, or the province's published figures); a month with no base declared pays on the floor."""
    return clamp(coalesce(declared_fen, floor_fen), floor_fen, ceiling_fen)


def contribution_fen(base_fen: Number, rate_millionths: Number) -> Number:
    """One party's amount for one insurance: the base × the rate (in millionths), rounded half up to the fen."""
    return divide_half_up(base_fen * rate_millionths, RATE_DENOMINATOR)


def medical_individual_fen(base_fen: Number, rate_millionths: Number, serious_illness_fen: Number) -> Number:
    """An employee's own medical contribution: the rate on the base plus the fixed serious-illness amount."""
    return contribution_fen(base_fen, rate_millionths) + serious_illness_fen


@dataclass(frozen=True)
class Item:
    insurance: Insurance
    employer_fen: int
    individual_fen: int
    personal_account_fen: int

    @property
    def total_fen(self) -> int:
        return self.employer_fen + self.individual_fen

    def as_dict(self) -> dict:
        return {"insurance": self.insurance.value, "employer_fen": self.employer_fen,
                "individual_fen": self.individual_fen, "personal_account_fen": self.personal_account_fen}


@dataclass(frozen=True)
class Assessment:
    declared_base_fen: int
    used_base_fen: int
    limits: BaseLimits
    items: tuple[Item, ...]
    sources: dict[str, str] = field(default_factory=dict)

    @property
    def total_fen(self) -> int:
        return sum(item.total_fen for item in self.items)

    def as_dict(self) -> dict:
        return {
            "declared_base_fen": self.declared_base_fen, "used_base_fen": self.used_base_fen,
            "floor_fen": self.limits.floor_fen, "ceiling_fen": self.limits.ceiling_fen,
            "items": [item.as_dict() for item in self.items], "total_fen": self.total_fen,
            "sources": self.sources,
        }


def base_limits(params: ParameterSnapshot) -> BaseLimits:
    """The floor and ceiling in force: the province's published figures, else ratios of the average wage."""
    sources: dict[str, str] = {}
    limits = []
    for bound, ratio_path in (("floor", "contribution.base.floor_ratio"), ("ceiling", "contribution.base.ceiling_ratio")):
        published = f"contribution.base.{bound}_fen"
        if params.has(published):
            limits.append(params.value(published))
            sources[published] = params.explain(published).source
            continue
        wage = params.explain("wages.average_monthly_fen")
        ratio = params.explain(ratio_path)
        limits.append(int((Decimal(wage.value) * ratio.value).quantize(Decimal(1), rounding=ROUND_HALF_UP)))
        sources[wage.path], sources[ratio.path] = wage.source, ratio.source
    return BaseLimits(limits[0], limits[1], sources)


def check_declared_base(declared_fen: object, limits: BaseLimits) -> int:
    """A declared base is a positive whole number of fen, and not absurdly above the ceiling."""
    if isinstance(declared_fen, bool) or not isinstance(declared_fen, int):
        raise InvalidInput("base.not_integer", f"缴费基数必须是整数（分）{given_zh(declared_fen)}",
                           f"a contribution base is a whole number of fen: {declared_fen!r}")
    if declared_fen <= 0:
        raise InvalidInput("base.not_positive", f"缴费基数必须大于零：{declared_fen}",
                           f"a contribution base is above zero: {declared_fen}")
    if declared_fen > ABSURD_MULTIPLE_OF_CEILING * limits.ceiling_fen:
        raise InvalidInput("base.absurd",
                           f"缴费基数 {fen_to_yuan(declared_fen)} 元超过上限的 {ABSURD_MULTIPLE_OF_CEILING} 倍，请核实",
                           f"a base of {fen_to_yuan(declared_fen)} yuan is over {ABSURD_MULTIPLE_OF_CEILING} times the "
                           "ceiling; check it")
    return declared_fen


def check_chosen_base(declared_fen: int, limits: BaseLimits, period: Period) -> int:
    """A flexible worker chooses a base between the floor and the ceiling in force (POLICY.md: 60% to
    300% of the average wage); a choice outside that range is refused, not silently moved to the limit.
    An employee's base is the wage the employer declares and is clamped instead (that is the law)."""
    if not limits.floor_fen <= declared_fen <= limits.ceiling_fen:
        floor, ceiling, declared = (fen_to_yuan(v) for v in (limits.floor_fen, limits.ceiling_fen, declared_fen))
        raise InvalidInput(
            "base.outside_range",
            f"灵活就业人员 {period.year}年{period.month}月 的缴费基数应在 {floor} 元至 {ceiling} 元之间"
            f"（缴费基数下限至上限），申报的 {declared} 元不在此范围内",
            f"a flexible worker's base for {period} must be between {floor} and {ceiling} yuan "
            f"(the floor and ceiling in force); {declared} yuan is outside that range",
            floor_fen=limits.floor_fen, ceiling_fen=limits.ceiling_fen, declared_base_fen=declared_fen)
    return declared_fen


# The conventions month-end, make-up and the calculator implement; a province whose parameter names another is refused,
# never billed by a rule the code does not have.
SUPPORTED_MONTH_RULES = {"contribution.rounding": "half_up", "contribution.month_coverage_rule": "any_day"}


def check_month_rules(params: ParameterSnapshot) -> dict[str, str]:
    """Refuses a month whose rounding or coverage rule the code does not implement; returns their sources, so the
    explanation says which months are billed (any day covered bills the whole month) and how amounts are rounded."""
    for path, supported in SUPPORTED_MONTH_RULES.items():
        if params.value(path) != supported:
            raise InvalidInput("policy.unsupported_rule",
                               f"「{params.region_code}」的参数「{path}」为「{params.value(path)}」，本系统尚不支持，不能核定",
                               f"{path} is {params.value(path)!s} for {params.region_code}, a rule not supported yet; "
                               "nothing is assessed", path=path, value=str(params.value(path)))
    return {path: params.explain(path).source for path in SUPPORTED_MONTH_RULES}


def assess_month(params: ParameterSnapshot, *, category: Category, declared_base_fen: int,
                 work_injury_class: int = 1, insurances: Collection[Insurance] | None = None) -> Assessment:
    """One month for one person: the base used and each party's amount per insurance, in fen — for the insurances
    the person is in (each from its own participation; all the category's when not said)."""
    limits = base_limits(params)
    declared = check_declared_base(declared_base_fen, limits)
    used = used_base_fen(declared, limits.floor_fen, limits.ceiling_fen)
    sources = dict(limits.sources) | check_month_rules(params)

    def rate(path: str) -> int:
        sources[path] = params.explain(path).source
        return millionths(params.value(path))

    def fen(path: str) -> int:
        sources[path] = params.explain(path).source
        return params.value(path)

    def at(rate_millionths: int) -> int:
        return contribution_fen(used, rate_millionths)

    if category == Category.FLEXIBLE:
        items = (
            Item(Insurance.PENSION, 0, at(rate("contribution.flexible.pension_rate")),
                 at(rate("contribution.flexible.pension_personal_account_rate"))),
            Item(Insurance.MEDICAL, 0, at(rate("contribution.flexible.medical_rate")), 0),
        )
    else:
        items = (
            Item(Insurance.PENSION, at(rate("contribution.pension.employer_rate")),
                 at(rate("contribution.pension.individual_rate")), at(rate("contribution.pension.personal_account_rate"))),
            Item(Insurance.MEDICAL, at(rate("contribution.medical.employer_rate")),
                 medical_individual_fen(used, rate("contribution.medical.individual_rate"),
                                        fen("contribution.medical.serious_illness_individual_fen")), 0),
            Item(Insurance.UNEMPLOYMENT, at(rate("contribution.unemployment.employer_rate")),
                 at(rate("contribution.unemployment.individual_rate")), 0),
            Item(Insurance.WORK_INJURY, at(millionths(_class_rate(params, work_injury_class, sources))), 0, 0),
            Item(Insurance.MATERNITY, at(rate("contribution.maternity.employer_rate")), 0, 0),
        )
    if insurances is not None:
        items = tuple(item for item in items if item.insurance in insurances)
    return Assessment(declared, used, limits, items, sources)


def _class_rate(params: ParameterSnapshot, risk_class: int, sources: dict[str, str]) -> Decimal:
    table = params.explain("contribution.work_injury.class_rates")
    if isinstance(risk_class, bool) or risk_class not in table.value:
        raise InvalidInput("work_injury.class", f"工伤保险行业风险类别应为 1 至 {len(table.value)}{given_zh(risk_class)}",
                           f"the work-injury risk class is 1 to {len(table.value)}: {risk_class!r}")
    sources[table.path] = table.source
    return table.value[risk_class]


def require_payer_or_staff(principal: Principal, *, payer_kind: str, payer_id: int, region_code: str) -> None:
    """The payer itself (an employer for its employees, a flexible worker for themself) or staff of the region."""
    if principal.role == Role.EMPLOYER and payer_kind == "employer" and principal.employer_id == payer_id:
        return
    if principal.role == Role.INSURED and payer_kind == "flexible" and principal.person_id == payer_id:
        return
    if principal.role in (Role.STAFF, Role.ADMIN):
        principal.require_region(region_code)
        return
    raise Forbidden("payer.not_yours", "只能办理本单位职工或本人的缴费业务",
                    "you may act for your own employees or yourself only")

# --- Payments: oldest debt first, each part with its late fee -----------------------------------------


class Debt(Protocol):
    """What allocation needs of a bill."""

    id: int
    period: str
    due_date: date


@dataclass(frozen=True)
class Allocation:
    bill_id: int
    period: str
    principal_fen: int
    late_fee_fen: int
    days_late: int


def late_fee(principal_fen: int, days_late: int, daily_rate: Decimal) -> int:
    """The statutory late fee on a principal for its days overdue (contribution.late_fee_daily_rate a day), half up."""
    return int((Decimal(principal_fen) * daily_rate * days_late).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def allocate(debts: Sequence[tuple[Debt, int]], amount_fen: int, received_on: date, daily_rate: Decimal) -> list[Allocation]:
    """Spread a payment over debts oldest first; each part carries the late fee for its days overdue.

    Every fen of the amount is assigned. A bill is paid in full (its principal and its whole fee) while
    the money lasts; the rest, if any, is a part payment of the next bill, and only that one part is
    ever partial. The precondition is an amount no larger than the debts with their fees (see `owed`)."""
    remaining, allocations = amount_fen, []
    for bill, unpaid in debts:
        if remaining <= 0:
            break
        days = max((received_on - bill.due_date).days, 0)
        full_fee = late_fee(unpaid, days, daily_rate)
        if unpaid + full_fee <= remaining:
            principal, fee = unpaid, full_fee
        else:
            principal = part_payment_principal(remaining, days, daily_rate)
            fee = remaining - principal
        allocations.append(Allocation(bill.id, bill.period, principal, fee, days))
        remaining -= principal + fee
    if remaining:
        raise ValueError(f"a payment of {amount_fen} fen exceeds the debts it was allocated to by {remaining} fen")
    return allocations


def part_payment_principal(amount_fen: int, days_late: int, daily_rate: Decimal) -> int:
    """The principal a part payment clears: the least principal whose statutory fee, added to it, reaches
    the amount; the rest of the amount is the late fee.

    The fee is rounded to the fen, so principal + fee(principal) skips values and no principal may
    match the amount exactly. Where the leftover fen go is a choice: here they clear principal, never
    raise the fee. The fee charged then lies between the statutory fee on one fen less and the statutory
    fee on the principal cleared, so a payer is never charged more late fee than the law allows on what
    the payment cleared (at most one rounding step less), and even a single fen clears a fen of debt."""
    if amount_fen <= 0:
        return 0
    cost_of_a_fen = Decimal(1) + daily_rate * days_late
    principal = max(int((Decimal(amount_fen) / cost_of_a_fen).to_integral_value(rounding=ROUND_CEILING)), 1)
    while principal + late_fee(principal, days_late, daily_rate) < amount_fen:
        principal += 1
    while principal > 1 and principal - 1 + late_fee(principal - 1, days_late, daily_rate) >= amount_fen:
        principal -= 1
    return principal
