"""`shebao risk cases|case|assign|note|evidence|conclude|repay|write-off`: risk cases worked at the command line, and
the recovery of confirmed overpayments (risk/cases.py, risk/recovery.py). The operator acts for the whole country
(the SYSTEM principal); every change is audited. shebao/cli.py attaches these to the `risk` group."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from shebao.clikit import DbOpt, JsonOpt, emit, in_transaction, run_use_case
from shebao.core.errors import InvalidInput
from shebao.core.money import fen_to_yuan

CaseArg = Annotated[int, typer.Argument(help="the case's id")]
RecoveryArg = Annotated[int, typer.Argument(help="the recovery's id")]
AmountOpt = Annotated[int, typer.Option("--amount-fen", help="the amount in fen")]
MAX_EVIDENCE_READ = 104_857_600  # the largest risk.cases.evidence_max_bytes allows: a larger file is not read whole


def _line(c: dict) -> str:
    return (f"{c['id']} · {c['region_code']} · {c['rule_id']} {c['rule_name']} · {c['severity']} · "
            f"{fen_to_yuan(c['amount_fen'])} 元 · {c['status_zh']} {c['status']}"
            + (f" · {c['assigned_to']}" if c["assigned_to"] else ""))


def _case_text(c: dict) -> str:
    lines = [_line(c)]
    if c["conclusion_reason"] or c["overpaid_fen"] is not None:
        lines.append(f"  结论 conclusion: 多领 overpaid {c['overpaid_fen']} 分 fen · {c['conclusion_reason'] or ''}")
    lines += [f"  {e['at']} {e['action']} {e['note']} ({e['actor']})" for e in c.get("events", [])]
    lines += [f"  证据 evidence {e['id']}: {e['file_name']} {e['content_type']} {e['size_bytes']} B sha256 {e['sha256']}"
              for e in c.get("evidence", [])]
    if c.get("recovery"):
        lines.append(_recovery_text(c["recovery"]))
    return "\n".join(lines)


def _recovery_text(r: dict) -> str:
    lines = [f"  追回 recovery {r['id']} · {r['debtor']} · 应追回 owed {r['amount_fen']} · 已追回 recovered "
             f"{r['recovered_fen']} · 核销 written off {r['written_off_fen']} · 尚欠 outstanding {r['outstanding_fen']} 分 fen"
             f" · {r['status_zh']} {r['status']}"]
    lines += [f"    {m['at']} {m['kind_zh']} {m['kind']} {m['amount_fen']} {m['period'] or ''} {m['reference'] or ''} "
              f"{m['note']}" for m in r["movements"]]
    return "\n".join(lines)


def cases(region: Annotated[str, typer.Option("--region", help="a province, city, county or street code")],
          status: Annotated[str | None, typer.Option("--status", help="open | assigned | investigating | confirmed | "
                                                                      "cleared")] = None,
          rule: Annotated[str | None, typer.Option("--rule", help="one rule's cases only, e.g. R01_paid_after_death")] = None,
          severity: Annotated[str | None, typer.Option("--severity", help="low | medium | high | critical")] = None,
          db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """The risk cases of a region, those being worked first."""
    from shebao.risk.cases import list_cases

    result = run_use_case(db, as_json, None, {}, in_transaction(list_cases, region=region, status=status, rule=rule,
                                                                 severity=severity))
    emit({"cases": result}, as_json, "\n".join(_line(c) for c in result) or "没有风险案件 / no cases")


def case(case_id: CaseArg, db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """One case with its history, its evidence and its recovery."""
    from shebao.risk.cases import show_case

    result = run_use_case(db, as_json, None, {}, in_transaction(show_case, case_id=case_id))
    emit(result, as_json, _case_text(result))


def assign(case_id: CaseArg, to: Annotated[str, typer.Option("--to", help="the clerk's username (staff:NAME or NAME)")],
           db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Give a case to a clerk of its region."""
    from shebao.risk.cases import assign_case

    result = run_use_case(db, as_json, None, {}, in_transaction(assign_case, case_id=case_id, to=to))
    emit(result, as_json, _line(result))


def note(case_id: CaseArg, text: Annotated[str, typer.Argument(help="what was found")], db: DbOpt = None,
         as_json: JsonOpt = False) -> None:
    """Record what was found on a case."""
    from shebao.risk.cases import add_note

    result = run_use_case(db, as_json, None, {}, in_transaction(add_note, case_id=case_id, note=text))
    emit(result, as_json, _line(result))


def evidence(case_id: CaseArg, file: Annotated[Path, typer.Argument(help="a PDF, PNG, JPEG, TIFF or UTF-8 text file")],
             about: Annotated[str | None, typer.Option("--note", help="what the file shows")] = None,
             db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """File evidence on an assigned case: its type read from its bytes, its SHA-256 kept."""
    from shebao.risk.cases import add_evidence

    def call(*, database, cipher, command, now) -> dict:  # noqa: ANN001, ARG001 - run_use_case's call
        content = _read(file)
        return in_transaction(add_evidence, case_id=case_id, file_name=file.name, content=content, note=about)(
            database=database, cipher=cipher, command=command, now=now)

    result = run_use_case(db, as_json, None, {}, call)
    emit(result, as_json, _case_text(result))


def _read(file: Path) -> bytes:
    try:
        with file.open("rb") as handle:
            return handle.read(MAX_EVIDENCE_READ + 1)
    except OSError as exc:
        raise InvalidInput("risk.evidence_unreadable", "无法读取证据文件", f"cannot read the evidence file: "
                           f"{exc.strerror or exc.__class__.__name__}") from None


def conclude(case_id: CaseArg,
             confirmed: Annotated[bool, typer.Option("--confirmed", help="the finding is true")] = False,
             cleared: Annotated[bool, typer.Option("--cleared", help="the finding is not borne out")] = False,
             overpaid_fen: Annotated[int | None, typer.Option("--overpaid-fen", help="confirmed: the overpaid amount, "
                                                                                    "fen (0 or more)")] = None,
             reason: Annotated[str | None, typer.Option("--reason", help="why cleared; confirmed above the amount at "
                                                                        "stake: why")] = None,
             db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Conclude a case: --confirmed --overpaid-fen N (above 0 opens a recovery), or --cleared --reason TEXT."""
    from shebao.risk.cases import conclude_case

    def call(*, database, cipher, command, now) -> dict:  # noqa: ANN001 - run_use_case's call
        if confirmed == cleared:
            raise InvalidInput("risk.conclusion", "请选择「--confirmed」（查实）或「--cleared」（排除）其中之一",
                               "give one of --confirmed or --cleared")
        return in_transaction(conclude_case, case_id=case_id, confirmed=confirmed, overpaid_fen=overpaid_fen,
                              reason=reason)(database=database, cipher=cipher, command=command, now=now)

    result = run_use_case(db, as_json, None, {}, call)
    emit(result, as_json, _case_text(result))


def repay(recovery_id: RecoveryArg, amount_fen: AmountOpt,
          reference: Annotated[str, typer.Option("--reference", help="the bank reference of the repayment")],
          db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Record a repayment received towards a recovery."""
    from shebao.risk.recovery import repay as record

    result = run_use_case(db, as_json, None, {}, in_transaction(record, recovery_id=recovery_id, amount_fen=amount_fen,
                                                                 reference=reference))
    emit(result, as_json, _recovery_text(result))


def write_off(recovery_id: RecoveryArg, amount_fen: AmountOpt,
              reason: Annotated[str, typer.Option("--reason", help="why it will not be recovered")],
              db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Write off what will not be recovered; the fund bears it."""
    from shebao.risk.recovery import write_off as record

    result = run_use_case(db, as_json, None, {}, in_transaction(record, recovery_id=recovery_id, amount_fen=amount_fen,
                                                                 reason=reason))
    emit(result, as_json, _recovery_text(result))
