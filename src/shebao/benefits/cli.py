"""`shebao payroll`, `shebao pension award|award-pending|adjust|show|estimate`, `shebao certification …`,
`shebao death record`, `shebao unemployment …`, `shebao injury claim`, `shebao maternity claim`."""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import BaseModel, ValidationError

from shebao.cli import (
    DbOpt,
    JsonOpt,
    ProvinceOpt,
    _emit,
    _fail,
    _invalid_input,
    _invalid_model,
    _refusal,
    _run_batch,
    _settings,
    app,
    iso_date_problem,
    pension_app,
    read_import_csv,
)
from shebao.core.clock import SystemClock, china_today
from shebao.core.db import Database
from shebao.core.errors import DATE_FORMAT_ZH, DomainError, given_zh
from shebao.core.money import fen_to_yuan
from shebao.core.security import SYSTEM, FieldCipher

certification_app = typer.Typer(help="Proof of life of pension receivers", no_args_is_help=True)
death_app = typer.Typer(help="Death records from civil affairs", no_args_is_help=True)
unemployment_app = typer.Typer(help="Unemployment benefit", no_args_is_help=True)
injury_app = typer.Typer(help="Work-injury benefits", no_args_is_help=True)
maternity_app = typer.Typer(help="Maternity allowance", no_args_is_help=True)
for sub, name in ((certification_app, "certification"), (death_app, "death"), (unemployment_app, "unemployment"),
                  (injury_app, "injury"), (maternity_app, "maternity")):
    app.add_typer(sub, name=name)

PersonOpt = Annotated[int, typer.Option("--person", help="the person's id")]


def _use_case(db: str | None, as_json: bool, model: type[BaseModel] | None, fields: dict[str, Any],
              call: Callable[..., dict]) -> dict:
    """Validates the input, runs one use case in one transaction as the system, and turns refusals into messages."""
    try:
        command = model.model_validate(fields) if model else None
    except ValidationError as exc:
        _invalid_model(exc, as_json)
    except DomainError as exc:  # a field's own parser refused it (a decimal, an amount)
        _refusal(exc, as_json)
    settings = _settings(db)
    database = Database(settings.database_url)
    try:
        return call(database=database, cipher=FieldCipher(settings.secret_key), command=command, now=SystemClock().now())
    except DomainError as exc:
        _refusal(exc, as_json)
    finally:
        database.dispose()
    raise AssertionError("unreachable")


def _in_transaction(function: Callable[..., dict], **extra: Any) -> Callable[..., dict]:
    def call(*, database: Database, cipher: FieldCipher, command: Any, now: Any) -> dict:  # noqa: ANN401
        with database.transaction() as session:
            arguments = {"session": session, "principal": SYSTEM} | extra
            if "now" in inspect.signature(function).parameters:
                arguments["now"] = now
            return function(**arguments, **({"command": command} if command is not None else {}))
    return call


def _steps(result: dict) -> str:
    return "\n".join(f"  {s['step']}: {s['value']} — {s['how']}" for s in result.get("steps", []))


@app.command("payroll")
def payroll(period: str, province: ProvinceOpt = None, db: DbOpt = None, as_json: JsonOpt = False,
            chunk: Annotated[int | None, typer.Option(min=1, help="award ids paid per transaction")] = None) -> None:
    """Pay every pension receiver of a province for a month (set-based, resumable, idempotent)."""
    from shebao.benefits.payroll import PAYROLL_CHUNK, run_payroll

    run = _run_batch(db, as_json, lambda database, settings, report: run_payroll(
        database=database, province=province or settings.demo_province, period=period, now=SystemClock().now(),
        actor="system:cli", progress=report, chunk=chunk or PAYROLL_CHUNK))
    held = json.loads(run.detail or "{}").get("held", {})
    _emit(run.model_dump(mode="json"), as_json,
          f"payroll {run.period} · {run.province}: {run.persons:,} lines paid, {fen_to_yuan(run.total_fen)} yuan "
          f"({run.duration_ms or 0} ms) · run {run.id}" + (f" · held {held}" if held else ""))


@app.command("payroll-file")
def payroll_file(period: str, bank: Annotated[str, typer.Option("--bank", help="the bank's code, e.g. ICBC")],
                 province: ProvinceOpt = None, output: Annotated[Path | None, typer.Option("--output")] = None,
                 db: DbOpt = None) -> None:
    """A bank's payment instructions for a paid payroll month (CSV: card, account, amount, months)."""
    from shebao.benefits.payroll import bank_file
    from shebao.core.periods import Period

    settings = _settings(db)
    database = Database(settings.database_url)
    try:
        with database.unit_of_work() as uow:
            text = bank_file(uow.session, cipher=FieldCipher(settings.secret_key), province=province or settings.demo_province,
                             month=Period.parse(period), bank_code=bank)
    except DomainError as exc:
        _refusal(exc, False)
        return
    finally:
        database.dispose()
    if output is None:
        print(text, end="")
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        _fail(f"无法写入文件 / cannot write the file: {exc.strerror}: {output}")


@pension_app.command("award")
def pension_award(person: PersonOpt, retire_date: Annotated[str, typer.Option("--retire-date", help="YYYY-MM-DD")],
                  category: Annotated[str, typer.Option("--category", help="male | female_cadre | female_worker")],
                  region: Annotated[str, typer.Option("--region", help="the agency's region code")],
                  ground: Annotated[str, typer.Option("--ground", help="statutory | early_voluntary | delayed")] = "statutory",
                  db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Retire a person from their own record and award the pension, explained step by step."""
    from shebao.benefits.schemas import RetirementApply
    from shebao.benefits.service import apply_for_retirement

    result = _use_case(db, as_json, RetirementApply, {"person_id": person, "retire_date": retire_date, "category": category,
                                                      "region_code": region, "ground": ground},
                       lambda database, command, now, **_: apply_for_retirement(database=database, principal=SYSTEM,
                                                                                command=command, now=now))
    _emit(result, as_json, f"award {result['award_id']} · {fen_to_yuan(result['total_fen'])} yuan/month from "
                           f"{result['first_period']}\n{_steps(result)}")


@pension_app.command("award-pending")
def pension_award_pending(province: ProvinceOpt = None, db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Award every pending retirement application of a province (set-based)."""
    from shebao.benefits.awards import award_pending

    run = _run_batch(db, as_json, lambda database, settings, report: award_pending(
        database=database, province=province or settings.demo_province, now=SystemClock().now(), actor="system:cli",
        progress=report))
    _emit(run.model_dump(mode="json"), as_json, f"awarded {run.persons:,} pensions in {run.province} · run {run.id}")


@pension_app.command("adjust")
def pension_adjust(year: int, province: ProvinceOpt = None, db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Apply the year's pension adjustment (parameters) to everyone retired before it; paid months get the difference."""
    from shebao.benefits.payroll import adjust_pensions

    run = _run_batch(db, as_json, lambda database, settings, report: adjust_pensions(
        database=database, province=province or settings.demo_province, year=year, now=SystemClock().now(),
        actor="system:cli"))
    _emit(run.model_dump(mode="json"), as_json, f"adjusted {run.persons:,} pensions for {year} in {run.province}")


@pension_app.command("show")
def pension_show(person: PersonOpt, db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """A receiver's award, explanation, adjustments, payroll and certifications."""
    from shebao.benefits.service import pension_of

    result = _use_case(db, as_json, None, {}, _in_transaction(pension_of, person_id=person))
    award = result["award"]
    _emit(result, as_json, f"award {award['id']} · {award['status']} · {fen_to_yuan(award['monthly_fen'])} yuan/month · "
                           f"certification due {award['certification_due']}\n{_steps(result['explanation'])}")


@pension_app.command("estimate")
def pension_estimate(person: PersonOpt, category: Annotated[str, typer.Option("--category")],
                     retire_date: Annotated[str | None, typer.Option("--retire-date")] = None,
                     wage_growth: Annotated[str, typer.Option("--wage-growth")] = "0.03",
                     future_index: Annotated[str, typer.Option("--future-index")] = "1.0",
                     account_interest: Annotated[str, typer.Option("--account-interest")] = "0.02",
                     db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Estimate a person's future pension from their record and stated assumptions."""
    from shebao.benefits.schemas import EstimateIn
    from shebao.benefits.service import estimate

    result = _use_case(db, as_json, EstimateIn, {"person_id": person, "category": category, "retire_date": retire_date,
                                                 "wage_growth": wage_growth, "future_index": future_index,
                                                 "account_interest": account_interest}, _in_transaction(estimate))
    _emit(result, as_json, f"estimate · {fen_to_yuan(result['total_fen'])} yuan/month at "
                           f"{result['retirement_age']['years']}y{result['retirement_age']['months']}m\n{_steps(result)}")


@certification_app.command("record")
def certification_record(person: PersonOpt, method: Annotated[str, typer.Option("--method")],
                         evidence: Annotated[str, typer.Option("--evidence", help="face-check id, officer, source record")],
                         on: Annotated[str | None, typer.Option("--date", help="YYYY-MM-DD (default today)")] = None,
                         db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Record a proof of life; a suspended payment resumes with the arrears paid."""
    from shebao.benefits.receivers import certify
    from shebao.benefits.schemas import CertificationIn

    day = on or china_today(SystemClock().now()).isoformat()
    result = _use_case(db, as_json, CertificationIn, {"person_id": person, "method": method, "certified_on": day,
                                                      "evidence": evidence}, _in_transaction(certify))
    _emit(result, as_json, f"certified on {result['certified_on']} · {result['status']}"
                           + (f" · resumed, arrears {fen_to_yuan(result['arrears_fen'])} yuan" if result["resumed"] else ""))


@certification_app.command("import")
def certification_import(file: Path, db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Passive certifications from a CSV (id_number,method,date,source): all rows or none, rejected rows listed."""
    from shebao.benefits.receivers import import_certifications

    rows = read_import_csv(file, ("id_number", "method", "date", "source"), as_json, checks={"date": iso_date_problem})

    def call(*, database: Database, cipher: FieldCipher, now: Any, **_: Any) -> dict:  # noqa: ANN401
        with database.transaction() as session:
            return import_certifications(session=session, cipher=cipher, principal=SYSTEM, rows=rows, now=now)

    result = _use_case(db, as_json, None, {}, call)
    _emit(result, as_json, f"imported {result['imported']} certifications · {result['resumed']} payments resumed")


@certification_app.command("sweep")
def certification_sweep(province: ProvinceOpt = None, on: Annotated[str | None, typer.Option("--on")] = None,
                        db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Remind receivers whose certification falls due; suspend those past due and the grace period."""
    from shebao.benefits.payroll import sweep_certifications

    now = SystemClock().now()
    try:
        day = date.fromisoformat(on) if on else china_today(now)
    except ValueError:
        _invalid_input(f"--on is YYYY-MM-DD: {on}", as_json, f"{DATE_FORMAT_ZH}{given_zh(on)}")
        return
    result = _run_batch(db, as_json, lambda database, settings, report: sweep_certifications(
        database=database, province=province or settings.demo_province, on=day, now=now, actor="system:cli"))
    _emit(result, as_json, f"reminded {result['reminded']} · suspended {result['suspended']}")


@death_app.command("record")
def death_record(person: PersonOpt, on: Annotated[str, typer.Option("--date", help="date of death YYYY-MM-DD")],
                 source: Annotated[str, typer.Option("--source", help="the civil-affairs record")],
                 db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """A death record: payment stops from the month after; anything paid after it is recovered."""
    from shebao.benefits.schemas import DeathIn
    from shebao.services.deaths import record_death

    result = _use_case(db, as_json, DeathIn, {"person_id": person, "death_date": on, "source": source},
                       _in_transaction(record_death))
    if result["status"] == "review":
        _emit(result, as_json, f"死亡信息待核查 held for review (review {result['review_id']}): {result['conflict']}")
    recovery = result["recovery"]
    _emit(result, as_json, f"已登记死亡 recorded death on {result['death_date']} · "
                           f"{len(result['cards_cancelled'])} card(s) cancelled · {result['participations_ended']} "
                           f"participation(s) ended · {result['logins_disabled']} login(s) disabled"
                           + (f" · recovery of {fen_to_yuan(recovery['amount_fen'])} yuan opened" if recovery else ""))


@unemployment_app.command("apply")
def unemployment_apply(person: PersonOpt, separation_date: Annotated[str, typer.Option("--separation-date")],
                       reason: Annotated[str, typer.Option("--reason")], region: Annotated[str, typer.Option("--region")],
                       db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """The one-key unemployment application."""
    from shebao.benefits.claims import apply_unemployment
    from shebao.benefits.schemas import UnemploymentApply

    result = _use_case(db, as_json, UnemploymentApply, {"person_id": person, "separation_date": separation_date,
                                                        "reason": reason, "region_code": region},
                       _in_transaction(apply_unemployment))
    _emit(result, as_json, f"claim {result['claim_id']} · {result['entitled_months']} months × "
                           f"{fen_to_yuan(result['monthly_fen'])} yuan from {result['start_period']}")


@unemployment_app.command("pay")
def unemployment_pay(period: str, province: ProvinceOpt = None, db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Pay a month of unemployment benefit and the medical contributions the fund pays (idempotent)."""
    from shebao.benefits.claims import pay_unemployment

    result = _run_batch(db, as_json, lambda database, settings, report: pay_unemployment(
        database=database, province=province or settings.demo_province, period=period, now=SystemClock().now(),
        actor="system:cli"))
    _emit(result, as_json, f"unemployment {result['period']}: {result['claims_paid']} claims, benefit "
                           f"{fen_to_yuan(result['benefit_fen'])} yuan, medical {fen_to_yuan(result['medical_fen'])} yuan")


@unemployment_app.command("stop")
def unemployment_stop(person: PersonOpt, on: Annotated[str, typer.Option("--date")],
                      reason: Annotated[str, typer.Option("--reason")] = "reemployed", db: DbOpt = None,
                      as_json: JsonOpt = False) -> None:
    """Stop a running unemployment benefit; the months left carry over."""
    from shebao.benefits.claims import stop_unemployment
    from shebao.benefits.schemas import UnemploymentStop

    result = _use_case(db, as_json, UnemploymentStop, {"stopped_on": on, "reason": reason},
                       _in_transaction(stop_unemployment, person_id=person))
    _emit(result, as_json, f"stopped · {result['months_used']} months used, {result['months_left']} left")


@injury_app.command("claim")
def injury_claim(person: PersonOpt, employer: Annotated[int, typer.Option("--employer")],
                 kind: Annotated[str, typer.Option("--kind", help="disability | death")],
                 on: Annotated[str, typer.Option("--date", help="injury date")],
                 grade: Annotated[int | None, typer.Option("--grade", help="1 to 10")] = None,
                 db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Assess a recognised work injury or work death."""
    from shebao.benefits.claims import claim_injury
    from shebao.benefits.schemas import InjuryClaimIn

    result = _use_case(db, as_json, InjuryClaimIn, {"person_id": person, "employer_id": employer, "kind": kind,
                                                    "injury_date": on, "grade": grade}, _in_transaction(claim_injury))
    _emit(result, as_json, f"one-off {fen_to_yuan(result['one_off_fen'])} yuan · monthly "
                           f"{fen_to_yuan(result['monthly_allowance_fen'])} · funeral {fen_to_yuan(result['funeral_fen'])}")


@maternity_app.command("claim")
def maternity_claim(person: PersonOpt, employer: Annotated[int, typer.Option("--employer")],
                    birth_date: Annotated[str, typer.Option("--birth-date")],
                    difficult: Annotated[bool, typer.Option("--difficult-birth")] = False,
                    babies: Annotated[int, typer.Option("--babies")] = 1, db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Assess the maternity allowance."""
    from shebao.benefits.claims import claim_maternity
    from shebao.benefits.schemas import MaternityClaimIn

    result = _use_case(db, as_json, MaternityClaimIn, {"person_id": person, "employer_id": employer, "birth_date": birth_date,
                                                       "difficult_birth": difficult, "babies": babies},
                       _in_transaction(claim_maternity))
    _emit(result, as_json, f"{result['leave_days']} days · allowance {fen_to_yuan(result['allowance_fen'])} yuan")
