"""How far each province's rule pack reaches: per parameter and year, sourced by the province, fallen back to the
national value, or missing altogether (`shebao policy coverage`).

A year counts as the province's own when a value of its pack (or, for a city, of its own folder) is in force on
1 July of that year and not past the last day it is written for; a value whose source is a restatement (another
site quoting the notice, marked "restatement" or "verify") is counted as sourced and listed again as restated, so
a reader sees which figures still wait for the official text; a year whose figure is not published yet, served on
the last one, is provisional. Pure over the parameter store.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from shebao.core.regions import city_names, province_names
from shebao.policy.store import NATIONAL, PROVISIONAL, Parameter, ParameterStore


@dataclass(frozen=True)
class PackParameter:
    path: str
    first_year: int  # the earliest year the platform reaches for it (awards, make-up payments, corrections)
    fallback: str | None = None  # a national parameter that stands in when neither layer has the path itself


# What a province's pack should hold, from the year the platform reaches back to (issue #12: 1998 for contributions,
# 2006 for the pension formula).
PACK_PARAMETERS: tuple[PackParameter, ...] = (
    PackParameter("pension.calculation_wage_fen", 2006),
    PackParameter("contribution.base.floor_fen", 1998, fallback="contribution.base.floor_ratio"),
    PackParameter("contribution.base.ceiling_fen", 1998, fallback="contribution.base.ceiling_ratio"),
    PackParameter("wages.average_monthly_fen", 1998),
    PackParameter("unemployment.minimum_wage_fen", 1998),
    PackParameter("pension.transitional_coefficient", 2006),
    PackParameter("pension.transitional_base", 2006),
    PackParameter("pension.transitional_years", 2006),
    PackParameter("pension.years_rounding", 2006),
    PackParameter("pension.divisor_rounding", 2025),
    PackParameter("pension.crediting_rate", 1998),
    PackParameter("unemployment.duration_months", 1999),
    PackParameter("unemployment.ratio_of_minimum_wage", 1999),
    PackParameter("unemployment.amount_rule", 1999),
    PackParameter("maternity.province_extra_days", 2012),
)
STATUSES = ("sourced", "provisional", "fallback", "missing")
RESTATEMENT_MARKS = ("restatement", "restated", "verify")


def _in_force(parameter: Parameter | None, day: date):  # noqa: ANN202 - the DatedValue in force and within its validity
    if parameter is None:
        return None
    dated = parameter.in_force(day)
    if dated is None or (dated.until is not None and day > dated.until):
        return None
    return dated


def year_status(store: ParameterStore, code: str, wanted: PackParameter, year: int) -> tuple[str, bool]:
    """(sourced | provisional | fallback | missing, restated) for one province, parameter and year; provisional: the
    year's figure is not published yet and the last one is served until it is (past_validity: provisional)."""
    day = date(year, 7, 1)
    own = store.provinces.get(code, {}) if code.endswith("0000") else store.cities.get(code, {})
    dated = _in_force(own.get(wanted.path), day)
    if dated is not None:
        return "sourced", any(mark in dated.source.lower() for mark in RESTATEMENT_MARKS)
    parameter = own.get(wanted.path)
    if parameter is not None and parameter.in_force(day) is not None and parameter.past_validity == PROVISIONAL:
        return "provisional", False
    national = [store.national.get(p) for p in (wanted.path, wanted.fallback) if p]
    if any(_in_force(parameter, day) is not None for parameter in national):
        return "fallback", False
    return "missing", False


def coverage(store: ParameterStore, as_of: date, region: str | None = None) -> dict:
    """Per province (or the one asked for) and pack parameter, the years sourced, restated, fallen back and missing."""
    rows = []
    names = province_names()
    codes = [region] if region is not None else [*sorted(names), *sorted(store.cities)]
    for code in codes:
        parameters = {}
        for wanted in PACK_PARAMETERS:
            years: dict[str, list[int]] = {status: [] for status in (*STATUSES, "restated")}
            for year in range(wanted.first_year, as_of.year + 1):
                status, restated = year_status(store, code, wanted, year)
                years[status].append(year)
                if restated:
                    years["restated"].append(year)
            parameters[wanted.path] = years
        sourced = sum(len(p["sourced"]) for p in parameters.values())
        total = sum(len(p[status]) for p in parameters.values() for status in STATUSES)
        rows.append({"code": code, "name": names.get(code) or city_names().get(code, code), "sourced_share": round(sourced / total, 4) if total else 0.0,
                     "fully_sourced": sourced == total,
                     "officially_sourced": sourced == total and not any(p["restated"] for p in parameters.values()),
                     "parameters": parameters})
    return {"as_of": as_of.isoformat(), "national": NATIONAL, "parameters": [p.path for p in PACK_PARAMETERS],
            "provinces": rows}


def year_ranges(years: list[int]) -> str:
    """[2006, 2007, 2008, 2011] → "2006–2008, 2011"."""
    spans: list[list[int]] = []
    for year in years:
        if spans and year == spans[-1][1] + 1:
            spans[-1][1] = year
        else:
            spans.append([year, year])
    return ", ".join(f"{a}–{b}" if a != b else str(a) for a, b in spans) or "—"
