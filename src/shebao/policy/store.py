"""Dated policy parameters: national defaults plus per-province overrides.

Each leaf in the YAML is a parameter with a unit and a list of dated values, every value carrying
`since:` and `source:`. `ParameterStore.at(region_code, day)` answers what was in force: a county or
street falls back to its province, a province to the national default.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from shebao.core.errors import InvalidInput, NotFound, given_zh
from shebao.core.regions import province_of

PARAMETERS_DIR = Path(__file__).parent / "parameters"
NATIONAL = "000000"
_REGION = re.compile(r"^\d{6}(\d{3})?$")
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
UNITS = {"rate", "ratio", "fen", "months", "count", "month", "text", "table"}


class ParameterFileError(ValueError):
    """A parameter file that does not follow the rules; raised on load, never at use."""


@dataclass(frozen=True)
class DatedValue:
    since: date
    value: Any
    source: str


@dataclass(frozen=True)
class Parameter:
    path: str
    unit: str
    description: str
    values: tuple[DatedValue, ...]

    def in_force(self, day: date) -> DatedValue | None:
        current = None
        for dated in self.values:
            if dated.since <= day:
                current = dated
        return current


@dataclass(frozen=True)
class ParameterValue:
    """One parameter as it stood on a day, and where it came from."""

    path: str
    value: Any
    unit: str
    since: date
    source: str
    jurisdiction: str
    description: str

    def as_dict(self) -> dict[str, Any]:
        value = self.value
        if isinstance(value, Decimal):
            value = str(value)
        elif isinstance(value, dict):
            value = {str(k): str(v) if isinstance(v, Decimal) else v for k, v in value.items()}
        return {
            "path": self.path, "value": value, "unit": self.unit, "since": self.since.isoformat(),
            "source": self.source, "jurisdiction": self.jurisdiction, "description": self.description,
        }


class ParameterSnapshot:
    """Every parameter in force for one region on one day.

    Read a value as `snapshot.value("contribution.pension.employer_rate")` or by attribute,
    `snapshot.contribution.pension.employer_rate`; read its provenance with `snapshot.explain(path)`.
    """

    def __init__(self, region_code: str, day: date, values: dict[str, ParameterValue]) -> None:
        self.region_code = region_code
        self.day = day
        self._values = values

    def explain(self, path: str) -> ParameterValue:
        try:
            return self._values[path]
        except KeyError:
            raise NotFound(
                "policy.not_in_force",
                f"{self.region_code} 在 {self.day} 没有生效的政策参数，请检查参数配置",
                f"no value of {path} in force for {self.region_code} on {self.day}",
                path=path,
            ) from None

    def value(self, path: str) -> Any:
        return self.explain(path).value

    def has(self, path: str) -> bool:
        return path in self._values

    def all(self) -> list[ParameterValue]:
        return [self._values[path] for path in sorted(self._values)]

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return _Branch(self, name)


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
    def __init__(self, national: dict[str, Parameter], provinces: dict[str, dict[str, Parameter]]) -> None:
        self.national = national
        self.provinces = provinces

    @classmethod
    def load(cls, root: Path = PARAMETERS_DIR) -> "ParameterStore":
        national = _load_tree(root / "national")
        provinces: dict[str, dict[str, Parameter]] = {}
        provinces_dir = root / "provinces"
        for folder in sorted(p for p in provinces_dir.iterdir() if p.is_dir()) if provinces_dir.exists() else []:
            if not re.fullmatch(r"\d{2}0000", folder.name):
                raise ParameterFileError(f"{folder}: a province folder is named by its 6-digit code")
            overrides = _load_tree(folder)
            for path, parameter in overrides.items():
                base = national.get(path)
                if base is not None and base.unit != parameter.unit:
                    raise ParameterFileError(f"{folder.name}/{path}: unit {parameter.unit} differs from national {base.unit}")
            provinces[folder.name] = overrides
        return cls(national, provinces)

    def at(self, region_code: str, day: date) -> ParameterSnapshot:
        """What was in force in a region on a day (province overrides national, path by path)."""
        if not isinstance(region_code, str) or not _REGION.match(region_code):
            raise InvalidInput("region.malformed", f"区划代码应为6位或9位数字{given_zh(region_code)}",
                               f"a region code has 6 or 9 digits: {region_code!r}")
        province = NATIONAL if region_code == NATIONAL else province_of(region_code)
        values: dict[str, ParameterValue] = {}
        layers = [(NATIONAL, self.national), (province, self.provinces.get(province, {}))]
        for jurisdiction, parameters in layers:
            for path, parameter in parameters.items():
                dated = parameter.in_force(day)
                if dated is not None:
                    values[path] = ParameterValue(path, dated.value, parameter.unit, dated.since, dated.source,
                                                  jurisdiction, parameter.description)
        return ParameterSnapshot(region_code, day, values)


    def changes(self, region_code: str, path: str) -> list[tuple[date, Any]]:
        """Every (day, value) at which a parameter changed in a region, oldest first: for SQL that spans years."""
        province = province_of(region_code)
        days = sorted({dated.since for layer in (self.national, self.provinces.get(province, {}))
                       if path in layer for dated in layer[path].values})
        return [(day, self.at(region_code, day).value(path)) for day in days]

@lru_cache
def default_store() -> ParameterStore:
    return ParameterStore.load()


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
    unit = node.get("unit")
    if unit not in UNITS:
        raise ParameterFileError(f"{where}: unit must be one of {sorted(UNITS)}, not {unit!r}")
    description = node.get("description")
    if not description:
        raise ParameterFileError(f"{where}: a description is required")
    raw_values = node["values"]
    if not isinstance(raw_values, list) or not raw_values:
        raise ParameterFileError(f"{where}: values must be a non-empty list")
    values = []
    for raw in raw_values:
        if not isinstance(raw, dict) or set(raw) - {"since", "value", "source"}:
            raise ParameterFileError(f"{where}: each value has exactly since, value and source")
        since, source = raw.get("since"), raw.get("source")
        if not isinstance(since, date):
            raise ParameterFileError(f"{where}: since must be a date YYYY-MM-DD, not {since!r}")
        if not isinstance(source, str) or not source.strip():
            raise ParameterFileError(f"{where}: every value needs a source")
        if "value" not in raw:
            raise ParameterFileError(f"{where} since {since}: value is missing")
        values.append(DatedValue(since, _coerce(where, unit, raw["value"], node), source.strip()))
    if [v.since for v in values] != sorted({v.since for v in values}):
        raise ParameterFileError(f"{where}: values must be in date order with no date repeated")
    return Parameter(path, unit, str(description), tuple(values))


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
