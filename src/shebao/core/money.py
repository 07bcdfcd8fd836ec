"""Money is integer fen (1/100 yuan). Rates are Decimal. Never float.

Every amount and every decimal a user types passes through here: `check_fen` bounds an amount by
MAX_FEN, `parse_decimal` turns text into a finite Decimal of a sane size. Both refuse with a reason
in Chinese and English rather than letting NaN, Infinity or a 60-digit number reach the arithmetic.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Annotated

from pydantic import AfterValidator, StrictInt, ValidationInfo

from shebao.core.errors import InvalidInput, given_zh

FEN_PER_YUAN = 100
# The largest amount any single input may carry: 10 billion yuan. Far above any one person's account,
# wage or benefit and any one employer's bill, yet a sum of nine million such amounts still fits the
# database's 64-bit integers, so no total can overflow.
MAX_FEN = 10**12
# A decimal a user types (a rate, an index, an assumption) is short and modest; anything longer or
# larger is a mistake or an attack (Decimal would happily compute with a million digits).
MAX_DECIMAL_CHARACTERS = 32
MAX_DECIMAL_MAGNITUDE = Decimal(10) ** 6
MIN_DECIMAL_MAGNITUDE = Decimal(10) ** -12  # below it (but not zero) a value only underflows or overflows a division


def check_fen(value: int, what: str = "amount") -> int:
    """An amount in fen within ±MAX_FEN; `what` names the field in the English reason and the details."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput("money.malformed", "金额应为整数（单位：分）", f"{what} is a whole number of fen", field=what)
    if abs(value) > MAX_FEN:
        raise _amount_too_large(what)
    return value


def _amount_too_large(what: str) -> InvalidInput:
    return InvalidInput("money.too_large", f"金额超过上限：最多 {MAX_FEN} 分（一百亿元）",
                        f"{what} exceeds the limit of {MAX_FEN} fen (10 billion yuan)", field=what, limit_fen=MAX_FEN)


def _bounded_fen(value: int, info: ValidationInfo) -> int:
    return check_fen(value, info.field_name or "amount")


# An amount in fen as a request model takes it: a strict integer within ±MAX_FEN.
Fen = Annotated[StrictInt, AfterValidator(_bounded_fen)]


def parse_decimal(text: object, what: str = "value", *, limit: Decimal = MAX_DECIMAL_MAGNITUDE) -> Decimal:
    """A decimal the user typed ("0.03", "1.2", "-0.01"): finite, plain and of a sane size.

    Refuses NaN, sNaN and Infinity (they crash comparisons or poison every sum), exponents beyond
    `limit` (MAX_DECIMAL_MAGNITUDE unless said), over-long text and floats. `what` names the field in
    the English reason.
    """
    if isinstance(text, bool) or not isinstance(text, str | int | Decimal):
        raise _not_a_decimal(what)
    raw = str(text).strip()
    if not raw or len(raw) > MAX_DECIMAL_CHARACTERS:
        raise _not_a_decimal(what)
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise _not_a_decimal(what) from None
    if not value.is_finite():
        raise InvalidInput("decimal.not_finite", "数值必须是有限的小数，不能是非数值或无穷大",
                           f"{what} must be a finite number, not NaN or infinity", field=what)
    if value.copy_abs() > limit:  # copy_abs, not abs(): abs() rounds and overflows on 1e999999999
        raise InvalidInput("decimal.too_large", f"数值超出合理范围（绝对值不超过 {limit}）",
                           f"{what} is outside a sane range (at most {limit} in size)", field=what)
    if not value:
        return Decimal(0)  # a zero with an exponent of -999999999 is still zero, and cheaper to compute with
    if value.copy_abs() < MIN_DECIMAL_MAGNITUDE:
        raise InvalidInput("decimal.too_small", "数值过小（非零时绝对值至少为 0.000000000001）",
                           f"{what} is too small (when not zero, at least {MIN_DECIMAL_MAGNITUDE} in size)", field=what)
    return value


def _not_a_decimal(what: str) -> InvalidInput:
    return InvalidInput("decimal.malformed", f"数值应为小数，例如 0.03，最多 {MAX_DECIMAL_CHARACTERS} 个字符",
                        f"{what} is a decimal such as 0.03, at most {MAX_DECIMAL_CHARACTERS} characters", field=what)


def _decimal_text(value: str, info: ValidationInfo) -> str:
    parse_decimal(value, info.field_name or "value")
    return value.strip()


# A decimal as a request model takes it: text (never a float) that parse_decimal accepts.
DecimalText = Annotated[str, AfterValidator(_decimal_text)]


PLAIN_YUAN = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)")  # ASCII digits only: no exponent, no separators


def yuan_to_fen(yuan: str | int | Decimal) -> int:
    """Convert a yuan amount (e.g. "6821.00") to fen, refusing fractions of a fen."""
    if isinstance(yuan, float):
        raise InvalidInput("money.float", "金额不能使用浮点数", "money must not be a float")
    if isinstance(yuan, str) and not PLAIN_YUAN.fullmatch(yuan.strip()):
        # A person types yuan as digits and a point: "1e3" or "1_000" would be read as 1,000 yuan without them knowing.
        raise _malformed_yuan(yuan)
    try:
        amount = parse_decimal(yuan, "amount", limit=Decimal(MAX_FEN) / FEN_PER_YUAN) * FEN_PER_YUAN
    except InvalidInput as exc:
        if exc.code == "decimal.too_large":
            raise _amount_too_large("amount") from None
        raise _malformed_yuan(yuan) from exc
    if amount != amount.to_integral_value():
        raise InvalidInput("money.sub_fen", f"金额精度超过分{given_zh(yuan)}", f"amount finer than a fen: {yuan}")
    return check_fen(int(amount))


def _malformed_yuan(yuan: object) -> InvalidInput:
    return InvalidInput("money.malformed", "金额格式错误，应为元，例如 6821.00",
                        f"malformed amount in yuan, e.g. 6821.00: {str(yuan)[:40]!r}")


def fen_to_yuan(fen: int) -> str:
    """Format fen as a yuan string with two decimals: 682100 -> '6821.00'."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), FEN_PER_YUAN)
    return f"{sign}{whole}.{cents:02d}"


def fen_to_yuan_grouped(fen: int) -> str:
    """Fen as yuan for people to read: two decimals and thousands separators, 143885 -> '1,438.85'."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), FEN_PER_YUAN)
    return f"{sign}{whole:,}.{cents:02d}"


def apply_rate_half_up(base_fen: int, rate: Decimal) -> int:
    """base x rate, rounded half up to the fen (the rounding POLICY.md states)."""
    return int((Decimal(base_fen) * rate).quantize(Decimal(1), rounding=ROUND_HALF_UP))
