"""Optimistic locking: records edited by several people carry a `version`; a stale save is refused."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _


class StaleVersionError(ValidationError):
    """Someone else saved this record after you opened it."""

    def __init__(self):
        super().__init__(
            _("Someone else changed this record after you opened it. Reload it to see their changes, then edit again."),
            code="stale",
        )


def save_versioned(instance, *, expected_version: int | None) -> None:
    """Save `instance` if the stored version is still `expected_version`, and bump it.

    Must run inside a transaction; the row is locked while we compare, so two concurrent saves
    cannot both pass. `expected_version=None` skips the check (imports, system jobs).
    """
    if not transaction.get_connection().in_atomic_block:  # a programming error, not bad input
        raise RuntimeError("save_versioned needs transaction.atomic")
    model = type(instance)
    current = model.objects.select_for_update().only("version").get(pk=instance.pk).version
    if expected_version is not None and int(expected_version) != current:
        raise StaleVersionError()
    instance.version = current + 1
    instance.full_clean()
    instance.save()
