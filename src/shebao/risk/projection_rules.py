"""The pension pool's projection (`shebao fund project`): a cohort-component model, year by year. Pure: the starting
point, the parameters in force and the overrides are handed in; nothing here reads a database or a clock.

The model (docs/risk.md § Fund projection says it for people):

- **Cells.** Contributors by retirement group (men; women retiring at the cadre age; women at the workers' age — a
  share of the women, `female_cadre_share`) and birth month, each with a count and a monthly base per person;
  receivers by sex and birth month, each with a count, a monthly pension per person, its personal-account part and
  the months the personal account still pays it. Counts are expected values (Decimal), not whole people.
- **A projection year** is twelve months from the month after the as-of date. At its start a cell is `a` months old.
- **Deaths.** `D = N × q(age in whole years) × (1 − improvement)^t`, from the life table in the parameters; deaths
  fall evenly through the year, so the year pays for `N − D/2` people (the average alive).
- **Retirement** at the statutory age of the cell's birth month and group (`benefits.rules.statutory_age`): under
  the 2025 reform's gradual schedule, or at the ages before it (the same rule on the parameters in force the day
  before the reform). A cell reaching the age `k` months into the year contributes `k` months and is paid
  `12 − k`; its survivors become receivers at the year's end.
- **Income** = Σ average alive × months contributing × base × the pooled rate (the employer's 16% to the pool).
- **A new pension** ≈ basic `W × (1 + I) / 2 × N × 1%` + account part `8% × 12 × N × I × W ÷ divisor(age)`,
  with `W` the province's calculation wage grown with wages, `I` the cell's base ÷ `W` (held within the index
  bounds), `N` the assumed contribution years at the pre-reform age plus the months worked past it. The account
  part is what a personal account of 8% of the base for `N` years pays when its interest keeps pace with wages.
- **Spending** = Σ average alive × (12 × pension − months the account still pays × account part): the pool pays
  the basic pension and every yearly rise, the personal account its own part until it is drawn down (after the
  divisor's months), then the pool pays that too.
- **Ageing and growth**: each year the survivors age a year; pensions rise by the indexation (the account part
  stays as awarded), bases by the wage growth; working cells grow by the coverage growth; new entrants, a share of
  the contributors at the start of the year, join at the entry age with a base of `entry_index × W`.
- **Balance** = opening + income − spending + interest on (opening + (income − spending) / 2) — flows mid-year. A
  balance below zero keeps accruing interest (the deficit is borrowed at the same rate).

Money is integer fen: each year's income, spending and interest are summed over the cells exactly (Decimal) and
rounded half up (half away from zero) to the fen once, and the balance is the sum of those integers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from shebao.benefits.rules import DIVISOR_SCALE, Group, RetirementAge, divisor_units, statutory_age
from shebao.core.errors import InvalidInput
from shebao.policy.store import ParameterSnapshot, ParameterStore

PREFIX = "risk.projection."
MALE, FEMALE = "M", "F"
GROUP_SEX = {Group.MALE: MALE, Group.FEMALE_CADRE: FEMALE, Group.FEMALE_WORKER: FEMALE}
REFORM_PATH = "retirement.male.target_age_months"  # the reform's first leaf: the day before its `since` is "before"
ONE, HALF, ZERO = Decimal(1), Decimal("0.5"), Decimal(0)


@dataclass(frozen=True)
class Knob:
    """One assumption: its name (the CLI option `--wage-growth`, the query's `wage_growth`), the parameter it
    defaults to, and the range a run may set it within. The ranges are the platform's guard against typing 5.0
    for 5%: a projection outside them says nothing useful."""

    name: str
    path: str
    kind: str  # "decimal" | "int" | "text"
    low: Any
    high: Any
    zh: str
    en: str
    choices: tuple[str, ...] = ()


KNOBS: tuple[Knob, ...] = (
    Knob("wage_growth", PREFIX + "wage_growth", "decimal", Decimal("-0.05"), Decimal("0.15"), "工资增长率", "wage growth"),
    Knob("coverage_growth", PREFIX + "coverage_growth", "decimal", Decimal("-0.10"), Decimal("0.10"), "扩面率",
         "coverage growth"),
    Knob("new_entrants_rate", PREFIX + "new_entrants_rate", "decimal", ZERO, Decimal("0.20"), "新参保比例",
         "new entrants rate"),
    Knob("entry_age_years", PREFIX + "entry_age_years", "int", 16, 40, "新参保年龄", "entry age"),
    Knob("entry_index", PREFIX + "entry_index", "decimal", Decimal("0.3"), Decimal("3"), "新参保缴费指数", "entry index"),
    Knob("pension_indexation", PREFIX + "pension_indexation", "decimal", ZERO, Decimal("0.15"), "养老金调整幅度",
         "pension indexation"),
    Knob("interest_rate", PREFIX + "interest_rate", "decimal", Decimal("-0.02"), Decimal("0.10"), "基金收益率",
         "interest rate"),
    Knob("pooled_rate", "contribution.pension.employer_rate", "decimal", ZERO, Decimal("0.30"), "统筹缴费比例",
         "pooled contribution rate"),
    Knob("account_rate", "contribution.pension.personal_account_rate", "decimal", ZERO, Decimal("0.20"),
         "个人账户比例", "personal account rate"),
    Knob("accrual_rate", "pension.basic_accrual_rate", "decimal", ZERO, Decimal("0.02"), "基础养老金计发比例",
         "basic pension accrual rate"),
    Knob("calculation_wage_fen", "pension.calculation_wage_fen", "int", 100_000, 100_000_000, "计发基数（分）",
         "calculation wage (fen)"),
    Knob("contribution_years_at_original_age", PREFIX + "contribution_years_at_original_age", "int", 1, 50,
         "缴费年限", "contribution years"),
    Knob("female_cadre_share", PREFIX + "female_cadre_share", "decimal", ZERO, ONE, "女干部比例", "female cadre share"),
    Knob("mortality_improvement", PREFIX + "mortality_improvement", "decimal", ZERO, Decimal("0.05"), "死亡率改善",
         "mortality improvement"),
    Knob("mortality_basis", PREFIX + "mortality_basis", "text", None, None, "生命表", "mortality basis",
         ("non_pension", "pension")),
)
KNOB_NAMES = tuple(knob.name for knob in KNOBS)
YEARS_LOW, YEARS_HIGH = 1, 100


def check_years(years: int) -> int:
    """The horizon: 1 to 100 years."""
    if isinstance(years, bool) or not isinstance(years, int) or not YEARS_LOW <= years <= YEARS_HIGH:
        raise InvalidInput("projection.years", f"预测年数应在 {YEARS_LOW} 至 {YEARS_HIGH} 年之间，收到 {years}",
                           f"the years projected must lie between {YEARS_LOW} and {YEARS_HIGH}: {years}", years=years)
    return years


@dataclass(frozen=True)
class Assumptions:
    """The values a run uses, and for each where it came from (echoed in the output)."""

    values: dict[str, Any]
    echo: tuple[dict[str, Any], ...]

    def __getattr__(self, name: str) -> Any:  # noqa: ANN401 - a knob's value: Decimal, int or str
        try:
            return self.values[name]
        except KeyError:
            raise AttributeError(name) from None


def assumptions(params: ParameterSnapshot, overrides: dict[str, Any] | None = None) -> Assumptions:
    """Every knob's value: the override when given, else the parameter in force; each held within its range."""
    overrides = {key: value for key, value in (overrides or {}).items() if value is not None}
    unknown = sorted(set(overrides) - set(KNOB_NAMES))
    if unknown:
        raise InvalidInput("projection.unknown_assumption", f"没有名为「{unknown[0]}」的预测假设",
                           f"there is no assumption called {unknown[0]}", known=list(KNOB_NAMES))
    values, echo = {}, []
    for knob in KNOBS:
        explained = params.explain(knob.path)
        value = _checked(knob, overrides[knob.name]) if knob.name in overrides else _checked(knob, explained.value)
        values[knob.name] = value
        echo.append({"name": knob.name, "value": str(value), "parameter": knob.path, "overridden": knob.name in overrides,
                     "source": "override (命令行或查询参数 command line or query)" if knob.name in overrides
                     else explained.source, "since": explained.since.isoformat(),
                     "description": explained.description})
    return Assumptions(values, tuple(echo))


def _checked(knob: Knob, raw: Any) -> Any:  # noqa: ANN401 - a Decimal, an int or a text, by the knob
    if knob.kind == "text":
        if raw not in knob.choices:
            raise InvalidInput("projection.assumption", f"「{knob.zh}」应为{'或'.join(f'「{c}」' for c in knob.choices)}，收到「{raw}」",
                               f"{knob.en} must be one of {', '.join(knob.choices)}: {raw!r}", assumption=knob.name)
        return raw
    number = _number(knob, raw)
    if not knob.low <= number <= knob.high:
        raise InvalidInput("projection.assumption", f"「{knob.zh}」应在 {knob.low} 至 {knob.high} 之间，收到 {number}",
                           f"{knob.en} must lie between {knob.low} and {knob.high}: {number}", assumption=knob.name,
                           low=str(knob.low), high=str(knob.high))
    return number


def _number(knob: Knob, raw: Any) -> Decimal | int:  # noqa: ANN401 - whatever was handed in
    try:
        if isinstance(raw, bool) or isinstance(raw, float):
            raise InvalidOperation
        number = Decimal(str(raw).strip())
        if not number.is_finite():
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        raise InvalidInput("projection.assumption", f"「{knob.zh}」应为数字，收到「{raw}」",
                           f"{knob.en} must be a number: {raw!r}", assumption=knob.name) from None
    if knob.kind == "int":
        if number != number.to_integral_value():
            raise InvalidInput("projection.assumption", f"「{knob.zh}」应为整数，收到 {number}",
                               f"{knob.en} must be a whole number: {number}", assumption=knob.name)
        return int(number)
    return number


# ------------------------------------------------------------------ life table and retirement ages


class LifeTable:
    """qx by sex and age in whole years; the table's last age has q = 1. Improvement lowers q by a share a year."""

    def __init__(self, qx: dict[str, dict[int, Decimal]], improvement: Decimal, source: str) -> None:
        self.qx, self.improvement, self.source = qx, improvement, source
        self._first = {sex: min(table) for sex, table in qx.items()}
        self._last = {sex: max(table) for sex, table in qx.items()}
        self._factors: dict[int, Decimal] = {}

    @classmethod
    def from_params(cls, params: ParameterSnapshot, basis: str, improvement: Decimal) -> LifeTable:
        male = params.explain(f"{PREFIX}mortality.{basis}_male")
        female = params.value(f"{PREFIX}mortality.{basis}_female")
        return cls({MALE: {int(age): q for age, q in male.value.items()},
                    FEMALE: {int(age): q for age, q in female.items()}}, improvement, male.source)

    def q(self, sex: str, age: int, years_ahead: int) -> Decimal:
        if age >= self._last[sex]:
            return ONE
        if years_ahead not in self._factors:
            self._factors[years_ahead] = (ONE - self.improvement) ** years_ahead
        return self.qx[sex][max(age, self._first[sex])] * self._factors[years_ahead]


class RetirementSchedule:
    """Statutory retirement ages in months by group and birth month, under the 2025 reform and before it."""

    def __init__(self, reform: ParameterSnapshot, before: ParameterSnapshot) -> None:
        self._params = {True: reform, False: before}
        self._cache: dict[tuple[Group, int, bool], int] = {}

    def months(self, group: Group, birth: int, *, reform: bool) -> int:
        key = (group, birth, reform)
        if key not in self._cache:
            year, month = divmod(birth, 12)
            age, _ = statutory_age(self._params[reform], group=group, birth_date=date(year, month + 1, 1))
            self._cache[key] = age.months
        return self._cache[key]


def retirement_snapshots(store: ParameterStore, region: str, as_of: date) -> tuple[ParameterSnapshot, ParameterSnapshot]:
    """(the ages under the 2025 reform, the ages before it) for a region. The reform is the day its target age first
    holds (`retirement.male.target_age_months`): its ages as in force on the later of that day and the as-of day (a
    projection from before the reform still applies the law enacted for it), the ages before it as on the eve."""
    first = reform_day(store, region)
    return store.at(region, max(as_of, first)), store.at(region, first - timedelta(days=1))


def reform_day(store: ParameterStore, region: str) -> date:
    """The first day of the 2025 retirement-age reform, read from the parameters (its target age's first `since`)."""
    return store.changes(region, REFORM_PATH)[0][0]


# ------------------------------------------------------------------ the starting point


def month_index(day: date) -> int:
    """Months since year 0: 2025-01 → 24300. Cells are born, and projection years begin, on a month index."""
    return day.year * 12 + day.month - 1


def period_of(index: int) -> str:
    year, month = divmod(index, 12)
    return f"{year:04d}{month + 1:02d}"


@dataclass(frozen=True)
class ContributorRow:
    """Contributors of one sex and birth month: persons assessed in the twelve months, their bases summed, and the
    person-months assessed."""

    sex: str
    birth_year: int
    birth_month: int
    persons: int
    base_fen: int
    months: int


@dataclass(frozen=True)
class ReceiverRow:
    """Receivers of one sex and birth month: persons paid, their monthly pensions summed, the monthly personal-account
    parts of those whose account still pays, and what those accounts still hold."""

    sex: str
    birth_year: int
    birth_month: int
    persons: int
    monthly_fen: int
    account_fen: int
    account_remaining_fen: int


@dataclass(frozen=True)
class StartingPoint:
    first_month: int  # month index of the first month projected (the month after the as-of date)
    balance_fen: int
    contributors: tuple[ContributorRow, ...]
    receivers: tuple[ReceiverRow, ...]


# ------------------------------------------------------------------ the model


@dataclass(slots=True)
class _Worker:
    group: Group
    birth: int
    count: Decimal
    base: Decimal  # monthly base per person, fen (months not assessed count as zero: the density is kept)


@dataclass(slots=True)
class _Pensioner:
    sex: str
    birth: int
    count: Decimal
    pension: Decimal  # monthly per person, fen
    account: Decimal  # of which the personal account pays, while it lasts
    account_months: Decimal  # months the account still pays


@dataclass(frozen=True)
class YearRow:
    year: int
    first_period: str
    last_period: str
    contributors: int
    receivers: int
    dependency_ratio: Decimal | None
    income_fen: int
    spending_fen: int
    interest_fen: int
    balance_fen: int
    months_of_spending_covered: Decimal | None
    retired: int  # persons (rounded) who retired in the year


@dataclass(frozen=True)
class Scenario:
    reform: bool
    years: tuple[YearRow, ...]
    runs_out_year: int | None


@dataclass
class _Model:
    """One scenario's run: the cells, the knobs, and the pension a cell retiring in a year gets."""

    start: StartingPoint
    knobs: Assumptions
    life: LifeTable
    ages: RetirementSchedule
    params: ParameterSnapshot
    reform: bool
    workers: list[_Worker] = field(default_factory=list)
    pensioners: list[_Pensioner] = field(default_factory=list)
    _divisors: dict[int, Decimal] = field(default_factory=dict)

    def wage(self, t: int) -> Decimal:
        return Decimal(self.knobs.calculation_wage_fen) * (ONE + self.knobs.wage_growth) ** t

    def divisor(self, age_months: int) -> Decimal:
        if age_months not in self._divisors:
            units, _ = divisor_units(self.params, RetirementAge(age_months))
            self._divisors[age_months] = Decimal(units) / DIVISOR_SCALE
        return self._divisors[age_months]

    def retirement_months(self, worker: _Worker) -> tuple[int, int]:
        """(the age the cell retires at in this scenario, the age it would have retired at before the reform)."""
        original = self.ages.months(worker.group, worker.birth, reform=False)
        return (self.ages.months(worker.group, worker.birth, reform=True) if self.reform else original), original

    def new_pension(self, worker: _Worker, t: int, age: int, original: int) -> tuple[Decimal, Decimal]:
        """(monthly pension, of which the personal account's part) for one person of the cell retiring in year t."""
        wage = self.wage(t)
        low, high = self.params.value("pension.average_index_minimum"), self.params.value("pension.average_index_maximum")
        index = min(high, max(low, worker.base / wage)) if wage > 0 else low
        years = Decimal(self.knobs.contribution_years_at_original_age) + Decimal(age - original) / 12
        basic = wage * (ONE + index) / 2 * years * self.knobs.accrual_rate
        account = self.knobs.account_rate * 12 * years * index * wage / self.divisor(age)
        return basic + account, account


def project(start: StartingPoint, *, params: ParameterSnapshot, ages: RetirementSchedule, knobs: Assumptions,
            years: int) -> dict[str, Scenario]:
    """Both scenarios from one starting point: `with_reform` and `without_reform`."""
    check_years(years)
    life = LifeTable.from_params(params, knobs.mortality_basis, knobs.mortality_improvement)
    return {"with_reform": _run(_Model(start, knobs, life, ages, params, True), years),
            "without_reform": _run(_Model(start, knobs, life, ages, params, False), years)}


def _seed(model: _Model) -> None:
    share = model.knobs.female_cadre_share
    for row in model.start.contributors:
        if row.persons <= 0:
            continue
        birth = row.birth_year * 12 + row.birth_month - 1
        base = Decimal(row.base_fen) / (Decimal(row.persons) * 12)
        if row.sex == MALE:
            model.workers.append(_Worker(Group.MALE, birth, Decimal(row.persons), base))
        else:
            model.workers.append(_Worker(Group.FEMALE_CADRE, birth, Decimal(row.persons) * share, base))
            model.workers.append(_Worker(Group.FEMALE_WORKER, birth, Decimal(row.persons) * (ONE - share), base))
    for row in model.start.receivers:
        if row.persons <= 0:
            continue
        persons = Decimal(row.persons)
        months = Decimal(row.account_remaining_fen) / Decimal(row.account_fen) if row.account_fen > 0 else ZERO
        model.pensioners.append(_Pensioner(row.sex, row.birth_year * 12 + row.birth_month - 1, persons,
                                           Decimal(row.monthly_fen) / persons, Decimal(row.account_fen) / persons, months))


def _male_share(start: StartingPoint) -> Decimal:
    men = sum(row.persons for row in start.contributors if row.sex == MALE)
    everyone = sum(row.persons for row in start.contributors)
    return Decimal(men) / Decimal(everyone) if everyone else HALF


def _run(model: _Model, years: int) -> Scenario:
    _seed(model)
    balance, rows = model.start.balance_fen, []
    male_share = _male_share(model.start)
    for t in range(years):
        first = model.start.first_month + 12 * t
        at_start = sum((worker.count for worker in model.workers), ZERO)
        income, awarded, model.workers, retired, spending_new = _working_year(model, t, first)
        spending_old, model.pensioners = _paying_year(model, t, first)
        model.pensioners.extend(awarded)
        entrants = at_start * model.knobs.new_entrants_rate
        if entrants > 0:
            model.workers.extend(_entrants(model, t + 1, entrants, male_share))
        income_fen, spending_fen = fen(income), fen(spending_new + spending_old)
        interest_fen = fen((Decimal(balance) + Decimal(income_fen - spending_fen) / 2) * model.knobs.interest_rate)
        balance += income_fen - spending_fen + interest_fen
        rows.append(_row(model, first, income_fen, spending_fen, interest_fen, balance, retired))
    runs_out = next((row.year for row in rows if row.balance_fen < 0), None)
    return Scenario(model.reform, tuple(rows), runs_out)


def _working_year(model: _Model, t: int, first: int) -> tuple[Decimal, list[_Pensioner], list[_Worker], Decimal, Decimal]:
    """The contributors' year: (income, the cells awarded a pension, the cells still working next year, the persons
    retired, what the new pensions cost the pool this year)."""
    knobs = model.knobs
    grow, rise = ONE + knobs.coverage_growth, ONE + knobs.wage_growth
    income, spending, retired, awarded, working = ZERO, ZERO, ZERO, [], []
    for worker in model.workers:
        age = first - worker.birth
        retire_at, original = model.retirement_months(worker)
        months_working = max(0, min(12, retire_at - age))
        deaths = worker.count * model.life.q(GROUP_SEX[worker.group], age // 12, t)
        alive, survivors = worker.count - deaths / 2, worker.count - deaths
        income += alive * months_working * worker.base * knobs.pooled_rate
        if months_working == 12:
            worker.count, worker.base = survivors * grow, worker.base * rise
            working.append(worker)
            continue
        pension, account = model.new_pension(worker, t, retire_at, original)
        paid = 12 - months_working
        spending += alive * paid * (pension - account)
        retired += survivors
        awarded.append(_Pensioner(GROUP_SEX[worker.group], worker.birth, survivors,
                                  pension * (ONE + knobs.pension_indexation), account, model.divisor(retire_at) - paid))
    return income, awarded, working, retired, spending


def _paying_year(model: _Model, t: int, first: int) -> tuple[Decimal, list[_Pensioner]]:
    """The receivers' year: (what the pool pays them, the cells next year, a year older and their pensions risen;
    a cell past the table's last age, where everyone has died, is dropped)."""
    rise, spending, twelve, paying = ONE + model.knobs.pension_indexation, ZERO, Decimal(12), []
    for cell in model.pensioners:
        deaths = cell.count * model.life.q(cell.sex, (first - cell.birth) // 12, t)
        account_months = max(ZERO, min(twelve, cell.account_months))
        spending += (cell.count - deaths / 2) * (12 * cell.pension - account_months * cell.account)
        cell.count -= deaths
        cell.pension *= rise
        cell.account_months -= 12
        if cell.count > 0:
            paying.append(cell)
    return spending, paying


def _entrants(model: _Model, t: int, count: Decimal, male_share: Decimal) -> list[_Worker]:
    """New entrants joining at the start of year t at the entry age, split by sex as the starting contributors are."""
    knobs = model.knobs
    birth = model.start.first_month + 12 * t - 12 * knobs.entry_age_years
    base = knobs.entry_index * model.wage(t)
    women = count * (ONE - male_share)
    cells = [_Worker(Group.MALE, birth, count * male_share, base),
             _Worker(Group.FEMALE_CADRE, birth, women * knobs.female_cadre_share, base),
             _Worker(Group.FEMALE_WORKER, birth, women * (ONE - knobs.female_cadre_share), base)]
    return [cell for cell in cells if cell.count > 0]


def _row(model: _Model, first: int, income_fen: int, spending_fen: int, interest_fen: int, balance: int,
         retired: Decimal) -> YearRow:
    contributors = sum((worker.count for worker in model.workers), ZERO)
    receivers = sum((pensioner.count for pensioner in model.pensioners), ZERO)
    ratio = (receivers / contributors).quantize(Decimal("0.0001"), ROUND_HALF_UP) if contributors > 0 else None
    covered = None
    if spending_fen > 0:
        covered = max(ZERO, Decimal(balance) * 12 / spending_fen).quantize(Decimal("0.1"), ROUND_HALF_UP)
    return YearRow(year=first // 12, first_period=period_of(first), last_period=period_of(first + 11),
                   contributors=whole(contributors), receivers=whole(receivers), dependency_ratio=ratio,
                   income_fen=income_fen, spending_fen=spending_fen, interest_fen=interest_fen, balance_fen=balance,
                   months_of_spending_covered=covered, retired=whole(retired))


def fen(amount: Decimal) -> int:
    """An exact amount of fen rounded half up (half away from zero) to a whole fen."""
    return int(amount.quantize(ONE, ROUND_HALF_UP))


def whole(count: Decimal) -> int:
    """An expected number of people, rounded half up to a whole person (for display; the model keeps the fraction)."""
    return int(count.quantize(ONE, ROUND_HALF_UP))


def run_out_difference(with_reform: Scenario, without_reform: Scenario, years: int) -> dict[str, Any]:
    """How many years the reform moves the run-out year, and how to read it."""
    later, earlier = with_reform.runs_out_year, without_reform.runs_out_year
    if later is not None and earlier is not None:
        moved = later - earlier
        return {"years": moved, "at_least": False,
                "zh": f"延迟退休改革使基金耗尽年份从 {earlier} 年推迟到 {later} 年（{moved} 年）" if moved >= 0
                else f"延迟退休改革使基金耗尽年份从 {earlier} 年提前到 {later} 年",
                "en": f"the reform moves the year the balance runs out from {earlier} to {later} ({moved:+d} years)"}
    if earlier is not None:
        last = with_reform.years[-1].year
        return {"years": last - earlier + 1, "at_least": True,
                "zh": f"不改革 {earlier} 年耗尽；改革后预测期（至 {last} 年）内不耗尽，至少推迟 {last - earlier + 1} 年",
                "en": f"without the reform the balance runs out in {earlier}; with it, not within the {years} years "
                      f"projected (to {last}): at least {last - earlier + 1} years later"}
    if later is not None:
        return {"years": None, "at_least": False,
                "zh": f"改革后 {later} 年耗尽，不改革则预测期内不耗尽",
                "en": f"with the reform the balance runs out in {later}; without it, not within the years projected"}
    return {"years": None, "at_least": False, "zh": "两种情形在预测期内均不耗尽",
            "en": "the balance lasts the whole projection with and without the reform"}
