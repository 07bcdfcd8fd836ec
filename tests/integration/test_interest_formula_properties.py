"""One formula, two shapes: random personal accounts credited by the year-end interest batch's SQL on a real
database and by the interest rule (ledger/rules.py) in Python agree to the fen, year after year as the interest
compounds.

Each example draws a few accounts, each with an opening balance and, for one to three years in a row, credits in
drawn months (contributions) and now and then a withdrawal (a pension drawn from the account), and a crediting rate
for each year; the batch credits the years in turn — in chunks of a drawn size — and each account's interest, and
the figures it was computed from, are those the rule gives from the account's own movements. The within-year
convention is today's, 12 − month (issue #11 is to count 13 − month)."""

import itertools
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from shebao.ledger import rules
from shebao.ledger import service as ledger
from shebao.ledger.batch import ACCOUNT_CHUNK, credit_interest
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
movement = st.tuples(st.integers(1, 12), st.one_of(amount, amount.map(lambda fen: -fen // 10 or -1)))  # now and then drawn
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


def _store(province: str, rates: dict[int, int]) -> ParameterStore:
    """The parameters in force, with the drawn rate of each year and today's within-year convention in the province."""
    base = default_store()
    drawn = {
        "pension.crediting_rate": Parameter("pension.crediting_rate", "rate", "drawn for the test", tuple(
            DatedValue(date(year, 1, 1), Decimal(r).scaleb(-6), TEST_SOURCE) for year, r in sorted(rates.items()))),
        "pension.crediting_within_year_rule": Parameter("pension.crediting_within_year_rule", "text", "drawn for the test", (
            DatedValue(date(FIRST_YEAR - 1, 1, 1), rules.WITHIN_YEAR_RULE, TEST_SOURCE),)),
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


def _post(session, clock, province: str, key: str, period: str, movements: dict[int, int]) -> None:  # noqa: ANN001
    """One entry of a month: each account credited its amount (a negative one is a withdrawal), the clearing the rest."""
    lines = [Line(account, -fen) for account, fen in movements.items() if fen]
    total = sum(movements.values())
    if lines:
        clearing = ledger.open_account(session=session, kind=AccountKind.CLEARING, province=province, now=clock.now()).id
        ledger.post_entry(session=session, key=key, province=province, period=period, kind="distribution", memo="test",
                          lines=lines + ([Line(clearing, total)] if total else []), actor="test", now=clock.now())


# Each year exactly half a fen at 0.5%: 100 × 0.005 = 0.5 → 1; (101 + 398 × 6/12) × 0.005 = 1.5 → 2;
# (501 + 2,388 × 1/12 + 5 × 0/12) × 0.005 = 3.5 → 4.
@example(accounts=[{"opening": 100, "years": [[], [(6, 398)], [(11, 2_388), (12, 5)]]}], rates=[5_000, 5_000, 5_000],
         chunk=ACCOUNT_CHUNK)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(accounts=st.lists(account, min_size=1, max_size=5), rates=st.lists(rate, min_size=YEARS_EACH, max_size=YEARS_EACH),
       chunk=st.sampled_from([ACCOUNT_CHUNK, 2]))
def test_the_interest_batch_and_the_rule_agree_to_the_fen(database, cipher, clock, accounts, rates, chunk):
    if not hasattr(database, "_interest_allotments"):
        add_test_streets(database, clock)
        database._interest_allotments = _allotments(database)
    province, first = next(database._interest_allotments)
    years = list(range(first, first + YEARS_EACH))
    store = _store(province, dict(zip(years, rates, strict=True)))
    ids = _open_accounts(database, cipher, clock, province, len(accounts))
    with database.transaction() as session:
        _post(session, clock, province, f"test:{province}:{first}:opening", f"{first - 1}12",
              {account_id: drawn["opening"] for account_id, drawn in zip(ids, accounts)})
        for year, drawn_year in zip(years, zip(*(drawn["years"] for drawn in accounts))):
            for month in range(1, 13):
                movements = {account_id: sum(fen for m, fen in movements if m == month)
                             for account_id, movements in zip(ids, drawn_year)}
                _post(session, clock, province, f"test:{province}:{year}{month:02d}", f"{year}{month:02d}", movements)

    balances = {account_id: drawn["opening"] for account_id, drawn in zip(ids, accounts)}
    for index, (year, rate_millionths) in enumerate(zip(years, rates)):
        credit_interest(database=database, province=province, year=year, now=clock.now(), actor="test", store=store, chunk=chunk)
        with database.unit_of_work() as uow:
            credited = {row.account_id: row for row in uow.session.scalars(
                select(InterestCredit).where(InterestCredit.year == year, InterestCredit.account_id.in_(ids)))}
            uow.session.expunge_all()
        for account_id, drawn in zip(ids, accounts):
            credits = [(month, fen) for month, fen in drawn["years"][index]]
            expected = rules.year_interest_fen(balances[account_id], credits, rate_millionths)
            moved = drawn["opening"] or any(sum(fen for m, fen in year_credits if m == month)  # a month's net is its line
                                            for year_credits in drawn["years"][:index + 1] for month in range(1, 13))
            if not moved:  # an account without a line yet has no figures to keep, and nothing to earn
                assert account_id not in credited and expected == 0
                continue
            row = credited[account_id]
            assert (row.opening_fen, row.contributions_fen, row.rate_millionths) == (
                balances[account_id], sum(fen for _, fen in credits), rate_millionths), (year, drawn)
            assert row.weighted_fen == sum(rules.weighted_credit(fen, month) for month, fen in credits), (year, drawn)
            assert row.interest_fen == expected, (year, drawn)
            balances[account_id] += sum(fen for _, fen in credits) + expected

    with database.unit_of_work() as uow:  # what the batch posted is what it computed: each balance, interest compounded
        assert {account_id: -ledger.balance(session=uow.session, account_id=account_id) for account_id in ids} == balances
