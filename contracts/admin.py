"""Admin: every model, with history; writes go through the services (one write path)."""

from django.contrib import admin
from django.db import transaction
from simple_history.admin import SimpleHistoryAdmin

from users.admin_mixins import ServiceAdminMixin, VisibilityAdminMixin

from . import services
from .models import Amendment, ApprovalRule, ApprovalStep, Contract, ContractDocument, Installment, Payment


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class InstallmentInline(ReadOnlyInline):
    model = Installment
    fields = ("due_on", "amount", "paid_amount", "paid_on", "settled_late_fee", "note")
    readonly_fields = fields


class ApprovalInline(ReadOnlyInline):
    model = ApprovalStep
    fields = ("round", "approver_role", "decision", "decided_by", "decided_at", "comment")
    readonly_fields = fields


class AmendmentInline(ReadOnlyInline):
    model = Amendment
    fields = ("sequence", "effective_on", "reason", "changes", "created_by", "created_at")
    readonly_fields = fields


@admin.register(Contract)
class ContractAdmin(ServiceAdminMixin, VisibilityAdminMixin, SimpleHistoryAdmin):
    list_display = ("number", "title", "account", "type", "value", "currency", "status", "start_on", "end_on", "owner")
    list_filter = ("status", "type", "currency", "auto_renew")
    search_fields = ("number", "title", "account__name", "account__number")
    list_select_related = ("account", "owner")
    raw_id_fields = ("account", "owner")
    date_hierarchy = "end_on"
    readonly_fields = (
        "number",
        "status",
        "terminated_on",
        "termination_reason",
        "renewal_of",
        "version",
        "created_by",
        "created_at",
        "updated_at",
    )
    inlines = [InstallmentInline, ApprovalInline, AmendmentInline]
    show_full_result_count = False

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and not obj.is_editable:  # approved: changed by amendment on the contract page
            return [f.name for f in Contract._meta.fields if f.name != "id"]
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        with transaction.atomic():
            if not change:
                data = {f: form.cleaned_data.get(f) for f in services.CONTRACT_EDITABLE if f in form.cleaned_data}
                account = data.pop("account")
                created = services.contract_create(actor=request.user, account=account, **data)
                obj.pk, obj.number = created.pk, created.number
            else:
                data = {f: form.cleaned_data[f] for f in form.changed_data if f in services.CONTRACT_EDITABLE}
                services.contract_update(
                    contract=obj, actor=request.user, expected_version=self.expected_version(form), data=data
                )


@admin.register(ApprovalRule)
class ApprovalRuleAdmin(SimpleHistoryAdmin):
    list_display = ("name", "contract_type", "min_value", "approver_role", "is_active")
    list_filter = ("approver_role", "contract_type", "is_active")
    search_fields = ("name",)


@admin.register(ApprovalStep)
class ApprovalStepAdmin(VisibilityAdminMixin, admin.ModelAdmin):
    list_display = ("contract", "round", "approver_role", "decision", "decided_by", "decided_at")
    list_filter = ("decision", "approver_role")
    search_fields = ("contract__number", "contract__title")
    list_select_related = ("contract", "decided_by")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # decided on the approvals page, through the service


@admin.register(Amendment)
class AmendmentAdmin(VisibilityAdminMixin, admin.ModelAdmin):
    list_display = ("contract", "sequence", "effective_on", "created_by", "created_at")
    search_fields = ("contract__number", "reason")
    list_select_related = ("contract", "created_by")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ContractDocument)
class ContractDocumentAdmin(VisibilityAdminMixin, SimpleHistoryAdmin):
    list_display = ("name", "contract", "kind", "size", "uploaded_by", "uploaded_at", "is_archived")
    list_filter = ("kind", "is_archived")
    search_fields = ("name", "contract__number")
    list_select_related = ("contract", "uploaded_by")

    def has_add_permission(self, request):
        return False  # uploaded on the contract page, where size and type are checked

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Installment)
class InstallmentAdmin(VisibilityAdminMixin, SimpleHistoryAdmin):
    list_display = ("contract", "due_on", "amount", "paid_amount", "paid_on", "settled_late_fee")
    list_filter = ("paid_on",)
    search_fields = ("contract__number",)
    list_select_related = ("contract",)
    raw_id_fields = ("contract",)
    readonly_fields = ("paid_amount", "paid_on", "settled_late_fee")
    date_hierarchy = "due_on"

    def has_delete_permission(self, request, obj=None):
        return request.user.has_perm("contracts.delete_installment")

    def save_model(self, request, obj, form, change):
        data = {f: form.cleaned_data[f] for f in ("due_on", "amount", "note")}
        if change:
            services.installment_update(installment=obj, actor=request.user, data=data)
        else:
            created = services.installment_create(contract=form.cleaned_data["contract"], actor=request.user, **data)
            obj.pk = created.pk

    def delete_model(self, request, obj):
        services.installment_delete(installment=obj, actor=request.user)


@admin.register(Payment)
class PaymentAdmin(ServiceAdminMixin, VisibilityAdminMixin, SimpleHistoryAdmin):
    """Payments are recorded through the service; a recorded one is never edited, only voided
    (finance: enter the reason and save — the same service as the contract page and the API)."""

    list_display = ("received_on", "contract", "account", "amount", "method", "reference", "reconciled_at", "voided_at")
    list_filter = ("method", ("voided_at", admin.EmptyFieldListFilter))
    search_fields = ("reference", "contract__number", "account__name")
    list_select_related = ("contract", "account")
    raw_id_fields = ("contract",)
    fields = ("contract", "received_on", "amount", "method", "reference", "note")
    void_fields = ("voided_at", "voided_by", "void_reason")
    date_hierarchy = "received_on"
    show_full_result_count = False

    def get_fields(self, request, obj=None):
        return self.fields if obj is None else (*self.fields, "recorded_by", "reconciled_at", *self.void_fields)

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        readonly = (*self.fields, "recorded_by", "reconciled_at", "voided_at", "voided_by")
        if obj.is_voided or not services.can_void_payment(user=request.user, payment=obj):
            readonly += ("void_reason",)
        return readonly

    def save_model(self, request, obj, form, change):
        if not change:
            data = {f: form.cleaned_data[f] for f in ("received_on", "amount", "method", "reference", "note")}
            payment, _created = services.payment_record(
                actor=request.user, contract=form.cleaned_data["contract"], **data
            )
            obj.pk = payment.pk
            return
        reason = (form.cleaned_data.get("void_reason") or "").strip()
        if reason:
            services.payment_void(
                actor=request.user, payment=obj, expected_version=self.expected_version(form), reason=reason
            )
