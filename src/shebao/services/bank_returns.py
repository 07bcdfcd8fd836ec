"""The bank's returns, which two contexts react to: payouts takes the money back into cash and the payable it came
from; the source holds what it owes again — a payroll month as `bank_returned` — until the account is fixed, and
pays it again then. (The refund context's reaction joins here: its returned refunds are `returned["refund"]`.)"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from shebao.benefits import payroll
from shebao.contributions import refunds
from shebao.core.security import FieldCipher, Principal
from shebao.payouts import service as payouts
from shebao.payouts.rules import Source
from shebao.payouts.schemas import AccountFix, BankReturnImportRead
from shebao.services.schemas import AccountFixRead


def import_bank_returns(*, session: Session, principal: Principal, province: str, file_name: str, csv_text: str,
                        now: datetime) -> BankReturnImportRead:
    """A bank's return file, taken whole or not at all: each line back into cash and its payable (payouts), each
    payroll month it paid held again with the bank's reason, shown to the receiver and to staff. The same file
    again changes nothing."""
    imported = payouts.import_returns(session=session, principal=principal, province=province, file_name=file_name,
                                      csv_text=csv_text, now=now)
    held = payroll.hold_returned(session=session, line_ids=imported.returned.get(Source.PAYROLL.value, []))
    return imported.read.model_copy(update={"held_payroll_lines": held})


def fix_returned_account(*, session: Session, cipher: FieldCipher, principal: Principal, line_id: int,
                         command: AccountFix, now: datetime) -> AccountFixRead:
    """Staff record that a returned payment's account is fixed; a payroll month is paid again at once when nothing
    else holds it (into this month's open batch, released like any other by a second person)."""
    line = payouts.mark_account_fixed(session=session, principal=principal, line_id=line_id, command=command, now=now)
    lines, fen = 0, 0
    if line.source == Source.PAYROLL.value:
        lines, fen = payroll.pay_line(session=session, line_id=line.source_ref, key=f"account-fixed:{line.line_id}",
                                      actor=principal.actor, now=now)
    elif line.source == Source.REFUND.value:  # the refund into this month's open batch again, to the same account
        refunds.send_to_bank(session=session, cipher=cipher, refund_id=line.source_ref, actor=principal.actor, now=now)
        lines, fen = 1, line.amount_fen
    return AccountFixRead(line=line, paid_again_lines=lines, paid_again_fen=fen)
