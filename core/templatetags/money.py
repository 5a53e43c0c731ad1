"""`{% load money %}` then `{{ amount|money }}` (¥1,204,000.00), `{{ amount|money:0 }}` (whole
units, for totals and tables), `{{ amount|money:"USD" }}` or `{{ amount|money:"USD,0" }}` for an
amount in another currency. Follows the reader's language (core.money)."""

from django import template

from core.money import format_money

register = template.Library()


@register.filter
def money(value, arg="") -> str:
    currency, digits = None, 2
    for part in str(arg).split(","):
        part = part.strip()
        if part.isdigit():
            digits = int(part)
        elif part:
            currency = part
    return format_money(value, currency=currency, digits=digits)
