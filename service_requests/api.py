"""REST API: /api/service-requests/ with the workflow as actions. Thin: validate, call a service or selector."""

from django.db import transaction as db_transaction
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, parsers, permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.api import VisibleAccountField
from accounts.models import Contact
from core.idempotency import IdempotentCreateMixin
from users.models import Department
from users.permissions import CrmModelPermission
from users.visibility import visible_to

from . import selectors, services
from .filters import ServiceRequestFilter
from .models import Attachment, Comment, ServiceRequest


class VisibleContactField(serializers.PrimaryKeyRelatedField):
    def get_queryset(self):
        return visible_to(self.context["request"].user, Contact.objects.filter(is_archived=False))


class AssigneeField(serializers.PrimaryKeyRelatedField):
    def get_queryset(self):
        return selectors.assignable_users()


class ServiceRequestSerializer(serializers.ModelSerializer):
    account = VisibleAccountField()
    contact = VisibleContactField(required=False, allow_null=True)
    department = serializers.PrimaryKeyRelatedField(queryset=Department.objects.all(), required=False, allow_null=True)
    assignee = AssigneeField(required=False, allow_null=True)
    sla_state = serializers.CharField(read_only=True)
    version = serializers.IntegerField(required=False, help_text="Send the version you read; a stale one answers 409.")

    class Meta:
        model = ServiceRequest
        fields = [
            "id",
            "number",
            "account",
            "contact",
            "channel",
            "category",
            "priority",
            "subject",
            "description",
            "department",
            "assignee",
            "status",
            "tier_at_intake",
            "response_target_minutes",
            "resolution_target_minutes",
            "business_hours",
            "received_at",
            "dispatched_at",
            "first_response_at",
            "resolved_at",
            "closed_at",
            "paused_at",
            "paused_minutes",
            "dispatch_due_at",
            "response_due_at",
            "resolution_due_at",
            "next_due_at",
            "at_risk_at",
            "breached",
            "sla_state",
            "change_kind",
            "new_name",
            "new_holder",
            "new_address",
            "new_region",
            "suspend_from",
            "suspend_until",
            "new_capacity",
            "change_applied_at",
            "resolution",
            "customer_informed",
            "rating",
            "customer_unreachable",
            "contact_attempts",
            "reopen_count",
            "external_ref",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "number",
            "status",
            "tier_at_intake",
            "response_target_minutes",
            "resolution_target_minutes",
            "business_hours",
            "dispatched_at",
            "first_response_at",
            "resolved_at",
            "closed_at",
            "paused_at",
            "paused_minutes",
            "dispatch_due_at",
            "response_due_at",
            "resolution_due_at",
            "next_due_at",
            "at_risk_at",
            "breached",
            "change_applied_at",
            "resolution",
            "customer_informed",
            "rating",
            "customer_unreachable",
            "contact_attempts",
            "reopen_count",
            "created_at",
            "updated_at",
        ]


class TransitionSerializer(serializers.Serializer):
    to = serializers.ChoiceField(choices=ServiceRequest.Status.choices)
    version = serializers.IntegerField()
    note = serializers.CharField(required=False, allow_blank=True, default="")
    resolution = serializers.CharField(required=False, allow_blank=True, default="")
    customer_informed = serializers.BooleanField(required=False, default=False)
    rating = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=1, max_value=5)
    customer_unreachable = serializers.BooleanField(required=False, default=False)
    contact_attempts = serializers.CharField(required=False, allow_blank=True, default="")


class AssignSerializer(serializers.Serializer):
    department = serializers.PrimaryKeyRelatedField(queryset=Department.objects.all())
    assignee = AssigneeField(required=False, allow_null=True, default=None)
    version = serializers.IntegerField()


class CommentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Comment
        fields = ["id", "author", "body", "is_internal", "created_at"]
        read_only_fields = ["author", "created_at"]


class AttachmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Attachment
        fields = ["id", "name", "size", "file", "uploaded_by", "uploaded_at"]
        read_only_fields = ["name", "size", "uploaded_by", "uploaded_at"]


class ServiceRequestViewSet(
    IdempotentCreateMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Service requests and complaints. POST opens one (send `Idempotency-Key` to make a retry harmless);
    the workflow moves through `transition/`, routing through `assign/`."""

    serializer_class = ServiceRequestSerializer
    permission_classes = [permissions.IsAuthenticated, CrmModelPermission]
    filterset_class = ServiceRequestFilter
    lookup_value_regex = "[0-9]+"  # another key is a 404 from the router, not a 500 from the lookup
    queryset = ServiceRequest.objects.all()
    crm_model = "service_requests.servicerequest"

    def get_queryset(self):
        return (
            visible_to(self.request.user, ServiceRequest.objects.all())
            .select_related("account", "department", "assignee")
            .order_by("-received_at", "-id")
        )

    def get_object(self):
        return selectors.request_get_for_user(user=self.request.user, pk=self.kwargs["pk"])

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("version", None)
        account = data.pop("account")
        serializer.instance = services.request_open(actor=self.request.user, account=account, **data)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        version = data.pop("version", None)
        for field in ("account", "department", "assignee"):
            data.pop(field, None)
        serializer.instance = services.request_update(
            request=serializer.instance,
            actor=self.request.user,
            expected_version=version,
            data=data,
        )

    @extend_schema(request=TransitionSerializer, responses=ServiceRequestSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        sr = self.get_object()
        body = TransitionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        sr = services.request_transition(request=sr, actor=request.user, expected_version=data.pop("version"), **data)
        return Response(ServiceRequestSerializer(sr, context=self.get_serializer_context()).data)

    @extend_schema(request=AssignSerializer, responses=ServiceRequestSerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        sr = self.get_object()
        body = AssignSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        data = body.validated_data
        sr = services.request_assign(
            request=sr,
            actor=request.user,
            department=data["department"],
            assignee=data["assignee"],
            expected_version=data["version"],
        )
        return Response(ServiceRequestSerializer(sr, context=self.get_serializer_context()).data)

    @extend_schema(methods=["get"], responses=CommentSerializer(many=True))
    @extend_schema(methods=["post"], request=CommentSerializer, responses={201: CommentSerializer})
    # a plain list, not a page, and the request list's filters do not apply (the schema says so)
    @action(detail=True, methods=["get", "post"], pagination_class=None, filter_backends=[])
    def comments(self, request, pk=None):
        sr = self.get_object()
        if request.method == "GET":
            return Response(CommentSerializer(sr.comments.all(), many=True).data)
        body = CommentSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        comment = services.comment_add(request=sr, actor=request.user, **body.validated_data)
        return Response(CommentSerializer(comment).data, status=201)

    @extend_schema(methods=["get"], responses=AttachmentSerializer(many=True))
    @extend_schema(
        methods=["post"], request={"multipart/form-data": AttachmentSerializer}, responses={201: AttachmentSerializer}
    )
    @action(
        detail=True,
        methods=["get", "post"],
        parser_classes=[parsers.MultiPartParser],
        pagination_class=None,
        filter_backends=[],
    )
    def attachments(self, request, pk=None):
        sr = self.get_object()
        if request.method == "GET":
            return Response(AttachmentSerializer(sr.attachments.all(), many=True, context={"request": request}).data)
        body = AttachmentSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        with db_transaction.atomic():
            attachment = services.attachment_add(request=sr, actor=request.user, file=body.validated_data["file"])
        return Response(AttachmentSerializer(attachment, context={"request": request}).data, status=201)


def register_routes(router):
    router.register("service-requests", ServiceRequestViewSet, basename="service-request")
