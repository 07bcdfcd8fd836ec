"""Integer arithmetic that reads the same on Python integers and on SQL column expressions.

A money rule written with `+ − ×`, floor division and the helpers below (no `if`, no Decimal, no
round()) is one formula with two shapes: applied to one person's figures it returns an int, applied to
the columns of a SELECT it returns the SQL expression a batch inserts for a million people, and both
give the same fen. SQLite and PostgreSQL divide integers by truncation, which is Python's floor
division for the non-negative amounts money rules divide; an SQL operand must be of an integer type
(BigInteger where products grow large), so that the division stays an integer one.

Pure: no database, no SQLAlchemy import — the expressions bring their own operators.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, TypeAlias

# An int, or an SQL expression of an integer type (a SQLAlchemy column element): anything with + − × and //.
Number: TypeAlias = Any

RATE_DENOMINATOR = 1_000_000  # every rate in the parameters is exact in millionths


def divide_half_up(numerator: Number, denominator: Number) -> Number:
    """numerator / denominator rounded half up, exactly, for a non-negative numerator and a positive denominator."""
    return (numerator * 2 + denominator) // (denominator * 2)


def one_if_zero(count: Number) -> Number:
    """1 for a count of 0 and 0 for any larger count: added to a divisor, it keeps a division defined
    without a branch (a CASE in SQL, an `if` in Python) that the other shape would have to copy."""
    return 1 // (count + 1)


def rate_numerator(rate: Decimal) -> int:
    """A rate as whole millionths, refusing one that is not exact at that precision."""
    scaled = rate * RATE_DENOMINATOR
    if scaled != scaled.to_integral_value():
        raise ValueError(f"rate {rate} is finer than a millionth")
    return int(scaled)
