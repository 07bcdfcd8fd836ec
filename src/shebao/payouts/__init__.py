"""Payouts: outgoing bank payment batches (payroll now, refunds next), maker-checker release, the bank's return
file and the reconciliation of each bank's month against the ledger."""
