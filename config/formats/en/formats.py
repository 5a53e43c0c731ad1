"""English formats: Django's, with the ISO dates every language uses (config/formats/dates.py)."""

from django.conf.locale.en.formats import *  # noqa: F403

from config.formats.dates import *  # noqa: F403
