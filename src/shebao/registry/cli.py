"""`shebao id check`, `shebao uscc check`, `shebao regions import`: the registry's numbers and regions."""

from __future__ import annotations

from pathlib import Path

import typer

from shebao.clikit import DbOpt, JsonOpt, TodayOpt, command_group, emit, read_import_csv, refuse, settings_for, today_from
from shebao.core.clock import SystemClock
from shebao.core.db import Database
from shebao.core.errors import DomainError

commands = typer.Typer()  # mounted by `shebao/cli.py`; its groups become `shebao id`, `shebao uscc`, `shebao regions`
id_app = command_group("id", "Citizen ID numbers (the social security number)")
uscc_app = command_group("uscc", "Unified social credit codes of employers")
regions_app = command_group("regions", "Administrative regions")
for group in (id_app, uscc_app, regions_app):
    commands.add_typer(group)


@id_app.command("check")
def id_check(number: str, as_json: JsonOpt = False, today: TodayOpt = None) -> None:
    """Validate a citizen ID number; 15-digit numbers come back upgraded to 18."""
    from shebao.registry.rules import parse_id_number

    try:
        parsed = parse_id_number(number, today=today_from(today))
    except DomainError as exc:
        emit({"valid": False, "reason": exc.reason_en, "reason_zh": exc.reason, "code": exc.code}, as_json,
             f"[red]无效 invalid[/red]: {exc.reason} / {exc.reason_en}", code=1)
    payload = {"valid": True, "id_number": parsed.number, "birth_date": parsed.birth_date.isoformat(),
               "sex": parsed.sex.value, "region_code": parsed.address_code, "region_name": parsed.address_name}
    emit(payload, as_json, f"[green]有效 valid[/green] {parsed.number} · {parsed.birth_date} · "
                           f"{'男 M' if parsed.sex == 'M' else '女 F'} · {parsed.address_code} {parsed.address_name}")


@uscc_app.command("check")
def uscc_check(code: str, as_json: JsonOpt = False) -> None:
    """Validate an 18-character unified social credit code."""
    from shebao.registry.divisions import full_name
    from shebao.registry.rules import parse_credit_code

    try:
        credit = parse_credit_code(code)
    except DomainError as exc:
        emit({"valid": False, "reason": exc.reason_en, "reason_zh": exc.reason, "code": exc.code}, as_json,
             f"[red]无效 invalid[/red]: {exc.reason} / {exc.reason_en}", code=1)
    payload = {"valid": True, "uscc": credit.code, "registration_authority": credit.registration_authority,
               "entity_type": credit.entity_type, "region_code": credit.region_code,
               "region_name": full_name(credit.region_code), "organization_code": credit.organization_code}
    emit(payload, as_json, f"[green]有效 valid[/green] {credit.code} · {credit.registration_authority} · "
                           f"{credit.region_code} {payload['region_name']}")


@regions_app.command("import")
def regions_import(file: Path, db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Import streets/townships from a CSV with columns code,name — all rows or none."""
    from shebao.registry.rules import normalise_street_name
    from shebao.registry.service import add_streets

    rows = read_import_csv(file, ("code", "name"), as_json, checks={"name": _street_name_problem})
    streets = [(row["code"].strip(), normalise_street_name(row["name"])) for row in rows]
    database = Database(settings_for(db).database_url)
    try:
        with database.transaction() as session:
            count = add_streets(session=session, streets=streets, origin="import", actor="system:cli",
                                now=SystemClock().now())
    except DomainError as exc:
        refuse(exc, as_json)
    finally:
        database.dispose()
    emit({"imported": count}, as_json, f"imported {count} streets")


def _street_name_problem(name: str) -> tuple[str, str] | None:
    from shebao.registry.rules import normalise_street_name

    try:
        normalise_street_name(name)
    except DomainError as exc:
        return exc.reason, exc.reason_en
    return None
