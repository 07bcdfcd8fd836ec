"""The national adjustment's arithmetic (ledger/rules.py): remittance half up, the pot shared by largest remainder to
the fen, a deficit province receiving more than it remits — worked examples and properties over random countries."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shebao.core.errors import InvalidInput
from shebao.ledger.rules import (
    ProvinceFundFigures,
    largest_remainder,
    per_retiree_yuan,
    remittance_fen,
    settle_national_fund,
)

RATE = 45_000  # 4.5% in millionths


def test_remittance_is_the_base_times_the_rate_half_up():
    assert remittance_fen(1_000_000, RATE) == 45_000
    assert remittance_fen(11, RATE) == 0  # 0.495 fen
    assert remittance_fen(12, RATE) == 1  # 0.54 fen
    assert remittance_fen(100, 5_000) == 1  # exactly half a fen rounds up


def test_largest_remainder_gives_every_fen_exactly_once():
    assert largest_remainder(100, [1, 1, 1]) == [34, 33, 33]  # equal remainders: the earlier first
    assert largest_remainder(10, [3, 3, 4]) == [3, 3, 4]
    assert largest_remainder(7, [1, 0, 2]) == [2, 0, 5]  # 2.33, 0, 4.67: the largest remainder takes the last fen
    assert largest_remainder(0, [0, 0]) == [0, 0]


def test_shares_of_nothing_weighed_by_nothing_are_refused():
    with pytest.raises(InvalidInput) as refused:
        largest_remainder(5, [0, 0])
    assert refused.value.code == "allocation.no_weight"
    with pytest.raises(InvalidInput):
        largest_remainder(-1, [1])


def test_a_deficit_province_receives_more_than_it_remits():
    """Guangdong-like: a large base, few retirees; Heilongjiang-like: a small base, many retirees."""
    shares = settle_national_fund([ProvinceFundFigures("440000", 10_000_000_000, 100, 500),
                                   ProvinceFundFigures("230000", 1_000_000_000, 300, 80)], RATE)
    gd, hl = sorted(shares, key=lambda s: s.province, reverse=True)
    assert (gd.remitted_fen, hl.remitted_fen) == (450_000_000, 45_000_000)
    assert (gd.received_fen, hl.received_fen) == (123_750_000, 371_250_000)  # the pot 495,000,000 by 1 : 3
    assert hl.net_fen == 326_250_000 > 0 > gd.net_fen == -326_250_000
    assert per_retiree_yuan(495_000_000, 400) == "12375.00"


def test_a_province_appearing_twice_or_negative_figures_are_refused():
    with pytest.raises(InvalidInput):
        settle_national_fund([ProvinceFundFigures("110000", 1, 1), ProvinceFundFigures("110000", 2, 2)], RATE)
    with pytest.raises(InvalidInput):
        settle_national_fund([ProvinceFundFigures("110000", -1, 1)], RATE)


provinces = st.lists(st.tuples(st.integers(0, 10**13), st.integers(0, 10**7)), min_size=1, max_size=31).filter(
    lambda rows: any(retirees for _, retirees in rows))


@given(provinces, st.integers(1, 100_000))
def test_the_pot_is_paid_out_to_the_fen_and_nothing_is_negative(rows, rate):
    figures = [ProvinceFundFigures(f"{11 + i:02d}0000", base, retirees) for i, (base, retirees) in enumerate(rows)]
    shares = settle_national_fund(figures, rate)
    pot = sum(s.remitted_fen for s in shares)
    assert sum(s.received_fen for s in shares) == pot
    assert sum(s.net_fen for s in shares) == 0
    assert all(s.remitted_fen >= 0 and s.received_fen >= 0 for s in shares)
    total_retirees = sum(s.retirees for s in shares)
    for s in shares:  # each share within a fen of its exact proportion; no retirees, nothing received
        assert abs(s.received_fen * total_retirees - pot * s.retirees) < total_retirees
        assert s.retirees or s.received_fen == 0


@given(st.integers(0, 10**12), st.lists(st.integers(0, 10**6), min_size=1, max_size=40).filter(any))
def test_largest_remainder_adds_up(total, weights):
    shares = largest_remainder(total, weights)
    assert sum(shares) == total and all(share >= 0 for share in shares)
    whole = sum(weights)
    assert all(total * w // whole <= share <= total * w // whole + 1 for w, share in zip(weights, shares, strict=True))
