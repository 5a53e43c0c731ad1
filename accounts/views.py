"""Account pages. Thin: forms validate, services write, selectors read (DESIGN.md)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from core.export import columns_export
from core.forms import add_service_errors
from core.imports import get_importer
from core.pagination import CappedPaginator
from core.response_cache import cached_page
from users.permissions import crm_permission_required, has_crm_perm
from users.visibility import get_visible_or_404

from . import selectors, services
from .alerts import account_alerts as alerts_for_account
from .filters import AccountFilter
from .forms import AccountForm, ArchiveForm, CompetitorPresenceForm, ContactForm, FeedbackForm
from .models import Account, Contact, Feedback
from .panels import panel_get_for_user

PAGE_SIZE = 25
PAGE_SIZES = (25, 50, 100)  # the list's "rows per page" choices
TRANSACTIONS_PAGE_SIZE = 50
# Lazy labels: translated when the export is written, in the reader's language (not at import).
# Choice fields export their labels, never the stored codes.
EXPORT_COLUMNS = [
    (gettext_lazy("Account no."), lambda a: a.number),
    (gettext_lazy("Name"), lambda a: a.name),
    (gettext_lazy("Short name"), lambda a: a.nickname),
    (gettext_lazy("Category"), lambda a: a.get_category_display()),
    (gettext_lazy("Industry"), lambda a: a.get_industry_display()),
    (gettext_lazy("Region"), lambda a: a.region),
    (gettext_lazy("Status"), lambda a: a.get_status_display()),
    (gettext_lazy("Tier"), lambda a: a.get_tier_display()),
    (gettext_lazy("ABC class"), lambda a: a.get_abc_class_display()),
    (gettext_lazy("RFM segment"), lambda a: a.get_rfm_segment_display()),
    (gettext_lazy("12-month revenue"), lambda a: a.revenue_12m),
    (gettext_lazy("Account manager"), lambda a: str(a.owner or "")),
    (gettext_lazy("Team"), lambda a: str(a.team or "")),
    (gettext_lazy("Phone"), lambda a: a.phone),
    (gettext_lazy("E-mail"), lambda a: a.email),
    (gettext_lazy("Last contact"), lambda a: a.last_contact_at),
]


def _filtered(request):
    filterset = AccountFilter(request.GET, queryset=Account.objects.all())
    filterset.is_valid()
    sort = request.GET.get("sort", selectors.DEFAULT_SORT)
    qs = selectors.account_list(user=request.user, filterset_qs=filterset.qs, sort=sort)
    return filterset, qs, sort


@login_required
@vary_on_headers("HX-Request")
@cached_page
def account_list(request):
    filterset, qs, sort = _filtered(request)
    # Counting stops early on very long lists (a text search at 1,000 matches: short Chinese
    # terms cannot use the trigram index; any list at 10,000): the dashboard has exact totals.
    cap = 1000 if request.GET.get("q", "").strip() else 10000
    per_page = _page_size(request)
    paginator = CappedPaginator(qs, per_page, cap=cap)
    page = paginator.get_page(request.GET.get("page"))
    # Every link the list renders (pages, column headers, exports) carries the filters and
    # the sort now on screen; the htmx fragment re-renders them all (out-of-band where they
    # sit outside the table), so a filter chosen live is what the export gets.
    params = QueryDict(mutable=True)
    for key, values in request.GET.lists():
        if key != "page" and (kept := [v for v in values if v.strip()]):
            params.setlist(key, kept)
    params["sort"] = sort
    filters_only = params.copy()
    filters_only.pop("sort", None)
    fragment = bool(request.htmx and not request.htmx.boosted)
    context = {
        "filter": filterset,
        "page": page,
        "sort": sort,
        "querystring": params.urlencode(),
        "sort_querystring": filters_only.urlencode(),
        "can_add": has_crm_perm(request.user, "accounts.add_account"),
        "importers": [] if fragment else _importers_for(request.user),
        "oob": fragment,
        "per_page": per_page,
        "page_sizes": PAGE_SIZES,
        # on a phone the filters fold behind one button that says how many are on
        "active_filters": len([k for k in filters_only if k not in ("q", "per_page")]),
    }
    template = "accounts/_account_table.html" if fragment else "accounts/account_list.html"
    return render(request, template, context)


def _importers_for(user) -> list:
    """The imports of this app the user may run (add and change permission, from the role table)."""
    keys = ("accounts.account", "accounts.contact", "accounts.transaction")
    importers = [get_importer(key) for key in keys]
    return [i for i in importers if i and all(has_crm_perm(user, perm) for perm in i.required_perms())]


def _page_size(request) -> int:
    try:
        size = int(request.GET.get("per_page", PAGE_SIZE))
    except ValueError:
        return PAGE_SIZE
    return size if size in PAGE_SIZES else PAGE_SIZE


@login_required
def account_export(request, fmt):
    _filterset, qs, _sort = _filtered(request)
    return columns_export(
        fmt=fmt,
        filename="accounts",
        sheet=_("Accounts"),
        columns=EXPORT_COLUMNS,
        objects=qs,
    )


@login_required
@cached_page
def account_detail(request, pk):
    context = selectors.account_360(user=request.user, pk=pk)
    user = request.user
    context.update(
        {
            "can_edit": has_crm_perm(user, "accounts.change_account"),
            "can_add_feedback": has_crm_perm(user, "accounts.add_feedback"),
            "can_add_contact": has_crm_perm(user, "accounts.add_contact"),
            "can_change_feedback": has_crm_perm(user, "accounts.change_feedback"),
            "revenue_chart": {  # static/js/charts.js, kind "bar"
                "labels": [r["month"] for r in context["monthly_revenue"]],
                "values": [float(r["total"]) for r in context["monthly_revenue"]],
                "label": _("Net revenue"),
            },
            "has_revenue": any(r["total"] for r in context["monthly_revenue"]),
        }
    )
    return render(request, "accounts/account_detail.html", context)


@login_required
def account_timeline(request, pk):
    """The 360° page's timeline card alone: re-read (htmx) after something was logged on the page."""
    account = selectors.account_get_for_user(user=request.user, pk=pk)
    return render(request, "accounts/_timeline.html", {"events": selectors.account_timeline(account=account)})


def account_panel(request, pk, key):
    """One panel of the 360° page, loaded by its placeholder (accounts.panels): 404 unless the user
    may see both the account and the panel."""
    account = selectors.account_get_for_user(user=request.user, pk=pk)
    panel = panel_get_for_user(user=request.user, key=key)
    ctx = panel.context(user=request.user, account=account)
    return render(request, "accounts/_panel.html", {"account": account, "panel": panel, "ctx": ctx})


@login_required
def account_alerts(request, pk):
    """The 360° page's "what's wrong" strip (accounts.alerts), loaded by the page's header: 404
    unless the user may see the account."""
    account = selectors.account_get_for_user(user=request.user, pk=pk)
    alerts = alerts_for_account(user=request.user, account=account)
    return render(request, "accounts/_alerts.html", {"account": account, "alerts": alerts})


@login_required
def account_transactions(request, pk):
    """Every transaction of one account, paginated (the 360° page shows the latest ten)."""
    account = selectors.account_get_for_user(user=request.user, pk=pk)
    paginator = Paginator(selectors.account_transactions(account=account), TRANSACTIONS_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    return render(request, "accounts/transaction_list.html", {"account": account, "page": page, "querystring": ""})


@login_required
@crm_permission_required("accounts.add_account")
def account_create(request):
    form = AccountForm(request.POST or None, user=request.user, initial={"owner": request.user.pk})
    if request.method == "POST" and form.is_valid():
        try:
            account = services.account_create(actor=request.user, **form.service_data())
        except ValidationError as exc:
            add_service_errors(form, exc)
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
            add_service_errors(form, exc)
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
            add_service_errors(form, exc)
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
                add_service_errors(form, exc)
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
    # No satisfaction is preselected: the agent must choose the customer's score.
    form = FeedbackForm(request.POST or None, account=account, initial={"received_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            services.feedback_create(account=account, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
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
        presence = services.competitor_presence_save(account=account, actor=request.user, competitor=competitor, **data)
        if presence.was_created:
            messages.success(request, _("Competitor recorded."))
        else:
            messages.success(
                request,
                _("%(competitor)s was already recorded here: its entry is updated.") % {"competitor": competitor},
            )
        return redirect(account)
    return render(
        request,
        "accounts/simple_form.html",
        {"form": form, "account": account, "title": _("Competitor at this account")},
    )
