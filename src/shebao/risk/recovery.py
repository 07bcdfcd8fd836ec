"""Recovering a confirmed overpayment: a receivable from the person, or from the estate when the person is dead (from
the employer when the case is about an employer, e.g. fictitious employment).

Confirming a case with an overpaid amount opens a recovery and posts it through the ledger: debit the debtor's
receivable (ar:person:ID, the account benefits' after-death recovery uses; ar:employer:ID for an employer), credit the fund the money came out of
(the pooling fund of the rule's insurance in the case's province). Each step then reduces what is owed:
- a repayment (with its bank reference): debit cash, credit the receivable;
- a write-off (with its reason): the fund bears the loss — debit the pooling fund, credit the receivable;
- an offset against a later payment: the benefits payroll deducts from the person's pension while the recovery
  allows offsets (benefits/deductions.py, registered here when the recovery opens) and posts debit benefit payable,
  credit the receivable; each deduction is recorded here as an `offset` movement with its month.
No step takes more than is outstanding (case_rules), so recovered + written off never exceeds the amount; at 0 the
recovery is settled. Every step is audited and keyed, so nothing is posted twice.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shebao.benefits import deductions
from shebao.benefits import service as benefits
from shebao.core import audit
from shebao.core.clock import china_today, utc_naive
from shebao.core.errors import Conflict, InvalidInput, NotFound
from shebao.core.periods import Period
from shebao.core.security import Principal
from shebao.ledger import service as ledger
from shebao.ledger.rules import AccountKind, Line
from shebao.policy.store import ParameterStore, default_store
from shebao.registry.models import Person
from shebao.risk import case_rules
from shebao.risk.models import RiskCase, RiskCaseEvent, RiskRecovery, RiskRecoveryMovement

# The fund an overpayment came out of, by rule: unemployment benefit for the unemployment rules, else the pension.
UNEMPLOYMENT_RULES = ("R14_unemployment_while_employed", "R15_unemployment_while_pension")
SOURCE = "risk_recovery"  # how a recovery names itself to the payroll's deductions
PAID_AFTER_DEATH = "R01_paid_after_death"  # a confirmed finding of it is the death itself


def insurance_of(rule_id: str) -> str:
    return "unemployment" if rule_id in UNEMPLOYMENT_RULES else "pension"


def _month(now: datetime) -> str:
    return str(Period.of(china_today(now)))


def open_recovery(*, session: Session, found: RiskCase, actor: str, now: datetime,
                  store: ParameterStore | None = None) -> int:
    """The recovery of a case just confirmed with an overpaid amount above 0; returns its id. A person alive owes it
    and repays it from later pension payments too (within the offset share); a dead person's estate owes it."""
    if found.person_id is None and found.employer_id is None:
        raise InvalidInput("risk.no_debtor", "该案件没有可追回的对象（人员或单位），多领金额应为 0",
                           "the case names no person or employer to recover from; its overpaid amount is 0")
    person = session.get(Person, found.person_id) if found.person_id is not None else None
    # A confirmed R01 finding is itself the death, though the register may not have recorded it yet.
    dead = person is not None and (person.death_date is not None or person.status == "deceased"
                                   or found.rule_id == PAID_AFTER_DEATH)
    if found.rule_id == PAID_AFTER_DEATH and person is not None:
        _refuse_a_second_death_recovery(session, person.id)
    debtor = "employer" if found.person_id is None else "estate" if dead else "person"
    share = Decimal((store or default_store()).at(found.province, china_today(now)).value("risk.recovery.offset_max_share"))
    amount = int(found.overpaid_fen or 0)
    at = utc_naive(now)
    recovery = RiskRecovery(case_id=found.id, person_id=found.person_id, region_code=found.region_code,
                            debtor=debtor, amount_fen=amount, recovered_fen=0, written_off_fen=0,
                            offset_allowed=bool(person is not None and not dead and share > 0), status="open",
                            opened_by=actor, opened_at=at, closed_at=None)
    session.add(recovery)
    session.flush()
    open_account = _accounts(session, found.province, now)
    ledger.post_entry(session=session, key=f"risk_recovery:{recovery.id}", province=found.province, period=_month(now),
                      kind="risk_recovery", memo=f"多领待遇应追回 overpayment to recover (risk case {found.id})",
                      lines=[Line(_receivable(open_account, found), amount),
                             Line(open_account(AccountKind.POOLING_FUND, insurance=insurance_of(found.rule_id)), -amount)],
                      actor=actor, now=now)
    if recovery.offset_allowed:
        deductions.register(session=session, person_id=found.person_id, province=found.province, source=SOURCE,
                            source_id=recovery.id, owed_fen=amount, share=share, now=now)
    return recovery.id


def _refuse_a_second_death_recovery(session: Session, person_id: int) -> None:
    """The death record (services/deaths.py) already recovers what was paid after the death: a second receivable for
    the same months would have the estate owe them twice."""
    already = benefits.death_recovery_of(session=session, person_id=person_id)
    if already is not None:
        raise Conflict("risk.already_recovering",
                       f"死亡登记已对死亡后多发的 {already['amount_fen']} 分立项追回，本案查实时多领金额应填 0，在说明中注明",
                       f"the death record already recovers the {already['amount_fen']} fen paid after the death; confirm "
                       "this case with an overpaid amount of 0 and say so in the note",
                       death_recovery_fen=already["amount_fen"])


def _accounts(session: Session, province: str, now: datetime):  # noqa: ANN202 - an account opener by kind and owner
    def open_account(kind: AccountKind, **owner: object) -> int:
        return ledger.open_account(session=session, kind=kind, province=province, now=now, **owner).id

    return open_account


def _receivable(open_account, found: RiskCase) -> int:  # noqa: ANN001 - the opener _accounts returns
    """The debtor's receivable: the person's (or their estate's), else the employer's."""
    if found.person_id is not None:
        return open_account(AccountKind.RECEIVABLE, person_id=found.person_id)
    return open_account(AccountKind.RECEIVABLE, employer_id=found.employer_id)


def _recovery_in_scope(session: Session, principal: Principal, recovery_id: int) -> tuple[RiskRecovery, RiskCase]:
    recovery = session.scalar(select(RiskRecovery).where(RiskRecovery.id == recovery_id).with_for_update())
    if recovery is None or not principal.can_see_region(recovery.region_code):
        raise NotFound("scope.not_found", "未找到，或不在您的管辖范围内", "not found, or outside your region")
    found = session.get(RiskCase, recovery.case_id)
    case_rules.check_not_own(person_id=principal.person_id, actors=(principal.actor, principal.username),
                             case_person_id=found.person_id, case_staff_actor=found.staff_actor)
    return recovery, found


def collect_offsets(*, session: Session, recovery: RiskRecovery, now: datetime) -> int:
    """Records the payroll's deductions for this recovery not yet recorded as `offset` movements: (how many)."""
    taken = deductions.taken(session=session, source=SOURCE, source_id=recovery.id)
    known = set(session.scalars(select(RiskRecoveryMovement.idempotency_key).where(
        RiskRecoveryMovement.recovery_id == recovery.id, RiskRecoveryMovement.kind == "offset")))
    added = 0
    for take in taken:
        key = f"offset:{take.id}"
        if key in known:
            continue
        session.add(RiskRecoveryMovement(recovery_id=recovery.id, kind="offset", amount_fen=take.amount_fen,
                                         period=take.period, reference=f"payroll_line:{take.payroll_line_id}",
                                         idempotency_key=key, note="从养老金中抵扣 deducted from the pension",
                                         actor=take.actor, at=take.at))
        recovery.recovered_fen += take.amount_fen
        added += 1
    if added:
        _settle_if_done(recovery, now)
        session.flush()
    return added


def _settle_if_done(recovery: RiskRecovery, now: datetime) -> None:
    if case_rules.outstanding(recovery.amount_fen, recovery.recovered_fen, recovery.written_off_fen) == 0:
        recovery.status, recovery.closed_at = "settled", utc_naive(now)


def repay(*, session: Session, principal: Principal, recovery_id: int, amount_fen: int, reference: str,
          now: datetime) -> dict:
    """A repayment received at the bank, with its reference."""
    return _move(session, principal, recovery_id, "repayment", amount_fen, now, reference=reference)


def write_off(*, session: Session, principal: Principal, recovery_id: int, amount_fen: int, reason: str,
              now: datetime) -> dict:
    """What will not be recovered, with the reason; the fund bears it."""
    return _move(session, principal, recovery_id, "write_off", amount_fen, now, reason=reason)


def _move(session: Session, principal: Principal, recovery_id: int, kind: str, amount_fen: int, now: datetime, *,
          reference: str | None = None, reason: str | None = None) -> dict:
    recovery, found = _recovery_in_scope(session, principal, recovery_id)
    deductions.lock(session=session, source=SOURCE, source_id=recovery.id)  # the payroll deducts nothing meanwhile
    collect_offsets(session=session, recovery=recovery, now=now)
    owed = case_rules.outstanding(recovery.amount_fen, recovery.recovered_fen, recovery.written_off_fen)
    amount, reference, reason = case_rules.check_movement(kind=kind, amount_fen=amount_fen, owed_fen=owed,
                                                          reference=reference, reason=reason)
    number = 1 + session.scalar(select(func.count()).where(RiskRecoveryMovement.recovery_id == recovery.id,
                                                          RiskRecoveryMovement.kind == kind))
    key = f"risk_recovery:{recovery.id}:{kind}:{number}"
    open_account = _accounts(session, found.province, now)
    debit = (open_account(AccountKind.CASH) if kind == "repayment"
             else open_account(AccountKind.POOLING_FUND, insurance=insurance_of(found.rule_id)))
    zh, en = case_rules.MOVEMENT_NAMES[kind]
    ledger.post_entry(session=session, key=key, province=found.province, period=_month(now), kind=f"risk_{kind}",
                      memo=f"多领待遇{zh} overpayment {en} (recovery {recovery.id})",
                      lines=[Line(debit, amount), Line(_receivable(open_account, found), -amount)],
                      actor=principal.actor, now=now)
    session.add(RiskRecoveryMovement(recovery_id=recovery.id, kind=kind, amount_fen=amount, period=_month(now),
                                     reference=reference, idempotency_key=key, note=reason or "",
                                     actor=principal.actor, at=utc_naive(now)))
    if kind == "repayment":
        recovery.recovered_fen += amount
    else:
        recovery.written_off_fen += amount
    _settle_if_done(recovery, now)
    left = case_rules.outstanding(recovery.amount_fen, recovery.recovered_fen, recovery.written_off_fen)
    deductions.set_owed(session=session, source=SOURCE, source_id=recovery.id, owed_fen=left, now=now)
    session.add(RiskCaseEvent(case_id=found.id, action=kind, note=f"{zh} {amount} 分 {en} {amount} fen"
                              + (f"：{reference or reason}" if reference or reason else ""), run_id=None,
                              actor=principal.actor, at=utc_naive(now)))
    session.flush()
    audit.append(session, actor=principal.actor, action=f"risk.recovery_{kind}", subject=f"risk_recovery:{recovery.id}",
                 now=now, amount_fen=amount, reference=reference, reason=reason, outstanding_fen=left,
                 case_id=found.id, region=recovery.region_code)
    return _recovery_view(session, recovery)


def _recovery_view(session: Session, recovery: RiskRecovery) -> dict:
    movements = session.scalars(select(RiskRecoveryMovement).where(RiskRecoveryMovement.recovery_id == recovery.id)
                                .order_by(RiskRecoveryMovement.id))
    status_zh, status_en = case_rules.RECOVERY_STATUS_NAMES[recovery.status]
    return {"id": recovery.id, "case_id": recovery.case_id, "person_id": recovery.person_id,
            "region_code": recovery.region_code, "debtor": recovery.debtor, "amount_fen": recovery.amount_fen,
            "recovered_fen": recovery.recovered_fen, "written_off_fen": recovery.written_off_fen,
            "outstanding_fen": case_rules.outstanding(recovery.amount_fen, recovery.recovered_fen,
                                                      recovery.written_off_fen),
            "offset_allowed": recovery.offset_allowed, "status": recovery.status, "status_zh": status_zh,
            "status_en": status_en, "opened_by": recovery.opened_by, "opened_at": recovery.opened_at.isoformat(),
            "closed_at": recovery.closed_at.isoformat() if recovery.closed_at else None,
            "movements": [{"id": m.id, "kind": m.kind, "kind_zh": case_rules.MOVEMENT_NAMES[m.kind][0],
                           "amount_fen": m.amount_fen, "period": m.period, "reference": m.reference, "note": m.note,
                           "actor": m.actor, "at": m.at.isoformat()} for m in movements]}


def recovery_of_case(*, session: Session, case_id: int, now: datetime) -> dict | None:
    """A case's recovery, the payroll's offsets recorded up to now, or None."""
    recovery = session.scalar(select(RiskRecovery).where(RiskRecovery.case_id == case_id))
    if recovery is None:
        return None
    collect_offsets(session=session, recovery=recovery, now=now)
    return _recovery_view(session, recovery)


def show_recovery(*, session: Session, principal: Principal, recovery_id: int, now: datetime) -> dict:
    recovery = session.get(RiskRecovery, recovery_id)
    if recovery is None or not principal.can_see_region(recovery.region_code):
        raise NotFound("scope.not_found", "未找到，或不在您的管辖范围内", "not found, or outside your region")
    collect_offsets(session=session, recovery=recovery, now=now)
    return _recovery_view(session, recovery)
