"""How a report's cell shows on the page, by its column's kind (the export writes raw values)."""

from django import template
from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils.html import format_html

from core.templatetags.money import money

register = template.Library()


@register.simple_tag
def report_cell(row, column, link_column=""):
    value = row.get(column.key)
    if value is None or value == "":
        text = "—"
    elif column.kind == "money":
        text = money(value, "0")
    elif column.kind == "int":
        text = intcomma(value)
    elif column.kind == "percent":
        text = f"{value}%"
    elif column.kind == "date":
        text = value.isoformat() if hasattr(value, "isoformat") else value
    else:
        text = value
    if link_column and column.key == link_column and row.get("url"):
        return format_html('<a href="{}">{}</a>', row["url"], text)
    return format_html("{}", text)


@register.filter
def get_item(mapping, key):
    """`row|get_item:key`: a dict's value by a key held in a variable."""
    return mapping.get(key) if hasattr(mapping, "get") else None
