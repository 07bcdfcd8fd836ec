"""Administrative division codes with the years each was in use, read from python-stdnum's data.

Pure data access (a file shipped with the library): no database, no clock.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import stdnum

from shebao.core.regions import city_of, level_of, province_of  # noqa: F401 - level_of re-exported

NATIONAL_CODE = "000000"
NATIONAL_NAME = "中华人民共和国"
_NAME_SPAN = re.compile(r"^\[(\d*)-(\d*)\](.*)$")


@dataclass(frozen=True)
class NameSpan:
    """One name a code carried, and the years it carried it (None: open-ended)."""

    name: str
    first_year: int | None
    last_year: int | None

    def overlaps(self, first: int, last: int) -> bool:
        return (self.first_year is None or self.first_year <= last) and (self.last_year is None or self.last_year >= first)

    def covers(self, year: int) -> bool:
        return self.overlaps(year, year)


@dataclass(frozen=True)
class Division:
    code: str
    level: int  # 0 national, 1 province, 2 city, 3 county
    spans: tuple[NameSpan, ...]

    @property
    def name(self) -> str:
        """The most recent name."""
        return self.spans[-1].name

    @property
    def first_year(self) -> int | None:
        starts = [s.first_year for s in self.spans]
        return None if None in starts else min(starts)  # type: ignore[type-var]

    @property
    def last_year(self) -> int | None:
        ends = [s.last_year for s in self.spans]
        return None if None in ends else max(ends)  # type: ignore[type-var]

    def existed_between(self, first: int, last: int) -> bool:
        return any(span.overlaps(first, last) for span in self.spans)

    def name_in(self, year: int) -> str:
        for span in self.spans:
            if span.covers(year):
                return span.name
        return self.name


def _parse_spans(text: str) -> tuple[NameSpan, ...]:
    spans = []
    for part in text.split(","):
        match = _NAME_SPAN.match(part)
        if match:
            first, last, name = match.groups()
            spans.append(NameSpan(name, int(first) if first else None, int(last) if last else None))
        else:
            spans.append(NameSpan(part, None, None))
    return tuple(spans)


@lru_cache
def all_divisions() -> dict[str, Division]:
    """Every province, city and county code stdnum knows, past and present."""
    data = Path(stdnum.__file__).parent / "cn" / "loc.dat"
    divisions: dict[str, Division] = {}
    province = ""
    for line in data.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        key, _, props = line.strip().partition(" ")
        value = props.split("=", 1)[1].strip().strip('"')
        if not line.startswith(" "):
            province = key
            code = province + "0000"
            divisions.setdefault(code, Division(code, 1, _parse_spans(value)))
            continue
        code = province + key
        spans = _parse_spans(value)
        if code.endswith("0000"):
            # The province line carries no years; its own "0000" entry does (e.g. Chongqing 1997-).
            divisions[code] = Division(code, 1, spans)
        else:
            divisions[code] = Division(code, level_of(code), spans)
    return divisions


def parent_code(code: str, known: dict[str, Division] | None = None) -> str | None:
    """The parent a region hangs under: street -> county, county -> city (or province), etc."""
    known = known if known is not None else all_divisions()
    level = level_of(code)
    if level == 0:
        return None
    if level == 1:
        return NATIONAL_CODE
    if level == 4:
        return code[:6]
    if level == 2:
        return province_of(code)
    city = city_of(code)
    return city if city in known else province_of(code)


def _is_placeholder(name: str) -> bool:
    """City-level grouping entries that are not a place's name ("municipal districts", etc.)."""
    return name in ("市辖区", "县") or "直辖县级" in name


def full_name(code: str, year: int | None = None) -> str:
    """Province + city + county, as a person would write it: 北京市朝阳区."""
    divisions = all_divisions()
    parts = []
    for ancestor in (province_of(code), city_of(code), code[:6]):
        division = divisions.get(ancestor)
        if division is None or (parts and _is_placeholder(division.name)):
            continue
        name = division.name_in(year) if year is not None else division.name
        if not parts or parts[-1] != name:
            parts.append(name)
    return "".join(parts)
