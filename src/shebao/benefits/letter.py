"""The pension letter (养老金核定说明): an award or an estimate told as a letter a retiree can read.

Chinese first and English beside it, amounts in yuan, each part of the pension with what it is, its formula in words
with the person's own figures filled in, and where every figure comes from (the document number or source text a
parameter carries; a national value standing in for the province's own says so plainly).

Pure: built from the explanation `rules.calculate_pension` returns, the figures the award went in with (or an
estimate's assumptions) and the parameters in force, all passed in. No database, no clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from shebao.benefits import rules
from shebao.core.money import fen_to_yuan_grouped
from shebao.policy.store import ParameterSnapshot

Text = tuple[str, str]  # (Chinese, English)

RECORD_SOURCE: Text = ("本人缴费记录（电子档案）", "your own contribution record (the electronic archive)")
ACCOUNT_SOURCE: Text = ("个人账户记账记录", "your personal account as the ledger holds it")
AWARD_WAGE_SOURCE: Text = ("核定待遇时确定的计发基数", "the calculation wage fixed when the pension was awarded")


@dataclass(frozen=True)
class Figure:
    """One figure that went in: what it is, its value as people read it, and where it comes from."""

    label: Text
    value: Text
    source: Text | None = None  # None: worked out by the section's formula


@dataclass(frozen=True)
class Section:
    """One part of the letter: a title, plain words, the figures, and the formula with them filled in."""

    key: str
    title: Text
    text: Text
    figures: tuple[Figure, ...] = ()
    formula: Text | None = None

    def read(self, lang: str) -> dict:
        i = _index(lang)
        return {"key": self.key, "title": self.title[i], "text": self.text[i],
                "figures": [{"label": f.label[i], "value": f.value[i], "source": f.source[i] if f.source else None}
                            for f in self.figures],
                "formula": self.formula[i] if self.formula else None}


@dataclass(frozen=True)
class Letter:
    title: Text
    sections: tuple[Section, ...]
    total_fen: int
    estimate: bool = False
    todays_money_fen: int | None = None  # an estimate's total in today's money

    def read(self, lang: str) -> dict:
        """The letter in one language, for a page or a PDF."""
        return {"title": self.title[_index(lang)], "sections": [s.read(lang) for s in self.sections],
                "total": yuan(self.total_fen)[_index(lang)], "estimate": self.estimate,
                "todays_money": None if self.todays_money_fen is None else yuan(self.todays_money_fen)[_index(lang)]}

    def section(self, key: str) -> Section:
        return next(s for s in self.sections if s.key == key)


@dataclass(frozen=True)
class PensionFigures:
    """What went into the formula beyond the explanation's own fields: the calculation wage W and its source, the
    average index I, the personal account balance, and the months counted."""

    wage_fen: int
    wage_source: Text
    average_index: str
    balance_fen: int
    contribution_months: int
    deemed_months: int
    pre_account_months: int = 0  # of the contribution months, those before the personal account opened
    balance_source: Text = ACCOUNT_SOURCE


@dataclass(frozen=True)
class AwardFacts:
    """The award as paid: since when, and what is paid now (the award plus the yearly adjustments)."""

    first_period: str
    monthly_fen: int
    retire_date: date


@dataclass(frozen=True)
class EstimateAssumptions:
    """What an estimate assumed, as the person asked for it and as the estimate reports it."""

    wage_growth: Decimal
    wage_now_fen: int
    wage_now_source: Text
    retire_date: date
    account_interest: Decimal | None = None
    extra: list[Figure] = field(default_factory=list)


# --- Formatting -------------------------------------------------------------------------------------------

def yuan(fen: int) -> Text:
    text = fen_to_yuan_grouped(fen)
    return f"{text} 元", f"{text} yuan"


def percent(rate: Decimal) -> str:
    """0.01 → 1%, 0.012 → 1.2%."""
    return f"{format((Decimal(rate) * 100).normalize(), 'f')}%"


def years_text(counted_years: str) -> str:
    """N as the formula used it, to two decimals at least (30 → 30.00, 31.3333 stays); months kept exact read 376/12."""
    if "/" in counted_years:
        return counted_years
    value = Decimal(counted_years)
    return format(value.quantize(Decimal("0.01")) if value.as_tuple().exponent > -2 else value, "f")


def _years_of(months: int, per_year: int) -> str:
    units = rules.years_units(months, per_year)
    return years_text(f"{units}/12" if per_year == rules.MONTHS_PER_YEAR else str(Decimal(units) / per_year))


def day_text(day: date | str) -> Text:
    day = date.fromisoformat(day) if isinstance(day, str) else day
    return f"{day.year}年{day.month}月{day.day}日", day.isoformat()


def month_text(period: str) -> Text:
    return f"{period[:4]}年{int(period[4:])}月", f"{period[:4]}-{period[4:]}"


def age_text(age: dict) -> Text:
    years, months = age["years"], age["months"]
    if not months:
        return f"{years} 岁", f"{years} years"
    return f"{years} 岁 {months} 个月", f"{years} years {months} months"


def source_of(params: ParameterSnapshot, path: str) -> Text:
    """Where a parameter in force comes from; a national value standing in for the province's own says so plainly."""
    source = params.explain(path).source
    if rules.national_stands_in(params, path):
        zh, en = rules.NATIONAL_STANDS_IN
        return f"{zh}：{source}", f"{en}: {source}"
    return source, source


def _step(explanation: dict, name: str) -> dict | None:
    return next((s for s in explanation["steps"] if s["step"] == name), None)


def _step_source(step: dict | None) -> Text | None:
    """The source a step names. A step on a parameter alone gives its citation as `how`; one worked out first says
    how, then '; ' and the citation."""
    if step is None:
        return None
    how = step["how"]
    source = how.split("; ", 1)[1] if "; " in how else how
    if rules.NATIONAL_STANDS_IN[0] in source and not source.startswith(rules.NATIONAL_STANDS_IN[0]):
        source = rules.NATIONAL_STANDS_IN[0] + "：" + source
    return source, source


def _index(lang: str) -> int:
    return 1 if lang == "en" else 0


def todays_money_fen(nominal_fen: int, growth: Decimal, months: int) -> int:
    """A future amount in today's money: deflated by the assumed wage growth over the months ahead, half up to the fen."""
    return rules.fen(Decimal(nominal_fen) / (1 + Decimal(growth)) ** (Decimal(months) / 12))


# --- The letter -------------------------------------------------------------------------------------------

def award_letter(explanation: dict, params: ParameterSnapshot, figures: PensionFigures, award: AwardFacts) -> Letter:
    """The letter for an awarded pension: `params` are those in force at retirement, as for the award."""
    sections = [_total_section(explanation, award=award), *_part_sections(explanation, params, figures),
                _eligibility_section(explanation, figures)]
    return Letter(("养老金核定说明", "Your pension explained"), tuple(s for s in sections if s), explanation["total_fen"])


def estimate_letter(result: dict, params: ParameterSnapshot, assumed: EstimateAssumptions) -> Letter:
    """The letter for an estimate: the nominal amount at retirement and the same in today's money, then the parts
    and the assumptions. `result` is what the estimator returns (the explanation with its `assumptions`)."""
    figures = figures_of_estimate(result)
    ahead = int(_assumption(result, "future_months")["value"])
    today_fen = todays_money_fen(result["total_fen"], assumed.wage_growth, ahead)
    sections = [_total_section(result, estimate=(assumed, ahead, today_fen)), _todays_money_section(result, assumed, ahead, today_fen),
                _assumptions_section(result, figures, assumed, ahead), *_part_sections(result, params, figures),
                _eligibility_section(result, figures)]
    return Letter(("养老金测算说明", "Your pension estimate explained"), tuple(s for s in sections if s), result["total_fen"],
                  estimate=True, todays_money_fen=today_fen)


def _assumption(result: dict, name: str) -> dict:
    return next(a for a in result["assumptions"] if a["step"] == name)


def figures_of_estimate(result: dict) -> PensionFigures:
    """The figures an estimate went in with, from its assumptions: the projected W and balance, today's record plus
    the months ahead. No second index is given to an estimate, so the index the explanation reports is I."""
    record_now = _assumption(result, "record_now")["value"]
    ahead = int(_assumption(result, "future_months")["value"])
    average = _step(result, "average_index")
    return PensionFigures(
        wage_fen=int(_assumption(result, "calculation_wage_fen")["value"]),
        wage_source=("按今天的计发基数和假设的年增长率推算", "projected from today's calculation wage at the assumed growth"),
        average_index=str(average["value"]) if average else result["transitional_index"],
        balance_fen=int(_assumption(result, "personal_account_fen")["value"]),
        balance_source=("按今天的余额、今后缴费和假设的记账利率推算",
                        "projected from today's balance, future contributions and the assumed interest"),
        contribution_months=int(record_now["months"]) + ahead, deemed_months=int(record_now["deemed_months"]))


def _total_section(explanation: dict, *, award: AwardFacts | None = None,
                   estimate: tuple[EstimateAssumptions, int, int] | None = None) -> Section:
    basic, account, transitional = (explanation["basic_pension_fen"], explanation["personal_account_pension_fen"],
                                    explanation["transitional_pension_fen"])
    total = explanation["total_fen"]
    figures = [Figure(("基础养老金", "basic pension"), yuan(basic)),
               Figure(("个人账户养老金", "personal-account pension"), yuan(account))]
    zh_sum, en_sum = f"基础养老金 {yuan(basic)[0]} + 个人账户养老金 {yuan(account)[0]}", \
        f"basic pension {yuan(basic)[1]} + personal-account pension {yuan(account)[1]}"
    if transitional:
        figures.append(Figure(("过渡性养老金", "transitional pension"), yuan(transitional)))
        zh_sum += f" + 过渡性养老金 {yuan(transitional)[0]}"
        en_sum += f" + transitional pension {yuan(transitional)[1]}"
    figures.append(Figure(("每月合计", "monthly total"), yuan(total)))
    formula = (f"每月养老金 = {zh_sum} = {yuan(total)[0]}", f"monthly pension = {en_sum} = {yuan(total)[1]}")
    if estimate is not None:
        assumed, ahead, today_fen = estimate
        when = day_text(assumed.retire_date)
        text = (f"如果您在 {when[0]} 退休，按您现在的缴费记录和下面列出的假设，预计每月可领取养老金 {yuan(total)[0]}"
                f"（退休时的金额）；按今天的钱折算，约为每月 {yuan(today_fen)[0]}。这是测算，不是核定结果。",
                f"If you retire on {when[1]}, your record as it stands and the assumptions below give an estimated "
                f"{yuan(total)[1]} a month (in money of that time); in today's money that is about {yuan(today_fen)[1]} "
                "a month. This is an estimate, not an award.")
        figures.append(Figure(("按今天的钱折算", "in today's money"), yuan(today_fen),
                              ("按假设的计发基数年增长率折算", "deflated by the assumed yearly wage growth")))
        return Section("total", ("预计每月养老金", "Your estimated monthly pension"), text, tuple(figures), formula)
    assert award is not None
    start = month_text(award.first_period)
    zh = (f"您的基本养老金核定为每月 {yuan(total)[0]}，由三部分组成（见下）。自 {start[0]} 起按月发放到您社会保障卡的"
          "银行账户。")
    en = (f"Your basic pension was set at {yuan(total)[1]} a month, made of the parts below. It is paid every month into "
          f"the bank account of your social security card, from {start[1]}.")
    if award.monthly_fen != total:
        zh += f"加上历年调整，现在每月发放 {yuan(award.monthly_fen)[0]}。"
        en += f" With the yearly rises since, {yuan(award.monthly_fen)[1]} is paid each month now."
        figures.append(Figure(("现每月发放（含历年调整）", "paid each month now (with the yearly rises)"),
                              yuan(award.monthly_fen), ("历年养老金调整", "the yearly pension adjustments")))
    return Section("total", ("每月养老金", "Your monthly pension"), (zh, en), tuple(figures), formula)


def _part_sections(explanation: dict, params: ParameterSnapshot, figures: PensionFigures) -> list[Section | None]:
    return [_basic_section(explanation, params, figures), _account_section(explanation, params, figures),
            _transitional_section(explanation, params, figures), _local_extras_section(explanation)]


def _basic_section(explanation: dict, params: ParameterSnapshot, figures: PensionFigures) -> Section:
    wage, index, n = yuan(figures.wage_fen), figures.average_index, years_text(explanation["counted_years"])
    accrual = percent(params.value("pension.basic_accrual_rate"))
    basic = yuan(explanation["basic_pension_fen"])
    counted = figures.contribution_months + figures.deemed_months
    text = ("基础养老金由统筹基金支付。计发基数是本省用来计发养老金的月平均工资；平均缴费指数是您历年缴费基数与当年"
            "社会平均工资之比的平均数，1.0 表示与平均工资持平；缴费年限包括实际缴费年限和视同缴费年限，每满一年发给 "
            f"{accrual}。",
            "The basic pension is paid from the pooled fund. The calculation wage is the average monthly wage the province "
            "uses to set pensions; your average contribution index compares your contribution bases with each year's "
            "average wage (1.0 means the average); the contribution years count actual and deemed years, and each year "
            f"gives {accrual}.")
    return Section("basic", ("基础养老金", "Basic pension"), text, (
        Figure(("计发基数", "calculation wage"), (f"{wage[0]}/月", f"{wage[1]} a month"), figures.wage_source),
        Figure(("平均缴费指数", "average contribution index"), (index, index), RECORD_SOURCE),
        Figure(("缴费年限", "contribution years"), (f"{n} 年（{counted} 个月）", f"{n} years ({counted} months)"),
               _years_source(params)),
        Figure(("每年发给比例", "share per year"), (accrual, accrual), source_of(params, "pension.basic_accrual_rate")),
        Figure(("基础养老金", "basic pension"), basic),
    ), (f"基础养老金 = 计发基数 {wage[0]} × (1 + 平均缴费指数 {index}) ÷ 2 × 缴费年限 {n} 年 × {accrual} = {basic[0]}",
        f"basic pension = calculation wage {wage[1]} × (1 + average contribution index {index}) ÷ 2 × "
        f"{n} contribution years × {accrual} = {basic[1]}"))


def _years_source(params: ParameterSnapshot) -> Text:
    zh, en = source_of(params, "pension.years_rounding")
    return f"{RECORD_SOURCE[0]}；年限取位：{zh}", f"{RECORD_SOURCE[1]}; rounding of the years: {en}"


def _account_section(explanation: dict, params: ParameterSnapshot, figures: PensionFigures) -> Section:
    balance, account = yuan(figures.balance_fen), yuan(explanation["personal_account_pension_fen"])
    divisor = str(explanation["divisor"])
    age = age_text(explanation["retirement_age"])
    text = (f"个人账户养老金从您个人账户的储存额中支付。计发月数按退休年龄确定（您退休时 {age[0]}，计发月数为 {divisor}），"
            "储存额除以计发月数就是每月发给的金额。计发月数不是领取的期限：个人账户发完后，养老金照常发放，由统筹基金支付；"
            "个人账户余额可以依法继承。",
            f"The personal-account pension is paid out of the savings in your personal account. The divisor is set by your "
            f"age at retirement ({age[1]}, divisor {divisor}): the savings divided by it give the monthly amount. It is not "
            "a limit on how long you are paid: once the account is used up the pension goes on, paid by the pooled fund, "
            "and what is left in the account can be inherited.")
    return Section("account", ("个人账户养老金", "Personal-account pension"), text, (
        Figure(("个人账户储存额", "personal account savings"), balance, figures.balance_source),
        Figure(("计发月数", "divisor (months)"), (divisor, divisor), source_of(params, "pension.divisor")),
        Figure(("个人账户养老金", "personal-account pension"), account),
    ), (f"个人账户养老金 = 个人账户储存额 {balance[0]} ÷ 计发月数 {divisor} = {account[0]}",
        f"personal-account pension = account savings {balance[1]} ÷ divisor {divisor} = {account[1]}"))


def _transitional_section(explanation: dict, params: ParameterSnapshot, figures: PensionFigures) -> Section | None:
    amount = explanation["transitional_pension_fen"]
    if not amount and not figures.deemed_months:
        return None
    per_year = rules.YEARS_ROUNDING[params.value("pension.years_rounding")]
    base = rules.TRANSITIONAL_BASES[params.value("pension.transitional_base")]
    deemed = _years_of(figures.deemed_months, per_year)
    actual_months = rules.counts_actual_years(params) * figures.pre_account_months
    coefficient = percent(params.value("pension.transitional_coefficient"))
    wage, index_t, result = yuan(figures.wage_fen), explanation["transitional_index"], yuan(amount)
    years_zh, years_en = f"视同缴费年限 {deemed} 年", f"{deemed} deemed years"
    if actual_months:
        actual = _years_of(actual_months, per_year)
        years_zh += f" + 个人账户建立前的实际缴费年限 {actual} 年"
        years_en += f" + {actual} actual years before the account opened"
    text = ("过渡性养老金补偿实行个人账户以前的工作年限。视同缴费年限是指个人缴费制度建立以前，按国家规定计算的"
            "连续工龄，视同已经缴费，计入缴费年限。",
            "The transitional pension makes up for the years worked before personal accounts existed. Deemed contribution "
            "years (视同缴费年限) are the years of continuous service before individual contributions began, which the "
            "rules count as if contributions had been paid.")
    if not amount:
        text = (text[0] + "按本省现行规定，过渡系数为 0，因此没有过渡性养老金。",
                text[1] + " Under the rules in force the transitional coefficient is 0, so no transitional pension is paid.")
    coefficient_source = source_of(params, "pension.transitional_coefficient")
    base_source = source_of(params, "pension.transitional_base")
    return Section("transitional", ("过渡性养老金", "Transitional pension"), text, (
        Figure(("视同缴费年限", "deemed contribution years"), (f"{deemed} 年（{figures.deemed_months} 个月）",
                                                              f"{deemed} years ({figures.deemed_months} months)"), RECORD_SOURCE),
        Figure(("计发基数", "calculation wage"), (f"{wage[0]}/月", f"{wage[1]} a month"), figures.wage_source),
        Figure(("过渡性指数", "transitional index"), (index_t, index_t), RECORD_SOURCE),
        Figure(("过渡系数", "transitional coefficient"), (coefficient, coefficient), coefficient_source),
        Figure(("计算方法", "how the base is reckoned"), (base.formula_zh, base.formula_en), base_source),
        Figure(("过渡性养老金", "transitional pension"), result),
    ), (f"过渡性养老金 = （{base.formula_zh}；计发基数 {wage[0]}，过渡性指数 {index_t}）× {years_zh} × 过渡系数 "
        f"{coefficient} = {result[0]}",
        f"transitional pension = ({base.formula_en}; calculation wage {wage[1]}, transitional index {index_t}) × "
        f"{years_en} × coefficient {coefficient} = {result[1]}"))


def _local_extras_section(explanation: dict) -> Section | None:
    extras = [s for s in explanation["steps"] if s["step"] == "local_extra"]
    if not explanation.get("local_extras_fen") or not extras:
        return None
    figures = tuple(Figure((name, name), yuan(int(s["value"])), ("地方规定", "a local rule"))
                    for s in extras for name in [s["how"].split(":", 1)[0]])
    return Section("local_extras", ("地方项目（另行发放）", "Local items (paid apart)"),
                   ("以下是本地另行发放的项目，不计入上面的基本养老金合计。",
                    "These local items are paid apart and are not part of the basic pension total above."),
                   (*figures, Figure(("地方项目合计", "local items in all"), yuan(explanation["local_extras_fen"]))))


def _eligibility_section(explanation: dict, figures: PensionFigures) -> Section:
    statutory, date_ = age_text(explanation["statutory_retirement_age"]), day_text(explanation["statutory_retirement_date"])
    original, delay, minimum = (_step(explanation, name) for name in
                                ("original_age_months", "delay_months", "minimum_contribution_months"))
    counted = figures.contribution_months + figures.deemed_months
    items = []
    if original is not None:
        age = age_text({"years": int(original["value"]) // 12, "months": int(original["value"]) % 12})
        items.append(Figure(("原法定退休年龄", "statutory age before the reform"), age, _step_source(original)))
    if delay is not None and int(delay["value"]):
        months = int(delay["value"])
        items.append(Figure(("延迟月数", "months of delay"), (f"{months} 个月", f"{months} months"), _step_source(delay)))
    items += [Figure(("法定退休年龄", "statutory retirement age"), statutory, ("出生日期 + 法定退休年龄", "birth date + statutory age")),
              Figure(("法定退休日期", "statutory retirement date"), date_, ("出生日期 + 法定退休年龄", "birth date + statutory age"))]
    if minimum is not None:
        need = int(minimum["value"])
        items.append(Figure(("最低缴费年限", "minimum contribution time"), (f"{need} 个月", f"{need} months"),
                            _step_source(minimum)))
    items.append(Figure(("您累计的缴费月数（含视同）", "your months counted (deemed included)"),
                        (f"{counted} 个月", f"{counted} months"), RECORD_SOURCE))
    if explanation["eligible"]:
        text = (f"您的法定退休年龄为 {statutory[0]}，法定退休日期为 {date_[0]}。您累计缴费（含视同缴费）{counted} 个月，"
                "达到最低缴费年限，可以按月领取基本养老金。",
                f"Your statutory retirement age is {statutory[1]}, reached on {date_[1]}. You have {counted} months counted "
                "(deemed years included), at least the minimum, so you may draw a monthly basic pension.")
    else:
        text = ("暂不符合按月领取的条件：" + "；".join(explanation["reasons_zh"]) + "。",
                "Not yet eligible for a monthly pension: " + "; ".join(explanation["reasons"]) + ".")
    return Section("eligibility", ("退休年龄和领取条件", "Retirement age and eligibility"), text, tuple(items))


def _todays_money_section(result: dict, assumed: EstimateAssumptions, ahead: int, today_fen: int) -> Section:
    nominal, today, growth = yuan(result["total_fen"]), yuan(today_fen), str(assumed.wage_growth)
    return Section("todays_money", ("按今天的钱折算", "In today's money"), (
        f"测算得到的是退休时的金额。到那时工资和物价都会上涨，同样的钱能买的东西会少一些。为了便于和今天比较，"
        f"我们按假设的计发基数年增长率 {percent(assumed.wage_growth)}，把退休时的金额折回今天：除以 (1 + 增长率) 的"
        f"（距退休月数 ÷ 12）次方，四舍五入到分。",
        f"The estimate is an amount of money at the time you retire. Wages and prices will have risen by then, so the "
        f"same money buys less. To compare with today, we bring it back at the assumed yearly wage growth of "
        f"{percent(assumed.wage_growth)}: divided by (1 + growth) to the power (months until retirement ÷ 12), rounded "
        "half up to the fen."), (
        Figure(("退休时每月金额", "monthly amount at retirement"), nominal),
        Figure(("计发基数年增长率（假设）", "yearly wage growth (assumed)"), (growth, growth), ("您填写的假设", "your assumption")),
        Figure(("距退休月数", "months until retirement"), (f"{ahead} 个月", f"{ahead} months"), ("今天到退休日期", "from today to the retirement date")),
        Figure(("按今天的钱折算", "in today's money"), today),
    ), (f"按今天的钱 = {nominal[0]} ÷ (1 + {growth})^({ahead} ÷ 12) = {today[0]}",
        f"in today's money = {nominal[1]} ÷ (1 + {growth})^({ahead} ÷ 12) = {today[1]}"))


def _assumptions_section(result: dict, figures: PensionFigures, assumed: EstimateAssumptions, ahead: int) -> Section:
    record_now = _assumption(result, "record_now")["value"]
    future_index = str(_assumption(result, "future_index")["value"])
    wage_now, wage_then = yuan(assumed.wage_now_fen), yuan(figures.wage_fen)
    growth = str(assumed.wage_growth)
    items = [
        Figure(("现在已缴费月数", "months paid so far"), (f"{record_now['months']} 个月", f"{record_now['months']} months"), RECORD_SOURCE),
        Figure(("视同缴费月数", "deemed months"), (f"{record_now['deemed_months']} 个月", f"{record_now['deemed_months']} months"),
               RECORD_SOURCE),
        Figure(("现在个人账户余额", "personal account today"), yuan(int(record_now["personal_account_fen"])), ACCOUNT_SOURCE),
        Figure(("今后缴费月数", "months still to contribute"), (f"{ahead} 个月", f"{ahead} months"),
               ("假设从今天起一直缴费到退休", "assumed: contributions every month until retirement")),
        Figure(("今后缴费指数", "future contribution index"), (future_index, future_index), ("您填写的假设", "your assumption")),
        Figure(("今天的计发基数", "calculation wage today"), (f"{wage_now[0]}/月", f"{wage_now[1]} a month"), assumed.wage_now_source),
        Figure(("退休时的计发基数（推算）", "calculation wage at retirement (projected)"), (f"{wage_then[0]}/月", f"{wage_then[1]} a month"),
               (f"{wage_now[0]} × (1 + {growth})^({ahead} ÷ 12)", f"{wage_now[1]} × (1 + {growth})^({ahead} ÷ 12)")),
        Figure(("退休时个人账户储存额（推算）", "personal account at retirement (projected)"), yuan(figures.balance_fen),
               figures.balance_source),
    ]
    if assumed.account_interest is not None:
        rate = percent(assumed.account_interest)
        items.insert(5, Figure(("个人账户年记账利率", "yearly personal-account interest"), (rate, rate), ("测算假设", "an assumption of the estimate")))
    return Section("assumptions", ("测算用到的假设", "What the estimate assumes"), (
        "以下数字来自您今天的缴费记录，再加上对将来的假设。假设不同，结果也会不同；实际待遇以退休时核定为准。",
        "These figures are your record as it is today plus assumptions about the future. Other assumptions give other "
        "results; the pension you will draw is the one set when you retire."), tuple(items + assumed.extra))
