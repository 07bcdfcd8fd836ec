"""What an employer reads and files about its own contributions: the payment history, the arrears with the late
fee for today, and the yearly base declaration as a file (each row a `service.declare_base`, all rows or none)."""

from __future__ import annotations

import csv
import io
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from shebao.contributions import service
from shebao.contributions.collection import outstanding
from shebao.contributions.models import Payment
from shebao.contributions.rules import late_fee
from shebao.contributions.schemas import BaseDeclare
from shebao.core.clock import china_today
from shebao.core.errors import DomainError, InvalidInput
from shebao.core.money import yuan_to_fen
from shebao.core.security import FieldCipher, Principal
from shebao.policy.store import ParameterStore, default_store
from shebao.registry import service as registry

BASE_COLUMNS = ("id_number", "effective_period", "base_yuan")
MAX_BASE_ROWS = 5000


def payments_of(*, session: Session, principal: Principal, payer_kind: str, payer_id: int, limit: int = 60) -> list[dict]:
    """A payer's payments (money and credits), newest first."""
    service.require_payer_in_scope(session=session, principal=principal, payer_kind=payer_kind, payer_id=payer_id)
    rows = session.scalars(select(Payment).where(Payment.payer_kind == payer_kind, Payment.payer_id == payer_id)
                           .order_by(Payment.received_on.desc(), Payment.id.desc()).limit(limit)).all()
    return [{"id": p.id, "amount_fen": p.amount_fen, "received_on": p.received_on, "reference": p.idempotency_key}
            for p in rows]


def arrears_today(*, session: Session, principal: Principal, payer_kind: str, payer_id: int, now: datetime,
                  store: ParameterStore | None = None, overdue_only: bool = True) -> dict:
    """The payer's overdue bills with the statutory late fee for today (`rules.late_fee`, the rate of the bill's
    province today), and what paying them all today costs: the unpaid principal and the fees. With
    `overdue_only=False` the bills not yet due are listed too (no fee): everything a payment today would pay."""
    service.require_payer_in_scope(session=session, principal=principal, payer_kind=payer_kind, payer_id=payer_id)
    today = china_today(now)
    rows = []
    for bill, unpaid in outstanding(session=session, payer_kind=payer_kind, payer_id=payer_id):
        if overdue_only and bill.due_date >= today:
            continue
        days = max((today - bill.due_date).days, 0)
        rate = (store or default_store()).at(bill.province, today).value("contribution.late_fee_daily_rate")
        rows.append({"bill_id": bill.id, "period": bill.period, "due_date": bill.due_date, "unpaid_fen": unpaid,
                     "days_late": days, "late_fee_fen": late_fee(unpaid, days, rate)})
    principal_fen = sum(r["unpaid_fen"] for r in rows)
    fees = sum(r["late_fee_fen"] for r in rows)
    return {"on": today, "bills": rows, "principal_fen": principal_fen, "late_fee_fen": fees,
            "to_pay_fen": principal_fen + fees}


def import_bases(*, session: Session, cipher: FieldCipher, principal: Principal, csv_text: str, now: datetime,
                 store: ParameterStore | None = None) -> list[dict]:
    """The yearly base declaration as a CSV file (id_number,effective_period,base_yuan): every row declared as
    `service.declare_base` would, all rows or none. A file with a rejected row raises InvalidInput whose details
    hold every row as uploaded: `accepted` (would be declared) and `rejected` (with reason and reason_en)."""
    rows = _base_rows(csv_text)
    accepted, rejected = [], []
    today = china_today(now)
    for number, row in rows:
        shown = {"row": number, **{c: (row.get(c) or "")[:60] for c in BASE_COLUMNS}}
        try:
            with session.begin_nested():
                person = registry.person_by_id_number(session=session, cipher=cipher,
                                                      id_number=(row.get("id_number") or "").strip(), today=today)
                declared = service.declare_base(session=session, principal=principal, now=now, store=store,
                                                command=BaseDeclare(person_id=person.id,
                                                                    effective_period=(row.get("effective_period") or "").strip(),
                                                                    declared_base_fen=yuan_to_fen((row.get("base_yuan") or "").strip())))
            accepted.append(shown | {"declaration_id": declared.id})
        except DomainError as problem:
            rejected.append(shown | {"reason": problem.reason, "reason_en": problem.reason_en})
    if rejected:
        raise InvalidInput("bases.import_rejected", f"{len(rejected)} 行有误，整个文件未导入",
                           f"{len(rejected)} rows were rejected; nothing in the file was imported",
                           accepted=[{k: v for k, v in r.items() if k != "declaration_id"} for r in accepted],
                           rejected=rejected)
    return accepted


def _base_rows(csv_text: str) -> list[tuple[int, dict]]:
    """The file's rows numbered as a spreadsheet shows them (the header is row 1)."""
    reader = csv.DictReader(io.StringIO(csv_text.lstrip("\ufeff")))
    try:
        columns = [(name or "").strip() for name in reader.fieldnames or ()]
    except csv.Error as problem:
        raise _unreadable(problem) from None
    if columns != list(BASE_COLUMNS):
        raise InvalidInput("bases.columns", "文件第一行应为列名「" + ",".join(BASE_COLUMNS) + "」",
                           "the file's first line names the columns: " + ",".join(BASE_COLUMNS))
    reader.fieldnames = columns
    try:
        rows = [(number, row) for number, row in enumerate(reader, start=2) if any((v or "").strip() for v in row.values()
                                                                                if isinstance(v, str))]
    except csv.Error as problem:
        raise _unreadable(problem) from None
    if not rows:
        raise InvalidInput("bases.empty", "文件中没有数据行", "the file has no rows")
    if len(rows) > MAX_BASE_ROWS:
        raise InvalidInput("bases.too_many", f"一个文件最多 {MAX_BASE_ROWS} 行", f"a file has at most {MAX_BASE_ROWS} rows")
    return rows


def _unreadable(problem: csv.Error) -> InvalidInput:
    return InvalidInput("bases.unreadable", "文件无法按「CSV」格式读取", f"the file is not readable as CSV: {problem}")
