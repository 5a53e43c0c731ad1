"""REST API: /api/notifications/ (the caller's own; mark read) and /api/webhooks/ (administrators:
endpoints, their deliveries, replay). Thin: the selectors read, the services write."""

from django.conf import settings
from django.db import transaction
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.idempotency import IdempotentCreateMixin
from users.permissions import CrmModelPermission

from . import selectors, services
from .models import Notification, WebhookDelivery, WebhookEndpoint, WebhookEvent
from .rules import RULES


class NotificationSerializer(serializers.ModelSerializer):
    text = serializers.SerializerMethodField(help_text="The reminder in the caller's language.")
    link = serializers.SerializerMethodField(help_text="The page of what it is about.")
    is_read = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = [
            "id",
            "rule",
            "subject_type",
            "subject_id",
            "account",
            "due_on",
            "text",
            "link",
            "data",
            "email",
            "created_at",
            "read_at",
            "is_read",
        ]
        read_only_fields = fields

    def get_text(self, obj) -> str:
        from .rules import describe

        return describe(obj)

    def get_link(self, obj) -> str:
        from .rules import link

        return link(obj)

    def get_is_read(self, obj) -> bool:
        return obj.read_at is not None


class MarkedSerializer(serializers.Serializer):
    marked = serializers.IntegerField()


class ChannelSerializer(serializers.Serializer):
    rule = serializers.ChoiceField(choices=[], help_text="The rule's code, e.g. birthday.")
    label = serializers.CharField(read_only=True, help_text="The rule's name in the caller's language.")
    enabled = serializers.BooleanField(read_only=True, help_text="Whether the rule is on (administrators decide).")
    in_app = serializers.BooleanField(help_text="Show these reminders in the app (the bell and the inbox).")
    email = serializers.BooleanField(help_text="Send these reminders by e-mail (alone or in the daily digest).")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rule"].choices = [(spec.code, spec.code) for spec in RULES]

    def validate(self, attrs):
        if "rule" not in attrs:  # a PATCH may leave out the booleans, never the rule
            raise serializers.ValidationError({"rule": ["This field is required."]})
        return attrs


class ReminderSettingsSerializer(serializers.Serializer):
    language = serializers.ChoiceField(
        choices=[("", "The site's default"), *settings.LANGUAGES],
        allow_blank=True,
        help_text="The language of the caller's reminder e-mails; empty: the site's default.",
    )
    email_digest = serializers.BooleanField(
        help_text="One e-mail each evening with all reminders instead of one e-mail per reminder."
    )
    channels = ChannelSerializer(
        many=True,
        max_length=100,
        help_text="Channels per rule. In a PATCH, only the rules listed change; the others keep their choice.",
    )

    def validate_channels(self, value):
        codes = [item["rule"] for item in value]
        if len(codes) != len(set(codes)):
            raise serializers.ValidationError("Each rule at most once.")
        return value


def _settings_body(current: dict) -> dict:
    return {
        "language": current["language"],
        "email_digest": current["email_digest"],
        "channels": [
            {
                "rule": r["code"],
                "label": str(r["label"]),
                "enabled": r["enabled"],
                "in_app": r["in_app"],
                "email": r["email"],
            }
            for r in current["rules"]
        ],
    }


class NotificationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The caller's reminders, newest first. `?unread=true` for the unread only, `?rule=<code>` for
    one kind, `?q=` to search what they say. `POST /api/notifications/{id}/read/` marks one read (`/unread/` undoes it);
    `POST /api/notifications/read-all/` marks all read."""

    serializer_class = NotificationSerializer
    permission_classes = [CrmModelPermission]
    required_perms = ["reminders.view_notification"]
    queryset = Notification.objects.none()
    search_fields = []
    ordering_fields = []

    def get_queryset(self):
        unread = self.request.query_params.get("unread", "").lower() in {"1", "true", "yes"}
        rule = self.request.query_params.get("rule")
        return selectors.inbox(
            user=self.request.user,
            unread_only=unread,
            rule=rule if rule in RULES else None,
            q=self.request.query_params.get("q", ""),
        )

    def get_object(self):
        return selectors.notification_get_for_user(user=self.request.user, pk=self.kwargs["pk"])

    @extend_schema(
        parameters=[
            OpenApiParameter("unread", bool, description="Only the unread ones."),
            OpenApiParameter("rule", str, description="Only this kind (a rule's code)."),
            OpenApiParameter(
                "q", str, description="Text search: names, titles and numbers the reminders carry, the account's name."
            ),
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=None, responses={200: NotificationSerializer})
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        notification = services.notification_mark_read(actor=request.user, notification=self.get_object())
        return Response(self.get_serializer(notification).data)

    @extend_schema(request=None, responses={200: NotificationSerializer})
    @action(detail=True, methods=["post"])
    def unread(self, request, pk=None):
        notification = services.notification_mark_unread(actor=request.user, notification=self.get_object())
        return Response(self.get_serializer(notification).data)

    @extend_schema(request=None, responses={200: MarkedSerializer})
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request):
        return Response({"marked": services.notifications_mark_all_read(actor=request.user)})

    @extend_schema(methods=["GET"], request=None, responses={200: ReminderSettingsSerializer})
    @extend_schema(methods=["PATCH"], request=ReminderSettingsSerializer, responses={200: ReminderSettingsSerializer})
    @action(detail=False, methods=["get", "patch"], url_path="settings", pagination_class=None, filter_backends=[])
    def reminder_settings(self, request):
        """The caller's own delivery settings (nobody else's can be read or changed): the language
        of their e-mails, the daily digest, and per rule whether to remind in the app and by e-mail.
        PATCH changes what it names; rules left out of `channels` keep their choice."""
        current = selectors.settings_for(user=request.user)
        if request.method == "GET":
            return Response(ReminderSettingsSerializer(_settings_body(current)).data)
        body = ReminderSettingsSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        known = {r["code"]: r for r in current["rules"]}
        channels = {}
        for item in data.get("channels", []):
            was = known.get(item["rule"], {"in_app": True, "email": False})
            channels[item["rule"]] = (item.get("in_app", was["in_app"]), item.get("email", was["email"]))
        services.settings_update(
            actor=request.user,
            language=data.get("language", current["language"]),
            email_digest=data.get("email_digest", current["email_digest"]),
            channels=channels,
        )
        return Response(ReminderSettingsSerializer(_settings_body(selectors.settings_for(user=request.user))).data)


# --- webhooks (administrators) -----------------------------------------------------------------


class WebhookEndpointSerializer(serializers.ModelSerializer):
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=WebhookEvent.choices), allow_empty=False, max_length=20
    )
    secret = serializers.CharField(
        required=False,
        max_length=100,
        min_length=16,
        help_text="Left out: a random secret is made. Shown to administrators only.",
    )
    version = serializers.IntegerField(required=False, help_text="Send the version you read; a stale one answers 409.")

    class Meta:
        model = WebhookEndpoint
        fields = ["id", "name", "url", "events", "secret", "is_active", "version", "created_at"]
        read_only_fields = ["created_at"]


class WebhookDeliverySerializer(serializers.ModelSerializer):
    event = serializers.CharField(source="event.event", read_only=True)
    event_id = serializers.IntegerField(read_only=True)
    payload = serializers.JSONField(source="event.payload", read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "endpoint",
            "event_id",
            "event",
            "payload",
            "status",
            "attempts",
            "response_code",
            "last_error",
            "next_attempt_at",
            "delivered_at",
            "created_at",
        ]
        read_only_fields = fields


class WebhookEndpointViewSet(
    IdempotentCreateMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Integrations' webhook endpoints (administrators only): the URL, the events it wants, the
    signing secret. Each delivery carries `X-CRM-Signature: sha256=<HMAC-SHA256 of the body>`.
    `GET /api/webhooks/{id}/deliveries/` lists its deliveries; `POST /api/webhooks/deliveries/{id}/replay/`
    sends one again."""

    serializer_class = WebhookEndpointSerializer
    permission_classes = [CrmModelPermission]
    queryset = WebhookEndpoint.objects.none()
    search_fields = ["name", "url"]
    ordering_fields = ["name", "id"]
    ordering = ["name", "id"]

    def get_queryset(self):
        return selectors.webhook_endpoints()

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("version", None)
        serializer.instance = services.webhook_endpoint_create(actor=self.request.user, **data)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        expected = data.pop("version", None)
        if expected is None and not serializer.partial:
            raise serializers.ValidationError({"version": ["Send the version you read."]})
        with transaction.atomic():
            serializer.instance = services.webhook_endpoint_update(
                actor=self.request.user, endpoint=serializer.instance, data=data, expected_version=expected
            )

    # its own operationId: drf-spectacular would name it as GET /api/webhooks/deliveries/ is named
    @extend_schema(
        operation_id="webhooks_endpoint_deliveries_list", responses={200: WebhookDeliverySerializer(many=True)}
    )
    @action(detail=True, methods=["get"])
    def deliveries(self, request, pk=None):
        endpoint = self.get_object()
        page = self.paginate_queryset(selectors.webhook_deliveries(endpoint=endpoint))
        return self.get_paginated_response(WebhookDeliverySerializer(page, many=True).data)


class WebhookDeliveryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Webhook deliveries (administrators only): status, attempts, the last response code and error.
    `POST /api/webhooks/deliveries/{id}/replay/` sends one again."""

    serializer_class = WebhookDeliverySerializer
    permission_classes = [CrmModelPermission]
    queryset = WebhookDelivery.objects.none()
    required_perms = None  # the model's; the replay action names its own
    search_fields = []
    ordering_fields = ["id"]
    ordering = ["-id"]

    def get_queryset(self):
        return selectors.webhook_deliveries()

    @extend_schema(request=None, responses={200: WebhookDeliverySerializer})
    @action(detail=True, methods=["post"], required_perms=["reminders.change_webhookdelivery"])
    def replay(self, request, pk=None):
        delivery = services.webhook_delivery_replay(actor=request.user, delivery=self.get_object())
        return Response(self.get_serializer(delivery).data)


def register_routes(router):
    router.register("notifications", NotificationViewSet, basename="notification")
    router.register("webhooks/deliveries", WebhookDeliveryViewSet, basename="webhook-delivery")
    router.register("webhooks", WebhookEndpointViewSet, basename="webhook")
