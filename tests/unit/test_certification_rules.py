"""When a receiver's proof of life is in date: the direct rule and the date the batches compare with agree."""

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from shebao.benefits.rules import CertificationTerms
from shebao.policy.store import default_store

YEARLY = CertificationTerms(interval_months=12, grace_days=30, reminder_days=30)
days = st.dates(min_value=date(2018, 1, 1), max_value=date(2035, 12, 31))
terms = st.builds(CertificationTerms, interval_months=st.integers(1, 24), grace_days=st.integers(0, 90),
                  reminder_days=st.integers(0, 90))


@given(terms=terms, certified_on=days, on=days)
def test_the_batch_threshold_is_exactly_the_rule(terms, certified_on, on):
    assert (certified_on >= terms.earliest_in_date(on)) == terms.in_date(certified_on, on)


@given(terms=terms, certified_on=days, on=days)
def test_the_reminder_cutoff_is_a_due_date_within_the_reminder_days(terms, certified_on, on):
    due_soon = terms.due(certified_on) <= on + timedelta(days=terms.reminder_days)
    assert (certified_on < terms.reminder_cutoff(on)) == due_soon


@given(terms=terms, certified_on=days, on=days, earlier=st.integers(0, 800))
def test_in_date_today_means_in_date_on_every_earlier_day(terms, certified_on, on, earlier):
    if terms.in_date(certified_on, on):
        assert terms.in_date(certified_on, on - timedelta(days=earlier))


def test_paid_through_the_grace_and_held_the_day_after():
    assert YEARLY.due(date(2024, 6, 15)) == date(2025, 6, 15)
    assert YEARLY.in_date(date(2024, 6, 15), date(2025, 7, 15))  # due date + 30 days of grace
    assert not YEARLY.in_date(date(2024, 6, 15), date(2025, 7, 16))
    assert YEARLY.earliest_in_date(date(2025, 7, 16)) == date(2024, 6, 16)


def test_a_leap_day_certification_falls_due_on_the_last_of_february():
    assert YEARLY.due(date(2024, 2, 29)) == date(2025, 2, 28)
    # 2023-02-28 falls due 2024-02-28; on the leap day with no grace it is overdue, 2023-03-01 is not
    no_grace = CertificationTerms(interval_months=12, grace_days=0, reminder_days=0)
    assert no_grace.earliest_in_date(date(2024, 2, 29)) == date(2023, 3, 1)


def test_the_terms_come_from_the_dated_parameters():
    assert CertificationTerms.in_force(default_store().at("110000", date(2025, 3, 1))) == YEARLY
