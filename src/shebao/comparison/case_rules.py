"""How a comparison case is worked: the outcomes a clerk may record for each list, which of them close the case, and
the reminder a new case sends. Pure: no database."""

from __future__ import annotations

from dataclasses import dataclass

from shebao.core.errors import Conflict, InvalidInput


@dataclass(frozen=True)
class Outcome:
    name: str
    zh: str
    en: str
    closes: bool  # a final outcome closes the case; "visited" records a visit and keeps it open


OUTCOMES: dict[str, Outcome] = {o.name: o for o in (
    Outcome("visited", "已走访，继续跟进", "visited, still being followed up", closes=False),
    Outcome("insured", "已参保", "now insured", closes=True),
    Outcome("not_required", "无需参保（已核实）", "not required to be insured (verified)", closes=True),
    Outcome("moved", "已迁出本地", "moved away", closes=True),
    Outcome("deceased", "已死亡", "deceased", closes=True),
    Outcome("stopped", "已停发待遇", "benefit stopped", closes=True),
    Outcome("recovered", "多发待遇已追回", "overpayment recovered", closes=True),
    Outcome("merged", "重复记录已合并或终止", "duplicate record merged or ended", closes=True),
    Outcome("registered", "单位已登记参保", "employer registered", closes=True),
    Outcome("declared", "单位已补报人员", "employer declared the missing employees", closes=True),
    Outcome("unlisted", "已不在名单中（复核比对）", "no longer on the list (a later comparison)", closes=True),
)}

# Which outcomes fit which list: a clerk cannot close a dead person's overpayment as "now insured".
OUTCOMES_BY_LIST: dict[str, tuple[str, ...]] = {
    "uninsured": ("visited", "insured", "not_required", "moved", "deceased"),
    "interrupted": ("visited", "insured", "not_required", "moved", "deceased"),
    "deceased_paid": ("visited", "stopped", "recovered", "not_required"),
    "prisoner_paid": ("visited", "stopped", "recovered", "not_required"),
    "duplicates": ("visited", "merged", "not_required"),
    "employers_unregistered": ("visited", "registered", "not_required", "moved"),
    "employers_under_declared": ("visited", "declared", "not_required"),
}

# Who a new case reminds, and how: the person or employer is asked to act; overpayments are the agency's own work.
REMINDED_LISTS = ("uninsured", "interrupted", "employers_unregistered", "employers_under_declared")

STATUS_NAMES = {"open": ("待处理", "open"), "working": ("处理中", "being worked"), "closed": ("已办结", "closed")}

MAX_NOTE_CHARS = 500


def check_outcome(*, list_kind: str, status: str, outcome: str, note: str) -> Outcome:
    """The outcome a clerk records on a case, refused when it does not fit the list or the case is closed."""
    if status == "closed":
        raise Conflict("compare.case_closed", "该核查任务已办结，不能再登记结果",
                       "the case is closed; no further outcome can be recorded")
    allowed = OUTCOMES_BY_LIST[list_kind]
    if outcome not in allowed or outcome == "unlisted":
        raise InvalidInput("compare.outcome", f"此类名单只能登记：{'、'.join(OUTCOMES[o].zh for o in allowed)}",
                           f"this list's cases take one of: {', '.join(allowed)}", allowed=list(allowed))
    note = note.strip()
    if not note or len(note) > MAX_NOTE_CHARS:
        raise InvalidInput("compare.note", f"请填写核查情况说明（不超过 {MAX_NOTE_CHARS} 字）",
                           f"say what was found (a note of at most {MAX_NOTE_CHARS} characters)")
    return OUTCOMES[outcome]


def reminder(list_kind: str, name: str | None) -> tuple[str, str]:
    """The reminder a new case sends its person or employer, (Chinese, English)."""
    who = name or ""
    return {
        "uninsured": (f"{who}您好：您尚未参加基本养老保险。请携带身份证到户籍或居住地社保经办机构或登录网上服务平台办理参保登记。",
                      "You are not yet in a basic pension scheme. Please register at your local social insurance "
                      "agency or online."),
        "interrupted": (f"{who}您好：您的养老保险已连续数月未缴费。断缴会影响缴费年限和待遇，请尽快续缴或咨询经办机构。",
                        "Your pension contributions have stopped for several months; gaps reduce your insured years "
                        "and benefits. Please resume paying or ask your agency."),
        "employers_unregistered": (f"{who}：贵单位已依法设立但尚未办理社会保险登记。请依照《社会保险法》第五十七条办理登记，为职工参保。",
                                   "Your enterprise has not registered for social insurance. Please register and "
                                   "insure your employees (Social Insurance Law, art. 57)."),
        "employers_under_declared": (f"{who}：税务数据显示贵单位的职工人数多于参保人数。请核实并为未参保职工补办参保。",
                                     "Tax records show more employees than you insure. Please check and insure the "
                                     "employees missing."),
    }[list_kind]
