"""Pages of reminders: the inbox (the bell's page) and the person's delivery settings. Thin: the
selectors read, the services write."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import QueryDict
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from core.export import export_response
from users.permissions import crm_permission_required

from . import selectors, services
from .forms import SettingsForm
from .rules import RULES

PAGE_SIZE = 25


def _back(request, default="reminders:inbox"):
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect(default)


def _filtered(request):
    """The inbox's filters, shared by the page and its export: unread or all, one kind, a search."""
    show = "unread" if request.GET.get("show") == "unread" else "all"
    rule = request.GET.get("rule") or None
    if rule not in RULES:
        rule = None
    q = request.GET.get("q", "").strip()[:100]
    rows = selectors.inbox(user=request.user, unread_only=show == "unread", rule=rule, q=q)
    params = QueryDict(mutable=True)
    if show != "all":
        params["show"] = show
    if rule:
        params["rule"] = rule
    if q:
        params["q"] = q
    return rows, {"show": show, "rule": rule or "", "q": q, "querystring": params.urlencode()}


@login_required
@crm_permission_required("reminders.view_notification")
@vary_on_headers("HX-Request")
def inbox(request):
    rows, filters = _filtered(request)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    fragment = bool(request.htmx and not request.htmx.boosted)
    context = {
        **filters,
        "page": page,
        "items": selectors.present(page.object_list),
        "rules": [(spec.code, spec.label) for spec in RULES],
        "oob": fragment,
    }
    template = "reminders/_inbox_list.html" if fragment else "reminders/inbox.html"
    return render(request, template, context)


EXPORT_COLUMNS = [
    (gettext_lazy("Received"), lambda item: item["obj"].created_at),
    (gettext_lazy("Kind"), lambda item: item["label"]),
    (gettext_lazy("Reminder"), lambda item: item["text"]),
    (gettext_lazy("Due on"), lambda item: item["obj"].due_on),
    (gettext_lazy("Read at"), lambda item: item["obj"].read_at),
    (gettext_lazy("Link"), lambda item: item["url"]),
]


@login_required
@crm_permission_required("reminders.view_notification")
def inbox_export(request, fmt):
    """The reminders listed, with the filters on screen, as CSV or Excel (one query, streamed)."""
    rows, _filters = _filtered(request)

    def items():
        for notification in rows.iterator(chunk_size=2000):
            item = selectors.present([notification])[0]  # no query: the sentence is built from the row
            item["url"] = request.build_absolute_uri(item["link"]) if item["link"] else ""
            yield [getter(item) for _label, getter in EXPORT_COLUMNS]

    return export_response(
        fmt="xlsx" if fmt == "xlsx" else "csv",
        filename="reminders",
        sheet=_("Reminders"),
        headers=[label for label, _getter in EXPORT_COLUMNS],
        rows=items(),
    )


@login_required
@crm_permission_required("reminders.view_notification")
def open_notification(request, pk):
    """Follow a reminder's link: marked read, then to the object it is about."""
    notification = selectors.notification_get_for_user(user=request.user, pk=pk)
    services.notification_mark_read(actor=request.user, notification=notification)
    target = selectors.present([notification])[0]["link"]
    return redirect(target or "reminders:inbox")


@login_required
@crm_permission_required("reminders.view_notification")
@require_POST
def mark_read(request, pk):
    notification = selectors.notification_get_for_user(user=request.user, pk=pk)
    if request.POST.get("unread"):
        services.notification_mark_unread(actor=request.user, notification=notification)
    else:
        services.notification_mark_read(actor=request.user, notification=notification)
    return _back(request)


@login_required
@crm_permission_required("reminders.view_notification")
@require_POST
def mark_all_read(request):
    count = services.notifications_mark_all_read(actor=request.user)
    messages.success(request, _("%(count)s reminders marked as read.") % {"count": count})
    return _back(request)


@login_required
@crm_permission_required("reminders.view_notification")
def settings_page(request):
    current = selectors.settings_for(user=request.user)
    initial = {"language": current["language"], "email_digest": current["email_digest"]}
    form = SettingsForm(request.POST or None, initial=initial, rules=current["rules"])
    if request.method == "POST" and form.is_valid():
        services.settings_update(
            actor=request.user,
            language=form.cleaned_data["language"],
            email_digest=form.cleaned_data["email_digest"],
            channels=form.channels(),
        )
        messages.success(request, _("Your reminder settings are saved."))
        return redirect("reminders:settings")
    return render(request, "reminders/settings.html", {"form": form, "has_email": bool(request.user.email)})
