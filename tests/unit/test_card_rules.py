"""The card's table of allowed moves, bank-account numbers, and PINs (card numbers' check digits are cases:
tests/cases/cards/card_number.yaml)."""

import itertools
from datetime import date

import pytest
from stdnum import luhn

from shebao.cards.rules import (
    ALLOWED_MOVES,
    VALID_STATES,
    CardMove,
    CardState,
    check_bank_account,
    check_pin,
    next_state,
)
from shebao.core.errors import Conflict, InvalidInput


@pytest.mark.parametrize(("state", "move"), list(ALLOWED_MOVES))
def test_every_allowed_move_goes_where_the_table_says(state, move):
    assert next_state(state, move) == ALLOWED_MOVES[(state, move)]


FORBIDDEN = [(s, m) for s, m in itertools.product(CardState, CardMove) if (s, m) not in ALLOWED_MOVES]


@pytest.mark.parametrize(("state", "move"), FORBIDDEN)
def test_every_other_move_is_refused_naming_what_is_allowed(state, move):
    with pytest.raises(Conflict) as refused:
        next_state(state, move)
    assert refused.value.code == "card.move_not_allowed"
    assert refused.value.details["allowed"] == sorted(m.value for (s, m) in ALLOWED_MOVES if s == state) or ["none"]


def test_ended_cards_move_no_more_and_are_not_valid():
    for ended in (CardState.REPLACED, CardState.CANCELLED):
        assert not any(s == ended for s, _ in ALLOWED_MOVES)
        assert ended not in VALID_STATES


def test_bank_accounts_carry_a_luhn_check_digit():
    good = "6222021234567890" + luhn.calc_check_digit("6222021234567890")
    assert check_bank_account(good[:4] + " " + good[4:]) == good
    for bad in (good[:-1] + str((int(good[-1]) + 1) % 10), "12345", "6222abcd12345678"):
        with pytest.raises(InvalidInput):
            check_bank_account(bad)


@pytest.mark.parametrize("pin", ["000000", "111111", "123456", "654321", "800517", "19800517"[2:], "12345", "12a456"])
def test_obvious_or_malformed_pins_are_refused(pin):
    with pytest.raises(InvalidInput):
        check_pin(pin, birth_date=date(1980, 5, 17))


def test_an_ordinary_pin_is_accepted():
    assert check_pin("730294", birth_date=date(1980, 5, 17)) == "730294"


def test_the_architecture_notes_show_the_table_of_moves_as_the_code_has_it():
    from pathlib import Path

    from shebao.cards.rules import ALLOWED_MOVES, MOVE_NAMES, STATE_NAMES

    notes = (Path(__file__).parents[2] / "docs" / "architecture.md").read_text(encoding="utf-8")
    shown = notes.split("<!-- card-moves:start -->")[1].split("<!-- card-moves:end -->")[0].strip().splitlines()[2:]
    expected = [f"| {STATE_NAMES[state][0]} `{state.value}` | {MOVE_NAMES[move][0]} `{move.value}` | "
                f"{STATE_NAMES[target][0]} `{target.value}` |" for (state, move), target in ALLOWED_MOVES.items()]
    assert shown == expected
