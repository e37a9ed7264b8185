"""How amounts of money read on every page and export: yuan always with two decimals."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation


def yuan(value: object) -> str:
    """``5`` → ``5.00``, ``7.5`` → ``7.50``, ``1234.5`` → ``1,234.50``; empty or unreadable → ``—``."""
    if value is None or value == "":
        return "—"
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    except InvalidOperation:
        return "—"
    return f"{amount:,.2f}"
