"""Simplified Chinese formats: Django's, with money grouped in thousands (¥52,452,486.00)
the way Chinese finance statements and invoices write amounts; Django's default writes
"52452486" with no separator at all. Dates are ISO, as in every language (config/formats/dates.py)."""

from django.conf.locale.zh_Hans.formats import *  # noqa: F403

from config.formats.dates import *  # noqa: F403

THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
