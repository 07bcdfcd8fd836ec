"""Transfer rules, pure: the steps a transfer moves through and their deadlines in working days, the amounts the
old province sends, whether a move opens a temporary account, the province that pays the pension, and what a
scheme conversion carries. No database, no clock: dates and parameters come in.

Sources (POLICY.md § Transfers): 国办发〔2009〕66号《城镇企业职工基本养老保险关系转移接续暂行办法》 (arts. 4–6: the
amounts, the temporary account, the place of benefit), 人社部发〔2009〕187号 (the procedure and its 15-working-day
windows), 人社部发〔2014〕17号《城乡养老保险制度衔接暂行办法》 (employee ↔ residents' pension)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from shebao.core.arithmetic import RATE_DENOMINATOR, divide_half_up, rate_numerator
from shebao.core.errors import Conflict, InvalidInput, given_zh
from shebao.core.money import fen_to_yuan
from shebao.core.periods import Period

# --- The steps of a transfer: one table of allowed moves --------------------------------------------------------

class Step(StrEnum):
    APPLIED = "applied"  # the person applied in the new province (online or at a counter)
    LETTER_SENT = "letter_sent"  # the new province sent the transfer contact letter (联系函)
    CHECKED = "checked"  # the old province checked the letter and fixed the amounts
    FUNDS_SENT = "funds_sent"  # the old province sent the funds (and the record)
    RECEIVED = "received"  # the new province received them
    COMPLETED = "completed"  # the record continues in the new province
    REFUSED = "refused"  # refused, with a reason, before any money moved


class Side(StrEnum):
    NEW = "new"  # the province the person moves to (or the place of benefit, for a gathering)
    OLD = "old"  # the province the relationship (or the temporary account) is in


# From each step, the steps that may follow and who takes them. Once funds are sent there is no refusal: the
# money is in transit and must arrive.
MOVES: dict[Step, dict[Step, Side]] = {
    Step.APPLIED: {Step.LETTER_SENT: Side.NEW, Step.REFUSED: Side.NEW},
    Step.LETTER_SENT: {Step.CHECKED: Side.OLD, Step.REFUSED: Side.OLD},
    Step.CHECKED: {Step.FUNDS_SENT: Side.OLD, Step.REFUSED: Side.OLD},
    Step.FUNDS_SENT: {Step.RECEIVED: Side.NEW},
    Step.RECEIVED: {Step.COMPLETED: Side.NEW},
    Step.COMPLETED: {},
    Step.REFUSED: {},
}
OPEN_STEPS = frozenset(step for step, moves in MOVES.items() if moves)

# The step whose date a step's deadline counts from (人社部发〔2009〕187号: the letter within 15 working days of the
# application; the old province's check and sending within 15 working days of the letter; the new province's
# completion within 15 working days of receiving). The deadlines themselves are parameters
# (transfers.deadline_working_days).
DEADLINE_FROM: dict[Step, Step] = {
    Step.LETTER_SENT: Step.APPLIED,
    Step.CHECKED: Step.LETTER_SENT,
    Step.FUNDS_SENT: Step.LETTER_SENT,
    Step.RECEIVED: Step.FUNDS_SENT,
    Step.COMPLETED: Step.RECEIVED,
}

STEP_NAMES: dict[Step, tuple[str, str]] = {
    Step.APPLIED: ("已申请", "applied"),
    Step.LETTER_SENT: ("已发联系函", "contact letter sent"),
    Step.CHECKED: ("转出地已审核", "checked by the old province"),
    Step.FUNDS_SENT: ("基金已转出", "funds sent"),
    Step.RECEIVED: ("基金已到账", "funds received"),
    Step.COMPLETED: ("已办结", "completed"),
    Step.REFUSED: ("已拒绝", "refused"),
}


def require_move(current: Step, wanted: Step) -> Side:
    """The side that takes `wanted` from `current`, or a refusal naming the steps that may follow."""
    allowed = MOVES[current]
    if wanted not in allowed:
        names_zh = "、".join(STEP_NAMES[s][0] for s in allowed) or "无（已结束）"
        names_en = ", ".join(s.value for s in allowed) or "none (it is over)"
        raise Conflict("transfer.out_of_order",
                       f"转移当前为“{STEP_NAMES[current][0]}”，不能办理“{STEP_NAMES[wanted][0]}”；下一步可为：{names_zh}",
                       f"the transfer is at '{current.value}'; '{wanted.value}' cannot follow; next may be: {names_en}",
                       step=current.value, wanted=wanted.value, allowed=[s.value for s in allowed])
    return allowed[wanted]


# --- Working days -----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Calendar:
    """The official calendar: public holidays that fall on weekdays, and weekend days made working days (调休)."""

    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()

    def is_working_day(self, day: date) -> bool:
        return day in self.workdays or (day.weekday() < 5 and day not in self.holidays)

    def add_working_days(self, start: date, days: int) -> date:
        """The day `days` working days after `start` (the start itself not counted)."""
        day, left = start, days
        while left > 0:
            day += timedelta(days=1)
            if self.is_working_day(day):
                left -= 1
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """Working days after `start` up to and including `end` (0 when end is not after start)."""
        count, day = 0, start
        while day < end:
            day += timedelta(days=1)
            count += self.is_working_day(day)
        return count


def due_on(calendar: Calendar, step: Step, dates: dict[Step, date], deadlines: dict[str, int]) -> date | None:
    """When `step` is due, counted in working days from the step its deadline runs from, once that has happened."""
    start = DEADLINE_FROM.get(step)
    if start is None or start not in dates or step.value not in deadlines:
        return None
    return calendar.add_working_days(dates[start], deadlines[step.value])


# --- The amounts the old province sends ------------------------------------------------------------------------

@dataclass(frozen=True)
class MonthBase:
    period: str
    base_fen: int


@dataclass(frozen=True)
class TransferAmount:
    pooled_fen: int
    personal_account_fen: int
    months_counted: int
    base_sum_fen: int
    steps: list[dict] = field(default_factory=list)

    @property
    def total_fen(self) -> int:
        return self.pooled_fen + self.personal_account_fen

    def as_dict(self) -> dict:
        return {"pooled_fen": self.pooled_fen, "personal_account_fen": self.personal_account_fen,
                "total_fen": self.total_fen, "months_counted": self.months_counted, "steps": self.steps,
                "base_sum_fen": self.base_sum_fen, "pooled_yuan": fen_to_yuan(self.pooled_fen),
                "personal_account_yuan": fen_to_yuan(self.personal_account_fen), "total_yuan": fen_to_yuan(self.total_fen)}


def check_months(months: Sequence[MonthBase]) -> list[tuple[Period, int]]:
    """Each month a valid YYYYMM, once, with a whole, non-negative base in fen; sorted."""
    seen: dict[Period, int] = {}
    for index, month in enumerate(months):
        period = Period.parse(month.period)
        if isinstance(month.base_fen, bool) or not isinstance(month.base_fen, int) or month.base_fen < 0:
            raise InvalidInput("transfer.base", f"第 {index + 1} 个月的缴费基数应为非负整数（分）{given_zh(month.base_fen)}",
                               f"month {index + 1}: a base is a non-negative whole number of fen: {month.base_fen!r}",
                               period=month.period)
        if period in seen:
            raise InvalidInput("transfer.month_repeated", f"缴费月份 {period} 重复出现",
                               f"the month {period} appears twice", period=str(period))
        seen[period] = month.base_fen
    return sorted(seen.items())


def pooled_part(base_sum_fen: int, pooled_rate: Decimal) -> int:
    """`pooled_rate` (12%) of a sum of bases, half up to the fen once, no interest."""
    return divide_half_up(base_sum_fen * rate_numerator(pooled_rate), RATE_DENOMINATOR)


def transfer_amount(months: Sequence[MonthBase], personal_account_fen: int, *, pooled_rate: Decimal,
                    pooled_from: Period) -> TransferAmount:
    """What the old province sends (国办发〔2009〕66号 art. 4): the whole personal account, and from its pooling fund
    `pooled_rate` (12%) of the sum of the actual monthly bases from `pooled_from` (1998-01), by month, no interest;
    rounded half up to the fen once, on the sum."""
    if isinstance(personal_account_fen, bool) or not isinstance(personal_account_fen, int) or personal_account_fen < 0:
        raise InvalidInput("transfer.personal_account", f"个人账户金额应为非负整数（分）{given_zh(personal_account_fen)}",
                           f"the personal account is a non-negative whole number of fen: {personal_account_fen!r}")
    checked = check_months(months)
    counted = [(period, base) for period, base in checked if period >= pooled_from and base > 0]
    before = sum(1 for period, base in checked if period < pooled_from and base > 0)
    months_step = _step(
        "months_counted", len(counted), f"{pooled_from} 起实际缴费 {len(counted)} 个月计入统筹基金转移"
        + (f"（{pooled_from} 前的 {before} 个月不计）" if before else ""),
        f"{len(counted)} paid months from {pooled_from} count for the pooled part"
        + (f" (the {before} months before {pooled_from} do not)" if before else ""))
    account_step = ("个人账户储存额全部转移 {yuan} 元（1998 年前为个人缴费本息，1998 年起为记账余额）",
                    "the whole personal account moves: {yuan} yuan (before 1998 the personal contributions with "
                    "interest, from 1998 the recorded balance)")
    return _amount(len(counted), sum(base for _, base in counted), personal_account_fen, pooled_rate, months_step,
                   account_step)


def held_amount(*, province: str, months: int, base_sum_fen: int, personal_account_fen: int,
                pooled_rate: Decimal) -> TransferAmount:
    """The same rule over what a province holds of a person (its months since 1998-01 and their bases, and its part
    of the personal account), as the old province computes it from its ledger when it checks a letter."""
    months_step = _step("months_counted", months, f"{province} 持有 1998 年 1 月起的缴费 {months} 个月",
                        f"{province} holds {months} paid months from 1998-01")
    account_step = (f"{province} 记账的个人账户储存额全部转移 {{yuan}} 元", f"the personal account {province} holds moves "
                    "whole: {yuan} yuan")
    return _amount(months, base_sum_fen, max(personal_account_fen, 0), pooled_rate, months_step, account_step)


def _amount(months: int, base_sum: int, account: int, pooled_rate: Decimal, months_step: dict,
            account_step: tuple[str, str]) -> TransferAmount:
    """The pooled part of the bases and the whole account, with each step explained."""
    pooled = pooled_part(base_sum, pooled_rate)
    percent = f"{pooled_rate * 100:f}".rstrip("0").rstrip(".") + "%"
    steps = [
        months_step,
        _step("base_sum", base_sum, f"各月实际缴费基数之和 {fen_to_yuan(base_sum)} 元",
              f"the actual monthly bases add up to {fen_to_yuan(base_sum)} yuan"),
        _step("pooled", pooled, f"统筹基金转移额 = {fen_to_yuan(base_sum)} × {percent} = {fen_to_yuan(pooled)} 元（四舍五入到分，不计利息；"
              "国办发〔2009〕66号第四条）",
              f"pooled part = {fen_to_yuan(base_sum)} × {percent} = {fen_to_yuan(pooled)} yuan (half up to the fen, no "
              "interest; 国办发〔2009〕66号 art. 4)"),
        _step("personal_account", account, account_step[0].format(yuan=fen_to_yuan(account)),
              account_step[1].format(yuan=fen_to_yuan(account))),
        _step("total", pooled + account, f"合计转移 {fen_to_yuan(pooled + account)} 元",
              f"{fen_to_yuan(pooled + account)} yuan move in all"),
    ]
    return TransferAmount(pooled, account, months, base_sum, steps)


NOTHING_MOVES = TransferAmount(0, 0, 0, 0, [{
    "name": "temporary", "value": 0, "explanation": "建立临时缴费账户：养老保险关系和基金都不转移，留在原参保地",
    "explanation_en": "a temporary account: neither the relationship nor the funds move; they stay where they were"}])


def _step(name: str, value: int, zh: str, en: str) -> dict:
    return {"name": name, "value": value, "explanation": zh, "explanation_en": en}


# --- Temporary accounts -------------------------------------------------------------------------------------------

def age_in_years(birth_date: date, on: date) -> int:
    return on.year - birth_date.year - ((on.month, on.day) < (birth_date.month, birth_date.day))


def opens_temporary_account(*, sex: str, birth_date: date, on: date, hukou_province: str, to_province: str,
                            men_from_age: int, women_from_age: int) -> bool:
    """国办发〔2009〕66号 art. 5: a man aged 50+ or a woman aged 40+ who moves to a province other than their hukou
    province keeps the relationship where it is and pays into a temporary account in the new one."""
    if to_province == hukou_province:
        return False
    return age_in_years(birth_date, on) >= (men_from_age if sex == "M" else women_from_age)


# --- The place of benefit (国办发〔2009〕66号 art. 6) ------------------------------------------------------------

@dataclass(frozen=True)
class Spell:
    """A stretch of contributions in one region, months inclusive; `temporary` when paid into a temporary account."""

    region: str
    start: Period
    end: Period
    temporary: bool = False

    @property
    def province(self) -> str:
        return self.region[:2] + "0000"

    @property
    def months(self) -> int:
        return self.start.months_until(self.end) + 1


def check_history(spells: Iterable[Spell]) -> list[Spell]:
    """The spells in order, each ending no earlier than it starts, none overlapping another."""
    ordered = sorted(spells, key=lambda s: (s.start, s.end))
    for spell in ordered:
        if spell.end < spell.start:
            raise InvalidInput("history.backwards", f"{spell.region} 的参保期 {spell.start}–{spell.end} 结束早于开始",
                               f"the spell in {spell.region} ends ({spell.end}) before it starts ({spell.start})")
    for earlier, later in zip(ordered, ordered[1:]):
        if later.start <= earlier.end:
            raise InvalidInput("history.overlap",
                               f"参保期重叠：{earlier.region} {earlier.start}–{earlier.end} 与 {later.region} "
                               f"{later.start}–{later.end}",
                               f"overlapping spells: {earlier.region} {earlier.start}-{earlier.end} and {later.region} "
                               f"{later.start}-{later.end}",
                               first=f"{earlier.start}-{earlier.end}", second=f"{later.start}-{later.end}")
    return ordered


@dataclass(frozen=True)
class Place:
    province: str
    rule: int
    reason: str
    reason_en: str
    months_by_province: dict[str, int]
    relationship_province: str

    def as_dict(self) -> dict:
        return {"province": self.province, "rule": self.rule, "reason": self.reason, "reason_en": self.reason_en,
                "months_by_province": self.months_by_province, "relationship_province": self.relationship_province}


def relationship_province(spells: Sequence[Spell], hukou_province: str) -> str:
    """Where the pension relationship is: the province of the last spell that was not a temporary account (a
    temporary account leaves the relationship where it was); the first spell's when every one was temporary; the
    hukou province with no record at all."""
    ordered = check_history(spells)
    settled = [s for s in ordered if not s.temporary]
    if settled:
        return settled[-1].province
    return ordered[0].province if ordered else hukou_province


def benefit_place(*, hukou_province: str, spells: Sequence[Spell], minimum_months: int,
                  relationship: str | None = None) -> Place:
    """The province that pays the pension, by the four rules, counted by province (two cities of one province add
    up): (1) the hukou province if the relationship is there; (2) else the relationship's province if it has
    `minimum_months` (10 years); (3) else the last province with 10+ years that were not a temporary account; (4) else
    the hukou province, with every record and fund moved there. Where the relationship is comes from the spells (the
    last one not paid into a temporary account) unless the caller knows it (`relationship`: a move completed before
    any month was paid in the new province)."""
    ordered = check_history(spells)
    months: dict[str, int] = {}
    settled_months: dict[str, int] = {}
    last_settled: dict[str, Period] = {}
    for spell in ordered:
        months[spell.province] = months.get(spell.province, 0) + spell.months
        if not spell.temporary:
            settled_months[spell.province] = settled_months.get(spell.province, 0) + spell.months
            last_settled[spell.province] = max(last_settled.get(spell.province, spell.end), spell.end)
    here = relationship or relationship_province(ordered, hukou_province)
    years = minimum_months // 12
    if here == hukou_province and ordered:
        return Place(hukou_province, 1, f"养老保险关系在户籍所在地 {hukou_province}，由户籍所在地办理",
                     f"the relationship is in the hukou province {hukou_province}, which pays", months, here)
    if months.get(here, 0) >= minimum_months:
        return Place(here, 2, f"养老保险关系所在地 {here} 累计缴费 {months[here]} 个月，满 {years} 年，由该地办理",
                     f"{months[here]} months where the relationship is ({here}), {years} years or more: it pays",
                     months, here)
    eligible = [p for p, count in settled_months.items() if count >= minimum_months]
    if eligible:
        last = max(eligible, key=lambda p: last_settled[p])
        return Place(last, 3, f"关系所在地不满 {years} 年；{last} 是最后一个累计缴费满 {years} 年（非临时账户）的参保地",
                     f"fewer than {years} years where the relationship is; {last} is the last province with {years}+ "
                     "years not in a temporary account", months, here)
    return Place(hukou_province, 4, f"各地累计缴费均不满 {years} 年，由户籍所在地 {hukou_province} 办理，各地记录和基金转入户籍地",
                 f"no province has {years} years: the hukou province {hukou_province} pays, and every record and fund "
                 "moves there", months, here)


# --- Scheme conversion (人社部发〔2014〕17号) ------------------------------------------------------------------------

class Direction(StrEnum):
    TO_EMPLOYEE = "to_employee"  # residents' pension → employee pension
    TO_RESIDENT = "to_resident"  # employee pension → residents' pension


@dataclass(frozen=True)
class Conversion:
    direction: Direction
    allowed: bool
    reason: str
    reason_en: str
    pooled_moves: bool  # whether the pooled part goes along (it never does: 17号 art. 5)
    months_counted_in_target: int  # the months the target scheme counts from the source's


def conversion(direction: Direction, *, employee_months: int, resident_months: int, minimum_months: int,
               at_retirement_age: bool) -> Conversion:
    """人社部发〔2014〕17号: after reaching the statutory age, someone with 15+ years in the employee scheme moves the
    residents' personal account into it (the residents' years are not counted, art. 3); someone with fewer moves
    the employee personal account into the residents' scheme, whose years then count the employee years (art. 4);
    the pooled part never moves (art. 5)."""
    years = minimum_months // 12
    if not at_retirement_age:
        return Conversion(direction, False, "城乡养老保险制度衔接在达到法定退休年龄后申请",
                          "a conversion is applied for after reaching the statutory retirement age", False, 0)
    if direction == Direction.TO_EMPLOYEE:
        if employee_months < minimum_months:
            return Conversion(direction, False, f"职工养老保险缴费不满 {years} 年（{employee_months} 个月），应转入城乡居民养老保险",
                              f"fewer than {years} years in the employee scheme ({employee_months} months): it converts "
                              "into the residents' scheme instead", False, 0)
        return Conversion(direction, True, "城乡居民养老保险个人账户全部储存额并入职工养老保险个人账户，居民缴费年限不计入",
                          "the residents' personal account joins the employee one; the residents' years are not counted",
                          False, 0)
    if employee_months >= minimum_months:
        return Conversion(direction, False, f"职工养老保险已缴满 {years} 年，应在职工养老保险领取待遇",
                          f"{years}+ years in the employee scheme: the pension is drawn there", False, 0)
    return Conversion(direction, True, f"职工养老保险个人账户全部储存额转入城乡居民养老保险，{employee_months} 个月合并计算为居民缴费年限",
                      f"the employee personal account moves into the residents' scheme; its {employee_months} months count "
                      "as residents' years", False, employee_months)
