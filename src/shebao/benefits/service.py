"""Benefit use cases that need no database yet: the statutory retirement date and a pension case."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from shebao.benefits.rules import Group, PensionCase, add_months, calculate_pension, statutory_age
from shebao.core.errors import InvalidInput
from shebao.policy.store import ParameterStore, default_store

SEX_OF_GROUP = {Group.MALE: "M", Group.FEMALE_CADRE: "F", Group.FEMALE_WORKER: "F"}


class PensionCaseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    region: str
    retire_date: date
    birth_date: date
    sex: str = Field(pattern="^[MF]$")
    category: Group
    contribution_months: StrictInt = Field(ge=0, le=12 * 80)
    deemed_months: StrictInt = Field(0, ge=0, le=12 * 60)
    average_index: str = Field(description='average contribution index as a decimal string, e.g. "1.2"')
    personal_account_fen: StrictInt = Field(ge=0)
    calculation_wage_fen: StrictInt | None = Field(None, ge=1)


def _check_group(sex: str, group: Group) -> None:
    if SEX_OF_GROUP[group] != sex:
        raise InvalidInput("retirement.category_sex", f"类别 {group.value} 与性别 {sex} 不符", f"category {group.value} does not fit sex {sex}")


def _age_params(store: ParameterStore, region: str, birth_date: date, group: Group):  # noqa: ANN202
    """The parameters in force when the person reached the original age: they decide whether the
    reform's later age applies. The original ages (50 to 60) are read at 60, when all were reached."""
    original = store.at(region, add_months(birth_date, 60 * 12)).value(f"retirement.{group.value}.original_age_months")
    return store.at(region, add_months(birth_date, original))


def retirement_date(*, birth_date: date, sex: str, group: Group, region: str = "000000",
                    store: ParameterStore | None = None) -> dict:
    """The statutory retirement date and age for a birth date, sex and category."""
    _check_group(sex, group)
    store = store or default_store()
    age_params = _age_params(store, region, birth_date, group)
    age, steps = statutory_age(age_params, group=group, birth_date=birth_date)
    return {"birth_date": birth_date.isoformat(), "sex": sex, "category": group.value, "age": age.years_months,
            "statutory_date": add_months(birth_date, age.months).isoformat(), "steps": steps}


def pension_case(*, case: PensionCaseIn, store: ParameterStore | None = None) -> dict:
    """The explained award for one case (the calculator behind `shebao pension calc`)."""
    _check_group(case.sex, case.category)
    try:
        index = Decimal(case.average_index)
    except InvalidOperation:
        raise InvalidInput("pension.index", f"平均缴费指数格式错误：{case.average_index}", f"not a decimal: {case.average_index}") from None
    if not Decimal("0.3") <= index <= Decimal("3"):
        raise InvalidInput("pension.index", "平均缴费指数应在 0.3 至 3 之间", "the average contribution index lies between 0.3 and 3")
    if case.retire_date <= case.birth_date:
        raise InvalidInput("pension.retire_date", "退休日期早于出生日期", "the retirement date is before the birth date")
    store = store or default_store()
    age_params = _age_params(store, case.region, case.birth_date, case.category)
    params = store.at(case.region, case.retire_date)
    return calculate_pension(params, age_params, PensionCase(
        region=case.region, retire_date=case.retire_date, birth_date=case.birth_date, group=case.category,
        contribution_months=case.contribution_months, deemed_months=case.deemed_months, average_index=index,
        personal_account_fen=case.personal_account_fen, calculation_wage_fen=case.calculation_wage_fen))
