from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _


class Heartbeat(models.Model):
    """One row per periodic signal; the beat heartbeat task stamps it every minute."""

    name = models.CharField(_("name"), max_length=50, unique=True)
    last_run_at = models.DateTimeField(_("last run at"))
    run_count = models.PositiveBigIntegerField(_("run count"), default=0)
    hostname = models.CharField(_("worker host"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("heartbeat")
        verbose_name_plural = _("heartbeats")

    def __str__(self):
        return f"{self.name} @ {self.last_run_at:%Y-%m-%d %H:%M:%S}"


class Lease(models.Model):
    """A single-flight lock held in the database (`core.jobs.single_flight`): one holder at a
    time per name; a holder that stops stamping `progress_at` (its worker died) loses it after
    `JOB_ABANDONED_AFTER`."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    holder = models.CharField(_("holder"), max_length=200, blank=True)
    acquired_at = models.DateTimeField(_("acquired at"), null=True, blank=True)
    progress_at = models.DateTimeField(_("last progress at"), null=True, blank=True)

    class Meta:
        verbose_name = _("lock")
        verbose_name_plural = _("locks")

    def __str__(self):
        return f"{self.name}: {self.holder or '-'}"


class PeriodicRun(models.Model):
    """One row per scheduled job and period (`core.jobs.run_periodic`): a period that finished
    is never run again, however often beat (or a second beat) delivers it."""

    name = models.CharField(_("job"), max_length=100)
    period = models.CharField(_("period"), max_length=40)
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    runs = models.PositiveIntegerField(_("attempts"), default=1)
    hostname = models.CharField(_("worker host"), max_length=255, blank=True)
    result = models.CharField(_("result"), max_length=300, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("scheduled run")
        verbose_name_plural = _("scheduled runs")
        constraints = [models.UniqueConstraint(fields=["name", "period"], name="periodicrun_unique_period")]

    def __str__(self):
        return f"{self.name} [{self.period}]"


class IdempotencyKey(models.Model):
    """A create request answered once (`core.idempotency`): the caller's key, a hash of the
    request and the stored answer, replayed for the same key until it expires."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="+"
    )
    key = models.CharField(_("key"), max_length=255)
    request_hash = models.CharField(_("request hash"), max_length=64)
    path = models.CharField(_("path"), max_length=300)
    status_code = models.PositiveSmallIntegerField(_("status code"))
    response = models.JSONField(_("response"), null=True, blank=True, encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"), db_index=True)

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotencykey_unique_user_key")]

    def __str__(self):
        return self.key


class ImportJob(models.Model):
    """One file imported in the background: checked first (a dry run the user looks at), then,
    when the user confirms, written all-or-nothing or, where the user chooses, only its good rows.

    Any app's importer (`core.imports.register_importer`) runs through this one job."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting to be checked")
        CHECKING = "checking", _("Checking")
        CHECKED = "checked", _("Checked: waiting for your confirmation")
        CONFIRMED = "confirmed", _("Waiting to be imported")
        IMPORTING = "importing", _("Importing")
        DONE = "done", _("Imported")
        FAILED = "failed", _("Failed")
        DISCARDED = "discarded", _("Discarded")

    ACTIVE = (Status.QUEUED, Status.CHECKING, Status.CONFIRMED, Status.IMPORTING)
    FINISHED = (Status.DONE, Status.FAILED, Status.DISCARDED)

    kind = models.CharField(_("what"), max_length=60)
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.QUEUED, db_index=True)
    file_name = models.CharField(_("file"), max_length=255)
    content = models.BinaryField(_("file content"), blank=True, editable=False)
    language = models.CharField(_("language"), max_length=10, blank=True)
    only_valid_rows = models.BooleanField(
        _("only the good rows"), default=False, help_text=_("Import the rows without errors and skip the others.")
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    step = models.CharField(_("step"), max_length=200, blank=True)
    counts = models.JSONField(_("counts"), default=dict, blank=True)
    errors = models.JSONField(_("row errors"), default=list, blank=True)
    error_count = models.PositiveIntegerField(_("number of errors"), default=0)
    invalid_rows = models.PositiveIntegerField(_("rows with errors"), default=0)
    ignored_columns = models.JSONField(_("ignored columns"), default=list, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        constraints = [models.CheckConstraint(condition=models.Q(progress__lte=100), name="importjob_progress_le_100")]

    def __str__(self):
        return _("Import #%(id)s of %(file)s") % {"id": self.pk, "file": self.file_name}

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE

    @property
    def importer(self):
        from .imports import get_importer

        return get_importer(self.kind)

    @property
    def valid_rows(self) -> int:
        return max(int(self.counts.get("rows", 0)) - self.invalid_rows, 0)
