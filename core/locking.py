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


class VersionRequired(ValidationError):
    """An update without the version it was based on: refused, it could overwrite silently."""

    def __init__(self):
        super().__init__(
            {
                "version": ValidationError(
                    _(
                        "The version is missing. Send the version you read with every change (the "
                        "form or API field `version`); without it this save could overwrite someone "
                        "else's changes."
                    ),
                    code="version_required",
                )
            }
        )


def require_version(expected_version, *, actor) -> None:
    """Every update made by someone (page, API, admin) carries the version it was based on;
    system work (actor None: jobs, data migrations) may go without."""
    if actor is not None and expected_version in (None, ""):
        raise VersionRequired()


def save_versioned(instance, *, expected_version: int | None) -> None:
    """Save `instance` if the stored version is still `expected_version`, and bump it.

    Must run inside a transaction; the row is locked while we compare, so two concurrent saves
    cannot both pass. `expected_version=None` skips the check: only for changes that are not
    edits of what someone read (archive, restore, system jobs); services of edits call
    `require_version` first.
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
