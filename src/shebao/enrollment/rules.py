"""Enrollment rules: schemes, the modes that reach them, and when two participations clash. Pure."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from shebao.core.errors import InvalidInput

MINIMUM_AGE_YEARS = 16  # 劳动法第十五条: no employment before 16; the residents' scheme is from 16 too


class Scheme(StrEnum):
    EMPLOYEE_PENSION = "employee_pension"
    RESIDENT_PENSION = "resident_pension"
    MEDICAL = "medical"
    UNEMPLOYMENT = "unemployment"
    WORK_INJURY = "work_injury"
    MATERNITY = "maternity"


class Mode(StrEnum):
    EMPLOYER = "employer"  # through an employer
    FLEXIBLE = "flexible"  # a flexible worker, where they work
    RESIDENT = "resident"  # the urban and rural residents' scheme


class Status(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    ENDED = "ended"


SCHEMES_BY_MODE: dict[Mode, tuple[Scheme, ...]] = {
    Mode.EMPLOYER: (Scheme.EMPLOYEE_PENSION, Scheme.MEDICAL, Scheme.UNEMPLOYMENT, Scheme.WORK_INJURY, Scheme.MATERNITY),
    Mode.FLEXIBLE: (Scheme.EMPLOYEE_PENSION, Scheme.MEDICAL),
    Mode.RESIDENT: (Scheme.RESIDENT_PENSION,),
}

# The sets of insurances one may join at once, by the way of participating (each insurance is then its own
# participation, assessed from it alone): an employer insures its employee for all five, or — for someone past
# retirement age, a pensioner rehired, an intern — for work injury alone (单险种参加工伤保险, 人社部发〔2018〕3号);
# a flexible worker joins the employee pension and medical insurance together or either alone.
SCHEME_SETS_BY_MODE: dict[Mode, tuple[tuple[Scheme, ...], ...]] = {
    Mode.EMPLOYER: (SCHEMES_BY_MODE[Mode.EMPLOYER], (Scheme.WORK_INJURY,)),
    Mode.FLEXIBLE: (SCHEMES_BY_MODE[Mode.FLEXIBLE], (Scheme.EMPLOYEE_PENSION,), (Scheme.MEDICAL,)),
    Mode.RESIDENT: (SCHEMES_BY_MODE[Mode.RESIDENT],),
}


def schemes_for(mode: Mode, chosen: list[Scheme] | None) -> tuple[Scheme, ...]:
    """The insurances a new participation starts: the mode's usual set, or a chosen set the rules allow."""
    if not chosen:
        return SCHEMES_BY_MODE[mode]
    wanted = set(chosen)
    for allowed in SCHEME_SETS_BY_MODE[mode]:
        if set(allowed) == wanted:
            return allowed
    choices_zh = "；".join("、".join(SCHEME_NAMES[s] for s in allowed) for allowed in SCHEME_SETS_BY_MODE[mode])
    choices_en = "; ".join(", ".join(s.value for s in allowed) for allowed in SCHEME_SETS_BY_MODE[mode])
    raise InvalidInput("participation.schemes", f"{MODE_NAMES[mode][0]}可参加的险种组合为：{choices_zh}",
                       f"{MODE_NAMES[mode][1]}, one joins one of these sets of insurances: {choices_en}",
                       allowed=[[s.value for s in allowed] for allowed in SCHEME_SETS_BY_MODE[mode]])


# How each way of participating reads for people, (Chinese, English).
MODE_NAMES: dict[Mode, tuple[str, str]] = {
    Mode.EMPLOYER: ("单位职工", "through an employer"), Mode.FLEXIBLE: ("灵活就业人员", "as a flexible worker"),
    Mode.RESIDENT: ("城乡居民", "as a resident"),
}

SCHEME_NAMES = {
    Scheme.EMPLOYEE_PENSION: "企业职工基本养老保险", Scheme.RESIDENT_PENSION: "城乡居民基本养老保险",
    Scheme.MEDICAL: "职工基本医疗保险", Scheme.UNEMPLOYMENT: "失业保险", Scheme.WORK_INJURY: "工伤保险",
    Scheme.MATERNITY: "生育保险",
}


def exclusion_group(scheme: Scheme) -> str:
    """Schemes in one group exclude each other: one pension at a time, employee or resident."""
    return "pension" if scheme in (Scheme.EMPLOYEE_PENSION, Scheme.RESIDENT_PENSION) else scheme.value


def overlaps(start: date, end: date | None, other_start: date, other_end: date | None) -> bool:
    """Whether two spans of days (end inclusive, None open) share a day."""
    return (other_end is None or start <= other_end) and (end is None or other_start <= end)


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def check_start(*, birth_date: date, start: date, today: date) -> None:
    """A participation starts neither in the future nor before the person is 16."""
    if start > today:
        raise InvalidInput("participation.start_in_future", f"参保开始日期 {start} 晚于今天",
                           f"the start date {start} is in the future")
    if age_on(birth_date, start) < MINIMUM_AGE_YEARS:
        raise InvalidInput("participation.too_young", f"{start} 时未满 {MINIMUM_AGE_YEARS} 周岁，不能参保",
                           f"under {MINIMUM_AGE_YEARS} on {start}: too young to participate")


def check_end(*, start: date, end: date, today: date) -> None:
    if end < start:
        raise InvalidInput("participation.end_before_start", f"停保日期 {end} 早于参保日期 {start}",
                           f"the end date {end} is before the start date {start}")
    if end > today:
        raise InvalidInput("participation.end_in_future", f"停保日期 {end} 晚于今天", f"the end date {end} is in the future")
