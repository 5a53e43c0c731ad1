from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Account, Transaction
from accounts.selectors import account_assignable_owners
from core.forms import BootstrapFormMixin
from users.visibility import visible_to

from .models import Contract, ContractDocument, Installment, Payment
from .services import AMENDABLE

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class VersionedFormMixin(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class AccountLookupField(forms.ModelChoiceField):
    """An account chosen with the look-up-as-you-type box (a hidden id behind it)."""

    widget = forms.HiddenInput

    def __init__(self, *, user, **kwargs):
        super().__init__(queryset=visible_to(user, Account.objects.filter(is_archived=False)), **kwargs)
        self.error_messages["invalid_choice"] = _("Choose an account from the list.")
        self.error_messages["required"] = _("Choose an account from the list.")


def _owner_choices(*, user, current):
    """Whom the user may make owner, and the current owner (kept when editing)."""
    from django.db.models import Q

    from users.models import User

    allowed = account_assignable_owners(user=user).values("pk")
    return User.objects.filter(Q(pk__in=allowed) | Q(pk=current)).order_by("full_name", "username")


class ContractForm(BootstrapFormMixin, VersionedFormMixin, forms.ModelForm):
    class Meta:
        model = Contract
        fields = [
            "account",
            "type",
            "title",
            "value",
            "currency",
            "signed_on",
            "start_on",
            "end_on",
            "auto_renew",
            "owner",
            "late_fee_rate",
            "late_fee_cap",
            "grace_days",
            "notes",
        ]
        widgets = {
            "notes": forms.Textarea(attrs={"rows": 3}),
            "signed_on": DATE,
            "start_on": DATE,
            "end_on": DATE,
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"] = AccountLookupField(user=user, label=_("Account"))
        self.fields["owner"].empty_label = _("The account's manager")
        self.fields["owner"].queryset = _owner_choices(user=user, current=self.instance.owner_id)
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version
        for name in ("late_fee_rate", "late_fee_cap", "grace_days"):
            self.fields[name].widget.attrs["placeholder"] = _("company default")

    def service_data(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k != "version"}


class AmendForm(BootstrapFormMixin, VersionedFormMixin, forms.ModelForm):
    reason = forms.CharField(label=_("Why"), widget=forms.Textarea(attrs={"rows": 2}))
    effective_on = forms.DateField(label=_("Effective on"), widget=DATE)

    class Meta:
        model = Contract
        fields = AMENDABLE
        widgets = {"notes": forms.Textarea(attrs={"rows": 2}), "end_on": DATE}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = _owner_choices(user=user, current=self.instance.owner_id)
        self.fields["version"].initial = self.instance.version
        self.fields["effective_on"].initial = timezone.localdate()

    def service_data(self) -> dict:
        return {k: self.cleaned_data[k] for k in AMENDABLE}


class TerminateForm(BootstrapFormMixin, VersionedFormMixin):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))
    terminated_on = forms.DateField(label=_("Terminated on"), widget=DATE)


class PaymentVoidForm(BootstrapFormMixin, VersionedFormMixin):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Why this payment was recorded wrongly, e.g. the wrong contract or amount. Kept with the payment."),
    )


class DecisionForm(BootstrapFormMixin, forms.Form):
    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("reject", _("Reject"))], widget=forms.HiddenInput)
    comment = forms.CharField(
        label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2}), help_text=_("Required to reject.")
    )


class EvenScheduleForm(BootstrapFormMixin, forms.Form):
    count = forms.IntegerField(label=_("Installments"), min_value=1, max_value=120, initial=4)
    first_due_on = forms.DateField(label=_("First due date"), widget=DATE)
    every_months = forms.IntegerField(label=_("Every (months)"), min_value=1, max_value=24, initial=3)


class InstallmentForm(BootstrapFormMixin, forms.ModelForm):
    class Meta:
        model = Installment
        fields = ["due_on", "amount", "note"]
        widgets = {"due_on": DATE}


class DocumentForm(BootstrapFormMixin, forms.ModelForm):
    file = forms.FileField(label=_("File"))

    class Meta:
        model = ContractDocument
        fields = ["kind", "name"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].required = False
        self.fields["name"].help_text = _("Empty: the file's name.")


class PaymentForm(BootstrapFormMixin, forms.ModelForm):
    class Meta:
        model = Payment
        fields = ["contract", "received_on", "amount", "method", "reference", "note"]
        widgets = {"received_on": DATE}

    def __init__(self, *args, user, account=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"] = AccountLookupField(user=user, label=_("Account"))
        contracts = visible_to(
            user,
            Contract.objects.filter(
                status__in=[
                    Contract.Status.ACTIVE,
                    Contract.Status.EXPIRING,
                    Contract.Status.EXPIRED,
                    Contract.Status.TERMINATED,
                ]
            ),
        )
        self.fields["contract"].queryset = contracts.filter(account=account) if account else contracts
        self.fields["contract"].label_from_instance = lambda c: f"{c.number} · {c.title}"
        self.fields["received_on"].initial = timezone.localdate()
        self.order_fields(["account", "contract"])

    def clean(self):
        data = super().clean()
        account, contract = data.get("account"), data.get("contract")
        if account and contract and contract.account_id != account.pk:
            self.add_error("contract", _("This contract belongs to another account."))
        return data


class TransactionForm(BootstrapFormMixin, forms.ModelForm):
    class Meta:
        model = Transaction
        fields = ["kind", "amount", "occurred_at", "product_line", "external_ref", "note"]
        widgets = {"occurred_at": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"] = AccountLookupField(user=user, label=_("Account"))
        self.fields["occurred_at"].input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"]
        self.fields["occurred_at"].initial = timezone.localtime().replace(second=0, microsecond=0)
        self.order_fields(["account"])


class ReconcileForm(BootstrapFormMixin, forms.Form):
    file = forms.FileField(
        label=_("Bank or ERP file (CSV or XLSX)"),
        help_text=_("Columns: reference, date, amount, and optionally contract (its number)."),
    )
