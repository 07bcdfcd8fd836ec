"""The record, employment and staff rules' screening queries (risk/screen_records.py) on planted rows: for every rule a
finding that trips it and a near miss that does not, with the exact rows, on SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, date, datetime

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select
from typer.testing import CliRunner

from shebao.accounts.models import User
from shebao.benefits.archive import bring_forward
from shebao.benefits.models import ContributionYear, PayrollLine, PensionAward, RetirementApplication
from shebao.benefits.schemas import ArchiveYear, RetirementApply
from shebao.cli import app
from shebao.comparison.models import ExchangeImport, ExtTaxEmployment, LinkCandidate, PersonLink
from shebao.contributions.models import Assessment, Bill, Refund
from shebao.core import audit
from shebao.core.errors import InvalidInput
from shebao.core.security import SYSTEM, FieldCipher
from shebao.payouts.models import PayoutBatch
from shebao.policy.store import default_store
from shebao.registry.models import Employer, Person
from shebao.registry.schemas import PersonChange
from shebao.registry.service import change_person
from shebao.risk.rules import RULES
from shebao.risk.screen_kit import FINDING_COLUMNS, ScreenContext
from shebao.risk.screen_records import SCREENS
from shebao.services.retirement import apply_for_retirement
from shebao.settings import get_settings
from tests.support import CHAOYANG, add_test_streets, assert_bilingual, register

PROVINCE, COUNTY = "110000", "110105"
AS_OF = date(2025, 6, 30)
NOW = datetime(2025, 6, 30, 2, 0)
_numbers = itertools.count(1)


def _context() -> ScreenContext:
    snapshot = default_store().at(PROVINCE, AS_OF)
    paths = {path for rule_id in SCREENS for path in RULES[rule_id].parameters}
    return ScreenContext(PROVINCE, AS_OF, {path: snapshot.value(path) for path in paths})


def _screen(database, rule_id: str) -> list[dict]:  # noqa: ANN001
    with database.transaction() as session:
        result = session.execute(SCREENS[rule_id](session, _context()))
        assert tuple(result.keys()) == FINDING_COLUMNS
        rows = [dict(row._mapping) for row in result]
    for row in rows:
        row["details"] = json.loads(row["details"])
    return sorted(rows, key=lambda row: row["finding_key"])


def _person(session, birth: date, *, sex: str = "M", created: datetime = NOW, phone_hash: str | None = None,  # noqa: ANN001
            household: str | None = None) -> int:
    number = next(_numbers)
    person = Person(id_number_hash=f"{number:064d}", id_number_enc=b"\x01", id_number_masked="110105********0000",
                    birth_date=birth, sex=sex, address_code=COUNTY, name=f"人员{number}", hukou_region_code=COUNTY,
                    residence_region_code=COUNTY, phone_hash=phone_hash, household_number=household, status="living",
                    version=1, effective_from=birth, created_at=created, updated_at=created)
    session.add(person)
    session.flush()
    return person.id


def _apply(session, person_id: int, retire: date, *, category: str = "male", ground: str = "statutory",  # noqa: ANN001
           kind: str | None = None, months: int | None = None) -> int:
    application = RetirementApplication(person_id=person_id, province=PROVINCE, region_code=COUNTY, category=category,
                                        retire_date=retire, age_months=0, ground=ground, special_work_kind=kind,
                                        special_work_months=months, status="awarded", applied_by="staff:desk",
                                        applied_at=NOW)
    session.add(application)
    session.flush()
    return application.id


def _award(session, person_id: int, application_id: int, first_period: str, paid: dict[str, int]) -> None:  # noqa: ANN001
    award = PensionAward(person_id=person_id, application_id=application_id, province=PROVINCE, retire_date=NOW.date(),
                         first_period=first_period, age_months=0, contribution_months=180, deemed_months=0,
                         index_ten_thousandths=10000, personal_account_fen=0, calculation_wage_fen=0, divisor_units=0,
                         basic_fen=0, account_fen=0, transitional_fen=0, monthly_fen=300000, account_remaining_fen=0,
                         status="paying", certified_on=NOW.date(), awarded_by="staff:desk", awarded_at=NOW)
    session.add(award)
    session.flush()
    session.add_all(PayrollLine(award_id=award.id, person_id=person_id, province=PROVINCE, for_period=period,
                                kind="monthly", amount_fen=amount, account_part_fen=0, status="paid",
                                paid_period=period) for period, amount in paid.items())
    session.flush()


def _assess(session, person_id: int, period: str, base: int, *, payer_kind: str = "employer", payer_id: int = 900,  # noqa: ANN001
            declared: int | None = None) -> None:
    employer, individual = base * 16 // 100, base * 8 // 100
    session.add(Assessment(period=period, province=PROVINCE, person_id=person_id, payer_kind=payer_kind,
                           payer_id=payer_id, region_code=COUNTY, declared_base_fen=declared, used_base_fen=base,
                           pension_employer_fen=employer, pension_individual_fen=individual,
                           pension_account_fen=individual, medical_employer_fen=0, medical_individual_fen=0,
                           unemployment_employer_fen=0, unemployment_individual_fen=0, work_injury_employer_fen=0,
                           maternity_employer_fen=0, total_fen=employer + individual, bill_reference="", version=1))
    session.flush()


def _link(session, a: int, b: int) -> None:  # noqa: ANN001
    candidate = LinkCandidate(province=PROVINCE, person_id=a, other_kind="person", other_id=b, match_probability=0.99,
                              match_weight=10.0, levels="{}", status="linked", found_by="system:linkage", found_at=NOW)
    session.add(candidate)
    session.flush()
    session.add(PersonLink(candidate_id=candidate.id, person_id_a=min(a, b), person_id_b=max(a, b),
                           match_probability=0.99, source="linkage", method="automatic", confirmed_by="system:linkage",
                           confirmed_at=NOW))
    session.flush()


def _employer(session, uscc: str) -> int:  # noqa: ANN001
    employer = Employer(uscc=uscc, name=f"单位{uscc[-3:]}", region_code=COUNTY, industry_code="E47", status="active",
                        registered_at=NOW, updated_at=NOW)
    session.add(employer)
    session.flush()
    return employer.id


def _staff(session, username: str, person_id: int | None) -> None:  # noqa: ANN001
    session.add(User(username=username, display_name=username, password_hash="-", role="staff", region_code=COUNTY,
                     person_id=person_id, created_at=NOW))
    session.flush()


def _on(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 2, 0, tzinfo=UTC)


def test_r05_identity_changed_shortly_before_retirement(database):
    with database.transaction() as s:
        first = _person(s, date(1965, 6, 1), created=datetime(2015, 1, 1))
        renumbered = _person(s, date(1964, 6, 1), created=datetime(2022, 1, 1))  # a year older, 38 months before
        _link(s, first, renumbered)
        _apply(s, renumbered, date(2025, 3, 1))
        old_first = _person(s, date(1965, 6, 1), created=datetime(2015, 1, 1))
        old_change = _person(s, date(1964, 6, 1), created=datetime(2018, 1, 1))  # 86 months before: outside
        _link(s, old_first, old_change)
        _apply(s, old_change, date(2025, 3, 1))
        later_first = _person(s, date(1964, 6, 1), created=datetime(2015, 1, 1))
        later = _person(s, date(1965, 6, 1), created=datetime(2022, 1, 1))  # younger: retires later, no gain
        _link(s, later_first, later)
        _apply(s, later, date(2025, 3, 1))
        audited = _person(s, date(1965, 1, 1))
        _apply(s, audited, date(2025, 3, 1))
        audit.append(s, actor="staff:desk", action="person.changed", subject=f"person:{audited}", now=_on(date(2024, 1, 5)),
                     fields=["birth_date"], reason="更正")
        phone_only = _person(s, date(1965, 1, 1))
        _apply(s, phone_only, date(2025, 3, 1))
        audit.append(s, actor="staff:desk", action="person.changed", subject=f"person:{phone_only}",
                     now=_on(date(2024, 1, 5)), fields=["phone"], reason="更正")
    rows = _screen(database, "R05_identity_changed_before_retirement")
    assert [(r["finding_key"], r["person_id"], r["region_code"], r["period_to"]) for r in rows] == sorted([
        (f"p:{renumbered}", renumbered, COUNTY, "202503"), (f"p:{audited}", audited, COUNTY, "202503")])
    by_person = {r["person_id"]: r["details"] for r in rows}
    assert by_person[renumbered] == {"retire_date": "2025-03-01", "birth_date": "1964-06-01",
                                     "first_birth_date": "1965-06-01", "linked_records": 1, "audited_changes": 0}
    assert by_person[audited]["audited_changes"] == 1 and by_person[audited]["first_birth_date"] is None


def test_r06_retired_younger_than_the_first_recorded_birth_date_allows(database):
    with database.transaction() as s:
        early = _person(s, date(1966, 1, 10))  # 59 years 1 month at 2025-03-01: below 60
        application = _apply(s, early, date(2025, 3, 1), ground="early_voluntary")
        _award(s, early, application, "202503", {"202503": 300000, "202504": 300000, "202505": 300000})
        at_sixty = _person(s, date(1965, 2, 1))  # 60 years 1 month: allowed
        _apply(s, at_sixty, date(2025, 3, 1))
        special = _person(s, date(1969, 1, 1))  # 56 on the special-work ground: R07's to judge the years
        _apply(s, special, date(2025, 2, 1), ground="special_work", kind="other_harmful", months=120)
        first = _person(s, date(1966, 1, 1), created=datetime(2010, 1, 1))  # the file's first birth date
        older_now = _person(s, date(1964, 1, 1), created=datetime(2020, 1, 1))
        _link(s, first, older_now)
        _apply(s, older_now, date(2025, 3, 1))
    rows = _screen(database, "R06_retired_below_statutory_age")
    assert [(r["finding_key"], r["amount_fen"], r["period_from"]) for r in rows] == sorted([
        (f"p:{early}", 900000, "202503"), (f"p:{older_now}", 0, "202503")])
    details = {r["person_id"]: r["details"] for r in rows}
    assert details[early] == {"retire_date": "2025-03-01", "first_birth_date": "1966-01-10", "ground": "early_voluntary",
                              "age_months": 709, "youngest_allowed_months": 720}
    assert details[older_now]["first_birth_date"] == "1966-01-01" and details[older_now]["age_months"] == 710


def test_r07_special_work_without_its_years(database):
    with database.transaction() as s:
        short = _person(s, date(1969, 1, 1))
        application = _apply(s, short, date(2025, 2, 1), ground="special_work", kind="underground_high_temperature",
                             months=107)
        _award(s, short, application, "202502", {"202502": 250000, "202503": 250000})
        enough = _person(s, date(1969, 1, 1))
        _apply(s, enough, date(2025, 2, 1), ground="special_work", kind="underground_high_temperature", months=108)
        young = _person(s, date(1970, 3, 1))  # 54 years 11 months: below 55 whatever the years
        _apply(s, young, date(2025, 2, 1), ground="special_work", kind="other_harmful", months=200)
        statutory = _person(s, date(1964, 1, 1))
        _apply(s, statutory, date(2025, 2, 1))
    rows = _screen(database, "R07_special_work_without_years")
    assert [(r["finding_key"], r["amount_fen"]) for r in rows] == sorted([(f"p:{short}", 500000), (f"p:{young}", 0)])
    details = {r["person_id"]: r["details"] for r in rows}
    assert details[short] == {"retire_date": "2025-02-01", "special_work_kind": "underground_high_temperature",
                              "special_work_months": 107, "required_months": 108, "age_months": 673,
                              "youngest_allowed_months": 660}
    assert details[young]["age_months"] == 659 and details[young]["required_months"] == 96


def test_r08_base_jump_before_retirement(database):
    with database.transaction() as s:
        jumped = _person(s, date(1965, 1, 1))
        _apply(s, jumped, date(2025, 1, 1))
        just_double = _person(s, date(1965, 1, 1))
        _apply(s, just_double, date(2025, 1, 1))
        for person, window_base in ((jumped, 1000001), (just_double, 1000000)):
            _assess(s, person, "201506", 100)  # before the reference months: not counted
            _assess(s, person, "201906", 500000)
            _assess(s, person, "202106", 500000)
            _assess(s, person, "202301", window_base)
            _assess(s, person, "202412", window_base)
    rows = _screen(database, "R08_base_jump_before_retirement")
    assert [(r["finding_key"], r["period_from"], r["period_to"], r["amount_fen"]) for r in rows] == [
        (f"p:{jumped}", "201901", "202412", 0)]
    assert rows[0]["details"] == {"window_base_sum_fen": 2000002, "window_months": 2, "reference_base_sum_fen": 1000000,
                                  "reference_months": 2, "ratio_thousandths": 2000}


def _makeup(session, person_id: int, period: str, amount: int, made: datetime) -> None:  # noqa: ANN001
    session.add(Bill(period=period, province=PROVINCE, payer_kind="flexible", payer_id=person_id, amount_fen=amount,
                     persons=1, due_date=date(2020, 1, 15), kind="makeup", reference=f"p{person_id}", created_at=made))
    session.flush()


def test_r09_large_makeup_shortly_before_retirement(database):
    with database.transaction() as s:
        large = _person(s, date(1965, 1, 1))
        _apply(s, large, date(2025, 1, 1))
        for period in ("202001", "202002", "202003"):
            _makeup(s, large, period, 1666667, datetime(2023, 5, 1))
        under = _person(s, date(1965, 1, 1))
        _apply(s, under, date(2025, 1, 1))
        _makeup(s, under, "202001", 2499999, datetime(2023, 5, 1))
        _makeup(s, under, "202002", 2500000, datetime(2023, 5, 1))
        long_ago = _person(s, date(1965, 1, 1))
        _apply(s, long_ago, date(2025, 1, 1))
        _makeup(s, long_ago, "201801", 6000000, datetime(2020, 12, 1))  # 49 months before: outside the window
    rows = _screen(database, "R09_makeup_before_retirement")
    assert [(r["finding_key"], r["amount_fen"], r["period_from"], r["period_to"]) for r in rows] == [
        (f"p:{large}", 5000001, "202001", "202003")]
    assert rows[0]["details"] == {"months_made_up": 3, "amount_fen": 5000001, "retire_period": "202501"}


def test_r10_contributions_under_16(database):
    with database.transaction() as s:
        child = _person(s, date(2009, 3, 15))
        _assess(s, child, "202502", 700000)  # 15 years 11 months
        _assess(s, child, "202503", 700000)  # the month of the 16th birthday: not under 16
        toddler = _person(s, date(1970, 5, 1))  # the altered file's "worked from the age of one"
        s.add(ContributionYear(person_id=toddler, province=PROVINCE, year=1971, kind="archive", months=12,
                               base_sum_fen=0, average_wage_fen=0, index_sum_millionths=0))
        teenager = _person(s, date(1970, 5, 1))
        s.add(ContributionYear(person_id=teenager, province=PROVINCE, year=1986, kind="archive", months=12,
                               base_sum_fen=0, average_wage_fen=0, index_sum_millionths=0))  # 16 in May 1986
    rows = _screen(database, "R10_contributions_under_16")
    assert [(r["finding_key"], r["period_from"], r["period_to"], r["amount_fen"], r["details"]) for r in rows] == sorted([
        (f"p:{child}", "202502", "202502", 168000, {"birth_date": "2009-03-15", "records": 1}),
        (f"p:{toddler}", "197101", "197101", 0, {"birth_date": "1970-05-01", "records": 1})])


def test_r11_contributions_past_retirement_age(database):
    with database.transaction() as s:
        drawing = _person(s, date(1964, 1, 1))
        application = _apply(s, drawing, date(2025, 1, 1))
        _award(s, drawing, application, "202501", {})
        _assess(s, drawing, "202412", 700000)
        _assess(s, drawing, "202502", 700000)
        old = _person(s, date(1958, 1, 1))  # 67 years 1 month in 2025-02: past 63 + 3
        s.add(ContributionYear(person_id=old, province=PROVINCE, year=1990, kind="archive", months=200,
                               base_sum_fen=0, average_wage_fen=0, index_sum_millionths=0))
        _assess(s, old, "202502", 700000)
        reaching_minimum = _person(s, date(1958, 1, 1))  # paying on to reach the minimum months
        _assess(s, reaching_minimum, "202502", 700000)
        younger = _person(s, date(1960, 1, 1))  # 65 years 1 month: within the longest deferral
        s.add(ContributionYear(person_id=younger, province=PROVINCE, year=1990, kind="archive", months=200,
                               base_sum_fen=0, average_wage_fen=0, index_sum_millionths=0))
        _assess(s, younger, "202502", 700000)
    rows = _screen(database, "R11_contributions_past_retirement_age")
    assert [(r["finding_key"], r["period_from"], r["period_to"], r["amount_fen"]) for r in rows] == sorted([
        (f"p:{drawing}", "202502", "202502", 168000), (f"p:{old}", "202502", "202502", 168000)])
    details = {r["person_id"]: r["details"] for r in rows}
    assert details[drawing] == {"months": 1, "drawing_pension": True, "birth_date": "1964-01-01"}
    assert details[old]["drawing_pension"] is False


def test_r12_two_employers_at_full_bases(database):
    floor = _context().param("contribution.base.floor_fen")
    with database.transaction() as s:
        paper_job = _person(s, date(1980, 1, 1))
        short_overlap = _person(s, date(1980, 1, 1))
        below_floor = _person(s, date(1980, 1, 1))
        for period in ("202501", "202502", "202503"):
            _assess(s, paper_job, period, floor, payer_id=901, declared=floor)
            _assess(s, paper_job, period, floor, payer_id=902, declared=floor)
            _assess(s, below_floor, period, floor, payer_id=901, declared=floor)
            _assess(s, below_floor, period, floor, payer_id=902, declared=floor - 1)
        for period in ("202502", "202503"):
            _assess(s, short_overlap, period, floor, payer_id=901, declared=floor)
            _assess(s, short_overlap, period, floor, payer_id=902, declared=floor)
    rows = _screen(database, "R12_two_employers_full_bases")
    assert [(r["finding_key"], r["period_from"], r["period_to"], r["employer_id"]) for r in rows] == [
        (f"p:{paper_job}", "202501", "202503", None)]
    assert rows[0]["details"]["overlap_months"] == 3 and sorted(rows[0]["details"]["employer_ids"]) == [901, 902]


def test_r13_fictitious_employment(database):
    with database.transaction() as s:
        s.add(ExchangeImport(id=1, kind="tax_employment", source="tax.csv", checksum="0" * 64, file_format="csv",
                             encoding="utf-8", rows_read=0, rows_loaded=0, rows_rejected=0, imported_by="test",
                             imported_at=NOW))
        s.flush()
        agency = _employer(s, "91110105000000001A")
        honest = _employer(s, "91110105000000002B")
        small = _employer(s, "91110105000000003C")
        employees = {agency: [], honest: [], small: []}
        for employer, count in ((agency, 4), (honest, 4), (small, 2)):
            for _ in range(count):
                person = _person(s, date(1980, 1, 1))
                employees[employer].append(person)
                _assess(s, person, "202503", 500000, payer_id=employer)
        paid = s.get(Person, employees[honest][0]).id_number_hash  # one of four paid (by anyone): 3 of 4 absent
        s.add(ExtTaxEmployment(import_id=1, uscc="91110105000000009Z", id_hash=paid, period="202412", wage_fen=800000))
        s.add(ExtTaxEmployment(import_id=1, uscc="91110105000000009Z", id_hash="x" * 64, period="202504", wage_fen=1))
    rows = _screen(database, "R13_fictitious_employment")
    assert [(r["finding_key"], r["employer_id"], r["person_id"], r["region_code"], r["amount_fen"], r["period_from"])
            for r in rows] == [(f"e:{agency}", agency, None, COUNTY, 4 * 120000, "202503")]
    assert rows[0]["details"] == {"declared": 4, "absent": 4, "uscc": "91110105000000001A"}


def test_r13_without_tax_records_finds_nothing(database):
    with database.transaction() as s:
        agency = _employer(s, "91110105000000001A")
        for _ in range(4):
            _assess(s, _person(s, date(1980, 1, 1)), "202503", 500000, payer_id=agency)
    assert _screen(database, "R13_fictitious_employment") == []


def test_r17_one_phone_shared_by_many_claimants(database):
    with database.transaction() as s:
        shared = [_person(s, date(1960, 1, 1), phone_hash="a" * 64) for _ in range(3)]
        for person in shared:
            _apply(s, person, date(2025, 1, 1))
        couple = [_person(s, date(1960, 1, 1), phone_hash="b" * 64) for _ in range(2)]
        for person in couple:
            _apply(s, person, date(2025, 1, 1))
        _person(s, date(1990, 1, 1), phone_hash="b" * 64)  # their child: not a claimant
    rows = _screen(database, "R17_shared_phone_or_address")
    assert [(r["finding_key"], r["region_code"], r["person_id"]) for r in rows] == [("phone:" + "a" * 64, COUNTY, None)]
    assert rows[0]["details"]["claimants"] == 3 and sorted(rows[0]["details"]["person_ids"]) == sorted(shared)


def test_r18_staff_acting_on_their_own_or_a_family_record(database):
    with database.transaction() as s:
        clerk = _person(s, date(1980, 1, 1), household="H0001")
        spouse = _person(s, date(1981, 1, 1), household="H0001")
        stranger = _person(s, date(1981, 1, 1), household="H0002")
        _staff(s, "clerk1", clerk)
        _staff(s, "clerk2", None)
        when = _on(date(2025, 2, 3))
        audit.append(s, actor="staff:clerk1", action="person.changed", subject=f"person:{spouse}", now=when, fields=["name"])
        audit.append(s, actor="staff:clerk1", action="makeup.billed", subject=f"person:{clerk}", now=_on(date(2025, 4, 1)))
        audit.append(s, actor="staff:clerk1", action="person.viewed", subject=f"person:{clerk}", now=when)
        audit.append(s, actor="staff:clerk1", action="person.changed", subject=f"person:{stranger}", now=when, fields=["name"])
        audit.append(s, actor="staff:clerk2", action="person.changed", subject=f"person:{spouse}", now=when, fields=["name"])
    rows = _screen(database, "R18_staff_own_or_family_record")
    assert [(r["finding_key"], r["staff_actor"], r["person_id"], r["region_code"], r["period_from"], r["details"])
            for r in rows] == sorted([
        (f"s:staff:clerk1:p:{clerk}", "staff:clerk1", clerk, COUNTY, "202504",
         {"relation": "own", "acts": 1, "an_action": "makeup.billed"}),
        (f"s:staff:clerk1:p:{spouse}", "staff:clerk1", spouse, COUNTY, "202502",
         {"relation": "family", "acts": 1, "an_action": "person.changed"})])


def test_r19_staff_approving_their_own_work(database):
    with database.transaction() as s:
        _staff(s, "clerk1", None)
        for number, (maker, checker) in enumerate((("staff:clerk1", "staff:clerk1"), ("staff:clerk1", "staff:clerk2"),
                                                   ("admin:system", "admin:system")), start=1):
            s.add(PayoutBatch(province=PROVINCE, period="202505", source="payroll", bank_code="ICBC", seq=number,
                              status="released", line_count=1, total_fen=123400, opened_by=maker, opened_at=NOW,
                              prepared_by=maker, prepared_at=NOW, approved_by=checker, approved_at=NOW))
        for requester in ("staff:clerk1", "employer:acme"):
            s.add(Refund(province=PROVINCE, payer_kind="employer", payer_id=1, amount_fen=5000, method="bank",
                         status="approved", reason="多缴", requested_by=requester, requested_at=NOW,
                         decided_by="staff:clerk1", decided_at=NOW))
        s.flush()
    rows = _screen(database, "R19_staff_approves_own_case")
    assert [(r["staff_actor"], r["region_code"], r["amount_fen"], r["period_from"], r["details"]["kind"]) for r in rows] \
        == [("staff:clerk1", COUNTY, 123400, "202505", "payout_batch"), ("staff:clerk1", COUNTY, 5000, None, "refund")]
    assert rows[0]["finding_key"].startswith("s:staff:clerk1:payout_batch:")


def test_every_record_rule_has_its_query():
    expected = {"R05_identity_changed_before_retirement", "R06_retired_below_statutory_age",
                "R07_special_work_without_years", "R08_base_jump_before_retirement", "R09_makeup_before_retirement",
                "R10_contributions_under_16", "R11_contributions_past_retirement_age", "R12_two_employers_full_bases",
                "R13_fictitious_employment", "R17_shared_phone_or_address", "R18_staff_own_or_family_record",
                "R19_staff_approves_own_case"}
    assert set(SCREENS) == expected and all(RULES[rule_id].after_the_fact for rule_id in SCREENS)


# ---------------------------------------------------------------- the special-work ground, as the application records it

def _retiree(database, cipher, clock) -> int:  # noqa: ANN001
    """A man born 1964-06-15 with 28 archive years and 12 deemed years (as in the pension award tests)."""
    add_test_streets(database, clock)
    person = register(database, cipher, clock, birth=date(1964, 6, 15), sequence=11)
    years = [ArchiveYear(person_id=person, province=PROVINCE, year=1984 + k, kind="deemed", months=12) for k in range(12)]
    years += [ArchiveYear(person_id=person, province=PROVINCE, year=y, kind="archive", months=12,
                          base_sum_fen=9_600_000, average_wage_fen=1_000_000) for y in range(1996, 2024)]
    with database.transaction() as session:
        bring_forward(session=session, province=PROVINCE, years=years, balances={person: 15_000_000}, period="202401",
                      actor="test", now=clock.now())
    return person


def _retire(database, clock, person: int, **overrides):  # noqa: ANN001, ANN202
    command = {"person_id": person, "retire_date": date(2024, 1, 15), "category": "male", "region_code": CHAOYANG,
               "ground": "special_work", "special_work_kind": "underground_high_temperature", "special_work_months": 100}
    with database.unit_of_work() as uow:
        outcome = apply_for_retirement(session=uow.session, principal=SYSTEM, now=clock.now(),
                                       command=RetirementApply(**(command | overrides)))
        uow.commit()
    if outcome.error is not None:
        raise outcome.error
    return outcome.award


def test_the_special_work_ground_is_recorded_and_screened(database, cipher, clock):
    person = _retiree(database, cipher, clock)
    award = _retire(database, clock, person)  # 59 years 7 months, before the statutory 60: on the special-work ground
    assert award.eligible
    with database.transaction() as session:
        application = session.scalar(select(RetirementApplication))
        assert (application.ground, application.special_work_kind, application.special_work_months) == (
            "special_work", "underground_high_temperature", 100)
    rows = _screen(database, "R07_special_work_without_years")
    assert [(r["finding_key"], r["details"]["special_work_months"], r["details"]["required_months"]) for r in rows] == [
        (f"p:{person}", 100, 108)]
    assert _screen(database, "R06_retired_below_statutory_age") == []


@pytest.mark.parametrize(("overrides", "code"), [
    ({"special_work_kind": None}, "retirement.special_work_missing"),
    ({"special_work_months": None}, "retirement.special_work_missing"),
    ({"ground": "early_voluntary"}, "retirement.special_work_without_ground"),
    ({"retire_date": date(2024, 7, 15), "ground": "special_work"}, "retirement.not_early"),
    ({"retire_date": date(2019, 5, 15)}, "retirement.ineligible"),  # 54 years 11 months: below 55
])
def test_a_special_work_application_without_its_facts_is_refused_and_writes_nothing(database, cipher, clock, overrides,
                                                                                    code):
    person = _retiree(database, cipher, clock)
    with pytest.raises(InvalidInput) as refused:
        _retire(database, clock, person, **overrides)
    assert refused.value.code == code
    assert_bilingual(refused.value.reason, refused.value.reason_en)
    with database.transaction() as session:
        assert session.scalar(select(func.count()).select_from(RetirementApplication)) == 0


def test_a_special_work_month_count_out_of_range_is_refused_by_the_schema():
    with pytest.raises(ValidationError):
        RetirementApply(person_id=1, retire_date=date(2024, 1, 15), category="male", region_code=CHAOYANG,
                        ground="special_work", special_work_kind="other_harmful", special_work_months=-1)


# ---------------------------------------------------------------- the phone's keyed hash

def test_registration_and_a_phone_change_keep_the_phone_hash(database, cipher, clock):
    add_test_streets(database, clock)
    person = register(database, cipher, clock, birth=date(1960, 1, 1), sequence=21)
    with database.transaction() as session:
        change_person(session=session, cipher=cipher, principal=SYSTEM, person_id=person, now=clock.now(),
                      command=PersonChange(effective_from=clock.now().date(), reason="换号", phone="13800000001"))
        assert session.get(Person, person).phone_hash == cipher.lookup_hash("13800000001")


def test_phones_stored_before_the_hash_are_hashed_by_the_command_once(database, database_url, clock):
    cipher = FieldCipher(get_settings().secret_key)  # the command's own key
    with database.transaction() as s:
        people = [_person(s, date(1960, 1, 1)) for _ in range(3)]
        for person in people[:2]:
            s.get(Person, person).phone_enc = cipher.encrypt("phone", "13900000002")
    runner = CliRunner()
    first = runner.invoke(app, ["person", "hash-phones", "--db", database_url, "--json"])
    assert first.exit_code == 0, first.output
    assert json.loads(first.output) == {"filled": 2}
    again = runner.invoke(app, ["person", "hash-phones", "--db", database_url, "--json"])
    assert json.loads(again.output) == {"filled": 0}
    with database.transaction() as s:
        hashes = [s.get(Person, person).phone_hash for person in people]
    assert hashes == [cipher.lookup_hash("13900000002")] * 2 + [None]
