"""The fund projection's use case (`shebao fund project`, `GET /api/v1/fund/projection`): the province's starting
point read set-based from the database as of a day, the cohort model of `projection_rules` run with and without the
2025 retirement-age reform, and the answer shaped once for the command line, the API and the chart.

The starting point, as of a day (today in China unless `as_of` is given):
- contributors: persons with a current (not superseded) pension assessment in the province in the twelve months up
  to the as-of month, by sex and birth month — one GROUP BY over a per-person GROUP BY, no loop over persons;
- receivers: pension awards of the province paying in the as-of month, by sex and birth month;
- the balance: the province's pension pooling fund through the as-of month, from the ledger (`ledger.service`).
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Integer, and_, case, cast, distinct, extract, func, or_, select
from sqlalchemy.orm import Session

from shebao.benefits.models import PensionAward
from shebao.contributions.models import Assessment
from shebao.core.errors import InvalidInput, NotFound
from shebao.core.insurances import Insurance
from shebao.core.periods import Period
from shebao.ledger import chart
from shebao.ledger import service as ledger
from shebao.policy.store import ParameterStore
from shebao.registry import service as registry
from shebao.registry.models import Person
from shebao.risk import projection_rules as rules

ROUNDING_ZH = ("人数按期望值（小数）计算，显示时四舍五入到人；每年的收入、支出和利息在所有单元上精确求和后各四舍五入到分一次，"
               "余额为这些整数分之和")
ROUNDING_EN = ("counts are expected values (fractions), rounded half up to whole persons only for display; each year's "
               "income, spending and interest are summed exactly over the cells and rounded half up (half away from "
               "zero) to the fen once each; the balance is the sum of those whole fen")
SIMPLIFICATIONS = (
    ("缴费：每人按近 12 个月的缴费基数之和 ÷ 12 计（未缴费月份按 0 计，保留缴费密度）；统筹基金收入 = 基数 × 统筹费率（单位 16%）",
     "contributions: each person's base is the bases of the last 12 months ÷ 12 (months not assessed count as zero, "
     "keeping the contribution density); pooled income = base × the pooled rate (the employer's 16%)"),
    ("新退休人员养老金 ≈ 计发基数 × (1 + 指数) / 2 × 年限 × 1% + 个人账户部分（8% × 12 × 年限 × 指数 × 计发基数 ÷ 计发月数）；"
     "不计过渡性养老金和地方加发；个人账户按工资增长计息",
     "a new pension ≈ W × (1 + index) / 2 × years × 1% plus the account part (8% × 12 × years × index × W ÷ divisor); "
     "no transitional pension or local extras; the personal account earns what wages grow by"),
    ("缴费年限：原法定退休年龄时的假设年限，加上改革后多工作的月数；不计 2030 年起最低缴费年限的提高",
     "contribution years: the assumed years at the pre-reform age plus the months worked past it; the minimum years "
     "rising from 2030 is not modelled"),
    ("所有人在法定退休年龄退休（不计弹性提前或延迟退休、特殊工种提前退休）；女性按假设比例分为女干部与女工人",
     "everyone retires at the statutory age (no voluntary early or late retirement, no special-work early retirement); "
     "women are split into cadres and workers by an assumed share"),
    ("统筹基金支付基础养老金和历年调整；个人账户部分由个人账户支付，计发月数用完后由统筹基金支付",
     "the pool pays the basic pension and every yearly rise; the account part is paid by the personal account until "
     "the divisor's months are used up, then by the pool"),
    ("不计中央调剂（全国统筹）、财政补助、转移接续和遗属待遇；死亡按生命表均匀分布于年内",
     "national pooling transfers, government subsidies, transfers between provinces and survivors' benefits are not "
     "modelled; deaths fall evenly through the year as the life table gives them"),
)


def starting_point(*, session: Session, province: str, as_of: date) -> rules.StartingPoint:
    """The province's contributors, receivers and pooled balance as of the day (see the module's docstring)."""
    last = Period.of(as_of)
    first = last.plus_months(-11)
    per_person = (select(Assessment.person_id, func.sum(Assessment.used_base_fen).label("base"),
                         func.count(distinct(Assessment.period)).label("months"))
                  .where(Assessment.province == province, Assessment.superseded_by.is_(None),
                         Assessment.pension_employer_fen > 0, Assessment.period.between(str(first), str(last)))
                  .group_by(Assessment.person_id).subquery())
    year, month = _birth(Person.birth_date)
    contributors = session.execute(
        select(Person.sex, year, month, func.count(), func.sum(per_person.c.base), func.sum(per_person.c.months))
        .join(per_person, per_person.c.person_id == Person.id)
        .group_by(Person.sex, year, month).order_by(Person.sex, year, month)).all()
    drawing = PensionAward.account_remaining_fen > 0
    receivers = session.execute(
        select(Person.sex, year, month, func.count(), func.sum(PensionAward.monthly_fen),
               func.sum(case((drawing, PensionAward.account_fen), else_=0)),
               func.sum(case((drawing, PensionAward.account_remaining_fen), else_=0)))
        .join(Person, Person.id == PensionAward.person_id)
        .where(_paying(province, last))
        .group_by(Person.sex, year, month).order_by(Person.sex, year, month)).all()
    return rules.StartingPoint(
        first_month=last.year * 12 + last.month,  # the month after the as-of month
        balance_fen=pooled_balance(session=session, province=province, through=last),
        contributors=tuple(rules.ContributorRow(sex, int(y), int(m), int(n), int(base), int(months))
                           for sex, y, m, n, base, months in contributors),
        receivers=tuple(rules.ReceiverRow(sex, int(y), int(m), int(n), int(monthly), int(account), int(remaining))
                        for sex, y, m, n, monthly, account, remaining in receivers))


def _birth(column) -> tuple:  # noqa: ANN001 - a date column
    return (cast(extract("year", column), Integer).label("birth_year"),
            cast(extract("month", column), Integer).label("birth_month"))


def _paying(province: str, month: Period):  # noqa: ANN202 - an SQL condition
    """Awards of the province on the rolls in the month: paying, begun, not stopped before it."""
    return and_(PensionAward.province == province, PensionAward.status == "paying",
                PensionAward.first_period <= str(month),
                or_(PensionAward.stop_period.is_(None), PensionAward.stop_period > str(month)))


def pooled_balance(*, session: Session, province: str, through: Period) -> int:
    """What the province's pension pooling fund holds through a month, in fen (credits are negative lines)."""
    account = ledger.find_account(session=session, account=chart.pooling_fund(Insurance.PENSION.value, province=province))
    return 0 if account is None else -ledger.balance(session=session, account_id=account, through_period=str(through))


def recorded_contribution_years(*, session: Session, province: str) -> Decimal | None:
    """The average contribution years (deemed years included) of the province's awards on record: a check on the
    assumed years at retirement."""
    average = session.scalar(select(func.avg(PensionAward.contribution_months + PensionAward.deemed_months))
                             .where(PensionAward.province == province))
    return None if average is None else (Decimal(str(average)) / 12).quantize(Decimal("0.01"))


def project_fund(*, session: Session, store: ParameterStore, province: str, today: date, as_of: date | None = None,
                 years: int | None = None, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """The projection of a province's pension pool from its state on `as_of` (default today, never after it):
    assumptions, starting point, both scenarios, the reform's effect."""
    as_of = as_of or today
    if as_of > today:
        raise InvalidInput("projection.as_of", f"起点日期 {as_of} 晚于今天 {today}", f"the as-of day {as_of} is after today ({today})")
    _require_province(session, province)
    params = store.at(province, as_of)
    horizon = rules.check_years(years if years is not None else params.value(rules.PREFIX + "horizon_years"))
    knobs = rules.assumptions(params, overrides)
    reform, before = rules.retirement_snapshots(store, province, as_of)
    start = starting_point(session=session, province=province, as_of=as_of)
    scenarios = rules.project(start, params=params, ages=rules.RetirementSchedule(reform, before), knobs=knobs,
                              years=horizon)
    with_reform, without_reform = scenarios["with_reform"], scenarios["without_reform"]
    life = rules.LifeTable.from_params(params, knobs.mortality_basis, knobs.mortality_improvement)
    return {
        "province": province, "as_of": as_of.isoformat(), "horizon_years": horizon,
        "first_period": rules.period_of(start.first_month),
        "assumptions": list(knobs.echo),
        "life_table": {"basis": knobs.mortality_basis, "source": life.source},
        "retirement_ages": {"with_reform": f"retirement.* in force on {reform.day.isoformat()}",
                            "without_reform": f"retirement.* in force on {before.day.isoformat()}"},
        "starting_point": _starting_point_read(session, province, start, as_of),
        "with_reform": _scenario_read(with_reform),
        "without_reform": _scenario_read(without_reform),
        "reform_effect": rules.run_out_difference(with_reform, without_reform, horizon),
        "rounding": {"zh": ROUNDING_ZH, "en": ROUNDING_EN},
        "simplifications": [{"zh": zh, "en": en} for zh, en in SIMPLIFICATIONS],
        "provisional_parameters": params.provisional_paths(),
    }


def _require_province(session: Session, province: str) -> None:
    if not isinstance(province, str) or len(province) != 6 or not province.isdigit() or not province.endswith("0000"):
        raise InvalidInput("projection.province", f"「{province}」不是省级区划代码（6 位，以 0000 结尾）",
                           f"{province} is not a province code (6 digits ending in 0000)", province=province)
    try:
        registry.get_region(session=session, code=province)
    except NotFound:
        raise InvalidInput("projection.province", f"省级区划代码 {province} 不存在", f"there is no province {province}",
                           province=province) from None


def _starting_point_read(session: Session, province: str, start: rules.StartingPoint, as_of: date) -> dict[str, Any]:
    """The starting point by sex and age in whole years at the as-of month, with the totals."""
    as_of_month = as_of.year * 12 + as_of.month - 1

    def age(row) -> int:  # noqa: ANN001 - a ContributorRow or a ReceiverRow
        return (as_of_month - (row.birth_year * 12 + row.birth_month - 1)) // 12

    working: dict[tuple[str, int], list[int]] = {}
    for row in start.contributors:
        cell = working.setdefault((row.sex, age(row)), [0, 0, 0])
        cell[0], cell[1], cell[2] = cell[0] + row.persons, cell[1] + row.base_fen, cell[2] + row.months
    paying: dict[tuple[str, int], list[int]] = {}
    for row in start.receivers:
        cell = paying.setdefault((row.sex, age(row)), [0, 0])
        cell[0], cell[1] = cell[0] + row.persons, cell[1] + row.monthly_fen
    return {
        "balance_fen": start.balance_fen,
        "contributors": sum(row.persons for row in start.contributors),
        "receivers": sum(row.persons for row in start.receivers),
        "bases_last_12_months_fen": sum(row.base_fen for row in start.contributors),
        "monthly_pensions_fen": sum(row.monthly_fen for row in start.receivers),
        "recorded_contribution_years": _text(recorded_contribution_years(session=session, province=province)),
        "contributors_by_age": [{"sex": sex, "age": years, "persons": n, "bases_fen": base, "months": months}
                                for (sex, years), (n, base, months) in sorted(working.items())],
        "receivers_by_age": [{"sex": sex, "age": years, "persons": n, "monthly_fen": monthly}
                             for (sex, years), (n, monthly) in sorted(paying.items())],
    }


def _scenario_read(scenario: rules.Scenario) -> dict[str, Any]:
    return {"runs_out_year": scenario.runs_out_year,
            "years": [{key: _text(value) for key, value in asdict(row).items()} for row in scenario.years]}


def _text(value: Any) -> Any:  # noqa: ANN401 - a Decimal as its text, anything else as it is
    return str(value) if isinstance(value, Decimal) else value
