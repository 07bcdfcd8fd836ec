"""The pension estimate's sliders: what each may be set to and what it starts at, from the parameters in force (never
a number of our own), and the form's values checked against them before anything is estimated, a reason per field.

- retire_shift: months before (−) or after (+) the statutory date, within retirement.early_retirement_max_months and
  retirement.deferred_retirement_max_months (弹性退休);
- wage_growth: the yearly growth of the calculation wage, within the range risk.projection.wage_growth declares and
  starting at its value (the platform's one wage growth assumption, which the fund projection uses too); the same
  rate brings the estimate back to today's money;
- future_index: the contribution index of the months ahead, within pension.average_index_minimum/maximum, starting
  at the estimator's own default (benefits.schemas.PensionEstimate).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from shebao.benefits.schemas import ASSUMPTION_NAMES, PensionEstimate
from shebao.core.errors import DomainError
from shebao.core.money import parse_decimal
from shebao.policy.store import ParameterSnapshot

SHIFT_NAMES = ("提前或推迟退休", "retiring earlier or later")
WAGE_GROWTH = "risk.projection.wage_growth"


@dataclass(frozen=True)
class Slider:
    name: str
    low: Decimal
    high: Decimal
    step: Decimal
    start: Decimal
    shown: str  # how its value reads: "percent", "index" or "months"

    def read(self, value: Decimal | None) -> str:
        """The value as the page's <output> shows it (estimate.js formats it the same way while it moves)."""
        value = self.start if value is None else value
        if self.shown == "percent":
            return f"{value * 100:.1f}%"
        if self.shown == "index":
            return f"{value:.1f}"
        return f"{int(value):+d}"


def sliders(params: ParameterSnapshot) -> dict[str, Slider]:
    """The estimate's sliders in a province today."""
    growth = params.explain(WAGE_GROWTH)
    low, high = growth.range
    default_index = Decimal(PensionEstimate.model_fields["future_index"].default)
    return {
        "retire_shift": Slider("retire_shift", -Decimal(params.value("retirement.early_retirement_max_months")),
                               Decimal(params.value("retirement.deferred_retirement_max_months")), Decimal(1), Decimal(0),
                               "months"),
        "wage_growth": Slider("wage_growth", Decimal(low), Decimal(high), Decimal("0.005"), Decimal(growth.value), "percent"),
        "future_index": Slider("future_index", Decimal(params.value("pension.average_index_minimum")),
                               Decimal(params.value("pension.average_index_maximum")), Decimal("0.1"), default_index,
                               "index"),
    }


def checked(form: dict[str, str], bounds: dict[str, Slider]) -> tuple[dict[str, Decimal], dict[str, tuple[str, str]]]:
    """The sliders' values from the form, and a (Chinese, English) reason for each field that is out of its range or
    not a number. An empty field takes the slider's start."""
    values, problems = {}, {}
    for name, slider in bounds.items():
        text = (form.get(name) or "").strip()
        zh, en = ASSUMPTION_NAMES.get(name, SHIFT_NAMES)
        try:
            value = slider.start if not text else parse_decimal(text, name)
        except DomainError:
            value = None
        if value is None or not slider.low <= value <= slider.high or (name == "retire_shift" and value != int(value)):
            unit = ("个月", " months") if slider.shown == "months" else ("", "")
            problems[name] = (f"{zh}应在合理范围 {slider.low}{unit[0]} 至 {slider.high}{unit[0]} 之内：「{text[:20]}」",
                              f"the {en} lies between {slider.low}{unit[1]} and {slider.high}{unit[1]}: {text[:20]!r}")
            continue
        values[name] = value
    return values, problems
