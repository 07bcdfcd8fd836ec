"""Retirement and pension rules. Pure: the parameters in force are passed in, every step explained.

Statutory age under the 2025 reform: delay = min(cap, floor(k / step) + 1) months, k being the months
of birth after the group's first delayed birth month; born before it, the original age.
Basic pension = W x (1 + I) / 2 x N x 1%; personal-account pension = balance / divisor for the age; transitional
pension = the province's base per year x the years it counts x its coefficient. How a province rounds N, the divisor
and each part, which base and years its transitional pension takes, and any local rise it pays are parameters of
its pack (pension_formula.yaml; docs/provinces.md), never branches here.

The money steps of the award are written once over `Number`s (core.arithmetic): the calculator applies
them to one person's integers, the award batch (awards.py) to the columns of its INSERT … SELECT.
"""

from __future__ import annotations

from calendar import monthrange
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from enum import StrEnum

from shebao.core.arithmetic import (  # millionths moved there; callers still say rules.millionths
    RATE_DENOMINATOR,
    Number,
    clamp,
    divide_half_up,
    millionths,  # noqa: F401 - re-exported: callers say rules.millionths
    one_if_zero,
)
from shebao.core.errors import InvalidInput
from shebao.policy.store import ParameterSnapshot


class Group(StrEnum):
    MALE = "male"
    FEMALE_CADRE = "female_cadre"
    FEMALE_WORKER = "female_worker"


# How each category reads for people, (Chinese, English): messages and pages name categories through it.
GROUP_NAMES: dict[Group, tuple[str, str]] = {
    Group.MALE: ("男职工", "man"), Group.FEMALE_CADRE: ("女干部（管理技术岗）", "woman, managerial or technical"),
    Group.FEMALE_WORKER: ("女工人", "woman worker"),
}

# A pension award's payment status (PensionAward.status), (Chinese, English).
AWARD_STATUS_NAMES: dict[str, tuple[str, str]] = {
    "paying": ("正常发放", "paying"), "suspended": ("暂停发放", "suspended"), "stopped": ("已终止", "stopped"),
}


def award_status_name(status: str) -> tuple[str, str]:
    return AWARD_STATUS_NAMES.get(status, ("状态未知", "in an unknown state"))


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


@dataclass(frozen=True)
class CertificationTerms:
    """When a receiver's yearly proof of life (待遇领取资格认证) is in date, from the parameters in force.

    The next certification falls due `interval_months` after the last one; payment goes on through
    `grace_days` more days and stops the day after. `in_date` says so directly; `earliest_in_date` turns
    it into one date the batches compare `certified_on` with (no month arithmetic in SQL, which SQLite
    and PostgreSQL do differently at a month's end), and a property test holds the two equal."""

    interval_months: int
    grace_days: int
    reminder_days: int

    @classmethod
    def in_force(cls, params: ParameterSnapshot) -> CertificationTerms:
        return cls(interval_months=params.value("certification.interval_months"),
                   grace_days=params.value("certification.grace_days"),
                   reminder_days=params.value("certification.reminder_days"))

    def due(self, certified_on: date) -> date:
        """The same day `interval_months` later (clipped to a shorter month's end)."""
        return add_months(certified_on, self.interval_months)

    def in_date(self, certified_on: date, on: date) -> bool:
        """Still in date on the due day plus the grace; overdue (and not paid) from the day after."""
        return on <= self.due(certified_on) + timedelta(days=self.grace_days)

    def earliest_in_date(self, on: date) -> date:
        """The oldest last certification still in date on `on`: certified_on >= it exactly when in_date."""
        return self._earliest_due_on_or_after(on - timedelta(days=self.grace_days))

    def reminder_cutoff(self, on: date) -> date:
        """A certification older than this falls due within the reminder days of `on` (or already has)."""
        return self._earliest_due_on_or_after(on + timedelta(days=self.reminder_days + 1))

    def _earliest_due_on_or_after(self, day: date) -> date:
        candidate = add_months(day, -self.interval_months)
        if self.due(candidate) < day:  # clipped (31 March back to 28 February, due 28 March): the next day,
            candidate += timedelta(days=1)  # 1 March, is the first whose due date is not before `day`
        return candidate


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


# The divisor is kept in 600ths of a month: exact when interpolated by month (twelfths) and when rounded to
# tenths or hundredths, as approval forms print it (60 years 2 months: 137.8).
DIVISOR_SCALE = 600
DIVISOR_ROUNDING = {"twelfths": 12, "tenths": 10, "hundredths": 100}  # pension.divisor_rounding → parts of a month


def divisor_units(params: ParameterSnapshot, age: RetirementAge) -> tuple[int, str]:
    """The divisor for an age in 600ths of a month, interpolated by month and rounded as the province prints it."""
    table = params.value("pension.divisor")
    years, months = divmod(age.months, 12)
    if years not in table:
        raise InvalidInput("pension.divisor_age", f"计发月数表没有 {years} 岁", f"the divisor table has no age {years}")
    base = table[years]
    if months == 0 or params.value("pension.divisor_month_rule") == "whole_years" or years + 1 not in table:
        return DIVISOR_SCALE * base, f"divisor for age {years}"
    following = table[years + 1]
    twelfths = 12 * base - (base - following) * months
    parts = DIVISOR_ROUNDING[params.value("pension.divisor_rounding")]
    rounded = divide_half_up(twelfths * parts, 12)
    how = f"{base} − ({base} − {following}) × {months}/12 (interpolated by month)"
    if parts != 12:
        how += f", rounded half up to 1/{parts}"
    return rounded * (DIVISOR_SCALE // parts), how


def divisor_text(divisor: Decimal) -> str:
    """137.8, 139, 138.4167: as few decimals as the divisor has, at most four."""
    return format(divisor.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP).normalize(), "f")


def divisor_decimal(units: int) -> Decimal:
    """The divisor in months as people read it (137.8; 138.4167 when kept exact)."""
    return Decimal(units) / DIVISOR_SCALE


# --- The award's money steps: one formula, two shapes ---------------------------------------------------
# Each takes and returns Numbers — ints for the calculator, integer SQL expressions for the award batch — so
# the two cannot drift apart; tests/integration/test_award_formula_properties.py holds them equal to the fen.
# Units of the integer arithmetic: the index in ten-thousandths, index sums in millionths, the accrual and the
# transitional coefficient in ten-thousandths (BASIS), the divisor in 600ths of a month, years in the units the
# province rounds them to (`per_year`: 12 for exact months, 100 for two decimals, 10,000 for four; 上海 counts whole
# years and adds a fixed share for each further month, `per_month` thousandths of a year), each part rounded half up
# to the fen and, where the province prints jiao, to the jiao (`amount_unit` 10).
# Products stay below 2^63 for a wage up to 20,000 yuan, an index up to 3, 60 years at four decimals and a
# coefficient up to 1.5% (tests/unit/test_pension_formulas.py).
INDEX_SCALE = 10_000  # the average index to four decimals
BASIS = 10_000  # the accrual and the coefficient (1% = 100, 1.4% = 140)
MONTHS_PER_YEAR = 12
# pension.years_rounding → per_year (units of N in a year)
YEARS_ROUNDING = {"months": 12, "hundredths": 100, "ten_thousandths": 10_000, "whole_years_and_months": 1_000}
AMOUNT_UNITS = {"fen": 1, "jiao": 10}  # pension.amount_rounding → the fen a part is rounded to


def index_millionths(base_fen: Number, average_wage_fen: Number) -> Number:
    """A contribution index: a base (or a year's sum of bases) over the average wage it is measured against,
    in millionths, rounded half up. The average wage is never 0 (a parameter, or checked on import)."""
    return divide_half_up(base_fen * RATE_DENOMINATOR, average_wage_fen)


def index_ten_thousandths(index_sum_millionths: Number, months: Number) -> Number:
    """The average contribution index in ten-thousandths, rounded half up (four decimals); 0 without months."""
    # Every month brings its index, so without months the sum is 0 too: one_if_zero only keeps the division
    # defined, in both shapes, where an `if` would have needed a CASE twin in the batch.
    millionths_per_index_unit = RATE_DENOMINATOR // INDEX_SCALE
    return divide_half_up(index_sum_millionths, months * millionths_per_index_unit + one_if_zero(months))


def counted_months(contribution_months: Number, deemed_months: Number) -> Number:
    """N: the contribution years the basic pension counts, deemed years included, in months."""
    return contribution_months + deemed_months


def meets_minimum(counted: Number, minimum_months: Number) -> Number:
    """Enough contribution months to draw a monthly pension (a bool, or an SQL condition)."""
    return counted >= minimum_months


def years_units(months: Number, per_year: Number, per_month: Number = 0) -> Number:
    """Years as the approval form prints and uses them, in 1/per_year of a year: months / 12 rounded half up (376
    months at two decimals: 3,133 hundredths; per_year 12 keeps the months exact), or where `per_month` is set,
    whole years plus that many units for each further month (上海: 23 years 10 months → 23 × 1,000 + 10 × 83)."""
    whole, rest = months // MONTHS_PER_YEAR, months % MONTHS_PER_YEAR
    proportional = one_if_zero(per_month)  # 1 unless a fixed share per month is set: no branch for the SQL shape
    return whole * per_year + proportional * divide_half_up(rest * per_year, MONTHS_PER_YEAR) + rest * per_month


def rounded_to(amount_fen: Number, unit: Number) -> Number:
    """A part rounded half up to the unit the province prints (1: the fen; 10: the jiao)."""
    return divide_half_up(amount_fen, unit) * unit


def basic_pension_fen(wage_fen: Number, index: Number, years: Number, per_year: Number, accrual: Number,
                      local_wage_fen: Number | None = None) -> Number:
    """(W_local + W × I) / 2 × N × the accrual a year (1%), with I in ten-thousandths, N in 1/per_year of a year and the
    accrual in ten-thousandths; W_local is W itself but where the province takes the city's own (吉林)."""
    local = wage_fen if local_wage_fen is None else local_wage_fen
    return divide_half_up((local * INDEX_SCALE + wage_fen * index) * years * accrual, 2 * INDEX_SCALE * per_year * BASIS)


@dataclass(frozen=True)
class ExtraBands:
    """A rise of the basic pension for the years of N beyond thresholds (吉林's 基础养老金增发, 吉政发〔1998〕28号):
    each band a share a year of the basic pension's base, rounded to the fen band by band, paid only with more
    actual contribution months than `min_actual_months`. Three slots (a rate of 0 is an unused band), so the batch
    applies the same steps to columns."""

    starts: tuple[Number, Number, Number] = (0, 0, 0)  # whole years of N where each band starts
    widths: tuple[Number, Number, Number] = (0, 0, 0)  # years each band spans
    rates: tuple[Number, Number, Number] = (0, 0, 0)  # ten-thousandths a year
    min_actual_months: Number = 0


NO_EXTRA_BANDS = ExtraBands()


def extra_accrual_fen(wage_fen: Number, local_wage_fen: Number, index: Number, years: Number, per_year: Number,
                      contribution_months: Number, bands: ExtraBands) -> Number:
    """The rise for the years beyond each band's start: (W_local + W × I) / 2 × the years within the band × its rate,
    each band half up to the fen, the bands summed; nothing without more actual months than the minimum."""
    if bands is NO_EXTRA_BANDS:  # the province has none: 0, and no CASE in a batch's SQL
        return 0
    paid = clamp(contribution_months - bands.min_actual_months, 0, 1)
    total: Number = 0
    for start, width, rate in zip(bands.starts, bands.widths, bands.rates, strict=True):
        within = clamp(years - start * per_year, 0, width * per_year)
        total = total + divide_half_up((local_wage_fen * INDEX_SCALE + wage_fen * index) * within * rate,
                                       2 * INDEX_SCALE * per_year * BASIS)
    return paid * total


def account_pension_fen(balance_fen: Number, divisor_units: Number) -> Number:
    """The personal account ÷ the divisor, the divisor given in 600ths of a month."""
    return divide_half_up(balance_fen * DIVISOR_SCALE, divisor_units)


@dataclass(frozen=True)
class TransitionalBase:
    """The transitional pension's base per year, one linear form for each kind of year counted, so the variants need no
    branch in the batch's SQL: W × (fixed + with_index × I + with_transitional_index × I_t) / halves, for the deemed
    years (`deemed`) and for the actual years the province also counts (`actual`), each a (fixed, I, I_t) triple."""

    deemed: tuple[Number, Number, Number]
    actual: tuple[Number, Number, Number]
    halves: Number
    formula_zh: str = ""
    formula_en: str = ""


# pension.transitional_base → its form (POLICY.md § Pension at retirement; the research in docs/provinces.md).
TRANSITIONAL_BASES: dict[str, TransitionalBase] = {
    # Most provinces: W × I_t for every year counted.
    "indexed_wage": TransitionalBase((0, 0, 1), (0, 0, 1), 1, "计发基数 × 过渡性指数", "W × I_t"),
    # 辽宁: the mean of W and the indexed wage, (W + W × I_t) / 2.
    "average_of_wage_and_indexed_wage": TransitionalBase((1, 0, 1), (1, 0, 1), 2, "(计发基数 + 计发基数 × 过渡性指数) ÷ 2",
                                                         "(W + W × I_t) / 2"),
    # 上海's deemed service before 1993: W × 1.0.
    "wage": TransitionalBase((1, 0, 0), (1, 0, 0), 1, "计发基数 × 1.0", "W × 1.0"),
    # 北京 (京劳社养发〔2007〕21号 附件1): G同 = W × 1 × deemed years; G实 = W × Z实指数 × actual years 1992-10 to 1998-06.
    "beijing": TransitionalBase((1, 0, 0), (0, 1, 0), 1, "视同缴费年限按指数 1，1992年10月至1998年6月实际缴费年限按本人平均缴费指数",
                                "W × 1 for deemed years, W × I for the actual years 1992-10 to 1998-06"),
}


def transitional_pension_fen(wage_fen: Number, index: Number, transitional_index: Number, deemed_years: Number,
                             actual_years: Number, per_year: Number, coefficient: Number, base: TransitionalBase) -> Number:
    """The base per year × the years counted × the coefficient (ten-thousandths), years in 1/per_year of a year."""
    def weight(triple: tuple[Number, Number, Number]) -> Number:
        fixed, with_index, with_transitional_index = triple
        return fixed * INDEX_SCALE + with_index * index + with_transitional_index * transitional_index

    return divide_half_up(wage_fen * (weight(base.deemed) * deemed_years + weight(base.actual) * actual_years) * coefficient,
                          base.halves * INDEX_SCALE * per_year * BASIS)


@dataclass(frozen=True)
class PensionParts:
    """The parts of a monthly pension in fen: ints for one person, SQL expressions for a batch."""

    basic_fen: Number
    account_fen: Number
    transitional_fen: Number
    extra_fen: Number = 0  # a local rise the province's rules pay (吉林's 增发): paid, shown apart from the total

    @property
    def total_fen(self) -> Number:
        """The national formula's total; the local rise is shown apart (and paid: `monthly_fen`)."""
        return self.basic_fen + self.account_fen + self.transitional_fen

    @property
    def monthly_fen(self) -> Number:
        return self.total_fen + self.extra_fen


@dataclass(frozen=True)
class FormulaConstants:
    """What the parameters in force give the award's money steps, in the integer units above."""

    wage_fen: Number
    accrual: Number
    coefficient: Number
    per_year: Number
    divisor_units: Number
    transitional_base: TransitionalBase
    per_month: Number = 0  # units of N per month beyond whole years where the province counts so (上海), else 0
    amount_unit: Number = 1  # each part rounded to the fen (1) or the jiao (10)
    local_wage_fen: Number | None = None  # the city's own W for the basic pension's fixed half (吉林); None: W
    extra_bands: ExtraBands = NO_EXTRA_BANDS
    # The transitional years where the province rounds them apart from N (上海: N whole + months, 1992 service to two
    # decimals); None: as N.
    transitional_per_year: Number | None = None
    transitional_per_month: Number | None = None
    notional_divisor: Number = 1  # months a notional account (上海's 虚账实记) is divided by; only 上海 has one


def pension_parts(*, constants: FormulaConstants, index: Number, transitional_index: Number, contribution_months: Number,
                  deemed_months: Number, actual_transitional_months: Number, balance_fen: Number,
                  notional_account_fen: Number = 0) -> PensionParts:
    """Basic, personal-account and transitional pension from the record's figures and the constants in force.
    `actual_transitional_months`: the actual months the transitional pension counts (0 where it counts none);
    `notional_account_fen`: 上海's 1993–1997 虚账实记, paid ÷ its divisor within the transitional pension (else 0)."""
    c = constants
    years = years_units(counted_months(contribution_months, deemed_months), c.per_year, c.per_month)
    local = c.wage_fen if c.local_wage_fen is None else c.local_wage_fen
    t_per_year = c.per_year if c.transitional_per_year is None else c.transitional_per_year
    t_per_month = c.per_month if c.transitional_per_month is None else c.transitional_per_month
    return PensionParts(
        basic_fen=rounded_to(basic_pension_fen(c.wage_fen, index, years, c.per_year, c.accrual, local), c.amount_unit),
        extra_fen=extra_accrual_fen(c.wage_fen, local, index, years, c.per_year, contribution_months, c.extra_bands),
        account_fen=rounded_to(account_pension_fen(balance_fen, c.divisor_units), c.amount_unit),
        transitional_fen=rounded_to(transitional_pension_fen(
            c.wage_fen, index, transitional_index, years_units(deemed_months, t_per_year, t_per_month),
            years_units(actual_transitional_months, t_per_year, t_per_month), t_per_year, c.coefficient,
            c.transitional_base) + divide_half_up(notional_account_fen, c.notional_divisor), c.amount_unit))


def basis_points(rate: Decimal) -> int:
    """A rate in ten-thousandths (1% = 100) for the award's integer steps; a finer one is a parameter error."""
    scaled = rate * BASIS
    if scaled != scaled.to_integral_value():
        raise InvalidInput("parameter.precision", "比例精度超过万分之一", f"rate {rate} is finer than a ten-thousandth")
    return int(scaled)


def formula_constants(params: ParameterSnapshot, age: RetirementAge, wage_fen: int,
                      local_wage_fen: int | None = None) -> FormulaConstants:
    """The constants of the award's formula from the parameters in force at retirement; W_local, where not given, is
    the city's own figure where its pack has one (吉林's 长春), else W."""
    if local_wage_fen is None and params.has("pension.local_calculation_wage_fen"):
        local_wage_fen = params.value("pension.local_calculation_wage_fen")
    t_rounding = params.value("pension.transitional_years_rounding")
    return FormulaConstants(
        local_wage_fen=wage_fen if local_wage_fen is None else local_wage_fen, extra_bands=extra_bands(params),
        transitional_per_year=None if t_rounding == "same_as_basic" else YEARS_ROUNDING[t_rounding],
        transitional_per_month=None if t_rounding == "same_as_basic" else 0,
        notional_divisor=params.value("pension.notional_account_divisor_months"),
        wage_fen=wage_fen, accrual=basis_points(params.value("pension.basic_accrual_rate")),
        coefficient=basis_points(params.value("pension.transitional_coefficient")),
        per_year=YEARS_ROUNDING[params.value("pension.years_rounding")],
        divisor_units=divisor_units(params, age)[0],
        transitional_base=TRANSITIONAL_BASES[params.value("pension.transitional_base")],
        per_month=_per_month(params), amount_unit=AMOUNT_UNITS[params.value("pension.amount_rounding")])


def extra_bands(params: ParameterSnapshot) -> ExtraBands:
    """The province's bands of rise beyond a number of years (pension.extra_accrual_bands: from year → rate a year),
    the last band open-ended; none where the province has none."""
    if not params.has("pension.extra_accrual_bands"):
        return NO_EXTRA_BANDS
    table = params.value("pension.extra_accrual_bands")
    starts = sorted(table)
    if len(starts) > len(NO_EXTRA_BANDS.starts):
        raise InvalidInput("parameter.extra_bands", "增发档次超过三档", "more than three bands of rise are not supported")
    widths = [later - start for start, later in zip(starts, starts[1:], strict=False)] + [OPEN_BAND_YEARS]
    padding = len(NO_EXTRA_BANDS.starts) - len(starts)
    return ExtraBands(starts=tuple(starts) + (0,) * padding, widths=tuple(widths) + (0,) * padding,
                      rates=tuple(basis_points(table[start]) for start in starts) + (0,) * padding,
                      min_actual_months=params.value("pension.extra_accrual_min_actual_months"))


OPEN_BAND_YEARS = 100  # the last band's span: beyond any working life


def _per_month(params: ParameterSnapshot) -> int:
    """Units of N (thousandths of a year) a further month adds where whole years are counted apart (上海: the month's
    0.083% over the year's 1% = 83); 0 where months count as twelfths of a year."""
    if params.value("pension.years_rounding") != "whole_years_and_months":
        return 0
    share = params.value("pension.accrual_per_further_month") / params.value("pension.basic_accrual_rate")
    units = share * YEARS_ROUNDING["whole_years_and_months"]
    if units != units.to_integral_value():
        raise InvalidInput("parameter.precision", "每月计发比例无法精确换算为千分之一年",
                           f"the accrual per further month {share} is not a whole number of thousandths of a year")
    return int(units)


def counts_actual_years(params: ParameterSnapshot) -> int:
    """1 where the transitional pension counts actual years besides the deemed ones (河北, 辽宁, 云南, 天津, 北京), else 0."""
    return int(params.value("pension.transitional_years") == "deemed_and_pre_account")


def completed_years(months: Number) -> Number:
    """The years completed in a number of months (每满一年): 359 months are 29 years."""
    return months // MONTHS_PER_YEAR


def adjustment_fen(monthly_fen: Number, whole_years: Number, *, fixed_fen: Number, per_year_fen: Number,
                   percent: Number) -> Number:
    """A yearly rise: a fixed amount + an amount per whole contribution year + a share (millionths) of the pension."""
    return fixed_fen + per_year_fen * whole_years + divide_half_up(monthly_fen * percent, RATE_DENOMINATOR)


def fen(amount: Decimal) -> int:
    return int(amount.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def age_in_months(birth: date, day: date) -> int:
    """Whole months of age on a day: the month not yet complete until the day of the month is reached."""
    return (day.year * 12 + day.month) - (birth.year * 12 + birth.month) - (1 if day.day < birth.day else 0)


def decimal_index(index: int) -> str:
    return str(Decimal(index) / 10_000)


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
    transitional_index: Decimal | None = None  # the second index (天津, 江苏); None: the average index
    pre_account_months: int = 0  # of contribution_months, those paid before the personal account opened
    local_extras: list[tuple[str, int]] = field(default_factory=list)  # (name, fen) shown apart from the total
    local_calculation_wage_fen: int | None = None  # the city's own W where the province uses it (吉林); None: the pack's
    notional_account_fen: int = 0  # 上海's 1993–1997 虚账实记 as the archive records it
    earliest_age_months: int | None = None  # a ground allowing a younger age (special work); None: the original age
    reasons: list[str] = field(default_factory=list)


# The parameters a province's pack should hold itself; where the national value stands in, the explanation says so.
PROVINCE_FIGURES = frozenset({
    "pension.calculation_wage_fen", "pension.transitional_coefficient", "pension.transitional_base",
    "pension.transitional_years", "pension.years_rounding", "pension.divisor_rounding", "pension.crediting_rate",
    "contribution.base.floor_fen", "contribution.base.ceiling_fen", "wages.average_monthly_fen",
    "unemployment.minimum_wage_fen", "unemployment.duration_months", "unemployment.ratio_of_minimum_wage",
    "maternity.province_extra_days",
})
NATIONAL_STANDS_IN = ("全国值（未找到本省数值）", "national value used: province figure not found")


def cite(params: ParameterSnapshot, path: str) -> str:
    """Where a value in force comes from; a national value standing in for a province's own says so."""
    value = params.explain(path)
    if value.jurisdiction == "000000" and params.region_code != "000000" and path in PROVINCE_FIGURES:
        return f"{NATIONAL_STANDS_IN[0]} {NATIONAL_STANDS_IN[1]}: {value.source}"
    return value.source


def national_stands_in(params: ParameterSnapshot, path: str) -> bool:
    return cite(params, path) != params.explain(path).source


def _eligibility(params: ParameterSnapshot, case: PensionCase, age: RetirementAge, statutory_date: date,
                 steps: list[dict]) -> tuple[list[str], list[str]]:
    """Every condition the case fails, in English and Chinese."""
    original = params.value(f"retirement.{case.group.value}.original_age_months")
    actual_months = age_in_months(case.birth_date, case.retire_date)
    reasons, reasons_zh = [], []
    minimum = params.value("pension.minimum_contribution_months")
    counted = counted_months(case.contribution_months, case.deemed_months)
    steps.append(_step("minimum_contribution_months", minimum, cite(params, "pension.minimum_contribution_months")))
    if not meets_minimum(counted, minimum):
        reasons.append(f"contribution months {counted} are fewer than the {minimum} required in {case.retire_date.year}")
        reasons_zh.append(f"累计缴费 {counted} 个月，少于 {case.retire_date.year} 年要求的 {minimum} 个月")
    if case.retire_date < statutory_date and case.earliest_age_months is not None:
        if actual_months < case.earliest_age_months:
            earliest = case.earliest_age_months
            reasons.append(f"retiring at {actual_months // 12}y{actual_months % 12}m is before the youngest age the "
                           f"special-work ground allows ({earliest // 12}y{earliest % 12}m)")
            reasons_zh.append(f"退休年龄 {actual_months // 12} 岁 {actual_months % 12} 个月，早于特殊工种提前退休的最低年龄 "
                              f"{earliest // 12} 岁 {earliest % 12} 个月")
    elif case.retire_date < statutory_date:
        earliest = max(age.months - (params.value("retirement.early_retirement_max_months")
                                     if params.has("retirement.early_retirement_max_months") else 0), original)
        if actual_months < earliest:
            reasons.append(f"retiring at {actual_months // 12}y{actual_months % 12}m is before the earliest allowed age "
                           f"({earliest // 12}y{earliest % 12}m) without an early-retirement ground")
            reasons_zh.append(f"退休年龄 {actual_months // 12} 岁 {actual_months % 12} 个月，早于最早可退休年龄 "
                              f"{earliest // 12} 岁 {earliest % 12} 个月，且未申请弹性提前退休")
    return reasons, reasons_zh


def _ten_thousandths(index: Decimal, name: str, steps: list[dict]) -> int:
    scaled = fen(index * INDEX_SCALE)
    if Decimal(scaled) / INDEX_SCALE != index:
        steps.append(_step(name, decimal_index(scaled), f"{index} rounded half up to four decimals"))
    return scaled


def _years_text(units: int, per_year: int) -> str:
    """N as the form prints it: 31.33 (hundredths), 32.6667 (four decimals), 376/12 (exact months)."""
    if per_year == MONTHS_PER_YEAR:
        return f"{units}/12"
    decimals = len(str(per_year)) - 1
    return f"{Decimal(units) / per_year:.{decimals}f}"


def calculate_pension(params: ParameterSnapshot, age_params: ParameterSnapshot, case: PensionCase) -> dict:
    """An explained pension award for one case; an ineligible case lists every failed condition.

    `params` are those in force at retirement; `age_params` those in force when the person reached the
    original age, which decide whether the reform's later age applies to them."""
    age, steps = statutory_age(age_params, group=case.group, birth_date=case.birth_date)
    statutory_date = add_months(case.birth_date, age.months)
    steps.append(_step("statutory_retirement_date", statutory_date.isoformat(), "birth date + statutory age"))
    reasons, reasons_zh = _eligibility(params, case, age, statutory_date, steps)
    retirement_age = RetirementAge(max(age_in_months(case.birth_date, case.retire_date), 0))
    wage_fen = case.calculation_wage_fen or params.value("pension.calculation_wage_fen")
    wage_source = "given in the case" if case.calculation_wage_fen else cite(params, "pension.calculation_wage_fen")
    index = _ten_thousandths(case.average_index, "average_index", steps)
    transitional_index = (index if case.transitional_index is None
                          else _ten_thousandths(case.transitional_index, "transitional_index", steps))
    constants = formula_constants(params, retirement_age, wage_fen, case.local_calculation_wage_fen)
    actual_t = counts_actual_years(params) * case.pre_account_months
    parts = pension_parts(constants=constants, index=index, transitional_index=transitional_index,
                          contribution_months=case.contribution_months, deemed_months=case.deemed_months,
                          actual_transitional_months=actual_t, balance_fen=case.personal_account_fen,
                          notional_account_fen=case.notional_account_fen)
    per_year = constants.per_year
    counted = counted_months(case.contribution_months, case.deemed_months)
    years = years_units(counted, per_year, constants.per_month)
    accrual = params.value("pension.basic_accrual_rate")
    steps.append(_step("counted_years", _years_text(years, per_year), f"{counted} months / 12, "
                       f"{params.value('pension.years_rounding')} ({cite(params, 'pension.years_rounding')})"))
    local = constants.local_wage_fen
    base = (f"W {wage_fen} × (1 + {decimal_index(index)}) / 2" if local == wage_fen
            else f"(W_local {local} + W {wage_fen} × {decimal_index(index)}) / 2")
    steps.append(_step("basic_pension", parts.basic_fen, f"{base} × {_years_text(years, per_year)} years × {accrual:%} "
                       f"(W: {wage_source}; {cite(params, 'pension.basic_accrual_rate')})"))
    divisor = divisor_decimal(constants.divisor_units)
    steps.append(_step("divisor", divisor_text(divisor), f"{divisor_units(params, retirement_age)[1]}; "
                       f"{cite(params, 'pension.divisor')}"))
    steps.append(_step("personal_account_pension", parts.account_fen, f"{case.personal_account_fen} / {divisor_text(divisor)}"))
    base = constants.transitional_base
    coefficient = params.value("pension.transitional_coefficient")
    t_year = per_year if constants.transitional_per_year is None else constants.transitional_per_year
    t_month = constants.per_month if constants.transitional_per_month is None else constants.transitional_per_month
    notional = (f" + notional account {case.notional_account_fen} / {constants.notional_divisor} "
                f"({cite(params, 'pension.notional_account_divisor_months')})" if case.notional_account_fen else "")
    steps.append(_step("transitional_pension", parts.transitional_fen,
                       f"{base.formula_en} (W {wage_fen}, I {decimal_index(index)}, I_t {decimal_index(transitional_index)}) × "
                       f"{_years_text(years_units(case.deemed_months, t_year, t_month), t_year)} deemed years + "
                       f"{_years_text(years_units(actual_t, t_year, t_month), t_year)} actual years counted × "
                       f"{coefficient:%}{notional} "
                       f"({cite(params, 'pension.transitional_coefficient')}; {cite(params, 'pension.transitional_base')})"))
    if params.has("pension.extra_accrual_bands"):
        steps.append(_step("local_extra", parts.extra_fen,
                           f"基础养老金增发 rise for the years beyond {sorted(params.value('pension.extra_accrual_bands'))} "
                           f"(with more than {constants.extra_bands.min_actual_months} actual months), each band to the fen; "
                           f"shown apart from the national total; {cite(params, 'pension.extra_accrual_bands')}"))
    extras = parts.extra_fen + sum(amount for _, amount in case.local_extras)
    for name, amount in case.local_extras:
        steps.append(_step("local_extra", amount, f"{name}: a local item shown apart from the national total"))
    divisor_out = int(divisor) if divisor == divisor.to_integral_value() else float(round(divisor, 4))
    return {"eligible": not reasons, "reasons": reasons, "reasons_zh": reasons_zh, "retirement_age": retirement_age.years_months,
            "statutory_retirement_age": age.years_months, "statutory_retirement_date": statutory_date.isoformat(),
            "basic_pension_fen": parts.basic_fen, "personal_account_pension_fen": parts.account_fen,
            "transitional_pension_fen": parts.transitional_fen, "total_fen": parts.total_fen,
            "local_extras_fen": extras, "divisor": divisor_out, "counted_years": _years_text(years, per_year),
            "transitional_index": decimal_index(transitional_index), "steps": steps}


def fixed_amount_for_spell_month(params: ParameterSnapshot, month_of_spell: int) -> int:
    """The fixed monthly benefit for the n-th month of a spell where the province pays by month (上海: months 1–12,
    13–24, then the extension): the table's row with the largest start not after n."""
    table = params.value("unemployment.fixed_amount_by_spell_month_fen")
    return table[max(start for start in table if start <= month_of_spell)]


def unemployment_entitlement(params: ParameterSnapshot, *, contribution_months: int, carried_months: int) -> tuple[int, int, list[dict]]:
    """(entitled months, monthly benefit fen of the first month, steps) for someone eligible by contributions."""
    table = params.value("unemployment.duration_months")
    thresholds = [start for start in sorted(table) if contribution_months >= start]
    duration = table[thresholds[-1]] if thresholds else 0
    cap = params.value("unemployment.maximum_months")
    entitled = min(cap, duration + carried_months)
    steps = [
        _step("duration_months", duration, f"{contribution_months} contribution months; " + cite(params, "unemployment.duration_months")),
        _step("entitled_months", entitled, f"min({cap}, {duration} + {carried_months} carried over); "
              + cite(params, "unemployment.maximum_months")),
    ]
    if params.value("unemployment.amount_rule") == "fixed_by_spell_month":
        monthly = fixed_amount_for_spell_month(params, 1)
        schedule = ", ".join(f"from month {start}: {amount}" for start, amount in
                             sorted(params.value("unemployment.fixed_amount_by_spell_month_fen").items()))
        steps.append(_step("monthly_fen", monthly, f"fixed by month of the spell ({schedule}); "
                           + cite(params, "unemployment.fixed_amount_by_spell_month_fen")))
        return entitled, monthly, steps
    wage, ratio = params.value("unemployment.minimum_wage_fen"), params.value("unemployment.ratio_of_minimum_wage")
    monthly = fen(Decimal(wage) * ratio)
    steps.append(_step("monthly_fen", monthly, f"minimum wage {wage} × {ratio}; {cite(params, 'unemployment.minimum_wage_fen')}; "
                       + cite(params, "unemployment.ratio_of_minimum_wage")))
    return entitled, monthly, steps


def injury_benefits(params: ParameterSnapshot, *, kind: str, grade: int | None, wage_fen: int,
                    average_wage_fen: int) -> tuple[dict[str, int], list[dict]]:
    """The one-off subsidy and monthly allowance of a disability grade, or the death and funeral subsidies."""
    if kind == "death":
        multiple = params.value("work_injury.death_income_multiple")
        income = params.value("wages.national_disposable_income_yuan_per_year_fen")
        months = params.value("work_injury.funeral_months")
        amounts = {"one_off_fen": income * multiple, "monthly_allowance_fen": 0, "funeral_fen": average_wage_fen * months}
        return amounts, [
            _step("death_subsidy", amounts["one_off_fen"], f"{multiple} × national disposable income {income}; "
                  + params.explain("work_injury.death_income_multiple").source),
            _step("funeral_subsidy", amounts["funeral_fen"], f"{months} × average monthly wage {average_wage_fen}; "
                  + params.explain("work_injury.funeral_months").source)]
    if grade is None or not 1 <= grade <= 10:
        raise InvalidInput("injury.grade", "伤残等级应为 1 至 10 级", "the disability grade is 1 to 10", grade=grade)
    months = params.value("work_injury.disability_months")[grade]
    rates = params.value("work_injury.monthly_allowance_rate")
    monthly = fen(Decimal(wage_fen) * rates[grade]) if grade in rates else 0
    amounts = {"one_off_fen": wage_fen * months, "monthly_allowance_fen": monthly, "funeral_fen": 0}
    return amounts, [
        _step("one_off_subsidy", amounts["one_off_fen"], f"grade {grade}: {months} months × own wage {wage_fen}; "
              + params.explain("work_injury.disability_months").source),
        _step("monthly_allowance", monthly, (f"{rates[grade]} × own wage" if grade in rates else "none above grade 4") + "; "
              + params.explain("work_injury.monthly_allowance_rate").source)]


def maternity_allowance(params: ParameterSnapshot, *, average_base_fen: int, difficult_birth: bool,
                        babies: int) -> tuple[int, int, list[dict]]:
    """(leave days, allowance fen, steps): the employer's average base ÷ 30 × the leave days in force."""
    days = (params.value("maternity.base_leave_days") + params.value("maternity.province_extra_days")
            + (params.value("maternity.difficult_birth_days") if difficult_birth else 0)
            + params.value("maternity.additional_baby_days") * (babies - 1))
    allowance = divide_half_up(average_base_fen * days, 30)
    return days, allowance, [
        _step("leave_days", days, "base + province extension + difficult birth + per additional baby; "
              + params.explain("maternity.base_leave_days").source + "; " + params.explain("maternity.province_extra_days").source),
        _step("allowance", allowance, f"{average_base_fen} / 30 × {days} days")]


def deduction_fen(*, payment_fen: int, share: Decimal, owed_fen: int) -> int:
    """What one benefit payment gives up towards a debt owed back (a recovered overpayment): at most `share` of the
    payment, rounded down so the cap is never passed by a fen, at most what is owed, never below 0."""
    if payment_fen <= 0 or owed_fen <= 0 or share <= 0:
        return 0
    cap = int((Decimal(payment_fen) * share).to_integral_value(ROUND_FLOOR))
    return max(0, min(cap, owed_fen))
