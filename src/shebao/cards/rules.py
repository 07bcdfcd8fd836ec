"""Card rules: the one table of allowed moves, card and bank-account numbers, PINs. Pure.

The table below is the card's life; docs/architecture.md (The card) shows it, and a test keeps the two the same.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from stdnum import luhn

from shebao.core.errors import Conflict, InvalidInput


class CardState(StrEnum):
    APPLIED = "applied"
    IN_PRODUCTION = "in_production"
    ISSUED = "issued"
    ACTIVE = "active"
    FROZEN = "frozen"
    REPLACED = "replaced"
    CANCELLED = "cancelled"


class CardMove(StrEnum):
    SEND_TO_PRODUCTION = "send_to_production"  # an agency's production batch
    ISSUE_ON_THE_SPOT = "issue_on_the_spot"  # instant issuance at a counter
    HAND_OUT = "hand_out"  # a produced card reaches its holder
    ACTIVATE = "activate"  # by the holder, setting a PIN
    REPORT_LOST = "report_lost"  # freezes every use at once
    UNFREEZE = "unfreeze"  # found again
    REPLACE = "replace"  # the old card ends; a new application follows
    CANCEL = "cancel"  # death, or at the holder's request


# How a card's state and each move read for people, (Chinese, English): every message names them through these.
STATE_NAMES: dict[CardState, tuple[str, str]] = {
    CardState.APPLIED: ("已申领", "applied for"), CardState.IN_PRODUCTION: ("制卡中", "in production"),
    CardState.ISSUED: ("已发放", "issued"), CardState.ACTIVE: ("正常", "active"),
    CardState.FROZEN: ("已挂失冻结", "frozen (reported lost)"), CardState.REPLACED: ("已补换", "replaced"),
    CardState.CANCELLED: ("已注销", "cancelled"),
}
MOVE_NAMES: dict[CardMove, tuple[str, str]] = {
    CardMove.SEND_TO_PRODUCTION: ("送厂制卡", "send to production"), CardMove.ISSUE_ON_THE_SPOT: ("即时制卡", "issue on the spot"),
    CardMove.HAND_OUT: ("领卡", "hand out"), CardMove.ACTIVATE: ("启用", "activate"), CardMove.REPORT_LOST: ("挂失", "report lost"),
    CardMove.UNFREEZE: ("解除挂失", "unfreeze"), CardMove.REPLACE: ("补换", "replace"), CardMove.CANCEL: ("注销", "cancel"),
}


def state_name(state: str) -> tuple[str, str]:
    """A stored state's (Chinese, English) name; a value the table does not know reads as unknown, never raw."""
    try:
        return STATE_NAMES[CardState(state)]
    except ValueError:
        return "状态未知", "in an unknown state"


ALLOWED_MOVES: dict[tuple[CardState, CardMove], CardState] = {
    (CardState.APPLIED, CardMove.SEND_TO_PRODUCTION): CardState.IN_PRODUCTION,
    (CardState.APPLIED, CardMove.ISSUE_ON_THE_SPOT): CardState.ISSUED,
    (CardState.IN_PRODUCTION, CardMove.HAND_OUT): CardState.ISSUED,
    (CardState.ISSUED, CardMove.ACTIVATE): CardState.ACTIVE,
    (CardState.ISSUED, CardMove.REPORT_LOST): CardState.FROZEN,
    (CardState.ACTIVE, CardMove.REPORT_LOST): CardState.FROZEN,
    (CardState.FROZEN, CardMove.UNFREEZE): CardState.ACTIVE,
    (CardState.FROZEN, CardMove.REPLACE): CardState.REPLACED,
    (CardState.ACTIVE, CardMove.REPLACE): CardState.REPLACED,
    (CardState.APPLIED, CardMove.CANCEL): CardState.CANCELLED,
    (CardState.IN_PRODUCTION, CardMove.CANCEL): CardState.CANCELLED,
    (CardState.ISSUED, CardMove.CANCEL): CardState.CANCELLED,
    (CardState.ACTIVE, CardMove.CANCEL): CardState.CANCELLED,
    (CardState.FROZEN, CardMove.CANCEL): CardState.CANCELLED,
}

# A card in one of these states is the person's one valid card: a second application is refused.
VALID_STATES = (CardState.APPLIED, CardState.IN_PRODUCTION, CardState.ISSUED, CardState.ACTIVE, CardState.FROZEN)


def next_state(state: CardState, move: CardMove) -> CardState:
    """Where a move takes a card, or a refusal naming what is allowed from its state."""
    target = ALLOWED_MOVES.get((state, move))
    if target is None:
        moves = sorted((m for (s, m) in ALLOWED_MOVES if s == state), key=list(CardMove).index)
        allowed = sorted(m.value for m in moves) or ["none"]
        state_zh, state_en = STATE_NAMES[state]
        move_zh, move_en = MOVE_NAMES[move]
        allowed_zh = "、".join(MOVE_NAMES[m][0] for m in moves) or "无"
        allowed_en = ", ".join(MOVE_NAMES[m][1] for m in moves) or "nothing"
        raise Conflict("card.move_not_allowed", f"社保卡状态为“{state_zh}”，不能办理{move_zh}（可办理：{allowed_zh}）",
                       f"a card that is {state_en} does not allow “{move_en}”; allowed: {allowed_en}",
                       state=state.value, move=move.value, allowed=allowed)
    return target


def card_number_check(body: str) -> str:
    return luhn.calc_check_digit(body)


def check_card_number(text: str) -> str:
    """A card number: the issuing province's two digits, an eight-digit serial and a Luhn check digit."""
    number = (text or "").strip()
    if len(number) != 11 or not number.isdigit():
        raise InvalidInput("card.number_malformed", "社保卡号应为11位数字", "a card number has 11 digits")
    if not luhn.is_valid(number):
        raise InvalidInput("card.number_checksum", "社保卡号校验位错误", "the card number's check digit is wrong")
    return number


def check_bank_account(text: str) -> str:
    """A bank card account: 16 to 19 digits with a Luhn check digit."""
    number = "".join((text or "").split())
    if not 16 <= len(number) <= 19 or not number.isdigit():
        raise InvalidInput("bank_account.malformed", "银行账号应为16至19位数字", "a bank account number has 16 to 19 digits")
    if not luhn.is_valid(number):
        raise InvalidInput("bank_account.checksum", "银行账号校验位错误", "the bank account number's check digit is wrong")
    return number


def check_pin(pin: str, *, birth_date: date) -> str:
    """Six digits, and not one that anyone could guess: repeated, in sequence, or the birth date."""
    if not isinstance(pin, str) or len(pin) != 6 or not pin.isdigit():
        raise InvalidInput("pin.malformed", "密码应为6位数字", "a PIN has six digits")
    steps = {int(b) - int(a) for a, b in zip(pin, pin[1:])}
    guessable = {birth_date.strftime("%y%m%d"), birth_date.strftime("%m%d%y"), birth_date.strftime("%d%m%y"),
                 birth_date.strftime("%Y%m%d")[2:], birth_date.strftime("%Y")[2:] + birth_date.strftime("%m%d")}
    if len(set(pin)) == 1 or steps in ({1}, {-1}) or pin in guessable:
        raise InvalidInput("pin.obvious", "密码过于简单（重复、连续或出生日期），请重新设置",
                           "the PIN is too easy to guess (repeated, in sequence, or the birth date)")
    return pin
