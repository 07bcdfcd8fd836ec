"""How a risk case is worked and an overpayment recovered. Pure: no database, no clock, no files.

A case moves open → assigned → investigating → confirmed | cleared:
- assign: on an open, assigned or investigating case (reassigning keeps an investigation going);
- note: on any case not yet concluded; a note on an assigned case starts the investigation;
- evidence: once the case is assigned (someone is answerable for the file); it starts the investigation;
- conclude: once the case is assigned. Confirmed states the overpaid amount (0 when the finding was true but nothing
  was paid wrongly); cleared needs a reason. A concluded case takes nothing more: its money is worked as a recovery.

The overpaid amount is whole fen, 0 or more. It may exceed what the screening put at stake only with a reason (the
investigation found more months than the screening saw): the screening's figure is what a clerk checks against, and
a larger one without a word would look like a typing error.

A recovery owes `amount` and is reduced by repayments, offsets against later payments and write-offs; none may take
more than is outstanding, so recovered + written off never exceeds the amount, and it is settled at 0. An offset takes
at most `share` of one payment (risk.recovery.offset_max_share), rounded down so the cap is never passed by a fen.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from shebao.benefits.rules import deduction_fen
from shebao.core.errors import Conflict, Forbidden, InvalidInput, given_zh

STATUSES = ("open", "assigned", "investigating", "confirmed", "cleared")
CONCLUDED = ("confirmed", "cleared")
STATUS_NAMES = {"open": ("待分派", "open"), "assigned": ("已分派", "assigned"), "investigating": ("调查中", "investigating"),
                "confirmed": ("已查实", "confirmed"), "cleared": ("已排除", "cleared")}

ACTIONS: dict[str, tuple[str, ...]] = {
    "assign": ("open", "assigned", "investigating"),
    "note": ("open", "assigned", "investigating"),
    "evidence": ("assigned", "investigating"),
    "conclude": ("assigned", "investigating"),
}
ACTION_NAMES = {"assign": ("分派", "assign"), "note": ("记录核查情况", "add a note"), "evidence": ("上传证据", "file evidence"),
                "conclude": ("办结", "conclude")}

MAX_NOTE_CHARS = 2000  # risk_case_events.note
MAX_REASON_CHARS = 500  # risk_cases.conclusion_reason, movements' notes
MAX_REFERENCE_CHARS = 120
MAX_FILE_NAME_CHARS = 200
MAX_FEN = 10**15  # ten trillion yuan: more than any fund; beyond it an amount is a typing error, not money

MOVEMENTS = ("repayment", "offset", "write_off")
MOVEMENT_NAMES = {"repayment": ("退回", "repayment"), "offset": ("待遇抵扣", "offset"), "write_off": ("核销", "write-off")}
RECOVERY_STATUS_NAMES = {"open": ("追回中", "being recovered"), "settled": ("已结清", "settled")}

# What evidence may be: the file's first bytes decide, never its name or the type the sender claims.
SIGNATURES = ((b"%PDF-", "application/pdf"), (b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"),
              (b"II*\x00", "image/tiff"), (b"MM\x00*", "image/tiff"))
TEXT_TYPE = "text/plain"


def check_action(action: str, status: str) -> None:
    """Refuses an action the case's status does not allow, saying why."""
    if status in ACTIONS[action]:
        return
    zh, en = ACTION_NAMES[action]
    status_zh, status_en = STATUS_NAMES.get(status, (status, status))
    if status in CONCLUDED:
        raise Conflict("risk.case_concluded", f"该案件已办结（{status_zh}），不能再{zh}",
                       f"the case is concluded ({status_en}); it can no longer {en}",
                       status=status)
    raise Conflict("risk.case_not_assigned", f"案件尚未分派，不能{zh}：请先分派给经办人员",
                   f"the case is not assigned yet; assign it to a clerk before you {en}", status=status)


def check_not_own(*, person_id: int | None, actors: tuple[str, ...], case_person_id: int | None,
                  case_staff_actor: str | None) -> None:
    """No one works, or is given, a case about themselves: the case's person is their own person, or the staff member
    a staff rule concerns is them."""
    if (person_id is not None and person_id == case_person_id) or (case_staff_actor and case_staff_actor in actors):
        raise Forbidden("risk.own_case", "不能办理与本人有关的风险案件", "no one works a risk case about themselves")


def status_after(action: str, status: str) -> str:
    """The status an allowed action leaves: assigning an open case assigns it; a note or evidence on an assigned case
    starts the investigation; anything else keeps the status (concluding sets its own)."""
    if action == "assign" and status == "open":
        return "assigned"
    if action in ("note", "evidence") and status == "assigned":
        return "investigating"
    return status


def check_text(text: str | None, *, code: str, what_zh: str, what_en: str, limit: int) -> str:
    """A required free text (a note, a reason), stripped, non-empty and at most `limit` characters."""
    text = (text or "").strip()
    if not text or len(text) > limit or any(ord(c) < 32 and c not in "\n\t" for c in text):
        raise InvalidInput(code, f"请填写{what_zh}（不超过 {limit} 字，不含控制字符）",
                           f"give {what_en} (at most {limit} characters, no control characters)")
    return text


def check_note(note: str | None) -> str:
    return check_text(note, code="risk.note", what_zh="核查情况说明", what_en="a note of what was found",
                      limit=MAX_NOTE_CHARS)


@dataclass(frozen=True)
class Conclusion:
    status: str  # confirmed | cleared
    overpaid_fen: int | None
    reason: str | None


def check_conclusion(*, confirmed: bool, overpaid_fen: int | None, reason: str | None, at_stake_fen: int) -> Conclusion:
    """Cleared needs a reason and names no amount; confirmed states the overpaid fen (≥ 0), more than the screening put
    at stake only with a reason."""
    if not confirmed:
        if overpaid_fen is not None:
            raise InvalidInput("risk.cleared_amount", "排除的案件没有多领金额，请不要填写金额",
                               "a cleared case has no overpaid amount; leave it out")
        return Conclusion("cleared", None, check_text(reason, code="risk.clear_reason", what_zh="排除的理由",
                                                      what_en="the reason the case is cleared", limit=MAX_REASON_CHARS))
    if overpaid_fen is None or isinstance(overpaid_fen, bool) or not isinstance(overpaid_fen, int):
        raise InvalidInput("risk.overpaid", "查实的案件须填写多领金额（分，0 或以上的整数）",
                           "a confirmed case states the overpaid amount (whole fen, 0 or more)")
    if overpaid_fen < 0 or overpaid_fen > MAX_FEN:
        raise InvalidInput("risk.overpaid", f"多领金额应为 0 至 {MAX_FEN} 分的整数{given_zh(overpaid_fen)}",
                           f"the overpaid amount is whole fen from 0 to {MAX_FEN}", given=overpaid_fen)
    if reason is not None and reason.strip():
        reason = check_text(reason, code="risk.conclusion_reason", what_zh="查实的说明", what_en="a note on the finding",
                            limit=MAX_REASON_CHARS)
    else:
        reason = None
    if overpaid_fen > at_stake_fen and reason is None:
        raise InvalidInput("risk.overpaid_above_stake",
                           f"多领金额 {overpaid_fen} 分超过筛查认定的 {at_stake_fen} 分，请说明理由（如调查发现更多月份）",
                           f"the overpaid amount {overpaid_fen} fen exceeds the {at_stake_fen} fen the screening put at "
                           "stake; give the reason (e.g. the investigation found more months)",
                           overpaid_fen=overpaid_fen, at_stake_fen=at_stake_fen)
    return Conclusion("confirmed", overpaid_fen, reason)


# ------------------------------------------------------------------ recovery arithmetic


def outstanding(amount_fen: int, recovered_fen: int, written_off_fen: int) -> int:
    """What is still owed."""
    return amount_fen - recovered_fen - written_off_fen


def check_movement(*, kind: str, amount_fen: int, owed_fen: int, reference: str | None = None,
                   reason: str | None = None) -> tuple[int, str | None, str | None]:
    """A repayment (with its bank reference) or a write-off (with its reason): more than 0 and at most what is owed.
    Returns (amount, reference, reason) cleaned."""
    zh, en = MOVEMENT_NAMES[kind]
    if owed_fen <= 0:
        raise Conflict("risk.recovery_settled", "该追回已结清，没有欠款可以退回或核销",
                       "the recovery is settled; nothing is owed to repay or write off")
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int) or amount_fen <= 0:
        raise InvalidInput("risk.movement_amount", f"{zh}金额应为大于 0 的整数（分）{given_zh(amount_fen)}",
                           f"the {en} amount is whole fen above 0")
    if amount_fen > owed_fen:
        raise InvalidInput("risk.more_than_owed", f"{zh}金额 {amount_fen} 分超过尚欠的 {owed_fen} 分",
                           f"the {en} of {amount_fen} fen exceeds the {owed_fen} fen still owed",
                           amount_fen=amount_fen, owed_fen=owed_fen)
    if kind == "repayment":
        reference = check_text(reference, code="risk.reference", what_zh="银行流水号或缴款凭证号",
                               what_en="the bank reference of the repayment", limit=MAX_REFERENCE_CHARS)
    if kind == "write_off":
        reason = check_text(reason, code="risk.write_off_reason", what_zh="核销的理由（如债务人无财产可供执行）",
                            what_en="the reason for the write-off (e.g. the debtor has nothing to recover from)",
                            limit=MAX_REASON_CHARS)
    return amount_fen, reference, reason


def offset_fen(*, payment_fen: int, share: Decimal, owed_fen: int) -> int:
    """What one payment gives up towards the debt: the payroll's own arithmetic (benefits.rules.deduction_fen) — its
    `share`, rounded down (a cap is never passed), at most what is owed, never below 0."""
    return deduction_fen(payment_fen=payment_fen, share=share, owed_fen=owed_fen)


# ------------------------------------------------------------------ evidence files

_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\]")


def check_evidence(*, file_name: str | None, content: bytes, max_bytes: int) -> tuple[str, str]:
    """An evidence file: not empty, at most `max_bytes`, of a kind its first bytes show (PDF, PNG, JPEG, TIFF, or UTF-8
    text). Returns (the file's name as kept, its content type)."""
    name = (file_name or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    if not name or len(name) > MAX_FILE_NAME_CHARS or _UNSAFE_NAME.search(name):
        raise InvalidInput("risk.evidence_name", f"文件名应为 1 至 {MAX_FILE_NAME_CHARS} 个字符，不含控制字符",
                           f"the file name is 1 to {MAX_FILE_NAME_CHARS} characters without control characters")
    if not content:
        raise InvalidInput("risk.evidence_empty", "证据文件是空的", "the evidence file is empty")
    if len(content) > max_bytes:
        raise InvalidInput("risk.evidence_too_large", f"证据文件超过 {max_bytes} 字节的上限",
                           f"the evidence file exceeds the limit of {max_bytes} bytes",
                           size_bytes=len(content), max_bytes=max_bytes)
    return name, sniff(content)


def sniff(content: bytes) -> str:
    for signature, kind in SIGNATURES:
        if content.startswith(signature):
            return kind
    if b"\x00" not in content:
        try:
            content.decode("utf-8")
            return TEXT_TYPE
        except UnicodeDecodeError:
            pass
    raise InvalidInput("risk.evidence_type", "证据文件应为「PDF」文件、「PNG」「JPEG」「TIFF」图像或 UTF-8 文本",
                       "an evidence file is a PDF, a PNG, JPEG or TIFF image, or UTF-8 text")
