"""Risk requests and answers: the fund projection's query (the command line's options read the same model), and the
bodies of the case and recovery endpoints."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from shebao.risk import case_rules

Assumption = str | None  # a number as text (or a choice): the rules parse it and refuse it in Chinese and English


class ProjectionQuery(BaseModel):
    """`GET /api/v1/fund/projection?province=110000&years=30&wage_growth=0.04` and `shebao fund project`: the
    province, the horizon, the as-of day (default today in China) and any assumption overridden for this run."""

    model_config = ConfigDict(extra="forbid")

    province: str = Field(pattern=r"^\d{6}$", description="省级区划代码 a province code, e.g. 110000")
    years: int | None = Field(None, description="预测年数 1–100 years projected (default risk.projection.horizon_years)")
    as_of: date | None = Field(None, description="起点日期 the starting point's day, YYYY-MM-DD (default today)")
    wage_growth: Assumption = Field(None, max_length=32, description="工资增长率 wage growth, e.g. 0.04")
    coverage_growth: Assumption = Field(None, max_length=32, description="扩面率 coverage growth, e.g. 0.005")
    new_entrants_rate: Assumption = Field(None, max_length=32, description="新参保比例 new entrants rate, e.g. 0.025")
    entry_age_years: Assumption = Field(None, max_length=32, description="新参保年龄 entry age, e.g. 22")
    entry_index: Assumption = Field(None, max_length=32, description="新参保缴费指数 entrants' index, e.g. 0.8")
    pension_indexation: Assumption = Field(None, max_length=32, description="养老金调整幅度 pension indexation, e.g. 0.02")
    interest_rate: Assumption = Field(None, max_length=32, description="基金收益率 interest on the balance, e.g. 0.02")
    pooled_rate: Assumption = Field(None, max_length=32, description="统筹缴费比例 pooled contribution rate, e.g. 0.16")
    account_rate: Assumption = Field(None, max_length=32, description="个人账户比例 personal account rate, e.g. 0.08")
    accrual_rate: Assumption = Field(None, max_length=32, description="基础养老金计发比例 accrual per year, e.g. 0.01")
    calculation_wage_fen: Assumption = Field(None, max_length=32, description="计发基数（分）calculation wage in fen")
    contribution_years_at_original_age: Assumption = Field(None, max_length=32,
                                                           description="原退休年龄时缴费年限 contribution years, e.g. 30")
    female_cadre_share: Assumption = Field(None, max_length=32, description="女干部比例 female cadre share, e.g. 0.5")
    mortality_improvement: Assumption = Field(None, max_length=32, description="死亡率改善 mortality improvement, e.g. 0.01")
    mortality_basis: Assumption = Field(None, max_length=32, description="生命表 non_pension | pension")

    def overrides(self) -> dict[str, Any]:
        """The assumptions this run overrides (those given)."""
        return {name: value for name, value in self.model_dump(exclude={"province", "years", "as_of"}).items()
                if value is not None}


# ------------------------------------------------------------------ risk cases and recoveries (risk/cases_api.py)


class _CaseBody(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CaseAssign(_CaseBody):
    to: str = Field(min_length=1, max_length=70, description="the clerk's username (staff:NAME or NAME)")


class CaseNote(_CaseBody):
    note: str = Field(min_length=1, max_length=case_rules.MAX_NOTE_CHARS)


class CaseConclusion(_CaseBody):
    outcome: Literal["confirmed", "cleared"]
    overpaid_fen: int | None = Field(default=None, ge=0, le=case_rules.MAX_FEN,
                                     description="confirmed: the overpaid amount in fen (above 0 opens a recovery)")
    reason: str | None = Field(default=None, max_length=case_rules.MAX_REASON_CHARS,
                               description="cleared: why; confirmed above the amount at stake: why")


class Repayment(_CaseBody):
    amount_fen: int = Field(gt=0, le=case_rules.MAX_FEN)
    reference: str = Field(min_length=1, max_length=case_rules.MAX_REFERENCE_CHARS)


class WriteOff(_CaseBody):
    amount_fen: int = Field(gt=0, le=case_rules.MAX_FEN)
    reason: str = Field(min_length=1, max_length=case_rules.MAX_REASON_CHARS)


class ScreeningCreate(BaseModel):
    """`POST /api/v1/risk/screenings`: the province, the as-of day, and the rules (default: every after-the-fact one)."""

    model_config = ConfigDict(extra="forbid")

    province: str = Field(pattern=r"^\d{6}$", description="the province screened, e.g. 110000")
    as_of: date | None = Field(default=None, description="screen as of this day (default: today in China)")
    rules: list[Annotated[str, Field(max_length=60)]] | None = Field(
        default=None, max_length=40, description="rule ids to screen (default: every rule screened after the fact)")
