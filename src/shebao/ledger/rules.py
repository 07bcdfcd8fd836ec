"""Ledger rules: what makes an entry acceptable, and the year's interest on a personal account. Pure functions
over plain values; the interest steps over `Number`s (core.arithmetic), so that the crediting batch (batch.py)
applies to its columns the formula a person's figures give in Python, and the calculator (`shebao interest calc`)
explains the same figures step by step."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from shebao.core.arithmetic import RATE_DENOMINATOR, Number, at_least, clamp, divide_half_up
from shebao.core.errors import InvalidInput, given_zh
from shebao.core.money import fen_to_yuan


class AccountKind(StrEnum):
    """What an account is for; the sign convention is debit positive, credit negative."""

    PERSONAL_ACCOUNT = "personal_account"  # a person's pension personal account (a liability to the person)
    POOLING_FUND = "pooling_fund"  # one per insurance and province
    NATIONAL_FUND = "national_fund"  # the national fund's one account
    RECEIVABLE = "receivable"  # what an employer or a flexible worker owes
    CASH = "cash"  # money at the collecting bank
    CLEARING = "clearing"  # billed but not yet paid contributions
    INTEREST = "interest"  # interest credited to personal accounts, by province
    BENEFIT_PAYABLE = "benefit_payable"  # benefits owed and not yet paid out (held months included), by province
    REFUND_PAYABLE = "refund_payable"  # contributions approved for refund, not yet paid out by the bank, by province
    BROUGHT_FORWARD = "brought_forward"  # balances taken over from a legacy system's archive, by province
    PAYOUT_TRANSIT = "payout_transit"  # paid to receivers, in a bank batch not yet released: still in cash, by province
    TRANSFER_TRANSIT = "transfer_transit"  # transfer funds sent by one province and not yet received by another (national)


@dataclass(frozen=True)
class Line:
    account_id: int
    amount_fen: int  # debit > 0, credit < 0


def check_lines(lines: Sequence[Line]) -> None:
    """An entry has at least two lines of whole, non-zero fen, and its debits equal its credits."""
    if len(lines) < 2:
        raise InvalidInput("entry.too_few_lines", "一笔分录至少有借贷两行", "an entry has at least a debit and a credit line")
    for line in lines:
        if isinstance(line.amount_fen, bool) or not isinstance(line.amount_fen, int):
            raise InvalidInput("entry.amount_not_integer", f"金额必须是整数（分）{given_zh(line.amount_fen)}",
                               f"amounts are whole fen: {line.amount_fen!r}")
        if line.amount_fen == 0:
            raise InvalidInput("entry.zero_line", "分录行金额不能为零", "a line of zero fen says nothing")
    debits = sum(line.amount_fen for line in lines if line.amount_fen > 0)
    credits = -sum(line.amount_fen for line in lines if line.amount_fen < 0)
    if debits != credits:
        raise InvalidInput("entry.unbalanced", f"借贷不平：借方 {debits} 分，贷方 {credits} 分",
                           f"debits {debits} fen do not equal credits {credits} fen", debits=debits, credits=credits)


def reversal_of(lines: Sequence[Line]) -> list[Line]:
    """The lines that undo an entry: the same accounts with the signs turned."""
    return [Line(line.account_id, -line.amount_fen) for line in lines]


# --- Year-end interest (记账利息): one formula, two shapes ---------------------------------------------------
# The national method (劳办发〔1997〕116号《职工基本养老保险个人账户管理暂行办法》; POLICY.md § Personal account
# interest), for year Y at the crediting rate r (in millionths), per account:
#
#   monthly products (月积数法, national):  interest = (opening × 12 + Σ credit_n × (12 − n + 1)) × r / 12
#   yearly shortcut (年度计息法, a province's option):
#                                           interest = opening × r + Σ credits × r × 1.083 × ½
#
# Both are one integer form: a numerator in fen × parts of a year over the year's parts (12 months, or 2,000 for
# the shortcut's published 1.083 × ½ = 1,083 / 2,000 — 1.083 taken literally, not as 13/12), times the rate in
# millionths, rounded half up to the fen once, at the end, per account and year:
#
#   interest = half_up(max(opening × parts + Σ credit × weight, 0) × r_millionths / (parts × 10⁶))
#
# weight = the months a credit earns (monthly: 13 − n, or 12 − n where a province credits from the month after)
# or 1,083 (yearly, whatever the month). An account whose balance, weighted over the year, is not above zero
# (drawn down by its pension) earns nothing. tests/integration/test_interest_formula_properties.py holds the
# batch and the Python shape equal to the fen.
MONTHS_PER_YEAR = 12
YEARLY_FACTOR_THOUSANDTHS = 1083  # the yearly shortcut's published 1.083 (≈ 13/12, the 78/72 of twelve equal credits)
YEARLY_PARTS = 2 * 1000  # × 1.083 × ½ = × 1,083 / 2,000
AFTER_THE_YEAR = MONTHS_PER_YEAR + 1  # the "month" of a credit for a month after the year: it earns nothing in it


class InterestMethod(StrEnum):
    """pension.interest_method: how a year's interest is computed."""

    MONTHLY = "monthly"  # 月积数法: each month's credits earn their months (national)
    YEARLY = "yearly"  # 年度计息法: the year's credits earn r × 1.083 × ½ whatever their month (a province's option)


class WithinYearRule(StrEnum):
    """pension.crediting_within_year_rule: the months a credit of month n earns in its own year (monthly products)."""

    MONTHS_INCLUDING_CREDIT_MONTH = "months_including_credit_month"  # 12 − n + 1: national, 劳办发〔1997〕116号
    MONTHS_REMAINING_AFTER_CREDIT = "months_remaining_after_credit"  # 12 − n: from the month after (次月计息)


class CreditMonth(StrEnum):
    """pension.interest_credit_month: which month of a credit counts as its month n."""

    CONTRIBUTION_MONTH = "contribution_month"  # the month the money is for (a bill's period), else when posted
    POSTING_MONTH = "posting_month"  # the month the money was posted to the account


METHOD_NAMES = {InterestMethod.MONTHLY: ("月积数法", "monthly products"),
                InterestMethod.YEARLY: ("年度计息法", "yearly shortcut")}


@dataclass(frozen=True)
class InterestRule:
    """The parameters of the year's interest in force for a province and year; the national rule by default."""

    method: InterestMethod = InterestMethod.MONTHLY
    within_year: WithinYearRule = WithinYearRule.MONTHS_INCLUDING_CREDIT_MONTH
    credit_month: CreditMonth = CreditMonth.CONTRIBUTION_MONTH

    @property
    def parts(self) -> int:
        """The parts of a year the numerator counts in: months, or the yearly shortcut's two-thousandths."""
        return MONTHS_PER_YEAR if self.method == InterestMethod.MONTHLY else YEARLY_PARTS

    @property
    def name(self) -> str:
        """What interest_credits and interest_corrections record beside each account's figures."""
        if self.method == InterestMethod.YEARLY:
            return InterestMethod.YEARLY.value
        return f"{self.method.value}:{self.within_year.value}:{self.credit_month.value}"


NATIONAL_RULE = InterestRule()


def interest_rule(method: str, within_year: str, credit_month: str) -> InterestRule:
    """The rule from its three parameters' values, refusing one the code does not know."""
    try:
        return InterestRule(InterestMethod(method), WithinYearRule(within_year), CreditMonth(credit_month))
    except ValueError:
        raise InvalidInput("interest.rule", f"不支持的计息规则：「{method}」「{within_year}」「{credit_month}」",
                           f"unsupported interest rule: {method}, {within_year}, {credit_month}") from None


def month_index(year: Number, month: Number) -> Number:
    """A month as a count of months (year × 12 + month), so that months of different years compare and subtract."""
    return year * MONTHS_PER_YEAR + month


def credit_month(counted_from: Number, year: int) -> Number:
    """The month n (1-13) of year Y from which a credit counts, given the month it counts from as a month_index:
    its own month within the year; 1 for a month of an earlier year (money for 2023 paid in 2024 enters 2024's
    credits and earns the whole year, 劳办发〔1997〕116号 counting from the month it is for, as early as the year
    allows); 13 for a month after the year (it earns nothing in it, and the whole next year as opening balance)."""
    return clamp(counted_from - month_index(year, 0), 1, AFTER_THE_YEAR)


def months_earning(month: Number, within_year: WithinYearRule = WithinYearRule.MONTHS_INCLUDING_CREDIT_MONTH) -> Number:
    """The months of interest a credit of month n (1-13) earns in its own year: 12 − n + 1 (national: a January
    credit earns 12, a December one 1), or 12 − n (from the month after); never fewer than none."""
    first = 1 if within_year == WithinYearRule.MONTHS_INCLUDING_CREDIT_MONTH else 0
    return at_least(MONTHS_PER_YEAR + first - month, 0)


def weighted_credit(credited_fen: Number, month: Number, rule: InterestRule = NATIONAL_RULE) -> Number:
    """A credit of month n in the rule's parts of a year: the amount × the months it earns (monthly), or × 1,083
    (the yearly shortcut's 1.083, in thousandths, with its ½ in the 2,000 parts)."""
    if rule.method == InterestMethod.YEARLY:
        return credited_fen * YEARLY_FACTOR_THOUSANDTHS
    return credited_fen * months_earning(month, rule.within_year)


def interest_fen(opening_fen: Number, weighted_fen: Number, rate_millionths: Number,
                 rule: InterestRule = NATIONAL_RULE) -> Number:
    """(opening × parts + weighted) × r / parts, rounded half up to the fen; an account whose balance, weighted
    over the year, is not above zero earns nothing. The rate is never negative."""
    return divide_half_up(at_least(opening_fen * rule.parts + weighted_fen, 0) * rate_millionths,
                          rule.parts * RATE_DENOMINATOR)


def year_interest_fen(opening_fen: int, credits: Iterable[tuple[int, int]], rate_millionths: int,
                      rule: InterestRule = NATIONAL_RULE) -> int:
    """One account's interest for a year from its opening balance and its (month n, credited fen) of the year
    (a withdrawal is a negative credit): what the crediting batch computes for the account in SQL."""
    weighted = sum(weighted_credit(amount, month, rule) for month, amount in credits)
    return interest_fen(opening_fen, weighted, rate_millionths, rule)


# --- The calculator's explanation (shebao interest calc, POST /api/v1/interest/calc) -------------------------

def explain_interest(opening_fen: int, credits: Sequence[tuple[int, int]], rate_millionths: int,
                     rule: InterestRule = NATIONAL_RULE) -> dict:
    """One account's year, explained: each figure of the rule above with how it was reached, in Chinese and
    English, amounts in fen and in yuan. The interest is year_interest_fen's, the figure the batch credits."""
    rate = Decimal(rate_millionths) / RATE_DENOMINATOR
    percent = f"{rate * 100:f}".rstrip("0").rstrip(".") + "%"
    credited = sum(amount for _, amount in credits)
    weighted = sum(weighted_credit(amount, month, rule) for month, amount in credits)
    interest = year_interest_fen(opening_fen, credits, rate_millionths, rule)
    closing = opening_fen + credited + interest
    zh_method, en_method = METHOD_NAMES[rule.method]
    steps = [_step("rate", str(rate), None, f"记账利率 {percent}（{zh_method}）",
                   f"crediting rate {percent} a year ({en_method})")]
    if rule.method == InterestMethod.MONTHLY:
        steps += _monthly_steps(opening_fen, credits, rule)
    else:
        steps += _yearly_steps(opening_fen, credited, rate, percent)
    numerator = opening_fen * rule.parts + weighted
    exact = Decimal(max(numerator, 0) * rate_millionths) / (rule.parts * RATE_DENOMINATOR)
    if numerator <= 0:
        steps.append(_step("interest", interest, _yuan(interest), "全年加权余额不为正（已领取待遇冲减），不计息",
                           "the balance weighted over the year is not above zero (drawn down by a pension): no interest"))
    elif rule.method == InterestMethod.MONTHLY:
        steps.append(_step("interest", interest, _yuan(interest),
                           f"积数合计 {_yuan(numerator)} 元·月 × {percent} ÷ 12 = {_yuan_exact(exact)} 元，四舍五入到分",
                           f"{_yuan(numerator)} yuan-months × {percent} / 12 = {_yuan_exact(exact)} yuan, rounded half up "
                           "to the fen"))
    else:
        steps.append(_step("interest", interest, _yuan(interest),
                           f"两项相加 {_yuan_exact(exact)} 元，四舍五入到分",
                           f"the two together, {_yuan_exact(exact)} yuan, rounded half up to the fen"))
    steps.append(_step("closing", closing, _yuan(closing),
                       f"年末余额 = 上年末余额 {fen_to_yuan(opening_fen)} + 当年记账额 {fen_to_yuan(credited)} + 利息 "
                       f"{fen_to_yuan(interest)} 元",
                       f"closing = opening {fen_to_yuan(opening_fen)} + the year's credits {fen_to_yuan(credited)} + "
                       f"interest {fen_to_yuan(interest)} yuan"))
    return {"interest_fen": interest, "closing_fen": closing, "interest_yuan": fen_to_yuan(interest),
            "closing_yuan": fen_to_yuan(closing), "opening_fen": opening_fen, "credits_fen": credited,
            "rate": str(rate), "method": rule.method.value, "within_year_rule": rule.within_year.value,
            "rule": rule.name, "steps": steps}


def _monthly_steps(opening_fen: int, credits: Sequence[tuple[int, int]], rule: InterestRule) -> list[dict]:
    including = rule.within_year == WithinYearRule.MONTHS_INCLUDING_CREDIT_MONTH
    steps = [_step("opening_product", opening_fen * MONTHS_PER_YEAR, _yuan(opening_fen * MONTHS_PER_YEAR),
                   f"上年末余额 {fen_to_yuan(opening_fen)} 元计息 12 个月，积数 {_yuan(opening_fen * MONTHS_PER_YEAR)} 元·月",
                   f"the opening balance {fen_to_yuan(opening_fen)} yuan earns 12 months: "
                   f"{_yuan(opening_fen * MONTHS_PER_YEAR)} yuan-months")]
    for month, amount in sorted(credits, key=lambda credit: credit[0]):
        months = months_earning(month, rule.within_year)
        counted_zh, counted_en = (f"12 − {month} + 1", f"12 − {month} + 1") if including else (f"12 − {month}", f"12 − {month}")
        steps.append(_step(f"credit_month_{month}", amount * months, _yuan(amount * months),
                           f"{month} 月记账 {fen_to_yuan(amount)} 元，计息 {counted_zh} = {months} 个月，积数 "
                           f"{_yuan(amount * months)} 元·月",
                           f"{fen_to_yuan(amount)} yuan credited in month {month} earns {counted_en} = {months} months: "
                           f"{_yuan(amount * months)} yuan-months"))
    total = opening_fen * MONTHS_PER_YEAR + sum(amount * months_earning(month, rule.within_year) for month, amount in credits)
    steps.append(_step("products", total, _yuan(total), f"积数合计 {_yuan(total)} 元·月（月积数法，劳办发〔1997〕116号）",
                       f"the monthly products add up to {_yuan(total)} yuan-months (劳办发〔1997〕116号)"))
    return steps


def _yearly_steps(opening_fen: int, credited: int, rate: Decimal, percent: str) -> list[dict]:
    on_opening = Decimal(opening_fen) * rate
    on_credits = Decimal(credited) * rate * YEARLY_FACTOR_THOUSANDTHS / YEARLY_PARTS
    return [
        _step("opening_interest", _fen_exact(on_opening), _yuan_exact(on_opening),
              f"上年末余额 {fen_to_yuan(opening_fen)} 元 × {percent} = {_yuan_exact(on_opening)} 元",
              f"the opening balance {fen_to_yuan(opening_fen)} yuan × {percent} = {_yuan_exact(on_opening)} yuan"),
        _step("credits_interest", _fen_exact(on_credits), _yuan_exact(on_credits),
              f"当年记账额 {fen_to_yuan(credited)} 元 × {percent} × 1.083 × ½ = {_yuan_exact(on_credits)} 元（年度计息法）",
              f"the year's credits {fen_to_yuan(credited)} yuan × {percent} × 1.083 × ½ = {_yuan_exact(on_credits)} yuan "
              "(yearly shortcut)"),
    ]


def _step(name: str, value: int | str, yuan: str | None, how_zh: str, how: str) -> dict:
    """One step: its value (fen, fen-months, or an unrounded amount of fen as text) and the same in yuan where it
    is money (yuan-months for a product), and how it was reached in Chinese and in English."""
    return {"step": name, "value": value, "yuan": yuan, "how": how, "how_zh": how_zh}


def _yuan(fen: int) -> str:
    return fen_to_yuan(fen)


def _fen_exact(fen: Decimal) -> str:
    """An unrounded amount of fen, to six decimals at most."""
    return _plain(fen.quantize(Decimal("0.000001")))


def _yuan_exact(fen: Decimal) -> str:
    """An unrounded amount in yuan, with two to eight decimals (exact where the rate's millionths end)."""
    text = _plain((fen / 100).quantize(Decimal("0.00000001")))
    whole, _, decimals = text.partition(".")
    return f"{whole}.{decimals.ljust(2, '0')}"


def _plain(value: Decimal) -> str:
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


# --- The national adjustment of the employee pension (中央调剂 / 全国统筹): the yearly settlement ----------------
# 国发〔2018〕18号: each province remits a share of its contribution base to the national fund (上解), and the whole
# pot of the year is paid back out to the provinces by their retirees (拨付 = 核定的离退休人数 × 全国人均拨付额).
# The base here is the sum of the year's pension contribution bases actually assessed in the province (not the
# notice's statistical proxy, 90% of the provincial average wage × the workers who should be insured: the platform
# holds the real bases and not the statistics; see docs/national-fund.md). So, for year Y at the remittance rate r:
#
#   remitted_p = half_up(base_p × r)                      (to the fen, per province)
#   pot        = Σ remitted_p
#   received_p = pot × retirees_p / Σ retirees, to the fen by largest remainder, so that Σ received = pot exactly
#   net_p      = received_p − remitted_p                  (> 0: the province gains; < 0: it pays in)
#
# A province whose retirees weigh more than its base (a deficit province) receives more than it remits.


@dataclass(frozen=True)
class ProvinceFundFigures:
    """What the national settlement of a year knows of one province: the year's assessed pension bases (their sum
    and how many person-months) and its retirees on the rolls."""

    province: str
    base_fen: int
    retirees: int
    assessments: int = 0


@dataclass(frozen=True)
class ProvinceFundShare:
    """One province's line of the year's settlement."""

    province: str
    base_fen: int
    assessments: int
    remitted_fen: int
    retirees: int
    received_fen: int

    @property
    def net_fen(self) -> int:
        """What the province gains from the adjustment (negative: what it pays in net)."""
        return self.received_fen - self.remitted_fen


def remittance_fen(base_fen: int, rate_millionths: int) -> int:
    """A province's remittance: its base × the year's rate, half up to the fen."""
    return divide_half_up(base_fen * rate_millionths, RATE_DENOMINATOR)


def largest_remainder(total: int, weights: Sequence[int]) -> list[int]:
    """`total` fen shared in proportion to `weights`, each share floor(total × w / Σw) plus one fen for the largest
    remainders until every fen is given: the shares add up to `total` exactly. Equal remainders go to the earlier
    weight (the caller orders them, by province code). All weights zero: nothing can be shared."""
    if total < 0 or any(weight < 0 for weight in weights):
        raise InvalidInput("allocation.negative", "分配总额和权数不能为负", "the total and the weights are not negative")
    whole = sum(weights)
    if whole == 0:
        if total:
            raise InvalidInput("allocation.no_weight", f"权数合计为零，{total} 分无从分配",
                               f"the weights are all zero: {total} fen cannot be shared")
        return [0] * len(weights)
    shares = [total * weight // whole for weight in weights]
    remainders = sorted(range(len(weights)), key=lambda i: (-(total * weights[i] % whole), i))
    for i in remainders[:total - sum(shares)]:
        shares[i] += 1
    return shares


def settle_national_fund(figures: Sequence[ProvinceFundFigures], rate_millionths: int) -> list[ProvinceFundShare]:
    """The year's settlement: each province remits its base × rate and receives its retirees' share of the pot.
    Σ received = Σ remitted to the fen; every figure is ≥ 0. Provinces in code order."""
    ordered = sorted(figures, key=lambda f: f.province)
    if len({f.province for f in ordered}) != len(ordered):
        raise InvalidInput("national_fund.duplicate_province", "同一省份出现两次", "a province appears twice")
    if any(f.base_fen < 0 or f.retirees < 0 for f in ordered):
        raise InvalidInput("national_fund.negative", "缴费基数和离退休人数不能为负", "bases and retirees are not negative")
    remitted = [remittance_fen(f.base_fen, rate_millionths) for f in ordered]
    received = largest_remainder(sum(remitted), [f.retirees for f in ordered])
    return [ProvinceFundShare(f.province, f.base_fen, f.assessments, out, f.retirees, back)
            for f, out, back in zip(ordered, remitted, received, strict=True)]


def per_retiree_yuan(pot_fen: int, retirees: int) -> str:
    """全国人均拨付额: the pot over the country's retirees, in yuan to the fen (for the statement; the shares
    themselves are allocated to the fen by largest remainder)."""
    return fen_to_yuan(divide_half_up(pot_fen, retirees)) if retirees else "0.00"
