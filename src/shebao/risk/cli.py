"""`shebao fund project`: a province's pension pool projected year by year, with and without the 2025 retirement-age
reform. The `fund` group is the ledger's (`fund settle|statement`); risk sits above the ledger, so shebao/cli.py
attaches this command to that group — a context's cli never imports upward."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from shebao.clikit import DbOpt, JsonOpt, ProvinceOpt, emit, out, run_use_case, settings_for
from shebao.core.clock import china_today
from shebao.core.money import fen_to_yuan_grouped


def _option(flag: str, help_text: str) -> Any:  # noqa: ANN401 - typer's OptionInfo
    return typer.Option(flag, help=help_text)


def fund_project(
        province: ProvinceOpt = None,
        years: Annotated[int | None, typer.Option("--years", help="years projected, 1–100 (default 30)")] = None,
        as_of: Annotated[str | None, typer.Option("--as-of", help="the starting point's day, YYYY-MM-DD (default today)")] = None,
        wage_growth: Annotated[str | None, _option("--wage-growth", "工资增长率 wage growth, e.g. 0.04")] = None,
        coverage_growth: Annotated[str | None, _option("--coverage-growth", "扩面率 coverage growth, e.g. 0.005")] = None,
        new_entrants_rate: Annotated[str | None, _option("--new-entrants-rate", "新参保比例, e.g. 0.025")] = None,
        entry_age_years: Annotated[str | None, _option("--entry-age-years", "新参保年龄 entry age, e.g. 22")] = None,
        entry_index: Annotated[str | None, _option("--entry-index", "新参保缴费指数 entrants' index, e.g. 0.8")] = None,
        pension_indexation: Annotated[str | None, _option("--pension-indexation", "养老金调整 e.g. 0.02")] = None,
        interest_rate: Annotated[str | None, _option("--interest-rate", "基金收益率 e.g. 0.02")] = None,
        pooled_rate: Annotated[str | None, _option("--pooled-rate", "统筹缴费比例 pooled rate, e.g. 0.16")] = None,
        account_rate: Annotated[str | None, _option("--account-rate", "个人账户比例 e.g. 0.08")] = None,
        accrual_rate: Annotated[str | None, _option("--accrual-rate", "基础养老金计发比例 e.g. 0.01")] = None,
        calculation_wage_fen: Annotated[str | None, _option("--calculation-wage-fen", "计发基数（分）W in fen")] = None,
        contribution_years_at_original_age: Annotated[str | None, _option(
            "--contribution-years", "原退休年龄时的缴费年限 contribution years, e.g. 30")] = None,
        female_cadre_share: Annotated[str | None, _option("--female-cadre-share", "女干部比例 e.g. 0.5")] = None,
        mortality_improvement: Annotated[str | None, _option("--mortality-improvement", "死亡率改善 e.g. 0.01")] = None,
        mortality_basis: Annotated[str | None, _option("--mortality-basis", "生命表 non_pension | pension")] = None,
        db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Project a province's pension pool: contributors and receivers by sex and age, deaths from the life table,
    retirements at the statutory age with and without the 2025 reform; yearly income, spending and balance, the
    year the balance runs out and how far the reform moves it. Every assumption is echoed and can be overridden."""
    from shebao.policy.store import default_store
    from shebao.risk.projection import project_fund
    from shebao.risk.schemas import ProjectionQuery

    fields = {key: value for key, value in locals().items()
              if key in ProjectionQuery.model_fields and key != "province" and value is not None}
    fields["province"] = province or settings_for(db).demo_province

    def call(*, database, cipher, command: ProjectionQuery, now) -> dict:  # noqa: ANN001, ARG001 - run_use_case's
        with database.unit_of_work() as uow:
            return project_fund(session=uow.session, store=default_store(), province=command.province,
                                today=china_today(now), as_of=command.as_of, years=command.years,
                                overrides=command.overrides())

    result = run_use_case(db, as_json, ProjectionQuery, fields, call)
    if as_json:
        emit(result, True, "")
    out.print(_table(result))
    effect = result["reform_effect"]
    out.print(f"{escape(effect['zh'])}\n{escape(effect['en'])}")
    changed = [f"{a['name']}={a['value']}" for a in result["assumptions"] if a["overridden"]]
    out.print(f"假设 assumptions: {len(result['assumptions'])}（--json 列出每项及来源 lists each with its source）"
              + (f" · 本次改动 overridden: {', '.join(changed)}" if changed else ""))


def _table(result: dict) -> Table:
    start = result["starting_point"]
    table = Table(title=f"{result['province']} 职工养老保险统筹基金预测 pension pool projection · 起点 as of "
                        f"{result['as_of']}: 在职 {start['contributors']:,} contributors, 退休 {start['receivers']:,} "
                        f"receivers, 余额 balance {fen_to_yuan_grouped(start['balance_fen'])} 元",
                  caption="金额单位：万元 amounts in 10,000 yuan; 余额 balance: 改革后 with the 2025 reform, 不改革 without it")
    for heading in ("年份\nyear", "在职\nworking", "退休\nretired", "抚养比\nratio", "收入\nincome", "支出\nspending",
                    "余额\nbalance", "月数\nmonths", "不改革\nwithout"):
        table.add_column(heading, justify="right")
    for row, other in zip(result["with_reform"]["years"], result["without_reform"]["years"], strict=True):
        table.add_row(str(row["year"]), f"{row['contributors']:,}", f"{row['receivers']:,}",
                      row["dependency_ratio"] or "—", _wan(row["income_fen"]), _wan(row["spending_fen"]),
                      _balance(row["balance_fen"]),
                      row["months_of_spending_covered"] or "—", _balance(other["balance_fen"]))
    return table


def _wan(fen: int) -> str:
    """Fen as whole 10,000 yuan (万元), half up: 1,342."""
    return f"{(Decimal(fen) / 1_000_000).quantize(Decimal(1), ROUND_HALF_UP):,}"


def _balance(fen: int) -> str:
    return f"[red]{_wan(fen)}[/red]" if fen < 0 else _wan(fen)
