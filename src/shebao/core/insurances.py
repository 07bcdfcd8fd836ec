"""The five insurances: a concept every context shares (contributions bill them, the ledger keeps a pooling
fund for each, benefits pay from them), so it lives in the shared kernel."""

from __future__ import annotations

from enum import StrEnum


class Insurance(StrEnum):
    PENSION = "pension"
    MEDICAL = "medical"
    UNEMPLOYMENT = "unemployment"
    WORK_INJURY = "work_injury"
    MATERNITY = "maternity"


# How each insurance (of a bill, a fund) reads for people, (Chinese, English).
INSURANCE_NAMES: dict[Insurance, tuple[str, str]] = {
    Insurance.PENSION: ("养老保险", "pension insurance"), Insurance.MEDICAL: ("医疗保险", "medical insurance"),
    Insurance.UNEMPLOYMENT: ("失业保险", "unemployment insurance"), Insurance.WORK_INJURY: ("工伤保险", "work-injury insurance"),
    Insurance.MATERNITY: ("生育保险", "maternity insurance"),
}
