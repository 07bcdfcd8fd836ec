"""Region codes (GB/T 2260) and how they nest: 2 digits province, 2 city, 2 county; 9 digits a street.

The one home of region-code arithmetic: a province of a code, a code's level, the prefix every descendant
of a region shares. The region's names and years live in the registry; this is only the shape of codes.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

NATIONAL_REGION = "000000"


@lru_cache
def _division_names() -> tuple[dict[str, str], dict[str, str]]:
    """(provinces, cities): the codes and latest names in python-stdnum's table of division codes, read once — its
    unindented `XX province=` lines and its indented `YY00 county=` lines. 台湾, 香港 and 澳门 (71, 81, 82) are
    outside the platform's funds."""
    import stdnum

    provinces, cities, current = {}, {}, ""
    for line in (Path(stdnum.__file__).parent / "cn" / "loc.dat").read_text(encoding="utf-8").splitlines():
        if line[:2].isdigit():
            current = line[:2]
            if ' province="' in line and current not in {"71", "81", "82"}:
                provinces[current + "0000"] = line.split('"')[1]
        elif line.startswith("  ") and line[2:6].isdigit() and line[4:6] == "00" and line[2:4] != "00" and 'county="' in line:
            cities[current + line[2:6]] = line.split('"')[1].split("]")[-1]
    return provinces, cities


def province_names() -> dict[str, str]:
    """The 31 provinces' codes and names."""
    return _division_names()[0]


def city_names() -> dict[str, str]:
    """City-level codes (XXYY00) and their latest names."""
    return _division_names()[1]


def province_of(code: str) -> str:
    """The province a region lies in: 110105001 → 110000."""
    return code[:2] + "0000"


def city_of(code: str) -> str:
    """The city-level code a region lies under: 110105 → 110100 (it may be a grouping, not a place)."""
    return code[:4] + "00"


def level_of(code: str) -> int:
    """0 the country, 1 a province, 2 a city, 3 a county, 4 a street or township."""
    if code == NATIONAL_REGION:
        return 0
    if len(code) == 9:
        return 4
    if code.endswith("0000"):
        return 1
    if code.endswith("00"):
        return 2
    return 3


def is_province(code: str) -> bool:
    return len(code) == 6 and code.isdigit() and code != NATIONAL_REGION and level_of(code) == 1


def region_prefix(region_code: str) -> str:
    """The code prefix that every descendant of a region shares.

    000000 -> '' (the whole country); 110000 -> '11'; 110100 -> '1101'; 110105 -> '110105';
    110105001 -> '110105001'.
    """
    level = level_of(region_code)
    return {0: "", 1: region_code[:2], 2: region_code[:4]}.get(level, region_code)


def region_within(code: str, scope_code: str) -> bool:
    return code.startswith(region_prefix(scope_code))
