"""Go's float formatting, so numbers in rule expressions are the very bytes Sloth prints.

Sloth formats with `%g` and `{{ .x }}` (both Go's shortest 'g' form: plain notation unless the
decimal exponent is < -4 or >= 6, then `1e-05`, `1.5e+06`) and `strconv.FormatFloat(x, 'f',
-1, 64)` (shortest digits, never an exponent). Python's repr gives the same shortest digits
(both are shortest round-trip), so only the notation differs and is rebuilt here.
"""

from __future__ import annotations

from decimal import Decimal


def _digits(value: float) -> tuple[str, int, bool]:
    """Shortest round-trip digits, decimal exponent of the first digit, and sign."""
    sign, digit_tuple, exponent = Decimal(repr(value)).normalize().as_tuple()
    assert isinstance(exponent, int)
    digits = "".join(map(str, digit_tuple)) or "0"
    return digits, len(digits) + exponent - 1, bool(sign)


def go_g(value: float) -> str:
    """Go's `fmt.Sprintf("%g", value)` for a finite float64."""
    if value == 0:
        return "-0" if repr(value).startswith("-") else "0"
    digits, exp, negative = _digits(value)
    sign = "-" if negative else ""
    if exp < -4 or exp >= 6:
        mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return f"{sign}{mantissa}e{'-' if exp < 0 else '+'}{abs(exp):02d}"
    return sign + _fixed(digits, exp)


def go_f(value: float) -> str:
    """Go's `strconv.FormatFloat(value, 'f', -1, 64)`."""
    if value == 0:
        return "0"
    digits, exp, negative = _digits(value)
    return ("-" if negative else "") + _fixed(digits, exp)


def _fixed(digits: str, exp: int) -> str:
    if exp < 0:
        return "0." + "0" * (-exp - 1) + digits
    if exp + 1 >= len(digits):
        return digits + "0" * (exp + 1 - len(digits))
    return digits[: exp + 1] + "." + digits[exp + 1 :]
