"""Service-request pages. Thin: forms validate, services write, selectors read (DESIGN.md)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import QueryDict
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from accounts.models import Account
from accounts.selectors import account_get_for_user
from core.export import columns_export
from core.forms import add_service_errors
from core.pagination import LONG_LIST_CAP, CappedPaginator
from users.permissions import crm_permission_required, has_crm_perm
from users.visibility import visible_to

from . import selectors, services
from .filters import ServiceRequestFilter
from .forms import AssignForm, AttachmentForm, BulkAssignForm, CommentForm, RequestForm, TransitionForm
from .models import TRANSITIONS, ServiceRequest

PAGE_SIZE = 25
VIEW = "service_requests.view_servicerequest"
CHANGE = "service_requests.change_servicerequest"
ADD = "service_requests.add_servicerequest"
QUEUE_LABELS = {
    "mine": gettext_lazy("My queue"),
    "department": gettext_lazy("My department"),
    "at_risk": pgettext_lazy("service level", "At risk"),
    "breached": gettext_lazy("Breached"),
    "open": gettext_lazy("All open"),
    "all": gettext_lazy("All"),
}
EXPORT_COLUMNS = [
    (gettext_lazy("Number"), lambda r: r.number),
    (gettext_lazy("Account"), lambda r: r.account.name),
    (gettext_lazy("Subject"), lambda r: r.subject),
    (pgettext_lazy("request category", "Category"), lambda r: r.get_category_display()),
    (gettext_lazy("Priority"), lambda r: r.get_priority_display()),
    (gettext_lazy("Channel"), lambda r: r.get_channel_display()),
    (gettext_lazy("Status"), lambda r: r.get_status_display()),
    (gettext_lazy("Department"), lambda r: str(r.department or "")),
    (gettext_lazy("Assignee"), lambda r: str(r.assignee or "")),
    (gettext_lazy("Received"), lambda r: r.received_at),
    (gettext_lazy("Next deadline"), lambda r: r.next_due_at),
    (gettext_lazy("SLA breached"), lambda r: _("yes") if r.breached else ""),
    (gettext_lazy("Rating"), lambda r: r.rating or ""),
]


def _filtered(request, queue):
    filterset = ServiceRequestFilter(request.GET, queryset=ServiceRequest.objects.all())
    filterset.is_valid()
    sort = request.GET.get("sort", selectors.DEFAULT_SORT)
    qs = selectors.request_list(user=request.user, queue=queue, filterset_qs=filterset.qs, sort=sort)
    return filterset, qs, sort


def _queue(request, counts=None) -> str:
    """The queue asked for; by default the person's own queue when it has anything, else all open."""
    queue = request.GET.get("queue", "")
    if queue in selectors.QUEUES:
        return queue
    counts = counts if counts is not None else selectors.queue_counts(user=request.user)
    return "mine" if counts["mine"] else "open"


@login_required
@crm_permission_required(VIEW)
@vary_on_headers("HX-Request")
def request_list(request):
    counts = selectors.queue_counts(user=request.user)
    queue = _queue(request, counts)
    filterset, qs, sort = _filtered(request, queue)
    page = CappedPaginator(qs, PAGE_SIZE, cap=LONG_LIST_CAP).get_page(request.GET.get("page"))
    params = QueryDict(mutable=True)
    for key, values in request.GET.lists():
        if key != "page" and (kept := [v for v in values if v.strip()]):
            params.setlist(key, kept)
    params["queue"] = queue
    context = {
        "filter": filterset,
        "page": page,
        "rows": list(page.object_list),
        "sort": sort,
        "queue": queue,
        "queues": [(key, QUEUE_LABELS[key], counts.get(key)) for key in selectors.QUEUES],
        "querystring": params.urlencode(),
        "can_add": has_crm_perm(request.user, ADD),
        "active_filters": len([k for k in params if k not in ("q", "queue", "sort")]),
        "can_assign": has_crm_perm(request.user, CHANGE),
        "bulk_form": BulkAssignForm(),
    }
    fragment = bool(request.htmx and not request.htmx.boosted)
    template = "service_requests/_request_table.html" if fragment else "service_requests/request_list.html"
    return render(request, template, context)


@login_required
@crm_permission_required(VIEW)
def request_export(request, fmt):
    _filterset, qs, _sort = _filtered(request, _queue(request))
    return columns_export(
        fmt=fmt,
        filename="service-requests",
        sheet=_("Service requests"),
        columns=EXPORT_COLUMNS,
        objects=qs,
    )


@login_required
@crm_permission_required(ADD)
def request_create(request):
    account_id = request.GET.get("account") or request.POST.get("account")
    if not account_id:
        q = request.GET.get("q", "").strip()
        accounts = []
        if q:
            accounts = list(
                visible_to(request.user, Account.objects.filter(is_archived=False))
                .filter(name__icontains=q)
                .order_by("name")[:15]
            ) or list(
                visible_to(request.user, Account.objects.filter(is_archived=False)).filter(
                    search__text__contains=q.lower()
                )[:15]
            )
        template = (
            "service_requests/_account_results.html" if request.htmx else "service_requests/request_pick_account.html"
        )
        return render(request, template, {"q": q, "accounts": accounts})
    account = account_get_for_user(user=request.user, pk=account_id)
    form = RequestForm(request.POST or None, account=account, initial={"channel": request.GET.get("channel", "phone")})
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k not in ("department", "assignee", "version")}
        try:
            sr = services.request_open(
                actor=request.user,
                account=account,
                department=form.cleaned_data.get("department"),
                assignee=form.cleaned_data.get("assignee"),
                **data,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Request %(number)s opened.") % {"number": sr.number})
            return redirect(sr)
    return render(request, "service_requests/request_form.html", {"form": form, "account": account})


@login_required
@crm_permission_required(VIEW)
def request_detail(request, pk):
    """The request's page. Its step forms (start, wait, resolve, close, reopen) post here and the
    step is taken as at `request_transition`: a refused step shows this page again, with what was
    entered, at this page's own address (not an action URL a reload would post to again)."""
    if request.method == "POST":
        return request_transition(request, pk)
    sr = selectors.request_get_for_user(user=request.user, pk=pk)
    return render(request, "service_requests/request_detail.html", _detail_context(request, sr))


def _detail_context(request, sr, *, transition_form=None) -> dict:
    can_change = has_crm_perm(request.user, CHANGE)
    return {
        "sr": sr,
        # shown again after a refused step: app.js makes the history entry the page's own, so a
        # reload asks for the page instead of resending the refused form
        "replace_url": sr.get_absolute_url() if transition_form is not None else "",
        "clocks": selectors.sla_clocks(sr),
        "timeline": selectors.request_timeline(sr),
        "comments": sr.comments.select_related("author"),
        "attachments": sr.attachments.all(),
        "escalations": selectors.request_escalations(sr),
        "next_steps": TRANSITIONS[sr.status] if can_change else (),
        "can_change": can_change,
        "assign_form": AssignForm(
            initial={"department": sr.department_id, "assignee": sr.assignee_id, "version": sr.version}
        ),
        "comment_form": CommentForm(),
        "attachment_form": AttachmentForm(),
        "transition_form": transition_form or TransitionForm(initial={"version": sr.version}),
        "tier_moved": sr.account.tier != sr.tier_at_intake,
        "Status": ServiceRequest.Status,
    }


@login_required
@crm_permission_required(CHANGE)
def request_edit(request, pk):
    sr = selectors.request_get_for_user(user=request.user, pk=pk)
    form = RequestForm(
        request.POST or None, instance=sr, account=sr.account, editing=True, initial={"version": sr.version}
    )
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "version"}
        fresh = selectors.request_get_for_user(user=request.user, pk=pk)
        try:
            services.request_update(
                request=fresh, actor=request.user, expected_version=form.cleaned_data["version"], data=data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Request saved."))
            return redirect(fresh)
    return render(request, "service_requests/request_form.html", {"form": form, "account": sr.account, "sr": sr})


def _fail(request, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


@login_required
@crm_permission_required(CHANGE)
@require_POST
def request_assign(request, pk):
    sr = selectors.request_get_for_user(user=request.user, pk=pk)
    form = AssignForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(sr)
    try:
        services.request_assign(
            request=sr,
            actor=request.user,
            department=form.cleaned_data["department"],
            assignee=form.cleaned_data["assignee"],
            expected_version=form.cleaned_data["version"],
        )
    except ValidationError as exc:
        _fail(request, exc)
    else:
        messages.success(request, _("Request routed."))
    return redirect(sr)


@login_required
@crm_permission_required(CHANGE)
@require_POST
def request_transition(request, pk):
    sr = selectors.request_get_for_user(user=request.user, pk=pk)
    form = TransitionForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        fresh = selectors.request_get_for_user(user=request.user, pk=pk)  # a refused move may have changed it
        try:
            services.request_transition(
                request=fresh,
                actor=request.user,
                to=data["to"],
                expected_version=data["version"],
                note=data["note"],
                resolution=data["resolution"],
                customer_informed=data["customer_informed"],
                rating=data["rating"],
                customer_unreachable=data["customer_unreachable"],
                contact_attempts=data["contact_attempts"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Request is now %(status)s.") % {"status": fresh.get_status_display().lower()})
            return redirect(fresh)
    # the page again with what was entered: a field's error under it in the step's form, the rest on top
    for name, errors in form.errors.items():
        if name == NON_FIELD_ERRORS or form.fields[name].widget.is_hidden:
            for error in errors:
                messages.error(request, error)
    return render(request, "service_requests/request_detail.html", _detail_context(request, sr, transition_form=form))


@login_required
@crm_permission_required(CHANGE)
@require_POST
def comment_add(request, pk):
    sr = selectors.request_get_for_user(user=request.user, pk=pk)
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            services.comment_add(
                request=sr,
                actor=request.user,
                body=form.cleaned_data["body"],
                is_internal=form.cleaned_data["is_internal"],
            )
        except ValidationError as exc:
            _fail(request, exc)
        else:
            messages.success(request, _("Comment added."))
    else:
        messages.error(request, _("Write something."))
    return redirect(sr)


@login_required
@crm_permission_required(CHANGE)
@require_POST
def attachment_add(request, pk):
    sr = selectors.request_get_for_user(user=request.user, pk=pk)
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.attachment_add(request=sr, actor=request.user, file=form.cleaned_data["file"])
        except ValidationError as exc:
            _fail(request, exc)
        else:
            messages.success(request, _("File attached."))
    else:
        messages.error(request, _("Choose a file."))
    return redirect(sr)


@login_required
@crm_permission_required(VIEW)
def attachment_download(request, pk, attachment_pk):
    from django.http import FileResponse, Http404

    sr = selectors.request_get_for_user(user=request.user, pk=pk)
    attachment = sr.attachments.filter(pk=attachment_pk).first()
    if attachment is None:
        raise Http404
    return FileResponse(attachment.file.open("rb"), as_attachment=True, filename=attachment.name)


@login_required
@crm_permission_required(CHANGE)
@require_POST
def bulk_assign(request):
    form = BulkAssignForm(request.POST)
    ids = [int(i) for i in request.POST.getlist("ids") if i.isdigit()]
    back = request.POST.get("next") or "service_requests:list"
    if not ids:
        messages.error(request, _("Tick the requests to assign first."))
        return redirect(back if back.startswith("/") else "service_requests:list")
    if not form.is_valid():
        messages.error(request, _("Choose the department to route them to."))
        return redirect(back if back.startswith("/") else "service_requests:list")
    chosen = list(visible_to(request.user, ServiceRequest.objects.filter(pk__in=ids)).select_related("account"))
    try:
        count = services.requests_bulk_assign(
            actor=request.user,
            requests=chosen,
            department=form.cleaned_data["department"],
            assignee=form.cleaned_data["assignee"],
        )
    except ValidationError as exc:
        _fail(request, exc)
    else:
        messages.success(request, _("%(count)s requests routed.") % {"count": count})
    return redirect(back if back.startswith("/") else "service_requests:list")


def account_panel_context(*, user, account) -> dict:
    context = selectors.account_requests(user=user, account=account)
    context["can_add"] = has_crm_perm(user, ADD)
    return context
