"""Pages of visits, callbacks and follow-ups. Thin: forms validate, services write, selectors read."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from accounts.models import Contact, Tier
from accounts.selectors import account_get_for_user
from core.export import columns_export
from core.forms import add_service_errors
from core.pagination import LONG_LIST_CAP, CappedPaginator
from users.permissions import crm_permission_required, has_crm_perm
from users.roles import Role
from users.visibility import has_role

from . import ical, selectors, services
from .filters import CallbackFilter, FollowUpFilter, VisitFilter
from .forms import (
    COMPOSER_FORMS,
    CallbackForm,
    FollowUpForm,
    NewFollowUpForm,
    NewVisitForm,
    VisitCancelForm,
    VisitForm,
    VisitOutcomeForm,
)
from .models import CalendarFeed, Callback, Visit

TIER_LABELS = dict(Tier.choices)

PAGE_SIZE = 25
# visits a calendar draws per day before "+N more" (month cell, week row)
MONTH_DAY_VISITS = 4
WEEK_DAY_VISITS = 30


def _querystrings(request, default_sort: str) -> tuple[str, str, str]:
    params = QueryDict(mutable=True)
    for key, values in request.GET.lists():
        if key != "page" and (kept := [v for v in values if v.strip()]):
            params.setlist(key, kept)
    sort = params.get("sort", default_sort)
    params["sort"] = sort
    filters_only = params.copy()
    filters_only.pop("sort", None)
    return sort, params.urlencode(), filters_only.urlencode()


def _list_page(request, *, filterset, rows, template, fragment_template, sort, extra=None):
    # counting stops at the cap: a director's visit log at a million accounts holds millions
    paginator = CappedPaginator(rows, PAGE_SIZE, cap=LONG_LIST_CAP)
    page = paginator.get_page(request.GET.get("page"))
    sort, querystring, sort_querystring = _querystrings(request, sort)
    fragment = bool(request.htmx and not request.htmx.boosted)
    context = {
        "filter": filterset,
        "page": page,
        "sort": sort,
        "querystring": querystring,
        "sort_querystring": sort_querystring,
        "oob": fragment,
        **(extra or {}),
    }
    return render(request, fragment_template if fragment else template, context)


@login_required
def home(request):
    """Customer service starts on the worklist; everyone else on their calendar."""
    if has_role(request.user, Role.SERVICE) and not has_role(request.user, Role.MANAGER, Role.DIRECTOR, Role.ADMIN):
        return redirect("visits:worklist")
    if not has_crm_perm(request.user, "visits.view_visit"):
        return redirect("dashboard")
    return redirect("visits:calendar")


# --- visits ---------------------------------------------------------------------------------

VISIT_EXPORT = [
    (gettext_lazy("Starts"), lambda v: v.planned_start),
    (gettext_lazy("Ends"), lambda v: v.planned_end),
    (gettext_lazy("Account no."), lambda v: v.account.number),
    (gettext_lazy("Account"), lambda v: v.account.name),
    (gettext_lazy("Kind"), lambda v: v.get_kind_display()),
    (gettext_lazy("Purpose"), lambda v: v.purpose),
    (gettext_lazy("Status"), lambda v: v.get_status_display()),
    (gettext_lazy("Led by"), lambda v: str(v.owner)),
    (gettext_lazy("Outcome"), lambda v: v.outcome),
    (gettext_lazy("Satisfaction"), lambda v: v.satisfaction),
    (gettext_lazy("Next step"), lambda v: v.next_step),
    (gettext_lazy("Follow up on"), lambda v: v.follow_up_on),
    (gettext_lazy("Cost of gifts and materials"), lambda v: v.materials_cost),
]


def _visit_rows(request):
    filterset = VisitFilter(request.GET or None, queryset=Visit.objects.all())
    filterset.is_valid()
    qs = filterset.qs if filterset.is_bound else Visit.objects.all()
    sort = request.GET.get("sort", "-start")
    return filterset, selectors.visit_list(user=request.user, qs=qs, sort=sort)


@login_required
@crm_permission_required("visits.view_visit")
@vary_on_headers("HX-Request")
def visit_list(request):
    filterset, rows = _visit_rows(request)
    return _list_page(
        request,
        filterset=filterset,
        rows=rows,
        template="visits/visit_list.html",
        fragment_template="visits/_visit_table.html",
        sort="-start",
        extra={"can_add": has_crm_perm(request.user, "visits.add_visit")},
    )


@login_required
@crm_permission_required("visits.view_visit")
def visit_export(request, fmt):
    _filterset, rows = _visit_rows(request)
    return columns_export(
        fmt=fmt,
        filename="visits",
        sheet=_("Visits"),
        columns=VISIT_EXPORT,
        objects=rows,
    )


@login_required
@crm_permission_required("visits.add_visit")
def visit_create(request):
    account = None
    if request.GET.get("account"):
        account = account_get_for_user(user=request.user, pk=request.GET["account"])
    form_class = VisitForm if account else NewVisitForm
    form = form_class(request.POST or None, user=request.user, account=account)
    if request.method == "POST" and form.is_valid():
        target = account or form.cleaned_data["account_ref"]
        try:
            visit = services.visit_create(
                actor=request.user,
                account=target,
                participants=form.cleaned_data.get("participants") or [],
                contacts=form.cleaned_data.get("contacts") or [],
                **form.service_data(),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Visit planned."))
            return redirect(visit)
    return render(request, "visits/visit_form.html", {"form": form, "account": account})


@login_required
@crm_permission_required("visits.view_visit")
def visit_detail(request, pk):
    visit = selectors.visit_get_for_user(user=request.user, pk=pk)
    can_change = has_crm_perm(request.user, "visits.change_visit")
    context = {
        "visit": visit,
        "participants": list(visit.participants.all()),
        "contacts": list(visit.contacts.all()),
        "follow_ups": list(visit.follow_ups.select_related("assignee")),
        "can_change": can_change,
        "outcome_form": VisitOutcomeForm(visit=visit) if can_change and visit.is_open else None,
        "cancel_form": VisitCancelForm(initial={"version": visit.version}) if can_change and visit.is_open else None,
    }
    return render(request, "visits/visit_detail.html", context)


@login_required
@crm_permission_required("visits.change_visit")
def visit_edit(request, pk):
    visit = selectors.visit_get_for_user(user=request.user, pk=pk)
    if not visit.is_open:
        messages.error(request, _("Only a planned or confirmed visit can be changed."))
        return redirect(visit)
    form = VisitForm(
        request.POST or None,
        instance=visit,
        user=request.user,
        account=visit.account,
        initial={"version": visit.version},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.visit_update(
                visit=visit,
                actor=request.user,
                expected_version=form.cleaned_data.get("version"),
                data=form.service_data(),
                participants=form.cleaned_data.get("participants") or [],
                contacts=form.cleaned_data.get("contacts") or [],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Visit saved."))
            return redirect(visit)
    return render(request, "visits/visit_form.html", {"form": form, "account": visit.account, "visit": visit})


@login_required
@crm_permission_required("visits.change_visit")
@require_POST
def visit_confirm(request, pk):
    visit = selectors.visit_get_for_user(user=request.user, pk=pk)
    try:
        services.visit_confirm(visit=visit, actor=request.user, expected_version=request.POST.get("version") or None)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Visit confirmed with the customer."))
    return redirect(visit)


@login_required
@crm_permission_required("visits.change_visit")
def visit_complete(request, pk):
    visit = selectors.visit_get_for_user(user=request.user, pk=pk)
    form = VisitOutcomeForm(request.POST or None, visit=visit)
    if request.method == "POST" and form.is_valid():
        try:
            services.visit_complete(
                visit=visit,
                actor=request.user,
                expected_version=form.cleaned_data.get("version"),
                **form.service_data(),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Visit recorded. Thank you."))
            return redirect(visit)
    return render(request, "visits/visit_outcome.html", {"form": form, "visit": visit})


@login_required
@crm_permission_required("visits.change_visit")
def visit_cancel(request, pk):
    visit = selectors.visit_get_for_user(user=request.user, pk=pk)
    form = VisitCancelForm(request.POST or None, initial={"version": visit.version})
    if request.method == "POST" and form.is_valid():
        try:
            services.visit_cancel(
                visit=visit,
                actor=request.user,
                reason=form.cleaned_data["reason"],
                missed=form.cleaned_data["missed"],
                expected_version=form.cleaned_data.get("version"),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Visit marked %(status)s.") % {"status": visit.get_status_display().lower()})
            return redirect(visit)
    return render(request, "visits/visit_cancel.html", {"form": form, "visit": visit})


# --- callbacks ------------------------------------------------------------------------------

CALLBACK_EXPORT = [
    (gettext_lazy("When"), lambda c: c.occurred_at),
    (gettext_lazy("Account no."), lambda c: c.account.number),
    (gettext_lazy("Account"), lambda c: c.account.name),
    (gettext_lazy("Kind"), lambda c: c.get_kind_display()),
    (gettext_lazy("Channel"), lambda c: c.get_channel_display()),
    (gettext_lazy("Contact"), lambda c: str(c.contact or "")),
    (gettext_lazy("Summary"), lambda c: c.summary),
    (gettext_lazy("Satisfaction"), lambda c: c.satisfaction),
    (gettext_lazy("Problem"), lambda c: c.problem),
    (gettext_lazy("Problem status"), lambda c: c.get_problem_status_display() if c.problem_raised else ""),
    (gettext_lazy("Logged by"), lambda c: str(c.created_by or "")),
]


def _callback_rows(request):
    filterset = CallbackFilter(request.GET or None, queryset=Callback.objects.all())
    filterset.is_valid()
    qs = filterset.qs if filterset.is_bound else Callback.objects.all()
    return filterset, selectors.callback_list(user=request.user, qs=qs, sort=request.GET.get("sort", "-when"))


@login_required
@crm_permission_required("visits.view_callback")
@vary_on_headers("HX-Request")
def callback_list(request):
    filterset, rows = _callback_rows(request)
    return _list_page(
        request,
        filterset=filterset,
        rows=rows,
        template="visits/callback_list.html",
        fragment_template="visits/_callback_table.html",
        sort="-when",
    )


@login_required
@crm_permission_required("visits.view_callback")
def callback_export(request, fmt):
    _filterset, rows = _callback_rows(request)
    return columns_export(
        fmt=fmt,
        filename="callbacks",
        sheet=_("Callbacks"),
        columns=CALLBACK_EXPORT,
        objects=rows,
    )


@login_required
@crm_permission_required("visits.view_callback")
def callback_detail(request, pk):
    callback = selectors.callback_get_for_user(user=request.user, pk=pk)
    return render(
        request,
        "visits/callback_detail.html",
        {
            "callback": callback,
            "follow_ups": list(callback.follow_ups.select_related("assignee")),
            "can_change": has_crm_perm(request.user, "visits.change_callback"),
        },
    )


@login_required
@crm_permission_required("visits.change_callback")
@require_POST
def callback_resolve(request, pk):
    callback = selectors.callback_get_for_user(user=request.user, pk=pk)
    try:
        services.callback_resolve_problem(callback=callback, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Problem marked resolved; the customer has been told."))
    return redirect(callback)


# --- follow-ups -----------------------------------------------------------------------------


@login_required
@crm_permission_required("visits.view_followup")
@vary_on_headers("HX-Request")
def follow_up_list(request):
    from .models import FollowUp

    data = request.GET.copy()
    if not request.GET:  # by default: my open follow-ups, overdue first
        data.update({"owner": str(request.user.pk), "status": "open"})
    filterset = FollowUpFilter(data, queryset=FollowUp.objects.all())
    filterset.is_valid()
    rows = selectors.follow_up_list(user=request.user, qs=filterset.qs, sort=request.GET.get("sort", "due"))
    return _list_page(
        request,
        filterset=filterset,
        rows=rows,
        template="visits/followup_list.html",
        fragment_template="visits/_followup_table.html",
        sort="due",
        extra={
            "today": timezone.localdate(),
            "counts": selectors.open_follow_up_counts(user=request.user),
            "can_add": has_crm_perm(request.user, "visits.add_followup"),
            "can_change": has_crm_perm(request.user, "visits.change_followup"),
        },
    )


@login_required
@crm_permission_required("visits.add_followup")
def follow_up_create(request):
    account = None
    if request.GET.get("account"):
        account = account_get_for_user(user=request.user, pk=request.GET["account"])
    form_class = FollowUpForm if account else NewFollowUpForm
    form = form_class(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            follow_up = services.follow_up_create(
                actor=request.user,
                account=account or form.cleaned_data["account_ref"],
                title=form.cleaned_data["title"],
                assignee=form.cleaned_data["assignee"],
                due_on=form.cleaned_data["due_on"],
                notes=form.cleaned_data["notes"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Follow-up added."))
            return redirect(follow_up)
    return render(request, "visits/followup_form.html", {"form": form, "account": account})


@login_required
@crm_permission_required("visits.view_followup")
def follow_up_detail(request, pk):
    follow_up = selectors.follow_up_get_for_user(user=request.user, pk=pk)
    can_change = has_crm_perm(request.user, "visits.change_followup")
    form = None
    if can_change and not follow_up.is_done:
        form = FollowUpForm(
            request.POST or None, instance=follow_up, user=request.user, initial={"version": follow_up.version}
        )
        if request.method == "POST" and form.is_valid():
            try:
                services.follow_up_update(
                    follow_up=follow_up,
                    actor=request.user,
                    expected_version=form.cleaned_data.get("version"),
                    data={k: form.cleaned_data[k] for k in services.FOLLOW_UP_EDITABLE},
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Follow-up saved."))
                return redirect(follow_up)
    return render(
        request,
        "visits/followup_detail.html",
        {"follow_up": follow_up, "form": form, "can_change": can_change, "today": timezone.localdate()},
    )


@login_required
@crm_permission_required("visits.change_followup")
@require_POST
def follow_up_done(request, pk):
    follow_up = selectors.follow_up_get_for_user(user=request.user, pk=pk)
    try:
        services.follow_up_complete(
            follow_up=follow_up, actor=request.user, expected_version=request.POST.get("version") or None
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Done: %(title)s") % {"title": follow_up.title})
    return redirect(request.POST.get("next") or follow_up.get_absolute_url())


# --- worklist, overdue and coverage ---------------------------------------------------------


@login_required
@crm_permission_required("visits.add_callback")
@vary_on_headers("HX-Request")
def worklist(request):
    """Customer service's day: callbacks due today by tier cadence, overdue first; and the
    caller's number box that leads straight to the composer."""
    rows = selectors.callbacks_due(user=request.user)
    tier = request.GET.get("tier")
    if tier:
        rows = rows.filter(tier=tier)
    paginator = CappedPaginator(rows, PAGE_SIZE, cap=LONG_LIST_CAP)
    page = paginator.get_page(request.GET.get("page"))
    page.object_list = selectors.with_due_dates(page.object_list)
    context = {"page": page, "tier": tier, "querystring": f"tier={tier}" if tier else "", "today": timezone.localdate()}
    if request.htmx and not request.htmx.boosted and request.htmx.target == "worklist-rows":
        return render(request, "visits/_worklist_rows.html", context)
    return render(request, "visits/worklist.html", context)


@login_required
@crm_permission_required("visits.add_callback")
def caller_lookup(request):
    """The accounts and contacts whose phone has the typed digits (htmx). One contact found: its
    callback composer opens at once."""
    phone = request.GET.get("phone", "")
    matches = selectors.caller_matches(user=request.user, phone=phone)
    if len(matches) == 1:
        match = matches[0]
        return _composer(
            request,
            account=match["account"],
            mode="callback",
            contact=match["contact"],
            lookup=True,
        )
    return render(request, "visits/_caller_matches.html", {"matches": matches, "phone": phone})


OVERDUE_EXPORT = [
    (gettext_lazy("Account no."), lambda a: a.number),
    (gettext_lazy("Account"), lambda a: a.name),
    (gettext_lazy("Tier"), lambda a: a.get_tier_display()),
    (gettext_lazy("Category"), lambda a: a.get_category_display()),
    (gettext_lazy("Account manager"), lambda a: str(a.owner or "")),
    (gettext_lazy("Last contact"), lambda a: a.last_contact_at),
]


def _overdue_rows(request):
    from accounts.filters import AccountFilter
    from accounts.models import Account

    filterset = AccountFilter(request.GET, queryset=Account.objects.filter(is_archived=False))
    tiers = (filterset.form.cleaned_data.get("tier") or []) if filterset.is_valid() else []
    return filterset, selectors.overdue_accounts(user=request.user, qs=filterset.qs, tiers=tiers)


@login_required
@crm_permission_required("visits.view_visit")
@vary_on_headers("HX-Request")
def overdue(request):
    filterset, rows = _overdue_rows(request)
    paginator = CappedPaginator(rows, PAGE_SIZE, cap=LONG_LIST_CAP)
    page = paginator.get_page(request.GET.get("page"))
    cadence = selectors.cadences()
    page.object_list = selectors.with_due_dates(page.object_list, cadence=cadence)
    _sort, querystring, _s = _querystrings(request, "")
    context = {
        "filter": filterset,
        "page": page,
        "querystring": querystring,
        "cadence": [
            (tier, TIER_LABELS.get(tier, tier), days)
            for tier, days in sorted(cadence.items(), key=lambda kv: kv[1]["callback"])
        ],
        "oob": bool(request.htmx and not request.htmx.boosted),
    }
    template = "visits/_overdue_table.html" if context["oob"] else "visits/overdue.html"
    return render(request, template, context)


@login_required
@crm_permission_required("visits.view_visit")
def overdue_export(request, fmt):
    _filterset, rows = _overdue_rows(request)
    return columns_export(
        fmt=fmt,
        filename="overdue-contact",
        sheet=_("Overdue for contact"),
        columns=OVERDUE_EXPORT,
        objects=rows,
    )


def _month_param(value: str | None) -> datetime.date:
    today = timezone.localdate()
    try:
        year, month = (int(p) for p in (value or "").split("-")[:2])
        return datetime.date(year, month, 1)
    except (TypeError, ValueError):
        return today.replace(day=1)


def _shift_month(month: datetime.date, delta: int) -> datetime.date:
    index = month.year * 12 + month.month - 1 + delta
    return datetime.date(index // 12, index % 12 + 1, 1)


@login_required
@crm_permission_required("visits.view_visit")
def coverage(request):
    month = _month_param(request.GET.get("month"))
    tables = []
    by_dimension, as_of = selectors.coverage_page(
        user=request.user, month=month, refresh=request.GET.get("refresh") == "1"
    )
    for by, title in [
        ("tier", _("By tier")),
        ("category", _("By category")),
        ("owner", _("By account manager")),
    ]:
        rows = by_dimension[by]
        tables.append({"by": by, "title": title, "rows": rows, "total": selectors.coverage_total(rows)})
    context = {
        "month": month,
        "previous": _shift_month(month, -1),
        "next": _shift_month(month, 1) if month < timezone.localdate().replace(day=1) else None,
        "tables": tables,
        "can_set_targets": has_crm_perm(request.user, "visits.change_coveragetarget"),
        "figures_as_of": as_of,
    }
    return render(request, "visits/coverage.html", context)


# --- calendar -------------------------------------------------------------------------------


def _date_param(value: str | None) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value or "")
    except ValueError:
        return timezone.localdate()


@login_required
@crm_permission_required("visits.view_visit")
@vary_on_headers("HX-Request")
def calendar_view(request):
    view = "week" if request.GET.get("view") == "week" else "month"
    day = _date_param(request.GET.get("date"))
    people = list(selectors.calendar_people(user=request.user))
    teams = list(selectors.calendar_teams(user=request.user))
    person = team = None
    if request.GET.get("team"):
        team = next((t for t in teams if str(t.pk) == request.GET["team"]), None)
        if team is None:
            raise Http404
    else:
        wanted = request.GET.get("person") or str(request.user.pk)
        person = next((p for p in people if str(p.pk) == wanted), None)
        if person is None:
            if wanted != str(request.user.pk):
                raise Http404
            person = request.user
    if view == "month":
        first = day.replace(day=1)
        start = first - datetime.timedelta(days=first.weekday())
        end = start + datetime.timedelta(days=42)
        previous, following = _shift_month(first, -1), _shift_month(first, 1)
    else:
        start = day - datetime.timedelta(days=day.weekday())
        end = start + datetime.timedelta(days=7)
        previous, following = start - datetime.timedelta(days=7), start + datetime.timedelta(days=7)
    # a day cell draws a few visits and says how many more; the week lists more per day
    per_day = MONTH_DAY_VISITS if view == "month" else WEEK_DAY_VISITS
    days = selectors.calendar_days(user=request.user, start=start, end=end, person=person, team=team, per_day=per_day)
    who = {"team": team.pk} if team else {"person": person.pk}
    context = {
        "view": view,
        "day": day,
        "start": start,
        "end": end - datetime.timedelta(days=1),
        "weeks": selectors.month_grid(day.replace(day=1), days) if view == "month" else None,
        "days": selectors.week_days(start, days) if view == "week" else None,
        "visit_count": sum(d["count"] for d in days.values()),
        # the visit list shows a day's visits past the calendar's cap
        "list_filter": f"team={team.pk}" if team else f"owner={person.pk}",
        "people": people,
        "teams": teams,
        "person": person,
        "team": team,
        "who": who,
        "previous": previous,
        "following": following,
        "today": timezone.localdate(),
        "can_add": has_crm_perm(request.user, "visits.add_visit"),
    }
    if request.htmx and not request.htmx.boosted:
        return render(request, "visits/_calendar.html", context)
    return render(request, "visits/calendar.html", context)


@login_required
@crm_permission_required("visits.view_visit")
def calendar_subscribe(request):
    if request.method == "POST":
        services.calendar_feed_rotate(user=request.user)
        messages.success(request, _("A new address was made; the old one no longer works."))
        return redirect("visits:calendar_subscribe")
    feed = services.calendar_feed_for(user=request.user)
    url = request.build_absolute_uri(reverse("visits:calendar_feed", args=[feed.token]))
    return render(request, "visits/calendar_subscribe.html", {"feed": feed, "url": url})


def calendar_feed(request, token):
    """The user's visits as iCalendar, at a secret address (no sign-in: phones subscribe to it)."""
    try:
        feed = CalendarFeed.objects.select_related("user").get(token=token)
    except CalendarFeed.DoesNotExist as exc:
        raise Http404 from exc
    user = feed.user
    if not user.is_active or not has_crm_perm(user, "visits.view_visit"):
        raise Http404
    body = ical.calendar_for(user=user, visits=selectors.feed_visits(user=user), host=request.get_host())
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="visits.ics"'
    response["Cache-Control"] = "private, max-age=300"
    return response


# --- the composer (360° page and worklist) --------------------------------------------------


def _composer(request, *, account, mode, contact=None, form=None, saved=None, lookup=False, status=200):
    if form is None and mode in COMPOSER_FORMS:
        form_class = COMPOSER_FORMS[mode]
        initial = {}
        if form_class is CallbackForm:
            initial = {"contact": contact.pk if contact else None, "channel": Callback.Channel.PHONE}
        form = form_class(account=account, initial=initial)
    context = {
        "account": account,
        "mode": mode,
        "form": form,
        "saved": saved,
        "contact": contact,
        "lookup": lookup,
        "modes": composer_modes(request.user),
    }
    return render(request, "visits/includes/_composer_body.html", context, status=status)


def composer_modes(user) -> list[tuple[str, str, str]]:
    modes = []
    if has_crm_perm(user, "visits.add_callback"):
        modes += [("callback", _("Callback"), "telephone-inbound"), ("call", _("Call"), "telephone-outbound")]
    if has_crm_perm(user, "visits.add_visit"):
        modes.append(("visit", _("Visit outcome"), "person-walking"))
    if has_crm_perm(user, "visits.add_note"):
        modes.append(("note", _("Note"), "sticky"))
    return modes


@login_required
def compose(request, pk):
    """GET: the composer for one mode (htmx). POST: save it and answer a fresh composer with a
    confirmation; the timeline card is refreshed by the `activity-logged` event."""
    account = account_get_for_user(user=request.user, pk=pk)
    ordered = [m for m, _l, _i in composer_modes(request.user)]
    modes = set(ordered)
    mode = request.POST.get("mode") or request.GET.get("mode") or (ordered[0] if ordered else "")
    if mode not in modes:
        raise Http404
    if request.method != "POST":
        contacts = Contact.objects.filter(account=account, is_archived=False)
        if request.GET.get("contact"):
            contact = contacts.filter(pk=request.GET["contact"]).first()
        else:  # nobody named: the primary contact is the likeliest caller
            contact = contacts.filter(is_primary=True).first() if mode in ("callback", "call") else None
        return _composer(request, account=account, mode=mode, contact=contact, lookup=bool(request.GET.get("lookup")))
    form = COMPOSER_FORMS[mode](request.POST, account=account)
    if not form.is_valid():
        return _composer(request, account=account, mode=mode, form=form, lookup=bool(request.POST.get("lookup")))
    data = dict(form.cleaned_data)
    try:
        if mode in ("callback", "call"):
            saved = services.callback_log(
                actor=request.user, account=account, kind=Callback.Kind(mode), **_callback_args(data)
            )
        elif mode == "note":
            saved = services.note_add(actor=request.user, account=account, **data)
        else:
            saved = _save_visit_outcome(request, account, data)
    except ValidationError as exc:
        add_service_errors(form, exc)
        return _composer(request, account=account, mode=mode, form=form, lookup=bool(request.POST.get("lookup")))
    response = _composer(
        request,
        account=account,
        mode=mode,
        saved=saved,
        contact=getattr(saved, "contact", None),
        lookup=bool(request.POST.get("lookup")),
    )
    response["HX-Trigger"] = "activity-logged"
    return response


def _callback_args(data: dict) -> dict:
    return {
        "contact": data.get("contact"),
        "channel": data.get("channel") or Callback.Channel.PHONE,
        "occurred_at": data.get("occurred_at"),
        "summary": data.get("summary", ""),
        "satisfaction": data.get("satisfaction"),
        "problem_raised": data.get("problem_raised", False),
        "problem": data.get("problem", ""),
        "next_step": data.get("next_step", ""),
        "next_step_on": data.get("next_step_on"),
    }


def _save_visit_outcome(request, account, data):
    outcome = {
        "outcome": data["outcome"],
        "satisfaction": data.get("satisfaction"),
        "happened_at": data.get("happened_at"),
        "next_step": data.get("next_step", ""),
        "follow_up_on": data.get("next_step_on"),
    }
    if data.get("visit"):
        return services.visit_complete(visit=data["visit"], actor=request.user, **outcome)
    return services.visit_record(
        actor=request.user, account=account, kind=data["kind"], purpose=data["purpose"], **outcome
    )
