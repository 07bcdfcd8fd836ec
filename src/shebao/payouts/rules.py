"""Payouts to the bank: the rules, pure. A batch's life and who may move it (maker-checker), the reference a line
carries to the bank and back, the bank's reasons for returning a line, a return file's rows as the bank sends them,
and the reconciliation of what was sent, paid and returned against the ledger's movements.

Nothing here reads a database or a clock: the service hands in what it found and the day.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from stdnum import luhn

from shebao.core.errors import Conflict, Forbidden, InvalidInput, given_zh


class Source(StrEnum):
    """What a line pays: a month of pension (payroll), or money refunded (the refund context's lines)."""

    PAYROLL = "payroll"
    REFUND = "refund"


SOURCE_NAMES: dict[Source, tuple[str, str]] = {Source.PAYROLL: ("养老金发放", "pension payroll"),
                                               Source.REFUND: ("退费", "refund")}


class BatchState(StrEnum):
    OPEN = "open"  # collecting lines: each payroll chunk or refund adds to the open batch of its bank and month
    PREPARED = "prepared"  # the maker closed it for approval: no line is added any more
    RELEASED = "released"  # a second person approved it: the money left cash, the bank file may be produced


class BatchMove(StrEnum):
    PREPARE = "prepare"
    APPROVE = "approve"


BATCH_STATE_NAMES: dict[BatchState, tuple[str, str]] = {
    BatchState.OPEN: ("归集中", "collecting lines"), BatchState.PREPARED: ("待复核", "awaiting approval"),
    BatchState.RELEASED: ("已复核放款", "approved and released to the bank"),
}
BATCH_MOVE_NAMES: dict[BatchMove, tuple[str, str]] = {BatchMove.PREPARE: ("提交复核", "prepare"),
                                                      BatchMove.APPROVE: ("复核放款", "approve and release")}
BATCH_MOVES: dict[tuple[BatchState, BatchMove], BatchState] = {
    (BatchState.OPEN, BatchMove.PREPARE): BatchState.PREPARED,
    (BatchState.PREPARED, BatchMove.APPROVE): BatchState.RELEASED,
}


class LineState(StrEnum):
    PENDING = "pending"  # in a batch not yet released: the money is in transit, still in cash
    SENT = "sent"  # released to the bank
    RETURNED = "returned"  # the bank sent it back: owed again, held until the account is fixed
    FIXED = "fixed"  # staff say the account is fixed: the source pays it again
    RESENT = "resent"  # paid again in a later line


LINE_STATE_NAMES: dict[LineState, tuple[str, str]] = {
    LineState.PENDING: ("待放款", "awaiting release"), LineState.SENT: ("已发送银行", "sent to the bank"),
    LineState.RETURNED: ("银行退回", "returned by the bank"), LineState.FIXED: ("账户已更正，待重发", "account fixed, to be paid again"),
    LineState.RESENT: ("已重新发放", "paid again"),
}
RELEASED_LINE_STATES = (LineState.SENT, LineState.RETURNED, LineState.FIXED, LineState.RESENT)
RETURNED_LINE_STATES = (LineState.RETURNED, LineState.FIXED, LineState.RESENT)


class ReturnReason(StrEnum):
    """Why the bank sent a line back (the bank's return file names one per line)."""

    ACCOUNT_CLOSED = "account_closed"
    NAME_MISMATCH = "name_mismatch"
    CARD_FROZEN = "card_frozen"
    OTHER = "other"


RETURN_REASONS: dict[ReturnReason, tuple[str, str]] = {
    ReturnReason.ACCOUNT_CLOSED: ("账户已销户", "the account is closed"),
    ReturnReason.NAME_MISMATCH: ("户名与账号不符", "the name and the account do not match"),
    ReturnReason.CARD_FROZEN: ("银行卡在银行被冻结", "the card is frozen at the bank"),
    ReturnReason.OTHER: ("其他原因", "another reason"),
}


def name_of(table: dict, value: str) -> tuple[str, str]:
    """A stored value's (Chinese, English) name from one of the tables above; unknown values never read raw."""
    for key, names in table.items():
        if key.value == value:
            return names
    return "未知", "unknown"


# --- a batch's life: maker, then a second person ------------------------------------------------------------


def next_state(state: str, move: BatchMove) -> BatchState:
    """The state a move leads to, or the refusal naming where the batch stands."""
    try:
        return BATCH_MOVES[(BatchState(state), move)]
    except (KeyError, ValueError):
        state_zh, state_en = name_of(BATCH_STATE_NAMES, state)
        move_zh, move_en = BATCH_MOVE_NAMES[move]
        raise Conflict(f"payout.cannot_{move.value}", f"批次状态为“{state_zh}”，不能{move_zh}",
                       f"the batch is {state_en}: {move_en} is not possible now", state=state) from None


def check_checker(*, maker: str | None, checker: str) -> None:
    """Maker-checker: the person who approves a batch is never the one who prepared it."""
    if maker is None or maker == checker:
        raise Forbidden("payout.four_eyes", "批次须由提交人以外的另一名经办人员复核放款",
                        "a batch is approved by a second person, never by the one who prepared it")


def check_unchanged(*, prepared: tuple[int, int], now: tuple[int, int]) -> None:
    """The batch the checker approves is the one the maker prepared: the same lines, the same total."""
    if prepared != now:
        raise Conflict("payout.changed", f"批次提交后发生变化（提交时 {prepared[0]} 笔 {prepared[1]} 分，现为 {now[0]} 笔 "
                       f"{now[1]} 分），不能放款", f"the batch changed after it was prepared ({prepared[0]} lines, "
                       f"{prepared[1]} fen then; {now[0]} lines, {now[1]} fen now); it is not released",
                       prepared_lines=prepared[0], prepared_fen=prepared[1], lines=now[0], fen=now[1])


# --- a line's reference: what the bank file carries and the return file brings back ---------------------------

REFERENCE_PREFIX = "SBP"
REFERENCE_DIGITS = 12


def line_reference(line_id: int) -> str:
    """A line's reference to the bank: SBP, the line's id in twelve digits, a Luhn check digit (a mistyped
    reference in a return file is refused as unknown instead of naming another line)."""
    digits = f"{line_id:0{REFERENCE_DIGITS}d}"
    return f"{REFERENCE_PREFIX}{digits}{luhn.calc_check_digit(digits)}"


def parse_reference(text: str) -> int | None:
    """The line id a reference names, or None when it is not one of ours (wrong form or check digit)."""
    text = text.strip().upper()
    digits = text[len(REFERENCE_PREFIX):]
    if not text.startswith(REFERENCE_PREFIX) or len(digits) != REFERENCE_DIGITS + 1 or not digits.isdigit():
        return None
    if not luhn.is_valid(digits) or int(digits[:-1]) == 0:
        return None
    return int(digits[:-1])


# --- a return file, as the bank sends it -----------------------------------------------------------------------

RETURN_COLUMNS = ("reference", "reason_code", "amount_fen")


@dataclass(frozen=True)
class ReturnRow:
    row: int  # the row's number in the file, from 1
    line_id: int
    reason: ReturnReason
    amount_fen: int


MAX_RETURN_ROWS = 1_000_000


def read_return_csv(text: str) -> list[dict[str, str]]:
    """The rows of a return file as the bank sends it: UTF-8 CSV (a BOM is dropped) with a header naming at least
    reference, reason_code and amount_fen, and one row or more. A file that cannot be read is refused whole."""
    reader = csv.DictReader(io.StringIO(text.removeprefix("\ufeff")))
    try:
        header = [name.strip() for name in reader.fieldnames or []]
        if not set(RETURN_COLUMNS) <= set(header):
            raise InvalidInput("payout.return_header", f"退票文件的表头须包含这些列：「{','.join(RETURN_COLUMNS)}」",
                               f"the return file's header needs the columns {','.join(RETURN_COLUMNS)}")
        reader.fieldnames = header
        rows = []
        for row in reader:
            rows.append({column: (row.get(column) or "") for column in RETURN_COLUMNS})
            if len(rows) > MAX_RETURN_ROWS:
                raise InvalidInput("payout.return_size", f"退票文件超过 {MAX_RETURN_ROWS} 行",
                                   f"the return file has more than {MAX_RETURN_ROWS} rows")
    except csv.Error as problem:
        raise InvalidInput("payout.return_unreadable", "退票文件无法解析（单元格过长或引号不配对），全部未导入",
                           f"the return file cannot be read ({problem}); nothing was imported") from None
    if not rows:
        raise InvalidInput("payout.return_empty", "退票文件没有数据行，未导入任何内容", "the return file has no rows; nothing was imported")
    return rows


def _rejected(row: int, code: str, zh: str, en: str) -> dict:
    return {"row": row, "code": code, "reason": zh, "reason_en": en}


def parse_return_rows(rows: Sequence[dict[str, str]]) -> tuple[list[ReturnRow], list[dict]]:
    """Each row's line, reason and amount as the bank states them; or why the row is refused: a reference that is
    not one of ours, a reason the bank's codes do not have, an amount that is not whole fen, a line twice."""
    parsed, rejected, seen = [], [], {}
    for number, row in enumerate(rows, start=1):
        reference, reason, amount = (str(row.get(column) or "").strip() for column in RETURN_COLUMNS)
        line_id = parse_reference(reference)
        if line_id is None:
            rejected.append(_rejected(number, "payout.unknown_line", f"不是本平台发出的付款参考号{given_zh(reference)}",
                                      f"not a payment reference this platform sent: {reference[:40]!r}"))
            continue
        if reason not in {r.value for r in ReturnReason}:
            allowed = "、".join(f"「{r.value}」（{zh}）" for r, (zh, _) in RETURN_REASONS.items())
            rejected.append(_rejected(number, "payout.reason", f"退回原因代码应为{allowed}之一{given_zh(reason)}",
                                      f"the reason code is one of {', '.join(r.value for r in ReturnReason)}: {reason[:40]!r}"))
            continue
        if not (amount.isascii() and amount.isdigit()) or int(amount) <= 0 or len(amount) > 15:
            rejected.append(_rejected(number, "payout.amount", f"金额应为正整数（分）{given_zh(amount)}",
                                      f"the amount is a positive whole number of fen: {amount[:40]!r}"))
            continue
        if line_id in seen:
            rejected.append(_rejected(number, "payout.returned_twice", f"同一笔付款在文件中退回两次（另见第 {seen[line_id]} 行）",
                                      f"the same payment is returned twice in the file (see also row {seen[line_id]})"))
            continue
        seen[line_id] = number
        parsed.append(ReturnRow(number, line_id, ReturnReason(reason), int(amount)))
    return parsed, rejected


def return_file_digest(rows: Sequence[ReturnRow]) -> str:
    """What makes two return files the same: their lines, reasons and amounts, in any order. The same file imported
    again is recognised by it and changes nothing."""
    canonical = "\n".join(f"{r.line_id},{r.reason.value},{r.amount_fen}" for r in sorted(rows, key=lambda r: r.line_id))
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class LineFound:
    """What the database holds for a line a return file names (None when it names nothing in the province)."""

    line_id: int
    batch_state: str
    line_state: str
    amount_fen: int
    returned_in_file: int | None  # the return file that already returned it


def check_return_row(row: ReturnRow, found: LineFound | None) -> dict | None:
    """Why the database refuses a row of a return file, or None: a line unknown here (the same answer whether it
    exists in another province or nowhere), a batch never released, a line already returned, an amount that is
    not the line's."""
    if found is None:
        return _rejected(row.row, "payout.unknown_line", "本省没有这笔付款", "no such payment in this province")
    if found.batch_state != BatchState.RELEASED.value:
        state_zh, state_en = name_of(BATCH_STATE_NAMES, found.batch_state)
        return _rejected(row.row, "payout.not_released", f"这笔付款所在批次“{state_zh}”，尚未放款，银行不可能退回",
                         f"the payment's batch is {state_en}, never released: the bank cannot have returned it")
    if found.returned_in_file is not None or found.line_state != LineState.SENT.value:
        return _rejected(row.row, "payout.returned_twice", f"这笔付款已被退回（退票文件 {found.returned_in_file}），不能再次退回",
                         f"this payment was already returned (return file {found.returned_in_file}); it is not returned twice")
    if found.amount_fen != row.amount_fen:
        return _rejected(row.row, "payout.amount_differs", f"退回金额 {row.amount_fen} 分与付款金额 {found.amount_fen} 分不符",
                         f"the amount returned, {row.amount_fen} fen, is not the payment's {found.amount_fen} fen")
    return None


def refuse_rejected(rejected: list[dict]) -> None:
    """All rows or none: a file with any row refused is refused whole, its rows listed."""
    if rejected:
        raise InvalidInput("payout.returns_rejected", f"退票文件有 {len(rejected)} 行有误，全部未导入",
                           f"{len(rejected)} rows of the return file were refused; nothing was imported",
                           rejected=sorted(rejected, key=lambda r: r["row"]))


# --- reconciliation: the lines against the ledger ---------------------------------------------------------------


@dataclass(frozen=True)
class Figures:
    """One bank's month in fen, from its lines and from the ledger's movements on the accounts involved."""

    lines_fen: int  # every line of the month's batches
    sent_fen: int  # lines released to the bank
    returned_fen: int  # lines the bank returned
    unreleased_fen: int  # lines in batches not yet released
    ledger_to_transit_fen: int  # moved from the payables into transit by the entries that added the lines
    ledger_released_fen: int  # paid out of cash by the release entries (= transit emptied)
    ledger_transit_released_fen: int  # taken out of transit by the release entries
    ledger_returned_fen: int  # back into cash by the return entries


def reconcile(figures: Figures) -> list[dict]:
    """What does not agree, each a (Chinese, English) sentence with both figures; empty when everything does:
    the lines added are what the ledger moved into transit, the lines sent are what left cash and transit on
    release, the lines returned are what came back into cash, and what is still in transit is what awaits release."""
    checks = [
        ("added", "加入批次的付款", "lines added", figures.lines_fen, "转入在途的金额", "moved into transit",
         figures.ledger_to_transit_fen),
        ("released", "已放款的付款", "lines released", figures.sent_fen, "现金付出", "paid out of cash",
         figures.ledger_released_fen),
        ("transit_released", "已放款的付款", "lines released", figures.sent_fen, "在途转出", "taken out of transit",
         figures.ledger_transit_released_fen),
        ("returned", "银行退回的付款", "lines returned", figures.returned_fen, "退回现金", "returned into cash",
         figures.ledger_returned_fen),
        ("in_transit", "待放款的付款", "lines awaiting release", figures.unreleased_fen, "在途余额", "still in transit",
         figures.ledger_to_transit_fen - figures.ledger_transit_released_fen),
    ]
    return [{"check": check, "lines_fen": lines, "ledger_fen": ledger,
             "reason": f"{zh}合计 {lines} 分，账上{ledger_zh} {ledger} 分，相差 {lines - ledger} 分",
             "reason_en": f"{en} total {lines} fen but the ledger shows {ledger} fen {ledger_en}: {lines - ledger} fen apart"}
            for check, zh, en, lines, ledger_zh, ledger_en, ledger in checks if lines != ledger]


# --- a line given in Python: what a refund (or another source) asks the bank to pay ------------------------------


@dataclass(frozen=True)
class PayoutOrder:
    """One payment a source asks for: to whom (a person or an employer, their region and the account holder's
    name), into which account at which bank, how much, and the source's own id for it."""

    source_ref: int
    bank_code: str
    account: str
    receiver_name: str
    region_code: str
    amount_fen: int
    memo: str
    person_id: int | None = None
    employer_id: int | None = None
    card_number: str | None = None


def check_order(order: PayoutOrder) -> None:
    """An order the bank can act on: whole positive fen, a bank code, an account of digits, a name, a region."""
    if isinstance(order.amount_fen, bool) or not isinstance(order.amount_fen, int) or order.amount_fen <= 0:
        raise InvalidInput("payout.amount", f"付款金额应为正整数（分）{given_zh(order.amount_fen)}",
                           f"a payment is a positive whole number of fen: {order.amount_fen!r}")
    if not (3 <= len(order.bank_code) <= 12 and order.bank_code.isascii() and order.bank_code.isalnum()
            and order.bank_code == order.bank_code.upper()):
        raise InvalidInput("payout.bank_code", f"银行代码应为 3 至 12 位大写字母或数字{given_zh(order.bank_code)}",
                           f"a bank code has 3 to 12 capital letters or digits: {order.bank_code!r}")
    if not (order.account.isascii() and order.account.isdigit() and 8 <= len(order.account) <= 32):
        raise InvalidInput("payout.account", "银行账号应为 8 至 32 位数字", "a bank account has 8 to 32 digits")
    if not 1 <= len(order.receiver_name.strip()) <= 100:
        raise InvalidInput("payout.receiver_name", "请写明收款人户名", "name the account holder")
    if not (order.region_code.isdigit() and len(order.region_code) in (6, 9)):
        raise InvalidInput("payout.region", f"收款人区划代码应为 6 或 9 位数字{given_zh(order.region_code)}",
                           f"the receiver's region code has 6 or 9 digits: {order.region_code!r}")
    if (order.person_id is None) == (order.employer_id is None):
        raise InvalidInput("payout.receiver", "收款人应为一个人员或一个单位", "the receiver is one person or one employer")
    if not 1 <= len(order.memo) <= 60:
        raise InvalidInput("payout.memo", "付款附言应为 1 至 60 个字符", "a payment's memo has 1 to 60 characters")
