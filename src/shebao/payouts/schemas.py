"""Request and response models of the payout API: batches, return files, returned lines, the reconciliation."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from shebao.core.clock import UtcDateTime


class PayoutBatchRead(BaseModel):
    id: int
    province: str
    period: str
    source: str
    source_name: str = Field(description="中文")
    bank_code: str
    seq: int
    status: str = Field(description="open | prepared | released")
    status_name: str = Field(description="中文")
    lines: int
    total_fen: int
    returned_lines: int
    returned_fen: int
    prepared_by: str | None = Field(None, description="the maker")
    prepared_at: UtcDateTime | None = None
    approved_by: str | None = Field(None, description="the checker: a second person, never the maker")
    approved_at: UtcDateTime | None = None


class BankReturnImportRead(BaseModel):
    file_id: int
    file_name: str
    already_imported: bool = Field(description="the same file was imported before: nothing changed now")
    lines: int
    total_fen: int
    by_reason: dict[str, int]
    held_payroll_lines: int = Field(0, description="payroll months held again, owed until the account is fixed")


class ReturnedLineRead(BaseModel):
    line_id: int
    reference: str
    province: str
    batch_id: int
    period: str
    source: str
    source_ref: int
    person_id: int | None
    employer_id: int | None
    receiver_name: str
    region_code: str
    bank_code: str
    card_number: str | None
    amount_fen: int
    memo: str
    reason: str
    reason_zh: str
    reason_en: str
    returned_at: UtcDateTime
    return_file_id: int
    status: str = Field(description="returned (awaiting the account's fix) | fixed | resent")
    fixed_by: str | None
    fixed_at: UtcDateTime | None


class ReturnSummary(BaseModel):
    """A payment the bank returned, as its receiver sees it beside the month."""

    reason: str
    reason_zh: str
    reason_en: str
    returned_at: UtcDateTime
    status: str


class AccountFix(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str = Field(min_length=2, max_length=200, description="what was checked or changed (the bank's confirmation, …)")


class PayoutAmountSummary(BaseModel):
    lines: int
    fen: int


class LedgerMovementSummary(BaseModel):
    to_transit_fen: int = Field(description="moved from the payables into transit when the lines were added")
    released_fen: int = Field(description="paid out of cash by the releases")
    transit_released_fen: int = Field(description="taken out of transit by the releases")
    returned_fen: int = Field(description="back into cash by the returns")


class ReconciliationDifferenceSummary(BaseModel):
    check: str
    lines_fen: int
    ledger_fen: int
    reason: str
    reason_en: str


class BankReconciliationSummary(BaseModel):
    bank_code: str
    batches: list[PayoutBatchRead]
    lines: PayoutAmountSummary
    sent: PayoutAmountSummary
    returned: PayoutAmountSummary
    paid: PayoutAmountSummary = Field(description="sent and not returned")
    unreleased: PayoutAmountSummary
    ledger: LedgerMovementSummary
    balanced: bool
    differences: list[ReconciliationDifferenceSummary]


class ReconciliationRead(BaseModel):
    province: str
    period: str
    banks: list[BankReconciliationSummary]
    transit_balance_fen: int = Field(description="the province's transit account in the ledger, now")
    unreleased_fen: int = Field(description="every line of the province awaiting release, now")
    balanced: bool
