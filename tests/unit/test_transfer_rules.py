"""Transfer rules without a database: the table of allowed moves, working days on the official calendar, the
amounts, the temporary-account threshold, the place of benefit for any history, scheme conversion."""

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shebao.core.errors import Conflict, InvalidInput
from shebao.core.periods import Period
from shebao.policy.store import default_store
from shebao.transfers import rules
from shebao.transfers.rules import Side, Spell, Step
from shebao.transfers.service import calendar

RATE = Decimal("0.12")
FROM = Period(1998, 1)


def test_every_open_step_can_end_and_nothing_follows_an_end():
    for step, moves in rules.MOVES.items():
        assert (step in rules.OPEN_STEPS) == bool(moves)
        assert all(isinstance(side, Side) for side in moves.values())
    assert rules.MOVES[Step.COMPLETED] == rules.MOVES[Step.REFUSED] == {}
    assert Step.REFUSED not in rules.MOVES[Step.FUNDS_SENT]  # money in transit must arrive


def test_a_step_out_of_order_names_what_may_follow():
    assert rules.require_move(Step.APPLIED, Step.LETTER_SENT) == Side.NEW
    assert rules.require_move(Step.LETTER_SENT, Step.CHECKED) == Side.OLD
    with pytest.raises(Conflict) as refused:
        rules.require_move(Step.APPLIED, Step.RECEIVED)
    assert refused.value.details["allowed"] == ["letter_sent", "refused"] and "letter_sent" in refused.value.reason_en


def test_working_days_skip_the_spring_festival_and_count_its_make_up_saturday():
    days = calendar(default_store())
    # 2026-02-13 (Fri): the next working day is the make-up Saturday 2026-02-14; 15–23 are the holiday.
    assert days.add_working_days(date(2026, 2, 13), 1) == date(2026, 2, 14)
    assert days.add_working_days(date(2026, 2, 14), 1) == date(2026, 2, 24)
    assert days.add_working_days(date(2026, 2, 13), 15) == date(2026, 3, 12)  # 14; 24–27; 28 (Sat, worked); 2–6, 9–12 Mar
    assert days.working_days_between(date(2026, 2, 13), date(2026, 2, 24)) == 2
    assert not days.is_working_day(date(2025, 10, 8)) and days.is_working_day(date(2025, 10, 11))


def test_a_due_day_counts_from_the_step_it_runs_from():
    days = calendar(default_store())
    deadlines = {"letter_sent": 15, "checked": 15, "funds_sent": 15, "received": 5, "completed": 15}
    dates = {Step.APPLIED: date(2026, 3, 2), Step.LETTER_SENT: date(2026, 3, 5)}
    assert rules.due_on(days, Step.LETTER_SENT, dates, deadlines) == date(2026, 3, 23)
    assert rules.due_on(days, Step.FUNDS_SENT, dates, deadlines) == date(2026, 3, 26)  # from the letter, not the check
    assert rules.due_on(days, Step.RECEIVED, dates, deadlines) is None  # funds not sent yet


def test_the_amount_counts_months_from_1998_and_refuses_bad_months():
    months = [rules.MonthBase(f"{y}{m:02d}", 400_000) for y in (1997, 1998) for m in range(1, 13)]
    amount = rules.transfer_amount(months, 10_000, pooled_rate=RATE, pooled_from=FROM)
    assert (amount.pooled_fen, amount.months_counted, amount.total_fen) == (576_000, 12, 586_000)
    with pytest.raises(InvalidInput) as repeated:
        rules.transfer_amount(months + months[:1], 0, pooled_rate=RATE, pooled_from=FROM)
    assert repeated.value.code == "transfer.month_repeated"
    with pytest.raises(InvalidInput):
        rules.transfer_amount([rules.MonthBase("202401", -1)], 0, pooled_rate=RATE, pooled_from=FROM)
    with pytest.raises(InvalidInput):
        rules.transfer_amount([], -5, pooled_rate=RATE, pooled_from=FROM)


@given(st.lists(st.integers(0, 5_000_000), max_size=60), st.integers(0, 10**9))
def test_the_amount_is_twelve_percent_of_the_sum_half_up_and_the_account_whole(bases, account):
    months = [rules.MonthBase(str(Period(2000, 1).plus_months(i)), base) for i, base in enumerate(bases)]
    amount = rules.transfer_amount(months, account, pooled_rate=RATE, pooled_from=FROM)
    exact = Decimal(sum(bases)) * RATE
    assert abs(Decimal(amount.pooled_fen) - exact) <= Decimal("0.5")
    assert amount.total_fen == amount.pooled_fen + account and amount.personal_account_fen == account


def test_the_temporary_account_opens_from_the_fiftieth_birthday_outside_the_hukou_province():
    args = {"hukou_province": "410000", "to_province": "440000", "men_from_age": 50, "women_from_age": 40}
    assert not rules.opens_temporary_account(sex="M", birth_date=date(1976, 3, 2), on=date(2026, 3, 1), **args)
    assert rules.opens_temporary_account(sex="M", birth_date=date(1976, 3, 1), on=date(2026, 3, 1), **args)
    assert rules.opens_temporary_account(sex="F", birth_date=date(1986, 3, 1), on=date(2026, 3, 1), **args)
    assert not rules.opens_temporary_account(sex="M", birth_date=date(1950, 1, 1), on=date(2026, 3, 1),
                                             **(args | {"to_province": "410000"}))  # going home: never temporary


def _spell(region, start, end, temporary=False):
    return Spell(region, Period.parse(start), Period.parse(end), temporary)


def test_each_rule_of_the_place_of_benefit():
    home = "410000"
    one = rules.benefit_place(hukou_province=home, minimum_months=120,
                              spells=[_spell("310115", "200001", "201612"), _spell("410105", "201701", "201712")])
    two = rules.benefit_place(hukou_province=home, minimum_months=120, spells=[_spell("310115", "200001", "200912")])
    three = rules.benefit_place(hukou_province=home, minimum_months=120,
                                spells=[_spell("110105", "200001", "200912"), _spell("310115", "201001", "201512")])
    four = rules.benefit_place(hukou_province=home, minimum_months=120,
                               spells=[_spell("110105", "200001", "200512"), _spell("310115", "200601", "201112")])
    assert [(p.province, p.rule) for p in (one, two, three, four)] == [
        (home, 1), ("310000", 2), ("110000", 3), (home, 4)]
    assert three.months_by_province == {"110000": 120, "310000": 72} and three.reason_en and "10" in three.reason


def test_the_last_ten_year_place_is_the_latest_of_several():
    place = rules.benefit_place(hukou_province="410000", minimum_months=120, spells=[
        _spell("110105", "198801", "199712"), _spell("310115", "199801", "200712"), _spell("440305", "200801", "201012")])
    assert (place.province, place.rule) == ("310000", 3)


@given(st.lists(st.tuples(st.sampled_from(["110105", "310115", "440305", "410105"]), st.integers(1, 200),
                          st.booleans()), max_size=8))
def test_any_history_gets_a_place_with_its_months_counted_by_province(parts):
    spells, start = [], Period(1990, 1)
    for region, months, temporary in parts:
        spells.append(Spell(region, start, start.plus_months(months - 1), temporary))
        start = start.plus_months(months)
    place = rules.benefit_place(hukou_province="410000", spells=spells, minimum_months=120)
    assert 1 <= place.rule <= 4 and sum(place.months_by_province.values()) == sum(m for _, m, _ in parts)
    assert place.province == "410000" or place.months_by_province.get(place.province, 0) >= 120


def test_overlapping_or_backward_histories_are_refused():
    with pytest.raises(InvalidInput) as overlap:
        rules.check_history([_spell("110105", "200001", "200512"), _spell("310115", "200512", "200812")])
    assert overlap.value.code == "history.overlap"
    with pytest.raises(InvalidInput) as backwards:
        rules.check_history([_spell("110105", "200512", "200001")])
    assert backwards.value.code == "history.backwards"


def test_conversion_goes_where_fifteen_years_say():
    up = rules.conversion(rules.Direction.TO_EMPLOYEE, employee_months=180, resident_months=60, minimum_months=180,
                          at_retirement_age=True)
    down = rules.conversion(rules.Direction.TO_RESIDENT, employee_months=100, resident_months=0, minimum_months=180,
                            at_retirement_age=True)
    wrong_way = rules.conversion(rules.Direction.TO_RESIDENT, employee_months=200, resident_months=0, minimum_months=180,
                                 at_retirement_age=True)
    early = rules.conversion(rules.Direction.TO_EMPLOYEE, employee_months=200, resident_months=0, minimum_months=180,
                             at_retirement_age=False)
    assert (up.allowed, up.months_counted_in_target, up.pooled_moves) == (True, 0, False)
    assert (down.allowed, down.months_counted_in_target) == (True, 100)
    assert not wrong_way.allowed and not early.allowed
