"""Import pages (any app's importer): upload -> check in the background (a dry run) -> look at
the errors -> confirm (all, or only the good rows) -> import in the background -> result.

Thin: the services in core.services run the job; the importer (core.imports) knows the model.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from . import services
from .export import export_response, write_xlsx_sheets
from .forms import ImportUploadForm
from .imports import HELP_HEADERS, get_importer, template_headers, template_help_rows
from .models import ImportJob

RECENT_JOBS = 10


def _importer_or_404(user, kind):
    importer = get_importer(kind)
    if importer is None:
        raise Http404
    if not importer.can_import(user):
        raise PermissionDenied
    return importer


def import_job_get_for_user(*, user, pk) -> ImportJob:
    """The one access function for an import: its own requester (or an administrator)."""
    qs = ImportJob.objects.select_related("requested_by").defer("content")
    if not user.is_superuser:
        qs = qs.filter(requested_by=user)
    job = qs.filter(pk=pk).first()
    if job is None or job.importer is None:
        raise Http404
    return job


@login_required
def import_start(request, kind):
    importer = _importer_or_404(request.user, kind)
    if request.method == "POST":
        form = ImportUploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                job = services.import_job_create(
                    actor=request.user, kind=kind, file_name=upload.name, content=upload.read()
                )
            except ValidationError as exc:
                for message in exc.message_dict.get("file", exc.messages):
                    form.add_error("file", message)
            else:
                return redirect("imports:job", pk=job.pk)
    else:
        form = ImportUploadForm()
    recent = (
        ImportJob.objects.filter(kind=kind, requested_by=request.user)
        .defer("content", "errors")
        .order_by("-created_at")[:RECENT_JOBS]
    )
    return render(request, "core/import_start.html", {"importer": importer, "form": form, "recent": recent})


@login_required
def import_template(request, kind, fmt):
    """An empty file with the columns in the reader's language (XLSX: and a sheet of help)."""
    importer = _importer_or_404(request.user, kind)
    headers = template_headers(importer)
    name = f"{kind.replace('.', '-')}-template"
    if fmt != "xlsx":
        return export_response(fmt="csv", filename=name, headers=headers, rows=[])
    from django.http import HttpResponse

    from .export import XLSX_CONTENT_TYPE

    response = HttpResponse(content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
    write_xlsx_sheets(
        response,
        [
            (str(importer.label), headers, []),
            (_("Columns"), [str(h) for h in HELP_HEADERS], template_help_rows(importer)),
        ],
    )
    return response


@login_required
@vary_on_headers("HX-Request")
def import_job(request, pk):
    job = import_job_get_for_user(user=request.user, pk=pk)
    context = {"job": job, "importer": job.importer, "poll": job.is_active}
    if request.htmx:
        return render(request, "core/_import_status.html", context)
    return render(request, "core/import_job.html", context)


@require_POST
@login_required
def import_confirm(request, pk):
    job = import_job_get_for_user(user=request.user, pk=pk)
    try:
        services.import_job_confirm(
            job=job, actor=request.user, only_valid_rows=bool(request.POST.get("only_valid_rows"))
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The import has started. You can leave this page; it goes on in the background."))
    return redirect("imports:job", pk=job.pk)


@require_POST
@login_required
def import_discard(request, pk):
    job = import_job_get_for_user(user=request.user, pk=pk)
    try:
        services.import_job_discard(job=job, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The file was discarded; nothing was imported."))
    return redirect("imports:start", kind=job.kind)


@login_required
def import_errors(request, pk, fmt):
    """The errors of a checked file as a spreadsheet, to correct the file line by line."""
    job = import_job_get_for_user(user=request.user, pk=pk)
    headers = [_("Line"), _("Column"), _("Value"), _("Error")]
    rows = ([e["line"], e["column"], e["value"], e["message"]] for e in job.errors)
    return export_response(
        fmt="xlsx" if fmt == "xlsx" else "csv",
        filename=f"import-{job.pk}-errors",
        headers=headers,
        rows=rows,
        sheet=_("Errors"),
    )
