"""The `shebao` command. Each context adds its sub-commands here; `--json` is for machines."""

from __future__ import annotations

import csv
import json
import sys
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from shebao.core.clock import SystemClock, china_today
from shebao.core.db import Database
from shebao.core.errors import DomainError
from shebao.core.money import fen_to_yuan
from shebao.settings import Settings, get_settings

app = typer.Typer(help="shebao 社保 — national social security information platform", no_args_is_help=True,
                  pretty_exceptions_enable=False)
id_app = typer.Typer(help="Citizen ID numbers (the social security number)", no_args_is_help=True)
uscc_app = typer.Typer(help="Unified social credit codes of employers", no_args_is_help=True)
policy_app = typer.Typer(help="Policy parameters in force", no_args_is_help=True)
audit_app = typer.Typer(help="The hash-chained audit log", no_args_is_help=True)
demo_app = typer.Typer(help="The synthetic demo province", no_args_is_help=True)
db_app = typer.Typer(help="Database schema and reference data", no_args_is_help=True)
regions_app = typer.Typer(help="Administrative regions", no_args_is_help=True)
contrib_app = typer.Typer(help="Contribution assessment", no_args_is_help=True)
interest_app = typer.Typer(help="Personal-account interest", no_args_is_help=True)
person_app = typer.Typer(help="A person's records", no_args_is_help=True)
keys_app = typer.Typer(help="The card key hierarchy: national root, ministry, provinces", no_args_is_help=True)
ecard_app = typer.Typer(help="The electronic card's QR codes", no_args_is_help=True)
retirement_app = typer.Typer(help="Statutory retirement ages under the 2025 reform", no_args_is_help=True)
pension_app = typer.Typer(help="Pension calculation", no_args_is_help=True)
for sub, name in ((id_app, "id"), (uscc_app, "uscc"), (policy_app, "policy"), (audit_app, "audit"),
                  (demo_app, "demo"), (db_app, "db"), (regions_app, "regions"), (contrib_app, "contrib"),
                  (interest_app, "interest"), (person_app, "person"), (keys_app, "keys"), (ecard_app, "ecard"),
                  (retirement_app, "retirement"), (pension_app, "pension")):
    app.add_typer(sub, name=name)

out = Console()
err = Console(stderr=True)
JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON for machines")]
DbOpt = Annotated[str | None, typer.Option("--db", help="database URL (default: SHEBAO_DATABASE_URL)")]
TodayOpt = Annotated[str | None, typer.Option("--today", help="the date to judge against (default: today in China)")]


def main() -> None:
    app()


def _settings(db: str | None) -> Settings:
    settings = get_settings()
    return settings.model_copy(update={"database_url": db}) if db else settings


def _today(text: str | None) -> date:
    if text is None:
        return china_today(SystemClock().now())
    try:
        return date.fromisoformat(text)
    except ValueError:
        _fail(f"--today 应为 YYYY-MM-DD：{text} / --today is YYYY-MM-DD: {text}")
        raise


def _emit(payload: dict[str, Any], as_json: bool, human: str, *, code: int = 0) -> None:
    if as_json:
        print(json.dumps(payload, ensure_ascii=False, default=str))
    else:
        (out if code == 0 else err).print(human)
    raise typer.Exit(code)


def _fail(message: str, code: int = 1) -> None:
    err.print(f"[red]{message}[/red]")
    raise typer.Exit(code)


def _invalid_input(problem: str, as_json: bool) -> None:
    """A request the command could not read (wrong type, missing field): exit 1 with the problem."""
    _emit({"error": {"code": "request.invalid", "reason": f"输入有误：{problem}", "reason_en": f"invalid input: {problem}"}},
          as_json, f"[red]输入有误 invalid input[/red]: {problem}", code=1)


def _refusal(exc: DomainError, as_json: bool) -> None:
    _emit({"error": exc.as_dict()}, as_json, f"[red]{exc.reason}[/red]\n{exc.reason_en} ({exc.code})", code=1)


# ------------------------------------------------------------------ id / uscc


@id_app.command("check")
def id_check(number: str, as_json: JsonOpt = False, today: TodayOpt = None) -> None:
    """Validate a citizen ID number; 15-digit numbers come back upgraded to 18."""
    from shebao.registry.rules import parse_id_number

    try:
        parsed = parse_id_number(number, today=_today(today))
    except DomainError as exc:
        _emit({"valid": False, "reason": exc.reason_en, "reason_zh": exc.reason, "code": exc.code}, as_json,
              f"[red]无效 invalid[/red]: {exc.reason} / {exc.reason_en}", code=1)
        return
    payload = {"valid": True, "id_number": parsed.number, "birth_date": parsed.birth_date.isoformat(),
               "sex": parsed.sex.value, "region_code": parsed.address_code, "region_name": parsed.address_name}
    _emit(payload, as_json, f"[green]有效 valid[/green] {parsed.number} · {parsed.birth_date} · "
                            f"{'男 M' if parsed.sex == 'M' else '女 F'} · {parsed.address_code} {parsed.address_name}")


@uscc_app.command("check")
def uscc_check(code: str, as_json: JsonOpt = False) -> None:
    """Validate an 18-character unified social credit code."""
    from shebao.registry.divisions import full_name
    from shebao.registry.rules import parse_credit_code

    try:
        credit = parse_credit_code(code)
    except DomainError as exc:
        _emit({"valid": False, "reason": exc.reason_en, "reason_zh": exc.reason, "code": exc.code}, as_json,
              f"[red]无效 invalid[/red]: {exc.reason} / {exc.reason_en}", code=1)
        return
    payload = {"valid": True, "uscc": credit.code, "registration_authority": credit.registration_authority,
               "entity_type": credit.entity_type, "region_code": credit.region_code,
               "region_name": full_name(credit.region_code), "organization_code": credit.organization_code}
    _emit(payload, as_json, f"[green]有效 valid[/green] {credit.code} · {credit.registration_authority} · "
                            f"{credit.region_code} {payload['region_name']}")


# ------------------------------------------------------------------ policy


@policy_app.command("show")
def policy_show(region_code: str, day: str, as_json: JsonOpt = False) -> None:
    """Every parameter in force for a region on a day, with its source."""
    from shebao.policy.store import default_store

    try:
        when = date.fromisoformat(day)
    except ValueError:
        _fail(f"日期应为 YYYY-MM-DD：{day} / a date is YYYY-MM-DD: {day}")
        return
    try:
        snapshot = default_store().at(region_code, when)
    except DomainError as exc:
        _refusal(exc, as_json)
        return
    rows = [p.as_dict() for p in snapshot.all()]
    if as_json:
        _emit({"region_code": region_code, "date": day, "parameters": rows}, True, "")
    table = Table(title=f"{region_code} · {day}", show_lines=False)
    for column in ("parameter", "value", "since", "from", "source"):
        table.add_column(column, overflow="fold")
    for row in rows:
        value = row["value"] if not isinstance(row["value"], dict) else ", ".join(f"{k}:{v}" for k, v in row["value"].items())
        table.add_row(row["path"], str(value), row["since"], row["jurisdiction"], row["source"])
    out.print(table)


# ------------------------------------------------------------------ contributions


@contrib_app.command("assess")
def contrib_assess(input_file: Annotated[Path, typer.Option("--input", help="CASE.json: region, period, category, declared_base_fen")],
                   as_json: JsonOpt = False, today: TodayOpt = None) -> None:
    """One month for one person: the base used and each party's amount per insurance, in fen."""
    from pydantic import ValidationError

    from shebao.contributions.schemas import AssessCase
    from shebao.contributions.service import assess_case

    try:
        case = AssessCase.model_validate_json(input_file.read_bytes())
        result = assess_case(case=case, today=_today(today))
    except OSError as exc:
        _fail(f"无法读取输入文件 / cannot read the input: {exc.strerror}: {input_file}")
        return
    except ValidationError as exc:
        first = exc.errors()[0]
        _invalid_input(".".join(str(p) for p in first["loc"]) + ": " + first["msg"], as_json)
        return
    except DomainError as exc:
        _refusal(exc, as_json)
        return
    if as_json:
        _emit(result, True, "")
    table = Table(title=f"{result['region']} · {result['period']} · {result['category']} · "
                        f"base {fen_to_yuan(result['used_base_fen'])} yuan "
                        f"(floor {fen_to_yuan(result['floor_fen'])}, ceiling {fen_to_yuan(result['ceiling_fen'])})")
    for column in ("insurance 险种", "employer 单位", "individual 个人", "personal account 个人账户"):
        table.add_column(column, justify="right")
    for item in result["items"]:
        table.add_row(item["insurance"], fen_to_yuan(item["employer_fen"]), fen_to_yuan(item["individual_fen"]),
                      fen_to_yuan(item["personal_account_fen"]))
    sums = [sum(item[key] for item in result["items"]) for key in ("employer_fen", "individual_fen", "personal_account_fen")]
    table.add_row("total 合计", *(fen_to_yuan(value) for value in sums))
    out.print(table)
    out.print(f"应缴合计 total due: {fen_to_yuan(result['total_fen'])} yuan")


ProvinceOpt = Annotated[str | None, typer.Option("--province", help="6-digit province code (default: the demo province)")]


def _run_batch(db: str | None, as_json: bool, job):  # noqa: ANN001, ANN202 - job(database, settings, progress)
    """Runs a set-based job with a progress bar; a refusal becomes a CLI message."""
    from shebao.audit.cli import checkpoint_after_batch

    settings = _settings(db)
    database = Database(settings.database_url)
    try:
        with _progress() as bar:
            report = _reporter(bar)

            result = job(database, settings, report)
        checkpoint_after_batch(settings, database)  # the run's audit records anchored as soon as it ends
        return result
    except DomainError as exc:
        _refusal(exc, as_json)
    finally:
        database.dispose()


@app.command("month-end")
def month_end(period: str, province: ProvinceOpt = None, db: DbOpt = None, as_json: JsonOpt = False,
              person_chunk: Annotated[int | None, typer.Option(min=1, help="person ids assessed per transaction")] = None,
              bill_chunk: Annotated[int | None, typer.Option(min=1, help="bill ids posted per transaction")] = None) -> None:
    """Assess, bill and post a month for a whole province (set-based, resumable, idempotent)."""
    from shebao.contributions.batch import BILL_CHUNK, PERSON_CHUNK, run_month_end

    run_record = _run_batch(db, as_json, lambda database, settings, report: run_month_end(
        database=database, province=province or settings.demo_province, period=period, now=SystemClock().now(),
        actor="system:cli", progress=report, person_chunk=person_chunk or PERSON_CHUNK, bill_chunk=bill_chunk or BILL_CHUNK))
    _emit(run_record.model_dump(mode="json"), as_json,
          f"month-end {run_record.period} · {run_record.province}: {run_record.persons:,} persons, {run_record.bills:,} bills, "
          f"{fen_to_yuan(run_record.total_fen)} yuan billed ({run_record.duration_ms or 0} ms) · run {run_record.id}")


@interest_app.command("credit")
def interest_credit(year: int, province: ProvinceOpt = None, db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Credit a year's interest to every personal account of a province (set-based, idempotent)."""
    from shebao.ledger.batch import credit_interest

    run_record = _run_batch(db, as_json, lambda database, settings, report: credit_interest(
        database=database, province=province or settings.demo_province, year=year, now=SystemClock().now(),
        actor="system:cli", progress=report))
    _emit(run_record.model_dump(mode="json"), as_json,
          f"interest {year} · {run_record.province}: {run_record.persons:,} accounts, "
          f"{fen_to_yuan(run_record.total_fen)} yuan credited · run {run_record.id}")


@person_app.command("record")
def person_record(person: Annotated[str, typer.Argument(help="the person's id, or their citizen ID number")],
                  db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """A person's electronic archive: contributions, months counted and interrupted, account statement."""
    from shebao.core.security import SYSTEM, FieldCipher
    from shebao.registry.service import person_by_id_number
    from shebao.services.archive import person_record as read_record

    settings = _settings(db)
    database = Database(settings.database_url)
    now = SystemClock().now()
    try:
        with database.transaction() as session:
            person_id = int(person) if person.isdigit() and len(person) < 15 else person_by_id_number(
                session=session, cipher=FieldCipher(settings.secret_key), id_number=person, today=china_today(now)).id
            record = read_record(session=session, principal=SYSTEM, person_id=person_id, now=now)
    except DomainError as exc:
        _refusal(exc, as_json)
        return
    finally:
        database.dispose()
    if as_json:
        _emit(record.model_dump(mode="json"), True, "")
    _print_record(record)


def _print_record(record) -> None:  # noqa: ANN001 - a PersonRecord
    out.print(f"[bold]{record.name}[/bold] {record.id_number_masked} · as of {record.as_of} · "
              f"counted {record.years_counted['years']} years {record.years_counted['months']} months "
              f"({record.paid_months} paid months)")
    if record.interrupted_spans:
        out.print(f"断缴 interrupted: {', '.join(record.interrupted_spans)}")
    table = Table(title="个人账户 personal account (yuan)")
    for column in ("year", "opening", "contributions", "interest", "closing"):
        table.add_column(column, justify="right")
    for y in record.statement:
        table.add_row(str(y.year), fen_to_yuan(y.opening_fen), fen_to_yuan(y.contributions_fen),
                      fen_to_yuan(y.interest_fen), fen_to_yuan(y.closing_fen))
    out.print(table)
    months = Table(title="缴费记录 contributions")
    for column in ("period", "payer", "region", "base", "employer", "individual", "to account", "paid"):
        months.add_column(column)
    for m in record.months[-24:]:
        months.add_row(m.period, m.payer_name, m.region_code, fen_to_yuan(m.used_base_fen), fen_to_yuan(m.employer_fen),
                       fen_to_yuan(m.individual_fen), fen_to_yuan(m.personal_account_fen), "✓" if m.paid else "✗")
    out.print(months)


# ------------------------------------------------------------------ keys and the electronic card


def _keystore():  # noqa: ANN202
    from shebao.cards.keys import KeyStore

    settings = get_settings()
    return KeyStore(settings.key_dir, settings.key_passphrase)


@keys_app.command("init")
def keys_init(as_json: JsonOpt = False) -> None:
    """Create the national root key and the ministry key it signs (once)."""
    try:
        trust = _keystore().init(now=SystemClock().now())
    except DomainError as exc:
        _refusal(exc, as_json)
        return
    _emit({"root": trust.root_key_id, "ministry": list(trust.certificates)}, as_json,
          f"root {trust.root_key_id} · ministry {', '.join(trust.certificates)} · private keys encrypted in {get_settings().key_dir}")


@keys_app.command("rotate")
def keys_rotate(province: Annotated[str, typer.Option("--province", help="6-digit province code")],
                as_json: JsonOpt = False) -> None:
    """Give a province a new issuing key signed by the ministry; the old one lapses within minutes."""
    try:
        cert = _keystore().rotate_province(province=province, now=SystemClock().now())
    except DomainError as exc:
        _refusal(exc, as_json)
        return
    _emit({"key_id": cert.key_id, "province": cert.province, "valid_to": cert.valid_to}, as_json,
          f"{cert.province}: new issuing key {cert.key_id}, valid to {cert.valid_to}")


@keys_app.command("revoke")
def keys_revoke(key_id: str, as_json: JsonOpt = False) -> None:
    """Publish a key as revoked in the signed revocation list."""
    try:
        _keystore().revoke(key_id=key_id, now=SystemClock().now())
    except DomainError as exc:
        _refusal(exc, as_json)
        return
    _emit({"revoked": key_id}, as_json, f"revoked {key_id}: export the trust file to the terminals")


@keys_app.command("export-trust")
def keys_export_trust(output: Annotated[Path | None, typer.Option("--output", help="file to write (default: print)")] = None) -> None:
    """The public chain terminals hold: root key, certificates and the signed revocation list."""
    try:
        text = _keystore().trust().as_json()
    except DomainError as exc:
        _refusal(exc, False)
        return
    if output is None:
        print(text)
        return
    output.write_text(text, encoding="utf-8")
    out.print(f"trust file written to {output}")


@ecard_app.command("issue")
def ecard_issue(card: Annotated[str, typer.Option("--card", help="card number")],
                province: Annotated[str, typer.Option("--province", help="issuing province")],
                device: Annotated[str, typer.Option("--device", help="the device the code is bound to")] = "counter") -> None:
    """Sign a QR payload for a card (for terminal testing; the portal issues them to card holders)."""
    from shebao.cards.ecard import issue_code

    try:
        print(issue_code(keys=_keystore(), card_number=card, province=province, device_id=device, now=SystemClock().now()))
    except DomainError as exc:
        _refusal(exc, False)


@ecard_app.command("verify")
def ecard_verify(payload: str, trust: Annotated[Path, typer.Option("--trust", help="the exported trust file")],
                 seen: Annotated[Path | None, typer.Option("--seen", help="file of nonces already accepted (replay check)")] = None,
                 as_json: JsonOpt = False) -> None:
    """A terminal's offline check of a QR payload; exit 0 when valid, 1 with the reason when refused."""
    from shebao.cards.ecard import REASONS_ZH, ReplayGuard, verify_code
    from shebao.cards.keys import TrustFile

    try:
        trust_file = TrustFile.from_json(trust.read_text(encoding="utf-8"))
    except OSError as exc:
        _fail(f"无法读取信任文件 / cannot read the trust file: {exc.strerror}: {trust}")
        return
    except DomainError as exc:
        _refusal(exc, as_json)
        return
    guard = ReplayGuard(json.loads(seen.read_text())) if seen and seen.exists() else ReplayGuard()
    verdict = verify_code(trust=trust_file, code=payload, now=SystemClock().now(), replay=guard if seen else None)
    if seen and verdict.valid:
        seen.write_text(json.dumps(guard.seen), encoding="utf-8")
    body = {**verdict.as_dict(), "reason_zh": REASONS_ZH.get(verdict.reason, verdict.reason)}
    human = (f"[green]有效 valid[/green] card {verdict.card_number} · {verdict.province} · expires {verdict.expires_at}"
             if verdict.valid else f"[red]拒绝 refused[/red]: {body['reason_zh']} ({verdict.reason})")
    _emit(body, as_json, human, code=0 if verdict.valid else 1)


# ------------------------------------------------------------------ retirement and pension


@retirement_app.command("date")
def retirement_date(birth_date: Annotated[str, typer.Option("--birth-date", help="YYYY-MM-DD")],
                    sex: Annotated[str, typer.Option("--sex", help="M or F")],
                    category: Annotated[str, typer.Option("--category", help="male | female_cadre | female_worker")],
                    region: Annotated[str, typer.Option("--region", help="region code")] = "000000",
                    as_json: JsonOpt = False) -> None:
    """The statutory retirement date and age."""
    from shebao.benefits.rules import Group
    from shebao.benefits.service import retirement_date as compute

    try:
        born = date.fromisoformat(birth_date)
        group = Group(category)
    except ValueError as exc:
        _invalid_input(str(exc), as_json)
        return
    try:
        result = compute(birth_date=born, sex=sex, group=group, region=region)
    except DomainError as exc:
        _refusal(exc, as_json)
        return
    _emit(result, as_json, f"法定退休日期 statutory date {result['statutory_date']} · "
                           f"age {result['age']['years']}y{result['age']['months']}m")


@pension_app.command("calc")
def pension_calc(input_file: Annotated[Path, typer.Option("--input", help="CASE.json")], as_json: JsonOpt = False) -> None:
    """One pension case, explained step by step; an ineligible case gives its reasons."""
    from pydantic import ValidationError

    from shebao.benefits.service import PensionCaseIn, pension_case

    try:
        result = pension_case(case=PensionCaseIn.model_validate_json(input_file.read_bytes()))
    except OSError as exc:
        _fail(f"无法读取输入文件 / cannot read the input: {exc.strerror}: {input_file}")
        return
    except ValidationError as exc:
        first = exc.errors()[0]
        _invalid_input(".".join(str(p) for p in first["loc"]) + ": " + first["msg"], as_json)
        return
    except DomainError as exc:
        _refusal(exc, as_json)
        return
    human = (f"eligible · total {fen_to_yuan(result['total_fen'])} yuan/month (basic {fen_to_yuan(result['basic_pension_fen'])}, "
             f"account {fen_to_yuan(result['personal_account_pension_fen'])})" if result["eligible"]
             else "not eligible: " + "; ".join(result["reasons"]))
    _emit(result, as_json, human)


# ------------------------------------------------------------------ database, regions


@db_app.command("upgrade")
def db_upgrade(db: DbOpt = None) -> None:
    """Migrate the schema to the newest revision and load the division codes."""
    settings = _settings(db)
    loaded = prepare_database(settings)
    out.print(f"schema up to date; {loaded} region codes loaded · {settings.database_url}")


def prepare_database(settings: Settings) -> int:
    from shebao.core.migrate import upgrade
    from shebao.registry.service import load_divisions

    upgrade(settings.database_url)
    database = Database(settings.database_url)
    try:
        with database.transaction() as session:
            return load_divisions(session=session)
    finally:
        database.dispose()


@regions_app.command("import")
def regions_import(file: Path, db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Import streets/townships from a CSV with columns code,name — all rows or none."""
    from shebao.registry.service import add_streets

    if not file.exists():
        _fail(f"文件不存在 / no such file: {file}")
    try:
        with file.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            if reader.fieldnames is None or not {"code", "name"} <= set(reader.fieldnames):
                _fail("CSV 需要 code,name 两列 / the CSV needs columns code,name")
            streets = [((row.get("code") or "").strip(), row.get("name") or "") for row in reader]
    except UnicodeDecodeError:
        _fail("文件不是 UTF-8 编码 / the file is not UTF-8")
        return
    database = Database(_settings(db).database_url)
    try:
        with database.transaction() as session:
            count = add_streets(session=session, streets=streets, origin="import", actor="system:cli",
                                now=SystemClock().now())
    except DomainError as exc:
        _refusal(exc, as_json)
        return
    finally:
        database.dispose()
    _emit({"imported": count}, as_json, f"imported {count} streets")


# ------------------------------------------------------------------ demo


@demo_app.command("seed")
def demo_seed(persons: Annotated[int, typer.Option(help="how many persons")] = 10_000,
              province: Annotated[str, typer.Option(help="6-digit province code")] = "110000",
              seed: Annotated[int, typer.Option(help="random seed (same seed, same province)")] = 20240701,
              history_months: Annotated[int, typer.Option(help="months of contribution history to run (0: none)")] = 36,
              db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Seed a believable synthetic province (Faker zh_CN), with a few years of contribution history."""
    settings = _settings(db)
    prepare_database(settings)
    try:
        report = _seed(settings, persons=persons, province=province, seed=seed, history_months=history_months)
    except DomainError as exc:
        _refusal(exc, as_json)
        return
    _emit(report.as_dict(), as_json, f"seeded {report.persons:,} persons ({report.migrants:,} migrants), "
                                     f"{report.employers:,} employers, {report.streets} streets in {province}")


def _seed(settings: Settings, *, persons: int, province: str, seed: int, history_months: int = 36):  # noqa: ANN202
    from shebao.cards.keys import KeyStore
    from shebao.core.periods import Period
    from shebao.core.security import FieldCipher
    from shebao.demo.cards import prepare_demo_cards
    from shebao.demo.history import run_history
    from shebao.demo.retirees import prepare_demo_retirees
    from shebao.demo.seed import seed_demo
    from shebao.demo.unemployed import prepare_demo_unemployed

    if not 0 <= history_months <= 120:
        raise typer.BadParameter("history months are 0 to 120")
    database = Database(settings.database_url)
    now = SystemClock().now()
    start = Period.of(china_today(now)).plus_months(-history_months) if history_months else None
    try:
        with _progress() as bar:
            report = _reporter(bar)

            with database.transaction() as session:
                result = seed_demo(session=session, cipher=FieldCipher(settings.secret_key), province=province,
                                   persons=persons, now=now, random_seed=seed, progress=report, history_start=start)
            if start is not None:
                run_history(database=database, province=province, start=start, now=now, progress=report)
            prepare_demo_cards(database=database, cipher=FieldCipher(settings.secret_key),
                               keys=KeyStore(settings.key_dir, settings.key_passphrase), province=province, now=now)
            prepare_demo_retirees(database=database, cipher=FieldCipher(settings.secret_key), province=province, now=now,
                                  random_seed=seed, progress=report)
            if start is not None:
                prepare_demo_unemployed(database=database, province=province, now=now)
            return result
    finally:
        database.dispose()


def _reporter(bar: Progress):  # noqa: ANN202 - a progress callback (stage, done, total)
    """A callback for batch jobs: one bar per stage, created on the stage's first report."""
    tasks: dict[str, Any] = {}

    def report(stage: str, done: int, total: int) -> None:
        if stage not in tasks:
            tasks[stage] = bar.add_task(stage, total=total)
        bar.update(tasks[stage], completed=done)

    return report


def _progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=err, transient=False)


# ------------------------------------------------------------------ serve, run


@app.command()
def serve(host: Annotated[str | None, typer.Option(help="address to bind")] = None,
          port: Annotated[int | None, typer.Option(help="port")] = None, db: DbOpt = None) -> None:
    """Serve the API and the web pages."""
    import uvicorn

    from shebao.app import create_app

    settings = _settings(db)
    uvicorn.run(create_app(settings), host=host or settings.host, port=port or settings.port, log_level="warning")


@app.command()
def run(host: Annotated[str | None, typer.Option(help="address to bind")] = None,
        port: Annotated[int | None, typer.Option(help="port")] = None, db: DbOpt = None,
        persons: Annotated[int | None, typer.Option(help="persons to seed into an empty database")] = None,
        province: Annotated[str | None, typer.Option(help="province to seed")] = None) -> None:
    """Migrate, seed the demo province when the database is empty, and serve."""
    from shebao.demo.accounts import DEMO_ACCOUNTS
    from shebao.registry.service import holdings

    settings = _settings(db)
    if province:
        settings = settings.model_copy(update={"demo_province": province})
    prepare_database(settings)
    database = Database(settings.database_url)
    with database.unit_of_work() as uow:
        empty = holdings(session=uow.session)["persons"] == 0
    database.dispose()
    if empty:
        _seed(settings, persons=persons or settings.demo_persons, province=settings.demo_province, seed=20240701)
    address = f"http://{host or settings.host}:{port or settings.port}"
    table = Table(title=f"shebao 社保 · {address}  (API docs: {address}/docs)")
    for column in ("role 角色", "username 用户名", "password 密码"):
        table.add_column(column)
    for account in DEMO_ACCOUNTS:
        table.add_row(f"{account.label_zh} {account.label_en}", account.username, account.password)
    out.print(table)
    out.print(f"[bold]Open {address}[/bold] — Ctrl-C stops the server.")
    sys.stdout.flush()
    serve(host=host, port=port, db=db)


if __name__ == "__main__":
    main()


from shebao.accounts import cli as _account_commands  # noqa: E402, F401 - registers `shebao user …` on `app`
from shebao.audit import cli as _audit_commands  # noqa: E402, F401 - registers its commands on `audit_app`
from shebao.benefits import cli as _benefit_commands  # noqa: E402, F401 - registers its commands on `app`
