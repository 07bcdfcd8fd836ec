"""One formula, two shapes: random months assessed by month-end's SQL on a real database and by the counter's
calculator (`assess_month`, the one behind `shebao contrib assess`) in Python agree to the fen — the base used,
every party's amount for every insurance, and the total.

Each example draws a province's parameters (the floor and ceiling published or derived from a drawn average wage
and ratios, every rate in millionths, the serious-illness amount, the work-injury class rates and the class of each
industry section) and a month of insured people: employees of employers in drawn industry sections and flexible
workers, with a base declared below the floor, at either limit or a fen from it, inside, above the ceiling, or
never declared. Month-end runs for the month with those parameters; the calculator is asked the same. A month with
no base declared pays on the floor (month-end's rule; the counter's calculator asks for a base, and is given the
floor, as make-up bills give it)."""

import itertools
import random
from calendar import monthrange
from datetime import date
from decimal import Decimal

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import insert, select

from shebao.contributions import rules
from shebao.contributions.batch import BILLED_SCHEMES, run_month_end
from shebao.contributions.models import Assessment, BaseDeclaration
from shebao.contributions.rules import Category, Insurance, assess_month
from shebao.core.clock import utc_naive
from shebao.core.periods import Period
from shebao.core.security import SYSTEM
from shebao.demo.seed import demo_credit_code
from shebao.enrollment.models import Participation
from shebao.enrollment.rules import SCHEME_SETS_BY_MODE, Mode, exclusion_group
from shebao.policy.store import DatedValue, Parameter, ParameterStore, default_store
from shebao.registry import service as registry
from shebao.registry.schemas import EmployerCreate
from tests.support import CHAOYANG, add_test_streets, register

PROVINCE = "110000"
SECTIONS = "ABCDEFGHIJKLMNOPQRST"  # GB/T 4754 sections
PEOPLE = 8  # at most this many people a month; the same people come back, in a new month, in the next example
LONG_AGO = date(1949, 10, 1)  # every drawn parameter is in force from here, so any month can be assessed with it
TEST_SOURCE = "drawn by the property test, not a province's figure"
RATE_PATHS = [
    "contribution.pension.employer_rate", "contribution.pension.individual_rate",
    "contribution.pension.personal_account_rate", "contribution.medical.employer_rate",
    "contribution.medical.individual_rate", "contribution.unemployment.employer_rate",
    "contribution.unemployment.individual_rate", "contribution.maternity.employer_rate",
    "contribution.flexible.pension_rate", "contribution.flexible.pension_personal_account_rate",
    "contribution.flexible.medical_rate",
]
PAID_BY_EVERY_PAYER = {"contribution.pension.employer_rate", "contribution.flexible.pension_rate"}
# Where an amount lands in an assessment row: (insurance, party) -> column.
COLUMNS = {
    (Insurance.PENSION, "employer_fen"): "pension_employer_fen", (Insurance.PENSION, "individual_fen"): "pension_individual_fen",
    (Insurance.PENSION, "personal_account_fen"): "pension_account_fen",
    (Insurance.MEDICAL, "employer_fen"): "medical_employer_fen", (Insurance.MEDICAL, "individual_fen"): "medical_individual_fen",
    (Insurance.UNEMPLOYMENT, "employer_fen"): "unemployment_employer_fen",
    (Insurance.UNEMPLOYMENT, "individual_fen"): "unemployment_individual_fen",
    (Insurance.WORK_INJURY, "employer_fen"): "work_injury_employer_fen", (Insurance.MATERNITY, "employer_fen"): "maternity_employer_fen",
}

# Rates are often whole half-percents and bases whole yuan, as in life: then base × rate often ends in exactly half a
# fen, where a rounding that is not half up (or not the same in both shapes) shows.
millionths = st.one_of(st.integers(0, 300_000), st.integers(0, 60).map(lambda k: 5_000 * k))
pension_millionths = st.one_of(st.integers(10_000, 300_000), st.integers(2, 60).map(lambda k: 5_000 * k))
limits = st.one_of(
    st.fixed_dictionaries({"published": st.just(True), "floor": st.integers(10, 20_000).map(lambda yuan: 100 * yuan) | st.integers(1_000, 2_000_000),
                           "span": st.integers(0, 6_000_000)}),
    st.fixed_dictionaries({"published": st.just(False), "wage": st.integers(100_000, 3_000_000),
                           "floor_ratio": st.integers(300_000, 1_000_000), "ceiling_ratio": st.integers(1_000_000, 5_000_000)}),
)
province_rules = st.fixed_dictionaries({
    "limits": limits,
    # A bill of 0 fen cannot be posted (an entry needs two non-zero lines), and month-end refuses the chunk: the
    # rates every payer pays, the pension's, are drawn from 1% so that no drawn month bills a payer nothing.
    "rates": st.fixed_dictionaries({path: pension_millionths if path in PAID_BY_EVERY_PAYER else millionths
                                    for path in RATE_PATHS}),
    "serious_illness_fen": st.integers(0, 1_000),
    "class_rates": st.lists(millionths, min_size=8, max_size=8),
    "class_of_section": st.fixed_dictionaries({section: st.integers(1, 8) for section in SECTIONS}),
})
declared = st.one_of(
    st.none(),
    st.tuples(st.sampled_from(["floor", "ceiling"]), st.integers(-2, 2)),  # at a limit, or a fen or two from it
    st.integers(1, 20_000_000),
    st.integers(1, 200_000).map(lambda yuan: 100 * yuan),
)
insured = st.fixed_dictionaries({"flexible": st.booleans(), "section": st.sampled_from(SECTIONS), "declared": declared,
                                 "scheme_set": st.integers(0, 2)})  # which of the mode's allowed sets of insurances


def _rate(numerator: int) -> Decimal:
    return Decimal(numerator).scaleb(-6)  # exact: the calculator is given the very rate the batch is


def _store(drawn: dict) -> ParameterStore:
    """The contribution parameters in force in the province, with the drawn ones over them, all from LONG_AGO."""
    base = default_store()
    in_force = {value.path: value.value for value in base.at(PROVINCE, date(2024, 7, 1)).all()
                if value.path.startswith(("contribution.", "wages."))}
    for path in ("contribution.base.floor_fen", "contribution.base.ceiling_fen"):
        in_force.pop(path, None)
    bounds = drawn["limits"]
    if bounds["published"]:
        in_force["contribution.base.floor_fen"] = bounds["floor"]
        in_force["contribution.base.ceiling_fen"] = bounds["floor"] + bounds["span"]
    else:
        in_force["wages.average_monthly_fen"] = bounds["wage"]
        in_force["contribution.base.floor_ratio"] = _rate(bounds["floor_ratio"])
        in_force["contribution.base.ceiling_ratio"] = _rate(bounds["ceiling_ratio"])
    in_force |= {path: _rate(n) for path, n in drawn["rates"].items()}
    in_force["contribution.medical.serious_illness_individual_fen"] = drawn["serious_illness_fen"]
    in_force["contribution.work_injury.class_rates"] = {k: _rate(n) for k, n in enumerate(drawn["class_rates"], start=1)}
    in_force["contribution.work_injury.class_by_industry_section"] = dict(drawn["class_of_section"])
    province = {path: Parameter(path, "drawn", "drawn for the test", (DatedValue(LONG_AGO, value, TEST_SOURCE),))
                for path, value in in_force.items()}
    return ParameterStore(base.national, dict(base.provinces) | {PROVINCE: province})


def _setting(database, cipher, clock) -> dict:
    """The people and one employer per industry section, made once per database (it lives across the examples), and
    the months still free: each example assesses a month of its own, going back from December 2024, so that the
    declarations of a later example's month are never in force in an earlier one's."""
    if not hasattr(database, "_assessment_setting"):
        add_test_streets(database, clock)
        people = [register(database, cipher, clock, birth=date(1970, 1, 1 + k), sequence=401 + 2 * k) for k in range(PEOPLE)]
        employers = {}
        with database.transaction() as session:
            for k, section in enumerate(SECTIONS):
                employers[section] = registry.register_employer(session=session, principal=SYSTEM, now=clock.now(), command=EmployerCreate(
                    uscc=demo_credit_code(CHAOYANG, random.Random(1000 + k)), name=f"测试单位{section}门类有限公司",
                    region_code=CHAOYANG, industry_code=f"{section}10")).id
        months = (Period(2024, 12).plus_months(-k) for k in itertools.count())
        database._assessment_setting = {"people": people, "employers": employers, "months": months}
    return database._assessment_setting


def _declared_base(choice, limits: rules.BaseLimits) -> int | None:
    if choice is None or isinstance(choice, int):
        return choice if choice is None else min(choice, 100 * limits.ceiling_fen)  # the calculator refuses an absurd base
    bound, fen = choice
    return max(1, (limits.floor_fen if bound == "floor" else limits.ceiling_fen) + fen)


# Every amount exactly half a fen: 12,345 yuan at 0.5% is 61.725 yuan (6,172.5 fen → 6,173).
@example(drawn={"limits": {"published": True, "floor": 1_234_500, "span": 1_000_000}, "rates": dict.fromkeys(RATE_PATHS, 5_000),
                "serious_illness_fen": 0, "class_rates": [5_000] * 8, "class_of_section": dict.fromkeys(SECTIONS, 1)},
         month_of=[{"flexible": False, "section": "A", "declared": None, "scheme_set": 0},
                   {"flexible": True, "section": "B", "declared": None, "scheme_set": 0},
                   {"flexible": False, "section": "C", "declared": ("floor", 0), "scheme_set": 0},
                   {"flexible": False, "section": "D", "declared": None, "scheme_set": 1},  # work injury alone
                   {"flexible": True, "section": "E", "declared": None, "scheme_set": 2}])  # medical alone
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(drawn=province_rules, month_of=st.lists(insured, min_size=1, max_size=PEOPLE))
def test_month_end_and_the_calculator_agree_to_the_fen(database, cipher, clock, drawn, month_of):
    setting = _setting(database, cipher, clock)
    month = next(setting["months"])
    store = _store(drawn)
    params = store.at(CHAOYANG, month.first_day())
    limits = rules.base_limits(params)
    cases = [case | {"person": person, "declared": _declared_base(case["declared"], limits)}
             for person, case in zip(setting["people"], month_of)]
    first, last = month.first_day(), date(month.year, month.month, monthrange(month.year, month.month)[1])
    stamp = utc_naive(clock.now())
    for case in cases:
        sets = SCHEME_SETS_BY_MODE[Mode.FLEXIBLE if case["flexible"] else Mode.EMPLOYER]
        case["schemes"] = sets[case.pop("scheme_set") % len(sets)]
    with database.transaction() as session:
        session.execute(insert(Participation), [
            {"person_id": case["person"], "scheme": scheme.value, "exclusion_group": exclusion_group(scheme),
             "mode": "flexible" if case["flexible"] else "employer",
             "employer_id": None if case["flexible"] else setting["employers"][case["section"]], "region_code": CHAOYANG,
             "province": PROVINCE, "start_date": first, "end_date": last, "status": "active", "created_at": stamp, "updated_at": stamp}
            for case in cases for scheme in case["schemes"]])
        declarations = [
            {"person_id": case["person"], "payer_kind": "flexible" if case["flexible"] else "employer",
             "payer_id": case["person"] if case["flexible"] else setting["employers"][case["section"]],
             "effective_period": str(month), "version": 1, "declared_base_fen": case["declared"], "declared_by": "test",
             "declared_at": stamp} for case in cases if case["declared"] is not None]
        if declarations:
            session.execute(insert(BaseDeclaration), declarations)

    run = run_month_end(database=database, province=PROVINCE, period=str(month), now=clock.now(), actor="test", store=store)
    assert run.persons == len(cases)
    with database.unit_of_work() as uow:
        assessed = {row.person_id: row for row in uow.session.scalars(select(Assessment).where(Assessment.period == str(month)))}
        uow.session.expunge_all()

    for case in cases:
        row = assessed[case["person"]]
        # The counter's calculator, asked as make-up asks it: a month with no base declared is assessed on the floor.
        expected = assess_month(params, category=Category.FLEXIBLE if case["flexible"] else Category.EMPLOYEE,
                                declared_base_fen=case["declared"] if case["declared"] is not None else limits.floor_fen,
                                work_injury_class=drawn["class_of_section"][case["section"]],
                                insurances={Insurance(BILLED_SCHEMES[scheme.value]) for scheme in case["schemes"]})
        assert row.declared_base_fen == case["declared"], case
        assert row.used_base_fen == expected.used_base_fen == rules.used_base_fen(case["declared"], limits.floor_fen,
                                                                                  limits.ceiling_fen), case
        assert limits.floor_fen <= row.used_base_fen <= max(limits.floor_fen, limits.ceiling_fen), case
        amounts = {column: 0 for column in COLUMNS.values()}  # a flexible worker's bill has pension and medical only
        for item in expected.items:
            for (insurance, party), column in COLUMNS.items():
                if insurance == item.insurance:
                    amounts[column] = getattr(item, party)
        assert {column: getattr(row, column) for column in COLUMNS.values()} == amounts, case
        assert row.total_fen == expected.total_fen, case
