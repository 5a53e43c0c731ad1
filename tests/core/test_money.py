"""Money is written by one function (core.money) and one template filter (`money`)."""

from decimal import Decimal

from django.template import Context, Template
from django.utils import translation

from core.money import format_money


def test_two_decimals_grouped_with_the_currency_sign():
    assert format_money(Decimal("1204000")) == "¥1,204,000.00"
    assert format_money(Decimal("-30.5")) == "−¥30.50"
    assert format_money(Decimal("1234.5"), digits=0) == "¥1,234"
    assert format_money(None) == ""


def test_the_amounts_currency_gives_the_sign(settings):
    assert format_money(Decimal("12.3"), currency="USD") == "$12.30"
    assert format_money(Decimal("12.3"), currency="CHF") == "CHF 12.30"
    settings.CRM_CURRENCY = "HKD"
    assert format_money(Decimal("12.3")) == "HK$12.30"


def test_it_follows_the_readers_language():
    with translation.override("zh-hans"):
        assert format_money(Decimal("52452486")) == "¥52,452,486.00"
    with translation.override("de"):  # a language that groups with dots
        assert format_money(Decimal("1234.5")) == "¥1.234,50"


def test_the_template_filter():
    template = Template('{% load money %}{{ a|money }} {{ a|money:0 }} {{ a|money:"USD,0" }}')
    assert template.render(Context({"a": Decimal("1234.56")})) == "¥1,234.56 ¥1,235 $1,235"
