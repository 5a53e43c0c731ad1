"""Account pages. Thin: forms validate, services write, selectors read (DESIGN.md)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from core.export import export_response, rows_from
from core.pagination import CappedPaginator
from users.permissions import crm_permission_required, has_crm_perm
from users.visibility import get_visible_or_404

from . import selectors, services
from .filters import AccountFilter
from .forms import AccountForm, ArchiveForm, CompetitorPresenceForm, ContactForm, FeedbackForm
from .models import Account, Contact, Feedback

PAGE_SIZE = 25
EXPORT_COLUMNS = [
    (_("Account no."), lambda a: a.number),
    (_("Name"), lambda a: a.name),
    (_("Short name"), lambda a: a.nickname),
    (_("Category"), lambda a: a.get_category_display()),
    (_("Industry"), lambda a: a.get_industry_display()),
    (_("Region"), lambda a: a.region),
    (_("Status"), lambda a: a.get_status_display()),
    (_("Tier"), lambda a: a.get_tier_display()),
    (_("ABC class"), lambda a: a.abc_class),
    (_("RFM segment"), lambda a: a.rfm_segment),
    (_("12-month revenue"), lambda a: a.revenue_12m),
    (_("Account manager"), lambda a: str(a.owner or "")),
    (_("Team"), lambda a: str(a.team or "")),
    (_("Phone"), lambda a: a.phone),
    (_("E-mail"), lambda a: a.email),
    (_("Last contact"), lambda a: a.last_contact_at),
]


def _filtered(request):
    filterset = AccountFilter(request.GET, queryset=Account.objects.all())
    filterset.is_valid()
    sort = request.GET.get("sort", selectors.DEFAULT_SORT)
    qs = selectors.account_list(user=request.user, filterset_qs=filterset.qs, sort=sort)
    return filterset, qs, sort


@login_required
@vary_on_headers("HX-Request")
def account_list(request):
    filterset, qs, sort = _filtered(request)
    # Counting stops early on very long lists (a text search at 1,000 matches: short Chinese
    # terms cannot use the trigram index; any list at 10,000): the dashboard has exact totals.
    cap = 1000 if request.GET.get("q", "").strip() else 10000
    paginator = CappedPaginator(qs, PAGE_SIZE, cap=cap)
    page = paginator.get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    context = {
        "filter": filterset,
        "page": page,
        "sort": sort,
        "querystring": params.urlencode(),
        "sort_querystring": "&".join(f"{k}={v}" for k, v in params.items() if k != "sort"),
        "can_add": has_crm_perm(request.user, "accounts.add_account"),
    }
    template = (
        "accounts/_account_table.html" if request.htmx and not request.htmx.boosted else "accounts/account_list.html"
    )
    return render(request, template, context)


@login_required
def account_export(request, fmt):
    _filterset, qs, _sort = _filtered(request)
    return export_response(
        fmt="xlsx" if fmt == "xlsx" else "csv",
        filename="accounts",
        headers=[label for label, _g in EXPORT_COLUMNS],
        rows=rows_from(qs, EXPORT_COLUMNS),
    )


@login_required
def account_detail(request, pk):
    context = selectors.account_360(user=request.user, pk=pk)
    user = request.user
    context.update(
        {
            "can_edit": has_crm_perm(user, "accounts.change_account"),
            "can_add_feedback": has_crm_perm(user, "accounts.add_feedback"),
            "can_add_contact": has_crm_perm(user, "accounts.add_contact"),
            "can_change_feedback": has_crm_perm(user, "accounts.change_feedback"),
            "chart_labels": [r["month"] for r in context["monthly_revenue"]],
            "chart_values": [float(r["total"]) for r in context["monthly_revenue"]],
            "has_revenue": any(r["total"] for r in context["monthly_revenue"]),
        }
    )
    return render(request, "accounts/account_detail.html", context)


@login_required
@crm_permission_required("accounts.add_account")
def account_create(request):
    form = AccountForm(request.POST or None, user=request.user, initial={"owner": request.user.pk})
    if request.method == "POST" and form.is_valid():
        try:
            account = services.account_create(actor=request.user, **form.service_data())
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Account %(name)s created.") % {"name": account.name})
            return redirect(account)
    return render(request, "accounts/account_form.html", {"form": form})


@login_required
@crm_permission_required("accounts.change_account")
def account_edit(request, pk):
    account = selectors.account_get_for_user(user=request.user, pk=pk)
    form = AccountForm(request.POST or None, instance=account, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.account_update(
                account=account,
                actor=request.user,
                expected_version=form.cleaned_data.get("version"),
                data=form.service_data(),
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect(account)
    return render(request, "accounts/account_form.html", {"form": form, "account": account})


@login_required
@crm_permission_required("accounts.change_account")
def account_archive(request, pk):
    account = selectors.account_get_for_user(user=request.user, pk=pk)
    form = ArchiveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.account_archive(account=account, actor=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect(account)
        messages.success(
            request,
            _("Account %(name)s archived. It no longer shows in lists.") % {"name": account.name},
        )
        return redirect("accounts:list")
    return render(request, "accounts/account_archive.html", {"form": form, "account": account})


@login_required
@crm_permission_required("accounts.change_account")
@require_POST
def account_restore(request, pk):
    account = selectors.account_get_for_user(user=request.user, pk=pk)
    try:
        services.account_restore(account=account, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Account restored."))
    return redirect(account)


@login_required
@crm_permission_required("accounts.add_contact")
def contact_create(request, pk):
    account = selectors.account_get_for_user(user=request.user, pk=pk)
    form = ContactForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.contact_create(account=account, actor=request.user, **form.service_data())
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Contact added."))
            return redirect(account)
    return render(request, "accounts/contact_form.html", {"form": form, "account": account})


@login_required
@crm_permission_required("accounts.change_contact")
def contact_edit(request, pk):
    contact = get_visible_or_404(request.user, Contact.objects.select_related("account"), pk=pk, is_archived=False)
    form = ContactForm(request.POST or None, instance=contact)
    if request.method == "POST":
        if "archive" in request.POST:
            services.contact_archive(contact=contact, actor=request.user)
            messages.success(request, _("Contact %(name)s archived.") % {"name": contact.name})
            return redirect(contact.account)
        if form.is_valid():
            try:
                services.contact_update(
                    contact=contact,
                    actor=request.user,
                    expected_version=form.cleaned_data.get("version"),
                    data=form.service_data(),
                )
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, _("Contact saved."))
                return redirect(contact.account)
    return render(
        request,
        "accounts/contact_form.html",
        {"form": form, "account": contact.account, "contact": contact},
    )


@login_required
@crm_permission_required("accounts.add_feedback")
def feedback_create(request, pk):
    account = selectors.account_get_for_user(user=request.user, pk=pk)
    from django.utils import timezone

    form = FeedbackForm(
        request.POST or None,
        account=account,
        initial={"received_on": timezone.localdate(), "satisfaction": 5},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.feedback_create(account=account, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Feedback recorded."))
            return redirect(account)
    return render(
        request,
        "accounts/simple_form.html",
        {"form": form, "account": account, "title": _("Record feedback")},
    )


@login_required
@crm_permission_required("accounts.change_feedback")
@require_POST
def feedback_status(request, pk):
    feedback = get_visible_or_404(request.user, Feedback.objects.select_related("account"), pk=pk)
    try:
        services.feedback_set_status(feedback=feedback, actor=request.user, status=request.POST.get("status", ""))
    except (ValidationError, ValueError) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    else:
        messages.success(request, _("Feedback updated."))
    return redirect(feedback.account)


@login_required
@crm_permission_required("accounts.change_account")
def competitor_add(request, pk):
    account = selectors.account_get_for_user(user=request.user, pk=pk)
    form = CompetitorPresenceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        competitor = data.pop("competitor")
        services.competitor_presence_save(account=account, actor=request.user, competitor=competitor, **data)
        messages.success(request, _("Competitor recorded."))
        return redirect(account)
    return render(
        request,
        "accounts/simple_form.html",
        {"form": form, "account": account, "title": _("Competitor at this account")},
    )


def _add_errors(form, exc: ValidationError):
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)
