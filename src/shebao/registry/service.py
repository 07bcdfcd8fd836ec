"""Registry use cases: one function per thing a user does; the caller's unit of work commits."""

from __future__ import annotations

import json
from datetime import date, datetime

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shebao.core import audit
from shebao.core.clock import china_today, utc_naive
from shebao.core.errors import Conflict, Forbidden, InvalidInput, NotFound, not_in_scope
from shebao.core.regions import region_prefix
from shebao.core.security import FieldCipher, Principal, Role
from shebao.registry import divisions, rules
from shebao.registry.models import Employer, Person, PersonVersion, Region
from shebao.registry.schemas import (
    EmployerChange,
    EmployerCreate,
    EmployerPage,
    EmployerRead,
    PersonChange,
    PersonCreate,
    PersonPage,
    PersonRead,
    PersonSummary,
    PersonVersionRead,
    RegionRead,
    RegionSummary,
)

# ---------------------------------------------------------------- regions


def load_divisions(*, session: Session) -> int:
    """Load every province, city and county code (past and present) that is not yet known."""
    known = set(session.scalars(select(Region.code)))
    every = divisions.all_divisions()
    rows = [_division_row(d, every) for code, d in every.items() if code not in known]
    if divisions.NATIONAL_CODE not in known:
        rows.append({"code": divisions.NATIONAL_CODE, "name": divisions.NATIONAL_NAME, "level": 0, "parent_code": None,
                     "first_year": None, "last_year": None, "name_history": "[]", "origin": "stdnum"})
    if rows:
        session.execute(insert(Region), rows)
    return len(rows)


def _division_row(division: divisions.Division, every: dict) -> dict:
    history = [{"name": s.name, "first_year": s.first_year, "last_year": s.last_year} for s in division.spans]
    return {
        "code": division.code, "name": division.name, "level": division.level,
        "parent_code": divisions.parent_code(division.code, every), "first_year": division.first_year,
        "last_year": division.last_year, "name_history": json.dumps(history, ensure_ascii=False), "origin": "stdnum",
    }


def add_streets(*, session: Session, streets: list[tuple[str, str]], origin: str, actor: str, now: datetime) -> int:
    """Create street/township regions (9-digit codes) under existing counties, all or nothing."""
    rows, problems = [], []
    existing = set(session.scalars(select(Region.code).where(Region.code.in_([c for c, _ in streets]))))
    counties = {r.code: r for r in session.scalars(select(Region).where(Region.code.in_({c[:6] for c, _ in streets})))}
    for index, (code, name) in enumerate(streets, start=1):
        problem = _street_problem(code, name, existing, counties)
        if problem:
            problems.append({"row": index, "code": code, "problem": problem[1], "reason": problem[0],
                             "reason_en": problem[1]})
            continue
        existing.add(code)
        rows.append({"code": code, "name": name.strip(), "level": 4, "parent_code": code[:6], "first_year": now.year,
                     "last_year": None, "name_history": "[]", "origin": origin})
    if problems:
        raise InvalidInput("region.import_rejected", f"{len(problems)} 行被拒绝，未写入任何数据",
                           f"{len(problems)} rows rejected; nothing was written", rejected=problems)
    if rows:
        session.execute(insert(Region), rows)
        audit.append(session, actor=actor, action="region.streets_added", subject=f"regions:{origin}", now=now,
                     count=len(rows), first=rows[0]["code"], last=rows[-1]["code"])
    return len(rows)


def _street_problem(code: str, name: str, existing: set[str], counties: dict[str, Region]) -> tuple[str, str] | None:
    """What is wrong with one street of an import, in Chinese and English (None when nothing is)."""
    if not isinstance(code, str) or len(code) != 9 or not code.isdigit():
        return "街道乡镇代码应为9位数字", "a street code has 9 digits"
    if code in existing:
        return "该代码已存在", "code already exists"
    county = counties.get(code[:6])
    if county is None or county.level != 3:
        return f"区县代码 {code[:6]} 不存在", f"no county {code[:6]}"
    if county.last_year is not None:
        return f"区县 {code[:6]} 已于 {county.last_year} 年撤销", f"county {code[:6]} was abolished in {county.last_year}"
    if not isinstance(name, str) or not 2 <= len(name.strip()) <= 40 or any(ch in name for ch in "<>\"'&;"):
        return "街道名称应为2至40个字符，不含 < > \" ' & ;", "a street name has 2 to 40 plain characters"
    return None


def get_region(*, session: Session, code: str) -> Region:
    """Gets a region by its code, or says that there is none."""
    rules.check_region_code_format(code)
    region = session.get(Region, code)
    if region is None:
        raise NotFound("region.unknown", f"区划代码 {code} 不存在", f"no region {code}", region_code=code)
    return region


def describe_region(*, session: Session, code: str, include_historical: bool = False) -> RegionRead:
    """A region with its parent and children."""
    region = get_region(session=session, code=code)
    query = select(Region).where(Region.parent_code == code).order_by(Region.code)
    if not include_historical:
        query = query.where(Region.last_year.is_(None))
    children = session.scalars(query).all()
    parent = session.get(Region, region.parent_code) if region.parent_code else None
    return RegionRead(
        **_brief(region).model_dump(), full_name=region_full_name(session=session, code=code),
        parent=_brief(parent) if parent else None, first_year=region.first_year, last_year=region.last_year,
        name_history=json.loads(region.name_history), children=[_brief(c) for c in children],
    )


def current_regions(*, session: Session, level: int, within: str | None = None, limit: int = 1000) -> list[RegionSummary]:
    """The regions of one level in force today (1 provinces, 3 counties), in code order; `within` a province or city
    keeps to the regions under it."""
    query = select(Region).where(Region.level == level, Region.last_year.is_(None))
    if within:
        query = query.where(Region.code.startswith(within[:2] if within.endswith("0000") else within[:4]))
    return [_brief(region) for region in session.scalars(query.order_by(Region.code).limit(limit))]


def _brief(region: Region) -> RegionSummary:
    return RegionSummary(code=region.code, name=region.name, level=region.level, current=region.last_year is None)


def region_full_name(*, session: Session, code: str) -> str:
    """Province + city + county (+ street), as written on an address."""
    name = divisions.full_name(code[:6])
    if len(code) == 9:
        street = session.get(Region, code)
        name += street.name if street else ""
    return name or code


# The fields that name a region, as a refusal calls them in Chinese.
REGION_FIELD_NAMES = {"region_code": "区划", "hukou_region_code": "户籍地", "residence_region_code": "居住地"}


def require_current_region(*, session: Session, code: str, field: str, min_level: int = 3) -> Region:
    """A region a record may point to today: it exists, is not abolished, and is a county or street."""
    field_zh = REGION_FIELD_NAMES.get(field, "区划")
    try:
        region = get_region(session=session, code=code)
    except NotFound as exc:
        raise InvalidInput("region.unknown", f"{field_zh}：区划代码 {code} 不存在", f"{field}: no region {code}",
                           field=field) from exc
    if region.last_year is not None:
        raise InvalidInput("region.abolished", f"{field_zh}：区划 {code}（{region.name}）已于 {region.last_year} 年撤销",
                           f"{field}: region {code} was abolished in {region.last_year}", field=field)
    if region.level < min_level:
        raise InvalidInput("region.too_coarse", f"{field_zh}：应为区县或街道乡镇代码，{code} 是上级区划",
                           f"{field}: give a county or street code, {code} is a larger region", field=field)
    return region


# ---------------------------------------------------------------- persons


def register_person(*, session: Session, cipher: FieldCipher, principal: Principal, command: PersonCreate,
                    now: datetime) -> PersonRead:
    """Registers a person under their citizen ID number; one person, one number."""
    _require_staff_or_admin(principal)
    today = china_today(now)
    id_number = rules.parse_id_number(command.id_number, today=today)
    if command.sex is not None and command.sex != id_number.sex:
        raise InvalidInput("person.sex_mismatch", "性别与身份证号码不符", "the sex contradicts the ID number")
    if command.birth_date is not None and command.birth_date != id_number.birth_date:
        raise InvalidInput("person.birth_date_mismatch", "出生日期与身份证号码不符",
                           "the birth date contradicts the ID number")
    name = rules.normalise_name(command.name)
    hukou = require_current_region(session=session, code=command.hukou_region_code, field="hukou_region_code")
    residence = require_current_region(session=session, code=command.residence_region_code, field="residence_region_code")
    principal.require_region(residence.code)
    phone = rules.normalise_phone(command.phone) if command.phone else None
    effective_from = command.effective_from or today
    _check_effective_date(effective_from, id_number.birth_date, today)

    lookup = cipher.lookup_hash(id_number.number)
    _refuse_duplicate(session, lookup)
    stamp = utc_naive(now)
    person = Person(
        id_number_hash=lookup, id_number_enc=cipher.encrypt("id_number", id_number.number),
        id_number_masked=id_number.masked, birth_date=id_number.birth_date, sex=id_number.sex.value,
        address_code=id_number.address_code, name=name, hukou_region_code=hukou.code,
        residence_region_code=residence.code, phone_enc=cipher.encrypt("phone", phone) if phone else None,
        phone_hash=cipher.lookup_hash(phone) if phone else None, status=rules.PersonStatus.LIVING.value, death_date=None, version=1, effective_from=effective_from,
        created_at=stamp, updated_at=stamp,
    )
    try:
        with session.begin_nested():  # a concurrent registration of the same number loses cleanly
            session.add(person)
            session.flush()
    except IntegrityError:
        _refuse_duplicate(session, lookup)
        raise
    _record_version(session, person, reason="登记 registration", actor=principal.actor, now=stamp)
    audit.append(session, actor=principal.actor, action="person.registered", subject=f"person:{person.id}", now=now,
                 region=residence.code, id_number_hash=lookup)
    return _read(session, cipher, person)


def _refuse_duplicate(session: Session, lookup: str) -> None:
    existing = session.scalar(select(Person).where(Person.id_number_hash == lookup))
    if existing is not None:
        region_name = region_full_name(session=session, code=existing.residence_region_code)
        raise Conflict(
            "person.duplicate",
            f"该身份证号码已登记，登记地：{region_name}（{existing.residence_region_code}），不能重复登记",
            f"this ID number is already registered in region {existing.residence_region_code}; "
            "a person has one record",
            existing_region_code=existing.residence_region_code, existing_region_name=region_name,
        )


def _check_effective_date(effective_from: date, birth_date: date, today: date) -> None:
    if effective_from > today:
        raise InvalidInput("person.effective_in_future", f"生效日期 {effective_from} 晚于今天",
                           f"the effective date {effective_from} is in the future")
    if effective_from < birth_date:
        raise InvalidInput("person.effective_before_birth", f"生效日期 {effective_from} 早于出生日期",
                           f"the effective date {effective_from} is before the birth date")


def _record_version(session: Session, person: Person, *, reason: str, actor: str, now: datetime) -> None:
    session.add(PersonVersion(
        person_id=person.id, version=person.version, effective_from=person.effective_from, name=person.name,
        hukou_region_code=person.hukou_region_code, residence_region_code=person.residence_region_code,
        phone_enc=person.phone_enc, status=person.status, death_date=person.death_date, reason=reason,
        recorded_by=actor, recorded_at=now,
    ))


def get_person(*, session: Session, cipher: FieldCipher, principal: Principal, person_id: int,
               now: datetime) -> PersonRead:
    """Gets one person's record, decrypted, if the principal may see it; staff views are audited."""
    person = _visible_person(session, principal, person_id)
    if principal.role != Role.INSURED:
        audit.append(session, actor=principal.actor, action="person.viewed", subject=f"person:{person.id}", now=now)
    return _read(session, cipher, person)


def _visible_person(session: Session, principal: Principal, person_id: int) -> Person:
    if principal.role == Role.EMPLOYER:
        raise Forbidden("auth.role_not_allowed", "参保单位账号不能查看个人档案", "an employer account cannot read person records")
    person = session.get(Person, person_id)
    require_person_in_scope(principal, person)
    return person


def require_person_in_scope(principal: Principal, person: Person | None) -> Person:
    """The person, if the principal may handle them: the insured themselves, staff of the region where
    they live or hold their hukou, the whole country's roles. Otherwise one answer, whether or not the
    person exists, so that nobody learns of a stranger's record by asking."""
    if person is not None and (principal.person_id == person.id if principal.role == Role.INSURED
                               else principal.serves(person.residence_region_code, person.hukou_region_code)):
        return person
    raise not_in_scope("人员", "person")


def find_person_by_id_number(*, session: Session, cipher: FieldCipher, principal: Principal, id_number: str,
                             now: datetime) -> PersonRead:
    """Finds a person by ID number, within the principal's region only."""
    principal.require_role(Role.STAFF, Role.ADMIN, Role.AUDITOR)
    number = rules.parse_id_number(id_number, today=china_today(now)).number
    person = session.scalar(select(Person).where(Person.id_number_hash == cipher.lookup_hash(number)))
    require_person_in_scope(principal, person)
    audit.append(session, actor=principal.actor, action="person.viewed", subject=f"person:{person.id}", now=now,
                 via="id_number")
    return _read(session, cipher, person)


def search_persons(*, session: Session, principal: Principal, name: str | None = None,
                   region_code: str | None = None, limit: int = 50, offset: int = 0, now: datetime) -> PersonPage:
    """Lists persons in the principal's region (masked numbers only), optionally by name and sub-region."""
    principal.require_role(Role.STAFF, Role.ADMIN, Role.AUDITOR)
    query = select(Person)
    query = _confine(query, principal)
    if region_code:
        rules.check_region_code_format(region_code)
        principal.require_region(region_code)
        prefix = region_prefix(region_code)
        query = query.where(or_(Person.residence_region_code.startswith(prefix, autoescape=True),
                                Person.hukou_region_code.startswith(prefix, autoescape=True)))
    if name:
        query = query.where(Person.name.startswith(rules.normalise_name(name), autoescape=True))
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    rows = session.scalars(query.order_by(Person.id).limit(min(max(limit, 1), 200)).offset(max(offset, 0))).all()
    audit.append(session, actor=principal.actor, action="person.searched", subject=f"region:{region_code or principal.region_code}",
                 now=now, name_prefix=bool(name), returned=[p.id for p in rows])
    return PersonPage(total=total or 0, items=[_summary(p, with_birth_date=False) for p in rows])


def _confine(query, principal: Principal):  # noqa: ANN001, ANN202 - a Select
    """Every staff query goes through here: rows outside the principal's region never leave the database
    (a person belongs to the region where they live and to the one that holds their hukou)."""
    if principal.role == Role.STAFF:
        prefix = region_prefix(principal.region_code or "")
        if prefix:
            query = query.where(or_(Person.residence_region_code.startswith(prefix, autoescape=True),
                                    Person.hukou_region_code.startswith(prefix, autoescape=True)))
    return query


def change_person(*, session: Session, cipher: FieldCipher, principal: Principal, person_id: int,
                  command: PersonChange, now: datetime) -> PersonRead:
    """Changes a person's information once, effective-dated; every insurance reads the same record."""
    person = _visible_person(session, principal, person_id)
    today = china_today(now)
    if principal.role == Role.INSURED and set(command.model_fields_set) - {"phone", "effective_from", "reason"}:
        raise Forbidden("person.self_service_limited", "本人只能在线修改联系电话，其他信息请到经办机构办理",
                        "online you may change your phone only; other changes are made at an agency")
    if command.status is not None and command.status.value != person.status or command.death_date is not None:
        raise InvalidInput("person.status_by_event", "死亡须通过死亡登记办理（「POST /api/v1/deaths」），各项业务随之处理，不能直接修改状态",
                           "a death is recorded through the death record (POST /api/v1/deaths), which every insurance "
                           "reacts to; the status is not edited directly")
    _check_effective_date(command.effective_from, person.birth_date, today)
    if command.effective_from < person.effective_from:
        raise InvalidInput("person.effective_before_latest",
                           f"生效日期 {command.effective_from} 早于最近一次变更（{person.effective_from}）",
                           f"the effective date {command.effective_from} is before the latest change "
                           f"({person.effective_from}); correct that change first")
    changed = _apply_changes(session, cipher, principal, person, command, today)
    if not changed:
        raise InvalidInput("person.no_change", "没有需要变更的内容", "nothing to change")
    stamp = utc_naive(now)
    person.version += 1
    person.effective_from = command.effective_from
    person.updated_at = stamp
    session.flush()
    _record_version(session, person, reason=command.reason, actor=principal.actor, now=stamp)
    audit.append(session, actor=principal.actor, action="person.changed", subject=f"person:{person.id}", now=now,
                 fields=sorted(changed), effective_from=command.effective_from.isoformat(), reason=command.reason)
    return _read(session, cipher, person)


def _apply_changes(session: Session, cipher: FieldCipher, principal: Principal, person: Person,
                   command: PersonChange, today: date) -> set[str]:
    changed: set[str] = set()
    if command.name is not None and rules.normalise_name(command.name) != person.name:
        person.name = rules.normalise_name(command.name)
        changed.add("name")
    if command.hukou_region_code and command.hukou_region_code != person.hukou_region_code:
        person.hukou_region_code = require_current_region(session=session, code=command.hukou_region_code,
                                                          field="hukou_region_code").code
        changed.add("hukou_region_code")
    if command.residence_region_code and command.residence_region_code != person.residence_region_code:
        residence = require_current_region(session=session, code=command.residence_region_code, field="residence_region_code")
        _refuse_move_out_of_reach(principal, residence)
        person.residence_region_code = residence.code
        changed.add("residence_region_code")
    if command.phone is not None:
        phone = rules.normalise_phone(command.phone)
        person.phone_enc, person.phone_hash = cipher.encrypt("phone", phone), cipher.lookup_hash(phone)
        changed.add("phone")
    return changed


def hash_phones(*, session: Session, cipher: FieldCipher, actor: str, now: datetime, batch_size: int = 2000) -> int:
    """Fills the keyed hash of every stored phone that has none (persons registered before phone_hash existed): the
    migration cannot, as it holds no key. Idempotent: a second run finds nothing to do. Returns how many it filled."""
    filled, after = 0, 0
    while True:
        rows = session.execute(select(Person.id, Person.phone_enc).where(
            Person.id > after, Person.phone_enc.is_not(None), Person.phone_hash.is_(None))
            .order_by(Person.id).limit(batch_size)).all()
        if not rows:
            break
        session.execute(update(Person), [{"id": person_id, "phone_hash": cipher.lookup_hash(cipher.decrypt("phone", blob))}
                                         for person_id, blob in rows])
        filled, after = filled + len(rows), rows[-1].id
    if filled:
        audit.append(session, actor=actor, action="person.phones_hashed", subject="persons", now=now, persons=filled)
    return filled


def _refuse_move_out_of_reach(principal: Principal, residence: Region) -> None:
    """A new residence is registered where it lies: a clerk moves a person only within their own region
    (as they register only there), so that nobody is moved out of every clerk's sight."""
    if principal.role != Role.INSURED and not principal.serves(residence.code):
        raise Forbidden("person.move_outside_region",
                        f"新居住地 {residence.code}（{residence.name}）不在您的管辖范围内：请由迁入地经办机构办理"
                        "（跨省迁移请办理转移接续）",
                        f"the new residence {residence.code} is outside your jurisdiction: the agency of the new "
                        "place registers the move (between provinces, through a transfer)", region_code=residence.code)


def record_death(*, session: Session, person: Person, death_date: date, reason: str, actor: str, now: datetime) -> None:
    """Civil affairs' death record: the person becomes deceased from that date, as a new version."""
    if person.status == rules.PersonStatus.DECEASED.value:
        raise Conflict("person.already_deceased", f"已于 {person.death_date} 登记死亡" if person.death_date else "已登记死亡",
                       f"already recorded deceased on {person.death_date}" if person.death_date else "already recorded deceased")
    if death_date > china_today(now) or death_date < person.birth_date:
        raise InvalidInput("person.death_date", "死亡日期应不晚于今天、不早于出生日期", "a death date lies between the birth date and today")
    stamp = utc_naive(now)
    person.status, person.death_date = rules.PersonStatus.DECEASED.value, death_date
    person.version += 1
    person.effective_from = max(person.effective_from, death_date)
    person.updated_at = stamp
    session.flush()
    _record_version(session, person, reason=reason, actor=actor, now=stamp)
    audit.append(session, actor=actor, action="person.died", subject=f"person:{person.id}", now=now,
                 death_date=death_date.isoformat(), reason=reason)


def person_history(*, session: Session, principal: Principal, person_id: int, now: datetime) -> list[PersonVersionRead]:
    """Every version of a person's information, oldest first."""
    person = _visible_person(session, principal, person_id)
    versions = session.scalars(select(PersonVersion).where(PersonVersion.person_id == person.id)
                               .order_by(PersonVersion.version)).all()
    if principal.role != Role.INSURED:
        audit.append(session, actor=principal.actor, action="person.history_viewed", subject=f"person:{person.id}", now=now)
    return [PersonVersionRead(version=v.version, effective_from=v.effective_from, name=v.name,
                              hukou_region_code=v.hukou_region_code, residence_region_code=v.residence_region_code,
                              status=rules.PersonStatus(v.status), death_date=v.death_date, reason=v.reason,
                              recorded_by=v.recorded_by) for v in versions]


def person_as_of(*, session: Session, person_id: int, day: date) -> PersonVersion | None:
    """The person's information in force on a day: what every insurance reads for that day."""
    return session.scalars(
        select(PersonVersion).where(PersonVersion.person_id == person_id, PersonVersion.effective_from <= day)
        .order_by(PersonVersion.effective_from.desc(), PersonVersion.version.desc()).limit(1)
    ).first()


def _summary(person: Person, *, with_birth_date: bool = True) -> PersonSummary:
    """A person in brief. Lists leave the birth date out: beside the masked number (which hides the
    birth date) it would rebuild the whole ID number of everyone listed."""
    return PersonSummary(id=person.id, id_number_masked=person.id_number_masked, name=person.name,
                         sex=rules.Sex(person.sex), birth_date=person.birth_date if with_birth_date else None,
                         residence_region_code=person.residence_region_code, status=rules.PersonStatus(person.status))


def _read(session: Session, cipher: FieldCipher, person: Person) -> PersonRead:
    return PersonRead(
        **_summary(person).model_dump(), id_number=cipher.decrypt("id_number", person.id_number_enc),
        address_code=person.address_code, hukou_region_code=person.hukou_region_code,
        hukou_region_name=region_full_name(session=session, code=person.hukou_region_code),
        residence_region_name=region_full_name(session=session, code=person.residence_region_code),
        phone=cipher.decrypt("phone", person.phone_enc) if person.phone_enc else None,
        death_date=person.death_date, version=person.version, effective_from=person.effective_from,
    )


def _require_staff_or_admin(principal: Principal) -> None:
    principal.require_role(Role.STAFF, Role.ADMIN)


# ---------------------------------------------------------------- employers


def register_employer(*, session: Session, principal: Principal, command: EmployerCreate, now: datetime) -> EmployerRead:
    """Registers an employer under its unified social credit code."""
    _require_staff_or_admin(principal)
    credit = rules.parse_credit_code(command.uscc)
    name = rules.normalise_employer_name(command.name)
    region = require_current_region(session=session, code=command.region_code, field="region_code")
    principal.require_region(region.code)
    industry = rules.normalise_industry_code(command.industry_code)
    existing = session.scalar(select(Employer).where(Employer.uscc == credit.code))
    if existing is not None:
        raise Conflict("employer.duplicate", f"统一社会信用代码 {credit.code} 已登记（{existing.region_code}）",
                       f"credit code {credit.code} is already registered ({existing.region_code})",
                       existing_region_code=existing.region_code)
    stamp = utc_naive(now)
    employer = Employer(uscc=credit.code, name=name, region_code=region.code, industry_code=industry,
                        status=rules.EmployerStatus.ACTIVE.value, registered_at=stamp, updated_at=stamp)
    session.add(employer)
    session.flush()
    audit.append(session, actor=principal.actor, action="employer.registered", subject=f"employer:{employer.id}",
                 now=now, uscc=credit.code, region=region.code)
    return _employer_read(session, employer)


def change_employer(*, session: Session, principal: Principal, employer_id: int, command: EmployerChange,
                    now: datetime) -> EmployerRead:
    """Changes an employer's name, industry or status (suspended, closed, active again)."""
    _require_staff_or_admin(principal)
    employer = require_employer_in_scope(principal, session.get(Employer, employer_id))
    before = {"name": employer.name, "industry_code": employer.industry_code, "status": employer.status}
    if command.name is not None:
        employer.name = rules.normalise_employer_name(command.name)
    if command.industry_code is not None:
        employer.industry_code = rules.normalise_industry_code(command.industry_code)
    if command.status is not None:
        employer.status = command.status.value
    changed = {k: v for k, v in before.items() if getattr(employer, k) != v}
    if not changed:
        raise InvalidInput("employer.no_change", "没有需要变更的内容", "nothing to change")
    employer.updated_at = utc_naive(now)
    audit.append(session, actor=principal.actor, action="employer.changed", subject=f"employer:{employer.id}", now=now,
                 before=changed, reason=command.reason)
    return _employer_read(session, employer)


def get_employer(*, session: Session, principal: Principal, employer_id: int) -> EmployerRead:
    """Gets an employer the principal may see (its own account, or staff of its region)."""
    if principal.role not in (Role.EMPLOYER, Role.STAFF, Role.ADMIN, Role.AUDITOR):
        principal.require_role(Role.EMPLOYER, Role.STAFF, Role.ADMIN, Role.AUDITOR)
    return _employer_read(session, require_employer_in_scope(principal, session.get(Employer, employer_id)))


def require_employer_in_scope(principal: Principal, employer: Employer | None) -> Employer:
    """The employer, if the principal may handle it (its own account, staff of its region, the whole
    country's roles); otherwise one answer whether or not it exists."""
    if employer is not None and (principal.employer_id == employer.id if principal.role == Role.EMPLOYER
                                 else principal.serves(employer.region_code)):
        return employer
    raise not_in_scope("单位", "employer")


def search_employers(*, session: Session, principal: Principal, name: str | None = None,
                     region_code: str | None = None, limit: int = 50, offset: int = 0) -> EmployerPage:
    """Lists employers in the principal's region."""
    principal.require_role(Role.STAFF, Role.ADMIN, Role.AUDITOR)
    query = select(Employer)
    if principal.role == Role.STAFF:
        query = query.where(Employer.region_code.startswith(region_prefix(principal.region_code or ""), autoescape=True))
    if region_code:
        rules.check_region_code_format(region_code)
        principal.require_region(region_code)
        query = query.where(Employer.region_code.startswith(region_prefix(region_code), autoescape=True))
    if name:
        query = query.where(or_(Employer.name.contains(name.strip()[:50], autoescape=True),
                                Employer.uscc == name.strip().upper()[:18]))
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    rows = session.scalars(query.order_by(Employer.id).limit(min(max(limit, 1), 200)).offset(max(offset, 0))).all()
    return EmployerPage(total=total or 0, items=[_employer_read(session, e) for e in rows])


def _employer_read(session: Session, employer: Employer) -> EmployerRead:
    return EmployerRead(id=employer.id, uscc=employer.uscc, name=employer.name, region_code=employer.region_code,
                        region_name=region_full_name(session=session, code=employer.region_code),
                        industry_code=employer.industry_code, status=rules.EmployerStatus(employer.status))


# ---------------------------------------------------------------- overview


def holdings(*, session: Session) -> dict[str, int]:
    """What the platform holds: counts for the front page (no personal data)."""
    return {
        "persons": session.scalar(select(func.count()).select_from(Person)) or 0,
        "employers": session.scalar(select(func.count()).select_from(Employer)) or 0,
        "regions": session.scalar(select(func.count()).select_from(Region).where(Region.last_year.is_(None))) or 0,
        "streets": session.scalar(select(func.count()).select_from(Region).where(Region.level == 4)) or 0,
    }


def persons_by_county(*, session: Session, province_code: str) -> list[dict]:
    """Head counts by county of residence within a province (aggregates only, for charts)."""
    county = func.substr(Person.residence_region_code, 1, 6)
    prefix = region_prefix(rules.check_region_code_format(province_code))
    rows = session.execute(
        select(county.label("code"), func.count().label("persons"))
        .where(Person.residence_region_code.startswith(prefix, autoescape=True))
        .group_by(county).order_by(func.count().desc())
    ).all()
    names = dict(session.execute(select(Region.code, Region.name).where(Region.code.in_([r.code for r in rows]))).all())
    return [{"code": r.code, "name": names.get(r.code, r.code), "persons": r.persons} for r in rows]


# ---------------------------------------------------------------- for other contexts


def person_by_id_number(*, session: Session, cipher: FieldCipher, id_number: str, today: date) -> Person:
    """The registered person behind an ID number (no scope: the calling use case checks its own)."""
    number = rules.parse_id_number(id_number, today=today).number
    person = session.scalar(select(Person).where(Person.id_number_hash == cipher.lookup_hash(number)))
    if person is None:
        raise NotFound("person.unregistered", "此身份证号码尚未登记，请先到经办机构办理参保登记",
                       "this ID number is not registered; register the person at an agency first")
    return person


def person_by_id(*, session: Session, person_id: int) -> Person:
    """A registered person by internal id (no scope: the calling use case checks its own)."""
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound("person.unknown", f"人员 {person_id} 不存在", f"no person {person_id}")
    return person


def employer_by_id(*, session: Session, employer_id: int) -> Employer:
    """A registered employer by id (no scope: the calling use case checks its own)."""
    employer = session.get(Employer, employer_id)
    if employer is None:
        raise NotFound("employer.unknown", f"单位 {employer_id} 不存在", f"no employer {employer_id}")
    return employer
