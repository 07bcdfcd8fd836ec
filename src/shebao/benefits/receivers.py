"""What happens to a receiver after the award: proof of life (and its import), suspension and resumption
with arrears, and the death record that stops payment and recovers what was paid after it."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from functools import partial

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from shebao.benefits import payroll
from shebao.benefits.models import (
    BenefitRecovery,
    Certification,
    CertificationReminder,
    PayrollLine,
    PensionAward,
    RetirementApplication,
    UnemploymentClaim,
    VisitRequest,
)
from shebao.benefits.rules import award_status_name
from shebao.benefits.schemas import (
    METHOD_NAMES,
    CertificationCreate,
    CertificationImportRead,
    CertificationMethod,
    CertificationRead,
    DeathStopRead,
)
from shebao.benefits.service import award_region, require_receiver_in_scope, require_staff_in
from shebao.core import audit
from shebao.core.clock import china_today, utc_naive
from shebao.core.errors import DATE_FORMAT_ZH, Conflict, DomainError, Forbidden, InvalidInput, NotFound
from shebao.core.periods import Period
from shebao.core.regions import region_prefix
from shebao.core.security import FieldCipher, Principal, Role
from shebao.core.sql import insert_ignoring_duplicates
from shebao.ledger import service as ledger
from shebao.ledger.rules import AccountKind, Line
from shebao.policy.store import ParameterStore, default_store
from shebao.registry import rules as registry_rules
from shebao.registry.models import Person


def certify(*, session: Session, principal: Principal, command: CertificationCreate, now: datetime) -> CertificationRead:
    """Records a proof of life; a payment suspended for lack of one resumes, with the months held paid at once."""
    principal.require_role(Role.INSURED, Role.STAFF, Role.ADMIN)
    person = require_receiver_in_scope(session=session, principal=principal, person_id=command.person_id)
    if principal.role == Role.INSURED and command.method != CertificationMethod.ONLINE_FACE:
        raise Forbidden("certification.online_face_only", "本人在线认证只能使用人脸识别", "online, you certify yourself by face check")
    if person.status == "deceased":
        died_zh, died_en = (f"已于 {person.death_date} 死亡", f"died on {person.death_date}") if person.death_date \
            else ("已死亡", "has died")
        raise Conflict("certification.deceased", f"此人{died_zh}，不能认证",
                       f"this person {died_en}; no certification is possible")
    award = session.scalar(select(PensionAward).where(PensionAward.person_id == person.id).with_for_update())
    if award is None:
        raise NotFound("certification.not_a_receiver", "此人没有在领的养老金待遇", "this person draws no pension to certify")
    today = china_today(now)
    if not award.retire_date <= command.certified_on <= today:
        raise InvalidInput("certification.date", "认证日期应在退休日期之后、不晚于今天",
                           "a certification date lies between the retirement date and today")
    if session.scalar(select(Certification.id).where(
            Certification.person_id == person.id, Certification.method == command.method.value,
            Certification.certified_on == command.certified_on, Certification.evidence == command.evidence)):
        raise Conflict("certification.duplicate", "同一认证已经记录", "this certification is already recorded")
    certification = Certification(person_id=person.id, method=command.method.value, certified_on=command.certified_on,
                                  evidence=command.evidence, recorded_by=principal.actor, recorded_at=utc_naive(now))
    session.add(certification)
    award.certified_on = max(award.certified_on, command.certified_on)
    resumed, paid = False, (0, 0)
    if (award.status == "suspended" and award.status_reason == payroll.LAPSED
            and payroll.certification_in_date(award.province, award.certified_on, today)):  # not one still overdue
        award.status, award.status_reason, resumed = "paying", "", True
    if award.status == "paying":  # held months go now: a lapse's, or those held while staff had resumed it overdue
        session.flush()
        paid = payroll.pay(session, province=award.province, month=Period.of(today), lines=PayrollLine.award_id == award.id,
                           key=f"arrears:{award.id}:{certification.id}", actor=principal.actor, now=now)
    session.flush()
    audit.append(session, actor=principal.actor, action="certification.recorded", subject=f"person:{person.id}", now=now,
                 method=command.method.value, certified_on=command.certified_on.isoformat(), resumed=resumed,
                 arrears_fen=paid[1])
    return CertificationRead(certification_id=certification.id, person_id=person.id, certified_on=award.certified_on,
                             resumed=resumed, arrears_lines=paid[0], arrears_fen=paid[1], status=award.status)


def suspend_pension(*, session: Session, principal: Principal, person_id: int, reason: str, now: datetime) -> dict:
    """Staff suspend a payment (whereabouts unknown, serving a sentence, …): payroll holds it from now on."""
    award = _award_of(session, person_id)
    require_staff_in(principal, award_region(session=session, award=award))
    if award.status != "paying":
        status_zh, status_en = award_status_name(award.status)
        raise Conflict("pension.not_paying", f"待遇状态为“{status_zh}”，不能暂停",
                       f"the award is {status_en}; it cannot be suspended", status=award.status)
    if not 2 <= len(reason) <= 200:
        raise InvalidInput("pension.reason", "请写明暂停原因", "say why the payment is suspended")
    award.status, award.status_reason = "suspended", reason
    audit.append(session, actor=principal.actor, action="pension.suspended", subject=f"person:{person_id}", now=now, reason=reason)
    return {"person_id": person_id, "status": award.status, "status_reason": reason}


def resume_pension(*, session: Session, principal: Principal, person_id: int, now: datetime) -> dict:
    """Ends a suspension; the months held are paid at once (arrears)."""
    award = _award_of(session, person_id)
    require_staff_in(principal, award_region(session=session, award=award))
    if award.status != "suspended":
        status_zh, status_en = award_status_name(award.status)
        raise Conflict("pension.not_suspended", f"待遇状态为“{status_zh}”，无需恢复",
                       f"the award is {status_en}, not suspended", status=award.status)
    award.status, award.status_reason = "paying", ""
    session.flush()
    key = f"resume:{award.id}:{uuid.uuid4().hex}"  # a retry is refused above (no longer suspended), so no reuse is needed
    lines, fen = payroll.pay(session, province=award.province, month=Period.of(china_today(now)), key=key,
                             lines=PayrollLine.award_id == award.id, actor=principal.actor, now=now)
    audit.append(session, actor=principal.actor, action="pension.resumed", subject=f"person:{person_id}", now=now,
                 arrears_fen=fen)
    return {"person_id": person_id, "status": award.status, "arrears_lines": lines, "arrears_fen": fen}


def _award_of(session: Session, person_id: int) -> PensionAward:
    award = session.scalar(select(PensionAward).where(PensionAward.person_id == person_id).with_for_update())
    if award is None:
        raise NotFound("pension.none", "此人没有养老金待遇", "this person draws no pension")
    return award


PASSIVE = (CertificationMethod.PASSIVE_HOSPITAL.value, CertificationMethod.PASSIVE_BANK.value)


def import_certifications(*, session: Session, cipher: FieldCipher, principal: Principal, rows: list[dict[str, str]],
                          now: datetime) -> CertificationImportRead:
    """Passive certifications from other departments' data (hospital visits, bank counters): all rows or none,
    set-based — one lookup of every person, one insert, one update of the awards, one payment of the arrears
    of those it resumes. A row already recorded is counted, not repeated."""
    principal.require_role(Role.STAFF, Role.ADMIN)
    today = china_today(now)
    parsed, rejected = _parse_passive_rows(cipher, rows, today)
    receivers = _receivers_by_hash(session, {row["hash"] for row in parsed.values()})
    for number, row in parsed.items():
        problem = _passive_problem(principal, receivers.get(row["hash"]), row["on"], today)
        if problem:
            rejected.append({"row": number, "reason": problem[0], "reason_en": problem[1]})
    if rejected:
        raise InvalidInput("certification.import_rejected", f"{len(rejected)} 行有误，全部未导入",
                           f"{len(rejected)} rows were rejected; nothing was imported",
                           rejected=sorted(rejected, key=lambda r: r["row"]))
    stamp = utc_naive(now)
    records = [{"person_id": receivers[row["hash"]].person_id, "method": row["method"], "certified_on": row["on"],
                "evidence": row["source"], "recorded_by": principal.actor, "recorded_at": stamp} for row in parsed.values()]
    before = session.scalar(select(func.count()).select_from(Certification))
    if records:
        session.execute(insert_ignoring_duplicates(session, Certification.__table__), records)
    imported = session.scalar(select(func.count()).select_from(Certification)) - before
    resumed = _move_certified_dates(session, receivers, parsed, today)
    arrears = sum(payroll.pay(session, province=province, month=Period.of(today), actor=principal.actor, now=now,
                              lines=PayrollLine.award_id.in_(awards), key=f"arrears:import:{uuid.uuid4().hex}")[1]
                  for province, awards in resumed.items())
    count = sum(len(awards) for awards in resumed.values())
    audit.append(session, actor=principal.actor, action="certification.imported", subject="certifications", now=now,
                 rows=len(parsed), imported=imported, resumed=count, arrears_fen=arrears)
    return CertificationImportRead(imported=imported, already_recorded=len(parsed) - imported, resumed=count,
                                   arrears_fen=arrears)


def _parse_passive_rows(cipher: FieldCipher, rows: list[dict[str, str]], today: date) -> tuple[dict[int, dict], list[dict]]:
    """Each row's method, date, source and the lookup hash of its ID number; or the reason it is refused."""
    parsed, rejected = {}, []
    for number, row in enumerate(rows, start=1):
        try:
            if row.get("method") not in PASSIVE:
                raise InvalidInput("certification.method", "认证方式应为" + "或".join(
                    f"「{method}」（{METHOD_NAMES[CertificationMethod(method)][0]}）" for method in PASSIVE),
                                   "a passive certification's method is passive_hospital or passive_bank")
            source = (row.get("source") or "").strip()
            if not 3 <= len(source) <= 200:
                raise InvalidInput("certification.source", "来源记录应为 3 至 200 个字符", "the source record has 3 to 200 characters")
            id_number = registry_rules.parse_id_number(row.get("id_number", ""), today=today).number
            parsed[number] = {"hash": cipher.lookup_hash(id_number), "method": row["method"],
                              "on": _passive_date(row.get("date") or ""), "source": source}
        except DomainError as problem:
            rejected.append({"row": number, "reason": problem.reason, "reason_en": problem.reason_en})
        except ValueError as problem:
            rejected.append({"row": number, "reason": "此行无法读取", "reason_en": str(problem).splitlines()[0]})
    return parsed, rejected


def _passive_date(text: str) -> date:
    """A row's date, exactly YYYY-MM-DD (date.fromisoformat alone also takes 20250201 and answers
    "Invalid isoformat string" to the rest)."""
    try:
        if len(text) == 10 and text[4] == text[7] == "-":
            return date.fromisoformat(text)
    except ValueError:
        pass
    raise InvalidInput("certification.date", DATE_FORMAT_ZH, "date is YYYY-MM-DD")


def _receivers_by_hash(session: Session, hashes: set[str]) -> dict[str, object]:
    """Person and award of every ID number in the file, in one query (None for the award when there is none)."""
    if not hashes:
        return {}
    rows = session.execute(
        select(Person.id_number_hash, Person.id.label("person_id"), Person.status, Person.residence_region_code,
               Person.hukou_region_code, PensionAward.id.label("award_id"),
               PensionAward.province, PensionAward.retire_date, PensionAward.status.label("award_status"),
               PensionAward.status_reason, PensionAward.certified_on, RetirementApplication.region_code)
        .outerjoin(PensionAward, PensionAward.person_id == Person.id)
        .outerjoin(RetirementApplication, RetirementApplication.id == PensionAward.application_id)
        .where(Person.id_number_hash.in_(hashes))).all()
    return {row.id_number_hash: row for row in rows}


def _passive_problem(principal: Principal, receiver, on: date, today: date) -> tuple[str, str] | None:  # noqa: ANN001
    """Why a row is refused, in Chinese and English. Outside the principal's scope a row reads as if nobody were
    registered, so a file cannot be used to learn who exists, draws a pension or has died elsewhere."""
    if receiver is None or not principal.serves(receiver.residence_region_code, receiver.hukou_region_code,
                                                receiver.region_code):
        return "您可办理的范围内没有此身份证号码的人员", "no person with this ID number within your scope"
    if receiver.status == "deceased":
        return "此人已登记死亡，不能认证", "this person has a death record; no certification is possible"
    if receiver.award_id is None:
        return "此人没有在领的养老金待遇", "this person draws no pension to certify"
    if not receiver.retire_date <= on <= today:
        return "认证日期应在退休日期之后、不晚于今天", "a certification date lies between the retirement date and today"
    return None


def _move_certified_dates(session: Session, receivers: dict, parsed: dict[int, dict], today: date) -> dict[str, list[int]]:
    """Each award's latest proof of life moves forward; those suspended for lack of one and now in date resume."""
    latest: dict[int, date] = {}
    for row in parsed.values():
        receiver = receivers[row["hash"]]
        latest[receiver.award_id] = max(latest.get(receiver.award_id, receiver.certified_on), row["on"])
    by_award = {r.award_id: r for r in receivers.values() if r.award_id is not None}
    moved = [{"id": award, "certified_on": day} for award, day in latest.items() if day > by_award[award].certified_on]
    resumed = [award for award, day in latest.items() if by_award[award].award_status == "suspended"
               and by_award[award].status_reason == payroll.LAPSED
               and payroll.certification_in_date(by_award[award].province, day, today)]
    if moved:
        session.execute(update(PensionAward), moved)
    if resumed:
        session.execute(update(PensionAward), [{"id": award, "status": "paying", "status_reason": ""} for award in resumed])
    by_province: dict[str, list[int]] = {}
    for award in resumed:
        by_province.setdefault(by_award[award].province, []).append(award)
    return by_province


def latest_certification(*, session: Session, person_id: int) -> date | None:
    """The last day the person was proved alive, if ever."""
    return session.scalar(select(func.max(Certification.certified_on)).where(Certification.person_id == person_id))


def lock_award(*, session: Session, person_id: int) -> PensionAward | None:
    """The person's award, locked before a death is recorded: a payroll chunk holding it finishes first, and
    one starting after waits and then sees the death, so every payment is either recovered or never made."""
    return session.scalar(select(PensionAward).where(PensionAward.person_id == person_id).with_for_update())


def stop_for_death(*, session: Session, person_id: int, award: PensionAward | None, death_date: date, actor: str,
                   now: datetime, store: ParameterStore | None = None) -> DeathStopRead:
    """The benefits' reaction to a death: the pension stops from the month after it (the province's
    pension.payment_stops_months_after_death; unpaid months return to the funds, paid ones are recovered from
    the estate) and a running unemployment benefit stops."""
    result: dict = {"award": None, "recovery": None, "unemployment_stopped": 0}
    if award is not None:
        months = (store or default_store()).at(award.province, death_date).value("pension.payment_stops_months_after_death")
        stop = str(Period.of(death_date).plus_months(months))
        award.status, award.status_reason, award.stop_period = "stopped", "deceased", stop
        after = and_(PayrollLine.award_id == award.id, PayrollLine.for_period >= stop)
        never_paid = and_(after, PayrollLine.status.in_(payroll.OPEN))
        payroll.cancel_payable(session, province=award.province, month=Period.of(china_today(now)), lines=never_paid,
                               key_prefix=f"cancel:{award.id}:", actor=actor, now=now)
        cancelled = session.execute(update(PayrollLine).where(never_paid).values(status="cancelled")).rowcount
        result["award"] = {"id": award.id, "stop_period": stop, "lines_cancelled": cancelled}
        result["recovery"] = _open_recovery(session, actor, award, after, now)
    for claim in session.scalars(select(UnemploymentClaim).where(UnemploymentClaim.person_id == person_id,
                                                                 UnemploymentClaim.status == "drawing")):
        claim.status, claim.stopped_on, claim.stop_reason = "stopped", death_date, "deceased"
        result["unemployment_stopped"] += 1
    audit.append(session, actor=actor, action="benefit.stopped_by_death", subject=f"person:{person_id}", now=now,
                 death_date=death_date.isoformat(), recovery_fen=(result["recovery"] or {}).get("amount_fen", 0))
    return DeathStopRead.model_validate(result)


def _open_recovery(session: Session, actor: str, award: PensionAward, after, now: datetime) -> dict | None:  # noqa: ANN001
    """Posts what was paid for months after the death as a receivable from the estate, restoring the funds."""
    paid = and_(after, PayrollLine.status == "paid")
    count, total, from_account, first = session.execute(select(
        func.count(func.distinct(PayrollLine.for_period)), func.coalesce(func.sum(PayrollLine.amount_fen), 0),
        func.coalesce(func.sum(PayrollLine.account_part_fen), 0), func.min(PayrollLine.for_period)).where(paid)).one()
    if not count:
        return None
    total, from_account = int(total), int(from_account)
    open_account = partial(ledger.open_account, session=session, province=award.province, now=now)
    lines = [Line(open_account(kind=AccountKind.RECEIVABLE, person_id=award.person_id).id, total)]
    if total > from_account:
        lines.append(Line(open_account(kind=AccountKind.POOLING_FUND, insurance="pension").id, -(total - from_account)))
    if from_account:
        lines.append(Line(open_account(kind=AccountKind.PERSONAL_ACCOUNT, person_id=award.person_id).id, -from_account))
    entry = ledger.post_entry(session=session, key=f"recovery:{award.id}", province=award.province,
                              period=str(Period.of(china_today(now))), kind="benefit_recovery",
                              memo=f"死亡后多发待遇追回 recovery of pension paid after death ({count} months)",
                              lines=lines, actor=actor, now=now)
    session.add(BenefitRecovery(award_id=award.id, person_id=award.person_id, amount_fen=total, months=count,
                                from_period=first, status="open", entry_id=entry.id, opened_at=utc_naive(now)))
    return {"amount_fen": total, "months": count, "from_period": first, "entry_id": entry.id}


def lapsed_receivers(*, session: Session, principal: Principal, limit: int = 200) -> dict:
    """The receivers of the caller's region whose pension is suspended because their proof of life is overdue (the
    staff's work queue: visit or call them), oldest certification first; masked, without ID numbers."""
    principal.require_role(Role.STAFF, Role.ADMIN, Role.AUDITOR)
    query = select(PensionAward, Person).join(Person, Person.id == PensionAward.person_id).where(
        PensionAward.status == "suspended", PensionAward.status_reason == payroll.LAPSED)
    if principal.role == Role.STAFF:
        prefix = region_prefix(principal.region_code or "")
        query = query.where(or_(Person.residence_region_code.startswith(prefix, autoescape=True),
                                Person.hukou_region_code.startswith(prefix, autoescape=True)))
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    rows = session.execute(query.order_by(PensionAward.certified_on, PensionAward.id).limit(max(1, min(limit, 500)))).all()
    return {"total": total or 0, "items": [
        {"person_id": person.id, "name": registry_rules.masked_name(person.name),
         "id_number_masked": person.id_number_masked, "region_code": person.residence_region_code,
         "certified_on": award.certified_on} for award, person in rows]}


def certification_reminders_of(*, session: Session, person_id: int, limit: int = 50) -> list[dict]:
    """The yearly proof-of-life reminders sent to a receiver (one per cycle), newest first: the day it was sent and
    the day the person last certified (the cycle it reminds of)."""
    rows = session.execute(select(CertificationReminder.sent_on, CertificationReminder.cycle_start)
                           .join(PensionAward, PensionAward.id == CertificationReminder.award_id)
                           .where(PensionAward.person_id == person_id)
                           .order_by(CertificationReminder.sent_on.desc(), CertificationReminder.id.desc())
                           .limit(max(1, min(limit, 200)))).all()
    return [{"sent_on": sent_on, "certified_on": cycle_start} for sent_on, cycle_start in rows]


# ---------------------------------------------------------------- a staff home visit asked for by the receiver

VISIT_STATUS_NAMES = {"requested": ("已申请，等待经办人员上门", "requested: staff will visit"),
                      "visited": ("已上门认证", "visited and certified"), "cancelled": ("已取消", "cancelled")}


def request_visit(*, session: Session, principal: Principal, reason: str, now: datetime) -> dict:
    """A receiver who cannot do the face check asks, for themselves, for a staff home visit; one open request at a
    time. The request waits in the queue of the staff of the region where the person lives or holds hukou."""
    principal.require_role(Role.INSURED)
    person = require_receiver_in_scope(session=session, principal=principal, person_id=principal.person_id or 0)
    reason = (reason or "").strip()
    if not 2 <= len(reason) <= 200:
        raise InvalidInput("visit.reason", "请填写申请上门的原因（2 至 200 个字）", "give the reason for the visit (2 to 200 characters)")
    if session.scalar(select(PensionAward.id).where(PensionAward.person_id == person.id)) is None:
        raise NotFound("certification.not_a_receiver", "此人没有在领的养老金待遇", "this person draws no pension to certify")
    if person.status == "deceased":
        raise Conflict("certification.deceased", "此人已死亡，不能认证", "this person has died; no certification is possible")
    session.execute(select(Person.id).where(Person.id == person.id).with_for_update())  # two requests at once: one waits
    if session.scalar(select(VisitRequest.id).where(VisitRequest.person_id == person.id,
                                                     VisitRequest.status == "requested")) is not None:
        raise Conflict("visit.already_requested", "已有一个等待上门的申请", "a visit is already requested and waiting")
    visit = VisitRequest(person_id=person.id, reason=reason, requested_at=utc_naive(now), status="requested")
    session.add(visit)
    session.flush()
    audit.append(session, actor=principal.actor, action="visit.requested", subject=f"person:{person.id}", now=now,
                 visit_request_id=visit.id)
    return _visit_read(visit)


def visits_of(*, session: Session, principal: Principal, person_id: int, limit: int = 20) -> list[dict]:
    """A receiver's visit requests, newest first: for the person and staff who serve them."""
    require_receiver_in_scope(session=session, principal=principal, person_id=person_id)
    rows = session.scalars(select(VisitRequest).where(VisitRequest.person_id == person_id)
                           .order_by(VisitRequest.requested_at.desc(), VisitRequest.id.desc())
                           .limit(max(1, min(limit, 100)))).all()
    return [_visit_read(v) for v in rows]


def visit_requests(*, session: Session, principal: Principal, limit: int = 200) -> dict:
    """The staff queue: open visit requests of receivers who live or hold hukou in the caller's region (as stored on
    the person), oldest first; masked, without ID numbers."""
    principal.require_role(Role.STAFF, Role.ADMIN, Role.AUDITOR)
    query = (select(VisitRequest, Person).join(Person, Person.id == VisitRequest.person_id)
             .where(VisitRequest.status == "requested"))
    if principal.role == Role.STAFF:
        prefix = region_prefix(principal.region_code or "")
        query = query.where(or_(Person.residence_region_code.startswith(prefix, autoescape=True),
                                Person.hukou_region_code.startswith(prefix, autoescape=True)))
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    rows = session.execute(query.order_by(VisitRequest.requested_at, VisitRequest.id)
                           .limit(max(1, min(limit, 500)))).all()
    return {"total": total or 0, "items": [
        _visit_read(visit) | {"name": registry_rules.masked_name(person.name), "id_number_masked": person.id_number_masked,
                              "region_code": person.residence_region_code} for visit, person in rows]}


def record_visit(*, session: Session, principal: Principal, visit_request_id: int, now: datetime) -> dict:
    """Staff who visited the receiver record it: the request is done and the visit is the proof of life (`certify`
    with the method staff_visit, dated today)."""
    principal.require_role(Role.STAFF, Role.ADMIN)
    visit = session.scalar(select(VisitRequest).where(VisitRequest.id == visit_request_id).with_for_update())
    if visit is None:
        raise NotFound("scope.not_found", "未找到该上门申请", "no such visit request")
    require_receiver_in_scope(session=session, principal=principal, person_id=visit.person_id)
    if visit.status != "requested":
        raise Conflict("visit.not_open", "该申请已经处理", "this visit request has already been handled")
    certify(session=session, principal=principal, now=now, command=CertificationCreate(
        person_id=visit.person_id, method=CertificationMethod.STAFF_VISIT, certified_on=china_today(now),
        evidence=f"visit request {visit.id} by {principal.actor}"[:200]))
    visit.status, visit.handled_by, visit.handled_at = "visited", principal.actor, utc_naive(now)
    session.flush()
    audit.append(session, actor=principal.actor, action="visit.recorded", subject=f"person:{visit.person_id}", now=now,
                 visit_request_id=visit.id)
    return _visit_read(visit)


def _visit_read(visit: VisitRequest) -> dict:
    status_zh, status_en = VISIT_STATUS_NAMES.get(visit.status, (visit.status, visit.status))
    return {"id": visit.id, "person_id": visit.person_id, "reason": visit.reason, "requested_at": visit.requested_at,
            "status": visit.status, "status_zh": status_zh, "status_en": status_en, "handled_by": visit.handled_by,
            "handled_at": visit.handled_at}
