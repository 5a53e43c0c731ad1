from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import render
from django.templatetags.static import static
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.text import slugify
from django.views.decorators.cache import cache_control

from core.cache import cached_figures
from core.export import XLSX_CONTENT_TYPE, export_response, write_xlsx_sheets
from users.permissions import crm_permission_required, has_crm_perm
from users.visibility import roles_of

from .forms import ReportFilterForm, selectable_teams
from .registry import REPORTS, reports_in_order
from .selectors import dashboard_data
from .selectors import roles as role_dashboards

VIEW_REPORTS = "reports.view_report"


@login_required
def dashboard(request):
    """The home page: the dashboard of the user's role (`?view=` picks another of their roles')."""
    user = request.user
    refresh = request.GET.get("refresh") == "1"
    context = dashboard_data(user=user, with_heartbeat=has_crm_perm(user, "core.view_heartbeat"), refresh=refresh)
    context["roles"] = sorted(roles_of(user))
    kinds = role_dashboards.dashboards_for(user)
    kind = request.GET.get("view") if request.GET.get("view") in kinds else (kinds[0] if kinds else "")
    context.update(
        dashboard_kinds=kinds,
        dashboard_kind=kind,
        can_view_reports=has_crm_perm(user, VIEW_REPORTS),
        today=timezone.localdate(),
    )
    if kind == "manager":
        context["board"] = role_dashboards.manager_dashboard(user=user, summary=context["summary"])
    elif kind == "service":
        context["board"] = role_dashboards.service_dashboard(user=user)
    elif kind == "finance":
        context["board"] = role_dashboards.finance_dashboard(user=user)
    elif kind == "director":
        teams = list(selectable_teams(user))
        team_id = _int(request.GET.get("team"))
        team_id = team_id if any(t.pk == team_id for t in teams) else None
        context["board"], as_of = cached_figures(
            f"director:{user.pk}:{team_id}:{timezone.localdate()}",
            lambda: role_dashboards.director_kpis(user=user, team_id=team_id, summary=context["summary"]),
            refresh=refresh,
        )
        context["figures_as_of"] = min(as_of, context["figures_as_of"])
        context["teams"] = teams
    context["refresh_query"] = urlencode({**request.GET.dict(), "refresh": "1"})
    return render(request, "reports/dashboard.html", context)


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@login_required
@crm_permission_required(VIEW_REPORTS)
def report_index(request):
    return render(request, "reports/index.html", {"reports": reports_in_order()})


def report_for(name: str):
    report = REPORTS.get(name)
    if report is None:
        raise Http404
    return report


@login_required
@crm_permission_required(VIEW_REPORTS)
def report_detail(request, name):
    report = report_for(name)
    filters = {k: v for k, v in request.GET.items() if k not in ("export", "table")}
    form = ReportFilterForm(filters or None, user=request.user, fields=report.filters)
    params = form.params()
    if not form.is_bound:  # show the defaults that were applied
        form = ReportFilterForm(initial=_initial(params, report), user=request.user, fields=report.filters)
    result = report.build(user=request.user, params=params)
    fmt = request.GET.get("export")
    if fmt in ("csv", "xlsx"):
        return _export(report, result, fmt=fmt, table_key=request.GET.get("table", ""))
    query = request.GET.copy()
    query.pop("export", None)
    query.pop("table", None)
    return render(
        request,
        "reports/report.html",
        {
            "report": report,
            "reports": reports_in_order(),
            "form": form,
            "params": params,
            "result": result,
            "charts": [c.as_json() | {"id": f"chart-{c.key}-data"} for c in result.charts],
            "query": query.urlencode(),
        },
    )


def _initial(params, report) -> dict:
    from .selectors.churn import default_churn_month, same_month_last_year

    initial = {"start": params.start, "end": params.end}
    if "month" in report.filters:
        month = params.month or default_churn_month()
        initial.update(month=month, baseline=params.baseline or same_month_last_year(month))
    return initial


def _export(report, result, *, fmt: str, table_key: str):
    """One table as CSV or XLSX (`table=<key>`, default the first); XLSX without `table`: every
    table of the report, one sheet each."""
    if fmt == "xlsx" and not table_key:
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        response = HttpResponse(content_type=XLSX_CONTENT_TYPE)
        response["Content-Disposition"] = f'attachment; filename="{report.name}-{stamp}.xlsx"'
        write_xlsx_sheets(
            response, [(str(t.title), [c.label for c in t.columns], t.export_rows()) for t in result.tables]
        )
        return response
    table = result.table(table_key) or result.tables[0]
    return export_response(
        fmt=fmt,
        filename=f"{report.name}-{slugify(table.key)}",
        sheet=str(table.title),
        headers=[c.label for c in table.columns],
        rows=table.export_rows(),
    )


@cache_control(max_age=86400, public=True)
def favicon(request):
    """Browsers ask for /favicon.ico whatever the page says: send them to the SVG icon."""
    return HttpResponsePermanentRedirect(static("img/favicon.svg"))
