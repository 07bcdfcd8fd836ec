"""Transfer use cases: apply, the steps of the two provinces, the plan before anything moves, and what a person's
archive shows of their moves. One transaction per use case; the money moves through the ledger's posting API."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from shebao.transfers import rules
from shebao.transfers.models import TemporaryAccount, Transfer, TransferItem, TransferStep


def history_of(*, session: Session, person_id: int) -> list[dict]:
    """Every transfer of a person, oldest first, with its steps and what each insurance carried (the archive's
    'transfers' section)."""
    transfers = session.scalars(select(Transfer).where(Transfer.person_id == person_id).order_by(Transfer.id)).all()
    return [_read(session, transfer) for transfer in transfers]


def temporary_accounts_of(*, session: Session, person_id: int) -> list[dict]:
    """The person's temporary accounts, open and gathered, oldest first."""
    rows = session.scalars(select(TemporaryAccount).where(TemporaryAccount.person_id == person_id)
                           .order_by(TemporaryAccount.id)).all()
    return [{"id": t.id, "province": t.province, "relationship_province": t.relationship_province,
             "opened_on": t.opened_on.isoformat(), "closed_on": t.closed_on.isoformat() if t.closed_on else None,
             "open": t.is_open, "gathered_by_transfer_id": t.gathered_by_transfer_id} for t in rows]


def _read(session: Session, transfer: Transfer) -> dict:
    steps = session.scalars(select(TransferStep).where(TransferStep.transfer_id == transfer.id)
                            .order_by(TransferStep.id)).all()
    items = session.scalars(select(TransferItem).where(TransferItem.transfer_id == transfer.id)
                            .order_by(TransferItem.id)).all()
    step = rules.Step(transfer.step)
    return {
        "id": transfer.id, "person_id": transfer.person_id, "kind": transfer.kind,
        "from_province": transfer.from_province, "to_province": transfer.to_province, "to_region": transfer.to_region,
        "step": step.value, "step_zh": rules.STEP_NAMES[step][0], "step_en": rules.STEP_NAMES[step][1],
        "open": step in rules.OPEN_STEPS, "channel": transfer.channel, "applied_on": transfer.applied_on.isoformat(),
        "starts_on": transfer.starts_on.isoformat(), "due_on": transfer.due_on.isoformat() if transfer.due_on else None,
        "direction": transfer.direction, "months_counted": transfer.months_counted,
        "base_sum_fen": transfer.base_sum_fen, "pooled_fen": transfer.pooled_fen,
        "personal_account_fen": transfer.personal_account_fen,
        "total_fen": transfer.pooled_fen + transfer.personal_account_fen, "refused_reason": transfer.refused_reason,
        "steps": [{"step": s.step, "step_zh": rules.STEP_NAMES[rules.Step(s.step)][0], "on": s.on.isoformat(),
                   "due_on": s.due_on.isoformat() if s.due_on else None, "province": s.province, "actor": s.actor,
                   "note": s.note, "late": bool(s.due_on and s.on > s.due_on)} for s in steps],
        "items": [{"insurance": i.insurance, "months": i.months, "amount_fen": i.amount_fen, "rule": i.rule}
                  for i in items],
    }
