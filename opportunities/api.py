"""REST API for opportunities and quotes. Thin: validate, call a service or a selector.

Services raise; the global exception handler (core.api) answers 400/403/409 in the one shape."""

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.api import VisibleAccountField
from accounts.models import Competitor, Contact
from core.api import body_version
from core.idempotency import IdempotentCreateMixin
from users.permissions import CrmModelPermission, has_crm_perm

from . import selectors, services
from .filters import OpportunityFilter, QuoteFilter
from .models import CloseReason, Opportunity, OpportunityContact, Quote, QuoteLine, Stage


class VisibleOpportunityField(serializers.PrimaryKeyRelatedField):
    """An opportunity id the caller may see; anything else is 'does not exist'."""

    def get_queryset(self):
        return selectors.opportunity_queryset_for(self.context["request"].user).select_related("account", "stage")


class StageSerializer(serializers.ModelSerializer):
    label = serializers.CharField(read_only=True)

    class Meta:
        model = Stage
        fields = ["id", "code", "name", "label", "order", "probability", "outcome"]


class OpportunityContactSerializer(serializers.ModelSerializer):
    contact_name = serializers.CharField(source="contact.name", read_only=True)

    class Meta:
        model = OpportunityContact
        fields = ["id", "contact", "contact_name", "role", "note"]


class OpportunitySerializer(serializers.ModelSerializer):
    account = VisibleAccountField()
    account_name = serializers.CharField(source="account.name", read_only=True)
    stage = serializers.PrimaryKeyRelatedField(
        queryset=Stage.objects.filter(is_active=True, outcome=Stage.Outcome.OPEN),
        required=False,
        help_text="On create only (an open stage; the first by default). Move it with the `move` action.",
    )
    stage_name = serializers.CharField(source="stage.label", read_only=True)
    probability = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=100, help_text="Empty: the stage's default."
    )
    competitors = serializers.PrimaryKeyRelatedField(queryset=Competitor.objects.all(), many=True, required=False)
    contact_roles = OpportunityContactSerializer(many=True, read_only=True)
    weighted_amount = serializers.DecimalField(max_digits=16, decimal_places=2, read_only=True)
    version = serializers.IntegerField(required=False, help_text="Send the version you read; a stale one answers 409.")

    class Meta:
        model = Opportunity
        fields = [
            "id",
            "account",
            "account_name",
            "title",
            "stage",
            "stage_name",
            "stage_entered_at",
            "amount",
            "probability",
            "probability_is_custom",
            "weighted_amount",
            "expected_close_on",
            "owner",
            "competitors",
            "contact_roles",
            "next_step",
            "next_step_on",
            "description",
            "close_reason",
            "close_note",
            "lost_to",
            "closed_on",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "stage_entered_at",
            "probability_is_custom",
            "close_reason",
            "close_note",
            "lost_to",
            "closed_on",
            "created_at",
            "updated_at",
        ]


class MoveSerializer(serializers.Serializer):
    stage = serializers.PrimaryKeyRelatedField(queryset=Stage.objects.all())
    version = serializers.IntegerField(required=False)
    reason = serializers.ChoiceField(choices=CloseReason.choices, required=False, allow_blank=True)
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    lost_to = serializers.PrimaryKeyRelatedField(queryset=Competitor.objects.all(), required=False, allow_null=True)


class ContactRoleSerializer(serializers.Serializer):
    contact = serializers.PrimaryKeyRelatedField(queryset=Contact.objects.filter(is_archived=False))
    role = serializers.ChoiceField(choices=OpportunityContact.Role.choices)
    note = serializers.CharField(required=False, allow_blank=True, max_length=200)


class OpportunityViewSet(
    IdempotentCreateMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Opportunities. `move` changes the stage (won/lost need a reason; lost names the competitor);
    `contacts` links a contact of the account with their role in the deal. DELETE archives."""

    serializer_class = OpportunitySerializer
    permission_classes = [CrmModelPermission]
    filterset_class = OpportunityFilter
    ordering_fields = ["expected_close_on", "amount", "probability", "created_at", "id"]
    ordering = ["expected_close_on", "id"]
    queryset = Opportunity.objects.none()

    def get_queryset(self):
        return selectors.opportunity_list(user=self.request.user).prefetch_related(
            "competitors", Prefetch("contact_roles", queryset=OpportunityContact.objects.select_related("contact"))
        )

    def perform_create(self, serializer):
        data = {k: v for k, v in serializer.validated_data.items() if k != "version"}
        account = data.pop("account")
        serializer.instance = services.opportunity_create(actor=self.request.user, account=account, **data)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        expected = data.pop("version", None)
        if expected is None:
            raise serializers.ValidationError({"version": ["Send the version you read."]})
        if "account" in data and data.pop("account") != serializer.instance.account:
            raise serializers.ValidationError({"account": ["An opportunity cannot move to another account."]})
        if "stage" in data and data.pop("stage") != serializer.instance.stage:
            raise serializers.ValidationError({"stage": ["Change the stage with the move action."]})
        serializer.instance = services.opportunity_update(
            opportunity=serializer.instance, actor=self.request.user, expected_version=expected, data=data
        )

    def perform_destroy(self, instance):
        services.opportunity_archive(opportunity=instance, actor=self.request.user)

    @extend_schema(request=MoveSerializer, responses={200: OpportunitySerializer})
    @action(detail=True, methods=["post"])
    def move(self, request, pk=None):
        """Move to another stage (a won or lost stage needs `reason`; lost needs `lost_to`)."""
        opportunity = self.get_object()
        if not has_crm_perm(request.user, "opportunities.change_opportunity"):
            self.permission_denied(request)
        body = MoveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        opportunity = services.opportunity_move(
            opportunity=opportunity,
            actor=request.user,
            stage=data["stage"],
            expected_version=data.get("version"),
            reason=data.get("reason", ""),
            note=data.get("note", ""),
            lost_to=data.get("lost_to"),
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=opportunity.pk)).data)

    @extend_schema(request=ContactRoleSerializer, responses={200: OpportunityContactSerializer})
    @action(detail=True, methods=["post"])
    def contacts(self, request, pk=None):
        """Link a contact of the account with their role in this deal (or change the role)."""
        opportunity = self.get_object()
        if not has_crm_perm(request.user, "opportunities.change_opportunity"):
            self.permission_denied(request)
        body = ContactRoleSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        link = services.opportunity_contact_set(opportunity=opportunity, actor=request.user, **body.validated_data)
        return Response(OpportunityContactSerializer(link).data)


class QuoteLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = QuoteLine
        fields = ["position", "product", "quantity", "unit_price", "discount_percent", "line_total"]
        read_only_fields = ["position", "line_total"]


class QuoteSerializer(serializers.ModelSerializer):
    opportunity = VisibleOpportunityField()
    lines = QuoteLineSerializer(many=True)
    version = serializers.IntegerField(required=False, help_text="Send the version you read; a stale one answers 409.")

    class Meta:
        model = Quote
        fields = [
            "id",
            "opportunity",
            "number",
            "revision",
            "previous",
            "status",
            "valid_until",
            "lines",
            "total",
            "max_discount",
            "notes",
            "approved_by",
            "approved_at",
            "decided_on",
            "contract",
            "version",
            "created_at",
        ]
        read_only_fields = [
            "number",
            "revision",
            "previous",
            "status",
            "total",
            "max_discount",
            "approved_by",
            "approved_at",
            "decided_on",
            "contract",
            "created_at",
        ]


class AcceptSerializer(serializers.Serializer):
    start_on = serializers.DateField(help_text="The contract's start date.")
    end_on = serializers.DateField(help_text="The contract's end date.")
    version = serializers.IntegerField(required=False)


class DecideSerializer(serializers.Serializer):
    approve = serializers.BooleanField()
    comment = serializers.CharField(required=False, allow_blank=True, max_length=2000)


VERSION_BODY = inline_serializer("QuoteVersion", {"version": serializers.IntegerField(required=False)})


class QuoteViewSet(
    IdempotentCreateMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Quotes with their lines (Decimal totals). Drafts are edited; `submit` finishes one (a discount
    above the limit waits for a director: `decide`); `send`, `decline`, `revise`; `accept` drafts
    the contract with the quote's total."""

    serializer_class = QuoteSerializer
    permission_classes = [CrmModelPermission]
    filterset_class = QuoteFilter
    ordering_fields = ["created_at", "valid_until", "total", "id"]
    ordering = ["-created_at", "-id"]
    queryset = Quote.objects.none()

    def get_queryset(self):
        return selectors.quote_list(user=self.request.user).prefetch_related("lines")

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = services.quote_create(
            actor=self.request.user,
            opportunity=data["opportunity"],
            valid_until=data["valid_until"],
            lines=[dict(line) for line in data["lines"]],
            notes=data.get("notes", ""),
        )

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        quote = serializer.instance
        if data.get("opportunity", quote.opportunity) != quote.opportunity:
            raise serializers.ValidationError({"opportunity": ["A quote cannot move to another opportunity."]})
        if data.get("version") is None:
            raise serializers.ValidationError({"version": ["Send the version you read."]})
        lines = data.get("lines")
        serializer.instance = services.quote_update(
            quote=quote,
            actor=self.request.user,
            expected_version=data["version"],
            valid_until=data.get("valid_until", quote.valid_until),
            notes=data.get("notes", quote.notes),
            lines=[dict(line) for line in lines]
            if lines is not None
            else [
                {
                    "product": ln.product,
                    "quantity": ln.quantity,
                    "unit_price": ln.unit_price,
                    "discount_percent": ln.discount_percent,
                }
                for ln in quote.lines.all()
            ],
        )

    def _quote(self, request):
        """The quote (404 for one the caller may not see), then the write permission."""
        quote = self.get_object()
        if not has_crm_perm(request.user, "opportunities.change_quote"):
            self.permission_denied(request)
        return quote

    def _act(self, request, service, quote=None, **kwargs):
        quote = quote or self._quote(request)
        result = service(quote=quote, actor=request.user, **kwargs)
        return Response(self.get_serializer(self.get_queryset().get(pk=result.pk)).data)

    @extend_schema(request=VERSION_BODY, responses={200: QuoteSerializer})
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        """Finish a draft: ready to send, or waiting for a director when a discount is above the limit."""
        return self._act(request, services.quote_submit, expected_version=body_version(request))

    @extend_schema(request=DecideSerializer, responses={200: QuoteSerializer})
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        """A sales director approves the discount, or sends the quote back to draft with a comment."""
        quote = self._quote(request)
        body = DecideSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._act(request, services.quote_decide, quote=quote, **body.validated_data)

    @extend_schema(request=VERSION_BODY, responses={200: QuoteSerializer})
    @action(detail=True, methods=["post"])
    def send(self, request, pk=None):
        """Mark as sent to the customer."""
        return self._act(request, services.quote_mark_sent, expected_version=body_version(request))

    @extend_schema(request=VERSION_BODY, responses={200: QuoteSerializer})
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        """The customer declined it."""
        return self._act(request, services.quote_decline, expected_version=body_version(request))

    @extend_schema(request=None, responses={200: QuoteSerializer})
    @action(detail=True, methods=["post"])
    def revise(self, request, pk=None):
        """A new revision (a draft copy); this one is superseded. Answers the new revision."""
        return self._act(request, services.quote_revise)

    @extend_schema(request=AcceptSerializer, responses={200: QuoteSerializer})
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        """The customer accepted: a draft contract with the quote's total is made and linked."""
        quote = self._quote(request)
        if not has_crm_perm(request.user, "contracts.add_contract"):
            self.permission_denied(request)
        body = AcceptSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        return self._act(
            request,
            services.quote_accept,
            quote=quote,
            start_on=data["start_on"],
            end_on=data["end_on"],
            expected_version=data.get("version"),
        )


class StageViewSet(viewsets.ReadOnlyModelViewSet):
    """The stages of the buying process (kept in admin), in board order."""

    serializer_class = StageSerializer
    permission_classes = [CrmModelPermission]
    pagination_class = None
    queryset = Stage.objects.filter(is_active=True).order_by("order", "pk")


def register_routes(router):
    router.register("opportunities", OpportunityViewSet, basename="opportunity")
    router.register("quotes", QuoteViewSet, basename="quote")
    router.register("opportunity-stages", StageViewSet, basename="opportunity-stage")
