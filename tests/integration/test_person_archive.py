"""The archive nationwide: months and bases in every province counted as the award counts them, a retiree's
working years and account as the award used them, omitted months, the statement's PDF read back and its code."""

import io
import random
from datetime import date, timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import literal, select

from shebao.benefits import payroll
from shebao.benefits.archive import bring_forward
from shebao.benefits.record import record_columns
from shebao.benefits.schemas import ArchiveYear
from shebao.contributions import batch
from shebao.contributions.collection import settle_period_in_full
from shebao.contributions.schemas import BaseDeclare
from shebao.contributions.service import declare_base
from shebao.core.errors import InvalidInput, NotFound
from shebao.core.pdf import FontMissing, find_font
from shebao.core.security import SYSTEM, Principal, Role
from shebao.demo.seed import demo_credit_code
from shebao.enrollment.schemas import EmployeeHire, EmployeeLeave
from shebao.ledger import service as ledger
from shebao.policy.store import default_store
from shebao.registry import service as registry
from shebao.registry.schemas import EmployerCreate
from shebao.services import employment
from shebao.services.archive import person_archive, person_record, verify_statement
from shebao.services.statement_pdf import statement_pdf
from tests.conftest import TEST_SECRET
from tests.integration.conftest import PROVINCE
from tests.integration.test_pension_award_and_payroll import _apply, retiree  # noqa: F401 - the retiree's fixture
from tests.support import PUDONG, id_number

SHANGHAI, GUANGDONG = "310000", "440000"


def _month_end(database, clock, province, periods, *, paid=()):
    for period in periods:
        batch.run_month_end(database=database, province=province, period=period, now=clock.now(), actor="test")
        if period in paid:
            year, month = int(period[:4]), int(period[4:])
            paid_on = date(year + month // 12, month % 12 + 1, 10)
            settle_period_in_full(database=database, province=province, period=period, paid_on=paid_on, actor="bank",
                                  now=clock.now())


@pytest.fixture
def mover(database, cipher, province):
    """A man insured in Beijing from 2024-01 (paid to 2024-03), who left on 2024-03-31 and was hired in Shanghai on
    2024-05-01 (May and July paid, June not), with ten archive years in Guangdong before the platform."""
    clock = province["clock"]
    person_id = province["people"][1][0]  # 12,345 yuan declared; ID number below
    _month_end(database, clock, PROVINCE, ("202401", "202402", "202403"), paid=("202401", "202402", "202403"))
    with database.transaction() as session:
        employment.leave(session=session, principal=SYSTEM, employer_id=province["firm"], person_id=person_id, now=clock.now(),
                         command=EmployeeLeave(end_date=date(2024, 3, 31), reason="合同期满"))
        firm = registry.register_employer(session=session, principal=SYSTEM, now=clock.now(), command=EmployerCreate(
            uscc=demo_credit_code(PUDONG, random.Random(7)), name="浦东物流有限公司", region_code=PUDONG, industry_code="G54"))
        employment.hire(session=session, cipher=cipher, principal=SYSTEM, employer_id=firm.id, now=clock.now(),
                        command=EmployeeHire(id_number=id_number(birth=date(1971, 1, 1), sequence=101),
                                             start_date=date(2024, 5, 1)))
        declare_base(session=session, principal=SYSTEM, now=clock.now(), command=BaseDeclare(
            person_id=person_id, effective_period="202405", declared_base_fen=1_000_000))
    _month_end(database, clock, SHANGHAI, ("202405", "202406", "202407"), paid=("202405", "202407"))
    with database.transaction() as session:
        bring_forward(session=session, province=GUANGDONG, balances={}, period="202401", actor="test", now=clock.now(),
                      years=[ArchiveYear(person_id=person_id, province=GUANGDONG, year=y, kind="archive", months=12,
                                         base_sum_fen=12 * 500_000, average_wage_fen=600_000) for y in range(2010, 2020)])
    return {"person": person_id, "clock": clock, "shanghai_firm": firm.id}


def test_the_archive_counts_every_province_as_the_award_does(database, mover):
    clock, person = mover["clock"], mover["person"]
    with database.transaction() as session:
        archive = person_archive(session=session, principal=SYSTEM, person_id=person, now=clock.now(), secret=TEST_SECRET)
        record = person_record(session=session, principal=SYSTEM, person_id=person, now=clock.now())
        columns = record_columns(default_store(), literal(person))
        counted = session.execute(select(columns["months"].label("months"), columns["deemed"].label("deemed"))).one()
        balance = ledger.personal_account_balance(session=session, person_id=person)
    provinces = {p.province: p for p in archive.provinces}
    assert {code: p.months for code, p in provinces.items()} == {PROVINCE: 3, SHANGHAI: 2, GUANGDONG: 120}
    assert provinces[GUANGDONG].province_name == "广东省" and provinces[SHANGHAI].base_sum_fen == 2 * 1_000_000
    # The same months the award would count, and the platform's paid months and bases as the record shows them.
    assert (archive.contribution_months, archive.deemed_months) == (counted.months, counted.deemed) == (125, 0)
    paid = [m for m in record.months if m.paid]
    assert archive.paid_months == record.paid_months == len(paid) == 5
    platform_bases = sum(p.base_sum_fen for code, p in provinces.items() if code != GUANGDONG)
    assert platform_bases == sum(m.used_base_fen for m in paid)
    assert archive.years_counted == {"years": 10, "months": 5}
    # Employers by province and year, from the participations; insurances joined in both provinces.
    year_2024 = {(y.province, y.kind): y for y in archive.years if y.year == 2024}
    assert year_2024[(PROVINCE, "assessed")].employers == ["朝阳建筑工程有限公司"]
    assert year_2024[(SHANGHAI, "assessed")].employers == ["浦东物流有限公司"]
    assert {i.province for i in archive.insurances} == {PROVINCE, SHANGHAI}
    assert archive.personal_account.balance_fen == balance > 0
    assert archive.transfers == [] and archive.temporary_accounts == [] and archive.pension is None
    # Where the pension would be paid: the relationship is in Shanghai (2 months), not the hukou province, so the
    # last province with 10 years, Guangdong (rule 3); Beijing and Shanghai are to be gathered there first.
    place = archive.benefit_place
    assert (place["province"], place["rule"], place["relationship_province"]) == (GUANGDONG, 3, SHANGHAI)
    assert [part["province"] for part in place["to_gather"]] == [PROVINCE, SHANGHAI]


def test_months_that_look_omitted_are_listed_with_their_province(database, mover):
    with database.transaction() as session:
        archive = person_archive(session=session, principal=SYSTEM, person_id=mover["person"], now=mover["clock"].now())
    spans = [(o.kind, o.province, o.first_period, o.last_period, o.months) for o in archive.omitted]
    assert spans == [("gap", PROVINCE, "202404", "202404", 1), ("unpaid", SHANGHAI, "202406", "202406", 1)]
    assert all(o.reason and o.reason_en for o in archive.omitted)
    assert archive.statutory_retirement_date > date(2031, 1, 1)  # born 1971-01-01: 60, and the 2025 reform's months


def test_a_retiree_shows_the_award_s_months_and_never_a_negative_balance(database, clock, retiree):  # noqa: F811
    _apply(database, clock, retiree)
    payroll.run_payroll(database=database, province="110000", period="202503", now=clock.now(), actor="test")
    with database.transaction() as session:
        archive = person_archive(session=session, principal=SYSTEM, person_id=retiree, now=clock.now())
        balance = ledger.personal_account_balance(session=session, person_id=retiree)
    assert archive.retired and (archive.contribution_months, archive.deemed_months) == (336, 144)
    assert archive.years_counted == {"years": 28, "months": 0}
    assert archive.pension.contribution_months == 336 and archive.pension.monthly_fen == 697311
    account = archive.personal_account
    assert account.at_retirement_fen == 15_000_000 and account.drawn_by_pension_fen == 9 * 107914
    assert account.remaining_fen == 15_000_000 - 9 * 107914 == balance == account.balance_fen
    assert all(y.closing_fen >= 0 and y.contributions_fen >= 0 for y in account.years)
    assert sum(y.drawn_fen for y in account.years) == 9 * 107914


def _need_a_chinese_font():
    try:
        find_font()
    except FontMissing:
        pytest.skip("no Chinese font installed (apt-get install fonts-wqy-microhei); .ci/run installs it")


def test_the_statement_reads_back_with_its_figures_and_its_code_verifies(database, clock, retiree):  # noqa: F811
    _need_a_chinese_font()
    _apply(database, clock, retiree)
    with database.transaction() as session:
        archive = person_archive(session=session, principal=SYSTEM, person_id=retiree, now=clock.now(), secret=TEST_SECRET)
    pdf = statement_pdf(archive, holder="退**", issued=archive.as_of, font=find_font())
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "个人权益记录单" in text and "Statement of social insurance rights" in text
    assert "336" in text and "144" in text and "150,000.00" in text and "6,973.11" in text
    assert "110105********" in text  # the ID number masked as the archive masks it
    assert archive.verification_code in text.replace("\n", "") and archive.figures_digest in text.replace("\n", "")
    with database.transaction() as session:
        verdict = verify_statement(session=session, secret=TEST_SECRET, code=archive.verification_code)
        assert verdict.genuine and verdict.figures_match and verdict.contribution_months == 336
        assert verdict.name_masked == "退***" and verdict.issued_on == archive.as_of
        assert verdict.personal_account_fen == 15_000_000
        assert "id_number" not in verdict.model_dump_json()
        person, day, digest, mac = archive.verification_code.split("-")
        forged = f"{person}-{day}-{'0' * 12}-{mac}"
        assert not verify_statement(session=session, secret=TEST_SECRET, code=forged).genuine
        assert not verify_statement(session=session, secret="another secret", code=archive.verification_code).genuine
        for malformed in ("", "abc", "1-2025-x-y", archive.verification_code + "Z"):
            with pytest.raises(InvalidInput):
                verify_statement(session=session, secret=TEST_SECRET, code=malformed)
    # The pension draws the account: the statement is still genuine, but its figures no longer equal the ledger's.
    payroll.run_payroll(database=database, province="110000", period="202503", now=clock.now(), actor="test")
    with database.transaction() as session:
        later = verify_statement(session=session, secret=TEST_SECRET, code=archive.verification_code)
    assert later.genuine and not later.figures_match and later.personal_account_fen == 15_000_000 - 9 * 107914


def test_only_the_person_their_region_and_auditors_read_the_archive(database, mover):
    clock, person = mover["clock"], mover["person"]
    now = clock.now() + timedelta(seconds=1)
    stranger = Principal(user_id=9, username="x", role=Role.STAFF, region_code="320000")
    other = Principal(user_id=8, username="other", role=Role.INSURED, person_id=person + 1)
    for principal in (stranger, other):
        with database.transaction() as session, pytest.raises(NotFound):
            person_archive(session=session, principal=principal, person_id=person, now=now)
    auditor = Principal(user_id=7, username="audit", role=Role.AUDITOR)
    clerk = Principal(user_id=6, username="clerk", role=Role.STAFF, region_code="110105")
    me = Principal(user_id=5, username="me", role=Role.INSURED, person_id=person)
    for principal in (auditor, clerk, me):
        with database.transaction() as session:
            assert person_archive(session=session, principal=principal, person_id=person, now=now).contribution_months == 125
    with database.transaction() as session, pytest.raises(NotFound):
        person_archive(session=session, principal=SYSTEM, person_id=9_999_999, now=now)
