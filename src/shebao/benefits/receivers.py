"""What happens to a receiver after the award: proof of life (and its import), suspension and resumption
with arrears, and the death record that stops payment and recovers what was paid after it."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from functools import partial

from sqlalchemy import and_, func, select, update
from sqlalchemy.orm import Session

from shebao.benefits import payroll
from shebao.benefits.models import BenefitRecovery, Certification, PayrollLine, PensionAward, UnemploymentClaim
from shebao.benefits.schemas import CertificationIn, CertificationMethod, DeathIn
from shebao.benefits.service import award_region, require_staff_in
from shebao.core import audit
from shebao.core.clock import china_today, utc_naive
from shebao.core.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound
from shebao.core.periods import Period
from shebao.core.security import FieldCipher, Principal, Role
from shebao.ledger import service as ledger
from shebao.ledger.rules import AccountKind, Line
from shebao.registry import service as registry


def certify(*, session: Session, principal: Principal, command: CertificationIn, now: datetime) -> dict:
    """Records a proof of life; a payment suspended for lack of one resumes, with the months held paid at once."""
    person = registry.person_by_id(session=session, person_id=command.person_id)
    if person.status == "deceased":
        raise Conflict("certification.deceased", f"此人已于 {person.death_date} 死亡，不能认证",
                       f"this person died on {person.death_date}; no certification is possible")
    award = session.scalar(select(PensionAward).where(PensionAward.person_id == person.id).with_for_update())
    if award is None:
        raise NotFound("certification.not_a_receiver", "此人没有在领的养老金待遇", "this person draws no pension to certify")
    if command.method == CertificationMethod.ONLINE_FACE and principal.role == Role.INSURED:
        if principal.person_id != person.id:
            raise Forbidden("certification.not_yourself", "只能为本人认证", "you may certify only yourself")
    else:
        require_staff_in(principal, award_region(session, award))
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
    if award.status == "suspended" and award.status_reason == "certification_overdue":
        award.status, award.status_reason, resumed = "paying", "", True
        session.flush()
        paid = payroll.pay(session, province=award.province, month=Period.of(today), lines=PayrollLine.award_id == award.id,
                           key=f"arrears:{award.id}:{certification.id}", actor=principal.actor, now=now)
    session.flush()
    audit.append(session, actor=principal.actor, action="certification.recorded", subject=f"person:{person.id}", now=now,
                 method=command.method.value, certified_on=command.certified_on.isoformat(), resumed=resumed,
                 arrears_fen=paid[1])
    return {"certification_id": certification.id, "person_id": person.id, "certified_on": award.certified_on.isoformat(),
            "resumed": resumed, "arrears_lines": paid[0], "arrears_fen": paid[1], "status": award.status}


def suspend_pension(*, session: Session, principal: Principal, person_id: int, reason: str, now: datetime) -> dict:
    """Staff suspend a payment (whereabouts unknown, serving a sentence, …): payroll holds it from now on."""
    award = _award_of(session, person_id)
    require_staff_in(principal, award_region(session, award))
    if award.status != "paying":
        raise Conflict("pension.not_paying", f"待遇状态为 {award.status}，不能暂停", f"the award is {award.status}; it cannot be suspended")
    if not 2 <= len(reason) <= 200:
        raise InvalidInput("pension.reason", "请写明暂停原因", "say why the payment is suspended")
    award.status, award.status_reason = "suspended", reason
    audit.append(session, actor=principal.actor, action="pension.suspended", subject=f"person:{person_id}", now=now, reason=reason)
    return {"person_id": person_id, "status": award.status, "status_reason": reason}


def resume_pension(*, session: Session, principal: Principal, person_id: int, now: datetime) -> dict:
    """Ends a suspension; the months held are paid at once (arrears)."""
    award = _award_of(session, person_id)
    require_staff_in(principal, award_region(session, award))
    if award.status != "suspended":
        raise Conflict("pension.not_suspended", f"待遇状态为 {award.status}，无需恢复", f"the award is {award.status}, not suspended")
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


def import_certifications(*, session: Session, cipher: FieldCipher, principal: Principal, rows: list[dict[str, str]],
                          now: datetime) -> dict:
    """Passive certifications from other departments' data (hospital visits, bank counters): all rows or none."""
    principal.require_role(Role.STAFF, Role.ADMIN)
    today, commands, rejected = china_today(now), [], []
    for number, row in enumerate(rows, start=1):
        try:
            if row.get("method") not in (CertificationMethod.PASSIVE_HOSPITAL, CertificationMethod.PASSIVE_BANK):
                raise InvalidInput("certification.method", "被动认证方式应为 passive_hospital 或 passive_bank",
                                   "a passive certification is passive_hospital or passive_bank")
            person = registry.person_by_id_number(session=session, cipher=cipher, id_number=row.get("id_number", ""), today=today)
            commands.append(CertificationIn(person_id=person.id, method=row["method"],
                                            certified_on=date.fromisoformat(row.get("date", "")), evidence=row.get("source", "")))
        except (DomainError, ValueError) as problem:
            rejected.append({"row": number, "reason": getattr(problem, "reason_en", str(problem).splitlines()[0])})
    results = []
    for number, command in enumerate(commands, start=1):
        try:
            with session.begin_nested():
                results.append(certify(session=session, principal=principal, command=command, now=now))
        except DomainError as problem:
            rejected.append({"row": number, "reason": problem.reason_en})
    if rejected:
        raise InvalidInput("certification.import_rejected", f"{len(rejected)} 行有误，全部未导入",
                           f"{len(rejected)} rows were rejected; nothing was imported", rejected=rejected)
    return {"imported": len(results), "resumed": sum(1 for r in results if r["resumed"])}


def record_death(*, session: Session, principal: Principal, command: DeathIn, now: datetime) -> dict:
    """Civil affairs' death record: payment stops from the month after death; anything paid after it is recovered."""
    principal.require_role(Role.STAFF, Role.ADMIN)
    person = registry.person_by_id(session=session, person_id=command.person_id)
    principal.require_region(person.hukou_region_code)
    # The award is locked first: a payroll chunk holding it finishes before the death is recorded, and one
    # starting after waits and then sees the death, so every payment is either recovered or never made.
    award = session.scalar(select(PensionAward).where(PensionAward.person_id == person.id).with_for_update())
    registry.record_death(session=session, person=person, death_date=command.death_date, reason=command.source,
                          actor=principal.actor, now=now)
    result: dict = {"person_id": person.id, "death_date": command.death_date.isoformat(), "award": None, "recovery": None}
    if award is not None:
        stop = str(Period.of(command.death_date).plus_months(1))
        award.status, award.status_reason, award.stop_period = "stopped", "deceased", stop
        after = and_(PayrollLine.award_id == award.id, PayrollLine.for_period >= stop)
        never_paid = and_(after, PayrollLine.status.in_(payroll.OPEN))
        payroll.cancel_payable(session, province=award.province, month=Period.of(china_today(now)), lines=never_paid,
                               key_prefix=f"cancel:{award.id}:", actor=principal.actor, now=now)
        cancelled = session.execute(update(PayrollLine).where(never_paid).values(status="cancelled")).rowcount
        result["award"] = {"id": award.id, "stop_period": stop, "lines_cancelled": cancelled}
        result["recovery"] = _open_recovery(session, principal, award, after, now)
    for claim in session.scalars(select(UnemploymentClaim).where(UnemploymentClaim.person_id == person.id,
                                                                 UnemploymentClaim.status == "drawing")):
        claim.status, claim.stopped_on, claim.stop_reason = "stopped", command.death_date, "deceased"
    audit.append(session, actor=principal.actor, action="benefit.stopped_by_death", subject=f"person:{person.id}", now=now,
                 death_date=command.death_date.isoformat(), recovery_fen=(result["recovery"] or {}).get("amount_fen", 0))
    return result


def _open_recovery(session: Session, principal: Principal, award: PensionAward, after, now: datetime) -> dict | None:  # noqa: ANN001
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
                              lines=lines, actor=principal.actor, now=now)
    session.add(BenefitRecovery(award_id=award.id, person_id=award.person_id, amount_fen=total, months=count,
                                from_period=first, status="open", entry_id=entry.id, opened_at=utc_naive(now)))
    return {"amount_fen": total, "months": count, "from_period": first, "entry_id": entry.id}
