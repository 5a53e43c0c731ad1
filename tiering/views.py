"""Pages of tiering (thin: the same selectors and services as the API)."""

from urllib.parse import urlencode, urlsplit

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from accounts.models import Account
from core.export import columns_export
from core.jobs import BrokerUnavailable
from core.pagination import LONG_LIST_CAP, CappedPaginator
from users.permissions import crm_permission_required, has_crm_perm
from users.visibility import get_visible_or_404, visible_to

from . import selectors, services
from .forms import AbcFilterForm, RecomputeForm, TierHistoryFilterForm, TierOverrideForm
from .models import RecomputeJob, TierOverride

# the role table decides (users/roles.py): every CRM role reads tiers; administrators and
# directors start recomputes and pin tiers
VIEW_PERM = "tiering.view_accountscore"
RECOMPUTE_PERM = "tiering.add_recomputejob"
PIN_PERM = "tiering.add_tieroverride"
crm_user_required = crm_permission_required(VIEW_PERM)


@crm_user_required
def overview(request):
    tiers, totals = selectors.tier_summary(user=request.user)
    job = selectors.last_recompute()
    can_manage = has_crm_perm(request.user, RECOMPUTE_PERM)
    moves = selectors.recompute_moves(user=request.user, job=job)
    pareto = selectors.pareto_curve(user=request.user)
    context = {
        "tiers": tiers,
        "totals": totals,
        "pareto": pareto,
        "pareto_chart": {  # static/js/charts.js, kind "pareto"
            "x": pareto["x"],
            "y": pareto["y"],
            "series": _("Cumulative revenue share"),
            "even": _("Even spread"),
            "x_title": _("Share of accounts, largest first"),
            "y_title": _("Share of revenue"),
        },
        "last_job": job,
        "movement": moves["rows"],
        "moved": moves["changed"],
        "all_accounts": moves["all_accounts"],
        "policy": selectors.tier_policy_active(),
        "can_manage": can_manage,
        "recent_jobs": selectors.recent_jobs() if can_manage else [],
        "active_job": selectors.active_recompute() if can_manage else None,
        "pending_count": selectors.pending_demotions_count(user=request.user),
    }
    return render(request, "tiering/overview.html", context)


@crm_user_required
def rfm(request):
    return render(
        request,
        "tiering/rfm.html",
        {"rfm": selectors.rfm_grid(user=request.user), "all_accounts": selectors.sees_all_accounts(request.user)},
    )


@crm_user_required
def abc(request):
    form = AbcFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    qs = selectors.abc_accounts(
        user=request.user,
        q=data.get("q", ""),
        abc=data.get("abc", ""),
        tier=data.get("tier", ""),
        r=data.get("r"),
        f=data.get("f"),
    )
    if request.GET.get("format") in ("csv", "xlsx"):
        return _abc_export(qs, request.GET["format"])
    summary = selectors.abc_summary(user=request.user)
    paginator = Paginator(qs, 50)
    if not any(data.get(k) for k in ("q", "tier", "r", "f")):
        # all classes or one class, unfiltered: the summary above has counted them already
        wanted = data.get("abc") or None
        paginator.count = sum(row["accounts"] for row in summary if wanted in (None, row["code"]))
    page = paginator.get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    without_rf = params.copy()
    for key in ("r", "f", "format"):
        without_rf.pop(key, None)
    return render(
        request,
        "tiering/abc.html",
        {
            "form": form,
            "page": page,
            "summary": summary,
            "querystring": params.urlencode(),
            "all_accounts": selectors.sees_all_accounts(request.user),
            "policy": selectors.tier_policy_active(),
            "rf": (data.get("r"), data.get("f")) if data.get("r") or data.get("f") else None,
            "without_rf": without_rf.urlencode(),
        },
    )


# Lazy labels: in the reader's language when the file is written. Choices export their labels.
ABC_EXPORT_COLUMNS = [
    (gettext_lazy("Account no."), lambda a: a.number or ""),
    (gettext_lazy("Name"), lambda a: a.name),
    (gettext_lazy("ABC class"), lambda a: a.get_abc_class_display()),
    (gettext_lazy("Tier"), lambda a: a.get_tier_display()),
    (gettext_lazy("Revenue rank"), lambda a: getattr(getattr(a, "tier_score", None), "rank", None)),
    (gettext_lazy("12-month revenue"), lambda a: a.revenue_12m),
    (gettext_lazy("RFM"), lambda a: getattr(getattr(a, "tier_score", None), "rfm_code", "")),
    (gettext_lazy("RFM segment"), lambda a: a.get_rfm_segment_display()),
    (gettext_lazy("Account manager"), lambda a: a.owner.display_name if a.owner else ""),
]


def _abc_export(qs, fmt: str) -> HttpResponse:
    return columns_export(
        fmt=fmt,
        filename="abc",
        sheet=_("ABC analysis"),
        columns=ABC_EXPORT_COLUMNS,
        objects=qs,
    )


@crm_user_required
def changes(request):
    form = TierHistoryFilterForm(request.GET or None)
    filters = {k: v for k, v in form.cleaned_data.items() if v not in (None, "")} if form.is_valid() else {}
    qs = selectors.tier_changes_for_user(user=request.user, **filters)
    # the history grows by every recompute: counting stops at the cap ("more than")
    page = CappedPaginator(qs, 50, cap=LONG_LIST_CAP).get_page(request.GET.get("page"))
    pending = selectors.pending_demotions(user=request.user).order_by("-pending_streak")[:20]
    return render(
        request,
        "tiering/changes.html",
        {
            "page": page,
            "form": form,
            "filtered": bool(filters),
            "pending": pending,
            "policy": selectors.tier_policy_active(),
            "querystring": urlencode({k: str(v) for k, v in filters.items()}),
        },
    )


def _on_page(request, url_name: str, **kwargs) -> bool:
    """Whether an htmx request comes from the page `url_name` (its HX-Current-URL)."""
    current = request.htmx.current_url_abs_path if request.htmx else None
    return bool(current) and urlsplit(current).path == reverse(url_name, kwargs=kwargs)


@require_POST
@crm_permission_required(RECOMPUTE_PERM)
def recompute_start(request):
    form = RecomputeForm(request.POST)
    form.is_valid()
    try:
        job = services.recompute_job_request(actor=request.user, dry_run=form.cleaned_data.get("dry_run", False))
    except BrokerUnavailable:
        refused = _(
            "The job queue is not answering, so the recompute could not be started (it is marked "
            "failed). Try again in a few minutes; if it persists, tell your administrator."
        )
        if request.htmx:  # htmx swaps only 2xx answers: the message comes as a fragment
            return render(request, "tiering/_job_status.html", {"job": None, "refused": refused})
        response = render(request, "tiering/recompute_unavailable.html", {"message": refused}, status=503)
        response["Retry-After"] = "60"
        return response
    except ValidationError as exc:
        running = getattr(exc, "job", None)
        if request.htmx:
            context = {"job": running, "poll": bool(running), "refused": " ".join(exc.messages)}
            return render(request, "tiering/_job_status.html", context)
        messages.error(request, " ".join(exc.messages))
        return redirect("tiering:job", pk=running.pk) if running else redirect("tiering:overview")
    if request.htmx:
        return render(request, "tiering/_job_status.html", {"job": job, "poll": True})
    return redirect("tiering:job", pk=job.pk)


JOB_CHANGES_SHOWN = 20


@crm_permission_required(RECOMPUTE_PERM)
@vary_on_headers("HX-Request")
def job_detail(request, pk):
    job = get_object_or_404(RecomputeJob.objects.select_related("policy", "requested_by"), pk=pk)
    context = {"job": job, "poll": not job.is_finished, "movement": selectors.movement_rows(job)}
    on_job_page = _on_page(request, "tiering:job", pk=job.pk) if request.htmx else True
    context["on_job_page"] = on_job_page
    if on_job_page and job.status == RecomputeJob.Status.DONE and not job.dry_run:
        # who moved, with the reasons: the first rows here, all of them in the tier history
        moved = selectors.tier_changes_for_user(user=request.user, job=job.pk)
        context["moved"] = list(moved[: JOB_CHANGES_SHOWN + 1])
    if request.htmx:
        # the overview's "last recompute", its moves and the recent jobs are stale once it ends
        context["refresh_overview"] = job.is_finished and _on_page(request, "tiering:overview")
        return render(request, "tiering/_job_status.html", context)
    return render(request, "tiering/job.html", context)


@crm_permission_required(PIN_PERM)
def override_set(request, pk):
    account = get_visible_or_404(request.user, Account.objects.all(), pk=pk)
    current = TierOverride.objects.filter(account=account, active=True).first()
    if request.method == "POST":
        form = TierOverrideForm(request.POST)
        if form.is_valid():
            try:
                override = services.tier_override_set(account=account, actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(
                    request,
                    _("%(account)s is pinned to %(tier)s until %(date)s.")
                    % {
                        "account": account.name,
                        "tier": override.get_tier_display(),
                        "date": override.ends_on.isoformat(),
                    },
                )
                return redirect("tiering:override", pk=account.pk)
    else:
        initial = {"tier": account.tier}
        form = TierOverrideForm(initial=initial)
    summary = selectors.account_tier_summary(user=request.user, account=account, with_changes=True)
    return render(
        request,
        "tiering/override_form.html",
        {"form": form, "account": account, "current": current, "summary": summary},
    )


@require_POST
@crm_permission_required(PIN_PERM)
def override_clear(request, pk):
    override = get_object_or_404(visible_to(request.user, TierOverride.objects.select_related("account")), pk=pk)
    try:
        services.tier_override_clear(override=override, actor=request.user, reason=request.POST.get("reason", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The pin on %(account)s has ended.") % {"account": override.account.name})
    return redirect("tiering:override", pk=override.account_id)
