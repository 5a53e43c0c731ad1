"""Money as people read it: one function for pages, exports' previews, timeline sentences and
messages, following the reader's language (grouping and decimal mark from the active locale's
formats) and the amount's currency (its symbol).

Amounts are Decimal and, today, all in the project's currency (`settings.CRM_CURRENCY`, CNY);
a model that stores a currency passes it.
"""

from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.utils.formats import number_format

# the symbol each currency is written with (CLDR's narrow symbols; ¥ is the yuan in China)
SYMBOLS = {"CNY": "¥", "USD": "$", "HKD": "HK$", "EUR": "€", "JPY": "JP¥", "GBP": "£"}


def format_money(value, *, currency: str | None = None, digits: int = 2) -> str:
    """¥1,204,000.00 — Decimal (or a number, or its text) in; "" for None; the text unchanged if
    it is not a number. A negative amount reads −¥30.00."""
    if value is None or value == "":
        return ""
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    amount = amount.quantize(Decimal(1).scaleb(-digits))
    code = (currency or settings.CRM_CURRENCY).upper()
    symbol = SYMBOLS.get(code, f"{code} ")
    sign = "−" if amount < 0 else ""
    number = number_format(abs(amount), decimal_pos=digits, use_l10n=True, force_grouping=True)
    return f"{sign}{symbol}{number}"
