"""Refunds (退费): money a payer paid and no longer owes — a correction's credit (a month billed and paid, then
corrected away), a payment above the debt, the same bill paid twice — given back, as the payer chooses, to a
bank account or offset against its bills.

A payer's credit is what its payments and credits hold beyond what was allocated to bills, less the refunds
asked for and not rejected (an amount asked for is reserved, so two requests cannot both take it). A request is
decided by a clerk in the payer's region — never the one who asked (maker-checker). Approved:
  bank    the receivable is debited and a refund payable credited (the payer's credit becomes money owed out);
          the bank batch pays it (debit the payable, credit cash) once a second person releases it;
  offset  the credit pays the payer's unpaid bills now, oldest first, with the late fee due today on each
          (charged to the credit); what is left pays the next bills as month-end issues them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, object_session

from shebao.contributions.collection import apply_offsets
from shebao.contributions.models import Payment, PaymentAllocation, Refund
from shebao.contributions.schemas import PayerCreditRead, RefundDecide, RefundRead, RefundRequest
from shebao.contributions.service import require_payer_in_scope
from shebao.core import audit
from shebao.core.clock import china_today, utc_naive
from shebao.core.errors import Conflict, Forbidden, InvalidInput, not_in_scope
from shebao.core.money import fen_to_yuan
from shebao.core.periods import Period
from shebao.core.security import FieldCipher, Principal, Role
from shebao.ledger import chart
from shebao.ledger import service as ledger
from shebao.ledger.rules import AccountKind, Line
from shebao.payouts import service as payouts
from shebao.payouts.models import PayoutLine
from shebao.payouts.rules import LINE_STATE_NAMES, LineState, PayoutOrder, Source
from shebao.policy.store import ParameterStore
from shebao.registry.models import Employer, Person

HOLDING = ("requested", "approved", "offset", "paid")  # refunds that take their amount out of the credit
STATUS_NAMES = {"requested": "待审核", "approved": "已批准", "rejected": "已驳回", "offset": "已抵缴", "paid": "已退付"}


def credit_left(*, session: Session, payer_kind: str, payer_id: int) -> int:
    """What the payer paid (or was credited) beyond what its bills took, less the refunds holding part of it."""
    mine = (Payment.payer_kind == payer_kind, Payment.payer_id == payer_id, Payment.method != "offset")
    paid = session.scalar(select(func.coalesce(func.sum(Payment.amount_fen), 0)).where(*mine))
    allocated = session.scalar(select(func.coalesce(func.sum(PaymentAllocation.principal_fen
                                                             + PaymentAllocation.late_fee_fen), 0))
                               .join(Payment, Payment.id == PaymentAllocation.payment_id).where(*mine))
    refunded = session.scalar(select(func.coalesce(func.sum(Refund.amount_fen), 0)).where(
        Refund.payer_kind == payer_kind, Refund.payer_id == payer_id, Refund.status.in_(HOLDING)))
    return int(paid) - int(allocated) - int(refunded)


def request_refund(*, session: Session, cipher: FieldCipher, principal: Principal, command: RefundRequest,
                   now: datetime) -> RefundRead:
    """The payer (an employer for itself, a flexible worker for themself) or a clerk of the payer's region asks."""
    principal.require_role(Role.EMPLOYER, Role.INSURED, Role.STAFF, Role.ADMIN)
    province = require_payer_in_scope(session=session, principal=principal, payer_kind=command.payer_kind,
                                      payer_id=command.payer_id)
    if command.amount_fen <= 0:
        raise InvalidInput("refund.amount", f"退费金额必须大于零（分）：{command.amount_fen}",
                           f"a refund is a positive number of fen: {command.amount_fen}")
    if command.method == "bank" and not (command.bank_code and command.bank_account):
        raise InvalidInput("refund.account", "退付到银行账户须填写开户银行和账号", "a refund paid to a bank names the bank and the account")
    # Two requests at once would both see the same credit: the payer's payments are locked first.
    session.execute(select(Payment.id).where(Payment.payer_kind == command.payer_kind,
                                             Payment.payer_id == command.payer_id).with_for_update())
    available = credit_left(session=session, payer_kind=command.payer_kind, payer_id=command.payer_id)
    if command.amount_fen > available:
        raise Conflict("refund.exceeds_credit",
                       f"申请退费 {fen_to_yuan(command.amount_fen)} 元，超过多缴可退金额 {fen_to_yuan(max(available, 0))} 元",
                       f"a refund of {fen_to_yuan(command.amount_fen)} yuan exceeds what was overpaid and is not yet "
                       f"refunded, {fen_to_yuan(max(available, 0))} yuan", credit_fen=max(available, 0))
    refund = Refund(province=province, payer_kind=command.payer_kind, payer_id=command.payer_id,
                    amount_fen=command.amount_fen, method=command.method, status="requested", reason=command.reason,
                    bank_code=command.bank_code if command.method == "bank" else None,
                    bank_account_enc=(cipher.encrypt("bank_account", command.bank_account)
                                      if command.method == "bank" else None),
                    offset_fen=0, requested_by=principal.actor, requested_at=utc_naive(now))
    session.add(refund)
    session.flush()
    audit.append(session, actor=principal.actor, action="refund.requested", subject=f"refund:{refund.id}", now=now,
                 payer=f"{refund.payer_kind}:{refund.payer_id}", amount_fen=refund.amount_fen, method=refund.method)
    return _read(cipher, refund)


def decide_refund(*, session: Session, cipher: FieldCipher, principal: Principal, refund_id: int,
                  command: RefundDecide, now: datetime, store: ParameterStore | None = None) -> RefundRead:
    """A clerk of the payer's region, not the one who asked, approves or rejects a refund."""
    principal.require_role(Role.STAFF, Role.ADMIN)
    refund = session.scalar(select(Refund).where(Refund.id == refund_id).with_for_update())
    if refund is None:
        raise not_in_scope("退费申请", "refund")
    require_payer_in_scope(session=session, principal=principal, payer_kind=refund.payer_kind, payer_id=refund.payer_id)
    if refund.status != "requested":
        raise Conflict("refund.decided", f"该退费申请已{STATUS_NAMES[refund.status]}", f"this refund is already {refund.status}",
                       status=refund.status)
    if refund.requested_by == principal.actor:
        raise Forbidden("refund.same_person", "退费须由申请人以外的经办人员审核（双人复核）",
                        "a refund is decided by someone other than who asked for it (maker-checker)")
    refund.decided_by, refund.decided_at, refund.decision_reason = principal.actor, utc_naive(now), command.reason
    if not command.approve:
        refund.status = "rejected"
    else:
        refund.status = "approved"
        if refund.method == "bank":
            _owe_out(session, refund, principal.actor, now)
            send_to_bank(session=session, cipher=cipher, refund_id=refund.id, actor=principal.actor, now=now)
        else:
            apply_offsets(session=session, province=refund.province, now=now, actor=principal.actor, store=store,
                          payer=(refund.payer_kind, refund.payer_id))  # what is left waits for the next bills
    audit.append(session, actor=principal.actor, action=f"refund.{'approved' if command.approve else 'rejected'}",
                 subject=f"refund:{refund.id}", now=now, reason=command.reason, amount_fen=refund.amount_fen)
    session.flush()
    return _read(cipher, refund)


def _owe_out(session: Session, refund: Refund, actor: str, now: datetime) -> None:
    """The payer's credit becomes money owed out: debit its receivable, credit the refund payable."""
    today = china_today(now)
    receivable = ledger.account_id(session=session, now=now, account=chart.payer_receivable(
        refund.payer_kind, refund.payer_id, province=refund.province))
    payable = ledger.open_account(session=session, kind=AccountKind.REFUND_PAYABLE, province=refund.province, now=now)
    entry = ledger.post_entry(session=session, key=f"refund:{refund.id}", province=refund.province,
                              period=str(Period.of(today)), kind="refund", memo=f"退费 refund {refund.id}",
                              lines=[Line(receivable, refund.amount_fen), Line(payable.id, -refund.amount_fen)],
                              actor=actor, now=now)
    refund.entry_id = entry.id


def send_to_bank(*, session: Session, cipher: FieldCipher, refund_id: int, actor: str, now: datetime) -> None:
    """The approved refund into its bank's open batch of this month (payouts): out of the refund payable into
    transit; it leaves cash when a second person releases the batch. Paid again the same way once an account the
    bank returned it from is fixed."""
    refund = session.get(Refund, refund_id)
    if refund.payer_kind == "employer":
        payer = session.get(Employer, refund.payer_id)
        name, region, owner = payer.name, payer.region_code, {"employer_id": payer.id}
    else:
        payer = session.get(Person, refund.payer_id)
        name, region, owner = payer.name, payer.residence_region_code, {"person_id": payer.id}
    attempt = session.scalar(select(func.count()).select_from(PayoutLine).where(
        PayoutLine.source == Source.REFUND.value, PayoutLine.source_ref == refund.id))
    order = PayoutOrder(source_ref=refund.id, bank_code=refund.bank_code,
                        account=cipher.decrypt("bank_account", refund.bank_account_enc), receiver_name=name,
                        region_code=region, amount_fen=refund.amount_fen, memo=f"退费 refund {refund.id}", **owner)
    payouts.add_lines(session=session, cipher=cipher, source=Source.REFUND.value, province=refund.province,
                      period=str(Period.of(china_today(now))), orders=[order], key=f"refund-payout:{refund.id}:{attempt}",
                      payable=chart.province_account(AccountKind.REFUND_PAYABLE, province=refund.province),
                      actor=actor, now=now, memo=f"退费 refund {refund.id}")


def payer_credit(*, session: Session, cipher: FieldCipher, principal: Principal, payer_kind: str,
                 payer_id: int) -> PayerCreditRead:
    """The payer's credit and refunds, for the payer, staff of its region and auditors."""
    require_payer_in_scope(session=session, principal=principal, payer_kind=payer_kind, payer_id=payer_id)
    refunds = session.scalars(select(Refund).where(Refund.payer_kind == payer_kind, Refund.payer_id == payer_id)
                              .order_by(Refund.id.desc()).limit(200)).all()
    return PayerCreditRead(payer_kind=payer_kind, payer_id=payer_id,
                           credit_fen=credit_left(session=session, payer_kind=payer_kind, payer_id=payer_id),
                           refunds=[_read(cipher, r) for r in refunds])


def _read(cipher: FieldCipher, refund: Refund) -> RefundRead:
    account = cipher.decrypt("bank_account", refund.bank_account_enc) if refund.bank_account_enc else None
    session = object_session(refund)
    line = session.scalar(select(PayoutLine).where(PayoutLine.source == Source.REFUND.value,
                                                   PayoutLine.source_ref == refund.id)
                          .order_by(PayoutLine.attempt.desc()).limit(1)) if session is not None else None
    bank_zh, bank_en = LINE_STATE_NAMES[LineState(line.status)] if line is not None else (None, None)
    return RefundRead(
        id=refund.id, province=refund.province, payer_kind=refund.payer_kind, payer_id=refund.payer_id,
        amount_fen=refund.amount_fen, method=refund.method, status=refund.status, status_zh=STATUS_NAMES[refund.status],
        reason=refund.reason, bank_code=refund.bank_code,
        bank_account_masked=None if account is None else "*" * (len(account) - 4) + account[-4:],
        offset_fen=refund.offset_fen, requested_by=refund.requested_by, requested_at=refund.requested_at,
        decided_by=refund.decided_by, decided_at=refund.decided_at, decision_reason=refund.decision_reason,
        payout_line_id=None if line is None else line.id, payout_status=None if line is None else line.status,
        payout_status_zh=bank_zh, payout_status_en=bank_en)
