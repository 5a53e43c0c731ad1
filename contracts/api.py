"""REST API for contracts, installments and payments. Thin: validate, call a service or a selector."""

import datetime

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.api import VisibleAccountField
from core.api import body_version
from core.idempotency import IdempotentCreateMixin
from users.permissions import CrmModelPermission, has_crm_perm
from users.visibility import visible_to

from . import selectors, services
from .filters import ContractFilter, PaymentFilter
from .models import Contract, Installment, Payment

MONEY = {"max_digits": 16, "decimal_places": 2, "read_only": True}


class VisibleContractField(serializers.PrimaryKeyRelatedField):
    """A contract id the caller may see; anything else is 'does not exist'."""

    def get_queryset(self):
        return visible_to(self.context["request"].user, Contract.objects.select_related("account"))


class ContractSerializer(serializers.ModelSerializer):
    account = VisibleAccountField()
    version = serializers.IntegerField(required=False, help_text="Send the version you read; a stale one answers 409.")
    account_name = serializers.CharField(source="account.name", read_only=True)

    class Meta:
        model = Contract
        fields = [
            "id",
            "number",
            "account",
            "account_name",
            "type",
            "title",
            "value",
            "currency",
            "signed_on",
            "start_on",
            "end_on",
            "auto_renew",
            "owner",
            "status",
            "late_fee_rate",
            "late_fee_cap",
            "grace_days",
            "terminated_on",
            "termination_reason",
            "renewal_of",
            "notes",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "number",
            "status",
            "terminated_on",
            "termination_reason",
            "renewal_of",
            "created_at",
            "updated_at",
        ]


class StatementSerializer(serializers.Serializer):
    as_of = serializers.DateField()
    currency = serializers.CharField()
    scheduled = serializers.DecimalField(**MONEY)
    invoiced = serializers.DecimalField(**MONEY)
    paid = serializers.DecimalField(**MONEY)
    outstanding = serializers.DecimalField(**MONEY)
    overdue = serializers.DecimalField(**MONEY)
    late_fees = serializers.DecimalField(**MONEY)
    credit = serializers.DecimalField(**MONEY)
    balance = serializers.DecimalField(**MONEY)
    installments = serializers.ListField(child=serializers.DictField())


class ContractViewSet(
    IdempotentCreateMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Contracts. Created as drafts; `submit` asks for approval; approved terms change by amendment
    (on the contract page). `statement` gives the money owed as of a date."""

    serializer_class = ContractSerializer
    permission_classes = [CrmModelPermission]
    filterset_class = ContractFilter
    ordering_fields = ["number", "value", "start_on", "end_on", "created_at", "id"]
    ordering = ["-created_at", "-id"]
    queryset = Contract.objects.none()

    def get_queryset(self):
        return selectors.contract_list(user=self.request.user)

    def perform_create(self, serializer):
        data = {k: v for k, v in serializer.validated_data.items() if k != "version"}
        account = data.pop("account")
        serializer.instance = services.contract_create(actor=self.request.user, account=account, **data)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        expected = data.pop("version", None)
        if expected is None:
            raise serializers.ValidationError({"version": ["Send the version you read."]})
        serializer.instance = services.contract_update(
            contract=serializer.instance,
            actor=self.request.user,
            expected_version=expected,
            data=data,
        )

    @extend_schema(
        request=inline_serializer("ContractSubmit", {"version": serializers.IntegerField()}),
        responses={200: ContractSerializer},
    )
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        """Ask for approval (draft or rejected → pending approval)."""
        contract = self.get_object()
        if not has_crm_perm(request.user, "contracts.change_contract"):
            self.permission_denied(request)
        version = body_version(request)
        contract = services.contract_submit(contract=contract, actor=request.user, expected_version=version)
        return Response(self.get_serializer(contract).data)

    @extend_schema(
        parameters=[OpenApiParameter("as_of", OpenApiTypes.DATE, description="YYYY-MM-DD; today by default")],
        responses={200: StatementSerializer},
    )
    @action(detail=True, methods=["get"])
    def statement(self, request, pk=None):
        """Invoiced, paid, outstanding, overdue, late fees and credit as of a date, per installment too."""
        contract = self.get_object()
        as_of = None
        if request.query_params.get("as_of"):
            try:
                as_of = datetime.date.fromisoformat(request.query_params["as_of"])
            except ValueError as exc:
                raise serializers.ValidationError({"as_of": ["Use the format YYYY-MM-DD."]}) from exc
        st = selectors.contract_statement(contract=contract, as_of=as_of)
        body = st.as_dict()
        body["installments"] = [
            {
                "id": line.installment_id,
                "due_on": line.due_on.isoformat(),
                "amount": str(line.amount),
                "paid": str(line.paid),
                "open": str(line.open),
                "overdue": str(line.overdue),
                "days_overdue": line.days_overdue,
                "late_fee": str(line.late_fee),
            }
            for line in st.lines
        ]
        return Response(StatementSerializer(body).data)


class InstallmentSerializer(serializers.ModelSerializer):
    contract = VisibleContractField()

    class Meta:
        model = Installment
        fields = ["id", "contract", "due_on", "amount", "paid_amount", "paid_on", "settled_late_fee", "note"]
        read_only_fields = ["paid_amount", "paid_on", "settled_late_fee"]


class InstallmentViewSet(IdempotentCreateMixin, viewsets.ModelViewSet):
    """The payment schedule: installments with due dates and amounts; `paid_amount` follows the
    payments (oldest open installment first); `settled_late_fee` is the late fee an installment
    paid in full ran up (empty while it is open)."""

    serializer_class = InstallmentSerializer
    permission_classes = [CrmModelPermission]
    filterset_fields = ["contract"]
    ordering_fields = ["due_on", "amount", "id"]
    ordering = ["due_on", "id"]
    queryset = Installment.objects.none()

    def get_queryset(self):
        return selectors.installment_list(user=self.request.user)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = services.installment_create(
            actor=self.request.user, contract=data.pop("contract"), **data
        )

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        if data.pop("contract", serializer.instance.contract) != serializer.instance.contract:
            raise serializers.ValidationError({"contract": ["An installment cannot move to another contract."]})
        serializer.instance = services.installment_update(
            installment=serializer.instance, actor=self.request.user, data=data
        )

    def perform_destroy(self, instance):
        services.installment_delete(installment=instance, actor=self.request.user)


class PaymentSerializer(serializers.ModelSerializer):
    contract = VisibleContractField()
    is_voided = serializers.BooleanField(read_only=True, help_text="A voided payment no longer counts anywhere.")

    class Meta:
        model = Payment
        fields = [
            "id",
            "contract",
            "account",
            "received_on",
            "amount",
            "method",
            "reference",
            "note",
            "reconciled_at",
            "created_at",
            "is_voided",
            "voided_at",
            "voided_by",
            "void_reason",
            "version",
        ]
        read_only_fields = [
            "account",
            "reconciled_at",
            "created_at",
            "voided_at",
            "voided_by",
            "void_reason",
            "version",
        ]
        extra_kwargs = {"reference": {"validators": []}}
        validators = []  # idempotency on reference is the service's job, not a 400


class PaymentVoidSerializer(serializers.Serializer):
    version = serializers.IntegerField(min_value=1, help_text="The payment's version you read.")
    reason = serializers.CharField(max_length=services.VOID_REASON_MAX, help_text="Why the payment is voided.")


class PaymentViewSet(
    IdempotentCreateMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Payments received. Integrations POST them with the bank's `reference`: posting the same
    reference again answers 200 with the payment already recorded (201 when new)."""

    serializer_class = PaymentSerializer
    permission_classes = [CrmModelPermission]
    filterset_class = PaymentFilter
    ordering_fields = ["received_on", "amount", "id"]
    ordering = ["-received_on", "-id"]
    queryset = Payment.objects.none()

    def get_queryset(self):
        return selectors.payment_list(user=self.request.user)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        payment, created = services.payment_record(actor=request.user, contract=data.pop("contract"), **data)
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(self.get_serializer(payment).data, status=code)

    @extend_schema(request=PaymentVoidSerializer, responses={200: PaymentSerializer})
    @action(detail=True, methods=["post"])
    def void(self, request, pk=None):
        """Void a wrongly recorded payment (finance): it stays listed but no longer counts; the
        contract's other payments are allocated again, oldest installment first. Send the version
        you read (a stale one answers 409) and the reason. A voided payment cannot be voided again."""
        payment = self.get_object()  # another manager's payment: 404
        if not has_crm_perm(request.user, "contracts.change_payment"):
            self.permission_denied(request)
        body = PaymentVoidSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        payment = services.payment_void(
            actor=request.user,
            payment=payment,
            expected_version=body.validated_data["version"],
            reason=body.validated_data["reason"],
        )
        return Response(self.get_serializer(payment).data)


def register_routes(router):
    router.register("contracts", ContractViewSet, basename="contract")
    router.register("installments", InstallmentViewSet, basename="installment")
    router.register("payments", PaymentViewSet, basename="payment")
