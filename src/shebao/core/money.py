"""Money is integer fen (1/100 yuan). Rates are Decimal. Never float."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from shebao.core.errors import InvalidInput

FEN_PER_YUAN = 100


def yuan_to_fen(yuan: str | int | Decimal) -> int:
    """Convert a yuan amount (e.g. "6821.00") to fen, refusing fractions of a fen."""
    if isinstance(yuan, float):
        raise InvalidInput("money.float", "金额不能使用浮点数", "money must not be a float")
    try:
        amount = Decimal(str(yuan)) * FEN_PER_YUAN
    except InvalidOperation as exc:
        raise InvalidInput("money.malformed", f"金额格式错误：{yuan!r}", f"malformed amount: {yuan!r}") from exc
    if amount != amount.to_integral_value():
        raise InvalidInput("money.sub_fen", f"金额精度超过分：{yuan}", f"amount finer than a fen: {yuan}")
    return int(amount)


def fen_to_yuan(fen: int) -> str:
    """Format fen as a yuan string with two decimals: 682100 -> '6821.00'."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), FEN_PER_YUAN)
    return f"{sign}{whole}.{cents:02d}"


def apply_rate_half_up(base_fen: int, rate: Decimal) -> int:
    """base x rate, rounded half up to the fen (the rounding POLICY.md states)."""
    return int((Decimal(base_fen) * rate).quantize(Decimal(1), rounding=ROUND_HALF_UP))
