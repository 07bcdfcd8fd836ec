"""Set-based reports over the ledger for the contexts above it, which never name the ledger's tables themselves."""

from __future__ import annotations

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from shebao.ledger.models import JournalEntry, JournalLine, LedgerAccount
from shebao.ledger.rules import AccountKind


def pooling_fund_months(*, session: Session, through_period: str,
                        province: str | None = None) -> list[tuple[str, str, str, int, int]]:
    """Every pooling fund's movements month by month, through a month: (province, insurance, period, debits_fen,
    credits_fen), debits positive and credits negative as the ledger keeps them, the month being the entry's posting
    period. One GROUP BY over the lines; a province's alone when one is named."""
    amount = JournalLine.amount_fen
    query = (select(LedgerAccount.province, LedgerAccount.insurance, JournalEntry.period,
                    func.coalesce(func.sum(case((amount > 0, amount), else_=0)), 0),
                    func.coalesce(func.sum(case((amount < 0, amount), else_=0)), 0))
             .join(JournalLine, JournalLine.account_id == LedgerAccount.id)
             .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
             .where(LedgerAccount.kind == AccountKind.POOLING_FUND.value, JournalEntry.period <= through_period)
             .group_by(LedgerAccount.province, LedgerAccount.insurance, JournalEntry.period))
    if province is not None:
        query = query.where(LedgerAccount.province == province)
    return [(p, str(i), str(m), int(d), int(c)) for p, i, m, d, c in session.execute(query)]
