"""Retirement and pension rules. Pure: the parameters in force are passed in, every step explained.

Statutory age under the 2025 reform: delay = min(cap, floor(k / step) + 1) months, k being the months
of birth after the group's first delayed birth month; born before it, the original age.
Basic pension = W x (1 + I) / 2 x N x 1%; personal-account pension = balance / divisor for the age.
"""

from __future__ import annotations

from calendar import monthrange
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from shebao.core.errors import InvalidInput
from shebao.policy.store import ParameterSnapshot


class Group(StrEnum):
    MALE = "male"
    FEMALE_CADRE = "female_cadre"
    FEMALE_WORKER = "female_worker"


@dataclass(frozen=True)
class RetirementAge:
    months: int

    @property
    def years_months(self) -> dict[str, int]:
        return {"years": self.months // 12, "months": self.months % 12}


def add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, monthrange(year, month + 1)[1]))


def statutory_age(params: ParameterSnapshot, *, group: Group, birth_date: date) -> tuple[RetirementAge, list[dict]]:
    """The statutory retirement age for a birth date and group, with its explanation."""
    prefix = f"retirement.{group.value}"
    original = params.value(f"{prefix}.original_age_months")
    steps = [_step("original_age_months", original, params.explain(f"{prefix}.original_age_months").source)]
    if not params.has(f"{prefix}.target_age_months"):
        return RetirementAge(original), steps
    start_year, start_month = (int(x) for x in params.value(f"{prefix}.reform_start_birth_month").split("-"))
    k = (birth_date.year * 12 + birth_date.month) - (start_year * 12 + start_month)
    if k < 0:
        steps.append(_step("delay_months", 0, "born before the first delayed birth month"))
        return RetirementAge(original), steps
    step, cap = params.value(f"{prefix}.delay_step_months"), params.value(f"{prefix}.delay_cap_months")
    delay = min(cap, k // step + 1)
    steps.append(_step("delay_months", delay, f"min({cap}, floor({k} / {step}) + 1); "
                       + params.explain(f"{prefix}.delay_step_months").source))
    return RetirementAge(original + delay), steps


def divisor_for(params: ParameterSnapshot, age: RetirementAge) -> tuple[Decimal, str]:
    """The months the personal account is divided by, interpolated by month between whole ages."""
    table = params.value("pension.divisor")
    years, months = divmod(age.months, 12)
    if years not in table:
        raise InvalidInput("pension.divisor_age", f"计发月数表没有 {years} 岁", f"the divisor table has no age {years}")
    base = Decimal(table[years])
    if months == 0 or params.value("pension.divisor_month_rule") == "whole_years" or years + 1 not in table:
        return base, f"divisor for age {years}"
    following = Decimal(table[years + 1])
    value = base - (base - following) * months / 12
    return value, f"{base} − ({base} − {following}) × {months}/12 (interpolated by month)"


def fen(amount: Decimal) -> int:
    return int(amount.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _step(name: str, value: object, how: str) -> dict:
    return {"step": name, "value": value if not isinstance(value, Decimal) else str(value), "how": how}


@dataclass
class PensionCase:
    region: str
    retire_date: date
    birth_date: date
    group: Group
    contribution_months: int
    deemed_months: int
    average_index: Decimal
    personal_account_fen: int
    calculation_wage_fen: int | None = None
    reasons: list[str] = field(default_factory=list)


def calculate_pension(params: ParameterSnapshot, age_params: ParameterSnapshot, case: PensionCase) -> dict:
    """An explained pension award for one case; an ineligible case lists every failed condition.

    `params` are those in force at retirement; `age_params` those in force when the person reached the
    original age, which decide whether the reform's later age applies to them."""
    age, steps = statutory_age(age_params, group=case.group, birth_date=case.birth_date)
    statutory_date = add_months(case.birth_date, age.months)
    original = params.value(f"retirement.{case.group.value}.original_age_months")
    actual_months = (case.retire_date.year * 12 + case.retire_date.month) - (case.birth_date.year * 12 + case.birth_date.month) \
        - (1 if case.retire_date.day < case.birth_date.day else 0)
    steps.append(_step("statutory_retirement_date", statutory_date.isoformat(), "birth date + statutory age"))
    reasons = []
    minimum = params.value("pension.minimum_contribution_months")
    counted = case.contribution_months + case.deemed_months
    steps.append(_step("minimum_contribution_months", minimum, params.explain("pension.minimum_contribution_months").source))
    if counted < minimum:
        reasons.append(f"contribution months {counted} are fewer than the {minimum} required in {case.retire_date.year}")
    if case.retire_date < statutory_date:
        earliest = max(age.months - (params.value("retirement.early_retirement_max_months")
                                     if params.has("retirement.early_retirement_max_months") else 0), original)
        if actual_months < earliest:
            reasons.append(f"retiring at {actual_months // 12}y{actual_months % 12}m is before the earliest allowed age "
                           f"({earliest // 12}y{earliest % 12}m) without an early-retirement ground")
    retirement_age = RetirementAge(max(actual_months, 0))
    wage_fen = case.calculation_wage_fen or params.value("pension.calculation_wage_fen")
    wage_source = "given in the case" if case.calculation_wage_fen else params.explain("pension.calculation_wage_fen").source
    years = Decimal(counted) / 12
    basic = Decimal(wage_fen) * (1 + case.average_index) / 2 * years / 100
    steps.append(_step("basic_pension", fen(basic), f"W {wage_fen} × (1 + {case.average_index}) / 2 × {years:.4f} years × 1%"
                       f" (W: {wage_source})"))
    divisor, how = divisor_for(params, retirement_age)
    account = Decimal(case.personal_account_fen) / divisor
    steps.append(_step("divisor", divisor, f"{how}; {params.explain('pension.divisor').source}"))
    steps.append(_step("personal_account_pension", fen(account), f"{case.personal_account_fen} / {divisor}"))
    coefficient = params.value("pension.transitional_coefficient")
    transitional = Decimal(wage_fen) * case.average_index * Decimal(case.deemed_months) / 12 * coefficient
    steps.append(_step("transitional_pension", fen(transitional), f"W × I × deemed years × {coefficient} "
                       f"({params.explain('pension.transitional_coefficient').source})"))
    total = fen(basic) + fen(account) + fen(transitional)
    divisor_out = int(divisor) if divisor == divisor.to_integral_value() else float(round(divisor, 4))
    return {"eligible": not reasons, "reasons": reasons, "retirement_age": retirement_age.years_months,
            "statutory_retirement_age": age.years_months, "statutory_retirement_date": statutory_date.isoformat(),
            "basic_pension_fen": fen(basic), "personal_account_pension_fen": fen(account),
            "transitional_pension_fen": fen(transitional), "total_fen": total, "divisor": divisor_out, "steps": steps}
