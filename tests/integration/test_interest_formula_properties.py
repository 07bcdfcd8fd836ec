"""One formula, two shapes: random personal accounts credited by the year-end interest batch's SQL on a real
database and by the interest rule (ledger/rules.py) in Python agree to the fen, year after year as the interest
compounds.

Each example draws a few accounts, each with an opening balance and, for one to three years in a row, credits in
drawn months (contributions) and now and then a withdrawal (a pension drawn from the account), and a crediting rate
for each year; the batch credits the years in turn — in chunks of a drawn size — and each account's interest, and
the figures it was computed from, are those the rule gives from the account's own movements. The rule itself is
drawn: monthly products counting 13 − n (national) or 12 − n months, or the yearly shortcut (× 1.083 × ½); a
credit's month n taken from the month it is for or from the month it was posted. Some movements are for an earlier
month than the one they are posted in (a bill paid late, money for last year paid this year). A second property
credits the years under one drawn rule and recomputes them under another: the corrections leave each balance where
the second rule, applied from the start, puts it."""

import itertools
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from shebao.ledger import rules
from shebao.ledger import service as ledger
from shebao.ledger.batch import ACCOUNT_CHUNK, credit_interest, recompute_interest
from shebao.ledger.models import InterestCredit
from shebao.ledger.rules import AccountKind, Line
from shebao.policy.store import DatedValue, Parameter, ParameterStore, default_store
from shebao.registry.models import Region
from tests.support import add_test_streets, register

FIRST_YEAR, LAST_YEAR = 1998, 2024  # the personal-account era, up to the last year finished at the tests' clock
YEARS_EACH = 3  # each example has a province and three years of its own: its runs never meet another example's
TEST_SOURCE = "drawn by the property test, not a published rate"
_people = itertools.count()

# Rates are often whole hundredths of a percent, as published (2.62%), or half percents, and amounts whole yuan:
# interest then often ends in exactly half a fen (100 yuan at 0.5% is 0.5 yuan; an odd number of yuan at an odd
# number of half percents, a half fen), where a rounding that is not half up shows.
rate = st.one_of(st.integers(0, 120_000), st.integers(0, 1_200).map(lambda k: 100 * k), st.integers(0, 24).map(lambda k: 5_000 * k))
amount = st.one_of(st.integers(1, 3_000_000), st.integers(1, 30_000).map(lambda yuan: 100 * yuan))
# (month posted, fen, months late): now and then drawn, now and then for an earlier month, or for last year.
movement = st.tuples(st.integers(1, 12), st.one_of(amount, amount.map(lambda fen: -fen // 10 or -1)),
                     st.sampled_from([0, 0, 0, 1, 2, 13]))
rule = st.builds(rules.InterestRule, st.sampled_from(list(rules.InterestMethod)), st.sampled_from(list(rules.WithinYearRule)),
                 st.sampled_from(list(rules.CreditMonth)))
account = st.fixed_dictionaries({
    "opening": st.one_of(st.just(0), amount, st.integers(1, 10**9), st.integers(0, 50_000).map(lambda y: 100 * (2 * y + 1))),
    "years": st.lists(st.lists(movement, max_size=14), min_size=YEARS_EACH, max_size=YEARS_EACH),
})


def _allotments(database):  # noqa: ANN001, ANN202 - an iterator of (province, first year)
    """Each province's years in blocks of YEARS_EACH, handed out once per database (it lives across the examples)."""
    with database.unit_of_work() as uow:
        provinces = sorted(uow.session.scalars(select(Region.code).where(Region.level == 1)))
    return ((province, first) for province in provinces
            for first in range(FIRST_YEAR, LAST_YEAR - YEARS_EACH + 2, YEARS_EACH))


def _store(province: str, rates: dict[int, int], drawn_rule: rules.InterestRule) -> ParameterStore:
    """The parameters in force, with the drawn rate of each year and the drawn interest rule in the province."""
    base = default_store()

    def text(path: str, value: str) -> Parameter:
        return Parameter(path, "text", "drawn for the test", (DatedValue(date(FIRST_YEAR - 1, 1, 1), value, TEST_SOURCE),))

    drawn = {
        "pension.crediting_rate": Parameter("pension.crediting_rate", "rate", "drawn for the test", tuple(
            DatedValue(date(year, 1, 1), Decimal(r).scaleb(-6), TEST_SOURCE) for year, r in sorted(rates.items()))),
        "pension.interest_method": text("pension.interest_method", drawn_rule.method.value),
        "pension.crediting_within_year_rule": text("pension.crediting_within_year_rule", drawn_rule.within_year.value),
        "pension.interest_credit_month": text("pension.interest_credit_month", drawn_rule.credit_month.value),
    }
    return ParameterStore(base.national, dict(base.provinces) | {province: base.provinces.get(province, {}) | drawn})


def _open_accounts(database, cipher, clock, province: str, count: int) -> list[int]:  # noqa: ANN001
    """Personal accounts of new people (an account is its person's, so every example registers its own)."""
    ids = []
    for _ in range(count):
        k = next(_people)
        person = register(database, cipher, clock, birth=date(1960, 1, 1) + timedelta(days=k // 400), sequence=2 * (k % 400) + 1)
        with database.transaction() as session:
            ids.append(ledger.open_account(session=session, kind=AccountKind.PERSONAL_ACCOUNT, province=province,
                                           person_id=person, now=clock.now()).id)
    return ids


def _post(session, clock, province: str, key: str, period: str, movements: dict[int, int],  # noqa: ANN001
          for_period: str | None = None) -> None:
    """One entry of a month: each account credited its amount (a negative one is a withdrawal), the clearing the rest;
    for an earlier month than the one posted, when `for_period` says so (a bill paid late)."""
    lines = [Line(account, -fen) for account, fen in movements.items() if fen]
    total = sum(movements.values())
    if lines:
        clearing = ledger.open_account(session=session, kind=AccountKind.CLEARING, province=province, now=clock.now()).id
        ledger.post_entry(session=session, key=key, province=province, period=period, kind="distribution", memo="test",
                          lines=lines + ([Line(clearing, total)] if total else []), actor="test", now=clock.now(),
                          for_period=for_period)


def _month(year: int, month: int, late: int) -> tuple[int, int]:
    """(year, month) `late` months before a month."""
    index = year * 12 + month - 1 - late
    return index // 12, index % 12 + 1


def _counted_month(drawn_rule: rules.InterestRule, year: int, month: int, late: int) -> int:
    """The month n the rule counts a movement of `month`, for `late` months before it, from — as the rule's Python shape."""
    if drawn_rule.credit_month == rules.CreditMonth.POSTING_MONTH:
        return month
    for_year, for_month = _month(year, month, late)
    return rules.credit_month(rules.month_index(for_year, for_month), year)


def _drawn_history(database, cipher, clock, accounts) -> tuple[str, list[int], list[int], dict[int, list[int]]]:  # noqa: ANN001
    """A province and years of its own, an account per drawn account, and their movements posted: (province, years,
    account ids, each account's years with a nonzero line, -1 for the opening)."""
    if not hasattr(database, "_interest_allotments"):
        add_test_streets(database, clock)
        database._interest_allotments = _allotments(database)
    province, first = next(database._interest_allotments)
    years = list(range(first, first + YEARS_EACH))
    ids = _open_accounts(database, cipher, clock, province, len(accounts))
    posted_lines = {account_id: [] for account_id in ids}
    with database.transaction() as session:
        openings = {account_id: drawn["opening"] for account_id, drawn in zip(ids, accounts)}
        _post(session, clock, province, f"test:{province}:{first}:opening", f"{first - 1}12", openings)
        for account_id, fen in openings.items():
            if fen:
                posted_lines[account_id].append(-1)
        for index, (year, drawn_year) in enumerate(zip(years, zip(*(drawn["years"] for drawn in accounts)))):
            for month in range(1, 13):
                for late in sorted({lag for movements in drawn_year for m, _, lag in movements if m == month}):
                    movements = {account_id: sum(fen for m, fen, lag in movements if m == month and lag == late)
                                 for account_id, movements in zip(ids, drawn_year)}
                    for_year, for_month = _month(year, month, late)
                    _post(session, clock, province, f"test:{province}:{year}{month:02d}:{late}", f"{year}{month:02d}",
                          movements, f"{for_year}{for_month:02d}" if late else None)
                    for account_id, fen in movements.items():
                        if fen:
                            posted_lines[account_id].append(index)
    return province, years, ids, posted_lines


def _balances(database, ids: list[int]) -> dict[int, int]:  # noqa: ANN001
    with database.unit_of_work() as uow:
        return {account_id: -ledger.balance(session=uow.session, account_id=account_id) for account_id in ids}


# Each year exactly half a fen at 0.5% under the national rule: 100 × 0.005 = 0.5 → 1; (101 + 398 × 6/12) × 0.005
# = 1.5 → 2 (July earns 12 − 7 + 1 = 6 months); (501 + 2,388 × 1/12) × 0.005 = 3.5 → 4 (December earns 1).
@example(accounts=[{"opening": 100, "years": [[], [(7, 398, 0)], [(12, 2_388, 0)]]}], rates=[5_000, 5_000, 5_000],
         chunk=ACCOUNT_CHUNK, drawn_rule=rules.NATIONAL_RULE)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(accounts=st.lists(account, min_size=1, max_size=5), rates=st.lists(rate, min_size=YEARS_EACH, max_size=YEARS_EACH),
       chunk=st.sampled_from([ACCOUNT_CHUNK, 2]), drawn_rule=rule)
def test_the_interest_batch_and_the_rule_agree_to_the_fen(database, cipher, clock, accounts, rates, chunk, drawn_rule):
    province, years, ids, posted_lines = _drawn_history(database, cipher, clock, accounts)
    store = _store(province, dict(zip(years, rates, strict=True)), drawn_rule)
    balances = {account_id: drawn["opening"] for account_id, drawn in zip(ids, accounts)}
    for index, (year, rate_millionths) in enumerate(zip(years, rates)):
        credit_interest(database=database, province=province, year=year, now=clock.now(), actor="test", store=store, chunk=chunk)
        with database.unit_of_work() as uow:
            credited = {row.account_id: row for row in uow.session.scalars(
                select(InterestCredit).where(InterestCredit.year == year, InterestCredit.account_id.in_(ids)))}
            uow.session.expunge_all()
        for account_id, drawn in zip(ids, accounts):
            credits = [(_counted_month(drawn_rule, year, month, late), fen) for month, fen, late in drawn["years"][index]]
            expected = rules.year_interest_fen(balances[account_id], credits, rate_millionths, drawn_rule)
            if not any(i <= index for i in posted_lines[account_id]):  # no line yet: no figures to keep, nothing to earn
                assert account_id not in credited and expected == 0
                continue
            row = credited[account_id]
            assert (row.opening_fen, row.contributions_fen, row.rate_millionths, row.rule) == (
                balances[account_id], sum(fen for _, fen in credits), rate_millionths, drawn_rule.name), (year, drawn)
            assert row.weighted_fen == sum(rules.weighted_credit(fen, month, drawn_rule) for month, fen in credits), (year, drawn)
            assert row.interest_fen == expected, (year, drawn)
            balances[account_id] += sum(fen for _, fen in credits) + expected

    # what the batch posted is what it computed: each balance, interest compounded
    assert _balances(database, ids) == balances


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(accounts=st.lists(account, min_size=1, max_size=4), rates=st.lists(rate, min_size=YEARS_EACH, max_size=YEARS_EACH),
       chunk=st.sampled_from([ACCOUNT_CHUNK, 2]), credited_under=rule, recomputed_under=rule)
def test_years_recomputed_under_another_rule_end_as_that_rule_credits_them(database, cipher, clock, accounts, rates, chunk,
                                                                            credited_under, recomputed_under):
    """Years credited under one rule and recomputed in turn under another (as corrections posted years later, for
    each year's December) leave every balance where the second rule, credited from the start, puts it; a second
    recomputation posts nothing."""
    province, years, ids, _ = _drawn_history(database, cipher, clock, accounts)
    rates_by_year = dict(zip(years, rates, strict=True))
    for year in years:
        credit_interest(database=database, province=province, year=year, now=clock.now(), actor="test", chunk=chunk,
                        store=_store(province, rates_by_year, credited_under))
    now_store = _store(province, rates_by_year, recomputed_under)
    for year in years:
        recompute_interest(database=database, province=province, year=year, now=clock.now(), actor="test", chunk=chunk,
                           store=now_store)
    balances = {account_id: drawn["opening"] for account_id, drawn in zip(ids, accounts)}
    for index, (year, rate_millionths) in enumerate(zip(years, rates)):
        for account_id, drawn in zip(ids, accounts):
            credits = [(_counted_month(recomputed_under, year, month, late), fen)
                       for month, fen, late in drawn["years"][index]]
            balances[account_id] += sum(fen for _, fen in credits) + rules.year_interest_fen(
                balances[account_id], credits, rate_millionths, recomputed_under)
    assert _balances(database, ids) == balances, (credited_under, recomputed_under)
    for year in years:
        assert recompute_interest(database=database, province=province, year=year, now=clock.now(), actor="test",
                                  chunk=chunk, store=now_store).persons == 0
