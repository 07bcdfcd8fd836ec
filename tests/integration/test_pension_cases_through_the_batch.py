"""Every worked pension example in tests/cases (the approval forms of the provinces included) awarded by the batch
from a record built to its figures: the batch's SQL and the calculator agree with the case to the fen.

Each case becomes a person whose archive holds its months at its average index (the months the province counts
before the personal account opened placed in the years before it opened), its deemed months, its account balance
and an application with its second index and notional account (上海's 虚账实记); the case's W, where it gives one, is the province's W for the test. A local rise
the province's rules pay (吉林's 增发) is awarded and paid too, apart from the national total."""

from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from sqlalchemy import insert, select

from shebao.benefits.archive import bring_forward
from shebao.benefits.awards import award_pending
from shebao.benefits.models import ContributionYear, PensionAward, RetirementApplication
from shebao.benefits.rules import age_in_months
from shebao.benefits.schemas import PensionCalculate
from shebao.benefits.service import pension_case
from shebao.core.clock import utc_naive
from shebao.core.regions import province_of
from shebao.policy.store import DatedValue, ParameterStore, default_store
from tests.support import add_test_streets, register

CASES = Path(__file__).resolve().parents[1] / "cases" / "benefits"
PARTS = ("basic_pension_fen", "personal_account_pension_fen", "transitional_pension_fen", "total_fen")


def _pension_cases() -> list[dict]:
    cases = []
    for path in sorted(CASES.glob("pension*.yaml")):
        cases += [case for case in yaml.safe_load(path.read_text(encoding="utf-8"))
                  if case["rule"] == "benefits.pension" and "expected_failure" not in case
                  and case["output"].get("eligible", True) and case["input"].get("contribution_months", 0) >= 12]
    return cases


def _store_with_wage(province: str, wage_fen: int | None) -> ParameterStore:
    base = default_store()
    if wage_fen is None:
        return base
    wage = base.national["pension.calculation_wage_fen"]
    given = replace(wage, values=(DatedValue(date(2000, 1, 1), wage_fen, "the case's W"),))
    return ParameterStore(base.national, base.provinces | {
        province: base.provinces.get(province, {}) | {"pension.calculation_wage_fen": given}}, base.cities)


def _rows(person: int, province: str, months: int, index: Decimal, first_year: int, kind: str = "archive") -> list[dict]:
    rows, year = [], first_year
    while months > 0:
        taken = min(12, months)
        rows.append({"person_id": person, "province": province, "year": year, "kind": kind, "months": taken,
                     "base_sum_fen": 0, "average_wage_fen": 0, "index_sum_millionths": int(taken * index * 1_000_000)})
        months, year = months - taken, year + 1
    return rows


@pytest.mark.parametrize("case", _pension_cases(), ids=lambda case: case["name"][:60])
def test_the_batch_awards_each_worked_example_to_the_fen(database, cipher, clock, case):
    given = case["input"]
    province = province_of(given["region"])
    store = _store_with_wage(province, given.get("calculation_wage_fen"))
    add_test_streets(database, clock)
    birth, retire = given["birth_date"], given["retire_date"]
    person = register(database, cipher, clock, birth=birth, sequence=11 if given["sex"] == "M" else 12)
    index = Decimal(given["average_index"])
    opened = store.at(province, date(2006, 1, 1)).value("pension.personal_account_opened_year")
    before = given.get("pre_account_months", 0)
    rows = (_rows(person, province, before, index, opened - (before + 11) // 12)
            + _rows(person, province, given["contribution_months"] - before, index, opened)
            + _rows(person, province, given.get("deemed_months", 0), Decimal(0), 1950, kind="deemed"))
    second = given.get("transitional_index")
    with database.transaction() as session:
        session.execute(insert(ContributionYear), rows)
        if given["personal_account_fen"]:
            bring_forward(session=session, province=province, years=[], balances={person: given["personal_account_fen"]},
                          period="202401", actor="test", now=clock.now())
        session.add(RetirementApplication(
            person_id=person, province=province, region_code=given["region"], category=given["category"], retire_date=retire,
            age_months=age_in_months(birth, retire), ground="statutory", status="pending", applied_by="test",
            applied_at=utc_naive(clock.now()),
            transitional_index_ten_thousandths=None if second is None else int(Decimal(second) * 10_000),
            notional_account_fen=given.get("notional_account_fen")))
    award_pending(database=database, province=province, now=clock.now(), actor="test", store=store)
    with database.unit_of_work() as uow:
        award = uow.session.scalar(select(PensionAward).where(PensionAward.person_id == person))
        figures = dict(zip(PARTS, (award.basic_fen, award.account_fen, award.transitional_fen,
                                   award.basic_fen + award.account_fen + award.transitional_fen), strict=True))
        rule_extras, monthly = award.local_extras_fen, award.monthly_fen
    calculated = pension_case(case=PensionCalculate(**{k: (str(v) if isinstance(v, date) else v) for k, v in given.items()}),
                              store=store)
    assert figures == {part: getattr(calculated, part) for part in PARTS}, case["name"]
    given_extras = sum(extra["fen"] for extra in given.get("local_extras", []))  # told to the calculator, not on record
    assert rule_extras == calculated.local_extras_fen - given_extras and monthly == figures["total_fen"] + rule_extras
    assert {part: figures[part] for part in PARTS if part in case["output"]} == {
        part: case["output"][part] for part in PARTS if part in case["output"]}, case["name"]
