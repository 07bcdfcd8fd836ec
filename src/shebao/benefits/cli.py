"""`shebao retirement date`, `shebao pension calc|award|award-pending|adjust|show|estimate`, `shebao payroll`
(its months go into the banks' payment batches: `shebao bank …`), `shebao certification …`, `shebao unemployment …`, `shebao injury claim`,
`shebao maternity claim`."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from shebao.clikit import (
    DbOpt,
    JsonOpt,
    PersonOpt,
    ProvinceOpt,
    calculate_case,
    command_group,
    emit,
    in_transaction,
    invalid_input,
    iso_date_problem,
    read_import_csv,
    refuse,
    run_batch,
    run_use_case,
)
from shebao.core.clock import SystemClock, china_today
from shebao.core.db import Database
from shebao.core.errors import DATE_FORMAT_ZH, DomainError, given_zh
from shebao.core.money import fen_to_yuan
from shebao.core.security import SYSTEM, FieldCipher

commands = typer.Typer()  # mounted by `shebao/cli.py`: `shebao payroll` and the groups below
retirement_app = command_group("retirement", "Statutory retirement ages under the 2025 reform")
pension_app = command_group("pension", "Pension calculation")
certification_app = command_group("certification", "Proof of life of pension receivers")
unemployment_app = command_group("unemployment", "Unemployment benefit")
injury_app = command_group("injury", "Work-injury benefits")
maternity_app = command_group("maternity", "Maternity allowance")
for group in (retirement_app, pension_app, certification_app, unemployment_app, injury_app, maternity_app):
    commands.add_typer(group)


def _steps(result: dict) -> str:
    return "\n".join(f"  {s['step']}: {s['value']} — {s['how']}" for s in result.get("steps", []))


@retirement_app.command("date")
def retirement_date(birth_date: Annotated[str, typer.Option("--birth-date", help="YYYY-MM-DD")],
                    sex: Annotated[str, typer.Option("--sex", help="M or F")],
                    category: Annotated[str, typer.Option("--category", help="male | female_cadre | female_worker")],
                    region: Annotated[str, typer.Option("--region", help="region code")] = "000000",
                    as_json: JsonOpt = False) -> None:
    """The statutory retirement date and age."""
    from shebao.benefits.rules import GROUP_NAMES, Group
    from shebao.benefits.service import retirement_date as compute

    if iso_date_problem(birth_date) or not "1880" <= birth_date[:4] <= "2100":
        invalid_input(f"--birth-date is YYYY-MM-DD between 1880 and 2100: {birth_date}", as_json,
                      f"出生日期应为 1880 至 2100 年间的日期（年-月-日）{given_zh(birth_date)}")
    if category not in {group.value for group in Group}:
        invalid_input(f"--category is one of {', '.join(g.value for g in Group)}", as_json,
                      "人员类别应为" + "、".join(f"「{g.value}」（{zh}）" for g, (zh, _) in GROUP_NAMES.items()) + "之一")
    try:
        result = compute(birth_date=date.fromisoformat(birth_date), sex=sex, group=Group(category),
                         region=region).model_dump(mode="json")
    except DomainError as exc:
        refuse(exc, as_json)
    emit(result, as_json, f"法定退休日期 statutory date {result['statutory_date']} · "
                          f"age {result['age']['years']}y{result['age']['months']}m")


@pension_app.command("calc")
def pension_calc(input_file: Annotated[Path, typer.Option("--input", help="CASE.json")], as_json: JsonOpt = False) -> None:
    """One pension case, explained step by step; an ineligible case gives its reasons."""
    from shebao.benefits.schemas import PensionCalculate
    from shebao.benefits.service import pension_case

    result = calculate_case(input_file, PensionCalculate, lambda case: pension_case(case=case), as_json).model_dump(mode="json")
    human = (f"eligible · total {fen_to_yuan(result['total_fen'])} yuan/month (basic {fen_to_yuan(result['basic_pension_fen'])}, "
             f"account {fen_to_yuan(result['personal_account_pension_fen'])})" if result["eligible"]
             else "不符合按月领取养老金的条件：" + "；".join(result["reasons_zh"]) + "\nnot eligible: " + "; ".join(result["reasons"]))
    emit(result, as_json, human)


@commands.command("payroll")
def payroll(period: str, province: ProvinceOpt = None, db: DbOpt = None, as_json: JsonOpt = False,
            chunk: Annotated[int | None, typer.Option(min=1, help="award ids paid per transaction")] = None) -> None:
    """Pay every pension receiver of a province for a month (set-based, resumable, idempotent)."""
    from shebao.benefits.payroll import PAYROLL_CHUNK, run_payroll

    run = run_batch(db, as_json, lambda database, settings, report: run_payroll(
        database=database, province=province or settings.demo_province, period=period, now=SystemClock().now(),
        actor="system:cli", progress=report, chunk=chunk or PAYROLL_CHUNK))
    held = json.loads(run.detail or "{}").get("held", {})
    emit(run.model_dump(mode="json"), as_json,
         f"payroll {run.period} · {run.province}: {run.persons:,} lines paid, {fen_to_yuan(run.total_fen)} yuan "
         f"({run.duration_ms or 0} ms) · run {run.id}" + (f" · held {held}" if held else ""))


@pension_app.command("award")
def pension_award(person: PersonOpt, retire_date: Annotated[str, typer.Option("--retire-date", help="YYYY-MM-DD")],
                  category: Annotated[str, typer.Option("--category", help="male | female_cadre | female_worker")],
                  region: Annotated[str, typer.Option("--region", help="the agency's region code")],
                  ground: Annotated[str, typer.Option(
                      "--ground", help="statutory | early_voluntary | delayed | special_work")] = "statutory",
                  special_work_kind: Annotated[str | None, typer.Option(
                      "--special-work-kind",
                      help="on the special-work ground: high_altitude_heavy | underground_high_temperature | other_harmful")] = None,
                  special_work_months: Annotated[int | None, typer.Option(
                      "--special-work-months", help="on the special-work ground: months of that kind of work")] = None,
                  db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Retire a person from their own record and award the pension, explained step by step."""
    from shebao.benefits.schemas import RetirementApply, RetirementAwardRead
    from shebao.services.retirement import apply_for_retirement

    def call(*, database: Database, command: RetirementApply, now: Any, **_: Any) -> RetirementAwardRead:  # noqa: ANN401
        with database.unit_of_work() as uow:  # a second pension: risk rule R21 records the attempt apart and raises
            outcome = apply_for_retirement(session=uow.session, principal=SYSTEM, command=command, now=now)
            uow.commit()
        if outcome.error is not None:
            raise outcome.error
        return outcome.award

    result = run_use_case(db, as_json, RetirementApply, {"person_id": person, "retire_date": retire_date, "category": category,
                                                          "region_code": region, "ground": ground,
                                                          "special_work_kind": special_work_kind,
                                                          "special_work_months": special_work_months}, call)
    emit(result, as_json, f"award {result['award_id']} · {fen_to_yuan(result['total_fen'])} yuan/month from "
                          f"{result['first_period']}\n{_steps(result)}")


@pension_app.command("award-pending")
def pension_award_pending(province: ProvinceOpt = None, db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Award every pending retirement application of a province (set-based)."""
    from shebao.benefits.awards import award_pending

    run = run_batch(db, as_json, lambda database, settings, report: award_pending(
        database=database, province=province or settings.demo_province, now=SystemClock().now(), actor="system:cli",
        progress=report))
    emit(run.model_dump(mode="json"), as_json, f"awarded {run.persons:,} pensions in {run.province} · run {run.id}")


@pension_app.command("adjust")
def pension_adjust(year: int, province: ProvinceOpt = None, db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Apply the year's pension adjustment (parameters) to everyone retired before it; paid months get the difference."""
    from shebao.benefits.payroll import adjust_pensions

    run = run_batch(db, as_json, lambda database, settings, report: adjust_pensions(
        database=database, province=province or settings.demo_province, year=year, now=SystemClock().now(),
        actor="system:cli"))
    emit(run.model_dump(mode="json"), as_json, f"adjusted {run.persons:,} pensions for {year} in {run.province}")


@pension_app.command("show")
def pension_show(person: PersonOpt, db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """A receiver's award, explanation, adjustments, payroll and certifications."""
    from shebao.benefits.service import pension_of

    result = run_use_case(db, as_json, None, {}, in_transaction(pension_of, person_id=person))
    award = result["award"]
    emit(result, as_json, f"award {award['id']} · {award['status']} · {fen_to_yuan(award['monthly_fen'])} yuan/month · "
                          f"certification due {award['certification_due']}\n{_steps(result['explanation'])}")


@pension_app.command("estimate")
def pension_estimate(person: PersonOpt, category: Annotated[str, typer.Option("--category")],
                     retire_date: Annotated[str | None, typer.Option("--retire-date")] = None,
                     wage_growth: Annotated[str, typer.Option("--wage-growth")] = "0.03",
                     future_index: Annotated[str, typer.Option("--future-index")] = "1.0",
                     account_interest: Annotated[str, typer.Option("--account-interest")] = "0.02",
                     db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Estimate a person's future pension from their record and stated assumptions."""
    from shebao.benefits.schemas import PensionEstimate
    from shebao.benefits.service import estimate

    result = run_use_case(db, as_json, PensionEstimate, {"person_id": person, "category": category, "retire_date": retire_date,
                                                     "wage_growth": wage_growth, "future_index": future_index,
                                                     "account_interest": account_interest}, in_transaction(estimate))
    emit(result, as_json, f"estimate · {fen_to_yuan(result['total_fen'])} yuan/month at "
                          f"{result['retirement_age']['years']}y{result['retirement_age']['months']}m\n{_steps(result)}")


@certification_app.command("record")
def certification_record(person: PersonOpt, method: Annotated[str, typer.Option("--method")],
                         evidence: Annotated[str, typer.Option("--evidence", help="face-check id, officer, source record")],
                         on: Annotated[str | None, typer.Option("--date", help="YYYY-MM-DD (default today)")] = None,
                         db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Record a proof of life; a suspended payment resumes with the arrears paid."""
    from shebao.benefits.receivers import certify
    from shebao.benefits.schemas import CertificationCreate

    day = on or china_today(SystemClock().now()).isoformat()
    result = run_use_case(db, as_json, CertificationCreate, {"person_id": person, "method": method, "certified_on": day,
                                                          "evidence": evidence}, in_transaction(certify))
    emit(result, as_json, f"certified on {result['certified_on']} · {result['status']}"
                          + (f" · resumed, arrears {fen_to_yuan(result['arrears_fen'])} yuan" if result["resumed"] else ""))


@certification_app.command("import")
def certification_import(file: Path, db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Passive certifications from a CSV (id_number,method,date,source): all rows or none, rejected rows listed."""
    from shebao.benefits.receivers import import_certifications
    from shebao.benefits.schemas import CertificationImportRead

    rows = read_import_csv(file, ("id_number", "method", "date", "source"), as_json, checks={"date": iso_date_problem})

    def call(*, database: Database, cipher: FieldCipher, now: Any, **_: Any) -> CertificationImportRead:  # noqa: ANN401
        with database.transaction() as session:
            return import_certifications(session=session, cipher=cipher, principal=SYSTEM, rows=rows, now=now)

    result = run_use_case(db, as_json, None, {}, call)
    emit(result, as_json, f"imported {result['imported']} certifications · {result['resumed']} payments resumed")


@certification_app.command("sweep")
def certification_sweep(province: ProvinceOpt = None, on: Annotated[str | None, typer.Option("--on")] = None,
                        db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Remind receivers whose certification falls due; suspend those past due and the grace period."""
    from shebao.benefits.payroll import sweep_certifications

    now = SystemClock().now()
    try:
        day = date.fromisoformat(on) if on else china_today(now)
    except ValueError:
        invalid_input(f"--on is YYYY-MM-DD: {on}", as_json, f"{DATE_FORMAT_ZH}{given_zh(on)}")
        return
    result = run_batch(db, as_json, lambda database, settings, report: sweep_certifications(
        database=database, province=province or settings.demo_province, on=day, now=now, actor="system:cli"))
    emit(result, as_json, f"reminded {result['reminded']} · suspended {result['suspended']}")


@unemployment_app.command("apply")
def unemployment_apply(person: PersonOpt, separation_date: Annotated[str, typer.Option("--separation-date")],
                       reason: Annotated[str, typer.Option("--reason")], region: Annotated[str, typer.Option("--region")],
                       db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """The one-key unemployment application."""
    from shebao.benefits.claims import apply_unemployment
    from shebao.benefits.schemas import UnemploymentApply

    result = run_use_case(db, as_json, UnemploymentApply, {"person_id": person, "separation_date": separation_date,
                                                            "reason": reason, "region_code": region},
                           in_transaction(apply_unemployment))
    emit(result, as_json, f"claim {result['claim_id']} · {result['entitled_months']} months × "
                          f"{fen_to_yuan(result['monthly_fen'])} yuan from {result['start_period']}")


@unemployment_app.command("pay")
def unemployment_pay(period: str, province: ProvinceOpt = None, db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Pay a month of unemployment benefit and the medical contributions the fund pays (idempotent)."""
    from shebao.benefits.claims import pay_unemployment

    result = run_batch(db, as_json, lambda database, settings, report: pay_unemployment(
        database=database, province=province or settings.demo_province, period=period, now=SystemClock().now(),
        actor="system:cli")).model_dump(mode="json")
    emit(result, as_json, f"unemployment {result['period']}: {result['claims_paid']} claims, benefit "
                          f"{fen_to_yuan(result['benefit_fen'])} yuan, medical {fen_to_yuan(result['medical_fen'])} yuan")


@unemployment_app.command("stop")
def unemployment_stop(person: PersonOpt, on: Annotated[str, typer.Option("--date")],
                      reason: Annotated[str, typer.Option("--reason")] = "reemployed", db: DbOpt = None,
                      as_json: JsonOpt = False) -> None:
    """Stop a running unemployment benefit; the months left carry over."""
    from shebao.benefits.claims import stop_unemployment
    from shebao.benefits.schemas import UnemploymentStop

    result = run_use_case(db, as_json, UnemploymentStop, {"stopped_on": on, "reason": reason},
                           in_transaction(stop_unemployment, person_id=person))
    emit(result, as_json, f"stopped · {result['months_used']} months used, {result['months_left']} left")


@injury_app.command("claim")
def injury_claim(person: PersonOpt, employer: Annotated[int, typer.Option("--employer")],
                 kind: Annotated[str, typer.Option("--kind", help="disability | death")],
                 on: Annotated[str, typer.Option("--date", help="injury date")],
                 grade: Annotated[int | None, typer.Option("--grade", help="1 to 10")] = None,
                 db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Assess a recognised work injury or work death."""
    from shebao.benefits.claims import claim_injury
    from shebao.benefits.schemas import InjuryClaimCreate

    result = run_use_case(db, as_json, InjuryClaimCreate, {"person_id": person, "employer_id": employer, "kind": kind,
                                                        "injury_date": on, "grade": grade}, in_transaction(claim_injury))
    emit(result, as_json, f"one-off {fen_to_yuan(result['one_off_fen'])} yuan · monthly "
                          f"{fen_to_yuan(result['monthly_allowance_fen'])} · funeral {fen_to_yuan(result['funeral_fen'])}")


@maternity_app.command("claim")
def maternity_claim(person: PersonOpt, employer: Annotated[int, typer.Option("--employer")],
                    birth_date: Annotated[str, typer.Option("--birth-date")],
                    difficult: Annotated[bool, typer.Option("--difficult-birth")] = False,
                    babies: Annotated[int, typer.Option("--babies")] = 1, db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Assess the maternity allowance."""
    from shebao.benefits.claims import claim_maternity
    from shebao.benefits.schemas import MaternityClaimCreate

    result = run_use_case(db, as_json, MaternityClaimCreate, {"person_id": person, "employer_id": employer, "birth_date": birth_date,
                                                           "difficult_birth": difficult, "babies": babies},
                           in_transaction(claim_maternity))
    emit(result, as_json, f"{result['leave_days']} days · allowance {fen_to_yuan(result['allowance_fen'])} yuan")
