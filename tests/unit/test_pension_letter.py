"""The pension letter: the award and the estimate told in yuan, Chinese and English, each figure with its source."""

from datetime import date
from decimal import Decimal

from shebao.benefits.letter import (
    AwardFacts,
    EstimateAssumptions,
    PensionFigures,
    award_letter,
    estimate_letter,
    todays_money_fen,
)
from shebao.benefits.schemas import PensionCalculate
from shebao.benefits.service import pension_case
from shebao.core.money import fen_to_yuan_grouped
from shebao.policy.store import default_store

RETIRED = date(2024, 3, 1)


def _explained(**changes) -> dict:
    fields = {"region": "110000", "retire_date": RETIRED.isoformat(), "birth_date": "1964-03-01", "sex": "M",
              "category": "male", "contribution_months": 360, "deemed_months": 0, "average_index": "1.2",
              "personal_account_fen": 20_000_000, "calculation_wage_fen": 1_000_000}
    return pension_case(case=PensionCalculate(**(fields | changes))).model_dump(mode="json")


def _figures(**changes) -> PensionFigures:
    fields = {"wage_fen": 1_000_000, "wage_source": ("核定时确定", "fixed at the award"), "average_index": "1.2",
              "balance_fen": 20_000_000, "contribution_months": 360, "deemed_months": 0}
    return PensionFigures(**(fields | changes))


def _letter(explanation=None, figures=None, region="110000", monthly_fen=473_885):
    return award_letter(explanation or _explained(), default_store().at(region, RETIRED), figures or _figures(),
                        AwardFacts(first_period="202403", monthly_fen=monthly_fen, retire_date=RETIRED))


def _words(section, lang) -> str:
    read = section.read(lang)
    return " ".join([read["title"], read["text"], read["formula"] or ""]
                    + [" ".join(v for v in f.values() if v) for f in read["figures"]])


def test_yuan_read_with_thousands_separators():
    assert fen_to_yuan_grouped(143_885) == "1,438.85"
    assert fen_to_yuan_grouped(1_000_000_00) == "1,000,000.00"
    assert fen_to_yuan_grouped(-5) == "-0.05"


def test_the_worked_example_reads_in_yuan_with_its_figures_filled_in():
    letter = _letter()
    assert letter.total_fen == 473_885
    total = letter.section("total").read("zh")
    assert total["formula"] == "每月养老金 = 基础养老金 3,300.00 元 + 个人账户养老金 1,438.85 元 = 4,738.85 元"
    assert "2024年3月" in total["text"]
    basic = letter.section("basic").read("zh")
    assert basic["formula"] == ("基础养老金 = 计发基数 10,000.00 元 × (1 + 平均缴费指数 1.2) ÷ 2 × 缴费年限 30.00 年 × 1% "
                                "= 3,300.00 元")
    account = letter.section("account").read("zh")
    assert account["formula"] == "个人账户养老金 = 个人账户储存额 200,000.00 元 ÷ 计发月数 139 = 1,438.85 元"
    assert "计发月数不是领取的期限" in account["text"]
    assert any("国发〔2005〕38号" in f["source"] for f in account["figures"])  # the divisor table's document
    assert any("国发〔2005〕38号" in f["source"] for f in basic["figures"])  # the 1% a year
    english = letter.section("basic").read("en")
    assert english["title"] == "Basic pension" and english["formula"].endswith("= 3,300.00 yuan")
    # No transitional part without deemed years; the eligibility section names the statutory date and its source.
    assert [s.key for s in letter.sections] == ["total", "basic", "account", "eligibility"]
    eligibility = _words(letter.section("eligibility"), "zh")
    assert "2024年3月1日" in eligibility and "60 岁" in eligibility and "国发〔1978〕104号" in eligibility


def test_both_languages_are_there_and_nothing_internal_leaks():
    letter = _letter()
    for section in letter.sections:
        zh, en = _words(section, "zh"), _words(section, "en")
        assert any("\u4e00" <= ch <= "\u9fff" for ch in section.title[0])
        assert section.title[1].isascii()
        for text in (zh, en):
            assert "_fen" not in text and "{'" not in text and "None" not in text


def test_a_raise_since_the_award_is_told_apart():
    total = _letter(monthly_fen=500_000).section("total").read("zh")
    assert "现在每月发放 5,000.00 元" in total["text"]


def test_a_national_value_standing_in_says_so_plainly():
    # 新疆 has no transitional coefficient of its own: the national one (0) stands in, and the letter says so.
    explanation = _explained(region="650000", deemed_months=60, retire_date="2025-03-01", birth_date="1965-01-15",
                             calculation_wage_fen=None)
    letter = award_letter(explanation, default_store().at("650000", date(2025, 3, 1)),
                          _figures(wage_fen=844_800, deemed_months=60),
                          AwardFacts(first_period="202503", monthly_fen=explanation["total_fen"], retire_date=date(2025, 3, 1)))
    transitional = letter.section("transitional")
    zh = _words(transitional, "zh")
    assert "视同缴费年限" in zh and "5.00 年" in zh
    assert "全国值（未找到本省数值）" in zh
    assert "过渡系数为 0" in zh
    assert "national value used" in _words(transitional, "en")


def test_today_s_money_deflates_by_the_assumed_growth_half_up():
    assert todays_money_fen(1_000_000, Decimal("0.03"), 12) == 970_874  # 10,000 / 1.03 = 9,708.737…
    assert todays_money_fen(1_000_000, Decimal("0"), 120) == 1_000_000
    assert todays_money_fen(500_000, Decimal("0.03"), 120) == 372_047  # 5,000 / 1.03^10 = 3,720.469…


def _estimate() -> dict:
    result = _explained(retire_date="2034-03-01", birth_date="1974-03-01", calculation_wage_fen=1_343_916,
                        personal_account_fen=25_000_000, contribution_months=300)
    result["assumptions"] = [
        {"step": "record_now", "value": {"months": 180, "deemed_months": 0, "personal_account_fen": 12_000_000}, "how": ""},
        {"step": "future_months", "value": 120, "how": "from 2024-03-01 to 2034-03-01"},
        {"step": "future_index", "value": "1.0", "how": ""},
        {"step": "calculation_wage_fen", "value": 1_343_916, "how": "1000000 × (1 + 0.03) ^ (120/12)"},
        {"step": "personal_account_fen", "value": 25_000_000, "how": ""},
    ]
    result["estimate"] = True
    return result


def test_an_estimate_gives_the_nominal_amount_and_the_same_in_today_s_money():
    result = _estimate()
    assumed = EstimateAssumptions(wage_growth=Decimal("0.03"), wage_now_fen=1_000_000, wage_now_source=("京人社发", "京人社发"),
                                  retire_date=date(2034, 3, 1), account_interest=Decimal("0.02"))
    letter = estimate_letter(result, default_store().at("110000", date(2034, 3, 1)), assumed)
    expected_today = todays_money_fen(result["total_fen"], Decimal("0.03"), 120)
    assert letter.estimate and letter.todays_money_fen == expected_today
    total = letter.section("total").read("zh")
    assert fen_to_yuan_grouped(result["total_fen"]) + " 元" in total["text"]
    assert fen_to_yuan_grouped(expected_today) + " 元" in total["text"]
    todays = letter.section("todays_money").read("zh")
    assert todays["formula"] == (f"按今天的钱 = {fen_to_yuan_grouped(result['total_fen'])} 元 ÷ (1 + 0.03)^(120 ÷ 12) = "
                                 f"{fen_to_yuan_grouped(expected_today)} 元")
    assumptions = _words(letter.section("assumptions"), "zh")
    assert "13,439.16 元" in assumptions and "10,000.00 元" in assumptions and "2%" in assumptions
    assert "In today's money" in letter.read("en")["sections"][1]["title"]
