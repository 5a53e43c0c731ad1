from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from .imports import MAX_STORED_ERRORS
from .models import Heartbeat, ImportJob


def heartbeat_record(*, name: str = "beat", hostname: str = "") -> Heartbeat:
    """Stamp the heartbeat row, creating it on the first run; one UPDATE otherwise."""
    now = timezone.now()
    updated = Heartbeat.objects.filter(name=name).update(
        last_run_at=now, run_count=F("run_count") + 1, hostname=hostname
    )
    if not updated:
        Heartbeat.objects.get_or_create(name=name, defaults={"last_run_at": now, "run_count": 1, "hostname": hostname})
    return Heartbeat.objects.get(name=name)


# --- imports (the generic job; apps register importers in core.imports) ------------------------

ALLOWED_IMPORT_SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx", ".xlsm")


def import_job_create(*, actor, kind: str, file_name: str, content: bytes) -> ImportJob:
    """Store the uploaded file and check it in the background (a dry run: nothing is written)."""
    from .imports import MAX_FILE_BYTES, get_importer
    from .tasks import run_import_job

    importer = get_importer(kind)
    if importer is None or not importer.can_import(actor):
        raise PermissionDenied
    if not file_name.lower().endswith(ALLOWED_IMPORT_SUFFIXES):
        raise ValidationError({"file": _("Upload a CSV or Excel (.xlsx) file.")})
    if not content:
        raise ValidationError({"file": _("The file is empty.")})
    if len(content) > MAX_FILE_BYTES:
        raise ValidationError({"file": _("The file is larger than %(n)s MB.") % {"n": MAX_FILE_BYTES // (1024 * 1024)}})
    job = ImportJob.objects.create(
        kind=kind,
        file_name=file_name[-255:],
        content=content,
        language=translation.get_language() or settings.LANGUAGE_CODE,
        requested_by=actor,
        step=gettext_noop("Waiting to be checked"),
    )
    transaction.on_commit(lambda: run_import_job.delay(job.pk))
    return job


@transaction.atomic
def import_job_confirm(*, job: ImportJob, actor, only_valid_rows: bool = False) -> ImportJob:
    """Import a checked file: all of it (it must have no errors) or, if chosen, only its good rows."""
    from .tasks import run_import_job

    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    importer = job.importer
    if importer is None or not importer.can_import(actor):
        raise PermissionDenied
    if job.status != ImportJob.Status.CHECKED:
        raise ValidationError(
            _("This import is not waiting for confirmation (it is %(status)s).") % {"status": job.get_status_display()}
        )
    if job.invalid_rows and not only_valid_rows:
        raise ValidationError(
            _(
                "%(n)s rows have errors, so nothing is imported. Correct the file and upload it again, "
                "or choose to import only the rows without errors."
            )
            % {"n": job.invalid_rows}
        )
    if job.valid_rows == 0:
        raise ValidationError(_("No row of this file can be imported."))
    job.status = ImportJob.Status.CONFIRMED
    job.only_valid_rows = bool(only_valid_rows and job.invalid_rows)
    job.progress = 0
    job.step = gettext_noop("Waiting to be imported")
    job.save(update_fields=["status", "only_valid_rows", "progress", "step", "updated_at"])
    transaction.on_commit(lambda: run_import_job.delay(job.pk))
    return job


@transaction.atomic
def import_job_discard(*, job: ImportJob, actor) -> ImportJob:
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if job.status != ImportJob.Status.CHECKED:
        raise ValidationError(_("Only a checked import that is waiting for confirmation can be discarded."))
    job.status = ImportJob.Status.DISCARDED
    job.content = b""
    job.finished_at = timezone.now()
    job.step = gettext_noop("Discarded")
    job.save(update_fields=["status", "content", "finished_at", "step", "updated_at"])
    return job


def _job_progress(job: ImportJob, progress: int, step: str, **fields) -> None:
    job.progress, job.step = progress, step
    for key, value in fields.items():
        setattr(job, key, value)
    ImportJob.objects.filter(pk=job.pk).update(progress=progress, step=step, updated_at=timezone.now(), **fields)


def import_job_run(*, job: ImportJob) -> ImportJob:
    """Run the job's next phase: check a queued file, or import a confirmed one (the task calls this).

    A redelivered job (its worker died) runs its phase again from the start: the check writes
    nothing, and the import writes in one transaction, so a half-done run left nothing behind."""
    from .imports import ImportFileError

    if job.status in (ImportJob.Status.QUEUED, ImportJob.Status.CHECKING):
        phase = "check"
        _job_progress(
            job, 5, gettext_noop("Reading the file"), status=ImportJob.Status.CHECKING, started_at=timezone.now()
        )
    elif job.status in (ImportJob.Status.CONFIRMED, ImportJob.Status.IMPORTING):
        phase = "import"
        _job_progress(job, 5, gettext_noop("Checking the rows again"), status=ImportJob.Status.IMPORTING)
    else:
        return job
    importer = job.importer
    actor = job.requested_by
    with translation.override(job.language or settings.LANGUAGE_CODE):
        if importer is None or actor is None or not importer.can_import(actor):
            return _job_fail(job, _("You may no longer import these records."))
        try:
            table, rows, counts = _import_check(job, importer, actor)
        except ImportFileError as exc:
            return _job_fail(job, str(exc))
        bad = [row for row in rows if row.errors]
        errors = [error.as_dict() for row in bad for error in row.errors]
        summary = {
            "counts": {"rows": len(rows), **counts},
            "invalid_rows": len(bad),
            "error_count": len(errors),
            "errors": errors[:MAX_STORED_ERRORS],
            "ignored_columns": table.ignored_headers,
        }
        if phase == "check" or (bad and not job.only_valid_rows):
            # checked (or, before importing, the data changed and some rows now fail): show it
            _job_progress(job, 100, gettext_noop("Checked"), status=ImportJob.Status.CHECKED, **summary)
            return job
        good = [row for row in rows if not row.errors]
        _job_progress(job, 60, gettext_noop("Writing"))
        try:
            with transaction.atomic():
                written = importer.write(actor=actor, rows=good, present={c.key for c in table.columns})
        except ValidationError as exc:
            return _job_fail(job, " ".join(exc.messages))
        summary["counts"] = {"rows": len(rows), **counts, **written, "skipped": len(bad)}
        _job_progress(
            job,
            100,
            gettext_noop("Done"),
            status=ImportJob.Status.DONE,
            finished_at=timezone.now(),
            content=b"",
            **summary,
        )
    return job


def _import_check(job, importer, actor):
    from .imports import parse_rows, read_table

    table = read_table(bytes(job.content), job.file_name, importer)
    _job_progress(job, 20, gettext_noop("Checking the rows"))
    parse_rows(table)
    counts = importer.check(actor=actor, rows=table.rows, present={c.key for c in table.columns})
    return table, table.rows, counts


def _job_fail(job: ImportJob, message: str) -> ImportJob:
    _job_progress(
        job,
        100,
        gettext_noop("Failed"),
        status=ImportJob.Status.FAILED,
        error=message,
        finished_at=timezone.now(),
        content=b"",
    )
    return job
