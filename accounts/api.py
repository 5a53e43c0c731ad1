"""REST API for accounts and their records. Thin: validate, call a service or selector."""

from django.db import transaction as db_transaction
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api import Conflict, FastReadMixin, SparseFieldsMixin, SparseFieldsViewMixin
from core.idempotency import KEY_PARAMETER, IdempotentCreateMixin, idempotent, idempotent_response
from core.response_cache import CachedListMixin
from users.permissions import CrmModelPermission
from users.visibility import visible_to

from . import selectors, services
from .filters import AccountFilter, ContactFilter, FeedbackFilter, TransactionFilter
from .models import (
    CONTACT_FIELDS,
    AbcClass,
    Account,
    Competitor,
    CompetitorPresence,
    Contact,
    Feedback,
    RfmSegment,
    Transaction,
)


class VisibleAccountField(serializers.PrimaryKeyRelatedField):
    """An account id the caller may see; anything else is 'does not exist'."""

    def get_queryset(self):
        return visible_to(self.context["request"].user, Account.objects.filter(is_archived=False))


class AccountSerializer(SparseFieldsMixin, FastReadMixin, serializers.ModelSerializer):
    parent = VisibleAccountField(required=False, allow_null=True)
    version = serializers.IntegerField(
        required=False,
        help_text="Required on every update (PUT and PATCH): the version you read; a stale one answers 409, "
        "a missing one 400.",
    )
    owner_name = serializers.CharField(source="owner.display_name", read_only=True, default=None, allow_null=True)
    # empty until the first recompute classifies the account: the schema says so ("" allowed)
    abc_class = serializers.ChoiceField(choices=AbcClass.choices, allow_blank=True, read_only=True)
    rfm_segment = serializers.ChoiceField(choices=RfmSegment.choices, allow_blank=True, read_only=True)

    class Meta:
        model = Account
        fields = [
            "id",
            "number",
            "name",
            "nickname",
            "category",
            "industry",
            "region",
            "address",
            "phone",
            "email",
            "website",
            "parent",
            "owner",
            "owner_name",
            "team",
            "status",
            "status_changed_on",
            "source",
            "tags",
            "notes",
            "tier",
            "abc_class",
            "rfm_segment",
            "revenue_12m",
            "last_contact_at",
            "is_archived",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "number",
            "status_changed_on",
            "tier",
            "abc_class",
            "rfm_segment",
            "revenue_12m",
            "last_contact_at",
            "is_archived",
            "created_at",
            "updated_at",
        ]


class AccountViewSet(
    CachedListMixin,
    IdempotentCreateMixin,
    SparseFieldsViewMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Key accounts. DELETE archives (customer records are never deleted)."""

    serializer_class = AccountSerializer
    permission_classes = [CrmModelPermission]
    filterset_class = AccountFilter
    search_fields = []  # `?q=` searches name, number and contacts (see the filter)
    ordering_fields = [
        "name",
        "number",
        "revenue_12m",
        "status",
        "tier",
        "last_contact_at",
        "updated_at",
    ]
    ordering = ["-revenue_12m", "id"]
    queryset = Account.objects.none()

    def get_queryset(self):
        # the filter hides archived accounts from the list unless ?archived=true; detail opens them
        return selectors.account_queryset_for(self.request.user).select_related("owner")

    def perform_create(self, serializer):
        data = {k: v for k, v in serializer.validated_data.items() if k != "version"}
        serializer.instance = services.account_create(actor=self.request.user, **data)

    def perform_update(self, serializer):
        data = {k: v for k, v in serializer.validated_data.items() if k != "version"}
        expected = serializer.validated_data.get("version")  # required: the service refuses an update without it
        serializer.instance = services.account_update(
            account=serializer.instance,
            actor=self.request.user,
            expected_version=expected,
            data=data,
        )

    def perform_destroy(self, instance):
        services.account_archive(account=instance, actor=self.request.user)


class ContactSerializer(SparseFieldsMixin, FastReadMixin, serializers.ModelSerializer):
    account = VisibleAccountField()
    version = serializers.IntegerField(required=False)

    class Meta:
        model = Contact
        fields = ["id", "account", *CONTACT_FIELDS, "is_archived", "version"]
        read_only_fields = ["is_archived"]


class ContactViewSet(
    IdempotentCreateMixin,
    SparseFieldsViewMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Contacts and their part in the buying decision. DELETE archives."""

    serializer_class = ContactSerializer
    permission_classes = [CrmModelPermission]
    filterset_class = ContactFilter
    search_fields = ["name", "phone", "email", "title"]
    ordering_fields = ["name", "influence", "id"]
    ordering = ["id"]
    queryset = Contact.objects.none()

    def get_queryset(self):
        return selectors.contact_list(user=self.request.user)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("version", None)
        account = data.pop("account")
        serializer.instance = services.contact_create(account=account, actor=self.request.user, **data)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        expected = data.pop("version", None)
        serializer.instance = services.contact_update(
            contact=serializer.instance,
            actor=self.request.user,
            expected_version=expected,
            data=data,
        )

    def perform_destroy(self, instance):
        services.contact_archive(contact=instance, actor=self.request.user)


class TransactionSerializer(SparseFieldsMixin, FastReadMixin, serializers.ModelSerializer):
    account = VisibleAccountField()
    signed_amount = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)

    class Meta:
        model = Transaction
        fields = [
            "id",
            "account",
            "kind",
            "amount",
            "signed_amount",
            "occurred_at",
            "product_line",
            "source_system",
            "external_ref",
            "note",
            "created_at",
        ]
        read_only_fields = ["created_at"]
        validators = []  # idempotency is the service's job, not a 400

    def validate_amount(self, value):
        if value <= 0:
            raise serializers.ValidationError("Amount must be positive; use kind=refund to subtract.")
        return value


class BulkRowSerializer(TransactionSerializer):
    """One pushed row; the accounts of a batch are looked up together (one query per batch)."""

    account = serializers.IntegerField(min_value=1, help_text="Id of an account you can see.")


def _row_errors(detail) -> list[str]:
    """DRF's per-row errors as sentences that name the row (1-based) and the field."""
    messages = []
    if isinstance(detail, dict):  # {"2": {...}}: 0-based positions of the bad rows only
        pairs = sorted((int(k) + 1, v) for k, v in detail.items() if str(k).isdigit())
    else:
        pairs = list(enumerate(detail, start=1))
    for number, errors in pairs:
        if not errors:
            continue
        for field, problems in errors.items() if isinstance(errors, dict) else [("", errors)]:
            for problem in problems if isinstance(problems, list) else [problems]:
                if field and field != "non_field_errors":
                    label = _("Row %(n)s, %(field)s") % {"n": number, "field": field}
                else:
                    label = _("Row %(n)s") % {"n": number}
                messages.append(f"{label}: {problem}")
    return messages


class BulkTransactionSerializer(serializers.Serializer):
    rows = BulkRowSerializer(many=True, allow_empty=False, max_length=services.BULK_LIMIT)

    def to_internal_value(self, data):
        rows = data.get("rows") if isinstance(data, dict) else None
        if isinstance(rows, list) and len(rows) > services.BULK_LIMIT:  # counted before any row is read
            raise serializers.ValidationError(
                {
                    "rows": [
                        _("At most %(limit)s rows per request; this one has %(n)s.")
                        % {"limit": services.BULK_LIMIT, "n": len(rows)}
                    ]
                }
            )
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError as exc:
            detail = exc.detail
            rows_detail = detail.get("rows") if isinstance(detail, dict) else None
            if (isinstance(rows_detail, dict) and all(str(k).isdigit() for k in rows_detail)) or (
                isinstance(rows_detail, list) and rows_detail and all(isinstance(e, dict) for e in rows_detail)
            ):
                detail = {**detail, "rows": _row_errors(rows_detail)}
            raise serializers.ValidationError(detail) from exc

    def validate_rows(self, rows):
        """Every row's account, in one query, among the accounts the caller can see."""
        ids = {row["account"] for row in rows}
        user = self.context["request"].user
        accounts = visible_to(user, Account.objects.filter(is_archived=False)).in_bulk(ids)
        errors = []
        for number, row in enumerate(rows, start=1):
            account = accounts.get(row["account"])
            if account is None:
                errors.append(
                    _("Row %(n)s, account: account %(id)s does not exist or you cannot see it.")
                    % {"n": number, "id": row["account"]}
                )
            row["account"] = account
        if errors:
            raise serializers.ValidationError(errors)
        return rows


def _push(*, actor, rows):
    """The push service; a conflicting key answers 409 naming it (other refusals are 400s)."""
    try:
        return services.transactions_push(actor=actor, rows=rows)
    except services.TransactionConflict as exc:
        raise Conflict(detail={"external_ref": exc.messages}, code="conflict", extra={"refs": exc.refs}) from exc


class TransactionViewSet(
    IdempotentCreateMixin,
    SparseFieldsViewMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Revenue and recharge records. Amounts are positive; kind=refund subtracts.

    Other systems push with `POST /api/transactions/bulk/` under their own service account; a
    row whose (source_system, external_ref) is already stored with the same account, kind and
    amount is reported under `existing` and not stored again; the same ref with other values
    answers 409 naming it.
    """

    serializer_class = TransactionSerializer
    permission_classes = [CrmModelPermission]
    filterset_class = TransactionFilter
    search_fields = ["external_ref", "product_line", "note"]
    ordering_fields = ["occurred_at", "amount", "id"]
    ordering = ["-occurred_at", "-id"]
    queryset = Transaction.objects.none()

    def get_queryset(self):
        return selectors.transaction_list(user=self.request.user)

    @extend_schema(
        parameters=[KEY_PARAMETER],
        responses={
            201: TransactionSerializer,
            200: OpenApiResponse(TransactionSerializer, description="Already stored (same key, same record)."),
            409: OpenApiResponse(description="The external_ref is stored for a different record."),
        },
    )
    def create(self, request, *args, **kwargs):
        return idempotent_response(request, lambda: self._create(request))

    def _create(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if data.get("external_ref"):
            row = _row(data)
            result = _push(actor=request.user, rows=[row])
            stored = selectors.transaction_list(user=request.user).get(
                source_system=row["source_system"], external_ref=row["external_ref"]
            )
            code = status.HTTP_201_CREATED if result["created"] else status.HTTP_200_OK
            return Response(self.get_serializer(stored).data, status=code)
        txn = services.transaction_record(actor=request.user, **data)
        return Response(self.get_serializer(txn).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=BulkTransactionSerializer,
        parameters=[KEY_PARAMETER],
        responses={
            200: inline_serializer(
                "BulkTransactionResult",
                {
                    "created": serializers.ListField(child=serializers.CharField()),
                    "existing": serializers.ListField(child=serializers.CharField()),
                },
            ),
            409: OpenApiResponse(description="An external_ref is stored for a different record; nothing stored."),
        },
    )
    @action(detail=False, methods=["post"])
    @idempotent
    def bulk(self, request):
        """Push up to 1,000 rows at once; idempotent on source_system + external_ref."""
        serializer = BulkTransactionSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        with db_transaction.atomic():
            result = _push(actor=request.user, rows=[_row(r) for r in serializer.validated_data["rows"]])
        return Response(result, status=status.HTTP_200_OK)


# what a client may send of a recorded transaction: all of it but who recorded it (the caller)
_PUSHED_FIELDS = frozenset(Transaction.RECORDED_FIELDS) - {"created_by"}


def _row(data: dict) -> dict:
    return {k: v for k, v in data.items() if k in _PUSHED_FIELDS}


class VisibleContactField(serializers.PrimaryKeyRelatedField):
    """A live contact the caller may see; anything else is 'does not exist' (no oracle). The
    service checks that it belongs to the feedback's account."""

    def get_queryset(self):
        return visible_to(self.context["request"].user, Contact.objects.filter(is_archived=False))


class FeedbackSerializer(SparseFieldsMixin, FastReadMixin, serializers.ModelSerializer):
    account = VisibleAccountField()
    contact = VisibleContactField(required=False, allow_null=True)

    class Meta:
        model = Feedback
        fields = [
            "id",
            "account",
            "contact",
            "received_on",
            "channel",
            "satisfaction",
            "suggestion",
            "status",
            "handler",
            "created_at",
        ]
        read_only_fields = ["status", "handler", "created_at"]


class FeedbackViewSet(
    IdempotentCreateMixin,
    SparseFieldsViewMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Satisfaction scores and suggestions collected over time."""

    serializer_class = FeedbackSerializer
    permission_classes = [CrmModelPermission]
    filterset_class = FeedbackFilter
    search_fields = ["suggestion"]
    ordering_fields = ["received_on", "satisfaction", "id"]
    ordering = ["-received_on", "-id"]
    queryset = Feedback.objects.none()

    def get_queryset(self):
        return selectors.feedback_list(user=self.request.user)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        account = data.pop("account")
        serializer.instance = services.feedback_create(account=account, actor=self.request.user, **data)


class CompetitorSerializer(SparseFieldsMixin, FastReadMixin, serializers.ModelSerializer):
    class Meta:
        model = Competitor
        fields = ["id", "name", "website", "strengths", "weaknesses", "notes"]


class CompetitorViewSet(IdempotentCreateMixin, SparseFieldsViewMixin, viewsets.ModelViewSet):
    """Competitors (master data, not customer data)."""

    serializer_class = CompetitorSerializer
    permission_classes = [CrmModelPermission]
    search_fields = ["name"]
    ordering_fields = ["name", "id"]
    ordering = ["name"]
    queryset = Competitor.objects.all()
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def perform_create(self, serializer):
        serializer.instance = services.competitor_create(actor=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.competitor_update(
            competitor=serializer.instance, actor=self.request.user, data=serializer.validated_data
        )


class CompetitorPresenceSerializer(SparseFieldsMixin, FastReadMixin, serializers.ModelSerializer):
    account = VisibleAccountField()
    competitor_name = serializers.CharField(source="competitor.name", read_only=True)

    class Meta:
        model = CompetitorPresence
        fields = [
            "id",
            "account",
            "competitor",
            "competitor_name",
            "products",
            "strength",
            "since",
            "notes",
            "updated_at",
        ]
        read_only_fields = ["updated_at"]
        validators = []


class CompetitorPresenceViewSet(
    IdempotentCreateMixin,
    SparseFieldsViewMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Which competitor is present at which account, with what strength. POST upserts."""

    serializer_class = CompetitorPresenceSerializer
    permission_classes = [CrmModelPermission]
    filterset_fields = ["account", "competitor", "strength"]
    ordering = ["-updated_at"]
    queryset = CompetitorPresence.objects.none()

    def get_queryset(self):
        return selectors.presence_list(user=self.request.user)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = services.competitor_presence_save(
            account=data.pop("account"),
            competitor=data.pop("competitor"),
            actor=self.request.user,
            **data,
        )


def register_routes(router):
    router.register("accounts", AccountViewSet, basename="account")
    router.register("contacts", ContactViewSet, basename="contact")
    router.register("transactions", TransactionViewSet, basename="transaction")
    router.register("feedback", FeedbackViewSet, basename="feedback")
    router.register("competitors", CompetitorViewSet, basename="competitor")
    router.register("competitor-presences", CompetitorPresenceViewSet, basename="competitor-presence")
