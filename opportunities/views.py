"""Pipeline board, opportunity and quote pages, forecast and won/lost analysis.
Thin: forms validate, services write, selectors read."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from accounts.filters import account_search_q
from accounts.models import Account
from accounts.selectors import account_get_for_user
from core.export import columns_export, export_response
from core.forms import add_service_errors
from users.permissions import crm_permission_required, has_crm_perm
from users.visibility import visible_to

from . import selectors, services
from .filters import OpportunityFilter
from .forms import (
    AcceptForm,
    ContactRoleForm,
    DecideForm,
    MoveForm,
    OpportunityForm,
    PeriodForm,
    QuoteForm,
    QuoteLineFormSet,
    line_initial,
)
from .models import CloseReason, Opportunity, Quote, Stage

PAGE_SIZE = 25
EXPORT_COLUMNS = [
    (gettext_lazy("Title"), lambda o: o.title),
    (gettext_lazy("Account"), lambda o: o.account.name),
    (gettext_lazy("Stage"), lambda o: str(o.stage.label)),
    (gettext_lazy("Amount"), lambda o: o.amount),
    (gettext_lazy("Probability (%)"), lambda o: o.probability),
    (gettext_lazy("Weighted amount"), lambda o: o.weighted_amount),
    (gettext_lazy("Expected close date"), lambda o: o.expected_close_on),
    (gettext_lazy("Owner"), lambda o: str(o.owner or "")),
    (gettext_lazy("Next step"), lambda o: o.next_step),
    (gettext_lazy("Next step date"), lambda o: o.next_step_on),
    (gettext_lazy("Won/lost reason"), lambda o: o.get_close_reason_display()),
    (gettext_lazy("Closed on"), lambda o: o.closed_on),
]


def _flash_error(request, exc: ValidationError):
    messages.error(request, " ".join(exc.messages))


def _querystrings(request, sort):
    params = QueryDict(mutable=True)
    for key, values in request.GET.lists():
        if key != "page" and (kept := [v for v in values if v.strip()]):
            params.setlist(key, kept)
    params["sort"] = sort
    filters_only = params.copy()
    filters_only.pop("sort", None)
    return params.urlencode(), filters_only.urlencode()


def _filtered(request):
    filterset = OpportunityFilter(request.GET, queryset=Opportunity.objects.all(), request=request)
    filterset.is_valid()
    sort = request.GET.get("sort", selectors.DEFAULT_SORT)
    if sort not in selectors.OPPORTUNITY_SORTS:
        sort = selectors.DEFAULT_SORT
    return filterset, selectors.opportunity_list(user=request.user, qs=filterset.qs, sort=sort), sort


def _scope_choices(request) -> dict:
    """The teams and owners the user may filter by (one query each; a select shows only when
    there is a choice)."""
    return {
        "teams": list(selectors.pipeline_filter_teams(user=request.user)),
        "owners": list(selectors.pipeline_filter_owners(user=request.user)),
    }


# --- the board --------------------------------------------------------------------------------


def _board_context(request, filterset=None):
    if filterset is None:
        filterset = OpportunityFilter(request.GET, queryset=Opportunity.objects.all(), request=request)
        filterset.is_valid()
    return {
        "filter": filterset,
        "columns": selectors.board(user=request.user, qs=filterset.qs),
        "stages": selectors.active_stages(),
        "can_move": has_crm_perm(request.user, "opportunities.change_opportunity"),
        "can_add": has_crm_perm(request.user, "opportunities.add_opportunity"),
        "querystring": request.GET.urlencode(),
    }


@login_required
@crm_permission_required("opportunities.view_opportunity")
@vary_on_headers("HX-Request")
def board(request):
    context = _board_context(request)
    if request.htmx and not request.htmx.boosted:
        return render(request, "opportunities/_board.html", context)
    return render(request, "opportunities/board.html", {**context, **_scope_choices(request)})


@login_required
@crm_permission_required("opportunities.change_opportunity")
def move(request, pk):
    """Move a card: from the board (drag and drop or the stage select, by htmx) or the opportunity
    page. A won or lost stage needs its reason, asked on this page's form."""
    opportunity = selectors.opportunity_get_for_user(user=request.user, pk=pk)
    form = MoveForm(request.POST or None, initial={"stage": request.GET.get("stage"), "version": opportunity.version})
    from_board = request.POST.get("from") == "board" or request.GET.get("from") == "board"
    if request.method == "POST" and form.is_valid():
        stage = form.cleaned_data["stage"]
        reason = form.cleaned_data.get("reason") or ""
        if stage.is_closed and not reason and request.htmx:
            # the board asks for the reason on the move page
            url = reverse("opportunities:move", args=[pk]) + f"?stage={stage.pk}&from=board"
            response = HttpResponse(status=204)
            response["HX-Redirect"] = url
            return response
        try:
            services.opportunity_move(
                opportunity=opportunity,
                actor=request.user,
                stage=stage,
                expected_version=form.cleaned_data.get("version"),
                reason=reason,
                note=form.cleaned_data.get("note") or "",
                lost_to=form.cleaned_data.get("lost_to"),
            )
        except ValidationError as exc:
            if request.htmx:
                context = _board_context(request)
                context["board_error"] = " ".join(exc.messages)
                return render(request, "opportunities/_board.html", context)
            add_service_errors(form, exc)
        else:
            message = _("“%(title)s” moved to %(stage)s.") % {"title": opportunity.title, "stage": stage.label}
            if request.htmx:
                context = _board_context(request)
                context["board_message"] = message
                return render(request, "opportunities/_board.html", context)
            messages.success(request, message)
            return redirect("opportunities:board" if from_board else opportunity.get_absolute_url())
    elif request.method == "POST" and request.htmx:
        context = _board_context(request)
        context["board_error"] = _("Choose a stage.")
        return render(request, "opportunities/_board.html", context)
    stage = None
    stage_id = form["stage"].value()
    if str(stage_id or "").isdigit():
        stage = Stage.objects.filter(pk=stage_id).first()
    return render(
        request,
        "opportunities/move_form.html",
        {"form": form, "opportunity": opportunity, "target": stage, "from_board": from_board},
    )


# --- the list ---------------------------------------------------------------------------------


@login_required
@crm_permission_required("opportunities.view_opportunity")
@vary_on_headers("HX-Request")
def opportunity_list(request):
    filterset, qs, sort = _filtered(request)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    querystring, sort_querystring = _querystrings(request, sort)
    fragment = bool(request.htmx and not request.htmx.boosted)
    context = {
        "filter": filterset,
        "page": page,
        "sort": sort,
        "querystring": querystring,
        "sort_querystring": sort_querystring,
        "can_add": has_crm_perm(request.user, "opportunities.add_opportunity"),
        "oob": fragment,
        "stages": selectors.active_stages(),
    }
    if fragment:
        return render(request, "opportunities/_table.html", context)
    return render(request, "opportunities/list.html", {**context, **_scope_choices(request)})


@login_required
@crm_permission_required("opportunities.view_opportunity")
def opportunity_export(request, fmt):
    _filterset, qs, _sort = _filtered(request)
    return columns_export(
        fmt=fmt,
        filename="opportunities",
        columns=EXPORT_COLUMNS,
        objects=qs,
    )


# --- one opportunity --------------------------------------------------------------------------


@login_required
@crm_permission_required("opportunities.view_opportunity")
def opportunity_detail(request, pk):
    opportunity = selectors.opportunity_get_for_user(user=request.user, pk=pk)
    context = selectors.opportunity_page(opportunity=opportunity)
    can_change = has_crm_perm(request.user, "opportunities.change_opportunity")
    context.update(
        {
            "can_change": can_change and not opportunity.is_archived,
            "can_quote": has_crm_perm(request.user, "opportunities.add_quote")
            and not opportunity.stage.is_closed
            and not opportunity.is_archived,
            "stages": selectors.move_targets(opportunity=opportunity),
            "contact_form": ContactRoleForm(opportunity=opportunity) if can_change else None,
            "close_reasons": CloseReason.choices,
        }
    )
    return render(request, "opportunities/detail.html", context)


def _chosen_account(request, form):
    chosen = form["account"].value() if "account" in form.fields else None
    if chosen and str(chosen).isdigit():
        return visible_to(request.user, Account.objects.filter(pk=chosen)).first()
    return None


@login_required
@crm_permission_required("opportunities.add_opportunity")
def opportunity_create(request):
    initial = {"expected_close_on": timezone.localdate() + datetime.timedelta(days=90)}
    if request.GET.get("account"):
        account = account_get_for_user(user=request.user, pk=request.GET["account"])
        initial.update({"account": account.pk, "owner": account.owner_id})
    form = OpportunityForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.service_data()
        try:
            opportunity = services.opportunity_create(actor=request.user, account=data.pop("account"), **data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Opportunity “%(title)s” opened.") % {"title": opportunity.title})
            return redirect(opportunity)
    return render(request, "opportunities/form.html", {"form": form, "chosen_account": _chosen_account(request, form)})


@login_required
@crm_permission_required("opportunities.change_opportunity")
def opportunity_edit(request, pk):
    opportunity = selectors.opportunity_get_for_user(user=request.user, pk=pk)
    form = OpportunityForm(
        request.POST or None,
        instance=opportunity,
        user=request.user,
        initial={"competitors": list(opportunity.competitors.values_list("pk", flat=True))},
    )
    if request.method == "POST" and form.is_valid():
        data = form.service_data()
        try:
            services.opportunity_update(
                opportunity=opportunity,
                actor=request.user,
                expected_version=form.cleaned_data.get("version"),
                data=data,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect(opportunity)
    return render(request, "opportunities/form.html", {"form": form, "opportunity": opportunity})


@login_required
@crm_permission_required("opportunities.change_opportunity")
@require_POST
def opportunity_archive(request, pk):
    opportunity = selectors.opportunity_get_for_user(user=request.user, pk=pk)
    services.opportunity_archive(opportunity=opportunity, actor=request.user)
    messages.success(request, _("Opportunity archived."))
    return redirect("opportunities:list")


@login_required
@crm_permission_required("opportunities.change_opportunity")
@require_POST
def contact_add(request, pk):
    opportunity = selectors.opportunity_get_for_user(user=request.user, pk=pk)
    form = ContactRoleForm(request.POST, opportunity=opportunity)
    if form.is_valid():
        try:
            services.opportunity_contact_set(opportunity=opportunity, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _flash_error(request, exc)
        else:
            messages.success(request, _("Contact linked."))
    else:
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    return redirect(reverse("opportunities:detail", args=[pk]) + "#buying-centre")


@login_required
@crm_permission_required("opportunities.change_opportunity")
@require_POST
def contact_remove(request, pk):
    link = selectors.opportunity_contact_get_for_user(user=request.user, pk=pk)
    services.opportunity_contact_remove(link=link, actor=request.user)
    messages.success(request, _("Contact removed from this opportunity."))
    return redirect(reverse("opportunities:detail", args=[link.opportunity_id]) + "#buying-centre")


@login_required
@crm_permission_required("opportunities.add_opportunity")
def account_lookup(request):
    term = (request.GET.get("account_q") or "").strip()
    accounts = []
    if term:
        accounts = list(
            visible_to(request.user, Account.objects.filter(is_archived=False))
            .filter(account_search_q(term))
            .only("pk", "name", "number")
            .order_by("name")[:10]
        )
    return render(request, "contracts/includes/lookup_results.html", {"accounts": accounts, "term": term})


# --- forecast and analysis --------------------------------------------------------------------


def _period(request, *, default_from, default_to):
    """The period and the team/owner narrowing of the forecast and the analysis; a bad value is
    left out (the rest still applies)."""
    form = PeriodForm(request.GET or None, user=request.user)
    data = {}
    if form.is_bound:
        form.is_valid()  # cleaned_data keeps the fields that are valid
        data = form.cleaned_data
    date_from = data.get("date_from") or default_from
    date_to = data.get("date_to") or default_to
    if date_to < date_from:
        date_from, date_to = date_to, date_from
    return form, date_from, date_to, {"team": data.get("team"), "owner": data.get("owner")}


def _month_start(day: datetime.date, months: int = 0) -> datetime.date:
    index = day.year * 12 + day.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)


@login_required
@crm_permission_required("opportunities.view_opportunity")
def forecast(request):
    today = timezone.localdate()
    form, date_from, date_to, scope = _period(
        request,
        default_from=_month_start(today),
        default_to=_month_start(today, 6) - datetime.timedelta(days=1),
    )
    rows = selectors.forecast_by_month(user=request.user, date_from=date_from, date_to=date_to, **scope)
    months, owners, cells = [], {}, {}
    for r in rows:
        if r["month"] not in months:
            months.append(r["month"])
        owners.setdefault(r["owner_id"], r["owner_name"] or _("No owner"))
        cells[(r["owner_id"], r["month"])] = r
    table = []
    for owner_id, name in sorted(owners.items(), key=lambda item: str(item[1])):
        line = [cells.get((owner_id, m)) for m in months]
        table.append(
            {
                "name": name,
                "cells": line,
                "amount": sum((c["amount"] for c in line if c), selectors.ZERO),
                "weighted": sum((c["weighted"] for c in line if c), selectors.ZERO),
            }
        )
    month_totals = [
        {
            "month": m,
            "amount": sum((cells[(o, m)]["amount"] for o in owners if (o, m) in cells), selectors.ZERO),
            "weighted": sum((cells[(o, m)]["weighted"] for o in owners if (o, m) in cells), selectors.ZERO),
        }
        for m in months
    ]
    export_query = request.GET.copy()
    export_query.pop("export", None)
    context = {
        "form": form,
        "date_from": date_from,
        "date_to": date_to,
        "export_query": export_query.urlencode(),
        "months": months,
        "table": table,
        "month_totals": month_totals,
        "total_amount": sum((t["amount"] for t in month_totals), selectors.ZERO),
        "total_weighted": sum((t["weighted"] for t in month_totals), selectors.ZERO),
        "chart": {
            "labels": [m.strftime("%Y-%m") for m in months],
            "values": [str(t["weighted"]) for t in month_totals],
            "label": str(_("Weighted amount")),
        },
    }
    if request.GET.get("export") in ("csv", "xlsx"):
        return export_response(
            fmt=request.GET["export"],
            filename="forecast",
            headers=[_("Month"), _("Owner"), _("Opportunities"), _("Amount"), _("Weighted amount")],
            rows=(
                [r["month"].strftime("%Y-%m"), r["owner_name"], r["count"], r["amount"], r["weighted"]] for r in rows
            ),
        )
    return render(request, "opportunities/forecast.html", context)


@login_required
@crm_permission_required("opportunities.view_opportunity")
def analysis(request):
    today = timezone.localdate()
    form, date_from, date_to, scope = _period(
        request, default_from=today - datetime.timedelta(days=365), default_to=today
    )
    data = selectors.won_lost_analysis(user=request.user, date_from=date_from, date_to=date_to, **scope)
    reasons = dict(CloseReason.choices)
    outcomes = dict(Stage.Outcome.choices)
    for row in data["by_reason"]:
        row["reason_label"] = reasons.get(row["reason"], _("Not given"))
        row["outcome_label"] = outcomes.get(row["outcome"], row["outcome"])
    return render(request, "opportunities/analysis.html", {"form": form, **data})


# --- quotes -------------------------------------------------------------------------------------


def _lines_from(formset) -> list[dict]:
    return [line for f in formset.forms if f.is_valid() and (line := f.line())]


@login_required
@crm_permission_required("opportunities.add_quote")
def quote_create(request, pk):
    opportunity = selectors.opportunity_get_for_user(user=request.user, pk=pk)
    form = QuoteForm(request.POST or None, initial={"valid_until": timezone.localdate() + datetime.timedelta(days=30)})
    formset = QuoteLineFormSet(request.POST or None, prefix="lines")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        try:
            quote = services.quote_create(
                actor=request.user,
                opportunity=opportunity,
                valid_until=form.cleaned_data["valid_until"],
                notes=form.cleaned_data.get("notes") or "",
                lines=_lines_from(formset),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Quote %(number)s drafted.") % {"number": quote.number})
            return redirect(quote)
    return render(
        request,
        "opportunities/quote_form.html",
        {"form": form, "formset": formset, "opportunity": opportunity, "limit": services.discount_limit()},
    )


@login_required
@crm_permission_required("opportunities.change_quote")
def quote_edit(request, pk):
    quote = selectors.quote_get_for_user(user=request.user, pk=pk)
    if not quote.is_editable:
        messages.error(request, _("Only a draft quote is edited; make a new revision instead."))
        return redirect(quote)
    form = QuoteForm(
        request.POST or None,
        initial={"valid_until": quote.valid_until, "notes": quote.notes, "version": quote.version},
    )
    formset = QuoteLineFormSet(request.POST or None, prefix="lines", initial=line_initial(quote.lines.all()))
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        try:
            services.quote_update(
                quote=quote,
                actor=request.user,
                expected_version=form.cleaned_data.get("version"),
                valid_until=form.cleaned_data["valid_until"],
                notes=form.cleaned_data.get("notes") or "",
                lines=_lines_from(formset),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect(quote)
    return render(
        request,
        "opportunities/quote_form.html",
        {
            "form": form,
            "formset": formset,
            "opportunity": quote.opportunity,
            "quote": quote,
            "limit": services.discount_limit(),
        },
    )


@login_required
@crm_permission_required("opportunities.view_quote")
def quote_detail(request, pk):
    quote = selectors.quote_get_for_user(user=request.user, pk=pk)
    can_change = has_crm_perm(request.user, "opportunities.change_quote")
    live = not quote.is_expired  # an expired quote is only revised
    context = {
        "quote": quote,
        "opportunity": quote.opportunity,
        "lines": list(quote.lines.all()),
        "limit": services.discount_limit(),
        "can_edit": can_change and quote.is_editable,
        "can_submit": can_change and live and quote.status == Quote.Status.DRAFT,
        "can_send": can_change and live and quote.status == Quote.Status.APPROVED,
        "can_decide": can_change and live and services.can_approve(user=request.user, quote=quote),
        "can_decline": can_change and quote.status in services.ACCEPTABLE,
        "can_accept": can_change
        and live
        and quote.status in services.ACCEPTABLE
        and has_crm_perm(request.user, "contracts.add_contract"),
        "can_revise": can_change and quote.status in services.REVISABLE and not hasattr(quote, "revised_by"),
        "accept_form": AcceptForm(initial={"version": quote.version}),
        "decide_form": DecideForm(),
        "revisions": list(
            Quote.objects.filter(opportunity_id=quote.opportunity_id, number=quote.number).order_by("revision")
        ),
    }
    return render(request, "opportunities/quote_detail.html", context)


QUOTE_ACTIONS = {
    "submit": (services.quote_submit, gettext_lazy("Quote finished.")),
    "send": (services.quote_mark_sent, gettext_lazy("Quote marked as sent.")),
    "decline": (services.quote_decline, gettext_lazy("Quote marked as declined.")),
}


@login_required
@crm_permission_required("opportunities.change_quote")
@require_POST
def quote_action(request, pk, action):
    quote = selectors.quote_get_for_user(user=request.user, pk=pk)
    if action not in QUOTE_ACTIONS:
        raise Http404
    service, message = QUOTE_ACTIONS[action]
    try:
        quote = service(quote=quote, actor=request.user, expected_version=request.POST.get("version"))
    except ValidationError as exc:
        _flash_error(request, exc)
    else:
        if quote.status == Quote.Status.PENDING:
            messages.warning(
                request, _("A discount is above the limit: the quote waits for a sales director's approval.")
            )
        else:
            messages.success(request, message)
    return redirect(quote)


@login_required
@crm_permission_required("opportunities.change_quote")
@require_POST
def quote_revise(request, pk):
    quote = selectors.quote_get_for_user(user=request.user, pk=pk)
    try:
        new = services.quote_revise(quote=quote, actor=request.user)
    except ValidationError as exc:
        _flash_error(request, exc)
        return redirect(quote)
    messages.success(request, _("Revision %(revision)s drafted.") % {"revision": new.revision})
    return redirect("opportunities:quote_edit", pk=new.pk)


@login_required
@crm_permission_required("opportunities.change_quote")
@require_POST
def quote_decide(request, pk):
    quote = selectors.quote_get_for_user(user=request.user, pk=pk)
    form = DecideForm(request.POST)
    form.is_valid()
    approve = request.POST.get("decision") == "approve"
    try:
        services.quote_decide(
            quote=quote, actor=request.user, approve=approve, comment=form.cleaned_data.get("comment", "")
        )
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    except ValidationError as exc:
        _flash_error(request, exc)
    else:
        messages.success(request, _("Discount approved.") if approve else _("Quote sent back to draft."))
    return redirect(quote)


@login_required
@crm_permission_required("opportunities.change_quote")
def quote_accept(request, pk):
    quote = selectors.quote_get_for_user(user=request.user, pk=pk)
    if not has_crm_perm(request.user, "contracts.add_contract"):
        raise PermissionDenied
    form = AcceptForm(request.POST or None, initial={"version": quote.version})
    if request.method == "POST" and form.is_valid():
        try:
            quote = services.quote_accept(
                quote=quote,
                actor=request.user,
                start_on=form.cleaned_data["start_on"],
                end_on=form.cleaned_data["end_on"],
                expected_version=form.cleaned_data.get("version"),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("Quote accepted; contract %(number)s drafted for approval.") % {"number": quote.contract.number},
            )
            return redirect(quote.contract)
    return render(request, "opportunities/quote_accept.html", {"form": form, "quote": quote})


@login_required
@crm_permission_required("opportunities.view_quote")
def quote_approvals(request):
    page = Paginator(selectors.quote_approval_inbox(user=request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "opportunities/quote_approvals.html",
        {"page": page, "limit": services.discount_limit(), "querystring": ""},
    )
