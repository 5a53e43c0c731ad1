"""Field validators shared by the apps (referenced from models, so migrations can import them)."""

import datetime

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

# Records pushed by other systems carry their own clocks and time zones: a timestamp up to a
# day ahead of ours is accepted, anything later is a typo (2031 for 2021) and refused.
FUTURE_TOLERANCE = datetime.timedelta(days=1)


def not_in_future(value) -> None:
    """A date no later than today, or a moment no later than now (with the tolerance above)."""
    if value is None:
        return
    if isinstance(value, datetime.datetime):
        if value > timezone.now() + FUTURE_TOLERANCE:
            raise ValidationError(_("This cannot be in the future."), code="future")
    elif value > timezone.localdate():
        raise ValidationError(_("This cannot be in the future."), code="future")


def not_future_year(value) -> None:
    if value is not None and value > timezone.localdate().year:
        raise ValidationError(_("The year cannot be in the future."), code="future")
