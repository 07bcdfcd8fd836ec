"""Dated policy parameters: national defaults plus per-province overrides.

Each leaf in the YAML is a parameter with a unit and a list of dated values, every value carrying
`since:` and `source:`. `ParameterStore.at(region_code, day)` answers what was in force: a county or
street falls back to its province, a province to the national default.

**Validity.** A value may also state `until:`, the last day (inclusive) it is known to hold. A figure
published for a period — a year's average wage, the base floor and ceiling of a July–June contribution
year, a year's crediting rate — holds until its period ends; a law or a standard holds until it is
replaced and states no `until`. A later value's `since` ends an earlier one anyway, so an `until` must
fall on or after its own `since` and before the next value's `since` (checked on load).

Asked for a day after the `until` of the value in force, a parameter does what it declares in
`past_validity:`

- `refuse` (**the default**): reading it raises `policy.value_expired` (HTTP 409), naming the parameter,
  the day asked and the last day it is known for. A year's interest cannot be credited before the
  year's rate is published.
- `provisional`: the last value is served, and the `ParameterValue` says so (`provisional`,
  `valid_until`); the snapshot remembers every path it served that way (`provisional_paths()`), so
  that a use case or a batch can mark its result provisional and correct it when the value arrives.

Refusing is the default because a silent carry-forward is the fault this guards against: a parameter
that may be used provisionally says so. A province that overrides a national parameter inherits its
`past_validity` and may not declare a different one.

**Sane range.** A number may declare `range: [min, max]` (inclusive; rates and ratios as quoted decimals, like
their values): every value — every cell of a table — outside it refuses the whole load, naming the file, the
parameter, the value and the range. A threshold mistyped by a factor of ten (a ratio "20" for "2.0", an age of 160)
fails when the files are read, never at use. A province's override inherits the national range, is checked against
it, and may not declare another.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from shebao.core.errors import Conflict, InvalidInput, NotFound, given_zh
from shebao.core.regions import province_of

PARAMETERS_DIR = Path(__file__).parent / "parameters"
NATIONAL = "000000"
_REGION = re.compile(r"^\d{6}(\d{3})?$")
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
UNITS = {"rate", "ratio", "fen", "months", "count", "month", "text", "table"}
REFUSE, PROVISIONAL = "refuse", "provisional"
PAST_VALIDITY = (REFUSE, PROVISIONAL)
DEFAULT_PAST_VALIDITY = REFUSE
VALUE_KEYS = {"since", "until", "value", "source", "checked"}
STALE_AFTER_DAYS = 365  # a value not checked against its source for longer than a year is listed as stale
PARAMETER_KEYS = {"description", "unit", "values", "cells", "choices", "past_validity", "range"}
RANGED_UNITS = {"rate", "ratio", "fen", "months", "count"}  # the units a `range:` may bound (a table: its cells')


class ParameterFileError(ValueError):
    """A parameter file that does not follow the rules; raised on load, never at use."""


@dataclass(frozen=True)
class DatedValue:
    since: date
    value: Any
    source: str
    until: date | None = None  # the last day the value is known to hold; None: until it is replaced
    checked: date | None = None  # the last day someone checked it against its source; None: never recorded


@dataclass(frozen=True)
class Parameter:
    path: str
    unit: str
    description: str
    values: tuple[DatedValue, ...]
    # What reading it past a value's `until` does: refuse or provisional (None only while loading: inherit or default).
    past_validity: str = DEFAULT_PAST_VALIDITY
    range: tuple[Any, Any] | None = None  # the sane [min, max], inclusive, every value checked against it on load
    origin: str = field(default="", compare=False)  # the file it was read from ("national/risk.yaml"), for errors

    def in_force(self, day: date) -> DatedValue | None:
        current = None
        for dated in self.values:
            if dated.since <= day:
                current = dated
        return current


@dataclass(frozen=True)
class ParameterValue:
    """One parameter as it stood on a day, and where it came from.

    `expired` says the day is after `valid_until`; the parameter's `past_validity` then decides: `provisional`
    values are served and marked so, `refuse` values are refused when read (`ParameterSnapshot.explain`)."""

    path: str
    value: Any
    unit: str
    since: date
    source: str
    jurisdiction: str
    description: str
    valid_until: date | None = None
    past_validity: str = DEFAULT_PAST_VALIDITY
    expired: bool = False
    checked: date | None = None
    range: tuple[Any, Any] | None = None  # the parameter's sane [min, max] (None: it declares none)

    @property
    def provisional(self) -> bool:
        """Served past its validity, to be corrected when the value for the day is loaded."""
        return self.expired and self.past_validity == PROVISIONAL

    @property
    def refused(self) -> bool:
        """Past its validity and refused when read."""
        return self.expired and self.past_validity == REFUSE

    def as_dict(self) -> dict[str, Any]:
        value = self.value
        if isinstance(value, Decimal):
            value = str(value)
        elif isinstance(value, dict):
            value = {str(k): str(v) if isinstance(v, Decimal) else v for k, v in value.items()}
        return {
            "path": self.path, "value": value, "unit": self.unit, "since": self.since.isoformat(),
            "source": self.source, "jurisdiction": self.jurisdiction, "description": self.description,
            "valid_until": self.valid_until.isoformat() if self.valid_until else None,
            "past_validity": self.past_validity, "expired": self.expired, "provisional": self.provisional,
            "checked": self.checked.isoformat() if self.checked else None,
            "range": [str(bound) if isinstance(bound, Decimal) else bound for bound in self.range] if self.range else None,
        }

    def stale(self, day: date, after_days: int = STALE_AFTER_DAYS) -> bool:
        """Not checked against its source within `after_days` before the day (or never recorded as checked)."""
        return self.checked is None or (day - self.checked).days > after_days


class ParameterSnapshot:
    """Every parameter in force for one region on one day.

    Read a value as `snapshot.value("contribution.pension.employer_rate")` or by attribute,
    `snapshot.contribution.pension.employer_rate`; read its provenance with `snapshot.explain(path)`.
    A value read past its validity is refused (`policy.value_expired`) or served provisionally; the paths
    served provisionally are `provisional_paths()`, for the caller to mark its result provisional.
    """

    def __init__(self, region_code: str, day: date, values: dict[str, ParameterValue]) -> None:
        self.region_code = region_code
        self.day = day
        self._values = values
        self._served_provisionally: set[str] = set()

    def explain(self, path: str) -> ParameterValue:
        try:
            found = self._values[path]
        except KeyError:
            raise NotFound(
                "policy.not_in_force",
                f"{self.region_code} 在 {self.day} 没有生效的政策参数，请检查参数配置",
                f"no value of {path} in force for {self.region_code} on {self.day}",
                path=path,
            ) from None
        if found.refused:
            raise value_expired(found, self.region_code, self.day)
        if found.provisional:
            self._served_provisionally.add(path)
        return found

    def value(self, path: str) -> Any:
        return self.explain(path).value

    def has(self, path: str) -> bool:
        return path in self._values

    def all(self) -> list[ParameterValue]:
        """Every value in the snapshot, read or not, refused or not (a listing; `explain` is the use)."""
        return [self._values[path] for path in sorted(self._values)]

    def expired(self) -> list[ParameterValue]:
        """The values in force on the day past their validity: those refused and those served provisionally."""
        return [value for value in self.all() if value.expired]

    def stale(self, after_days: int = STALE_AFTER_DAYS) -> list[ParameterValue]:
        """The values in force on the day last checked against their source more than `after_days` before it, or
        never recorded as checked: to be checked before they are trusted further."""
        return [value for value in self.all() if value.stale(self.day, after_days)]

    def provisional_paths(self) -> list[str]:
        """The paths this snapshot has served past their validity so far: a result computed from them is
        provisional, to be corrected when the values for the day are loaded."""
        return sorted(self._served_provisionally)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return _Branch(self, name)


def value_expired(value: ParameterValue, region_code: str, day: date) -> Conflict:
    """The refusal of a value read after the last day it is known for (`past_validity: refuse`)."""
    name = _chinese_name(value.description)
    return Conflict(
        "policy.value_expired",
        f"{name}「{value.path}」的数值仅知有效至 {value.valid_until}，{day} 适用的数值尚未公布录入，"
        f"不能用于计算；请在新数值录入后再办理",
        f"{value.path} is known only until {value.valid_until}; its value for {day} has not been published "
        f"and loaded yet, so it cannot be used (region {region_code}); try again once the new value is loaded",
        path=value.path, date=day.isoformat(), valid_until=value.valid_until.isoformat() if value.valid_until else None,
        region_code=region_code, jurisdiction=value.jurisdiction,
    )


def _chinese_name(description: str) -> str:
    """A parameter's Chinese name: its description without the English gloss in ASCII brackets, or nothing."""
    name = re.sub(r"\s*\([^()]*[A-Za-z][^()]*\)", "", description).strip()
    return name if name and not re.search(r"[A-Za-z]", name) else "政策参数"


class _Branch:
    def __init__(self, snapshot: ParameterSnapshot, prefix: str) -> None:
        self._snapshot = snapshot
        self._prefix = prefix

    def __getattr__(self, name: str) -> Any:
        path = f"{self._prefix}.{name}"
        if self._snapshot.has(path):
            return self._snapshot.value(path)
        if any(p.path.startswith(path + ".") for p in self._snapshot.all()):
            return _Branch(self._snapshot, path)
        return self._snapshot.value(path)  # raises policy.not_in_force naming the path


class ParameterStore:
    def __init__(self, national: dict[str, Parameter], provinces: dict[str, dict[str, Parameter]],
                 cities: dict[str, dict[str, Parameter]] | None = None) -> None:
        self.national = national
        self.provinces = provinces
        self.cities = cities or {}  # a city with rules of its own (深圳 440300): its overrides over its province's

    @classmethod
    def load(cls, root: Path = PARAMETERS_DIR) -> "ParameterStore":
        national = _load_tree(root / "national")
        provinces: dict[str, dict[str, Parameter]] = {}
        cities: dict[str, dict[str, Parameter]] = {}
        provinces_dir = root / "provinces"
        for folder in sorted(p for p in provinces_dir.iterdir() if p.is_dir()) if provinces_dir.exists() else []:
            if not re.fullmatch(r"\d{4}00", folder.name) or folder.name == NATIONAL:
                raise ParameterFileError(f"{folder}: a province or city folder is named by its 6-digit code")
            is_city = not folder.name.endswith("0000")
            overrides = _load_tree(folder)
            for path, parameter in overrides.items():
                base = national.get(path)
                if base is not None and base.unit != parameter.unit:
                    raise ParameterFileError(f"{folder.name}/{path}: unit {parameter.unit} differs from national {base.unit}")
                if base is not None and parameter.past_validity is None:
                    overrides[path] = replace(parameter, past_validity=base.past_validity)
                elif base is not None and parameter.past_validity != base.past_validity:
                    raise ParameterFileError(f"{folder.name}/{path}: past_validity {parameter.past_validity} differs "
                                             f"from national {base.past_validity}")
                if base is not None and base.range is not None:
                    if parameter.range is not None and parameter.range != base.range:
                        raise ParameterFileError(f"{folder.name}/{path}: range {_shown(parameter.range)} differs from "
                                                 f"national {_shown(base.range)} (a province inherits the national range)")
                    _check_range(f"{parameter.origin}: {path}", overrides[path], base.range)
                    overrides[path] = replace(overrides[path], range=base.range)
            (cities if is_city else provinces)[folder.name] = {path: _with_default(parameter)
                                                              for path, parameter in overrides.items()}
        return cls({path: _with_default(parameter) for path, parameter in national.items()}, provinces, cities)

    def at(self, region_code: str, day: date) -> ParameterSnapshot:
        """What was in force in a region on a day (province overrides national, path by path)."""
        if not isinstance(region_code, str) or not _REGION.match(region_code):
            raise InvalidInput("region.malformed", f"区划代码应为6位或9位数字{given_zh(region_code)}",
                               f"a region code has 6 or 9 digits: {region_code!r}")
        values: dict[str, ParameterValue] = {}
        for jurisdiction, parameters in self._layers(region_code):
            for path, parameter in parameters.items():
                dated = parameter.in_force(day)
                if dated is not None:
                    values[path] = ParameterValue(path, dated.value, parameter.unit, dated.since, dated.source,
                                                  jurisdiction, parameter.description, dated.until,
                                                  parameter.past_validity, dated.until is not None and day > dated.until,
                                                  dated.checked, parameter.range)
        return ParameterSnapshot(region_code, day, values)

    def _layers(self, region_code: str) -> list[tuple[str, dict[str, Parameter]]]:
        """National, then the region's province, then its city where the city has rules of its own."""
        if region_code == NATIONAL:
            return [(NATIONAL, self.national)]
        province, city = province_of(region_code), region_code[:4] + "00"
        layers = [(NATIONAL, self.national), (province, self.provinces.get(province, {}))]
        if city in self.cities:
            layers.append((city, self.cities[city]))
        return layers

    def jurisdictions(self) -> list[str]:
        """The national code, every province and every city with parameters of its own."""
        return [NATIONAL, *sorted(self.provinces), *sorted(self.cities)]

    def known_until(self, region_code: str, path: str) -> date | None:
        """The last day a parameter's values are known for in a region (None: the latest holds until replaced).

        For SQL that spans many days (`changes`): a day after it was computed past the parameter's validity."""
        for _, layer in reversed(self._layers(region_code)):
            if path in layer:
                return layer[path].values[-1].until
        raise NotFound("policy.not_in_force", f"{region_code} 没有该政策参数，请检查参数配置",
                       f"no parameter {path} for {region_code}", path=path)

    def changes(self, region_code: str, path: str) -> list[tuple[date, Any]]:
        """Every (day, value) at which a parameter changed in a region, oldest first: for SQL that spans years."""
        days = sorted({dated.since for _, layer in self._layers(region_code) if path in layer for dated in layer[path].values})
        return [(day, self.at(region_code, day).value(path)) for day in days]

@lru_cache
def default_store() -> ParameterStore:
    return ParameterStore.load()


def _with_default(parameter: Parameter) -> Parameter:
    return parameter if parameter.past_validity is not None else replace(parameter, past_validity=DEFAULT_PAST_VALIDITY)


def _load_tree(folder: Path) -> dict[str, Parameter]:
    parameters: dict[str, Parameter] = {}
    for file in sorted(folder.glob("*.yaml")):
        try:
            document = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise ParameterFileError(f"{file}: not valid YAML: {exc}") from exc
        for path, node in _leaves(document, prefix=""):
            if path in parameters:
                raise ParameterFileError(f"{file}: {path} is defined twice")
            parameters[path] = _parse_parameter(file, path, node)
    return parameters


def _leaves(node: Any, prefix: str):
    if not isinstance(node, dict):
        raise ParameterFileError(f"{prefix or 'root'}: expected a mapping")
    for key, child in node.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(child, dict) and "values" in child:
            yield path, child
        else:
            yield from _leaves(child, path)


def _parse_parameter(file: Path, path: str, node: dict[str, Any]) -> Parameter:
    where = f"{file.name}: {path}"
    unknown = set(node) - PARAMETER_KEYS
    if unknown:
        raise ParameterFileError(f"{where}: unknown keys {sorted(map(str, unknown))}; a parameter has {sorted(PARAMETER_KEYS)}")
    unit = node.get("unit")
    if unit not in UNITS:
        raise ParameterFileError(f"{where}: unit must be one of {sorted(UNITS)}, not {unit!r}")
    description = node.get("description")
    if not description:
        raise ParameterFileError(f"{where}: a description is required")
    past_validity = node.get("past_validity")
    if past_validity is not None and past_validity not in PAST_VALIDITY:
        raise ParameterFileError(f"{where}: past_validity must be one of {list(PAST_VALIDITY)}, not {past_validity!r}")
    raw_values = node["values"]
    if not isinstance(raw_values, list) or not raw_values:
        raise ParameterFileError(f"{where}: values must be a non-empty list")
    values = []
    for raw in raw_values:
        if not isinstance(raw, dict) or set(raw) - VALUE_KEYS:
            raise ParameterFileError(f"{where}: each value has since, value and source, and may have until and checked")
        since, source, until, checked = raw.get("since"), raw.get("source"), raw.get("until"), raw.get("checked")
        if not isinstance(since, date) or isinstance(since, datetime):
            raise ParameterFileError(f"{where}: since must be a date YYYY-MM-DD, not {since!r}")
        if not isinstance(source, str) or not source.strip():
            raise ParameterFileError(f"{where}: every value needs a source")
        if "value" not in raw:
            raise ParameterFileError(f"{where} since {since}: value is missing")
        if "until" in raw and (not isinstance(until, date) or isinstance(until, datetime)):
            raise ParameterFileError(f"{where} since {since}: until must be a date YYYY-MM-DD, not {until!r}")
        if until is not None and until < since:
            raise ParameterFileError(f"{where} since {since}: until {until} is before since")
        if "checked" in raw and (not isinstance(checked, date) or isinstance(checked, datetime)):
            raise ParameterFileError(f"{where} since {since}: checked must be a date YYYY-MM-DD, not {checked!r}")
        values.append(DatedValue(since, _coerce(where, unit, raw["value"], node), source.strip(), until, checked))
    if [v.since for v in values] != sorted({v.since for v in values}):
        raise ParameterFileError(f"{where}: values must be in date order with no date repeated")
    for earlier, later in zip(values, values[1:]):
        if earlier.until is not None and earlier.until >= later.since:
            raise ParameterFileError(f"{where} since {earlier.since}: until {earlier.until} must fall before the next "
                                     f"value's since {later.since} (a later value ends an earlier one)")
    sane = _parse_range(where, unit, node)
    origin = f"{file.parent.name}/{file.name}"
    parameter = Parameter(path, unit, str(description), tuple(values), past_validity, sane, origin)  # past_validity None: on load
    if sane is not None:
        _check_range(f"{origin}: {path}", parameter, sane)
    return parameter


def _parse_range(where: str, unit: str, node: dict[str, Any]) -> tuple[Any, Any] | None:
    """A parameter's declared `range: [min, max]`, in its (cells') unit; None when it declares none."""
    if "range" not in node:
        return None
    bounded = node.get("cells") if unit == "table" else unit
    if bounded not in RANGED_UNITS:
        raise ParameterFileError(f"{where}: a range bounds a number ({', '.join(sorted(RANGED_UNITS))}), not a {bounded}")
    raw = node["range"]
    if not isinstance(raw, list) or len(raw) != 2:
        raise ParameterFileError(f"{where}: range is written [min, max], not {raw!r}")
    low, high = (_coerce(f"{where} range", bounded, bound, node) for bound in raw)
    if low > high:
        raise ParameterFileError(f"{where}: range [{low}, {high}] has its min above its max")
    return low, high


def _check_range(where: str, parameter: Parameter, sane: tuple[Any, Any]) -> None:
    """Every value of the parameter (every cell of a table) within `sane`, inclusive; else the load is refused."""
    low, high = sane
    for dated in parameter.values:
        cells = dated.value.items() if isinstance(dated.value, dict) else [(None, dated.value)]
        for key, value in cells:
            if not low <= value <= high:
                cell = f"[{key}]" if key is not None else ""
                raise ParameterFileError(f"{where}{cell} since {dated.since}: {value} is outside its range "
                                         f"{_shown(sane)}; correct the value (or the range, if the law changed)")


def _shown(sane: tuple[Any, Any]) -> str:
    return f"[{sane[0]}, {sane[1]}]"


def _coerce(where: str, unit: str, value: Any, node: dict[str, Any]) -> Any:
    if unit == "table":
        cells = node.get("cells")
        if cells not in UNITS - {"table"}:
            raise ParameterFileError(f"{where}: a table names the unit of its cells")
        if not isinstance(value, dict) or not value:
            raise ParameterFileError(f"{where}: a table value is a non-empty mapping")
        return {key: _coerce(f"{where}[{key}]", cells, cell, node) for key, cell in value.items()}
    if unit in {"rate", "ratio"}:
        if isinstance(value, float):
            raise ParameterFileError(f"{where}: write rates as quoted decimals (\"0.16\"), not floats")
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            raise ParameterFileError(f"{where}: {value!r} is not a decimal") from None
        if number < 0 or (unit == "rate" and number > 1):
            raise ParameterFileError(f"{where}: {number} is outside the range of a {unit}")
        return number
    if unit in {"fen", "months", "count"}:
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ParameterFileError(f"{where}: {unit} must be a non-negative integer, not {value!r}")
        return value
    if unit == "month":
        if not isinstance(value, str) or not _MONTH.match(value):
            raise ParameterFileError(f"{where}: a month is written YYYY-MM, not {value!r}")
        return value
    if not isinstance(value, str) or not value:
        raise ParameterFileError(f"{where}: text must be a non-empty string")
    allowed = node.get("choices")
    if allowed and value not in allowed:
        raise ParameterFileError(f"{where}: {value!r} is not one of {allowed}")
    return value
