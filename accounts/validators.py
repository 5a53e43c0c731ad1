import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


def validate_phone(value: str) -> None:
    """Accept a number valid in the default region (CN) or with an international prefix."""
    if not value:
        return
    try:
        parsed = phonenumbers.parse(value, settings.PHONENUMBER_DEFAULT_REGION)
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(_("Enter a valid phone number, e.g. 138 0013 8000 or +86 10 6552 9988.")) from exc
    if not phonenumbers.is_possible_number(parsed):
        raise ValidationError(_("Enter a valid phone number, e.g. 138 0013 8000 or +86 10 6552 9988."))
