"""The comparison of registries in the demo province: other departments' files, the lists, and cases being worked.

The police register holds everyone the demo registered plus people we never insured (some of them students); civil
affairs reports deaths of a few receivers still being paid, the prison administration a few sentences; market
regulation lists the registered employers and enterprises never registered with us; tax shows a few employers paying
wages to more people than they insure. The files are written and imported through the real import, the comparison runs
as of today, and the staff of the first county have worked part of their cases, so every list and the progress by
street show something on the pages and in `shebao compare list`.
"""

from __future__ import annotations

import random
import tempfile
from datetime import date, datetime, timedelta
from pathlib import Path

from faker import Faker
from sqlalchemy import func, select
from stdnum.cn import ric

from shebao.benefits.models import PayrollLine
from shebao.comparison import cases
from shebao.comparison.linkage import run_province
from shebao.comparison.models import CompareCase, CompareRun
from shebao.comparison.runs import compare
from shebao.comparison.service import import_file
from shebao.core.clock import china_today
from shebao.core.db import Database
from shebao.core.security import SYSTEM, FieldCipher
from shebao.demo.seed import demo_credit_code
from shebao.policy.store import default_store
from shebao.registry.models import Employer, Person, Region

STRANGERS = 400  # of working age, living in the province, never insured
STUDENT_SHARE = 0.1
DEAD_STILL_PAID, SENTENCED = 6, 3
UNREGISTERED_ENTERPRISES, UNDER_DECLARING = 25, 8
STOPPED_PAYING, STOPPED_MONTHS_AGO = 12, 5  # employees who left a job months ago and pay nowhere since
SECOND_NUMBERS = 6  # insured people registered again under a second number, found by the fuzzy linkage
ACTOR = "system:demo"


def prepare_demo_comparison(*, database: Database, cipher: FieldCipher, province: str, now: datetime,
                            random_seed: int = 20240701) -> int:
    """Imports the demo registries, runs the comparison and works some cases; returns the run's id (0: done before)."""
    with database.unit_of_work() as uow:
        if uow.session.scalar(select(CompareRun.id).where(CompareRun.province == province).limit(1)) is not None:
            return 0
    rng, today = random.Random(random_seed + 14), china_today(now)
    _stop_some_payers(database, province, rng, today, now)
    _register_second_numbers(database, cipher, province, rng, now)
    run_province(database=database, cipher=cipher, province=province, actor=ACTOR, now=now)
    faker = Faker("zh_CN")
    faker.seed_instance(random_seed + 14)
    with tempfile.TemporaryDirectory(prefix="shebao-demo-exchange-") as folder:
        for kind, lines in _registries(database, cipher, province, rng, faker, today).items():
            path = Path(folder) / f"{kind}.csv"
            path.write_text("\n".join(lines) + "\n", encoding="utf-8")
            import_file(database=database, cipher=cipher, kind=kind, path=path, actor=ACTOR, now=now)
    run = compare(database=database, store=default_store(), principal=SYSTEM, province=province, as_of=today,
                  engine_name="duckdb", now=now)
    _work_some_cases(database, province, rng, now)
    return run["run_id"]


def _stop_some_payers(database: Database, province: str, rng: random.Random, today: date, now: datetime) -> None:
    """A few employees left their employer months ago (recorded late, as happens) and pay nowhere since."""
    from shebao.enrollment.models import Participation
    from shebao.enrollment.schemas import EmployeeLeave
    from shebao.services.employment import leave

    left_on = date(today.year, today.month, 1)
    for _ in range(STOPPED_MONTHS_AGO):
        left_on = (left_on - timedelta(days=1)).replace(day=1)
    left_on -= timedelta(days=1)  # the last day of the month STOPPED_MONTHS_AGO before this one
    with database.unit_of_work() as uow:
        employed = uow.session.execute(
            select(Participation.person_id, Participation.employer_id)
            .where(Participation.province == province, Participation.scheme == "employee_pension",
                   Participation.mode == "employer", Participation.status == "active",
                   Participation.start_date < left_on - timedelta(days=90))
            .order_by(Participation.person_id)).all()
    for person_id, employer_id in rng.sample(employed, min(len(employed), STOPPED_PAYING)):
        with database.transaction() as session:
            leave(session=session, principal=SYSTEM, employer_id=employer_id, person_id=person_id, now=now,
                  command=EmployeeLeave(end_date=left_on, reason="合同到期离职，未再就业"))


def _register_second_numbers(database: Database, cipher: FieldCipher, province: str, rng: random.Random,
                             now: datetime) -> None:
    """A few insured people were registered again under a second number (an old card, a clerk's slip), the second
    record enrolled as a flexible worker: the linkage finds them, the duplicates list shows them."""
    from shebao.enrollment.models import Participation
    from shebao.enrollment.schemas import ParticipationCreate
    from shebao.registry.schemas import PersonCreate
    from shebao.registry.service import register_person
    from shebao.services.employment import enroll

    with database.unit_of_work() as uow:
        insured = uow.session.execute(
            select(Person.id_number_enc, Person.name, Person.hukou_region_code, Person.residence_region_code)
            .join(Participation, Participation.person_id == Person.id)
            .where(Participation.province == province, Participation.scheme == "employee_pension",
                   Participation.status == "active", Person.residence_region_code.startswith(province[:2]))
            .order_by(Person.id)).all()
    for enc, name, hukou, residence in rng.sample(insured, min(len(insured), SECOND_NUMBERS)):
        first = cipher.decrypt("id_number", enc)
        sequence = (int(first[14:17]) + 2 * rng.randint(1, 40)) % 1000
        body = f"{first[:14]}{sequence:03d}"
        with database.transaction() as session:
            second = register_person(session=session, cipher=cipher, principal=SYSTEM, now=now, command=PersonCreate(
                id_number=body + ric.calc_check_digit(body + "0"), name=name, hukou_region_code=hukou,
                residence_region_code=residence))
            enroll(session=session, principal=SYSTEM, person_id=second.id, now=now,
                   command=ParticipationCreate(mode="flexible", region_code=residence, start_date=china_today(now)))


def _registries(database: Database, cipher: FieldCipher, province: str, rng: random.Random, faker: Faker,
                today: date) -> dict[str, list[str]]:
    with database.unit_of_work() as uow:
        session = uow.session
        people = session.execute(select(Person.id, Person.id_number_enc, Person.name, Person.sex, Person.birth_date,
                                        Person.hukou_region_code, Person.residence_region_code)
                                 .where(Person.status == "living",
                                        Person.residence_region_code.startswith(province[:2]))).all()
        streets = list(session.scalars(select(Region.code).where(Region.level == 4,
                                                                 Region.code.startswith(province[:2]))))
        receivers = list(session.scalars(
            select(PayrollLine.person_id).where(PayrollLine.province == province, PayrollLine.status == "paid")
            .group_by(PayrollLine.person_id).having(func.count() >= 6).order_by(PayrollLine.person_id)))
        employers = session.execute(select(Employer.id, Employer.uscc, Employer.name, Employer.region_code,
                                           Employer.registered_at)
                                    .where(Employer.region_code.startswith(province[:2]))).all()
        numbers = {pid: cipher.decrypt("id_number", enc) for pid, enc, *_ in people}
    strangers = [_stranger(rng, faker, streets, today) for _ in range(STRANGERS)]
    population = ["id_number,name,sex,birth_date,hukou_region,residence_region,status"]
    population += [f"{numbers[pid]},{name},{sex},{born},{hukou},{residence},normal"
                   for pid, _, name, sex, born, hukou, residence in people]
    population += [f"{s['id']},{s['name']},{s['sex']},{s['born']},{s['street'][:6]},{s['street']},normal" for s in strangers]
    chosen = rng.sample(receivers, min(len(receivers), DEAD_STILL_PAID + SENTENCED))
    dead, sentenced = chosen[:DEAD_STILL_PAID], chosen[DEAD_STILL_PAID:]
    names = {pid: name for pid, _, name, *_ in people}
    return {
        "population": population,
        "students": ["id_number,name,school,until"] + [
            f"{s['id']},{s['name']},{rng.choice(('北京大学', '清华大学', '北京师范大学', '首都经济贸易大学'))},"
            f"{date(today.year + rng.randint(1, 3), 7, 1)}" for s in strangers[:int(STRANGERS * STUDENT_SHARE)]],
        "deaths": ["id_number,name,death_date,source"] + [
            f"{numbers[pid]},{names.get(pid, '')},{today - timedelta(days=rng.randint(95, 200))},民政殡葬信息"
            for pid in dead if pid in numbers],
        "prisoners": ["id_number,name,from_date,to_date"] + [
            f"{numbers[pid]},{names.get(pid, '')},{today - timedelta(days=rng.randint(120, 300))},"
            f"{today + timedelta(days=rng.randint(200, 900))}" for pid in sentenced if pid in numbers],
        "enterprises": _enterprises(employers, rng, faker, streets, today),
        "tax_employment": _tax(database, cipher, employers, strangers, rng, today),
    }


def _stranger(rng: random.Random, faker: Faker, streets: list[str], today: date) -> dict:
    born = today - timedelta(days=rng.randint(18 * 365, 50 * 365))
    male = rng.random() < 0.5
    street = rng.choice(streets)
    body = f"{street[:6]}{born:%Y%m%d}{rng.randrange(500) * 2 + (1 if male else 0):03d}"
    return {"id": body + ric.calc_check_digit(body + "0"), "name": faker.name_male() if male else faker.name_female(),
            "sex": "M" if male else "F", "born": born, "street": street}


def _enterprises(employers, rng: random.Random, faker: Faker, streets: list[str], today: date) -> list[str]:
    lines = ["uscc,name,region,established,status"]
    lines += [f"{uscc},{name},{region},{registered.date() - timedelta(days=30)},active"
              for _, uscc, name, region, registered in employers]
    for _ in range(UNREGISTERED_ENTERPRISES):
        county = rng.choice(streets)[:6]
        status = "active" if rng.random() < 0.85 else "deregistered"
        lines.append(f"{demo_credit_code(county, rng)},{faker.company()},{county},"
                     f"{today - timedelta(days=rng.randint(40, 900))},{status}")
    return lines


def _tax(database: Database, cipher: FieldCipher, employers, strangers: list[dict], rng: random.Random,
         today: date) -> list[str]:
    """Last month's wages: every assessed employee of every employer, and for a few employers one to three more
    people they do not insure."""
    from shebao.contributions.models import Assessment

    with database.unit_of_work() as uow:
        max_period = uow.session.scalar(select(func.max(Assessment.period)).where(Assessment.payer_kind == "employer"))
        period = max_period or f"{today:%Y%m}"
        assessed = uow.session.execute(
            select(Assessment.payer_id, Person.id_number_enc).join(Person, Person.id == Assessment.person_id)
            .where(Assessment.payer_kind == "employer", Assessment.period == period,
                   Assessment.superseded_by.is_(None), Assessment.total_fen > 0)).all()  # not a month corrected away
    by_employer: dict[int, list[str]] = {}
    for employer_id, enc in assessed:
        by_employer.setdefault(employer_id, []).append(cipher.decrypt("id_number", enc))
    lines = ["uscc,id_number,period,wage_fen"]
    extra = iter(strangers[int(STRANGERS * STUDENT_SHARE):])
    under = {e[0] for e in rng.sample([e for e in employers if e[0] in by_employer],
                                      min(len(by_employer), UNDER_DECLARING))}
    for employer_id, uscc, *_ in employers:
        wages = by_employer.get(employer_id, []) + ([next(extra)["id"] for _ in range(rng.randint(1, 3))]
                                                     if employer_id in under else [])
        lines += [f"{uscc},{number},{period},{rng.randint(400_000, 1_500_000)}" for number in wages]
    return lines


def _work_some_cases(database: Database, province: str, rng: random.Random, now: datetime) -> None:
    """The staff of the first county have visited some of their people and closed a few cases."""
    with database.transaction() as session:
        county = session.scalar(select(func.min(func.substr(CompareCase.region_code, 1, 6)))
                                .where(CompareCase.province == province))
        if county is None:
            return
        open_cases = session.scalars(select(CompareCase).where(CompareCase.region_code.startswith(county))
                                     .order_by(CompareCase.id)).all()
        for found in open_cases:
            roll = rng.random()
            if roll < 0.3:
                cases.work_case(session=session, principal=SYSTEM, case_id=found.id, outcome="visited",
                                note="已上门走访，告知参保政策，本人表示将尽快办理", now=now)
            elif roll < 0.5:
                outcome = {"uninsured": "insured", "interrupted": "insured", "deceased_paid": "stopped",
                           "prisoner_paid": "stopped", "duplicates": "merged", "employers_unregistered": "registered",
                           "employers_under_declared": "declared"}[found.list_kind]
                cases.work_case(session=session, principal=SYSTEM, case_id=found.id, outcome=outcome,
                                note="核实后已办结", now=now)
