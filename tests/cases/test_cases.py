"""Worked examples as data: every case in tests/cases/<context>/*.yaml, run against the rule it names.

A case is the inputs, the expected figures to the fen and the source of the example (README.md beside
this file describes the shape). `RULES` maps a case's `rule` to an adapter: a small function that calls
the pure function or calculator with the case's input and returns its figures as a mapping. A new
example adds a case and no code; a new rule adds one adapter here. Each case is its own test, named by
its file and its name.
"""

from __future__ import annotations

import dataclasses
import inspect
import re
import shutil
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import select

from shebao.benefits import rules as benefit_rules
from shebao.benefits.rules import Group, RetirementAge
from shebao.benefits.schemas import PensionCalculate
from shebao.benefits.service import pension_case, retirement_date
from shebao.cards.rules import check_card_number
from shebao.contributions.models import Bill
from shebao.contributions.rules import Category, allocate, assess_month
from shebao.core.db import Database
from shebao.core.errors import DomainError
from shebao.core.money import apply_rate_half_up
from shebao.core.periods import Period
from shebao.ledger import service as ledger
from shebao.ledger.batch import credit_interest
from shebao.ledger.models import InterestCredit
from shebao.ledger.rules import AccountKind, Line
from shebao.ledger.schemas import InterestCalculate
from shebao.ledger.service import interest_case
from shebao.policy.store import ParameterSnapshot, ParameterStore, default_store
from shebao.registry.rules import Sex, parse_credit_code, parse_id_number
from shebao.transfers import service as transfer_service
from shebao.transfers.schemas import BenefitPlaceCase, TransferAmountCase

CASES_DIR = Path(__file__).parent
CASE_KEYS = {"name", "rule", "source", "input", "output"}
OPTIONAL_KEYS = {"parameters", "note", "expected_failure"}
# How a case fails when the rule's figures are not its own: the one failure an `expected_failure` case expects
# (a malformed case or a crash in the rule still fails the test).
FIGURES_DIFFER = pytest.fail.Exception


# --- The rules a case can name: one adapter each --------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Rule:
    name: str
    runs: str  # what the adapter calls, named in every failure
    adapter: Callable[..., dict[str, Any]]

    @property
    def needs_database(self) -> bool:
        return "database" in inspect.signature(self.adapter).parameters


RULES: dict[str, Rule] = {}


def rule(name: str, runs: str) -> Callable[[Callable[..., dict[str, Any]]], Callable[..., dict[str, Any]]]:
    """Registers an adapter: keyword-only parameters named as the case's `input` keys, plus `store` (the
    parameters in force, with the case's own `parameters:` laid over them) and, if it asks, `database`."""
    def register(adapter: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
        RULES[name] = Rule(name, runs, adapter)
        return adapter
    return register


@rule("benefits.retirement_age", "benefits/service.py retirement_date (statutory age under the 2025 reform)")
def _retirement_age(*, birth_date: date, sex: str, category: str, region: str = "000000",
                    store: ParameterStore) -> dict[str, Any]:
    result = retirement_date(birth_date=birth_date, sex=sex, group=Group(category), region=region, store=store)
    return {"age": result.age.model_dump(), "statutory_date": result.statutory_date}


@rule("benefits.pension", "benefits/service.py pension_case (the calculator behind `shebao pension calc`)")
def _pension(*, store: ParameterStore, **case: Any) -> dict[str, Any]:
    result = pension_case(case=PensionCalculate(**case), store=store).model_dump()
    return {key: value for key, value in result.items() if key not in {"steps", "reasons", "reasons_zh"}}


@rule("benefits.divisor", "benefits/rules.py divisor_units (months the personal account is divided by)")
def _divisor(*, region: str, day: date, age: dict[str, int], store: ParameterStore) -> dict[str, Any]:
    units, _ = benefit_rules.divisor_units(store.at(region, day), RetirementAge(12 * age["years"] + age["months"]))
    return {"divisor": benefit_rules.divisor_decimal(units)}


@rule("transfers.benefit_place", "transfers/rules.py benefit_place (where a pension is claimed, 国办发〔2009〕66号)")
def _benefit_place(*, store: ParameterStore, **case: Any) -> dict[str, Any]:
    result = transfer_service.benefit_place_case(case=BenefitPlaceCase.model_validate(case), store=store)
    return {"province": result["province"], "rule": result["rule"]}


@rule("transfers.amount", "transfers/rules.py transfer_amount (what the old province sends, 国办发〔2009〕66号 art. 4)")
def _transfer_amount(*, years: list[int], base_fen: int, personal_account_fen: int, store: ParameterStore) -> dict[str, Any]:
    months = [{"period": f"{year}{month:02d}", "base_fen": base_fen} for year in range(years[0], years[1] + 1)
              for month in range(1, 13)]
    result = transfer_service.amount_case(case=TransferAmountCase.model_validate(
        {"months": months, "personal_account_fen": personal_account_fen}), store=store)
    return {key: result[key] for key in ("pooled_fen", "personal_account_fen", "total_fen", "months_counted")}


@rule("benefits.unemployment", "benefits/rules.py unemployment_entitlement (months and monthly amount)")
def _unemployment(*, region: str, separation_date: date, contribution_months: int, carried_months: int = 0,
                  store: ParameterStore) -> dict[str, Any]:
    entitled, monthly, _ = benefit_rules.unemployment_entitlement(
        store.at(region, separation_date), contribution_months=contribution_months, carried_months=carried_months)
    return {"entitled_months": entitled, "monthly_fen": monthly}


@rule("benefits.work_injury", "benefits/rules.py injury_benefits (disability grade or work death)")
def _work_injury(*, region: str, injury_date: date, kind: str, wage_fen: int = 0, grade: int | None = None,
                 average_wage_fen: int | None = None, store: ParameterStore) -> dict[str, Any]:
    params = store.at(region, injury_date)
    if average_wage_fen is None:  # as benefits/claims.py claim_injury takes it: the average wage in force
        average_wage_fen = params.value("wages.average_monthly_fen")
    amounts, _ = benefit_rules.injury_benefits(params, kind=kind, grade=grade, wage_fen=wage_fen,
                                               average_wage_fen=average_wage_fen)
    return amounts


@rule("benefits.maternity", "benefits/rules.py maternity_allowance (leave days and allowance)")
def _maternity(*, region: str, birth_date: date, average_base_fen: int, difficult_birth: bool = False, babies: int = 1,
               store: ParameterStore) -> dict[str, Any]:
    days, allowance, _ = benefit_rules.maternity_allowance(store.at(region, birth_date), average_base_fen=average_base_fen,
                                                           difficult_birth=difficult_birth, babies=babies)
    return {"leave_days": days, "allowance_fen": allowance}


@rule("contributions.assessment", "contributions/rules.py assess_month (one month for one person)")
def _assessment(*, region: str, period: str, category: str, declared_base_fen: int, work_injury_class: int = 1,
                store: ParameterStore) -> dict[str, Any]:
    result = assess_month(store.at(region, Period.parse(period).first_day()), category=Category(category),
                          declared_base_fen=declared_base_fen, work_injury_class=work_injury_class)
    figures = {key: value for key, value in result.as_dict().items() if key not in {"items", "sources"}}
    items = {item.insurance.value: {key: value for key, value in item.as_dict().items() if key != "insurance"}
             for item in result.items}
    return figures | items | {"insurances": list(items)}


@rule("contributions.payment_allocation",
      "contributions/collection.py allocate (a payment over overdue bills, oldest first, with the late fee)")
def _payment_allocation(*, region: str, received_on: date, amount_fen: int, bills: list[dict[str, Any]],
                        store: ParameterStore) -> dict[str, Any]:
    # As record_payment takes them: the daily rate in force on the day received, the bills oldest first.
    daily_rate = store.at(region, received_on).value("contribution.late_fee_daily_rate")
    debts = [(Bill(id=index, period=bill["period"], due_date=bill["due_date"]), bill["unpaid_fen"])
             for index, bill in enumerate(bills, start=1)]
    allocations = allocate(debts, amount_fen, received_on, daily_rate)
    return {"allocations": [{key: value for key, value in dataclasses.asdict(a).items() if key != "bill_id"}
                            for a in allocations]}


@rule("ledger.interest", "ledger/batch.py credit_interest (year-end crediting, run on a scratch SQLite database)")
def _interest(*, province: str, year: int, opening_fen: int = 0, credits_fen: dict[int, int] | None = None,
              store: ParameterStore, database: Database) -> dict[str, Any]:
    now = datetime(year + 1, 1, 15, 2, 0, tzinfo=UTC)
    movements = ([(f"{year - 1}12", opening_fen)] if opening_fen else []) + [
        (f"{year}{month:02d}", amount) for month, amount in sorted((credits_fen or {}).items())]
    with database.transaction() as session:
        account = ledger.open_account(session=session, kind=AccountKind.PERSONAL_ACCOUNT, province=province, now=now).id
        clearing = ledger.open_account(session=session, kind=AccountKind.CLEARING, province=province, now=now).id
        for number, (period, amount) in enumerate(movements):
            ledger.post_entry(session=session, key=f"case:{number}", province=province, period=period, kind="distribution",
                              memo="case", lines=[Line(clearing, amount), Line(account, -amount)], actor="case", now=now)
    credit_interest(database=database, province=province, year=year, now=now, actor="case", store=store)
    with database.unit_of_work() as uow:
        interest = uow.session.scalar(select(InterestCredit.interest_fen).where(InterestCredit.account_id == account,
                                                                                InterestCredit.year == year))
    return {"interest_fen": interest}


@rule("ledger.interest_calc", "ledger/service.py interest_case (the calculator behind `shebao interest calc`)")
def _interest_calc(*, rate: str, opening_fen: int = 0, credits: list[dict[str, int]] | None = None,
                   method: str = "monthly", within_year_rule: str = "months_including_credit_month",
                   store: ParameterStore) -> dict[str, Any]:
    answer = interest_case(case=InterestCalculate(opening_fen=opening_fen, credits=credits or [], rate=rate, method=method,
                                                  within_year_rule=within_year_rule))
    return {"interest_fen": answer.interest_fen, "closing_fen": answer.closing_fen}


@rule("registry.id_number", "registry/rules.py parse_id_number (GB 11643-1999, ISO 7064 MOD 11-2)")
def _id_number(*, number: str, today: date, store: ParameterStore) -> dict[str, Any]:
    parsed = parse_id_number(number, today=today)
    return dataclasses.asdict(parsed) | {"masked": parsed.masked}


@rule("registry.credit_code", "registry/rules.py parse_credit_code (GB 32100-2015)")
def _credit_code(*, code: str, store: ParameterStore) -> dict[str, Any]:
    return dataclasses.asdict(parse_credit_code(code))


@rule("cards.card_number", "cards/rules.py check_card_number (province, serial and a Luhn check digit)")
def _card_number(*, number: str, store: ParameterStore) -> dict[str, Any]:
    return {"number": check_card_number(number)}


@rule("core.rate_half_up", "core/money.py apply_rate_half_up (an amount in fen times a rate, half up to the fen)")
def _rate_half_up(*, amount_fen: int, rate: str, store: ParameterStore) -> dict[str, Any]:
    return {"fen": apply_rate_half_up(amount_fen, Decimal(rate))}


@rule("policy.parameter", "policy/store.py ParameterSnapshot.explain (the value in force on a day, within or past its validity)")
def _parameter(*, region: str, day: date, path: str, store: ParameterStore) -> dict[str, Any]:
    snapshot = store.at(region, day)
    found = snapshot.explain(path)
    return {"value": found.value, "since": found.since, "valid_until": found.valid_until,
            "provisional": found.provisional, "provisional_paths": snapshot.provisional_paths()}


# --- The case's own parameters --------------------------------------------------------------------------------

class CaseStore:
    """The dated parameters with a case's `parameters:` laid over every snapshot: a figure the example's
    source states (a province's coefficient) replaces the one in force, and says it came from the case."""

    def __init__(self, base: ParameterStore, overrides: dict[str, Any], source: str) -> None:
        self._base, self._overrides, self._source = base, overrides, source

    def at(self, region_code: str, day: date) -> ParameterSnapshot:
        snapshot = self._base.at(region_code, day)
        values = {value.path: value for value in snapshot.all()}
        for path, raw in self._overrides.items():
            if path not in values:
                raise CaseError(f"parameters: {path} is not a parameter in force in {region_code} on {day}")
            current = values[path]
            values[path] = dataclasses.replace(current, value=_parameter_value(current.value, raw, path),
                                               source=f"the case's own figure ({self._source})", jurisdiction="case")
        return ParameterSnapshot(region_code, day, values)


def _parameter_value(current: Any, raw: Any, path: str) -> Any:
    """The case's value in the type of the one it replaces: rates as Decimal, tables cell by cell."""
    if isinstance(current, dict):
        if not isinstance(raw, dict):
            raise CaseError(f"parameters: {path} is a table; give a mapping")
        cell = next(iter(current.values()))
        return {key: _parameter_value(cell, value, path) for key, value in raw.items()}
    if isinstance(current, Decimal):
        return Decimal(str(raw))
    return raw


# --- Loading, running and comparing ---------------------------------------------------------------------------

class CaseError(ValueError):
    """A case file that does not follow the shape in README.md."""


def _check_values(node: Any, where: str) -> None:
    if isinstance(node, float):
        raise CaseError(f"{where}: {node!r} is a float; write decimals quoted (\"0.0262\") and money in whole fen")
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(key, bool):
                raise CaseError(f"{where}: a key read as {key} (YAML takes on, off, yes and no for true and false): quote it")
            _check_values(value, f"{where}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            _check_values(value, f"{where}[{index}]")


def check_case(case: Any) -> dict[str, Any]:
    if not isinstance(case, dict):
        raise CaseError("a case is a mapping with name, rule, source, input and output")
    missing, unknown = CASE_KEYS - set(case), set(case) - CASE_KEYS - OPTIONAL_KEYS
    if missing or unknown:
        raise CaseError(f"case {case.get('name')!r}: " + "; ".join(
            part for part in (missing and f"missing {sorted(missing)}", unknown and f"unknown keys {sorted(unknown)}") if part))
    for key in ("name", "rule", "source"):
        if not isinstance(case[key], str) or not case[key].strip():
            raise CaseError(f"case {case.get('name')!r}: {key} is non-empty text")
    if not case["name"].isascii() or not case["name"].isprintable():
        raise CaseError(f"case {case['name']!r}: a name is one line of plain ASCII (it is the test's id, which pytest "
                        "escapes otherwise); say it in Chinese in the source or the note")
    if case["rule"] not in RULES:
        raise CaseError(f"case {case['name']!r}: no rule {case['rule']!r}; known: {', '.join(sorted(RULES))}")
    for key in ("input", "output", "parameters"):
        if key in case and not isinstance(case[key], dict):
            raise CaseError(f"case {case['name']!r}: {key} is a mapping")
    if not case["output"]:
        raise CaseError(f"case {case['name']!r}: output names at least one figure")
    if {"store", "database"} & set(case["input"]):
        raise CaseError(f"case {case['name']!r}: store and database are the runner's, not input keys")
    if "expected_failure" in case and not (isinstance(case["expected_failure"], str) and case["expected_failure"].strip()):
        raise CaseError(f"case {case['name']!r}: expected_failure gives the reason as text")
    _check_values(case, case["name"])
    return case


def load_cases(root: Path = CASES_DIR) -> list[Any]:
    """Every case under root as a pytest param with id `<context>/<file>: <name>`; a file or a case that does not
    follow the shape becomes a failing test that says why, so one bad case never hides the others."""
    params = []
    for file in sorted(root.glob("*/*.yaml")):
        label = file.relative_to(root).with_suffix("").as_posix()
        try:
            document = yaml.safe_load(file.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            params.append(pytest.param(CaseError(f"{file.name}: not valid YAML: {exc}"), id=label))
            continue
        if not isinstance(document, list) or not document:
            params.append(pytest.param(CaseError(f"{file.name}: a case file is a non-empty list of cases"), id=label))
            continue
        names: set[str] = set()
        for index, raw in enumerate(document):
            try:
                case = check_case(raw)
                if case["name"] in names:
                    raise CaseError(f"case {case['name']!r} appears twice in {file.name}")
                names.add(case["name"])
            except CaseError as exc:
                params.append(pytest.param(exc, id=f"{label}: case {index + 1}"))
                continue
            marks = [pytest.mark.xfail(reason=case["expected_failure"], raises=FIGURES_DIFFER, strict=True)] if "expected_failure" in case else []
            params.append(pytest.param(case, id=f"{label}: {case['name']}", marks=marks))
    return params


def _plain(value: Any) -> Any:
    """A figure as a case writes it: enums by value, dates as dates, decimals exact."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, float):  # a calculator's display value (a divisor rounded for people): compare it exactly
        return Decimal(repr(value))
    return value


def differences(expected: Any, actual: Any, where: str = "output") -> list[str]:
    """Each figure the case names that the rule did not give, as `where: expected X, got Y`.

    Mappings are compared on the keys the case names (a case need not list every figure), lists item by item
    and in full, numbers and decimals exactly (`"138.4"` equals Decimal 138.4 and not 138.4167)."""
    actual = _plain(actual)
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{where}: expected a mapping, got {actual!r}"]
        found = []
        for key, value in expected.items():
            if key not in actual:
                found.append(f"{where}.{key}: the rule gives no such figure (it gives {', '.join(map(str, actual))})")
            else:
                found += differences(value, actual[key], f"{where}.{key}")
        return found
    if isinstance(expected, list):
        if not isinstance(actual, list | tuple) or len(actual) != len(expected):
            return [f"{where}: expected {expected!r}, got {actual!r}"]
        return [line for index, (e, a) in enumerate(zip(expected, actual)) for line in differences(e, a, f"{where}[{index}]")]
    if isinstance(actual, Decimal) and isinstance(expected, str | int) and not isinstance(expected, bool):
        try:
            same = Decimal(str(expected)) == actual
        except ArithmeticError:
            same = False
    else:  # True is not 1, "12" is not 12
        same = type(expected) is type(actual) and expected == actual
    return [] if same else [f"{where}: expected {expected!r}, got {actual!r}"]


def run_case(case: dict[str, Any], database: Callable[[], Database]) -> dict[str, Any]:
    """The rule's figures for the case's input, or `{"refused": code}` when the rule refuses it."""
    known = RULES[case["rule"]]
    store = CaseStore(default_store(), case.get("parameters") or {}, case["source"])
    arguments = dict(case["input"]) | {"store": store}
    if known.needs_database:
        arguments["database"] = None  # provided below, once the input is known to fit
    try:
        inspect.signature(known.adapter).bind(**arguments)
    except TypeError as exc:  # an input key the adapter does not take, or one it needs and the case lacks
        raise CaseError(f"case {case['name']!r}: the input does not fit rule {known.name}: {exc}") from None
    if known.needs_database:
        arguments["database"] = database()
    try:
        return known.adapter(**arguments)
    except DomainError as refused:
        if "refused" not in case["output"]:
            raise
        return {"refused": refused.code}


@pytest.mark.parametrize("case", load_cases())
def test_case(case: dict[str, Any] | CaseError, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    if isinstance(case, CaseError):
        raise case
    databases: list[Database] = []

    def scratch_database() -> Database:
        target = tmp_path / "case.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), target)
        databases.append(Database(f"sqlite:///{target}"))
        return databases[-1]

    try:
        found = differences(case["output"], run_case(case, scratch_database))
    finally:
        for database in databases:
            database.dispose()
    if found:
        pytest.fail("\n".join([f"{case['name']} ({RULES[case['rule']].runs})", *found, f"source: {case['source']}"]
                                + ([f"note: {case['note']}"] if "note" in case else [])), pytrace=False)


def test_every_rule_has_a_case() -> None:
    """An adapter nobody uses is a rule without worked examples."""
    used = {p.values[0]["rule"] for p in load_cases() if isinstance(p.values[0], dict)}
    assert set(RULES) - used == set()


# --- The runner itself ----------------------------------------------------------------------------------------

GOOD = {"name": "a case", "rule": "core.rate_half_up", "source": "DESIGN.md", "input": {"amount_fen": 1, "rate": "0.5"},
        "output": {"fen": 1}}


@pytest.mark.parametrize(("change", "problem"), [
    ({"source": ""}, "source is non-empty text"),
    ({"rule": "core.nothing"}, "no rule 'core.nothing'"),
    ({"expected": {}}, "unknown keys ['expected']"),
    ({"output": {}}, "at least one figure"),
    ({"input": {"amount_fen": 1, "rate": 0.5}}, "is a float"),
    ({"input": {True: "2025-03-01"}}, "quote it"),
    ({"name": "a × case"}, "plain ASCII"),
    ({"input": {"store": None}}, "not input keys"),
])
def test_a_case_off_the_shape_is_refused_saying_why(change, problem):
    with pytest.raises(CaseError, match=re.escape(problem)):
        check_case(GOOD | change)


def test_an_input_the_rule_does_not_take_is_refused_naming_the_rule():
    with pytest.raises(CaseError, match="does not fit rule core.rate_half_up"):
        run_case(GOOD | {"input": {"amount_fen": 1, "rate": "0.5", "days": 3}}, database=lambda: None)


@pytest.mark.parametrize(("expected", "actual", "same"), [
    ("138.4", Decimal("138.4"), True), ("138.4", Decimal(1661) / 12, False), (139, Decimal(139), True),
    (1, True, False), ("12", 12, False), (12, 12, True), ({"a": 1}, {"a": 1, "b": 2}, True),
    ([1, 2], [1, 2, 3], False), ("F", Sex.FEMALE, True), ("137.8333", 137.8333, True),
])
def test_figures_compare_exactly(expected, actual, same):
    assert (differences(expected, actual) == []) is same


def test_the_readme_names_every_rule():
    """A newcomer finds each rule's inputs and outputs in README.md."""
    readme = (CASES_DIR / "README.md").read_text(encoding="utf-8")
    assert [name for name in RULES if f"| `{name}` |" not in readme] == []
