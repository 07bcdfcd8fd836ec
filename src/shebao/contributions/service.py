"""Contribution use cases."""

from __future__ import annotations

from datetime import date

from shebao.contributions.rules import assess_month
from shebao.contributions.schemas import AssessCase
from shebao.core.errors import InvalidInput
from shebao.core.periods import Period
from shebao.policy.store import ParameterStore, default_store
from shebao.registry import divisions, rules as registry_rules


def assess_case(*, case: AssessCase, today: date, store: ParameterStore | None = None) -> dict:
    """The calculator: one month for one person under the parameters in force, with their sources."""
    region = registry_rules.check_region_code_format(case.region)
    if region != divisions.NATIONAL_CODE and region[:6] not in divisions.all_divisions():
        raise InvalidInput("region.unknown", f"区划代码 {region} 不存在", f"no region {region}")
    period = Period.parse(case.period)
    if period > Period.of(today):
        raise InvalidInput("period.future", f"缴费期 {period} 尚未到来", f"the period {period} is in the future")
    params = (store or default_store()).at(region, period.first_day())
    result = assess_month(params, category=case.category, declared_base_fen=case.declared_base_fen,
                          work_injury_class=case.work_injury_class)
    return {"region": region, "period": str(period), "category": case.category.value, **result.as_dict()}
