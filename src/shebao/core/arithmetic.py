"""Integer arithmetic that reads the same on Python integers and on SQL column expressions.

A money rule written with `+ − ×`, floor division and the helpers below (no `if`, no Decimal, no
round()) is one formula with two shapes: applied to one person's figures it returns an int, applied to
the columns of a SELECT it returns the SQL expression a batch inserts for a million people, and both
give the same fen. SQLite and PostgreSQL divide integers by truncation, which is Python's floor
division for the non-negative amounts money rules divide; an SQL operand must be of an integer type
(BigInteger where products grow large), so that the division stays an integer one.

What no operator expresses — the smaller or larger of two numbers, a missing value — has a helper here that
takes both shapes: on Python values it computes, on SQL expressions it returns a CASE or a COALESCE. CASE
rather than the scalar MIN/MAX, which SQLite spells MIN(a, b) and PostgreSQL LEAST(a, b) (and they disagree
about NULL): one text for both databases, and for SQLGlot to carry to Spark.

Pure: no database, and SQLAlchemy is imported only when an SQL expression is handed in (a rule applied to
Python integers never loads it); everything else the expressions bring with their own operators.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, TypeAlias

from shebao.core.errors import InvalidInput

# An int, or an SQL expression of an integer type (a SQLAlchemy column element): anything with + − × and //.
Number: TypeAlias = Any

RATE_DENOMINATOR = 1_000_000  # every rate in the parameters is exact in millionths


def divide_half_up(numerator: Number, denominator: Number) -> Number:
    """numerator / denominator rounded half up, exactly, for a non-negative numerator and a positive denominator."""
    denominator = _wide(denominator, numerator)
    return (numerator * 2 + denominator) // (denominator * 2)


INT32_MAX = 2**31 - 1


def _wide(constant: Number, beside: Number) -> Number:
    """A Python integer that meets an SQL expression, as a 64-bit SQL constant where it would not fit 32 bits: SQL
    reads a bare integer parameter as INTEGER, and PostgreSQL refuses one beyond 2³¹ − 1 (a denominator of two
    thousandths of a year in millionths of a rate, 2 × 10⁹, is one)."""
    if _plain(beside) or not _plain(constant) or abs(constant) * 2 <= INT32_MAX:
        return constant
    return _sql().literal(constant, _sql().BigInteger)


def one_if_zero(count: Number) -> Number:
    """1 for a count of 0 and 0 for any larger count: added to a divisor, it keeps a division defined
    without a branch (a CASE in SQL, an `if` in Python) that the other shape would have to copy."""
    return 1 // (count + 1)


def clamp(value: Number, low: Number, high: Number) -> Number:
    """value held between low and high (low ≤ high): low below it, high above it, else the value itself.
    The two shapes read the same CASE, tested in this order, so they agree even where the bounds do not."""
    if _plain(value, low, high):
        return low if value < low else high if value > high else value
    return _sql().case((value < low, low), (value > high, high), else_=value)


def at_least(value: Number, low: Number) -> Number:
    """The larger of value and low: value, lifted to low where it falls below."""
    if _plain(value, low):
        return low if value < low else value
    return _sql().case((value < low, low), else_=value)


def coalesce(value: Number | None, default: Number) -> Number:
    """value, or default where it is missing: None in Python, NULL in SQL."""
    if value is None or _plain(value, default):
        return default if value is None else value
    return _sql().func.coalesce(value, default)


def _plain(*values: Number) -> bool:
    """Python values all (the rule applied to one case), no SQL expression among them (a batch's columns): an SQL
    element — a column, an ORM attribute, an expression over them — is one that SQLAlchemy can coerce to a clause."""
    return not any(hasattr(value, "__clause_element__") for value in values)


def _sql():  # noqa: ANN202 - the sqlalchemy module
    """SQLAlchemy, loaded when the first SQL expression arrives: a rule applied to integers never needs it."""
    import sqlalchemy

    return sqlalchemy


def rate_numerator(rate: Decimal) -> int:
    """A rate as whole millionths, refusing one that is not exact at that precision."""
    scaled = rate * RATE_DENOMINATOR
    if scaled != scaled.to_integral_value():
        raise ValueError(f"rate {rate} is finer than a millionth")
    return int(scaled)


def millionths(rate: Decimal) -> int:
    """A rate as whole millionths for the integer rules; a finer one is refused as input, not crashed on."""
    try:
        return rate_numerator(rate)
    except ValueError:
        raise InvalidInput("parameter.precision", "比例精度超过百万分之一", f"rate {rate} is finer than a millionth") from None
