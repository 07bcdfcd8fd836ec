"""What a batch job left in a database, by natural keys (never by row ids or times, which a rerun may
change), and the invariants every such outcome must satisfy whether or not the job was killed."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection

from shebao.core import audit
from shebao.core.db import Database
from shebao.ledger.rules import AccountKind
from shebao.ledger.service import account_code

# Natural keys that must each name one row (the schema says so too; this checks what is there).
NATURAL_KEYS = {
    "journal_entries": "idempotency_key",
    "bills": "period, payer_kind, payer_id, kind, reference",
    "assessments": "period, payer_kind, payer_id, person_id, version",
    # one current version of a person's month through a payer (a correction supersedes the one it replaces)
    "(SELECT * FROM assessments WHERE superseded_by IS NULL) current_assessments": "period, payer_kind, payer_id, person_id",
    "payments": "idempotency_key",
    "payroll_lines": "award_id, for_period, kind",
    "payout_lines": "source, source_ref, attempt",
    "ledger_accounts": "code",
}


def _rows(connection: Connection, sql: str, **params: Any) -> list[tuple]:
    return [tuple(row) for row in connection.execute(text(sql), params)]


def _keyed(rows: list[tuple], width: int) -> dict[tuple, tuple]:
    return {row[:width]: row[width:] for row in rows}


def _renamer(c: Connection) -> Callable[[str | None], str | None]:
    """Names for the keys that hold a row id of the job's own: `bill:<bill id>`, `payroll:<run id>:…`, `run:<run id>`.
    On PostgreSQL a killed transaction still used up its sequence values, so the rerun's bills and runs may get other
    ids than an uninterrupted run's; the bill's and the run's natural keys are what must match."""
    bills = {id_: "/".join(map(str, rest)) for id_, *rest in _rows(
        c, "SELECT id, period, payer_kind, payer_id, kind, reference FROM bills")}
    runs = {id_: "/".join(rest) for id_, *rest in _rows(c, "SELECT id, kind, province, period FROM batch_runs")}

    def rename(key: str | None) -> str | None:
        if key and (bill := re.fullmatch(r"bill:(\d+)", key)):
            return f"bill:{bills.get(int(bill[1]), bill[1])}"
        if key and (run := re.fullmatch(r"(payroll|run):(\d+)(.*)", key)):
            return f"{run[1]}:{runs.get(int(run[2]), run[2])}{run[3]}"
        return key

    return rename


def snapshot(url: str) -> dict[str, Any]:
    """Every part of the database that month-end or payroll writes, comparable between two databases."""
    engine = create_engine(url)
    try:
        with engine.connect() as c:
            name = _renamer(c)
            lines = defaultdict(list)
            for key, code, amount in _rows(c, "SELECT e.idempotency_key, a.code, l.amount_fen FROM journal_lines l "
                                              "JOIN journal_entries e ON e.id = l.entry_id "
                                              "JOIN ledger_accounts a ON a.id = l.account_id"):
                lines[key].append((code, int(amount)))
            return {
                "journal": {name(key): (kind, period, tuple(sorted(lines[key])))
                            for key, kind, period in _rows(c, "SELECT idempotency_key, kind, period FROM journal_entries")},
                "balances": dict(_rows(c, "SELECT a.code, COALESCE(SUM(l.amount_fen), 0) FROM ledger_accounts a "
                                          "LEFT JOIN journal_lines l ON l.account_id = a.id GROUP BY a.code")),
                "bills": _keyed(_rows(c, "SELECT period, payer_kind, payer_id, kind, reference, province, amount_fen, persons, "
                                         "due_date FROM bills"), 5),
                "assessments": _keyed(_rows(c, "SELECT period, payer_kind, payer_id, person_id, used_base_fen, "
                                               "pension_account_fen, total_fen, bill_reference FROM assessments"), 4),
                "payroll_lines": {(award, month, kind): (*rest, name(entry)) for award, month, kind, *rest, entry in _rows(
                    c, "SELECT l.award_id, l.for_period, l.kind, l.amount_fen, l.account_part_fen, l.status, l.hold_reason, "
                       "l.paid_period, l.card_id, e.idempotency_key "
                       "FROM payroll_lines l LEFT JOIN journal_entries e ON e.id = l.entry_id")},
                "payouts": _keyed(_rows(c, "SELECT p.award_id, p.for_period, p.kind, o.attempt, b.province, b.period, "
                                           "b.bank_code, b.source, b.seq, b.status, o.amount_fen, o.status, o.memo "
                                           "FROM payout_lines o JOIN payout_batches b ON b.id = o.batch_id "
                                           "JOIN payroll_lines p ON p.id = o.source_ref AND o.source = 'payroll'"), 4),
                "awards": _keyed(_rows(c, "SELECT id, status, monthly_fen, account_remaining_fen FROM pension_awards"), 1),
                "runs": sorted(_rows(c, "SELECT kind, province, period, status, persons, bills, entries, total_fen, "
                                        "chunks_done, chunks_total FROM batch_runs")),
                "audit": [(seq, actor, action, name(subject), detail) for seq, actor, action, subject, detail in _rows(
                    c, "SELECT seq, actor, action, subject, detail FROM audit_records ORDER BY seq")],
            }
    finally:
        engine.dispose()


def broken_invariants(url: str, *, kind: str, province: str, period: str) -> list[str]:
    """What is wrong in the database after a job ran to its end (an empty list when all holds)."""
    engine = create_engine(url)
    try:
        with engine.connect() as c:
            problems = [f"{table}: {key} appears more than once: {dupes[:3]}"
                        for table, key in NATURAL_KEYS.items()
                        if (dupes := _rows(c, f"SELECT {key}, COUNT(*) FROM {table} GROUP BY {key} HAVING COUNT(*) > 1"))]
            problems += [f"entry {key} does not balance ({lines} lines, sum {total})" for key, lines, total in _rows(
                c, "SELECT e.idempotency_key, COUNT(l.id), COALESCE(SUM(l.amount_fen), 0) FROM journal_entries e "
                   "LEFT JOIN journal_lines l ON l.entry_id = e.id GROUP BY e.idempotency_key "
                   "HAVING COUNT(l.id) < 2 OR COALESCE(SUM(l.amount_fen), 0) <> 0")]
            runs = _rows(c, "SELECT status FROM batch_runs WHERE kind = :kind AND province = :province AND period = :period",
                         kind=kind, province=province, period=period)
            if runs != [("done",)]:
                problems.append(f"the {kind} run of {period} is recorded as {runs}, not done once")
            problems += _bills_posted_once(c, province, period) if kind == "month_end" else _lines_paid_once(c, province)
    finally:
        engine.dispose()
    database = Database(url)
    try:
        with database.unit_of_work() as uow:
            chain = audit.verify(uow.session)
    finally:
        database.dispose()
    if not chain.ok:
        problems.append(f"audit chain broken at {chain.first_broken_seq}: {chain.problem}")
    return problems


def _bills_posted_once(c: Connection, province: str, period: str) -> list[str]:
    """Each monthly bill of the period has its one entry, debiting the payer's receivable by the bill's amount (a bill
    of nothing owed has none)."""
    rows = _rows(c, "SELECT b.id, b.amount_fen, e.idempotency_key, "
                    "(SELECT SUM(l.amount_fen) FROM journal_lines l WHERE l.entry_id = e.id AND l.amount_fen > 0) "
                    "FROM bills b LEFT JOIN journal_entries e ON e.idempotency_key = 'bill:' || CAST(b.id AS VARCHAR(20)) "
                    "WHERE b.province = :province AND b.period = :period AND b.kind = 'monthly'",
                 province=province, period=period)
    return [f"bill {bill} of {amount} fen posted as {key} for {debit}" for bill, amount, key, debit in rows
            if (key is not None if amount == 0 else key is None or debit != amount)]


def _lines_paid_once(c: Connection, province: str) -> list[str]:
    """What payroll entries moved into transit is what the banks' payroll lines hold; the lines paid are exactly
    those with one payment pending or sent to the bank (the others the bank returned, owed again): none paid twice,
    none paid unmarked or unsent; and no payroll entry touches cash (a second person's release of the batch does)."""
    def moved(kind: AccountKind) -> int:
        code = account_code(kind, province=province)
        return c.execute(text("SELECT COALESCE(-SUM(l.amount_fen), 0) FROM journal_lines l "
                              "JOIN journal_entries e ON e.id = l.entry_id JOIN ledger_accounts a ON a.id = l.account_id "
                              "WHERE e.kind = 'pension_payroll' AND a.code = :code"), {"code": code}).scalar_one()

    def total(sql: str) -> int:
        return c.execute(text(sql), {"province": province}).scalar_one()

    sent, cash = moved(AccountKind.PAYOUT_TRANSIT), moved(AccountKind.CASH)
    to_banks = total("SELECT COALESCE(SUM(amount_fen), 0) FROM payout_lines WHERE province = :province "
                     "AND source = 'payroll'")
    paying = total("SELECT COALESCE(SUM(amount_fen), 0) FROM payout_lines WHERE province = :province "
                   "AND source = 'payroll' AND status IN ('pending', 'sent')")
    marked = total("SELECT COALESCE(SUM(amount_fen), 0) FROM payroll_lines WHERE province = :province AND status = 'paid'")
    unmarked = c.execute(text("SELECT COUNT(*) FROM payroll_lines WHERE status = 'paid' AND entry_id IS NULL")).scalar_one()
    unsent = c.execute(text("SELECT COUNT(*) FROM payroll_lines p WHERE p.status = 'paid' AND (SELECT COUNT(*) "
                            "FROM payout_lines o WHERE o.source = 'payroll' AND o.source_ref = p.id "
                            "AND o.status IN ('pending', 'sent')) <> 1")).scalar_one()
    problems = [f"payroll moved {sent} fen into transit but its bank payments hold {to_banks} fen"] if sent != to_banks else []
    problems += [f"{paying} fen of payroll payments are pending or sent but {marked} fen of lines are paid"] \
        if paying != marked else []
    problems += [f"payroll entries paid {cash} fen out of cash before any release"] if cash else []
    problems += [f"{unsent} paid payroll lines are not in exactly one bank payment"] if unsent else []
    return problems + ([f"{unmarked} payroll lines are paid without an entry"] if unmarked else [])


def differences(expected: dict[str, Any], got: dict[str, Any], shown: int = 5) -> list[str]:
    """Section by section, what differs between two snapshots (a few examples of each)."""
    found = []
    for section, want in expected.items():
        have = got[section]
        if have == want:
            continue
        if isinstance(want, dict):
            keys = sorted(set(want) | set(have), key=repr)
            diff = [f"{k!r}: {want.get(k, '<missing>')!r} != {have.get(k, '<missing>')!r}"
                    for k in keys if want.get(k) != have.get(k)]
        else:
            diff = [f"{w!r} != {h!r}" for w, h in zip(want, have) if w != h] + (
                [f"{len(want)} rows != {len(have)} rows"] if len(want) != len(have) else [])
        found.append(f"{section} ({len(diff)} differ): " + "; ".join(diff[:shown]))
    return found
