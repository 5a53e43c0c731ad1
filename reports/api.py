"""`/api/reports/<name>/`: the tables and charts of a report as JSON, for BI tools. The same
filters as the page (`start`, `end`, `team`, `owner`, and `month`, `baseline` for the churn
warning) and the same figures: both render one `ReportResult`."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from users.permissions import has_crm_perm

from .forms import ReportFilterForm
from .registry import reports_in_order
from .views import VIEW_REPORTS, report_for

FILTERS = [
    OpenApiParameter("start", OpenApiTypes.DATE, description="First day of the period (default: 12 months ago)."),
    OpenApiParameter("end", OpenApiTypes.DATE, description="Last day of the period, included (default: today)."),
    OpenApiParameter("team", OpenApiTypes.INT, description="A team's id: its accounts and its members'."),
    OpenApiParameter("owner", OpenApiTypes.INT, description="An account manager's id."),
    OpenApiParameter("month", OpenApiTypes.STR, description="Churn warning: the month (YYYY-MM)."),
    OpenApiParameter("baseline", OpenApiTypes.STR, description="Churn warning: the baseline month (YYYY-MM)."),
]


def _check(request):
    if not has_crm_perm(request.user, VIEW_REPORTS):
        raise PermissionDenied


# the list answers an array of the reports the caller may read (not an object)
REPORT_LIST = inline_serializer(
    "ReportSummary",
    {
        "name": serializers.CharField(),
        "title": serializers.CharField(),
        "description": serializers.CharField(),
        "filters": serializers.ListField(child=serializers.CharField()),
    },
    many=True,
)


class ReportListView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="Reports", responses={200: REPORT_LIST})
    def get(self, request):
        _check(request)
        return Response(
            [
                {"name": r.name, "title": str(r.title), "description": str(r.description), "filters": list(r.filters)}
                for r in reports_in_order()
            ]
        )


class ReportView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="One report's tables and charts", parameters=FILTERS, responses={200: OpenApiTypes.OBJECT})
    def get(self, request, name):
        _check(request)
        report = report_for(name)
        form = ReportFilterForm(request.query_params, user=request.user, fields=report.filters)
        if not form.is_valid():
            raise ValidationError(form.errors.as_data())  # the one error shape: 400 with field messages
        params = form.params()
        result = report.build(user=request.user, params=params)
        return Response(
            {
                "name": report.name,
                "title": str(report.title),
                "filters": {
                    "start": params.start,
                    "end": params.end,
                    "team": params.team_id,
                    "owner": params.owner_id,
                    **result.scope,
                },
                "tables": [t.as_json() for t in result.tables],
                "charts": [c.as_json() for c in result.charts],
                "notes": [str(n) for n in result.notes],
            }
        )


urlpatterns = [
    path("reports/", ReportListView.as_view(), name="api-reports"),
    path("reports/<slug:name>/", ReportView.as_view(), name="api-report"),
]
