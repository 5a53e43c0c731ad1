"""REST API of tiering: tier history, the policy in force, and background recomputes."""

import django_filters
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import serializers, status, viewsets
from rest_framework.exceptions import APIException
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import TIER_LEVEL, Tier
from core.api import Conflict, ErrorSerializer, FastReadMixin, SparseFieldsMixin, SparseFieldsViewMixin
from core.filters import IsoDateTimeFilter
from core.jobs import BrokerUnavailable

from . import selectors, services
from .models import RecomputeJob, TierBenefit, TierChange, TierPolicy
from .reasons import job_step_label


class ServiceUnavailable(APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "broker_unavailable"


# who starts recomputes and reads their jobs (the role table: administrators and directors)
RECOMPUTE_PERMS = ["tiering.add_recomputejob"]


class TierChangeSerializer(SparseFieldsMixin, FastReadMixin, serializers.ModelSerializer):
    account_name = serializers.CharField(source="account.name", read_only=True)
    reason_text = serializers.CharField(read_only=True)
    actor = serializers.CharField(source="actor.username", read_only=True, default=None, allow_null=True)

    class Meta:
        model = TierChange
        fields = [
            "id",
            "account",
            "account_name",
            "previous_tier",
            "new_tier",
            "kind",
            "reason",
            "reason_text",
            "details",
            "policy_version",
            "job",
            "actor",
            "at",
        ]
        read_only_fields = fields


class TierChangeFilter(django_filters.FilterSet):
    tier = django_filters.ChoiceFilter(field_name="new_tier", choices=Tier.choices)
    previous_tier = django_filters.ChoiceFilter(choices=Tier.choices)
    since = IsoDateTimeFilter(field_name="at", lookup_expr="gte")
    until = IsoDateTimeFilter(field_name="at", lookup_expr="lt")

    class Meta:
        model = TierChange
        fields = ["account", "tier", "previous_tier", "kind", "since", "until"]


class TierChangeViewSet(SparseFieldsViewMixin, viewsets.ReadOnlyModelViewSet):
    """Tier history, newest first; only changes of accounts the caller may see."""

    serializer_class = TierChangeSerializer
    filterset_class = TierChangeFilter
    ordering_fields = ["at", "id"]
    search_fields = ["account__name", "account__number"]

    def get_queryset(self):
        return selectors.tier_changes_for_user(user=self.request.user)


class TierBenefitSerializer(serializers.ModelSerializer):
    class Meta:
        model = TierBenefit
        fields = [
            "tier",
            "response_hours",
            "resolution_hours",
            "visit_cadence_days",
            "callback_cadence_days",
            "served_by",
            "notes",
        ]


class TierPolicySerializer(serializers.ModelSerializer):
    benefits = serializers.SerializerMethodField()

    class Meta:
        model = TierPolicy
        fields = [
            "version",
            "name",
            "method",
            "window_months",
            "vip_percent",
            "regular_percent",
            "min_vip_revenue",
            "vip_threshold",
            "regular_threshold",
            "rfm_vip_score",
            "rfm_regular_score",
            "abc_a_percent",
            "abc_b_percent",
            "demotion_streak",
            "created_at",
            "benefits",
        ]

    @extend_schema_field(TierBenefitSerializer(many=True))
    def get_benefits(self, obj):
        return TierBenefitSerializer(
            sorted(selectors.tier_benefits().values(), key=lambda b: TIER_LEVEL.get(b.tier, 0), reverse=True),
            many=True,
        ).data


class TierPolicyView(APIView):
    """The tier policy in force and the benefits of each tier (read-only). One object, not a
    list: an APIView, so that the schema says so."""

    required_perms = ["tiering.view_tierpolicy"]

    @extend_schema(responses=TierPolicySerializer, summary="The tier policy in force")
    def get(self, request):
        policy = services.tier_policy_get_active()
        return Response(TierPolicySerializer(policy).data)


class RecomputeRequestSerializer(serializers.Serializer):
    dry_run = serializers.BooleanField(default=False)


class RecomputeJobSerializer(serializers.ModelSerializer):
    requested_by = serializers.CharField(source="requested_by.username", read_only=True, default=None, allow_null=True)
    step = serializers.SerializerMethodField(help_text="What the job is doing, in the caller's language.")
    policy_version = serializers.IntegerField(source="policy.version", read_only=True, default=None, allow_null=True)

    class Meta:
        model = RecomputeJob
        fields = [
            "id",
            "status",
            "dry_run",
            "trigger",
            "progress",
            "step",
            "counts",
            "matrix",
            "policy_version",
            "requested_by",
            "error",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields

    def get_step(self, obj) -> str:
        return job_step_label(obj)


class RecomputeConflictSerializer(ErrorSerializer):
    job = serializers.IntegerField(allow_null=True, help_text="The recompute in the way.")


class RecomputeView(APIView):
    """Start a recompute in the background (admins and directors)."""

    required_perms = RECOMPUTE_PERMS

    @extend_schema(
        request=RecomputeRequestSerializer,
        responses={
            202: RecomputeJobSerializer,
            409: OpenApiResponse(
                RecomputeConflictSerializer, description="Another real recompute is already queued or running."
            ),
            503: OpenApiResponse(description="The job queue is not answering; nothing was started."),
        },
    )
    def post(self, request):
        body = RecomputeRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            job = services.recompute_job_request(
                actor=request.user,
                dry_run=body.validated_data["dry_run"],
                trigger=RecomputeJob.Trigger.API,
            )
        except BrokerUnavailable as exc:
            raise ServiceUnavailable(
                _(
                    "The job queue is not answering, so the recompute could not be started (it is "
                    "marked failed). Try again in a few minutes."
                )
            ) from exc
        except services.RecomputeInProgress as exc:
            raise Conflict(
                detail=exc.messages[0], code="recompute_in_progress", extra={"job": exc.job.pk if exc.job else None}
            ) from exc
        return Response(RecomputeJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)


class RecomputeJobView(APIView):
    """Status, progress, counts and movement matrix of one recompute."""

    required_perms = RECOMPUTE_PERMS

    @extend_schema(
        responses=RecomputeJobSerializer,
        parameters=[OpenApiParameter("job_id", int, OpenApiParameter.PATH)],
    )
    def get(self, request, job_id):
        job = get_object_or_404(RecomputeJob.objects.select_related("policy", "requested_by"), pk=job_id)
        return Response(RecomputeJobSerializer(job).data)


TierChangeViewSet = extend_schema_view(
    list=extend_schema(summary="Tier changes"), retrieve=extend_schema(summary="One tier change")
)(TierChangeViewSet)


def register_routes(router):
    router.register("tier-changes", TierChangeViewSet, basename="tier-change")


urlpatterns = [
    path("tier-policy/", TierPolicyView.as_view(), name="tier-policy"),
    path("tiering/recompute/", RecomputeView.as_view(), name="tiering-recompute"),
    path("tiering/recompute/<int:job_id>/", RecomputeJobView.as_view(), name="tiering-recompute-job"),
]
