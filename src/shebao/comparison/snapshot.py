"""The comparison's inputs as Arrow tables: our registry as of a date and the other departments' imported files.

A snapshot is what the lists (lists.py) read, on any engine: named tables with fixed Arrow schemas (SCHEMAS). It is
taken from the database by `take` (one set-based query per table) or read from Parquet files laid out one directory
per table (`write_parquet` / `parquet_paths`), as the national job keeps them by province (docs/comparison.md). Months
are integer indexes (year * 12 + month - 1) so no engine has to do date arithmetic.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import func, literal, select, union_all
from sqlalchemy.orm import Session

from shebao.benefits.models import BenefitRecovery, PayrollLine, PensionAward, UnemploymentClaim, UnemploymentPayment
from shebao.benefits.rules import Group, statutory_age
from shebao.cards.models import Card
from shebao.cards.rules import VALID_STATES
from shebao.comparison.linkage import linked_persons, linked_register_rows
from shebao.comparison.models import (
    ExtDeath,
    ExtEnterprise,
    ExtPopulation,
    ExtPrisoner,
    ExtStudent,
    ExtTaxEmployment,
)
from shebao.contributions.models import Assessment
from shebao.enrollment.models import Participation
from shebao.policy.store import ParameterStore
from shebao.registry.models import Employer, Person

NATIONAL = "000000"
FIRST_BIRTH_YEAR = 1930  # nobody born earlier is below any retirement age the lists could ask about

_DATE, _STR, _I32, _I64 = pa.date32(), pa.string(), pa.int32(), pa.int64()

SCHEMAS: dict[str, pa.Schema] = {name: pa.schema(fields) for name, fields in {
    "persons": [("person_id", _I64), ("id_hash", _STR), ("name", _STR), ("sex", _STR), ("birth_date", _DATE),
                ("birth_month", _I32), ("residence_region", _STR), ("hukou_region", _STR), ("death_date", _DATE),
                ("death_month", _I32)],
    "participations": [("person_id", _I64), ("scheme", _STR), ("exclusion_group", _STR), ("province", _STR),
                       ("region_code", _STR), ("start_date", _DATE), ("end_date", _DATE), ("status", _STR)],
    "contributions": [("person_id", _I64), ("province", _STR), ("region_code", _STR), ("last_month", _I32)],
    "benefit_payments": [("person_id", _I64), ("province", _STR), ("benefit", _STR), ("month", _I32),
                         ("amount_fen", _I64)],
    "recoveries": [("person_id", _I64), ("amount_fen", _I64)],
    "drawing": [("person_id", _I64), ("province", _STR), ("benefit", _STR), ("since_month", _I32)],
    "cards": [("person_id", _I64), ("card_id", _I64)],
    "employers": [("employer_id", _I64), ("uscc", _STR), ("name", _STR), ("region_code", _STR), ("status", _STR)],
    "employer_months": [("employer_id", _I64), ("month", _I32), ("insured", _I32)],
    "person_links": [("person_id_a", _I64), ("person_id_b", _I64)],  # both ways
    "register_links": [("id_hash", _STR), ("person_id", _I64)],  # a register row that is a person of ours by another number
    "retirement_ages": [("sex", _STR), ("birth_month", _I32), ("age_months", _I32)],
    "ext_population": [("id_hash", _STR), ("name", _STR), ("sex", _STR), ("birth_date", _DATE), ("birth_month", _I32),
                       ("hukou_region", _STR), ("residence_region", _STR), ("status", _STR)],
    "ext_deaths": [("id_hash", _STR), ("death_date", _DATE), ("death_month", _I32), ("source", _STR)],
    "ext_prisoners": [("id_hash", _STR), ("from_date", _DATE), ("from_month", _I32), ("to_date", _DATE),
                      ("to_month", _I32)],
    "ext_enterprises": [("uscc", _STR), ("name", _STR), ("region", _STR), ("established", _DATE), ("status", _STR)],
    "ext_tax_employment": [("uscc", _STR), ("id_hash", _STR), ("month", _I32), ("wage_fen", _I64)],
    "ext_students": [("id_hash", _STR), ("until", _DATE)],
}.items()}


def month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


def period_index(period: str) -> int:
    return int(period[:4]) * 12 + int(period[4:6]) - 1


def index_period(index: int) -> str:
    year, month = divmod(index, 12)
    return f"{year:04d}{month + 1:02d}"


def take(*, session: Session, store: ParameterStore, as_of: date) -> dict[str, pa.Table]:
    """Every table the lists read, from the database, as of `as_of` (months after it are left out)."""
    as_of_period = f"{as_of.year:04d}{as_of.month:02d}"
    readers = {
        "persons": _persons, "participations": _participations, "contributions": _contributions,
        "benefit_payments": _benefit_payments, "recoveries": _recoveries, "drawing": _drawing, "cards": _cards, "employers": _employers,
        "employer_months": _employer_months, "person_links": _person_links, "register_links": _register_links,
        "ext_population": _ext_population,
        "ext_deaths": _ext_deaths, "ext_prisoners": _ext_prisoners, "ext_enterprises": _ext_enterprises,
        "ext_tax_employment": _ext_tax_employment, "ext_students": _ext_students,
    }
    until = datetime.combine(as_of + timedelta(days=1), time())  # links held by the end of the day (naive UTC)
    tables = {name: _table(name, reader(session, until) if name.endswith("_links") else reader(session, as_of_period))
              for name, reader in readers.items()}
    tables["retirement_ages"] = retirement_ages(store=store, as_of=as_of)
    return tables


def retirement_ages(*, store: ParameterStore, as_of: date) -> pa.Table:
    """The statutory retirement age in months by sex and birth month, from the retirement rules in force."""
    params = store.at(NATIONAL, as_of)
    female = Group(params.value("comparison.female_group_for_uninsured"))
    rows = []
    for month in range(FIRST_BIRTH_YEAR * 12, month_index(as_of) + 1):
        born = date(month // 12, month % 12 + 1, 1)
        for sex, group in (("M", Group.MALE), ("F", female)):
            rows.append((sex, month, statutory_age(params, group=group, birth_date=born)[0].months))
    return _table("retirement_ages", rows)


def fingerprint(tables: Mapping[str, pa.Table]) -> str:
    """A digest of the inputs: the same inputs give the same digest, so a run says what it was computed from."""
    digest = hashlib.sha256()
    for name in sorted(tables):
        table = tables[name]
        digest.update(name.encode())
        digest.update(str(table.num_rows).encode())
        if table.num_rows:
            ordered = table.sort_by([(column, "ascending") for column in table.column_names])
            for batch in ordered.to_batches(max_chunksize=65_536):
                sink = pa.BufferOutputStream()
                with pa.ipc.new_stream(sink, batch.schema) as writer:
                    writer.write_batch(batch)
                digest.update(sink.getvalue().to_pybytes())
    return digest.hexdigest()


def write_parquet(tables: Mapping[str, pa.Table], folder: Path) -> None:
    """One directory per table, as the national job reads them (more files per table are fine)."""
    for name, table in tables.items():
        (folder / name).mkdir(parents=True, exist_ok=True)
        pq.write_table(table.cast(SCHEMAS[name]), folder / name / "part-0.parquet")


def parquet_paths(folder: Path) -> dict[str, Path]:
    """The snapshot's table directories under `folder`; a table without files is missing (refused by the engine)."""
    return {name: folder / name for name in SCHEMAS}


def empty(name: str) -> pa.Table:
    return SCHEMAS[name].empty_table()


def _table(name: str, rows: Iterable[tuple]) -> pa.Table:
    schema = SCHEMAS[name]
    columns = list(zip(*rows)) or [[] for _ in schema]
    return pa.table([pa.array(column, type=field.type) for column, field in zip(columns, schema)], schema=schema)


def _optional_month(day: date | None) -> int | None:
    return None if day is None else month_index(day)


def _persons(session: Session, as_of_period: str):
    rows = session.execute(select(Person.id, Person.id_number_hash, Person.name, Person.sex, Person.birth_date,
                                  Person.residence_region_code, Person.hukou_region_code, Person.death_date))
    for pid, id_hash, name, sex, born, residence, hukou, died in rows:
        yield pid, id_hash, name, sex, born, month_index(born), residence, hukou, died, _optional_month(died)


def _participations(session: Session, as_of_period: str):
    return session.execute(select(Participation.person_id, Participation.scheme, Participation.exclusion_group,
                                  Participation.province, Participation.region_code, Participation.start_date,
                                  Participation.end_date, Participation.status))


def _contributions(session: Session, as_of_period: str):
    pension = Assessment.pension_employer_fen + Assessment.pension_individual_fen
    rows = session.execute(
        select(Assessment.person_id, Assessment.province, Assessment.region_code, func.max(Assessment.period))
        .where(Assessment.superseded_by.is_(None), Assessment.period <= as_of_period, pension > 0)
        .group_by(Assessment.person_id, Assessment.province, Assessment.region_code))
    for pid, province, region, period in rows:
        yield pid, province, region, period_index(period)


def _benefit_payments(session: Session, as_of_period: str):
    pensions = (select(PayrollLine.person_id, PayrollLine.province, literal("pension"), PayrollLine.for_period,
                       PayrollLine.amount_fen)
                .where(PayrollLine.status == "paid", PayrollLine.for_period <= as_of_period))
    unemployment = (select(UnemploymentPayment.person_id, UnemploymentPayment.province, literal("unemployment"),
                           UnemploymentPayment.period, UnemploymentPayment.benefit_fen)
                    .where(UnemploymentPayment.period <= as_of_period))
    for pid, province, benefit, period, amount in session.execute(union_all(pensions, unemployment)):
        yield pid, province, benefit, period_index(period), amount


def _recoveries(session: Session, as_of_period: str):
    """Overpayments after a death already under recovery (a receivable posted): the agency is on them."""
    return session.execute(select(BenefitRecovery.person_id, func.sum(BenefitRecovery.amount_fen))
                           .group_by(BenefitRecovery.person_id))


def _drawing(session: Session, as_of_period: str):
    pensions = select(PensionAward.person_id, PensionAward.province, literal("pension"), PensionAward.first_period) \
        .where(PensionAward.status.in_(("paying", "suspended")))
    unemployment = select(UnemploymentClaim.person_id, UnemploymentClaim.province, literal("unemployment"),
                          UnemploymentClaim.start_period).where(UnemploymentClaim.status == "drawing")
    for pid, province, benefit, first in session.execute(union_all(pensions, unemployment)):
        yield pid, province, benefit, period_index(first)


def _cards(session: Session, as_of_period: str):
    return session.execute(select(Card.person_id, Card.id).where(Card.state.in_([s.value for s in VALID_STATES])))


def _employers(session: Session, as_of_period: str):
    return session.execute(select(Employer.id, Employer.uscc, Employer.name, Employer.region_code, Employer.status))


def _employer_months(session: Session, as_of_period: str):
    rows = session.execute(
        select(Assessment.payer_id, Assessment.period, func.count(func.distinct(Assessment.person_id)))
        .where(Assessment.payer_kind == "employer", Assessment.superseded_by.is_(None),
               Assessment.period <= as_of_period)
        .group_by(Assessment.payer_id, Assessment.period))
    for employer_id, period, insured in rows:
        yield employer_id, period_index(period), insured


def _person_links(session: Session, until: datetime):
    """One person, several numbers (linkage.py): both ways, so a list can start from either number."""
    for a, b in linked_persons(session=session, until=until):
        yield a, b
        yield b, a


def _register_links(session: Session, until: datetime):
    rows = dict(linked_register_rows(session=session, until=until))
    hashes = dict(session.execute(select(ExtPopulation.id, ExtPopulation.id_hash)
                                  .where(ExtPopulation.id.in_(list(rows.values()) or [-1]))).all())
    for person_id, row_id in rows.items():
        yield hashes[row_id], person_id


def _latest(model, *keys):
    """Of rows sent more than once (a later file about the same person or enterprise), the latest import's."""
    newest = select(func.max(model.id)).group_by(*keys)
    return model.id.in_(newest)


def _ext_population(session: Session, as_of_period: str):
    rows = session.execute(select(ExtPopulation.id_hash, ExtPopulation.name, ExtPopulation.sex, ExtPopulation.birth_date,
                                  ExtPopulation.hukou_region, ExtPopulation.residence_region, ExtPopulation.status)
                           .where(_latest(ExtPopulation, ExtPopulation.id_hash)))
    for id_hash, name, sex, born, hukou, residence, status in rows:
        yield id_hash, name, sex, born, month_index(born), hukou, residence, status


def _ext_deaths(session: Session, as_of_period: str):
    for id_hash, died, source in session.execute(select(ExtDeath.id_hash, ExtDeath.death_date, ExtDeath.source)):
        yield id_hash, died, month_index(died), source


def _ext_prisoners(session: Session, as_of_period: str):
    for id_hash, start, end in session.execute(select(ExtPrisoner.id_hash, ExtPrisoner.from_date, ExtPrisoner.to_date)):
        yield id_hash, start, month_index(start), end, _optional_month(end)


def _ext_enterprises(session: Session, as_of_period: str):
    return session.execute(select(ExtEnterprise.uscc, ExtEnterprise.name, ExtEnterprise.region,
                                  ExtEnterprise.established, ExtEnterprise.status)
                           .where(_latest(ExtEnterprise, ExtEnterprise.uscc)))


def _ext_tax_employment(session: Session, as_of_period: str):
    rows = session.execute(select(ExtTaxEmployment.uscc, ExtTaxEmployment.id_hash, ExtTaxEmployment.period,
                                  ExtTaxEmployment.wage_fen)
                           .where(ExtTaxEmployment.period <= as_of_period,
                                  _latest(ExtTaxEmployment, ExtTaxEmployment.uscc, ExtTaxEmployment.id_hash,
                                          ExtTaxEmployment.period)))
    for uscc, id_hash, period, wage in rows:
        yield uscc, id_hash, period_index(period), wage


def _ext_students(session: Session, as_of_period: str):
    return session.execute(select(ExtStudent.id_hash, ExtStudent.until))

