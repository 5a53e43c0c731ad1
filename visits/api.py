"""REST API: /api/visits/, /api/callbacks/, /api/follow-ups/. Thin: validate, call a service or selector."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.api import VisibleAccountField
from accounts.models import Contact
from core.api import ApiDateTimeField
from core.idempotency import IdempotentCreateMixin
from users.models import User
from users.permissions import CrmModelPermission, has_crm_perm
from users.visibility import visible_to

from . import selectors, services
from .filters import CallbackFilter, FollowUpFilter, VisitFilter
from .models import Callback, FollowUp, Visit


class VisibleContactField(serializers.PrimaryKeyRelatedField):
    def get_queryset(self):
        return visible_to(self.context["request"].user, Contact.objects.filter(is_archived=False))


class ActiveUserField(serializers.PrimaryKeyRelatedField):
    def get_queryset(self):
        return User.objects.filter(is_active=True)


class VisitSerializer(serializers.ModelSerializer):
    account = VisibleAccountField()
    owner = ActiveUserField(required=False, help_text="Who leads the visit; you, if left out.")
    participants = ActiveUserField(many=True, required=False)
    contacts = VisibleContactField(many=True, required=False)
    account_name = serializers.CharField(source="account.name", read_only=True)
    version = serializers.IntegerField(required=False, help_text="Send the version you read; a stale one answers 409.")

    class Meta:
        model = Visit
        fields = [
            "id",
            "account",
            "account_name",
            "kind",
            "purpose",
            "planned_start",
            "planned_end",
            "location",
            "owner",
            "participants",
            "contacts",
            "materials",
            "materials_cost",
            "preparation",
            "status",
            "status_reason",
            "confirmed_at",
            "happened_at",
            "outcome",
            "satisfaction",
            "suggestions",
            "needs",
            "next_step",
            "follow_up_on",
            "recorded_by",
            "recorded_at",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "status",
            "status_reason",
            "confirmed_at",
            "happened_at",
            "outcome",
            "satisfaction",
            "suggestions",
            "needs",
            "next_step",
            "follow_up_on",
            "recorded_by",
            "recorded_at",
            "created_at",
            "updated_at",
        ]
        extra_kwargs = {"planned_end": {"required": False}}


class VisitStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=[c for c in Visit.Status.choices if c[0] != Visit.Status.PLANNED])
    version = serializers.IntegerField(required=False)
    reason = serializers.CharField(required=False, allow_blank=True, help_text="Required to cancel or mark missed.")
    outcome = serializers.CharField(required=False, allow_blank=True, help_text="Required to mark done.")
    happened_at = ApiDateTimeField(required=False)
    satisfaction = serializers.IntegerField(required=False, min_value=1, max_value=5, allow_null=True)
    suggestions = serializers.CharField(required=False, allow_blank=True)
    needs = serializers.CharField(required=False, allow_blank=True)
    next_step = serializers.CharField(required=False, allow_blank=True)
    follow_up_on = serializers.DateField(required=False, allow_null=True)


class VisitViewSet(
    IdempotentCreateMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Visit plans and records. Filter with `account`, `owner`, `status`, `kind`, `date_from`, `date_to`.
    Status moves go through `POST /api/visits/{id}/status/` (planned → confirmed → done, or cancelled /
    missed with a reason); a move the flow does not allow answers 400."""

    serializer_class = VisitSerializer
    permission_classes = [CrmModelPermission]
    filterset_class = VisitFilter
    search_fields = []
    ordering_fields = ["planned_start", "status", "id"]
    ordering = ["-planned_start", "-id"]
    queryset = Visit.objects.none()

    def get_queryset(self):
        return selectors.visit_list(user=self.request.user).prefetch_related("participants", "contacts")

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("version", None)
        serializer.instance = services.visit_create(
            actor=self.request.user,
            account=data.pop("account"),
            participants=data.pop("participants", []),
            contacts=data.pop("contacts", []),
            **data,
        )

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        expected = data.pop("version", None)
        if expected is None and not serializer.partial:
            raise serializers.ValidationError({"version": ["Send the version you read."]})
        if data.pop("account", serializer.instance.account) != serializer.instance.account:
            raise serializers.ValidationError({"account": ["A visit cannot move to another account."]})
        serializer.instance = services.visit_update(
            visit=serializer.instance,
            actor=self.request.user,
            expected_version=expected,
            participants=data.pop("participants", None),
            contacts=data.pop("contacts", None),
            data=data,
        )

    @extend_schema(request=VisitStatusSerializer, responses={200: VisitSerializer})
    @action(detail=True, methods=["post"])
    def status(self, request, pk=None):
        visit = self.get_object()
        payload = VisitStatusSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        to = data.pop("status")
        expected = data.pop("version", None)
        reason = data.pop("reason", "")
        if to != Visit.Status.DONE:
            data = {}
        else:
            data.setdefault("outcome", "")
        visit = services.visit_set_status(
            visit=visit,
            actor=request.user,
            status=to,
            expected_version=expected,
            reason=reason,
            **data,
        )
        return Response(self.get_serializer(visit).data)


class CallbackSerializer(serializers.ModelSerializer):
    account = VisibleAccountField()
    contact = VisibleContactField(required=False, allow_null=True)
    occurred_at = ApiDateTimeField(required=False, help_text="When it happened; now, if left out.")
    next_step = serializers.CharField(required=False, allow_blank=True, write_only=True)
    next_step_on = serializers.DateField(required=False, allow_null=True, write_only=True)
    account_name = serializers.CharField(source="account.name", read_only=True)

    class Meta:
        model = Callback
        fields = [
            "id",
            "account",
            "account_name",
            "contact",
            "kind",
            "channel",
            "occurred_at",
            "summary",
            "satisfaction",
            "problem_raised",
            "problem",
            "problem_status",
            "service_request",
            "next_step",
            "next_step_on",
            "created_by",
            "created_at",
        ]
        read_only_fields = ["problem_status", "service_request", "created_by", "created_at"]


class CallbackViewSet(
    IdempotentCreateMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Callbacks (回访) and calls. Filter with `account`, `owner` (who logged it), `problem`,
    `date_from`, `date_to`. A logged callback is a record and is not edited; its problem is resolved
    with `POST /api/callbacks/{id}/resolve/`."""

    serializer_class = CallbackSerializer
    permission_classes = [CrmModelPermission]
    filterset_class = CallbackFilter
    search_fields = []
    ordering_fields = ["occurred_at", "satisfaction", "id"]
    ordering = ["-occurred_at", "-id"]
    queryset = Callback.objects.none()

    def get_queryset(self):
        return selectors.callback_list(user=self.request.user)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = services.callback_log(actor=self.request.user, account=data.pop("account"), **data)

    @extend_schema(request=None, responses={200: CallbackSerializer})
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        callback = self.get_object()
        if not has_crm_perm(request.user, "visits.change_callback"):
            self.permission_denied(request)
        callback = services.callback_resolve_problem(callback=callback, actor=request.user)
        return Response(self.get_serializer(callback).data)


class FollowUpSerializer(serializers.ModelSerializer):
    account = VisibleAccountField()
    assignee = ActiveUserField(required=False, help_text="Who does it; you, if left out.")
    version = serializers.IntegerField(required=False)
    account_name = serializers.CharField(source="account.name", read_only=True)
    is_done = serializers.BooleanField(read_only=True)

    class Meta:
        model = FollowUp
        fields = [
            "id",
            "account",
            "account_name",
            "title",
            "notes",
            "assignee",
            "due_on",
            "is_done",
            "done_at",
            "done_by",
            "visit",
            "callback",
            "version",
            "created_by",
            "created_at",
        ]
        read_only_fields = ["done_at", "done_by", "visit", "callback", "created_by", "created_at"]


class FollowUpViewSet(
    IdempotentCreateMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Follow-ups: what, who, by when. Filter with `account`, `owner` (assignee), `status`
    (open, overdue, done), `date_from`, `date_to` (due date). `POST /api/follow-ups/{id}/done/` closes one."""

    serializer_class = FollowUpSerializer
    permission_classes = [CrmModelPermission]
    filterset_class = FollowUpFilter
    search_fields = []
    ordering_fields = ["due_on", "id"]
    ordering = ["due_on", "id"]
    queryset = FollowUp.objects.none()

    def get_queryset(self):
        return selectors.follow_up_list(user=self.request.user)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("version", None)
        data.setdefault("assignee", self.request.user)
        serializer.instance = services.follow_up_create(actor=self.request.user, account=data.pop("account"), **data)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        expected = data.pop("version", None)
        if expected is None and not serializer.partial:
            raise serializers.ValidationError({"version": ["Send the version you read."]})
        if data.pop("account", serializer.instance.account) != serializer.instance.account:
            raise serializers.ValidationError({"account": ["A follow-up cannot move to another account."]})
        serializer.instance = services.follow_up_update(
            follow_up=serializer.instance,
            actor=self.request.user,
            expected_version=expected,
            data=data,
        )

    @extend_schema(request=None, responses={200: FollowUpSerializer})
    @action(detail=True, methods=["post"])
    def done(self, request, pk=None):
        follow_up = self.get_object()
        if not has_crm_perm(request.user, "visits.change_followup"):
            self.permission_denied(request)
        follow_up = services.follow_up_complete(follow_up=follow_up, actor=request.user)
        return Response(self.get_serializer(follow_up).data)


def register_routes(router):
    router.register("visits", VisitViewSet, basename="visit")
    router.register("callbacks", CallbackViewSet, basename="callback")
    router.register("follow-ups", FollowUpViewSet, basename="follow-up")
