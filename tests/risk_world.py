"""Planted data for the risk screening tests: a few rows written straight into the tables a rule reads, so that each
test states exactly what it plants (a receiver paid for these months, a death on this day, a prison term, months of
unemployment benefit, an employer's declaration, a tax wage …) and what the rule must find. Not through the use cases:
a screening reads what is stored, including what no use case would write today (a payment after a death).

Use: `world = RiskWorld(session, cipher, now)`, then `world.person(...)`, `world.award(...)` and so on, inside one
transaction (`database.transaction()`). Every function returns the id(s) it made.
"""

from __future__ import annotations

import hashlib
import itertools
from datetime import date, datetime

from shebao.benefits.models import (
    PayrollLine,
    PensionAward,
    RetirementApplication,
    UnemploymentClaim,
    UnemploymentPayment,
)
from shebao.cards.models import Card
from shebao.comparison.models import ExchangeImport, ExtDeath, ExtPrisoner, ExtTaxEmployment, LinkCandidate, PersonLink
from shebao.contributions.models import Assessment
from shebao.core.clock import utc_naive
from shebao.enrollment.models import Participation
from shebao.registry.models import Employer, Person
from shebao.risk.models import RiskCase
from tests.support import CHAOYANG, CHAOYANG_STREET, id_number

PROVINCE = "110000"
OTHER_PROVINCE = "310000"
_SEQUENCES = itertools.count(1)


def periods(first: str, count: int) -> list[str]:
    """`count` consecutive YYYYMM months from `first`."""
    year, month = int(first[:4]), int(first[4:])
    out = []
    for _ in range(count):
        out.append(f"{year:04d}{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


class RiskWorld:
    def __init__(self, session, cipher, now: datetime) -> None:  # noqa: ANN001 - a Session, a FieldCipher
        self.session, self.cipher, self.at = session, cipher, utc_naive(now)
        self._numbers = itertools.count(1)

    def _add(self, row):  # noqa: ANN001, ANN202 - any model
        self.session.add(row)
        self.session.flush()
        return row

    # ------------------------------------------------------------ people and employers

    def person(self, *, birth: date = date(1955, 3, 1), region: str = CHAOYANG_STREET, name: str = "领取人",
               death: date | None = None) -> int:
        """A registered person (living in `region`), dead on `death` in our own record when given."""
        number = id_number(CHAOYANG, birth, 100 + next(_SEQUENCES) % 800)
        while self.session.query(Person.id).filter_by(id_number_hash=self.cipher.lookup_hash(number)).first():
            number = id_number(CHAOYANG, birth, 100 + next(_SEQUENCES) % 800)
        person = Person(id_number_hash=self.cipher.lookup_hash(number), id_number_enc=self.cipher.encrypt("id_number", number),
                        id_number_masked=number[:6] + "********" + number[-4:], birth_date=birth, sex="M",
                        address_code=CHAOYANG, name=name, hukou_region_code=CHAOYANG, residence_region_code=region,
                        status="deceased" if death else "active", death_date=death, version=1,
                        effective_from=birth, created_at=self.at, updated_at=self.at)
        return self._add(person).id

    def id_hash(self, person_id: int) -> str:
        return self.session.get(Person, person_id).id_number_hash

    def employer(self, *, region: str = CHAOYANG, name: str = "新单位") -> int:
        serial = next(self._numbers)
        return self._add(Employer(uscc=f"91110105MA{serial:08d}", name=name, region_code=region, industry_code="E47",
                                  status="active", registered_at=self.at, updated_at=self.at)).id

    def link(self, person_a: int, person_b: int) -> None:
        """Two records confirmed by a clerk to be one person (the comparison's person links)."""
        low, high = sorted((person_a, person_b))
        candidate = self._add(LinkCandidate(province=PROVINCE, run_id=None, person_id=low, other_kind="person",
                                            other_id=high, match_probability=0.99, match_weight=12.0, levels="{}",
                                            status="confirmed", found_by="test", found_at=self.at))
        self._add(PersonLink(candidate_id=candidate.id, person_id_a=low, person_id_b=high, match_probability=0.99,
                             source="linkage", method="clerical", confirmed_by="test", confirmed_at=self.at))

    def participation(self, person_id: int, *, scheme: str = "resident_pension", start: date = date(2020, 1, 1),
                      end: date | None = None, province: str = PROVINCE, region: str = CHAOYANG_STREET) -> int:
        group = "pension" if scheme.endswith("_pension") else scheme
        return self._add(Participation(person_id=person_id, scheme=scheme, exclusion_group=group,
                                       mode="resident" if scheme == "resident_pension" else "employee",
                                       employer_id=None, region_code=region, province=province, start_date=start,
                                       end_date=end, status="ended" if end else "active", created_at=self.at,
                                       updated_at=self.at)).id

    # ------------------------------------------------------------ pensions and payroll

    def award(self, person_id: int, *, province: str = PROVINCE, region: str = CHAOYANG_STREET,
              first_period: str = "202001", monthly_fen: int = 300_000) -> int:
        """A pension award paying `monthly_fen` (no payroll lines: `paid`)."""
        application = self._add(RetirementApplication(
            person_id=person_id, province=province, region_code=region, category="male", retire_date=date(2020, 1, 1),
            age_months=720, ground="statutory", transitional_index_ten_thousandths=None, notional_account_fen=None,
            status="awarded", applied_by="test", applied_at=self.at))
        return self._add(PensionAward(
            person_id=person_id, application_id=application.id, province=province, retire_date=date(2020, 1, 1),
            first_period=first_period, age_months=720, contribution_months=360, deemed_months=0,
            index_ten_thousandths=10000, personal_account_fen=0, calculation_wage_fen=1_000_000, divisor_units=83400,
            basic_fen=monthly_fen, account_fen=0, transitional_fen=0, monthly_fen=monthly_fen,
            account_remaining_fen=0, status="paying", stop_period=None, certified_on=date(2020, 1, 1),
            awarded_by="test", awarded_at=self.at)).id

    def paid(self, award_id: int, months: list[str], *, amount_fen: int | None = None, status: str = "paid",
             paid_period: str | None = None, kind: str = "monthly") -> None:
        """Payroll lines of the award for these months, paid in the same month (or in `paid_period`)."""
        award = self.session.get(PensionAward, award_id)
        self.session.add_all(PayrollLine(
            award_id=award_id, person_id=award.person_id, province=award.province, for_period=month, kind=kind,
            amount_fen=award.monthly_fen if amount_fen is None else amount_fen, account_part_fen=0, status=status,
            hold_reason="", paid_period=(paid_period or month) if status == "paid" else None)
            for month in months)
        self.session.flush()

    def pensioner(self, *, months: list[str], province: str = PROVINCE, region: str = CHAOYANG_STREET,
                  amount_fen: int = 300_000, death: date | None = None) -> int:
        """A person with an award paid for `months`; returns the person's id."""
        person_id = self.person(region=region, death=death)
        self.paid(self.award(person_id, province=province, region=region, monthly_fen=amount_fen), months)
        return person_id

    def card(self, person_id: int, account: str, *, state: str = "active") -> int:
        """A card of the person whose financial account (where payroll pays) is `account`."""
        serial = next(self._numbers)
        return self._add(Card(person_id=person_id, province=PROVINCE, state=state, card_number=f"C{serial:010d}",
                              bank_code="ICBC", bank_account_enc=self.cipher.encrypt("bank_account", account),
                              pin_failures=0, bank_frozen=False, applied_region=CHAOYANG_STREET, created_at=self.at,
                              updated_at=self.at)).id

    def change_account(self, card_id: int, account: str, at: datetime) -> None:
        card = self.session.get(Card, card_id)
        card.bank_account_enc, card.updated_at = self.cipher.encrypt("bank_account", account), utc_naive(at)
        self.session.flush()

    # ------------------------------------------------------------ other departments' registers

    def _import(self, kind: str) -> int:
        serial = next(self._numbers)
        return self._add(ExchangeImport(kind=kind, source=f"{kind}-{serial}.csv", checksum=hashlib.sha256(f"{kind}:{serial}".encode()).hexdigest(),
                                        file_format="csv", encoding="utf-8", hash_key_fingerprint=None, rows_read=1,
                                        rows_loaded=1, rows_rejected=0, imported_by="test", imported_at=self.at)).id

    def registered_death(self, person_id: int, day: date, source: str = "民政部门") -> None:
        """A death in the civil affairs (or another department's) register, not (yet) in our own record."""
        self._add(ExtDeath(import_id=self._import("deaths"), id_hash=self.id_hash(person_id), name="领取人",
                           death_date=day, source=source))

    def prison_term(self, person_id: int, start: date, end: date | None) -> None:
        self._add(ExtPrisoner(import_id=self._import("prisoners"), id_hash=self.id_hash(person_id), name="领取人",
                              from_date=start, to_date=end))

    def tax_wages(self, person_id: int, months: list[str], *, uscc: str = "91110105MA00000001",
                  wage_fen: int = 800_000) -> None:
        import_id = self._import("tax_employment")
        self.session.add_all(ExtTaxEmployment(import_id=import_id, uscc=uscc, id_hash=self.id_hash(person_id),
                                              period=month, wage_fen=wage_fen) for month in months)
        self.session.flush()

    # ------------------------------------------------------------ contributions and unemployment

    def declared(self, person_id: int, employer_id: int, months: list[str], *, province: str = PROVINCE,
                 base_fen: int = 800_000) -> None:
        """An employer's assessments of the person for these months (what a declaration bills); a base of 0 is a
        month billed and then corrected to nothing, as a late separation leaves it."""
        self.session.add_all(Assessment(
            period=month, province=province, person_id=person_id, payer_kind="employer", payer_id=employer_id,
            region_code=CHAOYANG, declared_base_fen=base_fen, used_base_fen=base_fen, pension_employer_fen=base_fen // 6,
            pension_individual_fen=base_fen // 12, pension_account_fen=base_fen // 12, medical_employer_fen=0,
            medical_individual_fen=0, unemployment_employer_fen=0, unemployment_individual_fen=0,
            work_injury_employer_fen=0, maternity_employer_fen=0, total_fen=base_fen // 4) for month in months)
        self.session.flush()

    def unemployment(self, person_id: int, months: list[str], *, separation: date, province: str = PROVINCE,
                     benefit_fen: int = 200_000) -> int:
        """An unemployment claim paid for these months; returns the claim's id."""
        claim = self._add(UnemploymentClaim(
            person_id=person_id, province=province, region_code=CHAOYANG, separation_date=separation,
            separation_reason="contract_ended", contribution_months=60, entitled_months=len(months), carried_months=0,
            monthly_fen=benefit_fen, start_period=months[0], medical_paid_by_fund=True, status="drawing",
            explanation="{}", recorded_by="test", recorded_at=self.at))
        self.session.add_all(UnemploymentPayment(claim_id=claim.id, person_id=person_id, province=province,
                                                 period=month, benefit_fen=benefit_fen, medical_fen=0)
                             for month in months)
        self.session.flush()
        return claim.id

    # ------------------------------------------------------------ cases

    def conclude(self, case_id: int, status: str = "cleared") -> None:
        """A case worked to its conclusion (as the case work will do)."""
        case = self.session.get(RiskCase, case_id)
        case.status, case.concluded_by, case.concluded_at = status, "test", self.at
        self.session.flush()
