"""The chart of accounts: every account's code, built in one place from the account's owner — a Python
string for one account, or an SQL string expression for an account per row (a person's personal account,
a payer's receivable). Whoever posts names accounts here and never spells a code itself."""

from __future__ import annotations

from dataclasses import dataclass, fields

from sqlalchemy import String, case, cast, func, literal
from sqlalchemy.sql import ColumnElement

from shebao.ledger.rules import AccountKind

Owner = int | ColumnElement | None  # an id, or an SQL expression of ids


def account_code(kind: AccountKind, *, province: str, insurance: str | None = None, person_id: Owner = None,
                 employer_id: Owner = None) -> str | ColumnElement[str]:
    """The one code an account has: pa:person:42, pool:pension:110000, ar:employer:7, cash:110000 ...
    Given SQL expressions for the owner, the same code as an SQL expression over their rows."""
    match kind:
        case AccountKind.PERSONAL_ACCOUNT:
            return _joined("pa:person:", person_id)
        case AccountKind.POOLING_FUND:
            return f"pool:{insurance}:{province}"
        case AccountKind.NATIONAL_FUND:
            return f"national:{insurance}"
        case AccountKind.RECEIVABLE:
            return _receivable_code(person_id, employer_id)
        case _:
            return f"{kind.value}:{province}"


def is_sql(value: object) -> bool:
    """An SQL expression (a column, an ORM attribute, a computed value) rather than a plain Python value."""
    return isinstance(value, ColumnElement) or hasattr(value, "__clause_element__")


def _joined(prefix: str, owner: Owner) -> str | ColumnElement[str]:
    return literal(prefix) + cast(owner, String) if is_sql(owner) else f"{prefix}{owner}"


def _receivable_code(person_id: Owner, employer_id: Owner) -> str | ColumnElement[str]:
    """An employer's receivable when an employer is named, else the person's (a flexible worker pays for themself)."""
    if is_sql(person_id) or is_sql(employer_id):
        prefix = case((_sql(employer_id).isnot(None), literal("ar:employer:")), else_=literal("ar:person:"))
        return prefix + cast(func.coalesce(_sql(employer_id), _sql(person_id)), String)
    return f"ar:employer:{employer_id}" if employer_id is not None else f"ar:person:{person_id}"


def _sql(owner: Owner) -> ColumnElement:
    return owner if is_sql(owner) else literal(owner)


@dataclass(frozen=True)
class Account:
    """An account named by its owner. Python values name one account; SQL expressions over a line set's rows
    name an account per row, which the posting opens where it is missing."""

    kind: AccountKind
    province: str
    insurance: str | None = None
    person_id: Owner = None
    employer_id: Owner = None

    @property
    def per_row(self) -> bool:
        return any(is_sql(getattr(self, f.name)) for f in fields(self))

    @property
    def code(self) -> str | ColumnElement[str]:
        return account_code(self.kind, province=self.province, insurance=self.insurance, person_id=self.person_id,
                            employer_id=self.employer_id)


def personal_account(person_id: Owner, *, province: str) -> Account:
    """A person's pension personal account (opened in the province that first credits it)."""
    return Account(AccountKind.PERSONAL_ACCOUNT, province, person_id=person_id)


def pooling_fund(insurance: str, *, province: str) -> Account:
    return Account(AccountKind.POOLING_FUND, province, insurance=insurance)


def province_account(kind: AccountKind, *, province: str) -> Account:
    """One of the province's own accounts: cash, clearing, interest, benefit payable, brought forward."""
    return Account(kind, province)


def payer_receivable(payer_kind: ColumnElement[str] | str, payer_id: Owner, *, province: str) -> Account:
    """What a payer owes: an employer's receivable, or a flexible worker's own (payer kinds "employer" and
    "flexible", whose payer id is the person's)."""
    if isinstance(payer_kind, str):
        owner = {"employer_id": payer_id} if payer_kind == "employer" else {"person_id": payer_id}
        return Account(AccountKind.RECEIVABLE, province, **owner)
    return Account(AccountKind.RECEIVABLE, province, person_id=case((payer_kind != "employer", payer_id)),
                   employer_id=case((payer_kind == "employer", payer_id)))
